/*
 * Transactions: ssot applies every file in one transaction. Statements that
 * end it (BEGIN, COMMIT, ...) break that; statements that cannot run inside
 * one (CREATE INDEX CONCURRENTLY, VACUUM, ...) run after the commit at top
 * level, and fail outright inside a DO block or a function.
 */
#include "lint/rules.h"

#include <string.h>

static const PgQuery__DefElem *find_option(PgQuery__Node *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (list[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
		    !strcmp(list[i]->def_elem->defname, name))
			return list[i]->def_elem;
	return NULL;
}

/*
 * The tag of a statement that cannot run in a transaction block, or NULL;
 * the same list as sqlfile's classification (PreventInTransactionBlock()),
 * for statements inside bodies that sqlfile does not see.
 */
static const char *nontx_tag(const PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		return n->index_stmt->concurrent ? "CREATE INDEX CONCURRENTLY" : NULL;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return n->drop_stmt->concurrent ? "DROP INDEX CONCURRENTLY" : NULL;
	case PG_QUERY__NODE__NODE_REINDEX_STMT: {
		const PgQuery__ReindexStmt *r = n->reindex_stmt;
		const PgQuery__DefElem *e = find_option(r->params, r->n_params, "concurrently");
		if (e || r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM ||
		    r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_DATABASE)
			return "REINDEX CONCURRENTLY";
		return NULL;
	}
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
		return n->vacuum_stmt->is_vacuumcmd ? "VACUUM" : NULL;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		for (size_t i = 0; i < n->alter_table_stmt->n_cmds; i++) {
			const PgQuery__Node *cn = n->alter_table_stmt->cmds[i];
			if (cn->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
				continue;
			const PgQuery__AlterTableCmd *cmd = cn->alter_table_cmd;
			if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition && cmd->def &&
			    cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
			    cmd->def->partition_cmd->concurrent)
				return "DETACH PARTITION CONCURRENTLY";
		}
		return NULL;
	case PG_QUERY__NODE__NODE_CREATEDB_STMT:
		return "CREATE DATABASE";
	case PG_QUERY__NODE__NODE_DROPDB_STMT:
		return "DROP DATABASE";
	case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT:
		return "CREATE TABLESPACE";
	case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT:
		return "DROP TABLESPACE";
	case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
		return "ALTER SYSTEM";
	case PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT:
		return "CREATE SUBSCRIPTION";
	case PG_QUERY__NODE__NODE_ALTER_SUBSCRIPTION_STMT:
		return "ALTER SUBSCRIPTION";
	case PG_QUERY__NODE__NODE_DROP_SUBSCRIPTION_STMT:
		return "DROP SUBSCRIPTION";
	default:
		return NULL;
	}
}

static const char *txctl_tag(const PgQuery__TransactionStmt *t)
{
	switch (t->kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
		return "BEGIN";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
		return "START TRANSACTION";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
		return "COMMIT";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
		return "ROLLBACK";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
		return "PREPARE TRANSACTION";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED:
		return "COMMIT PREPARED";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED:
		return "ROLLBACK PREPARED";
	default:
		return NULL;	/* savepoints work inside the apply transaction */
	}
}

void check_transactions(struct lint_ctx *c)
{
	const PgQuery__Node *n = c->stmt;

	if (n->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT) {
		const char *tag = txctl_tag(n->transaction_stmt);
		/* A procedure may COMMIT when CALLed outside a transaction; only files and DO blocks are ours. */
		if (tag && c->block != BLOCK_FUNCTION)
			lint_report(c, R_TRANSACTION_CONTROL, c->start, c->start,
				    "%s in a file: ssot already runs the files in one transaction", tag);
		return;
	}

	const char *tag = c->top ? ((c->top->flags & STMT_NONTX) ? c->top->tag : NULL) : nontx_tag(n);
	if (!tag)
		return;
	if (c->block != BLOCK_NONE)
		lint_report(c, R_CONCURRENTLY_IN_PLPGSQL, c->start, c->start,
			    "%s cannot run inside a %s", tag,
			    c->block == BLOCK_DO ? "DO block (it runs in a transaction)" : "function");
	else
		lint_report(c, R_NON_TRANSACTIONAL, c->start, c->start,
			    "%s cannot run in a transaction block: ssot runs it after the commit", tag);
}
