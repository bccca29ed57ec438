/*
 * catalog: pg_catalog -> model. See catalog.h for the order of the reads
 * and what is skipped.
 *
 * Each load_*() function runs one query, looks its columns up with
 * PQfnumber once, copies what it needs into the model's arena and clears
 * the result before it returns: a PGresult never leaves the function that
 * read it. Objects read earlier are found again by oid through the integer
 * maps of `struct ctx`. The big reads come unsorted and are put in order
 * here (row_order, child_order): sorting whole rows was the server's
 * dearest step.
 */
#include "catalog.h"
#include "conn.h"
#include "deparse.h"
#include "util/xalloc.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Objects created by initdb have oids below this (FirstNormalObjectId). */
#define FIRST_NORMAL_OID "16384"

#define REG(cat) "'pg_catalog." cat "'::pg_catalog.regclass"

/*
 * The object is owned by an extension: among the few members of
 * extensions, found from pg_depend's reference index and hashed once (a
 * probe of pg_depend per row cost 40% of the read of 10,000 tables).
 */
#define EXT_OWNED(cat, oidexpr) \
	"(" oidexpr " IN (SELECT xd.objid FROM pg_catalog.pg_depend xd" \
	" WHERE xd.refclassid = " REG("pg_extension") " AND xd.classid = " REG(cat) " AND xd.deptype = 'e'))"

/*
 * The object is part of a type, made and dropped with it (deptype 'i'): a
 * range type's constructor functions, its multirange cast.
 */
#define TYPE_INTERNAL(cat, oidexpr) \
	"(" oidexpr " IN (SELECT xi.objid FROM pg_catalog.pg_depend xi WHERE xi.classid = " REG(cat) \
	" AND xi.refclassid = " REG("pg_type") " AND xi.deptype = 'i'))"

/*
 * Its comment, as column `description`. A lateral lookup, so that every row
 * probes pg_description's index: as a plain join the planner, misled by the
 * statistics of freshly created catalogs, rescans a materialized copy of
 * pg_description per row (quadratic: 0.5 s for 3,000 tables).
 */
#define DESC_JOIN(cat, oidexpr, subid) \
	" LEFT JOIN LATERAL (SELECT dd.description FROM pg_catalog.pg_description dd" \
	" WHERE dd.objoid = " oidexpr " AND dd.classoid = " REG(cat) \
	" AND dd.objsubid = " subid " OFFSET 0) d ON true"

/*
 * The schemas read, as a subquery of every query (a semi-join the planner
 * hashes; an oid[] would tempt it into scanning pg_class's name index):
 * user schemas minus the ledger ($1), only those of
 * --schema ($2, empty: all) and none of --exclude-schema ($3). Computing it
 * server-side lets every query be sent at once (libpq pipeline mode).
 */
#define SCHEMAS \
	"(SELECT sn.oid FROM pg_catalog.pg_namespace sn" \
	" WHERE sn.nspname !~ '^pg_' AND sn.nspname <> 'information_schema'" \
	" AND sn.nspname IS DISTINCT FROM $1::pg_catalog.text" \
	" AND (pg_catalog.cardinality($2::pg_catalog.text[]) = 0 OR sn.nspname = ANY ($2::pg_catalog.text[]))" \
	" AND sn.nspname <> ALL ($3::pg_catalog.text[])" \
	" AND NOT " EXT_OWNED("pg_namespace", "sn.oid") ")"

/*
 * Definitions composed here rather than by pg_get_constraintdef and
 * pg_get_indexdef (see compose_*): the server's functions look every column
 * name up in its caches one by one and open each table, which dominates the
 * time of a read of thousands of tables. The text composed is the text those
 * functions print, byte for byte, for the shapes handled; anything else (an
 * expression, a non-default operator class, a server newer than the rules
 * below know) is left to the server in one batch at the end. The catalog
 * tests compare both ways of reading on every object kind
 * (SSOT_CATALOG_SERVER_DEFS=1 reads everything through the server).
 */

/* A column of a table read, as ruleutils prints it. */
struct colinfo {
	const char *pgq;	/* quote_ident(attname): quoted only when needed */
	unsigned typid, coll;
	struct mobj *obj;
	char gen;		/* attgenerated */
};

/* What composing definitions needs of a relation read. */
struct relinfo {
	const char *pgname;	/* quote_ident(schema) || '.' || quote_ident(name) */
	int ncols;		/* entries of cols (highest attnum + 1); 0: none read */
	struct colinfo *cols;
};

/* The columns of an index, for the PRIMARY KEY / UNIQUE constraint it backs. */
struct idxinfo {
	int natts, nkey;
	const long *keys;	/* attnums, natts of them */
	bool nulls_not_distinct;
};

struct reader;

/* A comment on a relation ('r', column subid or 0) or a constraint ('c'). */
struct comment {
	char cls;
	int subid;
	uint64_t oid;
	const char *text;	/* in the context's arena */
};

/* A definition left to the server: 'c' pg_get_constraintdef, 'i' pg_get_indexdef, 'd' a column default. */
struct deferred {
	char kind;
	bool sent;		/* to the helper session (helper_send) */
	char gen;		/* 'd': the column's attgenerated */
	const char *oid;
	struct mobj *o;
};

/* A function of pg_catalog a column default may call, named bare (load_callable). */
struct funcinfo {
	const char *name;
	int nargs;		/* 0 or 1 */
	unsigned argtype;	/* of the one argument */
};

struct ctx {
	PGconn *c;
	struct model *m;
	const struct catalog_opts *o;
	int version;
	bool compose;		/* compose definitions (else every one comes from the server) */
	struct buf *err;
	struct arena tmp;	/* map keys, per-relation details */
	/* oid text -> object, per catalog */
	struct imap schemas, rels, types, procs, cons, trigs, pols;
	struct imap cols;	/* attrelid << 16 | attnum -> column (for grants) */
	struct imap relinfo, idxinfo;	/* oid -> struct relinfo / struct idxinfo */
	VEC(struct comment) comments;	/* on relations, their columns and constraints */
	struct imap btree_default;	/* default btree operator class oid -> its input type oid */
	struct imap opers;	/* binary operator of pg_catalog oid -> struct operinfo */
	struct imap typcoll;	/* collatable type oid -> its collation oid */
	struct imap collnames;	/* collation oid -> "schema"."name" */
	struct imap funcs;	/* function oid -> struct funcinfo */
	struct map keywords;	/* the server's keywords quote_ident() quotes (load_keywords) */
	struct buf qbuf;	/* qname() */
	struct deparse_cache *trees;	/* CHECK and default expression trees parsed */
	VEC(struct deferred) deferred;
	PGconn *helper;		/* second session printing constraint definitions, or NULL */
	double helper_t0;
	struct reader *helper_rd;	/* its reader thread */
	PGresult *helper_result;
	pthread_t helper_th;
	bool helper_threaded;
	bool helper_watched;	/* Ctrl-C cancels it too (conn_cancel_watch_also) */
};

/* ---- helpers ---- */

static int fnum(const PGresult *r, const char *name)
{
	int i = PQfnumber(r, name);
	if (i < 0) {
		fprintf(stderr, "ssot: internal error: catalog query has no column \"%s\"\n", name);
		abort();
	}
	return i;
}

/* Field value, NULL for SQL NULL. */
static const char *val(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static bool is_true(const PGresult *r, int row, int col)
{
	const char *v = val(r, row, col);
	return v && v[0] == 't';
}

/*
 * ORDER BY on the client. The big reads (tables, columns, indexes,
 * constraints) come unsorted: the server sorts whole wide rows (75 ms for
 * the indexes of 10,000 tables), the client sorts row numbers. Names
 * compare in byte order, the order of type name (its collation is "C").
 */
struct rowkey {
	const char *a, *b;
	int row;
};

static int nullcmp(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) : (a != NULL) - (b != NULL);
}

static int rowkey_cmp(const void *pa, const void *pb)
{
	const struct rowkey *a = pa, *b = pb;
	int c = nullcmp(a->a, b->a);
	if (!c)
		c = nullcmp(a->b, b->b);
	return c ? c : (a->row > b->row) - (a->row < b->row);
}

/*
 * The rows of r in the order of the texts in columns a and b (a schema and
 * a name). Returns the row numbers in x->tmp. Checking that they are in
 * order already is cheaper than any sort.
 */
static int *row_order(struct ctx *x, const PGresult *r, int a, int b)
{
	int n = PQntuples(r);
	int *order = arena_alloc(&x->tmp, (size_t)(n ? n : 1) * sizeof(*order));
	struct rowkey *keys = xmalloc((size_t)(n ? n : 1) * sizeof(*keys));
	bool sorted = true;
	for (int i = 0; i < n; i++) {
		keys[i] = (struct rowkey){ val(r, i, a), val(r, i, b), i };
		if (sorted && i && rowkey_cmp(&keys[i - 1], &keys[i]) > 0)
			sorted = false;
	}
	if (!sorted)
		qsort(keys, (size_t)n, sizeof(*keys), rowkey_cmp);
	for (int i = 0; i < n; i++)
		order[i] = keys[i].row;
	free(keys);
	return order;
}

/* The unsigned integer (an oid, an attnum) in column col of row, 0 for NULL or col -1. */
static uint64_t oid_at(const PGresult *r, int row, int col)
{
	if (col < 0 || PQgetisnull(r, row, col))
		return 0;
	uint64_t v = 0;
	for (const char *p = PQgetvalue(r, row, col); *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	return v;
}

/*
 * The rows of r whose relation (the oid in column f_parent) was read,
 * grouped by relation in the model's order and, within one, by the integer
 * in column f_num (an attnum) or else by the text in column f_name: what an
 * ORDER BY would give, without the server sorting whole rows. A counting
 * sort on the relations' places in the model, then an insertion sort of
 * each relation's few rows. Sets (*parents)[row] for every row (NULL: its
 * relation was not read). Returns the row numbers, *count of them, in
 * x->tmp.
 */
static int *child_order(struct ctx *x, const PGresult *r, int f_parent, int f_num, int f_name,
			struct mobj ***parents, int *count)
{
	int n = PQntuples(r);
	struct mobj **par = arena_alloc(&x->tmp, (size_t)(n ? n : 1) * sizeof(*par));
	size_t nseq = x->m->objs.n + 1;
	int *start = xcalloc(nseq + 1, sizeof(*start));
	uint64_t last_oid = 0;
	struct mobj *last = NULL;
	for (int i = 0; i < n; i++) {
		/* a table's rows mostly come together: one lookup per run of them */
		uint64_t oid = oid_at(r, i, f_parent);
		if (oid != last_oid) {
			last = imap_get(&x->rels, oid);
			last_oid = oid;
		}
		par[i] = last;
		if (last)
			start[last->seq + 1]++;
	}
	for (size_t k = 1; k <= nseq; k++)
		start[k] += start[k - 1];
	int total = start[nseq];
	int *order = arena_alloc(&x->tmp, (size_t)(total ? total : 1) * sizeof(*order));
	for (int i = 0; i < n; i++)
		if (par[i])
			order[start[par[i]->seq]++] = i;
	free(start);
	for (int k = 1; k < total; k++) {
		int row = order[k], j = k;
		for (; j > 0 && par[order[j - 1]] == par[row]; j--) {
			int prev = order[j - 1];
			bool after = f_num >= 0 ? oid_at(r, prev, f_num) > oid_at(r, row, f_num)
						: nullcmp(val(r, prev, f_name), val(r, row, f_name)) > 0;
			if (!after)
				break;
			order[j] = prev;
		}
		order[j] = row;
	}
	*parents = par;
	*count = total;
	return order;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Bytes of "schema"."name" (or "name" when schema is NULL), quotes doubled, with the NUL. */
static size_t quoted_size(const char *schema, const char *name)
{
	size_t n = 3 + (schema ? strlen(schema) + 3 : 0) + strlen(name);
	for (const char *p = name; *p; p++)
		n += *p == '"';
	for (const char *p = schema; p && *p; p++)
		n += *p == '"';
	return n;
}

/* Write "schema"."name" at w (quoted_size bytes); returns w. */
static char *put_quoted(char *w, const char *schema, const char *name)
{
	char *r = w;
	for (int part = schema ? 0 : 1; part < 2; part++) {
		const char *s = part ? name : schema;
		*w++ = '"';
		for (; *s; s++) {
			if (*s == '"')
				*w++ = '"';
			*w++ = *s;
		}
		*w++ = '"';
		if (!part)
			*w++ = '.';
	}
	*w = '\0';
	return r;
}

/* "schema"."name" in arena a (what PQescapeIdentifier makes of valid names). */
static const char *quote_into(struct arena *a, const char *schema, const char *name)
{
	return put_quoted(arena_alloc(a, quoted_size(schema, name)), schema, name);
}

/* The same in x->qbuf, valid until the next call: for model_add(), which copies it. */
static const char *qname(struct ctx *x, const char *schema, const char *name)
{
	size_t n = quoted_size(schema, name);
	buf_reset(&x->qbuf);
	buf_grow(&x->qbuf, n);
	put_quoted(x->qbuf.s, schema, name);
	x->qbuf.len = n - 1;
	return x->qbuf.s;
}

static const char *quote(struct ctx *x, const char *name)
{
	return quote_into(&x->m->arena, NULL, name);
}

static const char *quote2(struct ctx *x, const char *schema, const char *name)
{
	return quote_into(&x->m->arena, schema, name);
}

static void quote_lit_into(struct ctx *x, struct buf *out, const char *s)
{
	char *q = conn_quote_literal(x->c, s);
	buf_adds(out, q);
	free(q);
}

/*
 * quote_ident() as the server computes it, into x->tmp: quoted unless all
 * lower-case letters, digits and underscores not starting with a digit,
 * and not one of the server's keywords other than unreserved ones (its own
 * list, load_keywords). Asking the server for it was a seventh of the read
 * of a table's columns.
 */
static const char *pg_quote_ident(struct ctx *x, const char *name)
{
	bool safe = (name[0] >= 'a' && name[0] <= 'z') || name[0] == '_';
	for (const char *p = name; safe && *p; p++)
		safe = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
	return safe && !map_get(&x->keywords, name) ? arena_strdup(&x->tmp, name) : quote_into(&x->tmp, NULL, name);
}

static const char *key_of(struct ctx *x, const char *oid)
{
	return arena_strdup(&x->tmp, oid);
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

/* Whether objects of schema `nsp` are read at all. */
static bool schema_wanted(const struct catalog_opts *o, const char *nsp)
{
	if (o->ledger_schema && !strcmp(nsp, o->ledger_schema))
		return false;
	if (o->nschemas && !in_list(nsp, o->schemas, o->nschemas))
		return false;
	return !in_list(nsp, o->exclude_schemas, o->nexclude);
}

int catalog_parse_array(struct arena *a, const char *s, const char ***out)
{
	*out = NULL;
	if (!s || *s != '{')
		return -1;
	size_t cap = 1;
	for (const char *p = s; *p; p++)
		cap += *p == ',';
	const char **items = arena_alloc(a, cap * sizeof(*items));
	int n = 0;
	const char *p = s + 1;
	if (*p == '}') {
		*out = items;
		return 0;
	}
	struct buf b = BUF_INIT;
	for (;;) {
		buf_reset(&b);
		bool quoted = *p == '"';
		if (quoted) {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				buf_addch(&b, *p);
			}
			if (*p != '"')
				goto bad;
			p++;
		} else {
			while (*p && *p != ',' && *p != '}')
				buf_addch(&b, *p++);
		}
		if ((size_t)n >= cap)
			goto bad;
		items[n++] = !quoted && !strcmp(b.s, "NULL") ? NULL : arena_strndup(a, b.s, b.len);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '}')
			break;
		goto bad;
	}
	buf_release(&b);
	*out = items;
	return n;
bad:
	buf_release(&b);
	return -1;
}

/* Elements of an array column joined with ", ", each quoted as an identifier. */
static const char *ident_list(struct ctx *x, const char *array)
{
	const char **items;
	int n = catalog_parse_array(&x->tmp, array, &items);
	if (n <= 0)
		return NULL;
	struct buf s = BUF_INIT;
	for (int i = 0; i < n; i++) {
		if (i)
			buf_adds(&s, ", ");
		if (!items[i] || !*items[i]) {
			buf_adds(&s, "PUBLIC");
			continue;
		}
		buf_adds(&s, quote_into(&x->tmp, NULL, items[i]));
	}
	const char *r = arena_strndup(&x->m->arena, s.s, s.len);
	buf_release(&s);
	return r;
}

/* reloptions ("{fillfactor=70,autovacuum_enabled=false}") as "fillfactor='70', ...". */
static const char *options_list(struct ctx *x, const char *array)
{
	const char **items;
	int n = catalog_parse_array(&x->tmp, array, &items);
	if (n <= 0)
		return NULL;
	struct buf s = BUF_INIT;
	for (int i = 0; i < n; i++) {
		if (!items[i])
			continue;
		const char *eq = strchr(items[i], '=');
		if (s.len)
			buf_adds(&s, ", ");
		if (!eq) {
			buf_adds(&s, items[i]);
			continue;
		}
		buf_add(&s, items[i], (size_t)(eq - items[i]));
		buf_addch(&s, '=');
		quote_lit_into(x, &s, eq + 1);
	}
	const char *r = arena_strndup(&x->m->arena, s.s, s.len);
	buf_release(&s);
	return r;
}

/* A collation as "schema"."name", from columns collschema / collname (NULL when none). */
static const char *collation(struct ctx *x, const PGresult *r, int row, int f_schema, int f_name)
{
	const char *s = val(r, row, f_schema), *n = val(r, row, f_name);
	return s && n ? quote2(x, s, n) : NULL;
}

/*
 * A condition on the rows of a table's parts (constraints, defaults) by the
 * table's oid in `col`. Reading every user schema, it is only that the
 * table is a user's (the loaders keep the rows of the tables read, found
 * in x->rels): joining pg_class to filter by schema and kind scanned all of
 * it, a third of the read of a table's constraints. With --schema or
 * --exclude-schema, the tables of the schemas read.
 */
static char *of_tables_read(const struct ctx *x, const char *col)
{
	if (!x->o->nschemas && !x->o->nexclude)
		return xasprintf("%s >= " FIRST_NORMAL_OID, col);
	return xasprintf("%s IN (SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relnamespace IN " SCHEMAS
			 " AND c.relkind IN ('r', 'p'))", col);
}

/* ---- keywords ---- */

/* The keywords quote_ident() quotes on this server (its version's list). */
static char *sql_keywords(const struct ctx *x)
{
	(void)x;
	return xstrdup("SELECT k.word FROM pg_catalog.pg_get_keywords() k WHERE k.catcode <> 'U'");
}

static int load_keywords(struct ctx *x, PGresult *r)
{
	int f_word = fnum(r, "word");
	map_reserve(&x->keywords, (size_t)PQntuples(r));
	for (int i = 0; i < PQntuples(r); i++)
		map_put(&x->keywords, arena_strdup(&x->tmp, val(r, i, f_word)), (void *)1);
	return 0;
}

/* ---- schemas ---- */

static char *sql_schemas(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT n.oid, n.nspname, d.description "
		"FROM pg_catalog.pg_namespace n"
		DESC_JOIN("pg_namespace", "n.oid", "0")
		" WHERE n.oid IN " SCHEMAS
		" ORDER BY n.nspname");
}

