/*
 * Unit tests for watch: the debounce (when a burst of events is due), the
 * plan (which files run after a change, decided by content hashes), and the
 * watcher itself on a temporary directory (inotify and polling) for the
 * cases that need no database.
 */
#include "watch.h"
#include "util/hash.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- debounce -------------------------------------------------------- */

static void test_debounce_idle(void **state)
{
	(void)state;
	struct debounce d;
	debounce_init(&d, 10, 500, 2000);
	assert_false(debounce_pending(&d));
	assert_int_equal(debounce_wait(&d, 12345, false), -1);
	assert_int_equal(debounce_wait(&d, 12345, true), -1);
}

static void test_debounce_quiet_period(void **state)
{
	(void)state;
	struct debounce d;
	debounce_init(&d, 10, 500, 2000);
	debounce_event(&d, 1000);
	assert_true(debounce_pending(&d));
	assert_int_equal(debounce_wait(&d, 1000, false), 10);
	assert_int_equal(debounce_wait(&d, 1004, false), 6);
	/* a second event restarts the quiet period */
	debounce_event(&d, 1008);
	assert_int_equal(debounce_wait(&d, 1010, false), 8);
	assert_int_equal(debounce_wait(&d, 1018, false), 0);
	debounce_reset(&d);
	assert_false(debounce_pending(&d));
	assert_int_equal(debounce_wait(&d, 1018, false), -1);
}

static void test_debounce_bounded(void **state)
{
	(void)state;
	struct debounce d;
	debounce_init(&d, 10, 500, 2000);
	/* a save every 5 ms never leaves 10 ms of quiet: due 500 ms after the first */
	long long t;
	for (t = 0; t < 500; t += 5) {
		debounce_event(&d, t);
		assert_true(debounce_wait(&d, t, false) > 0);
	}
	assert_int_equal(debounce_wait(&d, 495, false), 5);
	assert_int_equal(debounce_wait(&d, 500, false), 0);
}

static void test_debounce_waits_for_writes(void **state)
{
	(void)state;
	struct debounce d;
	debounce_init(&d, 10, 500, 2000);
	debounce_event(&d, 0);
	/* a file still open for writing: no quiet period, only the write bound */
	assert_int_equal(debounce_wait(&d, 20, true), 1980);
	assert_int_equal(debounce_wait(&d, 600, true), 1400);
	assert_int_equal(debounce_wait(&d, 2000, true), 0);
	/* closed: the usual rules (long quiet by now, so due at once) */
	assert_int_equal(debounce_wait(&d, 20, false), 0);
}

static void test_debounce_zero_quiet(void **state)
{
	(void)state;
	struct debounce d;
	debounce_init(&d, 0, 500, 2000);
	debounce_event(&d, 7);
	assert_int_equal(debounce_wait(&d, 7, false), 0);
}

/* ---- snapshots and the plan ------------------------------------------- */

/* A snapshot from "phase:path:content" triples (content stands for the hash). */
static void snap(struct watch_snapshot *s, const char *const *spec)
{
	watch_snapshot_release(s);
	s->taken = true;
	for (; *spec; spec += 3) {
		struct watch_file f = { .path = strdup(spec[1]) };
		static const char *const names[] = { "reset", "prerun", "run", "seed", "postrun", "tests" };
		for (int ph = 0; ph < PHASE_COUNT; ph++)
			if (!strcmp(names[ph], spec[0]))
				f.phase = (enum phase)ph;
		hash_sha256_hex(spec[2], strlen(spec[2]), f.sha256);
		VEC_PUSH(&s->files, f);
	}
}

#define FIVE(c3, c5)                                         \
	"prerun", "db/prerun/00_set.sql", "set",             \
	"run", "db/run/10_a.sql", "a",                       \
	"run", "db/run/20_b.sql", "b",                       \
	"run", "db/run/30_c.sql", c3,                        \
	"run", "db/run/40_d.sql", "d",                       \
	"run", "db/run/50_e.sql", c5,                        \
	"seed", "db/seed/10_a.sql", "seed a",                \
	"seed", "db/seed/20_b.sql", "seed b",                \
	"postrun", "db/postrun/90_check.sql", "check",       \
	"reset", "db/reset/00_drop.sql", "drop",             \
	"tests", "db/tests/a.test.sql", "test a"

