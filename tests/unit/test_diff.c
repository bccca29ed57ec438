/*
 * Unit tests for the pure parts of drift: the string map, the model (keys,
 * attributes, canonical order, dependency order), the diff of two models
 * built by hand, the declarations found in parse trees, PostgreSQL's
 * default constraint names and the array literal parser. No database.
 */
#include "catalog.h"
#include "diag.h"
#include "diff.h"
#include "model.h"
#include "sqlfile.h"
#include "util/map.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

/* ---- the model as JSON ---- */

/* The model as model_write_json writes it, read back with jansson; *text is the JSON (caller frees). */
static json_t *model_json(const struct model *m, char **text)
{
	size_t len = 0;
	*text = NULL;
	FILE *f = open_memstream(text, &len);
	assert_non_null(f);
	model_write_json(m, f);
	fclose(f);
	json_error_t e;
	json_t *doc = json_loads(*text, 0, &e);
	assert_non_null(doc);
	return doc;
}

/*
 * model_write_json escapes what JSON must, keeps valid UTF-8 as it is and
 * turns invalid bytes into U+FFFD; read back with jansson.
 */
static void test_model_json_strings(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	struct mobj *t = model_add(&m, OBJ_TABLE, "s", "t \"q\" \\ b", NULL, NULL, NULL);
	assert_non_null(t);
	model_set(&m, t, "comment", "line\nnext\ttab\r\x01\x1f caf\xc3\xa9 \xf0\x9f\x98\x80", 0);
	model_set(&m, t, "options", "bad \xff end \xc3", 0);
	model_set(&m, t, "partition_key", NULL, 0);
	/* long plain runs (copied eight bytes at a time) broken at every offset */
	static const char *const longs[] = {
		"abcdefghijklmnopqrstuvwxyz0123456789\"ABCDEFGH\\IJKLMNOP\x7fQRSTUVWXYZ01234567\xc3\xa9",
		"0123456\"89abcdef\n123456789abcdef0\\2345678", "01234567", "0123456789abcdef\x1f",
	};
	model_set(&m, t, "reloptions", longs[0], 0);
	model_set(&m, t, "access_method", longs[1], 0);
	model_set(&m, t, "persistence", longs[2], 0);
	model_set(&m, t, "row_security", longs[3], 0);
	char *text;
	json_t *doc = model_json(&m, &text);
	json_t *o = json_array_get(json_object_get(doc, "objects"), 0);
	assert_string_equal(json_string_value(json_object_get(o, "name")), "t \"q\" \\ b");
	json_t *a = json_object_get(o, "attributes");
	assert_string_equal(json_string_value(json_object_get(a, "comment")),
			    "line\nnext\ttab\r\x01\x1f caf\xc3\xa9 \xf0\x9f\x98\x80");
	assert_string_equal(json_string_value(json_object_get(a, "options")),
			    "bad \xef\xbf\xbd end \xef\xbf\xbd");
	assert_null(json_object_get(a, "partition_key"));	/* unset attributes are left out */
	assert_string_equal(json_string_value(json_object_get(a, "reloptions")), longs[0]);
	assert_string_equal(json_string_value(json_object_get(a, "access_method")), longs[1]);
	assert_string_equal(json_string_value(json_object_get(a, "persistence")), longs[2]);
	assert_string_equal(json_string_value(json_object_get(a, "row_security")), longs[3]);
	assert_non_null(strstr(text, "\\u0001\\u001f"));	/* control characters as \u escapes */
	json_decref(doc);
	free(text);
	model_release(&m);
}

