/*
 * apply: run the project's files in ONE transaction, with the ledger, the
 * advisory lock, bounded lock waits, retries, SQL tests and error mapping.
 * `ssot apply`, `ssot watch` and `ssot verify` all go through apply_run().
 *
 * Guarantees: every statement of every selected file, and the ledger rows,
 * commit together or not at all. Statements that cannot run in a transaction
 * block run after the commit, one by one, each reported. Files holding
 * BEGIN/COMMIT or psql meta-commands are refused before anything runs.
 */
#ifndef SSOT_APPLY_H
#define SSOT_APPLY_H

#include "diag.h"
#include "project.h"
#include "sqlfile.h"
#include "util/buf.h"
#include "util/vec.h"

#include <libpq-fe.h>
#include <stdbool.h>

enum tests_mode { TESTS_SKIP, TESTS_ALWAYS, TESTS_ONLY };

struct apply_opts {
	bool seed;		/* run DIR/seed */
	bool reset;		/* run DIR/reset first */
	bool dry_run;		/* roll back at the end */
	enum tests_mode tests;
	int lock_timeout_ms;	/* SET lock_timeout; 0 = leave the server's */
	int wait_ms;		/* advisory lock wait */
	int max_retries;	/* whole-transaction retries on lock timeout / deadlock */
	const char *env_name;	/* recorded in the ledger */
	const char *ledger_schema;
	/*
	 * Watch: in run (and seed), skip the files before these paths; NULL runs
	 * every file of the phase. prerun and postrun always run whole.
	 */
	const char *run_from, *seed_from;
	/* Called with progress lines ("waiting for ...", "retrying ..."); may be NULL. */
	void (*progress)(void *ctx, const char *msg);
	void *progress_ctx;
	/*
	 * Dry run only: called inside the rehearsal transaction before the
	 * files run (after = false) and once they ran without error (after =
	 * true), e.g. to read the catalogs for an object-level report. May be
	 * NULL. It must leave the transaction usable; on a retry it is called
	 * again.
	 */
	void (*rehearsal)(void *ctx, PGconn *c, bool after);
	void *rehearsal_ctx;
};

struct apply_notice {
	char *file;		/* path of the statement's file, or NULL */
	int line;
	char *severity;		/* NOTICE, WARNING, INFO, ... */
	char *message;
};

struct apply_nontx {
	char *file;
	int line;
	const char *tag;
	bool ok;
	double ms;
};

struct apply_file_stat {
	const char *path;	/* borrowed from the project */
	enum phase phase;
	int statements;
	double ms;
	bool ran;		/* false: unchanged and before run_from (watch) */
};

enum apply_outcome {
	APPLY_OK,		/* committed (or, for a dry run, rolled back as asked) */
	APPLY_SQL_FAILED,	/* an SQL error or a failing test: rolled back, findings added */
	APPLY_REFUSED,		/* a file was refused before anything ran: findings added */
	APPLY_ERROR,		/* connection, lock or ledger problem: message in err */
	APPLY_INTERRUPTED,	/* SIGINT: cancelled and rolled back */
};

struct apply_result {
	enum apply_outcome outcome;
	int files, statements, skipped_notices, retries;
	int tests_passed, tests_failed;
	double ms;
	long long run_id;	/* ledger id of the committed run, 0 if none */
	VEC(struct apply_file_stat) file_stats;
	VEC(struct apply_notice) notices;
	VEC(struct apply_nontx) nontx;
	VEC(struct sqlfile *) sqlfiles;	/* owned: findings point into their sources */
};

void apply_result_init(struct apply_result *r);
void apply_result_release(struct apply_result *r);

/*
 * Apply the project's files (already scanned) on connection `c`. Findings
 * (SQL errors with file:line:col, failing tests, refused statements) go to
 * `d`. Returns the outcome, also stored in r->outcome.
 */
enum apply_outcome apply_run(PGconn *c, struct project *p, const struct apply_opts *o,
			     struct diag *d, struct apply_result *r, struct buf *err);

/* The advisory lock key of a ledger schema (so all appliers agree). */
long long apply_lock_key(const char *ledger_schema);

/* Ledger: the last committed run and its files, for `ssot status`. */
struct ledger_file {
	char *path, *phase, *sha256;
};
struct ledger_run {
	long long id;
	char *finished_at, *db_user, *os_user, *environment, *tool_version, *files_hash;
	bool seed;
	VEC(struct ledger_file) files;
};
/* Returns 1 and fills run when a run exists, 0 when none (or no ledger), -1 on error. */
int ledger_last_run(PGconn *c, const char *schema, struct ledger_run *run, struct buf *err);
void ledger_run_release(struct ledger_run *run);

#endif
