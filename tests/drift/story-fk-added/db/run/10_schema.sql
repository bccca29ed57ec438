CREATE TABLE IF NOT EXISTS stores (store_id int PRIMARY KEY);
CREATE TABLE IF NOT EXISTS product_prices (product_id int, store_id int REFERENCES stores);
