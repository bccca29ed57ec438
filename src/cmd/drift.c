/*
 * ssot drift: the files, built in a throwaway database, against one live
 * database or a fleet of them, column by column.
 *
 * The desired state is never computed from SQL text: prerun + run are
 * applied (apply_run, one transaction) to a database created from template0
 * on the embedded cluster or on --dev-url, and read back with the same
 * catalog code as the live side. The throwaway database is always dropped
 * (throwaway_close here, tempdb_drop_all on every exit path).
 */
#include "cmd/cmd.h"
#include "apply.h"
#include "catalog.h"
#include "conn.h"
#include "diff.h"
#include "model.h"
#include "project.h"
#include "util/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
	OPT_DEV_URL = OPT_CMD_BASE, OPT_SCHEMA, OPT_EXCLUDE_SCHEMA, OPT_STRICT_ORDER, OPT_GRANTS, OPT_TARGETS,
	OPT_JOBS
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void drift_progress(void *ctx, const char *msg)
{
	progress(ctx, "%s", msg);
}

/* ---- the desired state ---- */

struct timing {
	double create_ms, apply_ms, read_desired_ms, drop_ms, read_live_ms, diff_ms, total_ms;
};

struct desired {
	struct model m;
	struct apply_result r;	/* owns the parsed files the findings point into */
	struct project sub;	/* prerun + run of the project (shallow) */
};

/*
 * Build the desired model: throwaway database, apply prerun + run, read it,
 * drop it. Returns EXIT_OK; EXIT_FINDINGS when the files do not apply (the
 * SQL errors are in d); EXIT_USAGE / EXIT_INTERRUPTED after printing why.
 */
static int build_desired(struct global_opts *g, struct project *p, const char *dev_url,
			 const struct catalog_opts *co, struct desired *ds, struct diag *d, struct timing *tm)
{
	struct buf err = BUF_INIT;
	struct throwaway tw;
	int rc = throwaway_open(g, p, dev_url, &tw);
	if (rc)
		return rc;
	tm->create_ms = tw.create_ms;
	if (g->verbose)
		progress(g, "building the files in throwaway database %s", tw.name);

	/* prerun + run only: seed data, postrun checks and tests do not shape the schema */
	ds->sub = *p;
	memset(&ds->sub.files, 0, sizeof(ds->sub.files));
	for (size_t i = 0; i < p->files.n; i++)
		if (p->files.v[i].phase == PHASE_PRERUN || p->files.v[i].phase == PHASE_RUN)
			VEC_PUSH(&ds->sub.files, p->files.v[i]);
	struct apply_opts ao = {
		.tests = TESTS_SKIP,
		.max_retries = 0,
		.wait_ms = p->wait_ms,
		.ledger_schema = p->ledger_schema,
		.progress = g->verbose ? drift_progress : NULL,
		.progress_ctx = g,
	};
	double t0 = now_ms();
	enum apply_outcome out = apply_run(tw.conn, &ds->sub, &ao, d, &ds->r, &err);
	tm->apply_ms = now_ms() - t0;
	if (out == APPLY_INTERRUPTED) {
		die_msg("interrupted", NULL, NULL);
		rc = EXIT_INTERRUPTED;
		goto out;
	}
	if (out == APPLY_ERROR) {
		die_msg("cannot build the files in the throwaway database", err.s, NULL);
		rc = EXIT_USAGE;
		goto out;
	}
	if (out != APPLY_OK) {
		rc = EXIT_FINDINGS;
		goto out;
	}
	t0 = now_ms();
	if (catalog_load(tw.conn, co, &ds->m, &err) < 0) {
		die_msg(err.s, NULL, NULL);
		rc = EXIT_USAGE;
		goto out;
	}
	tm->read_desired_ms = now_ms() - t0;
	diff_locate(&ds->m, ds->r.sqlfiles.v, ds->r.sqlfiles.n);

out:
	throwaway_close(g, &tw);
	tm->drop_ms = tw.drop_ms;
	buf_release(&err);
	return rc;
}

/* ---- one live database ---- */

struct target_check {
	const char *conninfo;		/* borrowed */
	char *label;			/* redacted description */
	const struct model *desired;
	const struct catalog_opts *co;
	const struct diff_opts *dopts;
	struct diag d;
	struct diff_groups groups;
	struct diff_stats stats;
	int differences;
	char *error;			/* NULL when the check ran */
	double read_ms, diff_ms;
};

