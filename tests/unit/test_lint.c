/*
 * Unit tests for the pure parts of lint: the suppression-comment parser, the
 * phase of a path, rule lookup and options, the string map, and the
 * structural hash that tells two definitions apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lint/rules.h"

#include <pg_query.h>

#include <stdlib.h>
#include <string.h>

static int parse(const char *s, struct lint_suppression *out)
{
	return lint_parse_suppression(s, strlen(s), out);
}

static void assert_rule(const struct lint_suppression *s, size_t i, const char *want)
{
	assert_true(i < s->n_rules);
	assert_int_equal(s->rule_len[i], strlen(want));
	assert_memory_equal(s->rules[i], want, strlen(want));
}

static void assert_reason(const struct lint_suppression *s, const char *want)
{
	assert_int_equal(s->reason_len, strlen(want));
	assert_memory_equal(s->reason, want, strlen(want));
}

static void test_suppression_one_rule(void **state)
{
	(void)state;
	struct lint_suppression s;
	assert_int_equal(parse("-- ssot:ignore drop-if-exists legacy table, removed in v2", &s), 1);
	assert_false(s.whole_file);
	assert_int_equal(s.n_rules, 1);
	assert_rule(&s, 0, "drop-if-exists");
	assert_reason(&s, "legacy table, removed in v2");
}

static void test_suppression_rule_list(void **state)
{
	(void)state;
	struct lint_suppression s;
	assert_int_equal(parse("--ssot:ignore a-rule,b-rule , c-rule   why not", &s), 1);
	assert_int_equal(s.n_rules, 3);
	assert_rule(&s, 0, "a-rule");
	assert_rule(&s, 1, "b-rule");
	assert_rule(&s, 2, "c-rule");
	assert_reason(&s, "why not");

	assert_int_equal(parse("-- ssot:ignore only-rule", &s), 1);
	assert_int_equal(s.n_rules, 1);
	assert_reason(&s, "");
}

static void test_suppression_file_and_block(void **state)
{
	(void)state;
	struct lint_suppression s;
	assert_int_equal(parse("-- ssot:ignore-file dml-in-run reference data", &s), 1);
	assert_true(s.whole_file);
	assert_rule(&s, 0, "dml-in-run");
	assert_reason(&s, "reference data");

	assert_int_equal(parse("/* ssot:ignore set-not-null small table */", &s), 1);
	assert_false(s.whole_file);
	assert_rule(&s, 0, "set-not-null");
	assert_reason(&s, "small table");
}

static void test_suppression_not_one(void **state)
{
	(void)state;
	struct lint_suppression s;
	assert_int_equal(parse("-- an ordinary comment", &s), 0);
	assert_int_equal(parse("-- ssot:ignored a-rule", &s), 0);
	assert_int_equal(parse("-- mentions ssot:ignore later", &s), 0);
	assert_int_equal(parse("ssot:ignore a-rule", &s), 0);
	assert_int_equal(parse("/* ssot:ignore a-rule", &s), 0);	/* not a whole comment */
}

static void test_suppression_invalid(void **state)
{
	(void)state;
	struct lint_suppression s;
	assert_int_equal(parse("-- ssot:ignore", &s), -1);
	assert_int_equal(parse("-- ssot:ignore   ", &s), -1);
	assert_int_equal(parse("-- ssot:ignore ,", &s), -1);
	char many[512] = "-- ssot:ignore r0";
	for (int i = 1; i <= LINT_MAX_SUPPRESSED; i++) {
		char part[16];
		snprintf(part, sizeof(part), ",r%d", i);
		strcat(many, part);
	}
	assert_int_equal(parse(many, &s), -1);
}

static void test_phase_of_path(void **state)
{
	(void)state;
	assert_int_equal(lint_phase_of_path("db/run/10_a.sql"), PHASE_RUN);
	assert_int_equal(lint_phase_of_path("db/seed/10_a.sql"), PHASE_SEED);
	assert_int_equal(lint_phase_of_path("/home/run/project/db/prerun/00.sql"), PHASE_PRERUN);
	assert_int_equal(lint_phase_of_path("db/postrun/x/y.sql"), PHASE_POSTRUN);
	assert_int_equal(lint_phase_of_path("db/reset/10_drop.sql"), PHASE_RESET);
	assert_int_equal(lint_phase_of_path("db/run/orders.test.sql"), PHASE_TESTS);
	assert_int_equal(lint_phase_of_path("db/x.spec.sql"), PHASE_TESTS);
	assert_int_equal(lint_phase_of_path("schema.sql"), PHASE_RUN);
	assert_int_equal(lint_phase_of_path("seed.sql"), PHASE_RUN);	/* a file, not a directory */
}

