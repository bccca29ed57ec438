CREATE TABLE IF NOT EXISTS t (a int, b int4, c int8, d smallint, e float8, f bool);
