CREATE TABLE t (a text DEFAULT 'x'::text, b integer DEFAULT (1) CONSTRAINT t_b_check CHECK ((b > 0)), c timestamp with time zone DEFAULT now());
