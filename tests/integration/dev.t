# ssot dev: the embedded PostgreSQL (start, stop, status, url, psql, reset,
# destroy), where it lives as root and not, concurrent starts, and the errors
# a user can meet (usage, missing binaries, initdb and server start failures).
use strict;
use warnings;
use lib 'tests/lib';
use SsotTest;
use Test::More;
use Cwd qw(realpath);
use Digest::SHA qw(sha256_hex);
use File::Temp qw(tempdir);
use JSON::PP qw(decode_json);
use POSIX qw(_exit);
use Time::HiRes qw(time);

my $AS_ROOT = $> == 0;

# Owner (user name) of a path.
sub owner { my @st = stat($_[0]) or return ''; return scalar getpwuid($st[4]) }

# The postmaster's pid from a data directory.
sub postmaster_pid {
	open(my $fh, '<', "$_[0]/postmaster.pid") or return undef;
	my $pid = <$fh>;
	chomp $pid;
	return $pid;
}

# Fake server binaries that fail, saying so on stderr (the server user must
# be able to run them, hence 0755).
sub fake_bindir {
	my (%real) = @_;
	my $dir = tempdir('ssot-fakebin-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	chmod 0755, $dir;
	for my $tool (qw(initdb pg_ctl)) {
		if ($real{$tool}) {
			symlink($real{$tool}, "$dir/$tool") or die "symlink: $!";
			next;
		}
		open(my $t, '>', "$dir/$tool") or die "$dir/$tool: $!";
		print $t "#!/bin/sh\necho '$tool: first line' >&2\necho '$tool: error: fake failure' >&2\nexit 1\n";
		close($t);
		chmod 0755, "$dir/$tool";
	}
	return $dir;
}
my $fake = fake_bindir();
chomp(my $real_bindir = `pg_config --bindir 2>/dev/null` // '');
($real_bindir) = grep { -x "$_/initdb" } ($ENV{SSOT_PG_BINDIR} // (), $real_bindir,
					    reverse sort glob('/usr/lib/postgresql/*/bin'));

# ------------------------------------------------------------------ usage

my $p = SsotTest->project();

my $r = $p->ssot('dev', '--help');
is($r->{rc}, 0, 'dev --help exits 0');
like($r->{out}, qr/^usage: ssot dev start\|stop\|status\|url\|reset\|destroy$/m, 'help: usage line');
like($r->{out}, qr/^\s+destroy\s+stop it and remove/m, 'help: destroy documented');
like($r->{out}, qr/exit status 0 when\s+running, 1 when stopped or absent/, 'help: status exit codes documented');

$r = $p->ssot('dev');
is($r->{rc}, 2, 'no subcommand: exit 2');
like($r->{err}, qr/^ssot: error: missing subcommand \(start, stop, status, url, psql, reset or destroy\)$/m,
     'no subcommand: message');
like($r->{err}, qr/^hint: see 'ssot dev --help'$/m, 'no subcommand: hint');

$r = $p->ssot('dev', 'frobnicate');
is($r->{rc}, 2, 'unknown subcommand: exit 2');
like($r->{err}, qr/^ssot: error: unknown subcommand 'frobnicate' \(expected start, stop, status, url, psql, reset or destroy\)$/m,
     'unknown subcommand: message');

$r = $p->ssot('dev', 'status', 'extra');
is($r->{rc}, 2, 'extra argument: exit 2');
like($r->{err}, qr/^ssot: error: unexpected argument 'extra'$/m, 'extra argument: message');

$r = $p->ssot('dev', '--bogus');
is($r->{rc}, 2, 'unknown option: exit 2');
like($r->{err}, qr/^ssot: error: unknown option '--bogus'$/m, 'unknown option: message');

# ---------------------------------------------------------------- absent

my $st = $p->dev_status;
is($st->{rc}, 1, 'status before start: exit 1');
is($st->{state}, 'absent', 'status before start: absent');
my $datadir = $st->{datadir};
my $sockdir = $st->{socket};

$r = $p->ssot('dev', 'stop');
is($r->{rc}, 0, 'stop when absent: exit 0');
is($r->{err}, "ssot: embedded PostgreSQL is not running ($datadir)\n", 'stop when absent: says so');

# ------------------------------------------------------------ where it lives

my $hex = substr(sha256_hex(realpath($p->dir)), 0, 12);
if ($AS_ROOT) {
	# tempdir() is 0700: the postgres user cannot reach the project
	is($datadir, "/var/tmp/ssot-$hex/pg", 'as root, project unreachable by postgres: cluster under /var/tmp');
	is($sockdir, "/var/tmp/ssot-$hex/sock", 'socket directory next to it');
	is($st->{'server user'}, 'postgres', 'status names the server user');
} else {
	is($datadir, realpath($p->dir) . '/.ssot/pg', 'cluster under .ssot/pg');
	is($sockdir, realpath($p->dir) . '/.ssot/sock', 'socket under .ssot/sock');
}

# -------------------------------------------------------------- cold start

my $t0 = time;
$r = $p->ssot('dev', 'start');
my $cold = time - $t0;
is($r->{rc}, 0, 'start: exit 0') or diag($r->{err});
is($r->{out}, '', 'start: nothing on stdout');
# as root the project (a 0700 tempdir) is out of the server user's reach: said where it is made
my $elsewhere = $AS_ROOT ? " (user postgres cannot reach " . realpath($p->dir) . "/.ssot)" : '';
is($r->{err},
   "ssot: initialising embedded PostgreSQL in $datadir$elsewhere\n"
   . "ssot: starting embedded PostgreSQL ($datadir)\n"
   . "ssot: embedded PostgreSQL running: $datadir (socket $sockdir)\n",
   'start: progress lines');
note(sprintf('cold start (initdb + start + create dev): %.2f s', $cold));
ok(-e "$datadir/PG_VERSION", 'data directory initialised');
ok(-S "$sockdir/.s.PGSQL.5432", 'socket in the private directory');

my $pid = postmaster_pid($datadir);
like($pid, qr/^\d+$/, 'postmaster.pid names a process');
if ($AS_ROOT) {
	chomp(my $user = `ps -o user= -p $pid`);
	is($user, 'postgres', 'as root: the server runs as postgres');
	is(owner($datadir), 'postgres', 'as root: data directory owned by postgres');
	is(owner($sockdir), 'postgres', 'as root: socket directory owned by postgres');
	is((stat($datadir))[2] & 07777, 0700, 'data directory is 0700');
}

$st = $p->dev_status;
is($st->{rc}, 0, 'status running: exit 0');
is($st->{state}, 'running', 'status: running');
is($st->{datadir}, $datadir, 'status: datadir');
is($st->{socket}, $sockdir, 'status: socket');
is($st->{log}, ($datadir =~ s{/pg$}{}r) . '/pg.log', 'status: log file');
like($st->{url}, qr{^postgresql://postgres@/dev\?host=%2F[^&]+&port=5432$}, 'status: url');

$r = $p->ssot('dev', 'status', '--format', 'json');
is($r->{rc}, 0, 'status --format json: exit 0');
my $js = eval { decode_json($r->{out}) };
is($js && $js->{state}, 'running', 'json status: state');
is($js && $js->{datadir}, $datadir, 'json status: datadir');
is($js && $js->{url}, $st->{url}, 'json status: url');

# -------------------------------------------------------------- warm start

$t0 = time;
$r = $p->ssot('dev', 'start');
my $noop = time - $t0;
is($r->{rc}, 0, 'start again: exit 0');
is($r->{err}, "ssot: embedded PostgreSQL running: $datadir (socket $sockdir)\n", 'start again: only the running line');
note(sprintf('start when already running: %.3f s', $noop));

$r = $p->ssot('-q', 'dev', 'start');
is($r->{err}, '', 'start -q: silent');
$r = $p->ssot('dev', 'start', '-q');
is($r->{err}, '', 'start -q after the subcommand: silent');

# ------------------------------------------------------------------ url

$r = $p->ssot('dev', 'url');
is($r->{rc}, 0, 'url: exit 0');
is($r->{out}, "$st->{url}\n", 'url: only the URI on stdout');
is($r->{err}, '', 'url on a running cluster: nothing on stderr');
is($p->sql('select current_database() || \' \' || current_user'), 'dev postgres', 'psql accepts the url');
is($p->sql('show listen_addresses'), '', 'no TCP listener');
is($p->sql('show fsync'), 'off', 'fsync off');
is($p->sql('show max_locks_per_transaction'), '1024', 'max_locks_per_transaction 1024');
is($p->sql('show unix_socket_directories'), $sockdir, 'socket directory setting');
is($p->sql("select pg_encoding_to_char(encoding) from pg_database where datname = 'dev'"), 'UTF8', 'UTF8 encoding');

# ------------------------------------------------------------------ psql

$r = $p->ssot('dev', 'psql', '-X', '-At', '-c', 'select 40 + 2');
is($r->{rc}, 0, 'dev psql: exit 0') or diag($r->{err});
is($r->{out}, "42\n", 'dev psql: arguments go to psql');
$r = $p->ssot('dev', 'psql', '--', '-X', '-At', '-c', 'select current_database()');
is($r->{out}, "dev\n", 'dev psql -- ...: on the dev database');
$r = $p->ssot('dev', 'psql', '-X', '-At', '-c', 'select current_database()', 'postgres');
is($r->{out}, "postgres\n", 'dev psql DBNAME: psql picks the database');
$r = $p->ssot('dev', 'psql', '-X', '-At', '-c', 'select nosuchcolumn');
is($r->{rc}, 1, "dev psql: psql's exit status");

# no psql anywhere: neither in PATH nor next to the server binaries
$r = $p->ssot({ env => { PATH => '/nonexistent', SSOT_PG_BINDIR => $fake } }, 'dev', 'psql', '-c', 'select 1');
is($r->{rc}, 2, 'psql missing: exit 2');
like($r->{err}, qr/^ssot: error: cannot run psql: No such file or directory$/m, 'psql missing: message');
like($r->{err}, qr/^hint: install the PostgreSQL client \(apt-get install postgresql-client\)$/m, 'psql missing: hint');

# ----------------------------------------------------------------- reset

$p->sql('create table kept (id int); insert into kept values (1)');
is($p->sql('select count(*) from kept'), '1', 'table created in dev');
# a session left open on dev: reset must still go through
my $holder = fork();
die "fork: $!" unless defined $holder;
if (!$holder) {
	open(STDOUT, '>', '/dev/null');
	open(STDERR, '>', '/dev/null');
	exec('psql', '-X', '-d', $p->url, '-c', 'select pg_sleep(60)') or _exit(127);
}
for (1 .. 50) {
	last if $p->sql("select count(*) from pg_stat_activity where query like 'select pg_sleep%'") eq '1';
	select(undef, undef, undef, 0.1);
}
$r = $p->ssot('dev', 'reset');
is($r->{rc}, 0, 'reset: exit 0') or diag($r->{err});
is($r->{err}, "ssot: dev database dropped and re-created\n", 'reset: message');
is($p->sql("select count(*) from pg_class where relname = 'kept'"), '0', 'reset: dev database is empty');
kill 'TERM', $holder;
waitpid($holder, 0);

# ------------------------------------------------------- stop, warm start

$p->sql('create table survives (id int)');
$r = $p->ssot('dev', 'stop');
is($r->{rc}, 0, 'stop: exit 0') or diag($r->{err});
is($r->{err}, "ssot: embedded PostgreSQL stopped ($datadir)\n", 'stop: message');
# pg_ctl -w returns once postmaster.pid is gone, a moment before the exit
for (1 .. 50) { last unless kill(0, $pid); select(undef, undef, undef, 0.1) }
ok(!kill(0, $pid), 'stop: the postmaster is gone');
$st = $p->dev_status;
is($st->{rc}, 1, 'status stopped: exit 1');
is($st->{state}, 'stopped', 'status: stopped');

$r = $p->ssot('dev', 'stop');
is($r->{err}, "ssot: embedded PostgreSQL is not running ($datadir)\n", 'stop twice: says not running');

$t0 = time;
$r = $p->ssot('dev', 'start');
my $warm = time - $t0;
is($r->{rc}, 0, 'warm start: exit 0') or diag($r->{err});
is($r->{err},
   "ssot: starting embedded PostgreSQL ($datadir)\n"
   . "ssot: embedded PostgreSQL running: $datadir (socket $sockdir)\n",
   'warm start: no initdb');
note(sprintf('warm start (stopped cluster): %.2f s', $warm));
is($p->sql("select count(*) from pg_class where relname = 'survives'"), '1', 'warm start: data kept');

# url on a stopped cluster starts it
$p->ssot('dev', 'stop');
$r = $p->ssot('dev', 'url');
is($r->{rc}, 0, 'url on a stopped cluster: exit 0');
is($r->{out}, "$st->{url}\n", 'url on a stopped cluster: the URI');
like($r->{err}, qr/^ssot: starting embedded PostgreSQL \(\Q$datadir\E\)$/m, 'url on a stopped cluster: starts it');

# ------------------------------------------------------ server start failure

$p->ssot('dev', 'stop');
my $conf = "$datadir/postgresql.conf";
my $saved = do { local (@ARGV, $/) = ($conf); <> };
open(my $fh, '>>', $conf) or die "$conf: $!";
print $fh "ssot_test_bogus = 1\n";
close($fh);
$r = $p->ssot('dev', 'start');
is($r->{rc}, 2, 'start failure: exit 2');
like($r->{err},
     qr/^ssot: error: could not start embedded PostgreSQL: configuration file "\Q$conf\E" contains errors$/m,
     'start failure: the server\'s reason');
like($r->{err}, qr/^detail: .*unrecognized configuration parameter "ssot_test_bogus"/m, 'start failure: log tail as detail');
like($r->{err}, qr/^hint: the server's log is \Q$st->{log}\E$/m, 'start failure: hint names the log');
open($fh, '>', $conf) or die "$conf: $!";
print $fh $saved;
close($fh);
$r = $p->ssot('-q', 'dev', 'start');
is($r->{rc}, 0, 'start after fixing the configuration') or diag($r->{err});

# --------------------------------------------------------------- destroy

$r = $p->ssot('dev', 'destroy');
is($r->{rc}, 0, 'destroy: exit 0') or diag($r->{err});
is($r->{err}, "ssot: embedded PostgreSQL removed ($datadir)\n", 'destroy: message');
ok(!-e $datadir, 'destroy: data directory removed');
ok(!-e $sockdir, 'destroy: socket directory removed');
ok(!-e "/var/tmp/ssot-$hex", 'destroy: the /var/tmp directory removed') or diag(`ls -laR /var/tmp/ssot-$hex`)
	if $AS_ROOT;
$st = $p->dev_status;
is($st->{state}, 'absent', 'status after destroy: absent');
$r = $p->ssot('dev', 'destroy');
is($r->{rc}, 0, 'destroy twice: exit 0');
is($r->{err}, "ssot: no embedded PostgreSQL to remove ($datadir)\n", 'destroy twice: nothing to remove');

# ------------------------------------------------------ concurrent starts

my $q = SsotTest->project();
my @kids;
for my $i (1 .. 4) {
	my $kid = fork();
	die "fork: $!" unless defined $kid;
	if (!$kid) {
		my $res = $q->ssot('dev', 'start');
		open(my $out, '>', $q->dir . "/start.$i") or _exit(3);
		print $out "$res->{rc}\n$res->{err}";
		close($out);
		$q->{dir} = undef;	# the parent owns the project
		_exit(0);
	}
	push @kids, $kid;
}
waitpid($_, 0) for @kids;
my ($ok, $inits) = (0, 0);
for my $i (1 .. 4) {
	my $s = $q->read("start.$i") // '';
	$ok++ if $s =~ /^0\n/ && $s =~ /embedded PostgreSQL running/;
	$inits++ if $s =~ /initialising embedded PostgreSQL/;
	diag($s) unless $s =~ /^0\n/;
}
is($ok, 4, '4 concurrent starts all succeed');
is($inits, 1, 'exactly one of them ran initdb');
is($q->sql('select 1'), '1', 'the cluster they started answers');
undef $q;

# ------------------------------------------------------- missing binaries

my $m = SsotTest->project();
$r = $m->ssot({ env => { SSOT_PG_BINDIR => '/nonexistent' } }, 'dev', 'start');
is($r->{rc}, 2, 'SSOT_PG_BINDIR=/nonexistent: exit 2');
like($r->{err}, qr{^ssot: error: no PostgreSQL server binaries found \(initdb, pg_ctl\) in /nonexistent \(SSOT_PG_BINDIR\)$}m,
     'missing binaries: message');
like($r->{err}, qr{^hint: install them \(apt-get install postgresql-15\) or set SSOT_PG_BINDIR to the directory holding initdb and pg_ctl$}m,
     'missing binaries: hint names postgresql-15 and SSOT_PG_BINDIR');
is($m->dev_status->{state}, 'absent', 'missing binaries: nothing created');
ok(!-e "/var/tmp/ssot-" . substr(sha256_hex(realpath($m->dir)), 0, 12), 'missing binaries: no directory left behind')
	if $AS_ROOT;

# initdb failing: its stderr becomes the message and the detail
$r = $m->ssot({ env => { SSOT_PG_BINDIR => $fake } }, 'dev', 'start');
is($r->{rc}, 2, 'initdb failure: exit 2');
like($r->{err}, qr/^ssot: error: initdb failed: initdb: error: fake failure$/m, 'initdb failure: last stderr line');
like($r->{err}, qr/^detail: initdb: first line\ninitdb: error: fake failure$/m, 'initdb failure: stderr as detail');
is($m->dev_status->{state}, 'absent', 'initdb failure: no half-made cluster');

# pg_ctl failing before the server wrote any log: pg_ctl's own words
SKIP: {
	skip 'no real initdb found', 3 unless $real_bindir;
	my $half = fake_bindir(initdb => "$real_bindir/initdb");
	$r = $m->ssot({ env => { SSOT_PG_BINDIR => $half } }, 'dev', 'start');
	is($r->{rc}, 2, 'pg_ctl failure: exit 2');
	like($r->{err}, qr/^ssot: error: could not start embedded PostgreSQL: pg_ctl: first line$/m,
	     'pg_ctl failure: its first line when the log is empty');
	like($r->{err}, qr/^detail: pg_ctl: first line\npg_ctl: error: fake failure$/m, 'pg_ctl failure: its stderr as detail');
}
undef $m;

# a /var/tmp/ssot-<hash> that someone else made is not ours to use
SKIP: {
	skip 'root only: /var/tmp fallback', 2 unless $AS_ROOT;
	my $o = SsotTest->project();
	my $base = '/var/tmp/ssot-' . substr(sha256_hex(realpath($o->dir)), 0, 12);
	mkdir $base or die "mkdir $base: $!";
	chown scalar(getpwnam('nobody')), -1, $base;
	$r = $o->ssot('dev', 'start');
	is($r->{rc}, 2, 'foreign /var/tmp directory: exit 2');
	like($r->{err}, qr/^ssot: error: refusing to use \Q$base\E: it belongs to another user \(uid \d+\)$/m,
	     'foreign /var/tmp directory: refused');
	rmdir $base;
}

# --------------------------------------------- as root: inside the project

SKIP: {
	skip 'root only: where the cluster lives when postgres can reach the project', 24 unless $AS_ROOT;

	my $in = SsotTest->project();
	chmod 0755, $in->dir;
	my $real = realpath($in->dir);
	$r = $in->ssot('-q', 'dev', 'start');
	is($r->{rc}, 0, 'reachable project: start') or diag($r->{err});
	$st = $in->dev_status;
	is($st->{datadir}, "$real/.ssot/pg", 'reachable project: cluster in .ssot/pg');
	is($st->{socket}, "$real/.ssot/sock", 'reachable project: socket in .ssot/sock');
	is(owner("$real/.ssot/pg"), 'postgres', 'reachable project: data directory owned by postgres');
	$r = $in->ssot('-q', 'dev', 'destroy');
	ok(!-e "$real/.ssot/pg" && !-e "$real/.ssot/sock", 'destroy: data and socket directories removed');
	ok(-d "$real/.ssot", 'destroy: .ssot itself kept');

	# a path too long for a Unix socket: the socket goes to /tmp/ssot-<hash>
	my $long = $in->dir . '/' . ('d' x 80);
	mkdir $long or die "mkdir $long: $!";
	my $lp = bless { dir => $long, env => {} }, 'SsotTest';
	my $lhex = substr(sha256_hex(realpath($long)), 0, 12);
	$r = $lp->ssot('-q', 'dev', 'start');
	is($r->{rc}, 0, 'long path: start') or diag($r->{err});
	$st = $lp->dev_status;
	is($st->{socket}, "/tmp/ssot-$lhex", 'long path: socket in /tmp/ssot-<hash>');
	is($lp->sql('select 1'), '1', 'long path: reachable');
	$lp->ssot('-q', 'dev', 'destroy');
	ok(!-e "/tmp/ssot-$lhex", 'long path: destroy removes the socket directory');
	undef $lp;

	# odd characters in the project path
	my %odd = (
		"sp ace'q%"  => sub { is($_[0]{socket}, "$_[1]/.ssot/sock", 'space and quote: socket in .ssot') },
		"com,ma"     => sub { like($_[0]{socket}, qr{^/tmp/ssot-[0-9a-f]{12}$}, 'comma: socket in /tmp (libpq splits hosts on commas)') },
		'dq"uote$'   => sub { like($_[0]{datadir}, qr{^/var/tmp/ssot-[0-9a-f]{12}/pg$}, 'double quote: cluster under /var/tmp (pg_ctl quoting)') },
	);
	for my $name (sort keys %odd) {
		my $dir = $in->dir . "/$name";
		mkdir $dir or die "mkdir $dir: $!";
		my $op = bless { dir => $dir, env => {} }, 'SsotTest';
		$r = $op->ssot('-q', 'dev', 'start');
		is($r->{rc}, 0, "path '$name': start") or diag($r->{err});
		my $ost = $op->dev_status;
		$odd{$name}->($ost, realpath($dir));
		is($op->sql('select current_database()'), 'dev', "path '$name': url works");
		$r = $op->ssot('dev', 'psql', '-X', '-At', '-c', 'select 7');
		is($r->{out}, "7\n", "path '$name': dev psql works");
		undef $op;	# destroys the cluster
	}

	# not root: the server runs as the invoking user, in .ssot
	my $nr = SsotTest->project();
	chmod 0755, $nr->dir;
	chown scalar(getpwnam('postgres')), scalar(getgrnam('postgres')), $nr->dir;
	my $nreal = realpath($nr->dir);
	$r = $nr->run_cmd(['runuser', '-u', 'postgres', '--', $SsotTest::BIN, '-q', 'dev', 'start']);
	is($r->{rc}, 0, 'as postgres (not root): start') or diag($r->{err});
	$r = $nr->run_cmd(['runuser', '-u', 'postgres', '--', $SsotTest::BIN, 'dev', 'status']);
	like($r->{out}, qr{^datadir: \Q$nreal\E/\.ssot/pg$}m, 'not root: cluster in .ssot/pg');
	$nr->run_cmd(['runuser', '-u', 'postgres', '--', $SsotTest::BIN, '-q', 'dev', 'destroy']);
}

done_testing();
