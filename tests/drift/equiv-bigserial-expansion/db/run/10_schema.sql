CREATE TABLE IF NOT EXISTS t (id bigserial, n serial);
