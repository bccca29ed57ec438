#include "deparse.h"

#include "util/arena.h"
#include "util/map.h"
#include "util/xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading nodeToString() text ------------------------------------------------ */

/*
 * The text is "{NAME :field value :field value ...}", a value being a
 * token, "<>" (NULL), a node, a list "( ... )" of nodes or tokens, or, for
 * a Const's :constvalue, "<length> [ b b ... ]" (the datum's bytes, signed).
 */
struct tok {
	const char *s;
	size_t n;
};

enum vkind { V_NULL, V_TOKEN, V_NODE, V_LIST, V_DATUM };

struct pnode;

struct val {
	enum vkind kind;
	struct tok t;			/* V_TOKEN */
	struct pnode *node;		/* V_NODE */
	struct val *items;		/* V_LIST */
	int nitems;
	unsigned char *bytes;		/* V_DATUM */
	int nbytes;
};

struct field {
	struct tok name;
	struct val v;
	struct field *next;
};

struct pnode {
	struct tok name;
	struct field *fields, **tail;
	int nf;
};

struct reader {
	const char *s;
	struct arena *a;
	int depth;
};

static void blanks(struct reader *r)
{
	while (*r->s == ' ' || *r->s == '\n' || *r->s == '\t' || *r->s == '\r')
		r->s++;
}

/* The bytes that end a token (and NUL). */
static const bool token_end[256] = {
	[0] = true, [' '] = true, ['\n'] = true, ['\t'] = true, ['\r'] = true, ['('] = true, [')'] = true,
	['{'] = true, ['}'] = true, ['['] = true, [']'] = true,
};

/* A token: up to a blank or a bracket (a backslash escapes the next byte). */
static bool token(struct reader *r, struct tok *t)
{
	blanks(r);
	const char *b = r->s;
	while (!token_end[(unsigned char)*r->s]) {
		if (*r->s == '\\' && r->s[1])
			r->s++;
		r->s++;
	}
	t->s = b;
	t->n = (size_t)(r->s - b);
	return t->n > 0;
}

static bool tok_is(struct tok t, const char *s)
{
	return t.n == strlen(s) && !memcmp(t.s, s, t.n);
}

static bool tok_long(struct tok t, long *out)
{
	size_t i = t.n && t.s[0] == '-';
	if (i == t.n || t.n - i > 18)
		return false;
	long v = 0;
	for (; i < t.n; i++) {
		if (t.s[i] < '0' || t.s[i] > '9')
			return false;
		v = v * 10 + (t.s[i] - '0');
	}
	*out = t.s[0] == '-' ? -v : v;
	return true;
}

static bool node(struct reader *r, struct pnode **out);

static bool datum(struct reader *r, struct val *v)
{
	struct tok t;
	long len;
	if (!token(r, &t))
		return false;
	if (tok_is(t, "<>")) {
		v->kind = V_NULL;
		return true;
	}
	if (!tok_long(t, &len) || len < 0 || len > 4096)
		return false;
	blanks(r);
	if (*r->s != '[')
		return false;
	r->s++;
	v->kind = V_DATUM;
	v->bytes = arena_alloc(r->a, (size_t)len + 8);
	v->nbytes = 0;
	for (;;) {
		blanks(r);
		if (*r->s == ']') {
			r->s++;
			return true;
		}
		long b;
		if (!token(r, &t) || !tok_long(t, &b) || b < -128 || b > 255 || v->nbytes >= len + 8)
			return false;
		v->bytes[v->nbytes++] = (unsigned char)b;
	}
}

static bool value(struct reader *r, struct val *v)
{
	blanks(r);
	if (*r->s == '{') {
		v->kind = V_NODE;
		return node(r, &v->node);
	}
	if (*r->s == '(') {
		r->s++;
		int cap = 4;
		v->kind = V_LIST;
		v->nitems = 0;
		v->items = arena_alloc(r->a, (size_t)cap * sizeof(*v->items));
		for (;;) {
			blanks(r);
			if (*r->s == ')') {
				r->s++;
				return true;
			}
			if (!*r->s)
				return false;
			if (v->nitems == cap) {
				struct val *more = arena_alloc(r->a, (size_t)cap * 2 * sizeof(*more));
				memcpy(more, v->items, (size_t)cap * sizeof(*more));
				v->items = more;
				cap *= 2;
			}
			if (!value(r, &v->items[v->nitems++]))
				return false;
		}
	}
	if (!token(r, &v->t))
		return false;
	v->kind = tok_is(v->t, "<>") ? V_NULL : V_TOKEN;
	return true;
}

