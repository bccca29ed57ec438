/*
 * ssot watch: apply on every save, run the tests, never exit on an SQL error.
 *
 * One loop, one connection, one thread: wait for a debounced batch of
 * changes, rescan and hash the files, decide what runs (watch_plan), run it
 * through apply_run() in one transaction, report, wait again. Events that
 * arrive during a run wait in the kernel's queue and form the next batch: at
 * most one run in progress and one pending.
 *
 * SIGINT and SIGTERM are blocked except while waiting for changes and while
 * a cycle's transaction runs, so a Ctrl-C is never lost between the two:
 * while waiting it ends the watch (exit 0); during a run it cancels the
 * query, rolls back and ends the watch (exit 130).
 */
#include "cmd/cmd.h"
#include "apply.h"
#include "conn.h"
#include "project.h"
#include "watch.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { OPT_SEED = OPT_CMD_BASE, OPT_TESTS, OPT_ALL, OPT_CLEAR, OPT_POLL, OPT_YES, OPT_DEBOUNCE };

struct session {
	struct global_opts *g;
	struct project p;
	struct target t;
	PGconn *conn;
	struct apply_opts base;	/* the options every cycle starts from */
	bool all, clear;
	struct watch_snapshot applied;	/* what the database last committed */
	struct watch_snapshot seen;	/* what the last cycle looked at */
	bool last_failed;
	int cycle;
	sigset_t run_mask;	/* the signal mask while a transaction runs */
};

enum cycle_end { CYCLE_DONE, CYCLE_INTERRUPTED };

static void watch_progress(void *ctx, const char *msg)
{
	progress(ctx, "%s", msg);
}

static const char *plural(int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* One JSON document per cycle, on one line (JSON Lines), with the findings. */
static void print_json_cycle(struct diag *d, json_t *summary)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&mem, &len);
	struct render_opts ro = { .command = "watch", .tool_version = SSOT_VERSION, .summary = summary };
	diag_render_json(d, m, &ro);
	fclose(m);
	json_t *doc = json_loadb(mem, len, 0, NULL);
	free(mem);
	if (doc) {
		json_dumpf(doc, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(doc);
	}
}

static json_t *times_json(double changed_at, double started_at)
{
	json_t *t = json_object();
	json_object_set_new(t, "changed_at", changed_at > 0 ? json_real(changed_at) : json_null());
	json_object_set_new(t, "started_at", json_real(started_at));
	json_object_set_new(t, "finished_at", json_real(watch_wall_now()));
	return t;
}

/* Counts of the schema files (tests apart) that ran. */
static void ran_counts(const struct apply_result *r, int *files, int *statements)
{
	*files = *statements = 0;
	for (size_t i = 0; i < r->file_stats.n; i++) {
		const struct apply_file_stat *f = &r->file_stats.v[i];
		if (f->ran && f->phase != PHASE_TESTS) {
			(*files)++;
			*statements += f->statements;
		}
	}
}

static bool has_tests(const struct apply_result *r)
{
	for (size_t i = 0; i < r->file_stats.n; i++)
		if (r->file_stats.v[i].phase == PHASE_TESTS)
			return true;
	return false;
}

static const char *outcome_name(enum apply_outcome out, bool tests_only)
{
	switch (out) {
	case APPLY_OK: return tests_only ? "tested" : "applied";
	case APPLY_SQL_FAILED: return "failed";
	case APPLY_REFUSED: return "refused";
	case APPLY_ERROR: return "error";
	case APPLY_INTERRUPTED: return "interrupted";
	}
	return "error";
}

