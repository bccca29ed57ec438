CREATE TABLE stores (store_id integer PRIMARY KEY, store_nm text NOT NULL, tel varchar(20));
