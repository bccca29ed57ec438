#include "apply.h"
#include "conn.h"
#include "util/hash.h"
#include "util/xalloc.h"

#include <pg_query/pg_query.pb-c.h>

#include <ctype.h>
#include <stdarg.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- interruption --------------------------------------------------- */

/* ---- results -------------------------------------------------------- */

void apply_result_init(struct apply_result *r)
{
	memset(r, 0, sizeof(*r));
}

void apply_result_release(struct apply_result *r)
{
	for (size_t i = 0; i < r->notices.n; i++) {
		free(r->notices.v[i].file);
		free(r->notices.v[i].severity);
		free(r->notices.v[i].message);
	}
	VEC_FREE(&r->notices);
	for (size_t i = 0; i < r->nontx.n; i++)
		free(r->nontx.v[i].file);
	VEC_FREE(&r->nontx);
	VEC_FREE(&r->file_stats);
	for (size_t i = 0; i < r->sqlfiles.n; i++) {
		sqlfile_release(r->sqlfiles.v[i]);
		free(r->sqlfiles.v[i]);
	}
	VEC_FREE(&r->sqlfiles);
	memset(r, 0, sizeof(*r));
}

long long apply_lock_key(const char *ledger_schema)
{
	/* FNV-1a of the schema name under a fixed prefix: stable across versions. */
	unsigned long long h = 1469598103934665603ULL;
	for (const char *s = ledger_schema; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (long long)(0x5353000000000000ULL | (h & 0x0000FFFFFFFFFFFFULL));
}

static double elapsed_ms(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) * 1e3 + (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

/* ---- notices -------------------------------------------------------- */

/* The line number N of "PL/pgSQL function inline_code_block line N", or 0. */
static int do_block_line(const char *context, bool *innermost)
{
	const char *key = "PL/pgSQL function inline_code_block line ";
	const char *hit = context ? strstr(context, key) : NULL;
	if (!hit)
		return 0;
	/* innermost: no other PL/pgSQL frame comes before the DO block's */
	const char *first = strstr(context, "PL/pgSQL function ");
	*innermost = first == hit;
	return atoi(hit + strlen(key));
}

/*
 * The line a message of statement st points at: the statement's first line,
 * or for a message raised inside a DO block, the block's line N from the
 * context (PL/pgSQL counts lines from the one holding the opening quote).
 */
static int message_line(struct sqlfile *f, const struct stmt *st, const char *context)
{
	int line, col;
	source_linecol(&f->src, st->start, &line, &col);
	bool innermost = false;
	int n = st->body_start ? do_block_line(context, &innermost) : 0;
	if (n > 0 && innermost) {
		int body_line;
		source_linecol(&f->src, st->body_start, &body_line, &col);
		size_t end = st->start + st->len;
		if (source_line_start(&f->src, body_line + n - 1) < end)
			line = body_line + n - 1;
	}
	return line;
}

struct exec_ctx {
	struct apply_result *r;
	struct sqlfile *file;	/* statement being run, for notice positions */
	size_t stmt;
	const struct apply_opts *o;
	PGconn *c;
};

static void notice_receiver(void *arg, const PGresult *res)
{
	struct exec_ctx *x = arg;
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	if (!msg)
		return;
	size_t n = strlen(msg);
	/* "relation ... already exists, skipping", "... does not exist, skipping" */
	if (n > 10 && !strcmp(msg + n - 10, ", skipping")) {
		x->r->skipped_notices++;
		return;
	}
	struct apply_notice an = {
		.severity = xstrdup(sev ? sev : "NOTICE"),
		.message = xstrdup(msg),
	};
	if (x->file) {
		an.file = xstrdup(x->file->src.path);
		an.line = message_line(x->file, &x->file->stmts.v[x->stmt],
				       PQresultErrorField(res, PG_DIAG_CONTEXT));
	}
	VEC_PUSH(&x->r->notices, an);
}

/* ---- error positions ------------------------------------------------ */

/* End of the token starting at byte `off` (identifier, quoted name, or one character). */
static size_t token_end(const char *t, size_t len, size_t off)
{
	if (off >= len)
		return off;
	unsigned char ch = (unsigned char)t[off];
	if (isalnum(ch) || ch == '_' || ch >= 0x80) {
		while (off < len) {
			ch = (unsigned char)t[off];
			if (!(isalnum(ch) || ch == '_' || ch == '$' || ch >= 0x80))
				break;
			off++;
		}
		return off;
	}
	if (ch == '"' || ch == '\'') {
		for (size_t i = off + 1; i < len && t[i] != '\n'; i++)
			if ((unsigned char)t[i] == ch)
				return i + 1;
	}
	return source_advance_chars(t, len, off, 1);
}

/*
 * Where in the file an error points: PostgreSQL's statement position when it
 * gives one; for errors inside a DO block, the block's line N (from the
 * context) and, when the failing internal query can be found on that line,
 * its position; otherwise the statement start.
 */
static void error_span(struct sqlfile *f, const struct stmt *st, const PGresult *res,
		       size_t *start, size_t *end)
{
	const char *text = f->src.text;
	size_t stmt_end = st->start + st->len;
	const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);

	*start = st->start;
	*end = st->start;
	if (pos && atoi(pos) > 0) {
		*start = source_advance_chars(text, stmt_end, st->start, (size_t)atoi(pos) - 1);
		*end = token_end(text, stmt_end, *start);
		return;
	}
	if (!st->body_start)
		return;
	bool innermost = false;
	int n = do_block_line(PQresultErrorField(res, PG_DIAG_CONTEXT), &innermost);
	if (n <= 0)
		return;
	int body_line, col;
	source_linecol(&f->src, st->body_start, &body_line, &col);
	size_t ls = source_line_start(&f->src, body_line + n - 1);
	if (ls >= stmt_end)
		return;
	size_t le = ls;
	while (le < stmt_end && text[le] != '\n')
		le++;
	size_t first = ls;
	while (first < le && (text[first] == ' ' || text[first] == '\t'))
		first++;
	*start = first;
	*end = le;

	const char *iq = PQresultErrorField(res, PG_DIAG_INTERNAL_QUERY);
	const char *ipos = PQresultErrorField(res, PG_DIAG_INTERNAL_POSITION);
	if (!innermost || !iq || !ipos || atoi(ipos) <= 0)
		return;
	int ip = atoi(ipos) - 1;
	/* PERFORM x and expressions reach the server as "SELECT x". */
	for (int pass = 0; pass < 2; pass++) {
		const char *needle = iq;
		int adj = ip;
		if (pass == 1) {
			if (strncmp(iq, "SELECT ", 7) != 0 || ip < 7)
				break;
			needle += 7;
			adj -= 7;
		}
		size_t nl = strlen(needle);
		if (!nl)
			continue;
		for (size_t i = ls; i + nl <= stmt_end; i++) {
			if (memcmp(text + i, needle, nl) == 0) {
				*start = source_advance_chars(text, stmt_end, i, (size_t)adj);
				*end = token_end(text, stmt_end, *start);
				return;
			}
		}
	}
}

/*
 * The innermost frame of an error's context when it is a named PL/pgSQL
 * function ("PL/pgSQL function app.total(integer) line 3 at RETURN"): its
 * unqualified name into `name` and its line. Returns false for none (or for
 * a DO block, whose lines error_span maps already).
 */
static bool function_frame(const char *context, char *name, size_t cap, int *line)
{
	const char *key = "PL/pgSQL function ";
	const char *hit = context ? strstr(context, key) : NULL;
	if (!hit)
		return false;
	const char *sig = hit + strlen(key);
	const char *paren = strchr(sig, '(');
	const char *at = strstr(sig, " line ");
	if (!paren || !at || paren > at || !strncmp(sig, "inline_code_block", 17))
		return false;
	const char *start = sig;
	for (const char *p = sig; p < paren; p++)
		if (*p == '.')
			start = p + 1;
	size_t n = (size_t)(paren - start);
	if (n >= 2 && start[0] == '"' && start[n - 1] == '"')
		start++, n -= 2;
	if (n == 0 || n >= cap)
		return false;
	memcpy(name, start, n);
	name[n] = '\0';
	*line = atoi(at + 6);
	return *line > 0;
}

/*
 * "db/run/20_fn.sql:14" for line `line` of the body of the function `name`
 * created by one of the files, or NULL (caller frees).
 */
static char *function_location(const struct apply_result *r, const char *name, int line)
{
	for (size_t i = 0; i < r->sqlfiles.n; i++) {
		struct sqlfile *f = r->sqlfiles.v[i];
		for (size_t s = 0; f->tree && s < f->stmts.n; s++) {
			const struct stmt *st = &f->stmts.v[s];
			if (!(st->flags & STMT_FUNCTION) || !st->body_start)
				continue;
			const PgQuery__CreateFunctionStmt *cf = f->tree->stmts[s]->stmt->create_function_stmt;
			if (!cf || cf->n_funcname == 0)
				continue;
			const PgQuery__Node *last = cf->funcname[cf->n_funcname - 1];
			if (last->node_case != PG_QUERY__NODE__NODE_STRING || strcmp(last->string->sval, name) != 0)
				continue;
			int body_line, col;
			source_linecol(&f->src, st->body_start, &body_line, &col);
			return xasprintf("%s:%d", f->src.path, body_line + line - 1);
		}
	}
	return NULL;
}

static void add_sql_error(const struct apply_result *r, struct diag *d, struct sqlfile *f, size_t si,
			  const PGresult *res, const char *rule, const char *prefix)
{
	const struct stmt *st = &f->stmts.v[si];
	size_t start, end;
	error_span(f, st, res, &start, &end);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	struct finding *fd = diag_add(d, SEV_ERROR, rule, &f->src, start, end, "%s%s",
				      prefix ? prefix : "", msg ? msg : "unknown error");
	diag_set(&fd->sqlstate, PQresultErrorField(res, PG_DIAG_SQLSTATE));
	diag_set(&fd->hint, PQresultErrorField(res, PG_DIAG_MESSAGE_HINT));
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *context = PQresultErrorField(res, PG_DIAG_CONTEXT);
	if (context) {
		struct buf b = BUF_INIT;
		if (detail)
			buf_printf(&b, "%s\n", detail);
		buf_printf(&b, "where: %s", context);
		char fname[256];
		int fline;
		char *loc = NULL;
		if (function_frame(context, fname, sizeof(fname), &fline) &&
		    (loc = function_location(r, fname, fline)) != NULL)
			buf_printf(&b, "\nraised in function %s at %s", fname, loc);
		free(loc);
		diag_set(&fd->detail, b.s);
		buf_release(&b);
	} else {
		diag_set(&fd->detail, detail);
	}
}

/* ---- loading -------------------------------------------------------- */

static bool phase_selected(const struct apply_opts *o, enum phase ph)
{
	if (o->tests == TESTS_ONLY)
		return ph == PHASE_PRERUN || ph == PHASE_TESTS;
	switch (ph) {
	case PHASE_RESET: return o->reset;
	case PHASE_PRERUN: return true;
	case PHASE_RUN: return true;
	case PHASE_SEED: return o->seed;
	case PHASE_POSTRUN: return true;
	case PHASE_TESTS: return o->tests == TESTS_ALWAYS;
	default: return false;
	}
}

/* Index of the file to start from in its phase (watch), by path. */
static bool before_start(const struct apply_opts *o, enum phase ph, const char *path)
{
	const char *from = ph == PHASE_RUN ? o->run_from : ph == PHASE_SEED ? o->seed_from : NULL;
	return from && strcmp(path, from) < 0;
}

/*
 * Load and split every selected file, and refuse what cannot be run: syntax
 * errors, psql meta-commands, transaction control. A file before run_from /
 * seed_from (watch) does not run, so it is not read: it keeps an empty
 * sqlfile. Returns the number of refusals (findings added), or -1 on a read
 * error.
 */
static int load_files(struct project *p, const struct apply_opts *o, struct diag *d,
		      struct apply_result *r, struct buf *err)
{
	int refused = 0;
	for (size_t i = 0; i < p->files.n; i++) {
		struct project_file *pf = &p->files.v[i];
		if (!phase_selected(o, pf->phase))
			continue;
		struct sqlfile *f = xcalloc(1, sizeof(*f));
		VEC_PUSH(&r->sqlfiles, f);
		struct apply_file_stat fs = { .path = pf->path, .phase = pf->phase, .ran = true };
		VEC_PUSH(&r->file_stats, fs);
		if (before_start(o, pf->phase, pf->path))
			continue;
		int rc = sqlfile_load(f, pf->path, pf->fs_path, d, err);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			refused++;
			continue;
		}
		for (size_t s = 0; s < f->stmts.n; s++) {
			const struct stmt *st = &f->stmts.v[s];
			if (st->flags & STMT_TXCTL) {
				struct finding *fd = diag_add(d, SEV_ERROR, "transaction-control", &f->src, st->start,
							      token_end(f->src.text, st->start + st->len, st->start),
							      "%s is not allowed in a file: ssot runs all files in one transaction",
							      st->tag);
				diag_set(&fd->hint, "remove BEGIN/COMMIT/ROLLBACK; 'ssot apply' commits everything "
					 "together or nothing at all");
				refused++;
			}
			if ((st->flags & STMT_NONTX) && pf->phase == PHASE_TESTS) {
				diag_add(d, SEV_ERROR, "nontx-in-test", &f->src, st->start, st->start,
					 "%s cannot run in a test: tests run inside the transaction and are rolled back",
					 st->tag);
				refused++;
			}
		}
	}
	return refused;
}

