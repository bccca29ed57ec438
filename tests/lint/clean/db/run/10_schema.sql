-- Every statement kind ssot lint checks, written in the idempotent style.
CREATE SCHEMA IF NOT EXISTS app;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE SEQUENCE IF NOT EXISTS app.order_no;

DO $$ BEGIN
  CREATE TYPE app.order_status AS ENUM ('new', 'paid', 'shipped');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

DO $$ BEGIN
  CREATE DOMAIN app.positive_int AS int CHECK (VALUE > 0);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'money_pair') THEN
    CREATE TYPE app.money_pair AS (amount numeric, currency text);
  END IF;
END $$;

CREATE TABLE IF NOT EXISTS app.stores (
  store_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL
);

CREATE TABLE IF NOT EXISTS app.orders (
  order_id bigint PRIMARY KEY DEFAULT nextval('app.order_no'),
  store_id bigint NOT NULL REFERENCES app.stores (store_id),
  status app.order_status NOT NULL DEFAULT 'new',
  qty app.positive_int NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS note text;
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS updated_at timestamptz DEFAULT now();

DO $$ BEGIN
  ALTER TABLE app.orders ADD CONSTRAINT orders_qty_max CHECK (qty < 10000);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

DO $$ BEGIN
  ALTER TABLE app.orders ADD CONSTRAINT orders_note_key UNIQUE (note);
EXCEPTION WHEN duplicate_table THEN NULL;
END $$;

ALTER TABLE app.orders DROP CONSTRAINT IF EXISTS orders_status_check,
  ADD CONSTRAINT orders_status_check CHECK (status <> 'shipped' OR note IS NOT NULL);

DO $$ BEGIN
  ALTER TABLE app.orders RENAME COLUMN comment TO note_old;
EXCEPTION WHEN undefined_column OR duplicate_column THEN NULL;
END $$;
ALTER TABLE IF EXISTS app.orders_old RENAME TO orders_archive;

CREATE INDEX IF NOT EXISTS orders_store_idx ON app.orders (store_id);
CREATE UNIQUE INDEX IF NOT EXISTS stores_lower_name_key ON app.stores (lower(name));

CREATE OR REPLACE VIEW app.open_orders AS
  SELECT order_id, store_id FROM app.orders WHERE status <> 'shipped';
CREATE MATERIALIZED VIEW IF NOT EXISTS app.order_counts AS
  SELECT store_id, count(*) AS n FROM app.orders GROUP BY store_id;

CREATE OR REPLACE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;

CREATE OR REPLACE PROCEDURE app.refresh_counts() LANGUAGE sql AS $$
  REFRESH MATERIALIZED VIEW app.order_counts;
$$;

CREATE OR REPLACE TRIGGER orders_touch BEFORE UPDATE ON app.orders
  FOR EACH ROW EXECUTE FUNCTION app.touch();
DROP TRIGGER IF EXISTS orders_audit ON app.orders;
CREATE TRIGGER orders_audit AFTER INSERT ON app.orders
  FOR EACH ROW EXECUTE FUNCTION app.touch();

ALTER TABLE app.orders ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS orders_by_store ON app.orders;
CREATE POLICY orders_by_store ON app.orders USING (store_id = current_setting('app.store')::bigint);

-- a job that replaces rows without TRUNCATE (stores is referenced by orders)
CREATE OR REPLACE FUNCTION app.reload_stores(names text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM app.stores WHERE name <> ALL (names)
    AND NOT EXISTS (SELECT 1 FROM app.orders o WHERE o.store_id = stores.store_id);
  INSERT INTO app.stores (name) SELECT unnest(names) ON CONFLICT DO NOTHING;
END $$;

CREATE INDEX IF NOT EXISTS orders_created_idx ON app.orders (created_at);

COMMENT ON TABLE app.orders IS 'one row per order';
GRANT SELECT ON app.open_orders TO PUBLIC;
SAVEPOINT before_reference_data;
