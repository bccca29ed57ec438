#!/usr/bin/env bash
# No-op re-apply of a 1,000-table schema (10 files) through `ssot apply`,
# against `psql -1 -f` of the same files. Bar: ssot no slower (ratio <= 1.0).
set -euo pipefail
SSOT=$(realpath "${1:-build/ssot}")
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d /tmp/ssot-bench-apply-XXXXXX)
trap '(cd "$work" && "$SSOT" dev destroy -q >/dev/null 2>&1) || true; rm -rf "$work"' EXIT
cd "$work"
mkdir -p db/run
for f in $(seq -w 1 10); do
	for t in $(seq 1 100); do
		n="t${f}_$t"
		cat <<SQL
CREATE TABLE IF NOT EXISTS $n (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    qty integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ${n}_name_idx ON $n (name);
SQL
	done > "db/run/$f.sql"
done
"$SSOT" apply -q >/dev/null
url=$("$SSOT" dev url)
files=(); for f in db/run/*.sql; do files+=(-f "$f"); done
runs=7
: > ssot.ms; : > psql.ms
for i in $(seq $runs); do
	t0=$(now_ns); "$SSOT" apply -q >/dev/null; t1=$(now_ns)
	echo $(( (t1 - t0) / 1000 )) >> ssot.ms
	t0=$(now_ns); psql -X -q -1 -v ON_ERROR_STOP=1 -d "$url" "${files[@]}" >/dev/null 2>&1; t1=$(now_ns)
	echo $(( (t1 - t0) / 1000 )) >> psql.ms
done
s=$(median < ssot.ms); p=$(median < psql.ms)
r=$(ratio "$s" "$p")
printf 'no-op re-apply, 1,000 tables (2,000 statements), median of %d: ssot %.1f ms, psql -1 -f %.1f ms: ratio %s (bar <= 1.0: %s)\n' \
	"$runs" "$(awk -v v="$s" 'BEGIN{print v/1000}')" "$(awk -v v="$p" 'BEGIN{print v/1000}')" "$r" "$(verdict "$r" '<=' 1.0)"
