CREATE TABLE IF NOT EXISTS t (
  a int CONSTRAINT t_a_pos CHECK (a > 0),
  b int CONSTRAINT t_b_pos CHECK (b > 0) NOT NULL,
  CONSTRAINT t_ab CHECK (a <> b)
);
DO $$ BEGIN
  ALTER TABLE t ADD CONSTRAINT t_a_small CHECK (a < 100), ADD CONSTRAINT t_b_small CHECK (b < 100);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
