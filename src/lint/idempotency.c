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
#include "lint/pg.h"

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
/*
 * What a second run raises (checked on PostgreSQL 15): UNIQUE and EXCLUDE
 * create an index, whose name is taken (duplicate_table); a second
 * PRIMARY KEY is refused whatever its name (invalid_table_definition).
 */
static const char *const DUP_INDEXED[] = { "42P07", NULL };
static const char *const DUP_PKEY[] = { "42P16", NULL };
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
static const char *on_table_key(struct lint_ctx *c, const char *kind, const RangeVar *rv,
				const char *name)
{
	const char *t = rv_key(c, rv);
	char *full = xasprintf("%s.%s", t, name ? name : "");
	const char *k = join_key(c, kind, ':', full);
	free(full);
	return k;
}

static const char *kind_word(ObjectType t)
{
	switch (t) {
	case OBJECT_TYPE:
	case OBJECT_DOMAIN:
		return "type";
	case OBJECT_TRIGGER:
		return "trigger";
	case OBJECT_POLICY:
		return "policy";
	case OBJECT_RULE:
		return "rule";
	case OBJECT_FUNCTION:
	case OBJECT_PROCEDURE:
	case OBJECT_ROUTINE:
	case OBJECT_AGGREGATE:
		return "function";
	case OBJECT_VIEW:
		return "view";
	case OBJECT_CAST:
		return "cast";
	case OBJECT_EVENT_TRIGGER:
		return "event trigger";
	case OBJECT_PUBLICATION:
		return "publication";
	default:
		return "object";
	}
}

/* Qualified name of a list of String nodes: "public." added to a bare name. */
static const char *qualified(struct lint_ctx *c, const List *names)
{
	return names_key(c, names, true);
}

/* Record the objects of a DROP ... IF EXISTS as guards for later CREATEs. */
static void add_drop_guards(struct lint_ctx *c, const DropStmt *d)
{
	const char *kind = kind_word(d->removeType);
	const ListCell *lc;
	foreach(lc, d->objects) {
		const Node *o = lfirst(lc);
		const char *name = NULL;
		switch (nodeTag(o)) {
		case T_List: {
			const List *it = (const List *)o;
			if (!strcmp(kind, "trigger") || !strcmp(kind, "policy") || !strcmp(kind, "rule")) {
				/* [schema.]table.name */
				if (list_length(it) == 2) {
					char *s = xasprintf("public.%s.%s", str_of(linitial(it)), str_of(lsecond(it)));
					name = arena_strdup(c->file->arena, s);
					free(s);
				} else {
					name = names_key(c, it, false);
				}
			} else {
				name = qualified(c, it);
			}
			break;
		}
		case T_TypeName:
			name = qualified(c, ((const TypeName *)o)->names);
			break;
		case T_ObjectWithArgs:
			name = qualified(c, ((const ObjectWithArgs *)o)->objname);
			break;
		case T_String:
			name = strVal(o);
			break;
		default:
			break;
		}
		if (name)
			strmap_put(&c->file->guards, join_key(c, kind, ':', name), 1);
	}
}

/*
 * The key of an object to look up among the DROP ... IF EXISTS guards, or
 * NULL: built only when the file has guards (most files have none, and a
 * key is a few strings in the file's arena).
 */
#define GUARD_KEY(c, key) ((c)->file->guards.n ? (key) : NULL)

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
			      what, name ? name : "");
}

static void create_if_not_exists(struct lint_ctx *c, bool ine, const char *what, const char *name,
				 const char *const *codes)
{
	if (ine)
		return;
	report_not_idempotent(c, R_CREATE_IF_NOT_EXISTS, codes, what, c->start,
			      "%s %s without IF NOT EXISTS fails on the second run", what, name ? name : "");
}

