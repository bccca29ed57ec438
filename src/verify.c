/*
 * verify: apply the files three times to an empty database and prove that
 * the second and third runs change nothing (see verify.h).
 */
#include "verify.h"
#include "catalog.h"
#include "conn.h"
#include "diff.h"
#include "model.h"
#include "sqlfile.h"
#include "util/map.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Relations per row-count query: bounds the locks one statement holds. */
#define COUNT_CHUNK 1000

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- snapshots ---------------------------------------------------------- */

/* A table (its row count) or a sequence (its last_value and is_called). */
struct rel {
	char kind;			/* 'r' table, 'S' sequence */
	char *schema, *name, *id;	/* id: "schema.name" */
	char *parent_schema, *parent_name;	/* a partition's partitioned table */
	char *owner_schema, *owner_table, *owner_column;	/* a sequence owned by a column */
	long long value;
	bool is_called;
};

struct snapshot {
	struct model m;
	VEC(struct rel) rels;		/* by schema, then name, bytewise */
};

static void snapshot_init(struct snapshot *s)
{
	model_init(&s->m);
	memset(&s->rels, 0, sizeof(s->rels));
}

static void snapshot_release(struct snapshot *s)
{
	for (size_t i = 0; i < s->rels.n; i++) {
		struct rel *r = &s->rels.v[i];
		free(r->schema);
		free(r->name);
		free(r->id);
		free(r->parent_schema);
		free(r->parent_name);
		free(r->owner_schema);
		free(r->owner_table);
		free(r->owner_column);
	}
	VEC_FREE(&s->rels);
	model_release(&s->m);
}

/*
 * Every table (leaf tables and partitions: a partitioned table holds no rows
 * of its own) and every sequence that the files made: not in a system
 * schema, not temporary, not the ledger's, not an extension's. A sequence
 * owned by a column (serial: deptype 'a'; identity: 'i') comes with that
 * column.
 */
static const char REL_QUERY[] =
	"SELECT c.relkind, n.nspname, c.relname, pn.nspname, pc.relname, dn.nspname, dc.relname, a.attname"
	" FROM pg_catalog.pg_class c"
	" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	" LEFT JOIN pg_catalog.pg_inherits i ON c.relispartition AND i.inhrelid = c.oid"
	" LEFT JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent"
	" LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace"
	" LEFT JOIN pg_catalog.pg_depend d ON c.relkind = 'S'"
	"  AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid"
	"  AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjsubid > 0"
	"  AND d.deptype IN ('a', 'i')"
	" LEFT JOIN pg_catalog.pg_class dc ON dc.oid = d.refobjid"
	" LEFT JOIN pg_catalog.pg_namespace dn ON dn.oid = dc.relnamespace"
	" LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
	" WHERE c.relkind IN ('r', 'S') AND c.relpersistence <> 't'"
	"  AND n.nspname <> ALL (ARRAY['pg_catalog', 'information_schema', 'pg_toast'])"
	"  AND n.nspname !~ '^pg_(toast_)?temp_' AND n.nspname <> $1"
	"  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e"
	"   WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')"
	" ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"";

static char *dup_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : xstrdup(PQgetvalue(res, row, col));
}

/* List the relations of the snapshot (REL_QUERY). */
static int read_rels(PGconn *c, const char *ledger_schema, struct snapshot *s, struct buf *err)
{
	const char *params[1] = { ledger_schema ? ledger_schema : "" };
	PGresult *res = PQexecParams(c, REL_QUERY, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		buf_printf(err, "cannot list the tables and sequences: %s", PQresultErrorMessage(res));
		buf_rtrim(err);
		PQclear(res);
		return -1;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		struct rel r = {
			.kind = PQgetvalue(res, i, 0)[0],
			.schema = xstrdup(PQgetvalue(res, i, 1)),
			.name = xstrdup(PQgetvalue(res, i, 2)),
			.parent_schema = dup_or_null(res, i, 3),
			.parent_name = dup_or_null(res, i, 4),
			.owner_schema = dup_or_null(res, i, 5),
			.owner_table = dup_or_null(res, i, 6),
			.owner_column = dup_or_null(res, i, 7),
		};
		r.id = xasprintf("%s.%s", r.schema, r.name);
		VEC_PUSH(&s->rels, r);
	}
	PQclear(res);
	return 0;
}

/*
 * Exact row counts and sequence positions: one UNION ALL query per
 * COUNT_CHUNK relations, every name quoted by libpq.
 */
static int read_values(PGconn *c, struct snapshot *s, struct buf *err)
{
	for (size_t from = 0; from < s->rels.n; from += COUNT_CHUNK) {
		size_t to = from + COUNT_CHUNK < s->rels.n ? from + COUNT_CHUNK : s->rels.n;
		struct buf sql = BUF_INIT;
		for (size_t i = from; i < to; i++) {
			const struct rel *r = &s->rels.v[i];
			char *qs = conn_quote_ident(c, r->schema), *qn = conn_quote_ident(c, r->name);
			if (i > from)
				buf_adds(&sql, " UNION ALL ");
			if (r->kind == 'r')
				buf_printf(&sql, "SELECT %zu, pg_catalog.count(*), NULL::pg_catalog.bool FROM ONLY %s.%s",
					   i, qs, qn);
			else
				buf_printf(&sql, "SELECT %zu, last_value, is_called FROM %s.%s", i, qs, qn);
			free(qs);
			free(qn);
		}
		PGresult *res = PQexec(c, sql.s);
		buf_release(&sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			buf_printf(err, "cannot count the rows: %s", PQresultErrorMessage(res));
			buf_rtrim(err);
			PQclear(res);
			return -1;
		}
		for (int k = 0; k < PQntuples(res); k++) {
			size_t i = (size_t)strtoull(PQgetvalue(res, k, 0), NULL, 10);
			if (i < from || i >= to)
				continue;
			s->rels.v[i].value = strtoll(PQgetvalue(res, k, 1), NULL, 10);
			s->rels.v[i].is_called = !PQgetisnull(res, k, 2) && PQgetvalue(res, k, 2)[0] == 't';
		}
		PQclear(res);
	}
	return 0;
}

/* Read the catalog model, the row counts and the sequences of the database. */
static int snapshot_take(const char *conninfo, const struct verify_opts *o, struct snapshot *s, struct buf *err)
{
	PGconn *c = conn_open(conninfo, err);
	if (!c)
		return -1;
	struct catalog_opts co = { .ledger_schema = o->ledger_schema, .grants = true };
	int rc = catalog_load(c, &co, &s->m, err);
	if (rc == 0)
		rc = read_rels(c, o->ledger_schema, s, err);
	if (rc == 0)
		rc = read_values(c, s, err);
	PQfinish(c);
	return rc;
}

static int rel_cmp(const char *schema, const char *name, const struct rel *r)
{
	int c = strcmp(schema, r->schema);
	return c ? c : strcmp(name, r->name);
}

