/* ssot lint: static checks of the SQL files (docs/lint.md). */
#include "cmd/cmd.h"
#include "lint/lint.h"
#include "project.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

enum { OPT_PROFILE = OPT_CMD_BASE, OPT_RULE, OPT_LIST_RULES, OPT_JOBS };

static const char *flag_text(unsigned flags)
{
	if (flags & LINT_ONLINE)
		return "online";
	if (flags & LINT_OPT_IN)
		return "opt-in";
	return "";
}

static void list_rules(const struct global_opts *g, const struct lint_opts *o)
{
	const struct lint_rule *r = lint_rules();
	if (g->format == FORMAT_JSON) {
		json_t *arr = json_array();
		for (int i = 0; i < R_COUNT; i++) {
			json_t *j = json_object();
			json_object_set_new(j, "id", json_string(r[i].id));
			json_object_set_new(j, "family", json_string(lint_family_name(r[i].family)));
			json_object_set_new(j, "severity", json_string(severity_name(r[i].severity)));
			json_object_set_new(j, "default", json_string(*flag_text(r[i].flags) ? flag_text(r[i].flags) : "on"));
			json_object_set_new(j, "enabled", json_boolean(o->enabled[i]));
			json_object_set_new(j, "summary", json_string(r[i].summary));
			json_object_set_new(j, "why", json_string(r[i].why));
			json_object_set_new(j, "fix", json_string(r[i].fix));
			json_array_append_new(arr, j);
		}
		json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(arr);
		return;
	}
	enum lint_family fam = (enum lint_family)-1;
	for (int i = 0; i < R_COUNT; i++) {
		if (r[i].family != fam) {
			fam = r[i].family;
			printf("%s%s:\n", i ? "\n" : "", lint_family_name(fam));
		}
		printf("  %-26s %-8s %-7s %s%s\n", r[i].id, severity_name(r[i].severity), flag_text(r[i].flags),
		       r[i].summary, o->enabled[i] ? "" : " (off)");
		if (g->verbose)
			printf("      why: %s\n      fix: %s\n", r[i].why, r[i].fix);
	}
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int cmd_lint(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		GLOBAL_LONGOPTS,
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "rule", required_argument, NULL, OPT_RULE },
		{ "list-rules", no_argument, NULL, OPT_LIST_RULES },
		{ "jobs", required_argument, NULL, OPT_JOBS },
		{ NULL, 0, NULL, 0 }
	};
	const char *profile = NULL;
	VEC(const char *) only = VEC_INIT;
	bool list = false;
	int jobs = 0;
	int c;
	while ((c = getopt_long(argc, argv, GLOBAL_SHORTOPTS "j:", longopts, NULL)) != -1) {
		if (c == OPT_PROFILE) {
			profile = optarg;
		} else if (c == OPT_RULE) {
			VEC_PUSH(&only, optarg);
		} else if (c == OPT_LIST_RULES) {
			list = true;
		} else if (c == OPT_JOBS || c == 'j') {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 256) {
				VEC_FREE(&only);
				return usage_error("lint ", "--jobs wants a number from 1 to 256, not '%s'", optarg);
			}
			jobs = (int)n;
		} else if (c == '?') {
			VEC_FREE(&only);
			return usage_error("lint ", "invalid option");
		} else if (global_opt(g, c, optarg) < 0) {
			VEC_FREE(&only);
			return EXIT_USAGE;
		}
	}
	if (g->help) {
		VEC_FREE(&only);
		print_command_help("lint");
		return EXIT_OK;
	}

	struct project p;
	struct buf err = BUF_INIT;
	struct lint_opts o;
	lint_opts_init(&o);
	o.jobs = jobs;
	bool files_given = optind < argc;
	/* Lint reads every file itself and needs no ledger hashes: list the files only. */
	int rc = cmd_open_project(g, &p, false);
	if (rc == EXIT_OK && !files_given && !list && project_list(&p, &err) < 0) {
		die_msg(err.s, NULL, NULL);
		rc = EXIT_USAGE;
	}
	if (rc == EXIT_OK && (lint_opts_configure(&o, &p, profile, &err) < 0 ||
			      (only.n && lint_opts_only(&o, only.v, only.n, &err) < 0))) {
		die_msg(err.s, NULL, "see 'ssot lint --list-rules'");
		rc = EXIT_USAGE;
	}
	VEC_FREE(&only);
	if (rc != EXIT_OK) {
		buf_release(&err);
		project_release(&p);
		return rc;
	}
	if (list) {
		list_rules(g, &o);
		project_release(&p);
		return EXIT_OK;
	}

	struct lint *l = lint_new(&o);
	if (files_given) {
		for (int i = optind; i < argc; i++) {
			struct stat st;
			if (stat(argv[i], &st) < 0 || !S_ISREG(st.st_mode)) {
				die_msg("cannot lint a file that does not exist or is not a regular file", argv[i], NULL);
				lint_free(l);
				project_release(&p);
				return EXIT_USAGE;
			}
			lint_add_file(l, argv[i], argv[i], lint_phase_of_path(argv[i]));
		}
	} else {
		for (size_t i = 0; i < p.files.n; i++)
			lint_add_file(l, p.files.v[i].path, p.files.v[i].fs_path, p.files.v[i].phase);
	}

	struct diag d;
	diag_init(&d);
	double t0 = now_ms();
	if (lint_run(l, &d, &err) < 0) {
		die_msg(err.s, NULL, NULL);
		rc = EXIT_USAGE;
	} else {
		double ms = now_ms() - t0;
		size_t errors = diag_count(&d, SEV_ERROR);
		json_t *summary = json_object();
		json_object_set_new(summary, "files", json_integer((json_int_t)lint_file_count(l)));
		json_object_set_new(summary, "statements", json_integer((json_int_t)lint_statement_count(l)));
		json_object_set_new(summary, "profile", json_string(o.profile == LINT_PROFILE_ONLINE ? "online" : "default"));
		json_object_set_new(summary, "duration_ms", json_real(ms));
		render_findings(g, &d, "lint", summary);
		json_decref(summary);
		if (g->format == FORMAT_TEXT && !g->quiet) {
			size_t warnings = diag_count(&d, SEV_WARNING), notes = diag_count(&d, SEV_NOTE);
			if (d.items.n)
				printf("lint: %zu error%s, %zu warning%s, %zu note%s in %zu files (%zu statements)\n",
				       errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s", notes,
				       notes == 1 ? "" : "s", lint_file_count(l), lint_statement_count(l));
			else
				printf("lint: no findings in %zu files (%zu statements)\n", lint_file_count(l),
				       lint_statement_count(l));
		}
		rc = errors ? EXIT_FINDINGS : EXIT_OK;
	}
	diag_release(&d);
	lint_free(l);
	buf_release(&err);
	project_release(&p);
	return rc;
}