static void create_or_replace(struct lint_ctx *c, bool replace, const char *what, const char *name,
			      const char *key, const char *const *codes)
{
	if (replace || (key && guarded_by_drop(c, key)))
		return;
	report_not_idempotent(c, R_CREATE_OR_REPLACE, codes, what, c->start,
			      "%s %s without OR REPLACE fails on the second run", what, name ? name : "");
}

/* Whether an INSERT's SELECT skips rows already there (WHERE NOT EXISTS / NOT IN / EXCEPT). */
static bool anti_join(const Node *where)
{
	if (!where || !IsA(where, BoolExpr))
		return false;
	const BoolExpr *b = (const BoolExpr *)where;
	const ListCell *lc;
	foreach(lc, b->args) {
		const Node *a = lfirst(lc);
		if (b->boolop == NOT_EXPR && IsA(a, SubLink))
			return true;
		if (b->boolop == AND_EXPR && anti_join(a))
			return true;
	}
	return false;
}

static bool insert_is_idempotent(const InsertStmt *ins)
{
	if (ins->onConflictClause)
		return true;
	const Node *sel = ins->selectStmt;
	if (!sel || !IsA(sel, SelectStmt))
		return false;
	const SelectStmt *s = (const SelectStmt *)sel;
	if (s->op == SETOP_EXCEPT)
		return true;
	return anti_join(s->whereClause);
}

