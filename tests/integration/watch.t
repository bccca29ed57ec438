# ssot watch: apply on save (content hashes, not mtimes), one transaction per
# cycle through apply, failures rolled back while the watcher keeps running,
# tests reported, bursts coalesced without overlapping runs, atomic renames,
# new directories, polling, JSON cycles, Ctrl-C, protected environments.
#
# The watcher runs as a background child with its output in files; every
# wait polls that output (or the database) with a deadline.
use strict;
use warnings;
use lib 'tests/lib';
use SsotTest;
use Test::More;
use JSON::PP;
use Time::HiRes qw(time sleep);
use Digest::SHA qw(sha256_hex);

sub fn { my ($name, $v) = @_; return "CREATE OR REPLACE FUNCTION $name() RETURNS int LANGUAGE sql AS \$\$ SELECT $v \$\$;\n"; }

my %files = (
	'db/prerun/00_settings.sql' => "SET client_min_messages = warning;\n",
	'db/run/10_a.sql' => "CREATE TABLE IF NOT EXISTS a (id int PRIMARY KEY);\n",
	'db/run/20_b.sql' => fn('b_version', 1),
	'db/run/30_c.sql' => fn('c_version', 1),
	'db/run/40_d.sql' => "CREATE OR REPLACE VIEW d AS SELECT id FROM a;\n",
	'db/run/50_e.sql' => fn('e_version', 1),
	'db/postrun/90_check.sql' => "DO \$\$ BEGIN ASSERT to_regclass('a') IS NOT NULL; END \$\$;\n",
	'db/tests/a.test.sql' => "DO \$\$ BEGIN ASSERT c_version() > 0, 'c_version is not positive'; END \$\$;\n",
);
my $p = SsotTest->project(%files);
$p->ssot('dev', 'start');

