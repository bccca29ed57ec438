-- Products and their prices per store.
CREATE TABLE IF NOT EXISTS products (
    product_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku        text NOT NULL UNIQUE,
    title      text NOT NULL
);

CREATE TABLE IF NOT EXISTS product_prices (
    product_id bigint NOT NULL REFERENCES products,
    store_id   integer NOT NULL REFERENCES stores,
    price      numeric(10,2) NOT NULL CHECK (price >= 0),
    PRIMARY KEY (product_id, store_id)
);

-- CREATE TYPE has no IF NOT EXISTS: guard it.
DO $$
BEGIN
    CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped');
EXCEPTION WHEN duplicate_object THEN
    NULL;
END
$$;
