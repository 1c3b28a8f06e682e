-- "Reconcile now" and "Sync now" ask the jobs to run at once, rather than
-- running inside the administrator's request (a large directory takes a
-- minute): when each was asked for (none while nobody waits for one), and
-- until when the instance that took it holds it (another takes it after
-- that, should that instance have stopped).
ALTER TABLE connected_systems ADD COLUMN reconcile_requested_at TEXT;
ALTER TABLE connected_systems ADD COLUMN reconcile_taken_until TEXT;
ALTER TABLE connected_systems ADD COLUMN import_requested_at TEXT;
ALTER TABLE connected_systems ADD COLUMN import_taken_until TEXT;
