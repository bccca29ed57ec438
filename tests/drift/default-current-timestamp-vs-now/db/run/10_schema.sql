CREATE TABLE IF NOT EXISTS t (c timestamptz DEFAULT now());
