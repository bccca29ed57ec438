# Ctrl-C: the first SIGINT cancels the running query and rolls back (exit
# 130, nothing applied); a second SIGINT exits at once.
use strict;
use warnings;
use lib 'tests/lib';
use SsotTest;
use Test::More;
use Time::HiRes qw(time sleep);
use File::Temp qw(tempfile);

my $p = SsotTest->project(
	'db/run/10_a.sql' => "CREATE TABLE IF NOT EXISTS a (id int);\n",
	'db/run/20_slow.sql' => "CREATE TABLE IF NOT EXISTS b (id int);\nSELECT pg_sleep(30);\n",
);
$p->url;	# start the cluster before timing anything

sub start_apply {
	my ($err) = @_;
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if (!$pid) {
		chdir($p->dir);
		open(STDOUT, '>', '/dev/null');
		open(STDERR, '>', $err);
		exec($SsotTest::BIN, 'apply') or POSIX::_exit(127);
	}
	return $pid;
}

sub wait_for_sleep {
	for (1 .. 100) {
		return 1 if $p->sql("select count(*) from pg_stat_activity where query like 'SELECT pg_sleep(30)%'") ne '0';
		sleep 0.1;
	}
	return 0;
}

my (undef, $errfile) = tempfile();
my $pid = start_apply($errfile);
ok(wait_for_sleep(), 'the apply is running its slow statement');
my $t0 = time;
kill 'INT', $pid;
waitpid($pid, 0);
my $took = time - $t0;
is($? >> 8, 130, 'first SIGINT: exit 130');
ok($took < 5, sprintf('the running query was cancelled at once (%.2f s)', $took));
my $err = do { local (@ARGV, $/) = ($errfile); <> };
like($err, qr/ssot: error: interrupted; the transaction was rolled back, nothing was applied/, 'says it rolled back');
is($p->sql("select to_regclass('a') is null and to_regclass('b') is null"), 't', 'nothing was applied');
is($p->sql("select count(*) from pg_stat_activity where query like 'SELECT pg_sleep(30)%'"), '0', 'the server query is gone');
is($p->sql("select count(*) from pg_locks where locktype = 'advisory'"), '0', 'advisory lock released');

# a second SIGINT exits at once, even while the first is still waiting for
# the server (whose backend we freeze so the cancel cannot take effect)
$pid = start_apply($errfile);
ok(wait_for_sleep(), 'running again');
my $backend = $p->sql("select pid from pg_stat_activity where query like 'SELECT pg_sleep(30)%'");
kill 'STOP', $backend;
kill 'INT', $pid;
sleep 0.3;
ok(kill(0, $pid), 'after the first SIGINT ssot still waits for the frozen server');
$t0 = time;
kill 'INT', $pid;
waitpid($pid, 0);
$took = time - $t0;
kill 'CONT', $backend;
is($? >> 8, 130, 'second SIGINT: exit 130');
ok($took < 1, sprintf('second SIGINT exits at once (%.2f s)', $took));
$err = do { local (@ARGV, $/) = ($errfile); <> };
like($err, qr/interrupted again; exiting at once/, 'says it exits at once');
for (1 .. 50) { last if $p->sql("select count(*) from pg_stat_activity where query like 'SELECT pg_sleep(30)%'") eq '0'; sleep 0.1 }
is($p->sql("select to_regclass('a') is null"), 't', 'still nothing applied');

# Ctrl-C during a catalog read: another session holds `$rel` exclusively
# and inspect waits for it; the first SIGINT cancels the read and exits 130.
sub interrupt_blocked_inspect {
	my ($rel, $what) = @_;
	my $holder = fork();
	if (!$holder) {
		open(STDOUT, '>', '/dev/null');
		exec('psql', '-X', '-q', '-d', $p->url, '-c', "BEGIN; LOCK TABLE $rel IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(20); COMMIT;")
			or POSIX::_exit(127);
	}
	for (1 .. 100) {
		last if $p->sql("select count(*) from pg_locks where relation = '$rel'::regclass and granted") ne '0';
		sleep 0.1;
	}
	my $pid = fork();
	if (!$pid) {
		chdir($p->dir);
		open(STDOUT, '>', '/dev/null');
		open(STDERR, '>', $errfile);
		exec($SsotTest::BIN, 'inspect', '--format', 'json') or POSIX::_exit(127);
	}
	my $blocked = 0;
	for (1 .. 100) {
		last if ($blocked = $p->sql("select count(*) from pg_locks where relation = '$rel'::regclass and not granted")) ne '0';
		sleep 0.1;
	}
	is($blocked, '1', "$what waits for $rel");
	my $t0 = time;
	kill 'INT', $pid;
	waitpid($pid, 0);
	my $took = time - $t0;
	is($? >> 8, 130, "SIGINT while $what waits: exit 130");
	ok($took < 3, sprintf('the read was cancelled at once (%.2f s)', $took));
	my $err = do { local (@ARGV, $/) = ($errfile); <> };
	like($err, qr/interrupted while reading the catalogs/, 'says it was interrupted') or diag($err);
	kill 'TERM', $holder;
	$p->sql("select pg_terminate_backend(pid) from pg_stat_activity where query like 'BEGIN; LOCK TABLE $rel %'");
	waitpid($holder, 0);
}

# the main session: a view's definition opens the locked view
$p->sql("CREATE TABLE IF NOT EXISTS locked_t (id int); CREATE OR REPLACE VIEW locked_v AS SELECT id FROM locked_t");
interrupt_blocked_inspect('locked_v', 'the main session');
# the second session: a CHECK only the server prints (a function call) is
# printed there, and that opens the locked table
$p->sql("DROP VIEW locked_v; CREATE TABLE IF NOT EXISTS locked_c (t text CONSTRAINT short_t CHECK (char_length(t) < 5))");
interrupt_blocked_inspect('locked_c', 'the second session');

unlink $errfile;
done_testing();
