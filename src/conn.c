#include "conn.h"
#include "project.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *target_source_name(enum target_source s)
{
	switch (s) {
	case TARGET_DB_OPTION: return "--db";
	case TARGET_ENV: return "--env";
	case TARGET_DATABASE_URL: return "DATABASE_URL";
	case TARGET_LIBPQ_ENV: return "PG* environment";
	case TARGET_EMBEDDED: return "embedded cluster";
	}
	return "?";
}

/* libpq's own variables that name a server or a database. */
static bool libpq_env_present(void)
{
	static const char *const vars[] = { "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE" };
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return true;
	}
	return false;
}

int target_resolve(struct target *t, const struct project *p, const char *db_opt,
		   const char *env_opt, struct buf *err)
{
	memset(t, 0, sizeof(*t));
	t->lock_timeout_ms = p->lock_timeout_ms;

	if (env_opt) {
		const struct project_env *e = project_find_env(p, env_opt);
		if (!e) {
			buf_printf(err, "no environment '%s' in ssot.conf", env_opt);
			return -1;
		}
		t->env_name = xstrdup(e->name);
		t->protected_env = e->protected_env;
		if (e->lock_timeout_ms)
			t->lock_timeout_ms = e->lock_timeout_ms;
		if (!db_opt) {
			const char *url = e->url;
			if (e->url_env) {
				url = getenv(e->url_env);
				if (!url || !*url) {
					buf_printf(err, "environment '%s' takes its database from $%s, which is not set",
						   e->name, e->url_env);
					target_release(t);
					return -1;
				}
			}
			if (!url) {
				buf_printf(err, "environment '%s' in ssot.conf has neither url_env nor url", e->name);
				target_release(t);
				return -1;
			}
			t->source = TARGET_ENV;
			t->conninfo = xstrdup(url);
			return 0;
		}
	}
	if (db_opt) {
		t->source = TARGET_DB_OPTION;
		t->conninfo = xstrdup(db_opt);
		return 0;
	}
	const char *url = getenv("DATABASE_URL");
	if (url && *url) {
		t->source = TARGET_DATABASE_URL;
		t->conninfo = xstrdup(url);
		return 0;
	}
	if (libpq_env_present()) {
		t->source = TARGET_LIBPQ_ENV;
		t->conninfo = xstrdup("");
		return 0;
	}
	t->source = TARGET_EMBEDDED;
	t->conninfo = NULL;
	return 0;
}

void target_release(struct target *t)
{
	free(t->conninfo);
	free(t->env_name);
	memset(t, 0, sizeof(*t));
}

/* The password a conninfo carries, or NULL (caller frees). */
static char *conninfo_password(const char *conninfo)
{
	char *errmsg = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo ? conninfo : "", &errmsg);
	char *pw = NULL;
	if (opts) {
		for (PQconninfoOption *o = opts; o->keyword; o++)
			if (!strcmp(o->keyword, "password") && o->val && *o->val)
				pw = xstrdup(o->val);
		PQconninfoFree(opts);
	}
	PQfreemem(errmsg);
	return pw;
}

static void scrub_one(struct buf *msg, const char *secret)
{
	size_t n = strlen(secret);
	if (n == 0)
		return;
	struct buf out = BUF_INIT;
	const char *s = msg->s, *hit;
	while ((hit = strstr(s, secret)) != NULL) {
		buf_add(&out, s, (size_t)(hit - s));
		buf_adds(&out, "********");
		s = hit + n;
	}
	if (s == msg->s) {
		buf_release(&out);
		return;
	}
	buf_adds(&out, s);
	buf_release(msg);
	*msg = out;
}

void conn_scrub(struct buf *msg, const char *conninfo)
{
	char *pw = conninfo_password(conninfo);
	if (pw) {
		scrub_one(msg, pw);
		free(pw);
	}
	const char *env = getenv("PGPASSWORD");
	if (env)
		scrub_one(msg, env);
}

