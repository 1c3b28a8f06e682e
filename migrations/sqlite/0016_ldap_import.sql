-- Importing people and groups from a connected LDAP directory. An imported
-- person or group keeps the system it came from and its entry's DN
-- (lower-cased) as external id; `source` is 'ldap'.
ALTER TABLE users ADD COLUMN source_system TEXT;
ALTER TABLE groups ADD COLUMN source_system TEXT;
CREATE INDEX users_source_system ON users (source_system, external_id);
CREATE INDEX groups_source_system ON groups (source_system, external_id);

-- Whether the system imports (daily and on "Sync now"), when it last did,
-- and what that run found and changed (JSON).
ALTER TABLE connected_systems ADD COLUMN import_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE connected_systems ADD COLUMN imported_at TEXT;
ALTER TABLE connected_systems ADD COLUMN import_summary TEXT;
