CREATE SEQUENCE t_id_seq;
CREATE SEQUENCE t_n_seq AS integer;
CREATE TABLE t (id bigint NOT NULL DEFAULT nextval('t_id_seq'), n integer NOT NULL DEFAULT nextval('t_n_seq'::regclass));
ALTER SEQUENCE t_id_seq OWNED BY t.id;
ALTER SEQUENCE t_n_seq OWNED BY t.n;