static int load_schemas(struct ctx *x, PGresult *r)
{
	int f_oid = fnum(r, "oid"), f_name = fnum(r, "nspname"), f_desc = fnum(r, "description");
	for (int i = 0; i < PQntuples(r); i++) {
		const char *name = val(r, i, f_name);
		struct mobj *o = model_add(x->m, OBJ_SCHEMA, NULL, name, NULL, NULL, quote(x, name));
		if (!o)
			continue;
		model_set(x->m, o, "comment", val(r, i, f_desc), 0);
		imap_put(&x->schemas, oid_at(r, i, f_oid), o);
	}
	return 0;
}

/* ---- extensions ---- */

static char *sql_extensions(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT x.oid, x.extname, n.nspname, x.extversion, d.description "
		"FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace"
		DESC_JOIN("pg_extension", "x.oid", "0")
		" WHERE x.oid >= " FIRST_NORMAL_OID
		" ORDER BY x.extname");
}

static int load_extensions(struct ctx *x, PGresult *r)
{
	int f_name = fnum(r, "extname"), f_nsp = fnum(r, "nspname"), f_ver = fnum(r, "extversion"),
	    f_desc = fnum(r, "description");
	for (int i = 0; i < PQntuples(r); i++) {
		const char *nsp = val(r, i, f_nsp);
		bool system = !strcmp(nsp, "pg_catalog");
		if (!system && !schema_wanted(x->o, nsp))
			continue;
		if (system && x->o->nschemas)
			continue;
		const char *name = val(r, i, f_name);
		struct mobj *o = model_add(x->m, OBJ_EXTENSION, NULL, name, NULL, NULL, quote(x, name));
		if (!o)
			continue;
		model_set_owned(x->m, o, "schema", quote(x, nsp), 0);
		model_set(x->m, o, "schema_name", nsp, ATTR_NODIFF);
		model_set(x->m, o, "version", val(r, i, f_ver), 0);
		model_set(x->m, o, "comment", val(r, i, f_desc), 0);
	}
	return 0;
}

/* ---- definitions printed by the server ---- */

/* Remove `suffix` from the end of b when present; returns whether it was. */
static bool strip_suffix(struct buf *b, const char *suffix)
{
	size_t n = strlen(suffix);
	if (b->len < n || strcmp(b->s + b->len - n, suffix) != 0)
		return false;
	buf_setlen(b, b->len - n);
	return true;
}

/* pg_get_constraintdef() appends these flags; they are attributes of their own. */
static void strip_constraint_flags(struct buf *def, const struct mobj *o)
{
	const char *v = mobj_get(o, "validated"), *d = mobj_get(o, "deferrable"), *e = mobj_get(o, "enforced");
	bool valid = !v || !strcmp(v, "true"), enf = !e || !strcmp(e, "true");
	bool deferrable = d && strcmp(d, "NOT DEFERRABLE") != 0;
	bool deferred = d && !strcmp(d, "DEFERRABLE INITIALLY DEFERRED");
	for (bool again = true; again;)
		again = (!valid && strip_suffix(def, " NOT VALID")) ||
			(!enf && strip_suffix(def, " NOT ENFORCED")) ||
			(deferred && strip_suffix(def, " INITIALLY DEFERRED")) ||
			(deferrable && strip_suffix(def, " DEFERRABLE"));
}

/* A definition printed by the server (pg_get_constraintdef or pg_get_indexdef). */
static void set_server_def(struct ctx *x, struct mobj *o, const char *def)
{
	if (!o || !def)
		return;
	if (o->kind != OBJ_CONSTRAINT) {
		model_set(x->m, o, "definition", def, 0);
		return;
	}
	struct buf b = BUF_INIT;
	buf_adds(&b, def);
	strip_constraint_flags(&b, o);
	model_set(x->m, o, "definition", b.s, 0);
	buf_release(&b);
}

/* ---- types: enums, domains, composite types ---- */

/*
 * Enums, domains and composite types, with a composite type's attributes
 * as arrays (one entry each, by attnum); range and base types too, which
 * become unsupported notes. One scan of the schemas' pg_type rows for all
 * of them: a table's row type is told from a composite type by probing
 * pg_class for its relation (a hashed subplan scanned all of pg_class).
 */
static char *sql_types(const struct ctx *x)
{
	(void)x;
#define COMPOSITE_ATTRS(expr, as) \
	" CASE WHEN t.typtype = 'c' THEN (SELECT pg_catalog.array_agg(" expr " ORDER BY a.attnum)" \
	"   FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type at ON at.oid = a.atttypid" \
	"   LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation AND a.attcollation <> at.typcollation" \
	"   LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace" \
	"   WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) END AS " as ","
	return xstrdup(
		"SELECT t.oid, n.nspname, t.typname, t.typtype,"
		" CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END AS basetype,"
		" t.typnotnull,"
		" CASE WHEN t.typtype = 'd' THEN pg_catalog.pg_get_expr(t.typdefaultbin, 0) END AS typdefault,"
		" CASE WHEN t.typtype = 'd' AND t.typcollation <> bt.typcollation THEN cn.nspname END AS collschema,"
		" CASE WHEN t.typtype = 'd' AND t.typcollation <> bt.typcollation THEN co.collname END AS collname,"
		" CASE WHEN t.typtype = 'e' THEN (SELECT pg_catalog.array_agg(e.enumlabel ORDER BY e.enumsortorder)"
		"   FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) END AS labels,"
		COMPOSITE_ATTRS("a.attname", "attnames")
		COMPOSITE_ATTRS("pg_catalog.format_type(a.atttypid, a.atttypmod)", "atttypes")
		COMPOSITE_ATTRS("cn.nspname", "attcollschemas")
		COMPOSITE_ATTRS("co.collname", "attcollnames")
		" d.description "
		"FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
		" LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype"
		" LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation"
		" LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace"
		DESC_JOIN("pg_type", "t.oid", "0")
		" WHERE t.typnamespace IN " SCHEMAS
		" AND (t.typtype IN ('e', 'd', 'r')"
		"   OR (t.typtype = 'b' AND t.typisdefined AND t.typcategory <> 'A')"
		"   OR (t.typtype = 'c' AND EXISTS (SELECT FROM pg_catalog.pg_class tc"
		"     WHERE tc.oid = t.typrelid AND tc.relkind = 'c')))"
		" AND NOT " EXT_OWNED("pg_type", "t.oid")
		" ORDER BY n.nspname, t.typname");
#undef COMPOSITE_ATTRS
}

/* A composite type's attributes as its CREATE TYPE lists them: "a" integer, "b" text COLLATE "C". */
static const char *composite_attributes(struct ctx *x, const PGresult *r, int row, const int *f)
{
	const char **names, **types, **collschemas, **collnames;
	int n = catalog_parse_array(&x->tmp, val(r, row, f[0]), &names);
	if (n <= 0 || catalog_parse_array(&x->tmp, val(r, row, f[1]), &types) != n ||
	    catalog_parse_array(&x->tmp, val(r, row, f[2]), &collschemas) != n ||
	    catalog_parse_array(&x->tmp, val(r, row, f[3]), &collnames) != n)
		return NULL;
	struct buf s = BUF_INIT;
	for (int k = 0; k < n; k++) {
		if (k)
			buf_adds(&s, ", ");
		buf_printf(&s, "%s %s", quote_into(&x->tmp, NULL, names[k] ? names[k] : ""), types[k] ? types[k] : "");
		if (collschemas[k] && collnames[k])
			buf_printf(&s, " COLLATE %s", quote_into(&x->tmp, collschemas[k], collnames[k]));
	}
	const char *attrs = model_strdup(x->m, s.s);
	buf_release(&s);
	return attrs;
}

static int load_types(struct ctx *x, PGresult *r)
{
	int f_oid = fnum(r, "oid"), f_nsp = fnum(r, "nspname"), f_name = fnum(r, "typname"),
	    f_type = fnum(r, "typtype"), f_base = fnum(r, "basetype"), f_nn = fnum(r, "typnotnull"),
	    f_def = fnum(r, "typdefault"), f_cs = fnum(r, "collschema"), f_cn = fnum(r, "collname"),
	    f_labels = fnum(r, "labels"), f_desc = fnum(r, "description");
	const int f_attrs[] = { fnum(r, "attnames"), fnum(r, "atttypes"), fnum(r, "attcollschemas"),
				fnum(r, "attcollnames") };
	for (int i = 0; i < PQntuples(r); i++) {
		const char *nsp = val(r, i, f_nsp), *name = val(r, i, f_name);
		char t = val(r, i, f_type)[0];
		if (t == 'r' || t == 'b') {
			char *id = xasprintf("%s.%s", nsp, name);
			model_add_unsupported(x->m, t == 'r' ? "range type" : "base type", id);
			free(id);
			continue;
		}
		enum obj_kind k = t == 'e' ? OBJ_ENUM : t == 'd' ? OBJ_DOMAIN : OBJ_TYPE;
		struct mobj *o = model_add(x->m, k, nsp, name, NULL, NULL, quote2(x, nsp, name));
		if (!o)
			continue;
		if (k == OBJ_ENUM) {
			const char **labels;
			int n = catalog_parse_array(&x->tmp, val(r, i, f_labels), &labels);
			struct buf s = BUF_INIT;
			for (int l = 0; l < n; l++) {
				if (l)
					buf_adds(&s, ", ");
				quote_lit_into(x, &s, labels[l] ? labels[l] : "");
			}
			model_set(x->m, o, "values", s.s, 0);
			buf_release(&s);
		} else if (k == OBJ_DOMAIN) {
			model_set(x->m, o, "base_type", val(r, i, f_base), 0);
			model_set_owned(x->m, o, "nullable", is_true(r, i, f_nn) ? "NOT NULL" : "NULL", 0);
			model_set(x->m, o, "default", val(r, i, f_def), 0);
			model_set_owned(x->m, o, "collation", collation(x, r, i, f_cs, f_cn), 0);
		} else {
			model_set_owned(x->m, o, "attributes", composite_attributes(x, r, i, f_attrs), 0);
		}
		model_set(x->m, o, "comment", val(r, i, f_desc), 0);
		imap_put(&x->types, oid_at(r, i, f_oid), o);
	}
	return 0;
}

static char *sql_domain_constraints(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT co.oid, co.contypid, co.conname, pg_catalog.pg_get_constraintdef(co.oid) AS def,"
		" co.convalidated, d.description "
		"FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_type t ON t.oid = co.contypid"
		DESC_JOIN("pg_constraint", "co.oid", "0")
		/* contypid > 0: the index skips the table constraints (contypid 0) instead of reading them all */
		" WHERE t.typnamespace IN " SCHEMAS " AND co.contype = 'c' AND co.contypid > 0"
		" ORDER BY co.contypid, co.conname");
}

static int load_domain_constraints(struct ctx *x, PGresult *r)
{
	int f_oid = fnum(r, "oid"), f_type = fnum(r, "contypid"), f_name = fnum(r, "conname"),
	    f_def = fnum(r, "def"), f_valid = fnum(r, "convalidated"), f_desc = fnum(r, "description");
	for (int i = 0; i < PQntuples(r); i++) {
		struct mobj *dom = imap_get(&x->types, oid_at(r, i, f_type));
		if (!dom)
			continue;
		const char *name = val(r, i, f_name);
		struct mobj *o = model_add(x->m, OBJ_CONSTRAINT, NULL, name, NULL, dom, quote(x, name));
		if (!o)
			continue;
		model_set(x->m, o, "definition", NULL, 0);
		model_set_owned(x->m, o, "validated", is_true(r, i, f_valid) ? "true" : "false", 0);
		set_server_def(x, o, val(r, i, f_def));
		model_set(x->m, o, "comment", val(r, i, f_desc), 0);
		imap_put(&x->cons, oid_at(r, i, f_oid), o);
	}
	return 0;
}

/* ---- comments on relations, their columns and constraints ---- */

/*
 * Read in one scan and given to their objects once every object is read
 * (apply_comments): a join per kind probes pg_description once per row,
 * which costs more than the whole scan, and so would a lookup per object.
 */
static char *sql_comments(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT CASE WHEN d.classoid = " REG("pg_class") " THEN 'r' ELSE 'c' END AS cls,"
		" d.objoid, d.objsubid, d.description "
		"FROM pg_catalog.pg_description d"
		" WHERE d.classoid IN (" REG("pg_class") ", " REG("pg_constraint") ")"
		" AND d.objoid >= " FIRST_NORMAL_OID);
}

