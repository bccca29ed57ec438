DO $$
BEGIN
    CREATE TYPE mood AS ENUM ('sad', 'ok');
EXCEPTION WHEN duplicate_object THEN
    NULL;
END
$$;
CREATE TABLE IF NOT EXISTS t (m mood DEFAULT 'ok');
