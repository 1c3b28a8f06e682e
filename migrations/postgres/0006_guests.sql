-- Guests who come through a request: a user's lifecycle (whether Gatehouse
-- governs the account, so that the guest lifecycle may block and delete it) and
-- connected organization; the sign-in identity a request from someone not yet
-- in the directory carries until delivery creates the guest; and one-time
-- sign-in codes sent by email.

ALTER TABLE users ADD COLUMN lifecycle TEXT NOT NULL DEFAULT 'notGoverned' CHECK (lifecycle IN ('governed', 'notGoverned'));
ALTER TABLE users ADD COLUMN connected_organization_id TEXT REFERENCES connected_organizations (id) ON DELETE SET NULL;

ALTER TABLE assignment_requests ADD COLUMN target_issuer TEXT;
ALTER TABLE assignment_requests ADD COLUMN target_subject TEXT;
CREATE INDEX assignment_requests_identity ON assignment_requests (target_issuer, target_subject);

CREATE TABLE sign_in_codes (
    id          TEXT PRIMARY KEY,
    email_lower TEXT NOT NULL,
    -- SHA-256 of the code, so the table shows no code as sent; codes live minutes.
    code_hash   TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX sign_in_codes_email ON sign_in_codes (email_lower, created_at);