/* A model large enough to be rendered by two threads comes out whole and in order. */
static void test_model_json_large(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	char name[32];
	for (int i = 0; i < 25001; i++) {
		snprintf(name, sizeof(name), "t%05d", i);
		struct mobj *t = model_add(&m, OBJ_TABLE, "s", name, NULL, NULL, NULL);
		model_set(&m, t, "comment", i % 2 ? "odd \"one\"" : "even", 0);
	}
	char *text;
	json_t *doc = model_json(&m, &text);
	json_t *objs = json_object_get(doc, "objects");
	assert_int_equal(json_array_size(objs), 25001);
	for (size_t i = 0; i < json_array_size(objs); i++) {
		snprintf(name, sizeof(name), "t%05zu", i);
		json_t *o = json_array_get(objs, i);
		assert_string_equal(json_string_value(json_object_get(o, "name")), name);
		assert_string_equal(json_string_value(json_object_get(json_object_get(o, "attributes"), "comment")),
				    i % 2 ? "odd \"one\"" : "even");
	}
	json_decref(doc);
	free(text);
	model_release(&m);
}

/* ---- numbers without printf ---- */

static void test_fmt_decimal(void **state)
{
	(void)state;
	char d[FMT_DECIMAL_LEN];
	assert_string_equal(fmt_decimal(0, d), "0");
	assert_string_equal(fmt_decimal(42, d), "42");
	assert_string_equal(fmt_decimal(-1, d), "-1");
	assert_string_equal(fmt_decimal(-2147483648LL, d), "-2147483648");
	assert_string_equal(fmt_decimal(LLONG_MAX, d), "9223372036854775807");
	assert_string_equal(fmt_decimal(LLONG_MIN, d), "-9223372036854775808");
}

/* ---- map ---- */

