/*
 * Drift traps: declarations that IF NOT EXISTS or OR REPLACE would make the
 * database and the files disagree about, without a word.
 *
 *  - the same index, constraint or object name declared twice with
 *    different definitions (compared structurally, positions and the
 *    IF NOT EXISTS / OR REPLACE / CONCURRENTLY / NOT VALID spellings aside);
 *  - a column of a CREATE TABLE that an ADD COLUMN declares with another type;
 *  - unqualified names while more than one schema is in use (opt-in).
 *
 * The per-statement pass records facts; definitions are hashed only when a
 * name turns up a second time.
 */
#include "lint/pg.h"

#include "lint/rules.h"

#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

/*
 * Record a declaration: its key, and where to find its definition again
 * (`part`: -1 the statement, k its k-th named constraint). The statement's
 * text stays where it is when it lies in the file; text from a body is
 * copied.
 */
static void decl(struct lint_ctx *c, const char *kind, const char *name, int part, size_t at)
{
	struct fact *fa = fact_add(c, FACT_DECL, join_key(c, kind, ' ', name), kind, at);
	const struct source *src = &c->file->sql.src;
	uintptr_t from = (uintptr_t)src->text, p = (uintptr_t)c->sql;
	bool in_file = p >= from && p + c->sql_len <= from + src->len;
	fa->text = in_file ? c->sql : arena_strndup(c->file->arena, c->sql, c->sql_len);
	fa->text_len = c->sql_len;
	fa->part = part;
}

static const char *sub_key(struct lint_ctx *c, const char *table, const char *name)
{
	size_t a = strlen(table), b = strlen(name);
	char *k = arena_alloc(c->file->arena, a + b + 2);
	memcpy(k, table, a);
	k[a] = '.';
	memcpy(k + a + 1, name, b + 1);
	return k;
}

static bool named(const Node *n)
{
	return IsA(n, Constraint) && ((const Constraint *)n)->conname && *((const Constraint *)n)->conname;
}

/*
 * The k-th named constraint a statement declares (CREATE TABLE: column and
 * table constraints as written; ALTER TABLE: ADD CONSTRAINT), or NULL. The
 * order is the order they are recorded in, which is what `part` counts.
 */
static const Constraint *named_constraint(const Node *stmt, int k)
{
	const ListCell *lc, *kc;
	if (IsA(stmt, CreateStmt)) {
		foreach(lc, ((const CreateStmt *)stmt)->tableElts) {
			const Node *e = lfirst(lc);
			if (IsA(e, ColumnDef)) {
				foreach(kc, ((const ColumnDef *)e)->constraints)
					if (named(lfirst(kc)) && k-- == 0)
						return lfirst(kc);
			} else if (named(e) && k-- == 0) {
				return (const Constraint *)e;
			}
		}
	} else if (IsA(stmt, AlterTableStmt)) {
		foreach(lc, ((const AlterTableStmt *)stmt)->cmds) {
			const AlterTableCmd *cmd = lfirst(lc);
			if (IsA(cmd, AlterTableCmd) && cmd->subtype == AT_AddConstraint && cmd->def &&
			    named(cmd->def) && k-- == 0)
				return (const Constraint *)cmd->def;
		}
	}
	return NULL;
}

/* A statement's named constraints as declarations of "constraint schema.table.name". */
static void constraint_decls(struct lint_ctx *c, const char *table)
{
	const Constraint *k;
	for (int i = 0; (k = named_constraint(c->stmt, i)) != NULL; i++)
		decl(c, "constraint", sub_key(c, table, k->conname), i, ctx_offset(c, k->location));
}

static void column_fact(struct lint_ctx *c, enum fact_kind kind, const char *table, const ColumnDef *col)
{
	if (!col->colname || !col->typeName)
		return;
	struct fact *fa = fact_add(c, kind, sub_key(c, table, col->colname), NULL, ctx_offset(c, col->location));
	fa->name2 = type_text(c->file->arena, col->typeName);	/* the tree is gone when it is reported */
	fa->hash = type_hash(col->typeName);
}