static bool node(struct reader *r, struct pnode **out)
{
	blanks(r);
	if (*r->s != '{' || ++r->depth > 64)
		return false;
	r->s++;
	struct pnode *n = arena_alloc(r->a, sizeof(*n));
	n->tail = &n->fields;
	if (!token(r, &n->name))
		return false;
	for (;;) {
		blanks(r);
		if (*r->s == '}') {
			r->s++;
			r->depth--;
			*out = n;
			return true;
		}
		if (*r->s != ':' || n->nf == 64)
			return false;
		r->s++;
		struct field *f = arena_alloc(r->a, sizeof(*f));
		if (!token(r, &f->name))
			return false;
		*n->tail = f;
		n->tail = &f->next;
		n->nf++;
		if (!(tok_is(f->name, "constvalue") ? datum(r, &f->v) : value(r, &f->v)))
			return false;
	}
}

static const struct val *field(const struct pnode *n, const char *name)
{
	for (const struct field *f = n->fields; f; f = f->next)
		if (tok_is(f->name, name))
			return &f->v;
	return NULL;
}

static bool field_long(const struct pnode *n, const char *name, long *out)
{
	const struct val *v = field(n, name);
	return v && v->kind == V_TOKEN && tok_long(v->t, out);
}

static bool field_is(const struct pnode *n, const char *name, const char *want)
{
	const struct val *v = field(n, name);
	return v && v->kind == V_TOKEN && tok_is(v->t, want);
}

/* ---- printing as ruleutils.c does ------------------------------------------------ */

enum {
	BOOLOID = 16, INT8OID = 20, INT2OID = 21, INT4OID = 23, TEXTOID = 25, DEFAULT_COLLATION_OID = 100,
	REGCLASSOID = 2205
};

/* Types IS [NOT] NULL is printed for as such (not composite: ruleutils prints those another way). */
static bool scalar_type(unsigned t)
{
	static const unsigned scalars[] = { 16, 17, 18, 19, 20, 21, 23, 25, 26, 114, 700, 701, 1042, 1043,
					    1082, 1083, 1114, 1184, 1186, 1266, 1700, 2950, 3802 };
	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
		if (scalars[i] == t)
			return true;
	return false;
}

static bool expr(const struct pnode *n, const struct deparse_env *env, struct buf *b, unsigned *type);

/* The datum bytes of a by-value Const as the signed 64-bit value of a little-endian server. */
static bool byval_le(const struct val *v, int64_t *out)
{
	if (!v || v->kind != V_DATUM || v->nbytes != 8)
		return false;
	uint64_t u = 0;
	for (int i = 7; i >= 0; i--)
		u = u << 8 | v->bytes[i];
	*out = (int64_t)u;
	return true;
}

/*
 * The n bytes at s as simple_quote_literal() prints them, quotes doubled;
 * false for a backslash (its doubling depends on a setting), a control
 * character or, when ascii (bytes in the server's encoding, which is not
 * known here), any byte above 0x7e.
 */
static bool quoted_literal(struct buf *b, const unsigned char *s, size_t n, bool ascii)
{
	buf_addch(b, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' || s[i] < 0x20 || (ascii && s[i] > 0x7e))
			return false;
		if (s[i] == '\'')
			buf_addch(b, '\'');
		buf_addch(b, (char)s[i]);
	}
	buf_addch(b, '\'');
	return true;
}

