CREATE TABLE t (a int, b int);
create view v as select t.a, t.b from public.t where (a>0);
