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

#include <stdint.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- a reader for pg_query_parse_plpgsql()'s JSON ---------------------------------- */

/*
 * jansson spent more time building hash tables and strings for the JSON of
 * a body than libpg_query spent parsing the body. This reader makes one
 * pass into a flat array of nodes (children and siblings by index) and
 * unescapes only the strings asked for. It reads the JSON libpg_query
 * writes: member names without escapes; anything malformed ends the walk.
 */
struct jnode {
	char type;		/* '{' '[' '"' or the first character of a literal */
	int child, next;	/* first child, next sibling: indexes, -1 none */
	const char *key;	/* member name, not NUL-terminated */
	size_t key_len;
	const char *s;		/* string: the text between the quotes, escapes unresolved */
	size_t len;
};

struct jdoc {
	VEC(struct jnode) n;
	const char *p, *end;
	struct arena *strings;	/* jstr() results */
};

static void jblank(struct jdoc *d)
{
	while (d->p < d->end && (*d->p == ' ' || *d->p == '\n' || *d->p == '\t' || *d->p == '\r'))
		d->p++;
}

/* Scan a string at d->p (the opening quote); sets its span. Returns -1 when unterminated. */
static int jscan_string(struct jdoc *d, const char **s, size_t *len)
{
	const char *q = ++d->p;
	while (q < d->end && *q != '"')
		q += *q == '\\' ? 2 : 1;
	if (q >= d->end)
		return -1;
	*s = d->p;
	*len = (size_t)(q - d->p);
	d->p = q + 1;
	return 0;
}

/* Parse one value at d->p; returns its node index, or -1 when malformed. */
static int jparse(struct jdoc *d, int depth)
{
	jblank(d);
	if (d->p >= d->end || depth > 200)
		return -1;
	int me = (int)d->n.n;
	struct jnode nd = { .type = *d->p, .child = -1, .next = -1 };
	VEC_PUSH(&d->n, nd);
	char open = *d->p;
	if (open == '"')
		return jscan_string(d, &d->n.v[me].s, &d->n.v[me].len) < 0 ? -1 : me;
	if (open != '{' && open != '[') {
		const char *b = d->p;
		while (d->p < d->end && *d->p != ',' && *d->p != '}' && *d->p != ']' && *d->p != ' ' &&
		       *d->p != '\n')
			d->p++;
		d->n.v[me].s = b;
		d->n.v[me].len = (size_t)(d->p - b);
		return d->p > b ? me : -1;
	}
	char close = open == '{' ? '}' : ']';
	d->p++;
	int last = -1;
	for (;;) {
		jblank(d);
		if (d->p < d->end && *d->p == close && last < 0) {
			d->p++;
			return me;
		}
		const char *key = NULL;
		size_t key_len = 0;
		if (open == '{') {
			if (d->p >= d->end || *d->p != '"' || jscan_string(d, &key, &key_len) < 0)
				return -1;
			jblank(d);
			if (d->p >= d->end || *d->p != ':')
				return -1;
			d->p++;
		}
		int v = jparse(d, depth + 1);
		if (v < 0)
			return -1;
		d->n.v[v].key = key;
		d->n.v[v].key_len = key_len;
		if (last < 0)
			d->n.v[me].child = v;
		else
			d->n.v[last].next = v;
		last = v;
		jblank(d);
		if (d->p < d->end && *d->p == ',') {
			d->p++;
		} else if (d->p < d->end && *d->p == close) {
			d->p++;
			return me;
		} else {
			return -1;
		}
	}
}

/* Member `key` of object i, or -1 (also for i = -1 or a non-object). */
static int jget(const struct jdoc *d, int i, const char *key)
{
	if (i < 0 || d->n.v[i].type != '{')
		return -1;
	size_t n = strlen(key);
	for (int c = d->n.v[i].child; c >= 0; c = d->n.v[c].next)
		if (d->n.v[c].key_len == n && !memcmp(d->n.v[c].key, key, n))
			return c;
	return -1;
}

/* First element of array (or member of object) i, then jnext(); -1 ends. */
static int jfirst(const struct jdoc *d, int i)
{
	return i >= 0 && (d->n.v[i].type == '[' || d->n.v[i].type == '{') ? d->n.v[i].child : -1;
}

static int jnext(const struct jdoc *d, int i)
{
	return d->n.v[i].next;
}

static int jint(const struct jdoc *d, int i)
{
	return i >= 0 && d->n.v[i].type != '"' && d->n.v[i].type != '{' && d->n.v[i].type != '['
		       ? atoi(d->n.v[i].s) : 0;
}

/* Writes code point c as UTF-8 at o; returns the byte after it. */
static char *utf8_put(char *o, uint32_t c)
{
	if (c < 0x80) {
		*o++ = (char)c;
	} else if (c < 0x800) {
		*o++ = (char)(0xc0 | c >> 6);
		*o++ = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*o++ = (char)(0xe0 | c >> 12);
		*o++ = (char)(0x80 | (c >> 6 & 0x3f));
		*o++ = (char)(0x80 | (c & 0x3f));
	} else {
		*o++ = (char)(0xf0 | c >> 18);
		*o++ = (char)(0x80 | (c >> 12 & 0x3f));
		*o++ = (char)(0x80 | (c >> 6 & 0x3f));
		*o++ = (char)(0x80 | (c & 0x3f));
	}
	return o;
}

