/*
 * Bodies: the statements inside DO blocks and functions.
 *
 * PL/pgSQL bodies go through pg_query_parse_plpgsql(), whose JSON gives
 * each SQL statement's text and its line in the body (line 1 is the line of
 * the opening quote). The text is found again on that line of the file, so
 * an inner statement's parse-tree locations map to exact file offsets; when
 * it cannot be found (PL/pgSQL rewrote it, say SELECT ... INTO) findings
 * point at the start of that line. LANGUAGE sql bodies are plain SQL and are
 * parsed directly.
 *
 * In a DO block every family applies (it runs at apply time), with the
 * block's IF/CASE/loops and exception handlers as guards. In a function only
 * what runs when it is called matters here: TRUNCATE (for foreign keys) and
 * statements that cannot run in a transaction.
 */
#include "lint/pg.h"

#include "lint/rules.h"

#include "util/xalloc.h"

#include <jansson.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct walk {
	struct lint_ctx *outer;	/* the DO / CREATE FUNCTION statement */
	int body_line;		/* file line of PL/pgSQL's line 1 */
	enum block_kind block;
};

static const char *get_str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/*
 * Parse an inner SQL text and lint its statements at file offset `base`
 * (when exact). The tree goes into the current memory context, the file's
 * body context (lint.c), so that facts may point into it until the
 * cross-file pass is done.
 */
static void lint_inner_sql(struct lint_ctx *outer, enum block_kind block, const char *sql, size_t base,
			   bool exact, bool conditional, const struct guard *g)
{
	PgQueryInternalParsetreeAndError r = pg_query_raw_parse(sql);
	free(r.stderr_buffer);
	if (r.error) {
		/* The server reports it when the body runs; not a lint matter. */
		pg_query_free_error(r.error);
		return;
	}

	const ListCell *lc;
	foreach(lc, r.tree) {
		const RawStmt *raw = lfirst(lc);
		size_t loc = (size_t)raw->stmt_location;
		while (sql[loc] == ' ' || sql[loc] == '\t' || sql[loc] == '\n' || sql[loc] == '\r')
			loc++;
		size_t len = raw->stmt_len ? (size_t)raw->stmt_len : strlen(sql + raw->stmt_location);
		struct lint_ctx c = *outer;
		c.stmt = raw->stmt;
		c.sql = (exact ? outer->file->sql.src.text + base : sql) + raw->stmt_location;
		c.sql_len = len;
		c.top = NULL;
		c.block = block;
		c.conditional = conditional;
		c.guard = g;
		c.base = base;
		c.exact = exact;
		c.start = exact ? base + loc : base;
		c.end = exact ? base + (size_t)raw->stmt_location + len : base;
		lint_statement(&c, NULL, NULL);
	}
}

/* File offset of the start of PL/pgSQL line `lineno`, skipping indentation. */
static size_t line_offset(const struct walk *w, int lineno)
{
	struct source *src = &w->outer->file->sql.src;
	size_t off = source_line_start(src, w->body_line + (lineno > 0 ? lineno - 1 : 0));
	if (off < w->outer->start)
		off = w->outer->start;
	while (off < w->outer->end && (src->text[off] == ' ' || src->text[off] == '\t'))
		off++;
	return off;
}

static void inner_query(struct walk *w, const char *q, int lineno, bool cond, const struct guard *g)
{
	if (!q)
		return;
	const char *text = w->outer->file->sql.src.text;
	size_t from = line_offset(w, lineno);
	size_t qlen = strlen(q);
	const char *hit = from < w->outer->end
				  ? memmem(text + from, w->outer->end - from, q, qlen) : NULL;
	if (hit)
		lint_inner_sql(w->outer, w->block, q, (size_t)(hit - text), true, cond, g);
	else
		lint_inner_sql(w->outer, w->block, q, from, false, cond, g);
}

/* EXECUTE 'literal': the literal's text, unquoted (caller frees), or NULL. */
static char *string_literal(const char *expr)
{
	size_t n = strlen(expr);
	if (n < 2 || expr[0] != '\'' || expr[n - 1] != '\'')
		return NULL;
	struct buf b = BUF_INIT;
	for (size_t i = 1; i + 1 < n; i++) {
		if (expr[i] == '\'') {
			if (expr[i + 1] != '\'' || i + 2 >= n) {
				buf_release(&b);
				return NULL;	/* a concatenation, not one literal */
			}
			i++;
		}
		buf_addch(&b, expr[i]);
	}
	return buf_detach(&b);
}

static void walk_list(struct walk *w, json_t *list, bool cond, const struct guard *g);

