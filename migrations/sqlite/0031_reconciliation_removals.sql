-- A removal the reconciliation queued for a member of a linked group that
-- Gatehouse did not grant: who it is in the target (a DN, a uid or a SCIM
-- User id). Such an operation has no person: its user_id is a key made of
-- this value ("reconcile:" and the SHA-256 of the value in lower case), so
-- that two removals of one member run in order and the worker applies it
-- as it applies every other. Null for the ledger's operations.
ALTER TABLE provisioning_operations ADD COLUMN member_value TEXT;

-- One waiting removal per member of a group, however many runs queue it.
CREATE UNIQUE INDEX provisioning_reconcile_removal ON provisioning_operations (link_id, user_id)
    WHERE state = 'pending' AND member_value IS NOT NULL;
-- The removals looked at again before each claim, without reading every
-- waiting operation.
CREATE INDEX provisioning_reconcile_due ON provisioning_operations (next_attempt_at)
    WHERE state = 'pending' AND member_value IS NOT NULL;
-- Who a member value is in a system, whatever its case.
CREATE INDEX provisioned_accounts_member_lower ON provisioned_accounts (system_id, lower(member_value));
