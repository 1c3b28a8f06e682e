-- When an undecided stage's approvers are reminded (halfway to the stage's
-- escalation, or to its deadline when it does not escalate); cleared once
-- they were, and set again when the request enters its next stage.
ALTER TABLE assignment_requests ADD COLUMN remind_at TEXT;
CREATE INDEX assignment_requests_remind ON assignment_requests (state, remind_at);
