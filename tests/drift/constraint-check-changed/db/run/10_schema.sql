CREATE TABLE IF NOT EXISTS t (price numeric CONSTRAINT price_ok CHECK (price >= 0));
