-- a test that expects an error catches it on purpose: no finding
DO $$ BEGIN
  INSERT INTO t VALUES (NULL);
  RAISE EXCEPTION 'the insert should have failed';
EXCEPTION WHEN OTHERS THEN NULL;
END $$;
