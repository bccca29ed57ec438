-- Index, constraint and column default shapes whose definitions ssot composes from the
-- catalog instead of asking pg_get_indexdef / pg_get_constraintdef, and the
-- shapes it leaves to the server. drift.t reads this database both ways
-- (SSOT_CATALOG_SERVER_DEFS=1) and expects the same model, byte for byte.
CREATE SCHEMA shapes;
CREATE SCHEMA "Other Schema";

CREATE TABLE shapes.parent (
  id bigint GENERATED ALWAYS AS IDENTITY,
  code varchar(20) NOT NULL,
  "Order" text,
  "user" integer,
  region text COLLATE "C",
  a int, b int, c int,
  PRIMARY KEY (id) INCLUDE (code),
  CONSTRAINT parent_code_key UNIQUE (code),
  CONSTRAINT parent_ab_key UNIQUE NULLS NOT DISTINCT (a, b) INCLUDE (c, "Order"),
  CONSTRAINT parent_ab_c_key UNIQUE (a, b, c),
  CONSTRAINT parent_bc_key UNIQUE (b, c) DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE "Other Schema"."Referenced Table" ("Key" int PRIMARY KEY, "select" int UNIQUE);

CREATE TABLE shapes.child (
  id bigint PRIMARY KEY,
  parent_id bigint REFERENCES shapes.parent,
  parent_code varchar(20),
  x int, y int, z int,
  other_key int,
  CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES shapes.parent (id)
    MATCH FULL ON UPDATE CASCADE ON DELETE SET NULL (parent_id),
  CONSTRAINT child_code_fk FOREIGN KEY (parent_code) REFERENCES shapes.parent (code)
    ON DELETE CASCADE DEFERRABLE,
  CONSTRAINT child_abc_fk FOREIGN KEY (x, y, z) REFERENCES shapes.parent (a, b, c)
    ON UPDATE RESTRICT ON DELETE SET DEFAULT,
  CONSTRAINT child_other_fk FOREIGN KEY (other_key) REFERENCES "Other Schema"."Referenced Table" ("select")
    ON UPDATE SET NULL,
  CONSTRAINT child_xy_check CHECK (x < y),
  CONSTRAINT child_z_check CHECK (z > 0) NOT VALID
);
ALTER TABLE shapes.child ADD CONSTRAINT child_unvalidated_fk FOREIGN KEY (parent_id)
  REFERENCES shapes.parent (id) NOT VALID;

-- composed: plain b-tree columns with their defaults
CREATE INDEX child_xyz_idx ON shapes.child (x, y DESC, z NULLS FIRST);
CREATE INDEX child_desc_idx ON shapes.child (x DESC NULLS LAST, y ASC NULLS LAST, z DESC NULLS FIRST);
CREATE UNIQUE INDEX child_inc_idx ON shapes.child (id) INCLUDE (x, y);
CREATE INDEX "Mixed ""Quoted"" idx" ON shapes.parent ("Order", "user");
CREATE INDEX parent_region_idx ON shapes.parent (region COLLATE "C");
-- left to the server: varchar through text_ops, another operator class, a
-- collation of its own, expressions, predicates, options, other methods
CREATE INDEX parent_code_idx ON shapes.parent (code);
CREATE INDEX parent_order_pattern_idx ON shapes.parent ("Order" text_pattern_ops);
CREATE INDEX parent_region_ci_idx ON shapes.parent (region COLLATE "POSIX");
CREATE INDEX parent_lower_idx ON shapes.parent (lower("Order"));
CREATE INDEX parent_partial_idx ON shapes.parent (a) WHERE b > 0;
CREATE INDEX parent_ff_idx ON shapes.parent (b) WITH (fillfactor = 70);
CREATE INDEX parent_hash_idx ON shapes.parent USING hash (c);
CREATE UNIQUE INDEX parent_nnd_idx ON shapes.parent (c, a) NULLS NOT DISTINCT;

CREATE TABLE shapes.part (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE shapes.part_2026 PARTITION OF shapes.part FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX part_at_idx ON shapes.part (at);
CREATE INDEX part_2026_own_idx ON shapes.part_2026 (id DESC);

CREATE TABLE shapes.ex (r int4range, EXCLUDE USING gist (r WITH &&));

-- CHECK expressions: composed from pg_constraint.conbin (src/deparse.c) ...
CREATE TABLE shapes.checks (
  qty int, big bigint, small smallint, flag boolean, "Weird Col" int, a int, b int, t text, n numeric,
  v varchar(10), d date, "select" int,
  CONSTRAINT c_ge CHECK (qty >= 0),
  CONSTRAINT c_cross CHECK (big >= 0 AND small < 10),
  CONSTRAINT c_neg CHECK (qty > -5),
  CONSTRAINT c_min CHECK (qty > -2147483648 AND qty <> 2147483647),
  CONSTRAINT c_bool CHECK (flag = true OR flag = false),
  CONSTRAINT c_bare CHECK (flag),
  CONSTRAINT c_not CHECK (NOT flag OR NOT (qty = 3)),
  CONSTRAINT c_null CHECK (a IS NOT NULL AND (b IS NULL OR b > a)),
  CONSTRAINT c_quoted CHECK ("Weird Col" > 0 AND "select" < 100),
  CONSTRAINT c_arith CHECK (a + b > 0),
  CONSTRAINT c_text CHECK (t <> '' AND t <> 'it''s'),
  CONSTRAINT c_nested CHECK (a = b OR a = 1 AND b = 2 OR NOT (a < b AND b < 3))
);
ALTER TABLE shapes.checks ADD CONSTRAINT c_noinherit CHECK (qty < 1000) NO INHERIT;
ALTER TABLE shapes.checks ADD CONSTRAINT c_notvalid CHECK (a > 2) NOT VALID;
-- ... and left to the server: casts, functions, IN lists, other constants
ALTER TABLE shapes.checks ADD CONSTRAINT c_bigint CHECK (big > 5000000000),
  ADD CONSTRAINT c_bigint_neg CHECK (big <> '-3'::bigint),
  ADD CONSTRAINT s_numeric CHECK (n > 0),
  ADD CONSTRAINT s_in CHECK (t IN ('a', 'b')),
  ADD CONSTRAINT s_func CHECK (char_length(t) < 100),
  ADD CONSTRAINT s_varchar CHECK (v <> 'x'),
  ADD CONSTRAINT s_date CHECK (d > '2020-01-01'),
  ADD CONSTRAINT s_collate CHECK (t < 'm' COLLATE "C"),
  ADD CONSTRAINT s_unicode CHECK (t <> 'é'),
  ADD CONSTRAINT s_backslash CHECK (t <> 'a\b');
COMMENT ON INDEX shapes.child_xyz_idx IS 'composed';
COMMENT ON CONSTRAINT child_parent_fk ON shapes.child IS 'fk';
COMMENT ON COLUMN shapes.child.x IS 'x';
-- Column defaults: composed (constants, implicit casts at the top, now(),
-- nextval of a sequence read, CURRENT_TIMESTAMP and kin) and the server's
CREATE SCHEMA "Shapes Seq";
CREATE SEQUENCE "Shapes Seq"."odd ""seq""";
CREATE SEQUENCE shapes.plain_seq;
CREATE TYPE shapes.mood AS ENUM ('ok', 'sad');
CREATE TABLE shapes.defaults (
  a int DEFAULT 0, b int DEFAULT -1, c bigint DEFAULT 0, d bigint DEFAULT -5, e smallint DEFAULT 3,
  f smallint DEFAULT -2, g bool DEFAULT true, h bool DEFAULT false, i text DEFAULT 'x', j text DEFAULT 'it''s',
  k text DEFAULT '', l varchar(10) DEFAULT 'v', m timestamptz DEFAULT now(), n timestamptz DEFAULT CURRENT_TIMESTAMP,
  o timestamptz DEFAULT CURRENT_TIMESTAMP(3), p date DEFAULT CURRENT_DATE, q time DEFAULT LOCALTIME,
  r timestamp DEFAULT LOCALTIMESTAMP(2), s timetz DEFAULT CURRENT_TIME, t uuid DEFAULT gen_random_uuid(),
  u bigserial, v int DEFAULT nextval('"Shapes Seq"."odd ""seq"""'), w bigint DEFAULT nextval('shapes.plain_seq'),
  x numeric DEFAULT 0, y numeric(10,2) DEFAULT 1.5, z shapes.mood DEFAULT 'ok', aa int DEFAULT 1 + 2,
  ab text DEFAULT upper('x'), ac float8 DEFAULT random(), ad jsonb DEFAULT '{}', ae int[] DEFAULT '{}',
  af int GENERATED ALWAYS AS (a * 2) STORED, ag int GENERATED ALWAYS AS (7) STORED, ah text DEFAULT current_user,
  ai int DEFAULT 2147483647, aj bigint DEFAULT 9223372036854775807, ak text DEFAULT 'naïve',
  al text DEFAULT 'back\slash', am int DEFAULT '5'::int, an bigint DEFAULT 3000000000, ao oid DEFAULT 5,
  ap timestamptz DEFAULT clock_timestamp(), aq text DEFAULT pg_catalog.version(), ar int DEFAULT NULL,
  as_ bigint DEFAULT nextval('pg_catalog.pg_class'::regclass)
);
-- Names quote_ident() quotes or not, as the client computes it from the
-- server's keyword list: reserved, type/function and column-name keywords,
-- unreserved ones, upper case, digits, quotes
CREATE TABLE shapes."select" ("user" int PRIMARY KEY, "left" int, "between" int, type int, name int,
  "Mixed" int, _under int, x1 int, "1st" int, "a""b" int, "naïve" int,
  CONSTRAINT "check" CHECK ("left" > 0), UNIQUE ("between", type), CHECK ("Mixed" <> "a""b"));
CREATE INDEX "window" ON shapes."select" ("user", "left", "between", type, name, "Mixed", _under, x1, "1st", "a""b", "naïve");
CREATE TABLE "Shapes Seq"."Odd Table" (id int PRIMARY KEY, ref int REFERENCES shapes."select" ("user"));
