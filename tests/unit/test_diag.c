/*
 * Unit tests for diag: the finding store and its four renderers. Every
 * rendering is captured in memory and compared exactly (text, GitHub) or
 * parsed back with jansson and checked field by field (JSON, SARIF), since
 * the output is what users and CI systems consume.
 */
#include "diag.h"
#include "util/hash.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Render `d` in `fmt` into a fresh string (caller frees). */
static char *render(struct diag *d, enum diag_format fmt, const struct render_opts *o)
{
	char *s = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&s, &n);

	assert_non_null(out);
	diag_render(d, fmt, out, o);
	assert_int_equal(fclose(out), 0);
	return s;
}

static char *render_text(struct diag *d, bool color, int verbose)
{
	struct render_opts o = { .color = color, .verbose = verbose };
	return render(d, FORMAT_TEXT, &o);
}

/* Render and parse back; fails the test unless it is exactly one JSON document. */
static json_t *render_parsed(struct diag *d, enum diag_format fmt, const struct render_opts *o)
{
	char *s = render(d, fmt, o);
	json_error_t err;
	size_t len = strlen(s);

	assert_true(len > 0);
	assert_int_equal(s[len - 1], '\n');
	json_t *doc = json_loads(s, 0, &err);
	if (!doc)
		fail_msg("not one JSON document: %s (line %d)\n%s", err.text, err.line, s);
	free(s);
	return doc;
}

/* Byte offset of the first occurrence of `needle` in the source text. */
static size_t at(const struct source *src, const char *needle)
{
	const char *p = strstr(src->text, needle);
	assert_non_null(p);
	return (size_t)(p - src->text);
}

/* The finding spanning the first occurrence of `needle`. */
static struct finding *add_over(struct diag *d, enum severity sev, const char *rule,
				struct source *src, const char *needle, const char *msg)
{
	size_t s = at(src, needle);
	return diag_add(d, sev, rule, src, s, s + strlen(needle), "%s", msg);
}

static const char *jget_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	assert_non_null(v);
	assert_true(json_is_string(v));
	return json_string_value(v);
}

static json_int_t jget_int(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	assert_non_null(v);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void assert_jnull(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!v || !json_is_null(v))
		fail_msg("key \"%s\" is %s, expected null", key, v ? "not null" : "missing");
}

/* ---- the store ---- */

static void test_names_and_formats(void **state)
{
	(void)state;
	enum diag_format fmt = FORMAT_TEXT;

	assert_string_equal(severity_name(SEV_ERROR), "error");
	assert_string_equal(severity_name(SEV_WARNING), "warning");
	assert_string_equal(severity_name(SEV_NOTE), "note");

	assert_int_equal(diag_parse_format("json", &fmt), 0);
	assert_int_equal(fmt, FORMAT_JSON);
	assert_int_equal(diag_parse_format("sarif", &fmt), 0);
	assert_int_equal(fmt, FORMAT_SARIF);
	assert_int_equal(diag_parse_format("github", &fmt), 0);
	assert_int_equal(fmt, FORMAT_GITHUB);
	assert_int_equal(diag_parse_format("text", &fmt), 0);
	assert_int_equal(fmt, FORMAT_TEXT);
	/* Rejected values leave the output untouched. */
	assert_int_equal(diag_parse_format("JSON", &fmt), -1);
	assert_int_equal(diag_parse_format("", &fmt), -1);
	assert_int_equal(diag_parse_format("jsonx", &fmt), -1);
	assert_int_equal(diag_parse_format(NULL, &fmt), -1);
	assert_int_equal(fmt, FORMAT_TEXT);
}

static void test_add_copies_and_set_replaces(void **state)
{
	(void)state;
	struct diag d;
	char rule[] = "drift";
	char value[] = "public.t";

	diag_init(&d);
	struct finding *f = diag_add(&d, SEV_WARNING, rule, NULL, 0, 0, "%d columns in %s", 3, value);
	rule[0] = 'X';
	diag_set(&f->object, value);
	value[0] = 'X';
	assert_string_equal(f->rule, "drift");
	assert_string_equal(f->message, "3 columns in public.t");
	assert_string_equal(f->object, "public.t");
	assert_null(f->src);
	assert_null(f->kind);

	diag_set(&f->object, "public.u");
	assert_string_equal(f->object, "public.u");
	diag_set(&f->object, NULL);
	assert_null(f->object);
	/* Setting a field from its own value must not read freed memory. */
	diag_set(&f->kind, "table");
	diag_set(&f->kind, f->kind);
	assert_string_equal(f->kind, "table");

	diag_add(&d, SEV_ERROR, "sql-error", NULL, 0, 0, "boom");
	diag_add(&d, SEV_WARNING, "drift", NULL, 0, 0, "again");
	assert_int_equal(d.items.n, 3);
	assert_int_equal(diag_count(&d, SEV_ERROR), 1);
	assert_int_equal(diag_count(&d, SEV_WARNING), 2);
	assert_int_equal(diag_count(&d, SEV_NOTE), 0);

	diag_release(&d);
	assert_int_equal(d.items.n, 0);
	assert_null(d.items.v);
}