static bool print_const(const struct pnode *n, const struct deparse_env *env, struct buf *b, unsigned *type)
{
	long t, coll;
	if (!field_long(n, "consttype", &t) || !field_is(n, "constisnull", "false") ||
	    !field_long(n, "constcollid", &coll))
		return false;
	const struct val *v = field(n, "constvalue");
	int64_t x;
	char digits[FMT_DECIMAL_LEN];
	*type = (unsigned)t;
	switch (t) {
	case INT4OID:
		/*
		 * Sign-extended to 8 bytes on a little-endian server; a big-endian
		 * one stores it the other way round, which this check refuses
		 * (but for 0 and -1, the same both ways).
		 */
		if (!byval_le(v, &x) || x < INT32_MIN || x > INT32_MAX || coll != 0)
			return false;
		/* negative: quoted and cast, or it would read back as an operator and a constant */
		if (x < 0)
			buf_addch(b, '\'');
		buf_adds(b, fmt_decimal(x, digits));
		if (x < 0)
			buf_adds(b, "'::integer");
		return true;
	case INT8OID:
	case INT2OID:
		/* not int4: quoted, with the type (sign-extended to 8 bytes, as int4) */
		if (!byval_le(v, &x) || coll != 0 || (t == INT2OID && (x < INT16_MIN || x > INT16_MAX)))
			return false;
		buf_addch(b, '\'');
		buf_adds(b, fmt_decimal(x, digits));
		buf_adds(b, t == INT8OID ? "'::bigint" : "'::smallint");
		return true;
	case REGCLASSOID: {
		/* an oid, zero-extended; regclassout's name as a literal */
		const char *name;
		if (!env->relation || !byval_le(v, &x) || x <= 0 || x > UINT32_MAX || coll != 0 ||
		    !(name = env->relation(env->ctx, (unsigned)x)))
			return false;
		if (!quoted_literal(b, (const unsigned char *)name, strlen(name), false))
			return false;
		buf_adds(b, "::regclass");
		return true;
	}
	case BOOLOID:
		if (!byval_le(v, &x) || (x != 0 && x != 1) || coll != 0)
			return false;
		buf_adds(b, x ? "true" : "false");
		return true;
	case TEXTOID: {
		/* A 4-byte varlena header (little-endian: length << 2), then the bytes. */
		if (!v || v->kind != V_DATUM || v->nbytes < 4 || coll != DEFAULT_COLLATION_OID)
			return false;
		uint32_t hdr = (uint32_t)v->bytes[0] | (uint32_t)v->bytes[1] << 8 | (uint32_t)v->bytes[2] << 16 |
			       (uint32_t)v->bytes[3] << 24;
		if ((hdr & 3) != 0 || hdr >> 2 != (uint32_t)v->nbytes ||
		    !quoted_literal(b, v->bytes + 4, (size_t)v->nbytes - 4, true))
			return false;
		buf_adds(b, "::text");
		return true;
	}
	default:
		return false;
	}
}

static bool args_of(const struct pnode *n, const struct val **args)
{
	*args = field(n, "args");
	if (!*args || (*args)->kind != V_LIST || (*args)->nitems == 0)
		return false;
	for (int i = 0; i < (*args)->nitems; i++)
		if ((*args)->items[i].kind != V_NODE)
			return false;
	return true;
}

