/*
 * The command tag and flags (STMT_*) of a raw statement node: sqlfile's
 * classifier (sqlfile_classify) for PostgreSQL's raw parse trees, which lint
 * walks. The two must agree statement for statement;
 * tests/unit/test_lint_classify.c compares them.
 *
 * STMT_NONTX follows PostgreSQL's own PreventInTransactionBlock() calls; the
 * names follow its CreateCommandTag().
 */
#include "lint/pg.h"

#include "lint/rules.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *drop_tag(ObjectType t)
{
	switch (t) {
#define X(o, s) case OBJECT_##o: return "DROP " s;
	SQLFILE_OBJECT_TYPES(X)
#undef X
	default: return "DROP";
	}
}

static const char *alter_tag(ObjectType t)
{
	switch (t) {
#define X(o, s) case OBJECT_##o: return "ALTER " s;
	SQLFILE_OBJECT_TYPES(X)
#undef X
	/* Columns, constraints and attributes belong to their relation. */
	case OBJECT_COLUMN:
	case OBJECT_TABCONSTRAINT:
		return "ALTER TABLE";
	case OBJECT_ATTRIBUTE:
		return "ALTER TYPE";
	case OBJECT_DOMCONSTRAINT:
		return "ALTER DOMAIN";
	default: return "ALTER";
	}
}

static const char *create_tag(ObjectType t)
{
	switch (t) {
#define X(o, s) case OBJECT_##o: return "CREATE " s;
	SQLFILE_OBJECT_TYPES(X)
#undef X
	default: return "CREATE";
	}
}

static const DefElem *find_defelem(const List *opts, const char *name)
{
	ListCell *lc;
	foreach(lc, opts) {
		const Node *n = lfirst(lc);
		if (IsA(n, DefElem) && strcmp(((const DefElem *)n)->defname, name) == 0)
			return (const DefElem *)n;
	}
	return NULL;
}

/* A boolean option as defGetBoolean() reads it (see sqlfile.c). */
static bool defelem_on(const DefElem *e)
{
	if (!e)
		return false;
	if (!e->arg)
		return true;
	switch (nodeTag(e->arg)) {
	case T_Integer:
		return intVal(e->arg) != 0;
	case T_Boolean:
		return boolVal(e->arg);
	case T_String: {
		const char *v = strVal(e->arg);
		return !(v[0] == 'f' || v[0] == 'F' || v[0] == 'n' || v[0] == 'N' || v[0] == '0' ||
			 strcasecmp(v, "off") == 0 || strcasecmp(v, "of") == 0);
	}
	default:
		return true;
	}
}

const char *option_string(const List *opts, const char *name)
{
	const DefElem *e = find_defelem(opts, name);
	if (!e || !e->arg)
		return NULL;
	const Node *v = e->arg;
	if (IsA(v, List) && list_length((const List *)v))
		v = linitial((const List *)v);
	return IsA(v, String) ? strVal(v) : NULL;
}

int option_location(const List *opts, const char *name)
{
	const DefElem *e = find_defelem(opts, name);
	return e ? e->location : -1;
}

static const char *transaction_tag(const TransactionStmt *t, unsigned *flags)
{
	switch (t->kind) {
	case TRANS_STMT_BEGIN:
		*flags |= STMT_TXCTL;
		return "BEGIN";
	case TRANS_STMT_START:
		*flags |= STMT_TXCTL;
		return "START TRANSACTION";
	case TRANS_STMT_COMMIT:
		*flags |= STMT_TXCTL;
		return "COMMIT";
	case TRANS_STMT_ROLLBACK:
		*flags |= STMT_TXCTL;
		return "ROLLBACK";
	case TRANS_STMT_PREPARE:
		*flags |= STMT_TXCTL;
		return "PREPARE TRANSACTION";
	case TRANS_STMT_COMMIT_PREPARED:
		*flags |= STMT_TXCTL;
		return "COMMIT PREPARED";
	case TRANS_STMT_ROLLBACK_PREPARED:
		*flags |= STMT_TXCTL;
		return "ROLLBACK PREPARED";
	/* Savepoints work inside the apply transaction, so they are allowed. */
	case TRANS_STMT_SAVEPOINT:
		return "SAVEPOINT";
	case TRANS_STMT_RELEASE:
		return "RELEASE";
	case TRANS_STMT_ROLLBACK_TO:
		return "ROLLBACK TO SAVEPOINT";
	default:
		return "OTHER";
	}
}

