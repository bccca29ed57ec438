/*
 * Lock safety (profile "online"): statements that hold strong locks for a
 * long time on a table with traffic — squawk's class of checks, over the
 * same parse tree.
 *
 * "Existing table" means one that no CREATE TABLE earlier in the files (in
 * apply order) creates; that needs every file, so indexes and validating
 * constraints are recorded as facts and judged by cross_lock_safety().
 */
#include "lint/pg.h"

#include "lint/rules.h"

#include <string.h>

static bool online_rules(const struct lint_ctx *c)
{
	return rule_on(c, R_INDEX_NOT_CONCURRENT) || rule_on(c, R_CONSTRAINT_NOT_VALID) ||
	       rule_on(c, R_COLUMN_TYPE_CHANGE) || rule_on(c, R_SET_NOT_NULL) ||
	       rule_on(c, R_VOLATILE_DEFAULT) || rule_on(c, R_LOCK_TIMEOUT_MISSING);
}

static void strong_lock(struct lint_ctx *c)
{
	if (c->file->strong_lock_seen || c->file->phase == PHASE_PRERUN)
		return;
	c->file->strong_lock_seen = true;
	fact_add(c, FACT_STRONG_LOCK, NULL, NULL, c->start);
}

static bool serial_type(const TypeName *t)
{
	if (!t)
		return false;
	const char *n = last_name(t->names);
	return !strcmp(n, "serial") || !strcmp(n, "bigserial") || !strcmp(n, "smallserial") ||
	       !strcmp(n, "serial4") || !strcmp(n, "serial8") || !strcmp(n, "serial2");
}

static void add_column(struct lint_ctx *c, const char *table, const ColumnDef *col)
{
	size_t at = ctx_offset(c, col->location);
	if (serial_type(col->typeName)) {
		lint_report(c, R_VOLATILE_DEFAULT, at, at,
			    "ADD COLUMN %s %s fills every row from a sequence: the table %s is rewritten",
			    col->colname, last_name(col->typeName->names), table);
		return;
	}
	const ListCell *lc;
	foreach(lc, col->constraints) {
		if (!IsA(lfirst(lc), Constraint))
			continue;
		const Constraint *k = lfirst(lc);
		if (k->contype == CONSTR_IDENTITY) {
			lint_report(c, R_VOLATILE_DEFAULT, ctx_offset(c, k->location), ctx_offset(c, k->location),
				    "ADD COLUMN %s ... GENERATED AS IDENTITY rewrites the table %s", col->colname, table);
			return;
		}
		if (k->contype == CONSTR_GENERATED) {
			lint_report(c, R_VOLATILE_DEFAULT, ctx_offset(c, k->location), ctx_offset(c, k->location),
				    "ADD COLUMN %s ... GENERATED ALWAYS AS (...) STORED rewrites the table %s",
				    col->colname, table);
			return;
		}
		if (k->contype == CONSTR_DEFAULT) {
			const Node *v = volatile_call(k->raw_expr);
			if (v) {
				const FuncCall *f = (const FuncCall *)v;
				size_t pos = ctx_offset(c, f->location);
				lint_report(c, R_VOLATILE_DEFAULT, pos, pos,
					    "ADD COLUMN %s DEFAULT %s() may be volatile: the table %s is rewritten",
					    col->colname, last_name(f->funcname), table);
				return;
			}
		}
	}
}

static void alter_table(struct lint_ctx *c, const AlterTableStmt *a)
{
	if (!a->relation || a->objtype != OBJECT_TABLE)
		return;
	strong_lock(c);
	const char *table = a->relation->relname;
	const ListCell *lc;
	foreach(lc, a->cmds) {
		if (!IsA(lfirst(lc), AlterTableCmd))
			continue;
		const AlterTableCmd *cmd = lfirst(lc);
		const Node *def = cmd->def;
		switch (cmd->subtype) {
		case AT_AlterColumnType: {
			size_t at = c->start;
			if (def && IsA(def, ColumnDef) && ((const ColumnDef *)def)->typeName)
				at = ctx_offset(c, ((const ColumnDef *)def)->typeName->location);
			lint_report(c, R_COLUMN_TYPE_CHANGE, at, at,
				    "ALTER COLUMN %s TYPE rewrites %s under an ACCESS EXCLUSIVE lock",
				    cmd->name ? cmd->name : "", table);
			break;
		}
		case AT_SetNotNull:
			lint_report(c, R_SET_NOT_NULL, c->start, c->start,
				    "ALTER COLUMN %s SET NOT NULL scans %s under an ACCESS EXCLUSIVE lock",
				    cmd->name ? cmd->name : "", table);
			break;
		case AT_AddColumn:
			if (def && IsA(def, ColumnDef))
				add_column(c, table, (const ColumnDef *)def);
			break;
		case AT_AddConstraint: {
			if (!def || !IsA(def, Constraint))
				break;
			const Constraint *k = (const Constraint *)def;
			if ((k->contype == CONSTR_FOREIGN || k->contype == CONSTR_CHECK) && !k->skip_validation) {
				struct fact *fa = fact_add(c, FACT_VALIDATING, rv_key(c, a->relation),
							   keep_str(c, k->conname), ctx_offset(c, k->location));
				fa->group = k->contype == CONSTR_FOREIGN;
			}
			break;
		}
		default:
			break;
		}
	}
}

