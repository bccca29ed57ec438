/*
 * diff: model x model -> findings, and the map from catalog objects back
 * to the statements of the files that declare them.
 */
#include "diff.h"
#include "util/xalloc.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- comparing ---- */

enum status { ST_MISSING, ST_EXTRA, ST_CHANGED };

struct rec {
	enum status status;
	const struct mobj *want, *have;	/* desired / live object (one may be NULL) */
	const char *attr;		/* changed: the attribute */
	const char *group;		/* id of the top-level object, for grouping */
	size_t seq;			/* order of discovery, for a stable sort */
};

/* The object a finding is grouped under: a table for its columns, indexes, ... */
static const struct mobj *top_of(const struct mobj *o)
{
	while (o->parent)
		o = o->parent;
	return o;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int c = strcmp(x->group, y->group);
	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* The parent is absent from `m`: a finding about the parent covers the child. */
static bool parent_absent(const struct mobj *o, const struct model *m)
{
	return o->parent && !model_find(m, o->parent->key);
}

static bool compared(const struct mattr *a, const struct diff_opts *o)
{
	if (a->flags & ATTR_NODIFF)
		return false;
	return !(a->flags & ATTR_ORDER) || o->strict_column_order;
}

/* One line describing an object, for expected / actual of a missing or extra one. */
static char *describe(const struct mobj *o)
{
	struct buf b = BUF_INIT;
	const char *v;
	switch (o->kind) {
	case OBJ_COLUMN:
		buf_adds(&b, mobj_get(o, "type"));
		if ((v = mobj_get(o, "collation")))
			buf_printf(&b, " COLLATE %s", v);
		if ((v = mobj_get(o, "identity")))
			buf_printf(&b, " GENERATED %s AS IDENTITY", v);
		if ((v = mobj_get(o, "generated")))
			buf_printf(&b, " GENERATED ALWAYS AS %s", v);
		if ((v = mobj_get(o, "default")))
			buf_printf(&b, " DEFAULT %s", v);
		if ((v = mobj_get(o, "nullable")) && !strcmp(v, "NOT NULL"))
			buf_adds(&b, " NOT NULL");
		break;
	case OBJ_CONSTRAINT:
		buf_adds(&b, mobj_get(o, "definition"));
		if ((v = mobj_get(o, "deferrable")) && strcmp(v, "NOT DEFERRABLE") != 0)
			buf_printf(&b, " %s", v);
		if ((v = mobj_get(o, "validated")) && !strcmp(v, "false"))
			buf_adds(&b, " NOT VALID");
		break;
	case OBJ_INDEX:
	case OBJ_VIEW:
	case OBJ_MATVIEW:
	case OBJ_TRIGGER:
		buf_adds(&b, mobj_get(o, "definition"));
		break;
	case OBJ_FUNCTION:
	case OBJ_PROCEDURE:
		buf_printf(&b, "(%s)", (v = mobj_get(o, "arguments")) ? v : "");
		if ((v = mobj_get(o, "returns")))
			buf_printf(&b, " RETURNS %s", v);
		break;
	case OBJ_SEQUENCE:
		buf_printf(&b, "AS %s", mobj_get(o, "type"));
		break;
	case OBJ_ENUM:
		buf_printf(&b, "ENUM (%s)", (v = mobj_get(o, "values")) ? v : "");
		break;
	case OBJ_DOMAIN:
		buf_printf(&b, "AS %s", mobj_get(o, "base_type"));
		break;
	case OBJ_TYPE:
		buf_printf(&b, "(%s)", (v = mobj_get(o, "attributes")) ? v : "");
		break;
	case OBJ_EXTENSION:
		buf_printf(&b, "version %s", (v = mobj_get(o, "version")) ? v : "?");
		break;
	case OBJ_POLICY:
		buf_printf(&b, "%s FOR %s TO %s", mobj_get(o, "permissive"), mobj_get(o, "command"),
			   (v = mobj_get(o, "roles")) ? v : "PUBLIC");
		if ((v = mobj_get(o, "using")))
			buf_printf(&b, " USING (%s)", v);
		if ((v = mobj_get(o, "with_check")))
			buf_printf(&b, " WITH CHECK (%s)", v);
		break;
	case OBJ_GRANT:
		buf_adds(&b, mobj_get(o, "privileges"));
		break;
	case OBJ_TABLE:
		if ((v = mobj_get(o, "partition_of")))
			buf_printf(&b, "partition of %s %s", v, mobj_get(o, "partition_bound"));
		else if ((v = mobj_get(o, "partition_key")))
			buf_printf(&b, "partitioned table, PARTITION BY %s", v);
		else
			buf_adds(&b, (v = mobj_get(o, "persistence")) && !strcmp(v, "unlogged") ? "unlogged table" : "table");
		break;
	case OBJ_SCHEMA:
		buf_adds(&b, "schema");
		break;
	default:
		break;
	}
	return b.len ? buf_detach(&b) : (buf_release(&b), NULL);
}

/* The keyword DROP takes for an object ("TABLE", "MATERIALIZED VIEW", ...). */
static const char *drop_word(enum obj_kind k)
{
	switch (k) {
	case OBJ_SCHEMA: return "SCHEMA";
	case OBJ_EXTENSION: return "EXTENSION";
	case OBJ_ENUM:
	case OBJ_TYPE: return "TYPE";
	case OBJ_DOMAIN: return "DOMAIN";
	case OBJ_SEQUENCE: return "SEQUENCE";
	case OBJ_TABLE: return "TABLE";
	case OBJ_INDEX: return "INDEX";
	case OBJ_VIEW: return "VIEW";
	case OBJ_MATVIEW: return "MATERIALIZED VIEW";
	case OBJ_FUNCTION: return "FUNCTION";
	case OBJ_PROCEDURE: return "PROCEDURE";
	default: return NULL;
	}
}

/* ALTER TABLE / ALTER DOMAIN prefix for a child of a table or domain. */
static void put_alter_parent(struct buf *b, const struct mobj *o)
{
	buf_printf(b, "ALTER %s %s", o->parent && o->parent->kind == OBJ_DOMAIN ? "DOMAIN" : "TABLE",
		   o->parent ? o->parent->qname : "?");
}

/* "GRANT SELECT ON ..." / "REVOKE ... FROM" for a grant object. */
static void put_grant(struct buf *b, const struct mobj *g, bool revoke)
{
	const struct mobj *t = g->parent;
	const char *privs = mobj_get(g, "privileges");
	const struct mobj *on = t->kind == OBJ_COLUMN ? t->parent : t;
	const char *what = on->kind == OBJ_SEQUENCE ? "SEQUENCE" : on->kind == OBJ_SCHEMA ? "SCHEMA" :
		on->kind == OBJ_FUNCTION ? "FUNCTION" : on->kind == OBJ_PROCEDURE ? "PROCEDURE" :
		on->kind == OBJ_DOMAIN ? "DOMAIN" : on->kind == OBJ_ENUM || on->kind == OBJ_TYPE ? "TYPE" : "TABLE";
	const char *args = mobj_get(on, "identity_arguments");
	buf_printf(b, "%s %s", revoke ? "REVOKE" : "GRANT", revoke ? "ALL" : privs);
	if (t->kind == OBJ_COLUMN)
		buf_printf(b, " (%s)", t->qname);
	buf_printf(b, " ON %s %s", what, on->qname);
	if (on->kind == OBJ_FUNCTION || on->kind == OBJ_PROCEDURE)
		buf_printf(b, "(%s)", args ? args : "");
	buf_printf(b, " %s %s", revoke ? "FROM" : "TO", g->qname);
}

/* The "what to do" of a drift finding. Caller frees. */
static char *suggest(const struct rec *r)
{
	struct buf b = BUF_INIT;
	const struct mobj *o = r->want ? r->want : r->have;
	char *desc;
	switch (r->status) {
	case ST_MISSING:
		switch (o->kind) {
		case OBJ_COLUMN:
			desc = describe(o);
			buf_printf(&b, "CREATE TABLE IF NOT EXISTS skips a table that exists: declare it as "
				   "ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s %s; then 'ssot apply' (or see 'ssot plan')",
				   o->parent->qname, o->qname, desc);
			free(desc);
			break;
		case OBJ_CONSTRAINT:
			desc = describe(o);
			put_alter_parent(&b, o);
			buf_printf(&b, " ADD CONSTRAINT %s %s; (in the files, guarded by DO ... EXCEPTION WHEN "
				   "duplicate_object, so that 'ssot apply' adds it), or see 'ssot plan'", o->qname, desc);
			free(desc);
			break;
		case OBJ_GRANT:
			put_grant(&b, o, false);
			buf_adds(&b, "; or 'ssot apply' (GRANT is idempotent)");
			break;
		default:
			buf_adds(&b, "run 'ssot apply' to create it");
			if (o->kind == OBJ_INDEX)
				buf_printf(&b, " (%s)", mobj_get(o, "definition"));
			break;
		}
		break;
	case ST_EXTRA:
		if (o->kind == OBJ_COLUMN)
			buf_printf(&b, "ALTER TABLE %s DROP COLUMN %s; (loses its data) or declare it in the files",
				   o->parent->qname, o->qname);
		else if (o->kind == OBJ_CONSTRAINT) {
			put_alter_parent(&b, o);
			buf_printf(&b, " DROP CONSTRAINT %s; or declare it in the files", o->qname);
		} else if (o->kind == OBJ_TRIGGER || o->kind == OBJ_POLICY)
			buf_printf(&b, "DROP %s %s ON %s; or declare it in the files",
				   o->kind == OBJ_TRIGGER ? "TRIGGER" : "POLICY", o->qname, o->parent->qname);
		else if (o->kind == OBJ_GRANT) {
			put_grant(&b, o, true);
			buf_adds(&b, "; or declare the GRANT in the files");
		} else if (drop_word(o->kind)) {
			const char *args = mobj_get(o, "identity_arguments");
			buf_printf(&b, "DROP %s %s", drop_word(o->kind), o->qname);
			if (o->kind == OBJ_FUNCTION || o->kind == OBJ_PROCEDURE)
				buf_printf(&b, "(%s)", args ? args : "");
			buf_printf(&b, ";%s or declare it in the files", o->kind == OBJ_TABLE ? " (loses its data)" : "");
		} else
			buf_adds(&b, "drop it or declare it in the files");
		buf_adds(&b, "; 'ssot plan' writes the script");
		break;
	case ST_CHANGED: {
		const char *want = mobj_get(r->want, r->attr);
		if (!strcmp(r->attr, "comment")) {
			buf_adds(&b, "'ssot apply' sets it when the files hold the COMMENT ON");
			break;
		}
		switch (o->kind) {
		case OBJ_COLUMN:
			if (!strcmp(r->attr, "type"))
				buf_printf(&b, "ALTER TABLE %s ALTER COLUMN %s TYPE %s; (may rewrite the table) or see 'ssot plan'",
					   o->parent->qname, o->qname, want);
			else if (!strcmp(r->attr, "nullable"))
				buf_printf(&b, "ALTER TABLE %s ALTER COLUMN %s %s NOT NULL;", o->parent->qname, o->qname,
					   want && !strcmp(want, "NOT NULL") ? "SET" : "DROP");
			else if (!strcmp(r->attr, "default"))
				if (want)
					buf_printf(&b, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;", o->parent->qname,
						   o->qname, want);
				else
					buf_printf(&b, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT;", o->parent->qname, o->qname);
			else if (!strcmp(r->attr, "position"))
				buf_adds(&b, "only rebuilding the table changes column order (reported because of "
					 "--strict-column-order)");
			else
				buf_adds(&b, "see 'ssot plan' for the ALTER TABLE that converges it");
			break;
		case OBJ_INDEX:
			buf_printf(&b, "DROP INDEX %s; then 'ssot apply' (CREATE INDEX IF NOT EXISTS skips an index "
				   "of the same name)", o->qname);
			break;
		case OBJ_CONSTRAINT:
			put_alter_parent(&b, o);
			if (!strcmp(r->attr, "validated"))
				buf_printf(&b, " VALIDATE CONSTRAINT %s;", o->qname);
			else
				buf_printf(&b, " DROP CONSTRAINT %s; then add it again as the files declare it", o->qname);
			break;
		case OBJ_VIEW:
		case OBJ_FUNCTION:
		case OBJ_PROCEDURE:
			buf_adds(&b, "'ssot apply' replaces it (CREATE OR REPLACE)");
			break;
		case OBJ_MATVIEW:
			buf_printf(&b, "DROP MATERIALIZED VIEW %s; then 'ssot apply'", o->qname);
			break;
		case OBJ_TRIGGER:
		case OBJ_POLICY:
			if (o->kind == OBJ_TRIGGER && !strcmp(r->attr, "enabled"))
				buf_printf(&b, "ALTER TABLE %s %s TRIGGER %s;", o->parent->qname,
					   want && !strcmp(want, "DISABLED") ? "DISABLE" : "ENABLE", o->qname);
			else
				buf_printf(&b, "DROP %s %s ON %s; then 'ssot apply'", o->kind == OBJ_TRIGGER ? "TRIGGER" : "POLICY",
					   o->qname, o->parent->qname);
			break;
		case OBJ_ENUM:
			buf_printf(&b, "ALTER TYPE %s ADD VALUE ...; (values cannot be removed or reordered "
				   "without re-creating the type)", o->qname);
			break;
		case OBJ_TABLE:
			if (!strcmp(r->attr, "row_security"))
				buf_printf(&b, "ALTER TABLE %s %s ROW LEVEL SECURITY;", o->qname,
					   want && !strcmp(want, "enabled") ? "ENABLE" : "DISABLE");
			else if (!strcmp(r->attr, "force_row_security"))
				buf_printf(&b, "ALTER TABLE %s %sFORCE ROW LEVEL SECURITY;", o->qname,
					   want && !strcmp(want, "forced") ? "" : "NO ");
			else if (!strcmp(r->attr, "persistence"))
				buf_printf(&b, "ALTER TABLE %s SET %s;", o->qname,
					   want && !strcmp(want, "unlogged") ? "UNLOGGED" : "LOGGED");
			else
				buf_adds(&b, "see 'ssot plan'");
			break;
		case OBJ_GRANT:
			put_grant(&b, r->want, false);
			buf_adds(&b, "; and revoke what the files do not grant");
			break;
		case OBJ_SEQUENCE:
			buf_printf(&b, "ALTER SEQUENCE %s ...; or see 'ssot plan'", o->qname);
			break;
		default:
			buf_adds(&b, "see 'ssot plan'");
			break;
		}
		break;
	}
	}
	return buf_detach(&b);
}

/* Add the finding of one record. */
static void add_finding(struct diag *d, const struct rec *r, const struct diff_opts *o)
{
	const struct mobj *ob = r->want ? r->want : r->have;
	const char *kind = obj_kind_name(ob->kind);
	struct buf msg = BUF_INIT;
	if (o->dry_run) {
		if (r->status == ST_CHANGED)
			buf_printf(&msg, "%s %s: %s would change", kind, ob->id, r->attr);
		else
			buf_printf(&msg, "%s %s would be %s", kind, ob->id, r->status == ST_MISSING ? "created" : "dropped");
	} else if (r->status == ST_MISSING) {
		buf_printf(&msg, "%s %s is declared in the files but missing from the database", kind, ob->id);
	} else if (r->status == ST_EXTRA) {
		buf_printf(&msg, "%s %s is in the database but not declared in the files", kind, ob->id);
	} else {
		buf_printf(&msg, "%s %s: %s differs", kind, ob->id, r->attr);
	}

	/* Where: the declaration (an extra object is pointed at its parent's later). */
	const struct mobj *at = r->want;
	struct source *src = at ? at->src : NULL;
	size_t start = at ? at->start : 0, end = at ? at->end : 0;
	struct finding *f = diag_add(d, o->dry_run ? SEV_NOTE : SEV_ERROR, o->dry_run ? "dry-run" : "drift",
				     src, start, end, "%s", msg.s);
	buf_release(&msg);
	static const char *const statuses[] = { "missing", "extra", "changed" };
	diag_set(&f->object, ob->id);
	diag_set(&f->kind, kind);
	diag_set(&f->status, statuses[r->status]);
	if (r->status == ST_CHANGED) {
		diag_set(&f->expected, mobj_get(r->want, r->attr));
		diag_set(&f->actual, mobj_get(r->have, r->attr));
	} else {
		char *desc = describe(ob);
		diag_set(r->status == ST_MISSING ? &f->expected : &f->actual, desc ? desc : kind);
		free(desc);
	}
	if (!o->dry_run) {
		char *s = suggest(r);
		diag_set(&f->suggestion, s);
		free(s);
	}
}

/* Where an extra object should point: its parent's declaration, when the files declare the parent. */
static void point_at_declared_parent(struct finding *f, const struct mobj *have, const struct model *desired)
{
	if (!have->parent)
		return;
	const struct mobj *p = model_find(desired, have->parent->key);
	for (; p && !p->src; p = p->parent)
		;
	if (p) {
		f->src = p->src;
		f->start = p->start;
		f->end = p->end;
	}
}

int diff_models(const struct model *desired, const struct model *live, const struct diff_opts *o,
		struct diag *d, struct diff_stats *stats)
{
	struct diff_stats st = { 0 };
	VEC(struct rec) recs = VEC_INIT;
	size_t seq = 0;

	for (size_t i = 0; i < desired->objs.n; i++) {
		const struct mobj *w = desired->objs.v[i];
		if (w->kind == OBJ_UNSUPPORTED)
			continue;
		const struct mobj *h = model_find(live, w->key);
		if (!h) {
			if (parent_absent(w, live))
				continue;
			VEC_PUSH(&recs, ((struct rec){ ST_MISSING, w, NULL, NULL, top_of(w)->id, seq++ }));
			st.missing++;
			continue;
		}
		for (int side = 0; side < 2; side++) {
			const struct mobj *a = side ? h : w, *b = side ? w : h;
			for (unsigned k = 0; k < a->nattrs; k++) {
				const struct mattr *at = &a->attrs[k];
				if (!compared(at, o))
					continue;
				const struct mattr *bt = mobj_attr(b, at->name);
				if (side && bt)
					continue;	/* compared from the desired side already */
				if (same(at->value, bt ? bt->value : NULL))
					continue;
				VEC_PUSH(&recs, ((struct rec){ ST_CHANGED, w, h, at->name, top_of(w)->id, seq++ }));
				st.changed++;
			}
		}
	}
	for (size_t i = 0; i < live->objs.n; i++) {
		const struct mobj *h = live->objs.v[i];
		if (h->kind == OBJ_UNSUPPORTED || model_find(desired, h->key) || parent_absent(h, desired))
			continue;
		VEC_PUSH(&recs, ((struct rec){ ST_EXTRA, NULL, h, NULL, top_of(h)->id, seq++ }));
		st.extra++;
	}
	if (recs.n)
		qsort(recs.v, recs.n, sizeof(*recs.v), rec_cmp);
	for (size_t i = 0; i < recs.n; i++) {
		add_finding(d, &recs.v[i], o);
		if (o->groups)
			VEC_PUSH(&o->groups->v, xstrdup(recs.v[i].group));
		if (recs.v[i].status == ST_EXTRA)
			point_at_declared_parent(&d->items.v[d->items.n - 1], recs.v[i].have, desired);
	}
	VEC_FREE(&recs);

	/* never silent: what the model does not cover, on either side */
	const struct model *sides[2] = { live, desired };
	for (int s = 0; s < 2 && !o->dry_run; s++)
		for (size_t i = 0; i < sides[s]->objs.n; i++) {
			const struct mobj *u = sides[s]->objs.v[i];
			if (u->kind != OBJ_UNSUPPORTED)
				continue;
			const struct mobj *other = model_find(sides[!s], u->key);
			if (s == 1 && other)
				continue;	/* reported with the live side */
			const char *where = other ? "in the database and the files" :
				s == 0 ? "in the database" : "in the files";
			struct finding *f = diag_add(d, SEV_NOTE, "drift", u->src, u->start, u->end,
						     "%s %s (%s) is not modelled by ssot: differences in it are not checked",
						     u->what, u->id, where);
			if (o->groups)
				VEC_PUSH(&o->groups->v, NULL);
			diag_set(&f->object, u->id);
			diag_set(&f->kind, "unsupported");
			diag_set(&f->detail, u->what);
			st.unsupported++;
		}
	if (!o->dry_run && desired->server_version / 10000 != live->server_version / 10000 &&
	    desired->server_version && live->server_version) {
		struct finding *f = diag_add(d, SEV_WARNING, "drift", NULL, 0, 0,
					     "the files were built on PostgreSQL %d and the database runs %d: the "
					     "server's text for views, defaults and checks can differ between versions",
					     desired->server_version / 10000, live->server_version / 10000);
		diag_set(&f->hint, "pass --dev-url with a server of the database's major version");
		if (o->groups)
			VEC_PUSH(&o->groups->v, NULL);
	}
	if (stats)
		*stats = st;
	return st.missing + st.extra + st.changed;
}

/* ---- default constraint names ---- */

char *diff_default_constraint_name(const char *table, const char *column, const char *label)
{
	/* makeObjectName(): shorten the longer part until it fits NAMEDATALEN - 1 */
	size_t n1 = strlen(table), n2 = column ? strlen(column) : 0;
	size_t overhead = strlen(label) + 1 + (column ? 1 : 0);
	size_t avail = 63 > overhead ? 63 - overhead : 0;
	while (n1 + n2 > avail) {
		if (n1 > n2)
			n1--;
		else
			n2--;
	}
	/* never cut a UTF-8 character in two */
	while (n1 > 0 && ((unsigned char)table[n1] & 0xC0) == 0x80)
		n1--;
	while (column && n2 > 0 && ((unsigned char)column[n2] & 0xC0) == 0x80)
		n2--;
	if (column)
		return xasprintf("%.*s_%.*s_%s", (int)n1, table, (int)n2, column, label);
	return xasprintf("%.*s_%s", (int)n1, table, label);
}

/* ---- declarations ---- */

struct decl {
	struct source *src;
	size_t start, end;
};

struct locator {
	struct map map;		/* key -> struct decl */
	struct arena a;
	struct sqlfile *file;	/* being walked */
	size_t base;		/* byte offset of the parsed text in the file */
	size_t stmt_start, stmt_end;
};

/* End of a possibly qualified, possibly quoted name starting at `off`. */
static size_t name_end(const char *t, size_t len, size_t off)
{
	size_t i = off;
	for (;;) {
		if (i < len && t[i] == '"') {
			for (i++; i < len; i++)
				if (t[i] == '"') {
					if (i + 1 < len && t[i + 1] == '"')
						i++;
					else
						break;
				}
			if (i < len)
				i++;
		} else {
			while (i < len && (isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '$' ||
					   (unsigned char)t[i] >= 0x80))
				i++;
		}
		if (i < len && t[i] == '.' && i + 1 < len && t[i + 1] != '.') {
			i++;
			continue;
		}
		return i;
	}
}

static void declare(struct locator *l, const char *kind, const char *schema, const char *name, const char *sub,
		    int location)
{
	if (!name || !*name)
		return;
	struct buf key = BUF_INIT;
	buf_printf(&key, "%s\x1f%s\x1f%s\x1f%s", kind, schema ? schema : "", name, sub ? sub : "");
	if (map_get(&l->map, key.s)) {
		buf_release(&key);
		return;
	}
	struct decl *d = arena_alloc(&l->a, sizeof(*d));
	d->src = &l->file->src;
	if (location >= 0) {
		d->start = l->base + (size_t)location;
		d->end = name_end(l->file->src.text, l->file->src.len, d->start);
	} else {
		/* no location: the first mention of the name in the statement */
		d->start = d->end = l->stmt_start;
		const char *t = l->file->src.text;
		size_t nl = strlen(sub ? sub : name);
		for (size_t i = l->stmt_start; i + nl <= l->stmt_end; i++)
			if (!strncasecmp(t + i, sub ? sub : name, nl)) {
				d->start = i;
				d->end = i + nl;
				break;
			}
	}
	map_put(&l->map, arena_strndup(&l->a, key.s, key.len), d);
	buf_release(&key);
}

static const char *str_of(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

/* Schema and name of a qualified name list (["s", "t"] or ["t"]). */
static void list_name(PgQuery__Node **items, size_t n, const char **schema, const char **name)
{
	*schema = n >= 2 ? str_of(items[n - 2]) : NULL;
	*name = n >= 1 ? str_of(items[n - 1]) : NULL;
}

/* Column names of a list of String nodes joined with '_' (caller frees). */
static char *joined_columns(PgQuery__Node **items, size_t n)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		const char *s = str_of(items[i]);
		if (!s)
			continue;
		if (b.len)
			buf_addch(&b, '_');
		buf_adds(&b, s);
	}
	return b.len ? buf_detach(&b) : (buf_release(&b), NULL);
}

static void declare_constraint(struct locator *l, const char *schema, const char *table, const char *column,
			       const PgQuery__Constraint *c)
{
	const char *label = NULL;
	char *cols = NULL;
	switch (c->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY: label = "pkey"; break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
		label = "key";
		cols = column ? xstrdup(column) : joined_columns(c->keys, c->n_keys);
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		label = "fkey";
		cols = column ? xstrdup(column) : joined_columns(c->fk_attrs, c->n_fk_attrs);
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		label = "check";
		cols = column ? xstrdup(column) : NULL;
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
		label = "excl";
		break;
	default:
		return;
	}
	if (c->conname && *c->conname) {
		declare(l, "con", schema, table, c->conname, c->location);
	} else if (label && (cols || c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)) {
		char *name = diff_default_constraint_name(table, cols, label);
		declare(l, "con", schema, table, name, c->location);
		free(name);
	}
	free(cols);
}

static void declare_column(struct locator *l, const char *schema, const char *table, const PgQuery__ColumnDef *cd)
{
	declare(l, "col", schema, table, cd->colname, cd->location);
	for (size_t k = 0; k < cd->n_constraints; k++)
		if (cd->constraints[k]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			declare_constraint(l, schema, table, cd->colname, cd->constraints[k]->constraint);
}

static void declare_relation(struct locator *l, const PgQuery__RangeVar *rv)
{
	if (rv)
		declare(l, "rel", rv->schemaname, rv->relname, NULL, rv->location);
}

static void walk(struct locator *l, const PgQuery__Node *n)
{
	const char *schema, *name;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT: {
		const PgQuery__CreateStmt *s = n->create_stmt;
		const PgQuery__RangeVar *rv = s->relation;
		declare_relation(l, rv);
		for (size_t i = 0; i < s->n_table_elts; i++) {
			const PgQuery__Node *e = s->table_elts[i];
			if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
				declare_column(l, rv->schemaname, rv->relname, e->column_def);
			else if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
				declare_constraint(l, rv->schemaname, rv->relname, NULL, e->constraint);
		}
		break;
	}
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: {
		const PgQuery__AlterTableStmt *s = n->alter_table_stmt;
		const PgQuery__RangeVar *rv = s->relation;
		for (size_t i = 0; rv && i < s->n_cmds; i++) {
			if (s->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
				continue;
			const PgQuery__AlterTableCmd *c = s->cmds[i]->alter_table_cmd;
			if (!c->def)
				continue;
			if (c->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn &&
			    c->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
				declare_column(l, rv->schemaname, rv->relname, c->def->column_def);
			else if (c->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint &&
				 c->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
				declare_constraint(l, rv->schemaname, rv->relname, NULL, c->def->constraint);
		}
		break;
	}
	case PG_QUERY__NODE__NODE_INDEX_STMT: {
		const PgQuery__IndexStmt *s = n->index_stmt;
		if (s->relation)
			declare(l, "rel", s->relation->schemaname, s->idxname, NULL, -1);
		break;
	}
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		declare_relation(l, n->view_stmt->view);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
		if (n->create_table_as_stmt->into)
			declare_relation(l, n->create_table_as_stmt->into->rel);
		break;
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
		declare_relation(l, n->create_seq_stmt->sequence);
		break;
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT: {
		const PgQuery__CreateFunctionStmt *s = n->create_function_stmt;
		list_name(s->funcname, s->n_funcname, &schema, &name);
		declare(l, "func", schema, name, NULL, -1);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
		list_name(n->create_enum_stmt->type_name, n->create_enum_stmt->n_type_name, &schema, &name);
		declare(l, "type", schema, name, NULL, -1);
		break;
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
		if (n->composite_type_stmt->typevar)
			declare(l, "type", n->composite_type_stmt->typevar->schemaname,
				n->composite_type_stmt->typevar->relname, NULL, n->composite_type_stmt->typevar->location);
		break;
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT: {
		const PgQuery__CreateDomainStmt *s = n->create_domain_stmt;
		list_name(s->domainname, s->n_domainname, &schema, &name);
		declare(l, "type", schema, name, NULL, -1);
		for (size_t i = 0; name && i < s->n_constraints; i++)
			if (s->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
				const PgQuery__Constraint *c = s->constraints[i]->constraint;
				if (c->conname && *c->conname)
					declare(l, "con", schema, name, c->conname, c->location);
				else if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK) {
					char *def = diff_default_constraint_name(name, NULL, "check");
					declare(l, "con", schema, name, def, c->location);
					free(def);
				}
			}
		break;
	}
	case PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT: {
		const PgQuery__AlterDomainStmt *s = n->alter_domain_stmt;
		list_name(s->type_name, s->n_type_name, &schema, &name);
		if (s->subtype && !strcmp(s->subtype, "C") && s->def &&
		    s->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT && name)
			declare(l, "con", schema, name, s->def->constraint->conname, s->def->constraint->location);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
		declare(l, "ext", NULL, n->create_extension_stmt->extname, NULL, -1);
		break;
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
		declare(l, "schema", NULL, n->create_schema_stmt->schemaname, NULL, -1);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT: {
		const PgQuery__CreateTrigStmt *s = n->create_trig_stmt;
		if (s->relation)
			declare(l, "trig", s->relation->schemaname, s->relation->relname, s->trigname, -1);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT: {
		const PgQuery__CreatePolicyStmt *s = n->create_policy_stmt;
		if (s->table)
			declare(l, "pol", s->table->schemaname, s->table->relname, s->policy_name, -1);
		break;
	}
	default:
		break;
	}
}

/* Parse text (NUL-terminated) and walk each of its statements at offset base. */
static void walk_text(struct locator *l, const char *text, size_t base)
{
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(text);
	if (r.error) {
		pg_query_free_protobuf_parse_result(r);
		return;
	}
	PgQuery__ParseResult *tree = pg_query__parse_result__unpack(&sqlfile_pb_allocator, r.parse_tree.len,
								    (const uint8_t *)r.parse_tree.data);
	pg_query_free_protobuf_parse_result(r);
	if (!tree)
		return;
	size_t saved_base = l->base, saved_start = l->stmt_start, saved_end = l->stmt_end;
	l->base = base;
	l->stmt_start = base;
	l->stmt_end = base + strlen(text);
	for (size_t i = 0; i < tree->n_stmts; i++)
		if (tree->stmts[i]->stmt)
			walk(l, tree->stmts[i]->stmt);
	pg_query__parse_result__free_unpacked(tree, &sqlfile_pb_allocator);
	l->base = saved_base;
	l->stmt_start = saved_start;
	l->stmt_end = saved_end;
}

/*
 * The statements inside a DO block's dollar-quoted body: every CREATE or
 * ALTER up to the next semicolon that parses on its own (the usual
 * "BEGIN CREATE TYPE ...; EXCEPTION WHEN duplicate_object" guard).
 */
static void walk_do_body(struct locator *l, const struct stmt *st)
{
	const char *t = l->file->src.text;
	size_t bs = st->body_start;
	if (!bs || t[bs - 1] != '$')
		return;
	size_t ts = bs - 1;
	while (ts > 0 && t[ts - 1] != '$')
		ts--;
	if (ts == 0)
		return;
	ts--;
	size_t taglen = bs - ts;
	const char *end = NULL;
	for (size_t i = bs; i + taglen <= st->start + st->len; i++)
		if (!memcmp(t + i, t + ts, taglen)) {
			end = t + i;
			break;
		}
	if (!end)
		return;
	char *body = xstrndup(t + bs, (size_t)(end - (t + bs)));
	PgQueryScanResult sr = pg_query_scan(body);
	PgQuery__ScanResult *scan = sr.error ? NULL :
		pg_query__scan_result__unpack(&sqlfile_pb_allocator, sr.pbuf.len, (const uint8_t *)sr.pbuf.data);
	pg_query_free_scan_result(sr);
	for (size_t k = 0; scan && k < scan->n_tokens; k++) {
		PgQuery__Token tok = scan->tokens[k]->token;
		if (tok != PG_QUERY__TOKEN__CREATE && tok != PG_QUERY__TOKEN__ALTER)
			continue;
		size_t j = k + 1;
		while (j < scan->n_tokens && scan->tokens[j]->token != PG_QUERY__TOKEN__ASCII_59)
			j++;
		size_t from = (size_t)scan->tokens[k]->start;
		size_t to = j < scan->n_tokens ? (size_t)scan->tokens[j]->start : strlen(body);
		char *piece = xstrndup(body + from, to - from);
		walk_text(l, piece, bs + from);
		free(piece);
		k = j;
	}
	if (scan)
		pg_query__scan_result__free_unpacked(scan, &sqlfile_pb_allocator);
	free(body);
}

static struct decl *lookup(const struct locator *l, const char *kind, const char *schema, const char *name,
			   const char *sub)
{
	struct buf key = BUF_INIT;
	struct decl *d = NULL;
	for (int pass = 0; pass < 2 && !d; pass++) {
		buf_reset(&key);
		buf_printf(&key, "%s\x1f%s\x1f%s\x1f%s", kind, pass == 0 && schema ? schema : "", name, sub ? sub : "");
		d = map_get(&l->map, key.s);
		if (!schema)
			break;
	}
	buf_release(&key);
	return d;
}

static struct decl *find_decl(const struct locator *l, const struct mobj *o)
{
	const struct mobj *p = o->parent;
	switch (o->kind) {
	case OBJ_SCHEMA: return lookup(l, "schema", NULL, o->name, NULL);
	case OBJ_EXTENSION: return lookup(l, "ext", NULL, o->name, NULL);
	case OBJ_TABLE:
	case OBJ_VIEW:
	case OBJ_MATVIEW:
	case OBJ_SEQUENCE:
	case OBJ_INDEX: return lookup(l, "rel", o->schema, o->name, NULL);
	case OBJ_ENUM:
	case OBJ_DOMAIN:
	case OBJ_TYPE: return lookup(l, "type", o->schema, o->name, NULL);
	case OBJ_FUNCTION:
	case OBJ_PROCEDURE: return lookup(l, "func", o->schema, o->name, NULL);
	case OBJ_COLUMN: return p ? lookup(l, "col", p->schema, p->name, o->name) : NULL;
	case OBJ_CONSTRAINT: return p ? lookup(l, "con", p->schema, p->name, o->name) : NULL;
	case OBJ_TRIGGER: return p ? lookup(l, "trig", p->schema, p->name, o->name) : NULL;
	case OBJ_POLICY: return p ? lookup(l, "pol", p->schema, p->name, o->name) : NULL;
	default: return NULL;
	}
}

void diff_groups_release(struct diff_groups *g)
{
	for (size_t i = 0; i < g->v.n; i++)
		free(g->v.v[i]);
	VEC_FREE(&g->v);
}

void diff_locate(struct model *m, struct sqlfile *const *files, size_t nfiles)
{
	struct locator l = { .map = MAP_INIT };
	arena_init(&l.a);
	for (size_t f = 0; f < nfiles; f++) {
		struct sqlfile *sf = files[f];
		if (!sf->tree)
			continue;
		l.file = sf;
		for (size_t i = 0; i < sf->stmts.n && i < sf->tree->n_stmts; i++) {
			const struct stmt *st = &sf->stmts.v[i];
			l.base = 0;
			l.stmt_start = st->start;
			l.stmt_end = st->start + st->len;
			if (st->flags & STMT_DO)
				walk_do_body(&l, st);
			else if (sf->tree->stmts[i]->stmt)
				walk(&l, sf->tree->stmts[i]->stmt);
		}
	}
	/* objects first (parents come before children in load order) */
	for (size_t i = 0; i < m->objs.n; i++) {
		struct mobj *o = m->objs.v[i];
		const struct decl *d = find_decl(&l, o);
		if (d) {
			o->src = d->src;
			o->start = d->start;
			o->end = d->end;
		} else if (o->parent && o->parent->src) {
			o->src = o->parent->src;
			o->start = o->parent->start;
			o->end = o->parent->end;
		}
	}
	map_release(&l.map);
	arena_release(&l.a);
}