static int load_comments(struct ctx *x, PGresult *r)
{
	int f_cls = fnum(r, "cls"), f_oid = fnum(r, "objoid"), f_sub = fnum(r, "objsubid"),
	    f_desc = fnum(r, "description");
	VEC_GROW(&x->comments, (size_t)PQntuples(r));
	for (int i = 0; i < PQntuples(r); i++) {
		struct comment c = { val(r, i, f_cls)[0], atoi(val(r, i, f_sub)), oid_at(r, i, f_oid),
				     arena_strdup(&x->tmp, val(r, i, f_desc)) };
		VEC_PUSH(&x->comments, c);
	}
	return 0;
}

/* Each comment read onto its relation, column or constraint (the loaders left "comment" empty). */
static void apply_comments(struct ctx *x)
{
	for (size_t i = 0; i < x->comments.n; i++) {
		const struct comment *c = &x->comments.v[i];
		struct mobj *o = NULL;
		if (c->cls == 'c') {
			o = imap_get(&x->cons, c->oid);
		} else if (c->subid == 0) {
			o = imap_get(&x->rels, c->oid);
		} else {
			const struct relinfo *ri = imap_get(&x->relinfo, c->oid);
			if (ri && c->subid > 0 && c->subid < ri->ncols)
				o = ri->cols[c->subid].obj;
		}
		if (o)
			model_set_owned(x->m, o, "comment", c->text ? model_strdup(x->m, c->text) : NULL, 0);
	}
}

/* ---- relations ---- */

static char *sql_relations(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT c.oid, n.nspname, c.relname,"
		" c.relkind, c.relpersistence, c.relispartition,"
		" CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partkey,"
		" CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS partbound,"
		" c.relrowsecurity, c.relforcerowsecurity, c.reloptions, c.reloftype <> 0 AS typed,"
		" CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END AS viewdef "
		"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
		" WHERE c.relnamespace IN " SCHEMAS " AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
		" AND NOT " EXT_OWNED("pg_class", "c.oid")
		" AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_catalog.pg_depend i"
		"   WHERE i.classid = " REG("pg_class") " AND i.objid = c.oid AND i.deptype = 'i'))");
}

static int load_relations(struct ctx *x, PGresult *r)
{
	/* sized once: growing by doubling rehashes and touches fresh memory every time */
	size_t nrows = (size_t)PQntuples(r);
	model_reserve(x->m, nrows);
	imap_reserve(&x->rels, x->rels.n + nrows);
	imap_reserve(&x->relinfo, x->relinfo.n + nrows);
	int f_oid = fnum(r, "oid"), f_nsp = fnum(r, "nspname"), f_name = fnum(r, "relname"),
	    f_kind = fnum(r, "relkind"), f_pers = fnum(r, "relpersistence"), f_part = fnum(r, "relispartition"),
	    f_key = fnum(r, "partkey"), f_bound = fnum(r, "partbound"), f_rls = fnum(r, "relrowsecurity"),
	    f_force = fnum(r, "relforcerowsecurity"), f_opts = fnum(r, "reloptions"), f_def = fnum(r, "viewdef"),
	    f_typed = fnum(r, "typed");
	const int *order = row_order(x, r, f_nsp, f_name);
	for (int j = 0; j < PQntuples(r); j++) {
		int i = order[j];
		const char *nsp = val(r, i, f_nsp), *name = val(r, i, f_name);
		char kind = val(r, i, f_kind)[0];
		/* foreign tables are not modelled; typed tables are, without their OF type */
		if (kind == 'f' || is_true(r, i, f_typed)) {
			char *id = xasprintf("%s.%s", nsp, name);
			model_add_unsupported(x->m, kind == 'f' ? "foreign table" : "typed table", id);
			free(id);
			if (kind == 'f')
				continue;
		}
		enum obj_kind k = kind == 'v' ? OBJ_VIEW : kind == 'm' ? OBJ_MATVIEW : kind == 'S' ? OBJ_SEQUENCE : OBJ_TABLE;
		struct mobj *o = model_add(x->m, k, nsp, name, NULL, NULL, qname(x, nsp, name));
		if (!o)
			continue;
		const char *opts = options_list(x, val(r, i, f_opts));
		if (k == OBJ_TABLE) {
			model_set_owned(x->m, o, "persistence", val(r, i, f_pers)[0] == 'u' ? "unlogged" : "permanent", 0);
			model_set(x->m, o, "partition_key", val(r, i, f_key), 0);
			model_set(x->m, o, "partition_of", NULL, 0);	/* set by load_parents */
			model_set(x->m, o, "partition_bound", is_true(r, i, f_part) ? val(r, i, f_bound) : NULL, 0);
			model_set(x->m, o, "inherits", NULL, 0);
			model_set_owned(x->m, o, "options", opts, 0);
			model_set_owned(x->m, o, "row_security", is_true(r, i, f_rls) ? "enabled" : "disabled", 0);
			model_set_owned(x->m, o, "force_row_security", is_true(r, i, f_force) ? "forced" : "not forced", 0);
		} else if (k == OBJ_VIEW || k == OBJ_MATVIEW) {
			struct buf def = BUF_INIT;
			buf_adds(&def, val(r, i, f_def));
			buf_rtrim(&def);
			if (def.len && def.s[def.len - 1] == ';')
				buf_setlen(&def, def.len - 1);
			model_set(x->m, o, "definition", def.s, 0);
			buf_release(&def);
			model_set_owned(x->m, o, "options", opts, 0);
		}
		model_set(x->m, o, "comment", NULL, 0);	/* apply_comments */
		uint64_t oid = oid_at(r, i, f_oid);
		imap_put(&x->rels, oid, o);
		struct relinfo *ri = arena_alloc(&x->tmp, sizeof(*ri));
		const char *qn = pg_quote_ident(x, nsp), *qr = pg_quote_ident(x, name);
		char *pgname = arena_alloc(&x->tmp, strlen(qn) + strlen(qr) + 2);
		strcpy(stpcpy(stpcpy(pgname, qn), "."), qr);
		*ri = (struct relinfo){ pgname, 0, NULL };
		imap_put(&x->relinfo, oid, ri);
	}
	return 0;
}

/* Partition parents and inheritance parents of the tables read. */
static char *sql_parents(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT h.inhrelid, pn.nspname, p.relname, c.relispartition "
		"FROM pg_catalog.pg_inherits h"
		" JOIN pg_catalog.pg_class c ON c.oid = h.inhrelid"
		" JOIN pg_catalog.pg_class p ON p.oid = h.inhparent"
		" JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace"
		" WHERE c.relnamespace IN " SCHEMAS " AND c.relkind IN ('r', 'p')"
		" ORDER BY h.inhrelid, h.inhseqno");
}

static int load_parents(struct ctx *x, PGresult *r)
{
	int f_rel = fnum(r, "inhrelid"), f_nsp = fnum(r, "nspname"), f_name = fnum(r, "relname"),
	    f_part = fnum(r, "relispartition");
	struct buf s = BUF_INIT;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		struct mobj *o = imap_get(&x->rels, oid_at(r, i, f_rel));
		if (!o)
			continue;
		if (s.len)
			buf_adds(&s, ", ");
		buf_adds(&s, quote2(x, val(r, i, f_nsp), val(r, i, f_name)));
		if (i + 1 == n || strcmp(val(r, i + 1, f_rel), val(r, i, f_rel)) != 0) {
			model_set(x->m, o, is_true(r, i, f_part) ? "partition_of" : "inherits", s.s, 0);
			buf_reset(&s);
		}
	}
	buf_release(&s);
	return 0;
}

static char *sql_sequences(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT s.seqrelid, pg_catalog.format_type(s.seqtypid, NULL) AS type, s.seqstart, s.seqincrement,"
		" s.seqmin, s.seqmax, s.seqcache, s.seqcycle,"
		" own.nspname AS own_schema, own.relname AS own_table, own.attname AS own_column "
		"FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid"
		" LEFT JOIN LATERAL (SELECT tn.nspname, t.relname, a.attname"
		"   FROM pg_catalog.pg_depend dp"
		"   JOIN pg_catalog.pg_class t ON t.oid = dp.refobjid"
		"   JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace"
		"   JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = dp.refobjsubid"
		"   WHERE dp.classid = " REG("pg_class") " AND dp.objid = s.seqrelid"
		"   AND dp.refclassid = " REG("pg_class") " AND dp.deptype = 'a' AND dp.refobjsubid > 0"
		"   LIMIT 1) own ON true"
		" WHERE c.relnamespace IN " SCHEMAS
		" ORDER BY s.seqrelid");
}

static int load_sequences(struct ctx *x, PGresult *r)
{
	int f_rel = fnum(r, "seqrelid"), f_type = fnum(r, "type"), f_start = fnum(r, "seqstart"),
	    f_inc = fnum(r, "seqincrement"), f_min = fnum(r, "seqmin"), f_max = fnum(r, "seqmax"),
	    f_cache = fnum(r, "seqcache"), f_cycle = fnum(r, "seqcycle"), f_os = fnum(r, "own_schema"),
	    f_ot = fnum(r, "own_table"), f_oc = fnum(r, "own_column");
	for (int i = 0; i < PQntuples(r); i++) {
		struct mobj *o = imap_get(&x->rels, oid_at(r, i, f_rel));
		if (!o || o->kind != OBJ_SEQUENCE)
			continue;
		const char *comment = mobj_get(o, "comment");
		o->nattrs = 0;	/* keep the attribute order fixed: comment last */
		model_set(x->m, o, "type", val(r, i, f_type), 0);
		model_set(x->m, o, "start", val(r, i, f_start), 0);
		model_set(x->m, o, "increment", val(r, i, f_inc), 0);
		model_set(x->m, o, "min", val(r, i, f_min), 0);
		model_set(x->m, o, "max", val(r, i, f_max), 0);
		model_set(x->m, o, "cache", val(r, i, f_cache), 0);
		model_set_owned(x->m, o, "cycle", is_true(r, i, f_cycle) ? "CYCLE" : "NO CYCLE", 0);
		const char *owned = NULL, *owner = NULL;
		if (val(r, i, f_ot)) {
			struct buf s = BUF_INIT;
			owner = quote2(x, val(r, i, f_os), val(r, i, f_ot));
			buf_printf(&s, "%s.%s", owner, quote_into(&x->tmp, NULL, val(r, i, f_oc)));
			owned = model_strdup(x->m, s.s);
			buf_release(&s);
		}
		model_set_owned(x->m, o, "owned_by", owned, 0);
		model_set_owned(x->m, o, "owned_by_table", owner, ATTR_NODIFF);
		model_set_owned(x->m, o, "comment", comment, 0);
	}
	return 0;
}

/* ---- columns ---- */

/* Collatable types and every collation, to name a column's collation when it is not its type's. */
static char *sql_collations(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT 't' AS k, t.oid, t.typcollation AS coll, NULL::pg_catalog.name AS nspname,"
		" NULL::pg_catalog.name AS collname FROM pg_catalog.pg_type t WHERE t.typcollation <> 0 "
		"UNION ALL SELECT 'c', co.oid, 0, n.nspname, co.collname"
		" FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace n ON n.oid = co.collnamespace");
}

static int load_collations(struct ctx *x, PGresult *r)
{
	int f_k = fnum(r, "k"), f_oid = fnum(r, "oid"), f_coll = fnum(r, "coll"), f_nsp = fnum(r, "nspname"),
	    f_name = fnum(r, "collname");
	for (int i = 0; i < PQntuples(r); i++) {
		uint64_t oid = oid_at(r, i, f_oid);
		if (val(r, i, f_k)[0] == 't')
			imap_put(&x->typcoll, oid, (void *)(uintptr_t)oid_at(r, i, f_coll));
		else
			imap_put(&x->collnames, oid, (void *)quote_into(&x->tmp, val(r, i, f_nsp), val(r, i, f_name)));
	}
	return 0;
}

/*
 * The columns of the tables read, one flat scan (a join per attribute for
 * defaults or collations costs more than the scan itself); defaults come
 * next, in load_defaults().
 */
static char *sql_columns(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT a.attrelid, a.attnum, a.attname,"
		" a.atttypid, a.attcollation, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,"
		" a.attnotnull, a.attidentity, a.attgenerated "
		"FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
		" WHERE c.relnamespace IN " SCHEMAS " AND c.relkind IN ('r', 'p')"
		" AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped");
}

static int load_columns(struct ctx *x, PGresult *r)
{
	model_reserve(x->m, (size_t)PQntuples(r));
	int f_rel = fnum(r, "attrelid"), f_num = fnum(r, "attnum"), f_name = fnum(r, "attname"),
	    f_type = fnum(r, "type"), f_nn = fnum(r, "attnotnull"), f_ident = fnum(r, "attidentity"),
	    f_gen = fnum(r, "attgenerated"), f_typid = fnum(r, "atttypid"),
	    f_coll = fnum(r, "attcollation");
	struct mobj **tables;
	int n;
	const int *order = child_order(x, r, f_rel, f_num, -1, &tables, &n);
	struct relinfo *ri = NULL;
	int position = 0;
	for (int j = 0; j < n; j++) {
		int i = order[j];
		struct mobj *table = tables[i];
		uint64_t rel = oid_at(r, i, f_rel);
		if (j == 0 || table != tables[order[j - 1]]) {
			ri = imap_get(&x->relinfo, rel);
			position = 0;
			if (ri) {
				/* in order of attnum: the table's last row has its highest */
				int last = j;
				while (last + 1 < n && tables[order[last + 1]] == table)
					last++;
				ri->ncols = (int)oid_at(r, order[last], f_num) + 1;
				ri->cols = arena_alloc(&x->tmp, (size_t)ri->ncols * sizeof(*ri->cols));
			}
		}
		position++;
		const char *name = val(r, i, f_name);
		struct mobj *o = model_add(x->m, OBJ_COLUMN, NULL, name, NULL, table, qname(x, NULL, name));
		if (!o)
			continue;
		const char *ident = val(r, i, f_ident), *gen = val(r, i, f_gen);
		model_set(x->m, o, "type", val(r, i, f_type), 0);
		model_set_owned(x->m, o, "nullable", is_true(r, i, f_nn) ? "NOT NULL" : "NULL", 0);
		model_set(x->m, o, "default", NULL, 0);	/* load_defaults */
		model_set_owned(x->m, o, "identity", ident && ident[0] == 'a' ? "ALWAYS" :
				ident && ident[0] == 'd' ? "BY DEFAULT" : NULL, 0);
		model_set(x->m, o, "generated", NULL, 0);	/* load_defaults */
		unsigned collid = (unsigned)oid_at(r, i, f_coll), typid = (unsigned)oid_at(r, i, f_typid);
		const char *collname = NULL;
		if (collid && collid != (uintptr_t)imap_get(&x->typcoll, typid))
			collname = imap_get(&x->collnames, collid);
		model_set(x->m, o, "collation", collname, 0);
		if (position <= 64) {
			/* the usual positions, not copied 60,000 times */
			static const char *const small[] = {
				NULL, "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12",
				"13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23", "24", "25",
				"26", "27", "28", "29", "30", "31", "32", "33", "34", "35", "36", "37", "38",
				"39", "40", "41", "42", "43", "44", "45", "46", "47", "48", "49", "50", "51",
				"52", "53", "54", "55", "56", "57", "58", "59", "60", "61", "62", "63", "64"
			};
			model_set_owned(x->m, o, "position", small[position], ATTR_ORDER);
		} else {
			char pos[FMT_DECIMAL_LEN];
			model_set(x->m, o, "position", fmt_decimal(position, pos), ATTR_ORDER);
		}
		model_set(x->m, o, "comment", NULL, 0);	/* apply_comments */
		int attnum = (int)oid_at(r, i, f_num);
		if (ri && attnum > 0 && attnum < ri->ncols)
			ri->cols[attnum] = (struct colinfo){ pg_quote_ident(x, name), typid, collid, o,
							     gen ? gen[0] : '\0' };
		if (x->o->grants)
			imap_put(&x->cols, rel << 16 | (uint64_t)attnum, o);
	}
	return 0;
}

static void defer(struct ctx *x, char kind, const char *oid, struct mobj *o);

