/*
 * ssot verify: apply the files three times to a throwaway database and prove
 * that the second and third runs change nothing (src/verify.h). The
 * throwaway database lives on the embedded cluster or on --dev-url and is
 * always dropped.
 */
#include "cmd/cmd.h"
#include "project.h"
#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { OPT_SEED = OPT_CMD_BASE, OPT_DEV_URL };

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void verify_progress(void *ctx, const char *msg)
{
	progress(ctx, "%s", msg);
}

/* ", 2 tables changed their row count": one part of the summary line, when n > 0. */
static void add_part(struct buf *b, int n, const char *one, const char *many)
{
	if (n <= 0)
		return;
	buf_printf(b, "%s%d %s", b->len ? ", " : "", n, n == 1 ? one : many);
}

static const char *outcome_name(enum verify_outcome oc, int errors)
{
	switch (oc) {
	case VERIFY_FIRST_RUN_FAILED: return "does not apply";
	case VERIFY_DONE: return errors ? "not idempotent" : "idempotent";
	default: return "not idempotent";
	}
}

static json_t *summary_json(const struct verify_result *r, const struct throwaway *tw, double total_ms,
			    const char *outcome, bool seed)
{
	json_t *j = json_object();
	json_object_set_new(j, "outcome", json_string(outcome));
	json_object_set_new(j, "runs", json_integer(r->runs));
	json_object_set_new(j, "seed", json_boolean(seed));
	json_object_set_new(j, "files", json_integer(r->files));
	json_object_set_new(j, "statements", json_integer(r->statements));
	json_object_set_new(j, "objects", json_integer(r->objects));
	json_object_set_new(j, "tables", json_integer(r->tables));
	json_object_set_new(j, "sequences", json_integer(r->sequences));
	json_object_set_new(j, "second_run_failed", json_integer(r->second_run_failed));
	json_object_set_new(j, "third_run_failed", json_integer(r->third_run_failed));
	json_object_set_new(j, "objects_changed", json_integer(r->objects_changed));
	json_object_set_new(j, "rows_changed", json_integer(r->rows_changed));
	json_object_set_new(j, "sequences_changed", json_integer(r->sequences_changed));
	json_object_set_new(j, "fresh_differs", json_integer(r->fresh_differs));
	json_t *t = json_object();
	json_object_set_new(t, "create_db_ms", json_real(tw->create_ms));
	json_t *runs = json_array();
	for (int i = 0; i < 3; i++) {
		if (!r->run[i].attempts)
			continue;
		json_t *ru = json_object();
		json_object_set_new(ru, "run", json_integer(i + 1));
		json_object_set_new(ru, "attempts", json_integer(r->run[i].attempts));
		json_object_set_new(ru, "failed", json_integer(r->run[i].failed));
		json_object_set_new(ru, "apply_ms", json_real(r->run[i].apply_ms));
		json_object_set_new(ru, "snapshot_ms", json_real(r->run[i].snapshot_ms));
		json_array_append_new(runs, ru);
	}
	json_object_set_new(t, "runs", runs);
	json_object_set_new(t, "compare_ms", json_real(r->compare_ms));
	json_object_set_new(t, "drop_db_ms", json_real(tw->drop_ms));
	json_object_set_new(t, "total_ms", json_real(total_ms));
	json_object_set_new(j, "timing", t);
	return j;
}

static void print_timing(const struct global_opts *g, const struct verify_result *r, const struct throwaway *tw,
			 double total_ms)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "timing: create %.0f ms", tw->create_ms);
	for (int i = 0; i < 3; i++)
		if (r->run[i].attempts)
			buf_printf(&b, ", run %d %.0f ms (%d attempt%s) + snapshot %.0f ms", i + 1, r->run[i].apply_ms,
				   r->run[i].attempts, r->run[i].attempts == 1 ? "" : "s", r->run[i].snapshot_ms);
	buf_printf(&b, ", compare %.1f ms, drop %.0f ms; total %.0f ms", r->compare_ms, tw->drop_ms, total_ms);
	progress(g, "%s", b.s);
	buf_release(&b);
}