static void test_position(void **state)
{
	(void)state;
	struct diag d;
	struct source src;
	const char *file;
	int line, col;

	source_init_text(&src, "db/a.sql", "select 1;\n  select é2;\n", 24);
	diag_init(&d);
	add_over(&d, SEV_ERROR, "r", &src, "é2", "m");
	struct finding *f = diag_add(&d, SEV_NOTE, "r", NULL, 0, 0, "m");
	diag_set(&f->file, "ssot.conf");
	f->line = 4;
	f->col = 7;
	diag_add(&d, SEV_NOTE, "r", NULL, 0, 0, "database-wide");

	finding_position(&d.items.v[0], &file, &line, &col);
	assert_string_equal(file, "db/a.sql");
	assert_int_equal(line, 2);
	assert_int_equal(col, 10);
	finding_position(&d.items.v[1], &file, &line, &col);
	assert_string_equal(file, "ssot.conf");
	assert_int_equal(line, 4);
	assert_int_equal(col, 7);
	finding_position(&d.items.v[2], &file, &line, &col);
	assert_null(file);
	assert_int_equal(line, 0);
	assert_int_equal(col, 0);

	diag_release(&d);
	source_release(&src);
}

/* ---- text ---- */

static void test_text_caret_and_span(void **state)
{
	(void)state;
	struct diag d;
	struct source src;
	const char *text = "create table t (\n  id integr\n);\n";

	source_init_text(&src, "db/run/10_a.sql", text, strlen(text));
	diag_init(&d);
	add_over(&d, SEV_ERROR, "unknown-type", &src, "integr", "type \"integr\" does not exist");
	/* A point, not a span: a lone caret. */
	diag_add(&d, SEV_WARNING, "style", &src, at(&src, "id"), at(&src, "id"), "point");

	char *out = render_text(&d, false, 0);
	assert_string_equal(out,
		"db/run/10_a.sql:2:6: error: type \"integr\" does not exist [unknown-type]\n"
		" 2 |   id integr\n"
		"   |      ^~~~~~\n"
		"db/run/10_a.sql:2:3: warning: point [style]\n"
		" 2 |   id integr\n"
		"   |   ^\n");
	free(out);
	diag_release(&d);
	source_release(&src);
}

static void test_text_caret_under_utf8_column(void **state)
{
	(void)state;
	struct diag d;
	struct source src;
	/* 'é' and 'ï' are two bytes each; the caret must count characters. */
	const char *text = "select 'héllo', naïve_col from t;\n";

	source_init_text(&src, "q.sql", text, strlen(text));
	diag_init(&d);
	add_over(&d, SEV_NOTE, "r", &src, "naïve_col", "here");

	char *out = render_text(&d, false, 0);
	assert_string_equal(out,
		"q.sql:1:17: note: here [r]\n"
		" 1 | select 'héllo', naïve_col from t;\n"
		"   |                 ^~~~~~~~~\n");
	free(out);
	diag_release(&d);
	source_release(&src);
}

static void test_text_tabs_expand_to_four(void **state)
{
	(void)state;
	struct diag d;
	struct source src;
	const char *text = "create table t (\n\tid\tintegr\n);\n";

	source_init_text(&src, "t.sql", text, strlen(text));
	diag_init(&d);
	add_over(&d, SEV_ERROR, "r", &src, "integr", "word");
	/* A span that starts on a tab: the caret sits where the tab starts. */
	add_over(&d, SEV_ERROR, "r", &src, "\tintegr", "tab");

	char *out = render_text(&d, false, 0);
	assert_string_equal(out,
		"t.sql:2:5: error: word [r]\n"
		" 2 |     id  integr\n"
		"   |         ^~~~~~\n"
		"t.sql:2:4: error: tab [r]\n"
		" 2 |     id  integr\n"
		"   |       ^~~~~~~~\n");
	free(out);
	diag_release(&d);
	source_release(&src);
}

static void test_text_line_edges(void **state)
{
	(void)state;
	struct diag d;
	struct source src;
	const char *text = "select 1;\r\nselect\n  2;\n\n";

	source_init_text(&src, "w.sql", text, strlen(text));
	diag_init(&d);
	/* CRLF: the CR is neither printed nor underlined. */
	diag_add(&d, SEV_ERROR, "r", &src, at(&src, "1;"), at(&src, "\nselect"), "crlf");
	/* A span over two lines is underlined to the end of its first line. */
	diag_add(&d, SEV_ERROR, "r", &src, at(&src, "lect\n"), at(&src, "2;") + 1, "multi");
	/* An empty line: no trailing blank after the bar, caret in column 1. */
	diag_add(&d, SEV_ERROR, "r", &src, strlen(text) - 1, strlen(text) - 1, "empty");

	char *out = render_text(&d, false, 0);
	assert_string_equal(out,
		"w.sql:1:8: error: crlf [r]\n"
		" 1 | select 1;\n"
		"   |        ^~\n"
		"w.sql:2:3: error: multi [r]\n"
		" 2 | select\n"
		"   |   ^~~~\n"
		"w.sql:4:1: error: empty [r]\n"
		" 4 |\n"
		"   | ^\n");
	free(out);
	diag_release(&d);
	source_release(&src);
}

