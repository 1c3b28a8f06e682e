-- My Access lists the packages a person may request with one query: whether a
-- policy takes new requests is kept beside its scope, not only in its settings.

ALTER TABLE assignment_policies ADD COLUMN accepts_requests INTEGER NOT NULL DEFAULT 1;
UPDATE assignment_policies SET accepts_requests =
    CASE WHEN json_extract(settings, '$.requestorSettings.enableTargetsToSelfAddAccess') = 0 THEN 0 ELSE 1 END;
CREATE INDEX assignment_policies_listing ON assignment_policies (access_package_id, allowed_target_scope);
CREATE INDEX assignments_target_package ON access_package_assignments (target_id, access_package_id);
