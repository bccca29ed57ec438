# SQL errors: exact file:line:col with a caret, nothing committed, the
# ledger untouched; errors inside DO blocks and function bodies; refusals.
use strict;
use warnings;
use lib 'tests/lib';
use SsotTest;
use Test::More;
use JSON::PP;

my $p = SsotTest->project(
	'db/run/10_one.sql' => "CREATE TABLE IF NOT EXISTS one (id int);\n",
	'db/run/20_two.sql' => "CREATE TABLE IF NOT EXISTS two (id int);\n",
	'db/run/30_three.sql' => "CREATE TABLE IF NOT EXISTS three (id int);\n",
	'db/run/40_four.sql' => "CREATE TABLE IF NOT EXISTS four (id int);\n",
	'db/run/50_five.sql' => "CREATE TABLE IF NOT EXISTS five (id int);\n",
);
my $r = $p->ssot('apply');
is($r->{rc}, 0, 'baseline apply') or diag($r->{err});
my $before = $p->catalog_snapshot;

# Files 1 and 2 gain new objects; file 3 fails on line 4, column 22.
$p->write('db/run/10_one.sql', "CREATE TABLE IF NOT EXISTS one (id int);\nCREATE TABLE IF NOT EXISTS one_more (id int);\n");
$p->write('db/run/20_two.sql', "CREATE TABLE IF NOT EXISTS two (id int);\nALTER TABLE two ADD COLUMN IF NOT EXISTS extra text;\n");
$p->write('db/run/30_three.sql', "-- third file\nCREATE TABLE IF NOT EXISTS three (id int);\n\nSELECT id, missing_col FROM three;\n");
$r = $p->ssot('apply');
is($r->{rc}, 1, 'SQL error exits 1');
like($r->{out}, qr/^db\/run\/30_three\.sql:4:12: error: column "missing_col" does not exist \[42703\]$/m,
	'file:line:col of the error');
like($r->{out}, qr/^ +4 \| SELECT id, missing_col FROM three;\n +\| +\^~{10}$/m, 'source line and caret under the token');
like($r->{out}, qr/rolled back, nothing was applied/, 'says it rolled back');
is($p->catalog_snapshot, $before, 'nothing of files 1-2 was committed');
is($p->sql("select count(*) from ssot.runs"), '1', 'ledger unchanged');

# multi-byte characters before the error: the column counts characters
$p->write('db/run/30_three.sql', "SELECT 'ünïcødé', nope FROM three;\n");
$r = $p->ssot('apply');
like($r->{out}, qr/^db\/run\/30_three\.sql:1:19: error: column "nope" does not exist/m, 'column counted in characters');

# error inside a DO block: the line in the file
$p->write('db/run/30_three.sql', <<'SQL');
CREATE TABLE IF NOT EXISTS three (id int);
DO $$
DECLARE
    n int;
BEGIN
    SELECT count(*) INTO n FROM three;
    INSERT INTO three (id, nope) VALUES (1, 2);
END
$$;
SQL
$r = $p->ssot('apply');
is($r->{rc}, 1, 'DO block error exits 1');
like($r->{out}, qr/^db\/run\/30_three\.sql:7:28: error: column "nope" of relation "three" does not exist \[42703\]$/m,
	'DO block error points at the line and token in the file') or diag($r->{out});

# RAISE inside a DO block: the line of the RAISE
$p->write('db/run/30_three.sql', "DO \$\$\nBEGIN\n    IF true THEN\n        RAISE EXCEPTION 'boom %', 42;\n    END IF;\nEND\n\$\$;\n");
$r = $p->ssot('apply');
like($r->{out}, qr/^db\/run\/30_three\.sql:4:9: error: boom 42 \[P0001\]$/m, 'RAISE EXCEPTION line in a DO block') or diag($r->{out});

# syntax error inside a plpgsql function body: the line in the file
$p->write('db/run/30_three.sql', <<'SQL');
CREATE OR REPLACE FUNCTION f() RETURNS int
LANGUAGE plpgsql AS $$
BEGIN
    RETURN 1;
    SELEC 2;
END
$$;
SQL
$r = $p->ssot('apply');
is($r->{rc}, 1, 'function body error exits 1');
like($r->{out}, qr/^db\/run\/30_three\.sql:5:5: error: syntax error at or near "SELEC" \[42601\]$/m,
	'function body syntax error points into the file') or diag($r->{out});

# a semantic error in a SQL function body
$p->write('db/run/30_three.sql', "CREATE OR REPLACE FUNCTION g() RETURNS int\nLANGUAGE sql AS \$\$\n  SELECT nope FROM three\n\$\$;\n");
$r = $p->ssot('apply');
like($r->{out}, qr/^db\/run\/30_three\.sql:3:10: error: column "nope" does not exist/m, 'SQL function body error line') or diag($r->{out});

