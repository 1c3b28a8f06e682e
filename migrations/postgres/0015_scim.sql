-- SCIM 2.0 provisioning into Gatehouse: the tokens identity providers use,
-- and where synced people and groups come from.

-- A token is shown once; only its SHA-256 is kept. `hint` (its first
-- characters) tells tokens apart on the console.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    purpose      TEXT NOT NULL CHECK (purpose IN ('scim')),
    token_hash   TEXT NOT NULL UNIQUE,
    hint         TEXT NOT NULL,
    created_by   TEXT,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT,
    last_used_at TEXT
);

-- `source`: 'local' (made in Gatehouse or at first sign-in), 'scim' (pushed
-- by an identity provider), 'scimDeleted' (deleted there: blocked here and
-- gone from SCIM). `user_name` is SCIM's userName when it differs from
-- the address; uniqueness ignores case.
ALTER TABLE users ADD COLUMN source TEXT NOT NULL DEFAULT 'local';
ALTER TABLE users ADD COLUMN external_id TEXT;
ALTER TABLE users ADD COLUMN user_name TEXT;
ALTER TABLE users ADD COLUMN user_name_lower TEXT;
ALTER TABLE users ADD COLUMN employee_number TEXT;
CREATE UNIQUE INDEX users_user_name ON users (user_name_lower);
CREATE INDEX users_external_id ON users (external_id);
CREATE INDEX users_created ON users (created_at, id);

ALTER TABLE groups ADD COLUMN source TEXT NOT NULL DEFAULT 'local';
ALTER TABLE groups ADD COLUMN external_id TEXT;
CREATE INDEX groups_external_id ON groups (external_id);
CREATE INDEX groups_created ON groups (created_at, id);
