CREATE INDEX IF NOT EXISTS t_idx ON t (b);
CREATE INDEX IF NOT EXISTS t_same ON public.t (b);
CREATE INDEX IF NOT EXISTS t_same ON t (b);
CREATE TABLE IF NOT EXISTS t (a int, b int, c int);
