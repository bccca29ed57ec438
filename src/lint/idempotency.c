/*
 * Idempotency: statements that fail, or change something, when the files
 * run a second time.
 *
 * A statement is fine when it is idempotent by itself (IF NOT EXISTS, OR
 * REPLACE, IF EXISTS, ON CONFLICT), when a DROP ... IF EXISTS of the same
 * object came earlier in the file, or when it sits in a DO block under an IF
 * (or CASE, loop) or under an exception handler that catches the condition a
 * second run raises. A handler that catches something else is the trap this
 * family exists for: it looks guarded and is not.
 */
#include "lint/rules.h"

#include "util/xalloc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const DUP_TABLE[] = { "42P07", NULL };
static const char *const DUP_OBJECT[] = { "42710", NULL };
static const char *const DUP_SCHEMA[] = { "42P06", NULL };
static const char *const DUP_COLUMN[] = { "42701", NULL };
static const char *const DUP_FUNCTION[] = { "42723", NULL };
static const char *const DUP_INDEXED[] = { "42P07", "42710", NULL };
static const char *const DUP_PKEY[] = { "42P16", "42P07", "42710", NULL };
static const char *const UNIQUE_VIOLATION[] = { "23505", NULL };
static const char *const UNDEFINED[] = { "42P01", "42703", "42704", "42883", "3F000", NULL };
static const char *const RENAMED[] = { "42P01", "42703", "42704", "42883", "42P07", "42701",
				       "42710", NULL };

/* Whether a handler's SQLSTATE (a class "42000" covers "42xxx") catches one of `codes`. */
static bool catches(const char *handler, const char *const *codes)
{
	bool class = !strcmp(handler + 2, "000");
	for (; *codes; codes++)
		if (!strcmp(handler, *codes) || (class && !strncmp(handler, *codes, 2)))
			return true;
	return false;
}

static bool word_char(char ch)
{
	char l = (char)(ch | 0x20);
	return ch == '_' || (l >= 'a' && l <= 'z') || (ch >= '0' && ch <= '9');
}

/* Offset of word `w` (case-insensitive) in the file between from and to, or `from`. */
static size_t find_word(const struct lint_ctx *c, const char *w, size_t from, size_t to, size_t *len)
{
	const char *t = c->file->sql.src.text;
	size_t n = strlen(w);
	*len = 0;
	for (size_t i = from; i + n <= to; i++) {
		if (strncasecmp(t + i, w, n) != 0)
			continue;
		bool left = i == 0 || !word_char(t[i - 1]);
		bool right = i + n >= to || !word_char(t[i + n]);
		if (left && right) {
			*len = n;
			return i;
		}
	}
	return from;
}

void report_not_idempotent(struct lint_ctx *c, enum lint_rule_id r, const char *const *codes,
			   const char *what, size_t at, const char *fmt, ...)
{
	if (c->block == BLOCK_FUNCTION || c->conditional)
		return;
	if (c->guard) {
		const char *wrong = NULL;
		for (const struct guard *g = c->guard; g; g = g->outer) {
			for (size_t k = 0; k < g->n; k++) {
				if (!strcmp(g->conds[k], "others"))
					return;	/* catch-all-exception says what is wrong with it */
				const char *code = condition_sqlstate(g->conds[k]);
				if (!code || catches(code, codes))
					return;	/* caught, or a condition we cannot judge */
				if (!wrong)
					wrong = g->conds[k];
			}
		}
		size_t len;
		size_t pos = find_word(c, wrong, c->end, c->block_end, &len);
		if (!len)
			pos = at;
		struct finding *fi = lint_report(c, R_WRONG_EXCEPTION_CONDITION, pos, pos + len,
						 "the handler catches %s, but %s raises %s (%s) on a second run",
						 wrong, what, sqlstate_condition(codes[0]), codes[0]);
		if (fi) {
			int line, col;
			source_linecol(&c->file->sql.src, at, &line, &col);
			char *d = xasprintf("the guarded statement is at line %d", line);
			diag_set(&fi->detail, d);
			free(d);
			char *sug = xasprintf("EXCEPTION WHEN %s THEN NULL;", sqlstate_condition(codes[0]));
			diag_set(&fi->suggestion, sug);
			free(sug);
		}
		return;
	}
	if (!rule_on(c, r))
		return;
	va_list ap;
	struct buf msg = BUF_INIT;
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	lint_report(c, r, at, at, "%s", msg.s);
	buf_release(&msg);
}

