/* ssot apply: the files, in one transaction, with the ledger. */
#include "cmd/cmd.h"
#include "apply.h"
#include "catalog.h"
#include "conn.h"
#include "diff.h"
#include "model.h"
#include "project.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_SEED = OPT_CMD_BASE, OPT_TESTS, OPT_DRY_RUN, OPT_RESET, OPT_YES, OPT_LOCK_TIMEOUT, OPT_WAIT };

static void apply_progress(void *ctx, const char *msg)
{
	progress(ctx, "%s", msg);
}

/*
 * apply --dry-run: the catalogs read inside the rehearsal transaction
 * before and after the files ran; their difference is what the apply
 * would create, change or drop.
 */
struct rehearsal {
	struct catalog_opts co;
	struct model before, after;
	bool read[2];		/* [0] before, [1] after: read without error */
	struct buf err;
};

static void rehearsal_read(void *ctx, PGconn *c, bool after)
{
	struct rehearsal *rh = ctx;
	struct model *m = after ? &rh->after : &rh->before;
	model_release(m);
	model_init(m);
	buf_reset(&rh->err);
	rh->read[after] = catalog_load(c, &rh->co, m, &rh->err) == 0;
}

/* Add the object-level report (findings of rule "dry-run") to d. */
static void rehearsal_report(const struct global_opts *g, struct rehearsal *rh, struct apply_result *r,
			     struct diag *d, struct diff_stats *st)
{
	if (!rh->read[0] || !rh->read[1]) {
		progress(g, "warning: no object-level report: %s", rh->err.len ? rh->err.s : "the catalogs were not read");
		return;
	}
	diff_locate(&rh->after, r->sqlfiles.v, r->sqlfiles.n);
	struct diff_opts dop = { .dry_run = true };
	diff_models(&rh->after, &rh->before, &dop, d, st);
}

/*
 * A protected environment's reset needs consent: --yes, or the database name
 * typed at a terminal. Returns true when given.
 */
static bool reset_consent(PGconn *c, const char *env, bool yes)
{
	if (yes)
		return true;
	if (!isatty(STDIN_FILENO)) {
		die_msg("refusing --reset on protected environment without consent", env,
			"pass --yes, or run it at a terminal and type the database name");
		return false;
	}
	fprintf(stderr, "ssot: --reset on protected environment '%s' drops data.\n"
		"ssot: type the database name (%s) to continue: ", env, PQdb(c));
	char line[256];
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, PQdb(c)) != 0) {
		die_msg("the name does not match; nothing was done", NULL, NULL);
		return false;
	}
	return true;
}

static json_t *summary_json(const struct apply_result *r, const struct apply_opts *o, const char *where)
{
	static const char *const outcomes[] = { "applied", "failed", "refused", "error", "interrupted" };
	json_t *s = json_object();
	json_object_set_new(s, "outcome", json_string(o->dry_run && r->outcome == APPLY_OK ? "rolled-back" :
						      outcomes[r->outcome]));
	json_object_set_new(s, "database", json_string(where));
	json_object_set_new(s, "dry_run", json_boolean(o->dry_run));
	json_object_set_new(s, "files", json_integer(r->files));
	json_object_set_new(s, "statements", json_integer(r->statements));
	json_object_set_new(s, "skipped_if_exists", json_integer(r->skipped_notices));
	json_object_set_new(s, "retries", json_integer(r->retries));
	json_object_set_new(s, "duration_ms", json_real(r->ms));
	json_object_set_new(s, "run_id", r->run_id ? json_integer(r->run_id) : json_null());
	if (o->tests != TESTS_SKIP) {
		json_t *t = json_object();
		json_object_set_new(t, "passed", json_integer(r->tests_passed));
		json_object_set_new(t, "failed", json_integer(r->tests_failed));
		json_object_set_new(s, "tests", t);
	}
	json_t *files = json_array();
	for (size_t i = 0; i < r->file_stats.n; i++) {
		const struct apply_file_stat *f = &r->file_stats.v[i];
		json_t *jf = json_object();
		json_object_set_new(jf, "path", json_string(f->path));
		json_object_set_new(jf, "phase", json_string(phase_name(f->phase)));
		json_object_set_new(jf, "ran", json_boolean(f->ran));
		json_object_set_new(jf, "statements", json_integer(f->statements));
		json_object_set_new(jf, "duration_ms", json_real(f->ms));
		json_array_append_new(files, jf);
	}
	json_object_set_new(s, "file_list", files);
	json_t *nontx = json_array();
	for (size_t i = 0; i < r->nontx.n; i++) {
		const struct apply_nontx *n = &r->nontx.v[i];
		json_t *jn = json_object();
		json_object_set_new(jn, "file", json_string(n->file));
		json_object_set_new(jn, "line", json_integer(n->line));
		json_object_set_new(jn, "statement", json_string(n->tag));
		json_object_set_new(jn, "ok", o->dry_run ? json_null() : json_boolean(n->ok));
		json_object_set_new(jn, "duration_ms", json_real(n->ms));
		json_array_append_new(nontx, jn);
	}
	json_object_set_new(s, "after_commit", nontx);
	json_t *notices = json_array();
	for (size_t i = 0; i < r->notices.n; i++) {
		const struct apply_notice *n = &r->notices.v[i];
		json_t *jn = json_object();
		json_object_set_new(jn, "file", n->file ? json_string(n->file) : json_null());
		json_object_set_new(jn, "line", n->line ? json_integer(n->line) : json_null());
		json_object_set_new(jn, "severity", json_string(n->severity));
		json_object_set_new(jn, "message", json_string(n->message));
		json_array_append_new(notices, jn);
	}
	json_object_set_new(s, "notices", notices);
	return s;
}