char *conn_redact(const char *conninfo)
{
	char *errmsg = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo ? conninfo : "", &errmsg);
	PQfreemem(errmsg);
	if (!opts)
		return xstrdup("(unparsable connection string)");
	struct buf b = BUF_INIT;
	static const char *const shown[] = { "service", "host", "hostaddr", "port", "dbname", "user", "sslmode" };
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		for (PQconninfoOption *o = opts; o->keyword; o++)
			if (!strcmp(o->keyword, shown[i]) && o->val && *o->val) {
				if (b.len)
					buf_addch(&b, ' ');
				buf_printf(&b, "%s=%s", o->keyword, o->val);
			}
	PQconninfoFree(opts);
	if (!b.len)
		buf_adds(&b, "(libpq defaults)");
	return buf_detach(&b);
}

char *conn_describe(PGconn *c)
{
	const char *host = PQhost(c);
	if (!host || !*host)
		host = "localhost";
	return xasprintf("%s@%s:%s/%s", PQuser(c), host, PQport(c), PQdb(c));
}

PGconn *conn_open(const char *conninfo, struct buf *err)
{
	const char *keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { conninfo ? conninfo : "", "ssot", NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(c) == CONNECTION_OK)
		return c;

	struct buf msg = BUF_INIT;
	char *where = conn_redact(conninfo);
	buf_adds(&msg, PQerrorMessage(c));
	buf_rtrim(&msg);
	conn_scrub(&msg, conninfo);
	/* libpq's message may span lines ("connection to server ... failed: ..."); keep it one line. */
	for (size_t i = 0; i < msg.len; i++)
		if (msg.s[i] == '\n')
			msg.s[i] = ' ';
	buf_printf(err, "cannot connect to %s: %s", where, msg.s);
	buf_release(&msg);
	free(where);
	PQfinish(c);
	return NULL;
}

char *conn_quote_ident(PGconn *c, const char *name)
{
	char *q = PQescapeIdentifier(c, name, strlen(name));
	if (!q) {
		fprintf(stderr, "ssot: fatal: cannot quote identifier: %s", PQerrorMessage(c));
		abort();
	}
	char *r = xstrdup(q);
	PQfreemem(q);
	return r;
}

char *conn_quote_literal(PGconn *c, const char *value)
{
	char *q = PQescapeLiteral(c, value, strlen(value));
	if (!q) {
		fprintf(stderr, "ssot: fatal: cannot quote literal: %s", PQerrorMessage(c));
		abort();
	}
	char *r = xstrdup(q);
	PQfreemem(q);
	return r;
}

static void result_error(PGconn *c, PGresult *r, struct buf *err)
{
	const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
	struct buf msg = BUF_INIT;
	buf_adds(&msg, m && *m ? m : "unknown error");
	buf_rtrim(&msg);
	const char *prefix = "ERROR:  ";
	if (!strncmp(msg.s, prefix, strlen(prefix)))
		buf_adds(err, msg.s + strlen(prefix));
	else
		buf_adds(err, msg.s);
	buf_release(&msg);
}

int conn_exec(PGconn *c, const char *sql, struct buf *err)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		PQclear(r);
		return 0;
	}
	result_error(c, r, err);
	PQclear(r);
	return -1;
}

int conn_query_value(PGconn *c, const char *sql, char **out, struct buf *err)
{
	*out = NULL;
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		result_error(c, r, err);
		PQclear(r);
		return -1;
	}
	if (PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0))
		*out = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Who holds advisory lock `key`: "pid 123, user app, application ssot, since 12:00:01". */
static char *lock_holder(PGconn *c, int64_t key)
{
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "SELECT format('pid %%s, user %%s, application %%s, since %%s', a.pid, a.usename, "
		 "coalesce(nullif(a.application_name, ''), '?'), "
		 "to_char(a.xact_start, 'YYYY-MM-DD HH24:MI:SS TZ')) "
		 "FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
		 "WHERE l.locktype = 'advisory' AND l.granted "
		 "AND l.classid = ((%lld >> 32) & 4294967295)::oid AND l.objid = (%lld & 4294967295)::oid "
		 "AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) "
		 "LIMIT 1",
		 (long long)key, (long long)key);
	char *who = NULL;
	struct buf err = BUF_INIT;
	if (conn_query_value(c, sql, &who, &err) < 0 || !who)
		who = xstrdup("another session");
	buf_release(&err);
	return who;
}

