/*
 * Internals shared by the lint driver (lint.c) and the rule families
 * (idempotency.c, transactions.c, data_safety.c, drift_traps.c,
 * lock_safety.c, plpgsql.c). Not an API outside src/lint/.
 *
 * The rules walk PostgreSQL's raw parse trees (struct Node and friends; the
 * files that look inside them include lint/pg.h first). This header only
 * names the structs, so that it can be included without PostgreSQL's headers.
 *
 * The per-file pass runs on worker threads: it may touch only its own
 * `struct lint_file` (findings, facts) and its own arena. Facts are what the
 * cross-file pass needs (tables created, foreign keys, TRUNCATEs,
 * declarations); their strings live in the thread's arena, alive until
 * lint_free(). No fact points into a parse tree: the trees live in
 * libpg_query memory contexts of the thread that parsed the file, and are
 * deleted as soon as the file is checked. A declaration records the text it
 * was parsed from instead; the rare name declared twice parses both again
 * (decl_hash()).
 */
#ifndef SSOT_LINT_RULES_H
#define SSOT_LINT_RULES_H

#include "lint/lint.h"
#include "sqlfile.h"
#include "util/arena.h"

#include <pg_query/pg_query.pb-c.h>

#include <stdint.h>

struct Node;
struct List;
struct RangeVar;
struct TypeName;
struct MemoryContextData;

/* ---- string map: arena-owned keys to integers ---------------------------- */

struct strmap_slot {
	const char *key;	/* NULL: empty */
	uint64_t hash;
	size_t val;
};

struct strmap {
	struct strmap_slot *slots;
	size_t cap, n;
};

void strmap_init(struct strmap *m);
void strmap_release(struct strmap *m);
/* Make room for n keys in all, so that inserting them does not grow the table. */
void strmap_reserve(struct strmap *m, size_t n);
/* Value of `key`, or SIZE_MAX. */
size_t strmap_get(const struct strmap *m, const char *key);
/* Insert when absent (the key is borrowed: keep it alive). Returns the value now stored. */
size_t strmap_put(struct strmap *m, const char *key, size_t val);

/* ---- facts for the cross-file pass ---------------------------------------- */

enum fact_kind {
	FACT_TABLE,		/* CREATE TABLE: name = "schema.table" */
	FACT_DECL,		/* a named object: name = "kind schema.name...", name2 = kind;
				 * text, part: where the definition is */
	FACT_COLUMN,		/* column of a CREATE TABLE: name = "schema.table.col", hash and
				 * name2 = its type (type_hash, type_text) */
	FACT_ADD_COLUMN,	/* ALTER TABLE ADD COLUMN: same */
	FACT_FK,		/* name = referencing table, name2 = referenced table */
	FACT_TRUNCATE,		/* name = table; group = the statement; flags: FACT_CASCADE */
	FACT_INDEX,		/* CREATE INDEX without CONCURRENTLY: name = table */
	FACT_VALIDATING,	/* ADD CONSTRAINT (FK, CHECK) without NOT VALID: name = table */
	FACT_SCHEMA,		/* an explicit schema: name */
	FACT_UNQUALIFIED,	/* an unqualified relation name: name */
	FACT_LOCK_TIMEOUT,	/* SET lock_timeout (prerun) */
	FACT_STRONG_LOCK,	/* a statement taking an ACCESS EXCLUSIVE or SHARE lock */
};

#define FACT_CASCADE 1u
#define FACT_IN_FUNCTION 2u	/* inside a function body: runs when called */
#define FACT_HASHED 4u		/* `hash` of a FACT_DECL is computed */

struct fact {
	enum fact_kind kind;
	unsigned flags;
	const char *name, *name2;
	const char *text;	/* FACT_DECL: the one statement declaring it (file source or arena) */
	size_t text_len;
	int part;		/* FACT_DECL: -1 the statement, k its k-th named constraint */
	uint64_t hash;
	size_t start;		/* byte offset in the file */
	size_t group;
};

/* ---- files ------------------------------------------------------------- */

struct lint_sup {
	struct lint_suppression s;
	size_t start, end;	/* the comment */
	int line;		/* its last line */
	size_t covers_start, covers_end;	/* the statement it precedes, if any */
	bool used[LINT_MAX_SUPPRESSED];
	int rule_ids[LINT_MAX_SUPPRESSED];
};