my $CYCLE = qr/^(?:\e\[\d*[HJ])*(?:✓|✗)[^\n]*\n/m;	# --clear puts escapes first
sub runs { $p->sql("select count(*) from ssot.runs") }
sub ran_files {
	$p->sql("select string_agg(path || '=' || ran, ' ' order by path) from ssot.files "
		. "where run_id = (select max(id) from ssot.runs)");
}

# ---- the first cycle applies everything ------------------------------------

my $w = $p->start('watch', '-v');
my $line = $w->next_match($CYCLE, 60);
like($line, qr/^✓ 7 files, 7 statements, \d+ ms · tests 1\/1$/m, 'first cycle applies everything')
	or diag($w->out . $w->err);
like($w->err, qr/watching db\/ \(inotify\) and applying to postgres@\S+\/dev; Ctrl-C to stop/, 'says what it watches');
is(runs(), '1', 'one ledger run');
is($p->sql("select c_version()"), '1', 'schema applied');

# ---- save -> applied; editing file 3 of 5 runs prerun, 3-5, postrun ---------

$p->write('db/run/30_c.sql', fn('c_version', 2));
$line = $w->next_match($CYCLE);
like($line, qr/^✓ 5 files, 5 statements, \d+ ms · tests 1\/1 · db\/run\/30_c\.sql changed$/m,
	'a save applies: prerun, files 3-5, postrun') or diag($w->out . $w->err);
is($p->sql("select c_version()"), '2', 'the change is visible in the database');
is(ran_files(), 'db/postrun/90_check.sql=true db/prerun/00_settings.sql=true db/run/10_a.sql=false '
	. 'db/run/20_b.sql=false db/run/30_c.sql=true db/run/40_d.sql=true db/run/50_e.sql=true',
	'ledger: files 1-2 did not run, prerun, 3-5 and postrun did');
is($p->sql("select sha256 from ssot.files where run_id = (select max(id) from ssot.runs) and path = 'db/run/30_c.sql'"),
	sha256_hex(fn('c_version', 2)), 'ledger records the new content hash');

# ---- the same bytes saved again run nothing --------------------------------

my $before = runs();
$p->write('db/run/30_c.sql', fn('c_version', 2));
ok($w->err_match(qr/no file changed its content; nothing to run/), 'identical bytes: nothing to run');
utime(undef, undef, "$p->{dir}/db/run/40_d.sql");	# a newer mtime alone is no change either
$p->write('db/run/40_d.sql', $files{'db/run/40_d.sql'});
ok($w->err_match(qr/no file changed its content; nothing to run/), 'a rewrite with a new mtime: nothing to run');
is(runs(), $before, 'no ledger run for identical saves');
unlike(substr($w->out, $w->{pos}{out}), $CYCLE, 'no cycle reported');

# ---- a syntax error: file:line:col, last good state kept, watcher survives --

$p->write('db/run/30_c.sql', "\nCREATE TABLE IF NOT EXISTS c (id int,, x int);\n");
$line = $w->next_match(qr/^✗[^\n]*\n/m);
like($line, qr/^✗ refused before running anything; the database keeps the last good state$/m, 'syntax error: refused');
like($w->out, qr/^db\/run\/30_c\.sql:2:38: error: syntax error at or near "," \[syntax-error\]$/m,
	'reported with file:line:col');
like($w->out, qr/^ 2 \| CREATE TABLE IF NOT EXISTS c \(id int,, x int\);\n   \| {38}\^$/m, 'with the source line and a caret');
is($p->sql("select c_version()"), '2', 'the database keeps the last good state');
ok($w->alive, 'the watcher survives');

# an SQL error at run time rolls back the statements before it
$p->write('db/run/30_c.sql', fn('c_version', 3) . "CREATE OR REPLACE VIEW broken AS SELECT nope FROM a;\n");
$line = $w->next_match(qr/^✗[^\n]*\n/m);
like($line, qr/^✗ rolled back; the database keeps the last good state$/m, 'run-time error: rolled back');
like($w->out, qr/^db\/run\/30_c\.sql:2:\d+: error: column "nope" does not exist/m, 'run-time error with file:line:col');
is($p->sql("select c_version()"), '2', 'the earlier statement of the same cycle was rolled back');
is($p->sql("select to_regclass('broken') is null"), 't', 'nothing of the failed cycle is left');

# the fix applies
$p->write('db/run/30_c.sql', fn('c_version', 4));
$line = $w->next_match($CYCLE);
like($line, qr/^✓ 5 files, 5 statements/m, 'the fix applies') or diag($w->out);
is($p->sql("select c_version()"), '4', 'the fix is visible');

# broken, then back to the applied bytes: nothing to run, and it says so
$p->write('db/run/20_b.sql', "CREATE TABLE (\n");
$w->next_match(qr/^✗[^\n]*\n/m);
$p->write('db/run/20_b.sql', $files{'db/run/20_b.sql'});
like($w->next_match($CYCLE), qr/^✓ back to the last applied state; nothing to run$/m, 'reverting a broken save');

# ---- a failing and a passing test in the same cycle --------------------------

$p->write('db/tests/b.test.sql', "\nDO \$\$ BEGIN ASSERT c_version() = 99, 'c_version is not 99'; END \$\$;\n");
$line = $w->next_match(qr/^✗[^\n]*\n/m);
like($line, qr/^✗ rolled back; the database keeps the last good state · tests 1\/2$/m, 'one of two tests failed');
like($w->out, qr/^db\/tests\/b\.test\.sql:2:\d+: error: test failed: c_version is not 99 \[test-failed\]$/m,
	'the failing test: message and location');
like($w->out, qr/^  ✓ db\/tests\/a\.test\.sql\n  ✗ db\/tests\/b\.test\.sql\n✗ rolled back/m, 'both tests listed');
$p->remove('db/tests/b.test.sql');
like($w->next_match($CYCLE), qr/^✓ back to the last applied state; nothing to run$/m,
	'removing the failing test: back to the applied state');
$p->write('db/tests/a.test.sql', "DO \$\$ BEGIN ASSERT c_version() >= 4; END \$\$;\n");
like($w->next_match($CYCLE), qr/^✓ 2 files, 2 statements, \d+ ms · tests 1\/1 · db\/tests\/a\.test\.sql changed$/m,
	'a changed test runs prerun, postrun and the tests, no schema file');

# ---- atomic-rename saves and a new subdirectory ------------------------------

$p->write('db/run/.20_b.sql.swp', "editor state\n");	# hidden files never count
$p->write('db/run/20_b.sql.tmp~', fn('b_version', 2));
rename("$p->{dir}/db/run/20_b.sql.tmp~", "$p->{dir}/db/run/20_b.sql") or die "rename: $!";
like($w->next_match($CYCLE), qr/^✓ 6 files, 6 statements, \d+ ms · tests 1\/1 · db\/run\/20_b\.sql changed$/m,
	'an atomic rename over a file is a save');
is($p->sql("select b_version()"), '2', 'renamed content applied');

mkdir("$p->{dir}/db/run/35_more") or die;
$p->write('db/run/35_more/10_f.sql', fn('f_version', 1));
like($w->next_match(qr/^✓[^\n]*35_more[^\n]*\n/m), qr/^✓ 5 files, 5 statements, \d+ ms · tests 1\/1 · db\/run\/35_more\/10_f\.sql changed$/m,
	'a new subdirectory is watched; its new file runs with the files after it');
is($p->sql("select f_version()"), '1', 'file in the new subdirectory applied');
$p->write('db/run/35_more/10_f.sql', fn('f_version', 2));
like($w->next_match($CYCLE), qr/10_f\.sql changed$/m, 'later saves in the new subdirectory are seen');
is($p->sql("select f_version()"), '2', 'and applied');

# a deleted file runs everything
$p->remove('db/run/35_more/10_f.sql');
like($w->next_match($CYCLE), qr/^✓ 7 files, 7 statements, \d+ ms · tests 1\/1 · db\/run\/35_more\/10_f\.sql removed$/m,
	'a deleted file runs the whole set');

# ---- a burst of 100 saves within one second ----------------------------------

my $runs_before = runs();
my $out_before = $w->{pos}{out};
my $t0 = time();
for my $i (1 .. 100) {
	$p->write('db/run/50_e.sql', fn('e_version', $i));
	# one save every 4 ms on a schedule: a late sleep (a busy machine) is not
	# added to the next one
	my $wait = $t0 + $i * 0.004 - time();
	sleep($wait) if $wait > 0;
}
my $burst = time() - $t0;
ok($burst < 1.0, sprintf('100 saves in %.2f s', $burst));
my $deadline = time() + 30;
sleep(0.02) until $p->sql("select e_version()") eq '100' || time() > $deadline;
is($p->sql("select e_version()"), '100', 'the final state is the last save');
my $final_sha = sha256_hex(fn('e_version', 100));
# the database commits before the watcher reports: wait for the last report
sub burst_cycles { my $n = () = substr($w->out, $out_before) =~ /^✓[^\n]*50_e\.sql changed\n/mg; return $n; }
$deadline = time() + 10;
sleep(0.02) until burst_cycles() == runs() - $runs_before || time() > $deadline;
my $cycles = burst_cycles();
my $new_runs = runs() - $runs_before;
ok($new_runs >= 1 && $new_runs < 50, "the burst was coalesced into $new_runs runs");
is($cycles, $new_runs, 'one report per run');
is($p->sql("select count(*) from ssot.runs r1 join ssot.runs r2 on r1.id < r2.id and r2.started_at < r1.finished_at"),
	'0', 'no two runs overlapped (ledger start and finish times)');
is($p->sql("select sha256 from ssot.files where run_id = (select max(id) from ssot.runs) and path = 'db/run/50_e.sql'"),
	$final_sha, 'the last run applied the last save');
$w->{pos}{out} = length($w->out);

# ---- Ctrl-C while waiting: exit 0, cluster left running ----------------------

my $st = $w->stop('INT');
is($st->{rc}, 0, 'Ctrl-C while waiting exits 0');
like($w->err, qr/stopped watching/, 'says it stopped');
is($p->dev_status->{rc}, 0, 'the embedded cluster is left running');

# ---- --poll (with --all, --clear, --tests skip) -----------------------------

$w = $p->start('watch', '--poll', '--all', '--clear', '--tests', 'skip');
like($w->next_match($CYCLE, 60), qr/✓ 7 files, 7 statements, \d+ ms$/m, 'poll: first cycle (no tests)') or diag($w->err);
like($w->err, qr/watching db\/ \(polling\)/, 'poll: says it polls');
like($w->out, qr/^\e\[H\e\[2J/, '--clear clears the screen');
$p->write('db/run/30_c.sql', fn('c_version', 5));
like($w->next_match($CYCLE), qr/✓ 7 files, 7 statements, \d+ ms · db\/run\/30_c\.sql changed$/m,
	'poll: a save is seen; --all runs every file');
is($p->sql("select c_version()"), '5', 'poll: applied');
$p->write('db/run/30_c.sql', "CREATE OR REPLACE FUNCTION c_version( RETURNS\n");
like($w->next_match($CYCLE), qr/✗ refused/m, 'poll: an error is reported');
$p->write('db/run/.30_c.sql.new', fn('c_version', 6));
rename("$p->{dir}/db/run/.30_c.sql.new", "$p->{dir}/db/run/30_c.sql") or die;
like($w->next_match($CYCLE), qr/✓ 7 files/m, 'poll: an atomic rename is seen');
mkdir("$p->{dir}/db/run/60_new") or die;
$p->write('db/run/60_new/g.sql', fn('g_version', 1));
like($w->next_match($CYCLE), qr/✓ 8 files, 8 statements/m, 'poll: a new directory is seen');
is($p->sql("select g_version()"), '1', 'poll: applied from the new directory');
is($w->stop('TERM')->{rc}, 0, 'SIGTERM while waiting exits 0 too');

# ---- --format json: one document per cycle, one line each --------------------

$w = $p->start('watch', '--format', 'json', '--seed');
my $doc = $w->next_match(qr/^\{[^\n]*\n/m, 60);
my $j = eval { decode_json($doc) } || {};
is($j->{command}, 'watch', 'json: command');
is($j->{summary}{cycle}, 1, 'json: cycle number');
is($j->{summary}{outcome}, 'applied', 'json: outcome');
is($j->{summary}{scope}, 'whole', 'json: first cycle is whole');
ok(!defined $j->{summary}{times}{changed_at}, 'json: no change time for the first cycle');
$p->write('db/seed/10_a.sql', "INSERT INTO a VALUES (1) ON CONFLICT DO NOTHING;\n");
my $saved = time();
$doc = $w->next_match(qr/^\{[^\n]*\n/m);
$j = eval { decode_json($doc) } || {};
is($j->{summary}{first_changed}, 'db/seed/10_a.sql', 'json: what changed');
is($j->{summary}{scope}, 'partial', 'json: partial');
is(join(',', map { $_->{path} } @{ $j->{summary}{file_list} }),
	'db/prerun/00_settings.sql,db/seed/10_a.sql,db/postrun/90_check.sql,db/tests/a.test.sql',
	'json: --seed runs the changed seed file, no run file');
is_deeply($j->{summary}{tests}, { passed => 1, failed => 0 }, 'json: tests');
my $t = $j->{summary}{times};
ok($t->{changed_at} >= $saved - 1 && $t->{changed_at} <= $t->{started_at}
	&& $t->{started_at} <= $t->{finished_at}, 'json: changed_at <= started_at <= finished_at');
is($p->sql("select count(*) from a"), '1', 'seed applied');
$p->write('db/run/40_d.sql', "CREATE OR REPLACE VIEW d AS SELECT nope FROM a;\n");
$j = eval { decode_json($w->next_match(qr/^\{[^\n]*\n/m)) } || {};
is($j->{summary}{outcome}, 'failed', 'json: failed cycle');
is($j->{findings}[0]{file}, 'db/run/40_d.sql', 'json: finding file');
is($j->{findings}[0]{line}, 1, 'json: finding line');
$w->stop;

# ---- Ctrl-C during a run: the query is cancelled, exit 130 -------------------

$p->write('db/run/40_d.sql', "CREATE OR REPLACE VIEW d AS SELECT id FROM a;\nSELECT pg_sleep(30);\n");
$w = $p->start('watch');
$deadline = time() + 30;
sleep(0.02) until $p->sql("select count(*) from pg_stat_activity where query like 'SELECT pg_sleep(30)%'") ne '0'
	|| time() > $deadline;
$st = $w->stop('INT');
is($st->{rc}, 130, 'Ctrl-C during a run exits 130');
like($w->err, qr/interrupted; the transaction was rolled back/, 'says the run was rolled back');
is($p->sql("select count(*) from pg_stat_activity where query like 'SELECT pg_sleep(30)%'"), '0', 'the query was cancelled');
$p->write('db/run/40_d.sql', $files{'db/run/40_d.sql'});

# ---- usage and protected environments ---------------------------------------

my $r = $p->ssot('watch', '--tests', 'bogus');
is($r->{rc}, 2, 'unknown --tests: exit 2');
like($r->{err}, qr/unknown --tests 'bogus'/, 'unknown --tests: message');
$r = $p->ssot('watch', '--format', 'sarif');
is($r->{rc}, 2, '--format sarif: exit 2');
like($r->{err}, qr/watch prints text or json/, '--format sarif: message');
$r = $p->ssot('watch', '--help');
like($r->{out}, qr/^usage: ssot watch /m, '--help');

$p->write('ssot.conf', "[env \"prod\"]\nurl_env = PROD_URL\nprotected = true\n");
$p->setenv(PROD_URL => $p->url);
$r = $p->ssot('watch', '--env', 'prod');
is($r->{rc}, 2, 'a protected environment is refused');
like($r->{err}, qr/refusing to watch a protected environment\ndetail: prod\nhint: watch applies every save; pass --yes/,
	'refusal message');
$w = $p->start('watch', '--env', 'prod', '--yes', '--tests', 'skip');
like($w->next_match($CYCLE, 60), qr/^✓ \d+ files/m, '--yes watches it anyway');
is($w->stop->{rc}, 0, 'and stops cleanly');

done_testing;
