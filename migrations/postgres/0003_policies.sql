-- Policies in full: whether enabled, and their settings as Graph-shaped JSON
-- (requestorSettings, requestApprovalSettings, questions, expiration). The
-- targets stay in assignment_policy_targets so that eligibility is a query.
-- Separation of duties: incompatible access packages and groups.

ALTER TABLE assignment_policies ADD COLUMN enabled BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE assignment_policies ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';

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
