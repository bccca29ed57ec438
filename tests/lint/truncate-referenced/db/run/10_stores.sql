CREATE TABLE IF NOT EXISTS stores (store_id int PRIMARY KEY, name text);