static void test_plan_first_cycle_runs_everything(void **state)
{
	(void)state;
	struct watch_snapshot none, cur;
	struct watch_plan p;
	const char *const c[] = { FIVE("c", "e"), NULL };
	watch_snapshot_init(&none);
	watch_snapshot_init(&cur);
	snap(&cur, c);
	watch_plan(&none, &cur, false, false, true, &p);
	assert_int_equal(p.scope, WATCH_WHOLE);
	assert_null(p.run_from);
	assert_null(p.seed_from);
	watch_snapshot_release(&cur);
}

static void test_plan_same_bytes_run_nothing(void **state)
{
	(void)state;
	struct watch_snapshot a, b;
	struct watch_plan p;
	const char *const c[] = { FIVE("c", "e"), NULL };
	watch_snapshot_init(&a);
	watch_snapshot_init(&b);
	snap(&a, c);
	snap(&b, c);
	assert_true(watch_snapshot_equal(&a, &b));
	watch_plan(&a, &b, false, true, true, &p);
	assert_int_equal(p.scope, WATCH_NOTHING);
	assert_int_equal(p.changed, 0);
	assert_null(p.first_changed);
	/* --all runs everything only when something changed */
	watch_plan(&a, &b, true, true, true, &p);
	assert_int_equal(p.scope, WATCH_NOTHING);
	watch_snapshot_release(&a);
	watch_snapshot_release(&b);
}

static void test_plan_file_3_of_5(void **state)
{
	(void)state;
	struct watch_snapshot a, b;
	struct watch_plan p;
	const char *const old[] = { FIVE("c", "e"), NULL };
	const char *const now[] = { FIVE("c changed", "e"), NULL };
	watch_snapshot_init(&a);
	watch_snapshot_init(&b);
	snap(&a, old);
	snap(&b, now);
	assert_false(watch_snapshot_equal(&a, &b));
	watch_plan(&a, &b, false, false, true, &p);
	assert_int_equal(p.scope, WATCH_PARTIAL);
	assert_string_equal(p.run_from, "db/run/30_c.sql");
	assert_string_equal(p.seed_from, WATCH_SKIP_PHASE);
	assert_string_equal(p.first_changed, "db/run/30_c.sql");
	assert_int_equal(p.changed, 1);
	assert_false(p.deleted);
	/* the skip marker sorts after every path */
	assert_true(strcmp("db/seed/99_\xef\xbf\xbf.sql", WATCH_SKIP_PHASE) < 0);

	/* --all: everything */
	watch_plan(&a, &b, true, false, true, &p);
	assert_int_equal(p.scope, WATCH_WHOLE);
	assert_null(p.run_from);
	watch_snapshot_release(&a);
	watch_snapshot_release(&b);
}

static void test_plan_first_of_several_changes(void **state)
{
	(void)state;
	struct watch_snapshot a, b;
	struct watch_plan p;
	const char *const old[] = { FIVE("c", "e"), NULL };
	const char *const now[] = { FIVE("c2", "e2"), NULL };
	watch_snapshot_init(&a);
	watch_snapshot_init(&b);
	snap(&a, old);
	snap(&b, now);
	watch_plan(&a, &b, false, false, true, &p);
	assert_int_equal(p.scope, WATCH_PARTIAL);
	assert_string_equal(p.run_from, "db/run/30_c.sql");
	assert_int_equal(p.changed, 2);
	watch_snapshot_release(&a);
	watch_snapshot_release(&b);
}

