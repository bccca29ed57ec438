/*
 * The command layer: the only code that sees argv, stdout and exit codes.
 *
 * Every command is `int cmd_<verb>(int argc, char **argv, struct global_opts *g)`
 * listed in main.c's table. argv[0] is the verb; the command parses its own
 * options with getopt_long, handing unknown ones to global_opt() so that
 * global options work before and after the verb. It returns an exit code:
 * EXIT_OK, EXIT_FINDINGS, EXIT_USAGE (usage, configuration, connection,
 * environment) or EXIT_INTERRUPTED.
 */
#ifndef SSOT_CMD_H
#define SSOT_CMD_H

#include "apply.h"
#include "diag.h"
#include "util/buf.h"

#include <getopt.h>
#include <libpq-fe.h>
#include <stdbool.h>

#define EXIT_OK 0
#define EXIT_FINDINGS 1
#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 130

enum {
	OPT_DB = 1000, OPT_ENV, OPT_DIR, OPT_FORMAT, OPT_COLOR, OPT_VERSION,
	OPT_CMD_BASE = 1100	/* commands number their own long options from here */
};

/* Long options every command accepts. */
#define GLOBAL_LONGOPTS \
	{ "db", required_argument, NULL, OPT_DB }, \
	{ "env", required_argument, NULL, OPT_ENV }, \
	{ "dir", required_argument, NULL, OPT_DIR }, \
	{ "format", required_argument, NULL, OPT_FORMAT }, \
	{ "color", required_argument, NULL, OPT_COLOR }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "help", no_argument, NULL, 'h' }
#define GLOBAL_SHORTOPTS "qvh"

struct global_opts {
	const char *db;		/* --db */
	const char *env;	/* --env */
	const char *dir;	/* --dir (NULL: ssot.conf or "db") */
	enum diag_format format;
	int color;		/* 1 always, 0 never, -1 auto */
	int quiet;
	int verbose;
	bool help;
};

/*
 * Handle one global option returned by getopt_long. Returns 1 when it was a
 * global option, 0 when it is not one, -1 after printing a usage error.
 */
int global_opt(struct global_opts *g, int c, const char *arg);
/* Whether to colour output written to `fd` (honours --color and NO_COLOR). */
bool use_color(const struct global_opts *g, int fd);

/* "ssot: error: <msg>" plus optional "detail:" / "hint:" lines on stderr. */
void die_msg(const char *msg, const char *detail, const char *hint);
/* Usage error: message plus "see 'ssot <verb> --help'". Returns EXIT_USAGE. */
int usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print a command's help text (from main.c's table) to stdout. */
void print_command_help(const char *verb);
/* Progress line on stderr unless -q. */
void progress(const struct global_opts *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Render findings in the chosen format on stdout. */
void render_findings(const struct global_opts *g, struct diag *d, const char *command, json_t *summary);

struct project;
struct target;


/*
 * Open the project (.env, ssot.conf) and, when `scan`, list its files.
 * Prints the error and returns EXIT_USAGE on failure, else EXIT_OK.
 */
int cmd_open_project(struct global_opts *g, struct project *p, bool scan);
/*
 * Resolve the target database (DESIGN.md §3 precedence), start the embedded
 * cluster when it is the target, and connect. Prints errors (password
 * redacted) and returns EXIT_USAGE on failure; on success *out is open.
 */
int cmd_connect(struct global_opts *g, struct project *p, struct target *t, PGconn **out);
/* SIGINT: the first cancels the running query, the second exits at once. */
void cmd_install_sigint(void);
/* --tests always|only|skip (apply, watch). Returns 0, or -1 when unknown. */
int parse_tests_mode(const char *s, enum tests_mode *out);
/* The server's notices of an apply (other than "..., skipping") on stderr, with file:line. */
void print_notices(const struct apply_result *r);

/*
 * A throwaway database to build the files in (drift, verify): created from
 * template0 on the server of `dev_url`, or on the embedded cluster (started
 * when needed), and connected to. `conninfo` reaches it (it may hold a
 * password: never print it). throwaway_open() prints the error and returns
 * EXIT_USAGE on failure (nothing left to close), else EXIT_OK;
 * throwaway_close() drops the database (a warning on stderr when it cannot)
 * and frees everything. tempdb_drop_all() covers the other exit paths.
 */
struct throwaway {
	PGconn *admin;		/* a connection to another database of the server */
	PGconn *conn;		/* the throwaway database */
	char *name;
	char *conninfo;
	double create_ms, drop_ms;
};
int throwaway_open(struct global_opts *g, const struct project *p, const char *dev_url, struct throwaway *t);
void throwaway_close(struct global_opts *g, struct throwaway *t);

int cmd_init(int argc, char **argv, struct global_opts *g);
int cmd_apply(int argc, char **argv, struct global_opts *g);
int cmd_status(int argc, char **argv, struct global_opts *g);
int cmd_dev(int argc, char **argv, struct global_opts *g);
int cmd_lint(int argc, char **argv, struct global_opts *g);
int cmd_inspect(int argc, char **argv, struct global_opts *g);
int cmd_drift(int argc, char **argv, struct global_opts *g);
int cmd_watch(int argc, char **argv, struct global_opts *g);
int cmd_verify(int argc, char **argv, struct global_opts *g);

#endif