/* The relation schema.name of a snapshot, or NULL (binary search). */
static const struct rel *rel_find(const struct snapshot *s, const char *schema, const char *name)
{
	size_t lo = 0, hi = s->rels.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = rel_cmp(schema, name, &s->rels.v[mid]);
		if (!c)
			return &s->rels.v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* ---- what the files write: facts from the parse trees ------------------- */

enum fact_kind {
	FACT_WRITE,		/* INSERT, DELETE, MERGE, COPY FROM, TRUNCATE: may change the row count */
	FACT_SOFT_WRITE,	/* INSERT ... ON CONFLICT, UPDATE */
	FACT_SEQ_REF,		/* nextval('s') / setval('s', ...) / ALTER SEQUENCE s */
	FACT_SEQ_DEFAULT,	/* nextval('s') inside CREATE / ALTER TABLE: a column default */
	FACT_CREATE,		/* CREATE TABLE [AS] / CREATE SEQUENCE */
};

enum body_kind { BODY_NONE, BODY_DO, BODY_FUNCTION, BODY_RULE };

struct fact {
	enum fact_kind kind;
	char *schema, *name;		/* the target as written; schema NULL when unqualified */
	char *table_schema, *table_name;	/* FACT_SEQ_DEFAULT: the table whose default it is */
	struct sqlfile *f;
	size_t start, end;		/* where a finding points */
	enum body_kind body;
	char *func;			/* BODY_FUNCTION: the function's name */
};

/* A DO block or a function, for "its text mentions the table". */
struct body {
	struct sqlfile *f;
	size_t stmt;
	enum body_kind kind;
	char *func;
};

struct trigger {
	char *name, *table, *func;
	struct sqlfile *f;
	size_t start;
};

struct facts {
	VEC(struct fact) v;
	VEC(struct body) bodies;
	VEC(struct trigger) triggers;
};

static void facts_release(struct facts *fx)
{
	for (size_t i = 0; i < fx->v.n; i++) {
		free(fx->v.v[i].schema);
		free(fx->v.v[i].name);
		free(fx->v.v[i].table_schema);
		free(fx->v.v[i].table_name);
		free(fx->v.v[i].func);
	}
	VEC_FREE(&fx->v);
	for (size_t i = 0; i < fx->bodies.n; i++)
		free(fx->bodies.v[i].func);
	VEC_FREE(&fx->bodies);
	for (size_t i = 0; i < fx->triggers.n; i++) {
		free(fx->triggers.v[i].name);
		free(fx->triggers.v[i].table);
		free(fx->triggers.v[i].func);
	}
	VEC_FREE(&fx->triggers);
}

/* Where the statements of one walk are, and what encloses them. */
struct walk {
	struct facts *fx;
	struct sqlfile *f;
	size_t start, end;		/* where facts found in this walk point */
	enum body_kind body;
	const char *func;
	const PgQuery__RangeVar *table;	/* inside CREATE / ALTER TABLE */
};

static void add_fact(struct walk *w, enum fact_kind kind, const char *schema, const char *name)
{
	if (!name || !*name)
		return;
	struct fact f = {
		.kind = kind,
		.schema = schema && *schema ? xstrdup(schema) : NULL,
		.name = xstrdup(name),
		.f = w->f,
		.start = w->start,
		.end = w->end,
		.body = w->body,
		.func = w->func ? xstrdup(w->func) : NULL,
	};
	if (kind == FACT_SEQ_DEFAULT && w->table) {
		f.table_schema = w->table->schemaname && *w->table->schemaname ? xstrdup(w->table->schemaname) : NULL;
		f.table_name = xstrdup(w->table->relname);
	}
	VEC_PUSH(&w->fx->v, f);
}

static void add_rv(struct walk *w, enum fact_kind kind, const PgQuery__RangeVar *rv)
{
	if (rv)
		add_fact(w, kind, rv->schemaname, rv->relname);
}

static const char *str_node(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

/* The last name of a qualified name (a list of String nodes). */
static const char *last_name(PgQuery__Node *const *items, size_t n)
{
	return n ? str_node(items[n - 1]) : NULL;
}

/*
 * Split a regclass literal ('public.s', 's', '"My Seq"') the way the
 * server reads it: unquoted parts fold to lower case. Returns false when it
 * is not a one- or two-part name.
 */
static bool split_regclass(const char *lit, char **schema, char **name)
{
	char *parts[3] = { NULL, NULL, NULL };
	int n = 0;
	const char *p = lit;
	while (*p && n < 3) {
		struct buf b = BUF_INIT;
		if (*p == '"') {
			for (p++; *p; p++) {
				if (*p == '"') {
					if (p[1] != '"')
						break;
					p++;
				}
				buf_addch(&b, *p);
			}
			if (*p != '"') {
				buf_release(&b);
				break;
			}
			p++;
		} else {
			for (; *p && *p != '.'; p++) {
				char ch = *p;
				if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
				      ch == '_' || ch == '$' || (unsigned char)ch >= 0x80)) {
					buf_release(&b);
					goto bad;
				}
				buf_addch(&b, ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch);
			}
		}
		if (!b.len) {
			buf_release(&b);
			goto bad;
		}
		parts[n++] = buf_detach(&b);
		if (*p == '.')
			p++;
		else if (*p)
			goto bad;
	}
	if (*p || n == 0 || n > 2)
		goto bad;
	*schema = n == 2 ? parts[0] : NULL;
	*name = parts[n - 1];
	return true;
bad:
	for (int i = 0; i < 3; i++)
		free(parts[i]);
	return false;
}

/* A string constant, possibly cast ('s'::regclass), or NULL. */
static const char *const_string(const PgQuery__Node *n)
{
	if (n && n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		n = n->type_cast->arg;
	if (!n || n->node_case != PG_QUERY__NODE__NODE_A_CONST)
		return NULL;
	const PgQuery__AConst *c = n->a_const;
	return c->val_case == PG_QUERY__A__CONST__VAL_SVAL && c->sval ? c->sval->sval : NULL;
}

/* Facts of one node of a parse tree (the walker calls this for every message). */
static void visit(const ProtobufCMessage *m, struct walk *w)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	if (d == &pg_query__insert_stmt__descriptor) {
		const PgQuery__InsertStmt *s = (const void *)m;
		add_rv(w, s->on_conflict_clause ? FACT_SOFT_WRITE : FACT_WRITE, s->relation);
	} else if (d == &pg_query__delete_stmt__descriptor) {
		add_rv(w, FACT_WRITE, ((const PgQuery__DeleteStmt *)(const void *)m)->relation);
	} else if (d == &pg_query__update_stmt__descriptor) {
		add_rv(w, FACT_SOFT_WRITE, ((const PgQuery__UpdateStmt *)(const void *)m)->relation);
	} else if (d == &pg_query__merge_stmt__descriptor) {
		add_rv(w, FACT_WRITE, ((const PgQuery__MergeStmt *)(const void *)m)->relation);
	} else if (d == &pg_query__copy_stmt__descriptor) {
		const PgQuery__CopyStmt *s = (const void *)m;
		if (s->is_from)
			add_rv(w, FACT_WRITE, s->relation);
	} else if (d == &pg_query__truncate_stmt__descriptor) {
		const PgQuery__TruncateStmt *s = (const void *)m;
		for (size_t i = 0; i < s->n_relations; i++)
			if (s->relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
				add_rv(w, FACT_WRITE, s->relations[i]->range_var);
	} else if (d == &pg_query__alter_seq_stmt__descriptor) {
		add_rv(w, FACT_SEQ_REF, ((const PgQuery__AlterSeqStmt *)(const void *)m)->sequence);
	} else if (d == &pg_query__func_call__descriptor) {
		const PgQuery__FuncCall *fc = (const void *)m;
		const char *fn = last_name(fc->funcname, fc->n_funcname);
		const char *lit = fc->n_args ? const_string(fc->args[0]) : NULL;
		char *schema, *name;
		if (fn && lit && (!strcmp(fn, "nextval") || !strcmp(fn, "setval")) &&
		    split_regclass(lit, &schema, &name)) {
			add_fact(w, w->table ? FACT_SEQ_DEFAULT : FACT_SEQ_REF, schema, name);
			free(schema);
			free(name);
		}
	}
}

/* Call visit() for every message of a parse tree, depth first. */
static void walk_tree(const ProtobufCMessage *m, struct walk *w)
{
	if (!m)
		return;
	visit(m, w);
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		if (fd->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(const void *)(base + fd->quantifier_offset) != fd->id)
			continue;
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(const void *)(base + fd->quantifier_offset);
			ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)(const void *)(base + fd->offset);
			for (size_t k = 0; k < n; k++)
				walk_tree(arr[k], w);
		} else {
			walk_tree(*(ProtobufCMessage *const *)(const void *)(base + fd->offset), w);
		}
	}
}

