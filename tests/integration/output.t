# Machine-readable output: JSON is one document in DESIGN.md's shape, SARIF
# has every property the 2.1.0 schema requires (and GitHub code scanning
# needs), github prints workflow commands. Also --color and NO_COLOR.
use strict;
use warnings;
use lib 'tests/lib';
use SsotTest;
use Test::More;
use JSON::PP;

my $p = SsotTest->project(
	'db/run/10_a.sql' => "CREATE TABLE IF NOT EXISTS a (id int);\n",
	'db/run/20_b.sql' => "-- two problems, one per file run\nSELECT nope FROM a;\n",
);

my $r = $p->ssot('apply', '--format', 'json');
is($r->{rc}, 1, 'json: exit 1 on an SQL error');
my $doc = eval { decode_json($r->{out}) };
ok($doc, 'json: stdout is exactly one JSON document') or diag($r->{out});
is_deeply([sort keys %$doc], [qw(command findings summary version)], 'json: top-level keys');
my $f = $doc->{findings}[0];
for my $k (qw(rule severity message file line col object kind status expected actual suggestion)) {
	ok(exists $f->{$k}, "json: finding has '$k'");
}
is($f->{object}, undef, 'json: absent fields are null');
is($f->{end_line}, 2, 'json: span end line');
is($f->{end_col}, 12, 'json: span end column (one past the token)');
is($doc->{summary}{errors}, 1, 'json: summary counts errors');
unlike($r->{err}, qr/^\{/m, 'json: nothing JSON-like on stderr');

# SARIF 2.1.0: the required properties, walked like the schema does
$r = $p->ssot('apply', '--format', 'sarif');
my $s = eval { decode_json($r->{out}) };
ok($s, 'sarif: valid JSON') or diag($r->{out});
is($s->{version}, '2.1.0', 'sarif: version');
like($s->{'$schema'}, qr/sarif-2\.1\.0/, 'sarif: $schema');
is(ref $s->{runs}, 'ARRAY', 'sarif: runs array');
my $run = $s->{runs}[0];
is($run->{tool}{driver}{name}, 'ssot', 'sarif: tool.driver.name (required)');
my @rules = @{ $run->{tool}{driver}{rules} || [] };
ok(@rules >= 1, 'sarif: rules listed');
ok(defined $_->{id}, 'sarif: every rule has an id') for @rules;
my @results = @{ $run->{results} };
is(scalar @results, 1, 'sarif: one result');
for my $res (@results) {
	ok(defined $res->{message}{text}, 'sarif: result.message.text (required)');
	ok(defined $res->{ruleId}, 'sarif: ruleId (GitHub needs it)');
	is($rules[$res->{ruleIndex}]{id}, $res->{ruleId}, 'sarif: ruleIndex points at the rule');
	like($res->{level}, qr/^(error|warning|note|none)$/, 'sarif: level is a SARIF level');
	my $loc = $res->{locations}[0]{physicalLocation};
	is($loc->{artifactLocation}{uri}, 'db/run/20_b.sql', 'sarif: repo-relative uri');
	unlike($loc->{artifactLocation}{uri}, qr{^/|^file:}, 'sarif: uri is not absolute');
	is($loc->{region}{startLine}, 2, 'sarif: startLine');
	is($loc->{region}{startColumn}, 8, 'sarif: startColumn');
	ok($loc->{region}{startLine} >= 1 && $loc->{region}{startColumn} >= 1, 'sarif: 1-based region');
	like($res->{partialFingerprints}{primaryLocationLineHash}, qr/^[0-9a-f]{64}:\d+$/, 'sarif: partialFingerprints');
}
my $again = decode_json($p->ssot('apply', '--format', 'sarif')->{out});
is($again->{runs}[0]{results}[0]{partialFingerprints}{primaryLocationLineHash},
	$results[0]{partialFingerprints}{primaryLocationLineHash}, 'sarif: fingerprints are stable across runs');

# github workflow commands
$r = $p->ssot('apply', '--format', 'github');
like($r->{out}, qr/^::error file=db\/run\/20_b\.sql,line=2,col=8,endLine=2,endColumn=12,title=sql-error::column "nope" does not exist/m,
	'github: ::error with file, line, col');

# colour: never without a TTY or with NO_COLOR; always on request
$r = $p->ssot('apply');
unlike($r->{out}, qr/\e\[/, 'text: no colour when not a terminal');
$r = $p->ssot({ env => { NO_COLOR => '' } }, 'apply', '--color', 'always');
like($r->{out}, qr/\e\[/, 'text: --color always colours');
$r = $p->ssot({ env => { NO_COLOR => '1' } }, 'apply', '--color', 'auto');
unlike($r->{out}, qr/\e\[/, 'text: NO_COLOR honoured');
$r = $p->ssot('apply', '--format', 'yaml');
is($r->{rc}, 2, 'unknown format exits 2');
like($r->{err}, qr/unknown --format 'yaml' \(expected text, json, sarif or github\)/, 'unknown format message');

# --version, help
$r = $p->ssot('--version');
like($r->{out}, qr/^ssot \d+\.\d+\.\d+$/, '--version');
$r = $p->ssot('--help');
like($r->{out}, qr/^  apply +apply the files in one transaction$/m, '--help lists commands');

done_testing();
