/* ssot inspect: a live database as canonical idempotent SQL files, or as the JSON model. */
#include "cmd/cmd.h"
#include "catalog.h"
#include "conn.h"
#include "model.h"
#include "project.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { OPT_OUT = OPT_CMD_BASE, OPT_SPLIT, OPT_SCHEMA, OPT_EXCLUDE_SCHEMA, OPT_GRANTS };

static void trace_query(void *ctx, const char *what, int rows, double ms)
{
	progress(ctx, "catalog: %s: %d rows in %.1f ms", what, rows, ms);
}

/* mkdir -p; returns 0 or -1 with errno set. */
static int make_dirs(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	int rc = mkdir(p, 0777) < 0 && errno != EEXIST ? -1 : 0;
	free(p);
	return rc;
}

/* Write `text` to dir/name; prints the error and returns -1 on failure. */
static int write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	int rc = 0;
	if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		char *msg = xasprintf("cannot write %s: %s", path, strerror(errno));
		die_msg(msg, NULL, NULL);
		free(msg);
		if (f)
			fclose(f);
		rc = -1;
	}
	free(path);
	return rc;
}

/* Write the model as SQL: to stdout, or one file per schema / kind under out_dir. */
static int write_sql(struct model *m, PGconn *conn, const char *out_dir, bool split, const struct global_opts *g)
{
	struct model_sql_file *files = NULL;
	struct buf warn = BUF_INIT;
	size_t n = model_write_sql(m, conn, split, &files, &warn);
	for (char *line = warn.s, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		fprintf(stderr, "ssot: warning: %.*s\n", (int)(nl - line), line);
	}
	buf_release(&warn);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!out_dir) {
			fwrite(files[i].text.s, 1, files[i].text.len, stdout);
			continue;
		}
		rc = write_file(out_dir, files[i].name, files[i].text.s, files[i].text.len);
		if (rc == 0)
			progress(g, "wrote %s/%s (%zu object%s)", out_dir, files[i].name, files[i].objects,
				 files[i].objects == 1 ? "" : "s");
	}
	for (size_t i = 0; i < n; i++) {
		free(files[i].name);
		buf_release(&files[i].text);
	}
	free(files);
	return rc;
}

int cmd_inspect(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		GLOBAL_LONGOPTS,
		{ "out", required_argument, NULL, OPT_OUT },
		{ "split", no_argument, NULL, OPT_SPLIT },
		{ "schema", required_argument, NULL, OPT_SCHEMA },
		{ "exclude-schema", required_argument, NULL, OPT_EXCLUDE_SCHEMA },
		{ "grants", no_argument, NULL, OPT_GRANTS },
		{ NULL, 0, NULL, 0 }
	};
	const char *out_dir = NULL;
	bool split = false, json = false;
	VEC(const char *) schemas = VEC_INIT;
	VEC(const char *) excludes = VEC_INIT;
	struct catalog_opts co = { .deps = true };
	int c;

	while ((c = getopt_long(argc, argv, GLOBAL_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case OPT_OUT: out_dir = optarg; break;
		case OPT_SPLIT: split = true; break;
		case OPT_SCHEMA: VEC_PUSH(&schemas, optarg); break;
		case OPT_EXCLUDE_SCHEMA: VEC_PUSH(&excludes, optarg); break;
		case OPT_GRANTS: co.grants = true; break;
		case OPT_FORMAT:
			/* inspect's formats are its own: sql (default) or json */
			if (!strcmp(optarg, "json"))
				json = true;
			else if (!strcmp(optarg, "sql"))
				json = false;
			else {
				VEC_FREE(&schemas);
				VEC_FREE(&excludes);
				return usage_error("inspect ", "unknown --format '%s' (expected sql or json)", optarg);
			}
			break;
		case '?':
			VEC_FREE(&schemas);
			VEC_FREE(&excludes);
			return usage_error("inspect ", "invalid option");
		default:
			if (global_opt(g, c, optarg) < 0) {
				VEC_FREE(&schemas);
				VEC_FREE(&excludes);
				return EXIT_USAGE;
			}
		}
	}
	int rc = EXIT_OK;
	if (g->help) {
		print_command_help("inspect");
		goto out_opts;
	}
	if (optind < argc) {
		rc = usage_error("inspect ", "unexpected argument '%s'", argv[optind]);
		goto out_opts;
	}
	if (split && json) {
		rc = usage_error("inspect ", "--split applies to --format sql");
		goto out_opts;
	}
	co.schemas = schemas.v;
	co.nschemas = schemas.n;
	co.exclude_schemas = excludes.v;
	co.nexclude = excludes.n;
	co.deps = !json;
	co.unindexed = true;	/* written out, never searched */

	struct project p;
	struct target t;
	PGconn *conn = NULL;
	rc = cmd_open_project(g, &p, false);
	if (rc) {
		project_release(&p);
		goto out_opts;
	}
	co.ledger_schema = p.ledger_schema;
	if (g->verbose > 1) {
		co.trace = trace_query;
		co.trace_ctx = g;
	}
	cmd_install_sigint();
	rc = cmd_connect(g, &p, &t, &conn);
	if (rc)
		goto out_project;

	struct model m;
	struct buf err = BUF_INIT;
	model_init(&m);
	if (catalog_load(conn, &co, &m, &err) < 0) {
		die_msg(err.s, NULL, NULL);
		rc = EXIT_USAGE;
		goto out_model;
	}
	if (g->verbose)
		progress(g, "read %zu objects in %u queries, %.1f ms", m.objs.n, m.queries, m.load_ms);
	for (size_t i = 0; i < m.objs.n; i++)
		if (m.objs.v[i]->kind == OBJ_UNSUPPORTED && !g->quiet)
			fprintf(stderr, "ssot: note: %s %s is not modelled by ssot and is not in the output\n",
				m.objs.v[i]->what, m.objs.v[i]->id);
	if (out_dir && make_dirs(out_dir) < 0) {
		char *msg = xasprintf("cannot create %s: %s", out_dir, strerror(errno));
		die_msg(msg, NULL, NULL);
		free(msg);
		rc = EXIT_USAGE;
		goto out_model;
	}
	if (json) {
		if (out_dir) {
			char *path = xasprintf("%s/model.json", out_dir);
			FILE *f = fopen(path, "w");
			if (!f) {
				char *msg = xasprintf("cannot write %s: %s", path, strerror(errno));
				die_msg(msg, NULL, NULL);
				free(msg);
				rc = EXIT_USAGE;
			} else {
				model_write_json(&m, f);
				if (fclose(f) != 0) {
					die_msg("cannot write model.json", strerror(errno), NULL);
					rc = EXIT_USAGE;
				}
			}
			free(path);
		} else {
			model_write_json(&m, stdout);
		}
	} else if (write_sql(&m, conn, out_dir, split, g) < 0) {
		rc = EXIT_USAGE;
	}

out_model:
	buf_release(&err);
	model_release(&m);
	PQfinish(conn);
out_project:
	target_release(&t);
	project_release(&p);
out_opts:
	VEC_FREE(&schemas);
	VEC_FREE(&excludes);
	return rc;
}