static size_t word_end(const char *t, size_t from, size_t limit)
{
	size_t e = from;
	while (e < limit && t[e] != ' ' && t[e] != '\t' && t[e] != '\n' && t[e] != '\r' && t[e] != '(' &&
	       t[e] != ';')
		e++;
	return e;
}

/* Parse SQL found in a body and walk it; its facts point at [at, word end). */
static void walk_inner_sql(struct walk *outer, const char *sql, size_t at, size_t limit)
{
	PgQueryProtobufParseResult pr = pg_query_parse_protobuf(sql);
	if (pr.error) {
		/* an expression, not a statement: PL/pgSQL runs it as SELECT <expr> */
		pg_query_free_protobuf_parse_result(pr);
		char *sel = xasprintf("SELECT %s", sql);
		pr = pg_query_parse_protobuf(sel);
		free(sel);
		if (pr.error) {
			pg_query_free_protobuf_parse_result(pr);
			return;
		}
	}
	PgQuery__ParseResult *tree = pg_query__parse_result__unpack(NULL, pr.parse_tree.len,
								     (const uint8_t *)pr.parse_tree.data);
	pg_query_free_protobuf_parse_result(pr);
	if (!tree)
		abort();	/* libpg_query produced protobuf it cannot read */
	struct walk w = *outer;
	w.start = at;
	w.end = word_end(outer->f->src.text, at, limit);
	for (size_t i = 0; i < tree->n_stmts; i++)
		walk_tree((const ProtobufCMessage *)tree->stmts[i]->stmt, &w);
	pg_query__parse_result__free_unpacked(tree, NULL);
}

/* File offset of the first non-blank of PL/pgSQL line `lineno` of a body. */
static size_t body_line_offset(struct sqlfile *f, const struct stmt *st, int lineno)
{
	int body_line, col;
	source_linecol(&f->src, st->body_start, &body_line, &col);
	size_t off = source_line_start(&f->src, body_line + (lineno > 0 ? lineno - 1 : 0));
	size_t end = st->start + st->len;
	if (off < st->start || off >= end)
		return st->start;
	while (off < end && (f->src.text[off] == ' ' || f->src.text[off] == '\t'))
		off++;
	return off;
}

/* Walk PL/pgSQL's JSON: every PLpgSQL_expr's query, at its statement's line. */
static void walk_plpgsql_json(struct walk *w, const struct stmt *st, json_t *j, int lineno)
{
	if (json_is_array(j)) {
		size_t i;
		json_t *e;
		json_array_foreach(j, i, e)
			walk_plpgsql_json(w, st, e, lineno);
		return;
	}
	if (!json_is_object(j))
		return;
	json_t *ln = json_object_get(j, "lineno");
	if (json_is_integer(ln))
		lineno = (int)json_integer_value(ln);
	json_t *expr = json_object_get(j, "PLpgSQL_expr");
	const char *q = json_string_value(json_object_get(expr, "query"));
	if (q) {
		size_t at = body_line_offset(w->f, st, lineno), end = st->start + st->len;
		const char *hit = memmem(w->f->src.text + at, end - at, q, strlen(q));
		walk_inner_sql(w, q, hit ? (size_t)(hit - w->f->src.text) : at, end);
	}
	const char *key;
	json_t *v;
	json_object_foreach(j, key, v)
		if (strcmp(key, "PLpgSQL_expr") != 0)
			walk_plpgsql_json(w, st, v, lineno);
}

/* The statements inside a DO block or a function body. */
static void walk_body(struct walk *w, const struct stmt *st, const char *lang, const char *body)
{
	if (!lang || !strcmp(lang, "sql")) {
		if (!body || !st->body_start)
			return;	/* BEGIN ATOMIC: walked with the statement's own tree */
		walk_inner_sql(w, body, st->body_start, st->start + st->len);
		return;
	}
	if (strcmp(lang, "plpgsql") != 0)
		return;
	char *text = xstrndup(w->f->src.text + st->start, st->len);
	PgQueryPlpgsqlParseResult pr = pg_query_parse_plpgsql(text);
	free(text);
	if (!pr.error && pr.plpgsql_funcs && st->body_start) {
		json_t *j = json_loads(pr.plpgsql_funcs, 0, NULL);
		walk_plpgsql_json(w, st, j, 0);
		json_decref(j);
	}
	pg_query_free_plpgsql_parse_result(pr);
}

