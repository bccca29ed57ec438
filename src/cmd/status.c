/* ssot status: the files on disk against the ledger's last run. */
#include "cmd/cmd.h"
#include "apply.h"
#include "conn.h"
#include "project.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_SEED = OPT_CMD_BASE };

enum file_state { FILE_UNCHANGED, FILE_CHANGED, FILE_NEW, FILE_DELETED };
static const char *const state_names[] = { "unchanged", "changed", "new", "deleted" };

struct entry {
	const char *path, *phase;
	enum file_state state;
};

int cmd_status(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		GLOBAL_LONGOPTS,
		{ "seed", no_argument, NULL, OPT_SEED },
		{ NULL, 0, NULL, 0 }
	};
	bool seed = false;
	int c;
	while ((c = getopt_long(argc, argv, GLOBAL_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == OPT_SEED)
			seed = true;
		else if (c == '?')
			return usage_error("status ", "invalid option");
		else if (global_opt(g, c, optarg) < 0)
			return EXIT_USAGE;
	}
	if (g->help) {
		print_command_help("status");
		return EXIT_OK;
	}
	if (optind < argc)
		return usage_error("status ", "unexpected argument '%s'", argv[optind]);
	if (g->format != FORMAT_TEXT && g->format != FORMAT_JSON)
		return usage_error("status ", "status prints text or json");

	struct project p;
	struct target t;
	PGconn *conn;
	int rc = cmd_open_project(g, &p, true);
	if (rc) {
		project_release(&p);
		return rc;
	}
	rc = cmd_connect(g, &p, &t, &conn);
	if (rc) {
		target_release(&t);
		project_release(&p);
		return rc;
	}

	struct ledger_run run;
	struct buf err = BUF_INIT;
	int found = ledger_last_run(conn, p.ledger_schema, &run, &err);
	if (found < 0) {
		die_msg(err.s, NULL, NULL);
		buf_release(&err);
		PQfinish(conn);
		target_release(&t);
		project_release(&p);
		return EXIT_USAGE;
	}
	seed = seed || (found && run.seed);

	VEC(struct entry) entries = VEC_INIT;
	int pending = 0;
	for (size_t i = 0; i < p.files.n; i++) {
		const struct project_file *f = &p.files.v[i];
		if (f->phase == PHASE_TESTS || f->phase == PHASE_RESET || (f->phase == PHASE_SEED && !seed))
			continue;
		struct entry e = { f->path, phase_name(f->phase), FILE_NEW };
		for (size_t k = 0; found && k < run.files.n; k++)
			if (!strcmp(run.files.v[k].path, f->path))
				e.state = strcmp(run.files.v[k].sha256, f->sha256) ? FILE_CHANGED : FILE_UNCHANGED;
		pending += e.state != FILE_UNCHANGED;
		VEC_PUSH(&entries, e);
	}
	for (size_t k = 0; found && k < run.files.n; k++) {
		bool present = false;
		for (size_t i = 0; i < p.files.n && !present; i++)
			present = !strcmp(run.files.v[k].path, p.files.v[i].path);
		if (!present) {
			struct entry e = { run.files.v[k].path, run.files.v[k].phase, FILE_DELETED };
			VEC_PUSH(&entries, e);
			pending++;
		}
	}

	char *where = conn_describe(conn);
	if (g->format == FORMAT_JSON) {
		json_t *doc = json_object();
		json_object_set_new(doc, "version", json_integer(1));
		json_object_set_new(doc, "command", json_string("status"));
		json_object_set_new(doc, "database", json_string(where));
		json_t *jr = json_null();
		if (found) {
			jr = json_object();
			json_object_set_new(jr, "id", json_integer(run.id));
			json_object_set_new(jr, "finished_at", json_string(run.finished_at));
			json_object_set_new(jr, "db_user", json_string(run.db_user));
			json_object_set_new(jr, "os_user", json_string(run.os_user));
			json_object_set_new(jr, "environment", *run.environment ? json_string(run.environment) : json_null());
			json_object_set_new(jr, "tool_version", json_string(run.tool_version));
			json_object_set_new(jr, "files_hash", json_string(run.files_hash));
		}
		json_object_set_new(doc, "last_run", jr);
		json_t *files = json_array();
		for (size_t i = 0; i < entries.n; i++) {
			json_t *jf = json_object();
			json_object_set_new(jf, "path", json_string(entries.v[i].path));
			json_object_set_new(jf, "phase", json_string(entries.v[i].phase));
			json_object_set_new(jf, "status", json_string(state_names[entries.v[i].state]));
			json_array_append_new(files, jf);
		}
		json_object_set_new(doc, "files", files);
		json_object_set_new(doc, "pending", json_integer(pending));
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(doc);
	} else {
		if (found)
			printf("%s: last applied %s by %s (os user %s%s%s), run %lld, ssot %s\n", where,
			       run.finished_at, run.db_user, run.os_user, *run.environment ? ", env " : "",
			       run.environment, run.id, run.tool_version);
		else
			printf("%s: never applied by ssot (no ledger in schema \"%s\")\n", where, p.ledger_schema);
		for (size_t i = 0; i < entries.n; i++)
			if (entries.v[i].state != FILE_UNCHANGED || g->verbose)
				printf("  %-9s %s\n", state_names[entries.v[i].state], entries.v[i].path);
		if (pending)
			printf("%d file%s pending; run 'ssot apply'\n", pending, pending == 1 ? "" : "s");
		else
			printf("up to date: %zu file%s unchanged\n", entries.n, entries.n == 1 ? "" : "s");
	}

	free(where);
	VEC_FREE(&entries);
	if (found)
		ledger_run_release(&run);
	buf_release(&err);
	PQfinish(conn);
	target_release(&t);
	project_release(&p);
	return pending ? EXIT_FINDINGS : EXIT_OK;
}
