CREATE TABLE IF NOT EXISTS t (a int, b int);
