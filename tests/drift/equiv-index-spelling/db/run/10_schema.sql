CREATE TABLE IF NOT EXISTS t (a int, b text);
CREATE INDEX IF NOT EXISTS t_idx ON t (a, lower(b));