static void print_text_report(const struct global_opts *g, const struct apply_result *r,
			      const struct apply_opts *o, const char *where)
{
	if (g->verbose || o->dry_run)
		for (size_t i = 0; i < r->file_stats.n; i++) {
			const struct apply_file_stat *f = &r->file_stats.v[i];
			if (f->ran)
				printf("  %-8s %s  %d statements, %.1f ms\n", phase_name(f->phase), f->path,
				       f->statements, f->ms);
			else
				printf("  %-8s %s  unchanged, skipped\n", phase_name(f->phase), f->path);
		}
	for (size_t i = 0; i < r->nontx.n; i++) {
		const struct apply_nontx *n = &r->nontx.v[i];
		if (o->dry_run)
			printf("after commit (would run): %s:%d: %s\n", n->file, n->line, n->tag);
		else
			printf("after commit: %s:%d: %s %s (%.1f ms)\n", n->file, n->line, n->tag,
			       n->ok ? "done" : "FAILED", n->ms);
	}
	if (r->outcome != APPLY_OK && !(o->dry_run && r->outcome == APPLY_OK)) {
		if (r->outcome == APPLY_SQL_FAILED && r->run_id)
			printf("ssot: applied to %s (run %lld), but a statement after the commit failed\n", where, r->run_id);
		else if (r->outcome == APPLY_SQL_FAILED || r->outcome == APPLY_REFUSED)
			printf("ssot: %s; rolled back, nothing was applied to %s\n",
			       r->outcome == APPLY_REFUSED ? "refused before running anything" :
			       r->tests_failed ? "tests failed" : "apply failed", where);
		return;
	}
	struct buf line = BUF_INIT;
	if (o->tests == TESTS_ONLY)
		buf_printf(&line, "tests: %d passed, %d failed (%.0f ms, rolled back)", r->tests_passed,
			   r->tests_failed, r->ms);
	else {
		buf_printf(&line, "%s %d file%s, %d statement%s in %.0f ms %s %s", o->dry_run ? "dry run:" : "applied",
			   r->files, r->files == 1 ? "" : "s", r->statements, r->statements == 1 ? "" : "s", r->ms,
			   o->dry_run ? "against" : "to", where);
		if (r->run_id)
			buf_printf(&line, " (run %lld)", r->run_id);
		if (r->skipped_notices)
			buf_printf(&line, "; %d skipped by IF [NOT] EXISTS", r->skipped_notices);
		if (o->tests == TESTS_ALWAYS)
			buf_printf(&line, "; tests %d/%d", r->tests_passed, r->tests_passed + r->tests_failed);
		if (r->retries)
			buf_printf(&line, "; %d retr%s", r->retries, r->retries == 1 ? "y" : "ies");
		if (o->dry_run)
			buf_adds(&line, "; rolled back");
	}
	if (!g->quiet || o->dry_run)
		printf("%s\n", line.s);
	buf_release(&line);
}

