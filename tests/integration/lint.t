# ssot lint: the data-driven cases of tests/lint/, output formats, options,
# configuration and exit codes. No database is needed.
#
# Each tests/lint/<case>/ is a project (db/..., maybe ssot.conf) with
#   expected   one finding per line: "file:line:col rule: message", in order
#   args       optional extra arguments for ssot lint (one line)
# The case is copied into a temporary project and linted there.
use strict;
use warnings;
use lib 'tests/lib';
use SsotTest;
use Test::More;
use JSON::PP;
use File::Find;

my $cases_dir = 'tests/lint';
opendir(my $dh, $cases_dir) or die "$cases_dir: $!";
my @cases = sort grep { !/^\./ && -d "$cases_dir/$_" } readdir($dh);
closedir($dh);

sub slurp {
	my ($path) = @_;
	open(my $fh, '<', $path) or return undef;
	local $/;
	return scalar <$fh>;
}

# A temporary project holding the case's files (everything but expected/args).
sub case_project {
	my ($case) = @_;
	my %files;
	my $root = "$cases_dir/$case";
	find({ no_chdir => 1, wanted => sub {
		return unless -f $_;
		(my $rel = $_) =~ s{^\Q$root\E/}{};
		return if $rel eq 'expected' || $rel eq 'args';
		$files{$rel} = slurp($_);
	} }, $root);
	return SsotTest->project(%files);
}

sub findings_of {
	my ($r) = @_;
	my $doc = eval { decode_json($r->{out}) };
	return undef unless $doc;
	return [map { "$_->{file}:$_->{line}:$_->{col} $_->{rule}: $_->{message}" } @{ $doc->{findings} }];
}

my %seen_rule;
for my $case (@cases) {
	my $expected = slurp("$cases_dir/$case/expected");
	next unless defined $expected;
	utf8::decode($expected);	# decode_json gives characters
	my @args = split ' ', (slurp("$cases_dir/$case/args") // '');
	my @want = grep { length } split /\n/, $expected;
	my $p = case_project($case);
	for my $jobs ('1', '3') {
		my $r = $p->ssot('lint', '--format', 'json', '--jobs', $jobs, @args);
		my $got = findings_of($r);
		ok($got, "$case: json output parses (jobs $jobs)") or diag($r->{out} . $r->{err});
		is_deeply($got, \@want, "$case: findings (jobs $jobs)")
			or diag(join("\n", 'got:', @{ $got || [] }, 'want:', @want));
		my $doc = decode_json($r->{out});
		my $has_error = grep { $_->{severity} eq 'error' } @{ $doc->{findings} };
		is($r->{rc}, $has_error ? 1 : 0, "$case: exit status (jobs $jobs)");
		is($r->{err}, '', "$case: nothing on stderr");
	}
	$seen_rule{$_}++ for map { /^\S+ ([a-z-]+):/ ? $1 : () } @want;
}

# Every rule has a case that shows it.
my $list = SsotTest->project()->ssot('lint', '--list-rules', '--format', 'json');
is($list->{rc}, 0, '--list-rules exits 0');
my $rules = decode_json($list->{out});
ok(@$rules >= 28, 'the rule table is listed');
for my $rule (@$rules) {
	ok($seen_rule{ $rule->{id} }, "rule $rule->{id} has a data-driven case");
	ok($rule->{why} && $rule->{fix} && $rule->{summary}, "rule $rule->{id} has summary, why and fix");
	like($rule->{severity}, qr/^(error|warning|note)$/, "rule $rule->{id} has a severity");
}
my $text_list = SsotTest->project()->ssot('lint', '--list-rules');
like($text_list->{out}, qr/^idempotency:\n  create-if-not-exists\s+error\s+CREATE SCHEMA/m, '--list-rules text groups rules by family');
like($text_list->{out}, qr/^  index-not-concurrent\s+error\s+online\s+CREATE INDEX without CONCURRENTLY.* \(off\)$/m,
	'--list-rules marks online rules off by default');
like(SsotTest->project()->ssot('lint', '--list-rules', '--profile', 'online')->{out},
	qr/^  index-not-concurrent\s+error\s+online\s+CREATE INDEX without CONCURRENTLY[^\n]*[^)]$/m,
	'--profile online turns them on');

# The clean project: every statement kind in the idempotent style, no finding in either profile.
{
	my $p = case_project('clean');
	for my $profile ('default', 'online') {
		my $r = $p->ssot('lint', '--profile', $profile);
		is($r->{rc}, 0, "clean: exit 0 with profile $profile");
		like($r->{out}, qr/^lint: no findings in 7 files \(\d+ statements\)$/, "clean: no findings ($profile)");
	}
	my $r = $p->ssot('lint', '--rule', 'unqualified-name');
	is($r->{out}, "lint: no findings in 7 files (42 statements)\n", 'clean: qualified names throughout');
}

