-- When the guest lifecycle removes a guest it blocked: set when it blocks
-- them, from the settings then in force, so that a later change of the
-- settings applies to guests blocked from then on only (as in Entra). NULL:
-- the guest is not removed. Mirrors the SQLite migration of the same number.
ALTER TABLE users ADD COLUMN lifecycle_delete_at TEXT;

-- Guests blocked before: the settings in force now (by default, removal
-- after 30 days).
UPDATE users SET lifecycle_delete_at = to_char(
        (lifecycle_blocked_at::timestamptz
         + make_interval(days => COALESCE((SELECT (value::json ->> 'daysUntilDeletion')::int
                                           FROM settings WHERE key = 'guest_lifecycle'), 30)))
        AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
WHERE lifecycle_blocked_at IS NOT NULL AND state = 'blocked'
  AND COALESCE((SELECT value::json ->> 'action' FROM settings WHERE key = 'guest_lifecycle'),
               'blockSignInAndDelete') = 'blockSignInAndDelete';

CREATE INDEX users_lifecycle_delete ON users (lifecycle, state, lifecycle_delete_at);
