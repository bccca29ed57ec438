/*
 * watch: notice when the SQL directory changes, wait until the change has
 * settled, and decide by content which files must run again.
 *
 * Three parts, the last two pure (no I/O, unit-tested):
 *
 *   struct watcher    inotify over the whole tree (new directories are added as
 *                     they appear), or polling (stat, plus a content hash for
 *                     files modified in the last two seconds) when inotify is
 *                     unavailable or asked for. watcher_wait() returns when a
 *                     debounced batch of changes is due.
 *   struct debounce   when a batch is due: after `quiet_ms` without events and
 *                     with no .sql file half written, or at the latest
 *                     `max_ms` after the batch's first event (`write_max_ms`
 *                     while a file is still open for writing).
 *   watch_plan()      snapshots (path, phase, SHA-256) of the last applied and
 *                     the current files -> which files to run.
 *
 * Only names ending in ".sql" that do not start with "." are relevant, as for
 * project_scan(): editor swap, backup and temporary files never start a run.
 */
#ifndef SSOT_WATCH_H
#define SSOT_WATCH_H

#include "project.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/vec.h"

#include <signal.h>
#include <stdbool.h>

/* ---- debounce (pure) ------------------------------------------------- */

struct debounce {
	int quiet_ms;		/* quiet period after the last event */
	int max_ms;		/* bound from the first event of a batch */
	int write_max_ms;	/* bound while a file is still being written */
	long long first_ms;	/* first event of the pending batch; -1: none pending */
	long long last_ms;	/* last event of the pending batch */
};

void debounce_init(struct debounce *d, int quiet_ms, int max_ms, int write_max_ms);
/* An event at `now_ms` (any monotonic millisecond clock). */
void debounce_event(struct debounce *d, long long now_ms);
/*
 * How long to wait before the pending batch is due: -1 when nothing is
 * pending (wait for events), 0 when it is due now, else milliseconds.
 * `writing`: some relevant file was modified and not yet closed.
 */
int debounce_wait(const struct debounce *d, long long now_ms, bool writing);
/* Forget the pending batch (it is being run). */
void debounce_reset(struct debounce *d);
bool debounce_pending(const struct debounce *d);

/* ---- snapshots and the plan (pure) ------------------------------------ */

struct watch_file {
	char *path;		/* as in struct project_file: "db/run/10_a.sql" */
	enum phase phase;
	char sha256[HASH_HEX_LEN + 1];
};

/*
 * The files of a project at one moment. `taken` is false for the empty
 * snapshot that stands for "nothing applied yet". Owns its strings.
 */
struct watch_snapshot {
	bool taken;
	VEC(struct watch_file) files;	/* in project order: phase, then path */
};

void watch_snapshot_init(struct watch_snapshot *s);
void watch_snapshot_release(struct watch_snapshot *s);
/* Copy the files of a scanned project (replaces the previous content). */
void watch_snapshot_take(struct watch_snapshot *s, const struct project *p);
void watch_snapshot_copy(struct watch_snapshot *dst, const struct watch_snapshot *src);
/* Same files with the same content (both taken). */
bool watch_snapshot_equal(const struct watch_snapshot *a, const struct watch_snapshot *b);

/*
 * In struct apply_opts' run_from / seed_from: compares greater than any path,
 * so no file of the phase runs. (0xff never starts a UTF-8 sequence.)
 */
#define WATCH_SKIP_PHASE "\xff"

enum watch_scope {
	WATCH_NOTHING,		/* no relevant change: run nothing */
	WATCH_PARTIAL,		/* run_from / seed_from say where to start */
	WATCH_WHOLE,		/* every file */
};

struct watch_plan {
	enum watch_scope scope;
	/*
	 * For apply_opts: NULL = the whole phase, WATCH_SKIP_PHASE = none of
	 * it, else the first file to run (borrowed from the current snapshot).
	 */
	const char *run_from, *seed_from;
	const char *first_changed;	/* first changed, new or deleted path (borrowed), or NULL */
	int changed;		/* relevant files changed, new or deleted */
	bool deleted;		/* a file disappeared (deleted or renamed) */
};

/*
 * Decide what runs when the files went from `applied` (the state the database
 * last committed; not taken = nothing yet) to `cur`:
 *
 *   nothing applied yet, `all`, a deleted/renamed file, a changed prerun file
 *      -> WATCH_WHOLE (prerun sets up the session every file runs in)
 *   otherwise, some change -> WATCH_PARTIAL: all prerun; in run the first
 *      changed or new file and every file after it; in seed (only `seed`)
 *      likewise; all postrun; the tests
 *   no change -> WATCH_NOTHING
 *
 * Seed files count only with `seed`, test files only with `tests`; reset
 * files never count (watch never runs reset).
 */
void watch_plan(const struct watch_snapshot *applied, const struct watch_snapshot *cur,
		bool all, bool seed, bool tests, struct watch_plan *out);

/* ---- the watcher ------------------------------------------------------ */

struct watch_opts {
	bool poll;		/* polling even when inotify works */
	int quiet_ms;		/* debounce quiet period; -1: the default, 10 */
	int max_ms;		/* debounce bound (default 500) */
	int poll_ms;		/* polling interval (default 100) */
};

struct watch_dir;
struct watch_stat;
struct watch_stats {		/* a VEC(struct watch_stat), named for list_tree() */
	struct watch_stat *v;
	size_t n, cap;
};

struct watcher {
	char *root;		/* absolute path of the SQL directory */
	bool polling;		/* polling (asked for, or inotify unavailable) */
	char *fallback;		/* why inotify is not used, when it was not asked for; or NULL */
	int fd;			/* inotify descriptor, -1 when polling */
	int poll_ms;
	struct debounce deb;
	double first_event_wall;	/* CLOCK_REALTIME seconds of the batch's first event; 0: none */
	bool resync;		/* inotify: re-walk the tree (moved directory, overflow) */
	VEC(struct watch_dir) dirs;	/* inotify: wd -> directory */
	VEC(char *) writing;	/* inotify: "wd/name" of files modified, not yet closed */
	struct watch_stats stats;	/* polling: the last listing, by path */
	long long next_poll_ms;
};

/*
 * Start watching `dir` (absolute). With o->poll, or when inotify cannot be
 * used (w->fallback says why), poll instead. Returns 0, or -1 with err when
 * the directory cannot be read at all.
 */
int watcher_open(struct watcher *w, const char *dir, const struct watch_opts *o, struct buf *err);
/*
 * Block until a debounced batch of changes is due: returns 1. Signals in
 * `sigmask` are unblocked while waiting, as with ppoll(); a signal ends the
 * wait with 0. Returns -1 with err on an unexpected failure. The batch is
 * handed over on return: events that arrive later form the next batch.
 */
int watcher_wait(struct watcher *w, const sigset_t *sigmask, struct buf *err);
void watcher_close(struct watcher *w);

/* CLOCK_REALTIME now, in seconds, and CLOCK_MONOTONIC now, in milliseconds. */
double watch_wall_now(void);
long long watch_mono_ms(void);

#endif
