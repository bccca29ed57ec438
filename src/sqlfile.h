/*
 * sqlfile: one SQL file, split into statements with the real PostgreSQL
 * parser (libpg_query), with byte offsets and statement kinds.
 *
 * A `struct sqlfile` owns its source text, its statement array and the
 * unpacked protobuf parse tree (`tree`, freed by sqlfile_release()). Statement
 * i's parse node is tree->stmts[i]->stmt. Offsets are bytes into src.text.
 *
 * A statement's span starts at its first token and ends after its last one:
 * whitespace and comments around it and the terminating ';' are outside.
 */
#ifndef SSOT_SQLFILE_H
#define SSOT_SQLFILE_H

#include "diag.h"
#include "util/buf.h"
#include "util/source.h"
#include "util/vec.h"

#include <stdbool.h>

/* libpg_query's protobuf-c type; include <pg_query/pg_query.pb-c.h> to walk it. */
struct PgQuery__ParseResult;

enum stmt_flags {
	STMT_NONTX = 1 << 0,	/* cannot run inside a transaction block: run after commit */
	STMT_TXCTL = 1 << 1,	/* BEGIN / COMMIT / ROLLBACK / ...: refused */
	STMT_DO = 1 << 2,	/* DO block: PL/pgSQL line numbers map into its body */
	STMT_FUNCTION = 1 << 3,	/* CREATE FUNCTION / PROCEDURE */
	STMT_DML = 1 << 4,	/* INSERT / UPDATE / DELETE / MERGE / COPY / TRUNCATE */
};

struct stmt {
	size_t start;		/* first byte of the statement (comments before it skipped) */
	size_t len;		/* bytes, without the terminating semicolon */
	unsigned flags;
	const char *tag;	/* static: "CREATE TABLE", "CREATE INDEX CONCURRENTLY", ... */
	size_t body_start;	/* DO / function body: first byte after the opening quote
				 * ($tag$ or '); PL/pgSQL's line 1 is the line holding it;
				 * 0 = none (no body, or a BEGIN ATOMIC / RETURN body) */
};

struct sqlfile {
	struct source src;
	VEC(struct stmt) stmts;
	struct PgQuery__ParseResult *tree;	/* NULL when the file did not parse */
};

/*
 * Load a file and split it. Returns 0 when the file parsed; 1 when it holds
 * a syntax error or a psql meta-command, each added to `d` as an error finding
 * pointing at the offending token (rule "syntax-error" / "psql-meta-command");
 * -1 when the file cannot be read (message in err). A psql meta-command is
 * any backslash outside strings and comments, as psql itself reads it. After
 * a syntax error `stmts` is empty and `tree` NULL; the findings point into
 * f->src, so keep `f` alive until `d` has been rendered. Call
 * sqlfile_release() whatever the result.
 */
int sqlfile_load(struct sqlfile *f, const char *display_path, const char *fs_path,
		 struct diag *d, struct buf *err);
/* Same, from text in memory (tests, stdin). */
int sqlfile_parse_text(struct sqlfile *f, const char *display_path, const char *text,
		       size_t len, struct diag *d);
void sqlfile_release(struct sqlfile *f);

/*
 * What a parser reports about one statement: libpg_query's RawStmt range and
 * what sqlfile_classify() says of its node. sqlfile trims the range and finds
 * the body from it.
 */
struct sqlfile_parsed {
	int location;		/* RawStmt.stmt_location */
	int len;		/* RawStmt.stmt_len; 0 = to the end of the text */
	unsigned flags;		/* STMT_* */
	const char *tag;	/* static */
	int as_location;	/* DO / CREATE FUNCTION: location of the "as" option; -1 */
};

/*
 * A parser of the whole text, for sqlfile_load_with(): on success it sets
 * `stmts` and `n` and returns 0; on a syntax error it sets `cursorpos`
 * (1-based, characters, as PgQueryError has it) and `message` and returns
 * -1. What it points to belongs to the parser and must outlive the call of
 * sqlfile_load_with().
 */
struct sqlfile_parse {
	const struct sqlfile_parsed *stmts;
	size_t n;
	int cursorpos;
	const char *message;
};
typedef int sqlfile_parse_fn(void *ctx, const char *text, struct sqlfile_parse *out);