/* ---- guard keys: DROP ... IF EXISTS earlier in the file ------------------------ */

/* "schema.table.name" for objects that live on a table (trigger, policy, rule, constraint). */
static const char *on_table_key(struct lint_ctx *c, const char *kind, const PgQuery__RangeVar *rv,
				const char *name)
{
	const char *t = rv_key(c, rv);
	char *full = xasprintf("%s.%s", t, name ? name : "");
	const char *k = join_key(c, kind, ':', full);
	free(full);
	return k;
}

static const char *kind_word(PgQuery__ObjectType t)
{
	switch (t) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
		return "type";
	case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
		return "trigger";
	case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY:
		return "policy";
	case PG_QUERY__OBJECT_TYPE__OBJECT_RULE:
		return "rule";
	case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
	case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_ROUTINE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_AGGREGATE:
		return "function";
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
		return "view";
	case PG_QUERY__OBJECT_TYPE__OBJECT_CAST:
		return "cast";
	case PG_QUERY__OBJECT_TYPE__OBJECT_EVENT_TRIGGER:
		return "event trigger";
	case PG_QUERY__OBJECT_TYPE__OBJECT_PUBLICATION:
		return "publication";
	default:
		return "object";
	}
}

/* Qualified name of a list of String nodes: "public." added to a bare name. */
static const char *qualified(struct lint_ctx *c, PgQuery__Node *const *items, size_t n)
{
	return names_key(c, items, n, true);
}

/* Record the objects of a DROP ... IF EXISTS as guards for later CREATEs. */
static void add_drop_guards(struct lint_ctx *c, const PgQuery__DropStmt *d)
{
	const char *kind = kind_word(d->remove_type);
	for (size_t i = 0; i < d->n_objects; i++) {
		const PgQuery__Node *o = d->objects[i];
		const char *name = NULL;
		switch (o->node_case) {
		case PG_QUERY__NODE__NODE_LIST: {
			PgQuery__Node **it = o->list->items;
			size_t n = o->list->n_items;
			if (!strcmp(kind, "trigger") || !strcmp(kind, "policy") || !strcmp(kind, "rule")) {
				/* [schema.]table.name */
				if (n == 2) {
					char *s = xasprintf("public.%s.%s", last_name(it, 1), last_name(it, 2));
					name = arena_strdup(&c->file->arena, s);
					free(s);
				} else {
					name = names_key(c, it, n, false);
				}
			} else {
				name = qualified(c, it, n);
			}
			break;
		}
		case PG_QUERY__NODE__NODE_TYPE_NAME:
			name = qualified(c, o->type_name->names, o->type_name->n_names);
			break;
		case PG_QUERY__NODE__NODE_OBJECT_WITH_ARGS:
			name = qualified(c, o->object_with_args->objname, o->object_with_args->n_objname);
			break;
		case PG_QUERY__NODE__NODE_STRING:
			name = o->string->sval;
			break;
		default:
			break;
		}
		if (name)
			strmap_put(&c->file->guards, join_key(c, kind, ':', name), 1);
	}
}

static bool guarded_by_drop(struct lint_ctx *c, const char *key)
{
	return strmap_get(&c->file->guards, key) != SIZE_MAX;
}

/* ---- statement kinds --------------------------------------------------------------- */

static void unguarded_create(struct lint_ctx *c, const char *what, const char *key, const char *name)
{
	if (key && guarded_by_drop(c, key))
		return;
	report_not_idempotent(c, R_UNGUARDED_CREATE, DUP_OBJECT, what, c->start,
			      "%s %s is not guarded and fails on the second run (it has no IF NOT EXISTS)",
			      what, name);
}

static void create_if_not_exists(struct lint_ctx *c, bool ine, const char *what, const char *name,
				 const char *const *codes)
{
	if (ine)
		return;
	report_not_idempotent(c, R_CREATE_IF_NOT_EXISTS, codes, what, c->start,
			      "%s %s without IF NOT EXISTS fails on the second run", what, name);
}