/*
 * The functions of pg_catalog a composed column default may call: those
 * pg_get_expr() prints bare (the only function of its name, needing no
 * quotes) taking no argument, and nextval(regclass).
 */
static char *sql_callable(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT p.oid, p.proname, p.pronargs, p.proargtypes[0] AS argtype FROM pg_catalog.pg_proc p"
		" WHERE p.pronamespace = 'pg_catalog'::pg_catalog.regnamespace"
		" AND (p.pronargs = 0 OR p.oid = 'pg_catalog.nextval(pg_catalog.regclass)'::pg_catalog.regprocedure)"
		" AND pg_catalog.quote_ident(p.proname) OPERATOR(pg_catalog.=) p.proname::pg_catalog.text"
		" AND NOT EXISTS (SELECT FROM pg_catalog.pg_proc q WHERE q.proname = p.proname"
		"   AND q.pronamespace = p.pronamespace AND q.oid <> p.oid)");
}

static int load_callable(struct ctx *x, PGresult *r)
{
	int f_oid = fnum(r, "oid"), f_name = fnum(r, "proname"), f_nargs = fnum(r, "pronargs"),
	    f_arg = fnum(r, "argtype");
	imap_reserve(&x->funcs, (size_t)PQntuples(r));
	for (int i = 0; i < PQntuples(r); i++) {
		struct funcinfo *f = arena_alloc(&x->tmp, sizeof(*f));
		*f = (struct funcinfo){ arena_strdup(&x->tmp, val(r, i, f_name)), (int)oid_at(r, i, f_nargs),
					(unsigned)oid_at(r, i, f_arg) };
		imap_put(&x->funcs, oid_at(r, i, f_oid), f);
	}
	return 0;
}

/*
 * Column defaults and generation expressions. The common shapes (a
 * constant, now(), nextval('s'::regclass), CURRENT_TIMESTAMP) come as
 * their stored trees and are printed here (deparse_default); those it
 * cannot print are left to the server (run_deferred), and the shapes it
 * never prints are printed by the server in this read. A default cannot name a column, so the server
 * deparses it without opening its table (relation 0); only an expression
 * with a column reference (a Var node) needs the table.
 */
#define DEFAULT_BY_SERVER \
	"pg_catalog.pg_get_expr(ad.adbin, CASE WHEN ad.adbin::pg_catalog.text LIKE '%{VAR %'" \
	" THEN ad.adrelid ELSE 0 END)"
/* the same in a printf format */
#define DEFAULT_BY_SERVER_PCT \
	"pg_catalog.pg_get_expr(ad.adbin, CASE WHEN ad.adbin::pg_catalog.text LIKE '%%{VAR %%'" \
	" THEN ad.adrelid ELSE 0 END)"

static char *sql_defaults(const struct ctx *x)
{
	char *tables = of_tables_read(x, "ad.adrelid");
	char *sql = xasprintf(x->compose ?
		/* a generated column's expression names columns: the server prints those */
		"SELECT ad.oid, ad.adrelid, ad.adnum, CASE WHEN NOT v.var THEN ad.adbin::pg_catalog.text END AS bin,"
		" CASE WHEN v.var THEN pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END AS def "
		"FROM pg_catalog.pg_attrdef ad,"
		" LATERAL (SELECT ad.adbin::pg_catalog.text LIKE '%%{VAR %%' AS var) v WHERE %s" :
		"SELECT ad.oid, ad.adrelid, ad.adnum, NULL::pg_catalog.text AS bin, " DEFAULT_BY_SERVER_PCT " AS def "
		"FROM pg_catalog.pg_attrdef ad WHERE %s", tables);
	free(tables);
	return sql;
}

/* The default or generation expression `def` of column o (attgenerated gen). */
static void set_default(struct ctx *x, struct mobj *o, char gen, const char *def)
{
	if (gen == 's' || gen == 'v') {
		char *g = xasprintf("(%s) %s", def ? def : "", gen == 's' ? "STORED" : "VIRTUAL");
		model_set(x->m, o, "generated", g, 0);
		free(g);
	} else {
		model_set(x->m, o, "default", def, 0);
	}
}

/* For deparse_default(): functions by load_callable, sequences by their relation read. */
static const char *default_func(void *ctx, unsigned funcid, int nargs, const unsigned *argtypes)
{
	const struct funcinfo *f = imap_get(&((struct ctx *)ctx)->funcs, funcid);
	return f && f->nargs == nargs && (nargs == 0 || (nargs == 1 && argtypes[0] == f->argtype)) ? f->name : NULL;
}

static const char *default_relation(void *ctx, unsigned relid)
{
	const struct relinfo *ri = imap_get(&((struct ctx *)ctx)->relinfo, relid);
	return ri ? ri->pgname : NULL;
}

static const char *no_column(void *ctx, long attno, unsigned *typid)
{
	(void)ctx;
	(void)attno;
	(void)typid;
	return NULL;
}

static const char *no_oper(void *ctx, unsigned opno, unsigned left, unsigned right)
{
	(void)ctx;
	(void)opno;
	(void)left;
	(void)right;
	return NULL;
}

static int load_defaults(struct ctx *x, PGresult *r)
{
	int f_oid = fnum(r, "oid"), f_rel = fnum(r, "adrelid"), f_num = fnum(r, "adnum"), f_bin = fnum(r, "bin"),
	    f_def = fnum(r, "def");
	/* defaults repeat (0, now()): each distinct tree is parsed once */
	const struct deparse_env env = { .column = no_column, .oper = no_oper, .func = default_func,
					 .relation = default_relation, .ctx = x, .cache = x->trees };
	struct buf b = BUF_INIT;
	for (int i = 0; i < PQntuples(r); i++) {
		const struct relinfo *ri = imap_get(&x->relinfo, oid_at(r, i, f_rel));
		int attnum = (int)oid_at(r, i, f_num);
		if (!ri || attnum <= 0 || attnum >= ri->ncols || !ri->cols[attnum].obj)
			continue;
		const struct colinfo *col = &ri->cols[attnum];
		const char *bin = val(r, i, f_bin);
		if (!bin) {
			set_default(x, col->obj, col->gen, val(r, i, f_def));
			continue;
		}
		buf_reset(&b);
		if (deparse_default(bin, &env, &b)) {
			set_default(x, col->obj, col->gen, b.s);
		} else {
			defer(x, 'd', val(r, i, f_oid), col->obj);
			x->deferred.v[x->deferred.n - 1].gen = col->gen;
		}
	}
	buf_release(&b);
	return 0;
}

/* ---- composing definitions ---- */

/* The integers of an int2vector or oidvector ("1 2 3") or of an array ("{1,2,3}"), in `a`. */
static int parse_ints(struct arena *a, const char *s, long **out)
{
	*out = NULL;
	if (!s)
		return 0;
	size_t cap = 1;
	for (const char *p = s; *p; p++)
		cap += *p == ' ' || *p == ',';
	long *v = arena_alloc(a, cap * sizeof(*v));
	int n = 0;
	for (const char *p = s; *p;) {
		if (*p == '-' || (*p >= '0' && *p <= '9')) {
			char *end;
			v[n++] = strtol(p, &end, 10);
			p = end;
		} else {
			p++;
		}
	}
	*out = v;
	return n;
}

/* Append the names of columns `nums` of ri, ", " between them; false when one is unknown. */
static bool column_list(struct buf *b, const struct relinfo *ri, const long *nums, int n)
{
	for (int k = 0; k < n; k++) {
		if (!ri || nums[k] <= 0 || nums[k] >= ri->ncols || !ri->cols[nums[k]].pgq)
			return false;
		if (k)
			buf_adds(b, ", ");
		buf_adds(b, ri->cols[nums[k]].pgq);
	}
	return true;
}

static void defer(struct ctx *x, char kind, const char *oid, struct mobj *o)
{
	struct deferred d = { kind, false, '\0', key_of(x, oid), o };
	VEC_PUSH(&x->deferred, d);
}


/* ---- indexes ---- */

/*
 * Every index of the tables read: those backing a PRIMARY KEY, UNIQUE or
 * EXCLUDE constraint only lend their columns to the constraint's
 * definition; the others become objects. Indexes attached to a partitioned
 * index are the parent's.
 */
static char *sql_indexes(const struct ctx *x)
{
	bool v15 = x->version >= 150000;
	return xasprintf(
		"SELECT i.indexrelid, n.nspname, ic.relname, i.indrelid,"
		" i.indisunique, i.indisvalid, i.indnatts, i.indnkeyatts, i.indkey, i.indclass, i.indcollation,"
		" i.indoption, am.amname, %s AS nulls_not_distinct,"
		" (i.indexprs IS NOT NULL OR i.indpred IS NOT NULL OR ic.reloptions IS NOT NULL"
		"   OR ic.relkind <> 'i') AS complex,"
		" (i.indexrelid, i.indrelid) IN (SELECT co.conindid, co.conrelid FROM pg_catalog.pg_constraint co"
		"   WHERE co.contype IN ('p', 'u', 'x')) AS constraint_index "
		"FROM pg_catalog.pg_index i"
		" JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid"
		" JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace"
		" JOIN pg_catalog.pg_am am ON am.oid = ic.relam"
		" WHERE ic.relnamespace IN " SCHEMAS
		/* NOT IN, a hashed subplan: NOT EXISTS became an anti join that scanned pg_inherits once per index */
		" AND i.indexrelid NOT IN (SELECT h.inhrelid FROM pg_catalog.pg_inherits h)", v15 ? "i.indnullsnotdistinct" : "false");
}

/* The default b-tree operator classes, to tell whether an index column names its own. */
static char *sql_btree_opclasses(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT oc.oid, oc.opcintype FROM pg_catalog.pg_opclass oc"
		" JOIN pg_catalog.pg_am am ON am.oid = oc.opcmethod"
		" WHERE am.amname = 'btree' AND oc.opcdefault");
}

static int load_btree_opclasses(struct ctx *x, PGresult *r)
{
	int f_oid = fnum(r, "oid"), f_type = fnum(r, "opcintype");
	for (int i = 0; i < PQntuples(r); i++)
		imap_put(&x->btree_default, oid_at(r, i, f_oid),
			(void *)(uintptr_t)strtoul(val(r, i, f_type), NULL, 10));
	return 0;
}

/* A binary operator of pg_catalog, for composing CHECK expressions (deparse.h). */
struct operinfo {
	const char *name;
	unsigned left, right;
};

static char *sql_operators(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT o.oid, o.oprname, o.oprleft, o.oprright FROM pg_catalog.pg_operator o"
		" WHERE o.oprnamespace = 'pg_catalog'::pg_catalog.regnamespace AND o.oprkind = 'b'");
}

static int load_operators(struct ctx *x, PGresult *r)
{
	int f_oid = fnum(r, "oid"), f_name = fnum(r, "oprname"), f_left = fnum(r, "oprleft"),
	    f_right = fnum(r, "oprright");
	for (int i = 0; i < PQntuples(r); i++) {
		struct operinfo *op = arena_alloc(&x->tmp, sizeof(*op));
		op->name = arena_strdup(&x->tmp, val(r, i, f_name));
		op->left = (unsigned)strtoul(val(r, i, f_left), NULL, 10);
		op->right = (unsigned)strtoul(val(r, i, f_right), NULL, 10);
		imap_put(&x->opers, oid_at(r, i, f_oid), op);
	}
	return 0;
}

/*
 * pg_get_indexdef() of a b-tree index on plain columns of table ri, each
 * with its column's collation and its type's default operator class; NULL
 * for any other index (left to the server). The shape is ruleutils.c's:
 *   CREATE [UNIQUE ]INDEX name ON schema.table USING btree (a, b DESC) INCLUDE (c)
 */
