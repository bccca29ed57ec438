# A password given in a URL, in PGPASSWORD or in a .pgpass file never shows
# up in any output of a failing (or verbose) command.
use strict;
use warnings;
use lib 'tests/lib';
use SsotTest;
use Test::More;

my $PW = 'S3cr3t-Pa55w0rd';
my $p = SsotTest->project('db/run/10_a.sql' => "CREATE TABLE IF NOT EXISTS a (id int);\n");
my $url = $p->url;
my ($datadir) = $p->ssot('dev', 'status')->{out} =~ /^datadir: (\S+)$/m;
ok($datadir && -f "$datadir/pg_hba.conf", 'found the data directory') or diag($p->ssot('dev', 'status')->{out});

# a role that must give its password
$p->sql("DO \$\$ BEGIN CREATE ROLE secretuser LOGIN SUPERUSER PASSWORD '$PW'; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$");
open(my $in, '<', "$datadir/pg_hba.conf") or die;
my $hba = do { local $/; <$in> };
close($in);
open(my $out, '>', "$datadir/pg_hba.conf") or die;
print $out "local all secretuser scram-sha-256\n$hba";
close($out);
$p->sql("select pg_reload_conf()");

(my $with_pw = $url) =~ s{postgres@}{secretuser:$PW@};
(my $no_pw = $url) =~ s{postgres@}{secretuser@};
(my $wrong_db = $with_pw) =~ s{/dev\?}{/no_such_db?};
(my $wrong_host = $with_pw) =~ s{host=[^&]+}{host=%2Fnonexistent%2Fdir};
my ($sock) = $url =~ /host=([^&]+)/;
$sock =~ s/%([0-9A-F]{2})/chr(hex($1))/gie;

my @cases = (
	['URL: success with -v', {}, ['apply', '-v', '--db', $with_pw], 0],
	['URL: wrong database', {}, ['apply', '--db', $wrong_db], 2],
	['URL: wrong host', {}, ['apply', '--db', $wrong_host], 2],
	['URL: status -v', {}, ['status', '-v', '--db', $with_pw], undef],
	['PGPASSWORD: wrong database -v', { PGPASSWORD => $PW, PGHOST => $sock, PGUSER => 'secretuser', PGDATABASE => 'nodb' }, ['apply', '-v'], 2],
	['PGPASSWORD: wrong password', { PGPASSWORD => "x$PW", PGHOST => $sock, PGUSER => 'secretuser', PGDATABASE => 'dev' }, ['apply', '-v'], 2],
	['DATABASE_URL: wrong database', { DATABASE_URL => $wrong_db }, ['apply', '-v'], 2],
	['keyword conninfo: wrong database', {}, ['apply', '-v', '--db', "host=$sock user=secretuser password=$PW dbname=nodb"], 2],
);
for my $c (@cases) {
	my ($name, $env, $args, $rc) = @$c;
	my $r = $p->ssot({ env => $env }, @$args);
	is($r->{rc}, $rc, "$name: exit $rc") if defined $rc;
	unlike($r->{out} . $r->{err}, qr/\Q$PW\E/, "$name: no password in the output");
}

# the redacted description is what -v shows
my $r = $p->ssot('apply', '-v', '--db', $with_pw);
like($r->{err}, qr/connecting to host=\S+ port=5432 dbname=dev user=secretuser \(from --db\)/, '-v shows the redacted target');

# an SQL error through a password connection
$p->write('db/run/20_bad.sql', "SELECT '$PW' || nope;\n");
$r = $p->ssot('apply', '-v', '--db', $with_pw);
is($r->{rc}, 1, 'SQL error exits 1');
like($r->{out}, qr/column "nope" does not exist/, 'SQL error reported');
$p->remove('db/run/20_bad.sql');

# .pgpass
my $pgpass = $p->dir . "/pgpass";
open(my $pf, '>', $pgpass) or die;
print $pf "*:*:*:secretuser:$PW\n";
close($pf);
chmod 0600, $pgpass;
$r = $p->ssot({ env => { PGPASSFILE => $pgpass } }, 'apply', '-v', '--db', $no_pw);
is($r->{rc}, 0, '.pgpass: connects') or diag($r->{err});
unlike($r->{out} . $r->{err}, qr/\Q$PW\E/, '.pgpass: no password in the output');
(my $nodb = $no_pw) =~ s{/dev\?}{/nodb?};
$r = $p->ssot({ env => { PGPASSFILE => $pgpass } }, 'apply', '-v', '--db', $nodb);
is($r->{rc}, 2, '.pgpass: wrong database exits 2');
unlike($r->{out} . $r->{err}, qr/\Q$PW\E/, '.pgpass: no password in the error');
like($r->{err}, qr/ssot: error: cannot connect to host=\S+ port=5432 dbname=nodb user=secretuser: .*database "nodb" does not exist/,
	'connection error names the redacted target and the cause');

# the ledger row holds no password either
unlike($p->sql("select row_to_json(r)::text from ssot.runs r"), qr/\Q$PW\E/, 'no password in the ledger');

done_testing();
