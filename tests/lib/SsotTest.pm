# SsotTest: helpers for ssot's integration tests (Perl, Test::More, TAP).
#
#   use lib 'tests/lib'; use SsotTest;
#   my $p = SsotTest->project('db/run/10_a.sql' => "create table if not exists a (id int);\n");
#   my $r = $p->ssot('apply');          # { rc => 0, out => "...", err => "..." }
#   is($p->sql("select count(*) from a"), "0");
#   $p->write('db/run/20_b.sql', "...");
#
# Every project is a fresh temporary directory with its own embedded cluster
# (started on first use by ssot itself); the cluster ('ssot dev destroy') and
# the directory are removed when the object goes away. The environment is
# scrubbed of DATABASE_URL and PG* so the embedded cluster is what ssot uses.
package SsotTest;

use strict;
use warnings;
use Cwd qw(abs_path);
use File::Path qw(make_path remove_tree);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use IPC::Open3;
use Symbol qw(gensym);

our $BIN = $ENV{SSOT_BIN} || abs_path(dirname(__FILE__) . '/../../build/ssot');
die "SsotTest: ssot binary not found at $BIN (run make)\n" unless -x $BIN;

delete $ENV{$_} for grep { /^PG/ || $_ eq 'DATABASE_URL' } keys %ENV;
$ENV{NO_COLOR} = '1';

sub project {
	my ($class, %files) = @_;
	my $dir = tempdir('ssot-test-XXXXXX', TMPDIR => 1);
	my $self = bless { dir => $dir, env => {} }, $class;
	$self->write($_, $files{$_}) for sort keys %files;
	return $self;
}

sub dir { $_[0]{dir} }

sub write {
	my ($self, $rel, $content) = @_;
	my $path = "$self->{dir}/$rel";
	make_path(dirname($path));
	open(my $fh, '>', $path) or die "write $path: $!";
	print $fh $content;
	close($fh) or die "close $path: $!";
	return $path;
}

sub remove {
	my ($self, $rel) = @_;
	unlink("$self->{dir}/$rel") or die "unlink $rel: $!";
}

sub read {
	my ($self, $rel) = @_;
	open(my $fh, '<', "$self->{dir}/$rel") or return undef;
	local $/;
	my $s = <$fh>;
	return $s;
}

# Extra environment for every ssot/psql run of this project.
sub setenv {
	my ($self, %kv) = @_;
	$self->{env}{$_} = $kv{$_} for keys %kv;
}

# Run a command in the project directory; returns { rc, out, err }.
sub run_cmd {
	my ($self, $cmd, %opt) = @_;
	local %ENV = (%ENV, %{ $self->{env} }, %{ $opt{env} || {} });
	my $err = gensym;
	my $pid = do {
		my $cwd = Cwd::getcwd();
		chdir($self->{dir}) or die "chdir: $!";
		my $p = open3(my $in, my $out, $err, @$cmd);
		chdir($cwd);
		close($in);
		$self->{_out} = $out;
		$p;
	};
	my $out = $self->{_out};
	my ($o, $e) = ('', '');
	# read both pipes without deadlocking on large output
	my $rin = '';
	my %fh = (fileno($out) => [$out, \$o], fileno($err) => [$err, \$e]);
	while (%fh) {
		my $r = '';
		vec($r, $_, 1) = 1 for keys %fh;
		select($r, undef, undef, undef);
		for my $fd (keys %fh) {
			next unless vec($r, $fd, 1);
			my $n = sysread($fh{$fd}[0], my $chunk, 65536);
			if (!$n) { delete $fh{$fd}; next; }
			${ $fh{$fd}[1] } .= $chunk;
		}
	}
	waitpid($pid, 0);
	return { rc => $? >> 8, sig => $? & 127, out => $o, err => $e };
}

sub ssot {
	my ($self, @args) = @_;
	my %opt;
	%opt = %{ shift @args } if ref $args[0] eq 'HASH';
	return $self->run_cmd([$BIN, @args], %opt);
}

sub url {
	my ($self) = @_;
	return $self->{url} if $self->{url};
	my $r = $self->ssot('dev', 'url');
	die "ssot dev url failed: $r->{err}" if $r->{rc};
	chomp(my $u = $r->{out});
	return $self->{url} = $u;
}

# `ssot dev status` parsed into a hash (state, datadir, socket, url, log, and
# "server user" as root); rc is under the key "rc".
sub dev_status {
	my ($self) = @_;
	my $r = $self->ssot('dev', 'status');
	my %h = $r->{out} =~ /^([^:\n]+): (.*)$/mg;
	$h{rc} = $r->{rc};
	return \%h;
}

# Run SQL on the dev database with psql; returns trimmed output (dies on error).
sub sql {
	my ($self, $q, $db) = @_;
	my $url = $db || $self->url;
	my $r = $self->run_cmd(['psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', $url, '-c', $q]);
	die "psql failed: $r->{err}\nquery: $q\n" if $r->{rc};
	chomp(my $o = $r->{out});
	return $o;
}

