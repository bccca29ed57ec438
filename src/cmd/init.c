/* ssot init: the project layout, idempotently. */
#include "cmd/cmd.h"
#include "project.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char example_run[] =
	"-- The schema, written so that running it again changes nothing.\n"
	"-- Edit it in place: this file is the single source of truth for these objects.\n"
	"CREATE TABLE IF NOT EXISTS example (\n"
	"    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
	"    name       text NOT NULL,\n"
	"    created_at timestamptz NOT NULL DEFAULT now()\n"
	");\n"
	"\n"
	"CREATE UNIQUE INDEX IF NOT EXISTS example_name_key ON example (name);\n";

static const char example_seed[] =
	"-- Development data: runs only with 'ssot apply --seed'.\n"
	"INSERT INTO example (name) VALUES ('first'), ('second')\n"
	"ON CONFLICT (name) DO NOTHING;\n";

static const char example_test[] =
	"-- A SQL test: it passes when it runs without error. It runs inside the\n"
	"-- apply's transaction and its effects are rolled back.\n"
	"DO $$\n"
	"BEGIN\n"
	"    INSERT INTO example (name) VALUES ('test row');\n"
	"    ASSERT (SELECT count(*) FROM example WHERE name = 'test row') = 1,\n"
	"        'inserted row is visible';\n"
	"END\n"
	"$$;\n";

static const char example_prerun[] =
	"-- Runs first, every time: session settings for the statements that follow.\n"
	"SET client_min_messages = notice;\n";

static const char example_conf[] =
	"# ssot configuration. See the README for every key.\n"
	"[project]\n"
	"dir = %s\n"
	"# ledger_schema = ssot\n"
	"# lock_timeout = 5s\n"
	"\n"
	"# [env \"prod\"]\n"
	"# url_env = PROD_DATABASE_URL   # the variable holding the connection string\n"
	"# protected = true              # refuse --reset without consent\n"
	"# lock_timeout = 3s\n";

/* Create a directory if missing; reports what it did. */
static int make_dir(const char *path, bool *created)
{
	*created = false;
	if (mkdir(path, 0777) == 0) {
		*created = true;
		return 0;
	}
	if (errno == EEXIST) {
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		errno = ENOTDIR;
	}
	return -1;
}

/* Write a file unless it exists. Returns 1 written, 0 present, -1 error. */
static int write_new(const char *path, const char *content)
{
	FILE *f = fopen(path, "wx");
	if (!f)
		return errno == EEXIST ? 0 : -1;
	fputs(content, f);
	return fclose(f) == 0 ? 1 : -1;
}

static bool dir_has_sql(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return false;
	struct dirent *de;
	bool found = false;
	while (!found && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		found = n > 4 && !strcmp(de->d_name + n - 4, ".sql");
	}
	closedir(d);
	return found;
}

static int ensure_gitignore(bool *changed)
{
	*changed = false;
	FILE *f = fopen(".gitignore", "r");
	char line[1024];
	bool last_newline = true;
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			size_t n = strlen(line);
			last_newline = n && line[n - 1] == '\n';
			line[strcspn(line, "\r\n")] = '\0';
			if (!strcmp(line, ".ssot/") || !strcmp(line, ".ssot") || !strcmp(line, "/.ssot/") ||
			    !strcmp(line, "/.ssot")) {
				fclose(f);
				return 0;
			}
		}
		fclose(f);
	}
	f = fopen(".gitignore", "a");
	if (!f)
		return -1;
	fprintf(f, "%s# ssot: the embedded PostgreSQL and local state\n.ssot/\n", last_newline ? "" : "\n");
	*changed = true;
	return fclose(f);
}

int cmd_init(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = { GLOBAL_LONGOPTS, { NULL, 0, NULL, 0 } };
	int c;
	while ((c = getopt_long(argc, argv, GLOBAL_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == '?')
			return usage_error("init ", "invalid option");
		if (global_opt(g, c, optarg) < 0)
			return EXIT_USAGE;
	}
	if (g->help) {
		print_command_help("init");
		return EXIT_OK;
	}
	if (optind < argc)
		return usage_error("init ", "unexpected argument '%s'", argv[optind]);

	struct project p;
	if (cmd_open_project(g, &p, false)) {
		project_release(&p);
		return EXIT_USAGE;
	}
	int created = 0;
	bool made;
	const char *subdirs[] = { "", "/prerun", "/run", "/seed", "/postrun", "/reset", "/tests" };
	bool fresh_run;
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		char *path = xasprintf("%s%s", p.dir, subdirs[i]);
		if (make_dir(path, &made) < 0) {
			char *msg = xasprintf("cannot create %s: %s", path, strerror(errno));
			die_msg(msg, NULL, NULL);
			free(msg);
			free(path);
			project_release(&p);
			return EXIT_USAGE;
		}
		if (made) {
			printf("created %s/\n", path);
			created++;
		}
		free(path);
	}
	char *run_dir = xasprintf("%s/run", p.dir);
	fresh_run = !dir_has_sql(run_dir);
	free(run_dir);
	struct { const char *rel, *content; } files[] = {
		{ "prerun/00_settings.sql", example_prerun },
		{ "run/10_example.sql", example_run },
		{ "seed/10_example.sql", example_seed },
		{ "tests/example.test.sql", example_test },
	};
	for (size_t i = 0; fresh_run && i < sizeof(files) / sizeof(files[0]); i++) {
		char *path = xasprintf("%s/%s", p.dir, files[i].rel);
		int w = write_new(path, files[i].content);
		if (w < 0) {
			char *msg = xasprintf("cannot write %s: %s", path, strerror(errno));
			die_msg(msg, NULL, NULL);
			free(msg);
			free(path);
			project_release(&p);
			return EXIT_USAGE;
		}
		if (w) {
			printf("created %s\n", path);
			created++;
		}
		free(path);
	}
	char *conf = xasprintf(example_conf, p.dir);
	int w = write_new("ssot.conf", conf);
	free(conf);
	if (w < 0) {
		die_msg("cannot write ssot.conf", strerror(errno), NULL);
		project_release(&p);
		return EXIT_USAGE;
	}
	if (w) {
		printf("created ssot.conf\n");
		created++;
	}
	bool changed;
	if (ensure_gitignore(&changed) < 0) {
		die_msg("cannot update .gitignore", strerror(errno), NULL);
		project_release(&p);
		return EXIT_USAGE;
	}
	if (changed) {
		printf("added .ssot/ to .gitignore\n");
		created++;
	}
	if (!created)
		printf("nothing to do: the layout is in place\n");
	else if (!g->quiet)
		printf("next: 'ssot apply' (uses the embedded PostgreSQL when no database is configured)\n");
	project_release(&p);
	return EXIT_OK;
}
