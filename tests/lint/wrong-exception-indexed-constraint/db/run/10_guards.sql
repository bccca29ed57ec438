-- What a second run of ADD CONSTRAINT raises depends on the constraint:
-- UNIQUE and EXCLUDE create an index (duplicate_table), a second PRIMARY
-- KEY is refused (invalid_table_definition), CHECK and FOREIGN KEY raise
-- duplicate_object.
CREATE TABLE IF NOT EXISTS t (id int);
DO $$ BEGIN
  ALTER TABLE t ADD CONSTRAINT t_id_key UNIQUE (id);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
DO $$ BEGIN
  ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY (id);
EXCEPTION WHEN duplicate_table OR duplicate_object THEN NULL;
END $$;
DO $$ BEGIN
  ALTER TABLE t ADD CONSTRAINT t_id_excl EXCLUDE (id WITH =);
EXCEPTION WHEN duplicate_table THEN NULL;
END $$;
DO $$ BEGIN
  ALTER TABLE t ADD CONSTRAINT t_pkey2 PRIMARY KEY (id);
EXCEPTION WHEN invalid_table_definition THEN NULL;
END $$;
DO $$ BEGIN
  ALTER TABLE t ADD CONSTRAINT t_id_check CHECK (id > 0);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