static const char *compose_index(struct ctx *x, const struct relinfo *ri, const PGresult *r, int row,
				 const int *f)
{
	enum { F_NAME, F_UNIQUE, F_NATTS, F_NKEY, F_KEY, F_CLASS, F_COLL, F_OPT, F_AM, F_NND, F_COMPLEX };
	if (!x->compose || !ri || !ri->ncols || is_true(r, row, f[F_COMPLEX]) || is_true(r, row, f[F_NND]) ||
	    strcmp(val(r, row, f[F_AM]), "btree") != 0)
		return NULL;
	long *keys, *classes, *colls, *opts;
	int natts = atoi(val(r, row, f[F_NATTS])), nkey = atoi(val(r, row, f[F_NKEY]));
	if (parse_ints(&x->tmp, val(r, row, f[F_KEY]), &keys) != natts ||
	    parse_ints(&x->tmp, val(r, row, f[F_CLASS]), &classes) != nkey ||
	    parse_ints(&x->tmp, val(r, row, f[F_COLL]), &colls) != nkey ||
	    parse_ints(&x->tmp, val(r, row, f[F_OPT]), &opts) != nkey)
		return NULL;
	struct buf b = BUF_INIT;
	buf_adds(&b, is_true(r, row, f[F_UNIQUE]) ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
	buf_adds(&b, pg_quote_ident(x, val(r, row, f[F_NAME])));
	buf_adds(&b, " ON ");
	buf_adds(&b, ri->pgname);
	buf_adds(&b, " USING btree (");
	const char *result = NULL;
	for (int k = 0; k < natts; k++) {
		if (k == nkey)
			buf_adds(&b, ") INCLUDE (");
		else if (k)
			buf_adds(&b, ", ");
		if (!column_list(&b, ri, &keys[k], 1))
			goto out;
		if (k >= nkey)
			continue;
		const struct colinfo *col = &ri->cols[keys[k]];
		uintptr_t intype = classes[k] > 0 ? (uintptr_t)imap_get(&x->btree_default, (uint64_t)classes[k]) : 0;
		if ((colls[k] && (unsigned)colls[k] != col->coll) || intype != col->typid)
			goto out;
		if (opts[k] & 1)	/* INDOPTION_DESC; NULLS FIRST is its default */
			buf_adds(&b, opts[k] & 2 ? " DESC" : " DESC NULLS LAST");
		else if (opts[k] & 2)	/* INDOPTION_NULLS_FIRST */
			buf_adds(&b, " NULLS FIRST");
	}
	buf_addch(&b, ')');
	result = model_strdup(x->m, b.s);
out:
	buf_release(&b);
	return result;
}

static int load_indexes(struct ctx *x, PGresult *r)
{
	size_t nrows = (size_t)PQntuples(r);
	model_reserve(x->m, nrows);
	imap_reserve(&x->rels, x->rels.n + nrows);
	imap_reserve(&x->idxinfo, x->idxinfo.n + nrows);
	int f_oid = fnum(r, "indexrelid"), f_nsp = fnum(r, "nspname"), f_name = fnum(r, "relname"),
	    f_rel = fnum(r, "indrelid"), f_valid = fnum(r, "indisvalid"), f_con = fnum(r, "constraint_index");
	const int f[] = { fnum(r, "relname"), fnum(r, "indisunique"), fnum(r, "indnatts"), fnum(r, "indnkeyatts"),
			  fnum(r, "indkey"), fnum(r, "indclass"), fnum(r, "indcollation"), fnum(r, "indoption"),
			  fnum(r, "amname"), fnum(r, "nulls_not_distinct"), fnum(r, "complex") };
	/* those backing a constraint lend it their columns */
	for (int i = 0; i < PQntuples(r); i++) {
		if (!is_true(r, i, f_con))
			continue;
		struct idxinfo *ii = arena_alloc(&x->tmp, sizeof(*ii));
		long *keys;
		ii->natts = parse_ints(&x->tmp, val(r, i, f[4]), &keys);
		ii->keys = keys;
		ii->nkey = atoi(val(r, i, f[3]));
		ii->nulls_not_distinct = is_true(r, i, f[9]);
		imap_put(&x->idxinfo, oid_at(r, i, f_oid), ii);
	}
	/* the others are objects, by table and name (a table not read: extension-owned or system) */
	struct mobj **tables;
	int n;
	const int *order = child_order(x, r, f_rel, -1, f_name, &tables, &n);
	for (int j = 0; j < n; j++) {
		int i = order[j];
		if (is_true(r, i, f_con))
			continue;
		const char *nsp = val(r, i, f_nsp), *name = val(r, i, f_name);
		struct mobj *o = model_add(x->m, OBJ_INDEX, nsp, name, NULL, tables[i], qname(x, nsp, name));
		if (!o)
			continue;
		const char *def = compose_index(x, imap_get(&x->relinfo, oid_at(r, i, f_rel)), r, i, f);
		model_set_owned(x->m, o, "definition", def, 0);
		if (!def)
			defer(x, 'i', val(r, i, f_oid), o);
		model_set_owned(x->m, o, "valid", is_true(r, i, f_valid) ? "true" : "false", 0);
		model_set(x->m, o, "comment", NULL, 0);	/* apply_comments */
		imap_put(&x->rels, oid_at(r, i, f_oid), o);
	}
	return 0;
}

/* ---- constraints ---- */

static char *sql_constraints(const struct ctx *x)
{
	char *tables = of_tables_read(x, "co.conrelid");
	char *sql = xasprintf(
		"SELECT co.oid, co.conrelid, co.conname, co.contype, co.conkey, co.confrelid, co.confkey,"
		" co.confupdtype, co.confdeltype, co.confmatchtype, %s AS confdelsetcols, co.conindid,"
		" co.condeferrable, co.condeferred, co.convalidated, %s AS conenforced, co.connoinherit,"
		" %s AS conbin "
		"FROM pg_catalog.pg_constraint co"
		" WHERE %s AND co.contype IN ('p', 'u', 'c', 'f', 'x') AND co.conislocal AND co.conparentid = 0",
		x->version >= 150000 ? "co.confdelsetcols" : "NULL::pg_catalog.int2[]",
		x->version >= 180000 ? "co.conenforced" : "true",
		x->compose ? "CASE WHEN co.contype = 'c' THEN co.conbin::pg_catalog.text END" : "NULL::pg_catalog.text",
		tables);
	free(tables);
	return sql;
}

/* For deparse_check(): the columns of the constraint's table, the operators of pg_catalog. */
struct check_env {
	struct ctx *x;
	const struct relinfo *ri;
};

static const char *check_column(void *ctx, long attno, unsigned *typid)
{
	const struct relinfo *ri = ((struct check_env *)ctx)->ri;
	if (!ri || attno <= 0 || attno >= ri->ncols || !ri->cols[attno].pgq)
		return NULL;
	*typid = ri->cols[attno].typid;
	return ri->cols[attno].pgq;
}

static const char *check_oper(void *ctx, unsigned opno, unsigned left, unsigned right)
{
	struct ctx *x = ((struct check_env *)ctx)->x;
	const struct operinfo *op = imap_get(&x->opers, opno);
	return op && op->left == left && op->right == right ? op->name : NULL;
}

/* pg_get_constraintdef() of a CHECK without its NOT VALID flag, or NULL (left to the server). */
static const char *compose_check(struct ctx *x, uint64_t conrelid, const char *conbin, bool noinherit)
{
	if (!x->compose)
		return NULL;
	struct check_env ce = { x, imap_get(&x->relinfo, conrelid) };
	const struct deparse_env env = { .column = check_column, .oper = check_oper, .ctx = &ce, .cache = x->trees };
	struct buf b = BUF_INIT;
	buf_adds(&b, "CHECK (");
	const char *result = NULL;
	if (deparse_check(conbin, &env, &b)) {
		buf_adds(&b, noinherit ? ") NO INHERIT" : ")");
		result = model_strdup(x->m, b.s);
	}
	buf_release(&b);
	return result;
}

static const char *fk_action(char a)
{
	switch (a) {
	case 'r': return " RESTRICT";
	case 'c': return " CASCADE";
	case 'n': return " SET NULL";
	case 'd': return " SET DEFAULT";
	default: return NULL;	/* 'a': NO ACTION, not printed */
	}
}

/*
 * pg_get_constraintdef() of a PRIMARY KEY, UNIQUE or FOREIGN KEY constraint
 * without its DEFERRABLE / NOT VALID flags, or NULL (left to the server):
 *   PRIMARY KEY (a, b) INCLUDE (c)
 *   UNIQUE NULLS NOT DISTINCT (a)
 *   FOREIGN KEY (a) REFERENCES schema.t(b) MATCH FULL ON UPDATE CASCADE ON DELETE SET NULL (a)
 */
static const char *compose_constraint(struct ctx *x, const PGresult *r, int row, const int *f)
{
	enum { F_TYPE, F_REL, F_KEY, F_FREL, F_FKEY, F_UPD, F_DEL, F_MATCH, F_SETCOLS, F_IND };
	char type = val(r, row, f[F_TYPE])[0];
	if (!x->compose || (type != 'p' && type != 'u' && type != 'f'))
		return NULL;
	const struct relinfo *ri = imap_get(&x->relinfo, oid_at(r, row, f[F_REL]));
	long *keys;
	int nkeys = parse_ints(&x->tmp, val(r, row, f[F_KEY]), &keys);
	struct buf b = BUF_INIT;
	const char *result = NULL;
	if (type == 'p' || type == 'u') {
		const struct idxinfo *ii = imap_get(&x->idxinfo, oid_at(r, row, f[F_IND]));
		if (!ii || ii->natts < nkeys)
			goto out;
		buf_adds(&b, type == 'p' ? "PRIMARY KEY " : "UNIQUE ");
		if (type == 'u' && ii->nulls_not_distinct)
			buf_adds(&b, "NULLS NOT DISTINCT ");
		buf_addch(&b, '(');
		if (!column_list(&b, ri, keys, nkeys))
			goto out;
		buf_addch(&b, ')');
		if (ii->natts > nkeys) {
			buf_adds(&b, " INCLUDE (");
			if (!column_list(&b, ri, ii->keys + nkeys, ii->natts - nkeys))
				goto out;
			buf_addch(&b, ')');
		}
	} else {
		const struct relinfo *fr = imap_get(&x->relinfo, oid_at(r, row, f[F_FREL]));
		long *fkeys, *setcols;
		int nfkeys = parse_ints(&x->tmp, val(r, row, f[F_FKEY]), &fkeys);
		int nset = parse_ints(&x->tmp, val(r, row, f[F_SETCOLS]), &setcols);
		if (!fr)
			goto out;
		buf_adds(&b, "FOREIGN KEY (");
		if (!column_list(&b, ri, keys, nkeys))
			goto out;
		buf_adds(&b, ") REFERENCES ");
		buf_adds(&b, fr->pgname);
		buf_addch(&b, '(');
		if (!column_list(&b, fr, fkeys, nfkeys))
			goto out;
		buf_addch(&b, ')');
		char match = val(r, row, f[F_MATCH])[0];
		if (match == 'f')
			buf_adds(&b, " MATCH FULL");
		else if (match == 'p')
			buf_adds(&b, " MATCH PARTIAL");
		else if (match != 's')
			goto out;
		const char *upd = fk_action(val(r, row, f[F_UPD])[0]), *del = fk_action(val(r, row, f[F_DEL])[0]);
		if (upd) {
			buf_adds(&b, " ON UPDATE");
			buf_adds(&b, upd);
		}
		if (del) {
			buf_adds(&b, " ON DELETE");
			buf_adds(&b, del);
		}
		if (val(r, row, f[F_SETCOLS])) {
			buf_adds(&b, " (");
			if (!column_list(&b, ri, setcols, nset))
				goto out;
			buf_addch(&b, ')');
		}
	}
	result = model_strdup(x->m, b.s);
out:
	buf_release(&b);
	return result;
}

static int load_constraints(struct ctx *x, PGresult *r)
{
	model_reserve(x->m, (size_t)PQntuples(r));
	imap_reserve(&x->cons, x->cons.n + (size_t)PQntuples(r));
	int f_oid = fnum(r, "oid"), f_rel = fnum(r, "conrelid"), f_name = fnum(r, "conname"),
	    f_type = fnum(r, "contype"), f_defer = fnum(r, "condeferrable"),
	    f_deferred = fnum(r, "condeferred"), f_valid = fnum(r, "convalidated"),
	    f_enf = fnum(r, "conenforced"), f_noinh = fnum(r, "connoinherit"), f_conbin = fnum(r, "conbin");
	const int f[] = { f_type, f_rel, fnum(r, "conkey"), fnum(r, "confrelid"), fnum(r, "confkey"),
			  fnum(r, "confupdtype"), fnum(r, "confdeltype"), fnum(r, "confmatchtype"),
			  fnum(r, "confdelsetcols"), fnum(r, "conindid") };
	struct mobj **tables;
	int n;
	const int *order = child_order(x, r, f_rel, -1, f_name, &tables, &n);
	for (int j = 0; j < n; j++) {
		int i = order[j];
		struct mobj *table = tables[i];
		const char *name = val(r, i, f_name), *oid = val(r, i, f_oid);
		struct mobj *o = model_add(x->m, OBJ_CONSTRAINT, NULL, name, NULL, table, qname(x, NULL, name));
		if (!o)
			continue;
		bool deferrable = is_true(r, i, f_defer), deferred = is_true(r, i, f_deferred);
		bool valid = is_true(r, i, f_valid), enf = is_true(r, i, f_enf);
		static const char *const types[] = { "p", "PRIMARY KEY", "u", "UNIQUE", "c", "CHECK",
						     "f", "FOREIGN KEY", "x", "EXCLUDE" };
		const char *t = val(r, i, f_type);
		for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k += 2)
			if (!strcmp(types[k], t))
				model_set_owned(x->m, o, "constraint_type", types[k + 1], ATTR_NODIFF);
		/* EXCLUDE and the rest: from the server (helper_send(), run_deferred()) */
		const char *def = t[0] == 'c' ? compose_check(x, oid_at(r, i, f_rel), val(r, i, f_conbin),
							     is_true(r, i, f_noinh))
					       : compose_constraint(x, r, i, f);
		model_set_owned(x->m, o, "definition", def, 0);
		model_set_owned(x->m, o, "deferrable", !deferrable ? "NOT DEFERRABLE" :
			  deferred ? "DEFERRABLE INITIALLY DEFERRED" : "DEFERRABLE INITIALLY IMMEDIATE", 0);
		model_set_owned(x->m, o, "validated", valid ? "true" : "false", 0);
		if (x->version >= 180000)
			model_set_owned(x->m, o, "enforced", enf ? "true" : "false", 0);
		model_set(x->m, o, "comment", NULL, 0);	/* apply_comments */
		if (!def)
			defer(x, 'c', oid, o);
		imap_put(&x->cons, oid_at(r, i, f_oid), o);
	}
	return 0;
}

/* Definitions the helper session printed (helper_send). */
static int load_server_constraints(struct ctx *x, PGresult *r)
{
	int f_oid = fnum(r, "oid"), f_def = fnum(r, "def");
	for (int i = 0; i < PQntuples(r); i++)
		set_server_def(x, imap_get(&x->cons, oid_at(r, i, f_oid)), val(r, i, f_def));
	return 0;
}

/* ---- functions and procedures ---- */

static char *sql_functions(const struct ctx *x)
{
	const char *body = x->version >= 140000 ?
		"CASE WHEN p.prosqlbody IS NOT NULL THEN pg_catalog.pg_get_function_sqlbody(p.oid) ELSE p.prosrc END" :
		"p.prosrc";
	char *sql = xasprintf(
		"SELECT p.oid, n.nspname, p.proname, p.prokind,"
		" pg_catalog.oidvectortypes(p.proargtypes) AS argtypes,"
		" pg_catalog.pg_get_function_arguments(p.oid) AS args,"
		" pg_catalog.pg_get_function_identity_arguments(p.oid) AS identargs,"
		" pg_catalog.pg_get_function_result(p.oid) AS result,"
		" l.lanname, p.provolatile, p.proisstrict, p.prosecdef, p.proleakproof, p.proparallel,"
		" p.procost, p.prorows, p.proconfig, %s AS body, p.probin,"
		" pg_catalog.pg_get_functiondef(p.oid) AS def, d.description "
		"FROM pg_catalog.pg_proc p"
		" JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
		" JOIN pg_catalog.pg_language l ON l.oid = p.prolang"
		DESC_JOIN("pg_proc", "p.oid", "0")
		" WHERE p.pronamespace IN " SCHEMAS " AND p.prokind IN ('f', 'p', 'w')"
		" AND NOT " EXT_OWNED("pg_proc", "p.oid")
		/* nor a type's own functions (a range type's constructors): they come and go with it */
		" AND NOT " TYPE_INTERNAL("pg_proc", "p.oid")
		" ORDER BY n.nspname, p.proname, argtypes", body);
	return sql;
}

static int load_functions(struct ctx *x, PGresult *r)
{
	int f_oid = fnum(r, "oid"), f_nsp = fnum(r, "nspname"), f_name = fnum(r, "proname"),
	    f_kind = fnum(r, "prokind"), f_types = fnum(r, "argtypes"), f_args = fnum(r, "args"),
	    f_ident = fnum(r, "identargs"), f_result = fnum(r, "result"), f_lang = fnum(r, "lanname"),
	    f_vol = fnum(r, "provolatile"), f_strict = fnum(r, "proisstrict"), f_sec = fnum(r, "prosecdef"),
	    f_leak = fnum(r, "proleakproof"), f_par = fnum(r, "proparallel"), f_cost = fnum(r, "procost"),
	    f_rows = fnum(r, "prorows"), f_conf = fnum(r, "proconfig"), f_body = fnum(r, "body"),
	    f_bin = fnum(r, "probin"), f_def = fnum(r, "def"), f_desc = fnum(r, "description");
	for (int i = 0; i < PQntuples(r); i++) {
		const char *nsp = val(r, i, f_nsp), *name = val(r, i, f_name);
		enum obj_kind k = val(r, i, f_kind)[0] == 'p' ? OBJ_PROCEDURE : OBJ_FUNCTION;
		struct mobj *o = model_add(x->m, k, nsp, name, val(r, i, f_types), NULL, quote2(x, nsp, name));
		if (!o)
			continue;
		char vol = val(r, i, f_vol)[0], par = val(r, i, f_par)[0];
		model_set(x->m, o, "arguments", val(r, i, f_args), 0);
		model_set(x->m, o, "returns", val(r, i, f_result), 0);
		model_set(x->m, o, "language", val(r, i, f_lang), 0);
		if (k == OBJ_FUNCTION) {
			model_set(x->m, o, "volatility", vol == 'i' ? "IMMUTABLE" : vol == 's' ? "STABLE" : "VOLATILE", 0);
			model_set_owned(x->m, o, "strict", is_true(r, i, f_strict) ? "STRICT" : "CALLED ON NULL INPUT", 0);
			model_set_owned(x->m, o, "leakproof", is_true(r, i, f_leak) ? "LEAKPROOF" : "NOT LEAKPROOF", 0);
			model_set(x->m, o, "parallel", par == 's' ? "SAFE" : par == 'r' ? "RESTRICTED" : "UNSAFE", 0);
			model_set(x->m, o, "cost", val(r, i, f_cost), 0);
			model_set(x->m, o, "rows", val(r, i, f_rows), 0);
		}
		model_set_owned(x->m, o, "security", is_true(r, i, f_sec) ? "DEFINER" : "INVOKER", 0);
		const char **conf;
		int nconf = catalog_parse_array(&x->tmp, val(r, i, f_conf), &conf);
		struct buf s = BUF_INIT;
		for (int c = 0; c < nconf; c++)
			buf_printf(&s, "%s%s", c ? ", " : "", conf[c] ? conf[c] : "");
		model_set(x->m, o, "config", nconf > 0 ? s.s : NULL, 0);
		buf_release(&s);
		const char *bin = val(r, i, f_bin);
		if (bin) {
			char *b = xasprintf("%s (%s)", val(r, i, f_body), bin);
			model_set(x->m, o, "body", b, 0);
			free(b);
		} else {
			model_set(x->m, o, "body", val(r, i, f_body), 0);
		}
		model_set(x->m, o, "comment", val(r, i, f_desc), 0);
		model_set(x->m, o, "identity_arguments", val(r, i, f_ident), ATTR_NODIFF);
		model_set(x->m, o, "source", val(r, i, f_def), ATTR_NODIFF);
		imap_put(&x->procs, oid_at(r, i, f_oid), o);
	}
	return 0;
}

