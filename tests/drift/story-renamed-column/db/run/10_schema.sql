CREATE TABLE IF NOT EXISTS stores (
    store_id integer PRIMARY KEY,
    store_nm text NOT NULL,
    tel_no varchar(20)
);
