CREATE DOMAIN posint AS int;
ALTER DOMAIN posint ADD CONSTRAINT posint_positive CHECK (VALUE > 0);
