-- The in-memory package list now also holds which custom extension each
-- policy calls at each stage, and which roles are linked to connected
-- systems, so that submitting, deciding and delivering a request do not read
-- them again: changes to them bump the catalog generation too. (A link's
-- reconciliation results change often and are not held, so only a link's
-- making, unmaking and role count.)

CREATE TRIGGER custom_extensions_generation AFTER INSERT OR UPDATE OR DELETE ON custom_extensions FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER policy_custom_extensions_generation AFTER INSERT OR UPDATE OR DELETE ON policy_custom_extensions FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER resource_links_generation AFTER INSERT OR DELETE OR UPDATE OF origin_system, origin_id, role ON resource_links FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