static void test_plan_new_file(void **state)
{
	(void)state;
	struct watch_snapshot a, b;
	struct watch_plan p;
	const char *const old[] = { FIVE("c", "e"), NULL };
	const char *const now[] = { FIVE("c", "e"), "run", "db/run/45_new.sql", "new", NULL };
	watch_snapshot_init(&a);
	watch_snapshot_init(&b);
	snap(&a, old);
	snap(&b, now);
	watch_plan(&a, &b, false, false, true, &p);
	assert_int_equal(p.scope, WATCH_PARTIAL);
	assert_string_equal(p.run_from, "db/run/45_new.sql");
	assert_false(p.deleted);
	watch_snapshot_release(&a);
	watch_snapshot_release(&b);
}

static void test_plan_deleted_or_renamed_runs_everything(void **state)
{
	(void)state;
	struct watch_snapshot a, b;
	struct watch_plan p;
	const char *const old[] = { FIVE("c", "e"), NULL };
	const char *const renamed[] = {
		"prerun", "db/prerun/00_set.sql", "set",
		"run", "db/run/10_a.sql", "a",
		"run", "db/run/20_b.sql", "b",
		"run", "db/run/35_c.sql", "c",	/* 30_c renamed */
		"run", "db/run/40_d.sql", "d",
		"run", "db/run/50_e.sql", "e",
		"seed", "db/seed/10_a.sql", "seed a",
		"seed", "db/seed/20_b.sql", "seed b",
		"postrun", "db/postrun/90_check.sql", "check",
		"reset", "db/reset/00_drop.sql", "drop",
		"tests", "db/tests/a.test.sql", "test a",
		NULL
	};
	watch_snapshot_init(&a);
	watch_snapshot_init(&b);
	snap(&a, old);
	snap(&b, renamed);
	watch_plan(&a, &b, false, true, true, &p);
	assert_int_equal(p.scope, WATCH_WHOLE);
	assert_true(p.deleted);
	assert_int_equal(p.changed, 2);
	assert_null(p.run_from);
	assert_null(p.seed_from);
	watch_snapshot_release(&a);
	watch_snapshot_release(&b);
}

