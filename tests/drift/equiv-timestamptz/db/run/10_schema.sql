CREATE TABLE IF NOT EXISTS t (a timestamptz, b timestamp, c timetz);