/* ---- ledger --------------------------------------------------------- */

static int ledger_ensure(PGconn *c, const char *schema, struct buf *err)
{
	char *s = conn_quote_ident(c, schema);
	char *sql = xasprintf(
		"CREATE SCHEMA IF NOT EXISTS %s;"
		"CREATE TABLE IF NOT EXISTS %s.runs ("
		" id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
		" started_at timestamptz NOT NULL,"
		" finished_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
		" outcome text NOT NULL,"
		" tool_version text NOT NULL,"
		" db_user text NOT NULL DEFAULT current_user,"
		" os_user text,"
		" environment text,"
		" files_hash text NOT NULL,"
		" seed boolean NOT NULL DEFAULT false,"
		" statements integer NOT NULL DEFAULT 0);"
		"CREATE TABLE IF NOT EXISTS %s.files ("
		" run_id bigint NOT NULL REFERENCES %s.runs (id) ON DELETE CASCADE,"
		" path text NOT NULL,"
		" phase text NOT NULL,"
		" sha256 text NOT NULL,"
		" ran boolean NOT NULL DEFAULT true,"
		" statements integer NOT NULL,"
		" duration_ms double precision NOT NULL,"
		" PRIMARY KEY (run_id, path));",
		s, s, s, s);
	/* The ledger's own IF NOT EXISTS notices are not the user's. */
	PGresult *old = PQexec(c, "SET LOCAL client_min_messages = warning");
	PQclear(old);
	int rc = conn_exec(c, sql, err);
	PGresult *back = PQexec(c, "SET LOCAL client_min_messages = notice");
	PQclear(back);
	free(sql);
	free(s);
	return rc;
}

