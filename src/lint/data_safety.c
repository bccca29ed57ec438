/*
 * Data safety: DML in the schema files, TRUNCATE of a table that a foreign
 * key references (declared anywhere in the files; TRUNCATE anywhere,
 * including function bodies), TRUNCATE ... CASCADE, and statements that
 * destroy data.
 */
#include "lint/rules.h"

#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

static void fk_fact(struct lint_ctx *c, const char *table, const PgQuery__Constraint *k)
{
	if (k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN || !k->pktable)
		return;
	fact_add(c, FACT_FK, table, rv_key(c, k->pktable), ctx_offset(c, k->location));
}

static void column_fks(struct lint_ctx *c, const char *table, const PgQuery__ColumnDef *col)
{
	for (size_t i = 0; i < col->n_constraints; i++)
		if (col->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			fk_fact(c, table, col->constraints[i]->constraint);
}

static void create_table_fks(struct lint_ctx *c, const PgQuery__CreateStmt *s)
{
	const char *table = NULL;
	for (size_t i = 0; i < s->n_table_elts; i++) {
		const PgQuery__Node *e = s->table_elts[i];
		if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
			if (e->column_def->n_constraints) {
				table = table ? table : rv_key(c, s->relation);
				column_fks(c, table, e->column_def);
			}
		} else if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
			   e->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
			table = table ? table : rv_key(c, s->relation);
			fk_fact(c, table, e->constraint);
		}
	}
}

static void alter_table(struct lint_ctx *c, const PgQuery__AlterTableStmt *a)
{
	if (!a->relation)
		return;
	const char *table = NULL;
	for (size_t i = 0; i < a->n_cmds; i++) {
		if (a->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = a->cmds[i]->alter_table_cmd;
		const PgQuery__Node *def = cmd->def;
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint && def &&
		    def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
			table = table ? table : rv_key(c, a->relation);
			fk_fact(c, table, def->constraint);
		} else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn && def &&
			   def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
			table = table ? table : rv_key(c, a->relation);
			column_fks(c, table, def->column_def);
		} else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn &&
			   c->file->phase != PHASE_RESET && c->block != BLOCK_FUNCTION) {
			lint_report(c, R_DESTRUCTIVE_DROP, c->start, c->start,
				    "DROP COLUMN %s.%s destroys its data on every database the files reach",
				    a->relation->relname, cmd->name ? cmd->name : "");
		}
	}
}

