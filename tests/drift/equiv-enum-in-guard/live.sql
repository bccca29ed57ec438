CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TABLE t (m public.mood DEFAULT 'ok'::mood);