/* Read one live database and diff it (thread body for the fleet). */
static void *check_target(void *arg)
{
	struct target_check *t = arg;
	struct buf err = BUF_INIT;
	PGconn *c = conn_open(t->conninfo, &err);
	if (!c) {
		t->error = buf_detach(&err);
		return NULL;
	}
	char *where = conn_describe(c);
	free(t->label);
	t->label = where;
	struct model live;
	model_init(&live);
	double t0 = now_ms();
	if (catalog_load(c, t->co, &live, &err) < 0) {
		conn_scrub(&err, t->conninfo);
		t->error = buf_detach(&err);
	} else {
		t->read_ms = now_ms() - t0;
		t0 = now_ms();
		struct diff_opts o = *t->dopts;
		o.groups = &t->groups;
		t->differences = diff_models(t->desired, &live, &o, &t->d, &t->stats);
		t->diff_ms = now_ms() - t0;
	}
	model_release(&live);
	PQfinish(c);
	buf_release(&err);
	return NULL;
}

/* ---- text output ---- */

static const char *status_sgr(const char *status)
{
	if (!status)
		return "\033[1;36m";
	return !strcmp(status, "missing") ? "\033[1;31m" : !strcmp(status, "extra") ? "\033[1;35m" : "\033[1;33m";
}

/* Findings grouped by their table (or other top-level object), each with what to do. */
static void print_text(const struct global_opts *g, struct diag *d, const struct diff_groups *groups, FILE *out)
{
	bool color = use_color(g, fileno(out));
	const char *group = NULL;
	for (size_t i = 0; i < d->items.n; i++) {
		const struct finding *f = &d->items.v[i];
		const char *gr = i < groups->v.n ? groups->v.v[i] : NULL;
		if (!f->status) {
			fprintf(out, "%s%s:%s %s\n", color ? "\033[1;36m" : "", severity_name(f->severity),
				color ? "\033[0m" : "", f->message);
			if (f->hint)
				fprintf(out, "  hint: %s\n", f->hint);
			continue;
		}
		if (gr && (!group || strcmp(gr, group) != 0)) {
			fprintf(out, "\n%s%s%s\n", color ? "\033[1m" : "", gr, color ? "\033[0m" : "");
			group = gr;
		}
		fprintf(out, "  %s%-7s%s %s\n", color ? status_sgr(f->status) : "", f->status, color ? "\033[0m" : "",
			f->message);
		if (!strcmp(f->status, "changed")) {
			fprintf(out, "          expected: %s\n", f->expected ? f->expected : "(none)");
			fprintf(out, "          actual:   %s\n", f->actual ? f->actual : "(none)");
		} else if (f->expected || f->actual) {
			fprintf(out, "          %s: %s\n", f->expected ? "expected" : "actual",
				f->expected ? f->expected : f->actual);
		}
		const char *file;
		int line, col;
		finding_position(f, &file, &line, &col);
		if (file)
			fprintf(out, "          %s %s:%d:%d\n",
				!strcmp(f->status, "extra") ? "parent declared at" : "declared at", file, line, col);
		if (f->suggestion)
			fprintf(out, "          what to do: %s\n", f->suggestion);
	}
}

/* ---- the command ---- */

struct targets {
	VEC(char *) v;			/* connection strings, owned */
};

/* Lines of a --targets file: a connection string each, or $NAME for one held in a variable. */
static int read_targets(const char *path, struct targets *t)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		char *msg = xasprintf("cannot read %s: %s", path, strerror(errno));
		die_msg(msg, NULL, NULL);
		free(msg);
		return -1;
	}
	char line[4096];
	int lineno = 0, rc = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		s[strcspn(s, "\r\n")] = '\0';
		size_t n = strlen(s);
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			s[--n] = '\0';
		if (!*s || *s == '#')
			continue;
		if (*s == '$') {
			const char *v = getenv(s + 1);
			if (!v || !*v) {
				char *msg = xasprintf("%s:%d: $%s is not set", path, lineno, s + 1);
				die_msg(msg, NULL, NULL);
				free(msg);
				rc = -1;
				break;
			}
			VEC_PUSH(&t->v, xstrdup(v));
		} else {
			VEC_PUSH(&t->v, xstrdup(s));
		}
	}
	fclose(f);
	return rc;
}

