/*
 * Unit tests for sqlfile: statement splitting, kinds, bodies, syntax errors
 * and psql meta-commands, all through the real libpg_query parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sqlfile.h"

#include <pg_query/pg_query.pb-c.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char meta_hint[] =
	"ssot runs plain SQL; split the file or use separate files instead of \\i / \\ir; "
	"use SET or a prerun file instead of \\set";

static int parse(struct sqlfile *f, struct diag *d, const char *text)
{
	diag_init(d);
	return sqlfile_parse_text(f, "db/run/t.sql", text, strlen(text), d);
}

static void done(struct sqlfile *f, struct diag *d)
{
	diag_release(d);
	sqlfile_release(f);
}

static void assert_stmt_text(const struct sqlfile *f, size_t i, const char *want)
{
	char *got = sqlfile_stmt_text(f, i);
	assert_string_equal(got, want);
	free(got);
}

/* Line and column of byte `off` in f's source. */
static void linecol(struct sqlfile *f, size_t off, int *line, int *col)
{
	source_linecol(&f->src, off, line, col);
}

/* The only statement of `sql`, which must parse. */
static struct stmt only_stmt(const char *sql)
{
	struct sqlfile f;
	struct diag d;
	assert_int_equal(parse(&f, &d, sql), 0);
	assert_int_equal(f.stmts.n, 1);
	assert_int_equal(d.items.n, 0);
	struct stmt s = f.stmts.v[0];
	done(&f, &d);
	return s;
}

static void test_split_with_comments(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	const char *sql = "-- header\nSELECT 1;  -- trailing\n /* block */ SELECT 2 ;\n\nSELECT 3";
	assert_int_equal(parse(&f, &d, sql), 0);
	assert_int_equal(d.items.n, 0);
	assert_int_equal(f.stmts.n, 3);
	assert_non_null(f.tree);
	assert_int_equal(f.tree->n_stmts, 3);
	assert_stmt_text(&f, 0, "SELECT 1");
	assert_stmt_text(&f, 1, "SELECT 2");
	assert_stmt_text(&f, 2, "SELECT 3");
	assert_int_equal(f.stmts.v[0].start, 10);
	assert_int_equal(f.stmts.v[1].start, strstr(sql, "SELECT 2") - sql);
	assert_string_equal(f.stmts.v[0].tag, "SELECT");
	assert_int_equal(f.stmts.v[0].flags, 0);
	done(&f, &d);
}

static void test_strings_with_semicolons(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	const char *sql = "INSERT INTO t VALUES ('a;b'), (E'it\\'s;'), ('x'';y');\n"
			  "SELECT \"we;ird\" FROM t;\n";
	assert_int_equal(parse(&f, &d, sql), 0);
	assert_int_equal(f.stmts.n, 2);
	assert_stmt_text(&f, 0, "INSERT INTO t VALUES ('a;b'), (E'it\\'s;'), ('x'';y')");
	assert_stmt_text(&f, 1, "SELECT \"we;ird\" FROM t");
	assert_string_equal(f.stmts.v[0].tag, "INSERT");
	assert_int_equal(f.stmts.v[0].flags, STMT_DML);
	done(&f, &d);
}

static void test_dollar_quotes(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	const char *sql = "SELECT $$a;b$$;\nSELECT $x$ ; $y$ ; $x$, $1;\n";
	assert_int_equal(parse(&f, &d, sql), 0);
	assert_int_equal(f.stmts.n, 2);
	assert_stmt_text(&f, 0, "SELECT $$a;b$$");
	assert_stmt_text(&f, 1, "SELECT $x$ ; $y$ ; $x$, $1");
	done(&f, &d);
}

static void test_create_rule_inner_semicolons(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	const char *sql = "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);\nSELECT 3;";
	assert_int_equal(parse(&f, &d, sql), 0);
	assert_int_equal(f.stmts.n, 2);
	assert_stmt_text(&f, 0, "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2)");
	assert_string_equal(f.stmts.v[0].tag, "CREATE RULE");
	assert_stmt_text(&f, 1, "SELECT 3");
	done(&f, &d);
}

