-- café ☕: parse-tree locations are byte offsets into the whole file; columns count characters
CREATE TABLE IF NOT EXISTS t (id int);
ALTER TABLE t /* é */ ADD COLUMN é int;
DO $$ BEGIN
  /* ☕ */ TRUNCATE t CASCADE;
END $$;
