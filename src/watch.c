#include "watch.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- clocks ----------------------------------------------------------- */

double watch_wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long long watch_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- debounce --------------------------------------------------------- */

void debounce_init(struct debounce *d, int quiet_ms, int max_ms, int write_max_ms)
{
	d->quiet_ms = quiet_ms;
	d->max_ms = max_ms;
	d->write_max_ms = write_max_ms;
	d->first_ms = d->last_ms = -1;
}

void debounce_event(struct debounce *d, long long now_ms)
{
	if (d->first_ms < 0)
		d->first_ms = now_ms;
	d->last_ms = now_ms;
}

bool debounce_pending(const struct debounce *d)
{
	return d->first_ms >= 0;
}

int debounce_wait(const struct debounce *d, long long now_ms, bool writing)
{
	if (d->first_ms < 0)
		return -1;
	long long hard = d->first_ms + (writing ? d->write_max_ms : d->max_ms);
	if (now_ms >= hard)
		return 0;
	if (writing)
		return (int)(hard - now_ms);	/* the close that ends the write is an event too */
	long long soft = d->last_ms + d->quiet_ms;
	if (now_ms >= soft)
		return 0;
	return (int)((soft < hard ? soft : hard) - now_ms);
}

void debounce_reset(struct debounce *d)
{
	d->first_ms = d->last_ms = -1;
}

/* ---- snapshots and the plan ------------------------------------------- */

void watch_snapshot_init(struct watch_snapshot *s)
{
	memset(s, 0, sizeof(*s));
}

void watch_snapshot_release(struct watch_snapshot *s)
{
	for (size_t i = 0; i < s->files.n; i++)
		free(s->files.v[i].path);
	VEC_FREE(&s->files);
	s->taken = false;
}

void watch_snapshot_take(struct watch_snapshot *s, const struct project *p)
{
	watch_snapshot_release(s);
	s->taken = true;
	for (size_t i = 0; i < p->files.n; i++) {
		const struct project_file *pf = &p->files.v[i];
		struct watch_file f = { .path = xstrdup(pf->path), .phase = pf->phase };
		memcpy(f.sha256, pf->sha256, sizeof(f.sha256));
		VEC_PUSH(&s->files, f);
	}
}

void watch_snapshot_copy(struct watch_snapshot *dst, const struct watch_snapshot *src)
{
	watch_snapshot_release(dst);
	dst->taken = src->taken;
	for (size_t i = 0; i < src->files.n; i++) {
		struct watch_file f = src->files.v[i];
		f.path = xstrdup(f.path);
		VEC_PUSH(&dst->files, f);
	}
}

bool watch_snapshot_equal(const struct watch_snapshot *a, const struct watch_snapshot *b)
{
	if (!a->taken || !b->taken || a->files.n != b->files.n)
		return false;
	for (size_t i = 0; i < a->files.n; i++) {
		const struct watch_file *x = &a->files.v[i], *y = &b->files.v[i];
		if (x->phase != y->phase || strcmp(x->path, y->path) || strcmp(x->sha256, y->sha256))
			return false;
	}
	return true;
}

static int file_ptr_cmp(const void *a, const void *b)
{
	const struct watch_file *const *x = a, *const *y = b;
	return strcmp((*x)->path, (*y)->path);
}

/* Pointers to the files of s, sorted by path (caller frees the array). */
static const struct watch_file **by_path(const struct watch_snapshot *s)
{
	const struct watch_file **v = xmalloc((s->files.n + 1) * sizeof(*v));
	for (size_t i = 0; i < s->files.n; i++)
		v[i] = &s->files.v[i];
	qsort(v, s->files.n, sizeof(*v), file_ptr_cmp);
	return v;
}

static bool phase_counts(enum phase ph, bool seed, bool tests)
{
	switch (ph) {
	case PHASE_PRERUN:
	case PHASE_RUN:
	case PHASE_POSTRUN:
		return true;
	case PHASE_SEED:
		return seed;
	case PHASE_TESTS:
		return tests;
	default:
		return false;
	}
}

