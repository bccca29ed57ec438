/*
 * Unit tests for deparse: CHECK expressions printed from their stored trees.
 * The trees and the expected texts are what PostgreSQL 15 stored and what
 * its pg_get_constraintdef() printed for the same constraints (CREATE TABLE
 * ck (qty int, big bigint, small smallint, flag boolean, "Weird Col" int,
 * a int, b int, t text, n numeric, CHECK (...), ...)); NULL where the
 * expression is outside the shapes composed (a cast, a numeric constant).
 * Column defaults likewise, from pg_attrdef.adbin and pg_get_expr().
 */
#include "deparse.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static const struct {
	const char *pgq;
	unsigned type;
} cols[] = {
	{ NULL, 0 }, { "qty", 23 }, { "big", 20 }, { "small", 21 }, { "flag", 16 }, { "\"Weird Col\"", 23 },
	{ "a", 23 }, { "b", 23 }, { "t", 25 }, { "n", 1700 },
};

static const char *column(void *ctx, long attno, unsigned *typid)
{
	(void)ctx;
	if (attno <= 0 || attno >= (long)(sizeof(cols) / sizeof(cols[0])))
		return NULL;
	*typid = cols[attno].type;
	return cols[attno].pgq;
}

static const struct {
	unsigned oid;
	const char *name;
	unsigned left, right;
} ops[] = {
	{ 91, "=", 16, 16 },   { 96, "=", 23, 23 },   { 97, "<", 23, 23 },   { 413, ">", 20, 20 },
	{ 430, ">=", 20, 23 }, { 518, "<>", 23, 23 }, { 521, ">", 23, 23 }, { 525, ">=", 23, 23 },
	{ 531, "<>", 25, 25 }, { 534, "<", 21, 23 },  { 1756, ">", 1700, 1700 },
};

static const char *oper(void *ctx, unsigned opno, unsigned left, unsigned right)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].oid == opno)
			return ops[i].left == left && ops[i].right == right ? ops[i].name : NULL;
	return NULL;
}

static const struct deparse_env env = { .column = column, .oper = oper };

