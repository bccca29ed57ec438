# Atomicity and concurrency: kill -9 at random moments leaves the old or the
# new state and a free lock; ten concurrent applies serialize; a busy lock is
# reported with its holder; lock timeouts retry the whole transaction.
use strict;
use warnings;
use lib 'tests/lib';
use SsotTest;
use Test::More;
use Time::HiRes qw(time sleep);
use POSIX ":sys_wait_h";

my $N = 120;
my $v1 = join('', map { "CREATE TABLE IF NOT EXISTS t$_ (id int PRIMARY KEY, v text);\n" } 1 .. $N);
my $v2 = $v1 . join('', map { "ALTER TABLE t$_ ADD COLUMN IF NOT EXISTS w int;\nCREATE TABLE IF NOT EXISTS u$_ (id int REFERENCES t$_);\n" } 1 .. $N);

my $p = SsotTest->project('db/run/10_tables.sql' => $v1);
my $r = $p->ssot('apply');
is($r->{rc}, 0, 'v1 applied') or diag($r->{err});
my $old = $p->catalog_snapshot;
my $old_runs = $p->sql("select count(*) from ssot.runs");

$p->write('db/run/10_tables.sql', $v2);
my $t0 = time;
$r = $p->ssot('apply');
my $dur = time - $t0;
is($r->{rc}, 0, 'v2 applied') or diag($r->{err});
my $new = $p->catalog_snapshot;
isnt($new, $old, 'v2 differs from v1');

sub back_to_old {
	$p->sql(join('', map { "DROP TABLE IF EXISTS u$_; ALTER TABLE t$_ DROP COLUMN IF EXISTS w;" } 1 .. $N)
		. "DELETE FROM ssot.runs WHERE id > $old_runs;");
}

sub wait_idle {
	for (1 .. 100) {
		my $n = $p->sql("select count(*) from pg_stat_activity where application_name = 'ssot'");
		return 1 if $n eq '0';
		sleep 0.05;
	}
	return 0;
}

back_to_old();
is($p->catalog_snapshot, $old, 'back to v1');

my ($olds, $news, $bad, $locked) = (0, 0, 0, 0);
my $runs = 60;
for my $i (1 .. $runs) {
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if (!$pid) {
		chdir($p->dir);
		open(STDOUT, '>', '/dev/null');
		open(STDERR, '>', '/dev/null');
		exec($SsotTest::BIN, 'apply') or POSIX::_exit(127);
	}
	sleep(rand($dur * 1.3));
	kill 'KILL', $pid;
	waitpid($pid, 0);
	wait_idle() or $bad++;
	my $s = $p->catalog_snapshot;
	if ($s eq $old) {
		$olds++;
		$bad++ unless $p->sql("select count(*) from ssot.runs") eq $old_runs;
	} elsif ($s eq $new) {
		$news++;
		$bad++ unless $p->sql("select count(*) from ssot.runs") eq $old_runs + 1;
		back_to_old();
	} else {
		$bad++;
		diag("run $i: the catalog is neither the old nor the new state");
	}
	$locked++ if $p->sql("select count(*) from pg_locks where locktype = 'advisory'") ne '0';
}
is($bad, 0, "kill -9 during $runs applies: the database was always old or new (old $olds, new $news)");
is($locked, 0, 'the advisory lock was free after every kill');
ok($olds > 0 && $news > 0, 'the kills landed both before and after the commit') or diag("old $olds new $news");

# ten concurrent applies of the same files
$p->write('db/run/20_more.sql', "CREATE TABLE IF NOT EXISTS more (id int);\nSELECT pg_sleep(0.05);\n");
my $before = $p->sql("select count(*) from ssot.runs");
my @kids;
for (1 .. 10) {
	my $pid = fork();
	if (!$pid) {
		chdir($p->dir);
		open(STDOUT, '>', '/dev/null');
		open(STDERR, '>', '/dev/null');
		exec($SsotTest::BIN, 'apply') or POSIX::_exit(127);
	}
	push @kids, $pid;
}
my @codes;
for (@kids) { waitpid($_, 0); push @codes, $? >> 8; }
is_deeply(\@codes, [(0) x 10], 'ten concurrent applies all exit 0');
is($p->sql("select count(*) from ssot.runs") - $before, 10, 'ten ledger runs');
is($p->sql("select count(*) from (select run_id from ssot.files group by run_id having count(*) <> 2) x where run_id > $before"), '0',
	'every run has its two file rows');
is($p->sql("select count(*) from ssot.runs r where id > $before and finished_at < started_at"), '0', 'runs have sane times');
is($p->sql("select count(*) from pg_locks where locktype = 'advisory'"), '0', 'lock free afterwards');

# a busy lock names its holder
$p->write('db/run/20_more.sql', "SELECT pg_sleep(3);\n");
my $slow = fork();
if (!$slow) {
	chdir($p->dir);
	open(STDOUT, '>', '/dev/null');
	open(STDERR, '>', '/dev/null');
	exec($SsotTest::BIN, 'apply') or POSIX::_exit(127);
}
sleep 1;
$r = $p->ssot('apply', '--wait', '300ms');
is($r->{rc}, 2, 'busy lock: exit 2 after --wait');
like($r->{err}, qr/another apply is running \(pid \d+, user postgres, application ssot, since [^)]+\); waiting up to 300 ms/,
	'waiting message names the holder');
like($r->{err}, qr/ssot: error: another apply holds the lock on this database \(pid \d+, user postgres, application ssot.*\); gave up after 300 ms/,
	'timeout message names the holder');
waitpid($slow, 0);
is($? >> 8, 0, 'the slow apply finished');

# lock_timeout: a conflicting lock makes the transaction retry, then succeed
$p->write('db/run/20_more.sql', "ALTER TABLE more ADD COLUMN IF NOT EXISTS z int;\n");
my $holder = fork();
if (!$holder) {
	open(STDOUT, '>', '/dev/null');
	exec('psql', '-X', '-q', '-d', $p->url, '-c', 'BEGIN; LOCK TABLE more IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(0.8); COMMIT;')
		or POSIX::_exit(127);
}
sleep 0.3;
$r = $p->ssot('apply', '--lock-timeout', '150ms');
waitpid($holder, 0);
is($r->{rc}, 0, 'apply succeeds after retrying') or diag($r->{out} . $r->{err});
like($r->{err}, qr/canceling statement due to lock timeout; retrying the whole transaction \(1\/3\)/, 'retry reported');
like($r->{out}, qr/; \d retr(y|ies)/, 'summary counts retries');

done_testing();