# A snapshot of the user-visible catalog (tables, columns, indexes,
# constraints, functions) of the public schema, for old/new comparisons.
sub catalog_snapshot {
	my ($self) = @_;
	return $self->sql(q{
		select string_agg(x, E'\n' order by x) from (
		  select format('col %s.%s %s %s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull) x
		    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
		   where n.nspname not in ('pg_catalog','information_schema','pg_toast') and a.attnum > 0 and not a.attisdropped
		  union all
		  select format('rel %s.%s %s', n.nspname, c.relname, c.relkind)
		    from pg_class c join pg_namespace n on n.oid = c.relnamespace
		   where n.nspname not in ('pg_catalog','information_schema','pg_toast')
		  union all
		  select format('con %s %s', conname, pg_get_constraintdef(oid)) from pg_constraint
		   where connamespace not in ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
		  union all
		  select format('fn %s', p.oid::regprocedure) from pg_proc p
		   where pronamespace not in ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
		) s});
}

# Start `ssot ARGS` in the background, in the project directory, with stdout
# and stderr going to files (for long-running commands such as `ssot watch`).
# Returns an SsotTest::Bg:
#   $bg->next_match(qr/.../, $timeout)  wait (polling, at most $timeout
#                                      seconds, default 30) for the next match
#                                      in stdout after the previous match;
#                                      returns the matched text, undef on timeout
#   $bg->err_match(qr/.../, $timeout)   the same for stderr
#   $bg->out, $bg->err                 everything written so far
#   $bg->alive                         whether it still runs
#   $bg->stop($signal, $timeout)       send the signal (default INT), wait;
#                                      returns { rc, sig }
# A handle that goes away kills its process.
sub start {
	my ($self, @args) = @_;
	my %opt;
	%opt = %{ shift @args } if ref $args[0] eq 'HASH';
	my $n = ++$self->{bg_count};
	my ($out, $err) = ("$self->{dir}/.ssot-bg$n.out", "$self->{dir}/.ssot-bg$n.err");
	my $pid = fork() // die "fork: $!";
	if (!$pid) {
		%ENV = (%ENV, %{ $self->{env} }, %{ $opt{env} || {} });
		chdir($self->{dir}) or die "chdir: $!";
		open(STDIN, '<', '/dev/null') or die;
		open(STDOUT, '>', $out) or die "stdout: $!";
		open(STDERR, '>', $err) or die "stderr: $!";
		exec($BIN, @args) or die "exec $BIN: $!";
	}
	return bless { pid => $pid, out => $out, err => $err, pos => { out => 0, err => 0 } }, 'SsotTest::Bg';
}

package SsotTest::Bg {
	use POSIX qw(WNOHANG);
	use Time::HiRes qw(sleep time);

	sub _slurp {
		my ($path) = @_;
		open(my $fh, '<', $path) or return '';
		local $/;
		my $s = <$fh>;
		return $s // '';
	}
	sub out { _slurp($_[0]{out}) }
	sub err { _slurp($_[0]{err}) }
	sub pid { $_[0]{pid} }

	sub _next {
		my ($self, $which, $re, $timeout) = @_;
		my $deadline = time() + ($timeout // 30);
		for (;;) {
			my $text = _slurp($self->{$which});
			pos($text) = $self->{pos}{$which};
			if ($text =~ /\G.*?($re)/gs) {
				$self->{pos}{$which} = pos($text);
				return $1;
			}
			return undef if time() > $deadline || !$self->alive;
			sleep(0.01);
		}
	}
	sub next_match { my ($self, $re, $timeout) = @_; return $self->_next('out', $re, $timeout); }
	sub err_match { my ($self, $re, $timeout) = @_; return $self->_next('err', $re, $timeout); }

	sub alive {
		my ($self) = @_;
		return 0 if exists $self->{status};
		my $r = waitpid($self->{pid}, WNOHANG);
		return 1 if $r == 0;
		$self->{status} = $?;
		return 0;
	}

	sub stop {
		my ($self, $signal, $timeout) = @_;
		if ($self->alive) {
			kill($signal // 'INT', $self->{pid});
			my $deadline = time() + ($timeout // 20);
			sleep(0.01) while $self->alive && time() < $deadline;
			if ($self->alive) {
				kill('KILL', $self->{pid});
				waitpid($self->{pid}, 0);
				$self->{status} = $?;
			}
		}
		return { rc => $self->{status} >> 8, sig => $self->{status} & 127 };
	}

	sub DESTROY {
		my ($self) = @_;
		local $?;
		if (!exists $self->{status}) {
			kill('KILL', $self->{pid});
			waitpid($self->{pid}, 0);
		}
	}
}

sub DESTROY {
	my ($self) = @_;
	return unless $self->{dir} && -d $self->{dir};
	return if $ENV{SSOT_KEEP};
	local $?;	# keep the test's exit status: waitpid below would overwrite it
	$self->ssot('dev', 'destroy');
	remove_tree($self->{dir});
}

1;
