CREATE TABLE IF NOT EXISTS t (id int, price numeric(10,2), name varchar(20));
