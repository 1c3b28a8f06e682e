-- Requests that never stick, sessions that end, codes that cannot flood.

-- Why a request ended as it did when no approver's reason says it: denied
-- because no approver could be found, or refused at delivery.
ALTER TABLE assignment_requests ADD COLUMN outcome_reason TEXT;

-- One open request per person and package, whatever races: a second
-- simultaneous submission fails on this index instead of making a twin.
-- Twins made before it existed are canceled, keeping the oldest.
UPDATE assignment_requests SET state = 'canceled', completed_at = created_at,
    outcome_reason = 'Canceled as a duplicate of an earlier open request.'
WHERE state IN ('submitted', 'pendingApproval', 'approved', 'scheduled', 'delivering')
  AND target_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM assignment_requests o WHERE o.target_id = assignment_requests.target_id
      AND o.access_package_id = assignment_requests.access_package_id
      AND o.state IN ('submitted', 'pendingApproval', 'approved', 'scheduled', 'delivering')
      AND (o.created_at < assignment_requests.created_at
           OR (o.created_at = assignment_requests.created_at AND o.id < assignment_requests.id)));
UPDATE assignment_requests SET state = 'canceled', completed_at = created_at,
    outcome_reason = 'Canceled as a duplicate of an earlier open request.'
WHERE state IN ('submitted', 'pendingApproval', 'approved', 'scheduled', 'delivering')
  AND target_id IS NULL
  AND EXISTS (SELECT 1 FROM assignment_requests o WHERE o.target_id IS NULL
      AND o.target_issuer = assignment_requests.target_issuer
      AND o.target_subject = assignment_requests.target_subject
      AND o.access_package_id = assignment_requests.access_package_id
      AND o.state IN ('submitted', 'pendingApproval', 'approved', 'scheduled', 'delivering')
      AND (o.created_at < assignment_requests.created_at
           OR (o.created_at = assignment_requests.created_at AND o.id < assignment_requests.id)));
CREATE UNIQUE INDEX assignment_requests_one_open ON assignment_requests (target_id, access_package_id)
    WHERE target_id IS NOT NULL
      AND state IN ('submitted', 'pendingApproval', 'approved', 'scheduled', 'delivering');
CREATE UNIQUE INDEX assignment_requests_one_open_identity
    ON assignment_requests (target_issuer, target_subject, access_package_id)
    WHERE target_id IS NULL
      AND state IN ('submitted', 'pendingApproval', 'approved', 'scheduled', 'delivering');

-- Sessions known to the server, so that signing out, blocking and "sign out
-- everywhere" end them for good, and idle ones end on their own. The cookie
-- carries the id; the row says whether it still holds.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT REFERENCES users (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_seen ON sessions (last_seen_at);

-- One-time codes are limited per client address too, so that nobody can
-- flood mailboxes, or lock someone else out by using up their guesses.
ALTER TABLE sign_in_codes ADD COLUMN client_address TEXT NOT NULL DEFAULT '';
CREATE INDEX sign_in_codes_client ON sign_in_codes (client_address, created_at);
CREATE TABLE sign_in_code_guesses (
    email_lower    TEXT NOT NULL,
    client_address TEXT NOT NULL,
    guessed_at     TEXT NOT NULL
);
CREATE INDEX sign_in_code_guesses_client ON sign_in_code_guesses (client_address, guessed_at, email_lower);

-- A message that can never be sent (its address or headers cannot be
-- built) is given up with its reason instead of blocking the rest.
ALTER TABLE mail_outbox ADD COLUMN abandoned_at TEXT;