static void walk_block(struct walk *w, json_t *b, bool cond, const struct guard *g)
{
	json_t *exc = json_object_get(json_object_get(b, "exceptions"), "PLpgSQL_exception_block");
	json_t *handlers = json_object_get(exc, "exc_list");
	if (!json_is_array(handlers) || !json_array_size(handlers)) {
		walk_list(w, json_object_get(b, "body"), cond, g);
		return;
	}
	VEC(const char *) conds = VEC_INIT;
	size_t i;
	json_t *h;
	json_array_foreach(handlers, i, h) {
		json_t *cl = json_object_get(json_object_get(h, "PLpgSQL_exception"), "conditions");
		size_t k;
		json_t *cn;
		json_array_foreach(cl, k, cn) {
			const char *name = get_str(json_object_get(cn, "PLpgSQL_condition"), "condname");
			if (name)
				VEC_PUSH(&conds, name);
		}
	}
	/* Tests catch errors on purpose (to assert that something fails). */
	if (w->block == BLOCK_DO && w->outer->file->phase != PHASE_TESTS) {
		for (size_t k = 0; k < conds.n; k++) {
			if (strcmp(conds.v[k], "others") != 0)
				continue;
			/* Point at the word OTHERS, searched from the block's first line. */
			struct lint_ctx *o = w->outer;
			const char *t = o->file->sql.src.text;
			json_int_t ln = json_integer_value(json_object_get(b, "lineno"));
			size_t at = line_offset(w, (int)ln), len = 0;
			for (size_t p = at; p + 6 <= o->end; p++)
				if (!strncasecmp(t + p, "others", 6) && (p == 0 || t[p - 1] == ' ' || t[p - 1] == '\t' ||
									 t[p - 1] == '\n')) {
					at = p;
					len = 6;
					break;
				}
			lint_report(o, R_CATCH_ALL_EXCEPTION, at, at + len,
				    "WHEN OTHERS swallows every error, not just the one a second run raises");
		}
	}
	struct guard ng = { conds.v, conds.n, g };
	walk_list(w, json_object_get(b, "body"), cond, conds.n ? &ng : g);
	json_array_foreach(handlers, i, h)
		walk_list(w, json_object_get(json_object_get(h, "PLpgSQL_exception"), "action"), true, g);
	VEC_FREE(&conds);
}

static void walk_stmt(struct walk *w, json_t *node, bool cond, const struct guard *g)
{
	const char *kind;
	json_t *v;
	json_object_foreach(node, kind, v) {
		if (strncmp(kind, "PLpgSQL_stmt_", 13) != 0)
			continue;
		const char *k = kind + 13;
		int lineno = (int)json_integer_value(json_object_get(v, "lineno"));
		if (!strcmp(k, "block")) {
			walk_block(w, v, cond, g);
		} else if (!strcmp(k, "execsql")) {
			inner_query(w, get_str(json_object_get(json_object_get(v, "sqlstmt"), "PLpgSQL_expr"), "query"),
				    lineno, cond, g);
		} else if (!strcmp(k, "dynexecute")) {
			const char *e = get_str(json_object_get(json_object_get(v, "query"), "PLpgSQL_expr"), "query");
			char *lit = e ? string_literal(e) : NULL;
			if (lit)
				lint_inner_sql(w->outer, w->block, lit, line_offset(w, lineno), false, cond, g);
			free(lit);
		} else if (!strcmp(k, "if")) {
			walk_list(w, json_object_get(v, "then_body"), true, g);
			size_t i;
			json_t *e;
			json_array_foreach(json_object_get(v, "elsif_list"), i, e)
				walk_list(w, json_object_get(json_object_get(e, "PLpgSQL_if_elsif"), "stmts"), true, g);
			walk_list(w, json_object_get(v, "else_body"), true, g);
		} else if (!strcmp(k, "case")) {
			size_t i;
			json_t *e;
			json_array_foreach(json_object_get(v, "case_when_list"), i, e)
				walk_list(w, json_object_get(json_object_get(e, "PLpgSQL_case_when"), "stmts"), true, g);
			walk_list(w, json_object_get(v, "else_stmts"), true, g);
		} else if (!strcmp(k, "commit") || !strcmp(k, "rollback")) {
			if (w->block == BLOCK_DO) {
				size_t at = line_offset(w, lineno);
				lint_report(w->outer, R_TRANSACTION_CONTROL, at, at,
					    "%s in a DO block: ssot already runs the files in one transaction",
					    !strcmp(k, "commit") ? "COMMIT" : "ROLLBACK");
			}
		} else if (json_object_get(v, "body")) {
			/* loop, while, fori, fors, forc, foreach_a, dynfors */
			walk_list(w, json_object_get(v, "body"), true, g);
		}
	}
}