static void test_do_block(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	const char *sql = "SELECT 1;\n"
			  "DO $$\nBEGIN\n  RAISE NOTICE 'x;y';\nEND\n$$;\n"
			  "DO LANGUAGE plpgsql $body$BEGIN NULL; END$body$;\n"
			  "DO 'BEGIN NULL; END';\n";
	assert_int_equal(parse(&f, &d, sql), 0);
	assert_int_equal(f.stmts.n, 4);
	for (size_t i = 1; i < 4; i++) {
		assert_string_equal(f.stmts.v[i].tag, "DO");
		assert_int_equal(f.stmts.v[i].flags, STMT_DO);
	}
	assert_stmt_text(&f, 1, "DO $$\nBEGIN\n  RAISE NOTICE 'x;y';\nEND\n$$");
	assert_int_equal(f.stmts.v[1].body_start, strstr(sql, "$$\nBEGIN") + 2 - sql);
	assert_int_equal(f.stmts.v[2].body_start, strstr(sql, "BEGIN NULL; END$body$") - sql);
	assert_int_equal(f.stmts.v[3].body_start, strstr(sql, "BEGIN NULL; END'") - sql);
	assert_int_equal(f.stmts.v[0].body_start, 0);
	done(&f, &d);
}

static void test_function_body_start_line(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	const char *sql = "-- functions\n"
			  "CREATE OR REPLACE FUNCTION f() RETURNS int\n"
			  "LANGUAGE plpgsql AS $fn$\n"
			  "BEGIN\n"
			  "  RETURN 1/0;\n"
			  "END\n"
			  "$fn$;\n"
			  "CREATE FUNCTION g() RETURNS int AS /* body: */ 'SELECT 1' LANGUAGE sql;\n"
			  "CREATE FUNCTION h() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\n"
			  "CREATE PROCEDURE p() LANGUAGE plpgsql AS E'BEGIN\\nEND';\n";
	assert_int_equal(parse(&f, &d, sql), 0);
	assert_int_equal(f.stmts.n, 4);

	const struct stmt *s = &f.stmts.v[0];
	assert_string_equal(s->tag, "CREATE FUNCTION");
	assert_int_equal(s->flags, STMT_FUNCTION);
	assert_int_equal(s->body_start, strstr(sql, "$fn$\n") + 4 - sql);
	/* PL/pgSQL line 1 is the line of $fn$; its line 3 (RETURN 1/0) is file line 5. */
	int line, col;
	linecol(&f, s->body_start, &line, &col);
	assert_int_equal(line, 3);
	assert_int_equal(col, 25);
	linecol(&f, strstr(sql, "RETURN 1/0") - sql, &line, &col);
	assert_int_equal(line, 3 + 3 - 1);

	assert_int_equal(f.stmts.v[1].body_start, strstr(sql, "SELECT 1'") - sql);
	assert_int_equal(f.stmts.v[2].flags, STMT_FUNCTION);
	assert_int_equal(f.stmts.v[2].body_start, 0);
	assert_stmt_text(&f, 2, "CREATE FUNCTION h() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END");
	assert_string_equal(f.stmts.v[3].tag, "CREATE PROCEDURE");
	assert_int_equal(f.stmts.v[3].body_start, strstr(sql, "BEGIN\\nEND") - sql);
	done(&f, &d);
}

static void test_leading_comments_skipped(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	const char *sql = "/* a */ -- b\n\n  /* nested /* x; */ ; */\n\tCREATE TABLE t (a int);\n";
	assert_int_equal(parse(&f, &d, sql), 0);
	assert_int_equal(f.stmts.n, 1);
	assert_int_equal(f.stmts.v[0].start, strstr(sql, "CREATE") - sql);
	assert_stmt_text(&f, 0, "CREATE TABLE t (a int)");
	assert_string_equal(f.stmts.v[0].tag, "CREATE TABLE");
	done(&f, &d);
}

static void test_last_statement_without_semicolon(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	/* stmt_len includes the comment before ';' and is 0 for the last one. */
	const char *sql = "SELECT 1 -- one\n;\nSELECT 2  -- two\n\n";
	assert_int_equal(parse(&f, &d, sql), 0);
	assert_int_equal(f.stmts.n, 2);
	assert_stmt_text(&f, 0, "SELECT 1");
	assert_stmt_text(&f, 1, "SELECT 2");
	assert_int_equal(f.stmts.v[1].len, 8);
	done(&f, &d);
}

