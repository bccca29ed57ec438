/*
 * Data safety: DML in the schema files, TRUNCATE of a table that a foreign
 * key references (declared anywhere in the files; TRUNCATE anywhere,
 * including function bodies), TRUNCATE ... CASCADE, and statements that
 * destroy data.
 */
#include "lint/pg.h"

#include "lint/rules.h"

#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

static void fk_fact(struct lint_ctx *c, const char *table, const Constraint *k)
{
	if (k->contype != CONSTR_FOREIGN || !k->pktable)
		return;
	fact_add(c, FACT_FK, table, rv_key(c, k->pktable), ctx_offset(c, k->location));
}

static void column_fks(struct lint_ctx *c, const char *table, const ColumnDef *col)
{
	const ListCell *lc;
	foreach(lc, col->constraints)
		if (IsA(lfirst(lc), Constraint))
			fk_fact(c, table, lfirst(lc));
}

static void create_table_fks(struct lint_ctx *c, const CreateStmt *s)
{
	const char *table = NULL;
	const ListCell *lc;
	foreach(lc, s->tableElts) {
		const Node *e = lfirst(lc);
		if (IsA(e, ColumnDef)) {
			if (((const ColumnDef *)e)->constraints) {
				table = table ? table : rv_key(c, s->relation);
				column_fks(c, table, (const ColumnDef *)e);
			}
		} else if (IsA(e, Constraint) && ((const Constraint *)e)->contype == CONSTR_FOREIGN) {
			table = table ? table : rv_key(c, s->relation);
			fk_fact(c, table, (const Constraint *)e);
		}
	}
}

static void alter_table(struct lint_ctx *c, const AlterTableStmt *a)
{
	if (!a->relation)
		return;
	const char *table = NULL;
	const ListCell *lc;
	foreach(lc, a->cmds) {
		if (!IsA(lfirst(lc), AlterTableCmd))
			continue;
		const AlterTableCmd *cmd = lfirst(lc);
		const Node *def = cmd->def;
		if (cmd->subtype == AT_AddConstraint && def && IsA(def, Constraint)) {
			table = table ? table : rv_key(c, a->relation);
			fk_fact(c, table, (const Constraint *)def);
		} else if (cmd->subtype == AT_AddColumn && def && IsA(def, ColumnDef)) {
			table = table ? table : rv_key(c, a->relation);
			column_fks(c, table, (const ColumnDef *)def);
		} else if (cmd->subtype == AT_DropColumn && c->file->phase != PHASE_RESET &&
			   c->block != BLOCK_FUNCTION) {
			lint_report(c, R_DESTRUCTIVE_DROP, c->start, c->start,
				    "DROP COLUMN %s.%s destroys its data on every database the files reach",
				    a->relation->relname, cmd->name ? cmd->name : "");
		}
	}
}

static void truncate(struct lint_ctx *c, const TruncateStmt *t)
{
	bool cascade = t->behavior == DROP_CASCADE;
	size_t group = c->file->facts.n;
	const ListCell *lc;
	foreach(lc, t->relations) {
		const Node *r = lfirst(lc);
		if (!IsA(r, RangeVar))
			continue;
		struct fact *fa = fact_add(c, FACT_TRUNCATE, rv_key(c, (const RangeVar *)r), NULL,
					   ctx_offset(c, ((const RangeVar *)r)->location));
		fa->group = group;
		if (cascade)
			fa->flags |= FACT_CASCADE;
	}
	if (cascade) {
		const Node *first = list_length(t->relations) ? linitial(t->relations) : NULL;
		lint_report(c, R_TRUNCATE_CASCADE, c->start, c->start,
			    "TRUNCATE ... CASCADE also empties every table that references %s",
			    first && IsA(first, RangeVar) ? ((const RangeVar *)first)->relname : "it");
	}
}

static void dml_in_run(struct lint_ctx *c, const char *what)
{
	if (c->file->phase == PHASE_RUN && c->block != BLOCK_FUNCTION)
		lint_report(c, R_DML_IN_RUN, c->start, c->start,
			    "%s in a run/ file changes data on every apply; it belongs in seed/", what);
}

void check_data_safety(struct lint_ctx *c)
{
	const Node *n = c->stmt;
	switch (nodeTag(n)) {
	case T_UpdateStmt:
		dml_in_run(c, "UPDATE");
		break;
	case T_DeleteStmt:
		dml_in_run(c, "DELETE");
		break;
	case T_MergeStmt:
		dml_in_run(c, "MERGE");
		break;
	case T_CopyStmt:
		if (!((const CopyStmt *)n)->is_from)
			break;	/* COPY ... TO reads */
		dml_in_run(c, "COPY");
		break;
	case T_TruncateStmt:
		dml_in_run(c, "TRUNCATE");
		truncate(c, (const TruncateStmt *)n);
		break;
	case T_CreateStmt:
		if (c->block != BLOCK_FUNCTION)
			create_table_fks(c, (const CreateStmt *)n);
		break;
	case T_AlterTableStmt:
		if (c->block != BLOCK_FUNCTION)
			alter_table(c, (const AlterTableStmt *)n);
		break;
	case T_DropStmt: {
		const DropStmt *d = (const DropStmt *)n;
		if (c->file->phase == PHASE_RESET || c->block == BLOCK_FUNCTION)
			break;
		bool cascade = d->behavior == DROP_CASCADE;
		if (d->removeType == OBJECT_TABLE)
			lint_report(c, R_DESTRUCTIVE_DROP, c->start, c->start,
				    "DROP TABLE destroys its data on every database the files reach");
		else if (d->removeType == OBJECT_SCHEMA && cascade)
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
