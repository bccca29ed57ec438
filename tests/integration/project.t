# ssot init, ssot status, tests, reset, ssot.conf environments and .env.
use strict;
use warnings;
use lib 'tests/lib';
use SsotTest;
use Test::More;
use JSON::PP;

my $p = SsotTest->project();

# init creates the layout and is idempotent
my $r = $p->ssot('init');
is($r->{rc}, 0, 'init exits 0');
like($r->{out}, qr/^created db\/run\/10_example\.sql$/m, 'init writes an example file');
ok(-d $p->dir . "/db/$_", "db/$_ exists") for qw(prerun run seed postrun reset);
like($p->read('.gitignore'), qr/^\.ssot\/$/m, '.gitignore ignores .ssot/');
ok(-f $p->dir . '/ssot.conf', 'ssot.conf written');
$r = $p->ssot('init');
is($r->{rc}, 0, 'second init exits 0');
is($r->{out}, "nothing to do: the layout is in place\n", 'second init changes nothing');
my @ignores = $p->read('.gitignore') =~ /^\.ssot\/$/mg;
is(scalar @ignores, 1, '.gitignore entry not duplicated');

# the example project applies with its seed and its test
$r = $p->ssot('apply', '--seed', '--tests', 'always');
is($r->{rc}, 0, 'example applies with seed and tests') or diag($r->{out} . $r->{err});
like($r->{out}, qr/; tests 1\/1/, 'example test passed');
is($p->sql("select count(*) from example"), '2', 'seed rows, and the test row rolled back');

# status
$r = $p->ssot('status');
is($r->{rc}, 0, 'status: up to date exits 0');
like($r->{out}, qr/^postgres@.*\/dev: last applied \d{4}-\d\d-\d\d [\d:]+ \S+ by postgres \(os user \S+\), run 1, ssot [\d.]+$/m, 'status names the last run');
like($r->{out}, qr/^up to date: 3 files unchanged$/m, 'status: all unchanged');
$p->write('db/run/10_example.sql', $p->read('db/run/10_example.sql') . "\nCOMMENT ON TABLE example IS 'changed';\n");
$p->write('db/run/20_new.sql', "CREATE TABLE IF NOT EXISTS n (id int);\n");
$p->remove('db/seed/10_example.sql');
$r = $p->ssot('status');
is($r->{rc}, 1, 'status: pending exits 1');
like($r->{out}, qr/^  changed   db\/run\/10_example\.sql$/m, 'changed file');
like($r->{out}, qr/^  new       db\/run\/20_new\.sql$/m, 'new file');
like($r->{out}, qr/^  deleted   db\/seed\/10_example\.sql$/m, 'deleted file');
like($r->{out}, qr/^3 files pending; run 'ssot apply'$/m, 'pending count');
$r = $p->ssot('status', '--format', 'json');
my $doc = decode_json($r->{out});
is($doc->{pending}, 3, 'json pending');
is($doc->{last_run}{id}, 1, 'json last run');
is_deeply([map { "$_->{status} $_->{path}" } grep { $_->{status} ne 'unchanged' } @{ $doc->{files} }],
	['changed db/run/10_example.sql', 'new db/run/20_new.sql', 'deleted db/seed/10_example.sql'], 'json file states');
$p->ssot('apply');
$r = $p->ssot('status');
is($r->{rc}, 0, 'status after apply exits 0') or diag($r->{out});

# a fresh database has no ledger
$p->sql("create database other");
(my $other = $p->url) =~ s{/dev\?}{/other?};
$r = $p->ssot('status', '--db', $other);
is($r->{rc}, 1, 'status on a never-applied database exits 1');
like($r->{out}, qr/never applied by ssot \(no ledger in schema "ssot"\)/, 'never applied');

# tests: a failing test rolls the apply back and both tests are reported
$p->write('db/tests/a_pass.test.sql', "DO \$\$ BEGIN ASSERT 1 = 1; END \$\$;\n");
$p->write('db/tests/b_fail.test.sql', "\nDO \$\$ BEGIN\n  ASSERT (SELECT count(*) FROM n) = 5, 'n should have 5 rows';\nEND \$\$;\n");
$p->write('db/run/30_more.sql', "CREATE TABLE IF NOT EXISTS more (id int);\n");
$r = $p->ssot('apply', '--tests', 'always');
is($r->{rc}, 1, 'failing test exits 1');
like($r->{out}, qr/^db\/tests\/b_fail\.test\.sql:3:3: error: test failed: n should have 5 rows \[test-failed\]$/m, 'failing test located') or diag($r->{out});
like($r->{out}, qr/tests failed; rolled back, nothing was applied/, 'apply rolled back');
is($p->sql("select to_regclass('more') is null"), 't', 'schema change rolled back');
$r = $p->ssot('apply', '--tests', 'only');
is($r->{rc}, 1, 'tests only: failing exits 1');
$p->remove('db/tests/b_fail.test.sql');
$r = $p->ssot('apply', '--tests', 'only');
is($r->{rc}, 0, 'tests only: passing exits 0');
like($r->{out}, qr/^tests: 2 passed, 0 failed \(\d+ ms, rolled back\)$/m, 'tests only summary');