/* Collect the facts of every statement of the files run 1 applied. */
static void facts_build(struct facts *fx, struct sqlfile *const *files, size_t nfiles)
{
	for (size_t k = 0; k < nfiles; k++) {
		struct sqlfile *f = files[k];
		if (!f->tree)
			continue;
		for (size_t s = 0; s < f->stmts.n && s < f->tree->n_stmts; s++) {
			const struct stmt *st = &f->stmts.v[s];
			const PgQuery__Node *n = f->tree->stmts[s]->stmt;
			struct walk w = { .fx = fx, .f = f, .start = st->start,
					  .end = word_end(f->src.text, st->start, st->start + st->len) };
			switch (n->node_case) {
			case PG_QUERY__NODE__NODE_CREATE_STMT:
				w.table = n->create_stmt->relation;
				add_rv(&w, FACT_CREATE, w.table);
				break;
			case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
				if (n->create_table_as_stmt->into)
					add_rv(&w, FACT_CREATE, n->create_table_as_stmt->into->rel);
				break;
			case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
				add_rv(&w, FACT_CREATE, n->create_seq_stmt->sequence);
				continue;	/* its options name no other sequence */
			case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
				w.table = n->alter_table_stmt->relation;
				break;
			case PG_QUERY__NODE__NODE_RULE_STMT:
				w.body = BODY_RULE;
				break;
			case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT: {
				const PgQuery__CreateTrigStmt *t = n->create_trig_stmt;
				const char *fn = last_name(t->funcname, t->n_funcname);
				struct trigger tr = {
					.name = xstrdup(t->trigname ? t->trigname : ""),
					.table = xstrdup(t->relation && t->relation->relname ? t->relation->relname : ""),
					.func = xstrdup(fn ? fn : ""),
					.f = f,
					.start = st->start,
				};
				VEC_PUSH(&fx->triggers, tr);
				break;
			}
			case PG_QUERY__NODE__NODE_DO_STMT: {
				const PgQuery__DoStmt *d = n->do_stmt;
				struct body b = { f, s, BODY_DO, NULL };
				VEC_PUSH(&fx->bodies, b);
				w.body = BODY_DO;
				const char *lang = sqlfile_option_string(d->args, d->n_args, "language");
				walk_body(&w, st, lang ? lang : "plpgsql", sqlfile_option_string(d->args, d->n_args, "as"));
				continue;
			}
			case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT: {
				const PgQuery__CreateFunctionStmt *cf = n->create_function_stmt;
				const char *fn = last_name(cf->funcname, cf->n_funcname);
				struct body b = { f, s, BODY_FUNCTION, xstrdup(fn ? fn : "") };
				VEC_PUSH(&fx->bodies, b);
				w.body = BODY_FUNCTION;
				w.func = fn;
				walk_body(&w, st, sqlfile_option_string(cf->options, cf->n_options, "language"),
					  sqlfile_option_string(cf->options, cf->n_options, "as"));
				break;	/* and its tree: a BEGIN ATOMIC body lives there */
			}
			default:
				break;
			}
			walk_tree((const ProtobufCMessage *)n, &w);
		}
	}
}

static bool word_char(char ch)
{
	return ch == '_' || ch == '$' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || (unsigned char)ch >= 0x80;
}

/* Whether text[0, len) holds `word` as a whole word (case-insensitive). */
static bool mentions(const char *text, size_t len, const char *word)
{
	size_t n = strlen(word);
	for (size_t i = 0; n && i + n <= len; i++) {
		if (strncasecmp(text + i, word, n) != 0)
			continue;
		if ((i == 0 || !word_char(text[i - 1])) && (i + n == len || !word_char(text[i + n])))
			return true;
	}
	return false;
}

/* ---- the run ------------------------------------------------------------ */

struct ctx {
	const char *conninfo;
	const struct verify_opts *o;
	struct verify_result *r;
	struct diag *d;
	struct project sub;		/* the phases verify applies (shallow copy) */
	struct apply_result *first;	/* run 1: the files the findings point into */
	char **text;			/* run 1's bytes of each file, failed statements blanked */
	bool *dirty;			/* text changed since its copy was written */
	struct facts fx;
	bool facts_built;
	struct map reported;		/* what comparison 1-2 reported (keys in reported_keys) */
	VEC(char *) reported_keys;
};

static void say(const struct ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct ctx *x, const char *fmt, ...)
{
	if (!x->o->progress)
		return;
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	x->o->progress(x->o->progress_ctx, b.s);
	buf_release(&b);
}

static const char *const run_word[] = { "first", "second", "third" };

/* "run 2 of 3: 4 files, 11 statements applied in 12 ms" */
static void say_applied(const struct ctx *x, int n, int files, int statements, double ms)
{
	say(x, "run %d of 3: %d file%s, %d statement%s applied%s in %.0f ms", n + 1, files, files == 1 ? "" : "s",
	    statements, statements == 1 ? "" : "s", n ? "" : " to the empty database", ms);
}

/* One apply of the files on a fresh connection; the attempt is kept in r->applies. */
static enum apply_outcome apply_once(struct ctx *x, struct diag *d, struct apply_result **out, struct buf *err)
{
	struct apply_result *ar = xmalloc(sizeof(*ar));
	apply_result_init(ar);
	VEC_PUSH(&x->r->applies, ar);
	*out = ar;
	PGconn *c = conn_open(x->conninfo, err);
	if (!c)
		return ar->outcome = APPLY_ERROR;
	struct apply_opts ao = {
		.seed = x->o->seed,
		.tests = TESTS_SKIP,
		.wait_ms = x->o->wait_ms,
		.env_name = "verify",
		.ledger_schema = x->o->ledger_schema,
		.progress = x->o->progress,
		.progress_ctx = x->o->progress_ctx,
	};
	enum apply_outcome oc = apply_run(c, &x->sub, &ao, d, ar, err);
	PQfinish(c);
	return oc;
}

/* Write the copies whose text changed (all of them the first time). */
static int write_copies(struct ctx *x, struct buf *err)
{
	for (size_t k = 0; k < x->sub.files.n; k++) {
		if (!x->dirty[k])
			continue;
		const char *path = x->r->copies.v[k];
		FILE *fp = fopen(path, "wb");
		size_t len = strlen(x->text[k]);
		if (!fp || fwrite(x->text[k], 1, len, fp) != len || fclose(fp) != 0) {
			buf_printf(err, "cannot write %s: %s", path, strerror(errno));
			return -1;
		}
		x->dirty[k] = false;
	}
	return 0;
}

/*
 * After run 1: keep its bytes and point the project at copies of them, so
 * that every later run applies exactly what run 1 applied.
 */
static int make_copies(struct ctx *x, struct buf *err)
{
	const char *tmp = getenv("TMPDIR");
	char *templ = xasprintf("%s/ssot-verify-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(templ)) {
		buf_printf(err, "cannot create a temporary directory in %s: %s", tmp && *tmp ? tmp : "/tmp",
			   strerror(errno));
		free(templ);
		return -1;
	}
	x->r->tmpdir = templ;
	size_t n = x->sub.files.n;
	x->text = xcalloc(n ? n : 1, sizeof(*x->text));
	x->dirty = xcalloc(n ? n : 1, sizeof(*x->dirty));
	if (x->first->sqlfiles.n != n) {
		buf_printf(err, "internal error: %zu files applied, %zu expected", x->first->sqlfiles.n, n);
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		const struct sqlfile *f = x->first->sqlfiles.v[k];
		x->text[k] = xstrndup(f->src.text ? f->src.text : "", f->src.len);
		x->dirty[k] = true;
		VEC_PUSH(&x->r->copies, xasprintf("%s/%zu.sql", templ, k));
		x->sub.files.v[k].fs_path = x->r->copies.v[k];
	}
	return write_copies(x, err);
}

/* Index of the statement of f holding byte `off`, or SIZE_MAX. */
static size_t stmt_at(const struct sqlfile *f, size_t off)
{
	for (size_t s = 0; s < f->stmts.n; s++)
		if (off >= f->stmts.v[s].start && off <= f->stmts.v[s].start + f->stmts.v[s].len)
			return s;
	return SIZE_MAX;
}

