-- Custom extensions: endpoints a catalog's policies call at a request's or an
-- assignment's stages (Graph customCalloutExtension), and each call made.
CREATE TABLE custom_extensions (
    id               TEXT PRIMARY KEY,
    catalog_id       TEXT NOT NULL REFERENCES catalogs (id) ON DELETE CASCADE,
    display_name     TEXT NOT NULL,
    name_lower       TEXT NOT NULL,
    description      TEXT,
    endpoint_url     TEXT NOT NULL,
    -- 'signature': Standard Webhooks headers signed with `secret` (whsec_...);
    -- 'oauth': a bearer token from `token_url` (client credentials, `secret`
    -- the client secret). The secret is never shown after it is entered.
    authentication   TEXT NOT NULL CHECK (authentication IN ('signature', 'oauth')),
    secret           TEXT NOT NULL,
    token_url        TEXT,
    client_id        TEXT,
    scope            TEXT,
    timeout_seconds  BIGINT NOT NULL,
    behavior         TEXT NOT NULL CHECK (behavior IN ('launchAndContinue', 'launchAndWait')),
    max_wait_minutes BIGINT,
    on_timeout       TEXT CHECK (on_timeout IN ('continue', 'deny')),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX custom_extensions_name ON custom_extensions (catalog_id, name_lower);

-- Which extension a policy calls at each stage. No cascade from the
-- extension: it cannot be deleted while a policy uses it.
CREATE TABLE policy_custom_extensions (
    policy_id    TEXT NOT NULL REFERENCES assignment_policies (id) ON DELETE CASCADE,
    stage        TEXT NOT NULL,
    extension_id TEXT NOT NULL REFERENCES custom_extensions (id),
    PRIMARY KEY (policy_id, stage)
);
CREATE INDEX policy_custom_extensions_extension ON policy_custom_extensions (extension_id);

-- Each call: queued in the transaction of the change that causes it, sent by
-- the worker with retries. `id` is the idempotency key (`webhook-id`) and the
-- stage instance id a callback names. `payload` is fixed at the first try,
-- so every try sends the same body.
CREATE TABLE custom_extension_callouts (
    id              TEXT PRIMARY KEY,
    extension_id    TEXT NOT NULL REFERENCES custom_extensions (id) ON DELETE CASCADE,
    stage           TEXT NOT NULL,
    request_id      TEXT,
    assignment_id   TEXT,
    payload         TEXT,
    -- Launch and wait: the token a callback must bear (cleared when the wait
    -- ends), when the wait ends at the latest, and what happens then.
    callback_token  TEXT,
    wait_until      TEXT,
    on_timeout      TEXT,
    state           TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'waiting', 'resumed', 'approved', 'denied', 'canceled', 'timedOut', 'failed', 'abandoned')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    last_status     BIGINT,
    duration_ms     BIGINT,
    detail          TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    finished_at     TEXT
);
CREATE INDEX custom_extension_callouts_due ON custom_extension_callouts (state, next_attempt_at);
CREATE INDEX custom_extension_callouts_wait ON custom_extension_callouts (state, wait_until);
CREATE INDEX custom_extension_callouts_request ON custom_extension_callouts (request_id, created_at);
CREATE INDEX custom_extension_callouts_assignment ON custom_extension_callouts (assignment_id, created_at);
