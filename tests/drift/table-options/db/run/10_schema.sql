CREATE TABLE IF NOT EXISTS t (a int) WITH (fillfactor = 70);
