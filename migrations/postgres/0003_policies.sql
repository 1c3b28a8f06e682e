-- Policies in full: whether enabled, and their settings as Graph-shaped JSON
-- (requestorSettings, requestApprovalSettings, questions, expiration). The
-- targets stay in assignment_policy_targets so that eligibility is a query.
-- Separation of duties: incompatible access packages and groups.

ALTER TABLE assignment_policies ADD COLUMN enabled BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE assignment_policies ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';

-- Lower-cased in Rust (SQLite's lower() folds only ASCII), for search and for
-- naming packages in forms.
ALTER TABLE access_packages ADD COLUMN name_lower TEXT NOT NULL DEFAULT '';
CREATE INDEX access_packages_name ON access_packages (name_lower);

CREATE TABLE access_package_incompatible_packages (
    access_package_id  TEXT NOT NULL REFERENCES access_packages (id) ON DELETE CASCADE,
    incompatible_id    TEXT NOT NULL REFERENCES access_packages (id) ON DELETE CASCADE,
    PRIMARY KEY (access_package_id, incompatible_id)
);

CREATE TABLE access_package_incompatible_groups (
    access_package_id TEXT NOT NULL REFERENCES access_packages (id) ON DELETE CASCADE,
    group_id          TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (access_package_id, group_id)
);
-- Who holds which package through which policy. Requests and delivery (next
-- change) add their columns; packages and policies already need to know
-- whether they are in use.
CREATE TABLE access_package_assignments (
    id                TEXT PRIMARY KEY,
    access_package_id TEXT NOT NULL REFERENCES access_packages (id),
    policy_id         TEXT NOT NULL REFERENCES assignment_policies (id),
    target_id         TEXT NOT NULL REFERENCES users (id),
    state             TEXT NOT NULL CHECK (state IN ('delivering', 'partiallyDelivered', 'delivered', 'deliveryFailed', 'expired')),
    start_at          TEXT,
    end_at            TEXT,
    created_at        TEXT NOT NULL
);
CREATE INDEX assignments_package_state ON access_package_assignments (access_package_id, state);
CREATE INDEX assignments_policy ON access_package_assignments (policy_id);
CREATE INDEX assignments_target ON access_package_assignments (target_id);
