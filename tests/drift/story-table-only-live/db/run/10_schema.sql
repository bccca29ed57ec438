CREATE TABLE IF NOT EXISTS stores (id int);
