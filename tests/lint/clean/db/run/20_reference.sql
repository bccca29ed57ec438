-- reference data: idempotent, so it may live with the schema
INSERT INTO app.stores (name) VALUES ('main') ON CONFLICT DO NOTHING;
INSERT INTO app.stores (name)
  SELECT 'outlet' WHERE NOT EXISTS (SELECT 1 FROM app.stores WHERE name = 'outlet');