static void test_map_put_get_grow(void **state)
{
	(void)state;
	struct map m = MAP_INIT;
	char keys[1000][16];
	for (int i = 0; i < 1000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		assert_null(map_put(&m, keys[i], (void *)(uintptr_t)(i + 1)));
	}
	assert_int_equal(m.n, 1000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal((uintptr_t)map_get(&m, keys[i]), i + 1);
	assert_null(map_get(&m, "absent"));
	assert_int_equal((uintptr_t)map_put(&m, "k7", (void *)(uintptr_t)42), 8);
	assert_int_equal((uintptr_t)map_get(&m, "k7"), 42);
	assert_int_equal((uintptr_t)map_put_new(&m, "k7", (void *)(uintptr_t)43), 42);
	assert_int_equal((uintptr_t)map_get(&m, "k7"), 42);
	map_release(&m);
	assert_null(map_get(&m, "k1"));
}

/* Integer keys: colliding low bits, keys above 32 bits, replace, reserve, key 0 refused. */
static void test_imap_put_get_grow(void **state)
{
	(void)state;
	struct imap m = IMAP_INIT;
	for (uint64_t i = 1; i <= 5000; i++)
		assert_null(imap_put(&m, i << 20, (void *)(uintptr_t)i));
	assert_null(imap_put(&m, (uint64_t)4000000000u << 16 | 7, (void *)(uintptr_t)99));
	assert_int_equal(m.n, 5001);
	for (uint64_t i = 1; i <= 5000; i++)
		assert_int_equal((uintptr_t)imap_get(&m, i << 20), i);
	assert_int_equal((uintptr_t)imap_get(&m, (uint64_t)4000000000u << 16 | 7), 99);
	assert_null(imap_get(&m, 12345));
	assert_null(imap_get(&m, 0));
	assert_null(imap_put(&m, 0, (void *)(uintptr_t)1));
	assert_int_equal(m.n, 5001);
	assert_int_equal((uintptr_t)imap_put(&m, 7u << 20, (void *)(uintptr_t)70), 7);
	assert_int_equal((uintptr_t)imap_get(&m, 7u << 20), 70);
	assert_int_equal(m.n, 5001);
	imap_release(&m);
	assert_null(imap_get(&m, 1u << 20));
	imap_reserve(&m, 100);
	size_t cap = m.cap;
	for (uint64_t i = 1; i <= 100; i++)
		imap_put(&m, i, (void *)(uintptr_t)i);
	assert_int_equal(m.cap, cap);	/* reserved: no growth */
	imap_release(&m);
}

/* ---- model ---- */

static struct mobj *table(struct model *m, const char *schema, const char *name)
{
	char q[128];
	snprintf(q, sizeof(q), "\"%s\".\"%s\"", schema, name);
	struct mobj *t = model_add(m, OBJ_TABLE, schema, name, NULL, NULL, q);
	assert_non_null(t);
	model_set(m, t, "persistence", "permanent", 0);
	return t;
}

static struct mobj *column(struct model *m, struct mobj *t, const char *name, const char *type, const char *pos)
{
	char q[64];
	snprintf(q, sizeof(q), "\"%s\"", name);
	struct mobj *c = model_add(m, OBJ_COLUMN, NULL, name, NULL, t, q);
	assert_non_null(c);
	model_set(m, c, "type", type, 0);
	model_set(m, c, "nullable", "NULL", 0);
	model_set(m, c, "default", NULL, 0);
	model_set(m, c, "position", pos, ATTR_ORDER);
	return c;
}

static void test_model_ids_and_keys(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	struct mobj *t = table(&m, "public", "stores");
	struct mobj *c = column(&m, t, "tel_no", "text", "1");
	struct mobj *f = model_add(&m, OBJ_FUNCTION, "public", "f", "integer, text", NULL, "\"public\".\"f\"");
	struct mobj *g = model_add(&m, OBJ_GRANT, NULL, "app", NULL, t, "\"app\"");
	assert_string_equal(t->id, "public.stores");
	assert_string_equal(c->id, "public.stores.tel_no");
	assert_string_equal(c->schema, "public");
	assert_string_equal(f->id, "public.f(integer, text)");
	assert_string_equal(g->id, "public.stores to app");
	assert_null(model_add(&m, OBJ_TABLE, "public", "stores", NULL, NULL, "x"));
	assert_ptr_equal(model_find(&m, c->key), c);
	/* a view and a table never share a key; neither do a column and a constraint */
	assert_non_null(model_add(&m, OBJ_CONSTRAINT, NULL, "tel_no", NULL, t, "\"tel_no\""));
	model_set(&m, c, "type", "varchar", 0);
	assert_string_equal(mobj_get(c, "type"), "varchar");
	assert_null(mobj_get(c, "default"));
	assert_null(mobj_get(c, "no such attribute"));
	model_release(&m);
}

static void test_model_sort_is_canonical(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	struct mobj *b = table(&m, "public", "b");
	struct mobj *a = table(&m, "public", "a");
	column(&m, a, "x", "int", "1");
	column(&m, b, "y", "int", "1");
	column(&m, a, "z", "int", "2");
	model_sort(&m);
	const char *want[] = { "public.b", "public.a", "public.b.y", "public.a.x", "public.a.z" };
	assert_int_equal(m.objs.n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(m.objs.v[i]->id, want[i]);
	model_release(&m);
}

/* Kinds interleaved, each kind's run already in order (the catalog's way): the counting sort alone. */
static void test_model_sort_interleaved_kinds(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	struct mobj *a = table(&m, "public", "a");
	column(&m, a, "x", "int", "1");
	assert_non_null(model_add(&m, OBJ_INDEX, "public", "a_x_idx", NULL, a, "\"public\".\"a_x_idx\""));
	struct mobj *b = table(&m, "public", "b");
	column(&m, b, "y", "int", "1");
	column(&m, b, "z", "int", "2");
	assert_non_null(model_add(&m, OBJ_SCHEMA, NULL, "public", NULL, NULL, "\"public\""));
	model_sort(&m);
	const char *want[] = { "public", "public.a", "public.b", "public.a.x", "public.b.y", "public.b.z",
			       "public.a_x_idx" };
	assert_int_equal(m.objs.n, 7);
	for (size_t i = 0; i < 7; i++)
		assert_string_equal(m.objs.v[i]->id, want[i]);
	model_release(&m);
}

static void test_model_order_follows_dependencies(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	struct mobj *v = model_add(&m, OBJ_VIEW, "public", "v", NULL, NULL, "v");
	struct mobj *f = model_add(&m, OBJ_FUNCTION, "public", "f", "", NULL, "f");
	struct mobj *t = table(&m, "public", "t");
	struct mobj *c = column(&m, t, "a", "int", "1");
	struct mobj *s = model_add(&m, OBJ_SCHEMA, NULL, "public", NULL, NULL, "public");
	/* f returns rows of t (kind order alone would write f first); v reads f */
	model_add_dep(&m, f, t);
	model_add_dep(&m, v, f);
	model_add_dep(&m, v, v);	/* ignored */
	struct mobj **order;
	size_t n = model_order(&m, &order);
	assert_int_equal(n, 4);		/* the column is written with its table */
	assert_ptr_equal(order[0], s);
	assert_ptr_equal(order[1], t);
	assert_ptr_equal(order[2], f);
	assert_ptr_equal(order[3], v);
	free(order);
	/* a cycle is broken, not looped on */
	model_add_dep(&m, t, v);
	n = model_order(&m, &order);
	assert_int_equal(n, 4);
	free(order);
	(void)c;
	model_release(&m);
}

/* ---- diff ---- */

/* "status kind object" of each finding, one per line. */
static char *lines(const struct diag *d)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < d->items.n; i++) {
		const struct finding *f = &d->items.v[i];
		buf_printf(&b, "%s %s %s | %s\n", f->status ? f->status : severity_name(f->severity),
			   f->kind ? f->kind : "-", f->object ? f->object : "-", f->message);
	}
	return buf_detach(&b);
}