# a runtime error inside a function of the files: located at the call, with
# the line of the function body it was raised on
$p->write('db/run/25_fn.sql', <<'SQL');
CREATE OR REPLACE FUNCTION app_ratio(a int, b int) RETURNS int
LANGUAGE plpgsql AS $$
BEGIN
    IF b < 0 THEN
        RETURN 0;
    END IF;
    RETURN a / b;
END
$$;
SQL
$p->write('db/run/30_three.sql', "CREATE TABLE IF NOT EXISTS three (id int);\nSELECT app_ratio(1, 0);\n");
$r = $p->ssot('apply');
is($r->{rc}, 1, 'runtime error in a function exits 1');
like($r->{out}, qr/^db\/run\/30_three\.sql:2:1: error: division by zero \[22012\]$/m, 'located at the calling statement') or diag($r->{out});
like($r->{out}, qr/raised in function app_ratio at db\/run\/25_fn\.sql:7$/m, 'names the line in the function body') or diag($r->{out});
$p->remove('db/run/25_fn.sql');

# parse errors are found before anything runs
$p->write('db/run/30_three.sql', "CREATE TABLE IF NOT EXISTS three (id int);\nCREATE TABEL x (id int);\n");
$r = $p->ssot('apply');
is($r->{rc}, 1, 'syntax error exits 1');
like($r->{out}, qr/^db\/run\/30_three\.sql:2:8: error: syntax error at or near "TABEL"/m, 'syntax error position');
like($r->{out}, qr/refused before running anything/, 'nothing ran');

# BEGIN / COMMIT refused
$p->write('db/run/30_three.sql', "BEGIN;\nCREATE TABLE IF NOT EXISTS three (id int);\nCOMMIT;\n");
$r = $p->ssot('apply');
is($r->{rc}, 1, 'transaction control exits 1');
like($r->{out}, qr/^db\/run\/30_three\.sql:1:1: error: BEGIN is not allowed in a file: ssot runs all files in one transaction \[transaction-control\]$/m, 'BEGIN refused');
like($r->{out}, qr/^db\/run\/30_three\.sql:3:1: error: COMMIT is not allowed in a file/m, 'COMMIT refused');

# psql meta-commands refused
$p->write('db/run/30_three.sql', "CREATE TABLE IF NOT EXISTS three (id int);\n\\i other.sql\n");
$r = $p->ssot('apply');
is($r->{rc}, 1, 'meta-command exits 1');
like($r->{out}, qr/^db\/run\/30_three\.sql:2:1: error: psql meta-command \\i is not SQL/m, 'meta-command refused');
is($p->catalog_snapshot, $before, 'still nothing committed after all those failures');

# JSON shape of an SQL error
$p->write('db/run/30_three.sql', "SELECT nope FROM three;\n");
$r = $p->ssot('apply', '--format', 'json');
my $doc = decode_json($r->{out});
is($r->{rc}, 1, 'json error exits 1');
my ($f) = @{ $doc->{findings} };
is($f->{rule}, 'sql-error', 'json rule');
is($f->{severity}, 'error', 'json severity');
is($f->{file}, 'db/run/30_three.sql', 'json file');
is($f->{line}, 1, 'json line');
is($f->{col}, 8, 'json col');
is($f->{sqlstate}, '42703', 'json sqlstate');
is($doc->{summary}{outcome}, 'failed', 'json outcome');

# SARIF of an SQL error
$r = $p->ssot('apply', '--format', 'sarif');
$doc = decode_json($r->{out});
is($doc->{version}, '2.1.0', 'sarif version');
my $res = $doc->{runs}[0]{results}[0];
is($res->{ruleId}, 'sql-error', 'sarif ruleId');
is($res->{locations}[0]{physicalLocation}{artifactLocation}{uri}, 'db/run/30_three.sql', 'sarif uri');
is($res->{locations}[0]{physicalLocation}{region}{startLine}, 1, 'sarif line');
ok($res->{partialFingerprints}{primaryLocationLineHash}, 'sarif fingerprint');

# github annotations
$r = $p->ssot('apply', '--format', 'github');
like($r->{out}, qr/^::error file=db\/run\/30_three\.sql,line=1,col=8,.*::column "nope" does not exist/m, 'github annotation');

# after a fix, the apply goes through
$p->write('db/run/30_three.sql', "CREATE TABLE IF NOT EXISTS three (id int);\n");
$r = $p->ssot('apply');
is($r->{rc}, 0, 'fixed file applies');

done_testing();