static json_t *timing_json(const struct timing *tm)
{
	json_t *j = json_object();
	double build = tm->create_ms + tm->apply_ms + tm->drop_ms;
	double read = tm->read_desired_ms + tm->read_live_ms + tm->diff_ms;
	json_object_set_new(j, "create_db_ms", json_real(tm->create_ms));
	json_object_set_new(j, "apply_ms", json_real(tm->apply_ms));
	json_object_set_new(j, "drop_db_ms", json_real(tm->drop_ms));
	json_object_set_new(j, "read_desired_ms", json_real(tm->read_desired_ms));
	json_object_set_new(j, "read_live_ms", json_real(tm->read_live_ms));
	json_object_set_new(j, "diff_ms", json_real(tm->diff_ms));
	json_object_set_new(j, "total_ms", json_real(tm->total_ms));
	json_object_set_new(j, "build_share", json_real(tm->total_ms > 0 ? build / tm->total_ms : 0));
	json_object_set_new(j, "read_diff_share", json_real(tm->total_ms > 0 ? read / tm->total_ms : 0));
	return j;
}

static void print_timing(const struct global_opts *g, const struct timing *tm)
{
	double read = tm->read_desired_ms + tm->read_live_ms + tm->diff_ms;
	progress(g, "timing: build %.0f ms (create %.0f, apply %.0f, drop %.0f); read files' model %.0f ms, "
		 "read database %.0f ms, diff %.1f ms; total %.0f ms, read + diff %.1f%%",
		 tm->create_ms + tm->apply_ms + tm->drop_ms, tm->create_ms, tm->apply_ms, tm->drop_ms,
		 tm->read_desired_ms, tm->read_live_ms, tm->diff_ms, tm->total_ms,
		 tm->total_ms > 0 ? 100.0 * read / tm->total_ms : 0.0);
}

static json_t *stats_json(const struct target_check *t)
{
	json_t *j = json_object();
	json_object_set_new(j, "database", json_string(t->label));
	json_object_set_new(j, "status", json_string(t->error ? "error" : t->differences ? "drift" : "ok"));
	if (t->error) {
		json_object_set_new(j, "error", json_string(t->error));
	} else {
		json_object_set_new(j, "missing", json_integer(t->stats.missing));
		json_object_set_new(j, "extra", json_integer(t->stats.extra));
		json_object_set_new(j, "changed", json_integer(t->stats.changed));
		json_object_set_new(j, "unsupported", json_integer(t->stats.unsupported));
	}
	return j;
}

/* "3 differences (1 missing, 1 extra, 1 changed)" */
static void put_counts(struct buf *b, const struct target_check *t)
{
	buf_printf(b, "%d difference%s (%d missing, %d extra, %d changed)", t->differences,
		   t->differences == 1 ? "" : "s", t->stats.missing, t->stats.extra, t->stats.changed);
}

