-- The directory: users, groups, applications, sites; settings; the audit log.
-- Ids are UUID text; times are UTC ISO 8601 text with microseconds, which sorts
-- in time order. The PostgreSQL migration of the same number mirrors this one.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id                TEXT PRIMARY KEY,
    user_type         TEXT NOT NULL CHECK (user_type IN ('member', 'guest')),
    display_name      TEXT NOT NULL,
    -- Lower-cased in Rust: SQLite's lower() only folds ASCII.
    name_lower        TEXT NOT NULL,
    given_name        TEXT,
    surname           TEXT,
    email             TEXT NOT NULL,
    email_lower       TEXT NOT NULL UNIQUE,
    job_title         TEXT,
    department        TEXT,
    manager_id        TEXT REFERENCES users (id) ON DELETE SET NULL,
    custom_attributes TEXT NOT NULL DEFAULT '{}',
    state             TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'blocked')),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX users_manager ON users (manager_id);
CREATE INDEX users_name_lower ON users (name_lower);

-- How a person signs in: one row per identity provider account.
CREATE TABLE user_identities (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);

CREATE TABLE groups (
    id           TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    name_lower   TEXT NOT NULL UNIQUE,
    description  TEXT,
    group_type   TEXT NOT NULL CHECK (group_type IN ('security', 'microsoft365', 'team')),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role     TEXT NOT NULL CHECK (role IN ('member', 'owner')),
    added_at TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id, role)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE applications (
    id           TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    name_lower   TEXT NOT NULL UNIQUE,
    description  TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE app_roles (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    display_name   TEXT NOT NULL,
    name_lower     TEXT NOT NULL,
    position       BIGINT NOT NULL,
    UNIQUE (application_id, name_lower)
);

CREATE TABLE app_role_assignments (
    app_role_id TEXT NOT NULL REFERENCES app_roles (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at    TEXT NOT NULL,
    PRIMARY KEY (app_role_id, user_id)
);
CREATE INDEX app_role_assignments_user ON app_role_assignments (user_id);

CREATE TABLE sites (
    id           TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    name_lower   TEXT NOT NULL UNIQUE,
    description  TEXT,
    url          TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE site_members (
    site_id  TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role     TEXT NOT NULL CHECK (role IN ('member', 'owner', 'visitor')),
    added_at TEXT NOT NULL,
    PRIMARY KEY (site_id, user_id, role)
);
CREATE INDEX site_members_user ON site_members (user_id);

CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TEXT NOT NULL,
    actor_id    TEXT,
    actor_name  TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    object_name TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_object ON audit_events (object_type, object_id);
CREATE INDEX audit_events_actor ON audit_events (actor_id);

-- The audit log is append-only, whoever connects.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
