# ssot apply: multi-file projects, idempotent re-apply, all-or-nothing,
# after-commit statements, refusals, dry runs, tests, notices.
use strict;
use warnings;
use lib 'tests/lib';
use SsotTest;
use Test::More;
use JSON::PP;

my %files = (
	'db/prerun/00_settings.sql' => "SET client_min_messages = notice;\n",
	'db/run/10_a.sql' => "CREATE TABLE IF NOT EXISTS a (id int PRIMARY KEY, name text);\n",
	'db/run/20_b.sql' => "CREATE TABLE IF NOT EXISTS b (id int PRIMARY KEY, a_id int REFERENCES a);\n"
		. "CREATE INDEX IF NOT EXISTS b_a_idx ON b (a_id);\n",
	'db/run/30_c.sql' => "CREATE OR REPLACE VIEW c AS SELECT a.id, a.name FROM a;\n",
	'db/run/40_d.sql' => "CREATE SEQUENCE IF NOT EXISTS d_seq;\n",
	'db/run/50_e.sql' => "CREATE OR REPLACE FUNCTION e() RETURNS int LANGUAGE sql AS \$\$ SELECT 1 \$\$;\n",
	'db/seed/10_a.sql' => "INSERT INTO a VALUES (1, 'one') ON CONFLICT (id) DO NOTHING;\n",
	'db/postrun/90_check.sql' => "DO \$\$ BEGIN ASSERT to_regclass('a') IS NOT NULL; END \$\$;\n",
);
my $p = SsotTest->project(%files);

my $r = $p->ssot('apply');
is($r->{rc}, 0, 'first apply exits 0') or diag($r->{out} . $r->{err});
like($r->{out}, qr/^applied 7 files, 8 statements in \d+ ms to postgres@.*\/dev \(run 1\)$/m, 'summary line');
my $snap1 = $p->catalog_snapshot;
like($snap1, qr/rel public\.a r/, 'table a created');
like($snap1, qr/rel public\.b_a_idx i/, 'index created');
is($p->sql("select count(*) from a"), '0', 'seed did not run without --seed');

$r = $p->ssot('apply');
is($r->{rc}, 0, 'second apply exits 0');
like($r->{out}, qr/\(run 2\); \d+ skipped by IF \[NOT\] EXISTS/, 'second apply counts the skipped objects');
unlike($r->{err}, qr/already exists, skipping/, 'skipping notices are counted, not printed');
is($p->catalog_snapshot, $snap1, 'second apply changes nothing in the catalog');
is($p->sql("select count(*) from ssot.runs"), '2', 'ledger has two runs');
is($p->sql("select count(*) from ssot.files where run_id = 2"), '7', 'ledger has a row per file');
is($p->sql("select string_agg(phase, ',' order by path) from ssot.files where run_id = 2"),
	'postrun,prerun,run,run,run,run,run', 'ledger phases');
my $sha = `sha256sum $p->{dir}/db/run/10_a.sql`;
$sha =~ s/\s.*//s;
is($p->sql("select sha256 from ssot.files where run_id = 2 and path = 'db/run/10_a.sql'"), $sha, 'ledger file hash is the SHA-256 of the file');

# --seed
$r = $p->ssot('apply', '--seed');
is($r->{rc}, 0, 'apply --seed');
is($p->sql("select name from a"), 'one', 'seed data inserted');
$r = $p->ssot('apply', '--seed');
is($p->sql("select count(*) from a"), '1', 'seed re-run adds nothing');
is($p->sql("select seed from ssot.runs order by id desc limit 1"), 't', 'ledger records the seed flag');

# --dry-run
$p->write('db/run/60_f.sql', "CREATE TABLE IF NOT EXISTS f (x int);\n");
$r = $p->ssot('apply', '--dry-run');
is($r->{rc}, 0, 'dry run exits 0');
like($r->{out}, qr/^dry run: 8 files, 9 statements in \d+ ms against .*; rolled back$/m, 'dry run summary');
like($r->{out}, qr/^  run      db\/run\/60_f\.sql  1 statements, [\d.]+ ms$/m, 'dry run lists files');
is($p->sql("select to_regclass('f') is null"), 't', 'dry run left nothing behind');
is($p->sql("select count(*) from ssot.runs"), '4', 'dry run writes no ledger row');
like($r->{out}, qr/^db\/run\/60_f\.sql:1:28: note: table public\.f would be created \[dry-run\]$/m,
	'dry run: the object it would create, at its declaration');
