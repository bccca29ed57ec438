# ssot verify: the example project passes; projects that lint clean but are
# not idempotent in practice fail at the right statements; --seed; the
# catalog, fresh-build and third-run comparisons; output formats; the
# throwaway database is always dropped (also on SIGINT and on errors).
#
# One project (one embedded cluster) serves the file: each scenario replaces
# its db/ directory.
use strict;
use warnings;
use lib 'tests/lib';
use SsotTest;
use Test::More;
use JSON::PP;
use File::Path qw(remove_tree);
use Cwd qw(abs_path);

my $root = abs_path('.');
my $p = SsotTest->project();
system('cp', '-R', "$root/examples/shop/.", $p->dir) == 0 or die "cp examples/shop: $?";

# Replace db/ with these files.
sub files {
	my (%f) = @_;
	remove_tree($p->dir . '/db');
	$p->write($_, $f{$_}) for sort keys %f;
}

sub throwaway_dbs {
	return $p->sql(q{select count(*) from pg_database where datname like 'ssot\_tmp\_%'});
}

sub lint_clean {
	my ($what) = @_;
	my $r = $p->ssot('lint');
	is($r->{rc}, 0, "$what: lint exits 0");
	like($r->{out}, qr/^lint: no findings in \d+ files/m, "$what: static lint finds nothing") or diag($r->{out});
}

# ---- the example project ----
{
	my $r = $p->ssot('verify');
	is($r->{rc}, 0, 'shop: exit 0') or diag($r->{out} . $r->{err});
	like($r->{out}, qr/^verified: 4 files, 11 statements are idempotent \(applied 3 times; catalog and row counts stable\)$/m,
	     'shop: verified line');
	like($r->{err}, qr/^ssot: verifying in throwaway database ssot_tmp_\d+_\d+_[0-9a-f]{8}$/m, 'progress: database');
	like($r->{err}, qr/^ssot: run 1 of 3: 4 files, 11 statements applied to the empty database in \d+ ms$/m,
	     'progress: run 1');
	like($r->{err}, qr/^ssot: run 2 of 3: 4 files, 11 statements applied in \d+ ms$/m, 'progress: run 2');
	like($r->{err}, qr/^ssot: comparing: \d+ objects, 4 tables, 2 sequences$/m, 'progress: comparing');
	like($r->{err}, qr/^ssot: run 3 of 3: 4 files, 11 statements applied in \d+ ms$/m, 'progress: run 3');
	is(throwaway_dbs(), 0, 'shop: the throwaway database is gone');

	$r = $p->ssot('verify', '-q');
	is($r->{err}, '', '-q: no progress lines');

	$r = $p->ssot('verify', '-v');
	like($r->{err}, qr/^ssot: timing: create \d+ ms, run 1 \d+ ms \(1 attempt\) \+ snapshot \d+ ms, run 2 \d+ ms \(1 attempt\) \+ snapshot \d+ ms, run 3 \d+ ms \(1 attempt\) \+ snapshot \d+ ms, compare [\d.]+ ms, drop \d+ ms; total \d+ ms$/m,
	     '-v: timing line');

	# --seed: the seed is idempotent; the identity sequence behind ON CONFLICT DO NOTHING gaps (a note)
	$r = $p->ssot('verify', '--seed');
	is($r->{rc}, 0, 'shop --seed: exit 0') or diag($r->{out} . $r->{err});
	like($r->{out}, qr/^verified: 5 files, 13 statements are idempotent/m, 'shop --seed: verified line');
	like($r->{out}, qr{^db/seed/10_stores\.sql:8:1: note: sequence public\.products_product_id_seq of column public\.products\.product_id moved on re-apply \(2 → 4\), but the table kept its rows: a gap in the numbering, not a change \[verify-sequence-changed\]$}m,
	     'shop --seed: a note on the identity gap, at the INSERT ... ON CONFLICT');
	like($r->{out}, qr/^  hint: INSERT \.\.\. ON CONFLICT takes the next value before it skips the row; harmless unless the numbers must have no gaps$/m,
	     'shop --seed: the note says why');

	$r = $p->ssot('verify', '--seed', '--format', 'json');
	my $doc = eval { decode_json($r->{out}) };
	ok($doc, 'json parses') or diag($r->{out});
	is($doc->{command}, 'verify', 'json: command');
	is($doc->{summary}{outcome}, 'idempotent', 'json: outcome');
	is($doc->{summary}{runs}, 3, 'json: runs');
	is($doc->{summary}{files}, 5, 'json: files');
	is($doc->{summary}{statements}, 13, 'json: statements');
	is($doc->{summary}{tables}, 4, 'json: tables checked');
	is($doc->{summary}{sequences}, 2, 'json: sequences checked');
	ok($doc->{summary}{seed}, 'json: seed');
	is(scalar @{ $doc->{summary}{timing}{runs} }, 3, 'json: timing of three runs');
	ok(defined $doc->{summary}{timing}{total_ms}, 'json: total time');
	is($doc->{findings}[0]{severity}, 'note', 'json: the gap is a note');
	is($doc->{findings}[0]{expected}, '2', 'json: sequence before');
	is($doc->{findings}[0]{actual}, '4', 'json: sequence after');
}

