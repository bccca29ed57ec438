INSERT INTO app.orders (order_id, store_id, qty) VALUES (1, 1, 2)
  ON CONFLICT (order_id) DO UPDATE SET qty = EXCLUDED.qty;
UPDATE app.orders SET note = 'seeded' WHERE note IS NULL;
