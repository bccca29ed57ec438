CREATE TABLE IF NOT EXISTS t (id int);
CREATE INDEX IF NOT EXISTS t_id_idx ON t (id);
CREATE INDEX IF NOT EXISTS legacy_id_idx ON legacy (id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS legacy_name_idx ON legacy (name);
