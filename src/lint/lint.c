/*
 * lint: the rule table, options, and the driver.
 *
 * The driver has three steps. (1) Per file, on worker threads: load and
 * parse the file once (sqlfile), run every family on each statement, and
 * collect facts and suppression comments. (2) On the main thread, in apply
 * order: the cross-file rules over the facts. (3) Per file: drop suppressed
 * findings, report unused suppressions, sort by position, and move the
 * findings into the caller's diag.
 */
#include "lint/pg.h"

#include "lint/rules.h"

#include "util/xalloc.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the rule table -------------------------------------------------------- */

static const struct lint_rule rules[R_COUNT] = {
	[R_SYNTAX_ERROR] = {
		"syntax-error", LINT_GENERAL, SEV_ERROR, 0,
		"the file does not parse",
		"PostgreSQL's own parser (libpg_query) rejects the file, so nothing in it can run.",
		"correct the statement at the caret",
	},
	[R_PSQL_META_COMMAND] = {
		"psql-meta-command", LINT_GENERAL, SEV_ERROR, 0,
		"a psql backslash command in an SQL file",
		"ssot sends plain SQL to the server; \\i, \\set and friends are psql features.",
		"split the file, or use SET / a prerun file instead of \\set",
	},
	[R_UNUSED_SUPPRESSION] = {
		"unused-suppression", LINT_GENERAL, SEV_WARNING, 0,
		"an ssot:ignore comment that suppresses nothing",
		"A suppression that no longer matches a finding hides the next, unrelated one.",
		"remove the comment, or move it to the line before the statement it is meant for",
	},
	[R_INVALID_SUPPRESSION] = {
		"invalid-suppression", LINT_GENERAL, SEV_WARNING, 0,
		"an ssot:ignore comment naming no rule or an unknown rule",
		"A misspelt rule id suppresses nothing.",
		"-- ssot:ignore <rule>[, <rule>] <reason>   (ssot lint --list-rules lists the ids)",
	},

	[R_CREATE_IF_NOT_EXISTS] = {
		"create-if-not-exists", LINT_IDEMPOTENCY, SEV_ERROR, 0,
		"CREATE SCHEMA/TABLE/INDEX/SEQUENCE/MATERIALIZED VIEW/EXTENSION/... without IF NOT EXISTS",
		"The files run on every apply; on the second run the object exists and the statement fails.",
		"CREATE TABLE IF NOT EXISTS t (...);  CREATE INDEX IF NOT EXISTS t_a_idx ON t (a);",
	},
	[R_CREATE_OR_REPLACE] = {
		"create-or-replace", LINT_IDEMPOTENCY, SEV_ERROR, 0,
		"CREATE FUNCTION/PROCEDURE/VIEW/TRIGGER/RULE/AGGREGATE without OR REPLACE",
		"On the second run the object exists and the statement fails; OR REPLACE also applies "
		"an edited body or definition.",
		"CREATE OR REPLACE FUNCTION f() ...;  CREATE OR REPLACE TRIGGER trg ... (PostgreSQL 14+), "
		"or DROP TRIGGER IF EXISTS trg ON t; before CREATE TRIGGER",
	},
	[R_UNGUARDED_CREATE] = {
		"unguarded-create", LINT_IDEMPOTENCY, SEV_ERROR, 0,
		"CREATE TYPE/DOMAIN/POLICY/CAST/ROLE/... (no IF NOT EXISTS form) not guarded",
		"These statements have no IF NOT EXISTS; on the second run they fail with duplicate_object.",
		"DO $$ BEGIN CREATE TYPE mood AS ENUM ('ok'); EXCEPTION WHEN duplicate_object THEN NULL; "
		"END $$;  or, for policies: DROP POLICY IF EXISTS p ON t; CREATE POLICY p ON t ...",
	},
	[R_UNGUARDED_ADD_CONSTRAINT] = {
		"unguarded-add-constraint", LINT_IDEMPOTENCY, SEV_ERROR, 0,
		"ALTER TABLE ... ADD CONSTRAINT not guarded",
		"ADD CONSTRAINT has no IF NOT EXISTS; on the second run it fails (duplicate_object, or "
		"duplicate_table for UNIQUE and PRIMARY KEY).",
		"DO $$ BEGIN ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0); EXCEPTION WHEN "
		"duplicate_object THEN NULL; END $$;  or ALTER TABLE t DROP CONSTRAINT IF EXISTS "
		"t_a_check, ADD CONSTRAINT t_a_check CHECK (a > 0);",
	},
	[R_UNGUARDED_RENAME] = {
		"unguarded-rename", LINT_IDEMPOTENCY, SEV_ERROR, 0,
		"RENAME not guarded",
		"After the first run the old name is gone, so the second run fails.",
		"DO $$ BEGIN ALTER TABLE t RENAME COLUMN a TO b; EXCEPTION WHEN undefined_column THEN "
		"NULL; END $$;  (relations: ALTER TABLE IF EXISTS old RENAME TO new)",
	},
	[R_ADD_COLUMN_IF_NOT_EXISTS] = {
		"add-column-if-not-exists", LINT_IDEMPOTENCY, SEV_ERROR, 0,
		"ALTER TABLE ... ADD COLUMN without IF NOT EXISTS",
		"On the second run the column exists and the statement fails with duplicate_column.",
		"ALTER TABLE t ADD COLUMN IF NOT EXISTS c text;",
	},
	[R_DROP_IF_EXISTS] = {
		"drop-if-exists", LINT_IDEMPOTENCY, SEV_ERROR, 0,
		"DROP ... (or ALTER TABLE ... DROP COLUMN/CONSTRAINT) without IF EXISTS",
		"On the second run the object is already gone and the statement fails.",
		"DROP INDEX IF EXISTS t_a_idx;  ALTER TABLE t DROP COLUMN IF EXISTS c;",
	},
	[R_INSERT_ON_CONFLICT] = {
		"insert-on-conflict", LINT_IDEMPOTENCY, SEV_ERROR, 0,
		"INSERT without ON CONFLICT or WHERE NOT EXISTS",
		"The files run on every apply: a plain INSERT adds the rows again each time, or fails "
		"on a unique key.",
		"INSERT INTO t (id, name) VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET name = "
		"EXCLUDED.name;  or INSERT ... SELECT ... WHERE NOT EXISTS (SELECT 1 FROM t WHERE id = 1);",
	},
	[R_WRONG_EXCEPTION_CONDITION] = {
		"wrong-exception-condition", LINT_IDEMPOTENCY, SEV_ERROR, 0,
		"a DO block guard catches a condition the guarded statement does not raise",
		"The handler never fires: on the second run the statement raises another condition and "
		"the apply fails (CREATE TYPE raises duplicate_object, not duplicate_table).",
		"catch the condition the statement raises: CREATE TYPE/DOMAIN/POLICY/TRIGGER and ADD "
		"CONSTRAINT -> duplicate_object; ADD UNIQUE/PRIMARY KEY -> duplicate_table; ADD COLUMN -> "
		"duplicate_column; CREATE TABLE/INDEX -> duplicate_table",
	},
	[R_CATCH_ALL_EXCEPTION] = {
		"catch-all-exception", LINT_IDEMPOTENCY, SEV_WARNING, 0,
		"a DO block guard catches OTHERS",
		"WHEN OTHERS also swallows real errors (a typo, a missing column, a lock timeout), so a "
		"broken statement passes silently.",
		"catch the one condition a second run raises: EXCEPTION WHEN duplicate_object THEN NULL;",
	},

	[R_TRANSACTION_CONTROL] = {
		"transaction-control", LINT_TRANSACTIONS, SEV_ERROR, 0,
		"BEGIN/COMMIT/ROLLBACK in a file",
		"ssot applies all files in one transaction; a COMMIT inside would end it early and break "
		"all-or-nothing.",
		"remove it: the files already run in one transaction (SAVEPOINT is fine)",
	},
	[R_NON_TRANSACTIONAL] = {
		"non-transactional", LINT_TRANSACTIONS, SEV_NOTE, 0,
		"a statement that cannot run in a transaction block runs after the commit",
		"CREATE INDEX CONCURRENTLY, VACUUM, ALTER SYSTEM, ... cannot run inside the apply "
		"transaction, so ssot runs them one by one after it commits; if one fails, the rest of "
		"the schema is already committed.",
		"make it idempotent (CREATE INDEX CONCURRENTLY IF NOT EXISTS) so a re-run completes it",
	},
	[R_CONCURRENTLY_IN_PLPGSQL] = {
		"concurrently-in-plpgsql", LINT_TRANSACTIONS, SEV_ERROR, 0,
		"CONCURRENTLY (or another non-transactional statement) inside a DO block or function",
		"A DO block or function always runs inside a transaction, where CREATE INDEX "
		"CONCURRENTLY and its kind fail.",
		"move it out of the block: CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);",
	},

	[R_DML_IN_RUN] = {
		"dml-in-run", LINT_DATA_SAFETY, SEV_WARNING, 0,
		"UPDATE/DELETE/MERGE/COPY/TRUNCATE in a run/ file",
		"run/ holds the schema and runs on every apply in every environment; data changes there "
		"repeat each time and have different lock behaviour. Only idempotent reference data "
		"(INSERT ... ON CONFLICT) belongs with the schema.",
		"move it to seed/ (development data), or make it reference data: INSERT ... ON CONFLICT "
		"(key) DO UPDATE SET ...",
	},
	[R_TRUNCATE_REFERENCED] = {
		"truncate-referenced", LINT_DATA_SAFETY, SEV_ERROR, 0,
		"TRUNCATE of a table that a foreign key references",
		"PostgreSQL refuses it (cannot truncate a table referenced in a foreign key constraint); "
		"adding the foreign key breaks every job that truncates, including TRUNCATE in functions.",
		"DELETE FROM t WHERE key NOT IN (SELECT key FROM new_rows); then INSERT ... ON CONFLICT "
		"(key) DO UPDATE SET ...",
	},
	[R_TRUNCATE_CASCADE] = {
		"truncate-cascade", LINT_DATA_SAFETY, SEV_ERROR, 0,
		"TRUNCATE ... CASCADE",
		"CASCADE silently empties every table that references this one, and every table that "
		"references those.",
		"DELETE the rows whose key is gone, then INSERT ... ON CONFLICT (key) DO UPDATE",
	},
	[R_DESTRUCTIVE_DROP] = {
		"destructive-drop", LINT_DATA_SAFETY, SEV_WARNING, 0,
		"DROP TABLE / DROP SCHEMA ... CASCADE / ALTER TABLE ... DROP COLUMN",
		"It destroys data on every database the files are applied to; once the files no longer "
		"declare it, 'ssot plan' writes the reviewed ALTER instead.",
		"remove the object from the files and let 'ssot plan' produce the DROP for review; keep "
		"drops in reset/",
	},

	[R_CONFLICTING_DEFINITION] = {
		"conflicting-definition", LINT_DRIFT_TRAPS, SEV_ERROR, 0,
		"the same index, constraint or object name declared twice with different definitions",
		"With IF NOT EXISTS the second declaration is skipped without a word (or replaces the "
		"first), so the database keeps one definition while a file shows another.",
		"keep one declaration per name; change it in place, or give the new object a new name",
	},
	[R_ADD_COLUMN_CONFLICT] = {
		"add-column-conflict", LINT_DRIFT_TRAPS, SEV_ERROR, 0,
		"ADD COLUMN IF NOT EXISTS with a type other than the CREATE TABLE's column",
		"Whichever runs first wins: a fresh database gets the CREATE TABLE type, an old one the "
		"ADD COLUMN type, and the ADD COLUMN is silently skipped on the fresh one.",
		"declare the column once, with one type; change a type with a reviewed ALTER (ssot plan)",
	},
	[R_UNQUALIFIED_NAME] = {
		"unqualified-name", LINT_DRIFT_TRAPS, SEV_WARNING, LINT_OPT_IN,
		"an unqualified name while more than one schema is in use",
		"Which schema an unqualified name lands in depends on search_path at apply time.",
		"qualify it: CREATE TABLE IF NOT EXISTS app.t (...);",
	},

	[R_INDEX_NOT_CONCURRENT] = {
		"index-not-concurrent", LINT_LOCK_SAFETY, SEV_ERROR, LINT_ONLINE,
		"CREATE INDEX without CONCURRENTLY on a table not created earlier in the files",
		"A plain CREATE INDEX blocks writes to the table for the whole build.",
		"CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_idx ON t (a);  (ssot runs it after the commit)",
	},
	[R_CONSTRAINT_NOT_VALID] = {
		"constraint-not-valid", LINT_LOCK_SAFETY, SEV_ERROR, LINT_ONLINE,
		"ADD CONSTRAINT (FOREIGN KEY, CHECK) without NOT VALID on a table not created earlier",
		"Validating existing rows holds a lock that blocks writes (ACCESS EXCLUSIVE for CHECK, "
		"SHARE ROW EXCLUSIVE on both tables for a foreign key) for the whole scan.",
		"ALTER TABLE t ADD CONSTRAINT c ... NOT VALID; then ALTER TABLE t VALIDATE CONSTRAINT c; "
		"(in its own statement; it takes a weaker lock)",
	},
	[R_COLUMN_TYPE_CHANGE] = {
		"column-type-change", LINT_LOCK_SAFETY, SEV_ERROR, LINT_ONLINE,
		"ALTER COLUMN ... TYPE",
		"Most type changes rewrite the table and its indexes under an ACCESS EXCLUSIVE lock.",
		"add a new column, backfill it in batches, switch readers, then drop the old one",
	},
	[R_SET_NOT_NULL] = {
		"set-not-null", LINT_LOCK_SAFETY, SEV_ERROR, LINT_ONLINE,
		"ALTER COLUMN ... SET NOT NULL",
		"It scans the whole table under an ACCESS EXCLUSIVE lock.",
		"ADD CONSTRAINT c_not_null CHECK (c IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT "
		"c_not_null; then SET NOT NULL (PostgreSQL 12+ uses the check and skips the scan)",
	},
	[R_VOLATILE_DEFAULT] = {
		"volatile-default", LINT_LOCK_SAFETY, SEV_ERROR, LINT_ONLINE,
		"ADD COLUMN with a volatile default (random(), gen_random_uuid(), serial, identity, ...)",
		"A volatile default (unlike a constant or now()) rewrites the whole table under an "
		"ACCESS EXCLUSIVE lock.",
		"ADD COLUMN without the default, set the default, then backfill existing rows in batches",
	},
	[R_LOCK_TIMEOUT_MISSING] = {
		"lock-timeout-missing", LINT_LOCK_SAFETY, SEV_WARNING, LINT_ONLINE,
		"no SET lock_timeout in prerun/ before statements that take strong locks",
		"A DDL statement waiting for its lock blocks every query queued behind it. 'ssot apply' "
		"sets lock_timeout itself (ssot.conf lock_timeout, 5s by default), but the files may "
		"also be run by other tools.",
		"db/prerun/00_session.sql:  SET lock_timeout = '5s';",
	},
};

