-- A removal the reconciliation queued for a member of a linked group that
-- Gatehouse did not grant: who it is in the target (a DN, a uid or a SCIM
-- User id). Such an operation has no person: its user_id is a key made of
-- this value ("reconcile:" and the value in lower case), so that two
-- removals of one member run in order and the worker applies it as it
-- applies every other. Null for the ledger's operations.
ALTER TABLE provisioning_operations ADD COLUMN member_value TEXT;
