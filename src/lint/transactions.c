/*
 * Transactions: ssot applies every file in one transaction. Statements that
 * end it (BEGIN, COMMIT, ...) break that; statements that cannot run inside
 * one (CREATE INDEX CONCURRENTLY, VACUUM, ...) run after the commit at top
 * level, and fail outright inside a DO block or a function.
 */
#include "lint/pg.h"

#include "lint/rules.h"

void check_transactions(struct lint_ctx *c)
{
	/* Top-level statements were classified when the file was split; nested ones here. */
	unsigned flags = 0;
	const char *tag;
	if (c->top) {
		flags = c->top->flags;
		tag = c->top->tag;
	} else {
		tag = lint_classify(c->stmt, &flags);
	}

	if (flags & STMT_TXCTL) {
		/* A procedure may COMMIT when CALLed outside a transaction; only files and DO blocks are ours. */
		if (c->block != BLOCK_FUNCTION)
			lint_report(c, R_TRANSACTION_CONTROL, c->start, c->start,
				    "%s in a file: ssot already runs the files in one transaction", tag);
		return;
	}
	if (!(flags & STMT_NONTX))
		return;
	if (c->block != BLOCK_NONE)
		lint_report(c, R_CONCURRENTLY_IN_PLPGSQL, c->start, c->start,
			    "%s cannot run inside a %s", tag,
			    c->block == BLOCK_DO ? "DO block (it runs in a transaction)" : "function");
	else
		lint_report(c, R_NON_TRANSACTIONAL, c->start, c->start,
			    "%s cannot run in a transaction block: ssot runs it after the commit", tag);
}
