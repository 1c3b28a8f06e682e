-- A manager's request history lists the requests they made for their
-- direct reports.
CREATE INDEX assignment_requests_requestor ON assignment_requests (requestor_id);