static void create_or_replace(struct lint_ctx *c, bool replace, const char *what, const char *name,
			      const char *key, const char *const *codes)
{
	if (replace || (key && guarded_by_drop(c, key)))
		return;
	report_not_idempotent(c, R_CREATE_OR_REPLACE, codes, what, c->start,
			      "%s %s without OR REPLACE fails on the second run", what, name);
}

/* Whether an INSERT's SELECT skips rows already there (WHERE NOT EXISTS / NOT IN / EXCEPT). */
static bool anti_join(const PgQuery__Node *where)
{
	if (!where || where->node_case != PG_QUERY__NODE__NODE_BOOL_EXPR)
		return false;
	const PgQuery__BoolExpr *b = where->bool_expr;
	for (size_t i = 0; i < b->n_args; i++) {
		const PgQuery__Node *a = b->args[i];
		if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__NOT_EXPR && a->node_case == PG_QUERY__NODE__NODE_SUB_LINK)
			return true;
		if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR && anti_join(a))
			return true;
	}
	return false;
}

static bool insert_is_idempotent(const PgQuery__InsertStmt *ins)
{
	if (ins->on_conflict_clause)
		return true;
	const PgQuery__Node *sel = ins->select_stmt;
	if (!sel || sel->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return false;
	const PgQuery__SelectStmt *s = sel->select_stmt;
	if (s->op == PG_QUERY__SET_OPERATION__SETOP_EXCEPT)
		return true;
	return anti_join(s->where_clause);
}

static void alter_table(struct lint_ctx *c, const PgQuery__AlterTableStmt *a)
{
	if (a->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE &&
	    a->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE)
		return;
	const PgQuery__RangeVar *rv = a->relation;
	if (!rv)
		return;
	for (size_t i = 0; i < a->n_cmds; i++) {
		if (a->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = a->cmds[i]->alter_table_cmd;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn: {
			if (cmd->missing_ok)
				break;
			const PgQuery__ColumnDef *col = cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF
							? cmd->def->column_def : NULL;
			size_t at = col ? ctx_offset(c, col->location) : c->start;
			report_not_idempotent(c, R_ADD_COLUMN_IF_NOT_EXISTS, DUP_COLUMN, "ADD COLUMN", at,
					      "ADD COLUMN %s without IF NOT EXISTS fails on the second run",
					      col && col->colname ? col->colname : "");
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
			if (!cmd->missing_ok)
				report_not_idempotent(c, R_DROP_IF_EXISTS, UNDEFINED, "DROP COLUMN", c->start,
						      "DROP COLUMN %s without IF EXISTS fails on the second run",
						      cmd->name ? cmd->name : "");
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
			if (cmd->missing_ok)
				strmap_put(&c->file->guards, on_table_key(c, "constraint", rv, cmd->name), 1);
			else
				report_not_idempotent(c, R_DROP_IF_EXISTS, UNDEFINED, "DROP CONSTRAINT", c->start,
						      "DROP CONSTRAINT %s without IF EXISTS fails on the second run",
						      cmd->name ? cmd->name : "");
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint: {
			if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
				break;
			const PgQuery__Constraint *k = cmd->def->constraint;
			size_t at = ctx_offset(c, k->location);
			bool pkey = k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
			bool indexed = pkey || k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ||
				       k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION;
			if (!k->conname || !*k->conname) {
				/* Nothing raises for an unnamed CHECK / FK / UNIQUE: a guard cannot help. */
				if (!pkey && c->block != BLOCK_FUNCTION && !c->conditional)
					lint_report(c, R_UNGUARDED_ADD_CONSTRAINT, at, at,
						    "ADD CONSTRAINT without a name adds another constraint on every run");
				else if (pkey)
					report_not_idempotent(c, R_UNGUARDED_ADD_CONSTRAINT, DUP_PKEY,
							      "ADD PRIMARY KEY", at,
							      "ADD PRIMARY KEY is not guarded and fails on the second run");
				break;
			}
			if (guarded_by_drop(c, on_table_key(c, "constraint", rv, k->conname)))
				break;
			report_not_idempotent(c, R_UNGUARDED_ADD_CONSTRAINT,
					      pkey ? DUP_PKEY : indexed ? DUP_INDEXED : DUP_OBJECT,
					      "ADD CONSTRAINT", at,
					      "ADD CONSTRAINT %s is not guarded and fails on the second run",
					      k->conname);
			break;
		}
		default:
			break;
		}
	}
}

static bool relation_kind(PgQuery__ObjectType t)
{
	switch (t) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
		return true;
	default:
		return false;
	}
}

static const char *type_name_of(struct lint_ctx *c, PgQuery__Node *const *names, size_t n)
{
	return qualified(c, names, n);
}

void check_idempotency(struct lint_ctx *c)
{
	const PgQuery__Node *n = c->stmt;
	if (c->block == BLOCK_FUNCTION || c->file->phase == PHASE_TESTS)
		return;

	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		create_if_not_exists(c, n->create_stmt->if_not_exists, "CREATE TABLE",
				     n->create_stmt->relation->relname, DUP_TABLE);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT: {
		const PgQuery__CreateTableAsStmt *s = n->create_table_as_stmt;
		const char *name = s->into && s->into->rel ? s->into->rel->relname : "";
		if (s->is_select_into)
			report_not_idempotent(c, R_CREATE_IF_NOT_EXISTS, DUP_TABLE, "SELECT INTO", c->start,
					      "SELECT INTO %s creates a table and fails on the second run", name);
		else
			create_if_not_exists(c, s->if_not_exists,
					     s->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW
						     ? "CREATE MATERIALIZED VIEW" : "CREATE TABLE AS",
					     name, DUP_TABLE);
		break;
	}
	case PG_QUERY__NODE__NODE_INDEX_STMT: {
		const PgQuery__IndexStmt *s = n->index_stmt;
		if (!s->idxname || !*s->idxname) {
			if (!c->conditional)
				lint_report(c, R_CREATE_IF_NOT_EXISTS, c->start, c->start,
					    "CREATE INDEX without a name creates another index on every run");
			break;
		}
		create_if_not_exists(c, s->if_not_exists, s->concurrent ? "CREATE INDEX CONCURRENTLY" : "CREATE INDEX",
				     s->idxname, DUP_TABLE);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
		create_if_not_exists(c, n->create_seq_stmt->if_not_exists, "CREATE SEQUENCE",
				     n->create_seq_stmt->sequence->relname, DUP_TABLE);
		break;
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
		create_if_not_exists(c, n->create_schema_stmt->if_not_exists, "CREATE SCHEMA",
				     n->create_schema_stmt->schemaname ? n->create_schema_stmt->schemaname : "",
				     DUP_SCHEMA);
		break;
	case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
		create_if_not_exists(c, n->create_extension_stmt->if_not_exists, "CREATE EXTENSION",
				     n->create_extension_stmt->extname, DUP_OBJECT);
		break;
	case PG_QUERY__NODE__NODE_CREATE_FOREIGN_TABLE_STMT:
		if (n->create_foreign_table_stmt->base_stmt)
			create_if_not_exists(c, n->create_foreign_table_stmt->base_stmt->if_not_exists,
					     "CREATE FOREIGN TABLE",
					     n->create_foreign_table_stmt->base_stmt->relation->relname, DUP_TABLE);
		break;
	case PG_QUERY__NODE__NODE_CREATE_FOREIGN_SERVER_STMT:
		create_if_not_exists(c, n->create_foreign_server_stmt->if_not_exists, "CREATE SERVER",
				     n->create_foreign_server_stmt->servername, DUP_OBJECT);
		break;
	case PG_QUERY__NODE__NODE_CREATE_STATS_STMT:
		create_if_not_exists(c, n->create_stats_stmt->if_not_exists, "CREATE STATISTICS",
				     last_name(n->create_stats_stmt->defnames, n->create_stats_stmt->n_defnames),
				     DUP_OBJECT);
		break;
	case PG_QUERY__NODE__NODE_CREATE_USER_MAPPING_STMT:
		create_if_not_exists(c, n->create_user_mapping_stmt->if_not_exists, "CREATE USER MAPPING",
				     n->create_user_mapping_stmt->servername, DUP_OBJECT);
		break;

	case PG_QUERY__NODE__NODE_VIEW_STMT: {
		const PgQuery__RangeVar *v = n->view_stmt->view;
		create_or_replace(c, n->view_stmt->replace, "CREATE VIEW", v->relname,
				  join_key(c, "view", ':', rv_key(c, v)), DUP_TABLE);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT: {
		const PgQuery__CreateFunctionStmt *f = n->create_function_stmt;
		create_or_replace(c, f->replace, f->is_procedure ? "CREATE PROCEDURE" : "CREATE FUNCTION",
				  last_name(f->funcname, f->n_funcname),
				  join_key(c, "function", ':', qualified(c, f->funcname, f->n_funcname)), DUP_FUNCTION);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT: {
		const PgQuery__CreateTrigStmt *t = n->create_trig_stmt;
		if (t->isconstraint) {
			unguarded_create(c, "CREATE CONSTRAINT TRIGGER",
					 on_table_key(c, "trigger", t->relation, t->trigname), t->trigname);
			break;
		}
		create_or_replace(c, t->replace, "CREATE TRIGGER", t->trigname,
				  on_table_key(c, "trigger", t->relation, t->trigname), DUP_OBJECT);
		break;
	}
	case PG_QUERY__NODE__NODE_RULE_STMT:
		create_or_replace(c, n->rule_stmt->replace, "CREATE RULE", n->rule_stmt->rulename,
				  on_table_key(c, "rule", n->rule_stmt->relation, n->rule_stmt->rulename), DUP_OBJECT);
		break;
	case PG_QUERY__NODE__NODE_CREATE_PLANG_STMT:
		create_or_replace(c, n->create_plang_stmt->replace, "CREATE LANGUAGE",
				  n->create_plang_stmt->plname, NULL, DUP_OBJECT);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TRANSFORM_STMT:
		create_or_replace(c, n->create_transform_stmt->replace, "CREATE TRANSFORM", "", NULL, DUP_OBJECT);
		break;

	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT: {
		const PgQuery__CreateEnumStmt *s = n->create_enum_stmt;
		const char *q = type_name_of(c, s->type_name, s->n_type_name);
		unguarded_create(c, "CREATE TYPE", join_key(c, "type", ':', q), last_name(s->type_name, s->n_type_name));
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_RANGE_STMT: {
		const PgQuery__CreateRangeStmt *s = n->create_range_stmt;
		const char *q = type_name_of(c, s->type_name, s->n_type_name);
		unguarded_create(c, "CREATE TYPE", join_key(c, "type", ':', q), last_name(s->type_name, s->n_type_name));
		break;
	}
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT: {
		const PgQuery__RangeVar *v = n->composite_type_stmt->typevar;
		unguarded_create(c, "CREATE TYPE", join_key(c, "type", ':', rv_key(c, v)), v->relname);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT: {
		const PgQuery__CreateDomainStmt *s = n->create_domain_stmt;
		const char *q = type_name_of(c, s->domainname, s->n_domainname);
		unguarded_create(c, "CREATE DOMAIN", join_key(c, "type", ':', q), last_name(s->domainname, s->n_domainname));
		break;
	}
	case PG_QUERY__NODE__NODE_DEFINE_STMT: {
		const PgQuery__DefineStmt *s = n->define_stmt;
		const char *name = last_name(s->defnames, s->n_defnames);
		switch (s->kind) {
		case PG_QUERY__OBJECT_TYPE__OBJECT_COLLATION:
			create_if_not_exists(c, s->if_not_exists, "CREATE COLLATION", name, DUP_OBJECT);
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_AGGREGATE:
			create_or_replace(c, s->replace, "CREATE AGGREGATE", name,
					  join_key(c, "function", ':', qualified(c, s->defnames, s->n_defnames)), DUP_FUNCTION);
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
			unguarded_create(c, "CREATE TYPE", join_key(c, "type", ':', qualified(c, s->defnames, s->n_defnames)), name);
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_OPERATOR:
			unguarded_create(c, "CREATE OPERATOR", NULL, name);
			break;
		default:
			unguarded_create(c, "CREATE TEXT SEARCH object", NULL, name);
			break;
		}
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT: {
		const PgQuery__CreatePolicyStmt *s = n->create_policy_stmt;
		unguarded_create(c, "CREATE POLICY", on_table_key(c, "policy", s->table, s->policy_name), s->policy_name);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_CAST_STMT:
		unguarded_create(c, "CREATE CAST", NULL, "");
		break;
	case PG_QUERY__NODE__NODE_CREATE_CONVERSION_STMT:
		unguarded_create(c, "CREATE CONVERSION", NULL,
				 last_name(n->create_conversion_stmt->conversion_name,
					   n->create_conversion_stmt->n_conversion_name));
		break;
	case PG_QUERY__NODE__NODE_CREATE_OP_CLASS_STMT:
		unguarded_create(c, "CREATE OPERATOR CLASS", NULL,
				 last_name(n->create_op_class_stmt->opclassname, n->create_op_class_stmt->n_opclassname));
		break;
	case PG_QUERY__NODE__NODE_CREATE_OP_FAMILY_STMT:
		unguarded_create(c, "CREATE OPERATOR FAMILY", NULL,
				 last_name(n->create_op_family_stmt->opfamilyname, n->create_op_family_stmt->n_opfamilyname));
		break;
	case PG_QUERY__NODE__NODE_CREATE_ROLE_STMT:
		unguarded_create(c, "CREATE ROLE", NULL, n->create_role_stmt->role);
		break;
	case PG_QUERY__NODE__NODE_CREATE_PUBLICATION_STMT:
		unguarded_create(c, "CREATE PUBLICATION", join_key(c, "publication", ':', n->create_publication_stmt->pubname),
				 n->create_publication_stmt->pubname);
		break;
	case PG_QUERY__NODE__NODE_CREATE_EVENT_TRIG_STMT:
		unguarded_create(c, "CREATE EVENT TRIGGER", join_key(c, "event trigger", ':', n->create_event_trig_stmt->trigname),
				 n->create_event_trig_stmt->trigname);
		break;
	case PG_QUERY__NODE__NODE_CREATE_AM_STMT:
		unguarded_create(c, "CREATE ACCESS METHOD", NULL, n->create_am_stmt->amname);
		break;
	case PG_QUERY__NODE__NODE_CREATE_FDW_STMT:
		unguarded_create(c, "CREATE FOREIGN DATA WRAPPER", NULL, n->create_fdw_stmt->fdwname);
		break;

	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		alter_table(c, n->alter_table_stmt);
		break;
	case PG_QUERY__NODE__NODE_RENAME_STMT: {
		const PgQuery__RenameStmt *r = n->rename_stmt;
		bool rel = relation_kind(r->rename_type);
		if (rel && r->missing_ok)
			break;	/* ALTER TABLE IF EXISTS old RENAME TO new: a no-op once renamed */
		const char *old = r->subname ? r->subname : r->relation ? r->relation->relname : "";
		report_not_idempotent(c, R_UNGUARDED_RENAME, RENAMED, "RENAME", c->start,
				      "RENAME %s TO %s is not guarded and fails on the second run", old,
				      r->newname ? r->newname : "");
		break;
	}
	case PG_QUERY__NODE__NODE_DROP_STMT: {
		const PgQuery__DropStmt *d = n->drop_stmt;
		if (d->missing_ok) {
			add_drop_guards(c, d);
			break;
		}
		report_not_idempotent(c, R_DROP_IF_EXISTS, UNDEFINED, "DROP", c->start,
				      "%s without IF EXISTS fails on the second run",
				      c->top ? c->top->tag : "DROP");
		break;
	}
	case PG_QUERY__NODE__NODE_DROP_ROLE_STMT:
		if (!n->drop_role_stmt->missing_ok)
			report_not_idempotent(c, R_DROP_IF_EXISTS, UNDEFINED, "DROP ROLE", c->start,
					      "DROP ROLE without IF EXISTS fails on the second run");
		break;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		if (c->file->phase == PHASE_RESET || insert_is_idempotent(n->insert_stmt))
			break;
		report_not_idempotent(c, R_INSERT_ON_CONFLICT, UNIQUE_VIOLATION, "INSERT", c->start,
				      "INSERT INTO %s without ON CONFLICT adds the rows again on every run",
				      n->insert_stmt->relation->relname);
		break;
	default:
		break;
	}
}
