CREATE TABLE IF NOT EXISTS t (tags text[]);