static char *os_user(void)
{
	struct passwd *pw = getpwuid(geteuid());
	if (pw && pw->pw_name)
		return xstrdup(pw->pw_name);
	const char *u = getenv("USER");
	return xstrdup(u ? u : "?");
}

static int ledger_record(PGconn *c, const struct apply_opts *o, struct project *p,
			 struct apply_result *r, const char *started_at, struct buf *err)
{
	struct hash_ctx h;
	char combined[HASH_HEX_LEN + 1];
	hash_init(&h);
	for (size_t i = 0; i < p->files.n; i++) {
		const struct project_file *pf = &p->files.v[i];
		if (pf->phase == PHASE_TESTS || pf->phase == PHASE_RESET || !phase_selected(o, pf->phase))
			continue;
		hash_update(&h, pf->path, strlen(pf->path) + 1);
		hash_update(&h, pf->sha256, HASH_HEX_LEN);
	}
	hash_final(&h, combined);

	char *schema = conn_quote_ident(c, o->ledger_schema);
	char *user = os_user();
	char *sql = xasprintf("INSERT INTO %s.runs (started_at, outcome, tool_version, os_user, environment, "
			      "files_hash, seed, statements) VALUES ($1, 'applied', $2, $3, $4, $5, $6, $7) RETURNING id",
			      schema);
	char stmts[32];
	snprintf(stmts, sizeof(stmts), "%d", r->statements);
	const char *vals[7] = { started_at, SSOT_VERSION, user, o->env_name, combined,
				o->seed ? "true" : "false", stmts };
	PGresult *res = PQexecParams(c, sql, 7, NULL, vals, NULL, NULL, 0);
	free(sql);
	free(user);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		buf_printf(err, "cannot write the ledger: %s", PQresultErrorMessage(res));
		buf_rtrim(err);
		PQclear(res);
		free(schema);
		return -1;
	}
	r->run_id = atoll(PQgetvalue(res, 0, 0));
	char run_id[32];
	snprintf(run_id, sizeof(run_id), "%lld", r->run_id);
	PQclear(res);

	sql = xasprintf("INSERT INTO %s.files (run_id, path, phase, sha256, ran, statements, duration_ms) "
			"VALUES ($1, $2, $3, $4, $5, $6, $7)", schema);
	free(schema);
	/* One row per file, pipelined: one round trip, not one per file. */
	if (!PQenterPipelineMode(c)) {
		buf_printf(err, "cannot write the ledger: %s", PQerrorMessage(c));
		buf_rtrim(err);
		free(sql);
		return -1;
	}
	int rc = 0, sent = 0;
	for (size_t i = 0; i < p->files.n && rc == 0; i++) {
		const struct project_file *pf = &p->files.v[i];
		if (pf->phase == PHASE_TESTS || pf->phase == PHASE_RESET || !phase_selected(o, pf->phase))
			continue;
		const struct apply_file_stat *fs = NULL;
		for (size_t k = 0; k < r->file_stats.n; k++)
			if (!strcmp(r->file_stats.v[k].path, pf->path))
				fs = &r->file_stats.v[k];
		char n[32], ms[32];
		snprintf(n, sizeof(n), "%d", fs ? fs->statements : 0);
		snprintf(ms, sizeof(ms), "%.3f", fs ? fs->ms : 0.0);
		const char *fv[7] = { run_id, pf->path, phase_name(pf->phase), pf->sha256,
				      fs && fs->ran ? "true" : "false", n, ms };
		if (PQsendQueryParams(c, sql, 7, NULL, fv, NULL, NULL, 0))
			sent++;
		else
			rc = -1;
	}
	free(sql);
	if (!PQpipelineSync(c))
		rc = -1;
	for (int k = 0; k < sent && PQstatus(c) == CONNECTION_OK; k++) {
		res = PQgetResult(c);
		if (!res)
			break;
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
			buf_printf(err, "cannot write the ledger: %s", PQresultStatus(res) == PGRES_PIPELINE_ABORTED ?
				   "pipeline aborted" : PQresultErrorMessage(res));
			buf_rtrim(err);
			rc = -1;
		}
		PQclear(res);
		while ((res = PQgetResult(c)) != NULL)	/* end of this query's results */
			PQclear(res);
	}
	while ((res = PQgetResult(c)) != NULL) {	/* up to the sync point */
		ExecStatusType st = PQresultStatus(res);
		PQclear(res);
		if (st == PGRES_PIPELINE_SYNC)
			break;
	}
	if (!PQexitPipelineMode(c) && rc == 0) {
		buf_printf(err, "cannot write the ledger: %s", PQerrorMessage(c));
		buf_rtrim(err);
		rc = -1;
	}
	if (rc < 0 && !err->len)
		buf_printf(err, "cannot write the ledger: %s", PQerrorMessage(c));
	buf_rtrim(err);
	return rc;
}