/* Replace statement s of file k by spaces (newlines kept: every offset stays put). */
static void blank_stmt(struct ctx *x, size_t k, const struct stmt *st)
{
	char *t = x->text[k];
	size_t end = st->start + st->len;
	for (size_t i = st->start; i < end && t[i]; i++)
		if (t[i] != '\n')
			t[i] = ' ';
	x->dirty[k] = true;
}

static const struct {
	const char *code, *name;
} conditions[] = {
	{ "42710", "duplicate_object" },
	{ "42P07", "duplicate_table" },
	{ "42P06", "duplicate_schema" },
	{ "42701", "duplicate_column" },
	{ "42723", "duplicate_function" },
	{ "42P16", "invalid_table_definition" },
	{ "23505", "unique_violation" },
	{ "42P01", "undefined_table" },
	{ "42703", "undefined_column" },
	{ "42704", "undefined_object" },
	{ "42883", "undefined_function" },
};

static const char *condition_name(const char *sqlstate)
{
	for (size_t i = 0; sqlstate && i < sizeof(conditions) / sizeof(conditions[0]); i++)
		if (!strcmp(conditions[i].code, sqlstate))
			return conditions[i].name;
	return NULL;
}

/* An SQL error of re-run `n` (1, 2): say which run it failed on, and how to guard it. */
static void relabel_failure(struct finding *f, int n)
{
	char *msg = xasprintf("failed on the %s run: %s", run_word[n], f->message);
	diag_set(&f->message, msg);
	free(msg);
	diag_set(&f->rule, n == 1 ? "verify-second-run-failed" : "verify-third-run-failed");
	const char *cond = condition_name(f->sqlstate);
	if (cond && !f->hint) {
		char *h = xasprintf("a %s run raises %s (SQLSTATE %s) here: use IF NOT EXISTS or OR REPLACE "
				    "where PostgreSQL has them, else catch %s in a DO block",
				    run_word[n], cond, f->sqlstate, cond);
		diag_set(&f->hint, h);
		free(h);
	}
}

/*
 * Re-run `n` (1: the second run, 2: the third): apply until an attempt
 * commits. A statement that fails is reported, blanked out of the copies,
 * and the run applied again; statements that fail after the commit
 * (CONCURRENTLY, VACUUM, ...) are blanked for later runs only.
 */
static enum verify_outcome rerun(struct ctx *x, int n, struct buf *err)
{
	struct verify_run_stat *rs = &x->r->run[n];
	int max = x->o->max_failures > 0 ? x->o->max_failures : VERIFY_MAX_FAILURES;
	for (;;) {
		struct diag scratch;
		diag_init(&scratch);
		struct apply_result *ar;
		rs->attempts++;
		double t0 = now_ms();
		enum apply_outcome oc = apply_once(x, &scratch, &ar, err);
		rs->apply_ms += now_ms() - t0;
		if (oc == APPLY_OK) {
			diag_release(&scratch);
			say_applied(x, n, ar->files, ar->statements + (int)ar->nontx.n, rs->apply_ms);
			return VERIFY_DONE;
		}
		if (oc == APPLY_INTERRUPTED || oc == APPLY_ERROR || oc == APPLY_REFUSED) {
			if (oc == APPLY_REFUSED)
				buf_printf(err, "the %s run could not apply the files", run_word[n]);
			/* keep what it found: the findings point into ar, which the result owns */
			for (size_t i = 0; i < scratch.items.n; i++)
				VEC_PUSH(&x->d->items, scratch.items.v[i]);
			scratch.items.n = 0;
			diag_release(&scratch);
			return oc == APPLY_INTERRUPTED ? VERIFY_INTERRUPTED : VERIFY_ERROR;
		}

		bool blanked = false;
		const char *where = NULL;
		int where_line = 0;
		for (size_t i = 0; i < scratch.items.n; i++) {
			struct finding *f = &scratch.items.v[i];
			for (size_t k = 0; f->src && k < ar->sqlfiles.n; k++) {
				struct sqlfile *sf = ar->sqlfiles.v[k];
				if (&sf->src != f->src)
					continue;
				size_t s = stmt_at(sf, f->start);
				if (s == SIZE_MAX)
					break;
				blank_stmt(x, k, &sf->stmts.v[s]);
				blanked = true;
				int col;
				where = sf->src.path;
				source_linecol(&sf->src, sf->stmts.v[s].start, &where_line, &col);
				break;
			}
			if (f->severity == SEV_ERROR) {
				relabel_failure(f, n);
				rs->failed++;
				if (n == 1)
					x->r->second_run_failed++;
				else
					x->r->third_run_failed++;
			}
			VEC_PUSH(&x->d->items, *f);
		}
		scratch.items.n = 0;
		diag_release(&scratch);
		if (!blanked) {
			buf_printf(err, "the %s run could not apply the files", run_word[n]);
			return VERIFY_ERROR;
		}
		if (write_copies(x, err) < 0)
			return VERIFY_ERROR;
		if (ar->nontx.n) {
			/* the transaction committed; only statements after it failed */
			say_applied(x, n, ar->files, ar->statements + (int)ar->nontx.n, rs->apply_ms);
			return VERIFY_DONE;
		}
		if (rs->failed > max) {
			struct finding *f = diag_add(x->d, SEV_NOTE, n == 1 ? "verify-second-run-failed" :
						     "verify-third-run-failed", NULL, 0, 0,
						     "more than %d statements fail on the %s run: stopped looking for "
						     "more; the snapshots were not compared", max, run_word[n]);
			diag_set(&f->hint, "fix these first, then run 'ssot verify' again");
			return VERIFY_GAVE_UP;
		}
		say(x, "run %d of 3: %s:%d failed; applying the run again without that statement", n + 1, where,
		    where_line);
	}
}

/* ---- comparing snapshots ------------------------------------------------ */

/* Remember that comparison 1-2 reported `what` about `id`; returns whether it had been. */
static bool mark_reported(struct ctx *x, const char *what, const char *id)
{
	char *key = xasprintf("%s\x1f%s", what, id);
	if (map_get(&x->reported, key)) {
		free(key);
		return true;
	}
	VEC_PUSH(&x->reported_keys, key);
	map_put(&x->reported, key, key);
	return false;
}

static bool was_reported(struct ctx *x, const char *what, const char *id)
{
	char *key = xasprintf("%s\x1f%s", what, id);
	bool r = map_get(&x->reported, key) != NULL;
	free(key);
	return r;
}

/* Phrases of the two comparisons: 0 = first against second run, 1 = fresh against third. */
static const char *const changed_fmt[] = { "%s %s: %s changed on re-apply",
					   "%s %s: %s differs between a fresh build and the files applied three times" };
static const char *const created_fmt[] = { "%s %s was created by the re-apply",
					   "%s %s appears only after the files are applied three times" };
static const char *const dropped_fmt[] = { "%s %s was dropped by the re-apply",
					   "%s %s is in a fresh build but gone after the files are applied three times" };
static const char *const rows_fmt[] = { "rows of %s changed on re-apply: %lld → %lld",
					"rows of %s differ between a fresh build and the files applied three times: "
					"%lld → %lld" };
