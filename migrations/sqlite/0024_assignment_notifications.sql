-- Whether a policy's holders are mailed about their access (given or
-- scheduled, extended, ending soon, ended): Graph's
-- notificationSettings.isAssignmentNotificationDisabled, inverted. A column,
-- so that the mails built in SQL for a batch of ended assignments can ask it.
ALTER TABLE assignment_policies ADD COLUMN assignment_notifications INTEGER NOT NULL DEFAULT 1;
