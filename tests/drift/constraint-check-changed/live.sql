CREATE TABLE t (price numeric CONSTRAINT price_ok CHECK (price > 0));
