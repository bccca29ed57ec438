/*
 * ssot dev: manage the project's embedded PostgreSQL (start, stop, status,
 * url, psql, reset, destroy). The project root is the working directory.
 *
 * Exit status: 0 done (status: running); 1 status: stopped or absent;
 * 2 usage or environment error (the cluster could not be created, started,
 * stopped or removed).
 */
#include "cluster.h"
#include "cmd/cmd.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char subcommands[] = "start, stop, status, url, psql, reset or destroy";

/* cluster_ensure's progress lines go through progress(), honouring -q. */
static const struct global_opts *progress_opts;

/* The progress callback handed to cluster_ensure(). */
static void show_progress(const char *msg)
{
	progress(progress_opts, "%s", msg);
}

/* Print a cluster failure (message, detail, hint); returns EXIT_USAGE. */
static int cluster_failed(const struct cluster *c, const struct buf *err)
{
	die_msg(err->s, c->detail, c->hint);
	return EXIT_USAGE;
}

/* Create/start the cluster and its dev database; 0 or an exit code. */
static int ensure(struct cluster *c, const struct global_opts *g)
{
	struct buf err = BUF_INIT;
	progress_opts = g;
	int rc = 0;
	if (cluster_ensure(c, show_progress, &err) < 0)
		rc = cluster_failed(c, &err);
	buf_release(&err);
	return rc;
}

/* start: ensure the cluster runs, say where on stderr; stdout stays empty. */
static int dev_start(struct cluster *c, const struct global_opts *g)
{
	int rc = ensure(c, g);
	if (rc == 0)
		progress(g, "embedded PostgreSQL running: %s (socket %s)", c->datadir, c->sockdir);
	return rc;
}

/* stop: fast shutdown; not running (or absent) is not an error. */
static int dev_stop(struct cluster *c, const struct global_opts *g)
{
	if (!cluster_running(c)) {
		progress(g, "embedded PostgreSQL is not running (%s)", c->datadir);
		return EXIT_OK;
	}
	struct buf err = BUF_INIT;
	int rc = EXIT_OK;
	if (cluster_stop(c, &err) < 0)
		rc = cluster_failed(c, &err);
	else
		progress(g, "embedded PostgreSQL stopped (%s)", c->datadir);
	buf_release(&err);
	return rc;
}

/* Status on stdout: text lines "key: value" or one JSON object. */
static int dev_status(struct cluster *c, const struct global_opts *g)
{
	const char *state = !cluster_exists(c) ? "absent" : cluster_running(c) ? "running" : "stopped";
	char *url = cluster_uri(c, CLUSTER_DEV_DB);
	if (g->format == FORMAT_JSON) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s*}", "state", state,
				      "datadir", c->datadir, "socket", c->sockdir, "url", url,
				      "log", c->logfile, "server_user", c->server_user);
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", s);
		free(s);
		json_decref(o);
	} else {
		printf("state: %s\ndatadir: %s\nsocket: %s\nurl: %s\nlog: %s\n", state, c->datadir,
		       c->sockdir, url, c->logfile);
		if (c->server_user)
			printf("server user: %s\n", c->server_user);
	}
	free(url);
	return strcmp(state, "running") ? EXIT_FINDINGS : EXIT_OK;
}

/* url: ensure the cluster runs, print the dev database's URI on stdout. */
static int dev_url(struct cluster *c, const struct global_opts *g)
{
	int rc = ensure(c, g);
	if (rc)
		return rc;
	char *url = cluster_uri(c, CLUSTER_DEV_DB);
	printf("%s\n", url);
	free(url);
	return EXIT_OK;
}

/*
 * Replace this process with psql on the dev database. The connection goes
 * through PG* variables rather than -d, so that psql's own arguments (a
 * database name, -d, -U) still work; PGSERVICE and friends would override
 * them and are cleared.
 */
