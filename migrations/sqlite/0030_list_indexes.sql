-- The request that delivered an assignment, newest first: read on the
-- package page of everyone who holds it, and for each extension.
CREATE INDEX assignment_requests_assignment ON assignment_requests (assignment_id, created_at)
    WHERE assignment_id IS NOT NULL;
-- The admin request lists, newest first: all packages, and one package.
CREATE INDEX assignment_requests_created ON assignment_requests (created_at);
CREATE INDEX assignment_requests_package_created ON assignment_requests (access_package_id, created_at);
-- The mail outbox, newest first.
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);
-- What waits or failed for a linked group (its status on the system's and
-- the catalog's pages), without reading every operation it ever had.
CREATE INDEX provisioning_link_state ON provisioning_operations (link_id, state, seq);