static bool expr(const struct pnode *n, const struct deparse_env *env, struct buf *b, unsigned *type)
{
	const struct val *args;
	long v;
	if (tok_is(n->name, "VAR")) {
		long varno, level, attno, vartype;
		if (!field_long(n, "varno", &varno) || varno != 1 || !field_long(n, "varlevelsup", &level) ||
		    level != 0 || !field_long(n, "varattno", &attno) || attno <= 0 ||
		    !field_long(n, "vartype", &vartype))
			return false;
		unsigned coltype;
		const char *name = env->column(env->ctx, attno, &coltype);
		if (!name || coltype != (unsigned)vartype)
			return false;
		buf_adds(b, name);
		*type = (unsigned)vartype;
		return true;
	}
	if (tok_is(n->name, "CONST"))
		return print_const(n, env, b, type);
	if (tok_is(n->name, "FUNCEXPR")) {
		/* proname(args): a plain call (funcformat 0) of a function the catalog can name bare */
		long funcid, format, result;
		const struct val *a = field(n, "args");
		if (!env->func || !field_long(n, "funcid", &funcid) || !field_long(n, "funcformat", &format) ||
		    format != 0 || !field_is(n, "funcvariadic", "false") || !field_long(n, "funcresulttype", &result) ||
		    !a || (a->kind != V_NULL && (a->kind != V_LIST || a->nitems > 8)))
			return false;
		int nargs = a->kind == V_LIST ? a->nitems : 0;
		unsigned argtypes[8];
		struct buf argtext = BUF_INIT;
		bool ok = true;
		for (int i = 0; ok && i < nargs; i++) {
			if (i)
				buf_adds(&argtext, ", ");
			ok = a->items[i].kind == V_NODE && expr(a->items[i].node, env, &argtext, &argtypes[i]);
		}
		const char *name = ok ? env->func(env->ctx, (unsigned)funcid, nargs, argtypes) : NULL;
		if (name) {
			buf_adds(b, name);
			buf_addch(b, '(');
			buf_add(b, argtext.s, argtext.len);
			buf_addch(b, ')');
			*type = (unsigned)result;
		}
		buf_release(&argtext);
		return name != NULL;
	}
	if (tok_is(n->name, "SQLVALUEFUNCTION")) {
		/* SQLValueFunctionOp 0-8, the same in 13-17 (later ones moved to function calls in 16) */
		static const char *const names[] = { "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIME", "CURRENT_TIMESTAMP",
						     "CURRENT_TIMESTAMP", "LOCALTIME", "LOCALTIME", "LOCALTIMESTAMP",
						     "LOCALTIMESTAMP" };
		long op, t, typmod;
		char digits[FMT_DECIMAL_LEN];
		if (!env->func || !field_long(n, "op", &op) || op < 0 || op > 8 || !field_long(n, "type", &t) ||
		    !field_long(n, "typmod", &typmod))
			return false;
		bool precision = op == 2 || op == 4 || op == 6 || op == 8;	/* the _N forms */
		if (precision && (typmod < 0 || typmod > 6))
			return false;
		buf_adds(b, names[op]);
		if (precision) {
			buf_addch(b, '(');
			buf_adds(b, fmt_decimal(typmod, digits));
			buf_addch(b, ')');
		}
		*type = (unsigned)t;
		return true;
	}
	if (tok_is(n->name, "OPEXPR")) {
		long opno, result;
		if (!field_long(n, "opno", &opno) || !field_long(n, "opresulttype", &result) ||
		    !field_is(n, "opretset", "false") || !args_of(n, &args) || args->nitems != 2)
			return false;
		struct buf left = BUF_INIT, right = BUF_INIT;
		unsigned lt, rt;
		const char *op = NULL;
		if (expr(args->items[0].node, env, &left, &lt) && expr(args->items[1].node, env, &right, &rt))
			op = env->oper(env->ctx, (unsigned)opno, lt, rt);
		if (op) {
			buf_addch(b, '(');
			buf_add(b, left.s, left.len);
			buf_addch(b, ' ');
			buf_adds(b, op);
			buf_addch(b, ' ');
			buf_add(b, right.s, right.len);
			buf_addch(b, ')');
		}
		buf_release(&left);
		buf_release(&right);
		*type = (unsigned)result;
		return op != NULL;
	}
	if (tok_is(n->name, "BOOLEXPR")) {
		const struct val *op = field(n, "boolop");
		if (!op || op->kind != V_TOKEN || !args_of(n, &args))
			return false;
		const char *sep = tok_is(op->t, "and") ? " AND " : tok_is(op->t, "or") ? " OR " : NULL;
		bool not = tok_is(op->t, "not");
		if ((!sep && !not) || (not && args->nitems != 1) || (sep && args->nitems < 2))
			return false;
		buf_adds(b, not ? "(NOT " : "(");
		for (int i = 0; i < args->nitems; i++) {
			unsigned t;
			if (i)
				buf_adds(b, sep);
			if (!expr(args->items[i].node, env, b, &t))
				return false;
		}
		buf_addch(b, ')');
		*type = BOOLOID;
		return true;
	}
	if (tok_is(n->name, "NULLTEST")) {
		const struct val *arg = field(n, "arg");
		unsigned t;
		if (!arg || arg->kind != V_NODE || !field_is(n, "argisrow", "false") ||
		    !field_long(n, "nulltesttype", &v) || (v != 0 && v != 1))
			return false;
		buf_addch(b, '(');
		if (!expr(arg->node, env, b, &t) || !scalar_type(t))
			return false;
		buf_adds(b, v ? " IS NOT NULL)" : " IS NULL)");
		*type = BOOLOID;
		return true;
	}
	return false;
}