static void alter_table(struct lint_ctx *c, const AlterTableStmt *a)
{
	if (a->objtype != OBJECT_TABLE && a->objtype != OBJECT_FOREIGN_TABLE)
		return;
	const RangeVar *rv = a->relation;
	if (!rv)
		return;
	const ListCell *lc;
	foreach(lc, a->cmds) {
		if (!IsA(lfirst(lc), AlterTableCmd))
			continue;
		const AlterTableCmd *cmd = lfirst(lc);
		switch (cmd->subtype) {
		case AT_AddColumn: {
			if (cmd->missing_ok)
				break;
			const ColumnDef *col = cmd->def && IsA(cmd->def, ColumnDef) ? (const ColumnDef *)cmd->def : NULL;
			size_t at = col ? ctx_offset(c, col->location) : c->start;
			report_not_idempotent(c, R_ADD_COLUMN_IF_NOT_EXISTS, DUP_COLUMN, "ADD COLUMN", at,
					      "ADD COLUMN %s without IF NOT EXISTS fails on the second run",
					      col && col->colname ? col->colname : "");
			break;
		}
		case AT_DropColumn:
			if (!cmd->missing_ok)
				report_not_idempotent(c, R_DROP_IF_EXISTS, UNDEFINED, "DROP COLUMN", c->start,
						      "DROP COLUMN %s without IF EXISTS fails on the second run",
						      cmd->name ? cmd->name : "");
			break;
		case AT_DropConstraint:
			if (cmd->missing_ok)
				strmap_put(&c->file->guards, on_table_key(c, "constraint", rv, cmd->name), 1);
			else
				report_not_idempotent(c, R_DROP_IF_EXISTS, UNDEFINED, "DROP CONSTRAINT", c->start,
						      "DROP CONSTRAINT %s without IF EXISTS fails on the second run",
						      cmd->name ? cmd->name : "");
			break;
		case AT_AddConstraint: {
			if (!cmd->def || !IsA(cmd->def, Constraint))
				break;
			const Constraint *k = (const Constraint *)cmd->def;
			size_t at = ctx_offset(c, k->location);
			bool pkey = k->contype == CONSTR_PRIMARY;
			bool indexed = pkey || k->contype == CONSTR_UNIQUE || k->contype == CONSTR_EXCLUSION;
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
			const char *key = GUARD_KEY(c, on_table_key(c, "constraint", rv, k->conname));
			if (key && guarded_by_drop(c, key))
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

static bool relation_kind(ObjectType t)
{
	switch (t) {
	case OBJECT_TABLE:
	case OBJECT_VIEW:
	case OBJECT_MATVIEW:
	case OBJECT_INDEX:
	case OBJECT_SEQUENCE:
	case OBJECT_FOREIGN_TABLE:
		return true;
	default:
		return false;
	}
}

#define AS(type, n) ((const type *)(n))

void check_idempotency(struct lint_ctx *c)
{
	const Node *n = c->stmt;
	if (c->block == BLOCK_FUNCTION || c->file->phase == PHASE_TESTS)
		return;

	switch (nodeTag(n)) {
	case T_CreateStmt:
		create_if_not_exists(c, AS(CreateStmt, n)->if_not_exists, "CREATE TABLE",
				     AS(CreateStmt, n)->relation->relname, DUP_TABLE);
		break;
	case T_CreateTableAsStmt: {
		const CreateTableAsStmt *s = AS(CreateTableAsStmt, n);
		const char *name = s->into && s->into->rel ? s->into->rel->relname : "";
		if (s->is_select_into)
			report_not_idempotent(c, R_CREATE_IF_NOT_EXISTS, DUP_TABLE, "SELECT INTO", c->start,
					      "SELECT INTO %s creates a table and fails on the second run", name);
		else
			create_if_not_exists(c, s->if_not_exists,
					     s->objtype == OBJECT_MATVIEW ? "CREATE MATERIALIZED VIEW" : "CREATE TABLE AS",
					     name, DUP_TABLE);
		break;
	}
	case T_IndexStmt: {
		const IndexStmt *s = AS(IndexStmt, n);
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
	case T_CreateSeqStmt:
		create_if_not_exists(c, AS(CreateSeqStmt, n)->if_not_exists, "CREATE SEQUENCE",
				     AS(CreateSeqStmt, n)->sequence->relname, DUP_TABLE);
		break;
	case T_CreateSchemaStmt:
		create_if_not_exists(c, AS(CreateSchemaStmt, n)->if_not_exists, "CREATE SCHEMA",
				     AS(CreateSchemaStmt, n)->schemaname, DUP_SCHEMA);
		break;
	case T_CreateExtensionStmt:
		create_if_not_exists(c, AS(CreateExtensionStmt, n)->if_not_exists, "CREATE EXTENSION",
				     AS(CreateExtensionStmt, n)->extname, DUP_OBJECT);
		break;
	case T_CreateForeignTableStmt: {
		/* The CreateStmt is embedded in the raw node (a pointer in the protobuf one). */
		const CreateStmt *base = &AS(CreateForeignTableStmt, n)->base;
		create_if_not_exists(c, base->if_not_exists, "CREATE FOREIGN TABLE",
				     base->relation ? base->relation->relname : "", DUP_TABLE);
		break;
	}
	case T_CreateForeignServerStmt:
		create_if_not_exists(c, AS(CreateForeignServerStmt, n)->if_not_exists, "CREATE SERVER",
				     AS(CreateForeignServerStmt, n)->servername, DUP_OBJECT);
		break;
	case T_CreateStatsStmt:
		create_if_not_exists(c, AS(CreateStatsStmt, n)->if_not_exists, "CREATE STATISTICS",
				     last_name(AS(CreateStatsStmt, n)->defnames), DUP_OBJECT);
		break;
	case T_CreateUserMappingStmt:
		create_if_not_exists(c, AS(CreateUserMappingStmt, n)->if_not_exists, "CREATE USER MAPPING",
				     AS(CreateUserMappingStmt, n)->servername, DUP_OBJECT);
		break;

	case T_ViewStmt: {
		const RangeVar *v = AS(ViewStmt, n)->view;
		create_or_replace(c, AS(ViewStmt, n)->replace, "CREATE VIEW", v->relname,
				  GUARD_KEY(c, join_key(c, "view", ':', rv_key(c, v))), DUP_TABLE);
		break;
	}
	case T_CreateFunctionStmt: {
		const CreateFunctionStmt *f = AS(CreateFunctionStmt, n);
		create_or_replace(c, f->replace, f->is_procedure ? "CREATE PROCEDURE" : "CREATE FUNCTION",
				  last_name(f->funcname), GUARD_KEY(c, join_key(c, "function", ':', qualified(c, f->funcname))),
				  DUP_FUNCTION);
		break;
	}
	case T_CreateTrigStmt: {
		const CreateTrigStmt *t = AS(CreateTrigStmt, n);
		if (t->isconstraint) {
			unguarded_create(c, "CREATE CONSTRAINT TRIGGER",
					 GUARD_KEY(c, on_table_key(c, "trigger", t->relation, t->trigname)), t->trigname);
			break;
		}
		create_or_replace(c, t->replace, "CREATE TRIGGER", t->trigname,
				  GUARD_KEY(c, on_table_key(c, "trigger", t->relation, t->trigname)), DUP_OBJECT);
		break;
	}
	case T_RuleStmt: {
		const RuleStmt *r = AS(RuleStmt, n);
		create_or_replace(c, r->replace, "CREATE RULE", r->rulename,
				  GUARD_KEY(c, on_table_key(c, "rule", r->relation, r->rulename)), DUP_OBJECT);
		break;
	}
	case T_CreatePLangStmt:
		create_or_replace(c, AS(CreatePLangStmt, n)->replace, "CREATE LANGUAGE",
				  AS(CreatePLangStmt, n)->plname, NULL, DUP_OBJECT);
		break;
	case T_CreateTransformStmt:
		create_or_replace(c, AS(CreateTransformStmt, n)->replace, "CREATE TRANSFORM", "", NULL, DUP_OBJECT);
		break;

	case T_CreateEnumStmt: {
		const List *names = AS(CreateEnumStmt, n)->typeName;
		unguarded_create(c, "CREATE TYPE", GUARD_KEY(c, join_key(c, "type", ':', qualified(c, names))), last_name(names));
		break;
	}
	case T_CreateRangeStmt: {
		const List *names = AS(CreateRangeStmt, n)->typeName;
		unguarded_create(c, "CREATE TYPE", GUARD_KEY(c, join_key(c, "type", ':', qualified(c, names))), last_name(names));
		break;
	}
	case T_CompositeTypeStmt: {
		const RangeVar *v = AS(CompositeTypeStmt, n)->typevar;
		unguarded_create(c, "CREATE TYPE", GUARD_KEY(c, join_key(c, "type", ':', rv_key(c, v))), v->relname);
		break;
	}
	case T_CreateDomainStmt: {
		const List *names = AS(CreateDomainStmt, n)->domainname;
		unguarded_create(c, "CREATE DOMAIN", GUARD_KEY(c, join_key(c, "type", ':', qualified(c, names))), last_name(names));
		break;
	}
	case T_DefineStmt: {
		const DefineStmt *s = AS(DefineStmt, n);
		const char *name = last_name(s->defnames);
		switch (s->kind) {
		case OBJECT_COLLATION:
			create_if_not_exists(c, s->if_not_exists, "CREATE COLLATION", name, DUP_OBJECT);
			break;
		case OBJECT_AGGREGATE:
			create_or_replace(c, s->replace, "CREATE AGGREGATE", name,
					  GUARD_KEY(c, join_key(c, "function", ':', qualified(c, s->defnames))), DUP_FUNCTION);
			break;
		case OBJECT_TYPE:
			unguarded_create(c, "CREATE TYPE", GUARD_KEY(c, join_key(c, "type", ':', qualified(c, s->defnames))), name);
			break;
		case OBJECT_OPERATOR:
			unguarded_create(c, "CREATE OPERATOR", NULL, name);
			break;
		default:
			unguarded_create(c, "CREATE TEXT SEARCH object", NULL, name);
			break;
		}
		break;
	}
	case T_CreatePolicyStmt: {
		const CreatePolicyStmt *s = AS(CreatePolicyStmt, n);
		unguarded_create(c, "CREATE POLICY", GUARD_KEY(c, on_table_key(c, "policy", s->table, s->policy_name)), s->policy_name);
		break;
	}
	case T_CreateCastStmt:
		unguarded_create(c, "CREATE CAST", NULL, "");
		break;
	case T_CreateConversionStmt:
		unguarded_create(c, "CREATE CONVERSION", NULL, last_name(AS(CreateConversionStmt, n)->conversion_name));
		break;
	case T_CreateOpClassStmt:
		unguarded_create(c, "CREATE OPERATOR CLASS", NULL, last_name(AS(CreateOpClassStmt, n)->opclassname));
		break;
	case T_CreateOpFamilyStmt:
		unguarded_create(c, "CREATE OPERATOR FAMILY", NULL, last_name(AS(CreateOpFamilyStmt, n)->opfamilyname));
		break;
	case T_CreateRoleStmt:
		unguarded_create(c, "CREATE ROLE", NULL, AS(CreateRoleStmt, n)->role);
		break;
	case T_CreatePublicationStmt: {
		const char *pub = AS(CreatePublicationStmt, n)->pubname;
		unguarded_create(c, "CREATE PUBLICATION", GUARD_KEY(c, join_key(c, "publication", ':', pub)), pub);
		break;
	}
	case T_CreateEventTrigStmt: {
		const char *trig = AS(CreateEventTrigStmt, n)->trigname;
		unguarded_create(c, "CREATE EVENT TRIGGER", GUARD_KEY(c, join_key(c, "event trigger", ':', trig)), trig);
		break;
	}
	case T_CreateAmStmt:
		unguarded_create(c, "CREATE ACCESS METHOD", NULL, AS(CreateAmStmt, n)->amname);
		break;
	case T_CreateFdwStmt:
		unguarded_create(c, "CREATE FOREIGN DATA WRAPPER", NULL, AS(CreateFdwStmt, n)->fdwname);
		break;

	case T_AlterTableStmt:
		alter_table(c, AS(AlterTableStmt, n));
		break;
	case T_RenameStmt: {
		const RenameStmt *r = AS(RenameStmt, n);
		bool rel = relation_kind(r->renameType);
		if (rel && r->missing_ok)
			break;	/* ALTER TABLE IF EXISTS old RENAME TO new: a no-op once renamed */
		/* the old name: of the column or constraint, else of the relation or object */
		const char *old = r->subname ? r->subname : r->relation ? r->relation->relname
				: r->object && IsA(r->object, List) ? last_name((const List *)r->object) : "";
		report_not_idempotent(c, R_UNGUARDED_RENAME, RENAMED, "RENAME", c->start,
				      "RENAME %s TO %s is not guarded and fails on the second run", old,
				      r->newname ? r->newname : "");
		break;
	}
	case T_DropStmt: {
		const DropStmt *d = AS(DropStmt, n);
		if (d->missing_ok) {
			add_drop_guards(c, d);
			break;
		}
		report_not_idempotent(c, R_DROP_IF_EXISTS, UNDEFINED, "DROP", c->start,
				      "%s without IF EXISTS fails on the second run",
				      c->top ? c->top->tag : "DROP");
		break;
	}
	case T_DropRoleStmt:
		if (!AS(DropRoleStmt, n)->missing_ok)
			report_not_idempotent(c, R_DROP_IF_EXISTS, UNDEFINED, "DROP ROLE", c->start,
					      "DROP ROLE without IF EXISTS fails on the second run");
		break;
	case T_InsertStmt:
		if (c->file->phase == PHASE_RESET || insert_is_idempotent(AS(InsertStmt, n)))
			break;
		report_not_idempotent(c, R_INSERT_ON_CONFLICT, UNIQUE_VIOLATION, "INSERT", c->start,
				      "INSERT INTO %s without ON CONFLICT adds the rows again on every run",
				      AS(InsertStmt, n)->relation->relname);
		break;
	default:
		break;
	}
}