const struct lint_rule *lint_rules(void)
{
	return rules;
}

const char *lint_family_name(enum lint_family f)
{
	static const char *const names[] = {
		[LINT_GENERAL] = "general",
		[LINT_IDEMPOTENCY] = "idempotency",
		[LINT_TRANSACTIONS] = "transactions",
		[LINT_DATA_SAFETY] = "data-safety",
		[LINT_DRIFT_TRAPS] = "drift-traps",
		[LINT_LOCK_SAFETY] = "lock-safety",
	};
	return names[f];
}

int lint_rule_lookup(const char *name, size_t len)
{
	for (int i = 0; i < R_COUNT; i++)
		if (strlen(rules[i].id) == len && !memcmp(rules[i].id, name, len))
			return i;
	return -1;
}

/* ---- options ----------------------------------------------------------------- */

static void apply_profile(struct lint_opts *o)
{
	for (int i = 0; i < R_COUNT; i++) {
		unsigned fl = rules[i].flags;
		if (fl & LINT_ONLINE)
			o->enabled[i] = o->profile == LINT_PROFILE_ONLINE;
		else
			o->enabled[i] = !(fl & LINT_OPT_IN);
	}
}

void lint_opts_init(struct lint_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->profile = LINT_PROFILE_DEFAULT;
	apply_profile(o);
}

