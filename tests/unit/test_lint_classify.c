/*
 * lint classifies statements on PostgreSQL's raw parse trees, sqlfile on
 * libpg_query's protobuf ones (apply, verify): the two must give every
 * statement the same command tag and flags. Also: the self-check that
 * libpg_query's trees match the headers lint was built with.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lint/rules.h"
#include "sqlfile.h"

#include <stdlib.h>
#include <string.h>

static const char *const statements[] = {
	"SELECT 1", "SELECT 1 INTO t", "INSERT INTO t VALUES (1)", "UPDATE t SET a = 1",
	"DELETE FROM t", "MERGE INTO t USING u ON t.a = u.a WHEN MATCHED THEN DELETE",
	"COPY t FROM stdin", "COPY t TO stdout", "TRUNCATE t",
	"BEGIN", "START TRANSACTION", "COMMIT", "END", "ROLLBACK", "ABORT", "PREPARE TRANSACTION 'x'",
	"COMMIT PREPARED 'x'", "ROLLBACK PREPARED 'x'", "SAVEPOINT s", "RELEASE SAVEPOINT s",
	"ROLLBACK TO SAVEPOINT s",
	"DO $$ BEGIN END $$", "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
	"CREATE PROCEDURE p() LANGUAGE sql AS 'SELECT 1'",
	"CREATE INDEX i ON t (a)", "CREATE INDEX CONCURRENTLY i ON t (a)", "DROP INDEX i",
	"DROP INDEX CONCURRENTLY i", "DROP TABLE t", "DROP SCHEMA s CASCADE", "DROP TYPE x",
	"DROP FUNCTION f()", "DROP TRIGGER g ON t", "DROP POLICY p ON t", "DROP EXTENSION e",
	"DROP MATERIALIZED VIEW m", "DROP TEXT SEARCH CONFIGURATION c", "DROP STATISTICS s",
	"REINDEX TABLE t", "REINDEX INDEX CONCURRENTLY i", "REINDEX (CONCURRENTLY false) TABLE t",
	"REINDEX (CONCURRENTLY 0) TABLE t", "REINDEX (CONCURRENTLY off) TABLE t", "REINDEX SYSTEM db",
	"REINDEX DATABASE db", "VACUUM", "VACUUM FULL t", "ANALYZE t", "CLUSTER", "CLUSTER t USING i",
	"CREATE DATABASE db", "DROP DATABASE db", "ALTER DATABASE db SET TABLESPACE fast",
	"ALTER DATABASE db CONNECTION LIMIT 5", "ALTER DATABASE db SET work_mem = '1MB'",
	"ALTER DATABASE db REFRESH COLLATION VERSION", "CREATE TABLESPACE fast LOCATION '/ssd'",
	"DROP TABLESPACE fast", "ALTER TABLESPACE fast SET (random_page_cost = 1)",
	"ALTER SYSTEM SET work_mem = '64MB'",
	"CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p", "ALTER SUBSCRIPTION s DISABLE",
	"DROP SUBSCRIPTION s", "ALTER TABLE t ADD COLUMN a int", "ALTER TABLE p DETACH PARTITION c",
	"ALTER TABLE p DETACH PARTITION c CONCURRENTLY", "ALTER INDEX i SET (fillfactor = 50)",
	"ALTER VIEW v OWNER TO r", "ALTER MATERIALIZED VIEW m SET SCHEMA s", "ALTER SEQUENCE s RESTART",
	"ALTER FOREIGN TABLE f ADD COLUMN a int",
	"CREATE TABLE t (a int)", "CREATE TABLE t AS SELECT 1", "CREATE MATERIALIZED VIEW m AS SELECT 1",
	"CREATE VIEW v AS SELECT 1", "CREATE SEQUENCE s", "CREATE SCHEMA s", "CREATE DOMAIN d AS int",
	"ALTER DOMAIN d SET NOT NULL", "CREATE TYPE c AS (a int)", "CREATE TYPE e AS ENUM ('a')",
	"CREATE TYPE r AS RANGE (subtype = int4)", "ALTER TYPE e ADD VALUE 'b'",
	"ALTER TYPE x SET (storage = plain)", "CREATE TYPE b", "CREATE AGGREGATE a (int) (sfunc = f, stype = int)",
	"CREATE OPERATOR === (leftarg = int, rightarg = int, function = f)",
	"CREATE COLLATION c (locale = 'C')", "CREATE TEXT SEARCH DICTIONARY d (template = simple)",
	"CREATE TRIGGER g BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
	"CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f()", "ALTER EVENT TRIGGER e DISABLE",
	"CREATE RULE r AS ON INSERT TO t DO NOTHING", "CREATE POLICY p ON t USING (true)",
	"ALTER POLICY p ON t USING (false)", "CREATE EXTENSION e", "ALTER EXTENSION e UPDATE",
	"ALTER EXTENSION e ADD TABLE t", "ALTER FUNCTION f() STABLE", "ALTER PROCEDURE p() SET a = 1",
	"ALTER TABLE t RENAME TO u", "ALTER TABLE t RENAME COLUMN a TO b", "ALTER TABLE t RENAME CONSTRAINT c TO d",
	"ALTER TYPE c RENAME ATTRIBUTE a TO b", "ALTER SCHEMA s RENAME TO u", "ALTER FUNCTION f() RENAME TO g",
	"ALTER TABLE t SET SCHEMA s", "ALTER TYPE e OWNER TO r", "ALTER FUNCTION f() DEPENDS ON EXTENSION e",
	"ALTER TABLE ALL IN TABLESPACE a SET TABLESPACE b", "ALTER COLLATION c REFRESH VERSION",
	"ALTER OPERATOR === (int, int) SET (restrict = eqsel)", "ALTER OPERATOR FAMILY f USING btree ADD OPERATOR 1 < (int, int)",
	"ALTER TEXT SEARCH DICTIONARY d (stopwords = english)",
	"ALTER TEXT SEARCH CONFIGURATION c DROP MAPPING FOR word", "CREATE STATISTICS s ON a, b FROM t",
	"ALTER STATISTICS s SET STATISTICS 10", "CREATE CAST (int AS text) WITH INOUT",
	"CREATE CONVERSION c FOR 'LATIN1' TO 'UTF8' FROM f", "CREATE OPERATOR CLASS c FOR TYPE int USING btree AS OPERATOR 1 <",
	"CREATE OPERATOR FAMILY f USING btree", "CREATE LANGUAGE l HANDLER h",
	"CREATE TRANSFORM FOR int LANGUAGE l (FROM SQL WITH FUNCTION f(internal))",
	"CREATE ACCESS METHOD a TYPE INDEX HANDLER h", "CREATE PUBLICATION p FOR ALL TABLES",
	"ALTER PUBLICATION p ADD TABLE t", "CREATE FOREIGN DATA WRAPPER w", "ALTER FOREIGN DATA WRAPPER w NO VALIDATOR",
	"CREATE SERVER s FOREIGN DATA WRAPPER w", "ALTER SERVER s VERSION '2'",
	"CREATE FOREIGN TABLE f (a int) SERVER s", "IMPORT FOREIGN SCHEMA r FROM SERVER s INTO l",
	"CREATE USER MAPPING FOR r SERVER s", "ALTER USER MAPPING FOR r SERVER s OPTIONS (a 'b')",
	"DROP USER MAPPING FOR r SERVER s", "REFRESH MATERIALIZED VIEW m", "COMMENT ON TABLE t IS 'x'",
	"SECURITY LABEL ON TABLE t IS 'x'", "GRANT SELECT ON t TO r", "REVOKE SELECT ON t FROM r",
	"GRANT r TO u", "REVOKE r FROM u", "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO r",
	"CREATE ROLE r", "CREATE USER u", "CREATE GROUP g", "ALTER ROLE r LOGIN", "ALTER ROLE r SET a = 1",
	"DROP ROLE r", "DROP OWNED BY r", "REASSIGN OWNED BY r TO u", "SET a = 1", "SET LOCAL a = 1",
	"RESET a", "RESET ALL", "SHOW a", "SET CONSTRAINTS ALL DEFERRED", "DISCARD ALL", "LOCK TABLE t",
	"CALL p()", "EXPLAIN SELECT 1", "NOTIFY c", "LISTEN c", "UNLISTEN c", "LOAD 'x'", "CHECKPOINT",
	"PREPARE q AS SELECT 1", "EXECUTE q", "DEALLOCATE q", "DECLARE c CURSOR FOR SELECT 1", "FETCH c",
	"MOVE c", "CLOSE c", "VALUES (1)",
};

static void test_same_as_sqlfile(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(statements) / sizeof(statements[0]); i++) {
		const char *sql = statements[i];
		struct sqlfile f;
		struct diag d;
		diag_init(&d);
		int rc = sqlfile_parse_text(&f, "t.sql", sql, strlen(sql), &d);
		if (rc != 0 || f.stmts.n != 1)
			fail_msg("%s: does not parse as one statement", sql);
		unsigned flags;
		const char *tag = lint_classify_sql(sql, &flags);
		if (!tag || strcmp(tag, f.stmts.v[0].tag) != 0 || flags != f.stmts.v[0].flags)
			fail_msg("%s: lint says %s (%u), sqlfile %s (%u)", sql, tag ? tag : "(null)", flags,
				 f.stmts.v[0].tag, f.stmts.v[0].flags);
		diag_release(&d);
		sqlfile_release(&f);
	}
	unsigned flags;
	assert_null(lint_classify_sql("SELEC 1", &flags));
}

static void test_selfcheck(void **state)
{
	(void)state;
	struct buf err = BUF_INIT;
	assert_int_equal(lint_pg_selfcheck(&err), 0);
	assert_true(err.len == 0);
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_sqlfile),
		cmocka_unit_test(test_selfcheck),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