static void test_text_headers_and_tags(void **state)
{
	(void)state;
	struct diag d;
	struct source src;
	struct finding *f;

	source_init_text(&src, "db/b.sql", "insert into x values (1);\n", 26);
	diag_init(&d);
	f = add_over(&d, SEV_ERROR, "sql-error", &src, "x", "relation \"x\" does not exist");
	diag_set(&f->sqlstate, "42P01");
	/* sqlstate only replaces the tag of sql-error findings. */
	f = diag_add(&d, SEV_WARNING, "lint-x", NULL, 0, 0, "file and line");
	diag_set(&f->file, "ssot.conf");
	diag_set(&f->sqlstate, "01000");
	f->line = 3;
	f = diag_add(&d, SEV_NOTE, "drift", NULL, 0, 0, "file only");
	diag_set(&f->file, "db/c.sql");
	diag_add(&d, SEV_ERROR, "drift", NULL, 0, 0, "no file");
	diag_add(&d, SEV_ERROR, NULL, NULL, 0, 0, "no tag");
	f = diag_add(&d, SEV_ERROR, "sql-error", NULL, 0, 0, "no sqlstate");

	char *out = render_text(&d, false, 0);
	assert_string_equal(out,
		"db/b.sql:1:13: error: relation \"x\" does not exist [42P01]\n"
		" 1 | insert into x values (1);\n"
		"   |             ^\n"
		"ssot.conf:3: warning: file and line [lint-x]\n"
		"db/c.sql: note: file only [drift]\n"
		"error: no file [drift]\n"
		"error: no tag\n"
		"error: no sqlstate [sql-error]\n");
	free(out);
	diag_release(&d);
	source_release(&src);
}

static void test_text_extra_lines(void **state)
{
	(void)state;
	struct diag d;
	struct finding *f;

	diag_init(&d);
	f = diag_add(&d, SEV_ERROR, "drift", NULL, 0, 0, "column public.s.tel is declared but missing");
	diag_set(&f->file, "db/run/10_s.sql");
	f->line = 5;
	f->col = 3;
	diag_set(&f->detail, "Key (id)=(1) already exists.\nSecond line.\n");
	diag_set(&f->hint, "Add it");
	diag_set(&f->expected, "text");
	diag_set(&f->actual, "integer");
	diag_set(&f->kind, "column");
	diag_set(&f->object, "public.s.tel");
	diag_set(&f->suggestion, "did you mean \"tel_no\"?");
	diag_set(&f->help, "Why this matters.\n\nHow to fix it.");
	f = diag_add(&d, SEV_NOTE, "x", NULL, 0, 0, "object only");
	diag_set(&f->object, "public.t");

	const char *plain =
		"db/run/10_s.sql:5:3: error: column public.s.tel is declared but missing [drift]\n"
		"  detail: Key (id)=(1) already exists.\n"
		"          Second line.\n"
		"  hint: Add it\n"
		"  expected: text\n"
		"  actual: integer\n"
		"  object: column public.s.tel\n"
		"  fix: did you mean \"tel_no\"?\n";
	char *out = render_text(&d, false, 0);
	char want[1024];
	snprintf(want, sizeof(want), "%snote: object only [x]\n  object: public.t\n", plain);
	assert_string_equal(out, want);
	free(out);

	/* Help appears only with -v, each line indented, blank lines kept bare. */
	out = render_text(&d, false, 1);
	snprintf(want, sizeof(want), "%s    Why this matters.\n\n    How to fix it.\n"
		"note: object only [x]\n  object: public.t\n", plain);
	assert_string_equal(out, want);
	free(out);
	diag_release(&d);
}

static void test_text_color(void **state)
{
	(void)state;
	struct diag d;
	struct source src;

	source_init_text(&src, "c.sql", "select x;\n", 10);
	diag_init(&d);
	add_over(&d, SEV_ERROR, "r", &src, "x", "e");
	add_over(&d, SEV_WARNING, "r", &src, "x", "w");
	diag_set(&diag_add(&d, SEV_NOTE, "r", NULL, 0, 0, "n")->detail, "d");

	char *out = render_text(&d, false, 1);
	assert_null(strchr(out, '\033'));
	free(out);

	out = render_text(&d, true, 0);
	assert_string_equal(out,
		"\033[1mc.sql:1:8:\033[0m \033[1;31merror\033[0m: e [r]\n"
		" 1 | select x;\n"
		"   |        \033[1;32m^\033[0m\n"
		"\033[1mc.sql:1:8:\033[0m \033[1;35mwarning\033[0m: w [r]\n"
		" 1 | select x;\n"
		"   |        \033[1;32m^\033[0m\n"
		"\033[1;36mnote\033[0m: n [r]\n"
		"  detail: d\n");
	free(out);
	diag_release(&d);
	source_release(&src);
}

/* ---- JSON ---- */

/*
 * What diag_render_json writes must be byte for byte what jansson writes
 * for the same document (JSON_INDENT(2), members in order): the reference
 * below builds it the way the renderer did before it wrote findings itself.
 */
