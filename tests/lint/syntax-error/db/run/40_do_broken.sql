-- A syntax error inside a DO block is the server's to report when the block
-- runs; lint still checks the other statements of the block.
DO $$
BEGIN
  CREATE TABLE IF NOT EXISTS v (id int;
  CREATE TABLE w (id int);
END $$;