int cmd_apply(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		GLOBAL_LONGOPTS,
		{ "seed", no_argument, NULL, OPT_SEED },
		{ "tests", required_argument, NULL, OPT_TESTS },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "reset", no_argument, NULL, OPT_RESET },
		{ "yes", no_argument, NULL, OPT_YES },
		{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ NULL, 0, NULL, 0 }
	};
	struct apply_opts o = { .max_retries = 3, .tests = TESTS_SKIP };
	bool yes = false;
	int lock_timeout = -1, wait = -1, c;

	while ((c = getopt_long(argc, argv, GLOBAL_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SEED: o.seed = true; break;
		case OPT_DRY_RUN: o.dry_run = true; break;
		case OPT_RESET: o.reset = true; break;
		case OPT_YES: yes = true; break;
		case OPT_TESTS:
			if (parse_tests_mode(optarg, &o.tests) < 0)
				return usage_error("apply ", "unknown --tests '%s' (expected always, only or skip)", optarg);
			break;
		case OPT_LOCK_TIMEOUT:
		case OPT_WAIT: {
			int ms = parse_duration_ms(optarg);
			if (ms < 0)
				return usage_error("apply ", "invalid duration '%s' (use e.g. 5s, 500ms, 2min)", optarg);
			*(c == OPT_WAIT ? &wait : &lock_timeout) = ms;
			break;
		}
		case '?':
			return usage_error("apply ", "invalid option");
		default:
			if (global_opt(g, c, optarg) < 0)
				return EXIT_USAGE;
		}
	}
	if (g->help) {
		print_command_help("apply");
		return EXIT_OK;
	}
	if (optind < argc)
		return usage_error("apply ", "unexpected argument '%s'", argv[optind]);

	struct project p;
	struct target t;
	PGconn *conn = NULL;
	int rc = cmd_open_project(g, &p, true);
	if (rc) {
		project_release(&p);
		return rc;
	}
	cmd_install_sigint();
	rc = cmd_connect(g, &p, &t, &conn);
	if (rc) {
		target_release(&t);
		project_release(&p);
		return rc;
	}
	o.lock_timeout_ms = lock_timeout >= 0 ? lock_timeout : t.lock_timeout_ms;
	o.wait_ms = wait >= 0 ? wait : p.wait_ms;
	o.env_name = t.env_name;
	o.ledger_schema = p.ledger_schema;
	o.progress = apply_progress;
	o.progress_ctx = g;

	if (o.reset && t.protected_env && !reset_consent(conn, t.env_name, yes)) {
		PQfinish(conn);
		target_release(&t);
		project_release(&p);
		return EXIT_USAGE;
	}

	char *where = conn_describe(conn);
	struct diag d;
	struct apply_result r;
	struct buf err = BUF_INIT;
	struct rehearsal rh = { .co = { .ledger_schema = p.ledger_schema, .in_transaction = true } };
	struct diff_stats objects = { 0 };
	model_init(&rh.before);
	model_init(&rh.after);
	buf_init(&rh.err);
	if (o.dry_run) {
		o.rehearsal = rehearsal_read;
		o.rehearsal_ctx = &rh;
	}
	diag_init(&d);
	apply_result_init(&r);
	enum apply_outcome out = apply_run(conn, &p, &o, &d, &r, &err);
	if (o.dry_run && out == APPLY_OK)
		rehearsal_report(g, &rh, &r, &d, &objects);

	print_notices(&r);
	if (out == APPLY_ERROR || out == APPLY_INTERRUPTED) {
		if (out == APPLY_INTERRUPTED)
			die_msg("interrupted; the transaction was rolled back, nothing was applied", NULL, NULL);
		else {
			conn_scrub(&err, t.conninfo);
			die_msg(err.s, NULL, NULL);
		}
		rc = out == APPLY_INTERRUPTED ? EXIT_INTERRUPTED : EXIT_USAGE;
	} else {
		rc = out == APPLY_OK ? EXIT_OK : EXIT_FINDINGS;
	}
	if (out != APPLY_ERROR && out != APPLY_INTERRUPTED) {
		if (g->format == FORMAT_JSON) {
			json_t *s = summary_json(&r, &o, where);
			if (o.dry_run && out == APPLY_OK) {
				json_t *ob = json_object();
				json_object_set_new(ob, "created", json_integer(objects.missing));
				json_object_set_new(ob, "dropped", json_integer(objects.extra));
				json_object_set_new(ob, "changed", json_integer(objects.changed));
				json_object_set_new(s, "objects", ob);
			}
			render_findings(g, &d, "apply", s);
			json_decref(s);
		} else {
			render_findings(g, &d, "apply", NULL);
			if (g->format == FORMAT_TEXT)
				print_text_report(g, &r, &o, where);
			if (g->format == FORMAT_TEXT && o.dry_run && out == APPLY_OK)
				printf("dry run: %d object%s would be created, %d dropped, %d attribute%s changed\n",
				       objects.missing, objects.missing == 1 ? "" : "s", objects.extra, objects.changed,
				       objects.changed == 1 ? "" : "s");
		}
	}

	model_release(&rh.before);
	model_release(&rh.after);
	buf_release(&rh.err);
	buf_release(&err);
	apply_result_release(&r);
	diag_release(&d);
	free(where);
	PQfinish(conn);
	target_release(&t);
	project_release(&p);
	return rc;
}
