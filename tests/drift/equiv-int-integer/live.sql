CREATE TABLE t (a integer, b integer, c bigint, d int2, e double precision, f boolean);
