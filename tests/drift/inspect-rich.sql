-- A schema with every kind of object the model covers (and one it does not),
-- for the inspect round trip of tests/integration/drift.t.
CREATE SCHEMA IF NOT EXISTS app;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE app.pair AS (a integer, b text COLLATE "C");
CREATE DOMAIN app.posint AS integer DEFAULT 1 NOT NULL CONSTRAINT posint_check CHECK (VALUE > 0);
ALTER DOMAIN app.posint ADD CONSTRAINT posint_small CHECK (VALUE < 1000000) NOT VALID;
CREATE SEQUENCE app.counter AS integer INCREMENT BY 2 START WITH 10 CACHE 5 CYCLE;
CREATE TABLE app.stores (
  store_id serial PRIMARY KEY,
  name varchar(50) NOT NULL UNIQUE,
  code text COLLATE "C" DEFAULT 'x',
  mood app.mood DEFAULT 'ok',
  qty app.posint,
  big bigint GENERATED ALWAYS AS IDENTITY,
  twice integer GENERATED ALWAYS AS (store_id * 2) STORED,
  CONSTRAINT name_len CHECK (length(name) > 1)
);
CREATE UNLOGGED TABLE app.cache (k text PRIMARY KEY, v jsonb) WITH (fillfactor=70);
CREATE TABLE app.items (
  id bigserial PRIMARY KEY,
  store_id integer REFERENCES app.stores DEFERRABLE INITIALLY DEFERRED,
  price numeric(10,2) CHECK (price >= 0),
  tags text[],
  during tstzrange,
  EXCLUDE USING gist (during WITH &&)
);
ALTER TABLE app.items ADD CONSTRAINT items_price_max CHECK (price < 1000) NOT VALID;
CREATE INDEX items_store_idx ON app.items (store_id) WHERE price > 0;
CREATE UNIQUE INDEX items_lower_idx ON app.items (lower(tags[1]));
CREATE TABLE app.events (id bigint, at timestamptz NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_default PARTITION OF app.events DEFAULT;
CREATE INDEX events_at_idx ON app.events (at);
CREATE TABLE app.parent (a int);
CREATE TABLE app.child (b int) INHERITS (app.parent);
CREATE VIEW app.cheap AS SELECT id, price FROM app.items WHERE price < 10 WITH LOCAL CHECK OPTION;
CREATE MATERIALIZED VIEW app.store_count AS SELECT store_id, count(*) AS n FROM app.items GROUP BY store_id;
CREATE INDEX store_count_idx ON app.store_count (store_id);
CREATE FUNCTION app.add(a integer, b integer DEFAULT 1) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT a + b $$;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql SET search_path = app AS $$ BEGIN NEW.price := coalesce(NEW.price, 0); RETURN NEW; END $$;
CREATE FUNCTION app.total(s integer) RETURNS numeric LANGUAGE sql STABLE BEGIN ATOMIC SELECT sum(price) FROM app.items WHERE store_id = s; END;
CREATE PROCEDURE app.reset_cache() LANGUAGE sql AS $$ DELETE FROM app.cache $$;
CREATE TRIGGER items_touch BEFORE INSERT OR UPDATE ON app.items FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE TRIGGER items_touch2 BEFORE INSERT ON app.items FOR EACH ROW EXECUTE FUNCTION app.touch();
ALTER TABLE app.items DISABLE TRIGGER items_touch2;
ALTER TABLE app.stores ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.stores FORCE ROW LEVEL SECURITY;
CREATE POLICY stores_read ON app.stores FOR SELECT TO PUBLIC USING (store_id > 0);
CREATE POLICY stores_write ON app.stores AS RESTRICTIVE FOR UPDATE USING (true) WITH CHECK (name <> '');
COMMENT ON SCHEMA app IS 'the app';
COMMENT ON TABLE app.stores IS 'stores';
COMMENT ON COLUMN app.stores.name IS 'the name';
COMMENT ON CONSTRAINT name_len ON app.stores IS 'len';
COMMENT ON INDEX app.items_store_idx IS 'idx';
COMMENT ON VIEW app.cheap IS 'cheap';
COMMENT ON FUNCTION app.add(integer, integer) IS 'adds';
COMMENT ON TYPE app.mood IS 'mood';
COMMENT ON DOMAIN app.posint IS 'pos';
COMMENT ON SEQUENCE app.counter IS 'ctr';
COMMENT ON TRIGGER items_touch ON app.items IS 'trg';
COMMENT ON POLICY stores_read ON app.stores IS 'pol';
COMMENT ON MATERIALIZED VIEW app.store_count IS 'mv';
CREATE AGGREGATE app.total_sum(integer) (SFUNC = int4pl, STYPE = integer);
CREATE TABLE public.plain (id int);
COMMENT ON COLUMN app.items.price IS 'it''s the price';
GRANT USAGE ON SCHEMA app TO PUBLIC;
GRANT SELECT ON app.stores TO PUBLIC;
GRANT SELECT (price), UPDATE (price) ON app.items TO PUBLIC;
DO $$ BEGIN CREATE ROLE ssot_test_reader; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
GRANT SELECT ON app.cheap TO ssot_test_reader WITH GRANT OPTION;
GRANT SELECT, INSERT ON app.stores TO ssot_test_reader;
REVOKE EXECUTE ON FUNCTION app.add(integer, integer) FROM PUBLIC;
CREATE SCHEMA ssot;
CREATE TABLE ssot.runs (id int);
CREATE TABLE "Mixed Case" ("Weird ""Col""" int, "select" text);
CREATE INDEX "Mixed Case_idx" ON "Mixed Case" ("select");