# Text output: caret, why and fix with -v, a summary line.
{
	my $p = case_project('wrong-exception-condition');
	my $r = $p->ssot('lint');
	is($r->{rc}, 1, 'text: exit 1 on errors');
	like($r->{out}, qr/^db\/run\/10_guards\.sql:4:16: error: the handler catches duplicate_table, but CREATE TYPE raises duplicate_object \(42710\) on a second run \[wrong-exception-condition\]\n 4 \| EXCEPTION WHEN duplicate_table THEN NULL;\n   \|                \^~~~~~~~~~~~~~~\n  detail: the guarded statement is at line 3\n  fix: EXCEPTION WHEN duplicate_object THEN NULL;\n/m,
		'text: the finding points at the wrong condition, with the fix');
	like($r->{out}, qr/^lint: 2 errors, 0 warnings, 0 notes in 1 files \(4 statements\)$/m, 'text: summary line');
	unlike($r->{out}, qr/why:/, 'text: no why without -v');
	$r = $p->ssot('lint', '-v');
	like($r->{out}, qr/^    why: The handler never fires/m, '-v: why');
	like($r->{out}, qr/^    fix: catch the condition the statement raises/m, '-v: fix');
	$r = $p->ssot('lint', '-q');
	unlike($r->{out}, qr/^lint:/m, '-q: no summary line');
}

# SARIF: valid 2.1.0 with rule help, fingerprints and regions; GitHub workflow commands.
{
	my $p = case_project('truncate-referenced');
	my $r = $p->ssot('lint', '--format', 'sarif', '--rule', 'truncate-referenced');
	is($r->{rc}, 1, 'sarif: exit 1');
	my $s = decode_json($r->{out});
	is($s->{version}, '2.1.0', 'sarif: version');
	my $run = $s->{runs}[0];
	is($run->{tool}{driver}{name}, 'ssot', 'sarif: driver');
	is($run->{automationDetails}{id}, 'ssot/lint/', 'sarif: lint category');
	my @res = @{ $run->{results} };
	is(scalar @res, 2, 'sarif: two results');
	is($res[0]{ruleId}, 'truncate-referenced', 'sarif: ruleId');
	is($res[0]{locations}[0]{physicalLocation}{artifactLocation}{uri}, 'db/run/30_jobs.sql', 'sarif: relative uri');
	is($res[0]{locations}[0]{physicalLocation}{region}{startLine}, 3, 'sarif: line');
	is($res[0]{locations}[0]{physicalLocation}{region}{startColumn}, 12, 'sarif: column');
	ok($res[0]{partialFingerprints}{primaryLocationLineHash}, 'sarif: fingerprint');
	my $rule = $run->{tool}{driver}{rules}[ $res[0]{ruleIndex} ];
	like($rule->{help}{text}, qr/^why: PostgreSQL refuses it .*\nfix: DELETE FROM t WHERE key NOT IN/s, 'sarif: help has why and fix');
	is($rule->{defaultConfiguration}{level}, 'error', 'sarif: level');
	like($res[1]{properties}{suggestion}, qr/^DELETE FROM public\.stores WHERE <key> NOT IN/, 'sarif: suggestion property');

	$r = $p->ssot('lint', '--format', 'github', '--rule', 'truncate-referenced');
	like($r->{out}, qr/^::error file=db\/seed\/10_reset\.sql,line=1,col=10[^:]*::TRUNCATE public\.stores fails/m, 'github: workflow command');
}

# JSON summary.
{
	my $p = case_project('insert-on-conflict');
	my $doc = decode_json($p->ssot('lint', '--format', 'json')->{out});
	is($doc->{command}, 'lint', 'json: command');
	is($doc->{summary}{files}, 2, 'json: files');
	is($doc->{summary}{statements}, 5, 'json: statements');
	is($doc->{summary}{errors}, 2, 'json: error count');
	is($doc->{summary}{profile}, 'default', 'json: profile');
}