static const char *const seq_fmt[] = { "sequence %s moved on re-apply: %s → %s",
				       "sequence %s differs between a fresh build and the files applied three times: "
				       "%s → %s" };

static const char *rule_of(int phase, const char *rule)
{
	return phase ? "verify-fresh-differs" : rule;
}

static void count_finding(struct ctx *x, int phase, int *counter)
{
	if (phase)
		x->r->fresh_differs++;
	else
		(*counter)++;
}

/* The object of snapshot `m` with display id `id` and a declaration, or NULL. */
static const struct mobj *declared_by_id(const struct model *m, const char *id)
{
	for (size_t i = 0; i < m->objs.n; i++)
		if (m->objs.v[i]->src && !strcmp(m->objs.v[i]->id, id))
			return m->objs.v[i];
	return NULL;
}

/* Catalog: diff the two models and say it the verify way. */
static void compare_catalog(struct ctx *x, struct snapshot *a, struct snapshot *b, int phase)
{
	struct diag scratch;
	diag_init(&scratch);
	struct diff_opts dopts = { .strict_column_order = true };
	diff_models(&a->m, &b->m, &dopts, &scratch, NULL);
	for (size_t i = 0; i < scratch.items.n; i++) {
		struct finding *f = &scratch.items.v[i];
		/* unsupported objects are compared below, by their identity */
		bool keep = f->status && f->object && f->kind && strcmp(f->kind, "unsupported") != 0;
		if (keep && phase == 0)
			mark_reported(x, "catalog", f->object);
		else if (keep)
			keep = !was_reported(x, "catalog", f->object);
		if (!keep)
			continue;	/* stays in scratch, freed with it */
		struct buf msg = BUF_INIT;
		if (!strcmp(f->status, "changed")) {
			/* diff says "<kind> <id>: <attribute> differs" */
			char *prefix = xasprintf("%s %s: ", f->kind, f->object);
			const char *attr = f->message;
			size_t pl = strlen(prefix), ml = strlen(f->message);
			char *a_name = NULL;
			if (!strncmp(f->message, prefix, pl) && ml > pl + 8 &&
			    !strcmp(f->message + ml - 8, " differs"))
				attr = a_name = xstrndup(f->message + pl, ml - pl - 8);
			buf_printf(&msg, changed_fmt[phase], f->kind, f->object, attr);
			free(a_name);
			free(prefix);
		} else if (!strcmp(f->status, "missing")) {
			buf_printf(&msg, dropped_fmt[phase], f->kind, f->object);
		} else {
			buf_printf(&msg, created_fmt[phase], f->kind, f->object);
			const struct mobj *o = declared_by_id(&b->m, f->object);
			if (o) {
				f->src = o->src;
				f->start = o->start;
				f->end = o->end;
			}
		}
		diag_set(&f->message, msg.s);
		buf_release(&msg);
		diag_set(&f->rule, rule_of(phase, "verify-not-idempotent"));
		diag_set(&f->status, NULL);
		diag_set(&f->suggestion, NULL);
		f->severity = SEV_ERROR;
		VEC_PUSH(&x->d->items, *f);
		memset(f, 0, sizeof(*f));	/* moved: d owns its strings now */
		count_finding(x, phase, &x->r->objects_changed);
	}
	diag_release(&scratch);

	/* objects ssot does not model: present on one side only is a change; on both, a note */
	for (int side = 0; side < 2; side++) {
		const struct model *m = side ? &b->m : &a->m, *other = side ? &a->m : &b->m;
		for (size_t i = 0; i < m->objs.n; i++) {
			const struct mobj *u = m->objs.v[i];
			if (u->kind != OBJ_UNSUPPORTED)
				continue;
			bool both = model_find(other, u->key) != NULL;
			if (both && (side || phase))
				continue;
			if (phase == 0)
				mark_reported(x, "catalog", u->id);
			else if (was_reported(x, "catalog", u->id))
				continue;
			struct finding *f;
			if (both) {
				f = diag_add(x->d, SEV_NOTE, "verify-not-idempotent", u->src, u->start, u->end,
					     "%s %s is not modelled by ssot: whether a re-apply changes it is not checked",
					     u->what, u->id);
			} else {
				f = diag_add(x->d, SEV_ERROR, rule_of(phase, "verify-not-idempotent"), u->src, u->start,
					     u->end, side ? created_fmt[phase] : dropped_fmt[phase], u->what, u->id);
				count_finding(x, phase, &x->r->objects_changed);
			}
			diag_set(&f->object, u->id);
			diag_set(&f->kind, u->what);
		}
	}
}

struct spot {
	struct sqlfile *f;
	size_t start, end;
	char *detail;
};

struct spots {
	struct spot *v;
	size_t n, cap;
};

static void add_spot(struct spots *spots, struct sqlfile *f, size_t start, size_t end, char *detail)
{
	for (size_t i = 0; i < spots->n; i++)
		if (spots->v[i].f == f && spots->v[i].start == start) {
			free(detail);
			return;
		}
	struct spot s = { f, start, end, detail };
	VEC_PUSH(spots, s);
}

static bool names(const char *schema, const char *name, const char *want_schema, const char *want_name)
{
	return name && want_name && !strcmp(name, want_name) && (!schema || !want_schema || !strcmp(schema, want_schema));
}

/* "inside function log_item(), called by trigger t ON items (db/run/x.sql:12)" (caller frees). */
static char *body_detail(struct ctx *x, const struct fact *fa)
{
	if (fa->body == BODY_DO)
		return xstrdup("inside a DO block");
	if (fa->body == BODY_RULE)
		return xstrdup("inside a rule: it runs with every statement the rule matches");
	if (fa->body != BODY_FUNCTION)
		return NULL;
	struct buf b = BUF_INIT;
	buf_printf(&b, "inside function %s()", fa->func ? fa->func : "?");
	int ntrig = 0;
	for (size_t i = 0; i < x->fx.triggers.n; i++) {
		struct trigger *t = &x->fx.triggers.v[i];
		if (!fa->func || strcmp(t->func, fa->func) != 0)
			continue;
		int line, col;
		source_linecol(&t->f->src, t->start, &line, &col);
		buf_printf(&b, "%s trigger %s ON %s (%s:%d)", ntrig++ ? "," : ", called by", t->name, t->table,
			   t->f->src.path, line);
	}
	return buf_detach(&b);
}

/* Facts of `kind` (and `body`: 0 top level, 1 inside bodies) about schema.name. */
static void spots_of(struct ctx *x, struct spots *spots, enum fact_kind kind, int in_body, const char *schema,
		     const char *name)
{
	for (size_t i = 0; i < x->fx.v.n; i++) {
		const struct fact *fa = &x->fx.v.v[i];
		if (fa->kind != kind || (fa->body != BODY_NONE) != (in_body != 0) ||
		    !names(fa->schema, fa->name, schema, name))
			continue;
		add_spot(spots, fa->f, fa->start, fa->end, body_detail(x, fa));
	}
}