/* ---- triggers and policies ---- */

static char *sql_triggers(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT t.oid, t.tgrelid, t.tgname, pg_catalog.pg_get_triggerdef(t.oid) AS def, t.tgenabled,"
		" d.description "
		"FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid"
		DESC_JOIN("pg_trigger", "t.oid", "0")
		" WHERE c.relnamespace IN " SCHEMAS " AND NOT t.tgisinternal AND t.tgparentid = 0"
		" ORDER BY t.tgrelid, t.tgname");
}

static int load_triggers(struct ctx *x, PGresult *r)
{
	int f_oid = fnum(r, "oid"), f_rel = fnum(r, "tgrelid"), f_name = fnum(r, "tgname"),
	    f_def = fnum(r, "def"), f_en = fnum(r, "tgenabled"), f_desc = fnum(r, "description");
	for (int i = 0; i < PQntuples(r); i++) {
		struct mobj *table = imap_get(&x->rels, oid_at(r, i, f_rel));
		if (!table)
			continue;
		const char *name = val(r, i, f_name);
		struct mobj *o = model_add(x->m, OBJ_TRIGGER, NULL, name, NULL, table, quote(x, name));
		if (!o)
			continue;
		char en = val(r, i, f_en)[0];
		model_set(x->m, o, "definition", val(r, i, f_def), 0);
		model_set(x->m, o, "enabled", en == 'D' ? "DISABLED" : en == 'R' ? "REPLICA" : en == 'A' ? "ALWAYS" : "ENABLED", 0);
		model_set(x->m, o, "comment", val(r, i, f_desc), 0);
		imap_put(&x->trigs, oid_at(r, i, f_oid), o);
	}
	return 0;
}

static char *sql_policies(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT p.oid, p.polrelid, p.polname, p.polcmd, p.polpermissive,"
		" ARRAY(SELECT CASE WHEN u = 0 THEN '' ELSE pg_catalog.pg_get_userbyid(u) END"
		"   FROM pg_catalog.unnest(p.polroles) u ORDER BY 1) AS roles,"
		" pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS qual,"
		" pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS withcheck, d.description "
		"FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid"
		DESC_JOIN("pg_policy", "p.oid", "0")
		" WHERE c.relnamespace IN " SCHEMAS
		" ORDER BY p.polrelid, p.polname");
}

static int load_policies(struct ctx *x, PGresult *r)
{
	int f_oid = fnum(r, "oid"), f_rel = fnum(r, "polrelid"), f_name = fnum(r, "polname"),
	    f_cmd = fnum(r, "polcmd"), f_perm = fnum(r, "polpermissive"), f_roles = fnum(r, "roles"),
	    f_qual = fnum(r, "qual"), f_check = fnum(r, "withcheck"), f_desc = fnum(r, "description");
	for (int i = 0; i < PQntuples(r); i++) {
		struct mobj *table = imap_get(&x->rels, oid_at(r, i, f_rel));
		if (!table)
			continue;
		const char *name = val(r, i, f_name);
		struct mobj *o = model_add(x->m, OBJ_POLICY, NULL, name, NULL, table, quote(x, name));
		if (!o)
			continue;
		char cmd = val(r, i, f_cmd)[0];
		model_set_owned(x->m, o, "command", cmd == 'r' ? "SELECT" : cmd == 'a' ? "INSERT" : cmd == 'w' ? "UPDATE" :
			  cmd == 'd' ? "DELETE" : "ALL", 0);
		model_set_owned(x->m, o, "permissive", is_true(r, i, f_perm) ? "PERMISSIVE" : "RESTRICTIVE", 0);
		model_set_owned(x->m, o, "roles", ident_list(x, val(r, i, f_roles)), 0);
		model_set(x->m, o, "using", val(r, i, f_qual), 0);
		model_set(x->m, o, "with_check", val(r, i, f_check), 0);
		model_set(x->m, o, "comment", val(r, i, f_desc), 0);
		imap_put(&x->pols, oid_at(r, i, f_oid), o);
	}
	return 0;
}

/* ---- grants ---- */

/*
 * One row per (object, grantee, privilege), from the ACL or, where there is
 * none, the kind's default ACL (so a revoked default PUBLIC privilege shows
 * as a difference). The owner's own privileges are left out: the owner of
 * the throwaway database's objects is whoever built it.
 */
static char *sql_grants(const struct ctx *x)
{
	(void)x;
#define GRANT_COLS(cls, oid, sub) \
	"SELECT '" cls "'::text AS cls, " oid "::pg_catalog.text AS objid, " sub "::pg_catalog.text AS subid," \
	" CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee) END AS grantee," \
	" a.privilege_type, a.is_grantable "
	/* one SELECT per catalog holding an ACL, joined with UNION ALL */
	static const char *const parts[] = {
		GRANT_COLS("c", "c.oid", "0")
		"FROM pg_catalog.pg_class c CROSS JOIN LATERAL pg_catalog.aclexplode(coalesce(c.relacl,"
		"   pg_catalog.acldefault((CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::pg_catalog.\"char\", c.relowner))) a"
		" WHERE c.relnamespace IN " SCHEMAS " AND c.relkind IN ('r', 'p', 'v', 'm', 'S')"
		" AND a.grantee <> c.relowner",

		GRANT_COLS("a", "c.oid", "at.attnum")
		"FROM pg_catalog.pg_class c"
		" JOIN pg_catalog.pg_attribute at ON at.attrelid = c.oid AND at.attnum > 0 AND NOT at.attisdropped"
		"   AND at.attacl IS NOT NULL"
		" CROSS JOIN LATERAL pg_catalog.aclexplode(at.attacl) a"
		" WHERE c.relnamespace IN " SCHEMAS " AND c.relkind IN ('r', 'p')"
		" AND a.grantee <> c.relowner",

		GRANT_COLS("p", "p.oid", "0")
		"FROM pg_catalog.pg_proc p CROSS JOIN LATERAL pg_catalog.aclexplode(coalesce(p.proacl,"
		"   pg_catalog.acldefault('f'::pg_catalog.\"char\", p.proowner))) a"
		" WHERE p.pronamespace IN " SCHEMAS " AND p.prokind IN ('f', 'p', 'w')"
		" AND a.grantee <> p.proowner",

		GRANT_COLS("n", "n.oid", "0")
		"FROM pg_catalog.pg_namespace n CROSS JOIN LATERAL pg_catalog.aclexplode(coalesce(n.nspacl,"
		"   pg_catalog.acldefault('n'::pg_catalog.\"char\", n.nspowner))) a"
		" WHERE n.oid IN " SCHEMAS " AND a.grantee <> n.nspowner",

		GRANT_COLS("t", "t.oid", "0")
		"FROM pg_catalog.pg_type t CROSS JOIN LATERAL pg_catalog.aclexplode(coalesce(t.typacl,"
		"   pg_catalog.acldefault('T'::pg_catalog.\"char\", t.typowner))) a"
		" WHERE t.typnamespace IN " SCHEMAS " AND t.typtype IN ('e', 'd', 'c')"
		" AND a.grantee <> t.typowner",
	};
#undef GRANT_COLS
	struct buf sql = BUF_INIT;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		buf_printf(&sql, "%s%s", i ? " UNION ALL " : "", parts[i]);
	buf_adds(&sql, " ORDER BY 1, 2, 3, 4 NULLS FIRST, 5");
	return buf_detach(&sql);
}

static int load_grants(struct ctx *x, PGresult *r)
{
	int f_cls = fnum(r, "cls"), f_obj = fnum(r, "objid"), f_sub = fnum(r, "subid"),
	    f_grantee = fnum(r, "grantee"), f_priv = fnum(r, "privilege_type"), f_opt = fnum(r, "is_grantable");
	struct buf privs = BUF_INIT;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		const char *cls = val(r, i, f_cls), *obj = val(r, i, f_obj), *grantee = val(r, i, f_grantee);
		if (privs.len)
			buf_adds(&privs, ", ");
		buf_adds(&privs, val(r, i, f_priv));
		if (is_true(r, i, f_opt))
			buf_adds(&privs, " WITH GRANT OPTION");
		bool last = i + 1 == n;
		if (!last) {
			const char *g2 = val(r, i + 1, f_grantee);
			last = strcmp(val(r, i + 1, f_cls), cls) || strcmp(val(r, i + 1, f_obj), obj) ||
			       strcmp(val(r, i + 1, f_sub), val(r, i, f_sub)) || !grantee != !g2 ||
			       (grantee && strcmp(grantee, g2));
		}
		if (!last)
			continue;
		struct mobj *target = NULL;
		switch (cls[0]) {
		case 'c': target = imap_get(&x->rels, oid_at(r, i, f_obj)); break;
		case 'p': target = imap_get(&x->procs, oid_at(r, i, f_obj)); break;
		case 'n': target = imap_get(&x->schemas, oid_at(r, i, f_obj)); break;
		case 't': target = imap_get(&x->types, oid_at(r, i, f_obj)); break;
		case 'a': target = imap_get(&x->cols, oid_at(r, i, f_obj) << 16 | oid_at(r, i, f_sub)); break;
		}
		if (target) {
			const char *who = grantee ? grantee : "PUBLIC";
			struct mobj *o = model_add(x->m, OBJ_GRANT, NULL, who, NULL, target,
						   grantee ? quote(x, grantee) : "PUBLIC");
			if (o)
				model_set(x->m, o, "privileges", privs.s, 0);
		}
		buf_reset(&privs);
	}
	buf_release(&privs);
	return 0;
}

/* ---- unsupported ---- */

static char *sql_unsupported(const struct ctx *x)
{
	(void)x;
	/*
	 * The schemas and the extensions' members once, as CTEs: a score of
	 * parts each planning both subqueries again was most of this read's
	 * time, for a result that is usually empty.
	 */
#define IN_SCHEMAS(col) " " col " IN (SELECT s.oid FROM s)"
#define NOT_EXT(cat, oidexpr) " AND NOT ((" REG(cat) ", " oidexpr ") IN (SELECT e.classid, e.objid FROM e))"
#define USER_OBJ(cat, alias) " " alias ".oid >= " FIRST_NORMAL_OID NOT_EXT(cat, alias ".oid")
#define NSP_JOIN(col) " JOIN pg_catalog.pg_namespace n ON n.oid = " col
	/* what, ident: one SELECT per catalog, joined with UNION ALL */
	static const char *const parts[] = {
		"SELECT 'aggregate' AS what,"
		" n.nspname || '.' || p.proname || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')' AS ident"
		" FROM pg_catalog.pg_proc p" NSP_JOIN("p.pronamespace")
		" WHERE" IN_SCHEMAS("p.pronamespace") " AND p.prokind = 'a'" NOT_EXT("pg_proc", "p.oid"),

		"SELECT 'operator', n.nspname || '.' || o.oprname || '('"
		" || coalesce(pg_catalog.format_type(o.oprleft, NULL), 'NONE') || ', '"
		" || coalesce(pg_catalog.format_type(o.oprright, NULL), 'NONE') || ')'"
		" FROM pg_catalog.pg_operator o" NSP_JOIN("o.oprnamespace")
		" WHERE" IN_SCHEMAS("o.oprnamespace") NOT_EXT("pg_operator", "o.oid"),

		"SELECT 'operator class', n.nspname || '.' || c.opcname FROM pg_catalog.pg_opclass c"
		NSP_JOIN("c.opcnamespace") " WHERE" IN_SCHEMAS("c.opcnamespace") NOT_EXT("pg_opclass", "c.oid"),

		"SELECT 'operator family', n.nspname || '.' || f.opfname FROM pg_catalog.pg_opfamily f"
		NSP_JOIN("f.opfnamespace") " WHERE" IN_SCHEMAS("f.opfnamespace") NOT_EXT("pg_opfamily", "f.oid"),

		"SELECT 'rule', n.nspname || '.' || c.relname || '.' || r.rulename FROM pg_catalog.pg_rewrite r"
		" JOIN pg_catalog.pg_class c ON c.oid = r.ev_class" NSP_JOIN("c.relnamespace")
		" WHERE" IN_SCHEMAS("c.relnamespace") " AND r.rulename <> '_RETURN'" NOT_EXT("pg_class", "c.oid"),

		"SELECT 'collation', n.nspname || '.' || c.collname FROM pg_catalog.pg_collation c"
		NSP_JOIN("c.collnamespace") " WHERE" IN_SCHEMAS("c.collnamespace") NOT_EXT("pg_collation", "c.oid"),

		"SELECT 'conversion', n.nspname || '.' || c.conname FROM pg_catalog.pg_conversion c"
		NSP_JOIN("c.connamespace") " WHERE" IN_SCHEMAS("c.connamespace") NOT_EXT("pg_conversion", "c.oid"),

		"SELECT 'statistics object', n.nspname || '.' || s.stxname FROM pg_catalog.pg_statistic_ext s"
		NSP_JOIN("s.stxnamespace") " WHERE" IN_SCHEMAS("s.stxnamespace") NOT_EXT("pg_statistic_ext", "s.oid"),

		"SELECT 'text search configuration', n.nspname || '.' || c.cfgname FROM pg_catalog.pg_ts_config c"
		NSP_JOIN("c.cfgnamespace") " WHERE" IN_SCHEMAS("c.cfgnamespace") NOT_EXT("pg_ts_config", "c.oid"),

		"SELECT 'text search dictionary', n.nspname || '.' || c.dictname FROM pg_catalog.pg_ts_dict c"
		NSP_JOIN("c.dictnamespace") " WHERE" IN_SCHEMAS("c.dictnamespace") NOT_EXT("pg_ts_dict", "c.oid"),

		"SELECT 'text search parser', n.nspname || '.' || c.prsname FROM pg_catalog.pg_ts_parser c"
		NSP_JOIN("c.prsnamespace") " WHERE" IN_SCHEMAS("c.prsnamespace") NOT_EXT("pg_ts_parser", "c.oid"),

		"SELECT 'text search template', n.nspname || '.' || c.tmplname FROM pg_catalog.pg_ts_template c"
		NSP_JOIN("c.tmplnamespace") " WHERE" IN_SCHEMAS("c.tmplnamespace") NOT_EXT("pg_ts_template", "c.oid"),

		"SELECT 'event trigger', e.evtname::text FROM pg_catalog.pg_event_trigger e"
		" WHERE true" NOT_EXT("pg_event_trigger", "e.oid"),

		"SELECT 'cast', '(' || pg_catalog.format_type(c.castsource, NULL) || ' AS '"
		" || pg_catalog.format_type(c.casttarget, NULL) || ')' FROM pg_catalog.pg_cast c"
		" WHERE" USER_OBJ("pg_cast", "c") " AND NOT " TYPE_INTERNAL("pg_cast", "c.oid"),

		"SELECT 'foreign-data wrapper', w.fdwname::text FROM pg_catalog.pg_foreign_data_wrapper w"
		" WHERE" USER_OBJ("pg_foreign_data_wrapper", "w"),

		"SELECT 'server', s.srvname::text FROM pg_catalog.pg_foreign_server s"
		" WHERE" USER_OBJ("pg_foreign_server", "s"),

		"SELECT 'user mapping', u.usename || ' on ' || u.srvname FROM pg_catalog.pg_user_mappings u",

		"SELECT 'publication', p.pubname::text FROM pg_catalog.pg_publication p",

		"SELECT 'subscription', s.subname::text FROM pg_catalog.pg_subscription s"
		" WHERE s.subdbid = (SELECT oid FROM pg_catalog.pg_database"
		" WHERE datname = pg_catalog.current_database())",

		"SELECT 'language', l.lanname::text FROM pg_catalog.pg_language l"
		" WHERE" USER_OBJ("pg_language", "l"),

		"SELECT 'access method', a.amname::text FROM pg_catalog.pg_am a"
		" WHERE" USER_OBJ("pg_am", "a"),

		"SELECT 'transform', pg_catalog.format_type(t.trftype, NULL) || ' language ' || l.lanname"
		" FROM pg_catalog.pg_transform t JOIN pg_catalog.pg_language l ON l.oid = t.trflang"
		" WHERE" USER_OBJ("pg_transform", "t"),

		"SELECT 'default privileges', 'for role ' || pg_catalog.pg_get_userbyid(a.defaclrole)"
		" || coalesce(' in schema ' || n.nspname, '') || ' on ' || CASE a.defaclobjtype"
		" WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions'"
		" WHEN 'T' THEN 'types' ELSE 'schemas' END"
		" FROM pg_catalog.pg_default_acl a LEFT JOIN pg_catalog.pg_namespace n ON n.oid = a.defaclnamespace",
	};
#undef IN_SCHEMAS
#undef NOT_EXT
#undef USER_OBJ
#undef NSP_JOIN
	struct buf sql = BUF_INIT;
	/* (in no order: the model orders the notes) */
	buf_adds(&sql, "WITH s AS MATERIALIZED " SCHEMAS ", e AS MATERIALIZED (SELECT xd.classid, xd.objid"
		 " FROM pg_catalog.pg_depend xd WHERE xd.refclassid = " REG("pg_extension") " AND xd.deptype = 'e')"
		 " SELECT what, ident FROM (");
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		buf_printf(&sql, "%s%s", i ? " UNION ALL " : "", parts[i]);
	buf_adds(&sql, ") u");
	return buf_detach(&sql);
}

