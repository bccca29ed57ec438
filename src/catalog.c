/*
 * catalog: pg_catalog -> model. See catalog.h for the order of the reads
 * and what is skipped.
 *
 * Each load_*() function runs one query, looks its columns up with
 * PQfnumber once, copies what it needs into the model's arena and clears
 * the result before it returns: a PGresult never leaves the function that
 * read it. Objects read earlier are found again by oid through the maps of
 * `struct ctx` (keys are the oid's text, kept in the context's arena).
 */
#include "catalog.h"
#include "conn.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Objects created by initdb have oids below this (FirstNormalObjectId). */
#define FIRST_NORMAL_OID "16384"

#define REG(cat) "'pg_catalog." cat "'::pg_catalog.regclass"

/* The object is owned by an extension. */
#define EXT_OWNED(cat, oidexpr) \
	"EXISTS (SELECT FROM pg_catalog.pg_depend xd WHERE xd.classid = " REG(cat) \
	" AND xd.objid = " oidexpr " AND xd.deptype = 'e')"

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

struct ctx {
	PGconn *c;
	struct model *m;
	const struct catalog_opts *o;
	int version;
	struct buf *err;
	struct arena tmp;	/* map keys */
	/* oid text -> object, per catalog */
	struct map schemas, rels, types, procs, cons, trigs, pols, cols;
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

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *quote(struct ctx *x, const char *name)
{
	char *q = conn_quote_ident(x->c, name);
	const char *s = arena_strdup(&x->m->arena, q);
	free(q);
	return s;
}

static const char *quote2(struct ctx *x, const char *schema, const char *name)
{
	char *a = conn_quote_ident(x->c, schema), *b = conn_quote_ident(x->c, name);
	struct buf s = BUF_INIT;
	buf_printf(&s, "%s.%s", a, b);
	const char *r = arena_strndup(&x->m->arena, s.s, s.len);
	free(a);
	free(b);
	buf_release(&s);
	return r;
}

static void quote_lit_into(struct ctx *x, struct buf *out, const char *s)
{
	char *q = conn_quote_literal(x->c, s);
	buf_adds(out, q);
	free(q);
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
		char *q = conn_quote_ident(x->c, items[i]);
		buf_adds(&s, q);
		free(q);
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
		map_put(&x->schemas, key_of(x, val(r, i, f_oid)), o);
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

/* ---- types: enums, domains, composite types ---- */

static char *sql_types(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT t.oid, n.nspname, t.typname, t.typtype,"
		" CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END AS basetype,"
		" t.typnotnull,"
		" CASE WHEN t.typtype = 'd' THEN pg_catalog.pg_get_expr(t.typdefaultbin, 0) END AS typdefault,"
		" CASE WHEN t.typtype = 'd' AND t.typcollation <> bt.typcollation THEN cn.nspname END AS collschema,"
		" CASE WHEN t.typtype = 'd' AND t.typcollation <> bt.typcollation THEN co.collname END AS collname,"
		" CASE WHEN t.typtype = 'e' THEN (SELECT pg_catalog.array_agg(e.enumlabel ORDER BY e.enumsortorder)"
		"   FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) END AS labels,"
		" d.description "
		"FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
		" LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype"
		" LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation"
		" LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace"
		DESC_JOIN("pg_type", "t.oid", "0")
		" WHERE t.typnamespace IN " SCHEMAS
		" AND (t.typtype IN ('e', 'd') OR (t.typtype = 'c'"
		"   AND t.typrelid IN (SELECT oid FROM pg_catalog.pg_class WHERE relkind = 'c')))"
		" AND NOT " EXT_OWNED("pg_type", "t.oid")
		" ORDER BY n.nspname, t.typname");
}

static int load_types(struct ctx *x, PGresult *r)
{
	int f_oid = fnum(r, "oid"), f_nsp = fnum(r, "nspname"), f_name = fnum(r, "typname"),
	    f_type = fnum(r, "typtype"), f_base = fnum(r, "basetype"), f_nn = fnum(r, "typnotnull"),
	    f_def = fnum(r, "typdefault"), f_cs = fnum(r, "collschema"), f_cn = fnum(r, "collname"),
	    f_labels = fnum(r, "labels"), f_desc = fnum(r, "description");
	for (int i = 0; i < PQntuples(r); i++) {
		const char *nsp = val(r, i, f_nsp), *name = val(r, i, f_name);
		char t = val(r, i, f_type)[0];
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
			model_set(x->m, o, "nullable", is_true(r, i, f_nn) ? "NOT NULL" : "NULL", 0);
			model_set(x->m, o, "default", val(r, i, f_def), 0);
			model_set_owned(x->m, o, "collation", collation(x, r, i, f_cs, f_cn), 0);
		} else {
			model_set(x->m, o, "attributes", NULL, 0);	/* filled by load_type_attributes */
		}
		model_set(x->m, o, "comment", val(r, i, f_desc), 0);
		map_put(&x->types, key_of(x, val(r, i, f_oid)), o);
	}
	return 0;
}