static void test_nontx_kinds(void **state)
{
	(void)state;
	static const struct { const char *sql, *tag; } cases[] = {
		{ "CREATE INDEX CONCURRENTLY i ON t (a)", "CREATE INDEX CONCURRENTLY" },
		{ "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)", "CREATE INDEX CONCURRENTLY" },
		{ "DROP INDEX CONCURRENTLY IF EXISTS i", "DROP INDEX CONCURRENTLY" },
		{ "REINDEX INDEX CONCURRENTLY i", "REINDEX CONCURRENTLY" },
		{ "REINDEX (CONCURRENTLY, VERBOSE) TABLE t", "REINDEX CONCURRENTLY" },
		{ "REINDEX (CONCURRENTLY true) TABLE t", "REINDEX CONCURRENTLY" },
		{ "REINDEX SYSTEM db", "REINDEX" },
		{ "REINDEX DATABASE db", "REINDEX" },
		{ "VACUUM", "VACUUM" },
		{ "VACUUM (ANALYZE) t", "VACUUM" },
		{ "VACUUM FULL t", "VACUUM" },
		{ "CREATE DATABASE db", "CREATE DATABASE" },
		{ "DROP DATABASE IF EXISTS db", "DROP DATABASE" },
		{ "ALTER DATABASE db SET TABLESPACE fast", "ALTER DATABASE" },
		{ "CREATE TABLESPACE fast LOCATION '/ssd'", "CREATE TABLESPACE" },
		{ "DROP TABLESPACE fast", "DROP TABLESPACE" },
		{ "ALTER SYSTEM SET work_mem = '64MB'", "ALTER SYSTEM" },
		{ "ALTER TABLE p DETACH PARTITION c CONCURRENTLY", "ALTER TABLE" },
		{ "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p", "CREATE SUBSCRIPTION" },
		{ "ALTER SUBSCRIPTION s DISABLE", "ALTER SUBSCRIPTION" },
		{ "DROP SUBSCRIPTION s", "DROP SUBSCRIPTION" },
		{ "CLUSTER", "CLUSTER" },
		{ "CLUSTER VERBOSE", "CLUSTER" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stmt s = only_stmt(cases[i].sql);
		if (s.flags != STMT_NONTX || strcmp(s.tag, cases[i].tag) != 0)
			fail_msg("%s: flags %u tag %s", cases[i].sql, s.flags, s.tag);
	}
}

static void test_transactional_lookalikes(void **state)
{
	(void)state;
	static const struct { const char *sql, *tag; } cases[] = {
		{ "CREATE INDEX i ON t (a)", "CREATE INDEX" },
		{ "DROP INDEX i", "DROP INDEX" },
		{ "REINDEX TABLE t", "REINDEX" },
		{ "REINDEX (VERBOSE) INDEX i", "REINDEX" },
		{ "REINDEX (CONCURRENTLY false) TABLE t", "REINDEX" },
		{ "REINDEX (CONCURRENTLY 0) TABLE t", "REINDEX" },
		{ "ANALYZE t", "ANALYZE" },
		{ "CLUSTER t USING i", "CLUSTER" },
		{ "ALTER DATABASE db SET work_mem = '1MB'", "ALTER DATABASE" },
		{ "ALTER DATABASE db CONNECTION LIMIT 5", "ALTER DATABASE" },
		{ "ALTER TABLE p DETACH PARTITION c", "ALTER TABLE" },
		{ "ALTER TABLE p DETACH PARTITION c FINALIZE", "ALTER TABLE" },
		{ "ALTER TABLE t ADD COLUMN IF NOT EXISTS a int", "ALTER TABLE" },
		{ "ALTER TABLESPACE fast SET (random_page_cost = 1)", "ALTER TABLESPACE" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stmt s = only_stmt(cases[i].sql);
		if (s.flags != 0 || strcmp(s.tag, cases[i].tag) != 0)
			fail_msg("%s: flags %u tag %s", cases[i].sql, s.flags, s.tag);
	}
}

static void test_txctl_kinds(void **state)
{
	(void)state;
	static const struct { const char *sql, *tag; unsigned flags; } cases[] = {
		{ "BEGIN", "BEGIN", STMT_TXCTL },
		{ "BEGIN ISOLATION LEVEL SERIALIZABLE", "BEGIN", STMT_TXCTL },
		{ "START TRANSACTION", "START TRANSACTION", STMT_TXCTL },
		{ "COMMIT", "COMMIT", STMT_TXCTL },
		{ "END", "COMMIT", STMT_TXCTL },
		{ "ROLLBACK", "ROLLBACK", STMT_TXCTL },
		{ "ABORT", "ROLLBACK", STMT_TXCTL },
		{ "PREPARE TRANSACTION 'x'", "PREPARE TRANSACTION", STMT_TXCTL },
		{ "COMMIT PREPARED 'x'", "COMMIT PREPARED", STMT_TXCTL },
		{ "ROLLBACK PREPARED 'x'", "ROLLBACK PREPARED", STMT_TXCTL },
		{ "SAVEPOINT s", "SAVEPOINT", 0 },
		{ "RELEASE SAVEPOINT s", "RELEASE", 0 },
		{ "ROLLBACK TO SAVEPOINT s", "ROLLBACK TO SAVEPOINT", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stmt s = only_stmt(cases[i].sql);
		if (s.flags != cases[i].flags || strcmp(s.tag, cases[i].tag) != 0)
			fail_msg("%s: flags %u tag %s", cases[i].sql, s.flags, s.tag);
	}
}

static void test_tags_and_dml(void **state)
{
	(void)state;
	static const struct { const char *sql, *tag; unsigned flags; } cases[] = {
		{ "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING", "INSERT", STMT_DML },
		{ "UPDATE t SET a = 1", "UPDATE", STMT_DML },
		{ "DELETE FROM t WHERE a NOT IN (1)", "DELETE", STMT_DML },
		{ "MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DO NOTHING", "MERGE", STMT_DML },
		{ "COPY t FROM STDIN", "COPY", STMT_DML },
		{ "TRUNCATE t", "TRUNCATE TABLE", STMT_DML },
		{ "WITH x AS (SELECT 1) SELECT * FROM x", "SELECT", 0 },
		{ "CREATE TABLE IF NOT EXISTS t (a int)", "CREATE TABLE", 0 },
		{ "CREATE TABLE t2 AS SELECT 1", "CREATE TABLE AS", 0 },
		{ "CREATE MATERIALIZED VIEW m AS SELECT 1", "CREATE MATERIALIZED VIEW", 0 },
		{ "CREATE OR REPLACE VIEW v AS SELECT 1", "CREATE VIEW", 0 },
		{ "CREATE SEQUENCE IF NOT EXISTS s", "CREATE SEQUENCE", 0 },
		{ "CREATE SCHEMA IF NOT EXISTS s", "CREATE SCHEMA", 0 },
		{ "CREATE TYPE mood AS ENUM ('a')", "CREATE TYPE", 0 },
		{ "CREATE DOMAIN d AS int", "CREATE DOMAIN", 0 },
		{ "CREATE EXTENSION IF NOT EXISTS pgcrypto", "CREATE EXTENSION", 0 },
		{ "CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", "CREATE TRIGGER", 0 },
		{ "CREATE POLICY p ON t USING (true)", "CREATE POLICY", 0 },
		{ "ALTER TABLE t ALTER COLUMN a TYPE bigint", "ALTER TABLE", 0 },
		{ "ALTER TABLE t RENAME COLUMN a TO b", "ALTER TABLE", 0 },
		{ "ALTER INDEX i RENAME TO j", "ALTER INDEX", 0 },
		{ "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'b'", "ALTER TYPE", 0 },
		{ "ALTER FUNCTION f() OWNER TO bob", "ALTER FUNCTION", 0 },
		{ "DROP TABLE IF EXISTS t", "DROP TABLE", 0 },
		{ "DROP VIEW v", "DROP VIEW", 0 },
		{ "DROP FUNCTION IF EXISTS f()", "DROP FUNCTION", 0 },
		{ "COMMENT ON TABLE t IS 'x'", "COMMENT", 0 },
		{ "GRANT SELECT ON t TO bob", "GRANT", 0 },
		{ "REVOKE SELECT ON t FROM bob", "REVOKE", 0 },
		{ "SET search_path = app", "SET", 0 },
		{ "RESET search_path", "RESET", 0 },
		{ "REFRESH MATERIALIZED VIEW m", "REFRESH MATERIALIZED VIEW", 0 },
		{ "CALL p()", "CALL", 0 },
		{ "LOCK TABLE t", "LOCK TABLE", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stmt s = only_stmt(cases[i].sql);
		if (s.flags != cases[i].flags || strcmp(s.tag, cases[i].tag) != 0)
			fail_msg("%s: flags %u tag %s", cases[i].sql, s.flags, s.tag);
	}
}

/* The single finding of `d`, with its line and column. */
static const struct finding *one_finding(struct diag *d, int *line, int *col)
{
	const char *file;
	assert_int_equal(d->items.n, 1);
	const struct finding *fi = &d->items.v[0];
	finding_position(fi, &file, line, col);
	assert_string_equal(file, "db/run/t.sql");
	assert_int_equal(fi->severity, SEV_ERROR);
	return fi;
}

static void test_syntax_error_position(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	int line, col;
	assert_int_equal(parse(&f, &d, "SELECT 1;\n\n  CREATE TABEL x (a int);\nSELECT 2;\n"), 1);
	const struct finding *fi = one_finding(&d, &line, &col);
	assert_string_equal(fi->rule, "syntax-error");
	assert_string_equal(fi->message, "syntax error at or near \"TABEL\"");
	assert_int_equal(line, 3);
	assert_int_equal(col, 10);
	assert_int_equal(fi->end - fi->start, 5);
	assert_int_equal(f.stmts.n, 0);
	assert_null(f.tree);
	done(&f, &d);
}

static void test_syntax_error_after_multibyte(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	int line, col;
	/* libpg_query's cursorpos counts characters: 'ñ' and é are 2 bytes each. */
	const char *sql = "CREATE TABLE ünïcödé (a int);\nSELECT 'ñ' AS é, FROM t;\n";
	assert_int_equal(parse(&f, &d, sql), 1);
	const struct finding *fi = one_finding(&d, &line, &col);
	assert_string_equal(fi->message, "syntax error at or near \"FROM\"");
	assert_int_equal(fi->start, strstr(sql, "FROM") - sql);
	assert_int_equal(fi->end, fi->start + 4);
	assert_int_equal(line, 2);
	assert_int_equal(col, 18);
	done(&f, &d);
}

static void test_syntax_error_in_latin1_text(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	/* PostgreSQL takes the Latin-1 byte 0xE9 for the lead of a 3-byte
	 * character, so its cursorpos is two less than the byte count. */
	const char *sql = "SELECT '\xe9' AS x, FROM t;";
	assert_int_equal(parse(&f, &d, sql), 1);
	assert_int_equal(d.items.n, 1);
	assert_string_equal(d.items.v[0].message, "syntax error at or near \"FROM\"");
	assert_int_equal(d.items.v[0].start, strstr(sql, "FROM") - sql);
	assert_int_equal(d.items.v[0].end, d.items.v[0].start + 4);
	done(&f, &d);
}

static void test_syntax_error_at_end_of_input(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	int line, col;
	assert_int_equal(parse(&f, &d, "SELECT 1;\nCREATE TABLE -- todo\n\n"), 1);
	const struct finding *fi = one_finding(&d, &line, &col);
	assert_string_equal(fi->message, "syntax error at end of input");
	assert_int_equal(fi->start, fi->end);
	assert_int_equal(line, 2);
	assert_int_equal(col, 13);
	done(&f, &d);
}

static void test_lexer_error(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	int line, col;
	assert_int_equal(parse(&f, &d, "SELECT 1;\nSELECT 'abc;\n"), 1);
	const struct finding *fi = one_finding(&d, &line, &col);
	assert_string_equal(fi->rule, "syntax-error");
	assert_string_equal(fi->message, "unterminated quoted string at or near \"'abc;\n\"");
	assert_int_equal(line, 2);
	assert_int_equal(col, 8);
	done(&f, &d);
}

static void test_psql_include(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	int line, col;
	const char *sql = "SELECT 1;\n\\i other.sql\nSELECT 2;\n";
	assert_int_equal(parse(&f, &d, sql), 1);
	const struct finding *fi = one_finding(&d, &line, &col);
	assert_string_equal(fi->rule, "psql-meta-command");
	assert_string_equal(fi->message, "psql meta-command \\i is not SQL");
	assert_string_equal(fi->hint, meta_hint);
	assert_int_equal(line, 2);
	assert_int_equal(col, 1);
	assert_int_equal(fi->end - fi->start, 2);
	assert_int_equal(f.stmts.n, 0);
	done(&f, &d);
}

static void test_psql_set_and_connect(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	const char *file;
	int line, col;
	const char *sql = "  \\set x 'it''s'\nSELECT :x;\n\\connect other\nSELECT 1 \\gset\n";
	assert_int_equal(parse(&f, &d, sql), 1);
	assert_int_equal(d.items.n, 3);
	assert_string_equal(d.items.v[0].message, "psql meta-command \\set is not SQL");
	finding_position(&d.items.v[0], &file, &line, &col);
	assert_int_equal(line, 1);
	assert_int_equal(col, 3);
	assert_string_equal(d.items.v[1].message, "psql meta-command \\connect is not SQL");
	assert_string_equal(d.items.v[2].message, "psql meta-command \\gset is not SQL");
	finding_position(&d.items.v[2], &file, &line, &col);
	assert_int_equal(line, 4);
	assert_int_equal(col, 10);
	for (size_t i = 0; i < d.items.n; i++) {
		assert_string_equal(d.items.v[i].rule, "psql-meta-command");
		assert_string_equal(d.items.v[i].hint, meta_hint);
	}
	done(&f, &d);
}

static void test_backslash_in_string_is_not_meta(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	const char *sql = "SELECT '\\i not.sql';\n"
			  "SELECT E'\\'\n\\set', $$\n\\set x$$, $t$\\i$t$, \"\\i\";\n"
			  "-- \\i in a comment\n"
			  "/* \\set\n\\i */ SELECT 1;\n";
	assert_int_equal(parse(&f, &d, sql), 0);
	assert_int_equal(d.items.n, 0);
	assert_int_equal(f.stmts.n, 3);
	assert_stmt_text(&f, 2, "SELECT 1");
	done(&f, &d);
}

/*
 * The meta-command pass skips plain bytes and looks back to tell what a '$'
 * or a quote belongs to: '$' inside a word is a letter (no dollar quote
 * opens), after a number or an operator it opens one; an E right after
 * another token still makes an escape string; a '--' ends at the newline.
 */
static void test_dollar_and_escape_strings_in_context(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	/* a$b$ is one word: the $b$ opens nothing, so the \\x after it is a meta-command */
	const char *sql = "SELECT 1 AS a$b$;\n\\x\n";
	assert_int_equal(parse(&f, &d, sql), 1);
	assert_int_equal(d.items.n, 1);
	assert_string_equal(d.items.v[0].message, "psql meta-command \\x is not SQL");
	done(&f, &d);
	/* after a number, an operator or a string, $q$ opens a dollar quote: its backslashes are text */
	sql = "SELECT 1+$q$\\i a$q$, 'x'||$q$\\i b$q$, (2)$q$\\i c$q$;\n";
	assert_int_equal(parse(&f, &d, sql), 1);	/* (2)$q$ is a syntax error, not a meta-command */
	assert_int_equal(d.items.n, 1);
	assert_string_equal(d.items.v[0].rule, "syntax-error");
	done(&f, &d);
	sql = "SELECT 1+$q$\\i a$q$, 'x'||$q$\\i b$q$;\n";
	assert_int_equal(parse(&f, &d, sql), 0);
	assert_int_equal(d.items.n, 0);
	done(&f, &d);
	/* E right after a string or a comma opens an escape string: \\' does not close it */
	sql = "SELECT 'a',E'\\'\\i', 'b' E'\\' \\i';\n";
	assert_int_equal(parse(&f, &d, sql), 1);	/* 'b' E'...' is a syntax error */
	assert_int_equal(d.items.n, 1);
	assert_string_equal(d.items.v[0].rule, "syntax-error");
	done(&f, &d);
	/* in a word ending in E the quote is plain: xE'\\' closes at the second quote */
	sql = "SELECT xE'\\'\n\\i y\n';\n";
	assert_int_equal(parse(&f, &d, sql), 1);
	assert_string_equal(d.items.v[0].message, "psql meta-command \\i is not SQL");
	done(&f, &d);
	/* comments: the '--' one ends at its newline, block comments nest */
	sql = "-- a $q$ \\i\nSELECT 1; /* b /* \\i */ $q$ */ SELECT 2;\n";
	assert_int_equal(parse(&f, &d, sql), 0);
	assert_int_equal(d.items.n, 0);
	assert_int_equal(f.stmts.n, 2);
	assert_stmt_text(&f, 1, "SELECT 2");
	done(&f, &d);
}

static void test_syntax_error_before_meta_command(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	assert_int_equal(parse(&f, &d, "CREATE TABEL x ();\n\\ir y.sql\n"), 1);
	assert_int_equal(d.items.n, 2);
	assert_string_equal(d.items.v[0].message, "psql meta-command \\ir is not SQL");
	assert_string_equal(d.items.v[1].rule, "syntax-error");
	assert_string_equal(d.items.v[1].message, "syntax error at or near \"TABEL\"");
	done(&f, &d);
}

static void test_empty_and_comment_only(void **state)
{
	(void)state;
	static const char *const texts[] = { "", "\n\n  \t\n", "-- nothing here\n/* or here */\n", ";;\n" };
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct sqlfile f;
		struct diag d;
		assert_int_equal(parse(&f, &d, texts[i]), 0);
		assert_int_equal(f.stmts.n, 0);
		assert_int_equal(d.items.n, 0);
		done(&f, &d);
	}
}

static void test_crlf(void **state)
{
	(void)state;
	struct sqlfile f;
	struct diag d;
	int line, col;
	const char *sql = "-- c\r\nSELECT 1;\r\nSELECT\r\n  2\r\n;\r\n";
	assert_int_equal(parse(&f, &d, sql), 0);
	assert_int_equal(f.stmts.n, 2);
	assert_stmt_text(&f, 0, "SELECT 1");
	assert_stmt_text(&f, 1, "SELECT\r\n  2");
	done(&f, &d);

	assert_int_equal(parse(&f, &d, "SELECT 1;\r\n\\i x.sql\r\nCREATE TABEL t ();\r\n"), 1);
	assert_int_equal(d.items.n, 1);
	assert_string_equal(d.items.v[0].message, "psql meta-command \\i is not SQL");
	done(&f, &d);

	assert_int_equal(parse(&f, &d, "SELECT 1;\r\n\r\nCREATE TABEL t ();\r\n"), 1);
	const struct finding *fi = one_finding(&d, &line, &col);
	assert_int_equal(line, 3);
	assert_int_equal(col, 8);
	assert_int_equal(fi->end - fi->start, 5);
	done(&f, &d);
}

static void test_load_file(void **state)
{
	(void)state;
	char path[] = "/tmp/test_sqlfile_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *sql = "CREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY i ON t (a);\n";
	assert_int_equal(write(fd, sql, strlen(sql)), (ssize_t)strlen(sql));
	close(fd);

	struct sqlfile f;
	struct diag d;
	struct buf err = BUF_INIT;
	diag_init(&d);
	assert_int_equal(sqlfile_load(&f, "db/run/t.sql", path, &d, &err), 0);
	assert_int_equal(f.stmts.n, 2);
	assert_string_equal(f.src.path, "db/run/t.sql");
	assert_int_equal(f.stmts.v[1].flags, STMT_NONTX);
	assert_int_equal(f.tree->stmts[1]->stmt->node_case, PG_QUERY__NODE__NODE_INDEX_STMT);
	done(&f, &d);
	unlink(path);

	diag_init(&d);
	assert_int_equal(sqlfile_load(&f, "db/run/gone.sql", path, &d, &err), -1);
	assert_non_null(strstr(err.s, "cannot open db/run/gone.sql"));
	done(&f, &d);
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_with_comments),
		cmocka_unit_test(test_strings_with_semicolons),
		cmocka_unit_test(test_dollar_quotes),
		cmocka_unit_test(test_create_rule_inner_semicolons),
		cmocka_unit_test(test_do_block),
		cmocka_unit_test(test_function_body_start_line),
		cmocka_unit_test(test_leading_comments_skipped),
		cmocka_unit_test(test_last_statement_without_semicolon),
		cmocka_unit_test(test_nontx_kinds),
		cmocka_unit_test(test_transactional_lookalikes),
		cmocka_unit_test(test_txctl_kinds),
		cmocka_unit_test(test_tags_and_dml),
		cmocka_unit_test(test_syntax_error_position),
		cmocka_unit_test(test_syntax_error_after_multibyte),
		cmocka_unit_test(test_syntax_error_in_latin1_text),
		cmocka_unit_test(test_syntax_error_at_end_of_input),
		cmocka_unit_test(test_lexer_error),
		cmocka_unit_test(test_psql_include),
		cmocka_unit_test(test_psql_set_and_connect),
		cmocka_unit_test(test_backslash_in_string_is_not_meta),
		cmocka_unit_test(test_dollar_and_escape_strings_in_context),
		cmocka_unit_test(test_syntax_error_before_meta_command),
		cmocka_unit_test(test_empty_and_comment_only),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_load_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
