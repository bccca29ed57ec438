CREATE SCHEMA IF NOT EXISTS app;
SET search_path = app;