struct lint_file {
	char *path, *fs_path;
	enum phase phase;
	struct sqlfile sql;	/* split from the raw parse; sql.tree is NULL; sql.stmts
				 * freed when the file's pass is done */
	size_t statements;	/* sql.stmts.n */
	struct List *raw;	/* the RawStmts of sql.stmts, in order; NULL after a syntax error */
	struct MemoryContextData *tree_ctx;	/* holds `raw`, during the per-file pass */
	struct MemoryContextData *body_ctx;	/* holds the trees of statements inside bodies, same */
	int load_rc;		/* sqlfile_load(): 0 parsed, 1 findings, -1 unreadable */
	struct buf err;
	struct diag d;		/* this file's findings, filtered and sorted at the end */
	struct arena *arena;	/* fact strings: the arena of the worker thread that checks the file */
	VEC(struct fact) facts;
	VEC(struct lint_sup) sups;
	struct strmap guards;	/* objects dropped IF EXISTS earlier in this file */
	bool strong_lock_seen;	/* a FACT_STRONG_LOCK is recorded */
};

struct lint {
	struct lint_opts opts;
	VEC(struct lint_file) files;
	size_t statements;
	struct arena *arenas;	/* one per worker thread, alive until lint_free() */
	size_t n_arenas;
};

/* ---- statement context ------------------------------------------------- */

enum block_kind { BLOCK_NONE, BLOCK_DO, BLOCK_FUNCTION };

/* Exception handlers around a statement inside a DO block, innermost first. */
struct guard {
	const char *const *conds;	/* condition names as written (lowercase) */
	size_t n;
	const struct guard *outer;
};

struct lint_ctx {
	struct lint *l;
	struct lint_file *file;
	const struct Node *stmt;
	const char *sql;	/* the text `stmt` was parsed from, alone (not NUL-terminated), */
	size_t sql_len;		/* in the file or in a body's SQL */
	size_t start, end;	/* span of the statement (or of an inner query) */
	size_t base;		/* a parse-tree location + base = byte offset in the file */
	bool exact;		/* locations map into the file (the inner text was found) */
	enum block_kind block;
	bool conditional;	/* under IF / CASE / a loop / a handler in a DO block */
	const struct guard *guard;
	size_t block_end;	/* end of the enclosing DO statement (to find handlers) */
	const struct stmt *top;	/* the file's statement; NULL for an inner one */
};

static inline bool rule_on(const struct lint_ctx *c, enum lint_rule_id r)
{
	return c->l->opts.enabled[r];
}

/* Byte offset of a parse-tree location (the statement start when unknown). */
size_t ctx_offset(const struct lint_ctx *c, int32_t location);

/*
 * Report rule `r` at [start, end) of the file (a point when end <= start).
 * Severity, help (why + fix) come from the rule table. No-op when the rule is
 * off. Returns the finding or NULL.
 */
