-- When the guest lifecycle removes a guest it blocked: set when it blocks
-- them, from the settings then in force, so that a later change of the
-- settings applies to guests blocked from then on only (as in Entra). NULL:
-- the guest is not removed.
ALTER TABLE users ADD COLUMN lifecycle_delete_at TEXT;

-- Guests blocked before: the settings in force now (by default, removal
-- after 30 days).
-- The fraction of a second and the Z are kept as they were (six digits, as
-- every stored time), so that text order stays time order.
UPDATE users SET lifecycle_delete_at = strftime('%Y-%m-%dT%H:%M:%S', lifecycle_blocked_at,
        '+' || COALESCE((SELECT json_extract(value, '$.daysUntilDeletion') FROM settings
                         WHERE key = 'guest_lifecycle'), 30) || ' days')
    || substr(lifecycle_blocked_at, 20)
WHERE lifecycle_blocked_at IS NOT NULL AND state = 'blocked'
  AND COALESCE((SELECT json_extract(value, '$.action') FROM settings WHERE key = 'guest_lifecycle'),
               'blockSignInAndDelete') = 'blockSignInAndDelete';

CREATE INDEX users_lifecycle_delete ON users (lifecycle, state, lifecycle_delete_at);
