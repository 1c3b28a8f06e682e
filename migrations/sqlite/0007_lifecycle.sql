-- The lifecycle: each approval stage's deadlines (escalation, automatic
-- denial) written when the stage starts, so that the jobs find due requests
-- through an index; how an assignment ended and which expiry reminder went
-- out; approval bypassed by an administrator; and when the guest lifecycle
-- blocked a user, from which its deletion is counted.

ALTER TABLE assignment_requests ADD COLUMN escalate_at TEXT;
ALTER TABLE assignment_requests ADD COLUMN deny_at TEXT;
ALTER TABLE assignment_requests ADD COLUMN escalated_stage BIGINT NOT NULL DEFAULT 0;
ALTER TABLE assignment_requests ADD COLUMN approval_bypassed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX assignment_requests_deny ON assignment_requests (state, deny_at);
CREATE INDEX assignment_requests_escalate ON assignment_requests (state, escalate_at);

ALTER TABLE access_package_assignments ADD COLUMN ended_at TEXT;
-- 'expired' at the end date, 'removed' by an administrator.
ALTER TABLE access_package_assignments ADD COLUMN end_reason TEXT;
-- The reminder last sent (days before the end: 14, then 1); cleared on extension.
ALTER TABLE access_package_assignments ADD COLUMN reminded_days BIGINT;
CREATE INDEX assignments_due ON access_package_assignments (state, end_at);
CREATE INDEX assignments_target_state ON access_package_assignments (target_id, state);

ALTER TABLE users ADD COLUMN lifecycle_blocked_at TEXT;
CREATE INDEX users_lifecycle ON users (lifecycle, state, lifecycle_blocked_at);