static const char *alter_table_tag(const AlterTableStmt *a, unsigned *flags)
{
	ListCell *lc;
	foreach(lc, a->cmds) {
		const Node *n = lfirst(lc);
		if (!IsA(n, AlterTableCmd))
			continue;
		const AlterTableCmd *c = (const AlterTableCmd *)n;
		if (c->subtype == AT_DetachPartition && c->def && IsA(c->def, PartitionCmd) &&
		    ((const PartitionCmd *)c->def)->concurrent)
			*flags |= STMT_NONTX;
	}
	return alter_tag(a->objtype);
}

#define AS(type, n) ((const type *)(n))

const char *lint_classify(const Node *n, unsigned *flags)
{
	switch (nodeTag(n)) {
	case T_SelectStmt:
		return AS(SelectStmt, n)->intoClause ? "SELECT INTO" : "SELECT";
	case T_InsertStmt:
		*flags |= STMT_DML;
		return "INSERT";
	case T_UpdateStmt:
		*flags |= STMT_DML;
		return "UPDATE";
	case T_DeleteStmt:
		*flags |= STMT_DML;
		return "DELETE";
	case T_MergeStmt:
		*flags |= STMT_DML;
		return "MERGE";
	case T_CopyStmt:
		*flags |= STMT_DML;
		return "COPY";
	case T_TruncateStmt:
		*flags |= STMT_DML;
		return "TRUNCATE TABLE";

	case T_TransactionStmt:
		return transaction_tag(AS(TransactionStmt, n), flags);

	case T_DoStmt:
		*flags |= STMT_DO;
		return "DO";
	case T_CreateFunctionStmt:
		*flags |= STMT_FUNCTION;
		return AS(CreateFunctionStmt, n)->is_procedure ? "CREATE PROCEDURE" : "CREATE FUNCTION";

	case T_IndexStmt:
		if (AS(IndexStmt, n)->concurrent) {
			*flags |= STMT_NONTX;
			return "CREATE INDEX CONCURRENTLY";
		}
		return "CREATE INDEX";
	case T_DropStmt:
		if (AS(DropStmt, n)->concurrent) {
			*flags |= STMT_NONTX;
			return "DROP INDEX CONCURRENTLY";
		}
		return drop_tag(AS(DropStmt, n)->removeType);
	case T_ReindexStmt: {
		const ReindexStmt *r = AS(ReindexStmt, n);
		bool concurrently = defelem_on(find_defelem(r->params, "concurrently"));
		if (concurrently || r->kind == REINDEX_OBJECT_SYSTEM || r->kind == REINDEX_OBJECT_DATABASE)
			*flags |= STMT_NONTX;
		return concurrently ? "REINDEX CONCURRENTLY" : "REINDEX";
	}
	case T_VacuumStmt:
		if (AS(VacuumStmt, n)->is_vacuumcmd) {
			*flags |= STMT_NONTX;
			return "VACUUM";
		}
		return "ANALYZE";
	case T_ClusterStmt:
		/* CLUSTER without a table re-clusters every table, one transaction each. */
		if (!AS(ClusterStmt, n)->relation)
			*flags |= STMT_NONTX;
		return "CLUSTER";
	case T_CreatedbStmt:
		*flags |= STMT_NONTX;
		return "CREATE DATABASE";
	case T_DropdbStmt:
		*flags |= STMT_NONTX;
		return "DROP DATABASE";
	case T_AlterDatabaseStmt:
		if (find_defelem(AS(AlterDatabaseStmt, n)->options, "tablespace"))
			*flags |= STMT_NONTX;
		return "ALTER DATABASE";
	case T_AlterDatabaseSetStmt:
	case T_AlterDatabaseRefreshCollStmt:
		return "ALTER DATABASE";
	case T_CreateTableSpaceStmt:
		*flags |= STMT_NONTX;
		return "CREATE TABLESPACE";
	case T_DropTableSpaceStmt:
		*flags |= STMT_NONTX;
		return "DROP TABLESPACE";
	case T_AlterTableSpaceOptionsStmt:
		return "ALTER TABLESPACE";
	case T_AlterSystemStmt:
		*flags |= STMT_NONTX;
		return "ALTER SYSTEM";
	case T_CreateSubscriptionStmt:
		*flags |= STMT_NONTX;
		return "CREATE SUBSCRIPTION";
	case T_AlterSubscriptionStmt:
		*flags |= STMT_NONTX;
		return "ALTER SUBSCRIPTION";
	case T_DropSubscriptionStmt:
		*flags |= STMT_NONTX;
		return "DROP SUBSCRIPTION";
	case T_AlterTableStmt:
		return alter_table_tag(AS(AlterTableStmt, n), flags);

	case T_CreateStmt:
		return "CREATE TABLE";
	case T_CreateTableAsStmt:
		if (AS(CreateTableAsStmt, n)->is_select_into)
			return "SELECT INTO";
		return AS(CreateTableAsStmt, n)->objtype == OBJECT_MATVIEW ? "CREATE MATERIALIZED VIEW"
									  : "CREATE TABLE AS";
	case T_ViewStmt:
		return "CREATE VIEW";
	case T_CreateSeqStmt:
		return "CREATE SEQUENCE";
	case T_AlterSeqStmt:
		return "ALTER SEQUENCE";
	case T_CreateSchemaStmt:
		return "CREATE SCHEMA";
	case T_CreateDomainStmt:
		return "CREATE DOMAIN";
	case T_AlterDomainStmt:
		return "ALTER DOMAIN";
	case T_CompositeTypeStmt:
	case T_CreateEnumStmt:
	case T_CreateRangeStmt:
		return "CREATE TYPE";
	case T_AlterEnumStmt:
	case T_AlterTypeStmt:
		return "ALTER TYPE";
	case T_DefineStmt:
		return create_tag(AS(DefineStmt, n)->kind);
	case T_CreateTrigStmt:
		return "CREATE TRIGGER";
	case T_CreateEventTrigStmt:
		return "CREATE EVENT TRIGGER";
	case T_AlterEventTrigStmt:
		return "ALTER EVENT TRIGGER";
	case T_RuleStmt:
		return "CREATE RULE";
	case T_CreatePolicyStmt:
		return "CREATE POLICY";
	case T_AlterPolicyStmt:
		return "ALTER POLICY";
	case T_CreateExtensionStmt:
		return "CREATE EXTENSION";
	case T_AlterExtensionStmt:
	case T_AlterExtensionContentsStmt:
		return "ALTER EXTENSION";
	case T_AlterFunctionStmt:
		return alter_tag(AS(AlterFunctionStmt, n)->objtype);
	case T_RenameStmt: {
		const RenameStmt *r = AS(RenameStmt, n);
		/* Renaming a column or constraint alters its relation. */
		if (r->renameType == OBJECT_COLUMN || r->renameType == OBJECT_TABCONSTRAINT)
			return alter_tag(r->relationType);
		return alter_tag(r->renameType);
	}
	case T_AlterObjectSchemaStmt:
		return alter_tag(AS(AlterObjectSchemaStmt, n)->objectType);
	case T_AlterOwnerStmt:
		return alter_tag(AS(AlterOwnerStmt, n)->objectType);
	case T_AlterObjectDependsStmt:
		return alter_tag(AS(AlterObjectDependsStmt, n)->objectType);
	case T_AlterTableMoveAllStmt:
		return alter_tag(AS(AlterTableMoveAllStmt, n)->objtype);
	case T_AlterCollationStmt:
		return "ALTER COLLATION";
	case T_AlterOperatorStmt:
		return "ALTER OPERATOR";
	case T_AlterOpFamilyStmt:
		return "ALTER OPERATOR FAMILY";
	case T_AlterTSDictionaryStmt:
		return "ALTER TEXT SEARCH DICTIONARY";
	case T_AlterTSConfigurationStmt:
		return "ALTER TEXT SEARCH CONFIGURATION";
	case T_CreateStatsStmt:
		return "CREATE STATISTICS";
	case T_AlterStatsStmt:
		return "ALTER STATISTICS";
	case T_CreateCastStmt:
		return "CREATE CAST";
	case T_CreateConversionStmt:
		return "CREATE CONVERSION";
	case T_CreateOpClassStmt:
		return "CREATE OPERATOR CLASS";
	case T_CreateOpFamilyStmt:
		return "CREATE OPERATOR FAMILY";
	case T_CreatePLangStmt:
		return "CREATE LANGUAGE";
	case T_CreateTransformStmt:
		return "CREATE TRANSFORM";
	case T_CreateAmStmt:
		return "CREATE ACCESS METHOD";
	case T_CreatePublicationStmt:
		return "CREATE PUBLICATION";
	case T_AlterPublicationStmt:
		return "ALTER PUBLICATION";
	case T_CreateFdwStmt:
		return "CREATE FOREIGN DATA WRAPPER";
	case T_AlterFdwStmt:
		return "ALTER FOREIGN DATA WRAPPER";
	case T_CreateForeignServerStmt:
		return "CREATE SERVER";
	case T_AlterForeignServerStmt:
		return "ALTER SERVER";
	case T_CreateForeignTableStmt:
		return "CREATE FOREIGN TABLE";
	case T_ImportForeignSchemaStmt:
		return "IMPORT FOREIGN SCHEMA";
	case T_CreateUserMappingStmt:
		return "CREATE USER MAPPING";
	case T_AlterUserMappingStmt:
		return "ALTER USER MAPPING";
	case T_DropUserMappingStmt:
		return "DROP USER MAPPING";
	case T_RefreshMatViewStmt:
		return "REFRESH MATERIALIZED VIEW";
	case T_CommentStmt:
		return "COMMENT";
	case T_SecLabelStmt:
		return "SECURITY LABEL";
	case T_GrantStmt:
		return AS(GrantStmt, n)->is_grant ? "GRANT" : "REVOKE";
	case T_GrantRoleStmt:
		return AS(GrantRoleStmt, n)->is_grant ? "GRANT ROLE" : "REVOKE ROLE";
	case T_AlterDefaultPrivilegesStmt:
		return "ALTER DEFAULT PRIVILEGES";
	case T_CreateRoleStmt:
		switch (AS(CreateRoleStmt, n)->stmt_type) {
		case ROLESTMT_USER: return "CREATE USER";
		case ROLESTMT_GROUP: return "CREATE GROUP";
		default: return "CREATE ROLE";
		}
	case T_AlterRoleStmt:
	case T_AlterRoleSetStmt:
		return "ALTER ROLE";
	case T_DropRoleStmt:
		return "DROP ROLE";
	case T_DropOwnedStmt:
		return "DROP OWNED";
	case T_ReassignOwnedStmt:
		return "REASSIGN OWNED";
	case T_VariableSetStmt:
		switch (AS(VariableSetStmt, n)->kind) {
		case VAR_RESET:
		case VAR_RESET_ALL:
			return "RESET";
		default:
			return "SET";
		}
	case T_VariableShowStmt:
		return "SHOW";
	case T_ConstraintsSetStmt:
		return "SET CONSTRAINTS";
	case T_DiscardStmt:
		return "DISCARD";
	case T_LockStmt:
		return "LOCK TABLE";
	case T_CallStmt:
		return "CALL";
	case T_ExplainStmt:
		return "EXPLAIN";
	case T_NotifyStmt:
		return "NOTIFY";
	case T_ListenStmt:
		return "LISTEN";
	case T_UnlistenStmt:
		return "UNLISTEN";
	case T_LoadStmt:
		return "LOAD";
	case T_CheckPointStmt:
		return "CHECKPOINT";
	case T_PrepareStmt:
		return "PREPARE";
	case T_ExecuteStmt:
		return "EXECUTE";
	case T_DeallocateStmt:
		return "DEALLOCATE";
	case T_DeclareCursorStmt:
		return "DECLARE CURSOR";
	case T_FetchStmt:
		return AS(FetchStmt, n)->ismove ? "MOVE" : "FETCH";
	case T_ClosePortalStmt:
		return "CLOSE CURSOR";
	default:
		return "OTHER";
	}
}

