/*
 * ssot: idempotent SQL files as the single source of truth for a PostgreSQL
 * schema. This file holds the command table, the global options and the
 * final check that stdout was written.
 */
#include "cmd/cmd.h"
#include "cluster.h"
#include "conn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct command {
	const char *name;
	int (*fn)(int argc, char **argv, struct global_opts *g);
	const char *summary;
	const char *help;
};

static const struct command commands[] = {
	{ "init", cmd_init, "create the db/ layout, ssot.conf and a .gitignore entry",
	  "usage: ssot init [--dir DIR]\n"
	  "\n"
	  "Create the project layout in the current directory: DIR/prerun, DIR/run,\n"
	  "DIR/seed, DIR/postrun, DIR/reset, an example schema file and test, ssot.conf\n"
	  "and a .gitignore entry for .ssot/. Running it again changes nothing that\n"
	  "exists already.\n"
	  "\n"
	  "examples:\n"
	  "  ssot init\n"
	  "  ssot init --dir schema\n" },
	{ "apply", cmd_apply, "apply the files in one transaction",
	  "usage: ssot apply [--seed] [--tests always|only|skip] [--dry-run] [--reset [--yes]]\n"
	  "                  [--lock-timeout DURATION] [--wait DURATION] [--db URL | --env NAME]\n"
	  "\n"
	  "Run DIR/prerun, DIR/run, DIR/seed (with --seed), DIR/postrun and, with --tests,\n"
	  "the *.test.sql / *.spec.sql files, in file-name order, in ONE transaction\n"
	  "together with a ledger row (schema \"ssot\"). Any error rolls everything back\n"
	  "and is printed as file:line:col with the offending source line.\n"
	  "Statements that cannot run in a transaction block (CREATE INDEX CONCURRENTLY,\n"
	  "VACUUM, ...) run after the commit, one by one, and are reported.\n"
	  "\n"
	  "options:\n"
	  "  --seed                 also run DIR/seed (development data)\n"
	  "  --tests MODE           always: run tests after the schema (a failing test\n"
	  "                         rolls back); only: run just the tests, then roll back;\n"
	  "                         skip (default)\n"
	  "  --dry-run              run everything, report, then roll back; lists the\n"
	  "                         objects the apply would create, change or drop\n"
	  "  --reset                run DIR/reset first (refused on protected environments\n"
	  "                         unless you type the database name or pass --yes)\n"
	  "  --yes                  consent to --reset on a protected environment\n"
	  "  --lock-timeout DUR     lock_timeout for the statements (default 5s); a lock\n"
	  "                         timeout retries the whole transaction up to 3 times\n"
	  "  --wait DUR             how long to wait for another apply to finish (default 60s)\n"
	  "\n"
	  "examples:\n"
	  "  ssot apply                       # the embedded dev database\n"
	  "  ssot apply --seed --tests always\n"
	  "  ssot apply --env prod --dry-run\n"
	  "  ssot apply --db postgresql://app@db.internal/app --format json\n" },
	{ "status", cmd_status, "which files changed since this database last applied them",
	  "usage: ssot status [--seed] [--db URL | --env NAME] [--format text|json]\n"
	  "\n"
	  "Compare the files on disk with the last run recorded in the database's ledger:\n"
	  "unchanged, changed, new and deleted files, and when and by whom it ran.\n"
	  "Exit status 1 when anything is pending.\n"
	  "\n"
	  "examples:\n"
	  "  ssot status\n"
	  "  ssot status --env prod --format json\n" },
	{ "watch", cmd_watch, "apply on every save; run tests; never exit on an SQL error",
	  "usage: ssot watch [--seed] [--tests always|only|skip] [--all] [--clear] [--poll]\n"
	  "                  [--debounce DURATION] [--yes] [--db URL | --env NAME]\n"
	  "                  [--format text|json]\n"
	  "\n"
	  "Apply everything once, then watch DIR (inotify, recursively; new directories\n"
	  "too) and re-apply on every save, in ONE transaction through the same code as\n"
	  "'ssot apply' (ledger, advisory lock, lock_timeout). What runs is decided by\n"
	  "content (SHA-256), never by mtime; a save that changes no bytes runs nothing:\n"
	  "  all of prerun; in run, the first changed file and every file after it;\n"
	  "  in seed (with --seed) likewise; all of postrun; then the tests.\n"
	  "A deleted or renamed file, or a changed prerun file, runs everything.\n"
	  "A cycle that works prints one line:\n"
	  "  ✓ 3 files, 41 statements, 6 ms · tests 12/12 · db/run/30_c.sql changed\n"
	  "An SQL error or a failing test prints file:line:col with the offending line,\n"
	  "rolls everything back (the database keeps the last good state) and keeps\n"
	  "watching; the next save that fixes it applies. Ctrl-C while waiting stops\n"
	  "with exit status 0; during a run it cancels the query, rolls back and exits\n"
	  "130. The embedded cluster is left running.\n"
	  "\n"
	  "options:\n"
	  "  --seed                 also run DIR/seed (from its first changed file)\n"
	  "  --tests MODE           always (default): tests after the schema, in the same\n"
	  "                         transaction (a failing test rolls back); only: just the\n"
	  "                         tests, rolled back; skip\n"
	  "  --all                  run every file on every change\n"
	  "  --clear                clear the screen before each cycle's report\n"
	  "  --poll                 poll (stat + content hash) instead of inotify; also the\n"
	  "                         fallback when inotify is unavailable\n"
	  "  --debounce DURATION    quiet time that ends a burst of saves (default 10ms;\n"
	  "                         polling: one poll interval, 100ms)\n"
	  "  --yes                  watch a protected environment anyway\n"
	  "  --format json          one JSON document per cycle, one line each, with the\n"
	  "                         findings and wall-clock times (for scripts)\n"
	  "\n"
	  "examples:\n"
	  "  ssot watch                       # the embedded dev database\n"
	  "  ssot watch --seed --clear\n"
	  "  ssot watch --tests only\n"
	  "  ssot watch --format json | jq -c '.summary | {outcome, cycle_ms}'\n" },
	{ "lint", cmd_lint, "static checks of the files: idempotency, transactions, safety",
	  "usage: ssot lint [--dir DIR | FILE...] [--profile online] [--rule RULE]...\n"
	  "                 [--jobs N] [--format text|json|sarif|github]\n"
	  "       ssot lint --list-rules [-v] [--format json]\n"
	  "\n"
	  "Check every statement of the files statically, with PostgreSQL's own parser:\n"
	  "idempotency (does a second run fail or change something?), transactions,\n"
	  "data safety (TRUNCATE against foreign keys declared anywhere, DML in run/),\n"
	  "drift traps (one name declared twice with different definitions) and, with\n"
	  "--profile online, lock safety. No database is needed. Without FILE arguments\n"
	  "the project's files are checked; a FILE's phase comes from its path (a\n"
	  "directory named prerun, run, seed, postrun or reset; run otherwise).\n"
	  "Exit status 1 when any finding is an error. Rules and suppressions\n"
	  "(-- ssot:ignore RULE reason) are described in docs/lint.md.\n"
	  "\n"
	  "options:\n"
	  "  --profile NAME         default, or online: also the lock-safety rules\n"
	  "  --rule RULE            run only this rule (repeatable; comma lists work)\n"
	  "  --list-rules           print every rule: id, severity, default, summary\n"
	  "  -j, --jobs N           parse files on N threads (default: one per CPU)\n"
	  "  -v                     show each finding's why and fix\n"
	  "\n"
	  "ssot.conf:  [lint]  disable = rule, rule   enable = unqualified-name   profile = online\n"
	  "\n"
	  "examples:\n"
	  "  ssot lint\n"
	  "  ssot lint -v db/run/20_orders.sql\n"
	  "  ssot lint --profile online --format sarif > lint.sarif\n"
	  "  ssot lint --rule truncate-referenced --format json\n"
	  "  ssot lint --list-rules\n" },
	{ "verify", cmd_verify, "dynamic idempotency check: apply the files three times to a throwaway database",
	  "usage: ssot verify [--seed] [--dev-url URL] [--format text|json|sarif|github]\n"
	  "\n"
	  "Prove that the files are idempotent by running them. In a throwaway database\n"
	  "(created from template0 on the embedded PostgreSQL, or on --dev-url, and always\n"
	  "dropped) apply DIR/prerun and DIR/run (and DIR/seed with --seed) once, take a\n"
	  "snapshot (the catalog, the exact row count of every table, the position of\n"
	  "every sequence), apply the same files again and compare; then apply them a\n"
	  "third time and compare with the fresh build. Each apply is one transaction,\n"
	  "as 'ssot apply' runs it. Reported, each at the statement responsible:\n"
	  "  verify-second-run-failed   a statement fails on the second run (every one:\n"
	  "                             a failed statement is skipped and the run retried)\n"
	  "  verify-third-run-failed    a statement fails only on the third run\n"
	  "  verify-not-idempotent      an object's catalog entry changed on re-apply\n"
	  "  verify-rows-changed        a table's row count changed (the INSERT, DELETE,\n"
	  "                             ..., or the trigger function writing to it)\n"
	  "  verify-sequence-changed    a sequence moved (nextval / setval in run/)\n"
	  "  verify-fresh-differs       a fresh build differs from one applied three times\n"
	  "When the files do not apply to an empty database at all, that apply's errors\n"
	  "are reported. Exit status 0 when idempotent, 1 on any error finding. Static\n"
	  "checks of the same files: 'ssot lint'. See docs/verify.md.\n"
	  "\n"
	  "options:\n"
	  "  --seed                 also apply DIR/seed (it must be idempotent too)\n"
	  "  --dev-url URL          build on this server (needs CREATEDB)\n"
	  "  -v                     also print where the time went\n"
	  "\n"
	  "examples:\n"
	  "  ssot verify\n"
	  "  ssot verify --seed --format json | jq .summary\n"
	  "  ssot verify --dev-url postgresql://ci@localhost/postgres --format sarif > verify.sarif\n" },
	{ "inspect", cmd_inspect, "write a live database as canonical idempotent SQL (or the JSON model)",
	  "usage: ssot inspect [--db URL | --env NAME] [--out DIR] [--format sql|json] [--split]\n"
	  "                    [--schema S ...] [--exclude-schema S ...] [--grants]\n"
	  "\n"
	  "Read the database's catalogs and write every object as idempotent SQL\n"
	  "(CREATE ... IF NOT EXISTS, CREATE OR REPLACE, DO ... EXCEPTION WHEN\n"
	  "duplicate_object guards where PostgreSQL has no IF NOT EXISTS), ordered by\n"
	  "dependencies, one file per schema named so that file order is apply order.\n"
	  "Objects owned by extensions and the ledger schema are left out; objects ssot\n"
	  "does not model (aggregates, operators, ...) are listed in a comment and on\n"
	  "stderr. Applying the output to an empty database and running 'ssot drift'\n"
	  "against the original finds nothing.\n"
	  "\n"
	  "options:\n"
	  "  --out DIR              write the files to DIR (created if missing); default:\n"
	  "                         everything on stdout\n"
	  "  --format sql|json      sql (default), or the schema model as one JSON document\n"
	  "                         (DIR/model.json with --out)\n"
	  "  --split                one file per object kind (10_schemas.sql, 60_tables.sql,\n"
	  "                         ...) instead of one per schema\n"
	  "  --schema S             only schema S (repeatable)\n"
	  "  --exclude-schema S     leave schema S out (repeatable)\n"
	  "  --grants               also write privileges (GRANT / REVOKE)\n"
	  "\n"
	  "examples:\n"
	  "  ssot inspect --db \"$LEGACY_URL\" --out db/run\n"
	  "  ssot inspect --env prod --split --out /tmp/prod-schema\n"
	  "  ssot inspect --format json | jq '.objects[] | select(.kind == \"table\") | .object'\n" },
	{ "drift", cmd_drift, "compare the files (built in a throwaway database) with a live database",
	  "usage: ssot drift [--db URL | --env NAME] [--dev-url URL] [--schema S ...]\n"
	  "                  [--exclude-schema S ...] [--strict-column-order] [--grants]\n"
	  "       ssot drift --db URL --db URL ... | --targets FILE [--jobs N]\n"
	  "\n"
	  "Apply DIR/prerun and DIR/run to a throwaway database (created from template0\n"
	  "on the embedded PostgreSQL, or on --dev-url, and always dropped), read its\n"
	  "catalogs and the live database's with the same queries, and report every\n"
	  "difference: tables, columns (type, nullability, default, identity,\n"
	  "generated, collation), constraints, indexes, views, materialized views,\n"
	  "functions, procedures, triggers, sequences, enums, domains, composite types,\n"
	  "extensions, schemas, comments, row-level security, partitions and, with\n"
	  "--grants, privileges. Each finding is missing (declared, not in the\n"
	  "database), extra (in the database, not declared) or changed, points at the\n"
	  "declaring statement and says what to do. Equivalent spellings (int/integer,\n"
	  "inline/table constraints, serial/its expansion) are not drift. Objects ssot\n"
	  "does not model are listed as notes. Exit status 1 when there is drift.\n"
	  "\n"
	  "options:\n"
	  "  --dev-url URL          build the files on this server (needs CREATEDB; use\n"
	  "                         the live database's major version)\n"
	  "  --schema S             compare only schema S (repeatable)\n"
	  "  --exclude-schema S     leave schema S out (repeatable)\n"
	  "  --strict-column-order  report columns in a different position\n"
	  "  --grants               compare privileges too\n"
	  "  --db URL (repeated)    check several databases concurrently\n"
	  "  --targets FILE         one connection string per line ($NAME: from a variable)\n"
	  "  --jobs N               databases checked at once (default 8)\n"
	  "  -v                     also print where the time went\n"
	  "\n"
	  "examples:\n"
	  "  ssot drift --db \"$STAGING_URL\"\n"
	  "  ssot drift --env prod --format json\n"
	  "  ssot drift --targets fleet.txt --exclude-schema audit\n" },
	{ "dev", cmd_dev, "embedded PostgreSQL: start | stop | status | url | psql | reset | destroy",
	  "usage: ssot dev start|stop|status|url|reset|destroy\n"
	  "       ssot dev psql [PSQL ARGUMENTS]\n"
	  "\n"
	  "Manage the project's embedded PostgreSQL, which every command uses when no\n"
	  "database is configured (--db, --env, DATABASE_URL, PG* variables). It listens\n"
	  "only on a private Unix socket and keeps its data under .ssot/pg (or, when run\n"
	  "as root and the postgres user cannot reach the project, under\n"
	  "/var/tmp/ssot-<hash of the project path>; 'ssot dev status' says where).\n"
	  "SSOT_PG_BINDIR names the directory of initdb and pg_ctl when they are not found\n"
	  "through pg_config or /usr/lib/postgresql/*/bin.\n"
	  "\n"
	  "  start    create (first time) and start the cluster and its dev database\n"
	  "  stop     stop it\n"
	  "  status   state (running, stopped, absent), data directory, socket, URL and\n"
	  "           log on stdout (--format json: one object); exit status 0 when\n"
	  "           running, 1 when stopped or absent\n"
	  "  url      start if needed, print the connection URI of the dev database\n"
	  "  psql     start if needed, run psql on the dev database; every argument after\n"
	  "           'psql' goes to psql\n"
	  "  reset    drop and re-create the dev database\n"
	  "  destroy  stop it and remove its data, log and socket directory\n"
	  "\n"
	  "examples:\n"
	  "  ssot dev start\n"
	  "  psql \"$(ssot dev url)\"\n"
	  "  ssot dev psql -c 'select 1'\n"
	  "  ssot dev status --format json\n" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char *progname = "ssot";

static void print_usage(FILE *out)
{
	fprintf(out,
		"usage: ssot [global options] <command> [options] [args]\n"
		"\n"
		"Idempotent SQL files as the single source of truth for a PostgreSQL schema.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\n"
		"global options:\n"
		"  --db URL            libpq connection string or URI\n"
		"  --env NAME          an [env \"NAME\"] entry of ssot.conf\n"
		"  --dir DIR           the SQL directory (default: db)\n"
		"  --format FMT        text | json | sarif | github, where it applies\n"
		"  --color WHEN        auto | always | never (NO_COLOR is honoured)\n"
		"  -q, --quiet         no progress messages\n"
		"  -v, --verbose       more detail\n"
		"  --version           print the version\n"
		"  -h, --help          help; 'ssot <command> --help' for a command\n"
		"\n"
		"connection: --db, then --env, then DATABASE_URL, then libpq's PG* variables\n"
		"and service file, then the project's embedded PostgreSQL.\n"
		"exit status: 0 ok, 1 findings or SQL rolled back, 2 usage/config/connection\n"
		"error, 130 interrupted.\n");
}

void print_command_help(const char *verb)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, verb)) {
			fputs(commands[i].help, stdout);
			return;
		}
	print_usage(stdout);
}

