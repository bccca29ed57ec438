/*
 * deparse: the text pg_get_constraintdef() prints for a CHECK expression,
 * made on the client from the constraint's stored expression tree
 * (pg_constraint.conbin, the server's nodeToString() text), for the shapes
 * most CHECKs have:
 *
 *   column references, integer / boolean / ASCII text constants,
 *   binary operators of pg_catalog taking exactly the operands' types,
 *   AND / OR / NOT, IS [NOT] NULL of a scalar.
 *
 * Anything else (a function call, a cast, an IN list, a numeric constant,
 * another operator) returns false, and the caller asks the server. What is
 * printed is the server's text byte for byte (ruleutils.c of PostgreSQL
 * 13-17 with pg_get_constraintdef's flags; catalog.c composes nothing for
 * a newer server): every operator and boolean expression in parentheses,
 * negative integers as '-5'::integer, text as 'it''s'::text. The server's
 * deparse opens the table behind each constraint (its relcache entry),
 * which dominates reading a catalog of thousands of tables; this does not.
 *
 * deparse_default() does the same for column defaults (pg_get_expr() of
 * pg_attrdef.adbin, the same flags), with a few more shapes: the server
 * spent a third of the read of a plain table's columns printing "0" and
 * "now()".
 *
 * SSOT_CATALOG_SERVER_DEFS=1 turns composing off; the catalog tests read
 * every shape both ways and require the same text (tests/drift/).
 */
#ifndef SSOT_DEPARSE_H
#define SSOT_DEPARSE_H

#include "util/buf.h"

#include <stdbool.h>

struct deparse_cache;

struct deparse_env {
	/*
	 * quote_ident() of column `attno` of the constraint's table, and its type
	 * in *typid; NULL when there is no such column.
	 */
	const char *(*column)(void *ctx, long attno, unsigned *typid);
	/*
	 * The name of operator `opno` when the server would print it bare: a
	 * binary operator of pg_catalog whose operand types are exactly
	 * `left` and `right`; NULL otherwise.
	 */
	const char *(*oper)(void *ctx, unsigned opno, unsigned left, unsigned right);
	/*
	 * The name of function `funcid` when the server would print a call of
	 * it with arguments of types argtypes[0 .. nargs-1] bare: unqualified,
	 * unquoted, resolving to that function; NULL otherwise. NULL: no
	 * function calls are composed.
	 */
	const char *(*func)(void *ctx, unsigned funcid, int nargs, const unsigned *argtypes);
	/* What regclassout prints for relation `relid` ("schema"."name"), or NULL. NULL: none. */
	const char *(*relation)(void *ctx, unsigned relid);
	void *ctx;
	/*
	 * Trees parsed by earlier calls, by their text without the :location
	 * fields (the only ones in which the CHECKs of many tables differ), or
	 * NULL: each tree is parsed anew.
	 */
	struct deparse_cache *cache;
};

struct deparse_cache *deparse_cache_new(void);
void deparse_cache_free(struct deparse_cache *c);

/*
 * Appends to `out` what pg_get_constraintdef() prints between "CHECK (" and
 * ")" for the expression tree `conbin`, and returns true; returns false
 * (and leaves `out` as it was) when the expression is outside the shapes
 * above.
 */
bool deparse_check(const char *conbin, const struct deparse_env *env, struct buf *out);

/*
 * The same for what pg_get_expr() prints for a column default
 * (pg_attrdef.adbin), with besides the shapes above: bigint and smallint
 * constants ('5'::bigint), calls of functions env->func names (now(),
 * nextval('public.s'::regclass) with env->relation), and CURRENT_DATE,
 * CURRENT_TIME, CURRENT_TIMESTAMP, LOCALTIME, LOCALTIMESTAMP with or
 * without a precision. The expression may be of any type.
 */
bool deparse_default(const char *adbin, const struct deparse_env *env, struct buf *out);

#endif
