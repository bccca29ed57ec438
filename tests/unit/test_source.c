/*
 * Unit tests for util/source: the line map that turns byte offsets into the
 * line and character column every diagnostic shows. Columns count UTF-8
 * characters, not bytes, and a CR before LF belongs to no line's text.
 */
#include "util/buf.h"
#include "util/source.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* Line and column of `off` in `text`, as "line:col", for terse assertions. */
static void assert_linecol(const char *text, size_t off, int want_line, int want_col)
{
	struct source src;
	int line = -1, col = -1;

	source_init_text(&src, "t.sql", text, strlen(text));
	source_linecol(&src, off, &line, &col);
	assert_int_equal(line, want_line);
	assert_int_equal(col, want_col);
	source_release(&src);
}

/* The text of the line holding `off`, as source_line_span() delimits it. */
static char *line_text(struct source *src, size_t off)
{
	size_t start, end;
	source_line_span(src, off, &start, &end);
	assert_true(start <= end);
	assert_true(end <= src->len);
	char *s = malloc(end - start + 1);
	memcpy(s, src->text + start, end - start);
	s[end - start] = '\0';
	return s;
}

static void test_first_line_columns(void **state)
{
	(void)state;
	assert_linecol("select 1;\n", 0, 1, 1);
	assert_linecol("select 1;\n", 7, 1, 8);
	/* The newline itself sits one past the last character. */
	assert_linecol("select 1;\n", 9, 1, 10);
}

static void test_later_lines(void **state)
{
	(void)state;
	const char *text = "a\nbb\n\nccc\n";

	assert_linecol(text, 1, 1, 2);
	assert_linecol(text, 2, 2, 1);
	assert_linecol(text, 4, 2, 3);
	/* An empty line: its only position is column 1. */
	assert_linecol(text, 5, 3, 1);
	assert_linecol(text, 6, 4, 1);
	assert_linecol(text, 8, 4, 3);
}

static void test_utf8_columns_count_characters(void **state)
{
	(void)state;
	/* 'é' is two bytes, '日' and '本' three each, '😀' four. */
	const char *text = "-- é\nselect '日本', x😀y;\n";
	const char *x = strstr(text, "x😀y");
	const char *y = strstr(text, "y;");

	assert_linecol(text, (size_t)(strstr(text, "\n") - text), 1, 5);
	assert_linecol(text, (size_t)(x - text), 2, 14);
	/* After a four-byte character the column advances by one. */
	assert_linecol(text, (size_t)(y - text), 2, 16);
	/* A multi-line file whose line starts are found by binary search. */
	assert_linecol("é\né\né\né\n", 9, 4, 1);
}

static void test_crlf(void **state)
{
	(void)state;
	const char *text = "select 1;\r\nselect 2;\r\n";
	struct source src;

	assert_linecol(text, 9, 1, 10);		/* the CR */
	assert_linecol(text, 11, 2, 1);		/* after CR LF */
	assert_linecol(text, 18, 2, 8);

	source_init_text(&src, "t.sql", text, strlen(text));
	char *l1 = line_text(&src, 3);
	char *l2 = line_text(&src, 11);
	/* The CR is not part of the line's text, on any line. */
	assert_string_equal(l1, "select 1;");
	assert_string_equal(l2, "select 2;");
	free(l1);
	free(l2);
	source_release(&src);
}

static void test_last_line_without_newline(void **state)
{
	(void)state;
	const char *text = "a;\nselect 1";
	struct source src;

	assert_linecol(text, 3, 2, 1);
	assert_linecol(text, 10, 2, 8);
	/* The end of the text is a valid position: just past the last character. */
	assert_linecol(text, strlen(text), 2, 9);

	source_init_text(&src, "t.sql", text, strlen(text));
	char *l = line_text(&src, strlen(text));
	assert_string_equal(l, "select 1");
	free(l);
	source_release(&src);

	/* A lone CR at the very end is dropped too. */
	source_init_text(&src, "t.sql", "x\r", 2);
	l = line_text(&src, 0);
	assert_string_equal(l, "x");
	free(l);
	source_release(&src);
}

static void test_empty_file(void **state)
{
	(void)state;
	struct source src;
	size_t start = 99, end = 99;

	assert_linecol("", 0, 1, 1);
	source_init_text(&src, "empty.sql", "", 0);
	assert_int_equal(src.len, 0);
	assert_string_equal(src.text, "");
	source_line_span(&src, 0, &start, &end);
	assert_int_equal(start, 0);
	assert_int_equal(end, 0);
	assert_int_equal(source_line_start(&src, 1), 0);
	assert_int_equal(source_line_start(&src, 2), 0);
	source_release(&src);
}

