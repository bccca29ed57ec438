CREATE TABLE orders (id int, status text DEFAULT 'open');