# ---- (a) a DO block catching the wrong exception ----
files('db/run/10_accounts.sql' => <<'SQL');
CREATE TABLE IF NOT EXISTS accounts (
    id    integer PRIMARY KEY,
    email text NOT NULL
);

-- Looks guarded, but ADD ... UNIQUE builds an index: a second run raises
-- duplicate_table, which this handler does not catch. The statement is
-- built at run time, which lint cannot see into.
DO $$
BEGIN
    EXECUTE format('ALTER TABLE accounts ADD CONSTRAINT %I UNIQUE (email)', 'accounts_email_key');
EXCEPTION WHEN duplicate_object THEN
    NULL;
END
$$;

DO $$
BEGIN
    EXECUTE format('ALTER TABLE accounts ADD CONSTRAINT %I UNIQUE (id)', 'accounts_pkey2');
EXCEPTION WHEN duplicate_object THEN
    NULL;
END
$$;
SQL
{
	lint_clean('wrong exception');
	my $r = $p->ssot('verify');
	is($r->{rc}, 1, 'wrong exception: exit 1');
	like($r->{out}, qr{^db/run/10_accounts\.sql:11:5: error: failed on the second run: relation "accounts_email_key" already exists \[verify-second-run-failed\]$}m,
	     'wrong exception: the ALTER inside the DO block is named, with the server message');
	like($r->{out}, qr/^  hint: a second run raises duplicate_table \(SQLSTATE 42P07\) here: use IF NOT EXISTS or OR REPLACE where PostgreSQL has them, else catch duplicate_table in a DO block$/m,
	     'wrong exception: the hint names the condition to catch');
	like($r->{out}, qr{^db/run/10_accounts\.sql:19:5: error: failed on the second run: relation "accounts_pkey2" already exists}m,
	     'wrong exception: every failing statement is found, not just the first');
	like($r->{out}, qr/^not idempotent: 2 statements failed on the second run$/m, 'wrong exception: summary line');
	like($r->{err}, qr{^ssot: run 2 of 3: db/run/10_accounts\.sql:9 failed; applying the run again without that statement$}m,
	     'wrong exception: progress says the run is retried without it');
	like($r->{err}, qr/^ssot: run 2 of 3: 1 file, 1 statement applied in \d+ ms$/m, 'wrong exception: the rest applies');
	is(throwaway_dbs(), 0, 'wrong exception: the throwaway database is gone');

	$r = $p->ssot('verify', '-v');
	like($r->{out}, qr/^    why: the statement works on an empty database but fails once its own effects are there/m,
	     '-v: the rule\'s why');

	$r = $p->ssot('verify', '--format', 'sarif');
	my $s = eval { decode_json($r->{out}) };
	ok($s, 'sarif parses') or diag($r->{out});
	is($s->{version}, '2.1.0', 'sarif: version');
	my $res = $s->{runs}[0]{results}[0];
	is($res->{ruleId}, 'verify-second-run-failed', 'sarif: ruleId');
	is($res->{locations}[0]{physicalLocation}{artifactLocation}{uri}, 'db/run/10_accounts.sql', 'sarif: uri');
	is($res->{locations}[0]{physicalLocation}{region}{startLine}, 11, 'sarif: line');
	ok($res->{partialFingerprints}{primaryLocationLineHash}, 'sarif: fingerprint');
	my $rule = $s->{runs}[0]{tool}{driver}{rules}[ $res->{ruleIndex} ];
	like($rule->{help}{text}, qr/\nfix: make it idempotent: IF NOT EXISTS, OR REPLACE, or a DO block catching exactly the condition the server raises \(the hint names it\)\.$/,
	     'sarif: help has the fix');

	$r = $p->ssot('verify', '--format', 'github');
	like($r->{out}, qr/^::error file=db\/run\/10_accounts\.sql,line=11,col=5[^:]*::failed on the second run: relation "accounts_email_key" already exists/m,
	     'github: workflow command');
}

