CREATE TABLE t (a int, b text);
CREATE INDEX t_idx ON public.t USING btree (a ASC, (lower(b)));
