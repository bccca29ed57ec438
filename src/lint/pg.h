/*
 * PostgreSQL's raw parse trees, for src/lint/ only.
 *
 * libpg_query (15-4.0.0, PostgreSQL 15.1 inside) exports its raw parser,
 * pg_query_raw_parse(), but not the node structs; those come from the
 * PostgreSQL 15 server headers (postgresql-server-dev-15), whose node layouts
 * and tags are fixed within the major version. lint_pg_selfcheck() guards
 * against a mismatch anyway.
 *
 * Include this first: postgres.h must precede the system headers. Only the
 * node structs, the List accessors (foreach, list_nth, llast, strVal) and
 * functions that libpg_query exports may be used. In particular nothing that
 * reads CurrentMemoryContext directly (makeNode, palloc, MemoryContextSwitchTo):
 * libpg_query keeps it thread-local, the headers do not say so.
 *
 * Memory: pg_query_enter_memory_context() creates a context under the calling
 * thread's top context and makes it current; pg_query_raw_parse() allocates
 * the tree there; pg_query_exit_memory_context() deletes it (on the same
 * thread) and makes the top context current. Every other libpg_query entry
 * point (pg_query_parse_plpgsql, pg_query_scan, ...) enters and exits its own
 * context, so after one of them the top context is current again.
 */
#ifndef SSOT_LINT_PG_H
#define SSOT_LINT_PG_H

#include <postgres.h>
#include <nodes/parsenodes.h>
#include <nodes/pg_list.h>

#include <pg_query.h>
#include <pg_query/pg_query_internal.h>

/*
 * Exported by libpg_query but declared in a header it does not install
 * (pg_query_outfuncs.h): the protobuf of a List of RawStmt, malloc()ed.
 */
PgQueryProtobuf pg_query_nodes_to_protobuf(const void *obj);

#endif
