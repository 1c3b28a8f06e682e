-- The settings of the policy a request was made under (its settings document),
-- kept with the request: a later edit of the policy (its approval stages, how
-- long access lasts) applies to new requests only. Empty for requests made
-- before, which follow the policy as it is.
ALTER TABLE assignment_requests ADD COLUMN policy_settings TEXT;