like($r->{out}, qr/^dry run: 1 object would be created, 0 dropped, 0 attributes changed$/m, 'dry run: object summary');
$p->write('db/run/65_g.sql', "ALTER TABLE a ADD COLUMN IF NOT EXISTS note text;\nCOMMENT ON TABLE b IS 'bees';\n");
$r = $p->ssot('apply', '--dry-run', '--format', 'json');
is($r->{rc}, 0, 'dry run, JSON: exit 0');
my $dry = decode_json($r->{out});
is_deeply([ sort map { "$_->{status} $_->{kind} $_->{object}" } grep { $_->{rule} eq 'dry-run' } @{ $dry->{findings} } ],
	[ 'changed table public.b', 'missing column public.a.note', 'missing table public.f' ],
	'dry run, JSON: created and changed objects, drift-shaped');
is_deeply($dry->{summary}{objects}, { created => 2, dropped => 0, changed => 1 }, 'dry run, JSON: object counts');
my ($note) = grep { ($_->{object} // '') eq 'public.a.note' } @{ $dry->{findings} };
is("$note->{file}:$note->{line}", 'db/run/65_g.sql:1', 'dry run, JSON: a new column points at its ALTER TABLE');
is($note->{severity}, 'note', 'dry run findings are notes');
is($p->sql("select count(*) from information_schema.columns where table_name = 'a' and column_name = 'note'"), '0',
	'dry run with a report still rolls back');
$p->remove('db/run/65_g.sql');
$p->remove('db/run/60_f.sql');

# notices other than "skipping" are shown, with their file and line
$p->write('db/run/70_notice.sql', "\nDO \$\$ BEGIN RAISE NOTICE 'hello from %', 'the file'; END \$\$;\n");
$r = $p->ssot('apply');
is($r->{rc}, 0, 'apply with a notice');
like($r->{err}, qr/^db\/run\/70_notice\.sql:2: NOTICE: hello from the file$/m, 'notice shown with file:line');
$p->write('db/run/70_notice.sql', "DO \$\$\nBEGIN\n    PERFORM 1;\n    RAISE NOTICE 'third line of the block';\nEND\n\$\$;\n");
$r = $p->ssot('apply');
like($r->{err}, qr/^db\/run\/70_notice\.sql:4: NOTICE: third line of the block$/m, 'a notice in a DO block names the line of its RAISE') or diag($r->{err});
$p->remove('db/run/70_notice.sql');

# after-commit statements
$p->write('db/run/80_concurrently.sql', "CREATE INDEX CONCURRENTLY IF NOT EXISTS a_name_idx ON a (name);\n"
	. "CREATE TABLE IF NOT EXISTS g (x int);\n");
$r = $p->ssot('apply');
is($r->{rc}, 0, 'apply with CREATE INDEX CONCURRENTLY') or diag($r->{out} . $r->{err});
like($r->{out}, qr/^after commit: db\/run\/80_concurrently\.sql:1: CREATE INDEX CONCURRENTLY done \([\d.]+ ms\)$/m,
	'concurrent index reported as run after the commit');
like($r->{err}, qr/80_concurrently\.sql:1: running CREATE INDEX CONCURRENTLY outside the transaction/, 'progress says so');
is($p->sql("select indisvalid from pg_index where indexrelid = 'a_name_idx'::regclass"), 't', 'index exists and is valid');

# JSON report
$r = $p->ssot('apply', '--format', 'json');
is($r->{rc}, 0, 'json apply');
my $doc = eval { decode_json($r->{out}) };
ok($doc, 'apply --format json prints one JSON document') or diag($r->{out});
is($doc->{version}, 1, 'json version');
is($doc->{command}, 'apply', 'json command');
is_deeply($doc->{findings}, [], 'no findings');
is($doc->{summary}{outcome}, 'applied', 'json outcome');
is($doc->{summary}{files}, 8, 'json file count');
is(scalar @{ $doc->{summary}{after_commit} }, 1, 'json lists after-commit statements');

done_testing();
