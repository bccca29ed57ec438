CREATE TABLE stores (store_id int PRIMARY KEY);
CREATE TABLE product_prices (product_id int, store_id int);
