-- The in-memory package list now also holds which custom extension each
-- policy calls at each stage, and which roles are linked to connected
-- systems, so that submitting, deciding and delivering a request do not read
-- them again: changes to them bump the catalog generation too. (A link's
-- reconciliation results change often and are not held, so only a link's
-- making, unmaking and role count.)

CREATE TRIGGER custom_extensions_insert_generation AFTER INSERT ON custom_extensions BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER custom_extensions_update_generation AFTER UPDATE ON custom_extensions BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER custom_extensions_delete_generation AFTER DELETE ON custom_extensions BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER policy_custom_extensions_insert_generation AFTER INSERT ON policy_custom_extensions BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER policy_custom_extensions_update_generation AFTER UPDATE ON policy_custom_extensions BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER policy_custom_extensions_delete_generation AFTER DELETE ON policy_custom_extensions BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER resource_links_insert_generation AFTER INSERT ON resource_links BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER resource_links_update_generation AFTER UPDATE OF origin_system, origin_id, role ON resource_links BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER resource_links_delete_generation AFTER DELETE ON resource_links BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