static void truncate(struct lint_ctx *c, const PgQuery__TruncateStmt *t)
{
	bool cascade = t->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
	size_t group = c->file->facts.n;
	for (size_t i = 0; i < t->n_relations; i++) {
		const PgQuery__Node *r = t->relations[i];
		if (r->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
			continue;
		struct fact *fa = fact_add(c, FACT_TRUNCATE, rv_key(c, r->range_var), NULL,
					   ctx_offset(c, r->range_var->location));
		fa->group = group;
		if (cascade)
			fa->flags |= FACT_CASCADE;
	}
	if (cascade)
		lint_report(c, R_TRUNCATE_CASCADE, c->start, c->start,
			    "TRUNCATE ... CASCADE also empties every table that references %s",
			    t->n_relations && t->relations[0]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR
				    ? t->relations[0]->range_var->relname : "it");
}

static void dml_in_run(struct lint_ctx *c, const char *what)
{
	if (c->file->phase == PHASE_RUN && c->block != BLOCK_FUNCTION)
		lint_report(c, R_DML_IN_RUN, c->start, c->start,
			    "%s in a run/ file changes data on every apply; it belongs in seed/", what);
}

void check_data_safety(struct lint_ctx *c)
{
	const PgQuery__Node *n = c->stmt;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		dml_in_run(c, "UPDATE");
		break;
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		dml_in_run(c, "DELETE");
		break;
	case PG_QUERY__NODE__NODE_MERGE_STMT:
		dml_in_run(c, "MERGE");
		break;
	case PG_QUERY__NODE__NODE_COPY_STMT:
		if (!n->copy_stmt->is_from)
			break;	/* COPY ... TO reads */
		dml_in_run(c, "COPY");
		break;
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
		dml_in_run(c, "TRUNCATE");
		truncate(c, n->truncate_stmt);
		break;
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		if (c->block != BLOCK_FUNCTION)
			create_table_fks(c, n->create_stmt);
		break;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		if (c->block != BLOCK_FUNCTION)
			alter_table(c, n->alter_table_stmt);
		break;
	case PG_QUERY__NODE__NODE_DROP_STMT: {
		const PgQuery__DropStmt *d = n->drop_stmt;
		if (c->file->phase == PHASE_RESET || c->block == BLOCK_FUNCTION)
			break;
		bool cascade = d->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
		if (d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
			lint_report(c, R_DESTRUCTIVE_DROP, c->start, c->start,
				    "DROP TABLE destroys its data on every database the files reach");
		else if (d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA && cascade)
			lint_report(c, R_DESTRUCTIVE_DROP, c->start, c->start,
				    "DROP SCHEMA ... CASCADE destroys every table in it on every database the files reach");
		break;
	}
	default:
		break;
	}
}

/* ---- cross-file: TRUNCATE against every foreign key ---------------------------------- */

struct fk_ref {
	size_t file, fact;
	size_t next;		/* next FK to the same table, SIZE_MAX ends */
};

void cross_data_safety(struct lint *l)
{
	if (!l->opts.enabled[R_TRUNCATE_REFERENCED])
		return;
	struct strmap heads;
	VEC(struct fk_ref) refs = VEC_INIT;
	strmap_init(&heads);
	bool any_truncate = false;

	for (size_t i = 0; i < l->files.n; i++) {
		struct lint_file *f = &l->files.v[i];
		for (size_t k = 0; k < f->facts.n; k++) {
			const struct fact *fa = &f->facts.v[k];
			if (fa->kind == FACT_TRUNCATE)
				any_truncate = true;
			if (fa->kind != FACT_FK)
				continue;
			struct fk_ref r = { i, k, SIZE_MAX };
			size_t head = strmap_get(&heads, fa->name2);
			if (head != SIZE_MAX) {
				r.next = refs.v[head].next;	/* keep the first as head, append after it */
				refs.v[head].next = refs.n;
			} else {
				strmap_put(&heads, fa->name2, refs.n);
			}
			VEC_PUSH(&refs, r);
		}
	}

	for (size_t i = 0; any_truncate && i < l->files.n; i++) {
		struct lint_file *f = &l->files.v[i];
		for (size_t k = 0; k < f->facts.n; k++) {
			const struct fact *fa = &f->facts.v[k];
			if (fa->kind != FACT_TRUNCATE || (fa->flags & FACT_CASCADE))
				continue;
			for (size_t r = strmap_get(&heads, fa->name); r != SIZE_MAX; r = refs.v[r].next) {
				struct lint_file *rf = &l->files.v[refs.v[r].file];
				const struct fact *fk = &rf->facts.v[refs.v[r].fact];
				/* Truncating the referencing table in the same statement is allowed. */
				bool same = false;
				for (size_t g = fa->group; g < f->facts.n && f->facts.v[g].group == fa->group &&
							   f->facts.v[g].kind == FACT_TRUNCATE; g++)
					if (!strcmp(f->facts.v[g].name, fk->name))
						same = true;
				if (same)
					continue;
				int line, col;
				source_linecol(&rf->sql.src, fk->start, &line, &col);
				struct finding *fi = lint_report_file(
					l, f, R_TRUNCATE_REFERENCED, fa->start, fa->start,
					"TRUNCATE %s fails%s: a foreign key of %s references it (%s:%d)", fa->name,
					(fa->flags & FACT_IN_FUNCTION) ? " when the function runs" : "", fk->name,
					rf->path, line);
				if (fi) {
					diag_set(&fi->object, fa->name);
					diag_set(&fi->kind, "table");
					char *s = xasprintf("DELETE FROM %s WHERE <key> NOT IN (<current keys>); "
							    "INSERT INTO %s ... ON CONFLICT (<key>) DO UPDATE SET ...",
							    fa->name, fa->name);
					diag_set(&fi->suggestion, s);
					free(s);
				}
				break;
			}
		}
	}
	VEC_FREE(&refs);
	strmap_release(&heads);
}
