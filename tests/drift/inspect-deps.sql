-- Objects that need each other across kinds and schemas, for the inspect
-- round trip of tests/integration/drift.t: a domain whose CHECK calls a
-- function, a default calling a function, a function returning a table's
-- rows, a SQL-standard body reading a view, views on views across schemas.
CREATE SCHEMA z;
CREATE SCHEMA y;
CREATE FUNCTION z.next_code() RETURNS text LANGUAGE sql AS $$ SELECT 'c' || floor(random() * 100)::text $$;
CREATE FUNCTION z.is_pos(int) RETURNS bool LANGUAGE sql IMMUTABLE AS $$ SELECT $1 > 0 $$;
CREATE DOMAIN z.pos AS int CHECK (z.is_pos(VALUE));
CREATE TYPE z.addr AS (street text, zip text);
CREATE TABLE z.base (id int PRIMARY KEY, code text DEFAULT z.next_code(), n z.pos, a z.addr);
CREATE TABLE y.other (id int REFERENCES z.base);
CREATE VIEW z.v1 AS SELECT id, code FROM z.base;
CREATE VIEW y.v2 AS SELECT id FROM z.v1 WHERE id > 1;
CREATE VIEW z.v3 AS SELECT * FROM y.v2;
CREATE FUNCTION z.all_rows() RETURNS SETOF z.base LANGUAGE sql AS $$ SELECT * FROM z.base $$;
CREATE FUNCTION z.atomic(i int) RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM y.v2 WHERE id = i; END;
CREATE TABLE z.uses_fn (x bigint DEFAULT z.atomic(1));
