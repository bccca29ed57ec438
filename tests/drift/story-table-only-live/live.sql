CREATE TABLE stores (id int);
CREATE TABLE phantom (id int, note text);
