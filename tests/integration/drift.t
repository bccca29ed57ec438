# ssot drift and ssot inspect: the data-driven cases of tests/drift/, output
# formats, the fleet, the example project, and the inspect round trip.
#
# A case is a directory tests/drift/<case>/ holding
#   db/...      the project's files (prerun and run)
#   live.sql    SQL that builds the live database (run on an empty database)
#   expected    the findings, one per line, sorted:
#                 <status> <kind> <object>[ <attribute>]   (a drift finding)
#                 note unsupported <object>                (an unsupported object)
#               an empty file means "no drift" (exit status 0)
#   args        optional: extra arguments for ssot drift, one per line
# Every case gets a fresh live database; one embedded cluster serves the file.
use strict;
use warnings;
use lib 'tests/lib';
use SsotTest;
use Test::More;
use JSON::PP;
use File::Path qw(remove_tree make_path);
use Cwd qw(abs_path);
use POSIX ();

my $root = abs_path('.');
my $p = SsotTest->project();
my $dev = $p->url;
my $ndb = 0;

sub db_url {
	my ($name) = @_;
	(my $u = $dev) =~ s{/dev\?}{/$name?};
	return $u;
}

# A fresh empty database, optionally built by an SQL file; returns its URL.
sub fresh_db {
	my ($sqlfile) = @_;
	my $name = 'live_' . ++$ndb;
	$p->sql("DROP DATABASE IF EXISTS $name");
	$p->sql("CREATE DATABASE $name TEMPLATE template0");
	my $url = db_url($name);
	if ($sqlfile) {
		my $r = $p->run_cmd(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $url, '-f', $sqlfile]);
		die "building $name from $sqlfile failed: $r->{err}" if $r->{rc};
	}
	return $url;
}

sub drop_db {
	my ($url) = @_;
	my ($name) = $url =~ m{/(\w+)\?};
	$p->sql("DROP DATABASE IF EXISTS $name");
}

# Replace the project's db/ with a copy of `from`.
sub use_files {
	my ($from) = @_;
	remove_tree($p->dir . '/db');
	system('cp', '-R', $from, $p->dir . '/db') == 0 or die "cp $from: $?";
}