/* Keep the change that comes first in project order (phase, then path). */
static void note_first(const struct watch_file **first, const struct watch_file *f)
{
	if (!*first || f->phase < (*first)->phase ||
	    (f->phase == (*first)->phase && strcmp(f->path, (*first)->path) < 0))
		*first = f;
}

void watch_plan(const struct watch_snapshot *applied, const struct watch_snapshot *cur,
		bool all, bool seed, bool tests, struct watch_plan *out)
{
	memset(out, 0, sizeof(*out));
	const struct watch_file **a = by_path(applied), **c = by_path(cur);
	const struct watch_file *first[PHASE_COUNT] = { NULL };
	const struct watch_file *first_any = NULL;
	size_t i = 0, j = 0;

	/* Merge the two path-sorted lists: deleted, new and changed files. */
	while (i < applied->files.n || j < cur->files.n) {
		int cmp = i == applied->files.n ? 1 : j == cur->files.n ? -1 : strcmp(a[i]->path, c[j]->path);
		if (cmp < 0) {
			if (phase_counts(a[i]->phase, seed, tests)) {
				/* a deleted test only changes which tests run */
				if (a[i]->phase != PHASE_TESTS)
					out->deleted = true;
				out->changed++;
				note_first(&first_any, a[i]);
			}
			i++;
			continue;
		}
		/* a path's phase follows from the path, so equal paths have equal phases */
		const struct watch_file *now = c[j];
		bool differs = cmp > 0 || strcmp(a[i]->sha256, now->sha256);
		if (differs && phase_counts(now->phase, seed, tests)) {
			out->changed++;
			note_first(&first[now->phase], now);
			note_first(&first_any, now);
		}
		if (cmp == 0)
			i++;
		j++;
	}
	free(a);
	free(c);

	out->first_changed = first_any ? first_any->path : NULL;
	if (!applied->taken) {
		out->scope = WATCH_WHOLE;
		return;
	}
	if (!out->changed) {
		out->scope = WATCH_NOTHING;
		return;
	}
	if (all || out->deleted || first[PHASE_PRERUN]) {
		out->scope = WATCH_WHOLE;
		return;
	}
	out->scope = WATCH_PARTIAL;
	out->run_from = first[PHASE_RUN] ? first[PHASE_RUN]->path : WATCH_SKIP_PHASE;
	out->seed_from = first[PHASE_SEED] ? first[PHASE_SEED]->path : WATCH_SKIP_PHASE;
}

/* ---- the watcher: common ---------------------------------------------- */

struct watch_dir {
	int wd;
	char *path;		/* absolute */
};

struct watch_stat {
	char *rel;		/* relative to the root */
	bool dir;
	off_t size;
	ino_t ino;
	struct timespec mtime, ctime;
	bool hashed;		/* modified recently: compared by content too */
	char sha256[HASH_HEX_LEN + 1];
};

/* A file name whose changes matter: "*.sql", not hidden (as project_scan). */
static bool relevant_name(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n > 4 && !strcmp(name + n - 4, ".sql");
}

static void batch_event(struct watcher *w)
{
	if (!debounce_pending(&w->deb))
		w->first_event_wall = watch_wall_now();
	debounce_event(&w->deb, watch_mono_ms());
}

/* ---- the watcher: inotify --------------------------------------------- */

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_MODIFY | \
		    IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)

static struct watch_dir *dir_of(struct watcher *w, int wd)
{
	for (size_t i = 0; i < w->dirs.n; i++)
		if (w->dirs.v[i].wd == wd)
			return &w->dirs.v[i];
	return NULL;
}

static void forget_dir(struct watcher *w, int wd)
{
	for (size_t i = 0; i < w->dirs.n; i++)
		if (w->dirs.v[i].wd == wd) {
			free(w->dirs.v[i].path);
			w->dirs.v[i] = w->dirs.v[--w->dirs.n];
			return;
		}
}

static void clear_writing(struct watcher *w)
{
	for (size_t i = 0; i < w->writing.n; i++)
		free(w->writing.v[i]);
	w->writing.n = 0;
}

/* Whether "wd/name" is in the set of files being written; removes it when `drop`. */
static bool writing_has(struct watcher *w, const char *key, bool drop)
{
	for (size_t i = 0; i < w->writing.n; i++)
		if (!strcmp(w->writing.v[i], key)) {
			if (drop) {
				free(w->writing.v[i]);
				w->writing.v[i] = w->writing.v[--w->writing.n];
			}
			return true;
		}
	return false;
}

