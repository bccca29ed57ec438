/*
 * conn: everything libpq — choosing the database, connecting, redacting
 * passwords, quoting, timeouts and the polled advisory lock.
 *
 * Precedence (DESIGN.md §3): --db > --env entry of ssot.conf > DATABASE_URL
 * > libpq's own PG* variables / service file > the embedded cluster.
 * Nothing here re-implements libpq's defaults: a target is a conninfo string
 * handed to PQconnectdbParams with expand_dbname, plus
 * fallback_application_name=ssot.
 */
#ifndef SSOT_CONN_H
#define SSOT_CONN_H

#include "util/buf.h"

#include <libpq-fe.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct project;

enum target_source { TARGET_DB_OPTION, TARGET_ENV, TARGET_DATABASE_URL, TARGET_LIBPQ_ENV, TARGET_EMBEDDED };

/* Where a command's database is. Owns its strings (target_release). */
struct target {
	enum target_source source;
	char *conninfo;		/* "" means libpq's defaults (PG* variables) */
	char *env_name;		/* --env NAME, or NULL */
	bool protected_env;
	int lock_timeout_ms;	/* from the env entry or the project; 0 = default */
};

/*
 * Decide the target from the options and the project configuration. Does not
 * connect and does not start the embedded cluster (the caller does, when
 * source is TARGET_EMBEDDED). Returns 0, or -1 with err (unknown env, url_env
 * variable unset, ...) and nothing to release.
 */
int target_resolve(struct target *t, const struct project *p, const char *db_opt,
		   const char *env_opt, struct buf *err);
void target_release(struct target *t);
const char *target_source_name(enum target_source s);

/*
 * Connect. On failure returns NULL and puts libpq's message, with any
 * password scrubbed, in err. Sets fallback_application_name=ssot.
 */
PGconn *conn_open(const char *conninfo, struct buf *err);

/*
 * A printable description of a conninfo or URI with the password removed:
 * "host=db port=5432 dbname=app user=app" (caller frees). Never fails: an
 * unparsable string is described as "(unparsable connection string)".
 */
char *conn_redact(const char *conninfo);
/* "user@host:port/dbname" of a live connection (caller frees). */
char *conn_describe(PGconn *c);
/*
 * Remove every occurrence of the password of `conninfo` (and of
 * PGPASSWORD) from `msg`, in place. Belt and braces for server messages.
 */
void conn_scrub(struct buf *msg, const char *conninfo);

/* Quoted identifier / literal through libpq's escaping (caller frees). */
char *conn_quote_ident(PGconn *c, const char *name);
char *conn_quote_literal(PGconn *c, const char *value);

/* Run a command; returns 0 or -1 with the server's message in err. */
int conn_exec(PGconn *c, const char *sql, struct buf *err);
/* Run a query returning one value; NULL result -> *out = NULL. Caller frees *out. */
int conn_query_value(PGconn *c, const char *sql, char **out, struct buf *err);

/*
 * Take the session advisory lock `key` by polling pg_try_advisory_lock with
 * backoff, up to wait_ms (never a blocking wait). While waiting, `waiting`
 * (may be NULL) is called once with `ctx` and a description of the holder. Returns 0,
 * or -1 with err naming the holder when it timed out. `*interrupted` (may be
 * NULL) is polled to stop early.
 */
int conn_advisory_lock(PGconn *c, int64_t key, int wait_ms,
		       void (*waiting)(void *ctx, const char *holder), void *ctx,
		       volatile sig_atomic_t *interrupted, struct buf *err);
int conn_advisory_unlock(PGconn *c, int64_t key);

/*
 * SIGINT support for every long query. The command layer's handler calls
 * conn_cancel_from_signal(): it sets the interrupted flag and cancels the
 * query of the connection registered with conn_cancel_watch() (PQcancel is
 * async-signal-safe). Only the main thread registers, and worker threads
 * block SIGINT (conn_block_signals), so the handler and the registration
 * never race. conn_cancel_watch returns false when a connection is already
 * registered (an outer caller's) or when called off the main thread; only a
 * true return is undone with conn_cancel_unwatch().
 */
void conn_signals_init(void);
void conn_cancel_from_signal(void);
bool conn_interrupted(void);
volatile sig_atomic_t *conn_interrupt_flag(void);
bool conn_cancel_watch(PGconn *c);
void conn_cancel_unwatch(void);
/*
 * A second connection the handler cancels too (a catalog read's second
 * session), on the same terms; undone with conn_cancel_unwatch_also().
 */
bool conn_cancel_watch_also(PGconn *c);
void conn_cancel_unwatch_also(void);
/* Block SIGINT/SIGTERM in the calling thread (before creating workers); `old` gets the previous mask. */
void conn_block_signals(sigset_t *old);
void conn_restore_signals(const sigset_t *old);

/* Parse "5s", "500ms", "2min", "1h", or a bare number of milliseconds. -1 if invalid. */
int parse_duration_ms(const char *s);

#endif
