-- Assignment requests, the approvers each stage resolved when it started, and
-- the decisions. The primary key of request_decisions makes the first decision
-- of a stage win on both backends: a second insert is a conflict.

CREATE TABLE assignment_requests (
    id                        TEXT PRIMARY KEY,
    request_type              TEXT NOT NULL CHECK (request_type IN ('userAdd', 'userExtend', 'userRemove', 'adminAdd', 'adminRemove', 'systemAdd', 'systemRemove')),
    state                     TEXT NOT NULL,
    access_package_id         TEXT NOT NULL REFERENCES access_packages (id),
    policy_id                 TEXT NOT NULL REFERENCES assignment_policies (id),
    requestor_id              TEXT REFERENCES users (id),
    target_id                 TEXT REFERENCES users (id),
    target_email              TEXT NOT NULL,
    target_display_name       TEXT NOT NULL,
    connected_organization_id TEXT REFERENCES connected_organizations (id),
    justification             TEXT,
    answers                   TEXT NOT NULL DEFAULT '[]',
    -- Required attribute values given with the request: {"givenName": "..."}.
    attributes                TEXT NOT NULL DEFAULT '{}',
    assignment_id             TEXT,
    schedule_start            TEXT,
    schedule_end              TEXT,
    current_stage             BIGINT NOT NULL DEFAULT 0,
    stage_started_at          TEXT,
    created_at                TEXT NOT NULL,
    completed_at              TEXT
);
CREATE INDEX assignment_requests_target ON assignment_requests (target_id, access_package_id, state);
CREATE INDEX assignment_requests_package ON assignment_requests (access_package_id, state);
CREATE INDEX assignment_requests_state ON assignment_requests (state, stage_started_at);

CREATE TABLE request_stage_approvers (
    request_id    TEXT NOT NULL REFERENCES assignment_requests (id) ON DELETE CASCADE,
    stage         BIGINT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    is_escalation BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (request_id, stage, user_id)
);
CREATE INDEX request_stage_approvers_user ON request_stage_approvers (user_id);

CREATE TABLE request_decisions (
    request_id    TEXT NOT NULL REFERENCES assignment_requests (id) ON DELETE CASCADE,
    stage         BIGINT NOT NULL,
    review_result TEXT NOT NULL CHECK (review_result IN ('Approved', 'Denied')),
    reviewed_by   TEXT NOT NULL REFERENCES users (id),
    justification TEXT,
    reviewed_at   TEXT NOT NULL,
    PRIMARY KEY (request_id, stage)
);
