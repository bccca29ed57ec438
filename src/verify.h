/*
 * verify: prove that the files are idempotent by running them.
 *
 * `ssot lint` judges each statement by its shape; verify applies the files
 * to an empty database three times and compares what the database holds:
 *
 *   run 1   prerun + run (+ seed) on the empty database; snapshot 1
 *   run 2   the same files again; every statement that fails is a finding
 *           (verify-second-run-failed); snapshot 2
 *   run 3   once more; a statement that fails now and did not before is
 *           verify-third-run-failed; snapshot 3
 *
 * A snapshot is the catalog model (catalog_load) plus the exact row count
 * of every table and the last_value / is_called of every sequence, read in
 * one query per 1,000 relations built from pg_catalog (identifiers quoted by
 * libpq). Snapshot 1 against 2: every object whose catalog entry changed
 * (verify-not-idempotent, with strict column order), every table whose row
 * count changed (verify-rows-changed), every sequence that moved
 * (verify-sequence-changed). Snapshot 1 against 3: what differs between a
 * fresh build and one applied three times and was not already reported
 * (verify-fresh-differs).
 *
 * Every run is one apply_run() transaction on a fresh connection, with the
 * ledger, exactly as `ssot apply` runs it; the runs read the bytes the first
 * run read (copies in a private temporary directory), so an editor saving a
 * file meanwhile changes nothing. When a statement fails, its transaction
 * rolls back: the statement is recorded, blanked out in the copy (spaces,
 * newlines kept, so every offset stays valid) and the run is applied again,
 * until it commits. So every statement that fails on a re-run is found, not
 * only the first, and the comparisons still see the effect of the others.
 * Rolled-back attempts still advance sequences (nextval is not
 * transactional).
 *
 * Findings point at the statements responsible, found through the parse
 * trees of the files: the declaration of a changed object (diff_locate); for
 * a table whose row count changed, the INSERT / DELETE / MERGE / COPY /
 * TRUNCATE statements writing to it, else the statements inside DO blocks
 * and function bodies (PL/pgSQL or SQL) writing to it (a trigger function
 * that inserts, with the triggers that call it), else INSERT ... ON
 * CONFLICT and UPDATE statements, else DO blocks and functions whose text
 * mentions it, else its CREATE TABLE; for a sequence, the statements naming
 * it in a string constant (nextval('s'), setval('s', ...)) or ALTER
 * SEQUENCE, then bodies doing so, then bodies mentioning it, then the
 * INSERTs into the tables whose default draws from it, then its CREATE.
 * A sequence owned by a column (serial, identity) that moved while its
 * table kept its rows is a note: INSERT ... ON CONFLICT takes a value
 * before it skips the row, a gap in the numbering rather than a change.
 *
 * Ownership: the result owns every apply_result (their parsed files are
 * what the findings point into), so keep it alive until the diag has been
 * rendered; verify_result_release() frees everything and removes the
 * temporary directory.
 */
#ifndef SSOT_VERIFY_H
#define SSOT_VERIFY_H

#include "apply.h"
#include "diag.h"
#include "project.h"
#include "util/buf.h"
#include "util/vec.h"

#include <stdbool.h>

/* Statements that may fail on one re-run before verify stops looking for more. */
#define VERIFY_MAX_FAILURES 50

enum verify_outcome {
	VERIFY_DONE,		/* three runs and the comparisons made: findings (if any) in d */
	VERIFY_FIRST_RUN_FAILED,/* the files do not apply to an empty database: the apply's findings in d */
	VERIFY_GAVE_UP,		/* more than max_failures statements failed on one re-run: those in d */
	VERIFY_ERROR,		/* connection, catalog or file problem: message in err */
	VERIFY_INTERRUPTED,	/* SIGINT: the running apply was cancelled and rolled back */
};

struct verify_opts {
	bool seed;		/* also DIR/seed */
	const char *ledger_schema;
	int wait_ms;		/* advisory lock wait of each apply */
	int max_failures;	/* 0: VERIFY_MAX_FAILURES */
	/* Progress lines ("run 2 of 3: ..."); may be NULL. */
	void (*progress)(void *ctx, const char *msg);
	void *progress_ctx;
};

struct verify_run_stat {
	int attempts;		/* applies the run took: 1 + one per failed statement blanked */
	int failed;		/* statements that failed in this run */
	double apply_ms;	/* all attempts */
	double snapshot_ms;
};

struct verify_result {
	enum verify_outcome outcome;
	int runs;			/* runs that committed */
	int files, statements;		/* applied by run 1 (after-commit statements included) */
	int objects, tables, sequences;	/* in snapshot 1 */
	/* findings by kind (errors; notes not counted) */
	int second_run_failed, third_run_failed, objects_changed, rows_changed, sequences_changed,
	    fresh_differs;
	struct verify_run_stat run[3];
	double compare_ms, ms;

	/* internal: owned */
	VEC(struct apply_result *) applies;	/* every attempt of every run */
	char *tmpdir;				/* copies of the files; removed on release */
	VEC(char *) copies;			/* paths in tmpdir */
};

void verify_result_init(struct verify_result *r);
void verify_result_release(struct verify_result *r);

/*
 * Verify the project's files (already scanned) on the empty database that
 * `conninfo` reaches (one connection per apply and per snapshot). Findings
 * go to `d`. Returns the outcome, also stored in r->outcome; err holds the
 * message of VERIFY_ERROR.
 */
enum verify_outcome verify_run(const char *conninfo, const struct project *p, const struct verify_opts *o,
			       struct diag *d, struct verify_result *r, struct buf *err);

#endif