static json_t *ref_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *ref_finding(const struct finding *f)
{
	json_t *j = json_object();
	const char *file;
	int line, col;
	finding_position(f, &file, &line, &col);
	json_object_set_new(j, "rule", ref_str(f->rule));
	json_object_set_new(j, "severity", json_string(severity_name(f->severity)));
	json_object_set_new(j, "message", ref_str(f->message));
	json_object_set_new(j, "file", ref_str(file));
	json_object_set_new(j, "line", line > 0 ? json_integer(line) : json_null());
	json_object_set_new(j, "col", col > 0 ? json_integer(col) : json_null());
	if (f->src && f->end > f->start) {
		int el, ec;
		source_linecol(f->src, f->end, &el, &ec);
		json_object_set_new(j, "end_line", json_integer(el));
		json_object_set_new(j, "end_col", json_integer(ec));
	}
	json_object_set_new(j, "object", ref_str(f->object));
	json_object_set_new(j, "kind", ref_str(f->kind));
	json_object_set_new(j, "status", ref_str(f->status));
	json_object_set_new(j, "expected", ref_str(f->expected));
	json_object_set_new(j, "actual", ref_str(f->actual));
	json_object_set_new(j, "suggestion", ref_str(f->suggestion));
	if (f->detail)
		json_object_set_new(j, "detail", ref_str(f->detail));
	if (f->hint)
		json_object_set_new(j, "hint", ref_str(f->hint));
	if (f->sqlstate)
		json_object_set_new(j, "sqlstate", ref_str(f->sqlstate));
	return j;
}

static char *ref_document(const struct diag *d, const char *command, json_t *summary)
{
	json_t *doc = json_object(), *findings = json_array();
	for (size_t i = 0; i < d->items.n; i++)
		json_array_append_new(findings, ref_finding(&d->items.v[i]));
	json_t *sum = json_deep_copy(summary);
	json_object_set_new(sum, "errors", json_integer((json_int_t)diag_count(d, SEV_ERROR)));
	json_object_set_new(sum, "warnings", json_integer((json_int_t)diag_count(d, SEV_WARNING)));
	json_object_set_new(sum, "notes", json_integer((json_int_t)diag_count(d, SEV_NOTE)));
	json_object_set_new(doc, "version", json_integer(1));
	json_object_set_new(doc, "command", ref_str(command));
	json_object_set_new(doc, "findings", findings);
	json_object_set_new(doc, "summary", sum);
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	char *r = malloc(strlen(s) + 2);
	strcpy(r, s);
	strcat(r, "\n");
	free(s);
	return r;
}

