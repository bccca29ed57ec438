/* Shared steps of the commands: project, connection, signals, apply reporting. */
#include "cmd/cmd.h"
#include "apply.h"
#include "cluster.h"
#include "conn.h"
#include "project.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_open_project(struct global_opts *g, struct project *p, bool scan)
{
	struct buf err = BUF_INIT;
	if (project_open(p, g->dir, &err) < 0 || (scan && project_scan(p, &err) < 0)) {
		die_msg(err.s, NULL, NULL);
		buf_release(&err);
		return EXIT_USAGE;
	}
	buf_release(&err);
	return EXIT_OK;
}

static const struct global_opts *progress_opts;

static void cluster_progress(const char *msg)
{
	progress(progress_opts, "%s", msg);
}

int cmd_connect(struct global_opts *g, struct project *p, struct target *t, PGconn **out)
{
	struct buf err = BUF_INIT;
	*out = NULL;
	if (target_resolve(t, p, g->db, g->env, &err) < 0) {
		die_msg(err.s, NULL, g->env ? "see the [env \"NAME\"] sections of ssot.conf" : NULL);
		buf_release(&err);
		return EXIT_USAGE;
	}
	if (t->source == TARGET_EMBEDDED) {
		struct cluster cl;
		if (cluster_locate(&cl, p->root, &err) < 0) {
			die_msg(err.s, NULL, NULL);
			buf_release(&err);
			return EXIT_USAGE;
		}
		progress_opts = g;
		t->conninfo = cluster_conninfo(&cl, CLUSTER_DEV_DB);
		/* Fast path: a running cluster with its dev database needs no set-up. */
		if (cluster_running(&cl)) {
			*out = conn_open(t->conninfo, &err);
			if (*out) {
				cluster_release(&cl);
				buf_release(&err);
				return EXIT_OK;
			}
			buf_reset(&err);
		}
		if (cluster_ensure(&cl, cluster_progress, &err) < 0) {
			struct buf detail = BUF_INIT;
			buf_adds(&detail, err.s);
			if (cl.detail)
				buf_printf(&detail, "\n%s", cl.detail);
			die_msg("cannot start the embedded PostgreSQL", detail.s,
				cl.hint ? cl.hint : "set --db, DATABASE_URL or PG* variables to use another server");
			buf_release(&detail);
			cluster_release(&cl);
			buf_release(&err);
			return EXIT_USAGE;
		}
		cluster_release(&cl);
	}
	if (g->verbose) {
		char *where = conn_redact(t->conninfo);
		progress(g, "connecting to %s (from %s%s%s)", where, target_source_name(t->source),
			 t->env_name ? " " : "", t->env_name ? t->env_name : "");
		free(where);
	}
	*out = conn_open(t->conninfo, &err);
	if (!*out) {
		die_msg(err.s, NULL, t->source == TARGET_EMBEDDED ? "try 'ssot dev status'" : NULL);
		buf_release(&err);
		return EXIT_USAGE;
	}
	buf_release(&err);
	return EXIT_OK;
}

static volatile sig_atomic_t sigint_count;

static void on_sigint(int sig)
{
	(void)sig;
	if (sigint_count++ > 0) {
		static const char msg[] = "\nssot: interrupted again; exiting at once\n";
		ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)w;
		_exit(EXIT_INTERRUPTED);
	}
	conn_cancel_from_signal();
}

void cmd_install_sigint(void)
{
	conn_signals_init();
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int parse_tests_mode(const char *s, enum tests_mode *out)
{
	if (!strcmp(s, "always"))
		*out = TESTS_ALWAYS;
	else if (!strcmp(s, "only"))
		*out = TESTS_ONLY;
	else if (!strcmp(s, "skip"))
		*out = TESTS_SKIP;
	else
		return -1;
	return 0;
}

void print_notices(const struct apply_result *r)
{
	for (size_t i = 0; i < r->notices.n; i++) {
		const struct apply_notice *n = &r->notices.v[i];
		if (n->file)
			fprintf(stderr, "%s:%d: %s: %s\n", n->file, n->line, n->severity, n->message);
		else
			fprintf(stderr, "%s: %s\n", n->severity, n->message);
	}
}