static int dev_psql(struct cluster *c, const struct global_opts *g, int argc, char **argv)
{
	int rc = ensure(c, g);
	if (rc)
		return rc;
	char port[16];
	snprintf(port, sizeof(port), "%d", c->port);
	setenv("PGHOST", c->sockdir, 1);
	setenv("PGPORT", port, 1);
	setenv("PGUSER", "postgres", 1);
	setenv("PGDATABASE", CLUSTER_DEV_DB, 1);
	unsetenv("PGHOSTADDR");
	unsetenv("PGSERVICE");
	unsetenv("PGREQUIREPEER");

	char **args = xcalloc((size_t)argc + 2, sizeof(char *));
	args[0] = (char *)"psql";
	for (int i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	fflush(stdout);
	execvp("psql", args);
	int saved = errno;
	struct buf ignore = BUF_INIT;
	if (c->bindir || cluster_find_bindir(&c->bindir, &ignore) == 0) {
		char *fallback = xasprintf("%s/psql", c->bindir);
		execv(fallback, args);
		free(fallback);
	}
	buf_release(&ignore);
	free(args);
	char *msg = xasprintf("cannot run psql: %s", strerror(saved));
	die_msg(msg, NULL, "install the PostgreSQL client (apt-get install postgresql-client)");
	free(msg);
	return EXIT_USAGE;
}

/* reset: ensure the cluster runs, then drop and re-create the dev database. */
static int dev_reset(struct cluster *c, const struct global_opts *g)
{
	int rc = ensure(c, g);
	if (rc)
		return rc;
	struct buf err = BUF_INIT;
	if (cluster_reset_dev(c, &err) < 0)
		rc = cluster_failed(c, &err);
	else
		progress(g, "dev database dropped and re-created");
	buf_release(&err);
	return rc;
}

/* destroy: stop and remove the cluster; nothing to remove is not an error. */
static int dev_destroy(struct cluster *c, const struct global_opts *g)
{
	bool existed = cluster_exists(c);
	struct buf err = BUF_INIT;
	int rc = EXIT_OK;
	if (cluster_destroy(c, &err) < 0)
		rc = cluster_failed(c, &err);
	else if (existed)
		progress(g, "embedded PostgreSQL removed (%s)", c->datadir);
	else
		progress(g, "no embedded PostgreSQL to remove (%s)", c->datadir);
	buf_release(&err);
	return rc;
}

/*
 * Parse options up to the first non-option (argv[optind] after the call).
 * Returns 0, or an exit code after printing a usage error.
 */
static int parse_options(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = { GLOBAL_LONGOPTS, { NULL, 0, NULL, 0 } };
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+" GLOBAL_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == '?')
			return usage_error("dev ", "unknown option '%s'", argv[optind - 1]);
		int r = global_opt(g, c, optarg);
		if (r < 0)
			return EXIT_USAGE;
		if (r == 0)
			return usage_error("dev ", "unknown option '%s'", argv[optind - 1]);
	}
	return 0;
}

int cmd_dev(int argc, char **argv, struct global_opts *g)
{
	int rc = parse_options(argc, argv, g);
	if (rc)
		return rc;
	if (g->help) {
		print_command_help("dev");
		return EXIT_OK;
	}
	if (optind >= argc)
		return usage_error("dev ", "missing subcommand (%s)", subcommands);
	const char *sub = argv[optind++];
	bool is_psql = !strcmp(sub, "psql");
	if (!is_psql) {
		/* options may follow the subcommand too: ssot dev status --format json */
		rc = parse_options(argc, argv, g);
		if (rc)
			return rc;
		if (g->help) {
			print_command_help("dev");
			return EXIT_OK;
		}
		if (optind < argc)
			return usage_error("dev ", "unexpected argument '%s'", argv[optind]);
	}

	static const char *const known[] = { "start", "stop", "status", "url", "psql", "reset", "destroy" };
	bool found = false;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		found |= !strcmp(sub, known[i]);
	if (!found)
		return usage_error("dev ", "unknown subcommand '%s' (expected %s)", sub, subcommands);

	char *cwd = getcwd(NULL, 0);
	if (!cwd) {
		char *msg = xasprintf("cannot determine the current directory: %s", strerror(errno));
		die_msg(msg, NULL, NULL);
		free(msg);
		return EXIT_USAGE;
	}
	struct cluster c;
	struct buf err = BUF_INIT;
	if (cluster_locate(&c, cwd, &err) < 0) {
		die_msg(err.s, NULL, NULL);
		buf_release(&err);
		free(cwd);
		return EXIT_USAGE;
	}
	free(cwd);

	if (!strcmp(sub, "start"))
		rc = dev_start(&c, g);
	else if (!strcmp(sub, "stop"))
		rc = dev_stop(&c, g);
	else if (!strcmp(sub, "status"))
		rc = dev_status(&c, g);
	else if (!strcmp(sub, "url"))
		rc = dev_url(&c, g);
	else if (is_psql) {
		int n = argc - optind;
		char **rest = argv + optind;
		if (n > 0 && !strcmp(rest[0], "--")) {
			n--;
			rest++;
		}
		rc = dev_psql(&c, g, n, rest);
	} else if (!strcmp(sub, "reset"))
		rc = dev_reset(&c, g);
	else
		rc = dev_destroy(&c, g);
	cluster_release(&c);
	buf_release(&err);
	return rc;
}
