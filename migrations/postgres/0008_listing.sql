-- My Access keeps the list of requestable packages in memory
-- (`service::listing`). Every change to what that list shows bumps this
-- generation, so each instance notices on its next request. Triggers do the
-- counting, so that no code path that edits these tables can forget it.

INSERT INTO settings (key, value) VALUES ('catalog_generation', '0') ON CONFLICT (key) DO NOTHING;

CREATE FUNCTION bump_catalog_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE settings SET value = (value::bigint + 1)::text WHERE key = 'catalog_generation';
    RETURN NULL;
END;
$$;
CREATE TRIGGER catalogs_generation AFTER INSERT OR UPDATE OR DELETE ON catalogs FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER catalog_resources_generation AFTER INSERT OR UPDATE OR DELETE ON catalog_resources FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER access_packages_generation AFTER INSERT OR UPDATE OR DELETE ON access_packages FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER access_package_resource_role_scopes_generation AFTER INSERT OR UPDATE OR DELETE ON access_package_resource_role_scopes FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER assignment_policies_generation AFTER INSERT OR UPDATE OR DELETE ON assignment_policies FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER assignment_policy_targets_generation AFTER INSERT OR UPDATE OR DELETE ON assignment_policy_targets FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER groups_generation AFTER INSERT OR UPDATE OR DELETE ON groups FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER applications_generation AFTER INSERT OR UPDATE OR DELETE ON applications FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER sites_generation AFTER INSERT OR UPDATE OR DELETE ON sites FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();

CREATE INDEX assignments_target_package ON access_package_assignments (target_id, access_package_id);
CREATE INDEX assignments_package_created ON access_package_assignments (access_package_id, created_at);
