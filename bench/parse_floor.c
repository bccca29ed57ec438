/*
 * parse_floor: the least `ssot lint` must do with libpg_query, timed on one
 * thread — read each file, pg_query_raw_parse() it into a memory context,
 * run pg_query_parse_plpgsql() on each DO block (lint checks what runs in
 * them, and has no other way to see it), delete the context. That is the
 * parse lint cannot skip; everything else it does (classification, rules,
 * function bodies that its keyword prefilter lets through, the statements
 * inside bodies, the report) counts against it. bench/lint.sh compares
 * `ssot lint` against this floor.
 *
 * Each SQL statement inside a DO block is parsed once here too: compiling
 * the block with libpg_query's default check_function_bodies parses it to
 * check its syntax. (lint turns that check off and parses the statement
 * itself, to keep the tree.)
 *
 *	parse_floor FILE...     prints "<statements> <seconds>"
 *
 * Built by bench/lint.sh with PostgreSQL 15's server headers, as lint is.
 */
#include <postgres.h>
#include <nodes/parsenodes.h>
#include <nodes/pg_list.h>

#include <pg_query.h>
#include <pg_query/pg_query_internal.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *s = malloc((size_t)n + 1);
	if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "%s: cannot read\n", path);
		exit(2);
	}
	s[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return s;
}

int main(int argc, char **argv)
{
	struct timespec a, b;
	size_t stmts = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 1; i < argc; i++) {
		size_t len;
		char *text = slurp(argv[i], &len);
		MemoryContext ctx = pg_query_enter_memory_context();
		PgQueryInternalParsetreeAndError r = pg_query_raw_parse(text);
		free(r.stderr_buffer);
		if (r.error) {
			fprintf(stderr, "%s: %s\n", argv[i], r.error->message);
			pg_query_free_error(r.error);
		} else {
			ListCell *lc;
			foreach(lc, r.tree) {
				RawStmt *raw = lfirst(lc);
				stmts++;
				if (!IsA(raw->stmt, DoStmt))
					continue;
				size_t from = (size_t)raw->stmt_location;
				size_t n = raw->stmt_len ? (size_t)raw->stmt_len : len - from;
				char *stmt = strndup(text + from, n);
				PgQueryPlpgsqlParseResult p = pg_query_parse_plpgsql(stmt);
				pg_query_free_plpgsql_parse_result(p);
				free(stmt);
			}
		}
		pg_query_exit_memory_context(ctx);
		free(text);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%zu %.6f\n", stmts, (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
