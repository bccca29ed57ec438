CREATE TABLE t (a character varying(20), b character(3), c decimal(10,2));