static void test_json_bytes_as_jansson(void **state)
{
	(void)state;
	struct diag d;
	struct source src;
	struct finding *f;
	json_t *summary = json_pack("{s:i, s:s, s:f, s:n}", "files", 3, "profile", "a \"b\"\n", "duration_ms", 12.5,
				    "none");

	source_init_text(&src, "db/run/\xc3\xa9t\xc3\xa9.sql", "select 1;\n\tselect 'x';\n", 22);
	diag_init(&d);
	struct render_opts o = { .command = "lint", .summary = summary };
	char *got = render(&d, FORMAT_JSON, &o);
	char *want = ref_document(&d, "lint", summary);
	assert_string_equal(got, want);	/* no findings: "findings": [] */
	free(got);
	free(want);

	f = diag_add(&d, SEV_ERROR, "r\"1\\", &src, 2, 8, "quote \" backslash \\ slash / tab\t nl\n cr\r bs\b ff\f");
	diag_set(&f->object, "ctl \x01\x1f del \x7f");
	diag_set(&f->kind, "utf8 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	diag_set(&f->status, "");
	f = diag_add(&d, SEV_WARNING, NULL, NULL, 0, 0, "latin-1 caf\xe9, overlong \xc0\xaf, surrogate \xed\xa0\x80, cut \xe2\x82");
	diag_set(&f->detail, "d");
	diag_set(&f->hint, "h \xff");
	diag_set(&f->sqlstate, "42P01");
	diag_add(&d, SEV_NOTE, "n", &src, 12, 12, "point on line 2");
	for (int cmd = 0; cmd < 2; cmd++) {
		o.command = cmd ? "drift" : NULL;
		got = render(&d, FORMAT_JSON, &o);
		want = ref_document(&d, o.command, summary);
		/* jansson refuses invalid UTF-8; the renderer writes U+FFFD for each bad byte */
		assert_non_null(strstr(got, "caf\xef\xbf\xbd, overlong \xef\xbf\xbd\xef\xbf\xbd"));
		free(got);
		free(want);
	}
	diag_release(&d);

	/* every string valid UTF-8: the whole document compares */
	diag_init(&d);
	f = diag_add(&d, SEV_ERROR, "r\"1\\", &src, 2, 8, "quote \" backslash \\ slash / tab\t nl\n cr\r bs\b ff\f");
	diag_set(&f->object, "ctl \x01\x1f del \x7f");
	diag_set(&f->kind, "utf8 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	f = diag_add(&d, SEV_WARNING, NULL, NULL, 0, 0, "no source");
	diag_set(&f->detail, "d");
	diag_set(&f->hint, "h");
	diag_set(&f->sqlstate, "42P01");
	diag_add(&d, SEV_NOTE, "n", &src, 12, 12, "point on line 2");
	got = render(&d, FORMAT_JSON, &o);
	want = ref_document(&d, o.command, summary);
	assert_string_equal(got, want);
	free(got);
	free(want);
	diag_release(&d);
	source_release(&src);
	json_decref(summary);
}


static void test_json_document(void **state)
{
	(void)state;
	struct diag d;
	struct source src;
	struct finding *f;
	static const char *const always[] = {
		"rule", "severity", "message", "file", "line", "col", "object",
		"kind", "status", "expected", "actual", "suggestion",
	};

	source_init_text(&src, "db/run/10_stores.sql", "create table stores (\n  tel_no text\n);\n", 39);
	diag_init(&d);
	f = add_over(&d, SEV_ERROR, "drift", &src, "tel_no text", "column public.stores.tel_no is declared but missing");
	diag_set(&f->object, "public.stores.tel_no");
	diag_set(&f->kind, "column");
	diag_set(&f->status, "missing");
	diag_set(&f->expected, "text");
	f = diag_add(&d, SEV_WARNING, "sql-error", NULL, 0, 0, "database says no");
	diag_set(&f->detail, "d");
	diag_set(&f->hint, "h");
	diag_set(&f->sqlstate, "42P01");
	diag_set(&f->help, "not in JSON");
	diag_add(&d, SEV_NOTE, "n", &src, 0, 0, "point");

	struct render_opts o = { .command = "drift" };
	json_t *doc = render_parsed(&d, FORMAT_JSON, &o);
	assert_true(json_is_object(doc));
	assert_int_equal(json_object_size(doc), 4);
	assert_int_equal(jget_int(doc, "version"), 1);
	assert_string_equal(jget_str(doc, "command"), "drift");

	json_t *findings = json_object_get(doc, "findings");
	assert_int_equal(json_array_size(findings), 3);
	for (size_t i = 0; i < 3; i++)
		for (size_t k = 0; k < sizeof(always) / sizeof(always[0]); k++)
			if (!json_object_get(json_array_get(findings, i), always[k]))
				fail_msg("finding %zu lacks \"%s\"", i, always[k]);

	json_t *a = json_array_get(findings, 0);
	assert_int_equal(json_object_size(a), 14);
	assert_string_equal(jget_str(a, "rule"), "drift");
	assert_string_equal(jget_str(a, "severity"), "error");
	assert_string_equal(jget_str(a, "file"), "db/run/10_stores.sql");
	assert_int_equal(jget_int(a, "line"), 2);
	assert_int_equal(jget_int(a, "col"), 3);
	/* The end is one past the last character, as in SARIF. */
	assert_int_equal(jget_int(a, "end_line"), 2);
	assert_int_equal(jget_int(a, "end_col"), 14);
	assert_string_equal(jget_str(a, "object"), "public.stores.tel_no");
	assert_string_equal(jget_str(a, "status"), "missing");
	assert_string_equal(jget_str(a, "expected"), "text");
	assert_jnull(a, "actual");
	assert_jnull(a, "suggestion");
	assert_null(json_object_get(a, "detail"));
	assert_null(json_object_get(a, "sqlstate"));

	json_t *b = json_array_get(findings, 1);
	assert_int_equal(json_object_size(b), 15);
	assert_string_equal(jget_str(b, "severity"), "warning");
	assert_jnull(b, "file");
	assert_jnull(b, "line");
	assert_jnull(b, "col");
	assert_jnull(b, "object");
	assert_null(json_object_get(b, "end_line"));
	assert_string_equal(jget_str(b, "detail"), "d");
	assert_string_equal(jget_str(b, "hint"), "h");
	assert_string_equal(jget_str(b, "sqlstate"), "42P01");
	assert_null(json_object_get(b, "help"));

	/* A point has a position but no end. */
	json_t *c = json_array_get(findings, 2);
	assert_string_equal(jget_str(c, "severity"), "note");
	assert_int_equal(jget_int(c, "line"), 1);
	assert_int_equal(jget_int(c, "col"), 1);
	assert_null(json_object_get(c, "end_line"));
	assert_null(json_object_get(c, "end_col"));

	json_t *summary = json_object_get(doc, "summary");
	assert_int_equal(json_object_size(summary), 3);
	assert_int_equal(jget_int(summary, "errors"), 1);
	assert_int_equal(jget_int(summary, "warnings"), 1);
	assert_int_equal(jget_int(summary, "notes"), 1);
	json_decref(doc);
	diag_release(&d);
	source_release(&src);
}

static void test_json_layout_and_summary(void **state)
{
	(void)state;
	struct diag d;
	json_t *given = json_pack("{s:i, s:i}", "tables", 7, "errors", 99);

	diag_init(&d);
	struct render_opts o = { .command = "apply", .summary = given };
	char *out = render(&d, FORMAT_JSON, &o);
	/* Key order is fixed and the layout is jq-style two-space indentation. */
	assert_string_equal(out,
		"{\n"
		"  \"version\": 1,\n"
		"  \"command\": \"apply\",\n"
		"  \"findings\": [],\n"
		"  \"summary\": {\n"
		"    \"tables\": 7,\n"
		"    \"errors\": 0,\n"
		"    \"warnings\": 0,\n"
		"    \"notes\": 0\n"
		"  }\n"
		"}\n");
	free(out);
	/* The caller's summary is borrowed, not modified. */
	assert_int_equal(json_integer_value(json_object_get(given, "errors")), 99);
	assert_int_equal(json_object_size(given), 2);
	json_decref(given);

	/* No command: null, not a missing key. */
	json_t *doc = render_parsed(&d, FORMAT_JSON, NULL);
	assert_jnull(doc, "command");
	json_decref(doc);
	diag_release(&d);
}

static void test_json_survives_invalid_utf8(void **state)
{
	(void)state;
	struct diag d;

	diag_init(&d);
	/* A Latin-1 'é' (0xE9) quoted from a file that is not UTF-8. */
	struct finding *f = diag_add(&d, SEV_ERROR, "r", NULL, 0, 0, "caf\xE9 ok");
	diag_set(&f->object, "t\xC0\xAF");
	json_t *doc = render_parsed(&d, FORMAT_JSON, NULL);
	json_t *a = json_array_get(json_object_get(doc, "findings"), 0);
	assert_string_equal(jget_str(a, "message"), "caf\xEF\xBF\xBD ok");
	assert_string_equal(jget_str(a, "object"), "t\xEF\xBF\xBD\xEF\xBF\xBD");
	json_decref(doc);
	diag_release(&d);
}

/* ---- SARIF ---- */

static void test_sarif_required_fields(void **state)
{
	(void)state;
	struct diag d;
	struct source src;
	struct finding *f;

	source_init_text(&src, "db/run/my file.sql", "select 1;\n\tselect é;\n", 22);
	diag_init(&d);
	f = add_over(&d, SEV_ERROR, "sql-error", &src, "é", "syntax error");
	diag_set(&f->sqlstate, "42601");
	diag_set(&f->detail, "more");
	f = diag_add(&d, SEV_WARNING, "drift", NULL, 0, 0, "table public.t is extra");
	diag_set(&f->help, "Drop it or declare it.");
	diag_set(&f->object, "public.t");
	diag_add(&d, SEV_NOTE, "sql-error", &src, 0, 0, "second of its rule");
	f = diag_add(&d, SEV_WARNING, "lint", NULL, 0, 0, "no line");
	diag_set(&f->file, "./db/x#1.sql");

	struct render_opts o = { .command = "apply", .tool_version = "0.1.0" };
	json_t *doc = render_parsed(&d, FORMAT_SARIF, &o);
	assert_string_equal(jget_str(doc, "version"), "2.1.0");
	assert_string_equal(jget_str(doc, "$schema"), "https://json.schemastore.org/sarif-2.1.0.json");
	json_t *runs = json_object_get(doc, "runs");
	assert_int_equal(json_array_size(runs), 1);
	json_t *run = json_array_get(runs, 0);
	assert_string_equal(jget_str(run, "columnKind"), "unicodeCodePoints");
	assert_null(json_object_get(run, "originalUriBaseIds"));
	json_t *driver = json_object_get(json_object_get(run, "tool"), "driver");
	assert_string_equal(jget_str(driver, "name"), "ssot");
	assert_string_equal(jget_str(driver, "version"), "0.1.0");
	assert_string_equal(jget_str(driver, "informationUri"), "https://github.com/ssot-sql/ssot");

	/* One rule per distinct id, in order of first appearance. */
	json_t *rules = json_object_get(driver, "rules");
	assert_int_equal(json_array_size(rules), 3);
	json_t *r0 = json_array_get(rules, 0), *r1 = json_array_get(rules, 1);
	assert_string_equal(jget_str(r0, "id"), "sql-error");
	assert_string_equal(jget_str(r0, "name"), "sql-error");
	assert_string_equal(jget_str(json_object_get(r0, "shortDescription"), "text"), "syntax error");
	assert_string_equal(jget_str(json_object_get(r0, "help"), "text"), "syntax error");
	assert_string_equal(jget_str(json_object_get(r0, "defaultConfiguration"), "level"), "error");
	assert_string_equal(jget_str(r1, "id"), "drift");
	assert_string_equal(jget_str(json_object_get(r1, "help"), "text"), "Drop it or declare it.");
	assert_string_equal(jget_str(json_object_get(r1, "defaultConfiguration"), "level"), "warning");
	assert_string_equal(jget_str(json_array_get(rules, 2), "id"), "lint");

	json_t *results = json_object_get(run, "results");
	assert_int_equal(json_array_size(results), 4);
	static const char *const levels[] = { "error", "warning", "note", "warning" };
	for (size_t i = 0; i < 4; i++) {
		json_t *r = json_array_get(results, i);
		json_int_t idx = jget_int(r, "ruleIndex");
		assert_true(idx >= 0 && (size_t)idx < json_array_size(rules));
		assert_string_equal(jget_str(json_array_get(rules, (size_t)idx), "id"), jget_str(r, "ruleId"));
		assert_string_equal(jget_str(r, "level"), levels[i]);
		assert_true(strlen(jget_str(json_object_get(r, "message"), "text")) > 0);
		json_t *locs = json_object_get(r, "locations");
		assert_int_equal(json_array_size(locs), 1);
		json_t *art = json_object_get(json_object_get(json_array_get(locs, 0), "physicalLocation"), "artifactLocation");
		assert_string_equal(jget_str(art, "uriBaseId"), "%SRCROOT%");
		const char *fp = jget_str(json_object_get(r, "partialFingerprints"), "primaryLocationLineHash");
		assert_int_equal(strlen(fp), HASH_HEX_LEN + 2);
		assert_string_equal(fp + HASH_HEX_LEN, ":1");
	}

	json_t *r = json_array_get(results, 0);
	assert_string_equal(jget_str(r, "ruleId"), "sql-error");
	assert_int_equal(jget_int(r, "ruleIndex"), 0);
	assert_string_equal(jget_str(json_object_get(r, "message"), "text"), "syntax error\ndetail: more");
	assert_string_equal(jget_str(json_object_get(r, "properties"), "sqlstate"), "42601");
	json_t *phys = json_object_get(json_array_get(json_object_get(r, "locations"), 0), "physicalLocation");
	/* Repo-relative, forward slashes, spaces percent-encoded. */
	assert_string_equal(jget_str(json_object_get(phys, "artifactLocation"), "uri"), "db/run/my%20file.sql");
	json_t *region = json_object_get(phys, "region");
	assert_int_equal(jget_int(region, "startLine"), 2);
	/* Columns are code points: the tab counts as one. */
	assert_int_equal(jget_int(region, "startColumn"), 9);
	assert_int_equal(jget_int(region, "endLine"), 2);
	assert_int_equal(jget_int(region, "endColumn"), 10);

	/* A database-level finding points at the project root, with no region. */
	r = json_array_get(results, 1);
	assert_int_equal(jget_int(r, "ruleIndex"), 1);
	phys = json_object_get(json_array_get(json_object_get(r, "locations"), 0), "physicalLocation");
	assert_string_equal(jget_str(json_object_get(phys, "artifactLocation"), "uri"), ".");
	assert_null(json_object_get(phys, "region"));
	assert_string_equal(jget_str(json_object_get(r, "properties"), "object"), "public.t");

	/* The second finding of a rule reuses its index; a point has no end. */
	r = json_array_get(results, 2);
	assert_int_equal(jget_int(r, "ruleIndex"), 0);
	region = json_object_get(json_object_get(json_array_get(json_object_get(r, "locations"), 0), "physicalLocation"), "region");
	assert_int_equal(jget_int(region, "startLine"), 1);
	assert_int_equal(jget_int(region, "startColumn"), 1);
	assert_null(json_object_get(region, "endLine"));
	assert_null(json_object_get(r, "properties"));

	/* A file without a line: a location, no region; "./" and '#' handled. */
	r = json_array_get(results, 3);
	phys = json_object_get(json_array_get(json_object_get(r, "locations"), 0), "physicalLocation");
	assert_string_equal(jget_str(json_object_get(phys, "artifactLocation"), "uri"), "db/x%231.sql");
	assert_null(json_object_get(phys, "region"));

	assert_string_equal(jget_str(json_object_get(run, "automationDetails"), "id"), "ssot/apply/");
	json_decref(doc);
	diag_release(&d);
	source_release(&src);
}

static const char *fingerprint_of(json_t *doc, size_t i)
{
	json_t *r = json_array_get(json_object_get(json_array_get(json_object_get(doc, "runs"), 0), "results"), i);
	return jget_str(json_object_get(r, "partialFingerprints"), "primaryLocationLineHash");
}

static void test_sarif_fingerprints(void **state)
{
	(void)state;
	struct diag d;
	struct source before, after;
	const char *one = "create table t (id int);\ncreate table t (id int);\n";
	/* The same statement moved down and re-indented. */
	const char *two = "-- new header\n\n   create table t (id int);  \n";
	char want[HASH_HEX_LEN + 1];

	source_init_text(&before, "db/a.sql", one, strlen(one));
	source_init_text(&after, "db/a.sql", two, strlen(two));
	diag_init(&d);
	diag_add(&d, SEV_WARNING, "idempotent-create", &before, 0, 6, "m1");
	diag_add(&d, SEV_WARNING, "idempotent-create", &before, 25, 31, "m2");
	diag_add(&d, SEV_WARNING, "idempotent-create", &after, at(&after, "create"), at(&after, "create") + 6, "m3");
	diag_add(&d, SEV_WARNING, "other-rule", &after, at(&after, "create"), at(&after, "create") + 6, "m3");
	diag_add(&d, SEV_ERROR, "drift", NULL, 0, 0, "no source");

	json_t *doc = render_parsed(&d, FORMAT_SARIF, NULL);
	/* rule NUL file NUL object NUL trimmed line text */
	hash_sha256_hex("idempotent-create\0db/a.sql\0\0create table t (id int);", 18 + 9 + 1 + 24, want);
	assert_memory_equal(fingerprint_of(doc, 0), want, HASH_HEX_LEN);
	assert_string_equal(fingerprint_of(doc, 0) + HASH_HEX_LEN, ":1");
	/* Identical findings are told apart by occurrence, not by line number. */
	assert_memory_equal(fingerprint_of(doc, 1), want, HASH_HEX_LEN);
	assert_string_equal(fingerprint_of(doc, 1) + HASH_HEX_LEN, ":2");
	assert_memory_equal(fingerprint_of(doc, 2), want, HASH_HEX_LEN);
	assert_string_equal(fingerprint_of(doc, 2) + HASH_HEX_LEN, ":3");
	/* A different rule on the same line is a different alert. */
	assert_memory_not_equal(fingerprint_of(doc, 3), want, HASH_HEX_LEN);
	assert_string_equal(fingerprint_of(doc, 3) + HASH_HEX_LEN, ":1");
	/* Without source, the message stands in for the line. */
	hash_sha256_hex("drift\0\0\0no source", 6 + 1 + 1 + 9, want);
	assert_memory_equal(fingerprint_of(doc, 4), want, HASH_HEX_LEN);

	/* No tool version given: the key is left out rather than made up. */
	json_t *driver = json_object_get(json_object_get(json_array_get(json_object_get(doc, "runs"), 0), "tool"), "driver");
	assert_null(json_object_get(driver, "version"));
	json_decref(doc);
	diag_release(&d);
	source_release(&before);
	source_release(&after);
}

/* ---- GitHub ---- */

static void test_github_commands_and_escaping(void **state)
{
	(void)state;
	struct diag d;
	struct source src;
	struct finding *f;
	const char *text = "select 1;\n  select 100, oops;\n";

	source_init_text(&src, "db/x:y,z.sql", text, strlen(text));
	diag_init(&d);
	f = add_over(&d, SEV_ERROR, "r:1,2", &src, "select 100", "100% wrong\r\nsecond line, with: colon");
	diag_set(&f->detail, "Detail 50%.\n");
	diag_set(&f->hint, "h, i: j");
	f = diag_add(&d, SEV_WARNING, "drift", NULL, 0, 0, "file only");
	diag_set(&f->file, "db/a.sql");
	f = diag_add(&d, SEV_NOTE, "lint", NULL, 0, 0, "with line");
	diag_set(&f->file, "db/b.sql");
	f->line = 7;
	diag_add(&d, SEV_NOTE, "drift", NULL, 0, 0, "database-level");
	diag_add(&d, SEV_ERROR, NULL, NULL, 0, 0, "bare");

	char *out = render(&d, FORMAT_GITHUB, NULL);
	assert_string_equal(out,
		"::error file=db/x%3Ay%2Cz.sql,line=2,col=3,endLine=2,endColumn=13,title=r%3A1%2C2::"
		"100%25 wrong%0D%0Asecond line, with: colon%0Adetail: Detail 50%25.%0Ahint: h, i: j\n"
		"::warning file=db/a.sql,title=drift::file only\n"
		"::notice file=db/b.sql,line=7,title=lint::with line\n"
		"::notice title=drift::database-level\n"
		"::error::bare\n");
	free(out);
	diag_release(&d);
	source_release(&src);
}

static void test_github_multiline_span_drops_columns(void **state)
{
	(void)state;
	struct diag d;
	struct source src;
	const char *text = "create table t (\n  id int\n);\n";

	source_init_text(&src, "t.sql", text, strlen(text));
	diag_init(&d);
	/* GitHub honours columns only when an annotation starts and ends on one line. */
	diag_add(&d, SEV_WARNING, "r", &src, 0, strlen(text) - 1, "whole statement");
	diag_add(&d, SEV_WARNING, "r", &src, at(&src, "id"), at(&src, "id"), "point");

	char *out = render(&d, FORMAT_GITHUB, NULL);
	assert_string_equal(out,
		"::warning file=t.sql,line=1,endLine=3,title=r::whole statement\n"
		"::warning file=t.sql,line=2,col=3,title=r::point\n");
	free(out);
	diag_release(&d);
	source_release(&src);
}

static void test_render_dispatches(void **state)
{
	(void)state;
	struct diag d;
	static const enum diag_format formats[] = { FORMAT_TEXT, FORMAT_JSON, FORMAT_SARIF, FORMAT_GITHUB };
	void (*const direct[])(struct diag *, FILE *, const struct render_opts *) = {
		diag_render_text, diag_render_json, diag_render_sarif, diag_render_github,
	};
	struct render_opts o = { .command = "lint", .tool_version = "1.2.3" };

	diag_init(&d);
	diag_set(&diag_add(&d, SEV_WARNING, "r", NULL, 0, 0, "m")->file, "f.sql");
	for (size_t i = 0; i < 4; i++) {
		char *s = NULL;
		size_t n = 0;
		FILE *out = open_memstream(&s, &n);
		direct[i](&d, out, &o);
		fclose(out);
		char *via = render(&d, formats[i], &o);
		assert_string_equal(via, s);
		assert_true(strlen(s) > 0);
		free(via);
		free(s);
	}
	diag_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_formats),
		cmocka_unit_test(test_add_copies_and_set_replaces),
		cmocka_unit_test(test_position),
		cmocka_unit_test(test_text_caret_and_span),
		cmocka_unit_test(test_text_caret_under_utf8_column),
		cmocka_unit_test(test_text_tabs_expand_to_four),
		cmocka_unit_test(test_text_line_edges),
		cmocka_unit_test(test_text_headers_and_tags),
		cmocka_unit_test(test_text_extra_lines),
		cmocka_unit_test(test_text_color),
		cmocka_unit_test(test_json_document),
		cmocka_unit_test(test_json_layout_and_summary),
		cmocka_unit_test(test_json_survives_invalid_utf8),
		cmocka_unit_test(test_sarif_required_fields),
		cmocka_unit_test(test_sarif_fingerprints),
		cmocka_unit_test(test_github_commands_and_escaping),
		cmocka_unit_test(test_github_multiline_span_drops_columns),
		cmocka_unit_test(test_render_dispatches),
		cmocka_unit_test(test_json_bytes_as_jansson),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
