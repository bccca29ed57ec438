CREATE TABLE IF NOT EXISTS orders (id int, store_id int, created_at timestamptz);
CREATE INDEX IF NOT EXISTS orders_store_idx ON orders (store_id, created_at);
