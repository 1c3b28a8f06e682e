-- Users deleted through SCIM before their leftovers were cleared at deletion:
-- what they held by hand goes (the targets linked to it are told through the
-- provisioning triggers), nobody reports to them, and their address is free
-- for someone new (it is still shown; `email_lower` is what is unique).
DELETE FROM group_members WHERE user_id IN (SELECT id FROM users WHERE source = 'scimDeleted');
DELETE FROM site_members WHERE user_id IN (SELECT id FROM users WHERE source = 'scimDeleted');
DELETE FROM app_role_assignments WHERE user_id IN (SELECT id FROM users WHERE source = 'scimDeleted');
DELETE FROM app_default_access WHERE user_id IN (SELECT id FROM users WHERE source = 'scimDeleted');
UPDATE users SET manager_id = NULL
    WHERE manager_id IN (SELECT id FROM users WHERE source = 'scimDeleted');
UPDATE users SET email_lower = 'deleted:' || id WHERE source = 'scimDeleted';
