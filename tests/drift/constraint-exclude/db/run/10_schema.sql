CREATE TABLE IF NOT EXISTS r (during tstzrange, EXCLUDE USING gist (during WITH &&));