# The findings of a JSON document as the lines of an `expected` file.
sub finding_lines {
	my ($doc) = @_;
	my @lines;
	for my $f (@{ $doc->{findings} }) {
		if (($f->{kind} // '') eq 'unsupported') {
			push @lines, "note unsupported $f->{object}";
		} elsif ($f->{status}) {
			my $l = "$f->{status} $f->{kind} $f->{object}";
			$l .= " $1" if $f->{status} eq 'changed' && $f->{message} =~ /: (\S+) differs$/;
			push @lines, $l;
		} else {
			push @lines, "$f->{severity} $f->{message}";
		}
	}
	return sort @lines;
}

sub read_lines {
	my ($path) = @_;
	open(my $fh, '<', $path) or return ();
	return grep { length && !/^#/ } map { chomp; $_ } <$fh>;
}

sub decode_or_diag {
	my ($r) = @_;
	my $doc = eval { decode_json($r->{out}) };
	diag("not JSON: $@\nstdout: $r->{out}\nstderr: $r->{err}") unless $doc;
	return $doc || { findings => [] };
}

# ---- the data-driven cases ----

# Cases run in a few worker processes, each with its own SQL directory
# (--dir) on the one cluster; the results are checked here, in case order.
my @cases = sort grep { -d } glob("$root/tests/drift/*");
ok(@cases >= 60, 'there are drift cases') or diag(scalar @cases);
my $workers = 4;
my @pids;
for my $w (0 .. $workers - 1) {
	my $pid = fork() // die "fork: $!";
	if ($pid) {
		push @pids, $pid;
		next;
	}
	# a worker never runs the project's destructor (the parent owns the cluster)
	eval {
		for my $i (grep { $_ % $workers == $w } 0 .. $#cases) {
			my $dir = $cases[$i];
			my $sqldir = "db_case$w";
			remove_tree($p->dir . "/$sqldir");
			system('cp', '-R', "$dir/db", $p->dir . "/$sqldir") == 0 or die "cp: $?";
			(my $dbname = "case_$i") =~ s/\W/_/g;
			$p->sql("DROP DATABASE IF EXISTS $dbname");
			$p->sql("CREATE DATABASE $dbname TEMPLATE template0");
			my $url = db_url($dbname);
			my $b = $p->run_cmd(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $url, '-f', "$dir/live.sql"]);
			my $r = $b->{rc} ? { rc => -1, out => '', err => "live.sql failed: $b->{err}" }
				: $p->ssot('--dir', $sqldir, 'drift', '--db', $url, '--format', 'json', read_lines("$dir/args"));
			# the model read with composed definitions and a second session equals
			# the one read with every definition from the server, in one session
			my ($composed, $server) = ('', 'not read');
			unless ($b->{rc}) {
				$composed = $p->ssot('inspect', '--db', $url, '--format', 'json');
				local $ENV{SSOT_CATALOG_SERVER_DEFS} = 1;
				local $ENV{SSOT_CATALOG_ONE_SESSION} = 1;
				$server = $p->ssot('inspect', '--db', $url, '--format', 'json');
				($composed, $server) = map { $_->{rc} ? "rc $_->{rc}: $_->{err}" : $_->{out} } $composed, $server;
			}
			$p->sql("DROP DATABASE IF EXISTS $dbname");
			open(my $fh, '>', $p->dir . "/result_$i.json") or die;
			print $fh encode_json({ rc => $r->{rc}, out => $r->{out}, err => $r->{err},
				same_model => $composed eq $server ? 1 : 0, composed => $composed, server => $server });
			close($fh);
		}
		1;
	} or warn "worker $w: $@";
	POSIX::_exit(0);
}
waitpid($_, 0) for @pids;
for my $i (0 .. $#cases) {
	(my $name = $cases[$i]) =~ s{.*/}{};
	my $raw = $p->read("result_$i.json");
	my $r = $raw ? decode_json($raw) : { rc => -1, out => '', err => 'no result' };
	my $doc = decode_or_diag($r);
	my @want = sort(read_lines("$cases[$i]/expected"));
	my @got = finding_lines($doc);
	is_deeply(\@got, \@want, "$name: findings") or diag("stdout: $r->{out}\nstderr: $r->{err}");
	my $errors = grep { !/^note / } @want;
	is($r->{rc}, $errors ? 1 : 0, "$name: exit status");
	ok($r->{same_model}, "$name: composed definitions equal the server's")
		or diag("composed:\n$r->{composed}\nserver:\n$r->{server}");
}

# ---- positions, text output, what to do ----

use_files("$root/tests/drift/story-renamed-column/db");
my $live = fresh_db("$root/tests/drift/story-renamed-column/live.sql");
my $r = $p->ssot('drift', '--db', $live, '--format', 'json');
my $doc = decode_or_diag($r);
my ($missing) = grep { $_->{status} eq 'missing' } @{ $doc->{findings} };
is($missing->{file}, 'db/run/10_schema.sql', 'missing column points at its file');
is($missing->{line}, 4, '... at the line of the column definition');
is($missing->{col}, 5, '... and its column');
is($missing->{expected}, 'character varying(20)', 'expected is the declared type');
is($missing->{actual}, undef, 'actual is null for a missing column');
is($missing->{rule}, 'drift', 'rule is drift');
is($missing->{severity}, 'error', 'drift is an error');
like($missing->{suggestion}, qr/ALTER TABLE "public"\."stores" ADD COLUMN IF NOT EXISTS "tel_no" character varying\(20\)/,
	'suggestion holds the ALTER TABLE, identifiers quoted');
my ($extra) = grep { $_->{status} eq 'extra' } @{ $doc->{findings} };
is($extra->{actual}, 'character varying(20)', 'extra column: actual is the live type');
is($extra->{line}, 1, 'extra column points at the declaring CREATE TABLE');
is($doc->{summary}{missing}, 1, 'summary counts missing');
is($doc->{summary}{extra}, 1, 'summary counts extra');
is($doc->{summary}{status}, 'drift', 'summary status');
ok(exists $doc->{summary}{timing}{read_diff_share}, 'summary has timing');

$r = $p->ssot('drift', '--db', $live);
is($r->{rc}, 1, 'text: exit 1 on drift');
like($r->{out}, qr/^public\.stores\n  missing column public\.stores\.tel_no is declared in the files but missing from the database\n/m,
	'text: grouped under the table');
like($r->{out}, qr/^          declared at db\/run\/10_schema\.sql:4:5$/m, 'text: declared at file:line:col');
like($r->{out}, qr/^          what to do: CREATE TABLE IF NOT EXISTS skips a table that exists/m, 'text: what to do');
like($r->{out}, qr/^  extra   column public\.stores\.tel is in the database but not declared in the files$/m, 'text: extra');
like($r->{out}, qr/^drift: .* has 2 differences \(1 missing, 1 extra, 0 changed\) against the files$/m, 'text: summary line');

$r = $p->ssot('drift', '--db', $live, '--format', 'sarif');
my $sarif = eval { decode_json($r->{out}) };
ok($sarif && $sarif->{runs}[0]{results}, 'sarif output parses') or diag($r->{out});
$r = $p->ssot('drift', '--db', $live, '--format', 'github');
like($r->{out}, qr/^::error file=db\/run\/10_schema\.sql,line=4,/m, 'github annotations');

$r = $p->ssot('drift', '--db', $live, '-v');
like($r->{err}, qr/timing: build \d+ ms \(create \d+, apply \d+, drop \d+\); read files' model \d+ ms, read database \d+ ms, diff [\d.]+ ms; total \d+ ms, read \+ diff [\d.]+%/,
	'-v prints the timing');

# --schema / --exclude-schema
$r = $p->ssot('drift', '--db', $live, '--exclude-schema', 'public', '--format', 'json');
is($r->{rc}, 0, '--exclude-schema public: nothing left to differ');
$r = $p->ssot('drift', '--db', $live, '--schema', 'public', '--format', 'json');
is($r->{rc}, 1, '--schema public: drift');

# ---- the fleet ----
my $same = fresh_db();
$r = $p->ssot('apply', '--db', $same);
is($r->{rc}, 0, 'apply the files to a second database');
$r = $p->ssot('drift', '--db', $same, '--db', $live, '--format', 'json');
is($r->{rc}, 1, 'fleet: exit 1 when one database drifted');
$doc = decode_or_diag($r);
is(scalar @{ $doc->{summary}{databases} }, 2, 'fleet: one summary per database');
is_deeply([ map { $_->{status} } @{ $doc->{summary}{databases} } ], [ 'ok', 'drift' ], 'fleet: per-database status');
is(scalar(grep { ($_->{detail} // '') =~ /^database: / } @{ $doc->{findings} }), 2, 'fleet: findings name their database');
$p->write('targets.txt', "# the fleet\n$same\n\n\$LIVE_URL\n");
$r = $p->ssot({ env => { LIVE_URL => $live } }, 'drift', '--targets', 'targets.txt');
is($r->{rc}, 1, 'fleet from --targets');
like($r->{out}, qr/^== postgres@.*: no drift$/m, 'fleet text: a matching database');
like($r->{out}, qr/^== postgres@.*: 2 differences \(1 missing, 1 extra, 0 changed\)$/m, 'fleet text: a drifted one');
like($r->{out}, qr/^fleet: 2 databases, 1 with drift, 0 not checked, 1 matching the files$/m, 'fleet text: summary');
(my $nowhere = $same) =~ s{/live_\d+\?}{/no_such_db?};
$r = $p->ssot('drift', '--db', $same, '--db', $nowhere, '--format', 'json');
is($r->{rc}, 2, 'fleet: exit 2 when a database cannot be checked');
$doc = decode_or_diag($r);
is($doc->{summary}{databases}[1]{status}, 'error', 'fleet: the unreachable database is an error');
$r = $p->ssot('drift', '--jobs', '0', '--db', $same);
is($r->{rc}, 2, '--jobs 0 is a usage error');
drop_db($same);
drop_db($live);

# ---- the files fail ----
use_files("$root/tests/drift/story-table-only-live/db");
$p->write('db/run/20_broken.sql', "CREATE TABLE IF NOT EXISTS x (a int);\nCREATE INDEX ON x (nope);\n");
$live = fresh_db();
$r = $p->ssot('drift', '--db', $live);
is($r->{rc}, 1, 'files that do not apply: exit 1');
like($r->{out}, qr/^db\/run\/20_broken\.sql:2:\d+: error: column "nope" does not exist/m, 'the SQL error with file:line:col');
like($r->{out}, qr/drift cannot be computed/, 'and why there is no drift report');
drop_db($live);

# ---- no false drift: the example project, built twice ----
use_files("$root/examples/shop/db");
$live = fresh_db();
$r = $p->ssot('apply', '--db', $live);
is($r->{rc}, 0, 'example project applies') or diag($r->{out} . $r->{err});
$r = $p->ssot('apply', '--db', $live);
is($r->{rc}, 0, 'and applies again');
$r = $p->ssot('drift', '--db', $live, '--format', 'json', '--strict-column-order');
is($r->{rc}, 0, 'example project: no drift') or diag($r->{out} . $r->{err});
is_deeply([ finding_lines(decode_or_diag($r)) ], [], 'example project: no findings');
$r = $p->ssot('drift', '--db', $live);
like($r->{out}, qr/^no drift: .* matches the files \(\d+ objects compared\)$/m, 'no drift: text summary');
$p->sql("ALTER TABLE stores RENAME COLUMN tel_no TO tel", $live);
$r = $p->ssot('drift', '--db', $live, '--format', 'json');
is_deeply([ finding_lines(decode_or_diag($r)) ],
	[ 'extra column public.stores.tel', 'missing column public.stores.tel_no' ], 'example project: a renamed column');
drop_db($live);

# ---- inspect ----
my $rich = "$root/tests/drift/inspect-rich.sql";
$live = fresh_db($rich);
remove_tree($p->dir . '/db');
$r = $p->ssot('inspect', '--db', $live, '--out', 'db/run');
is($r->{rc}, 0, 'inspect writes files') or diag($r->{err});
like($r->{err}, qr/wrote db\/run\/\d+_app\.sql/, 'one file per schema');
like($r->{err}, qr/note: aggregate app\.total_sum\(integer\) is not modelled/, 'inspect: an unsupported object is a note');
my $app = $p->read((map { s{.*/db/}{db/}r } glob($p->dir . '/db/run/*_app.sql'))[0]);
my $all = join('', map { $p->read(s{.*/db/}{db/}r) } glob($p->dir . '/db/run/*.sql'));
like($r->{err}, qr/wrote db\/run\/10_extensions\.sql \(1 object\)/, 'extensions come first, in a file of their own');
like($app, qr/^CREATE TABLE IF NOT EXISTS "app"\."stores" \($/m, 'CREATE TABLE IF NOT EXISTS, quoted');
like($app, qr/^EXCEPTION WHEN duplicate_object THEN$/m, 'guards for CREATE TYPE');
like($all, qr/^--   aggregate app\.total_sum\(integer\)$/m, 'the files list what they leave out');
$r = $p->ssot('drift', '--db', $live, '--format', 'json', '--strict-column-order');
is($r->{rc}, 0, 'inspect round trip: no drift') or diag($r->{out} . $r->{err});
is_deeply([ finding_lines(decode_or_diag($r)) ], [ 'note unsupported app.total_sum(integer)' ],
	'inspect round trip: only the unsupported aggregate');
# the inspected files applied twice change nothing
my $copy = fresh_db();
$r = $p->ssot('apply', '--db', $copy);
is($r->{rc}, 0, 'inspected files apply') or diag($r->{out} . $r->{err});
$r = $p->ssot('apply', '--db', $copy);
is($r->{rc}, 0, 'inspected files apply again');
$r = $p->ssot('drift', '--db', $copy, '--format', 'json');
is($r->{rc}, 0, 'a database built from the inspected files has no drift') or diag($r->{out});
drop_db($copy);

remove_tree($p->dir . '/db');
$r = $p->ssot('inspect', '--db', $live, '--out', 'db/run', '--split', '--grants');
is($r->{rc}, 0, 'inspect --split --grants') or diag($r->{err});
ok(-f $p->dir . '/db/run/60_tables.sql', '--split: a file per kind');
$r = $p->ssot('drift', '--db', $live, '--format', 'json', '--grants');
is_deeply([ finding_lines(decode_or_diag($r)) ], [ 'note unsupported app.total_sum(integer)' ],
	'inspect --split --grants round trip: no drift, grants included');

# unsupported objects noted by the reads of types and of tables, and by their own
my $odd = fresh_db();
$p->sql(q{CREATE SCHEMA odd;
CREATE TYPE odd.floatrange AS RANGE (subtype = float8);
CREATE TYPE odd.shell;
CREATE TYPE odd.pair AS (a integer, b text COLLATE "C");
CREATE TABLE odd.typed OF odd.pair;
CREATE FOREIGN DATA WRAPPER odd_fdw;
CREATE SERVER odd_srv FOREIGN DATA WRAPPER odd_fdw;
CREATE FOREIGN TABLE odd.ft (a integer) SERVER odd_srv;
CREATE AGGREGATE odd.total(integer) (sfunc = int4pl, stype = integer);}, $odd);
$r = $p->ssot('inspect', '--db', $odd, '--format', 'json', '--schema', 'odd');
is($r->{rc}, 0, 'inspect of unsupported objects') or diag($r->{err});
my $odd_doc = decode_or_diag($r);
my @odd_objects = @{ $odd_doc->{objects} // [] };
is_deeply([ map { "$_->{what} $_->{object}" } grep { $_->{kind} eq 'unsupported' } @odd_objects ],
	[ 'aggregate odd.total(integer)', 'foreign table odd.ft', 'foreign-data wrapper odd_fdw',
	  'range type odd.floatrange', 'server odd_srv', 'typed table odd.typed' ],
	'unsupported objects from every read, by what they are and name');
ok((grep { $_->{kind} eq 'table' && $_->{object} eq 'odd.typed' } @odd_objects), 'a typed table is a table too');
ok(!(grep { $_->{object} =~ /^odd\.(ft|shell)$/ && $_->{kind} ne 'unsupported' } @odd_objects),
	'a foreign table and a shell type are not modelled');
is_deeply([ map { $_->{object} } grep { $_->{kind} eq 'function' } @odd_objects ], [],
	'a range type\'s constructor functions and cast are part of it: neither modelled nor noted');
my ($pair) = grep { $_->{kind} eq 'type' && $_->{object} eq 'odd.pair' } @odd_objects;
is($pair && $pair->{attributes}{attributes}, '"a" integer, "b" text COLLATE "pg_catalog"."C"',
	'composite type attributes, with a collation');
like($r->{err}, qr/note: range type odd\.floatrange is not modelled/, 'noted on stderr');
drop_db($odd);

# objects that need each other across kinds and schemas
my $deps = fresh_db("$root/tests/drift/inspect-deps.sql");
for my $layout ([], ['--split']) {
	remove_tree($p->dir . '/db');
	$r = $p->ssot('inspect', '--db', $deps, '--out', 'db/run', @$layout);
	is($r->{rc}, 0, "inspect @$layout of cross-schema dependencies") or diag($r->{err});
	$r = $p->ssot('drift', '--db', $deps, '--format', 'json');
	is($r->{rc}, 0, "inspect @$layout round trip with cross-schema dependencies: no drift") or diag($r->{out} . $r->{err});
}
like($p->read('db/run/50_functions.sql'), qr/CREATE DOMAIN "z"\."pos"/,
	'--split: a domain whose CHECK calls a function is written with the functions');
drop_db($deps);

$r = $p->ssot('inspect', '--db', $live, '--format', 'json');
is($r->{rc}, 0, 'inspect --format json');
my $model = eval { decode_json($r->{out}) };
ok($model, 'the model is JSON') or diag($r->{out});
my %kinds = map { $_->{kind} => 1 } @{ $model->{objects} };
for my $k ('schema', 'extension', 'enum', 'domain', 'type', 'sequence', 'table', 'column', 'constraint', 'index',
	'view', 'materialized view', 'function', 'procedure', 'trigger', 'policy', 'unsupported') {
	ok($kinds{$k}, "the rich schema has a $k");
}
my ($col) = grep { $_->{object} eq 'app.stores.name' } @{ $model->{objects} };
is($col->{attributes}{type}, 'character varying(50)', 'a column carries its type');
is($col->{parent}, 'app.stores', 'and its parent');
ok(!grep({ ($_->{schema} // '') eq 'ssot' } @{ $model->{objects} }), 'the ledger schema is skipped');
$r = $p->ssot('inspect', '--db', $live, '--format', 'yaml');
is($r->{rc}, 2, 'inspect: unknown format');
drop_db($live);

# ---- definitions composed from the catalog vs the server's ----
my $shapes = fresh_db("$root/tests/drift/compose-shapes.sql");
my $composed = $p->ssot('inspect', '--db', $shapes, '--format', 'json');
is($composed->{rc}, 0, 'inspect of index and constraint shapes') or diag($composed->{err});
{
	local $ENV{SSOT_CATALOG_SERVER_DEFS} = 1;
	my $server = $p->ssot('inspect', '--db', $shapes, '--format', 'json');
	is($composed->{out}, $server->{out}, 'every shape: composed definitions equal pg_get_indexdef / pg_get_constraintdef');
	local $ENV{SSOT_CATALOG_ONE_SESSION} = 1;
	$server = $p->ssot('inspect', '--db', $shapes, '--format', 'json');
	is($composed->{out}, $server->{out}, 'and in one session');
}
{
	local $ENV{SSOT_CATALOG_ONE_SESSION} = 1;
	my $one = $p->ssot('inspect', '--db', $shapes, '--format', 'json');
	is($composed->{out}, $one->{out}, 'composed in one session: what the helper printed, the main session prints');
}
{
	my $m = decode_json($composed->{out});
	my %def = map { $_->{object} => $_->{attributes}{definition} } grep { $_->{attributes}{definition} } @{ $m->{objects} };
	is($def{'shapes.child_desc_idx'}, 'CREATE INDEX child_desc_idx ON shapes.child USING btree (x DESC NULLS LAST, y, z DESC)',
		'a composed index: DESC / NULLS as the server prints them');
	is($def{'shapes.parent.parent_ab_key'}, 'UNIQUE NULLS NOT DISTINCT (a, b) INCLUDE (c, "Order")',
		'a composed unique constraint: NULLS NOT DISTINCT and INCLUDE');
	is($def{'shapes.checks.c_nested'}, 'CHECK (((a = b) OR ((a = 1) AND (b = 2)) OR (NOT ((a < b) AND (b < 3)))))',
		'a composed CHECK: every operator and boolean in parentheses');
	is($def{'shapes.checks.c_text'}, "CHECK (((t <> ''::text) AND (t <> 'it''s'::text)))",
		'a composed CHECK: text constants quoted and labelled');
	is($def{'shapes.checks.c_noinherit'}, 'CHECK ((qty < 1000)) NO INHERIT', 'a composed CHECK: NO INHERIT');
	is($def{'shapes.checks.s_in'}, "CHECK ((t = ANY (ARRAY['a'::text, 'b'::text])))", 'a CHECK left to the server');
	is($def{'shapes.child.child_parent_fk'},
		'FOREIGN KEY (parent_id) REFERENCES shapes.parent(id) MATCH FULL ON UPDATE CASCADE ON DELETE SET NULL (parent_id)',
		'a composed foreign key: match type, actions and SET NULL columns');
	is($def{'shapes.parent_order_pattern_idx'}, 'CREATE INDEX parent_order_pattern_idx ON shapes.parent USING btree ("Order" text_pattern_ops)',
		'an operator class of its own: the server prints it');
}
remove_tree($p->dir . '/db');
$r = $p->ssot('inspect', '--db', $shapes, '--out', 'db/run');
is($r->{rc}, 0, 'inspect of the shapes writes files') or diag($r->{err});
$r = $p->ssot('drift', '--db', $shapes);
is($r->{rc}, 0, 'inspect round trip of the shapes: no drift') or diag($r->{out} . $r->{err});
drop_db($shapes);

done_testing();
