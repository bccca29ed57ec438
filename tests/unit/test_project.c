/* Unit tests for the project layout: .env, ssot.conf, file order, hashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "project.h"

static char tmpl[64];
static char oldcwd[4096];

static void put(const char *path, const char *content)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	for (char *s = dir + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(dir, 0755);
			*s = '/';
		}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(getcwd(oldcwd, sizeof(oldcwd)));
	snprintf(tmpl, sizeof(tmpl), "/tmp/ssot-unit-XXXXXX");
	assert_non_null(mkdtemp(tmpl));
	assert_int_equal(chdir(tmpl), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(chdir(oldcwd), 0);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void test_dotenv(void **state)
{
	(void)state;
	put(".env", "# comment\n\nexport A_ONE=1\nB_TWO = \"two words\\n\"\nC_THREE='single # not a comment'\n"
	    "D_FOUR=plain # trailing comment\nREAL_WINS=from-file\n");
	setenv("REAL_WINS", "from-env", 1);
	struct buf err = BUF_INIT;
	assert_int_equal(dotenv_load(".env", &err), 0);
	assert_string_equal(getenv("A_ONE"), "1");
	assert_string_equal(getenv("B_TWO"), "two words\n");
	assert_string_equal(getenv("C_THREE"), "single # not a comment");
	assert_string_equal(getenv("D_FOUR"), "plain");
	assert_string_equal(getenv("REAL_WINS"), "from-env");
	put(".env2", "GOOD=1\nthis line is wrong\n");
	assert_int_equal(dotenv_load(".env2", &err), -1);
	assert_string_equal(err.s, ".env2:2: expected KEY=VALUE");
	buf_release(&err);
	assert_int_equal(dotenv_load("no-such-file", &err), 0);
}

static void test_conf(void **state)
{
	(void)state;
	put("ssot.conf", "[project]\ndir = schema\nledger_schema = meta\nlock_timeout = 2s\nwait = 10s\n\n"
	    "[env \"prod\"]\nurl_env = PROD_URL\nprotected = true\nlock_timeout = 750ms\n\n[env \"dev\"]\nurl = postgresql:///dev\n");
	struct project p;
	struct buf err = BUF_INIT;
	assert_int_equal(project_open(&p, NULL, &err), 0);
	assert_string_equal(p.dir, "schema");
	assert_string_equal(p.ledger_schema, "meta");
	assert_int_equal(p.lock_timeout_ms, 2000);
	assert_int_equal(p.wait_ms, 10000);
	const struct project_env *e = project_find_env(&p, "prod");
	assert_non_null(e);
	assert_string_equal(e->url_env, "PROD_URL");
	assert_true(e->protected_env);
	assert_int_equal(e->lock_timeout_ms, 750);
	e = project_find_env(&p, "dev");
	assert_string_equal(e->url, "postgresql:///dev");
	assert_false(e->protected_env);
	assert_null(project_find_env(&p, "nope"));
	project_release(&p);

	/* --dir wins over [project] dir */
	assert_int_equal(project_open(&p, "other", &err), 0);
	assert_string_equal(p.dir, "other");
	project_release(&p);

	put("ssot.conf", "[project]\ndir = db\n[env \"x\"]\nprotected = maybe\n");
	assert_int_equal(project_open(&p, NULL, &err), -1);
	assert_string_equal(err.s, "ssot.conf:4: invalid boolean 'maybe' for protected (use true or false)");
	project_release(&p);
	buf_reset(&err);

	put("ssot.conf", "[weird]\nx = 1\n");
	assert_int_equal(project_open(&p, NULL, &err), -1);
	assert_string_equal(err.s, "ssot.conf:2: unknown section [weird] (known: [project], [env \"NAME\"], [lint])");
	project_release(&p);
	buf_release(&err);
	unlink("ssot.conf");
}

static void test_scan_order(void **state)
{
	(void)state;
	put("db/run/20_b.sql", "select 2;\n");
	put("db/run/10_a.sql", "select 1;\n");
	put("db/run/sub/15_c.sql", "select 3;\n");
	put("db/run/.#10_a.sql", "editor lock file\n");
	put("db/run/notes.txt", "not sql\n");
	put("db/prerun/00_set.sql", "set x = 1;\n");
	put("db/postrun/99.sql", "select 99;\n");
	put("db/seed/01.sql", "insert 1;\n");
	put("db/reset/00.sql", "drop 1;\n");
	put("db/tests/a.test.sql", "select 't';\n");
	put("db/run/b.spec.sql", "select 's';\n");
	put("db/misc/ignored.sql", "select 0;\n");

	struct project p;
	struct buf err = BUF_INIT;
	assert_int_equal(project_open(&p, NULL, &err), 0);
	assert_int_equal(project_scan(&p, &err), 0);
	const char *want[] = {
		"reset db/reset/00.sql", "prerun db/prerun/00_set.sql", "run db/run/10_a.sql",
		"run db/run/20_b.sql", "run db/run/sub/15_c.sql", "seed db/seed/01.sql",
		"postrun db/postrun/99.sql", "tests db/run/b.spec.sql", "tests db/tests/a.test.sql",
	};
	assert_int_equal(p.files.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < p.files.n; i++) {
		char got[256];
		snprintf(got, sizeof(got), "%s %s", phase_name(p.files.v[i].phase), p.files.v[i].path);
		assert_string_equal(got, want[i]);
	}
	/* sha256 of "select 1;\n" */
	assert_string_equal(p.files.v[2].sha256, "4a45092ccf992ea92250053a80b931b787924ba61648f420555511b84f10ab6c");
	project_release(&p);

	/* project_list: the same files in the same order, not hashed */
	assert_int_equal(project_open(&p, NULL, &err), 0);
	assert_int_equal(project_list(&p, &err), 0);
	assert_int_equal(p.files.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < p.files.n; i++) {
		char got[256];
		snprintf(got, sizeof(got), "%s %s", phase_name(p.files.v[i].phase), p.files.v[i].path);
		assert_string_equal(got, want[i]);
		assert_string_equal(p.files.v[i].sha256, "");
	}
	project_release(&p);

	assert_int_equal(project_open(&p, "nowhere", &err), 0);
	assert_int_equal(project_scan(&p, &err), -1);
	assert_non_null(strstr(err.s, "no SQL directory 'nowhere'"));
	project_release(&p);
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dotenv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_order, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
