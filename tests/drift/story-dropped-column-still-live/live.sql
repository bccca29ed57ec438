CREATE TABLE products (id int PRIMARY KEY, title text, legacy_code text);