static json_t *summary_json(struct session *s, const struct apply_opts *o, const struct watch_plan *plan,
			    const struct apply_result *r, const char *error, double cycle_ms,
			    double changed_at, double started_at)
{
	json_t *j = json_object();
	int files, statements;
	ran_counts(r, &files, &statements);
	json_object_set_new(j, "cycle", json_integer(s->cycle));
	json_object_set_new(j, "outcome", json_string(error ? "error" : outcome_name(r->outcome, o->tests == TESTS_ONLY)));
	if (error)
		json_object_set_new(j, "error", json_string(error));
	json_object_set_new(j, "scope", json_string(plan->scope == WATCH_PARTIAL ? "partial" : "whole"));
	json_object_set_new(j, "changed", json_integer(plan->changed));
	json_object_set_new(j, "first_changed", plan->first_changed ? json_string(plan->first_changed) : json_null());
	json_object_set_new(j, "files", json_integer(files));
	json_object_set_new(j, "statements", json_integer(statements));
	json_object_set_new(j, "apply_ms", json_real(r->ms));
	json_object_set_new(j, "cycle_ms", json_real(cycle_ms));
	json_object_set_new(j, "run_id", r->run_id ? json_integer(r->run_id) : json_null());
	if (o->tests != TESTS_SKIP) {
		json_t *t = json_object();
		json_object_set_new(t, "passed", json_integer(r->tests_passed));
		json_object_set_new(t, "failed", json_integer(r->tests_failed));
		json_object_set_new(j, "tests", t);
	}
	json_t *list = json_array();
	for (size_t i = 0; i < r->file_stats.n; i++) {
		const struct apply_file_stat *f = &r->file_stats.v[i];
		if (!f->ran)
			continue;
		json_t *jf = json_object();
		json_object_set_new(jf, "path", json_string(f->path));
		json_object_set_new(jf, "phase", json_string(phase_name(f->phase)));
		json_object_set_new(jf, "statements", json_integer(f->statements));
		json_object_set_new(jf, "duration_ms", json_real(f->ms));
		json_array_append_new(list, jf);
	}
	json_object_set_new(j, "file_list", list);
	json_t *nontx = json_array();
	for (size_t i = 0; i < r->nontx.n; i++) {
		const struct apply_nontx *n = &r->nontx.v[i];
		json_t *jn = json_object();
		json_object_set_new(jn, "file", json_string(n->file));
		json_object_set_new(jn, "line", json_integer(n->line));
		json_object_set_new(jn, "statement", json_string(n->tag));
		json_object_set_new(jn, "ok", json_boolean(n->ok));
		json_object_set_new(jn, "duration_ms", json_real(n->ms));
		json_array_append_new(nontx, jn);
	}
	json_object_set_new(j, "after_commit", nontx);
	json_object_set_new(j, "times", times_json(changed_at, started_at));
	return j;
}

/* Whether a "test-failed" finding points into the test file `path`. */
static bool test_failed(const struct diag *d, const char *path)
{
	for (size_t i = 0; i < d->items.n; i++) {
		const struct finding *f = &d->items.v[i];
		const char *file;
		int line, col;
		finding_position(f, &file, &line, &col);
		if (!strcmp(f->rule, "test-failed") && file && !strcmp(file, path))
			return true;
	}
	return false;
}

/* When a test failed: every test of the cycle, passed or failed. */
static void print_test_list(struct diag *d, const struct apply_result *r)
{
	for (size_t i = 0; i < r->file_stats.n; i++) {
		const struct apply_file_stat *f = &r->file_stats.v[i];
		if (f->phase == PHASE_TESTS && f->ran)
			printf("  %s %s\n", test_failed(d, f->path) ? "✗" : "✓", f->path);
	}
}

/* " · db/run/30_c.sql changed" (or removed, or "and 2 more changed"), for the cycle's line. */
static void add_trigger(struct buf *line, const struct watch_plan *plan, int cycle)
{
	if (cycle == 1 || !plan->first_changed)
		return;
	buf_printf(line, " · %s", plan->first_changed);
	if (plan->changed > 1)
		buf_printf(line, " and %d more changed", plan->changed - 1);
	else
		buf_adds(line, plan->deleted ? " removed" : " changed");
}

static void print_text_cycle(struct session *s, const struct apply_opts *o, const struct watch_plan *plan,
			     struct diag *d, const struct apply_result *r, double cycle_ms)
{
	for (size_t i = 0; i < r->nontx.n; i++) {
		const struct apply_nontx *n = &r->nontx.v[i];
		printf("after commit: %s:%d: %s %s (%.1f ms)\n", n->file, n->line, n->tag,
		       n->ok ? "done" : "FAILED", n->ms);
	}
	render_findings(s->g, d, "watch", NULL);