static void test_plan_phases(void **state)
{
	(void)state;
	struct watch_snapshot a, b;
	struct watch_plan p;
	watch_snapshot_init(&a);
	watch_snapshot_init(&b);
	const char *const old[] = { FIVE("c", "e"), NULL };
	snap(&a, old);

	/* prerun sets up the session of every file: everything runs */
	const char *const prerun[] = {
		"prerun", "db/prerun/00_set.sql", "set search_path",
		"run", "db/run/10_a.sql", "a", "run", "db/run/20_b.sql", "b", "run", "db/run/30_c.sql", "c",
		"run", "db/run/40_d.sql", "d", "run", "db/run/50_e.sql", "e",
		"seed", "db/seed/10_a.sql", "seed a", "seed", "db/seed/20_b.sql", "seed b",
		"postrun", "db/postrun/90_check.sql", "check", "reset", "db/reset/00_drop.sql", "drop",
		"tests", "db/tests/a.test.sql", "test a", NULL
	};
	snap(&b, prerun);
	watch_plan(&a, &b, false, false, true, &p);
	assert_int_equal(p.scope, WATCH_WHOLE);

	/* postrun only: prerun and postrun (always whole), no run file */
	const char *const postrun[] = {
		"prerun", "db/prerun/00_set.sql", "set",
		"run", "db/run/10_a.sql", "a", "run", "db/run/20_b.sql", "b", "run", "db/run/30_c.sql", "c",
		"run", "db/run/40_d.sql", "d", "run", "db/run/50_e.sql", "e",
		"seed", "db/seed/10_a.sql", "seed a", "seed", "db/seed/20_b.sql", "seed b",
		"postrun", "db/postrun/90_check.sql", "check v2", "reset", "db/reset/00_drop.sql", "drop",
		"tests", "db/tests/a.test.sql", "test a", NULL
	};
	snap(&b, postrun);
	watch_plan(&a, &b, false, true, true, &p);
	assert_int_equal(p.scope, WATCH_PARTIAL);
	assert_string_equal(p.run_from, WATCH_SKIP_PHASE);
	assert_string_equal(p.seed_from, WATCH_SKIP_PHASE);

	/* a seed file counts only with --seed, and then runs from itself */
	const char *const seed[] = {
		"prerun", "db/prerun/00_set.sql", "set",
		"run", "db/run/10_a.sql", "a", "run", "db/run/20_b.sql", "b", "run", "db/run/30_c.sql", "c",
		"run", "db/run/40_d.sql", "d", "run", "db/run/50_e.sql", "e",
		"seed", "db/seed/10_a.sql", "seed a", "seed", "db/seed/20_b.sql", "seed b v2",
		"postrun", "db/postrun/90_check.sql", "check", "reset", "db/reset/00_drop.sql", "drop",
		"tests", "db/tests/a.test.sql", "test a", NULL
	};
	snap(&b, seed);
	watch_plan(&a, &b, false, false, true, &p);
	assert_int_equal(p.scope, WATCH_NOTHING);
	watch_plan(&a, &b, false, true, true, &p);
	assert_int_equal(p.scope, WATCH_PARTIAL);
	assert_string_equal(p.run_from, WATCH_SKIP_PHASE);
	assert_string_equal(p.seed_from, "db/seed/20_b.sql");

	/* a test counts only when tests run; it runs no schema file */
	const char *const test[] = {
		"prerun", "db/prerun/00_set.sql", "set",
		"run", "db/run/10_a.sql", "a", "run", "db/run/20_b.sql", "b", "run", "db/run/30_c.sql", "c",
		"run", "db/run/40_d.sql", "d", "run", "db/run/50_e.sql", "e",
		"seed", "db/seed/10_a.sql", "seed a", "seed", "db/seed/20_b.sql", "seed b",
		"postrun", "db/postrun/90_check.sql", "check", "reset", "db/reset/00_drop.sql", "drop",
		"tests", "db/tests/a.test.sql", "test a v2", "tests", "db/tests/b.test.sql", "test b", NULL
	};
	snap(&b, test);
	watch_plan(&a, &b, false, false, false, &p);
	assert_int_equal(p.scope, WATCH_NOTHING);
	watch_plan(&a, &b, false, false, true, &p);
	assert_int_equal(p.scope, WATCH_PARTIAL);
	assert_string_equal(p.run_from, WATCH_SKIP_PHASE);
	assert_int_equal(p.changed, 2);
	/* and a deleted test is no reason to run everything */
	watch_plan(&b, &a, false, false, true, &p);
	assert_int_equal(p.scope, WATCH_PARTIAL);
	assert_false(p.deleted);

	/* reset files never count: watch never runs them */
	const char *const reset[] = { FIVE("c", "e"), NULL };
	snap(&b, reset);
	free(b.files.v[9].path);
	b.files.v[9].path = strdup("db/reset/00_drop.sql");
	hash_sha256_hex("drop all", 8, b.files.v[9].sha256);
	watch_plan(&a, &b, false, true, true, &p);
	assert_int_equal(p.scope, WATCH_NOTHING);

	watch_snapshot_release(&a);
	watch_snapshot_release(&b);
}

static void test_snapshot_copy_and_equal(void **state)
{
	(void)state;
	struct watch_snapshot a, b, none;
	const char *const c[] = { FIVE("c", "e"), NULL };
	watch_snapshot_init(&a);
	watch_snapshot_init(&b);
	watch_snapshot_init(&none);
	snap(&a, c);
	watch_snapshot_copy(&b, &a);
	assert_true(watch_snapshot_equal(&a, &b));
	assert_false(watch_snapshot_equal(&a, &none));
	assert_false(watch_snapshot_equal(&none, &none));	/* never taken: never "the same" */
	b.files.v[3].sha256[0] ^= 1;
	assert_false(watch_snapshot_equal(&a, &b));
	watch_snapshot_copy(&b, &none);
	assert_false(b.taken);
	assert_int_equal(b.files.n, 0);
	watch_snapshot_release(&a);
	watch_snapshot_release(&b);
}

/* ---- the watcher on a temporary directory ------------------------------ */

static char *tmpdir_new(void)
{
	char tmpl[] = "/tmp/ssot-test-watch-XXXXXX";
	char *d = mkdtemp(tmpl);
	assert_non_null(d);
	return strdup(d);
}

