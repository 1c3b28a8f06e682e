-- Ending an assignment changes its state, and every index holding the state
-- changes with it. (target_id, access_package_id) already serves the
-- per-holder lookups, whose few rows are then checked for their state, so
-- these two only slowed each expiration and removal.
DROP INDEX assignments_target_state;
DROP INDEX assignments_target;

-- The jobs take due assignments in (end, id) order, and the reminders page
-- through them by that key: with the id in the index neither sorts the rows
-- that end at the same moment.
DROP INDEX assignments_due;
CREATE INDEX assignments_due ON access_package_assignments (state, end_at, id);

-- Taking back what ended assignments granted asks, per resource role, which
-- other packages grant it and where each resource comes from; these answer
-- from the index alone, without a page of the table per row.
DROP INDEX role_scopes_resource;
CREATE INDEX role_scopes_resource ON access_package_resource_role_scopes (catalog_resource_id, role_origin_id, access_package_id);
CREATE INDEX catalog_resources_kind ON catalog_resources (id, origin_system, origin_id);