int lint_opts_set_profile(struct lint_opts *o, const char *profile, struct buf *err)
{
	if (!strcmp(profile, "online"))
		o->profile = LINT_PROFILE_ONLINE;
	else if (!strcmp(profile, "default"))
		o->profile = LINT_PROFILE_DEFAULT;
	else {
		buf_printf(err, "unknown lint profile '%s' (expected default or online)", profile);
		return -1;
	}
	apply_profile(o);
	return 0;
}

static bool is_sep(char ch)
{
	return ch == ',' || ch == ' ' || ch == '\t';
}

int lint_opts_enable(struct lint_opts *o, const char *list, bool on, struct buf *err)
{
	const char *p = list;
	while (*p) {
		while (*p && is_sep(*p))
			p++;
		const char *s = p;
		while (*p && !is_sep(*p))
			p++;
		if (p == s)
			break;
		int id = lint_rule_lookup(s, (size_t)(p - s));
		if (id < 0) {
			buf_printf(err, "unknown lint rule '%.*s' (see 'ssot lint --list-rules')", (int)(p - s), s);
			return -1;
		}
		o->enabled[id] = on;
	}
	return 0;
}

int lint_opts_only(struct lint_opts *o, const char *const *ids, size_t n, struct buf *err)
{
	bool want[R_COUNT] = { false };
	for (size_t i = 0; i < n; i++) {
		struct lint_opts tmp;
		memset(&tmp, 0, sizeof(tmp));
		if (lint_opts_enable(&tmp, ids[i], true, err) < 0)
			return -1;
		for (int r = 0; r < R_COUNT; r++)
			want[r] = want[r] || tmp.enabled[r];
	}
	/* Files that do not parse are always reported: nothing else can be checked. */
	want[R_SYNTAX_ERROR] = want[R_PSQL_META_COMMAND] = true;
	memcpy(o->enabled, want, sizeof(want));
	return 0;
}

