CREATE TABLE p (id int, CONSTRAINT p_pkey PRIMARY KEY (id));
CREATE TABLE t (id int, code text, p_id int, n int,
  CONSTRAINT t_pkey PRIMARY KEY (id), CONSTRAINT t_code_key UNIQUE (code),
  CONSTRAINT t_p_id_fkey FOREIGN KEY (p_id) REFERENCES p, CONSTRAINT t_n_check CHECK ((n > 0)));
