CREATE DOMAIN posint AS bigint;