	struct buf line = BUF_INIT;
	bool tests = o->tests != TESTS_SKIP && has_tests(r);
	int files, statements;
	ran_counts(r, &files, &statements);
	if (r->outcome == APPLY_OK) {
		if (o->tests == TESTS_ONLY)
			buf_printf(&line, "✓ tests %d/%d, %.0f ms (rolled back)", r->tests_passed,
				   r->tests_passed + r->tests_failed, cycle_ms);
		else {
			buf_printf(&line, "✓ %d %s, %d %s, %.0f ms", files, plural(files, "file", "files"), statements,
				   plural(statements, "statement", "statements"), cycle_ms);
			if (tests)
				buf_printf(&line, " · tests %d/%d", r->tests_passed, r->tests_passed + r->tests_failed);
		}
		add_trigger(&line, plan, s->cycle);
	} else if (r->outcome == APPLY_SQL_FAILED && r->run_id) {
		buf_printf(&line, "✗ applied (run %lld), but a statement after the commit failed", r->run_id);
	} else if (r->outcome == APPLY_REFUSED) {
		buf_adds(&line, "✗ refused before running anything; the database keeps the last good state");
	} else {
		if (r->tests_failed)
			print_test_list(d, r);
		buf_adds(&line, o->tests == TESTS_ONLY ? "✗ tests failed; rolled back" :
			 "✗ rolled back; the database keeps the last good state");
		if (tests && (r->tests_passed || r->tests_failed))
			buf_printf(&line, " · tests %d/%d", r->tests_passed, r->tests_passed + r->tests_failed);
	}
	printf("%s\n", line.s);
	buf_release(&line);
}

/* A problem that is not the user's SQL (connection, ledger, unreadable file): say it, keep watching. */
static void report_error(struct session *s, const struct watch_plan *plan, const struct apply_opts *o,
			 const char *msg, double cycle_ms, double changed_at, double started_at)
{
	struct buf e = BUF_INIT;
	buf_adds(&e, msg);
	conn_scrub(&e, s->t.conninfo);
	die_msg(e.s, NULL, "still watching: the next save tries again");
	if (s->g->format == FORMAT_JSON) {
		struct diag d;
		struct apply_result r;
		diag_init(&d);
		apply_result_init(&r);
		json_t *sum = summary_json(s, o, plan, &r, e.s, cycle_ms, changed_at, started_at);
		print_json_cycle(&d, sum);
		json_decref(sum);
		apply_result_release(&r);
		diag_release(&d);
	} else {
		printf("✗ not applied: %s\n", e.s);
	}
	buf_release(&e);
}

static void clear_screen(void)
{
	fputs("\033[H\033[2J\033[3J", stdout);
}

/*
 * One cycle: rescan, decide, run, report. `changed_at` is the wall-clock time
 * of the batch's first event (0 for the first cycle).
 */
static enum cycle_end run_cycle(struct session *s, double changed_at)
{
	double started_at = watch_wall_now();
	struct timespec m0;
	clock_gettime(CLOCK_MONOTONIC, &m0);
	struct buf err = BUF_INIT;
	struct watch_plan plan = { .scope = WATCH_WHOLE };
	enum cycle_end end = CYCLE_DONE;

	if (project_scan(&s->p, &err) < 0) {
		s->cycle++;
		report_error(s, &plan, &s->base, err.s, 0, changed_at, started_at);
		watch_snapshot_release(&s->seen);	/* look again on the next event */
		s->last_failed = true;
		buf_release(&err);
		return CYCLE_DONE;
	}
	struct watch_snapshot cur;
	watch_snapshot_init(&cur);
	watch_snapshot_take(&cur, &s->p);
	if (watch_snapshot_equal(&cur, &s->seen)) {
		if (s->g->verbose)
			progress(s->g, "no file changed its content; nothing to run");
		watch_snapshot_release(&cur);
		return CYCLE_DONE;
	}
	watch_plan(&s->applied, &cur, s->all, s->base.seed, s->base.tests != TESTS_SKIP, &plan);
	watch_snapshot_copy(&s->seen, &cur);
	if (plan.scope == WATCH_NOTHING && s->base.tests != TESTS_ONLY) {
		if (s->last_failed) {
			if (s->clear)
				clear_screen();
			if (s->g->format == FORMAT_TEXT)
				printf("✓ back to the last applied state; nothing to run\n");
			fflush(stdout);
			s->last_failed = false;
		}
		watch_snapshot_release(&cur);
		return CYCLE_DONE;
	}

