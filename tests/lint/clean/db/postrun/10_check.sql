DO $$ BEGIN
  ASSERT (SELECT count(*) FROM app.stores) > 0, 'no stores';
END $$;
