/*
 * project: the user's layout (DESIGN.md §4) — phases, file order, hashes,
 * ssot.conf and .env.
 *
 *   ssot.conf          [project] dir, ledger_schema, lock_timeout, wait
 *                      [env "NAME"] url | url_env, protected, lock_timeout
 *                      [lint] disable, enable, profile (raw; src/lint reads them)
 *   DIR/{prerun,run,seed,postrun,reset}/ any depth: *.sql, in path order
 *   DIR/ anywhere: *.test.sql and *.spec.sql are tests
 *
 * The project root is the current directory. A `struct project` owns all its
 * strings and file entries; project_release() frees them.
 */
#ifndef SSOT_PROJECT_H
#define SSOT_PROJECT_H

#include "util/buf.h"
#include "util/hash.h"
#include "util/vec.h"

#include <stdbool.h>

enum phase { PHASE_RESET, PHASE_PRERUN, PHASE_RUN, PHASE_SEED, PHASE_POSTRUN, PHASE_TESTS, PHASE_COUNT };

struct project_env {
	char *name;
	char *url;		/* literal conninfo (discouraged: may hold a password) */
	char *url_env;		/* name of the variable holding the conninfo */
	bool protected_env;
	int lock_timeout_ms;	/* 0 = project default */
};

struct project_file {
	char *path;		/* as shown and recorded: relative to the root, "db/run/10_a.sql" */
	char *fs_path;		/* absolute */
	enum phase phase;
	char sha256[HASH_HEX_LEN + 1];
};

struct project {
	char *root;		/* absolute */
	char *dir;		/* the SQL directory relative to root ("db") */
	char *dir_path;		/* absolute */
	char *ledger_schema;	/* "ssot" */
	int lock_timeout_ms;	/* default 5000 */
	int wait_ms;		/* how long to wait for the advisory lock; default 60000 */
	bool has_conf;
	char *lint_disable;	/* [lint] disable = rule, rule (NULL: not set) */
	char *lint_enable;	/* [lint] enable = rule, rule */
	char *lint_profile;	/* [lint] profile = online */
	VEC(struct project_env) envs;
	VEC(struct project_file) files;	/* by phase, then by path (byte order) */
};

/*
 * Read .env (real environment variables win) and ssot.conf from the current
 * directory. `dir_opt` (--dir) overrides [project] dir. Does not list files.
 * Returns 0 or -1 with err ("ssot.conf:7: unknown key 'x' in [project]").
 */
int project_open(struct project *p, const char *dir_opt, struct buf *err);
/*
 * List the SQL files of every phase and hash them. Returns 0, or -1 with err
 * when the SQL directory is missing or a file cannot be read.
 */
int project_scan(struct project *p, struct buf *err);
/*
 * project_scan() without the hashes (every sha256 is ""): for lint, which
 * reads each file itself and records nothing. Files are not opened, so an
 * unreadable one is the caller's to report.
 */
int project_list(struct project *p, struct buf *err);
void project_release(struct project *p);

const struct project_env *project_find_env(const struct project *p, const char *name);
const char *phase_name(enum phase ph);

/* Load KEY=VALUE lines of a .env file into the environment without overriding. */
int dotenv_load(const char *path, struct buf *err);

#endif