	s->cycle++;
	if (PQstatus(s->conn) != CONNECTION_OK) {
		PQreset(s->conn);
		if (PQstatus(s->conn) != CONNECTION_OK) {
			struct buf m = BUF_INIT;
			buf_printf(&m, "lost the connection to the database: %s", PQerrorMessage(s->conn));
			buf_rtrim(&m);
			report_error(s, &plan, &s->base, m.s, 0, changed_at, started_at);
			buf_release(&m);
			watch_snapshot_release(&s->seen);
			watch_snapshot_release(&cur);
			s->last_failed = true;
			return CYCLE_DONE;
		}
	}

	struct apply_opts o = s->base;
	if (plan.scope == WATCH_PARTIAL) {
		o.run_from = plan.run_from;
		o.seed_from = plan.seed_from;
	}
	struct diag d;
	struct apply_result r;
	diag_init(&d);
	apply_result_init(&r);
	sigset_t blocked;
	sigprocmask(SIG_SETMASK, &s->run_mask, &blocked);
	enum apply_outcome out = apply_run(s->conn, &s->p, &o, &d, &r, &err);
	sigprocmask(SIG_SETMASK, &blocked, NULL);
	struct timespec m1;
	clock_gettime(CLOCK_MONOTONIC, &m1);
	double cycle_ms = (double)(m1.tv_sec - m0.tv_sec) * 1e3 + (double)(m1.tv_nsec - m0.tv_nsec) / 1e6;

	if (s->clear)
		clear_screen();
	print_notices(&r);
	if (out == APPLY_INTERRUPTED) {
		progress(s->g, "interrupted; the transaction was rolled back");
		end = CYCLE_INTERRUPTED;
	} else if (out == APPLY_ERROR) {
		report_error(s, &plan, &o, err.s, cycle_ms, changed_at, started_at);
		watch_snapshot_release(&s->seen);
		s->last_failed = true;
	} else {
		if (s->g->format == FORMAT_JSON) {
			json_t *sum = summary_json(s, &o, &plan, &r, NULL, cycle_ms, changed_at, started_at);
			print_json_cycle(&d, sum);
			json_decref(sum);
		} else {
			print_text_cycle(s, &o, &plan, &d, &r, cycle_ms);
		}
		/* committed: the database now holds these files (tests-only runs commit nothing) */
		if (o.tests != TESTS_ONLY && (out == APPLY_OK || r.run_id))
			watch_snapshot_copy(&s->applied, &cur);
		s->last_failed = out != APPLY_OK;
	}
	fflush(stdout);
	apply_result_release(&r);
	diag_release(&d);
	watch_snapshot_release(&cur);
	buf_release(&err);
	return end;
}

static void session_release(struct session *s)
{
	watch_snapshot_release(&s->applied);
	watch_snapshot_release(&s->seen);
	if (s->conn)
		PQfinish(s->conn);
	target_release(&s->t);
	project_release(&s->p);
}

