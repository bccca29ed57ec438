CREATE TABLE t (a int);
CREATE AGGREGATE mysum(int) (SFUNC = int4pl, STYPE = int);
