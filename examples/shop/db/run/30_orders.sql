-- Orders, and a function that totals them.
CREATE TABLE IF NOT EXISTS orders (
    order_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id   integer NOT NULL REFERENCES stores,
    status     order_status NOT NULL DEFAULT 'new',
    total      numeric(12,2) NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS orders_store_idx ON orders (store_id, created_at);

CREATE OR REPLACE FUNCTION store_revenue(p_store integer)
RETURNS numeric
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(sum(total), 0) FROM orders WHERE store_id = p_store AND status <> 'new'
$$;