# ---- (b) a trigger function that logs, fired by an idempotent INSERT ... ON CONFLICT ----
# ---- (c) nextval / setval with a moving value in run ----
files('db/run/10_items.sql' => <<'SQL', 'db/run/20_tickets.sql' => <<'SQL');
CREATE TABLE IF NOT EXISTS items (
    sku   text PRIMARY KEY,
    title text NOT NULL
);

CREATE TABLE IF NOT EXISTS audit_log (
    id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku text NOT NULL,
    at  timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION log_item() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_log (sku) VALUES (NEW.sku);
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS items_audit ON items;
-- BEFORE INSERT row triggers fire even for rows ON CONFLICT then skips
CREATE TRIGGER items_audit BEFORE INSERT ON items
    FOR EACH ROW EXECUTE FUNCTION log_item();

INSERT INTO items (sku, title) VALUES ('TEA-1', 'Green tea'), ('CUP-2', 'Mug')
ON CONFLICT (sku) DO NOTHING;
SQL
CREATE SEQUENCE IF NOT EXISTS ticket_no;
SELECT nextval('ticket_no');
SELECT setval('public.ticket_no', nextval('ticket_no') + 100);
CREATE SEQUENCE IF NOT EXISTS invoice_no;
SELECT nextval('invoice_no');
SQL
{
	lint_clean('trigger and sequence');
	my $r = $p->ssot('verify');
	is($r->{rc}, 1, 'trigger: exit 1');
	like($r->{out}, qr{^db/run/10_items\.sql:15:5: error: rows of public\.audit_log changed on re-apply: 2 → 4 \[verify-rows-changed\]$}m,
	     'trigger: the INSERT inside the trigger function is named');
	like($r->{out}, qr{^  detail: inside function log_item\(\), called by trigger items_audit ON items \(db/run/10_items\.sql:22\)$}m,
	     'trigger: detail names the trigger that calls it');
	like($r->{out}, qr/^  hint: every run writes rows again: make the statement idempotent \(INSERT \.\.\. ON CONFLICT against a unique key, WHERE NOT EXISTS\) or move it to seed\/$/m,
	     'trigger: hint');
	like($r->{out}, qr/^  expected: 2 rows\n  actual: 4 rows\n  object: table public\.audit_log$/m, 'trigger: before and after');
	unlike($r->{out}, qr/audit_log_id_seq/, 'trigger: the identity of a table whose rows changed is not reported again');
	unlike($r->{out}, qr/public\.items changed/, 'trigger: the idempotent INSERT itself is fine');

	like($r->{out}, qr{^db/run/20_tickets\.sql:2:1: error: sequence public\.ticket_no moved on re-apply: 102 → 204 \[verify-sequence-changed\]$}m,
	     'sequence: the nextval statement is named');
	like($r->{out}, qr{^db/run/20_tickets\.sql:3:1: error: sequence public\.ticket_no moved on re-apply: 102 → 204 \[verify-sequence-changed\]$}m,
	     'sequence: the setval statement is named');
	like($r->{out}, qr/^  hint: every run moves it: nextval\(\) and setval\(\) with a computed value do not belong in run\/ \(set it once, under a guard that checks its state\)$/m,
	     'sequence: hint');
	like($r->{out}, qr{^db/run/20_tickets\.sql:5:1: error: sequence public\.invoice_no moved on re-apply: 1 → 2 \[verify-sequence-changed\]$}m,
	     'sequence: a second one');
	like($r->{out}, qr/^not idempotent: 1 table changed its row count, 2 sequences moved$/m, 'summary line');

	$r = $p->ssot('verify', '-v', '-q');
	like($r->{out}, qr/^    why: every apply writes \(or deletes\) rows again, so the data depends on how often the files ran\.\n    fix: INSERT \.\.\. ON CONFLICT against a unique key, or WHERE NOT EXISTS; a trigger that logs must not fire for rows a re-run skips; development data belongs in seed\/\.$/m,
	     '-v: why and fix of verify-rows-changed');
	like($r->{out}, qr/^    why: every apply moves the sequence, so the next number depends on how often the files ran\.\n    fix: no nextval\(\) in run\/; setval\(\) only under a guard that checks the sequence's state\.$/m,
	     '-v: why and fix of verify-sequence-changed');

	my $doc = decode_json($p->ssot('verify', '--format', 'json')->{out});
	is($doc->{summary}{outcome}, 'not idempotent', 'json: outcome');
	is($doc->{summary}{rows_changed}, 1, 'json: rows_changed');
	is($doc->{summary}{sequences_changed}, 2, 'json: sequences_changed');
	my ($rows) = grep { $_->{rule} eq 'verify-rows-changed' } @{ $doc->{findings} };
	is($rows->{object}, 'public.audit_log', 'json: object');
	is($rows->{kind}, 'table', 'json: kind');
	is($rows->{line}, 15, 'json: line');
	is(throwaway_dbs(), 0, 'trigger: the throwaway database is gone');
}

# ---- where else rows come from: DO blocks, dynamic SQL, rules, partitions ----
files('db/run/10_hits.sql' => <<'SQL');
CREATE TABLE IF NOT EXISTS hits (n int);
CREATE TABLE IF NOT EXISTS pings (n int);
CREATE TABLE IF NOT EXISTS clicks (n int);
CREATE TABLE IF NOT EXISTS events (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE IF NOT EXISTS events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE IF NOT EXISTS counters (name text PRIMARY KEY, n int NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS counter_log (name text);

DO $$
BEGIN
    INSERT INTO pings VALUES (1);
END
$$;

DO $$
BEGIN
    EXECUTE 'INSERT INTO hits VALUES (1)';
END
$$;

CREATE OR REPLACE FUNCTION click() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'INSERT INTO clicks VALUES (1)';
END
$$;
SELECT click();

INSERT INTO events VALUES ('2024-05-01');

CREATE OR REPLACE RULE counters_log AS ON UPDATE TO counters DO ALSO INSERT INTO counter_log VALUES (NEW.name);
INSERT INTO counters (name) SELECT 'visits' WHERE NOT EXISTS (SELECT 1 FROM counters WHERE name = 'visits');
UPDATE counters SET n = 0 WHERE name = 'visits';
SQL
{
	my $r = $p->ssot('verify');
	is($r->{rc}, 1, 'writers: exit 1');
	like($r->{out}, qr{^db/run/10_hits\.sql:11:5: error: rows of public\.pings changed on re-apply: 1 → 2 \[verify-rows-changed\]\n(?:.*\n)*?  detail: inside a DO block$}m,
	     'writers: an INSERT inside a DO block');
	like($r->{out}, qr{^db/run/10_hits\.sql:15:1: error: rows of public\.hits changed on re-apply: 1 → 2 \[verify-rows-changed\]\n(?:.*\n)*?  detail: the DO block mentions hits$}m,
	     'writers: dynamic SQL in a DO block that mentions the table');
	like($r->{out}, qr{^db/run/10_hits\.sql:21:1: error: rows of public\.clicks changed on re-apply: 1 → 2 \[verify-rows-changed\]\n(?:.*\n)*?  detail: function click\(\) mentions clicks$}m,
	     'writers: a function whose text mentions the table');
	like($r->{out}, qr{^db/run/10_hits\.sql:29:1: error: rows of public\.events_2024 changed on re-apply: 1 → 2 \[verify-rows-changed\]$}m,
	     'writers: a partition points at the INSERT into its parent');
	like($r->{out}, qr{^db/run/10_hits\.sql:31:\d+: error: rows of public\.counter_log changed on re-apply: 1 → 2 \[verify-rows-changed\]\n(?:.*\n)*?  detail: inside a rule: it runs with every statement the rule matches$}m,
	     'writers: a rule that inserts');
	like($r->{out}, qr/^not idempotent: 5 tables changed their row count$/m, 'writers: summary');
}

# ---- the catalog changes on re-apply ----
files('db/run/10_notes.sql' => <<'SQL');
CREATE TABLE IF NOT EXISTS notes (id int PRIMARY KEY, body text);

-- a build stamp: a different comment on every run
DO $$
BEGIN
    EXECUTE format('COMMENT ON TABLE notes IS %L', 'built ' || clock_timestamp());
END
$$;

-- an index without a name: one more on every run
CREATE INDEX ON notes (body);

-- a toggle: created by the first run, dropped by the second
DO $$
BEGIN
    IF to_regclass('scratch') IS NULL THEN
        CREATE TABLE scratch (id int);
    ELSE
        DROP TABLE scratch;
    END IF;
END
$$;

CREATE OR REPLACE AGGREGATE total(int) (sfunc = int4pl, stype = int);
SQL
{
	my $r = $p->ssot('verify');
	is($r->{rc}, 1, 'catalog: exit 1');
	like($r->{out}, qr{^db/run/10_notes\.sql:1:\d+: error: table public\.notes: comment changed on re-apply \[verify-not-idempotent\]$}m,
	     'catalog: changed comment, at the CREATE TABLE');
	like($r->{out}, qr{: error: index public\.notes_body_idx1 was created by the re-apply \[verify-not-idempotent\]$}m,
	     'catalog: an index created by the re-apply');
	like($r->{out}, qr{: error: table public\.scratch was dropped by the re-apply \[verify-not-idempotent\]$}m,
	     'catalog: a table dropped by the re-apply');
	like($r->{out}, qr{^note: aggregate public\.total\(integer\) is not modelled by ssot: whether a re-apply changes it is not checked \[verify-not-idempotent\]$}m,
	     'catalog: unmodelled objects are a note, never silence');
	like($r->{out}, qr/^not idempotent: 3 catalog changes, 1 difference between a fresh build and three applies$/m,
	     'catalog: summary');
	like($r->{out}, qr/: error: index public\.notes_body_idx2 appears only after the files are applied three times \[verify-fresh-differs\]$/m,
	     'catalog: the third run creates another index');
	my $doc = decode_json($p->ssot('verify', '--format', 'json')->{out});
	my ($c) = grep { $_->{message} =~ /comment changed/ } @{ $doc->{findings} };
	like($c->{expected}, qr/^built /, 'json: expected is the state after the first run');
	like($c->{actual}, qr/^built /, 'json: actual is the state after the second');
	isnt($c->{expected}, $c->{actual}, 'json: they differ');
	is($c->{status}, undef, 'json: no drift status');

	$r = $p->ssot('verify', '-v', '-q');
	like($r->{out}, qr/^    why: applying the files again changes the catalog, so they do not describe one schema: every apply moves it\.\n    fix: no names, comments or definitions computed at apply time, no DO blocks that toggle, no two statements that disagree about an object\.$/m,
	     '-v: why and fix of verify-not-idempotent');
}

# ---- a fresh build against three applies; a statement that fails only on the third run ----
files('db/run/10_fresh.sql' => <<'SQL', 'db/run/20_third.sql' => <<'SQL');
CREATE TABLE IF NOT EXISTS stable (id int);
CREATE TABLE IF NOT EXISTS early (id int);
CREATE SEQUENCE IF NOT EXISTS builds;
CREATE SEQUENCE IF NOT EXISTS other_seq;
SELECT nextval('builds');

DO $$
BEGIN
    IF (SELECT last_value FROM builds) >= 3 THEN
        CREATE TABLE IF NOT EXISTS late (id int);
        COMMENT ON TABLE stable IS 'third';
        DROP TABLE IF EXISTS early;
        INSERT INTO stable VALUES (1);
        PERFORM nextval('other_seq');
    END IF;
END
$$;
SQL
DO $$
BEGIN
    IF (SELECT last_value FROM builds) = 3 THEN
        RAISE EXCEPTION 'third time unlucky';
    END IF;
END
$$;
SQL
{
	my $r = $p->ssot('verify');
	is($r->{rc}, 1, 'fresh: exit 1');
	like($r->{out}, qr{^db/run/20_third\.sql:4:9: error: failed on the third run: third time unlucky \[verify-third-run-failed\]$}m,
	     'third run: the statement that fails only then');
	like($r->{out}, qr{^db/run/10_fresh\.sql:5:1: error: sequence public\.builds moved on re-apply: 1 → 2 \[verify-sequence-changed\]$}m,
	     'fresh: the sequence moved between runs 1 and 2');
	like($r->{out}, qr{: error: table public\.late appears only after the files are applied three times \[verify-fresh-differs\]$}m,
	     'fresh: created only by the third run');
	like($r->{out}, qr{: error: table public\.stable: comment differs between a fresh build and the files applied three times \[verify-fresh-differs\]$}m,
	     'fresh: changed only by the third run');
	like($r->{out}, qr{: error: table public\.early is in a fresh build but gone after the files are applied three times \[verify-fresh-differs\]$}m,
	     'fresh: dropped only by the third run');
	like($r->{out}, qr{^db/run/10_fresh\.sql:13:9: error: rows of public\.stable differ between a fresh build and the files applied three times: 0 → 1 \[verify-fresh-differs\]$}m,
	     'fresh: rows written only by the third run, at the INSERT');
	# 2, not 1: the third run's first attempt failed and rolled back, but nextval is not transactional
	like($r->{out}, qr{^db/run/10_fresh\.sql:14:9: error: sequence public\.other_seq differs between a fresh build and the files applied three times: 1 \(is_called false\) → 2 \[verify-fresh-differs\]$}m,
	     'fresh: a sequence moved only by the third run');
	like($r->{out}, qr/^  expected: 0 rows\n  actual: 1 row\n  object: table public\.stable$/m, 'fresh: one row');
	unlike($r->{out}, qr/builds differs between a fresh build/, 'fresh: what runs 1 and 2 showed is not repeated');
	like($r->{out}, qr/^not idempotent: 1 statement failed on the third run, 1 sequence moved, 5 differences between a fresh build and three applies$/m,
	     'fresh: summary');

	$r = $p->ssot('verify', '-v', '-q');
	like($r->{out}, qr/^    why: the statement fails only after the files ran twice: it depends on state that every run changes \(a sequence, a row count, the ledger\)\.\n    fix: make it depend on the schema alone, or guard it by what it needs\.$/m,
	     '-v: why and fix of verify-third-run-failed');
	like($r->{out}, qr/^    why: a database built once from the files differs from one they were applied to three times\.\n    fix: find the state the statements depend on \(a sequence, a count, the ledger\) and remove that dependency\.$/m,
	     '-v: why and fix of verify-fresh-differs');
}

# ---- --seed ----
files('db/run/10_visits.sql' => "CREATE TABLE IF NOT EXISTS visits (at date NOT NULL, page text NOT NULL);\n"
	. "CREATE TABLE IF NOT EXISTS pages (path text PRIMARY KEY);\n",
      'db/seed/10_pages.sql' => "INSERT INTO pages (path) VALUES ('/'), ('/about') ON CONFLICT (path) DO NOTHING;\n");
{
	my $r = $p->ssot('verify', '--seed');
	is($r->{rc}, 0, 'idempotent seed: exit 0') or diag($r->{out});
	like($r->{out}, qr/^verified: 2 files, 3 statements are idempotent/m, 'idempotent seed: verified');

	$p->write('db/seed/20_visits.sql', "-- no unique key: a duplicate on every run\nINSERT INTO visits (at, page) VALUES ('2024-01-01', '/');\n");
	$r = $p->ssot('verify');
	is($r->{rc}, 0, 'without --seed the seed is not applied');
	$r = $p->ssot('verify', '--seed');
	is($r->{rc}, 1, 'plain INSERT in seed: exit 1');
	like($r->{out}, qr{^db/seed/20_visits\.sql:2:1: error: rows of public\.visits changed on re-apply: 1 → 2 \[verify-rows-changed\]$}m,
	     'plain INSERT in seed: named at the INSERT');
	is(throwaway_dbs(), 0, 'seed: the throwaway database is gone');
}

# ---- the files do not apply at all ----
files('db/run/10_bad.sql' => "CREATE TABLE IF NOT EXISTS t (id int);\nINSERT INTO t (nope) VALUES (1);\n");
{
	my $r = $p->ssot('verify');
	is($r->{rc}, 1, 'does not apply: exit 1');
	like($r->{out}, qr{^db/run/10_bad\.sql:2:16: error: column "nope" of relation "t" does not exist \[42703\]$}m,
	     'does not apply: the apply\'s own finding');
	like($r->{out}, qr/^ssot: the files do not apply to an empty database, so their idempotency cannot be verified$/m,
	     'does not apply: says so');
	my $doc = decode_json($p->ssot('verify', '--format', 'json')->{out});
	is($doc->{summary}{outcome}, 'does not apply', 'json: outcome');
	is($doc->{summary}{runs}, 0, 'json: no run committed');
	is(throwaway_dbs(), 0, 'does not apply: the throwaway database is gone');
}

# ---- many statements fail: stop looking after 50 ----
files('db/run/10_many.sql' => join('', map { "CREATE TABLE t$_ (id int);\n" } 1 .. 52));
{
	my $r = $p->ssot('verify', '-q');
	is($r->{rc}, 1, 'many: exit 1');
	like($r->{out}, qr/^note: more than 50 statements fail on the second run: stopped looking for more; the snapshots were not compared \[verify-second-run-failed\]\n  hint: fix these first, then run 'ssot verify' again$/m,
	     'many: stops after 50');
	like($r->{out}, qr/^not idempotent: 51 statements failed on the second run$/m, 'many: summary');
}

# ---- one statement that fails on the second run (the README's example) ----
files('db/run/10_accounts.sql' => <<'SQL');
CREATE TABLE IF NOT EXISTS accounts (
    id    integer PRIMARY KEY,
    email text NOT NULL
);

-- a guard built at run time: lint cannot read the statement
DO $$
BEGIN
    EXECUTE format('ALTER TABLE accounts ADD CONSTRAINT %I UNIQUE (email)', 'accounts_email_key');
EXCEPTION WHEN duplicate_object THEN
    NULL;
END
$$;
SQL
{
	my $r = $p->ssot('verify', '-q');
	my $readme = do { local $/; open(my $fh, '<', "$root/README.md") or die; <$fh> };
	my ($example) = $readme =~ /^\$ ssot verify\n(.*?)^```$/ms;
	is($r->{out}, $example, 'the README shows the real output');
	like($r->{out}, qr/^not idempotent: 1 statement failed on the second run$/m, 'singular summary');
}

# ---- a small project: singular wording ----
files('db/run/10_one.sql' => "CREATE TABLE IF NOT EXISTS one (id int);\n");
{
	my $r = $p->ssot('verify');
	like($r->{out}, qr/^verified: 1 file, 1 statement is idempotent \(applied 3 times; catalog and row counts stable\)$/m,
	     'singular wording');
}

# ---- --dev-url, usage ----
{
	my $r = $p->ssot('verify', '--dev-url', $p->url);
	is($r->{rc}, 0, '--dev-url: exit 0') or diag($r->{err});
	is(throwaway_dbs(), 0, '--dev-url: the throwaway database is gone');

	$r = $p->ssot('verify', '--db', $p->url);
	is($r->{rc}, 2, '--db: usage error');
	like($r->{err}, qr/^ssot: error: verify builds the files in a throwaway database, never in --db; name the server to build them on with --dev-url$/m,
	     '--db: says why');
	$r = $p->ssot('verify', '--env', 'prod');
	like($r->{err}, qr/^ssot: error: verify builds the files in a throwaway database, never in --env; name the server to build them on with --dev-url$/m,
	     '--env: says why');
	$r = $p->ssot('verify', '--bogus');
	is($r->{rc}, 2, 'unknown option: usage error');
	like($r->{err}, qr/^ssot: error: invalid option\nhint: see 'ssot verify --help'$/m, 'unknown option: hint');
	$r = $p->ssot({ env => { TMPDIR => '/nonexistent-ssot-dir' } }, 'verify');
	is($r->{rc}, 2, 'no temporary directory: exit 2');
	like($r->{err}, qr{^ssot: error: cannot verify the files\ndetail: cannot create a temporary directory in /nonexistent-ssot-dir: No such file or directory$}m,
	     'no temporary directory: says where');
	is(throwaway_dbs(), 0, 'no temporary directory: the throwaway database is gone');
	$r = $p->ssot('verify', 'extra');
	is($r->{rc}, 2, 'argument: usage error');
	like($r->{err}, qr/unexpected argument 'extra'/, 'argument: named');
	$r = $p->ssot('verify', '--help');
	is($r->{rc}, 0, '--help: exit 0');
	like($r->{out}, qr/^usage: ssot verify \[--seed\] \[--dev-url URL\]/, '--help: usage');
	like($r->{out}, qr/^  ssot verify --seed --format json \| jq \.summary$/m, '--help: examples');
}

# ---- the throwaway database cannot be used: an error (exit 2), and still dropped ----
files('db/run/10_lock.sql' => "DO \$\$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); END \$\$;\n");
{
	my $r = $p->ssot('verify');
	is($r->{rc}, 2, 'unusable database: exit 2');
	like($r->{err}, qr/^ssot: error: cannot verify the files\ndetail: cannot execute CREATE SCHEMA in a read-only transaction$/m, 'unusable database: says why');
	is(throwaway_dbs(), 0, 'unusable database: the throwaway database is gone');
}

# ---- the conditions lint asks for around ADD CONSTRAINT are what the server raises ----
{
	my $guard = sub {
		my ($stmt, $cond) = @_;
		return "DO \$\$ BEGIN\n  $stmt;\nEXCEPTION WHEN $cond THEN NULL;\nEND \$\$;\n";
	};
	files('db/run/10_t.sql' => "CREATE TABLE IF NOT EXISTS t (id int NOT NULL, n int);\n"
		. $guard->('ALTER TABLE t ADD CONSTRAINT t_n_key UNIQUE (n)', 'duplicate_table')
		. $guard->('ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY (id)', 'invalid_table_definition')
		. $guard->('ALTER TABLE t ADD CONSTRAINT t_n_excl EXCLUDE (n WITH =)', 'duplicate_table')
		. $guard->('ALTER TABLE t ADD CONSTRAINT t_n_check CHECK (n > 0)', 'duplicate_object'));
	lint_clean('constraint guards');
	my $r = $p->ssot('verify');
	is($r->{rc}, 0, 'constraint guards: each catches what a second run raises') or diag($r->{out} . $r->{err});
	files('db/run/10_t.sql' => "CREATE TABLE IF NOT EXISTS t (id int NOT NULL, n int);\n"
		. $guard->('ALTER TABLE t ADD CONSTRAINT t_n_key UNIQUE (n)', 'duplicate_object'));
	$r = $p->ssot('lint');
	like($r->{out}, qr/the handler catches duplicate_object, but ADD CONSTRAINT raises duplicate_table \(42P07\)/,
		'UNIQUE guarded by duplicate_object: lint says so');
	$r = $p->ssot('verify');
	is($r->{rc}, 1, 'and verify fails on the second run');
	like($r->{out}, qr/relation "t_n_key" already exists/, 'with the server\'s message') or diag($r->{out});
}

# ---- SIGINT: cancelled, and the throwaway database dropped ----
files('db/run/10_slow.sql' => "SELECT pg_sleep(30);\n");
{
	my $bg = $p->start('verify');
	ok($bg->err_match(qr/verifying in throwaway database/, 30), 'sigint: started');
	select(undef, undef, undef, 0.5);
	my $st = $bg->stop('INT');
	is($st->{rc}, 130, 'sigint: exit 130');
	like($bg->err, qr/^ssot: error: interrupted; the throwaway database was dropped$/m, 'sigint: says so');
	is(throwaway_dbs(), 0, 'sigint: the throwaway database is gone');
}

done_testing();
