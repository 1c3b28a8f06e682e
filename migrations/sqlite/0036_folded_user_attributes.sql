-- SCIM filters compare a person's given name, surname, job title and
-- department without regard to case. SQLite's lower() folds ASCII letters
-- only (É stays É), so the folded values are kept beside them, written by
-- Gatehouse (which folds every letter) with the values themselves. Rows
-- written before keep what lower() gives until they next change.
ALTER TABLE users ADD COLUMN given_name_lower TEXT;
ALTER TABLE users ADD COLUMN surname_lower TEXT;
ALTER TABLE users ADD COLUMN job_title_lower TEXT;
ALTER TABLE users ADD COLUMN department_lower TEXT;
UPDATE users SET given_name_lower = lower(given_name), surname_lower = lower(surname),
    job_title_lower = lower(job_title), department_lower = lower(department);
