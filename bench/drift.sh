#!/usr/bin/env bash
# bench/drift.sh [path/to/ssot] — `ssot drift` of a 1,000-table project
# (10 files) against a live copy of it, on the embedded cluster of a
# scratch project. ssot reports in its JSON summary where the time went:
# building the throwaway database (create from template0, apply the files,
# drop) versus reading the catalogs of both sides and diffing. Median of
# $RUNS runs. Bar (issue 3): reading + diffing <= 20% of the total.
# Exit status 0 when it holds, 1 when it does not, 2 when it could not run.
set -euo pipefail
SSOT=$(realpath "${1:-build/ssot}")
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-5}
[ -x "$SSOT" ] || { echo "drift.sh: no ssot binary at $SSOT (run make)" >&2; exit 2; }
work=$(mktemp -d /tmp/ssot-bench-drift-XXXXXX)
trap '(cd "$work" && "$SSOT" dev destroy -q >/dev/null 2>&1) || true; rm -rf "$work"' EXIT
cd "$work"
mkdir -p db/run
for f in $(seq -w 1 10); do
	{
		echo "DO \$\$ BEGIN CREATE TYPE status_$f AS ENUM ('new', 'active', 'closed'); EXCEPTION WHEN duplicate_object THEN NULL; END \$\$;"
		for t in $(seq 1 100); do
			n="t${f}_$t"
			ref=""
			[ "$t" -gt 1 ] && ref="REFERENCES t${f}_$((t - 1)) (id)"
			cat <<SQL
CREATE TABLE IF NOT EXISTS $n (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id bigint $ref,
    name text NOT NULL,
    status status_$f NOT NULL DEFAULT 'new',
    qty integer NOT NULL DEFAULT 0 CHECK (qty >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ${n}_name_idx ON $n (name);
SQL
		done
		echo "CREATE OR REPLACE VIEW v_$f AS SELECT id, name FROM t${f}_1 WHERE qty > 0;"
	} > "db/run/$f.sql"
done
"$SSOT" apply -q >/dev/null		# the live copy: the dev database

: > total.ms; : > share.txt
for i in $(seq "$RUNS"); do
	rc=0
	"$SSOT" drift -q --format json > drift.json || rc=$?
	[ "$rc" -eq 0 ] || { echo "drift.sh: ssot drift exited $rc" >&2; cat drift.json >&2; exit 2; }
	perl -MJSON::PP -e '
		local $/; my $d = decode_json(<STDIN>); my $t = $d->{summary}{timing};
		printf "%.1f %.1f %.1f %.1f %.1f %.1f %.1f\n", $t->{total_ms}, $t->{create_db_ms}, $t->{apply_ms},
			$t->{drop_db_ms}, $t->{read_desired_ms}, $t->{read_live_ms}, $t->{diff_ms};' < drift.json >> share.txt
done
# the run with the median total
line=$(sort -n share.txt | sed -n "$(( (RUNS + 1) / 2 ))p")
read -r total create apply drop rdes rlive diff <<< "$line"
build=$(awk -v a="$create" -v b="$apply" -v c="$drop" 'BEGIN { printf "%.1f", a + b + c }')
read=$(awk -v a="$rdes" -v b="$rlive" -v c="$diff" 'BEGIN { printf "%.1f", a + b + c }')
share=$(ratio "$read" "$total")
printf 'drift of 1,000 tables (median of %d): total %s ms; building the throwaway database %s ms (create %s, apply %s, drop %s); reading both catalogs + diffing %s ms (files %s, live %s, diff %s): read + diff share %s (bar <= 0.20: %s)\n' \
	"$RUNS" "$total" "$build" "$create" "$apply" "$drop" "$read" "$rdes" "$rlive" "$diff" "$share" "$(verdict "$share" '<=' 0.20)"
[ "$(verdict "$share" '<=' 0.20)" = "meets the bar" ]
