CREATE TYPE mood AS ENUM ('ok', 'sad');
CREATE TYPE pair AS (a int, b int);
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE TABLE IF NOT EXISTS t (id int, owner text);
CREATE POLICY t_owner ON t USING (owner = current_user);
-- guarded forms
DO $$ BEGIN
  CREATE TYPE colour AS ENUM ('red');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
DROP POLICY IF EXISTS t_reader ON t;
CREATE POLICY t_reader ON t FOR SELECT USING (true);
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'size') THEN
    CREATE TYPE size AS ENUM ('s', 'm');
  END IF;
END $$;
