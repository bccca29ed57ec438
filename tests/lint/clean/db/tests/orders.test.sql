INSERT INTO app.orders (order_id, store_id, qty) VALUES (99, 1, 1);
DO $$ BEGIN ASSERT (SELECT count(*) FROM app.orders WHERE order_id = 99) = 1; END $$;