void check_lock_safety(struct lint_ctx *c)
{
	if (c->block == BLOCK_FUNCTION || !online_rules(c))
		return;
	const Node *n = c->stmt;
	switch (nodeTag(n)) {
	case T_CreateStmt:
		fact_add(c, FACT_TABLE, rv_key(c, ((const CreateStmt *)n)->relation), NULL, c->start);
		break;
	case T_CreateTableAsStmt: {
		const IntoClause *into = ((const CreateTableAsStmt *)n)->into;
		if (into && into->rel)
			fact_add(c, FACT_TABLE, rv_key(c, into->rel), NULL, c->start);
		break;
	}
	case T_IndexStmt: {
		const IndexStmt *s = (const IndexStmt *)n;
		if (!s->concurrent) {
			strong_lock(c);
			fact_add(c, FACT_INDEX, rv_key(c, s->relation), keep_str(c, s->idxname), c->start);
		}
		break;
	}
	case T_AlterTableStmt:
		alter_table(c, (const AlterTableStmt *)n);
		break;
	case T_VariableSetStmt: {
		const VariableSetStmt *v = (const VariableSetStmt *)n;
		if (c->file->phase == PHASE_PRERUN && v->name && !strcmp(v->name, "lock_timeout") &&
		    v->kind == VAR_SET_VALUE)
			fact_add(c, FACT_LOCK_TIMEOUT, NULL, NULL, c->start);
		break;
	}
	default:
		break;
	}
}

void cross_lock_safety(struct lint *l)
{
	bool idx = l->opts.enabled[R_INDEX_NOT_CONCURRENT];
	bool valid = l->opts.enabled[R_CONSTRAINT_NOT_VALID];
	bool timeout = l->opts.enabled[R_LOCK_TIMEOUT_MISSING];
	if (!idx && !valid && !timeout)
		return;

	struct strmap created;
	strmap_init(&created);
	bool has_timeout = false;
	struct lint_file *lock_file = NULL;
	size_t lock_at = 0;

	for (size_t i = 0; i < l->files.n; i++) {
		struct lint_file *f = &l->files.v[i];
		for (size_t k = 0; k < f->facts.n; k++) {
			const struct fact *fa = &f->facts.v[k];
			switch (fa->kind) {
			case FACT_TABLE:
				strmap_put(&created, fa->name, 1);
				break;
			case FACT_INDEX:
				if (strmap_get(&created, fa->name) == SIZE_MAX)
					lint_report_file(l, f, R_INDEX_NOT_CONCURRENT, fa->start, fa->start,
							 "CREATE INDEX %s without CONCURRENTLY blocks writes to %s "
							 "while it builds", fa->name2 ? fa->name2 : "", fa->name);
				break;
			case FACT_VALIDATING:
				if (strmap_get(&created, fa->name) == SIZE_MAX)
					lint_report_file(l, f, R_CONSTRAINT_NOT_VALID, fa->start, fa->start,
							 "ADD CONSTRAINT %s without NOT VALID %s while it checks "
							 "every row of %s", fa->name2 ? fa->name2 : "",
							 fa->group ? "blocks writes to both tables" : "blocks reads and writes",
							 fa->name);
				break;
			case FACT_LOCK_TIMEOUT:
				has_timeout = true;
				break;
			case FACT_STRONG_LOCK:
				if (!lock_file) {
					lock_file = f;
					lock_at = fa->start;
				}
				break;
			default:
				break;
			}
		}
	}
	if (timeout && !has_timeout && lock_file)
		lint_report_file(l, lock_file, R_LOCK_TIMEOUT_MISSING, lock_at, lock_at,
				 "this statement takes a strong lock, and no prerun file sets lock_timeout");
	strmap_release(&created);
}
