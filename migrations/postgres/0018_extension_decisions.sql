-- A stage may be decided by a custom extension named as its approver: the
-- decision then names the extension instead of a person.
ALTER TABLE request_decisions ALTER COLUMN reviewed_by DROP NOT NULL;
ALTER TABLE request_decisions ADD COLUMN reviewed_by_extension TEXT;
ALTER TABLE request_decisions ADD CONSTRAINT request_decisions_decider
    CHECK (reviewed_by IS NOT NULL OR reviewed_by_extension IS NOT NULL);
CREATE INDEX request_decisions_reviewer ON request_decisions (reviewed_by);