static void relation_name(struct lint_ctx *c, const RangeVar *rv)
{
	if (!rv || !rule_on(c, R_UNQUALIFIED_NAME) || rv->relpersistence == 't')	/* RELPERSISTENCE_TEMP */
		return;
	if (rv->schemaname && *rv->schemaname)
		fact_add(c, FACT_SCHEMA, keep_str(c, rv->schemaname), NULL, ctx_offset(c, rv->location));
	else
		fact_add(c, FACT_UNQUALIFIED, keep_str(c, rv->relname), NULL, ctx_offset(c, rv->location));
}

/* "schema.name(argtype, ...)" of a function, in the arena. */
static const char *function_key(struct lint_ctx *c, const CreateFunctionStmt *f)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, names_key(c, f->funcname, true));
	buf_addch(&b, '(');
	bool first = true;
	const ListCell *lc;
	foreach(lc, f->parameters) {
		if (!IsA(lfirst(lc), FunctionParameter))
			continue;
		const FunctionParameter *fp = lfirst(lc);
		if (fp->mode == FUNC_PARAM_OUT || fp->mode == FUNC_PARAM_TABLE || !fp->argType)
			continue;
		if (!first)
			buf_adds(&b, ", ");
		buf_adds(&b, type_text(c->file->arena, fp->argType));
		first = false;
	}
	buf_addch(&b, ')');
	const char *k = arena_strdup(c->file->arena, b.s);
	buf_release(&b);
	return k;
}

static void create_table(struct lint_ctx *c, const CreateStmt *s)
{
	const char *table = rv_key(c, s->relation);
	if (rule_on(c, R_CONFLICTING_DEFINITION))
		decl(c, "table", table, -1, c->start);
	relation_name(c, s->relation);
	const ListCell *lc;
	foreach(lc, s->tableElts) {
		const Node *e = lfirst(lc);
		if (IsA(e, ColumnDef)) {
			const ColumnDef *col = (const ColumnDef *)e;
			if (rule_on(c, R_ADD_COLUMN_CONFLICT))
				column_fact(c, FACT_COLUMN, table, col);
		}
	}
	if (rule_on(c, R_CONFLICTING_DEFINITION))
		constraint_decls(c, table);
}

static void alter_table(struct lint_ctx *c, const AlterTableStmt *a)
{
	if (!a->relation)
		return;
	const char *table = rv_key(c, a->relation);
	relation_name(c, a->relation);
	const ListCell *lc;
	foreach(lc, a->cmds) {
		if (!IsA(lfirst(lc), AlterTableCmd))
			continue;
		const AlterTableCmd *cmd = lfirst(lc);
		const Node *def = cmd->def;
		if (!def)
			continue;
		if (cmd->subtype == AT_AddColumn && IsA(def, ColumnDef) && rule_on(c, R_ADD_COLUMN_CONFLICT))
			column_fact(c, FACT_ADD_COLUMN, table, (const ColumnDef *)def);
	}
	if (rule_on(c, R_CONFLICTING_DEFINITION))
		constraint_decls(c, table);
}

