CREATE TABLE p (a int);
CREATE TABLE c (a int, b int);
