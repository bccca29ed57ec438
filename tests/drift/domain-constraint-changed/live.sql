CREATE DOMAIN posint AS int CONSTRAINT posint_check CHECK (VALUE >= 0);