static char *sql_type_attributes(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT t.oid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,"
		" cn.nspname AS collschema, co.collname "
		"FROM pg_catalog.pg_class c"
		" JOIN pg_catalog.pg_type t ON t.oid = c.reltype"
		" JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
		" JOIN pg_catalog.pg_type at ON at.oid = a.atttypid"
		" LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation AND a.attcollation <> at.typcollation"
		" LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace"
		" WHERE c.relnamespace IN " SCHEMAS " AND c.relkind = 'c'"
		" ORDER BY t.oid, a.attnum");
}

static int load_type_attributes(struct ctx *x, PGresult *r)
{
	int f_oid = fnum(r, "oid"), f_name = fnum(r, "attname"), f_type = fnum(r, "type"),
	    f_cs = fnum(r, "collschema"), f_cn = fnum(r, "collname");
	struct buf s = BUF_INIT;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		struct mobj *o = map_get(&x->types, val(r, i, f_oid));
		if (!o)
			continue;
		if (s.len)
			buf_adds(&s, ", ");
		char *q = conn_quote_ident(x->c, val(r, i, f_name));
		buf_printf(&s, "%s %s", q, val(r, i, f_type));
		free(q);
		const char *coll = collation(x, r, i, f_cs, f_cn);
		if (coll)
			buf_printf(&s, " COLLATE %s", coll);
		if (i + 1 == n || strcmp(val(r, i + 1, f_oid), val(r, i, f_oid)) != 0) {
			model_set(x->m, o, "attributes", s.s, 0);
			buf_reset(&s);
		}
	}
	buf_release(&s);
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
		" WHERE t.typnamespace IN " SCHEMAS " AND co.contype = 'c'"
		" ORDER BY co.contypid, co.conname");
}

static int load_domain_constraints(struct ctx *x, PGresult *r)
{
	int f_oid = fnum(r, "oid"), f_type = fnum(r, "contypid"), f_name = fnum(r, "conname"),
	    f_def = fnum(r, "def"), f_valid = fnum(r, "convalidated"), f_desc = fnum(r, "description");
	for (int i = 0; i < PQntuples(r); i++) {
		struct mobj *dom = map_get(&x->types, val(r, i, f_type));
		if (!dom)
			continue;
		const char *name = val(r, i, f_name);
		struct mobj *o = model_add(x->m, OBJ_CONSTRAINT, NULL, name, NULL, dom, quote(x, name));
		if (!o)
			continue;
		bool valid = is_true(r, i, f_valid);
		struct buf def = BUF_INIT;
		buf_adds(&def, val(r, i, f_def));
		if (!valid && def.len > 10 && !strcmp(def.s + def.len - 10, " NOT VALID"))
			buf_setlen(&def, def.len - 10);
		model_set(x->m, o, "definition", def.s, 0);
		buf_release(&def);
		model_set(x->m, o, "validated", valid ? "true" : "false", 0);
		model_set(x->m, o, "comment", val(r, i, f_desc), 0);
		map_put(&x->cons, key_of(x, val(r, i, f_oid)), o);
	}
	return 0;
}

/* ---- relations ---- */