int ledger_last_run(PGconn *c, const char *schema, struct ledger_run *run, struct buf *err)
{
	memset(run, 0, sizeof(*run));
	char *lit = conn_quote_literal(c, schema);
	char *sql = xasprintf("SELECT pg_catalog.to_regclass(pg_catalog.quote_ident(%s) || '.files') IS NOT NULL", lit);
	free(lit);
	char *exists = NULL;
	int rc = conn_query_value(c, sql, &exists, err);
	free(sql);
	if (rc < 0)
		return -1;
	bool has = exists && !strcmp(exists, "t");
	free(exists);
	if (!has)
		return 0;

	char *s = conn_quote_ident(c, schema);
	sql = xasprintf("SELECT r.id, to_char(r.finished_at, 'YYYY-MM-DD HH24:MI:SS TZ'), r.db_user, "
			"coalesce(r.os_user, ''), coalesce(r.environment, ''), r.tool_version, r.files_hash, r.seed, "
			"f.path, f.phase, f.sha256 "
			"FROM (SELECT * FROM %s.runs ORDER BY id DESC LIMIT 1) r "
			"LEFT JOIN %s.files f ON f.run_id = r.id ORDER BY f.path", s, s);
	free(s);
	PGresult *res = PQexec(c, sql);
	free(sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		buf_printf(err, "cannot read the ledger: %s", PQresultErrorMessage(res));
		buf_rtrim(err);
		PQclear(res);
		return -1;
	}
	int n = PQntuples(res);
	if (n == 0) {
		PQclear(res);
		return 0;
	}
	run->id = atoll(PQgetvalue(res, 0, 0));
	run->finished_at = xstrdup(PQgetvalue(res, 0, 1));
	run->db_user = xstrdup(PQgetvalue(res, 0, 2));
	run->os_user = xstrdup(PQgetvalue(res, 0, 3));
	run->environment = xstrdup(PQgetvalue(res, 0, 4));
	run->tool_version = xstrdup(PQgetvalue(res, 0, 5));
	run->files_hash = xstrdup(PQgetvalue(res, 0, 6));
	run->seed = !strcmp(PQgetvalue(res, 0, 7), "t");
	for (int i = 0; i < n; i++) {
		if (PQgetisnull(res, i, 8))
			continue;
		struct ledger_file lf = {
			.path = xstrdup(PQgetvalue(res, i, 8)),
			.phase = xstrdup(PQgetvalue(res, i, 9)),
			.sha256 = xstrdup(PQgetvalue(res, i, 10)),
		};
		VEC_PUSH(&run->files, lf);
	}
	PQclear(res);
	return 1;
}