static void test_rules_and_options(void **state)
{
	(void)state;
	const struct lint_rule *r = lint_rules();
	for (int i = 0; i < R_COUNT; i++) {
		assert_non_null(r[i].id);
		assert_int_equal(lint_rule_lookup(r[i].id, strlen(r[i].id)), i);
		for (int k = 0; k < i; k++)
			assert_string_not_equal(r[i].id, r[k].id);
	}
	assert_int_equal(lint_rule_lookup("create-if-not-existsX", 20), R_CREATE_IF_NOT_EXISTS);
	assert_int_equal(lint_rule_lookup("nope", 4), -1);

	struct lint_opts o;
	struct buf err = BUF_INIT;
	lint_opts_init(&o);
	assert_true(o.enabled[R_CREATE_IF_NOT_EXISTS]);
	assert_false(o.enabled[R_UNQUALIFIED_NAME]);
	assert_false(o.enabled[R_INDEX_NOT_CONCURRENT]);
	assert_int_equal(lint_opts_set_profile(&o, "online", &err), 0);
	assert_true(o.enabled[R_INDEX_NOT_CONCURRENT]);
	assert_int_equal(lint_opts_enable(&o, "unqualified-name, drop-if-exists", true, &err), 0);
	assert_true(o.enabled[R_UNQUALIFIED_NAME]);
	assert_int_equal(lint_opts_enable(&o, "drop-if-exists,set-not-null", false, &err), 0);
	assert_false(o.enabled[R_DROP_IF_EXISTS]);
	assert_false(o.enabled[R_SET_NOT_NULL]);
	assert_int_equal(lint_opts_enable(&o, "drop-if-exist", false, &err), -1);
	assert_string_equal(err.s, "unknown lint rule 'drop-if-exist' (see 'ssot lint --list-rules')");
	buf_reset(&err);
	assert_int_equal(lint_opts_set_profile(&o, "fast", &err), -1);
	assert_string_equal(err.s, "unknown lint profile 'fast' (expected default or online)");
	buf_reset(&err);

	const char *only[] = { "truncate-referenced", "set-not-null" };
	assert_int_equal(lint_opts_only(&o, only, 2, &err), 0);
	for (int i = 0; i < R_COUNT; i++)
		assert_int_equal(o.enabled[i], i == R_TRUNCATE_REFERENCED || i == R_SET_NOT_NULL ||
					       i == R_SYNTAX_ERROR || i == R_PSQL_META_COMMAND);
	buf_release(&err);
}

static void test_strmap(void **state)
{
	(void)state;
	struct strmap m;
	char keys[500][16];
	strmap_init(&m);
	assert_int_equal(strmap_get(&m, "x"), SIZE_MAX);
	for (size_t i = 0; i < 500; i++) {
		snprintf(keys[i], sizeof(keys[i]), "key%zu", i);
		assert_int_equal(strmap_put(&m, keys[i], i), i);
	}
	assert_int_equal(strmap_put(&m, "key7", 99), 7);	/* present: kept */
	for (size_t i = 0; i < 500; i++)
		assert_int_equal(strmap_get(&m, keys[i]), i);
	assert_int_equal(strmap_get(&m, "key500"), SIZE_MAX);
	assert_int_equal(m.n, 500);
	strmap_release(&m);
}

/* node_hash of the first statement of `sql`. */
static uint64_t stmt_hash(const char *sql)
{
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql);
	assert_null(r.error);
	PgQuery__ParseResult *t = pg_query__parse_result__unpack(NULL, r.parse_tree.len,
								  (const uint8_t *)r.parse_tree.data);
	assert_non_null(t);
	uint64_t h = node_hash(t->stmts[0]->stmt);
	pg_query__parse_result__free_unpacked(t, NULL);
	pg_query_free_protobuf_parse_result(r);
	return h;
}

static void test_node_hash(void **state)
{
	(void)state;
	uint64_t a = stmt_hash("CREATE INDEX i ON t (a)");
	/* Positions, IF NOT EXISTS and CONCURRENTLY do not change the definition. */
	assert_true(a == stmt_hash("  CREATE   INDEX IF NOT EXISTS i\n ON t (a)"));
	assert_true(a == stmt_hash("create index concurrently i on T (A)"));
	assert_true(a == stmt_hash("CREATE INDEX i ON public.t (a)"));
	assert_true(a != stmt_hash("CREATE INDEX i ON app.t (a)"));
	assert_true(a != stmt_hash("CREATE INDEX i ON t (b)"));
	assert_true(a != stmt_hash("CREATE UNIQUE INDEX i ON t (a)"));
	assert_true(a != stmt_hash("CREATE INDEX i ON t (a) WHERE a > 0"));
	assert_true(stmt_hash("CREATE OR REPLACE VIEW v AS SELECT 1") == stmt_hash("CREATE VIEW v AS SELECT 1"));
	assert_true(stmt_hash("CREATE VIEW v AS SELECT 1") != stmt_hash("CREATE VIEW v AS SELECT 2"));
	assert_true(stmt_hash("CREATE TABLE t (a int)") == stmt_hash("CREATE TABLE IF NOT EXISTS t (a integer)"));
	assert_true(stmt_hash("CREATE TABLE t (a int)") != stmt_hash("CREATE TABLE t (a bigint)"));
}

static void test_conditions(void **state)
{
	(void)state;
	assert_string_equal(condition_sqlstate("duplicate_object"), "42710");
	assert_string_equal(condition_sqlstate("duplicate_table"), "42P07");
	assert_string_equal(condition_sqlstate("42P07"), "42P07");
	assert_null(condition_sqlstate("no_such_condition"));
	assert_null(condition_sqlstate("4271x"));
	assert_string_equal(sqlstate_condition("42701"), "duplicate_column");
	assert_string_equal(sqlstate_condition("XX999"), "XX999");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suppression_one_rule),
		cmocka_unit_test(test_suppression_rule_list),
		cmocka_unit_test(test_suppression_file_and_block),
		cmocka_unit_test(test_suppression_not_one),
		cmocka_unit_test(test_suppression_invalid),
		cmocka_unit_test(test_phase_of_path),
		cmocka_unit_test(test_rules_and_options),
		cmocka_unit_test(test_strmap),
		cmocka_unit_test(test_node_hash),
		cmocka_unit_test(test_conditions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
