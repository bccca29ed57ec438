CREATE TABLE IF NOT EXISTS stores (id int, name text NOT NULL);
