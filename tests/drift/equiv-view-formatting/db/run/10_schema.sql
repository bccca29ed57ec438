CREATE TABLE IF NOT EXISTS t (a int, b int);
CREATE OR REPLACE VIEW v AS
    SELECT a,
           b
      FROM t
     WHERE a > 0;
