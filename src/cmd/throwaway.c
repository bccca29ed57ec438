/*
 * Throwaway databases for the commands that build the files somewhere
 * (drift, verify): created from template0 on the embedded cluster, or on the
 * server of --dev-url, and always dropped (throwaway_close() here,
 * tempdb_drop_all() on every other exit path).
 */
#include "cmd/cmd.h"
#include "cluster.h"
#include "conn.h"
#include "project.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* libpq conninfo reaching database `dbname` on the server of `c` (caller frees; holds the password). */
static char *conninfo_for_db(PGconn *c, const char *dbname)
{
	struct buf b = BUF_INIT;
	PQconninfoOption *opts = PQconninfo(c);
	for (PQconninfoOption *o = opts; o && o->keyword; o++) {
		if (!o->val || !*o->val || !strcmp(o->keyword, "dbname"))
			continue;
		buf_printf(&b, "%s='", o->keyword);
		for (const char *p = o->val; *p; p++) {
			if (*p == '\'' || *p == '\\')
				buf_addch(&b, '\\');
			buf_addch(&b, *p);
		}
		buf_adds(&b, "' ");
	}
	PQconninfoFree(opts);
	buf_printf(&b, "dbname='%s'", dbname);
	return buf_detach(&b);
}

int throwaway_open(struct global_opts *g, const struct project *p, const char *dev_url, struct throwaway *t)
{
	struct buf err = BUF_INIT;
	struct cluster cl;
	bool have_cluster = false;
	int rc = EXIT_USAGE;

	memset(t, 0, sizeof(*t));
	if (dev_url) {
		t->admin = conn_open(dev_url, &err);
		if (!t->admin) {
			die_msg("cannot connect to --dev-url", err.s, NULL);
			goto out;
		}
	} else {
		if (cluster_locate(&cl, p->root, &err) < 0) {
			die_msg(err.s, NULL, NULL);
			goto out;
		}
		have_cluster = true;
		if (cluster_ensure(&cl, NULL, &err) < 0) {
			die_msg("cannot start the embedded PostgreSQL to build the files in", err.s,
				cl.hint ? cl.hint : "pass --dev-url to build them on another server");
			goto out;
		}
		char *info = cluster_conninfo(&cl, CLUSTER_DEV_DB);
		t->admin = conn_open(info, &err);
		free(info);
		if (!t->admin) {
			die_msg(err.s, NULL, "try 'ssot dev status'");
			goto out;
		}
	}

	double t0 = now_ms();
	if (tempdb_create(t->admin, &t->name, &err) < 0) {
		die_msg(err.s, NULL, dev_url ? "the --dev-url role needs CREATEDB" : NULL);
		goto out;
	}
	t->conninfo = have_cluster ? cluster_conninfo(&cl, t->name) : conninfo_for_db(t->admin, t->name);
	t->conn = conn_open(t->conninfo, &err);
	if (!t->conn) {
		die_msg("cannot connect to the throwaway database", err.s, NULL);
		goto out;
	}
	t->create_ms = now_ms() - t0;
	rc = EXIT_OK;
out:
	if (have_cluster)
		cluster_release(&cl);
	buf_release(&err);
	if (rc)
		throwaway_close(g, t);
	return rc;
}

void throwaway_close(struct global_opts *g, struct throwaway *t)
{
	if (t->conn)
		PQfinish(t->conn);
	t->conn = NULL;
	if (t->name && t->admin) {
		double t0 = now_ms();
		struct buf err = BUF_INIT;
		if (tempdb_drop(t->admin, t->name, &err) < 0)
			progress(g, "warning: %s", err.s);
		buf_release(&err);
		t->drop_ms = now_ms() - t0;
	}
	free(t->name);
	t->name = NULL;
	if (t->conninfo) {
		explicit_bzero(t->conninfo, strlen(t->conninfo));
		free(t->conninfo);
		t->conninfo = NULL;
	}
	if (t->admin)
		PQfinish(t->admin);
	t->admin = NULL;
}
