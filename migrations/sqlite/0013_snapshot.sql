-- The in-memory package list (`service::snapshot`) now also holds each
-- package's required attributes and separation-of-duties settings, so that a
-- request is checked and written without reading them again: changes to them
-- bump the catalog generation too.

CREATE TRIGGER resource_attributes_insert_generation AFTER INSERT ON resource_attributes BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER resource_attributes_update_generation AFTER UPDATE ON resource_attributes BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER resource_attributes_delete_generation AFTER DELETE ON resource_attributes BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER incompatible_packages_insert_generation AFTER INSERT ON access_package_incompatible_packages BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER incompatible_packages_delete_generation AFTER DELETE ON access_package_incompatible_packages BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER incompatible_groups_insert_generation AFTER INSERT ON access_package_incompatible_groups BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER incompatible_groups_delete_generation AFTER DELETE ON access_package_incompatible_groups BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