static char *sql_relations(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT c.oid, n.nspname, c.relname, c.relkind, c.relpersistence, c.relispartition,"
		" CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partkey,"
		" CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS partbound,"
		" c.relrowsecurity, c.relforcerowsecurity, c.reloptions,"
		" CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END AS viewdef,"
		" d.description "
		"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
		DESC_JOIN("pg_class", "c.oid", "0")
		" WHERE c.relnamespace IN " SCHEMAS " AND c.relkind IN ('r', 'p', 'v', 'm', 'S')"
		" AND NOT " EXT_OWNED("pg_class", "c.oid")
		" AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_catalog.pg_depend i"
		"   WHERE i.classid = " REG("pg_class") " AND i.objid = c.oid AND i.deptype = 'i'))"
		" ORDER BY n.nspname, c.relname");
}

static int load_relations(struct ctx *x, PGresult *r)
{
	int f_oid = fnum(r, "oid"), f_nsp = fnum(r, "nspname"), f_name = fnum(r, "relname"),
	    f_kind = fnum(r, "relkind"), f_pers = fnum(r, "relpersistence"), f_part = fnum(r, "relispartition"),
	    f_key = fnum(r, "partkey"), f_bound = fnum(r, "partbound"), f_rls = fnum(r, "relrowsecurity"),
	    f_force = fnum(r, "relforcerowsecurity"), f_opts = fnum(r, "reloptions"), f_def = fnum(r, "viewdef"),
	    f_desc = fnum(r, "description");
	for (int i = 0; i < PQntuples(r); i++) {
		const char *nsp = val(r, i, f_nsp), *name = val(r, i, f_name);
		char kind = val(r, i, f_kind)[0];
		enum obj_kind k = kind == 'v' ? OBJ_VIEW : kind == 'm' ? OBJ_MATVIEW : kind == 'S' ? OBJ_SEQUENCE : OBJ_TABLE;
		struct mobj *o = model_add(x->m, k, nsp, name, NULL, NULL, quote2(x, nsp, name));
		if (!o)
			continue;
		const char *opts = options_list(x, val(r, i, f_opts));
		if (k == OBJ_TABLE) {
			model_set(x->m, o, "persistence", val(r, i, f_pers)[0] == 'u' ? "unlogged" : "permanent", 0);
			model_set(x->m, o, "partition_key", val(r, i, f_key), 0);
			model_set(x->m, o, "partition_of", NULL, 0);	/* set by load_parents */
			model_set(x->m, o, "partition_bound", is_true(r, i, f_part) ? val(r, i, f_bound) : NULL, 0);
			model_set(x->m, o, "inherits", NULL, 0);
			model_set_owned(x->m, o, "options", opts, 0);
			model_set(x->m, o, "row_security", is_true(r, i, f_rls) ? "enabled" : "disabled", 0);
			model_set(x->m, o, "force_row_security", is_true(r, i, f_force) ? "forced" : "not forced", 0);
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
		model_set(x->m, o, "comment", val(r, i, f_desc), 0);
		map_put(&x->rels, key_of(x, val(r, i, f_oid)), o);
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
		struct mobj *o = map_get(&x->rels, val(r, i, f_rel));
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
		struct mobj *o = map_get(&x->rels, val(r, i, f_rel));
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
		model_set(x->m, o, "cycle", is_true(r, i, f_cycle) ? "CYCLE" : "NO CYCLE", 0);
		const char *owned = NULL, *owner = NULL;
		if (val(r, i, f_ot)) {
			struct buf s = BUF_INIT;
			char *q = conn_quote_ident(x->c, val(r, i, f_oc));
			owner = quote2(x, val(r, i, f_os), val(r, i, f_ot));
			buf_printf(&s, "%s.%s", owner, q);
			free(q);
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

static char *sql_columns(const struct ctx *x)
{
	(void)x;
	/* format_type once per distinct (type, typmod): tables share a handful of types */
	return xstrdup(
		"WITH cols AS (SELECT a.attrelid, a.attnum, a.attname, a.atttypid, a.atttypmod, a.attnotnull,"
		"   a.attidentity, a.attgenerated, a.attcollation"
		" FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
		" WHERE c.relnamespace IN " SCHEMAS " AND c.relkind IN ('r', 'p')"
		" AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped),"
		" types AS (SELECT atttypid, atttypmod, pg_catalog.format_type(atttypid, atttypmod) AS type"
		"   FROM (SELECT DISTINCT atttypid, atttypmod FROM cols) u) "
		"SELECT a.attrelid, a.attnum, a.attname, ty.type, a.attnotnull,"
		/* a default cannot name a column: deparse it without opening the table */
		" CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(ad.adbin, 0)"
		"   ELSE pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END AS def, a.attidentity, a.attgenerated,"
		" cn.nspname AS collschema, co.collname, d.description "
		"FROM cols a"
		" JOIN types ty ON ty.atttypid = a.atttypid AND ty.atttypmod = a.atttypmod"
		" JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
		" LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum"
		" LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation AND a.attcollation <> t.typcollation"
		" LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace"
		DESC_JOIN("pg_class", "a.attrelid", "a.attnum")
		" ORDER BY a.attrelid, a.attnum");
}

static int load_columns(struct ctx *x, PGresult *r)
{
	int f_rel = fnum(r, "attrelid"), f_num = fnum(r, "attnum"), f_name = fnum(r, "attname"),
	    f_type = fnum(r, "type"), f_nn = fnum(r, "attnotnull"), f_def = fnum(r, "def"),
	    f_ident = fnum(r, "attidentity"), f_gen = fnum(r, "attgenerated"), f_cs = fnum(r, "collschema"),
	    f_cn = fnum(r, "collname"), f_desc = fnum(r, "description");
	struct mobj *table = NULL;
	const char *table_oid = "";
	int position = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *rel = val(r, i, f_rel);
		if (strcmp(rel, table_oid) != 0) {
			table = map_get(&x->rels, rel);
			table_oid = rel;
			position = 0;
		}
		if (!table)
			continue;
		position++;
		const char *name = val(r, i, f_name);
		struct mobj *o = model_add(x->m, OBJ_COLUMN, NULL, name, NULL, table, quote(x, name));
		if (!o)
			continue;
		const char *ident = val(r, i, f_ident), *gen = val(r, i, f_gen), *def = val(r, i, f_def);
		model_set(x->m, o, "type", val(r, i, f_type), 0);
		model_set(x->m, o, "nullable", is_true(r, i, f_nn) ? "NOT NULL" : "NULL", 0);
		bool generated_col = gen && (gen[0] == 's' || gen[0] == 'v');
		model_set(x->m, o, "default", generated_col ? NULL : def, 0);
		model_set(x->m, o, "identity", ident && ident[0] == 'a' ? "ALWAYS" : ident && ident[0] == 'd' ? "BY DEFAULT" : NULL, 0);
		if (generated_col) {
			char *g = xasprintf("(%s) %s", def ? def : "", gen[0] == 's' ? "STORED" : "VIRTUAL");
			model_set(x->m, o, "generated", g, 0);
			free(g);
		} else {
			model_set(x->m, o, "generated", NULL, 0);
		}
		model_set_owned(x->m, o, "collation", collation(x, r, i, f_cs, f_cn), 0);
		char pos[16];
		snprintf(pos, sizeof(pos), "%d", position);
		model_set(x->m, o, "position", pos, ATTR_ORDER);
		model_set(x->m, o, "comment", val(r, i, f_desc), 0);
		if (x->o->grants) {
			char *k = xasprintf("%s:%s", rel, val(r, i, f_num));
			map_put(&x->cols, key_of(x, k), o);
			free(k);
		}
	}
	return 0;
}

/* ---- constraints ---- */

/* Remove `suffix` from the end of b when present; returns whether it was. */
static bool strip_suffix(struct buf *b, const char *suffix)
{
	size_t n = strlen(suffix);
	if (b->len < n || strcmp(b->s + b->len - n, suffix) != 0)
		return false;
	buf_setlen(b, b->len - n);
	return true;
}

static char *sql_constraints(const struct ctx *x)
{
	const char *enforced = x->version >= 180000 ? "co.conenforced" : "true";
	char *sql = xasprintf(
		"SELECT co.oid, co.conrelid, co.conname, co.contype, pg_catalog.pg_get_constraintdef(co.oid) AS def,"
		" co.condeferrable, co.condeferred, co.convalidated, %s AS conenforced, d.description "
		"FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_class c ON c.oid = co.conrelid"
		DESC_JOIN("pg_constraint", "co.oid", "0")
		" WHERE c.relnamespace IN " SCHEMAS " AND c.relkind IN ('r', 'p')"
		" AND co.contype IN ('p', 'u', 'c', 'f', 'x') AND co.conislocal AND co.conparentid = 0"
		" ORDER BY co.conrelid, co.conname", enforced);
	return sql;
}

static int load_constraints(struct ctx *x, PGresult *r)
{
	int f_oid = fnum(r, "oid"), f_rel = fnum(r, "conrelid"), f_name = fnum(r, "conname"),
	    f_type = fnum(r, "contype"), f_def = fnum(r, "def"), f_defer = fnum(r, "condeferrable"),
	    f_deferred = fnum(r, "condeferred"), f_valid = fnum(r, "convalidated"),
	    f_enf = fnum(r, "conenforced"), f_desc = fnum(r, "description");
	for (int i = 0; i < PQntuples(r); i++) {
		struct mobj *table = map_get(&x->rels, val(r, i, f_rel));
		if (!table)
			continue;
		const char *name = val(r, i, f_name);
		struct mobj *o = model_add(x->m, OBJ_CONSTRAINT, NULL, name, NULL, table, quote(x, name));
		if (!o)
			continue;
		bool deferrable = is_true(r, i, f_defer), deferred = is_true(r, i, f_deferred);
		bool valid = is_true(r, i, f_valid), enf = is_true(r, i, f_enf);
		/*
		 * pg_get_constraintdef appends the flags; they are attributes of
		 * their own, so the definition is the part before them.
		 */
		struct buf def = BUF_INIT;
		buf_adds(&def, val(r, i, f_def));
		for (bool again = true; again;)
			again = (!valid && strip_suffix(&def, " NOT VALID")) ||
				(!enf && strip_suffix(&def, " NOT ENFORCED")) ||
				(deferred && strip_suffix(&def, " INITIALLY DEFERRED")) ||
				(deferrable && strip_suffix(&def, " DEFERRABLE"));
		static const char *const types[] = { "p", "PRIMARY KEY", "u", "UNIQUE", "c", "CHECK",
						     "f", "FOREIGN KEY", "x", "EXCLUDE" };
		const char *t = val(r, i, f_type);
		for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k += 2)
			if (!strcmp(types[k], t))
				model_set_owned(x->m, o, "constraint_type", types[k + 1], ATTR_NODIFF);
		model_set(x->m, o, "definition", def.s, 0);
		buf_release(&def);
		model_set(x->m, o, "deferrable", !deferrable ? "NOT DEFERRABLE" :
			  deferred ? "DEFERRABLE INITIALLY DEFERRED" : "DEFERRABLE INITIALLY IMMEDIATE", 0);
		model_set(x->m, o, "validated", valid ? "true" : "false", 0);
		if (x->version >= 180000)
			model_set(x->m, o, "enforced", enf ? "true" : "false", 0);
		model_set(x->m, o, "comment", val(r, i, f_desc), 0);
		map_put(&x->cons, key_of(x, val(r, i, f_oid)), o);
	}
	return 0;
}

/* ---- indexes ---- */

static char *sql_indexes(const struct ctx *x)
{
	(void)x;
	return xstrdup(
		"SELECT i.indexrelid, n.nspname, ic.relname, i.indrelid,"
		" pg_catalog.pg_get_indexdef(i.indexrelid) AS def, i.indisvalid, d.description "
		"FROM pg_catalog.pg_index i"
		" JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid"
		" JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace"
		DESC_JOIN("pg_class", "i.indexrelid", "0")
		" WHERE ic.relnamespace IN " SCHEMAS
		" AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint co WHERE co.conindid = i.indexrelid"
		"   AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x'))"
		" AND NOT EXISTS (SELECT FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid)"
		" ORDER BY n.nspname, ic.relname");
}

static int load_indexes(struct ctx *x, PGresult *r)
{
	int f_oid = fnum(r, "indexrelid"), f_nsp = fnum(r, "nspname"), f_name = fnum(r, "relname"),
	    f_rel = fnum(r, "indrelid"), f_def = fnum(r, "def"), f_valid = fnum(r, "indisvalid"),
	    f_desc = fnum(r, "description");
	for (int i = 0; i < PQntuples(r); i++) {
		struct mobj *table = map_get(&x->rels, val(r, i, f_rel));
		if (!table)
			continue;	/* extension-owned or system table */
		const char *nsp = val(r, i, f_nsp), *name = val(r, i, f_name);
		struct mobj *o = model_add(x->m, OBJ_INDEX, nsp, name, NULL, table, quote2(x, nsp, name));
		if (!o)
			continue;
		model_set(x->m, o, "definition", val(r, i, f_def), 0);
		model_set(x->m, o, "valid", is_true(r, i, f_valid) ? "true" : "false", 0);
		model_set(x->m, o, "comment", val(r, i, f_desc), 0);
		map_put(&x->rels, key_of(x, val(r, i, f_oid)), o);
	}
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
			model_set(x->m, o, "strict", is_true(r, i, f_strict) ? "STRICT" : "CALLED ON NULL INPUT", 0);
			model_set(x->m, o, "leakproof", is_true(r, i, f_leak) ? "LEAKPROOF" : "NOT LEAKPROOF", 0);
			model_set(x->m, o, "parallel", par == 's' ? "SAFE" : par == 'r' ? "RESTRICTED" : "UNSAFE", 0);
			model_set(x->m, o, "cost", val(r, i, f_cost), 0);
			model_set(x->m, o, "rows", val(r, i, f_rows), 0);
		}
		model_set(x->m, o, "security", is_true(r, i, f_sec) ? "DEFINER" : "INVOKER", 0);
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
		map_put(&x->procs, key_of(x, val(r, i, f_oid)), o);
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
		struct mobj *table = map_get(&x->rels, val(r, i, f_rel));
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
		map_put(&x->trigs, key_of(x, val(r, i, f_oid)), o);
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
		struct mobj *table = map_get(&x->rels, val(r, i, f_rel));
		if (!table)
			continue;
		const char *name = val(r, i, f_name);
		struct mobj *o = model_add(x->m, OBJ_POLICY, NULL, name, NULL, table, quote(x, name));
		if (!o)
			continue;
		char cmd = val(r, i, f_cmd)[0];
		model_set(x->m, o, "command", cmd == 'r' ? "SELECT" : cmd == 'a' ? "INSERT" : cmd == 'w' ? "UPDATE" :
			  cmd == 'd' ? "DELETE" : "ALL", 0);
		model_set(x->m, o, "permissive", is_true(r, i, f_perm) ? "PERMISSIVE" : "RESTRICTIVE", 0);
		model_set_owned(x->m, o, "roles", ident_list(x, val(r, i, f_roles)), 0);
		model_set(x->m, o, "using", val(r, i, f_qual), 0);
		model_set(x->m, o, "with_check", val(r, i, f_check), 0);
		model_set(x->m, o, "comment", val(r, i, f_desc), 0);
		map_put(&x->pols, key_of(x, val(r, i, f_oid)), o);
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
		case 'c': target = map_get(&x->rels, obj); break;
		case 'p': target = map_get(&x->procs, obj); break;
		case 'n': target = map_get(&x->schemas, obj); break;
		case 't': target = map_get(&x->types, obj); break;
		case 'a': {
			char *k = xasprintf("%s:%s", obj, val(r, i, f_sub));
			target = map_get(&x->cols, k);
			free(k);
			break;
		}
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
#define IN_SCHEMAS(col) " " col " IN " SCHEMAS
#define NOT_EXT(cat, oidexpr) " AND NOT " EXT_OWNED(cat, oidexpr)
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

		"SELECT CASE c.relkind WHEN 'f' THEN 'foreign table' ELSE 'typed table' END,"
		" n.nspname || '.' || c.relname FROM pg_catalog.pg_class c" NSP_JOIN("c.relnamespace")
		" WHERE" IN_SCHEMAS("c.relnamespace")
		" AND (c.relkind = 'f' OR (c.relkind IN ('r', 'p') AND c.reloftype <> 0))" NOT_EXT("pg_class", "c.oid"),

		"SELECT 'rule', n.nspname || '.' || c.relname || '.' || r.rulename FROM pg_catalog.pg_rewrite r"
		" JOIN pg_catalog.pg_class c ON c.oid = r.ev_class" NSP_JOIN("c.relnamespace")
		" WHERE" IN_SCHEMAS("c.relnamespace") " AND r.rulename <> '_RETURN'" NOT_EXT("pg_class", "c.oid"),

		"SELECT CASE t.typtype WHEN 'r' THEN 'range type' ELSE 'base type' END, n.nspname || '.' || t.typname"
		" FROM pg_catalog.pg_type t" NSP_JOIN("t.typnamespace")
		" WHERE" IN_SCHEMAS("t.typnamespace") " AND (t.typtype = 'r' OR (t.typtype = 'b' AND t.typisdefined"
		" AND t.typcategory <> 'A'))" NOT_EXT("pg_type", "t.oid"),

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
		" WHERE" USER_OBJ("pg_cast", "c"),

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
	buf_adds(&sql, "SELECT what, ident FROM (");
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		buf_printf(&sql, "%s%s", i ? " UNION ALL " : "", parts[i]);
	buf_adds(&sql, ") u ORDER BY 1, 2");
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
		struct map *maps[2] = { NULL, NULL };
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
		struct mobj *o = map_get(maps[0], val(r, i, f_obj));
		struct mobj *dep = map_get(maps[1], val(r, i, f_ref));
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

/* ---- driver ---- */

/* One query per object kind, in the order catalog.h gives (parents before children). */
static const struct step {
	const char *what;
	char *(*sql)(const struct ctx *x);
	int (*load)(struct ctx *x, PGresult *r);
	int when;		/* STEP_ALWAYS, STEP_GRANTS, STEP_DEPS */
} steps[] = {
#define STEP_ALWAYS 0
#define STEP_GRANTS 1
#define STEP_DEPS 2
	{ "schemas", sql_schemas, load_schemas, STEP_ALWAYS },
	{ "extensions", sql_extensions, load_extensions, STEP_ALWAYS },
	{ "types", sql_types, load_types, STEP_ALWAYS },
	{ "composite type attributes", sql_type_attributes, load_type_attributes, STEP_ALWAYS },
	{ "domain constraints", sql_domain_constraints, load_domain_constraints, STEP_ALWAYS },
	{ "tables and views", sql_relations, load_relations, STEP_ALWAYS },
	{ "table parents", sql_parents, load_parents, STEP_ALWAYS },
	{ "sequences", sql_sequences, load_sequences, STEP_ALWAYS },
	{ "columns", sql_columns, load_columns, STEP_ALWAYS },
	{ "constraints", sql_constraints, load_constraints, STEP_ALWAYS },
	{ "indexes", sql_indexes, load_indexes, STEP_ALWAYS },
	{ "functions", sql_functions, load_functions, STEP_ALWAYS },
	{ "triggers", sql_triggers, load_triggers, STEP_ALWAYS },
	{ "row-level security policies", sql_policies, load_policies, STEP_ALWAYS },
	{ "privileges", sql_grants, load_grants, STEP_GRANTS },
	{ "unsupported objects", sql_unsupported, load_unsupported, STEP_ALWAYS },
	{ "dependencies", sql_deps, load_deps, STEP_DEPS },
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

/*
 * Send every query at once (libpq pipeline mode) and load the results in
 * order: the server computes the next kind while we copy the last one.
 * Returns 0, or -1 with the first failure in x->err.
 */
static int run_steps(struct ctx *x)
{
	char *include = text_array(x->o->schemas, x->o->nschemas);
	char *exclude = text_array(x->o->exclude_schemas, x->o->nexclude);
	const char *params[3] = { x->o->ledger_schema, include, exclude };
	int rc = 0;
	size_t sent = 0;

	if (PQenterPipelineMode(x->c) != 1) {
		buf_printf(x->err, "cannot read the catalog: %s", PQerrorMessage(x->c));
		buf_rtrim(x->err);
		free(include);
		free(exclude);
		return -1;
	}
	for (size_t i = 0; i < NSTEPS && rc == 0; i++) {
		if (!step_wanted(x, &steps[i]))
			continue;
		char *sql = steps[i].sql(x);
		int nparams = strstr(sql, "$3") ? 3 : strstr(sql, "$2") ? 2 : strstr(sql, "$1") ? 1 : 0;
		if (!PQsendQueryParams(x->c, sql, nparams, NULL, nparams ? params : NULL, NULL, NULL, 0)) {
			buf_printf(x->err, "cannot send the catalog queries: %s", PQerrorMessage(x->c));
			buf_rtrim(x->err);
			rc = -1;
		} else {
			sent++;
		}
		free(sql);
	}
	if (PQpipelineSync(x->c) != 1 && rc == 0) {
		buf_printf(x->err, "cannot send the catalog queries: %s", PQerrorMessage(x->c));
		buf_rtrim(x->err);
		rc = -1;
	}
	size_t got = 0;
	double t0 = now_ms();
	for (size_t i = 0; i < NSTEPS && got < sent; i++) {
		if (!step_wanted(x, &steps[i]))
			continue;
		got++;
		PGresult *r = PQgetResult(x->c);
		ExecStatusType st = PQresultStatus(r);
		x->m->queries++;
		if (st == PGRES_TUPLES_OK) {
			if (x->o->trace)
				x->o->trace(x->o->trace_ctx, steps[i].what, PQntuples(r), now_ms() - t0);
			if (rc == 0 && steps[i].load(x, r) < 0)
				rc = -1;
		} else if (rc == 0) {
			buf_printf(x->err, "cannot read %s from the catalog: %s", steps[i].what,
				   st == PGRES_PIPELINE_ABORTED ? "aborted" : PQresultErrorMessage(r));
			buf_rtrim(x->err);
			rc = -1;
		}
		PQclear(r);
		/* each query's results end with a NULL */
		while ((r = PQgetResult(x->c)) != NULL)
			PQclear(r);
		t0 = now_ms();
	}
	/* the sync point, then back to normal mode */
	PGresult *r;
	while ((r = PQgetResult(x->c)) != NULL) {
		bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
		PQclear(r);
		if (sync)
			break;
	}
	if (PQexitPipelineMode(x->c) != 1 && rc == 0) {
		buf_printf(x->err, "cannot read the catalog: %s", PQerrorMessage(x->c));
		buf_rtrim(x->err);
		rc = -1;
	}
	free(include);
	free(exclude);
	return rc;
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

	struct ctx x = { .c = c, .m = m, .o = o, .version = v, .err = err };
	arena_init(&x.tmp);
	/*
	 * Everything the server prints must print the same way on both sides:
	 * names fully qualified, timestamps in one zone and style, floats exact.
	 */
	int rc = exec_simple(c, "SELECT pg_catalog.set_config('search_path', '', true),"
			     " pg_catalog.set_config('TimeZone', 'UTC', true),"
			     " pg_catalog.set_config('DateStyle', 'ISO, YMD', true),"
			     " pg_catalog.set_config('IntervalStyle', 'postgres', true),"
			     " pg_catalog.set_config('extra_float_digits', '3', true),"
			     " pg_catalog.set_config('work_mem', '256MB', true)", err);
	if (rc == 0)
		rc = run_steps(&x);
	m->grants = o->grants;

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

	map_release(&x.schemas);
	map_release(&x.rels);
	map_release(&x.types);
	map_release(&x.procs);
	map_release(&x.cons);
	map_release(&x.trigs);
	map_release(&x.pols);
	map_release(&x.cols);
	arena_release(&x.tmp);
	m->load_ms = now_ms() - t0;
	return rc;
}

int catalog_load(PGconn *c, const struct catalog_opts *o, struct model *m, struct buf *err)
{
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