int cmd_drift(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		GLOBAL_LONGOPTS,
		{ "dev-url", required_argument, NULL, OPT_DEV_URL },
		{ "schema", required_argument, NULL, OPT_SCHEMA },
		{ "exclude-schema", required_argument, NULL, OPT_EXCLUDE_SCHEMA },
		{ "strict-column-order", no_argument, NULL, OPT_STRICT_ORDER },
		{ "grants", no_argument, NULL, OPT_GRANTS },
		{ "targets", required_argument, NULL, OPT_TARGETS },
		{ "jobs", required_argument, NULL, OPT_JOBS },
		{ NULL, 0, NULL, 0 }
	};
	const char *dev_url = NULL, *targets_file = NULL;
	VEC(const char *) schemas = VEC_INIT;
	VEC(const char *) excludes = VEC_INIT;
	struct targets targets = { VEC_INIT };
	struct catalog_opts co = { 0 };
	struct diff_opts dopts = { 0 };
	int jobs = 8, c, rc = EXIT_OK;

	while ((c = getopt_long(argc, argv, GLOBAL_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DB:
			VEC_PUSH(&targets.v, xstrdup(optarg));
			g->db = optarg;
			break;
		case OPT_DEV_URL: dev_url = optarg; break;
		case OPT_SCHEMA: VEC_PUSH(&schemas, optarg); break;
		case OPT_EXCLUDE_SCHEMA: VEC_PUSH(&excludes, optarg); break;
		case OPT_STRICT_ORDER: dopts.strict_column_order = true; break;
		case OPT_GRANTS: co.grants = true; break;
		case OPT_TARGETS: targets_file = optarg; break;
		case OPT_JOBS:
			jobs = atoi(optarg);
			if (jobs < 1 || jobs > 64) {
				rc = usage_error("drift ", "--jobs takes a number from 1 to 64");
				goto out_opts;
			}
			break;
		case '?':
			rc = usage_error("drift ", "invalid option");
			goto out_opts;
		default:
			if (global_opt(g, c, optarg) < 0) {
				rc = EXIT_USAGE;
				goto out_opts;
			}
		}
	}
	if (g->help) {
		print_command_help("drift");
		goto out_opts;
	}
	if (optind < argc) {
		rc = usage_error("drift ", "unexpected argument '%s'", argv[optind]);
		goto out_opts;
	}
	if (targets_file && read_targets(targets_file, &targets) < 0) {
		rc = EXIT_USAGE;
		goto out_opts;
	}
	if (targets_file && !targets.v.n) {
		rc = usage_error("drift ", "%s names no database", targets_file);
		goto out_opts;
	}
	bool fleet = targets.v.n > 1;
	if (fleet && g->env) {
		rc = usage_error("drift ", "--env checks one database; use --db or --targets for several");
		goto out_opts;
	}
	co.schemas = schemas.v;
	co.nschemas = schemas.n;
	co.exclude_schemas = excludes.v;
	co.nexclude = excludes.n;

	struct project p;
	rc = cmd_open_project(g, &p, true);
	if (rc) {
		project_release(&p);
		goto out_opts;
	}
	co.ledger_schema = p.ledger_schema;
	cmd_install_sigint();

	double t_start = now_ms();
	struct timing tm = { 0 };
	struct target t;
	PGconn *live_conn = NULL;
	memset(&t, 0, sizeof(t));
	if (!fleet) {
		/* resolve and reach the live database first: no point building when it is unreachable */
		if (targets.v.n == 1)
			g->db = targets.v.v[0];
		rc = cmd_connect(g, &p, &t, &live_conn);
		if (rc)
			goto out_project;
	}

	struct desired ds;
	struct diag d;
	struct diff_groups groups = { VEC_INIT };
	model_init(&ds.m);
	apply_result_init(&ds.r);
	memset(&ds.sub, 0, sizeof(ds.sub));
	diag_init(&d);
	rc = build_desired(g, &p, dev_url, &co, &ds, &d, &tm);
	if (rc == EXIT_FINDINGS) {
		/* the files themselves fail: show where, as apply would */
		render_findings(g, &d, "drift", NULL);
		if (g->format == FORMAT_TEXT)
			printf("ssot: the files do not apply to an empty database, so drift cannot be computed\n");
		goto out_desired;
	}
	if (rc)
		goto out_desired;

	if (!fleet) {
		struct target_check tc = {
			.conninfo = t.conninfo, .desired = &ds.m, .co = &co, .dopts = &dopts,
		};
		diag_init(&tc.d);
		struct buf err = BUF_INIT;
		struct model live;
		model_init(&live);
		tc.label = conn_describe(live_conn);
		double t0 = now_ms();
		if (catalog_load(live_conn, &co, &live, &err) < 0) {
			conn_scrub(&err, t.conninfo);
			die_msg(err.s, NULL, NULL);
			rc = EXIT_USAGE;
		} else {
			tm.read_live_ms = now_ms() - t0;
			t0 = now_ms();
			struct diff_opts o = dopts;
			o.groups = &groups;
			tc.differences = diff_models(&ds.m, &live, &o, &d, &tc.stats);
			tm.diff_ms = now_ms() - t0;
			tm.total_ms = now_ms() - t_start;
			rc = tc.differences ? EXIT_FINDINGS : EXIT_OK;
			if (g->verbose)
				print_timing(g, &tm);
			if (g->format == FORMAT_TEXT) {
				print_text(g, &d, &groups, stdout);
				struct buf line = BUF_INIT;
				if (tc.differences) {
					buf_printf(&line, "drift: %s has ", tc.label);
					put_counts(&line, &tc);
					buf_adds(&line, " against the files");
				} else {
					buf_printf(&line, "no drift: %s matches the files (%zu objects compared)", tc.label,
						   live.objs.n);
				}
				printf("%s%s\n", d.items.n ? "\n" : "", line.s);
				buf_release(&line);
			} else {
				json_t *s = stats_json(&tc);
				json_object_set_new(s, "objects", json_integer((json_int_t)live.objs.n));
				json_object_set_new(s, "timing", timing_json(&tm));
				render_findings(g, &d, "drift", s);
				json_decref(s);
			}
		}
		model_release(&live);
		buf_release(&err);
		free(tc.label);
		diag_release(&tc.d);
		goto out_desired;
	}

	/* the fleet: every database read and compared concurrently, at most `jobs` at a time */
	size_t n = targets.v.n;
	struct target_check *tcs = xcalloc(n, sizeof(*tcs));
	for (size_t i = 0; i < n; i++) {
		tcs[i].conninfo = targets.v.v[i];
		tcs[i].label = conn_redact(targets.v.v[i]);
		tcs[i].desired = &ds.m;
		tcs[i].co = &co;
		tcs[i].dopts = &dopts;
		diag_init(&tcs[i].d);
	}
	double t0 = now_ms();
	for (size_t from = 0; from < n; from += (size_t)jobs) {
		size_t to = from + (size_t)jobs < n ? from + (size_t)jobs : n;
		pthread_t *th = xcalloc(to - from, sizeof(*th));
		bool *started = xcalloc(to - from, sizeof(*started));
		/* workers never take SIGINT: the main thread's handler owns the cancel */
		sigset_t old_mask;
		conn_block_signals(&old_mask);
		for (size_t i = from; i < to; i++)
			started[i - from] = pthread_create(&th[i - from], NULL, check_target, &tcs[i]) == 0;
		conn_restore_signals(&old_mask);
		for (size_t i = from; i < to; i++) {
			if (started[i - from])
				pthread_join(th[i - from], NULL);
			else
				check_target(&tcs[i]);
		}
		free(th);
		free(started);
	}
	tm.read_live_ms = now_ms() - t0;
	tm.total_ms = now_ms() - t_start;
	if (g->verbose)
		print_timing(g, &tm);

	int drifted = 0, failed = 0;
	json_t *dbs = json_array();
	for (size_t i = 0; i < n; i++) {
		struct target_check *tc = &tcs[i];
		json_array_append_new(dbs, stats_json(tc));
		if (tc->error)
			failed++;
		else if (tc->differences)
			drifted++;
		if (g->format == FORMAT_TEXT) {
			struct buf line = BUF_INIT;
			if (tc->error)
				buf_printf(&line, "%s: error: %s", tc->label, tc->error);
			else if (tc->differences) {
				buf_printf(&line, "%s: ", tc->label);
				put_counts(&line, tc);
			} else
				buf_printf(&line, "%s: no drift", tc->label);
			printf("%s== %s\n", i ? "\n" : "", line.s);
			buf_release(&line);
			print_text(g, &tc->d, &tc->groups, stdout);
			continue;
		}
		/* one document for all: each finding says which database it is about */
		for (size_t k = 0; k < tc->d.items.n; k++) {
			struct finding *f = &tc->d.items.v[k];
			char *det = xasprintf("database: %s", tc->label);
			diag_set(&f->detail, det);
			free(det);
			VEC_PUSH(&d.items, *f);
		}
		tc->d.items.n = 0;
	}
	if (g->format == FORMAT_TEXT) {
		printf("\nfleet: %zu database%s, %d with drift, %d not checked, %zu matching the files\n", n,
		       n == 1 ? "" : "s", drifted, failed, n - (size_t)drifted - (size_t)failed);
	} else {
		json_t *s = json_object();
		json_object_set_new(s, "databases", dbs);
		dbs = NULL;
		json_object_set_new(s, "timing", timing_json(&tm));
		render_findings(g, &d, "drift", s);
		json_decref(s);
	}
	if (dbs)
		json_decref(dbs);
	rc = failed ? EXIT_USAGE : drifted ? EXIT_FINDINGS : EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		free(tcs[i].label);
		free(tcs[i].error);
		diag_release(&tcs[i].d);
		diff_groups_release(&tcs[i].groups);
	}
	free(tcs);

out_desired:
	diag_release(&d);
	diff_groups_release(&groups);
	apply_result_release(&ds.r);
	VEC_FREE(&ds.sub.files);
	model_release(&ds.m);
	if (live_conn)
		PQfinish(live_conn);
out_project:
	target_release(&t);
	project_release(&p);
out_opts:
	for (size_t i = 0; i < targets.v.n; i++)
		free(targets.v.v[i]);
	VEC_FREE(&targets.v);
	VEC_FREE(&schemas);
	VEC_FREE(&excludes);
	return rc;
}
