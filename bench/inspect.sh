#!/usr/bin/env bash
# bench/inspect.sh [path/to/ssot] — `ssot inspect --format json` of a
# generated 10,000-table database against `pg_dump --schema-only` of the same
# database, on the embedded cluster of a scratch project.
#
# Each table has six columns (identity-free bigint key, a foreign key to the
# previous table, defaults, a CHECK), a primary key, a unique constraint and
# a secondary index: 10,000 tables, 60,000 columns, 40,000 constraints,
# 30,000 indexes. Median of $RUNS runs each. Bar (DESIGN.md §6): inspect <=
# 0.1 x pg_dump's time. Exit status 0 when it holds, 1 when it does not,
# 2 when the benchmark could not run. TABLES=n changes the size.
set -euo pipefail
SSOT=$(realpath "${1:-build/ssot}")
. "$(dirname "$0")/lib.sh"
TABLES=${TABLES:-10000}
RUNS=${RUNS:-3}
[ -x "$SSOT" ] || { echo "inspect.sh: no ssot binary at $SSOT (run make)" >&2; exit 2; }
work=$(mktemp -d /tmp/ssot-bench-inspect-XXXXXX)
trap '(cd "$work" && "$SSOT" dev destroy -q >/dev/null 2>&1) || true; rm -rf "$work"' EXIT
cd "$work"

url=$("$SSOT" dev url -q)
# pg_dump of the server's own major version
bindir=${SSOT_PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
pg_dump=$bindir/pg_dump
[ -x "$pg_dump" ] || pg_dump=$(command -v pg_dump) || { echo "inspect.sh: no pg_dump" >&2; exit 2; }

# 1,000 tables per transaction (the lock table holds a few thousand relations)
t0=$(now_ns)
psql -X -q -v ON_ERROR_STOP=1 -d "$url" -v tables="$TABLES" <<'SQL' >/dev/null
SELECT set_config('ssot.tables', :'tables', false);
DO $$
DECLARE
	n int := current_setting('ssot.tables')::int;
BEGIN
	FOR i IN 1 .. n LOOP
		EXECUTE format($f$
			CREATE TABLE t%1$s (
				id bigint PRIMARY KEY,
				prev_id bigint %2$s,
				code text NOT NULL UNIQUE,
				qty integer NOT NULL DEFAULT 0 CHECK (qty >= 0),
				price numeric(12,2),
				created_at timestamptz NOT NULL DEFAULT now()
			);
			CREATE INDEX t%1$s_created_idx ON t%1$s (created_at, qty);
			COMMENT ON TABLE t%1$s IS 'table %1$s';
		$f$, i, CASE WHEN i > 1 THEN format('REFERENCES t%s (id)', i - 1) ELSE '' END);
		IF i % 1000 = 0 THEN
			COMMIT;
		END IF;
	END LOOP;
END
$$;
SQL
t1=$(now_ns)
echo "generated $TABLES tables in $(ms_between "$t0" "$t1") ms"
# A settled database, as autovacuum leaves a real one: the catalogs just
# written vacuumed (hint bits set) and analyzed, before either tool reads
# them; then one untimed run of each, so that neither pays for cold caches.
psql -X -q -d "$url" -c 'VACUUM (ANALYZE)' >/dev/null
"$SSOT" inspect -q --format json > /dev/null
"$pg_dump" --schema-only -d "$url" > /dev/null

: > ssot.ms; : > dump.ms
for i in $(seq "$RUNS"); do
	t0=$(now_ns); "$SSOT" inspect -q --format json > model.json; t1=$(now_ns)
	ms_between "$t0" "$t1" >> ssot.ms
	t0=$(now_ns); "$pg_dump" --schema-only -d "$url" > dump.sql; t1=$(now_ns)
	ms_between "$t0" "$t1" >> dump.ms
done
objects=$(grep -c '"kind"' model.json || true)
s=$(median < ssot.ms); d=$(median < dump.ms)
r=$(ratio "$s" "$d")
printf 'inspect of %d tables (%d objects), median of %d: ssot inspect --format json %s ms, pg_dump --schema-only %s ms: ratio %s (bar <= 0.1: %s)\n' \
	"$TABLES" "$objects" "$RUNS" "$s" "$d" "$r" "$(verdict "$r" '<=' 0.1)"
[ "$(verdict "$r" '<=' 0.1)" = "meets the bar" ]
