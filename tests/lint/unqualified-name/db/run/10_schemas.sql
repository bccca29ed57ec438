CREATE SCHEMA IF NOT EXISTS billing;
CREATE TABLE IF NOT EXISTS billing.invoices (id int);
CREATE TABLE IF NOT EXISTS customers (id int);
CREATE INDEX IF NOT EXISTS customers_id_idx ON customers (id);