int lint_opts_configure(struct lint_opts *o, const struct project *p, const char *profile_override,
			struct buf *err)
{
	const char *profile = profile_override ? profile_override : p->lint_profile;
	if (profile && lint_opts_set_profile(o, profile, err) < 0)
		return -1;
	if (p->lint_enable && lint_opts_enable(o, p->lint_enable, true, err) < 0)
		goto conf_error;
	if (p->lint_disable && lint_opts_enable(o, p->lint_disable, false, err) < 0)
		goto conf_error;
	return 0;
conf_error:
	buf_adds(err, " in ssot.conf [lint]");
	return -1;
}

enum phase lint_phase_of_path(const char *path)
{
	size_t n = strlen(path);
	if ((n >= 9 && !strcmp(path + n - 9, ".test.sql")) || (n >= 9 && !strcmp(path + n - 9, ".spec.sql")))
		return PHASE_TESTS;
	static const struct {
		const char *name;
		enum phase ph;
	} dirs[] = {
		{ "prerun", PHASE_PRERUN }, { "run", PHASE_RUN }, { "seed", PHASE_SEED },
		{ "postrun", PHASE_POSTRUN }, { "reset", PHASE_RESET },
	};
	enum phase found = PHASE_RUN;
	const char *s = path;
	for (const char *slash; (slash = strchr(s, '/')) != NULL; s = slash + 1) {
		size_t len = (size_t)(slash - s);
		for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
			if (strlen(dirs[i].name) == len && !memcmp(dirs[i].name, s, len))
				found = dirs[i].ph;
	}
	return found;
}