static const struct {
	const char *conbin, *want;
} cases[] = {
	{ "{OPEXPR :opno 521 :opfuncid 147 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 5 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 5 :location 334} {CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :location 348 :constvalue 4 [ 0 0 0 0 0 0 0 0 ]}) :location 346}",
	  "(\"Weird Col\" > 0)" },
	{ "{NULLTEST :arg {VAR :varno 1 :varattno 6 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 6 :location 279} :nulltesttype 1 :argisrow false :location 281}",
	  "(a IS NOT NULL)" },
	{ "{OPEXPR :opno 430 :opfuncid 479 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 2 :vartype 20 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 2 :location 145} {CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :location 152 :constvalue 4 [ 0 0 0 0 0 0 0 0 ]}) :location 149}",
	  "(big >= 0)" },
	{ "{OPEXPR :opno 413 :opfuncid 470 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 2 :vartype 20 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 2 :location 530} {CONST :consttype 20 :consttypmod -1 :constcollid 0 :constlen 8 :constbyval true :constisnull false :location 536 :constvalue 8 [ 0 -14 5 42 1 0 0 0 ]}) :location 534}",
	  "(big > '5000000000'::bigint)" },
	{ "{OPEXPR :opno 97 :opfuncid 66 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 6 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 6 :location 359} {VAR :varno 1 :varattno 7 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 7 :location 363}) :location 361}",
	  "(a < b)" },
	{ "{BOOLEXPR :boolop or :args ({OPEXPR :opno 96 :opfuncid 65 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 6 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 6 :location 494} {VAR :varno 1 :varattno 7 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 7 :location 498}) :location 496} {BOOLEXPR :boolop and :args ({OPEXPR :opno 96 :opfuncid 65 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 6 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 6 :location 503} {CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :location 507 :constvalue 4 [ 1 0 0 0 0 0 0 0 ]}) :location 505} {OPEXPR :opno 96 :opfuncid 65 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 7 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 7 :location 513} {CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :location 517 :constvalue 4 [ 2 0 0 0 0 0 0 0 ]}) :location 515}) :location 509}) :location 500}",
	  "((a = b) OR ((a = 1) AND (b = 2)))" },
	{ "{OPEXPR :opno 91 :opfuncid 60 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 4 :vartype 16 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 4 :location 201} {CONST :consttype 16 :consttypmod -1 :constcollid 0 :constlen 1 :constbyval true :constisnull false :location 208 :constvalue 1 [ 1 0 0 0 0 0 0 0 ]}) :location 206}",
	  "(flag = true)" },
	{ "{VAR :varno 1 :varattno 4 :vartype 16 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 4 :location 376}",
	  "flag" },
	{ "{BOOLEXPR :boolop not :args ({VAR :varno 1 :varattno 4 :vartype 16 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 4 :location 394}) :location 390}",
	  "(NOT flag)" },
	{ "{OPEXPR :opno 1756 :opfuncid 1720 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 9 :vartype 1700 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 9 :location 479} {FUNCEXPR :funcid 1740 :funcresulttype 1700 :funcretset false :funcvariadic false :funcformat 2 :funccollid 0 :inputcollid 0 :args ({CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :location 483 :constvalue 4 [ 0 0 0 0 0 0 0 0 ]}) :location -1}) :location 481}",
	  NULL },
	{ "{OPEXPR :opno 525 :opfuncid 150 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 1 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 1 :location 127} {CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :location 134 :constvalue 4 [ 0 0 0 0 0 0 0 0 ]}) :location 131}",
	  "(qty >= 0)" },
	{ "{OPEXPR :opno 521 :opfuncid 147 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 1 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 1 :location 183} {CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :location 189 :constvalue 4 [ -5 -1 -1 -1 -1 -1 -1 -1 ]}) :location 187}",
	  "(qty > '-5'::integer)" },
	{ "{BOOLEXPR :boolop and :args ({OPEXPR :opno 525 :opfuncid 150 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 1 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 1 :location 222} {CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :location 229 :constvalue 4 [ 0 0 0 0 0 0 0 0 ]}) :location 226} {OPEXPR :opno 97 :opfuncid 66 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 1 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 1 :location 235} {CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :location 241 :constvalue 4 [ 100 0 0 0 0 0 0 0 ]}) :location 239}) :location 231}",
	  "((qty >= 0) AND (qty < 100))" },
	{ "{BOOLEXPR :boolop not :args ({OPEXPR :opno 96 :opfuncid 65 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 1 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 1 :location 261} {CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :location 267 :constvalue 4 [ 3 0 0 0 0 0 0 0 ]}) :location 265}) :location 256}",
	  "(NOT (qty = 3))" },
	{ "{BOOLEXPR :boolop or :args ({NULLTEST :arg {VAR :varno 1 :varattno 1 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 1 :location 302} :nulltesttype 0 :argisrow false :location 306} {OPEXPR :opno 521 :opfuncid 147 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 1 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 1 :location 317} {CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :location 323 :constvalue 4 [ 0 0 0 0 0 0 0 0 ]}) :location 321}) :location 314}",
	  "((qty IS NULL) OR (qty > 0))" },
	{ "{OPEXPR :opno 518 :opfuncid 144 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 1 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 1 :location 408} {CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :location 415 :constvalue 4 [ -1 -1 -1 127 0 0 0 0 ]}) :location 412}",
	  "(qty <> 2147483647)" },
	{ "{OPEXPR :opno 521 :opfuncid 147 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 1 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 1 :location 435} {CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :location 441 :constvalue 4 [ 0 0 0 -128 -1 -1 -1 -1 ]}) :location 439}",
	  "(qty > '-2147483648'::integer)" },
	{ "{BOOLEXPR :boolop and :args ({NULLTEST :arg {VAR :varno 1 :varattno 1 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 1 :location 556} :nulltesttype 1 :argisrow false :location 560} {OPEXPR :opno 91 :opfuncid 60 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({NULLTEST :arg {VAR :varno 1 :varattno 1 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 1 :location 576} :nulltesttype 0 :argisrow false :location 580} {CONST :consttype 16 :consttypmod -1 :constcollid 0 :constlen 1 :constbyval true :constisnull false :location 590 :constvalue 1 [ 0 0 0 0 0 0 0 0 ]}) :location 588}) :location 572}",
	  "((qty IS NOT NULL) AND ((qty IS NULL) = false))" },
	{ "{OPEXPR :opno 534 :opfuncid 160 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 3 :vartype 21 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 3 :location 163} {CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :location 171 :constvalue 4 [ 10 0 0 0 0 0 0 0 ]}) :location 169}",
	  "(small < 10)" },
	{ "{OPEXPR :opno 531 :opfuncid 157 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 100 :args ({VAR :varno 1 :varattno 8 :vartype 25 :vartypmod -1 :varcollid 100 :varlevelsup 0 :varnosyn 1 :varattnosyn 8 :location 462} {CONST :consttype 25 :consttypmod -1 :constcollid 100 :constlen -1 :constbyval false :constisnull false :location 467 :constvalue 4 [ 16 0 0 0 ]}) :location 464}",
	  "(t <> ''::text)" },
};