# FILE arguments: phase from the path; run when unknown; missing files.
{
	my $p = SsotTest->project(
		'db/seed/10_rows.sql' => "UPDATE t SET x = 1;\n",
		'sql/update.sql' => "UPDATE t SET x = 1;\n",
		'db/reset/10_drop.sql' => "DROP TABLE IF EXISTS t;\n",
	);
	my $r = $p->ssot('lint', '--format', 'json', 'db/seed/10_rows.sql', 'sql/update.sql', 'db/reset/10_drop.sql');
	is_deeply(findings_of($r), ['sql/update.sql:1:1 dml-in-run: UPDATE in a run/ file changes data on every apply; it belongs in seed/'],
		'FILE arguments: phases from the path');
	is($r->{rc}, 0, 'FILE arguments: warnings only exit 0');
	$r = $p->ssot('lint', 'nope.sql');
	is($r->{rc}, 2, 'missing file: exit 2');
	like($r->{err}, qr/^ssot: error: cannot lint a file that does not exist or is not a regular file\ndetail: nope\.sql$/m, 'missing file: message');
	$r = $p->ssot('lint');
	is($r->{rc}, 0, 'no FILE: the project under db/');
	$r = $p->ssot('lint', '--dir', 'nodir');
	is($r->{rc}, 2, '--dir to a missing directory: exit 2');
}

# Options and configuration errors.
{
	my $p = SsotTest->project('db/run/10_a.sql' => "CREATE TABLE a (id int);\n");
	my $r = $p->ssot('lint', '--rule', 'no-such-rule');
	is($r->{rc}, 2, 'unknown --rule: exit 2');
	like($r->{err}, qr/^ssot: error: unknown lint rule 'no-such-rule' \(see 'ssot lint --list-rules'\)$/m, 'unknown --rule: message');
	$r = $p->ssot('lint', '--profile', 'fast');
	is($r->{rc}, 2, 'unknown profile: exit 2');
	like($r->{err}, qr/unknown lint profile 'fast' \(expected default or online\)/, 'unknown profile: message');
	$r = $p->ssot('lint', '--jobs', '0');
	is($r->{rc}, 2, '--jobs 0: exit 2');
	$r = $p->ssot('lint', '--rule', 'create-if-not-exists,drop-if-exists', '--format', 'json');
	is(scalar @{ findings_of($r) }, 1, '--rule takes a comma list');

	$p->write('ssot.conf', "[lint]\ndisable = create-if-not-exists\n");
	$r = $p->ssot('lint');
	is($r->{rc}, 0, 'ssot.conf disable: the rule is off');
	$p->write('ssot.conf', "[lint]\ndisable = create-if-not-exist\n");
	$r = $p->ssot('lint');
	is($r->{rc}, 2, 'ssot.conf unknown rule: exit 2');
	like($r->{err}, qr/^ssot: error: unknown lint rule 'create-if-not-exist' \(see 'ssot lint --list-rules'\) in ssot\.conf \[lint\]$/m,
		'ssot.conf unknown rule: message');
	$p->write('ssot.conf', "[lint]\nprofil = online\n");
	$r = $p->ssot('lint');
	is($r->{rc}, 2, 'ssot.conf unknown key: exit 2');
	like($r->{err}, qr/^ssot: error: ssot\.conf:2: unknown key 'profil' in \[lint\] \(known: disable, enable, profile\)$/m,
		'ssot.conf unknown key: message');
	$p->write('ssot.conf', "[lint]\nprofile = online\n");
	$p->write('db/run/10_a.sql', "ALTER TABLE a ALTER COLUMN id SET NOT NULL;\n");
	$r = $p->ssot('lint', '--format', 'json');
	is_deeply([map { /(\S+):/ ? $1 : () } map { (split ' ', $_)[1] } @{ findings_of($r) }], ['set-not-null', 'lock-timeout-missing'],
		'ssot.conf profile = online');
	$r = $p->ssot('lint', '--profile', 'default');
	is($r->{rc}, 0, '--profile wins over ssot.conf');
	like(SsotTest->project()->ssot('lint', '--help')->{out}, qr/^usage: ssot lint /, 'lint --help');
}

# lint never talks to a server, so it never loads libpq or libcrypto
# (src/util/dynload.c loads them on first use); commands that connect do.
{
	my $p = SsotTest->project('db/run/10_a.sql' => "CREATE TABLE IF NOT EXISTS a (id int);\n");
	my $r = $p->ssot({ env => { LD_DEBUG => 'files' } }, 'lint');
	is($r->{rc}, 0, 'lint under LD_DEBUG') or diag($r->{err});
	unlike($r->{err}, qr/libpq\.so|libcrypto\.so/, 'lint loads neither libpq nor libcrypto');
	like($r->{err}, qr/libpg_query\.so/, '(LD_DEBUG names the libraries it loads)');
	$r = $p->ssot({ env => { LD_DEBUG => 'files' } }, 'apply');
	is($r->{rc}, 0, 'apply under LD_DEBUG') or diag($r->{err});
	like($r->{err}, qr/libpq\.so/, 'apply loads libpq on first use');
	like($r->{err}, qr/libcrypto\.so/, 'and libcrypto, to hash the files');
}

done_testing();
