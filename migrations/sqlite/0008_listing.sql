-- My Access keeps the list of requestable packages in memory
-- (`service::listing`). Every change to what that list shows bumps this
-- generation, so each instance notices on its next request. Triggers do the
-- counting, so that no code path that edits these tables can forget it.

INSERT INTO settings (key, value) VALUES ('catalog_generation', '0') ON CONFLICT (key) DO NOTHING;
CREATE TRIGGER catalogs_insert_generation AFTER INSERT ON catalogs BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER catalogs_update_generation AFTER UPDATE ON catalogs BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER catalogs_delete_generation AFTER DELETE ON catalogs BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER catalog_resources_insert_generation AFTER INSERT ON catalog_resources BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER catalog_resources_update_generation AFTER UPDATE ON catalog_resources BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER catalog_resources_delete_generation AFTER DELETE ON catalog_resources BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER access_packages_insert_generation AFTER INSERT ON access_packages BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER access_packages_update_generation AFTER UPDATE ON access_packages BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER access_packages_delete_generation AFTER DELETE ON access_packages BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER access_package_resource_role_scopes_insert_generation AFTER INSERT ON access_package_resource_role_scopes BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER access_package_resource_role_scopes_update_generation AFTER UPDATE ON access_package_resource_role_scopes BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER access_package_resource_role_scopes_delete_generation AFTER DELETE ON access_package_resource_role_scopes BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER assignment_policies_insert_generation AFTER INSERT ON assignment_policies BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER assignment_policies_update_generation AFTER UPDATE ON assignment_policies BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER assignment_policies_delete_generation AFTER DELETE ON assignment_policies BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER assignment_policy_targets_insert_generation AFTER INSERT ON assignment_policy_targets BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER assignment_policy_targets_update_generation AFTER UPDATE ON assignment_policy_targets BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER assignment_policy_targets_delete_generation AFTER DELETE ON assignment_policy_targets BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER groups_insert_generation AFTER INSERT ON groups BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER groups_update_generation AFTER UPDATE ON groups BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER groups_delete_generation AFTER DELETE ON groups BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER applications_insert_generation AFTER INSERT ON applications BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER applications_update_generation AFTER UPDATE ON applications BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER applications_delete_generation AFTER DELETE ON applications BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER sites_insert_generation AFTER INSERT ON sites BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER sites_update_generation AFTER UPDATE ON sites BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;
CREATE TRIGGER sites_delete_generation AFTER DELETE ON sites BEGIN UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_generation'; END;

CREATE INDEX assignments_target_package ON access_package_assignments (target_id, access_package_id);
CREATE INDEX assignments_package_created ON access_package_assignments (access_package_id, created_at);
