CREATE TABLE IF NOT EXISTS p (id int PRIMARY KEY);
CREATE TABLE IF NOT EXISTS t (
    id int PRIMARY KEY,
    code text UNIQUE,
    p_id int REFERENCES p (id),
    n int CHECK (n > 0)
);