struct finding *lint_report(struct lint_ctx *c, enum lint_rule_id r, size_t start, size_t end,
			    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Same, without a context (cross-file pass). */
struct finding *lint_report_file(struct lint *l, struct lint_file *f, enum lint_rule_id r,
				 size_t start, size_t end, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

struct fact *fact_add(struct lint_ctx *c, enum fact_kind kind, const char *name, const char *name2,
		      size_t start);

/*
 * A statement that fails or duplicates rows on its second run. Reports rule
 * `r` at `at` unless the statement is guarded: conditional in a DO block, or
 * under an exception handler catching one of `codes` (SQLSTATEs, NULL-ended);
 * a handler catching other conditions is reported as
 * wrong-exception-condition. `what` names the statement ("CREATE TYPE").
 */
void report_not_idempotent(struct lint_ctx *c, enum lint_rule_id r, const char *const *codes,
			   const char *what, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* ---- tree helpers (tree.c) ------------------------------------------------ */

/*
 * A copy of a string of a parse tree in the file's arena (NULL stays NULL):
 * what a fact keeps must outlive the tree.
 */
const char *keep_str(struct lint_ctx *c, const char *s);
/* "<a><sep><b>" in the file's arena: the keys of the lint maps. */
const char *join_key(struct lint_ctx *c, const char *a, char sep, const char *b);
/* "schema.name" of a RangeVar in the file's arena, schema "public" when unqualified. */
const char *rv_key(struct lint_ctx *c, const struct RangeVar *rv);
/* Dotted name of a list of String nodes ("a.b"), "public." prefixed when `qualify` and single. */
const char *names_key(struct lint_ctx *c, const struct List *names, bool qualify);
/* Last String of a list, or "". */
const char *last_name(const struct List *names);
/* The string of a String node, or "" for anything else (or NULL). */
const char *str_of(const struct Node *n);
/*
 * Structural hash of a protobuf message, ignoring `location` fields and the
 * spelling-only flags (IF NOT EXISTS, OR REPLACE, CONCURRENTLY, NOT VALID).
 */
uint64_t node_hash(const void *message);
/*
 * node_hash() of a raw parse node, through libpg_query's protobuf output: the
 * slow, generic way (raw nodes carry no field descriptions), for the rare
 * name declared twice. Enters and exits a memory context of its own.
 */
uint64_t raw_node_hash(const struct Node *n);
/*
 * Hash of a column type: last name component, type modifiers, array bounds.
 * A modifier that is not a constant or a name makes the hash unique, so
 * that two such types never compare equal.
 */
uint64_t type_hash(const struct TypeName *t);
/* Readable type name ("varchar(20)", "int4[]") in the arena. */
const char *type_text(struct arena *a, const struct TypeName *t);
/* Whether an expression contains a call to a function not known to be stable (the FuncCall). */
const struct Node *volatile_call(const struct Node *n);

/* ---- rule families: one call per statement ------------------------------- */

void check_idempotency(struct lint_ctx *c);
void check_transactions(struct lint_ctx *c);
void check_data_safety(struct lint_ctx *c);
void collect_drift_facts(struct lint_ctx *c);
void check_lock_safety(struct lint_ctx *c);

/*
 * Classification of a raw statement node: what sqlfile_classify() says of
 * the same statement's protobuf node (tests/unit/test_lint_classify.c keeps
 * the two in step).
 */
const char *lint_classify(const struct Node *n, unsigned *flags);
/*
 * lint_classify() of the first statement of `sql`, or NULL when it does not
 * parse (for tests; parses in a memory context of its own).
 */
const char *lint_classify_sql(const char *sql, unsigned *flags);
/* The string value of option `name` of a DO / CREATE FUNCTION DefElem list, as sqlfile_option_string(). */
const char *option_string(const struct List *opts, const char *name);
/* Location of option `name` in a DefElem list, or -1. */
int option_location(const struct List *opts, const char *name);
/*
 * Whether libpg_query's trees have the layout of the headers lint was built
 * with: parses known statements and checks tags and fields. Returns 0, or -1
 * with err. Run once before anything reads a tree.
 */
int lint_pg_selfcheck(struct buf *err);

/*
 * Check one statement with every family, and its body (for DO / functions;
 * `body_json` is its pg_query_parse_plpgsql() output, or NULL).
 */
void lint_statement(struct lint_ctx *c, const struct stmt *s, const char *body_json);
/* suppress.c: find the file's ssot:ignore comments (f->sups). */
void lint_collect_suppressions(struct lint_file *f);
/*
 * plpgsql.c: whether statement i's body needs pg_query_parse_plpgsql() (a
 * PL/pgSQL DO block, or a PL/pgSQL function whose text passes the keyword
 * prefilter), and that parse, done before the file's statements are walked
 * (it resets libpg_query's current memory context). Returns the JSON
 * (caller frees with pg_query_free_plpgsql_parse_result) or an empty result.
 */
bool lint_body_needs_plpgsql(const struct lint_file *f, size_t i, const struct Node *n);
/* plpgsql.c: walk a DO block's or a function's body; `json` is from the parse above or NULL. */
void lint_plpgsql_body(struct lint_ctx *c, const struct stmt *s, const char *json);

/* ---- cross-file passes ----------------------------------------------------- */

void cross_data_safety(struct lint *l);
void cross_drift_traps(struct lint *l);
void cross_lock_safety(struct lint *l);

/* SQLSTATE of a PL/pgSQL condition name ("duplicate_object" -> "42710"), or NULL. */
const char *condition_sqlstate(const char *name);
/* Condition name of a SQLSTATE, or the SQLSTATE itself. */
const char *sqlstate_condition(const char *code);

#endif
