CREATE TABLE t (tags varchar[]);
