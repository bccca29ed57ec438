CREATE TABLE IF NOT EXISTS t (a varchar(20), b char(3), c numeric(10, 2));