void ledger_run_release(struct ledger_run *run)
{
	for (size_t i = 0; i < run->files.n; i++) {
		free(run->files.v[i].path);
		free(run->files.v[i].phase);
		free(run->files.v[i].sha256);
	}
	VEC_FREE(&run->files);
	free(run->finished_at);
	free(run->db_user);
	free(run->os_user);
	free(run->environment);
	free(run->tool_version);
	free(run->files_hash);
	memset(run, 0, sizeof(*run));
}

/* ---- execution ------------------------------------------------------ */

enum step { STEP_OK, STEP_SQL_ERROR, STEP_RETRY, STEP_INTERRUPTED, STEP_LOST };

static void say(const struct apply_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct apply_opts *o, const char *fmt, ...)
{
	if (!o->progress)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->progress(o->progress_ctx, msg);
}

static bool is_retryable(const char *sqlstate)
{
	/* lock_not_available (lock_timeout), deadlock_detected, serialization_failure */
	return sqlstate && (!strcmp(sqlstate, "55P03") || !strcmp(sqlstate, "40P01") || !strcmp(sqlstate, "40001"));
}

static void simple(PGconn *c, const char *sql)
{
	PGresult *res = PQexec(c, sql);
	PQclear(res);
}

/*
 * A pgTAP "not ok" line in a test's result set: report it as a failing test
 * at the statement. Returns true when one was found.
 */
static bool tap_failures(struct diag *d, struct sqlfile *f, size_t si, const PGresult *res)
{
	bool failed = false;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 1)
		return false;
	for (int i = 0; i < PQntuples(res); i++) {
		const char *v = PQgetvalue(res, i, 0);
		if (!strncmp(v, "not ok", 6)) {
			const struct stmt *st = &f->stmts.v[si];
			diag_add(d, SEV_ERROR, "test-failed", &f->src, st->start, st->start, "%s", v);
			failed = true;
		}
	}
	return failed;
}

/*
 * Classify the result of statement si of f. On an error, ordinary ones
 * become findings (STEP_SQL_ERROR); lock timeouts and deadlocks ask for a
 * retry; a cancel from SIGINT is STEP_INTERRUPTED; a dead connection is
 * STEP_LOST. Does not PQclear res.
 */
