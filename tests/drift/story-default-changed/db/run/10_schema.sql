CREATE TABLE IF NOT EXISTS orders (id int, status text DEFAULT 'new');
