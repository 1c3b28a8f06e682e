-- Access reviews: each policy's review settings, each review started from
-- them, each holder to review with who may decide for them, and the
-- decisions with what applying them did.
CREATE TABLE policy_reviews (
    policy_id    TEXT PRIMARY KEY REFERENCES assignment_policies (id) ON DELETE CASCADE,
    -- domain::review::ReviewSettings, as JSON.
    settings     TEXT NOT NULL,
    -- The day (YYYY-MM-DD) of the last review started: each day once.
    last_started TEXT
);

CREATE TABLE access_reviews (
    id                TEXT PRIMARY KEY,
    policy_id         TEXT NOT NULL REFERENCES assignment_policies (id) ON DELETE CASCADE,
    access_package_id TEXT NOT NULL REFERENCES access_packages (id) ON DELETE CASCADE,
    starts_at         TEXT NOT NULL,
    ends_at           TEXT NOT NULL,
    -- The settings as they were when it started.
    settings          TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('inProgress', 'completed', 'applied', 'stopped')),
    -- Reminders sent so far (half time, the day before the end).
    reminded          BIGINT NOT NULL DEFAULT 0,
    ended_at          TEXT,
    applied_at        TEXT,
    created_at        TEXT NOT NULL
);
CREATE INDEX access_reviews_package ON access_reviews (access_package_id, starts_at);
CREATE INDEX access_reviews_state ON access_reviews (state, ends_at);

CREATE TABLE access_review_items (
    review_id      TEXT NOT NULL REFERENCES access_reviews (id) ON DELETE CASCADE,
    assignment_id  TEXT NOT NULL,
    holder_id      TEXT NOT NULL,
    recommendation TEXT NOT NULL CHECK (recommendation IN ('approve', 'deny')),
    decision       TEXT CHECK (decision IN ('approve', 'deny')),
    decided_by     TEXT,
    reason         TEXT,
    decided_at     TEXT,
    -- What applying did: kept, removed, or ended (the assignment had ended).
    outcome        TEXT,
    PRIMARY KEY (review_id, assignment_id)
);

CREATE TABLE access_review_reviewers (
    review_id     TEXT NOT NULL REFERENCES access_reviews (id) ON DELETE CASCADE,
    assignment_id TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    PRIMARY KEY (review_id, assignment_id, user_id)
);
CREATE INDEX access_review_reviewers_user ON access_review_reviewers (user_id, review_id);