static int load_unsupported(struct ctx *x, PGresult *r)
{
	int f_what = fnum(r, "what"), f_ident = fnum(r, "ident");
	for (int i = 0; i < PQntuples(r); i++)
		model_add_unsupported(x->m, val(r, i, f_what), val(r, i, f_ident));
	return 0;
}

/* ---- dependencies ---- */

/*
 * pg_depend, normalised to the objects of the model: a column default
 * (pg_attrdef) or a view's rule (pg_rewrite) stands for its relation, an
 * array type for its element type, a table's row type for the table. The
 * link a sequence has to the column that owns it is left out (the column's
 * default already needs the sequence first).
 */
static char *sql_deps(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT DISTINCT"
		" CASE WHEN d.classid IN (" REG("pg_class") ", " REG("pg_attrdef") ", " REG("pg_rewrite") ") THEN 'c'"
		"   WHEN d.classid = " REG("pg_type") " THEN 't' WHEN d.classid = " REG("pg_proc") " THEN 'p'"
		"   WHEN d.classid = " REG("pg_constraint") " THEN 'o' WHEN d.classid = " REG("pg_trigger") " THEN 'g'"
		"   WHEN d.classid = " REG("pg_policy") " THEN 'y' END AS cls,"
		" CASE WHEN d.classid = " REG("pg_attrdef") " THEN ad.adrelid"
		"   WHEN d.classid = " REG("pg_rewrite") " THEN rw.ev_class ELSE d.objid END AS objid,"
		" CASE WHEN d.refclassid = " REG("pg_class") " THEN CASE WHEN rc.relkind = 'c' THEN 't' ELSE 'c' END"
		"   WHEN d.refclassid = " REG("pg_type") " THEN"
		"     CASE WHEN tc.oid IS NOT NULL AND tc.relkind <> 'c' THEN 'c' ELSE 't' END"
		"   WHEN d.refclassid = " REG("pg_proc") " THEN 'p' WHEN d.refclassid = " REG("pg_constraint") " THEN 'o'"
		"   END AS refcls,"
		" CASE WHEN d.refclassid = " REG("pg_class") " THEN CASE WHEN rc.relkind = 'c' THEN rc.reltype ELSE d.refobjid END"
		"   WHEN d.refclassid = " REG("pg_type") " THEN"
		"     CASE WHEN tc.oid IS NOT NULL AND tc.relkind <> 'c' THEN tc.oid ELSE coalesce(et.oid, rt.oid) END"
		"   ELSE d.refobjid END AS refobjid "
		"FROM pg_catalog.pg_depend d"
		" LEFT JOIN pg_catalog.pg_attrdef ad ON d.classid = " REG("pg_attrdef") " AND ad.oid = d.objid"
		" LEFT JOIN pg_catalog.pg_rewrite rw ON d.classid = " REG("pg_rewrite") " AND rw.oid = d.objid"
		" LEFT JOIN pg_catalog.pg_class rc ON d.refclassid = " REG("pg_class") " AND rc.oid = d.refobjid"
		" LEFT JOIN pg_catalog.pg_type rt ON d.refclassid = " REG("pg_type") " AND rt.oid = d.refobjid"
		" LEFT JOIN pg_catalog.pg_type et ON et.oid = rt.typelem AND rt.typlen = -1 AND rt.typelem <> 0"
		" LEFT JOIN pg_catalog.pg_class tc ON tc.oid = coalesce(et.typrelid, rt.typrelid) AND tc.oid <> 0"
		" WHERE d.deptype IN ('n', 'a') AND d.objid >= " FIRST_NORMAL_OID " AND d.refobjid >= " FIRST_NORMAL_OID
		" AND NOT (d.deptype = 'a' AND d.refobjsubid <> 0)"
		" AND d.classid IN (" REG("pg_class") ", " REG("pg_attrdef") ", " REG("pg_rewrite") ", " REG("pg_type") ","
		"   " REG("pg_proc") ", " REG("pg_constraint") ", " REG("pg_trigger") ", " REG("pg_policy") ")"
		" AND d.refclassid IN (" REG("pg_class") ", " REG("pg_type") ", " REG("pg_proc") ", " REG("pg_constraint") ")");
}

static int load_deps(struct ctx *x, PGresult *r)
{
	int f_cls = fnum(r, "cls"), f_obj = fnum(r, "objid"), f_rcls = fnum(r, "refcls"), f_ref = fnum(r, "refobjid");
	for (int i = 0; i < PQntuples(r); i++) {
		struct imap *maps[2] = { NULL, NULL };
		const char *cls[2] = { val(r, i, f_cls), val(r, i, f_rcls) };
		for (int k = 0; k < 2; k++) {
			if (!cls[k])
				continue;
			switch (cls[k][0]) {
			case 'c': maps[k] = &x->rels; break;
			case 't': maps[k] = &x->types; break;
			case 'p': maps[k] = &x->procs; break;
			case 'o': maps[k] = &x->cons; break;
			case 'g': maps[k] = &x->trigs; break;
			case 'y': maps[k] = &x->pols; break;
			}
		}
		if (!maps[0] || !maps[1] || !val(r, i, f_obj) || !val(r, i, f_ref))
			continue;
		struct mobj *o = imap_get(maps[0], oid_at(r, i, f_obj));
		struct mobj *dep = imap_get(maps[1], oid_at(r, i, f_ref));
		if (o && dep)
			model_add_dep(x->m, o, dep);
	}
	/* Children and indexes need their parent; partitions their parent table. */
	for (size_t i = 0; i < x->m->objs.n; i++) {
		struct mobj *o = x->m->objs.v[i];
		if (o->parent)
			model_add_dep(x->m, o, o->parent);
	}
	return 0;
}

/*
 * The results of a pipeline, read by a thread of their own as soon as the
 * server sends them: libpq reads only when asked, and a server that cannot
 * write (its socket buffer full while the loaders work) stops computing the
 * next query. With a reader the server and the loaders work at once.
 */
struct reader {
	PGconn *c;
	size_t expected;	/* results to read */
	bool pipeline;		/* then the sync point */
	PGresult **results;	/* one per query, in order */
	size_t got;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	for (size_t i = 0; i < rd->expected; i++) {
		PGresult *r = PQgetResult(rd->c), *extra;
		/* each query's results end with a NULL */
		while (r && (extra = PQgetResult(rd->c)) != NULL)
			PQclear(extra);
		pthread_mutex_lock(&rd->mu);
		rd->results[i] = r;
		rd->got = i + 1;
		pthread_cond_signal(&rd->cv);
		pthread_mutex_unlock(&rd->mu);
	}
	/* the sync point */
	PGresult *r;
	while (rd->pipeline && (r = PQgetResult(rd->c)) != NULL) {
		bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
		PQclear(r);
		if (sync)
			break;
	}
	return NULL;
}

static PGresult *reader_take(struct reader *rd, size_t i)
{
	pthread_mutex_lock(&rd->mu);
	while (rd->got <= i)
		pthread_cond_wait(&rd->cv, &rd->mu);
	PGresult *r = rd->results[i];
	rd->results[i] = NULL;
	pthread_mutex_unlock(&rd->mu);
	return r;
}

/* Start a reader thread on rd (initialised); false when none could be started. */
static bool reader_start(struct reader *rd, pthread_t *th)
{
	pthread_mutex_init(&rd->mu, NULL);
	pthread_cond_init(&rd->cv, NULL);
	/* readers never take SIGINT: the handler cancels through the main thread's registration */
	sigset_t old_mask;
	conn_block_signals(&old_mask);
	bool started = pthread_create(th, NULL, reader_main, rd) == 0;
	conn_restore_signals(&old_mask);
	return started;
}

static void reader_stop(struct reader *rd, pthread_t th, bool started)
{
	if (started)
		pthread_join(th, NULL);
	pthread_cond_destroy(&rd->cv);
	pthread_mutex_destroy(&rd->mu);
}

/* The settings every catalog read runs with (see load()). */
#define SESSION_SETTINGS \
	"SELECT pg_catalog.set_config('search_path', '', true)," \
	" pg_catalog.set_config('TimeZone', 'UTC', true)," \
	" pg_catalog.set_config('DateStyle', 'ISO, YMD', true)," \
	" pg_catalog.set_config('IntervalStyle', 'postgres', true)," \
	" pg_catalog.set_config('extra_float_digits', '3', true)," \
	" pg_catalog.set_config('work_mem', '256MB', true)," \
	" pg_catalog.set_config('jit', 'off', true)," \
	" pg_catalog.set_config('max_parallel_workers_per_gather', '0', true)"

/*
 * A second session for the constraint definitions only the server can print
 * (EXCLUDE, CHECKs deparse_check() does not handle): pg_get_constraintdef
 * opens each table, the dearest read of all, so the helper runs them on the
 * server's other core while the main session reads on, in the same snapshot
 * (pg_export_snapshot, as pg_dump --jobs does). Opened before the reads
 * start and given its query as soon as the constraints are loaded
 * (helper_send). Not inside the caller's transaction (apply --dry-run: a
 * second session cannot see its changes), and never required: without it
 * the main session prints them last (run_deferred). Sets x->helper.
 */
static void open_helper(struct ctx *x)
{
	if (x->o->in_transaction || !x->compose || getenv("SSOT_CATALOG_ONE_SESSION"))
		return;
	PGresult *r = PQexec(x->c, "SELECT pg_catalog.pg_export_snapshot()");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);	/* e.g. a server that cannot export: print them here */
		return;
	}
	char *snap = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);

	/* the main session's parameters, password included, as libpq resolved them */
	PQconninfoOption *opts = PQconninfo(x->c);
	size_t n = 0;
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		n++;
	const char **keys = xcalloc(n + 1, sizeof(*keys)), **vals = xcalloc(n + 1, sizeof(*vals));
	size_t k = 0;
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (o->val && *o->val) {
			keys[k] = o->keyword;
			vals[k++] = o->val;
		}
	PGconn *h = PQconnectdbParams(keys, vals, 0);
	free(keys);
	free(vals);
	PQconninfoFree(opts);

	char *begin = xasprintf("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '%s'", snap);
	free(snap);
	bool ok = PQstatus(h) == CONNECTION_OK && PQsetClientEncoding(h, "UTF8") == 0;
	const char *setup[] = { begin, SESSION_SETTINGS };
	for (size_t i = 0; ok && i < 2; i++) {
		r = PQexec(h, setup[i]);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
		PQclear(r);
	}
	free(begin);
	if (!ok) {
		PQfinish(h);
		return;
	}
	x->helper = h;
	x->helper_watched = conn_cancel_watch_also(h);
}

static void close_helper(struct ctx *x)
{
	if (x->helper_watched)
		conn_cancel_unwatch_also();
	x->helper_watched = false;
	PQfinish(x->helper);
	x->helper = NULL;
}

/*
 * Give the helper the constraints deferred so far (the constraints are
 * loaded): it prints them while the main session reads on. A helper with
 * nothing to print is closed.
 */
static void helper_send(struct ctx *x)
{
	struct buf oids = BUF_INIT;
	buf_addch(&oids, '{');
	for (size_t i = 0; i < x->deferred.n; i++) {
		if (x->deferred.v[i].kind != 'c')
			continue;
		if (oids.len > 1)
			buf_addch(&oids, ',');
		buf_adds(&oids, x->deferred.v[i].oid);
	}
	buf_addch(&oids, '}');
	const char *params[1] = { oids.s };
	bool sent = oids.len > 2 &&
		    PQsendQueryParams(x->helper, "SELECT u.oid, pg_catalog.pg_get_constraintdef(u.oid) AS def"
				      " FROM pg_catalog.unnest($1::pg_catalog.oid[]) u(oid)",
				      1, NULL, params, NULL, NULL, 0) == 1;
	buf_release(&oids);
	if (!sent) {
		close_helper(x);	/* nothing to print, or it cannot: run_deferred() prints them */
		return;
	}
	for (size_t i = 0; i < x->deferred.n; i++)
		if (x->deferred.v[i].kind == 'c')
			x->deferred.v[i].sent = true;
	x->helper_t0 = now_ms();
	/* read as it comes, or the server stops when its socket buffer is full */
	x->helper_rd = xcalloc(1, sizeof(*x->helper_rd));
	*x->helper_rd = (struct reader){ .c = x->helper, .expected = 1, .results = &x->helper_result };
	x->helper_threaded = reader_start(x->helper_rd, &x->helper_th);
}

/* Ask the helper's server to stop what it is running (the read failed or was interrupted). */
static void cancel_helper(struct ctx *x)
{
	PGcancel *cancel = x->helper ? PQgetCancel(x->helper) : NULL;
	char errbuf[256];
	if (cancel) {
		PQcancel(cancel, errbuf, sizeof(errbuf));
		PQfreeCancel(cancel);
	}
}

/* Load what the helper read. Returns 0, or -1 with the failure in x->err. */
static int finish_helper(struct ctx *x, bool failed)
{
	PGconn *h = x->helper;
	int rc = 0;
	if (!x->helper_rd) {	/* never given its query (the reads failed before the constraints) */
		close_helper(x);
		return 0;
	}
	if (failed)
		cancel_helper(x);
	if (!x->helper_threaded)
		reader_main(x->helper_rd);
	PGresult *r = reader_take(x->helper_rd, 0);
	reader_stop(x->helper_rd, x->helper_th, x->helper_threaded);
	free(x->helper_rd);
	x->helper_rd = NULL;
	if (!failed) {
		x->m->queries++;
		if (PQresultStatus(r) == PGRES_TUPLES_OK) {
			if (x->o->trace)
				x->o->trace(x->o->trace_ctx, "constraint definitions left to the server (second session)",
					    PQntuples(r), now_ms() - x->helper_t0);
			rc = load_server_constraints(x, r);
		} else {
			buf_printf(x->err, "cannot read constraint definitions from the catalog: %s",
				   r ? PQresultErrorMessage(r) : PQerrorMessage(h));
			buf_rtrim(x->err);
			rc = -1;
		}
	}
	PQclear(r);
	close_helper(x);
	return rc;
}

/* ---- driver ---- */

