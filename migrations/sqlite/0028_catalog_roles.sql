-- Delegation: people who are not administrators hold roles in catalogs
-- (owner, reader, access package manager, access package assignment
-- manager) and use the console for those catalogs only.
CREATE TABLE catalog_role_assignments (
    id          TEXT PRIMARY KEY,
    catalog_id  TEXT NOT NULL REFERENCES catalogs (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (catalog_id, user_id, role)
);
-- Every console page a delegate opens looks up their roles by person.
CREATE INDEX catalog_role_assignments_user ON catalog_role_assignments (user_id, catalog_id);

-- Entra's tenant-wide "Catalog creator" role: people who are not
-- administrators and may create catalogs (becoming their first owner).
CREATE TABLE catalog_creators (
    user_id     TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL
);