int conn_advisory_lock(PGconn *c, int64_t key, int wait_ms,
		       void (*waiting)(void *ctx, const char *holder), void *ctx,
		       volatile sig_atomic_t *interrupted, struct buf *err)
{
	char sql[128];
	long long deadline = now_ms() + wait_ms;
	int delay = 20;
	bool announced = false;

	snprintf(sql, sizeof(sql), "SELECT pg_catalog.pg_try_advisory_lock(%lld)", (long long)key);
	for (;;) {
		char *got = NULL;
		if (conn_query_value(c, sql, &got, err) < 0)
			return -1;
		bool ok = got && !strcmp(got, "t");
		free(got);
		if (ok)
			return 0;
		if (interrupted && *interrupted) {
			buf_adds(err, "interrupted while waiting for the apply lock");
			return -1;
		}
		if (now_ms() >= deadline) {
			char *who = lock_holder(c, key);
			buf_printf(err, "another apply holds the lock on this database (%s); gave up after %d ms",
				   who, wait_ms);
			free(who);
			return -1;
		}
		if (!announced && waiting) {
			char *who = lock_holder(c, key);
			waiting(ctx, who);
			free(who);
			announced = true;
		}
		/* Back off with jitter so a crowd of waiters does not poll in step. */
		sleep_ms(delay + rand() % (delay / 2 + 1));
		if (delay < 500)
			delay *= 2;
	}
}

int conn_advisory_unlock(PGconn *c, int64_t key)
{
	char sql[128];
	struct buf err = BUF_INIT;
	snprintf(sql, sizeof(sql), "SELECT pg_catalog.pg_advisory_unlock(%lld)", (long long)key);
	int rc = conn_exec(c, sql, &err);
	buf_release(&err);
	return rc;
}

int parse_duration_ms(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || v < 0)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	double mul;
	if (!*end || !strcmp(end, "ms"))
		mul = 1;
	else if (!strcmp(end, "s"))
		mul = 1000;
	else if (!strcmp(end, "min") || !strcmp(end, "m"))
		mul = 60000;
	else if (!strcmp(end, "h"))
		mul = 3600000;
	else
		return -1;
	double ms = v * mul;
	if (ms > 2147483647.0)
		return -1;
	return (int)ms;
}

/* ---- SIGINT ---------------------------------------------------------- */

static volatile sig_atomic_t interrupted;
static PGcancel *volatile cancel_target, *volatile cancel_also;
static pthread_t main_thread;
static bool main_thread_known;

void conn_signals_init(void)
{
	main_thread = pthread_self();
	main_thread_known = true;
}

void conn_cancel_from_signal(void)
{
	char errbuf[256];
	interrupted = 1;
	PGcancel *t = cancel_target, *a = cancel_also;
	if (t)
		PQcancel(t, errbuf, sizeof(errbuf));
	if (a)
		PQcancel(a, errbuf, sizeof(errbuf));
}

bool conn_interrupted(void)
{
	return interrupted != 0;
}

volatile sig_atomic_t *conn_interrupt_flag(void)
{
	return &interrupted;
}

bool conn_cancel_watch(PGconn *c)
{
	if (cancel_target || !main_thread_known || !pthread_equal(pthread_self(), main_thread))
		return false;
	cancel_target = PQgetCancel(c);
	return cancel_target != NULL;
}

bool conn_cancel_watch_also(PGconn *c)
{
	if (cancel_also || !main_thread_known || !pthread_equal(pthread_self(), main_thread))
		return false;
	cancel_also = PQgetCancel(c);
	return cancel_also != NULL;
}

void conn_cancel_unwatch_also(void)
{
	PGcancel *a = cancel_also;
	cancel_also = NULL;
	PQfreeCancel(a);
}

void conn_cancel_unwatch(void)
{
	PGcancel *t = cancel_target;
	cancel_target = NULL;	/* the handler runs on this thread: it sees one or the other */
	PQfreeCancel(t);
}

void conn_block_signals(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

void conn_restore_signals(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}
