-- When a waiting request's approvers are reminded, when its stage escalates
-- and when it is denied for want of a decision: a row per request waiting
-- for approval, removed when it stops waiting. Kept apart from the request's
-- row because they change with every stage and reminder and are indexed for
-- the jobs that read them: in the request's row, each such change touched
-- every index (no HOT update).
CREATE TABLE request_timers (
    request_id  TEXT PRIMARY KEY REFERENCES assignment_requests (id) ON DELETE CASCADE,
    remind_at   TEXT,
    escalate_at TEXT,
    deny_at     TEXT NOT NULL
);
INSERT INTO request_timers (request_id, remind_at, escalate_at, deny_at)
    SELECT id, remind_at, escalate_at, deny_at FROM assignment_requests
    WHERE state = 'pendingApproval' AND deny_at IS NOT NULL;
CREATE INDEX request_timers_remind ON request_timers (remind_at);
CREATE INDEX request_timers_escalate ON request_timers (escalate_at);
CREATE INDEX request_timers_deny ON request_timers (deny_at);

DROP INDEX assignment_requests_remind;
DROP INDEX assignment_requests_escalate;
DROP INDEX assignment_requests_deny;
ALTER TABLE assignment_requests DROP COLUMN remind_at;
ALTER TABLE assignment_requests DROP COLUMN escalate_at;
ALTER TABLE assignment_requests DROP COLUMN deny_at;

-- The scheduled deliveries' job: a start is written with the request and
-- does not change, so this index does not stand in the way either.
CREATE INDEX assignment_requests_scheduled ON assignment_requests (schedule_start) WHERE phase = 'open';
-- A package's open requests (whom its automatic policy leaves alone).
CREATE INDEX assignment_requests_package_open ON assignment_requests (access_package_id) WHERE phase = 'open';