static enum step handle_result(struct exec_ctx *x, struct sqlfile *f, size_t si, PGresult *res,
			       struct diag *d, const char *rule, const char *prefix, char **retry_reason)
{
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
		bool tap_failed = rule && !strcmp(rule, "test-failed") && tap_failures(d, f, si, res);
		return tap_failed ? STEP_SQL_ERROR : STEP_OK;
	}
	if (PQstatus(x->c) != CONNECTION_OK || !res)
		return STEP_LOST;
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state && !strcmp(state, "57014") && conn_interrupted())
		return STEP_INTERRUPTED;
	if (is_retryable(state) && retry_reason) {
		const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		int line, col;
		source_linecol(&f->src, f->stmts.v[si].start, &line, &col);
		*retry_reason = xasprintf("%s:%d: %s", f->src.path, line, m ? m : state);
		return STEP_RETRY;
	}
	add_sql_error(x->r, d, f, si, res, rule, prefix);
	return STEP_SQL_ERROR;
}

/* Run statement si of f on its own (tests, after-commit statements). */
static enum step run_stmt(struct exec_ctx *x, struct sqlfile *f, size_t si, struct diag *d,
			  const char *rule, const char *prefix, char **retry_reason)
{
	char *text = sqlfile_stmt_text(f, si);
	x->file = f;
	x->stmt = si;
	PGresult *res = PQexec(x->c, text);
	free(text);
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT) {
		/* COPY FROM STDIN has no data here: end it and report. */
		if (st == PGRES_COPY_IN)
			PQputCopyEnd(x->c, "COPY FROM STDIN is not supported by ssot: use INSERT or COPY FROM a server file");
		PQclear(res);
		while ((res = PQgetResult(x->c)) != NULL) {
			if (PQresultStatus(res) == PGRES_FATAL_ERROR)
				add_sql_error(x->r, d, f, si, res, rule, prefix);
			PQclear(res);
		}
		if (st == PGRES_COPY_OUT)
			diag_add(d, SEV_ERROR, "sql-error", &f->src, f->stmts.v[si].start, f->stmts.v[si].start,
				 "COPY TO STDOUT is not supported by ssot");
		return STEP_SQL_ERROR;
	}
	enum step stp = handle_result(x, f, si, res, d, rule, prefix, retry_reason);
	PQclear(res);
	return stp;
}

/*
 * Run the schema statements of every file that runs (tests and after-commit
 * statements excluded) in libpq pipeline mode: statements go out in chunks
 * without waiting for each result, so a no-op re-apply costs server time,
 * not round trips. The first error aborts the rest of the pipeline on the
 * server, which is what the all-or-nothing transaction wants anyway.
 */
#define PIPELINE_CHUNK 512

static enum step run_pipelined(struct exec_ctx *x, struct apply_result *r, struct diag *d,
			       char **retry_reason)
{
	PGconn *c = x->c;
	struct qref { size_t file, stmt; };
	VEC(struct qref) q = VEC_INIT;
	for (size_t i = 0; i < r->sqlfiles.n; i++) {
		if (!r->file_stats.v[i].ran || r->file_stats.v[i].phase == PHASE_TESTS)
			continue;
		struct sqlfile *f = r->sqlfiles.v[i];
		for (size_t s = 0; s < f->stmts.n; s++)
			if (!(f->stmts.v[s].flags & STMT_NONTX)) {
				struct qref ref = { i, s };
				VEC_PUSH(&q, ref);
			}
	}
	if (!q.n)
		return STEP_OK;
	if (!PQenterPipelineMode(c)) {
		VEC_FREE(&q);
		return STEP_LOST;
	}

	enum step result = STEP_OK;
	struct timespec mark;
	clock_gettime(CLOCK_MONOTONIC, &mark);
	for (size_t i = 0; i < q.n && result == STEP_OK;) {
		size_t j = i;
		for (; j < q.n && j - i < PIPELINE_CHUNK; j++) {
			struct sqlfile *f = r->sqlfiles.v[q.v[j].file];
			char *text = sqlfile_stmt_text(f, q.v[j].stmt);
			int sent = PQsendQueryParams(c, text, 0, NULL, NULL, NULL, NULL, 0);
			free(text);
			if (!sent) {
				result = STEP_LOST;
				break;
			}
		}
		if (result != STEP_OK || !PQpipelineSync(c)) {
			result = STEP_LOST;
			break;
		}
		for (size_t k = i; k < j; k++) {
			struct sqlfile *f = r->sqlfiles.v[q.v[k].file];
			struct apply_file_stat *fs = &r->file_stats.v[q.v[k].file];
			x->file = f;
			x->stmt = q.v[k].stmt;
			PGresult *res = PQgetResult(c);
			if (!res) {
				result = STEP_LOST;
				break;
			}
			ExecStatusType st = PQresultStatus(res);
			if (st != PGRES_PIPELINE_ABORTED && result == STEP_OK) {
				result = handle_result(x, f, q.v[k].stmt, res, d, "sql-error", NULL, retry_reason);
				if (result == STEP_OK) {
					fs->statements++;
					r->statements++;
				}
			}
			PQclear(res);
			while ((res = PQgetResult(c)) != NULL)	/* end of this query's results */
				PQclear(res);
			if (k + 1 == q.n || q.v[k + 1].file != q.v[k].file) {
				fs->ms = elapsed_ms(&mark);
				clock_gettime(CLOCK_MONOTONIC, &mark);
			}
		}
		/* the sync point closes the chunk */
		PGresult *res;
		while ((res = PQgetResult(c)) != NULL) {
			ExecStatusType st = PQresultStatus(res);
			PQclear(res);
			if (st == PGRES_PIPELINE_SYNC)
				break;
		}
		if (PQstatus(c) != CONNECTION_OK)
			result = STEP_LOST;
		i = j;
	}
	if (PQstatus(c) == CONNECTION_OK && !PQexitPipelineMode(c))
		result = STEP_LOST;
	VEC_FREE(&q);
	return result;
}