/* ---- reporting ----------------------------------------------------------------- */

static struct finding *report_v(struct lint *l, struct lint_file *f, enum lint_rule_id r,
				size_t start, size_t end, const char *fmt, va_list ap)
{
	if (!l->opts.enabled[r])
		return NULL;
	struct finding *fi = diag_vadd(&f->d, rules[r].severity, rules[r].id, &f->sql.src, start,
				       end > start ? end : start, fmt, ap);
	/* "why: <why>\nfix: <fix>", into the new finding (which has no help yet) */
	size_t nw = strlen(rules[r].why), nf = strlen(rules[r].fix);
	char *help = xmalloc(5 + nw + 6 + nf + 1);
	memcpy(help, "why: ", 5);
	memcpy(help + 5, rules[r].why, nw);
	memcpy(help + 5 + nw, "\nfix: ", 6);
	memcpy(help + 11 + nw, rules[r].fix, nf + 1);
	fi->help = help;
	return fi;
}

struct finding *lint_report(struct lint_ctx *c, enum lint_rule_id r, size_t start, size_t end,
			    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct finding *fi = report_v(c->l, c->file, r, start, end, fmt, ap);
	va_end(ap);
	return fi;
}

struct finding *lint_report_file(struct lint *l, struct lint_file *f, enum lint_rule_id r,
				 size_t start, size_t end, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct finding *fi = report_v(l, f, r, start, end, fmt, ap);
	va_end(ap);
	return fi;
}

size_t ctx_offset(const struct lint_ctx *c, int32_t location)
{
	if (location < 0 || !c->exact)
		return c->start;
	return c->base + (size_t)location;
}

struct fact *fact_add(struct lint_ctx *c, enum fact_kind kind, const char *name, const char *name2,
		      size_t start)
{
	struct fact fa = { .kind = kind, .name = name, .name2 = name2, .start = start };
	if (c->block == BLOCK_FUNCTION)
		fa.flags |= FACT_IN_FUNCTION;
	VEC_PUSH(&c->file->facts, fa);
	return &c->file->facts.v[c->file->facts.n - 1];
}