void collect_drift_facts(struct lint_ctx *c)
{
	if (c->block == BLOCK_FUNCTION)
		return;
	bool defs = rule_on(c, R_CONFLICTING_DEFINITION);
	const Node *n = c->stmt;
	switch (nodeTag(n)) {
	case T_CreateStmt:
		create_table(c, (const CreateStmt *)n);
		break;
	case T_AlterTableStmt:
		alter_table(c, (const AlterTableStmt *)n);
		break;
	case T_IndexStmt: {
		const IndexStmt *s = (const IndexStmt *)n;
		relation_name(c, s->relation);
		if (defs && s->idxname && *s->idxname) {
			const char *schema = s->relation->schemaname && *s->relation->schemaname
						     ? s->relation->schemaname : "public";
			decl(c, "index", join_key(c, schema, '.', s->idxname), -1, c->start);
		}
		break;
	}
	case T_ViewStmt: {
		const ViewStmt *v = (const ViewStmt *)n;
		relation_name(c, v->view);
		if (defs)
			decl(c, "view", rv_key(c, v->view), -1, c->start);
		break;
	}
	case T_CreateTableAsStmt: {
		const CreateTableAsStmt *s = (const CreateTableAsStmt *)n;
		if (!s->into || !s->into->rel)
			break;
		relation_name(c, s->into->rel);
		if (defs && s->objtype == OBJECT_MATVIEW)
			decl(c, "materialized view", rv_key(c, s->into->rel), -1, c->start);
		break;
	}
	case T_CreateSeqStmt: {
		const CreateSeqStmt *s = (const CreateSeqStmt *)n;
		relation_name(c, s->sequence);
		if (defs)
			decl(c, "sequence", rv_key(c, s->sequence), -1, c->start);
		break;
	}
	case T_CreateFunctionStmt: {
		const CreateFunctionStmt *f = (const CreateFunctionStmt *)n;
		if (defs)
			decl(c, f->is_procedure ? "procedure" : "function", function_key(c, f), -1, c->start);
		break;
	}
	case T_CreateEnumStmt:
		if (defs)
			decl(c, "type", names_key(c, ((const CreateEnumStmt *)n)->typeName, true), -1, c->start);
		break;
	case T_CompositeTypeStmt:
		if (defs)
			decl(c, "type", rv_key(c, ((const CompositeTypeStmt *)n)->typevar), -1, c->start);
		break;
	case T_CreateDomainStmt:
		if (defs)
			decl(c, "domain", names_key(c, ((const CreateDomainStmt *)n)->domainname, true), -1, c->start);
		break;
	case T_CreateTrigStmt: {
		const CreateTrigStmt *t = (const CreateTrigStmt *)n;
		if (defs)
			decl(c, "trigger", sub_key(c, rv_key(c, t->relation), t->trigname), -1, c->start);
		break;
	}
	case T_CreatePolicyStmt: {
		const CreatePolicyStmt *p = (const CreatePolicyStmt *)n;
		if (defs)
			decl(c, "policy", sub_key(c, rv_key(c, p->table), p->policy_name), -1, c->start);
		break;
	}
	case T_CreateSchemaStmt: {
		const CreateSchemaStmt *s = (const CreateSchemaStmt *)n;
		if (rule_on(c, R_UNQUALIFIED_NAME) && s->schemaname)
			fact_add(c, FACT_SCHEMA, keep_str(c, s->schemaname), NULL, c->start);
		break;
	}
	default:
		break;
	}
}

/* ---- cross-file ----------------------------------------------------------------------- */

struct where {
	size_t file, fact;
};

/*
 * The structural hash of a declaration, computed only when its name comes
 * twice (rare): its statement is parsed again, alone, on this thread, and
 * hashed through libpg_query's protobuf output (raw_node_hash).
 */
static uint64_t decl_hash(struct fact *fa)
{
	if (fa->flags & FACT_HASHED)
		return fa->hash;
	static uint64_t unique;
	char *sql = xstrndup(fa->text, fa->text_len);
	MemoryContext ctx = pg_query_enter_memory_context();
	PgQueryInternalParsetreeAndError r = pg_query_raw_parse(sql);
	free(r.stderr_buffer);
	const Node *n = NULL;
	if (!r.error && list_length(r.tree) == 1) {
		n = ((const RawStmt *)linitial(r.tree))->stmt;
		if (fa->part >= 0)
			n = (const Node *)named_constraint(n, fa->part);
	}
	/* It parsed the first time; should it not now, compare it equal to nothing. */
	fa->hash = n ? raw_node_hash(n) : ++unique | 1ull << 63;
	if (r.error)
		pg_query_free_error(r.error);
	pg_query_exit_memory_context(ctx);
	free(sql);
	fa->flags |= FACT_HASHED;
	return fa->hash;
}

/* The object name of a declaration key ("index public.i" -> "public.i"). */
static const char *key_object(const char *key)
{
	const char *sp = strchr(key, ' ');
	/* "materialized view x" has two words before the name. */
	if (sp && !strncmp(key, "materialized view ", 18))
		sp = key + 17;
	return sp ? sp + 1 : key;
}

