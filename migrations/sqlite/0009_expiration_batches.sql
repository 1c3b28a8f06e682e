-- The expiration job ends a batch of assignments with one statement and
-- finishes it (roles, mail, audit) with a few more that find the batch by
-- this mark, instead of carrying each row back and forth.

ALTER TABLE access_package_assignments ADD COLUMN end_batch TEXT;
-- Partial: most rows have no mark, and a full index would tell the planner
-- that a mark matches them all.
CREATE INDEX assignments_end_batch ON access_package_assignments (end_batch) WHERE end_batch IS NOT NULL;
