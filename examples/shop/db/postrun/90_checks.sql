-- Runs last on every apply: a sanity check that fails the apply (and rolls
-- it back) if the schema is not what the application needs.
DO $$
BEGIN
    IF to_regclass('public.orders') IS NULL THEN
        RAISE EXCEPTION 'orders table is missing';
    END IF;
END
$$;