void cross_drift_traps(struct lint *l)
{
	bool defs = l->opts.enabled[R_CONFLICTING_DEFINITION];
	bool cols = l->opts.enabled[R_ADD_COLUMN_CONFLICT];
	bool unq = l->opts.enabled[R_UNQUALIFIED_NAME];
	if (!defs && !cols && !unq)
		return;

	struct strmap first_decl, add_names, first_col, schemas;
	VEC(struct where) places = VEC_INIT;
	strmap_init(&first_decl);
	strmap_init(&add_names);
	strmap_init(&first_col);
	strmap_init(&schemas);
	bool unqualified = false;

	/*
	 * Only the columns an ADD COLUMN names are indexed: those are few, the
	 * columns of all CREATE TABLEs many.
	 */
	size_t decls = 0;
	for (size_t i = 0; i < l->files.n; i++)
		for (size_t k = 0; k < l->files.v[i].facts.n; k++) {
			const struct fact *fa = &l->files.v[i].facts.v[k];
			decls += fa->kind == FACT_DECL;
			if (fa->kind == FACT_ADD_COLUMN && cols)
				strmap_put(&add_names, fa->name, 0);
		}
	strmap_reserve(&first_decl, decls);
	strmap_reserve(&first_col, add_names.n);

	/* Pass 1: index the first declaration of each name and each CREATE TABLE column. */
	for (size_t i = 0; i < l->files.n; i++) {
		struct lint_file *f = &l->files.v[i];
		for (size_t k = 0; k < f->facts.n; k++) {
			struct fact *fa = &f->facts.v[k];
			struct where w = { i, k };
			if (fa->kind == FACT_DECL) {
				size_t at = strmap_put(&first_decl, fa->name, places.n);
				if (at == places.n) {	/* the first */
					VEC_PUSH(&places, w);
					continue;
				}
				struct lint_file *ff = &l->files.v[places.v[at].file];
				struct fact *first = &ff->facts.v[places.v[at].fact];
				if (decl_hash(first) == decl_hash(fa))
					continue;
				int line, col;
				source_linecol(&ff->sql.src, first->start, &line, &col);
				struct finding *fi = lint_report_file(
					l, f, R_CONFLICTING_DEFINITION, fa->start, fa->start,
					"%s %s is declared again with a different definition (first at %s:%d)",
					fa->name2, key_object(fa->name), ff->path, line);
				if (fi) {
					diag_set(&fi->object, key_object(fa->name));
					diag_set(&fi->kind, fa->name2);
				}
			} else if (fa->kind == FACT_COLUMN) {
				if (add_names.n && strmap_get(&add_names, fa->name) != SIZE_MAX &&
				    strmap_put(&first_col, fa->name, places.n) == places.n)
					VEC_PUSH(&places, w);
			} else if (fa->kind == FACT_SCHEMA) {
				strmap_put(&schemas, fa->name, 1);
			} else if (fa->kind == FACT_UNQUALIFIED) {
				unqualified = true;
			}
		}
	}
	if (unqualified)
		strmap_put(&schemas, "public", 1);

	/* Pass 2: ADD COLUMN against the CREATE TABLE columns; unqualified names. */
	for (size_t i = 0; i < l->files.n; i++) {
		struct lint_file *f = &l->files.v[i];
		for (size_t k = 0; k < f->facts.n; k++) {
			struct fact *fa = &f->facts.v[k];
			if (fa->kind == FACT_ADD_COLUMN && cols) {
				size_t at = strmap_get(&first_col, fa->name);
				if (at == SIZE_MAX)
					continue;
				struct lint_file *ff = &l->files.v[places.v[at].file];
				struct fact *first = &ff->facts.v[places.v[at].fact];
				if (first->hash == fa->hash)
					continue;
				int line, col;
				source_linecol(&ff->sql.src, first->start, &line, &col);
				const char *added = fa->name2;
				const char *declared = first->name2;
				struct finding *fi = lint_report_file(
					l, f, R_ADD_COLUMN_CONFLICT, fa->start, fa->start,
					"ADD COLUMN %s declares it as %s, but CREATE TABLE declares %s (%s:%d)",
					fa->name, added, declared, ff->path, line);
				if (fi) {
					diag_set(&fi->object, fa->name);
					diag_set(&fi->kind, "column");
					diag_set(&fi->expected, declared);
					diag_set(&fi->actual, added);
				}
			} else if (fa->kind == FACT_UNQUALIFIED && unq && schemas.n > 1) {
				lint_report_file(l, f, R_UNQUALIFIED_NAME, fa->start, fa->start,
						 "%s is not schema-qualified, and the files use %zu schemas", fa->name,
						 schemas.n);
			}
		}
	}
	VEC_FREE(&places);
	strmap_release(&first_decl);
	strmap_release(&add_names);
	strmap_release(&first_col);
	strmap_release(&schemas);
}
