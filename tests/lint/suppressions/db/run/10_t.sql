-- ssot:ignore-file destructive-drop legacy clean-up, reviewed
CREATE TABLE IF NOT EXISTS t (id int);
-- ssot:ignore add-column-if-not-exists added once by hand in 2023
ALTER TABLE t ADD COLUMN note text;
ALTER TABLE t ADD COLUMN note2 text; -- ssot:ignore add-column-if-not-exists, drop-if-exists same line
-- ssot:ignore create-if-not-exists nothing here needs it
CREATE INDEX IF NOT EXISTS t_id_idx ON t (id);
-- ssot:ignore no-such-rule typo
DROP TABLE IF EXISTS old_t;
SELECT '-- ssot:ignore insert-on-conflict in a string is not a comment';