/*
 * Watch `path` and every directory below it (hidden ones excepted, as in
 * project_scan). A directory already watched (a symlink loop, a second walk)
 * is not walked again. Returns 0, or -1 with err when a watch cannot be added
 * (out of inotify watches, typically).
 */
static int add_tree(struct watcher *w, const char *path, struct buf *err)
{
	int wd = inotify_add_watch(w->fd, path, WATCH_MASK);
	if (wd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;	/* gone again, or not a directory: nothing to watch */
		buf_printf(err, "inotify_add_watch %s: %s", path, strerror(errno));
		return -1;
	}
	struct watch_dir *known = dir_of(w, wd);
	if (known) {
		if (strcmp(known->path, path)) {
			free(known->path);
			known->path = xstrdup(path);
		}
		return 0;
	}
	struct watch_dir d = { .wd = wd, .path = xstrdup(path) };
	VEC_PUSH(&w->dirs, d);

	DIR *dp = opendir(path);
	if (!dp)
		return 0;	/* removed meanwhile: its IN_IGNORED will follow */
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *child = xasprintf("%s/%s", path, de->d_name);
		struct stat st;
		if ((de->d_type == DT_DIR || de->d_type == DT_LNK || de->d_type == DT_UNKNOWN) &&
		    stat(child, &st) == 0 && S_ISDIR(st.st_mode))
			rc = add_tree(w, child, err);
		free(child);
	}
	closedir(dp);
	return rc;
}

static void remove_all_watches(struct watcher *w)
{
	for (size_t i = 0; i < w->dirs.n; i++) {
		inotify_rm_watch(w->fd, w->dirs.v[i].wd);
		free(w->dirs.v[i].path);
	}
	w->dirs.n = 0;
}

/* Inotify failed at run time: continue by polling. */
static void poll_stats(struct watcher *w);
static void switch_to_polling(struct watcher *w, const char *why)
{
	remove_all_watches(w);
	clear_writing(w);
	close(w->fd);
	w->fd = -1;
	w->polling = true;
	free(w->fallback);
	w->fallback = xstrdup(why);
	if (w->deb.quiet_ms < w->poll_ms)
		w->deb.quiet_ms = w->poll_ms;
	poll_stats(w);
	w->next_poll_ms = watch_mono_ms() + w->poll_ms;
	batch_event(w);		/* changes may have been missed meanwhile */
}

/*
 * Re-walk the whole tree after a directory was moved or the event queue
 * overflowed: paths of existing watches may be stale. Events lost meanwhile
 * do not matter: the batch rescans every file's content.
 */
static void resync(struct watcher *w)
{
	struct buf err = BUF_INIT;
	remove_all_watches(w);
	clear_writing(w);
	w->resync = false;
	struct stat st;
	if (stat(w->root, &st) < 0 || !S_ISDIR(st.st_mode))
		w->resync = true;	/* the SQL directory is gone; try again later */
	else if (add_tree(w, w->root, &err) < 0)
		switch_to_polling(w, err.s);
	buf_release(&err);
}

