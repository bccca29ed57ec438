#!/usr/bin/env bash
# Embedded cluster: cold start (initdb + start + dev database) and warm start
# (start of an existing cluster) through `ssot dev start`, against the same
# steps done directly with initdb and pg_ctl (the peer).
set -euo pipefail
SSOT=$(realpath "${1:-build/ssot}")
. "$(dirname "$0")/lib.sh"
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d /tmp/ssot-bench-cluster-XXXXXX)
peer=$(mktemp -d /var/tmp/ssot-bench-peer-XXXXXX)
cleanup() {
	(cd "$work" && "$SSOT" dev destroy -q >/dev/null 2>&1) || true
	as_pg "$bindir/pg_ctl" -D "$peer/pg" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$work" "$peer"
}
trap cleanup EXIT
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$peer"

cd "$work"
t0=$(now_ns); "$SSOT" dev start -q; t1=$(now_ns)
cold=$(ms_between "$t0" "$t1")
"$SSOT" dev stop -q
t0=$(now_ns); "$SSOT" dev start -q; t1=$(now_ns)
warm=$(ms_between "$t0" "$t1")

t0=$(now_ns)
as_pg "$bindir/initdb" -D "$peer/pg" -U postgres -A trust --no-sync -N >/dev/null
as_pg "$bindir/pg_ctl" -D "$peer/pg" -l "$peer/log" -w -o "-c listen_addresses='' -c unix_socket_directories='$peer' -c fsync=off" start >/dev/null
as_pg "$bindir/createdb" -h "$peer" -U postgres dev
t1=$(now_ns)
pcold=$(ms_between "$t0" "$t1")
as_pg "$bindir/pg_ctl" -D "$peer/pg" -w stop >/dev/null
t0=$(now_ns)
as_pg "$bindir/pg_ctl" -D "$peer/pg" -l "$peer/log" -w -o "-c listen_addresses='' -c unix_socket_directories='$peer' -c fsync=off" start >/dev/null
t1=$(now_ns)
pwarm=$(ms_between "$t0" "$t1")

printf 'cold start: ssot dev start %d ms, initdb+pg_ctl+createdb %d ms: ratio %s\n' "$cold" "$pcold" "$(ratio "$cold" "$pcold")"
printf 'warm start: ssot dev start %d ms, pg_ctl start %d ms: ratio %s\n' "$warm" "$pwarm" "$(ratio "$warm" "$pwarm")"