static void test_diff_missing_extra_changed(void **state)
{
	(void)state;
	struct model want, have;
	model_init(&want);
	model_init(&have);
	struct mobj *wt = table(&want, "public", "stores");
	column(&want, wt, "id", "integer", "1");
	column(&want, wt, "tel_no", "character varying(20)", "2");
	column(&want, wt, "name", "text", "3");
	struct mobj *ht = table(&have, "public", "stores");
	column(&have, ht, "id", "integer", "1");
	column(&have, ht, "name", "character varying(50)", "2");
	column(&have, ht, "tel", "character varying(20)", "3");
	struct mobj *phantom = table(&have, "public", "phantom");
	column(&have, phantom, "x", "int", "1");

	struct diag d;
	diag_init(&d);
	struct diff_stats st;
	struct diff_opts o = { 0 };
	int n = diff_models(&want, &have, &o, &d, &st);
	assert_int_equal(n, 4);
	assert_int_equal(st.missing, 1);
	assert_int_equal(st.extra, 2);
	assert_int_equal(st.changed, 1);
	char *got = lines(&d);
	assert_string_equal(got,
		"extra table public.phantom | table public.phantom is in the database but not declared in the files\n"
		"missing column public.stores.tel_no | column public.stores.tel_no is declared in the files but missing from the database\n"
		"changed column public.stores.name | column public.stores.name: type differs\n"
		"extra column public.stores.tel | column public.stores.tel is in the database but not declared in the files\n");
	free(got);
	const struct finding *changed = &d.items.v[2];
	assert_string_equal(changed->expected, "text");
	assert_string_equal(changed->actual, "character varying(50)");
	assert_non_null(strstr(changed->suggestion, "ALTER TABLE \"public\".\"stores\" ALTER COLUMN \"name\" TYPE text"));
	assert_int_equal(changed->severity, SEV_ERROR);
	assert_string_equal(changed->rule, "drift");
	diag_release(&d);

	/* column order counts only when asked */
	diag_init(&d);
	o.strict_column_order = true;
	diff_models(&want, &have, &o, &d, &st);
	assert_int_equal(st.changed, 2);
	diag_release(&d);
	model_release(&want);
	model_release(&have);
}