/* ---- the per-file pass -------------------------------------------------------- */

void lint_statement(struct lint_ctx *c, const struct stmt *s, const char *body_json)
{
	enum phase ph = c->file->phase;
	check_transactions(c);
	if (ph != PHASE_TESTS) {
		check_idempotency(c);
		check_data_safety(c);
		collect_drift_facts(c);
		check_lock_safety(c);
	}
	if (s && (s->flags & (STMT_DO | STMT_FUNCTION)))
		lint_plpgsql_body(c, s, body_json);
}

/* The parser of sqlfile_load_with(): PostgreSQL's raw parse tree of the whole file. */
struct raw_parse {
	PgQueryInternalParsetreeAndError r;
	VEC(struct sqlfile_parsed) stmts;
};

static int raw_parse(void *ctx, const char *text, struct sqlfile_parse *out)
{
	struct raw_parse *p = ctx;
	p->r = pg_query_raw_parse(text);
	free(p->r.stderr_buffer);
	p->r.stderr_buffer = NULL;
	if (p->r.error) {
		out->cursorpos = p->r.error->cursorpos;
		out->message = p->r.error->message;
		return -1;
	}
	const ListCell *lc;
	foreach(lc, p->r.tree) {
		const RawStmt *raw = lfirst(lc);
		struct sqlfile_parsed s = { .location = raw->stmt_location, .len = raw->stmt_len };
		s.tag = lint_classify(raw->stmt, &s.flags);
		s.as_location = IsA(raw->stmt, DoStmt) ? option_location(((const DoStmt *)raw->stmt)->args, "as")
			      : IsA(raw->stmt, CreateFunctionStmt)
				      ? option_location(((const CreateFunctionStmt *)raw->stmt)->options, "as")
				      : -1;
		VEC_PUSH(&p->stmts, s);
	}
	out->stmts = p->stmts.v;
	out->n = p->stmts.n;
	return 0;
}

/* Delete a file's trees; on the thread that parsed it. */
static void release_trees(struct lint_file *f)
{
	if (f->body_ctx)
		pg_query_exit_memory_context(f->body_ctx);
	if (f->tree_ctx)
		pg_query_exit_memory_context(f->tree_ctx);
	f->body_ctx = f->tree_ctx = NULL;
	f->raw = NULL;
}

static const Node *stmt_node(const struct lint_file *f, size_t i)
{
	return ((const RawStmt *)list_nth(f->raw, (int)i))->stmt;
}

/*
 * The per-file pass, on the calling thread. The file's tree goes into a
 * memory context of its own (f->tree_ctx); the PL/pgSQL parses come next,
 * since each leaves libpg_query's top context current; then the statements
 * inside bodies are parsed into a second context (f->body_ctx) while the
 * statements are checked. Both are deleted at the end, on this thread, and
 * the next file reuses the memory (keeping every tree until the cross-file
 * pass cost a quarter of the run in page faults).
 */
static void lint_one_file(struct lint *l, struct lint_file *f)
{
	diag_init(&f->d);
	f->tree_ctx = pg_query_enter_memory_context();
	struct raw_parse p = { .stmts = VEC_INIT };
	f->load_rc = sqlfile_load_with(&f->sql, f->path, f->fs_path, &f->d, &f->err, raw_parse, &p);
	if (p.r.error)
		pg_query_free_error(p.r.error);
	else
		f->raw = p.r.tree;
	VEC_FREE(&p.stmts);
	if (f->load_rc < 0) {
		release_trees(f);
		return;
	}

	size_t n = f->sql.stmts.n;
	PgQueryPlpgsqlParseResult *bodies = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct stmt *s = &f->sql.stmts.v[i];
		if (!(s->flags & (STMT_DO | STMT_FUNCTION)))
			continue;
		if (!bodies)
			bodies = xcalloc(n, sizeof(*bodies));
		if (lint_body_needs_plpgsql(f, i, stmt_node(f, i))) {
			char *text = xstrndup(f->sql.src.text + s->start, s->len);
			bodies[i] = pg_query_parse_plpgsql(text);
			free(text);
		}
	}
	lint_collect_suppressions(f);
	if (bodies)
		f->body_ctx = pg_query_enter_memory_context();

	for (size_t i = 0; i < n; i++) {
		const struct stmt *s = &f->sql.stmts.v[i];
		struct lint_ctx c = {
			.l = l,
			.file = f,
			.stmt = stmt_node(f, i),
			.sql = f->sql.src.text + s->start,
			.sql_len = s->len,
			.start = s->start,
			.end = s->start + s->len,
			.base = 0,
			.exact = true,
			.top = s,
		};
		const char *json = bodies && !bodies[i].error ? bodies[i].plpgsql_funcs : NULL;
		lint_statement(&c, s, json);
	}
	if (bodies) {
		for (size_t i = 0; i < n; i++)
			pg_query_free_plpgsql_parse_result(bodies[i]);
		free(bodies);
	}
	release_trees(f);
	/* The statements are done with; the facts stay until the cross-file pass: give back the room they grew into. */
	f->statements = n;
	VEC_FREE(&f->sql.stmts);
	if (f->facts.cap > f->facts.n && f->facts.n) {
		f->facts.v = xrealloc(f->facts.v, f->facts.n * sizeof(*f->facts.v));
		f->facts.cap = f->facts.n;
	}
}

