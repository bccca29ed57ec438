CREATE TABLE stores (id int, name text);