/*
 * One attempt of the whole transaction. Returns a step: STEP_OK when the
 * work (and ledger) is done and committed or rolled back as asked.
 */
static enum step attempt(struct exec_ctx *x, struct project *p, const struct apply_opts *o,
			 struct diag *d, struct apply_result *r, char **retry_reason, struct buf *err)
{
	PGconn *c = x->c;
	r->statements = 0;
	r->skipped_notices = 0;
	r->tests_passed = r->tests_failed = 0;
	for (size_t i = 0; i < r->notices.n; i++) {
		free(r->notices.v[i].file);
		free(r->notices.v[i].severity);
		free(r->notices.v[i].message);
	}
	r->notices.n = 0;

	char *started_at = NULL;
	if (conn_exec(c, "BEGIN", err) < 0 ||
	    conn_query_value(c, "SELECT pg_catalog.clock_timestamp()::text", &started_at, err) < 0)
		return STEP_LOST;
	bool ledger = o->tests != TESTS_ONLY;
	if (ledger && ledger_ensure(c, o->ledger_schema, err) < 0) {
		simple(c, "ROLLBACK");
		free(started_at);
		return STEP_LOST;
	}

	for (size_t i = 0; i < r->sqlfiles.n; i++) {
		struct apply_file_stat *fs = &r->file_stats.v[i];
		fs->statements = 0;
		fs->ms = 0;
		fs->ran = !before_start(o, fs->phase, fs->path);
	}
	if (o->dry_run && o->rehearsal)
		o->rehearsal(o->rehearsal_ctx, c, false);
	enum step result = conn_interrupted() ? STEP_INTERRUPTED : run_pipelined(x, r, d, retry_reason);

	/* Tests, one by one, each in a savepoint that is rolled back. */
	for (size_t i = 0; i < r->sqlfiles.n && result == STEP_OK; i++) {
		struct sqlfile *f = r->sqlfiles.v[i];
		struct apply_file_stat *fs = &r->file_stats.v[i];
		if (fs->phase != PHASE_TESTS || !fs->ran)
			continue;
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		simple(c, "SAVEPOINT ssot_test");
		bool test_failed = false;
		for (size_t s = 0; s < f->stmts.n; s++) {
			if (conn_interrupted()) {
				result = STEP_INTERRUPTED;
				break;
			}
			enum step stp = run_stmt(x, f, s, d, "test-failed", "test failed: ", retry_reason);
			if (stp == STEP_SQL_ERROR) {
				test_failed = true;
				break;
			}
			if (stp != STEP_OK) {
				result = stp;
				break;
			}
			fs->statements++;
			r->statements++;
		}
		if (result == STEP_OK) {
			/* a test's effects never survive it; the next test starts clean */
			simple(c, "ROLLBACK TO SAVEPOINT ssot_test");
			simple(c, "RELEASE SAVEPOINT ssot_test");
			if (test_failed)
				r->tests_failed++;
			else
				r->tests_passed++;
		}
		fs->ms = elapsed_ms(&t0);
	}
	if (result == STEP_OK && r->tests_failed)
		result = STEP_SQL_ERROR;
	if (result == STEP_OK && o->dry_run && o->rehearsal)
		o->rehearsal(o->rehearsal_ctx, c, true);

	if (result == STEP_OK && ledger && !o->dry_run && ledger_record(c, o, p, r, started_at, err) < 0)
		result = STEP_LOST;
	free(started_at);

	if (result != STEP_OK || o->dry_run || o->tests == TESTS_ONLY) {
		simple(c, "ROLLBACK");
		return result;
	}
	PGresult *res = PQexec(c, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (is_retryable(state)) {
			*retry_reason = xasprintf("commit: %s", PQresultErrorMessage(res));
			PQclear(res);
			return STEP_RETRY;
		}
		buf_printf(err, "commit failed: %s", PQresultErrorMessage(res));
		buf_rtrim(err);
		PQclear(res);
		return STEP_LOST;
	}
	PQclear(res);
	return STEP_OK;
}

