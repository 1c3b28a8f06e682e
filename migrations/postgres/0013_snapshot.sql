-- The in-memory package list (`service::snapshot`) now also holds each
-- package's required attributes and separation-of-duties settings, so that a
-- request is checked and written without reading them again: changes to them
-- bump the catalog generation too.

CREATE TRIGGER resource_attributes_generation AFTER INSERT OR UPDATE OR DELETE ON resource_attributes FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER incompatible_packages_generation AFTER INSERT OR UPDATE OR DELETE ON access_package_incompatible_packages FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER incompatible_groups_generation AFTER INSERT OR UPDATE OR DELETE ON access_package_incompatible_groups FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
