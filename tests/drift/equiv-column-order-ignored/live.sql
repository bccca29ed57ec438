CREATE TABLE t (b int, a int);
