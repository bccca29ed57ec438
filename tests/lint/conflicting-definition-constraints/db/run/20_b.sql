-- the same definitions, spelt differently: no finding
ALTER TABLE t DROP CONSTRAINT IF EXISTS t_a_pos, ADD CONSTRAINT t_a_pos CHECK (a > 0);
DO $$ BEGIN
  ALTER TABLE public.t ADD CONSTRAINT t_b_small CHECK (b < 100) NOT VALID;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
-- other definitions under the same names
ALTER TABLE t DROP CONSTRAINT IF EXISTS t_b_pos, ADD CONSTRAINT t_b_pos CHECK (b > 1);
DO $$ BEGIN
  ALTER TABLE t ADD CONSTRAINT t_ab CHECK (a <> b), ADD CONSTRAINT t_a_small CHECK (a < 10);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