/* DO blocks and functions whose text names `name`. */
static void spots_mentioning(struct ctx *x, struct spots *spots, const char *name)
{
	for (size_t i = 0; i < x->fx.bodies.n; i++) {
		const struct body *b = &x->fx.bodies.v[i];
		const struct stmt *st = &b->f->stmts.v[b->stmt];
		if (!mentions(b->f->src.text + st->start, st->len, name))
			continue;
		char *det = b->kind == BODY_FUNCTION ? xasprintf("function %s() mentions %s", b->func, name)
						       : xasprintf("the DO block mentions %s", name);
		add_spot(spots, b->f, st->start, word_end(b->f->src.text, st->start, st->start + st->len), det);
	}
}

/* The writers of a table, best guess first (see verify.h). */
static void table_spots(struct ctx *x, struct spots *spots, const char *schema, const char *name,
			const char *pschema, const char *pname)
{
	for (int pass = 0; pass < 4 && !spots->n; pass++) {
		for (int t = 0; t < 2; t++) {
			const char *s = t ? pschema : schema, *n = t ? pname : name;
			if (!n)
				continue;
			switch (pass) {
			case 0:
				spots_of(x, spots, FACT_WRITE, 0, s, n);
				break;
			case 1:
				spots_of(x, spots, FACT_WRITE, 1, s, n);
				spots_of(x, spots, FACT_SOFT_WRITE, 1, s, n);
				break;
			case 2:
				spots_of(x, spots, FACT_SOFT_WRITE, 0, s, n);
				break;
			case 3:
				spots_mentioning(x, spots, n);
				break;
			}
		}
	}
}

static void rel_spots(struct ctx *x, struct spots *spots, const struct rel *r)
{
	if (!x->facts_built) {
		facts_build(&x->fx, x->first->sqlfiles.v, x->first->sqlfiles.n);
		x->facts_built = true;
	}
	if (r->kind == 'r') {
		table_spots(x, spots, r->schema, r->name, r->parent_schema, r->parent_name);
	} else {
		spots_of(x, spots, FACT_SEQ_REF, 0, r->schema, r->name);
		if (!spots->n)
			spots_of(x, spots, FACT_SEQ_REF, 1, r->schema, r->name);
		if (!spots->n)
			spots_mentioning(x, spots, r->name);
		if (!spots->n && r->owner_table)
			table_spots(x, spots, r->owner_schema, r->owner_table, NULL, NULL);
		for (size_t i = 0; !spots->n && i < x->fx.v.n; i++) {
			const struct fact *fa = &x->fx.v.v[i];
			if (fa->kind == FACT_SEQ_DEFAULT && names(fa->schema, fa->name, r->schema, r->name))
				table_spots(x, spots, fa->table_schema ? fa->table_schema : r->schema, fa->table_name,
					    NULL, NULL);
		}
	}
	if (!spots->n) {
		spots_of(x, spots, FACT_CREATE, 0, r->schema, r->name);
		if (!spots->n && r->owner_table)
			spots_of(x, spots, FACT_CREATE, 0, r->owner_schema, r->owner_table);
	}
}

/* One finding per statement responsible (or one without a position). */
static void add_rel_findings(struct ctx *x, const struct rel *r, enum severity sev, const char *rule,
			     const char *msg, const char *before, const char *after, const char *hint)
{
	struct spots spots = VEC_INIT;
	rel_spots(x, &spots, r);
	size_t n = spots.n ? spots.n : 1;
	for (size_t i = 0; i < n; i++) {
		struct spot *s = spots.n ? &spots.v[i] : NULL;
		struct finding *f = diag_add(x->d, sev, rule, s ? &s->f->src : NULL, s ? s->start : 0,
					     s ? s->end : 0, "%s", msg);
		diag_set(&f->object, r->id);
		diag_set(&f->kind, r->kind == 'r' ? "table" : "sequence");
		diag_set(&f->expected, before);
		diag_set(&f->actual, after);
		diag_set(&f->detail, s ? s->detail : NULL);
		diag_set(&f->hint, hint);
		if (s)
			free(s->detail);
	}
	VEC_FREE(&spots);
}

static char *seq_value(const struct rel *r)
{
	return r->is_called ? xasprintf("%lld", r->value) : xasprintf("%lld (is_called false)", r->value);
}

/* Row counts and sequence positions of `a` against `b`. */
static void compare_values(struct ctx *x, struct snapshot *a, struct snapshot *b, int phase)
{
	for (size_t i = 0; i < a->rels.n; i++) {
		const struct rel *ra = &a->rels.v[i];
		const struct rel *rb = rel_find(b, ra->schema, ra->name);
		if (!rb || rb->kind != ra->kind)
			continue;	/* dropped or replaced: the catalog comparison says so */
		if (ra->kind == 'r') {
			if (ra->value == rb->value)
				continue;
			if (phase == 0)
				mark_reported(x, "rows", ra->id);
			else if (was_reported(x, "rows", ra->id))
				continue;
			char *msg = xasprintf(rows_fmt[phase], ra->id, ra->value, rb->value);
			char *before = xasprintf("%lld row%s", ra->value, ra->value == 1 ? "" : "s");
			char *after = xasprintf("%lld row%s", rb->value, rb->value == 1 ? "" : "s");
			add_rel_findings(x, ra, SEV_ERROR, rule_of(phase, "verify-rows-changed"), msg, before, after,
					 "every run writes rows again: make the statement idempotent (INSERT ... ON "
					 "CONFLICT against a unique key, WHERE NOT EXISTS) or move it to seed/");
			free(msg);
			free(before);
			free(after);
			count_finding(x, phase, &x->r->rows_changed);
			continue;
		}
		if (ra->value == rb->value && ra->is_called == rb->is_called)
			continue;
		if (phase == 0)
			mark_reported(x, "sequence", ra->id);
		else if (was_reported(x, "sequence", ra->id))
			continue;
		char *before = seq_value(ra), *after = seq_value(rb);
		const struct rel *owner = NULL, *owner_b = NULL;
		if (ra->owner_table) {
			owner = rel_find(a, ra->owner_schema, ra->owner_table);
			owner_b = rel_find(b, ra->owner_schema, ra->owner_table);
		}
		if (owner && owner_b && owner->value != owner_b->value) {
			/* the table's rows changed: that finding covers its numbering */
		} else if (owner) {
			char *msg = xasprintf("sequence %s of column %s.%s moved on re-apply (%s → %s), but the table "
					      "kept its rows: a gap in the numbering, not a change",
					      ra->id, owner->id, ra->owner_column, before, after);
			add_rel_findings(x, ra, SEV_NOTE, "verify-sequence-changed", msg, before, after,
					 "INSERT ... ON CONFLICT takes the next value before it skips the row; "
					 "harmless unless the numbers must have no gaps");
			free(msg);
		} else {
			char *msg = xasprintf(seq_fmt[phase], ra->id, before, after);
			add_rel_findings(x, ra, SEV_ERROR, rule_of(phase, "verify-sequence-changed"), msg, before, after,
					 "every run moves it: nextval() and setval() with a computed value do not "
					 "belong in run/ (set it once, under a guard that checks its state)");
			free(msg);
			count_finding(x, phase, &x->r->sequences_changed);
		}
		free(before);
		free(after);
	}
}