static void handle_event(struct watcher *w, const struct inotify_event *ev)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		w->resync = true;
		batch_event(w);
		return;
	}
	struct watch_dir *d = dir_of(w, ev->wd);
	if (ev->mask & IN_IGNORED) {
		bool root = d && !strcmp(d->path, w->root);
		forget_dir(w, ev->wd);
		if (root) {
			w->resync = true;
			batch_event(w);
		}
		return;
	}
	if (!d)
		return;		/* a watch removed by a resync */
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		if (!strcmp(d->path, w->root)) {
			w->resync = true;
			batch_event(w);
		}
		return;
	}
	const char *name = ev->len ? ev->name : "";
	if (ev->mask & IN_ISDIR) {
		if (name[0] == '.' || !name[0])
			return;
		if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
			struct buf err = BUF_INIT;
			char *path = xasprintf("%s/%s", d->path, name);
			if (add_tree(w, path, &err) < 0)
				switch_to_polling(w, err.s);
			free(path);
			buf_release(&err);
		}
		if (ev->mask & IN_MOVED_FROM)
			w->resync = true;
		if (ev->mask & (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE))
			batch_event(w);
		return;
	}
	if (!relevant_name(name))
		return;
	char key[32 + NAME_MAX + 1];
	snprintf(key, sizeof(key), "%d/%s", ev->wd, name);
	if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)) {
		writing_has(w, key, true);
		batch_event(w);
		return;
	}
	if (ev->mask & (IN_MODIFY | IN_CREATE)) {
		if (ev->mask & IN_CREATE) {
			/* link() and symlink() create without a write to wait for */
			char *path = xasprintf("%s/%s", d->path, name);
			struct stat st;
			bool written = lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1;
			free(path);
			if (!written) {
				batch_event(w);
				return;
			}
		}
		if (!writing_has(w, key, false))
			VEC_PUSH(&w->writing, xstrdup(key));
		batch_event(w);
	}
}

/* Read every queued event. Returns 0, or -1 with err. */
static int read_events(struct watcher *w, struct buf *err)
{
	_Alignas(struct inotify_event) char buf[65536];
	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			buf_printf(err, "reading inotify events: %s", strerror(errno));
			return -1;
		}
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			handle_event(w, ev);
			if (w->polling)
				return 0;	/* inotify was given up while handling */
			p += sizeof(struct inotify_event) + ev->len;
		}
	}
}

/* ---- the watcher: polling --------------------------------------------- */

static void stats_free(struct watcher *w)
{
	for (size_t i = 0; i < w->stats.n; i++)
		free(w->stats.v[i].rel);
	w->stats.n = 0;
}

static int stat_cmp(const void *a, const void *b)
{
	const struct watch_stat *x = a, *y = b;
	return strcmp(x->rel, y->rel);
}

static void hash_path(const char *path, char out[HASH_HEX_LEN + 1])
{
	FILE *fp = fopen(path, "rb");
	struct hash_ctx h;
	char chunk[16384];
	size_t n;
	hash_init(&h);
	if (fp) {
		while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
			hash_update(&h, chunk, n);
		fclose(fp);
	}
	hash_final(&h, out);
}

/*
 * List the tree: directories and relevant files with their stat signature.
 * A file modified in the last two seconds is hashed as well, since a
 * rewrite within one timestamp tick that keeps the size leaves stat alone
 * (git's "racily clean" entries).
 */
static void list_tree(const char *root, const char *rel, time_t now, int depth, struct watch_stats *out)
{
	char *abs = *rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *dp = opendir(abs);
	if (!dp || depth > 64) {
		if (dp)
			closedir(dp);
		free(abs);
		return;
	}
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *child_rel = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		char *child = xasprintf("%s/%s", abs, de->d_name);
		struct stat st;
		if (stat(child, &st) == 0 && (S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && relevant_name(de->d_name)))) {
			struct watch_stat s = {
				.rel = child_rel,
				.dir = S_ISDIR(st.st_mode),
				.size = st.st_size,
				.ino = st.st_ino,
				.mtime = st.st_mtim,
				.ctime = st.st_ctim,
			};
			if (!s.dir && now - st.st_mtim.tv_sec <= 2) {
				hash_path(child, s.sha256);
				s.hashed = true;
			}
			VEC_PUSH(out, s);
			if (s.dir)
				list_tree(root, child_rel, now, depth + 1, out);
			child_rel = NULL;
		}
		free(child_rel);
		free(child);
	}
	closedir(dp);
	free(abs);
}

static bool stat_differs(const struct watch_stat *a, const struct watch_stat *b)
{
	if (a->dir != b->dir)
		return true;
	if (a->dir)
		return false;	/* a directory's own times change with every file in it */
	if (a->size != b->size || a->ino != b->ino || a->mtime.tv_sec != b->mtime.tv_sec ||
	    a->mtime.tv_nsec != b->mtime.tv_nsec || a->ctime.tv_sec != b->ctime.tv_sec ||
	    a->ctime.tv_nsec != b->ctime.tv_nsec)
		return true;
	return a->hashed && b->hashed && strcmp(a->sha256, b->sha256);
}