static void test_diff_same_is_empty_and_dry_run_wording(void **state)
{
	(void)state;
	struct model a, b;
	model_init(&a);
	model_init(&b);
	column(&a, table(&a, "s", "t"), "c", "int", "1");
	column(&b, table(&b, "s", "t"), "c", "int", "1");
	table(&a, "s", "new");
	struct diag d;
	diag_init(&d);
	struct diff_opts o = { .dry_run = true };
	struct diff_stats st;
	assert_int_equal(diff_models(&a, &b, &o, &d, &st), 1);
	assert_int_equal(d.items.n, 1);
	assert_string_equal(d.items.v[0].message, "table s.new would be created");
	assert_string_equal(d.items.v[0].rule, "dry-run");
	assert_int_equal(d.items.v[0].severity, SEV_NOTE);
	assert_null(d.items.v[0].suggestion);
	diag_release(&d);

	struct model c;
	model_init(&c);
	column(&c, table(&c, "s", "t"), "c", "int", "1");
	diag_init(&d);
	struct diff_opts plain = { 0 };
	assert_int_equal(diff_models(&b, &c, &plain, &d, NULL), 0);
	assert_int_equal(d.items.n, 0);
	diag_release(&d);
	model_release(&a);
	model_release(&b);
	model_release(&c);
}

static void test_diff_unsupported_is_a_note(void **state)
{
	(void)state;
	struct model want, have;
	model_init(&want);
	model_init(&have);
	model_add_unsupported(&have, "aggregate", "public.mysum(integer)");
	struct diag d;
	diag_init(&d);
	struct diff_opts o = { 0 };
	struct diff_stats st;
	assert_int_equal(diff_models(&want, &have, &o, &d, &st), 0);
	assert_int_equal(st.unsupported, 1);
	assert_int_equal(d.items.n, 1);
	assert_int_equal(d.items.v[0].severity, SEV_NOTE);
	assert_string_equal(d.items.v[0].kind, "unsupported");
	assert_string_equal(d.items.v[0].object, "public.mysum(integer)");
	assert_string_equal(d.items.v[0].message,
			    "aggregate public.mysum(integer) (in the database) is not modelled by ssot: "
			    "differences in it are not checked");
	diag_release(&d);
	model_release(&want);
	model_release(&have);
}

/* ---- declarations ---- */

static void test_locate_declarations(void **state)
{
	(void)state;
	static const char text[] =
		"CREATE TABLE IF NOT EXISTS stores (\n"
		"    id int PRIMARY KEY,\n"
		"    tel_no varchar(20) REFERENCES other\n"
		");\n"
		"DO $$ BEGIN CREATE TYPE mood AS ENUM ('a'); EXCEPTION WHEN duplicate_object THEN NULL; END $$;\n"
		"ALTER TABLE app.stores ADD COLUMN IF NOT EXISTS note text;\n";
	struct sqlfile f;
	struct diag d;
	diag_init(&d);
	assert_int_equal(sqlfile_parse_text(&f, "db/run/10.sql", text, strlen(text), &d), 0);

	struct model m;
	model_init(&m);
	struct mobj *t = table(&m, "public", "stores");
	struct mobj *id = column(&m, t, "id", "integer", "1");
	struct mobj *tel = column(&m, t, "tel_no", "text", "2");
	struct mobj *pk = model_add(&m, OBJ_CONSTRAINT, NULL, "stores_pkey", NULL, t, "x");
	struct mobj *fk = model_add(&m, OBJ_CONSTRAINT, NULL, "stores_tel_no_fkey", NULL, t, "x");
	struct mobj *other = model_add(&m, OBJ_CONSTRAINT, NULL, "named_elsewhere", NULL, t, "x");
	struct mobj *mood = model_add(&m, OBJ_ENUM, "public", "mood", NULL, NULL, "x");
	struct mobj *at = table(&m, "app", "stores");
	struct mobj *note = column(&m, at, "note", "text", "1");
	struct mobj *lost = model_add(&m, OBJ_INDEX, "public", "nowhere_idx", NULL, NULL, "x");
	struct sqlfile *files[] = { &f };
	diff_locate(&m, files, 1);

	int line, col;
	assert_ptr_equal(t->src, &f.src);
	source_linecol(&f.src, t->start, &line, &col);
	assert_int_equal(line, 1);
	assert_int_equal(col, 28);
	assert_int_equal(t->end - t->start, strlen("stores"));
	source_linecol(&f.src, id->start, &line, &col);
	assert_int_equal(line, 2);
	assert_int_equal(col, 5);
	source_linecol(&f.src, tel->start, &line, &col);
	assert_int_equal(line, 3);
	source_linecol(&f.src, pk->start, &line, &col);
	assert_int_equal(line, 2);
	assert_int_equal(col, 12);
	source_linecol(&f.src, fk->start, &line, &col);
	assert_int_equal(line, 3);
	/* not found: its table's declaration */
	assert_int_equal(other->start, t->start);
	/* inside a DO block's guard */
	source_linecol(&f.src, mood->start, &line, &col);
	assert_int_equal(line, 5);
	assert_int_equal(col, 25);
	/* a schema-qualified ALTER TABLE ... ADD COLUMN */
	source_linecol(&f.src, note->start, &line, &col);
	assert_int_equal(line, 6);
	assert_int_equal(col, 49);
	assert_null(lost->src);

	model_release(&m);
	sqlfile_release(&f);
	diag_release(&d);
}