void die_msg(const char *msg, const char *detail, const char *hint)
{
	fprintf(stderr, "%s: error: %s\n", progname, msg);
	if (detail && *detail)
		fprintf(stderr, "detail: %s\n", detail);
	if (hint && *hint)
		fprintf(stderr, "hint: %s\n", hint);
}

int usage_error(const char *verb, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: error: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nhint: see 'ssot %s--help'\n", verb ? verb : "");
	return EXIT_USAGE;
}

void progress(const struct global_opts *g, const char *fmt, ...)
{
	if (g->quiet)
		return;
	va_list ap;
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool use_color(const struct global_opts *g, int fd)
{
	if (g->color == 1)
		return true;
	if (g->color == 0)
		return false;
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		return false;
	const char *term = getenv("TERM");
	if (term && !strcmp(term, "dumb"))
		return false;
	return isatty(fd);
}

int global_opt(struct global_opts *g, int c, const char *arg)
{
	switch (c) {
	case OPT_DB:
		g->db = arg;
		return 1;
	case OPT_ENV:
		g->env = arg;
		return 1;
	case OPT_DIR:
		g->dir = arg;
		return 1;
	case OPT_FORMAT:
		if (diag_parse_format(arg, &g->format) < 0) {
			usage_error(NULL, "unknown --format '%s' (expected text, json, sarif or github)", arg);
			return -1;
		}
		return 1;
	case OPT_COLOR:
		if (!strcmp(arg, "auto"))
			g->color = -1;
		else if (!strcmp(arg, "always"))
			g->color = 1;
		else if (!strcmp(arg, "never"))
			g->color = 0;
		else {
			usage_error(NULL, "unknown --color '%s' (expected auto, always or never)", arg);
			return -1;
		}
		return 1;
	case 'q':
		g->quiet = 1;
		return 1;
	case 'v':
		g->verbose++;
		return 1;
	case 'h':
		g->help = true;
		return 1;
	}
	return 0;
}

void render_findings(const struct global_opts *g, struct diag *d, const char *command, json_t *summary)
{
	struct render_opts o = {
		.color = use_color(g, STDOUT_FILENO),
		.verbose = g->verbose,
		.command = command,
		.tool_version = SSOT_VERSION,
		.summary = summary,
	};
	diag_render(d, g->format, stdout, &o);
}

int main(int argc, char **argv)
{
	struct global_opts g = { .format = FORMAT_TEXT, .color = -1 };
	static const struct option longopts[] = {
		GLOBAL_LONGOPTS,
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	/* Global options before the verb; "+" stops at the first non-option. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+" GLOBAL_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == OPT_VERSION) {
			printf("ssot %s\n", SSOT_VERSION);
			return EXIT_OK;
		}
		if (c == '?')
			return usage_error(NULL, "unknown option '%s'", argv[optind - 1]);
		if (global_opt(&g, c, optarg) < 0)
			return EXIT_USAGE;
	}
	if (optind >= argc) {
		print_usage(g.help ? stdout : stderr);
		return g.help ? EXIT_OK : EXIT_USAGE;
	}

	const char *verb = argv[optind];
	if (!strcmp(verb, "help")) {
		if (optind + 1 < argc)
			print_command_help(argv[optind + 1]);
		else
			print_usage(stdout);
		return EXIT_OK;
	}
	const struct command *cmd = NULL;
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, verb))
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, "%s: error: unknown command '%s'\n", progname, verb);
		fprintf(stderr, "hint: run 'ssot --help' for the list of commands\n");
		return EXIT_USAGE;
	}
	if (g.help) {
		print_command_help(verb);
		return EXIT_OK;
	}

	optind++;		/* the command sees argv[0] == verb */
	int sub_argc = argc - optind + 1;
	char **sub_argv = argv + optind - 1;
	optind = 1;
	opterr = 1;
	int rc = cmd->fn(sub_argc, sub_argv, &g);
	tempdb_drop_all();
	/* A command cut short by Ctrl-C exits 130, whatever error the cancel left behind. */
	if (rc != EXIT_OK && conn_interrupted())
		rc = EXIT_INTERRUPTED;

	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: error: cannot write to standard output: %s\n", progname, strerror(errno));
		return EXIT_USAGE;
	}
	return rc;
}