/*
 * sqlfile_load() with another parser (lint walks PostgreSQL's raw parse
 * trees instead of the protobuf one): the same splitting, psql meta-command
 * and syntax-error findings; `tree` stays NULL. `parse` is not called for a
 * file that cannot be read.
 */
int sqlfile_load_with(struct sqlfile *f, const char *display_path, const char *fs_path,
		      struct diag *d, struct buf *err, sqlfile_parse_fn *parse, void *ctx);

/* A copy of statement i's text (caller frees). */
char *sqlfile_stmt_text(const struct sqlfile *f, size_t i);

struct PgQuery__Node;
struct ProtobufCAllocator;

/* protobuf-c allocator for libpg_query trees: xmalloc, so out of memory aborts. */
extern struct ProtobufCAllocator sqlfile_pb_allocator;
/*
 * The object types of DROP / ALTER / CREATE tags, as X(suffix, name): the
 * suffix of OBJECT_<suffix> in PostgreSQL's ObjectType (and of
 * PG_QUERY__OBJECT_TYPE__OBJECT_<suffix> in libpg_query's protobuf), and its
 * name in a command tag. Shared by the protobuf and the raw classifier.
 */
#define SQLFILE_OBJECT_TYPES(X) \
	X(ACCESS_METHOD, "ACCESS METHOD") \
	X(AGGREGATE, "AGGREGATE") \
	X(CAST, "CAST") \
	X(COLLATION, "COLLATION") \
	X(CONVERSION, "CONVERSION") \
	X(DATABASE, "DATABASE") \
	X(DOMAIN, "DOMAIN") \
	X(EVENT_TRIGGER, "EVENT TRIGGER") \
	X(EXTENSION, "EXTENSION") \
	X(FDW, "FOREIGN DATA WRAPPER") \
	X(FOREIGN_SERVER, "SERVER") \
	X(FOREIGN_TABLE, "FOREIGN TABLE") \
	X(FUNCTION, "FUNCTION") \
	X(INDEX, "INDEX") \
	X(LANGUAGE, "LANGUAGE") \
	X(LARGEOBJECT, "LARGE OBJECT") \
	X(MATVIEW, "MATERIALIZED VIEW") \
	X(OPCLASS, "OPERATOR CLASS") \
	X(OPERATOR, "OPERATOR") \
	X(OPFAMILY, "OPERATOR FAMILY") \
	X(POLICY, "POLICY") \
	X(PROCEDURE, "PROCEDURE") \
	X(PUBLICATION, "PUBLICATION") \
	X(ROLE, "ROLE") \
	X(ROUTINE, "ROUTINE") \
	X(RULE, "RULE") \
	X(SCHEMA, "SCHEMA") \
	X(SEQUENCE, "SEQUENCE") \
	X(SUBSCRIPTION, "SUBSCRIPTION") \
	X(STATISTIC_EXT, "STATISTICS") \
	X(TABLE, "TABLE") \
	X(TABLESPACE, "TABLESPACE") \
	X(TRANSFORM, "TRANSFORM") \
	X(TRIGGER, "TRIGGER") \
	X(TSCONFIGURATION, "TEXT SEARCH CONFIGURATION") \
	X(TSDICTIONARY, "TEXT SEARCH DICTIONARY") \
	X(TSPARSER, "TEXT SEARCH PARSER") \
	X(TSTEMPLATE, "TEXT SEARCH TEMPLATE") \
	X(TYPE, "TYPE") \
	X(VIEW, "VIEW")

/*
 * Flags (STMT_*) and static command tag of one parse node: what
 * sqlfile_load computes for each top-level statement, for callers that
 * walk statements sqlfile does not see (inside DO blocks and bodies).
 */
const char *sqlfile_classify(const struct PgQuery__Node *n, unsigned *flags);

/*
 * The string value of option `name` ("language", "as") in the DefElem list
 * of a DO or CREATE FUNCTION (the first element when the value is a list, as
 * AS is), or NULL. Points into the tree.
 */
const char *sqlfile_option_string(struct PgQuery__Node *const *opts, size_t n, const char *name);

#endif
