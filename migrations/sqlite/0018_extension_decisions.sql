-- A stage may be decided by a custom extension named as its approver: the
-- decision then names the extension instead of a person. SQLite cannot drop
-- a NOT NULL, so the table is made again.
CREATE TABLE request_decisions_new (
    request_id            TEXT NOT NULL REFERENCES assignment_requests (id) ON DELETE CASCADE,
    stage                 BIGINT NOT NULL,
    review_result         TEXT NOT NULL CHECK (review_result IN ('Approved', 'Denied')),
    reviewed_by           TEXT REFERENCES users (id),
    justification         TEXT,
    reviewed_at           TEXT NOT NULL,
    reviewed_by_extension TEXT,
    PRIMARY KEY (request_id, stage),
    CHECK (reviewed_by IS NOT NULL OR reviewed_by_extension IS NOT NULL)
);
INSERT INTO request_decisions_new (request_id, stage, review_result, reviewed_by, justification, reviewed_at)
    SELECT request_id, stage, review_result, reviewed_by, justification, reviewed_at FROM request_decisions;
DROP TABLE request_decisions;
ALTER TABLE request_decisions_new RENAME TO request_decisions;
CREATE INDEX request_decisions_reviewer ON request_decisions (reviewed_by);
