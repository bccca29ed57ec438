-- Stores: one row per physical shop.
CREATE TABLE IF NOT EXISTS stores (
    store_id   integer PRIMARY KEY,
    store_nm   text NOT NULL,
    addr       text,
    tel_no     varchar(20)
);

ALTER TABLE stores ADD COLUMN IF NOT EXISTS opened_on date;

COMMENT ON TABLE stores IS 'physical shops';
