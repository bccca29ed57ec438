CREATE TABLE t (id int);
CREATE SEQUENCE leftover;
