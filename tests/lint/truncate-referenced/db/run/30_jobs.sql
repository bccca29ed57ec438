CREATE OR REPLACE FUNCTION reload_stores() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE stores;
  INSERT INTO stores VALUES (1, 'a');
END $$;
