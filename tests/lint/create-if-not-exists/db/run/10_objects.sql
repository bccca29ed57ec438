CREATE SCHEMA app;
CREATE TABLE app.orders (id bigint PRIMARY KEY);
CREATE INDEX orders_id_idx ON app.orders (id);
CREATE INDEX ON app.orders (id);
CREATE SEQUENCE app.order_no;
CREATE MATERIALIZED VIEW app.order_stats AS SELECT count(*) AS n FROM app.orders;
CREATE EXTENSION pgcrypto;
CREATE TABLE app.orders_copy AS SELECT * FROM app.orders;
-- the idempotent forms
CREATE SCHEMA IF NOT EXISTS app;
CREATE TABLE IF NOT EXISTS app.orders (id bigint PRIMARY KEY);
CREATE INDEX IF NOT EXISTS orders_id_idx ON app.orders (id);