struct work {
	struct lint *l;
	atomic_size_t next;
};

/* One worker thread: the shared queue, and the arena its files' fact strings go into. */
struct worker {
	struct work *w;
	struct arena *arena;
};

/*
 * libpg_query's copy of PostgreSQL's check_function_bodies setting (one per
 * thread, as all of its globals are; utils/guc.h, not included here,
 * declares it without the __thread). When on, compiling a DO block parses
 * each SQL statement in it only to check its syntax, and throws the tree
 * away; lint parses those statements itself (lint_inner_sql), so with it off
 * each is parsed once. CREATE FUNCTION bodies are checked regardless.
 */
extern __thread bool check_function_bodies;

static void *worker(void *arg)
{
	struct worker *me = arg;
	struct work *w = me->w;
	check_function_bodies = false;
	for (;;) {
		size_t i = atomic_fetch_add(&w->next, 1);
		if (i >= w->l->files.n)
			break;
		w->l->files.v[i].arena = me->arena;
		lint_one_file(w->l, &w->l->files.v[i]);
	}
	/* libpg_query frees its per-thread top memory context itself when a thread ends. */
	return NULL;
}

static int job_count(const struct lint *l)
{
	long n = l->opts.jobs > 0 ? l->opts.jobs : sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > 32)
		n = 32;
	if ((size_t)n > l->files.n)
		n = (long)l->files.n;
	return (int)n;
}

/*
 * An arena per worker thread rather than per file: a file's fact strings
 * take a few KiB, and a fresh 64 KiB block per file took memory the freed
 * parse trees of the file before would otherwise have been reused for.
 */
static void run_files(struct lint *l)
{
	struct work w = { .l = l };
	atomic_init(&w.next, 0);
	int jobs = job_count(l);
	if (jobs < 1)
		jobs = 1;
	l->arenas = xcalloc((size_t)jobs, sizeof(*l->arenas));
	l->n_arenas = (size_t)jobs;
	struct worker *workers = xcalloc((size_t)jobs, sizeof(*workers));
	for (int i = 0; i < jobs; i++) {
		arena_init_blocks(&l->arenas[i], 1 << 20);
		workers[i] = (struct worker){ &w, &l->arenas[i] };
	}
	if (jobs == 1) {
		worker(&workers[0]);
		free(workers);
		return;
	}
	/* jansson seeds its hash function on first use; do it before the threads race. */
	json_object_seed(0);
	pthread_t *tids = xcalloc((size_t)jobs - 1, sizeof(*tids));
	int started = 0;
	for (int i = 1; i < jobs; i++)
		if (pthread_create(&tids[started], NULL, worker, &workers[i]) == 0)
			started++;
	worker(&workers[0]);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	free(workers);
}

/* ---- suppressions and the final order ------------------------------------------------ */

/* Whether suppression `s` covers a finding of rule `id` at byte `off` on `line`. */
static int sup_match(const struct lint_sup *s, int id, size_t off, int line)
{
	bool where = s->s.whole_file || line == s->line || line == s->line + 1 ||
		     (off >= s->covers_start && off < s->covers_end);
	if (!where)
		return -1;
	for (size_t k = 0; k < s->s.n_rules; k++)
		if (s->rule_ids[k] == id)
			return (int)k;
	return -1;
}

struct order {
	size_t start, index;
};