static void test_server_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT;
		buf_adds(&b, "CHECK (");
		bool ok = deparse_check(cases[i].conbin, &env, &b);
		if (!cases[i].want) {
			assert_false(ok);
			assert_string_equal(b.s, "CHECK (");	/* left as it was */
		} else {
			assert_true(ok);
			assert_string_equal(b.s + 7, cases[i].want);
		}
		buf_release(&b);
	}
}

/* Refusals: anything not exactly a shape handled is the server's to print. */
static void test_refusals(void **state)
{
	(void)state;
	static const char *const bad[] = {
		NULL, "", "{", "{OPEXPR", "{VAR :varno 1 :varattno 1 :vartype 23 :varlevelsup 0}",	/* not boolean */
		/* a column of another type than the table's */
		"{VAR :varno 1 :varattno 4 :vartype 23 :varlevelsup 0}",
		/* no such column, an outer reference */
		"{VAR :varno 1 :varattno 42 :vartype 16 :varlevelsup 0}",
		"{VAR :varno 1 :varattno 4 :vartype 16 :varlevelsup 1}",
		/* an operator the server would print qualified (operand types differ from its own) */
		"{OPEXPR :opno 96 :opfuncid 65 :opresulttype 16 :opretset false :args ({VAR :varno 1 :varattno 2 "
		":vartype 20 :varlevelsup 0} {VAR :varno 1 :varattno 1 :vartype 23 :varlevelsup 0})}",
		/* a big-endian integer: refused, not misread */
		"{OPEXPR :opno 525 :opfuncid 150 :opresulttype 16 :opretset false :args ({VAR :varno 1 :varattno 1 "
		":vartype 23 :varlevelsup 0} {CONST :consttype 23 :constcollid 0 :constlen 4 :constbyval true "
		":constisnull false :constvalue 4 [ 0 0 0 0 0 0 0 5 ]})}",
		/* text with a backslash, with a collation of its own, not ASCII */
		"{OPEXPR :opno 531 :opresulttype 16 :opretset false :args ({VAR :varno 1 :varattno 8 :vartype 25 "
		":varlevelsup 0} {CONST :consttype 25 :constcollid 100 :constbyval false :constisnull false "
		":constvalue 6 [ 24 0 0 0 92 110 ]})}",
		"{OPEXPR :opno 531 :opresulttype 16 :opretset false :args ({VAR :varno 1 :varattno 8 :vartype 25 "
		":varlevelsup 0} {CONST :consttype 25 :constcollid 950 :constbyval false :constisnull false "
		":constvalue 5 [ 20 0 0 0 97 ]})}",
		"{OPEXPR :opno 531 :opresulttype 16 :opretset false :args ({VAR :varno 1 :varattno 8 :vartype 25 "
		":varlevelsup 0} {CONST :consttype 25 :constcollid 100 :constbyval false :constisnull false "
		":constvalue 6 [ 24 0 0 0 -61 -87 ]})}",
		/* a NULL constant; trailing text */
		"{OPEXPR :opno 96 :opresulttype 16 :opretset false :args ({VAR :varno 1 :varattno 1 :vartype 23 "
		":varlevelsup 0} {CONST :consttype 23 :constcollid 0 :constbyval true :constisnull true :constvalue <>})}",
		"{VAR :varno 1 :varattno 4 :vartype 16 :varlevelsup 0} x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf b = BUF_INIT;
		assert_false(deparse_check(bad[i], &env, &b));
		assert_int_equal(b.len, 0);
		buf_release(&b);
	}
	/* and the shapes those were made from do print */
	struct buf b = BUF_INIT;
	assert_true(deparse_check("{VAR :varno 1 :varattno 4 :vartype 16 :varlevelsup 0}", &env, &b));
	assert_string_equal(b.s, "flag");
	buf_setlen(&b, 0);
	assert_true(deparse_check("{OPEXPR :opno 531 :opresulttype 16 :opretset false :args ({VAR :varno 1 "
				  ":varattno 8 :vartype 25 :varlevelsup 0} {CONST :consttype 25 :constcollid 100 "
				  ":constbyval false :constisnull false :constvalue 9 [ 36 0 0 0 105 116 39 115 33 ]})}",
				  &env, &b));
	assert_string_equal(b.s, "(t <> 'it''s!'::text)");
	buf_release(&b);
}

/* ---- column defaults ---- */

