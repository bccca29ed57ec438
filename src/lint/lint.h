/*
 * lint: static rules over PostgreSQL's raw parse trees, from libpg_query
 * (docs/lint.md).
 *
 * Every rule has a stable kebab-case id named after what it asks for
 * ("create-if-not-exists", "truncate-referenced"), a family, a default
 * severity, a one-line summary and a "why" and "fix" text that become the
 * finding's help. The rule table is static; lint_rules() returns it.
 *
 * A run: lint_new() with options, lint_add_file() for each file (in apply
 * order: phase, then path), lint_run() to load, parse and check them all and
 * add the findings to a diag in file and position order. Files are parsed
 * once each, in parallel (opts.jobs threads); rules that look across files
 * (foreign keys against TRUNCATE, names declared twice, tables created
 * earlier) run afterwards on facts the per-file pass collected.
 *
 * Ownership: a `struct lint` owns its files, their sources and what the
 * rules gathered from them; a file's parse trees live only while the file
 * is checked. The findings it adds point into the sources, so keep the lint
 * alive until the diag has been rendered; lint_free() releases everything.
 */
#ifndef SSOT_LINT_H
#define SSOT_LINT_H

#include "diag.h"
#include "project.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>

enum lint_family {
	LINT_GENERAL,
	LINT_IDEMPOTENCY,
	LINT_TRANSACTIONS,
	LINT_DATA_SAFETY,
	LINT_DRIFT_TRAPS,
	LINT_LOCK_SAFETY,
};

/* Rule ids, in the order --list-rules prints them. */
enum lint_rule_id {
	R_SYNTAX_ERROR,
	R_PSQL_META_COMMAND,
	R_UNUSED_SUPPRESSION,
	R_INVALID_SUPPRESSION,

	R_CREATE_IF_NOT_EXISTS,
	R_CREATE_OR_REPLACE,
	R_UNGUARDED_CREATE,
	R_UNGUARDED_ADD_CONSTRAINT,
	R_UNGUARDED_RENAME,
	R_ADD_COLUMN_IF_NOT_EXISTS,
	R_DROP_IF_EXISTS,
	R_INSERT_ON_CONFLICT,
	R_WRONG_EXCEPTION_CONDITION,
	R_CATCH_ALL_EXCEPTION,

	R_TRANSACTION_CONTROL,
	R_NON_TRANSACTIONAL,
	R_CONCURRENTLY_IN_PLPGSQL,

	R_DML_IN_RUN,
	R_TRUNCATE_REFERENCED,
	R_TRUNCATE_CASCADE,
	R_DESTRUCTIVE_DROP,

	R_CONFLICTING_DEFINITION,
	R_ADD_COLUMN_CONFLICT,
	R_UNQUALIFIED_NAME,

	R_INDEX_NOT_CONCURRENT,
	R_CONSTRAINT_NOT_VALID,
	R_COLUMN_TYPE_CHANGE,
	R_SET_NOT_NULL,
	R_VOLATILE_DEFAULT,
	R_LOCK_TIMEOUT_MISSING,

	R_COUNT
};

/* Rule flags. */
#define LINT_OPT_IN 1u	/* off unless enabled (ssot.conf enable =, --rule) */
#define LINT_ONLINE 2u	/* on with the "online" profile (or when enabled) */

struct lint_rule {
	const char *id;
	enum lint_family family;
	enum severity severity;
	unsigned flags;
	const char *summary;	/* one line */
	const char *why;
	const char *fix;	/* with the idempotent or safe form */
};

/* The rule table: R_COUNT entries indexed by enum lint_rule_id. */
const struct lint_rule *lint_rules(void);
const char *lint_family_name(enum lint_family f);
/* Rule id of `name` (not NUL-terminated, `len` bytes), or -1. */
int lint_rule_lookup(const char *name, size_t len);

enum lint_profile { LINT_PROFILE_DEFAULT, LINT_PROFILE_ONLINE };

struct lint_opts {
	bool enabled[R_COUNT];
	enum lint_profile profile;
	int jobs;		/* worker threads; 0 = one per online CPU */
};

/* Defaults: every rule that is neither opt-in nor online-only. */
void lint_opts_init(struct lint_opts *o);
/* "default" or "online". Returns 0, or -1 with err. */
int lint_opts_set_profile(struct lint_opts *o, const char *profile, struct buf *err);
/*
 * Enable or disable the rules of a comma-separated list ("a, b"). Returns 0,
 * or -1 with err naming the first unknown rule.
 */
int lint_opts_enable(struct lint_opts *o, const char *list, bool on, struct buf *err);
/* Run only the rules of the list (--rule), whatever else says. */
int lint_opts_only(struct lint_opts *o, const char *const *ids, size_t n, struct buf *err);
/*
 * Apply a project's [lint] section (profile, then enable, then disable);
 * `profile_override` (--profile) wins over the file when not NULL.
 */
int lint_opts_configure(struct lint_opts *o, const struct project *p, const char *profile_override,
			struct buf *err);

/*
 * Phase of a file named on the command line: the last directory component
 * that names a phase ("db/seed/x.sql" is seed), *.test.sql and *.spec.sql are
 * tests, anything else is run.
 */
enum phase lint_phase_of_path(const char *path);

struct lint;

struct lint *lint_new(const struct lint_opts *o);
/* Queue a file; both paths are copied. */
void lint_add_file(struct lint *l, const char *display_path, const char *fs_path, enum phase ph);
/*
 * Load, parse and check every queued file; add the findings to `d`. A file
 * that does not parse contributes its syntax-error finding and the others
 * are still checked. Returns 0, or -1 with err when a file cannot be read.
 */
int lint_run(struct lint *l, struct diag *d, struct buf *err);
/* Statements and files checked by lint_run(). */
size_t lint_statement_count(const struct lint *l);
size_t lint_file_count(const struct lint *l);
void lint_free(struct lint *l);

/*
 * A suppression comment, parsed:
 *
 *	-- ssot:ignore rule-a, rule-b  reason ...
 *	-- ssot:ignore-file rule-a
 *	(or the same inside a C-style block comment)
 *
 * `rules` point into the comment text (not NUL-terminated: rule_len).
 */
#define LINT_MAX_SUPPRESSED 16

struct lint_suppression {
	bool whole_file;
	size_t n_rules;
	const char *rules[LINT_MAX_SUPPRESSED];
	size_t rule_len[LINT_MAX_SUPPRESSED];
	const char *reason;	/* rest of the comment, trimmed; may be empty */
	size_t reason_len;
};

/*
 * Parse the comment text `s` (`len` bytes, with its "--" or slash-star
 * opener). Returns 1 for a suppression, 0 when the comment is not one, -1
 * for an ssot:ignore comment that names no rule (or too many).
 */
int lint_parse_suppression(const char *s, size_t len, struct lint_suppression *out);

#endif