int cmd_watch(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		GLOBAL_LONGOPTS,
		{ "seed", no_argument, NULL, OPT_SEED },
		{ "tests", required_argument, NULL, OPT_TESTS },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "clear", no_argument, NULL, OPT_CLEAR },
		{ "poll", no_argument, NULL, OPT_POLL },
		{ "yes", no_argument, NULL, OPT_YES },
		{ "debounce", required_argument, NULL, OPT_DEBOUNCE },
		{ NULL, 0, NULL, 0 }
	};
	struct session s;
	struct watch_opts wo = { .quiet_ms = -1 };
	bool yes = false;
	int c;

	memset(&s, 0, sizeof(s));
	s.g = g;
	s.base.tests = TESTS_ALWAYS;
	s.base.max_retries = 3;
	while ((c = getopt_long(argc, argv, GLOBAL_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SEED: s.base.seed = true; break;
		case OPT_ALL: s.all = true; break;
		case OPT_CLEAR: s.clear = true; break;
		case OPT_POLL: wo.poll = true; break;
		case OPT_YES: yes = true; break;
		case OPT_TESTS:
			if (parse_tests_mode(optarg, &s.base.tests) < 0)
				return usage_error("watch ", "unknown --tests '%s' (expected always, only or skip)", optarg);
			break;
		case OPT_DEBOUNCE:
			wo.quiet_ms = parse_duration_ms(optarg);
			if (wo.quiet_ms < 0 || wo.quiet_ms > 10000)
				return usage_error("watch ", "invalid --debounce '%s' (use e.g. 20ms; at most 10s)", optarg);
			break;
		case '?':
			return usage_error("watch ", "invalid option");
		default:
			if (global_opt(g, c, optarg) < 0)
				return EXIT_USAGE;
		}
	}
	if (g->help) {
		print_command_help("watch");
		return EXIT_OK;
	}
	if (optind < argc)
		return usage_error("watch ", "unexpected argument '%s'", argv[optind]);
	if (g->format != FORMAT_TEXT && g->format != FORMAT_JSON)
		return usage_error("watch ", "watch prints text or json (one JSON document per cycle)");

	int rc = cmd_open_project(g, &s.p, true);
	if (rc) {
		project_release(&s.p);
		return rc;
	}
	cmd_install_sigint();
	rc = cmd_connect(g, &s.p, &s.t, &s.conn);
	if (rc) {
		session_release(&s);
		return rc;
	}
	/*
	 * From here on, signals wait for a point where they can be acted on (see
	 * the top of this file). Not earlier: the embedded cluster's server,
	 * started by cmd_connect, must not inherit a blocked SIGINT.
	 */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, &s.run_mask);
	if (s.t.protected_env && !yes) {
		die_msg("refusing to watch a protected environment", s.t.env_name,
			"watch applies every save; pass --yes if you really mean it");
		session_release(&s);
		return EXIT_USAGE;
	}
	s.base.lock_timeout_ms = s.t.lock_timeout_ms;
	s.base.wait_ms = s.p.wait_ms;
	s.base.env_name = s.t.env_name;
	s.base.ledger_schema = s.p.ledger_schema;
	s.base.progress = watch_progress;
	s.base.progress_ctx = g;

	struct watcher w;
	struct buf err = BUF_INIT;
	if (watcher_open(&w, s.p.dir_path, &wo, &err) < 0) {
		die_msg(err.s, NULL, NULL);
		buf_release(&err);
		session_release(&s);
		return EXIT_USAGE;
	}
	char *where = conn_describe(s.conn);
	if (w.fallback)
		progress(g, "%s; polling instead", w.fallback);
	progress(g, "watching %s/ (%s) and applying to %s; Ctrl-C to stop", s.p.dir,
		 w.polling ? "polling" : "inotify", where);
	free(where);

	rc = EXIT_OK;
	if (run_cycle(&s, 0) == CYCLE_INTERRUPTED)
		rc = EXIT_INTERRUPTED;
	while (rc == EXIT_OK) {
		int got = watcher_wait(&w, &s.run_mask, &err);
		if (got < 0) {
			die_msg(err.s, NULL, NULL);
			rc = EXIT_USAGE;
			break;
		}
		if (conn_interrupted())
			break;	/* Ctrl-C while waiting: the normal way to stop */
		if (got == 0)
			continue;	/* another signal */
		if (run_cycle(&s, w.first_event_wall) == CYCLE_INTERRUPTED)
			rc = EXIT_INTERRUPTED;
	}
	if (rc != EXIT_USAGE)
		progress(g, "stopped watching");
	buf_release(&err);
	watcher_close(&w);
	session_release(&s);
	return rc;
}