/* now() (1299), nextval(regclass) (1574); two sequences by oid, as the catalog would name them. */
static const char *func(void *ctx, unsigned funcid, int nargs, const unsigned *argtypes)
{
	(void)ctx;
	if (funcid == 1299 && nargs == 0)
		return "now";
	if (funcid == 1574 && nargs == 1 && argtypes[0] == 2205)
		return "nextval";
	return NULL;
}

static const char *relation(void *ctx, unsigned relid)
{
	(void)ctx;
	return relid == 196423 ? "public.plain_seq" : relid == 196422 ? "\"My Schema\".\"odd \"\"seq\"\"\"" : NULL;
}

static const struct deparse_env denv = { .column = column, .oper = oper, .func = func, .relation = relation };

#define I4(b) "{CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :constvalue 4 [ " b " ]}"

static const struct {
	const char *adbin, *want;
} defaults[] = {
	{ I4("0 0 0 0 0 0 0 0"), "0" },
	{ I4("-1 -1 -1 -1 -1 -1 -1 -1"), "'-1'::integer" },
	/* bigint DEFAULT 0, DEFAULT -5, smallint DEFAULT 3, numeric DEFAULT 0: implicit casts at the top */
	{ "{FUNCEXPR :funcid 481 :funcresulttype 20 :funcretset false :funcvariadic false :funcformat 2 :funccollid 0 :inputcollid 0 :args (" I4("0 0 0 0 0 0 0 0") ") :location -1}", "0" },
	{ "{FUNCEXPR :funcid 481 :funcresulttype 20 :funcretset false :funcvariadic false :funcformat 2 :funccollid 0 :inputcollid 0 :args (" I4("-5 -1 -1 -1 -1 -1 -1 -1") ") :location -1}", "'-5'::integer" },
	{ "{FUNCEXPR :funcid 314 :funcresulttype 21 :funcretset false :funcvariadic false :funcformat 2 :funccollid 0 :inputcollid 0 :args (" I4("3 0 0 0 0 0 0 0") ") :location -1}", "3" },
	{ "{FUNCEXPR :funcid 1740 :funcresulttype 1700 :funcretset false :funcvariadic false :funcformat 2 :funccollid 0 :inputcollid 0 :args (" I4("0 0 0 0 0 0 0 0") ") :location -1}", "0" },
	{ "{CONST :consttype 16 :consttypmod -1 :constcollid 0 :constlen 1 :constbyval true :constisnull false :constvalue 1 [ 1 0 0 0 0 0 0 0 ]}", "true" },
	{ "{CONST :consttype 25 :consttypmod -1 :constcollid 100 :constlen -1 :constbyval false :constisnull false :constvalue 8 [ 32 0 0 0 105 116 39 115 ]}", "'it''s'::text" },
	{ "{CONST :consttype 20 :consttypmod -1 :constcollid 0 :constlen 8 :constbyval true :constisnull false :constvalue 8 [ -1 -1 -1 -1 -1 -1 -1 127 ]}", "'9223372036854775807'::bigint" },
	{ "{FUNCEXPR :funcid 1299 :funcresulttype 1184 :funcretset false :funcvariadic false :funcformat 0 :funccollid 0 :inputcollid 0 :args <>}", "now()" },
	{ "{RELABELTYPE :arg {SQLVALUEFUNCTION :op 4 :type 1184 :typmod 3} :resulttype 1184 :resulttypmod -1 :resultcollid 0 :relabelformat 2 :location -1}", "CURRENT_TIMESTAMP(3)" },
	{ "{RELABELTYPE :arg {SQLVALUEFUNCTION :op 8 :type 1114 :typmod 2} :resulttype 1114 :resulttypmod -1 :resultcollid 0 :relabelformat 2 :location -1}", "LOCALTIMESTAMP(2)" },
	{ "{SQLVALUEFUNCTION :op 3 :type 1184 :typmod -1}", "CURRENT_TIMESTAMP" },
	{ "{SQLVALUEFUNCTION :op 0 :type 1082 :typmod -1}", "CURRENT_DATE" },
	/* int DEFAULT nextval('"My Schema"."odd ""seq"""'): int4(nextval(...)), the cast hidden */
	{ "{FUNCEXPR :funcid 480 :funcresulttype 23 :funcretset false :funcvariadic false :funcformat 2 :funccollid 0 :inputcollid 0 :args ({FUNCEXPR :funcid 1574 :funcresulttype 20 :funcretset false :funcvariadic false :funcformat 0 :funccollid 0 :inputcollid 0 :args ({CONST :consttype 2205 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :constvalue 4 [ 70 -1 2 0 0 0 0 0 ]})}) :location -1}", "nextval('\"My Schema\".\"odd \"\"seq\"\"\"'::regclass)" },
	{ "{FUNCEXPR :funcid 1574 :funcresulttype 20 :funcretset false :funcvariadic false :funcformat 0 :funccollid 0 :inputcollid 0 :args ({CONST :consttype 2205 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :constvalue 4 [ 71 -1 2 0 0 0 0 0 ]})}", "nextval('public.plain_seq'::regclass)" },
	{ "{RELABELTYPE :arg " I4("5 0 0 0 0 0 0 0") " :resulttype 26 :resulttypmod -1 :resultcollid 0 :relabelformat 2 :location -1}", "5" },
	/* refused: a function the catalog does not name, a sequence not read, an operator, a cast inside a call */
	{ "{FUNCEXPR :funcid 871 :funcresulttype 25 :funcretset false :funcvariadic false :funcformat 0 :funccollid 100 :inputcollid 100 :args ({CONST :consttype 25 :consttypmod -1 :constcollid 100 :constlen -1 :constbyval false :constisnull false :constvalue 5 [ 20 0 0 0 120 ]})}", NULL },
	{ "{FUNCEXPR :funcid 1574 :funcresulttype 20 :funcretset false :funcvariadic false :funcformat 0 :funccollid 0 :inputcollid 0 :args ({CONST :consttype 2205 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :constvalue 4 [ 72 -1 2 0 0 0 0 0 ]})}", NULL },
	{ "{OPEXPR :opno 551 :opfuncid 177 :opresulttype 23 :opretset false :opcollid 0 :inputcollid 0 :args (" I4("1 0 0 0 0 0 0 0") " " I4("2 0 0 0 0 0 0 0") ")}", NULL },
	{ "{FUNCEXPR :funcid 1299 :funcresulttype 1184 :funcretset false :funcvariadic false :funcformat 1 :funccollid 0 :inputcollid 0 :args <>}", NULL },
	{ "{SQLVALUEFUNCTION :op 11 :type 19 :typmod -1}", NULL },
};

