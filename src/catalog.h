/*
 * catalog: read a database's pg_catalog into a model.
 *
 * One batched, schema-qualified query per object kind for the whole
 * database (pg_dump's getTables/getIndexes style): the cost grows with the
 * number of objects, never with round trips. Every query runs with
 * search_path = '' so that the server qualifies every name it prints the
 * same way on both sides of a comparison. Queries are gated on
 * server_version_num and keep one result shape for PostgreSQL 13 to 18.
 *
 * Read in this fixed order (later kinds find their parents in the earlier):
 * the server's keywords, schemas, extensions, relations (tables,
 * partitions, views, materialized views, sequences; foreign and typed
 * tables noted) and their parents, sequences, types (enum, domain,
 * composite with its attributes; range and base types noted as
 * unsupported) and domain constraints, comments, collations, the functions
 * a default may call, columns, column defaults, b-tree operator classes,
 * indexes, operators, constraints, functions and procedures, triggers,
 * policies, [grants], unsupported objects, [dependencies]; then the
 * definitions left to the server. The big reads come unsorted and are
 * ordered on the client; comments are given to their objects last.
 *
 * The queries go out at once in libpq pipeline mode, their results drained
 * by a reader thread while the loaders work. With a second session in the
 * same exported snapshot (never inside the caller's transaction), columns,
 * operators and constraints are read on it, in a pipeline of its own, and
 * it then prints the constraint definitions left to the server. Plain
 * b-tree index, key and simple CHECK definitions and common column defaults
 * are composed from the rows read, as pg_get_indexdef /
 * pg_get_constraintdef / pg_get_expr print them (13-17; CHECKs and defaults
 * by deparse.h, names quoted as quote_ident does with the server's keyword
 * list); other shapes are asked of the server at the end. For
 * tests: SSOT_CATALOG_SERVER_DEFS=1 asks the server for every definition,
 * SSOT_CATALOG_ONE_SESSION=1 keeps to one session.
 *
 * Skipped: system schemas, the ledger schema, everything an extension owns,
 * identity sequences (their column says GENERATED ... AS IDENTITY),
 * internal triggers, and what a partition inherits from its parent
 * (columns, cloned constraints, attached indexes, cloned triggers).
 * Anything present that the model does not cover becomes an OBJ_UNSUPPORTED
 * object, never nothing.
 */
#ifndef SSOT_CATALOG_H
#define SSOT_CATALOG_H

#include "model.h"
#include "util/buf.h"

#include <libpq-fe.h>
#include <stdbool.h>

struct catalog_opts {
	const char *ledger_schema;	/* skipped; NULL for none */
	bool grants;			/* read privileges (GRANT objects) */
	bool deps;			/* read dependencies (inspect's SQL ordering) */
	/*
	 * Read inside the caller's open transaction (apply --dry-run) instead
	 * of a REPEATABLE READ READ ONLY transaction of our own. The reads run
	 * under a savepoint that is rolled back afterwards, so a failure leaves
	 * the caller's transaction usable and its settings untouched.
	 */
	bool in_transaction;
	/* The model is only written out (inspect): not indexed by key (model_find). */
	bool unindexed;
	const char *const *schemas;	/* only these schemas (NULL/0: all) */
	size_t nschemas;
	const char *const *exclude_schemas;
	size_t nexclude;
	/* Called after each query with what it read, its rows and milliseconds; may be NULL. */
	void (*trace)(void *ctx, const char *what, int rows, double ms);
	void *trace_ctx;
};

/* The oldest server the queries know. */
#define CATALOG_MIN_VERSION 130000

/*
 * Read the database behind `c` into `m` (initialised by the caller with
 * model_init). Returns 0, or -1 with a one-line message in err; on failure
 * `m` may hold part of the objects and must still be released.
 */
int catalog_load(PGconn *c, const struct catalog_opts *o, struct model *m, struct buf *err);

/*
 * Split the text form of a one-dimensional PostgreSQL array ("{a,"b c",NULL}")
 * into elements copied into `a`; NULL elements become NULL. Returns the
 * number of elements (the array *out lives in `a`), or -1 when s is not an
 * array literal.
 */
int catalog_parse_array(struct arena *a, const char *s, const char ***out);

#endif
