CREATE TABLE IF NOT EXISTS product_prices (id int, store_id int REFERENCES stores (store_id));
CREATE TABLE IF NOT EXISTS categories (id int PRIMARY KEY, parent int REFERENCES categories (id));