static int order_cmp(const void *a, const void *b)
{
	const struct order *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static void finish_file(struct lint *l, struct lint_file *f, struct diag *out)
{
	struct diag dropped;
	diag_init(&dropped);

	/* Suppressions first: they may add findings (unused / invalid) of their own. */
	struct diag kept;
	diag_init(&kept);
	for (size_t i = 0; i < f->d.items.n; i++) {
		struct finding *fi = &f->d.items.v[i];
		int id = fi->rule ? lint_rule_lookup(fi->rule, strlen(fi->rule)) : -1;
		bool suppressed = false;
		if (id >= 0 && f->sups.n) {
			int line, col;
			source_linecol(&f->sql.src, fi->start, &line, &col);
			for (size_t k = 0; k < f->sups.n; k++) {
				int m = sup_match(&f->sups.v[k], id, fi->start, line);
				if (m >= 0) {
					f->sups.v[k].used[m] = true;
					suppressed = true;
				}
			}
		}
		VEC_PUSH(suppressed ? &dropped.items : &kept.items, *fi);
	}
	VEC_FREE(&f->d.items);
	f->d = kept;

	for (size_t k = 0; k < f->sups.n; k++) {
		struct lint_sup *s = &f->sups.v[k];
		for (size_t r = 0; r < s->s.n_rules; r++) {
			int id = s->rule_ids[r];
			if (id < 0)
				lint_report_file(l, f, R_INVALID_SUPPRESSION, s->start, s->end,
						 "unknown rule '%.*s' in ssot:ignore", (int)s->s.rule_len[r],
						 s->s.rules[r]);
			else if (!s->used[r] && l->opts.enabled[id])
				lint_report_file(l, f, R_UNUSED_SUPPRESSION, s->start, s->end,
						 "ssot:ignore %s suppresses nothing", rules[id].id);
		}
		if (s->s.n_rules == 0)
			lint_report_file(l, f, R_INVALID_SUPPRESSION, s->start, s->end,
					 "ssot:ignore names no rule");
	}

	size_t n = f->d.items.n;
	struct order *ord = xcalloc(n ? n : 1, sizeof(*ord));
	for (size_t i = 0; i < n; i++)
		ord[i] = (struct order){ f->d.items.v[i].start, i };
	qsort(ord, n, sizeof(*ord), order_cmp);
	VEC_GROW(&out->items, n);
	for (size_t i = 0; i < n; i++)
		out->items.v[out->items.n++] = f->d.items.v[ord[i].index];
	free(ord);
	VEC_FREE(&f->d.items);
	diag_release(&dropped);
}

/* ---- the run ------------------------------------------------------------------------ */

struct lint *lint_new(const struct lint_opts *o)
{
	struct lint *l = xcalloc(1, sizeof(*l));
	l->opts = *o;
	return l;
}

void lint_add_file(struct lint *l, const char *display_path, const char *fs_path, enum phase ph)
{
	struct lint_file f;
	memset(&f, 0, sizeof(f));
	f.path = xstrdup(display_path);
	f.fs_path = xstrdup(fs_path);
	f.phase = ph;
	buf_init(&f.err);
	diag_init(&f.d);
	strmap_init(&f.guards);
	VEC_PUSH(&l->files, f);
}

int lint_run(struct lint *l, struct diag *d, struct buf *err)
{
	if (lint_pg_selfcheck(err) < 0)
		return -1;
	run_files(l);
	for (size_t i = 0; i < l->files.n; i++) {
		struct lint_file *f = &l->files.v[i];
		if (f->load_rc < 0) {
			buf_adds(err, f->err.s);
			return -1;
		}
		l->statements += f->statements;
	}
	cross_data_safety(l);
	cross_drift_traps(l);
	cross_lock_safety(l);
	for (size_t i = 0; i < l->files.n; i++)
		finish_file(l, &l->files.v[i], d);
	return 0;
}

size_t lint_statement_count(const struct lint *l)
{
	return l->statements;
}

size_t lint_file_count(const struct lint *l)
{
	return l->files.n;
}

void lint_free(struct lint *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->files.n; i++) {
		struct lint_file *f = &l->files.v[i];
		sqlfile_release(&f->sql);
		diag_release(&f->d);
		buf_release(&f->err);
		VEC_FREE(&f->facts);
		VEC_FREE(&f->sups);
		strmap_release(&f->guards);
		free(f->path);
		free(f->fs_path);
	}
	VEC_FREE(&l->files);
	for (size_t i = 0; i < l->n_arenas; i++)
		arena_release(&l->arenas[i]);
	free(l->arenas);
	free(l);
}
