-- Automatic assignment policies: a policy whose rule (in its settings)
-- assigns the people who match it. The flag lets the job find them without
-- reading every policy; `out_of_scope_since` is when the holder of an
-- automatic assignment stopped matching, from which its grace period runs.
ALTER TABLE assignment_policies ADD COLUMN automatic INTEGER NOT NULL DEFAULT 0;
CREATE INDEX assignment_policies_automatic ON assignment_policies (automatic, enabled);
-- As in Entra, a package has one automatic assignment policy at most.
CREATE UNIQUE INDEX assignment_policies_one_automatic ON assignment_policies (access_package_id)
    WHERE automatic = 1;
ALTER TABLE access_package_assignments ADD COLUMN out_of_scope_since TEXT;