int cmd_verify(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		GLOBAL_LONGOPTS,
		{ "seed", no_argument, NULL, OPT_SEED },
		{ "dev-url", required_argument, NULL, OPT_DEV_URL },
		{ NULL, 0, NULL, 0 }
	};
	const char *dev_url = NULL;
	bool seed = false;
	int c;

	while ((c = getopt_long(argc, argv, GLOBAL_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SEED: seed = true; break;
		case OPT_DEV_URL: dev_url = optarg; break;
		case '?':
			return usage_error("verify ", "invalid option");
		default:
			if (global_opt(g, c, optarg) < 0)
				return EXIT_USAGE;
		}
	}
	if (g->help) {
		print_command_help("verify");
		return EXIT_OK;
	}
	if (optind < argc)
		return usage_error("verify ", "unexpected argument '%s'", argv[optind]);
	if (g->db || g->env)
		return usage_error("verify ", "verify builds the files in a throwaway database, never in %s; "
				   "name the server to build them on with --dev-url", g->db ? "--db" : "--env");

	struct project p;
	int rc = cmd_open_project(g, &p, true);
	if (rc) {
		project_release(&p);
		return rc;
	}
	cmd_install_sigint();

	double t_start = now_ms();
	struct throwaway tw;
	rc = throwaway_open(g, &p, dev_url, &tw);
	if (rc) {
		project_release(&p);
		return rc;
	}
	progress(g, "verifying in throwaway database %s", tw.name);

	struct verify_opts vo = {
		.seed = seed,
		.ledger_schema = p.ledger_schema,
		.wait_ms = p.wait_ms,
		.progress = g->quiet ? NULL : verify_progress,
		.progress_ctx = g,
	};
	struct verify_result vr;
	struct diag d;
	struct buf err = BUF_INIT;
	verify_result_init(&vr);
	diag_init(&d);
	enum verify_outcome oc = verify_run(tw.conninfo, &p, &vo, &d, &vr, &err);
	throwaway_close(g, &tw);
	double total_ms = now_ms() - t_start;
	if (g->verbose)
		print_timing(g, &vr, &tw, total_ms);

	int errors = (int)diag_count(&d, SEV_ERROR);
	if (oc == VERIFY_ERROR || oc == VERIFY_INTERRUPTED) {
		if (d.items.n && g->format == FORMAT_TEXT)
			render_findings(g, &d, "verify", NULL);
		if (oc == VERIFY_INTERRUPTED)
			die_msg("interrupted; the throwaway database was dropped", NULL, NULL);
		else
			die_msg("cannot verify the files", err.s, NULL);
		rc = oc == VERIFY_INTERRUPTED ? EXIT_INTERRUPTED : EXIT_USAGE;
		goto out;
	}

	if (g->format != FORMAT_TEXT) {
		json_t *s = summary_json(&vr, &tw, total_ms, outcome_name(oc, errors), seed);
		render_findings(g, &d, "verify", s);
		json_decref(s);
	} else {
		render_findings(g, &d, "verify", NULL);
		if (d.items.n)
			putchar('\n');
		if (oc == VERIFY_FIRST_RUN_FAILED) {
			printf("ssot: the files do not apply to an empty database, so their idempotency cannot be "
			       "verified\n");
		} else if (errors) {
			struct buf line = BUF_INIT;
			add_part(&line, vr.second_run_failed, "statement failed on the second run",
				 "statements failed on the second run");
			add_part(&line, vr.third_run_failed, "statement failed on the third run",
				 "statements failed on the third run");
			add_part(&line, vr.objects_changed, "catalog change", "catalog changes");
			add_part(&line, vr.rows_changed, "table changed its row count", "tables changed their row count");
			add_part(&line, vr.sequences_changed, "sequence moved", "sequences moved");
			add_part(&line, vr.fresh_differs, "difference between a fresh build and three applies",
				 "differences between a fresh build and three applies");
			printf("not idempotent: %s\n", line.s);
			buf_release(&line);
		} else {
			printf("verified: %d file%s, %d statement%s %s idempotent (applied 3 times; catalog and row "
			       "counts stable)\n", vr.files, vr.files == 1 ? "" : "s", vr.statements,
			       vr.statements == 1 ? "" : "s", vr.statements == 1 ? "is" : "are");
		}
	}
	rc = errors || oc != VERIFY_DONE ? EXIT_FINDINGS : EXIT_OK;
out:
	diag_release(&d);
	verify_result_release(&vr);
	buf_release(&err);
	project_release(&p);
	return rc;
}