/* After the commit: statements that cannot run in a transaction block. */
static int run_nontx(struct exec_ctx *x, const struct apply_opts *o, struct diag *d, struct apply_result *r)
{
	int failed = 0;
	for (size_t i = 0; i < r->sqlfiles.n; i++) {
		struct sqlfile *f = r->sqlfiles.v[i];
		if (!r->file_stats.v[i].ran)
			continue;
		for (size_t s = 0; s < f->stmts.n; s++) {
			const struct stmt *st = &f->stmts.v[s];
			if (!(st->flags & STMT_NONTX))
				continue;
			struct apply_nontx nt = { .file = xstrdup(f->src.path), .tag = st->tag };
			int col;
			source_linecol(&f->src, st->start, &nt.line, &col);
			if (o->dry_run) {
				VEC_PUSH(&r->nontx, nt);	/* reported as "would run" */
				continue;
			}
			say(o, "%s:%d: running %s outside the transaction", nt.file, nt.line, st->tag);
			struct timespec t0;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			enum step stp = run_stmt(x, f, s, d, "sql-error",
						 "(after the commit; the transaction's changes are kept) ", NULL);
			nt.ok = stp == STEP_OK;
			nt.ms = elapsed_ms(&t0);
			if (!nt.ok)
				failed++;
			VEC_PUSH(&r->nontx, nt);
			if (stp == STEP_INTERRUPTED || stp == STEP_LOST)
				return failed + 1;
		}
	}
	return failed;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void lock_waiting(void *ctx, const char *holder)
{
	const struct apply_opts *o = ctx;
	say(o, "another apply is running (%s); waiting up to %d ms", holder, o->wait_ms);
}

enum apply_outcome apply_run(PGconn *c, struct project *p, const struct apply_opts *o,
			     struct diag *d, struct apply_result *r, struct buf *err)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	int refused = load_files(p, o, d, r, err);
	if (refused < 0)
		return r->outcome = APPLY_ERROR;
	if (refused > 0)
		return r->outcome = APPLY_REFUSED;
	r->files = (int)r->sqlfiles.n;

	struct exec_ctx x = { .r = r, .o = o, .c = c };
	PQnoticeReceiver old_receiver = PQsetNoticeReceiver(c, notice_receiver, &x);
	bool watching = conn_cancel_watch(c);

	enum apply_outcome outcome = APPLY_OK;
	long long key = apply_lock_key(o->ledger_schema);
	struct buf lerr = BUF_INIT;
	if (conn_advisory_lock(c, key, o->wait_ms, lock_waiting, (void *)o, conn_interrupt_flag(), &lerr) < 0) {
		buf_adds(err, lerr.s);
		buf_release(&lerr);
		outcome = conn_interrupted() ? APPLY_INTERRUPTED : APPLY_ERROR;
		goto out;
	}
	buf_release(&lerr);

	if (o->lock_timeout_ms > 0) {
		char sql[64];
		snprintf(sql, sizeof(sql), "SET lock_timeout = %d", o->lock_timeout_ms);
		if (conn_exec(c, sql, err) < 0) {
			outcome = APPLY_ERROR;
			goto unlock;
		}
	}

	for (int attempt_no = 0;; attempt_no++) {
		char *reason = NULL;
		enum step stp = attempt(&x, p, o, d, r, &reason, err);
		if (stp == STEP_RETRY && attempt_no < o->max_retries && !conn_interrupted()) {
			say(o, "%s; retrying the whole transaction (%d/%d)", reason, attempt_no + 1, o->max_retries);
			free(reason);
			r->retries++;
			sleep_ms(100 * (attempt_no + 1) + rand() % 100);
			continue;
		}
		if (stp == STEP_RETRY) {
			diag_add(d, SEV_ERROR, "lock-timeout", NULL, 0, 0,
				 "%s; gave up after %d attempts (nothing was applied)", reason, attempt_no + 1);
			free(reason);
			outcome = APPLY_SQL_FAILED;
		} else if (stp == STEP_SQL_ERROR) {
			outcome = APPLY_SQL_FAILED;
		} else if (stp == STEP_INTERRUPTED) {
			outcome = APPLY_INTERRUPTED;
		} else if (stp == STEP_LOST) {
			if (!err->len)
				buf_printf(err, "connection lost: %s", PQerrorMessage(c));
			buf_rtrim(err);
			outcome = APPLY_ERROR;
		}
		break;
	}

	if (outcome == APPLY_OK && run_nontx(&x, o, d, r) > 0)
		outcome = conn_interrupted() ? APPLY_INTERRUPTED : APPLY_SQL_FAILED;

unlock:
	if (PQstatus(c) == CONNECTION_OK)
		conn_advisory_unlock(c, key);
out:
	if (watching)
		conn_cancel_unwatch();
	PQsetNoticeReceiver(c, old_receiver, NULL);
	r->ms = elapsed_ms(&t0);
	return r->outcome = outcome;
}
