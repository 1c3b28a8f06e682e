-- Catalogs, their resources and required attributes; connected organizations;
-- the first tables of access packages and policies, so that catalogs and
-- connected organizations can tell when they are still in use.
-- Booleans are INTEGER 0/1 here (BOOLEAN in PostgreSQL): sqlx's Any driver cannot
-- carry SQLite's BOOLEAN type.

CREATE TABLE catalogs (
    id                    TEXT PRIMARY KEY,
    display_name          TEXT NOT NULL,
    name_lower            TEXT NOT NULL UNIQUE,
    description           TEXT,
    state                 TEXT NOT NULL CHECK (state IN ('published', 'unpublished')),
    is_externally_visible INTEGER NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);

-- A directory object (group, application or site) added to a catalog.
CREATE TABLE catalog_resources (
    id            TEXT PRIMARY KEY,
    catalog_id    TEXT NOT NULL REFERENCES catalogs (id) ON DELETE CASCADE,
    origin_system TEXT NOT NULL CHECK (origin_system IN ('AadGroup', 'AadApplication', 'SharePointOnline')),
    origin_id     TEXT NOT NULL,
    added_at      TEXT NOT NULL,
    UNIQUE (catalog_id, origin_system, origin_id)
);
CREATE INDEX catalog_resources_origin ON catalog_resources (origin_system, origin_id);

-- Attributes a requestor must give when a package with this resource is requested.
CREATE TABLE resource_attributes (
    id                  TEXT PRIMARY KEY,
    catalog_resource_id TEXT NOT NULL REFERENCES catalog_resources (id) ON DELETE CASCADE,
    attribute_name      TEXT NOT NULL,
    name_lower          TEXT NOT NULL,
    answer_format       TEXT NOT NULL CHECK (answer_format IN ('shortText', 'longText', 'multipleChoice')),
    question_text       TEXT NOT NULL,
    localizations       TEXT NOT NULL DEFAULT '[]',
    choices             TEXT NOT NULL DEFAULT '[]',
    is_editable         INTEGER NOT NULL,
    is_persisted_on_assignment_removal INTEGER NOT NULL,
    position            BIGINT NOT NULL,
    UNIQUE (catalog_resource_id, name_lower)
);

CREATE TABLE access_packages (
    id           TEXT PRIMARY KEY,
    catalog_id   TEXT NOT NULL REFERENCES catalogs (id),
    display_name TEXT NOT NULL,
    description  TEXT,
    is_hidden    INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX access_packages_catalog ON access_packages (catalog_id);

CREATE TABLE access_package_resource_role_scopes (
    id                  TEXT PRIMARY KEY,
    access_package_id   TEXT NOT NULL REFERENCES access_packages (id) ON DELETE CASCADE,
    catalog_resource_id TEXT NOT NULL REFERENCES catalog_resources (id),
    role_origin_id      TEXT NOT NULL,
    role_display_name   TEXT NOT NULL,
    UNIQUE (access_package_id, catalog_resource_id, role_origin_id)
);
CREATE INDEX role_scopes_resource ON access_package_resource_role_scopes (catalog_resource_id);

CREATE TABLE assignment_policies (
    id                   TEXT PRIMARY KEY,
    access_package_id    TEXT NOT NULL REFERENCES access_packages (id) ON DELETE CASCADE,
    display_name         TEXT NOT NULL,
    description          TEXT,
    allowed_target_scope TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX assignment_policies_package ON assignment_policies (access_package_id);

-- specificAllowedTargets: singleUser, groupMembers, connectedOrganizationMembers.
CREATE TABLE assignment_policy_targets (
    policy_id   TEXT NOT NULL REFERENCES assignment_policies (id) ON DELETE CASCADE,
    target_type TEXT NOT NULL CHECK (target_type IN ('singleUser', 'groupMembers', 'connectedOrganizationMembers')),
    target_id   TEXT NOT NULL,
    PRIMARY KEY (policy_id, target_type, target_id)
);
CREATE INDEX assignment_policy_targets_target ON assignment_policy_targets (target_type, target_id);

CREATE TABLE connected_organizations (
    id                 TEXT PRIMARY KEY,
    display_name       TEXT NOT NULL,
    name_lower         TEXT NOT NULL UNIQUE,
    description        TEXT,
    state              TEXT NOT NULL CHECK (state IN ('configured', 'proposed')),
    oidc_issuer        TEXT,
    oidc_client_id     TEXT,
    oidc_client_secret TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);

-- An email domain identifies one connected organization.
CREATE TABLE connected_organization_domains (
    connected_organization_id TEXT NOT NULL REFERENCES connected_organizations (id) ON DELETE CASCADE,
    domain_name               TEXT NOT NULL UNIQUE,
    PRIMARY KEY (connected_organization_id, domain_name)
);

CREATE TABLE connected_organization_sponsors (
    connected_organization_id TEXT NOT NULL REFERENCES connected_organizations (id) ON DELETE CASCADE,
    user_id                   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sponsor_type              TEXT NOT NULL CHECK (sponsor_type IN ('internal', 'external')),
    PRIMARY KEY (connected_organization_id, user_id, sponsor_type)
);