/* ---- verify_run --------------------------------------------------------- */

/* The "why" and "fix" of each rule (-v, SARIF help). */
static const struct {
	const char *rule, *help;
} helps[] = {
	{ "verify-second-run-failed",
	  "why: the statement works on an empty database but fails once its own effects are there, so every "
	  "apply after the first one fails and rolls back.\n"
	  "fix: make it idempotent: IF NOT EXISTS, OR REPLACE, or a DO block catching exactly the condition the "
	  "server raises (the hint names it)." },
	{ "verify-third-run-failed",
	  "why: the statement fails only after the files ran twice: it depends on state that every run changes "
	  "(a sequence, a row count, the ledger).\n"
	  "fix: make it depend on the schema alone, or guard it by what it needs." },
	{ "verify-not-idempotent",
	  "why: applying the files again changes the catalog, so they do not describe one schema: every apply "
	  "moves it.\n"
	  "fix: no names, comments or definitions computed at apply time, no DO blocks that toggle, no two "
	  "statements that disagree about an object." },
	{ "verify-rows-changed",
	  "why: every apply writes (or deletes) rows again, so the data depends on how often the files ran.\n"
	  "fix: INSERT ... ON CONFLICT against a unique key, or WHERE NOT EXISTS; a trigger that logs must not "
	  "fire for rows a re-run skips; development data belongs in seed/." },
	{ "verify-sequence-changed",
	  "why: every apply moves the sequence, so the next number depends on how often the files ran.\n"
	  "fix: no nextval() in run/; setval() only under a guard that checks the sequence's state." },
	{ "verify-fresh-differs",
	  "why: a database built once from the files differs from one they were applied to three times.\n"
	  "fix: find the state the statements depend on (a sequence, a count, the ledger) and remove that "
	  "dependency." },
};

static void add_help(struct diag *d)
{
	for (size_t i = 0; i < d->items.n; i++) {
		struct finding *f = &d->items.v[i];
		for (size_t k = 0; !f->help && k < sizeof(helps) / sizeof(helps[0]); k++)
			if (!strcmp(f->rule, helps[k].rule))
				diag_set(&f->help, helps[k].help);
	}
}

void verify_result_init(struct verify_result *r)
{
	memset(r, 0, sizeof(*r));
}

void verify_result_release(struct verify_result *r)
{
	for (size_t i = 0; i < r->applies.n; i++) {
		apply_result_release(r->applies.v[i]);
		free(r->applies.v[i]);
	}
	VEC_FREE(&r->applies);
	for (size_t i = 0; i < r->copies.n; i++) {
		unlink(r->copies.v[i]);
		free(r->copies.v[i]);
	}
	VEC_FREE(&r->copies);
	if (r->tmpdir) {
		rmdir(r->tmpdir);
		free(r->tmpdir);
	}
	memset(r, 0, sizeof(*r));
}

static enum verify_outcome snapshot_run(struct ctx *x, int n, struct snapshot *s, struct buf *err)
{
	double t0 = now_ms();
	if (snapshot_take(x->conninfo, x->o, s, err) < 0)
		return VERIFY_ERROR;
	x->r->run[n].snapshot_ms = now_ms() - t0;
	return VERIFY_DONE;
}

enum verify_outcome verify_run(const char *conninfo, const struct project *p, const struct verify_opts *o,
			       struct diag *d, struct verify_result *r, struct buf *err)
{
	double t_start = now_ms();
	struct ctx x = { .conninfo = conninfo, .o = o, .r = r, .d = d };
	enum verify_outcome oc = VERIFY_DONE;
	struct snapshot snap[3];
	for (int i = 0; i < 3; i++)
		snapshot_init(&snap[i]);

	/* prerun + run (+ seed): postrun checks and tests shape nothing */
	x.sub = *p;
	memset(&x.sub.files, 0, sizeof(x.sub.files));
	for (size_t i = 0; i < p->files.n; i++) {
		enum phase ph = p->files.v[i].phase;
		if (ph == PHASE_PRERUN || ph == PHASE_RUN || (ph == PHASE_SEED && o->seed))
			VEC_PUSH(&x.sub.files, p->files.v[i]);
	}

	/* run 1: the empty database */
	double t0 = now_ms();
	r->run[0].attempts = 1;
	enum apply_outcome ao = apply_once(&x, d, &x.first, err);
	r->run[0].apply_ms = now_ms() - t0;
	if (ao != APPLY_OK) {
		oc = ao == APPLY_INTERRUPTED ? VERIFY_INTERRUPTED : ao == APPLY_ERROR ? VERIFY_ERROR
											 : VERIFY_FIRST_RUN_FAILED;
		goto out;
	}
	r->runs = 1;
	r->files = x.first->files;
	r->statements = x.first->statements + (int)x.first->nontx.n;
	say_applied(&x, 0, r->files, r->statements, r->run[0].apply_ms);
	if ((oc = snapshot_run(&x, 0, &snap[0], err)) != VERIFY_DONE)
		goto out;
	diff_locate(&snap[0].m, x.first->sqlfiles.v, x.first->sqlfiles.n);
	r->objects = (int)snap[0].m.objs.n;
	for (size_t i = 0; i < snap[0].rels.n; i++) {
		if (snap[0].rels.v[i].kind == 'r')
			r->tables++;
		else
			r->sequences++;
	}
	if (make_copies(&x, err) < 0) {
		oc = VERIFY_ERROR;
		goto out;
	}

	/* runs 2 and 3 */
	for (int n = 1; n < 3; n++) {
		if ((oc = rerun(&x, n, err)) != VERIFY_DONE)
			goto out;
		r->runs = n + 1;
		if ((oc = snapshot_run(&x, n, &snap[n], err)) != VERIFY_DONE)
			goto out;
		diff_locate(&snap[n].m, x.first->sqlfiles.v, x.first->sqlfiles.n);
		if (n == 1) {
			say(&x, "comparing: %d objects, %d tables, %d sequences", r->objects, r->tables,
			    r->sequences);
			t0 = now_ms();
			compare_catalog(&x, &snap[0], &snap[1], 0);
			compare_values(&x, &snap[0], &snap[1], 0);
			r->compare_ms += now_ms() - t0;
		}
	}
	t0 = now_ms();
	compare_catalog(&x, &snap[0], &snap[2], 1);
	compare_values(&x, &snap[0], &snap[2], 1);
	r->compare_ms += now_ms() - t0;

out:
	add_help(d);
	for (int i = 0; i < 3; i++)
		snapshot_release(&snap[i]);
	facts_release(&x.fx);
	for (size_t i = 0; i < x.reported_keys.n; i++)
		free(x.reported_keys.v[i]);
	VEC_FREE(&x.reported_keys);
	map_release(&x.reported);
	for (size_t k = 0; x.text && k < x.sub.files.n; k++)
		free(x.text[k]);
	free(x.text);
	free(x.dirty);
	VEC_FREE(&x.sub.files);
	r->ms = now_ms() - t_start;
	return r->outcome = oc;
}