static uint32_t hex4(const char *p)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		char ch = p[i];
		v = v << 4 | (uint32_t)(ch >= '0' && ch <= '9' ? ch - '0' : ((ch | 0x20) - 'a' + 10) & 0xf);
	}
	return v;
}

/*
 * The string of node i, unescaped, in d->strings; NULL when i is not a
 * string. Unescaping never lengthens it (\uXXXX is 6 bytes for at most 3 of
 * UTF-8, a surrogate pair 12 for 4), so it is written in place of a copy.
 */
static const char *jstr(struct jdoc *d, int i)
{
	if (i < 0 || d->n.v[i].type != '"')
		return NULL;
	const char *s = d->n.v[i].s;
	size_t len = d->n.v[i].len;
	const char *bs = memchr(s, '\\', len);
	if (!bs)
		return arena_strndup(d->strings, s, len);
	char *r = arena_alloc(d->strings, len + 1);
	size_t k = (size_t)(bs - s);
	memcpy(r, s, k);
	char *o = r + k;
	for (; k < len; k++) {
		if (s[k] != '\\' || k + 1 >= len) {
			*o++ = s[k];
			continue;
		}
		char e = s[++k];
		switch (e) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'r': *o++ = '\r'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'u': {
			if (k + 4 >= len)
				break;
			uint32_t c = hex4(s + k + 1);
			k += 4;
			if (c >= 0xd800 && c < 0xdc00 && k + 6 < len && s[k + 1] == '\\' && s[k + 2] == 'u') {
				uint32_t lo = hex4(s + k + 3);
				if (lo >= 0xdc00 && lo < 0xe000) {
					c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
					k += 6;
				}
			}
			o = utf8_put(o, c);
			break;
		}
		default: *o++ = e; break;	/* \" \\ \/ */
		}
	}
	*o = '\0';
	return r;
}

/* ---- the walk --------------------------------------------------------------------------- */

struct walk {
	struct lint_ctx *outer;	/* the DO / CREATE FUNCTION statement */
	int body_line;		/* file line of PL/pgSQL's line 1 */
	enum block_kind block;
	struct jdoc *d;
};

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

static void walk_list(struct walk *w, int list, bool cond, const struct guard *g);