static void walk_list(struct walk *w, json_t *list, bool cond, const struct guard *g)
{
	size_t i;
	json_t *s;
	json_array_foreach(list, i, s)
		walk_stmt(w, s, cond, g);
}

/*
 * The prefilter of function bodies: whether the text of a CREATE FUNCTION
 * can hold anything the function rules look at. In a function only TRUNCATE
 * (truncate-referenced, truncate-cascade) and statements that cannot run in
 * a transaction block (concurrently-in-plpgsql; see lint_classify: CREATE
 * INDEX / DROP INDEX / REINDEX / DETACH PARTITION CONCURRENTLY, REINDEX
 * SYSTEM / DATABASE, VACUUM, CLUSTER, CREATE / DROP / ALTER DATABASE,
 * CREATE / DROP TABLESPACE, ALTER SYSTEM, CREATE / ALTER / DROP
 * SUBSCRIPTION) matter, also as EXECUTE of a literal. Each of those
 * statements spells one of these keywords, and a keyword is one token that
 * cannot be quoted, escaped or split by a comment, so a text without any of
 * them (compared case-insensitively) holds none of those statements: a
 * necessary condition, never a lint by itself. Most function bodies are
 * skipped here without a PL/pgSQL parse.
 */
static bool body_may_matter(const char *t, size_t len)
{
	static const char *const words[] = {
		"truncate", "concurrently", "vacuum", "cluster", "database", "tablespace", "system",
		"subscription", "reindex", "execute",
	};
	for (size_t i = 0; i < len; i++) {
		char ch = (char)(t[i] | 0x20);
		if (ch != 't' && ch != 'c' && ch != 'v' && ch != 'd' && ch != 's' && ch != 'r' && ch != 'e')
			continue;
		for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
			size_t n = strlen(words[k]);
			if (words[k][0] == ch && i + n <= len && !strncasecmp(t + i, words[k], n))
				return true;
		}
	}
	return false;
}

/* Block kind and language of a DO / CREATE FUNCTION node; false for other nodes. */
static bool body_kind(const Node *n, enum block_kind *block, const char **lang)
{
	if (IsA(n, DoStmt)) {
		*block = BLOCK_DO;
		*lang = option_string(((const DoStmt *)n)->args, "language");
	} else if (IsA(n, CreateFunctionStmt)) {
		*block = BLOCK_FUNCTION;
		*lang = option_string(((const CreateFunctionStmt *)n)->options, "language");
	} else {
		return false;
	}
	if (!*lang)
		*lang = *block == BLOCK_DO ? "plpgsql" : "sql";
	return true;
}

bool lint_body_needs_plpgsql(const struct lint_file *f, size_t i, const Node *n)
{
	const struct stmt *s = &f->sql.stmts.v[i];
	enum block_kind block;
	const char *lang;
	if (!s->body_start || !body_kind(n, &block, &lang) || strcmp(lang, "plpgsql") != 0)
		return false;
	return block == BLOCK_DO || body_may_matter(f->sql.src.text + s->start, s->len);
}

void lint_plpgsql_body(struct lint_ctx *c, const struct stmt *s, const char *json)
{
	const Node *n = c->stmt;
	enum block_kind block;
	const char *lang;
	if (!body_kind(n, &block, &lang))
		return;
	const char *text = c->file->sql.src.text;
	if (block == BLOCK_FUNCTION && !body_may_matter(text + s->start, s->len))
		return;

	if (!strcmp(lang, "sql")) {
		if (block != BLOCK_FUNCTION)
			return;	/* DO has no LANGUAGE sql; the server says so */
		const char *body = option_string(((const CreateFunctionStmt *)n)->options, "as");
		if (!body)
			return;	/* BEGIN ATOMIC bodies are in the tree itself: see below */
		bool exact = s->body_start && !strncmp(text + s->body_start, body, strlen(body));
		lint_inner_sql(c, block, body, exact ? s->body_start : c->start, exact, false, NULL);
		return;
	}
	if (!json || !s->body_start)
		return;
	/*
	 * Only the function's "action" is walked, so only it is decoded: the
	 * "datums" before it (every variable) would cost as much again. Key and
	 * node name cannot occur unescaped inside a JSON string.
	 */
	static const char key[] = "\"action\":{\"PLpgSQL_stmt_block\"";
	const char *at = strstr(json, key);
	json_t *action = at ? json_loads(at + 9, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
	if (action) {
		int line, col;
		source_linecol(&c->file->sql.src, s->body_start, &line, &col);
		struct walk w = { .outer = c, .body_line = line, .block = block };
		struct lint_ctx outer = *c;
		outer.block_end = c->end;
		w.outer = &outer;
		walk_stmt(&w, action, false, NULL);
	}
	json_decref(action);
}