static void test_offsets_past_the_end_are_clamped(void **state)
{
	(void)state;
	const char *text = "ab\ncd\n";
	struct source src;

	/* len is 6: the position after the final newline is line 3, column 1. */
	assert_linecol(text, 6, 3, 1);
	assert_linecol(text, 7, 3, 1);
	assert_linecol(text, (size_t)-1, 3, 1);
	assert_linecol("ab\ncd", 1000, 2, 3);

	source_init_text(&src, "t.sql", "ab\ncd", 5);
	char *l = line_text(&src, 1000);
	assert_string_equal(l, "cd");
	free(l);
	source_release(&src);
}

static void test_line_start(void **state)
{
	(void)state;
	struct source src;

	source_init_text(&src, "t.sql", "a\nbb\r\nccc", 9);
	assert_int_equal(source_line_start(&src, 0), 0);
	assert_int_equal(source_line_start(&src, 1), 0);
	assert_int_equal(source_line_start(&src, 2), 2);
	assert_int_equal(source_line_start(&src, 3), 6);
	assert_int_equal(source_line_start(&src, 4), 9);
	assert_int_equal(source_line_start(&src, 1000), 9);
	assert_int_equal(src.nlines, 3);
	source_release(&src);
}

static void test_utf8_count_and_advance(void **state)
{
	(void)state;
	const char *s = "aé日😀z";	/* bytes: 1 + 2 + 3 + 4 + 1 = 11 */
	size_t len = strlen(s);

	assert_int_equal(len, 11);
	assert_int_equal(utf8_count(s, 0, len), 5);
	assert_int_equal(utf8_count(s, 1, 3), 1);
	assert_int_equal(utf8_count(s, 3, 3), 0);

	assert_int_equal(source_advance_chars(s, len, 0, 0), 0);
	assert_int_equal(source_advance_chars(s, len, 0, 1), 1);
	assert_int_equal(source_advance_chars(s, len, 0, 2), 3);
	assert_int_equal(source_advance_chars(s, len, 0, 3), 6);
	assert_int_equal(source_advance_chars(s, len, 0, 4), 10);
	assert_int_equal(source_advance_chars(s, len, 3, 2), 10);
	/* Asking for more characters than there are stops at the end. */
	assert_int_equal(source_advance_chars(s, len, 0, 50), len);
}

static void test_init_text_copies(void **state)
{
	(void)state;
	char text[] = "select 1;\nselect 2;";
	struct source src;

	/* Only the first `len` bytes are adopted, and they are copied. */
	source_init_text(&src, "db/a.sql", text, 9);
	text[0] = 'X';
	assert_string_equal(src.text, "select 1;");
	assert_int_equal(src.len, 9);
	assert_string_equal(src.path, "db/a.sql");
	source_release(&src);
	assert_null(src.text);
	assert_null(src.line_starts);
}

static void test_load(void **state)
{
	(void)state;
	char path[] = "/tmp/ssot-test-source-XXXXXX";
	int fd = mkstemp(path);
	struct source src;
	struct buf err = BUF_INIT;
	int line, col;

	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "wb");
	assert_non_null(f);
	fputs("create table t ();\r\n  drop table t;", f);
	assert_int_equal(fclose(f), 0);

	assert_int_equal(source_load(&src, "db/run/10_t.sql", path, &err), 0);
	assert_string_equal(src.path, "db/run/10_t.sql");
	assert_int_equal(src.len, 35);
	assert_int_equal(src.text[src.len], '\0');
	source_linecol(&src, 22, &line, &col);
	assert_int_equal(line, 2);
	assert_int_equal(col, 3);
	source_release(&src);
	unlink(path);

	assert_int_equal(source_load(&src, "db/gone.sql", path, &err), -1);
	assert_non_null(strstr(err.s, "cannot open db/gone.sql: "));
	buf_release(&err);
}

/* Files are read whole with read(2): an empty one, one of 200,001 bytes, a directory. */
static void test_load_sizes(void **state)
{
	(void)state;
	char path[] = "/tmp/ssot-test-source-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	struct source src;
	struct buf err = BUF_INIT;

	assert_int_equal(source_load(&src, "empty.sql", path, &err), 0);
	assert_int_equal(src.len, 0);
	assert_string_equal(src.text, "");
	source_release(&src);

	size_t n = 200001;
	char *big = malloc(n);
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = i % 80 == 79 ? '\n' : (char)('a' + i % 26);
	assert_int_equal(write(fd, big, n), (ssize_t)n);
	close(fd);
	assert_int_equal(source_load(&src, "big.sql", path, &err), 0);
	assert_int_equal(src.len, n);
	assert_memory_equal(src.text, big, n);
	assert_int_equal(src.text[n], '\0');
	source_release(&src);
	free(big);
	unlink(path);

	assert_int_equal(source_load(&src, "db", "/tmp", &err), -1);
	assert_non_null(strstr(err.s, "cannot read db: "));
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_line_columns),
		cmocka_unit_test(test_later_lines),
		cmocka_unit_test(test_utf8_columns_count_characters),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_last_line_without_newline),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_offsets_past_the_end_are_clamped),
		cmocka_unit_test(test_line_start),
		cmocka_unit_test(test_utf8_count_and_advance),
		cmocka_unit_test(test_init_text_copies),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
