CREATE TABLE IF NOT EXISTS t (a text DEFAULT 'x', b int DEFAULT 1 CHECK (b>0), c timestamptz DEFAULT now());
