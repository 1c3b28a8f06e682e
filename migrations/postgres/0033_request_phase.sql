-- Room on each page for a row's next version, which a HOT update needs; set
-- first, so that adding the stored column rewrites the table with it.
ALTER TABLE assignment_requests SET (fillfactor = 85);

-- Where a request stands, coarsely, derived from its state: 'open' (a second
-- request for the same package is refused meanwhile: RequestState::is_open),
-- 'failed' (delivery failed in whole or part: an administrator's attention)
-- or 'closed'. Indexes select by it instead of by state, so that a request
-- moving between stages and open states changes no indexed column, and
-- PostgreSQL rewrites its row in place (a HOT update) instead of adding an
-- entry to every index. Only closing, failing or reopening touches them.
ALTER TABLE assignment_requests ADD COLUMN phase TEXT GENERATED ALWAYS AS (
    CASE WHEN state IN ('submitted', 'pendingApproval', 'approved', 'scheduled', 'delivering') THEN 'open'
         WHEN state IN ('deliveryFailed', 'partiallyDelivered') THEN 'failed'
         ELSE 'closed' END) STORED;

DROP INDEX assignment_requests_one_open;
DROP INDEX assignment_requests_one_open_identity;
CREATE UNIQUE INDEX assignment_requests_one_open ON assignment_requests (target_id, access_package_id)
    WHERE target_id IS NOT NULL AND phase = 'open';
CREATE UNIQUE INDEX assignment_requests_one_open_identity
    ON assignment_requests (target_issuer, target_subject, access_package_id)
    WHERE target_id IS NULL AND phase = 'open';

-- A person's requests for a package: state is read from the row.
DROP INDEX assignment_requests_target;
CREATE INDEX assignment_requests_target ON assignment_requests (target_id, access_package_id);
-- A package's requests: assignment_requests_package_created serves them.
DROP INDEX assignment_requests_package;
-- Nothing selects by when a stage started.
DROP INDEX assignment_requests_state;

-- The timers' jobs, the open-request count and the deliveries needing an
-- administrator read only open or failed requests.
DROP INDEX assignment_requests_deny;
DROP INDEX assignment_requests_escalate;
DROP INDEX assignment_requests_remind;
CREATE INDEX assignment_requests_deny ON assignment_requests (deny_at) WHERE phase = 'open';
CREATE INDEX assignment_requests_escalate ON assignment_requests (escalate_at) WHERE phase = 'open';
CREATE INDEX assignment_requests_remind ON assignment_requests (remind_at) WHERE phase = 'open';
CREATE INDEX assignment_requests_open ON assignment_requests (created_at) WHERE phase = 'open';
CREATE INDEX assignment_requests_failed ON assignment_requests (created_at) WHERE phase = 'failed';