/* The tree `text`, in a, or NULL when it does not read as one. */
static struct pnode *parse_tree(struct arena *a, const char *text)
{
	struct reader r = { .s = text, .a = a };
	struct pnode *n;
	return node(&r, &n) && (blanks(&r), *r.s == '\0') ? n : NULL;
}

struct deparse_cache {
	struct arena a;
	struct map trees;	/* text without :location -> struct pnode, or &refused */
	struct buf key;
};

static struct pnode refused;

struct deparse_cache *deparse_cache_new(void)
{
	struct deparse_cache *c = xcalloc(1, sizeof(*c));
	arena_init(&c->a);
	c->key = (struct buf)BUF_INIT;
	return c;
}

void deparse_cache_free(struct deparse_cache *c)
{
	if (!c)
		return;
	map_release(&c->trees);
	buf_release(&c->key);
	arena_release(&c->a);
	free(c);
}

/*
 * The tree `text` from the cache, parsed and kept there the first time.
 * Whitespace in a token is escaped in nodeToString() text, so " :location "
 * is always a field.
 */
static struct pnode *cached_tree(struct deparse_cache *c, const char *text)
{
	buf_reset(&c->key);
	for (const char *p = text, *loc; *p; p = loc) {
		loc = strstr(p, " :location ");
		if (!loc) {
			buf_adds(&c->key, p);
			break;
		}
		buf_add(&c->key, p, (size_t)(loc - p));
		for (loc += 11; *loc == '-' || (*loc >= '0' && *loc <= '9'); loc++)
			;
	}
	struct pnode *n = map_get(&c->trees, c->key.s);
	if (!n) {
		char *copy = arena_strdup(&c->a, c->key.s);
		n = parse_tree(&c->a, copy);
		map_put(&c->trees, copy, n ? n : &refused);
	}
	return n == &refused ? NULL : n;
}

/* The expression tree `text` printed into out; its type must be `want` (0: any). */
static bool deparse(const char *text, const struct deparse_env *env, unsigned want, struct buf *out)
{
	if (!text)
		return false;
	struct arena a;
	struct pnode *n;
	if (env->cache) {
		n = cached_tree(env->cache, text);
	} else {
		arena_init(&a);
		n = parse_tree(&a, text);
	}
	struct buf b = BUF_INIT;
	unsigned type;
	bool ok = n != NULL;
	/*
	 * An implicit cast at the top (a bigint column's DEFAULT 0, int8(0)) is
	 * printed as its argument: ruleutils shows implicit casts only inside.
	 */
	long format;
	const struct val *arg;
	if (ok && !want && tok_is(n->name, "FUNCEXPR") && field_long(n, "funcformat", &format) && format == 2 &&
	    (arg = field(n, "args")) && arg->kind == V_LIST && arg->nitems >= 1 && arg->items[0].kind == V_NODE)
		n = arg->items[0].node;
	else if (ok && !want && tok_is(n->name, "RELABELTYPE") && field_long(n, "relabelformat", &format) &&
		 format == 2 && (arg = field(n, "arg")) && arg->kind == V_NODE)
		n = arg->node;
	ok = ok && expr(n, env, &b, &type) && (!want || type == want);
	if (ok)
		buf_add(out, b.s, b.len);
	buf_release(&b);
	if (!env->cache)
		arena_release(&a);
	return ok;
}

bool deparse_check(const char *conbin, const struct deparse_env *env, struct buf *out)
{
	/* no calls in CHECKs: their arguments' coercions are not handled */
	struct deparse_env plain = *env;
	plain.func = NULL;
	plain.relation = NULL;
	return deparse(conbin, &plain, BOOLOID, out);
}

bool deparse_default(const char *adbin, const struct deparse_env *env, struct buf *out)
{
	return deparse(adbin, env, 0, out);
}
