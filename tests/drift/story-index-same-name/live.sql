CREATE TABLE orders (id int, store_id int, created_at timestamptz);
CREATE INDEX orders_store_idx ON orders (store_id);