static void test_default_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		struct buf b = BUF_INIT;
		bool ok = deparse_default(defaults[i].adbin, &denv, &b);
		if (!defaults[i].want) {
			assert_false(ok);
			assert_int_equal(b.len, 0);
		} else {
			assert_true(ok);
			assert_string_equal(b.s, defaults[i].want);
		}
		buf_release(&b);
	}
	/* CHECKs never compose calls, whatever the environment offers */
	struct buf b = BUF_INIT;
	assert_false(deparse_check("{FUNCEXPR :funcid 1299 :funcresulttype 16 :funcretset false :funcvariadic false "
				   ":funcformat 0 :args <>}", &denv, &b));
	buf_release(&b);
}

/* Trees kept across calls: the same tree at another :location is not parsed again, but printed with each call's columns. */
static const char *other_column(void *ctx, long attno, unsigned *typid)
{
	(void)ctx;
	*typid = 23;
	return attno == 1 ? "amount" : NULL;
}

static void test_cache(void **state)
{
	(void)state;
	struct deparse_cache *cache = deparse_cache_new();
	struct deparse_env e1 = env, e2 = { .column = other_column, .oper = oper, .cache = cache };
	e1.cache = cache;
	const char *at[] = {
		"{OPEXPR :opno 525 :opfuncid 150 :opresulttype 16 :opretset false :args ({VAR :varno 1 :varattno 1 "
		":vartype 23 :varlevelsup 0 :location 12} " I4("0 0 0 0 0 0 0 0") ") :location 16}",
		"{OPEXPR :opno 525 :opfuncid 150 :opresulttype 16 :opretset false :args ({VAR :varno 1 :varattno 1 "
		":vartype 23 :varlevelsup 0 :location 345} " I4("0 0 0 0 0 0 0 0") ") :location -1}",
	};
	struct buf b = BUF_INIT;
	assert_true(deparse_check(at[0], &e1, &b));
	assert_string_equal(b.s, "(qty >= 0)");
	buf_reset(&b);
	assert_true(deparse_check(at[1], &e2, &b));
	assert_string_equal(b.s, "(amount >= 0)");
	buf_reset(&b);
	assert_true(deparse_check(at[1], &e1, &b));
	assert_string_equal(b.s, "(qty >= 0)");
	/* what does not parse is refused again from the cache */
	buf_reset(&b);
	assert_false(deparse_check("{OPEXPR :location 3", &e1, &b));
	assert_false(deparse_check("{OPEXPR :location 4", &e1, &b));
	assert_int_equal(b.len, 0);
	buf_release(&b);
	deparse_cache_free(cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_cases),
		cmocka_unit_test(test_default_cases),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