/* One poll: list the tree, compare with the last listing, count a change as an event. */
static void poll_stats(struct watcher *w)
{
	struct watch_stats now = VEC_INIT;
	list_tree(w->root, "", time(NULL), 0, &now);
	qsort(now.v, now.n, sizeof(*now.v), stat_cmp);
	bool changed = now.n != w->stats.n;
	for (size_t i = 0; !changed && i < now.n; i++)
		changed = strcmp(now.v[i].rel, w->stats.v[i].rel) || stat_differs(&now.v[i], &w->stats.v[i]);
	stats_free(w);
	VEC_FREE(&w->stats);
	w->stats = now;
	if (changed)
		batch_event(w);
}

/* ---- the watcher: open, wait, close ----------------------------------- */

int watcher_open(struct watcher *w, const char *dir, const struct watch_opts *o, struct buf *err)
{
	memset(w, 0, sizeof(*w));
	w->root = xstrdup(dir);
	w->fd = -1;
	w->poll_ms = o->poll_ms > 0 ? o->poll_ms : 100;
	debounce_init(&w->deb, o->quiet_ms >= 0 ? o->quiet_ms : 10, o->max_ms > 0 ? o->max_ms : 500, 2000);

	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		buf_printf(err, "cannot watch %s: %s", dir, errno ? strerror(errno) : "not a directory");
		free(w->root);
		w->root = NULL;
		return -1;
	}
	if (!o->poll) {
		w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (w->fd < 0) {
			w->fallback = xasprintf("inotify is unavailable: %s", strerror(errno));
		} else {
			struct buf aerr = BUF_INIT;
			if (add_tree(w, w->root, &aerr) < 0) {
				w->fallback = buf_detach(&aerr);
				remove_all_watches(w);
				close(w->fd);
				w->fd = -1;
			}
			buf_release(&aerr);
		}
	}
	if (w->fd < 0) {
		w->polling = true;
		if (w->deb.quiet_ms < w->poll_ms)
			w->deb.quiet_ms = w->poll_ms;
		poll_stats(w);
		w->next_poll_ms = watch_mono_ms() + w->poll_ms;
	}
	return 0;
}

int watcher_wait(struct watcher *w, const sigset_t *sigmask, struct buf *err)
{
	for (;;) {
		long long now = watch_mono_ms();
		if (w->polling && now >= w->next_poll_ms) {
			poll_stats(w);
			now = watch_mono_ms();
			w->next_poll_ms = now + w->poll_ms;
		}
		if (!w->polling && w->resync)
			resync(w);
		int wait = debounce_wait(&w->deb, now, w->writing.n > 0);
		if (wait == 0) {
			debounce_reset(&w->deb);
			return 1;
		}
		if (w->polling) {
			int until_poll = (int)(w->next_poll_ms - now);
			if (wait < 0 || until_poll < wait)
				wait = until_poll;
		} else if (w->resync && (wait < 0 || wait > 500)) {
			wait = 500;	/* the SQL directory is gone: look again soon */
		}
		struct timespec ts, *tsp = NULL;
		if (wait >= 0) {
			ts.tv_sec = wait / 1000;
			ts.tv_nsec = (long)(wait % 1000) * 1000000L;
			tsp = &ts;
		}
		struct pollfd pfd = { .fd = w->fd, .events = POLLIN };
		int r = ppoll(&pfd, w->polling ? 0 : 1, tsp, sigmask);
		if (r < 0) {
			if (errno == EINTR)
				return 0;
			buf_printf(err, "waiting for changes: %s", strerror(errno));
			return -1;
		}
		if (r > 0 && !w->polling && read_events(w, err) < 0)
			return -1;
	}
}

void watcher_close(struct watcher *w)
{
	if (w->fd >= 0) {
		remove_all_watches(w);
		close(w->fd);
	}
	for (size_t i = 0; i < w->dirs.n; i++)
		free(w->dirs.v[i].path);
	VEC_FREE(&w->dirs);
	clear_writing(w);
	VEC_FREE(&w->writing);
	stats_free(w);
	VEC_FREE(&w->stats);
	free(w->root);
	free(w->fallback);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}
