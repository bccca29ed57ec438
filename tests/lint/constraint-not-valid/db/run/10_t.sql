CREATE TABLE IF NOT EXISTS t (id int, qty int);
ALTER TABLE t ADD CONSTRAINT t_qty_check CHECK (qty > 0);
ALTER TABLE legacy ADD CONSTRAINT legacy_qty_check CHECK (qty > 0);
ALTER TABLE legacy ADD CONSTRAINT legacy_t_fk FOREIGN KEY (id) REFERENCES t (id);
ALTER TABLE legacy ADD CONSTRAINT legacy_ok_check CHECK (qty > 0) NOT VALID;
