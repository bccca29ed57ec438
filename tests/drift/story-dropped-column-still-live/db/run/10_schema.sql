CREATE TABLE IF NOT EXISTS products (id int PRIMARY KEY, title text);
