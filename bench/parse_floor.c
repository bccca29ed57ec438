/*
 * parse_floor: the least any linter built on libpg_query's protobuf tree
 * must do — read each file, pg_query_parse_protobuf() it, unpack the tree
 * and free it again — timed on one thread. bench/lint.sh compares
 * `ssot lint` against this floor.
 *
 *	parse_floor FILE...     prints "<statements> <seconds>"
 */
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static char *slurp(const char *path)
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
	return s;
}

int main(int argc, char **argv)
{
	struct timespec a, b;
	size_t stmts = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 1; i < argc; i++) {
		char *text = slurp(argv[i]);
		PgQueryProtobufParseResult r = pg_query_parse_protobuf(text);
		if (r.error) {
			fprintf(stderr, "%s: %s\n", argv[i], r.error->message);
		} else {
			PgQuery__ParseResult *t = pg_query__parse_result__unpack(
				NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
			if (!t)
				abort();
			stmts += t->n_stmts;
			pg_query__parse_result__free_unpacked(t, NULL);
		}
		pg_query_free_protobuf_parse_result(r);
		free(text);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%zu %.6f\n", stmts, (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
