-- One grant ledger. A group, application or site is one resource however many
-- catalogs hold it: what a person holds through Gatehouse is the union of what
-- their active assignments grant through their packages' current resource
-- roles, compared by origin (system and id), not by catalog resource row.
--
-- A membership an administrator added by hand is held "outside assignments":
-- Gatehouse never takes it back when an assignment ends. Memberships that an
-- active assignment grants today are marked as Gatehouse's; every other
-- existing one was added by hand.

ALTER TABLE group_members ADD COLUMN outside_assignments INTEGER NOT NULL DEFAULT 0;
ALTER TABLE site_members ADD COLUMN outside_assignments INTEGER NOT NULL DEFAULT 0;
ALTER TABLE app_role_assignments ADD COLUMN outside_assignments INTEGER NOT NULL DEFAULT 0;

UPDATE group_members SET outside_assignments = 1 WHERE NOT EXISTS (
    SELECT 1 FROM access_package_assignments a
    JOIN access_package_resource_role_scopes s ON s.access_package_id = a.access_package_id
    JOIN catalog_resources r ON r.id = s.catalog_resource_id
    WHERE a.target_id = group_members.user_id
      AND a.state IN ('delivered', 'partiallyDelivered', 'delivering')
      AND r.origin_system = 'AadGroup' AND r.origin_id = group_members.group_id
      AND s.role_origin_id = group_members.role);
UPDATE site_members SET outside_assignments = 1 WHERE NOT EXISTS (
    SELECT 1 FROM access_package_assignments a
    JOIN access_package_resource_role_scopes s ON s.access_package_id = a.access_package_id
    JOIN catalog_resources r ON r.id = s.catalog_resource_id
    WHERE a.target_id = site_members.user_id
      AND a.state IN ('delivered', 'partiallyDelivered', 'delivering')
      AND r.origin_system = 'SharePointOnline' AND r.origin_id = site_members.site_id
      AND s.role_origin_id = site_members.role);
UPDATE app_role_assignments SET outside_assignments = 1 WHERE NOT EXISTS (
    SELECT 1 FROM access_package_assignments a
    JOIN access_package_resource_role_scopes s ON s.access_package_id = a.access_package_id
    WHERE a.target_id = app_role_assignments.user_id
      AND a.state IN ('delivered', 'partiallyDelivered', 'delivering')
      AND s.role_origin_id = app_role_assignments.app_role_id);

-- "Default Access": an application without app roles is still assigned, as
-- Graph's appRoleAssignment with the empty role id is.
CREATE TABLE app_default_access (
    application_id      TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at            TEXT NOT NULL,
    outside_assignments INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (application_id, user_id)
);
CREATE INDEX app_default_access_user ON app_default_access (user_id);

-- Who holds a resource through which packages: the resource's page asks by
-- origin.
CREATE INDEX catalog_resources_origin_id ON catalog_resources (origin_system, origin_id, id);

-- Assignments delivered before Default Access was recorded get it now.
INSERT INTO app_default_access (application_id, user_id, added_at)
SELECT DISTINCT r.origin_id, a.target_id, a.created_at FROM access_package_assignments a
JOIN access_package_resource_role_scopes s ON s.access_package_id = a.access_package_id
JOIN catalog_resources r ON r.id = s.catalog_resource_id
JOIN applications x ON x.id = r.origin_id
WHERE a.state IN ('delivered', 'partiallyDelivered', 'delivering')
  AND r.origin_system = 'AadApplication' AND s.role_origin_id = 'defaultAccess'
ON CONFLICT DO NOTHING;