static void walk_block(struct walk *w, int b, bool cond, const struct guard *g)
{
	struct jdoc *d = w->d;
	int exc = jget(d, jget(d, b, "exceptions"), "PLpgSQL_exception_block");
	int handlers = jget(d, exc, "exc_list");
	if (jfirst(d, handlers) < 0) {
		walk_list(w, jget(d, b, "body"), cond, g);
		return;
	}
	VEC(const char *) conds = VEC_INIT;
	for (int h = jfirst(d, handlers); h >= 0; h = jnext(d, h)) {
		int cl = jget(d, jget(d, h, "PLpgSQL_exception"), "conditions");
		for (int cn = jfirst(d, cl); cn >= 0; cn = jnext(d, cn)) {
			const char *name = jstr(d, jget(d, jget(d, cn, "PLpgSQL_condition"), "condname"));
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
			int ln = jint(d, jget(d, b, "lineno"));
			size_t at = line_offset(w, ln), len = 0;
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
	walk_list(w, jget(d, b, "body"), cond, conds.n ? &ng : g);
	for (int h = jfirst(d, handlers); h >= 0; h = jnext(d, h))
		walk_list(w, jget(d, jget(d, h, "PLpgSQL_exception"), "action"), true, g);
	VEC_FREE(&conds);
}

/* The query text of a PLpgSQL_expr member `key` of node v. */
static const char *expr_query(struct jdoc *d, int v, const char *key)
{
	return jstr(d, jget(d, jget(d, jget(d, v, key), "PLpgSQL_expr"), "query"));
}

static bool key_is(const struct jnode *n, const char *k)
{
	size_t len = strlen(k);
	return n->key_len == len && !memcmp(n->key, k, len);
}

static void walk_stmt(struct walk *w, int node, bool cond, const struct guard *g)
{
	struct jdoc *d = w->d;
	for (int v = jfirst(d, node); v >= 0; v = jnext(d, v)) {
		const struct jnode *m = &d->n.v[v];
		if (m->key_len < 13 || memcmp(m->key, "PLpgSQL_stmt_", 13) != 0)
			continue;
		struct jnode k = *m;
		k.key += 13;
		k.key_len -= 13;
		int lineno = jint(d, jget(d, v, "lineno"));
		if (key_is(&k, "block")) {
			walk_block(w, v, cond, g);
		} else if (key_is(&k, "execsql")) {
			inner_query(w, expr_query(d, v, "sqlstmt"), lineno, cond, g);
		} else if (key_is(&k, "dynexecute")) {
			const char *e = expr_query(d, v, "query");
			char *lit = e ? string_literal(e) : NULL;
			if (lit)
				lint_inner_sql(w->outer, w->block, lit, line_offset(w, lineno), false, cond, g);
			free(lit);
		} else if (key_is(&k, "if")) {
			walk_list(w, jget(d, v, "then_body"), true, g);
			for (int e = jfirst(d, jget(d, v, "elsif_list")); e >= 0; e = jnext(d, e))
				walk_list(w, jget(d, jget(d, e, "PLpgSQL_if_elsif"), "stmts"), true, g);
			walk_list(w, jget(d, v, "else_body"), true, g);
		} else if (key_is(&k, "case")) {
			for (int e = jfirst(d, jget(d, v, "case_when_list")); e >= 0; e = jnext(d, e))
				walk_list(w, jget(d, jget(d, e, "PLpgSQL_case_when"), "stmts"), true, g);
			walk_list(w, jget(d, v, "else_stmts"), true, g);
		} else if (key_is(&k, "commit") || key_is(&k, "rollback")) {
			if (w->block == BLOCK_DO) {
				size_t at = line_offset(w, lineno);
				lint_report(w->outer, R_TRANSACTION_CONTROL, at, at,
					    "%s in a DO block: ssot already runs the files in one transaction",
					    key_is(&k, "commit") ? "COMMIT" : "ROLLBACK");
			}
		} else if (jget(d, v, "body") >= 0) {
			/* loop, while, fori, fors, forc, foreach_a, dynfors */
			walk_list(w, jget(d, v, "body"), true, g);
		}
	}
}

static void walk_list(struct walk *w, int list, bool cond, const struct guard *g)
{
	if (list < 0 || w->d->n.v[list].type != '[')
		return;
	for (int s = jfirst(w->d, list); s >= 0; s = jnext(w->d, s))
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
static const char *const body_words[] = {
	"truncate", "concurrently", "vacuum", "cluster", "database", "tablespace", "system",
	"subscription", "reindex", "execute",
};

/*
 * For each byte, the words (bit k: body_words[k]) whose first, resp.
 * second, letter it is in either case; built once, before any thread runs.
 */
static uint16_t body_first[256], body_second[256];

static void __attribute__((constructor)) body_tables(void)
{
	for (unsigned k = 0; k < sizeof(body_words) / sizeof(body_words[0]); k++) {
		for (int j = 0; j < 2; j++) {
			unsigned char ch = (unsigned char)body_words[k][j];
			uint16_t *t = j ? body_second : body_first;
			t[ch] |= (uint16_t)(1u << k);
			t[ch - 'a' + 'A'] |= (uint16_t)(1u << k);
		}
	}
}

static bool body_may_matter(const char *t, size_t len)
{
	const unsigned char *u = (const unsigned char *)t;
	for (size_t i = 0; i + 6 <= len; i++) {
		unsigned m = body_first[u[i]] & body_second[u[i + 1]];
		if (__builtin_expect(m == 0, 1))
			continue;	/* most byte pairs stop here */
		for (unsigned k = 0; m; k++, m >>= 1) {
			size_t n = strlen(body_words[k]);
			if ((m & 1) && i + n <= len && !strncasecmp(t + i, body_words[k], n))
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
	if (!strcmp(lang, "sql")) {
		if (block != BLOCK_FUNCTION || !body_may_matter(text + s->start, s->len))
			return;	/* (DO has no LANGUAGE sql; the server says so) */
		const char *body = option_string(((const CreateFunctionStmt *)n)->options, "as");
		if (!body)
			return;	/* BEGIN ATOMIC bodies are in the tree itself: see below */
		bool exact = s->body_start && !strncmp(text + s->body_start, body, strlen(body));
		lint_inner_sql(c, block, body, exact ? s->body_start : c->start, exact, false, NULL);
		return;
	}
	/* PL/pgSQL: `json` is there when lint_body_needs_plpgsql() said so (the prefilter). */
	if (!json || !s->body_start)
		return;
	/*
	 * Only the function's "action" is walked, so only it is read: the
	 * "datums" before it (every variable) would cost as much again. Key and
	 * node name cannot occur unescaped inside a JSON string.
	 */
	static const char key[] = "\"action\":{\"PLpgSQL_stmt_block\"";
	const char *at = strstr(json, key);
	if (!at)
		return;
	struct arena strings;
	arena_init(&strings);
	struct jdoc d = { .n = VEC_INIT, .p = at + 9, .end = json + strlen(json), .strings = &strings };
	int action = jparse(&d, 0);
	if (action >= 0) {
		int line, col;
		source_linecol(&c->file->sql.src, s->body_start, &line, &col);
		struct lint_ctx outer = *c;
		outer.block_end = c->end;
		struct walk w = { .outer = &outer, .body_line = line, .block = block, .d = &d };
		walk_stmt(&w, action, false, NULL);
	}
	VEC_FREE(&d.n);
	arena_release(&strings);
}