const char *lint_classify_sql(const char *sql, unsigned *flags)
{
	MemoryContext ctx = pg_query_enter_memory_context();
	PgQueryInternalParsetreeAndError r = pg_query_raw_parse(sql);
	const char *tag = NULL;
	*flags = 0;
	if (!r.error && list_length(r.tree) > 0)
		tag = lint_classify(((const RawStmt *)linitial(r.tree))->stmt, flags);
	if (r.error)
		pg_query_free_error(r.error);
	free(r.stderr_buffer);
	pg_query_exit_memory_context(ctx);
	return tag;
}

/* ---- self-check: libpg_query's trees against the headers -------------------- */

#define CHECK(cond) \
	do { \
		if (!(cond)) { \
			what = #cond; \
			goto mismatch; \
		} \
	} while (0)

int lint_pg_selfcheck(struct buf *err)
{
	static const char sql[] =
		"CREATE TABLE s.t (a int4 NOT NULL, b text REFERENCES u (id));\n"
		"CREATE INDEX CONCURRENTLY i ON t (a);\n"
		"ALTER TABLE t ADD COLUMN c varchar(20) DEFAULT now();\n"
		"DO $$ BEGIN END $$;\n"
		"TRUNCATE t, u CASCADE";
	const char *what = NULL;
	MemoryContext ctx = pg_query_enter_memory_context();
	PgQueryInternalParsetreeAndError r = pg_query_raw_parse(sql);
	free(r.stderr_buffer);
	CHECK(!r.error);
	const List *l = r.tree;
	CHECK(l && IsA(l, List) && list_length(l) == 5);
	for (int i = 0; i < 5; i++)
		CHECK(IsA(list_nth(l, i), RawStmt));
	const RawStmt *raw[5];
	for (int i = 0; i < 5; i++)
		raw[i] = list_nth(l, i);
	CHECK(raw[0]->stmt_location == 0 && raw[1]->stmt_location == 61 && raw[4]->stmt_len == 0);

	CHECK(IsA(raw[0]->stmt, CreateStmt));
	const CreateStmt *cs = (const CreateStmt *)raw[0]->stmt;
	CHECK(cs->relation && IsA(cs->relation, RangeVar) && !strcmp(cs->relation->schemaname, "s") &&
	      !strcmp(cs->relation->relname, "t") && cs->relation->location == 13 && !cs->if_not_exists);
	CHECK(list_length(cs->tableElts) == 2 && IsA(linitial(cs->tableElts), ColumnDef));
	const ColumnDef *a = linitial(cs->tableElts), *b = lsecond(cs->tableElts);
	CHECK(!strcmp(a->colname, "a") && a->location == 18 && IsA(a->typeName, TypeName) &&
	      !strcmp(strVal(llast(a->typeName->names)), "int4"));
	CHECK(list_length(a->constraints) == 1 && IsA(linitial(a->constraints), Constraint) &&
	      ((const Constraint *)linitial(a->constraints))->contype == CONSTR_NOTNULL);
	const Constraint *fk = linitial(b->constraints);
	CHECK(IsA(fk, Constraint) && fk->contype == CONSTR_FOREIGN && fk->pktable &&
	      !strcmp(fk->pktable->relname, "u") && !fk->skip_validation && fk->initially_valid);

	CHECK(IsA(raw[1]->stmt, IndexStmt));
	const IndexStmt *is = (const IndexStmt *)raw[1]->stmt;
	CHECK(is->concurrent && !strcmp(is->idxname, "i") && !strcmp(is->relation->relname, "t"));

	CHECK(IsA(raw[2]->stmt, AlterTableStmt));
	const AlterTableStmt *at = (const AlterTableStmt *)raw[2]->stmt;
	CHECK(at->objtype == OBJECT_TABLE && list_length(at->cmds) == 1 && IsA(linitial(at->cmds), AlterTableCmd));
	const AlterTableCmd *cmd = linitial(at->cmds);
	CHECK(cmd->subtype == AT_AddColumn && cmd->def && IsA(cmd->def, ColumnDef));
	const ColumnDef *c = (const ColumnDef *)cmd->def;
	CHECK(list_length(c->typeName->typmods) == 1 && IsA(linitial(c->typeName->typmods), A_Const) &&
	      intVal(&((const A_Const *)linitial(c->typeName->typmods))->val) == 20);
	const Constraint *def = linitial(c->constraints);
	CHECK(IsA(def, Constraint) && def->contype == CONSTR_DEFAULT && IsA(def->raw_expr, FuncCall) &&
	      ((const FuncCall *)def->raw_expr)->location == 147);

	CHECK(IsA(raw[3]->stmt, DoStmt));
	CHECK(option_location(((const DoStmt *)raw[3]->stmt)->args, "as") == 157);

	CHECK(IsA(raw[4]->stmt, TruncateStmt));
	const TruncateStmt *tr = (const TruncateStmt *)raw[4]->stmt;
	CHECK(tr->behavior == DROP_CASCADE && list_length(tr->relations) == 2 &&
	      IsA(lsecond(tr->relations), RangeVar));

	pg_query_exit_memory_context(ctx);
	return 0;

mismatch:
	if (r.error)
		pg_query_free_error(r.error);
	pg_query_exit_memory_context(ctx);
	buf_printf(err, "libpg_query's parse trees do not match the PostgreSQL %d headers ssot was built "
		   "with (%s)", PG_VERSION_NUM / 10000, what);
	return -1;
}
