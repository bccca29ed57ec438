CREATE DOMAIN posint AS int;
