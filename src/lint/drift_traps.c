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

static void constraint_decl(struct lint_ctx *c, const char *table, const PgQuery__Constraint *k)
{
	if (k->conname && *k->conname)
		decl(c, "constraint", sub_key(c, table, k->conname), k, ctx_offset(c, k->location));
}

static void column_fact(struct lint_ctx *c, enum fact_kind kind, const char *table,
			const PgQuery__ColumnDef *col)
{
	if (!col->colname || !col->type_name)
		return;
	struct fact *fa = fact_add(c, kind, sub_key(c, table, col->colname), NULL, ctx_offset(c, col->location));
	fa->node = col->type_name;	/* spelled out only when reported */
	fa->hash = type_hash(col->type_name);
}

static void relation_name(struct lint_ctx *c, const PgQuery__RangeVar *rv)
{
	if (!rv || !rule_on(c, R_UNQUALIFIED_NAME) || rv->relpersistence[0] == 't')
		return;
	if (rv->schemaname && *rv->schemaname)
		fact_add(c, FACT_SCHEMA, rv->schemaname, NULL, ctx_offset(c, rv->location));
	else
		fact_add(c, FACT_UNQUALIFIED, rv->relname, NULL, ctx_offset(c, rv->location));
}

/* "schema.name(argtype, ...)" of a function, in the arena. */
static const char *function_key(struct lint_ctx *c, const PgQuery__CreateFunctionStmt *f)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, names_key(c, f->funcname, f->n_funcname, true));
	buf_addch(&b, '(');
	bool first = true;
	for (size_t i = 0; i < f->n_parameters; i++) {
		const PgQuery__Node *p = f->parameters[i];
		if (p->node_case != PG_QUERY__NODE__NODE_FUNCTION_PARAMETER)
			continue;
		const PgQuery__FunctionParameter *fp = p->function_parameter;
		if (fp->mode == PG_QUERY__FUNCTION_PARAMETER_MODE__FUNC_PARAM_OUT ||
		    fp->mode == PG_QUERY__FUNCTION_PARAMETER_MODE__FUNC_PARAM_TABLE || !fp->arg_type)
			continue;
		if (!first)
			buf_adds(&b, ", ");
		buf_adds(&b, type_text(&c->file->arena, fp->arg_type));
		first = false;
	}
	buf_addch(&b, ')');
	const char *k = arena_strdup(&c->file->arena, b.s);
	buf_release(&b);
	return k;
}

static void create_table(struct lint_ctx *c, const PgQuery__CreateStmt *s)
{
	const char *table = rv_key(c, s->relation);
	if (rule_on(c, R_CONFLICTING_DEFINITION))
		decl(c, "table", table, s, c->start);
	relation_name(c, s->relation);
	for (size_t i = 0; i < s->n_table_elts; i++) {
		const PgQuery__Node *e = s->table_elts[i];
		if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
			const PgQuery__ColumnDef *col = e->column_def;
			if (rule_on(c, R_ADD_COLUMN_CONFLICT))
				column_fact(c, FACT_COLUMN, table, col);
			if (rule_on(c, R_CONFLICTING_DEFINITION))
				for (size_t k = 0; k < col->n_constraints; k++)
					if (col->constraints[k]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
						constraint_decl(c, table, col->constraints[k]->constraint);
		} else if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT && rule_on(c, R_CONFLICTING_DEFINITION)) {
			constraint_decl(c, table, e->constraint);
		}
	}
}

static void alter_table(struct lint_ctx *c, const PgQuery__AlterTableStmt *a)
{
	if (!a->relation)
		return;
	const char *table = rv_key(c, a->relation);
	relation_name(c, a->relation);
	for (size_t i = 0; i < a->n_cmds; i++) {
		if (a->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = a->cmds[i]->alter_table_cmd;
		const PgQuery__Node *def = cmd->def;
		if (!def)
			continue;
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn &&
		    def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF && rule_on(c, R_ADD_COLUMN_CONFLICT))
			column_fact(c, FACT_ADD_COLUMN, table, def->column_def);
		else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint &&
			 def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT && rule_on(c, R_CONFLICTING_DEFINITION))
			constraint_decl(c, table, def->constraint);
	}
}

void collect_drift_facts(struct lint_ctx *c)
{
	if (c->block == BLOCK_FUNCTION)
		return;
	bool defs = rule_on(c, R_CONFLICTING_DEFINITION);
	const PgQuery__Node *n = c->stmt;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		create_table(c, n->create_stmt);
		break;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		alter_table(c, n->alter_table_stmt);
		break;
	case PG_QUERY__NODE__NODE_INDEX_STMT: {
		const PgQuery__IndexStmt *s = n->index_stmt;
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
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		relation_name(c, n->view_stmt->view);
		if (defs)
			decl(c, "view", rv_key(c, n->view_stmt->view), n->view_stmt, c->start);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT: {
		const PgQuery__CreateTableAsStmt *s = n->create_table_as_stmt;
		if (!s->into || !s->into->rel)
			break;
		relation_name(c, s->into->rel);
		if (defs && s->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW)
			decl(c, "materialized view", rv_key(c, s->into->rel), s, c->start);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
		relation_name(c, n->create_seq_stmt->sequence);
		if (defs)
			decl(c, "sequence", rv_key(c, n->create_seq_stmt->sequence), n->create_seq_stmt, c->start);
		break;
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
		if (defs)
			decl(c, n->create_function_stmt->is_procedure ? "procedure" : "function",
			     function_key(c, n->create_function_stmt), n->create_function_stmt, c->start);
		break;
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
		if (defs)
			decl(c, "type", names_key(c, n->create_enum_stmt->type_name, n->create_enum_stmt->n_type_name, true),
			     n->create_enum_stmt, c->start);
		break;
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
		if (defs)
			decl(c, "type", rv_key(c, n->composite_type_stmt->typevar), n->composite_type_stmt, c->start);
		break;
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
		if (defs)
			decl(c, "domain",
			     names_key(c, n->create_domain_stmt->domainname, n->create_domain_stmt->n_domainname, true),
			     n->create_domain_stmt, c->start);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
		if (defs)
			decl(c, "trigger",
			     sub_key(c, rv_key(c, n->create_trig_stmt->relation), n->create_trig_stmt->trigname),
			     n->create_trig_stmt, c->start);
		break;
	case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
		if (defs)
			decl(c, "policy",
			     sub_key(c, rv_key(c, n->create_policy_stmt->table), n->create_policy_stmt->policy_name),
			     n->create_policy_stmt, c->start);
		break;
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
		if (rule_on(c, R_UNQUALIFIED_NAME) && n->create_schema_stmt->schemaname)
			fact_add(c, FACT_SCHEMA, n->create_schema_stmt->schemaname, NULL, c->start);
		break;
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
		fa->hash = node_hash(fa->node);
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
				const char *added = type_text(&f->arena, fa->node);
				const char *declared = type_text(&f->arena, first->node);
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
