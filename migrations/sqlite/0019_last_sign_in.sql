-- When each person last signed in: access reviews recommend denying access
-- to someone who has not signed in for 30 days, and the console shows it.
ALTER TABLE users ADD COLUMN last_sign_in_at TEXT;
