-- Development data (ssot apply --seed). Idempotent: re-running adds nothing.
INSERT INTO stores (store_id, store_nm, addr, tel_no) VALUES
    (1, 'Central', '1 Main St', '555-0100'),
    (2, 'Harbour', '9 Quay Rd', '555-0199')
ON CONFLICT (store_id) DO UPDATE
    SET store_nm = EXCLUDED.store_nm, addr = EXCLUDED.addr, tel_no = EXCLUDED.tel_no;

INSERT INTO products (sku, title) VALUES ('TEA-1', 'Green tea'), ('CUP-2', 'Mug')
ON CONFLICT (sku) DO NOTHING;