/* One query per object kind, in the order catalog.h gives (parents before children). */
static const struct step {
	const char *what;
	char *(*sql)(const struct ctx *x);
	int (*load)(struct ctx *x, PGresult *r);
	int when;		/* STEP_ALWAYS, STEP_GRANTS, STEP_DEPS */
	bool helper;		/* run on the second session, when there is one */
} steps[] = {
#define STEP_ALWAYS 0
#define STEP_GRANTS 1
#define STEP_DEPS 2
	{ "keywords", sql_keywords, load_keywords, STEP_ALWAYS, false },
	{ "schemas", sql_schemas, load_schemas, STEP_ALWAYS, false },
	{ "extensions", sql_extensions, load_extensions, STEP_ALWAYS, false },
	/* tables first: loaded before the columns come, whatever the rest takes */
	{ "tables and views", sql_relations, load_relations, STEP_ALWAYS, false },
	{ "table parents", sql_parents, load_parents, STEP_ALWAYS, false },
	{ "sequences", sql_sequences, load_sequences, STEP_ALWAYS, false },
	{ "types", sql_types, load_types, STEP_ALWAYS, false },
	{ "domain constraints", sql_domain_constraints, load_domain_constraints, STEP_ALWAYS, false },
	{ "comments", sql_comments, load_comments, STEP_ALWAYS, false },
	{ "collations", sql_collations, load_collations, STEP_ALWAYS, false },
	{ "functions defaults may call", sql_callable, load_callable, STEP_ALWAYS, true },
	{ "columns", sql_columns, load_columns, STEP_ALWAYS, true },
	{ "column defaults", sql_defaults, load_defaults, STEP_ALWAYS, false },
	{ "b-tree operator classes", sql_btree_opclasses, load_btree_opclasses, STEP_ALWAYS, true },
	{ "indexes", sql_indexes, load_indexes, STEP_ALWAYS, false },
	{ "operators", sql_operators, load_operators, STEP_ALWAYS, true },
	{ "constraints", sql_constraints, load_constraints, STEP_ALWAYS, true },
	{ "functions", sql_functions, load_functions, STEP_ALWAYS, false },
	{ "triggers", sql_triggers, load_triggers, STEP_ALWAYS, false },
	{ "row-level security policies", sql_policies, load_policies, STEP_ALWAYS, false },
	{ "privileges", sql_grants, load_grants, STEP_GRANTS, false },
	{ "unsupported objects", sql_unsupported, load_unsupported, STEP_ALWAYS, false },
	{ "dependencies", sql_deps, load_deps, STEP_DEPS, false },
};
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

static bool step_wanted(const struct ctx *x, const struct step *st)
{
	return st->when == STEP_ALWAYS || (st->when == STEP_GRANTS && x->o->grants) ||
	       (st->when == STEP_DEPS && x->o->deps);
}

/* A text[] literal of `list` ("{"a","b"}"), for $2 and $3. */
static char *text_array(const char *const *list, size_t n)
{
	struct buf b = BUF_INIT;
	buf_addch(&b, '{');
	for (size_t i = 0; i < n; i++) {
		buf_adds(&b, i ? ",\"" : "\"");
		for (const char *p = list[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_addch(&b, '\\');
			buf_addch(&b, *p);
		}
		buf_addch(&b, '"');
	}
	buf_addch(&b, '}');
	return buf_detach(&b);
}

/* One session's share of the queries, sent at once in pipeline mode and drained by a reader thread. */
struct lane {
	PGconn *c;
	bool piped;		/* in pipeline mode */
	size_t sent;
	PGresult *results[NSTEPS];
	struct reader rd;
	pthread_t th;
	bool reading, threaded;
};

/* Stop reading; false when the session would not leave pipeline mode. */
static bool lane_stop(struct lane *l)
{
	if (l->reading)
		reader_stop(&l->rd, l->th, l->threaded);
	l->reading = false;
	for (size_t i = 0; i < l->sent; i++)
		PQclear(l->results[i]);	/* those not taken (after a failure) */
	l->sent = 0;
	bool ok = !l->piped || PQexitPipelineMode(l->c) == 1;
	l->piped = false;
	return ok;
}

/*
 * Send every query at once (libpq pipeline mode) and load the results in
 * order while the server computes the next ones. With a second session
 * (open_helper) the indexes and constraints, the other half of the
 * server's work, are read on it meanwhile, in the same snapshot; it then
 * prints the constraint definitions left to the server (helper_send).
 * Returns 0, or -1 with the first failure in x->err.
 */
static int run_steps(struct ctx *x)
{
	char *include = text_array(x->o->schemas, x->o->nschemas);
	char *exclude = text_array(x->o->exclude_schemas, x->o->nexclude);
	const char *params[3] = { x->o->ledger_schema, include, exclude };
	int rc = 0;
	size_t n = 0;
	const struct step *order[NSTEPS];
	int lane_of[NSTEPS];
	size_t index_in_lane[NSTEPS];

	open_helper(x);
	struct lane lanes[2] = { { .c = x->c }, { .c = x->helper } };
	int nlanes = x->helper ? 2 : 1;
	for (int k = 0; k < nlanes && rc == 0; k++) {
		if (PQenterPipelineMode(lanes[k].c) != 1) {
			buf_printf(x->err, "cannot read the catalog: %s", PQerrorMessage(lanes[k].c));
			buf_rtrim(x->err);
			rc = -1;
		} else {
			lanes[k].piped = true;
		}
	}
	for (size_t i = 0; i < NSTEPS && rc == 0; i++) {
		if (!step_wanted(x, &steps[i]))
			continue;
		int k = nlanes > 1 && steps[i].helper;
		char *sql = steps[i].sql(x);
		int nparams = strstr(sql, "$3") ? 3 : strstr(sql, "$2") ? 2 : strstr(sql, "$1") ? 1 : 0;
		/*
		 * In a pipeline the server holds results back until its output buffer
		 * fills; a flush request after each query sends each as soon as it is
		 * done, so that loading the first results overlaps computing the next.
		 */
		if (!PQsendQueryParams(lanes[k].c, sql, nparams, NULL, nparams ? params : NULL, NULL, NULL, 0) ||
		    PQsendFlushRequest(lanes[k].c) != 1) {
			buf_printf(x->err, "cannot send the catalog queries: %s", PQerrorMessage(lanes[k].c));
			buf_rtrim(x->err);
			rc = -1;
		} else {
			order[n] = &steps[i];
			lane_of[n] = k;
			index_in_lane[n++] = lanes[k].sent++;
		}
		free(sql);
	}
	for (int k = 0; k < nlanes; k++) {
		struct lane *l = &lanes[k];
		if (l->piped && PQpipelineSync(l->c) != 1 && rc == 0) {
			buf_printf(x->err, "cannot send the catalog queries: %s", PQerrorMessage(l->c));
			buf_rtrim(x->err);
			rc = -1;
		}
		l->rd = (struct reader){ .c = l->c, .expected = l->sent, .pipeline = true, .results = l->results };
		l->threaded = reader_start(&l->rd, &l->th);
		l->reading = true;
		if (!l->threaded && k == 0)
			reader_main(&l->rd);	/* no thread: read it all now (then the second lane, below) */
	}
	if (nlanes > 1 && !lanes[1].threaded)
		reader_main(&lanes[1].rd);

	double t0 = now_ms();
	bool cancelled = false;
	for (size_t i = 0; i < n; i++) {
		if (rc != 0 && !cancelled && nlanes > 1) {
			cancel_helper(x);	/* its results are no longer wanted: do not wait for them */
			cancelled = true;
		}
		struct lane *l = &lanes[lane_of[i]];
		PGresult *r = reader_take(&l->rd, index_in_lane[i]);
		ExecStatusType st = PQresultStatus(r);
		x->m->queries++;
		if (st == PGRES_TUPLES_OK) {
			if (x->o->trace)
				x->o->trace(x->o->trace_ctx, order[i]->what, PQntuples(r), now_ms() - t0);
			if (rc == 0 && order[i]->load(x, r) < 0)
				rc = -1;
		} else if (rc == 0) {
			buf_printf(x->err, "cannot read %s from the catalog: %s", order[i]->what,
				   st == PGRES_PIPELINE_ABORTED ? "aborted" : PQresultErrorMessage(r));
			buf_rtrim(x->err);
			rc = -1;
		}
		PQclear(r);
		t0 = now_ms();
		if (rc == 0 && order[i]->load == load_constraints && x->helper && lane_of[i] == 1 &&
		    index_in_lane[i] + 1 == lanes[1].sent) {
			/* the constraints were the helper's last query: it is free for the definitions left over */
			lane_stop(&lanes[1]);
			helper_send(x);
		}
	}
	for (int k = 0; k < nlanes; k++) {
		if (!lane_stop(&lanes[k]) && rc == 0) {
			buf_printf(x->err, "cannot read the catalog: %s", PQerrorMessage(lanes[k].c));
			buf_rtrim(x->err);
			rc = -1;
		}
	}
	free(include);
	free(exclude);
	return rc;
}

/*
 * The definitions compose_index() and compose_constraint() left to the
 * server, in one query. Returns 0, or -1 with the failure in x->err.
 */
static int run_deferred(struct ctx *x)
{
	size_t unsent = 0;
	for (size_t i = 0; i < x->deferred.n; i++)
		unsent += !x->deferred.v[i].sent;
	if (!unsent)
		return 0;
	struct buf cons = BUF_INIT, idx = BUF_INIT, defs = BUF_INIT;
	struct imap defaults = IMAP_INIT;	/* attrdef oid -> struct deferred */
	buf_addch(&cons, '{');
	buf_addch(&idx, '{');
	buf_addch(&defs, '{');
	for (size_t i = 0; i < x->deferred.n; i++) {
		struct deferred *d = &x->deferred.v[i];
		if (d->sent)
			continue;
		struct buf *b = d->kind == 'c' ? &cons : d->kind == 'i' ? &idx : &defs;
		if (b->len > 1)
			buf_addch(b, ',');
		buf_adds(b, d->oid);
		if (d->kind == 'd')
			imap_put(&defaults, strtoull(d->oid, NULL, 10), d);
	}
	buf_addch(&cons, '}');
	buf_addch(&idx, '}');
	buf_addch(&defs, '}');
	const char *params[3] = { cons.s, idx.s, defs.s };
	double t0 = now_ms();
	PGresult *r = PQexecParams(x->c,
		"SELECT 'c' AS kind, u.oid, pg_catalog.pg_get_constraintdef(u.oid) AS def"
		" FROM pg_catalog.unnest($1::pg_catalog.oid[]) u(oid)"
		" UNION ALL SELECT 'i', u.oid, pg_catalog.pg_get_indexdef(u.oid)"
		" FROM pg_catalog.unnest($2::pg_catalog.oid[]) u(oid)"
		" UNION ALL SELECT 'd', ad.oid, " DEFAULT_BY_SERVER
		" FROM pg_catalog.unnest($3::pg_catalog.oid[]) u(oid) JOIN pg_catalog.pg_attrdef ad ON ad.oid = u.oid",
		3, NULL, params, NULL, NULL, 0);
	buf_release(&cons);
	buf_release(&idx);
	buf_release(&defs);
	x->m->queries++;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		buf_printf(x->err, "cannot read index, constraint and default definitions from the catalog: %s",
			   PQresultErrorMessage(r));
		buf_rtrim(x->err);
		imap_release(&defaults);
		PQclear(r);
		return -1;
	}
	if (x->o->trace)
		x->o->trace(x->o->trace_ctx, "definitions left to the server", PQntuples(r), now_ms() - t0);
	int f_kind = fnum(r, "kind"), f_oid = fnum(r, "oid"), f_def = fnum(r, "def");
	for (int i = 0; i < PQntuples(r); i++) {
		char kind = val(r, i, f_kind)[0];
		if (kind == 'd') {
			const struct deferred *d = imap_get(&defaults, oid_at(r, i, f_oid));
			if (d)
				set_default(x, d->o, d->gen, val(r, i, f_def));
		} else {
			set_server_def(x, imap_get(kind == 'c' ? &x->cons : &x->rels, oid_at(r, i, f_oid)),
				       val(r, i, f_def));
		}
	}
	imap_release(&defaults);
	PQclear(r);
	return 0;
}

static int exec_simple(PGconn *c, const char *sql, struct buf *err)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		buf_printf(err, "cannot read the catalog: %s", PQresultErrorMessage(r));
		buf_rtrim(err);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

static int load(PGconn *c, const struct catalog_opts *o, struct model *m, struct buf *err)
{
	double t0 = now_ms();
	int v = PQserverVersion(c);
	if (v < CATALOG_MIN_VERSION) {
		buf_printf(err, "PostgreSQL %d.%d is not supported: ssot reads the catalogs of version 13 or later",
			   v / 10000, v % 10000);
		return -1;
	}
	m->server_version = v;
	if (!o->in_transaction && PQsetClientEncoding(c, "UTF8") != 0) {
		buf_printf(err, "cannot set the client encoding: %s", PQerrorMessage(c));
		buf_rtrim(err);
		return -1;
	}
	if (exec_simple(c, o->in_transaction ? "SAVEPOINT ssot_catalog" :
			"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err) < 0)
		return -1;

	/* The rules of compose_*() are ruleutils.c's of PostgreSQL 13 to 17. */
	bool compose = v < 180000 && !getenv("SSOT_CATALOG_SERVER_DEFS");
	struct ctx x = { .c = c, .m = m, .o = o, .version = v, .compose = compose, .err = err, .qbuf = BUF_INIT };
	x.trees = deparse_cache_new();
	/* keys are unique by PostgreSQL's own unique indexes: indexed once at the end, if at all */
	m->unindexed = true;
	arena_init(&x.tmp);
	/*
	 * Everything the server prints must print the same way on both sides:
	 * names fully qualified, timestamps in one zone and style, floats exact.
	 */
	int rc = exec_simple(c, SESSION_SETTINGS, err);
	if (rc == 0)
		rc = run_steps(&x);
	if (rc == 0)
		apply_comments(&x);
	if (x.helper && finish_helper(&x, rc != 0) < 0)
		rc = -1;
	if (rc == 0 && x.deferred.n)
		rc = run_deferred(&x);
	m->grants = o->grants;
	if (!o->unindexed)
		model_index(m);

	model_sort(m);

	/* Only reads happened: end without keeping anything, whatever the outcome. */
	struct buf end_err = BUF_INIT;
	if (o->in_transaction) {
		if (exec_simple(c, "ROLLBACK TO SAVEPOINT ssot_catalog", &end_err) < 0 ||
		    exec_simple(c, "RELEASE SAVEPOINT ssot_catalog", &end_err) < 0)
			rc = -1;
	} else if (exec_simple(c, rc == 0 ? "COMMIT" : "ROLLBACK", &end_err) < 0) {
		rc = -1;
	}
	if (end_err.len && !err->len)
		buf_adds(err, end_err.s);
	buf_release(&end_err);

	imap_release(&x.schemas);
	imap_release(&x.rels);
	imap_release(&x.types);
	imap_release(&x.procs);
	imap_release(&x.cons);
	imap_release(&x.trigs);
	imap_release(&x.pols);
	imap_release(&x.cols);
	imap_release(&x.relinfo);
	imap_release(&x.idxinfo);
	VEC_FREE(&x.comments);
	imap_release(&x.btree_default);
	imap_release(&x.opers);
	imap_release(&x.typcoll);
	imap_release(&x.collnames);
	imap_release(&x.funcs);
	map_release(&x.keywords);
	buf_release(&x.qbuf);
	deparse_cache_free(x.trees);
	VEC_FREE(&x.deferred);
	arena_release(&x.tmp);
	m->load_ms = now_ms() - t0;
	return rc;
}

int catalog_load(PGconn *c, const struct catalog_opts *o, struct model *m, struct buf *err)
{
	/*
	 * The reader threads allocate the results in the main malloc arena: a
	 * thread's own arena grows a page at a time, an mprotect(2) and a fault
	 * each (a tenth of the time of a read of 10,000 tables). Only threads
	 * made after this call are affected; lint's workers run in another
	 * command.
	 */
	mallopt(M_ARENA_MAX, 1);
	/* Ctrl-C cancels the reads (unless an outer apply already watches this connection). */
	bool watching = conn_cancel_watch(c);
	int rc = load(c, o, m, err);
	if (watching)
		conn_cancel_unwatch();
	if (rc < 0 && conn_interrupted()) {
		buf_reset(err);
		buf_adds(err, "interrupted while reading the catalogs");
	}
	return rc;
}

