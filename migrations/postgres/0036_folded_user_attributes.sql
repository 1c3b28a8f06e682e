-- SCIM filters compare a person's given name, surname, job title and
-- department without regard to case. What lower() folds depends on the
-- database's locale (a C locale folds ASCII letters only), so the folded
-- values are kept beside them, written by Gatehouse with the values
-- themselves, as on SQLite.
ALTER TABLE users ADD COLUMN given_name_lower TEXT;
ALTER TABLE users ADD COLUMN surname_lower TEXT;
ALTER TABLE users ADD COLUMN job_title_lower TEXT;
ALTER TABLE users ADD COLUMN department_lower TEXT;
UPDATE users SET given_name_lower = lower(given_name), surname_lower = lower(surname),
    job_title_lower = lower(job_title), department_lower = lower(department);
