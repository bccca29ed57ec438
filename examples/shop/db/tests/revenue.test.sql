-- Tests run inside the apply's transaction (ssot apply --tests always) and
-- are rolled back. They pass when they raise nothing.
INSERT INTO stores (store_id, store_nm) VALUES (900, 'Test store');
INSERT INTO orders (store_id, status, total) VALUES (900, 'paid', 10.50), (900, 'new', 99);

DO $$
BEGIN
    ASSERT store_revenue(900) = 10.50, 'only paid orders count towards revenue';
END
$$;