static void test_default_constraint_names(void **state)
{
	(void)state;
	char *s = diff_default_constraint_name("product_prices", "store_id", "fkey");
	assert_string_equal(s, "product_prices_store_id_fkey");
	free(s);
	s = diff_default_constraint_name("stores", NULL, "pkey");
	assert_string_equal(s, "stores_pkey");
	free(s);
	/* 63 bytes at most, the longer part shortened first: what PostgreSQL 15 named it */
	s = diff_default_constraint_name("a_table_with_a_really_quite_long_name_indeed_yes",
					 "and_a_long_column_name_too", "key");
	assert_int_equal(strlen(s), 63);
	assert_string_equal(s, "a_table_with_a_really_quite_long_and_a_long_column_name_too_key");
	free(s);
}

/* ---- array literals ---- */

static void test_parse_array(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	const char **items;
	assert_int_equal(catalog_parse_array(&a, "{}", &items), 0);
	assert_int_equal(catalog_parse_array(&a, "{a,\"b c\",NULL,\"NULL\",\"x\\\"y\",\"p,q\"}", &items), 6);
	assert_string_equal(items[0], "a");
	assert_string_equal(items[1], "b c");
	assert_null(items[2]);
	assert_string_equal(items[3], "NULL");
	assert_string_equal(items[4], "x\"y");
	assert_string_equal(items[5], "p,q");
	assert_int_equal(catalog_parse_array(&a, "not an array", &items), -1);
	assert_int_equal(catalog_parse_array(&a, "{\"open", &items), -1);
	assert_int_equal(catalog_parse_array(&a, NULL, &items), -1);
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_put_get_grow),
		cmocka_unit_test(test_imap_put_get_grow),
		cmocka_unit_test(test_model_ids_and_keys),
		cmocka_unit_test(test_model_sort_is_canonical),
		cmocka_unit_test(test_model_sort_interleaved_kinds),
		cmocka_unit_test(test_model_order_follows_dependencies),
		cmocka_unit_test(test_diff_missing_extra_changed),
		cmocka_unit_test(test_diff_same_is_empty_and_dry_run_wording),
		cmocka_unit_test(test_diff_unsupported_is_a_note),
		cmocka_unit_test(test_locate_declarations),
		cmocka_unit_test(test_default_constraint_names),
		cmocka_unit_test(test_parse_array),
		cmocka_unit_test(test_fmt_decimal),
		cmocka_unit_test(test_model_json_strings),
		cmocka_unit_test(test_model_json_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