# environments: url_env, protected reset
$p->write('ssot.conf', "[project]\ndir = db\n\n[env \"stage\"]\nurl_env = STAGE_URL\nprotected = true\n");
$r = $p->ssot('status', '--env', 'stage');
is($r->{rc}, 2, 'unset url_env exits 2');
like($r->{err}, qr/ssot: error: environment 'stage' takes its database from \$STAGE_URL, which is not set/, 'url_env message');
$r = $p->ssot('status', '--env', 'nope');
like($r->{err}, qr/ssot: error: no environment 'nope' in ssot\.conf/, 'unknown env');
$p->write('db/reset/00_drop.sql', "DROP TABLE IF EXISTS more;\n");
$r = $p->ssot({ env => { STAGE_URL => $p->url } }, 'apply', '--env', 'stage', '--reset');
is($r->{rc}, 2, 'reset on a protected env without consent exits 2');
like($r->{err}, qr/refusing --reset on protected environment without consent/, 'refusal message');
# at a terminal: the database name typed is the consent (script(1) gives a pty)
my $cmd = "$SsotTest::BIN apply --env stage --reset";
$r = $p->run_cmd(['sh', '-c', "(sleep 1; echo wrong) | script -qec '$cmd' /dev/null"], env => { STAGE_URL => $p->url });
like($r->{out}, qr/type the database name \(dev\) to continue/, 'tty: asks for the database name');
like($r->{out}, qr/ssot: error: the name does not match; nothing was done/, 'tty: a wrong name refuses');
is($p->sql("select count(*) from ssot.runs where environment = 'stage'"), '0', 'tty: nothing applied after a wrong name');
$r = $p->run_cmd(['sh', '-c', "(sleep 1; echo dev) | script -qec '$cmd' /dev/null"], env => { STAGE_URL => $p->url });
like($r->{out}, qr/^applied \d+ files/m, 'tty: the right name applies') or diag($r->{out});
$r = $p->ssot({ env => { STAGE_URL => $p->url } }, 'apply', '--env', 'stage', '--reset', '--yes');
is($r->{rc}, 0, 'reset with --yes') or diag($r->{out} . $r->{err});
is($p->sql("select environment from ssot.runs order by id desc limit 1"), 'stage', 'ledger records the environment');

# .env supplies variables; the real environment wins
$p->write('.env', "# local settings\nSTAGE_URL=\"$p->{url}\"\n");
$r = $p->ssot('status', '--env', 'stage');
isnt($r->{rc}, 2, '.env provides STAGE_URL') or diag($r->{err});
$r = $p->ssot({ env => { STAGE_URL => 'host=/nonexistent dbname=x' } }, 'status', '--env', 'stage');
is($r->{rc}, 2, 'real environment wins over .env');

# bad ssot.conf
$p->write('ssot.conf', "[project]\ndir = db\ncolour = blue\n");
$r = $p->ssot('status');
is($r->{rc}, 2, 'bad ssot.conf exits 2');
like($r->{err}, qr/ssot: error: ssot\.conf:3: unknown key 'colour' in \[project\]/, 'bad key reported with its line');
unlink($p->dir . '/ssot.conf');

# usage errors
$r = $p->ssot('apply', '--tests', 'sometimes');
is($r->{rc}, 2, 'bad --tests exits 2');
like($r->{err}, qr/unknown --tests 'sometimes'/, 'bad --tests message');
$r = $p->ssot('frobnicate');
is($r->{rc}, 2, 'unknown command exits 2');
$r = $p->ssot('apply', '--help');
is($r->{rc}, 0, 'apply --help');
like($r->{out}, qr/^examples:$/m, 'help has examples');
$r = $p->ssot('--dir', 'nowhere', 'apply');
is($r->{rc}, 2, 'missing SQL directory exits 2');
like($r->{err}, qr/no SQL directory 'nowhere'/, 'missing directory message');

# no server binaries: the embedded cluster cannot start, and says why
my $q = SsotTest->project('db/run/10_a.sql' => "CREATE TABLE IF NOT EXISTS a (id int);\n");
$r = $q->ssot({ env => { SSOT_PG_BINDIR => '/nonexistent' } }, 'apply');
is($r->{rc}, 2, 'no server binaries: exit 2');
like($r->{err}, qr/^ssot: error: cannot start the embedded PostgreSQL$/m, 'no server binaries: error');
like($r->{err}, qr/^detail: no PostgreSQL server binaries found \(initdb, pg_ctl\) in \/nonexistent \(SSOT_PG_BINDIR\)$/m, 'no server binaries: detail');
like($r->{err}, qr/^hint: install them \(apt-get install postgresql-15\)/m, 'no server binaries: hint names the package');

done_testing();
