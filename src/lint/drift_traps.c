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

static void decl(struct lint_ctx *c, const char *kind, const char *name, const void *node, size_t at)
{
	struct fact *fa = fact_add(c, FACT_DECL, join_key(c, kind, ' ', name), kind, at);
	fa->node = node;
}

static const char *sub_key(struct lint_ctx *c, const char *table, const char *name)
{
	size_t a = strlen(table), b = strlen(name);
	char *k = arena_alloc(&c->file->arena, a + b + 2);
	memcpy(k, table, a);
	k[a] = '.';
	memcpy(k + a + 1, name, b + 1);
	return k;
}

static void constraint_decl(struct lint_ctx *c, const char *table, const Constraint *k)
{
	if (k->conname && *k->conname)
		decl(c, "constraint", sub_key(c, table, k->conname), k, ctx_offset(c, k->location));
}

static void column_fact(struct lint_ctx *c, enum fact_kind kind, const char *table, const ColumnDef *col)
{
	if (!col->colname || !col->typeName)
		return;
	struct fact *fa = fact_add(c, kind, sub_key(c, table, col->colname), NULL, ctx_offset(c, col->location));
	fa->node = (const Node *)col->typeName;	/* spelled out only when reported */
	fa->hash = type_hash(col->typeName);
}

static void relation_name(struct lint_ctx *c, const RangeVar *rv)
{
	if (!rv || !rule_on(c, R_UNQUALIFIED_NAME) || rv->relpersistence == 't')	/* RELPERSISTENCE_TEMP */
		return;
	if (rv->schemaname && *rv->schemaname)
		fact_add(c, FACT_SCHEMA, rv->schemaname, NULL, ctx_offset(c, rv->location));
	else
		fact_add(c, FACT_UNQUALIFIED, rv->relname, NULL, ctx_offset(c, rv->location));
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
		buf_adds(&b, type_text(&c->file->arena, fp->argType));
		first = false;
	}
	buf_addch(&b, ')');
	const char *k = arena_strdup(&c->file->arena, b.s);
	buf_release(&b);
	return k;
}

static void create_table(struct lint_ctx *c, const CreateStmt *s)
{
	const char *table = rv_key(c, s->relation);
	if (rule_on(c, R_CONFLICTING_DEFINITION))
		decl(c, "table", table, s, c->start);
	relation_name(c, s->relation);
	const ListCell *lc;
	foreach(lc, s->tableElts) {
		const Node *e = lfirst(lc);
		if (IsA(e, ColumnDef)) {
			const ColumnDef *col = (const ColumnDef *)e;
			if (rule_on(c, R_ADD_COLUMN_CONFLICT))
				column_fact(c, FACT_COLUMN, table, col);
			if (rule_on(c, R_CONFLICTING_DEFINITION)) {
				const ListCell *k;
				foreach(k, col->constraints)
					if (IsA(lfirst(k), Constraint))
						constraint_decl(c, table, lfirst(k));
			}
		} else if (IsA(e, Constraint) && rule_on(c, R_CONFLICTING_DEFINITION)) {
			constraint_decl(c, table, (const Constraint *)e);
		}
	}
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
		else if (cmd->subtype == AT_AddConstraint && IsA(def, Constraint) &&
			 rule_on(c, R_CONFLICTING_DEFINITION))
			constraint_decl(c, table, (const Constraint *)def);
	}
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
			char *name = xasprintf("%s.%s", schema, s->idxname);
			decl(c, "index", arena_strdup(&c->file->arena, name), s, c->start);
			free(name);
		}
		break;
	}
	case T_ViewStmt: {
		const ViewStmt *v = (const ViewStmt *)n;
		relation_name(c, v->view);
		if (defs)
			decl(c, "view", rv_key(c, v->view), v, c->start);
		break;
	}
	case T_CreateTableAsStmt: {
		const CreateTableAsStmt *s = (const CreateTableAsStmt *)n;
		if (!s->into || !s->into->rel)
			break;
		relation_name(c, s->into->rel);
		if (defs && s->objtype == OBJECT_MATVIEW)
			decl(c, "materialized view", rv_key(c, s->into->rel), s, c->start);
		break;
	}
	case T_CreateSeqStmt: {
		const CreateSeqStmt *s = (const CreateSeqStmt *)n;
		relation_name(c, s->sequence);
		if (defs)
			decl(c, "sequence", rv_key(c, s->sequence), s, c->start);
		break;
	}
	case T_CreateFunctionStmt: {
		const CreateFunctionStmt *f = (const CreateFunctionStmt *)n;
		if (defs)
			decl(c, f->is_procedure ? "procedure" : "function", function_key(c, f), f, c->start);
		break;
	}
	case T_CreateEnumStmt:
		if (defs)
			decl(c, "type", names_key(c, ((const CreateEnumStmt *)n)->typeName, true), n, c->start);
		break;
	case T_CompositeTypeStmt:
		if (defs)
			decl(c, "type", rv_key(c, ((const CompositeTypeStmt *)n)->typevar), n, c->start);
		break;
	case T_CreateDomainStmt:
		if (defs)
			decl(c, "domain", names_key(c, ((const CreateDomainStmt *)n)->domainname, true), n, c->start);
		break;
	case T_CreateTrigStmt: {
		const CreateTrigStmt *t = (const CreateTrigStmt *)n;
		if (defs)
			decl(c, "trigger", sub_key(c, rv_key(c, t->relation), t->trigname), t, c->start);
		break;
	}
	case T_CreatePolicyStmt: {
		const CreatePolicyStmt *p = (const CreatePolicyStmt *)n;
		if (defs)
			decl(c, "policy", sub_key(c, rv_key(c, p->table), p->policy_name), p, c->start);
		break;
	}
	case T_CreateSchemaStmt: {
		const CreateSchemaStmt *s = (const CreateSchemaStmt *)n;
		if (rule_on(c, R_UNQUALIFIED_NAME) && s->schemaname)
			fact_add(c, FACT_SCHEMA, s->schemaname, NULL, c->start);
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

static uint64_t decl_hash(struct fact *fa)
{
	if (!(fa->flags & FACT_HASHED)) {
		fa->hash = raw_node_hash(fa->node);
		fa->flags |= FACT_HASHED;
	}
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

	struct strmap first_decl, first_col, schemas;
	VEC(struct where) places = VEC_INIT;
	strmap_init(&first_decl);
	strmap_init(&first_col);
	strmap_init(&schemas);
	bool unqualified = false;

	/* Pass 1: index the first declaration of each name and each CREATE TABLE column. */
	for (size_t i = 0; i < l->files.n; i++) {
		struct lint_file *f = &l->files.v[i];
		for (size_t k = 0; k < f->facts.n; k++) {
			struct fact *fa = &f->facts.v[k];
			struct where w = { i, k };
			if (fa->kind == FACT_DECL) {
				size_t at = strmap_get(&first_decl, fa->name);
				if (at == SIZE_MAX) {
					strmap_put(&first_decl, fa->name, places.n);
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
				if (strmap_get(&first_col, fa->name) == SIZE_MAX) {
					strmap_put(&first_col, fa->name, places.n);
					VEC_PUSH(&places, w);
				}
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
				const char *added = type_text(&f->arena, (const TypeName *)fa->node);
				const char *declared = type_text(&f->arena, (const TypeName *)first->node);
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
	strmap_release(&first_col);
	strmap_release(&schemas);
}