static void write_file(const char *dir, const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void rm_rf(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_watcher_inotify(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	char sub[512];
	snprintf(sub, sizeof(sub), "%s/run", dir);
	assert_int_equal(mkdir(sub, 0755), 0);

	struct watcher w;
	struct watch_opts o = { .quiet_ms = 5 };
	struct buf err = BUF_INIT;
	assert_int_equal(watcher_open(&w, dir, &o, &err), 0);
	assert_false(w.polling);
	assert_null(w.fallback);

	write_file(dir, "run/10_a.sql", "select 1;\n");
	assert_int_equal(watcher_wait(&w, NULL, &err), 1);
	assert_true(w.first_event_wall > 0);

	/* a new directory is watched as it appears, with a file written into it */
	snprintf(sub, sizeof(sub), "%s/run/sub", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(watcher_wait(&w, NULL, &err), 1);
	write_file(dir, "run/sub/20_b.sql", "select 2;\n");
	assert_int_equal(watcher_wait(&w, NULL, &err), 1);
	size_t watched = w.dirs.n;
	assert_int_equal(watched, 3);

	/* an atomic rename over a file */
	write_file(dir, "run/.20_b.sql.tmp", "select 3;\n");
	char from[512], to[512];
	snprintf(from, sizeof(from), "%s/run/.20_b.sql.tmp", dir);
	snprintf(to, sizeof(to), "%s/run/sub/20_b.sql", dir);
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(watcher_wait(&w, NULL, &err), 1);

	watcher_close(&w);
	buf_release(&err);
	rm_rf(dir);
	free(dir);
}

static void test_watcher_polling(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	struct watcher w;
	struct watch_opts o = { .poll = true, .quiet_ms = 5, .poll_ms = 20 };
	struct buf err = BUF_INIT;
	write_file(dir, "a.sql", "select 1;\n");
	assert_int_equal(watcher_open(&w, dir, &o, &err), 0);
	assert_true(w.polling);
	assert_null(w.fallback);	/* asked for, not a fallback */
	assert_int_equal(w.deb.quiet_ms, 20);	/* one poll interval of stability */

	/* same size, same second: found by content */
	write_file(dir, "a.sql", "select 2;\n");
	assert_int_equal(watcher_wait(&w, NULL, &err), 1);

	char sub[512];
	snprintf(sub, sizeof(sub), "%s/new", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	write_file(dir, "new/b.sql", "select 3;\n");
	assert_int_equal(watcher_wait(&w, NULL, &err), 1);
	assert_int_equal(w.stats.n, 3);	/* a.sql, new, new/b.sql */

	watcher_close(&w);
	buf_release(&err);
	rm_rf(dir);
	free(dir);
}

static void test_watcher_missing_dir(void **state)
{
	(void)state;
	struct watcher w;
	struct watch_opts o = { .quiet_ms = -1 };
	struct buf err = BUF_INIT;
	assert_int_equal(watcher_open(&w, "/nonexistent/ssot/db", &o, &err), -1);
	assert_non_null(strstr(err.s, "cannot watch /nonexistent/ssot/db"));
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debounce_idle),
		cmocka_unit_test(test_debounce_quiet_period),
		cmocka_unit_test(test_debounce_bounded),
		cmocka_unit_test(test_debounce_waits_for_writes),
		cmocka_unit_test(test_debounce_zero_quiet),
		cmocka_unit_test(test_plan_first_cycle_runs_everything),
		cmocka_unit_test(test_plan_same_bytes_run_nothing),
		cmocka_unit_test(test_plan_file_3_of_5),
		cmocka_unit_test(test_plan_first_of_several_changes),
		cmocka_unit_test(test_plan_new_file),
		cmocka_unit_test(test_plan_deleted_or_renamed_runs_everything),
		cmocka_unit_test(test_plan_phases),
		cmocka_unit_test(test_snapshot_copy_and_equal),
		cmocka_unit_test(test_watcher_inotify),
		cmocka_unit_test(test_watcher_polling),
		cmocka_unit_test(test_watcher_missing_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
