/* Unit tests for the parts of conn that need no server: redaction,
 * scrubbing, durations and target precedence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conn.h"
#include "project.h"

static void test_redact_uri(void **state)
{
	(void)state;
	char *s = conn_redact("postgresql://app:hunter2@db.internal:6543/shop?sslmode=require");
	assert_string_equal(s, "host=db.internal port=6543 dbname=shop user=app sslmode=require");
	assert_null(strstr(s, "hunter2"));
	free(s);
}

static void test_redact_keywords(void **state)
{
	(void)state;
	char *s = conn_redact("host=/tmp/sock user=me password='se cret' dbname=x");
	assert_string_equal(s, "host=/tmp/sock dbname=x user=me");
	free(s);
}

static void test_redact_unparsable(void **state)
{
	(void)state;
	char *s = conn_redact("host=x password='unterminated");
	assert_string_equal(s, "(unparsable connection string)");
	free(s);
	s = conn_redact("");
	assert_string_equal(s, "(libpq defaults)");
	free(s);
}

static void test_scrub(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_adds(&b, "FATAL: bad thing with hunter2 and hunter2 again");
	conn_scrub(&b, "postgresql://u:hunter2@h/d");
	assert_string_equal(b.s, "FATAL: bad thing with ******** and ******** again");
	buf_release(&b);

	setenv("PGPASSWORD", "envpw", 1);
	buf_adds(&b, "envpw leaked");
	conn_scrub(&b, "host=h");
	assert_string_equal(b.s, "******** leaked");
	unsetenv("PGPASSWORD");
	buf_release(&b);
}

static void test_durations(void **state)
{
	(void)state;
	assert_int_equal(parse_duration_ms("5s"), 5000);
	assert_int_equal(parse_duration_ms("500ms"), 500);
	assert_int_equal(parse_duration_ms("250"), 250);
	assert_int_equal(parse_duration_ms("2min"), 120000);
	assert_int_equal(parse_duration_ms("1.5s"), 1500);
	assert_int_equal(parse_duration_ms("1h"), 3600000);
	assert_int_equal(parse_duration_ms("fast"), -1);
	assert_int_equal(parse_duration_ms("5 parsecs"), -1);
	assert_int_equal(parse_duration_ms("-1s"), -1);
	assert_int_equal(parse_duration_ms("9999999h"), -1);
}

static void clear_env(void)
{
	unsetenv("DATABASE_URL");
	unsetenv("PGHOST");
	unsetenv("PGDATABASE");
	unsetenv("PGUSER");
	unsetenv("PGPORT");
	unsetenv("PGSERVICE");
	unsetenv("PGHOSTADDR");
	unsetenv("PROD_URL");
}

static void test_precedence(void **state)
{
	(void)state;
	struct project p;
	memset(&p, 0, sizeof(p));
	p.lock_timeout_ms = 5000;
	struct project_env prod = { .name = (char *)"prod", .url_env = (char *)"PROD_URL",
				    .protected_env = true, .lock_timeout_ms = 3000 };
	VEC_PUSH(&p.envs, prod);
	struct target t;
	struct buf err = BUF_INIT;
	clear_env();

	assert_int_equal(target_resolve(&t, &p, NULL, NULL, &err), 0);
	assert_int_equal(t.source, TARGET_EMBEDDED);
	target_release(&t);

	setenv("PGHOST", "/tmp", 1);
	assert_int_equal(target_resolve(&t, &p, NULL, NULL, &err), 0);
	assert_int_equal(t.source, TARGET_LIBPQ_ENV);
	assert_string_equal(t.conninfo, "");
	target_release(&t);

	setenv("DATABASE_URL", "postgresql:///fromenv", 1);
	assert_int_equal(target_resolve(&t, &p, NULL, NULL, &err), 0);
	assert_int_equal(t.source, TARGET_DATABASE_URL);
	assert_string_equal(t.conninfo, "postgresql:///fromenv");
	target_release(&t);

	assert_int_equal(target_resolve(&t, &p, NULL, "prod", &err), -1);
	assert_string_equal(err.s, "environment 'prod' takes its database from $PROD_URL, which is not set");
	buf_reset(&err);
	setenv("PROD_URL", "postgresql:///prod", 1);
	assert_int_equal(target_resolve(&t, &p, NULL, "prod", &err), 0);
	assert_int_equal(t.source, TARGET_ENV);
	assert_string_equal(t.conninfo, "postgresql:///prod");
	assert_true(t.protected_env);
	assert_int_equal(t.lock_timeout_ms, 3000);
	target_release(&t);

	/* --db wins over everything, but keeps the env's protection */
	assert_int_equal(target_resolve(&t, &p, "postgresql:///explicit", "prod", &err), 0);
	assert_int_equal(t.source, TARGET_DB_OPTION);
	assert_string_equal(t.conninfo, "postgresql:///explicit");
	assert_true(t.protected_env);
	target_release(&t);

	assert_int_equal(target_resolve(&t, &p, NULL, "staging", &err), -1);
	assert_string_equal(err.s, "no environment 'staging' in ssot.conf");
	target_release(&t);

	clear_env();
	buf_release(&err);
	VEC_FREE(&p.envs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact_uri),
		cmocka_unit_test(test_redact_keywords),
		cmocka_unit_test(test_redact_unparsable),
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_precedence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
