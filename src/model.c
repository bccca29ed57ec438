#include "model.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	unsigned attrs;		/* attributes a kind usually carries (initial capacity) */
} kinds[OBJ_KIND_COUNT] = {
	[OBJ_SCHEMA] = { "schema", 1 },
	[OBJ_EXTENSION] = { "extension", 3 },
	[OBJ_ENUM] = { "enum", 2 },
	[OBJ_DOMAIN] = { "domain", 5 },
	[OBJ_TYPE] = { "type", 2 },
	[OBJ_SEQUENCE] = { "sequence", 10 },
	[OBJ_TABLE] = { "table", 9 },
	[OBJ_COLUMN] = { "column", 8 },
	[OBJ_CONSTRAINT] = { "constraint", 6 },
	[OBJ_INDEX] = { "index", 3 },
	[OBJ_VIEW] = { "view", 3 },
	[OBJ_MATVIEW] = { "materialized view", 3 },
	[OBJ_FUNCTION] = { "function", 16 },
	[OBJ_PROCEDURE] = { "procedure", 16 },
	[OBJ_TRIGGER] = { "trigger", 3 },
	[OBJ_POLICY] = { "policy", 6 },
	[OBJ_GRANT] = { "grant", 1 },
	[OBJ_UNSUPPORTED] = { "unsupported", 1 },
};

void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	arena_init(&m->arena);
	map_init(&m->by_key);
}

void model_release(struct model *m)
{
	VEC_FREE(&m->objs);
	map_release(&m->by_key);
	arena_release(&m->arena);
	memset(m, 0, sizeof(*m));
}

const char *obj_kind_name(enum obj_kind k)
{
	return k < OBJ_KIND_COUNT ? kinds[k].name : "?";
}

int obj_kind_parse(const char *s, enum obj_kind *out)
{
	for (int k = 0; k < OBJ_KIND_COUNT; k++)
		if (!strcmp(kinds[k].name, s)) {
			*out = (enum obj_kind)k;
			return 0;
		}
	return -1;
}

const char *model_strdup(struct model *m, const char *s)
{
	return s ? arena_strdup(&m->arena, s) : NULL;
}

/* Children are named after their parent: public.stores.tel_no, "public.t to app". */
static bool is_child(enum obj_kind k)
{
	return k == OBJ_COLUMN || k == OBJ_CONSTRAINT || k == OBJ_TRIGGER || k == OBJ_POLICY || k == OBJ_GRANT;
}

/* The concatenation of parts (NULL ones skipped) in the model's arena. */
static const char *concat(struct model *m, const char *const *parts, size_t n)
{
	size_t len[8], total = 1;
	for (size_t i = 0; i < n; i++)
		total += len[i] = parts[i] ? strlen(parts[i]) : 0;
	char *r = arena_alloc(&m->arena, total), *w = r;
	for (size_t i = 0; i < n; i++) {
		memcpy(w, parts[i] ? parts[i] : "", len[i]);
		w += len[i];
	}
	*w = '\0';
	return r;
}

void model_reserve(struct model *m, size_t n)
{
	if (!m->unindexed)
		map_reserve(&m->by_key, m->objs.n + n);
	VEC_GROW(&m->objs, n);
}

void model_index(struct model *m)
{
	if (!m->unindexed)
		return;
	m->unindexed = false;
	map_reserve(&m->by_key, m->objs.n);
	for (size_t i = 0; i < m->objs.n; i++)
		map_put_new(&m->by_key, m->objs.v[i]->key, m->objs.v[i]);
}

struct mobj *model_add(struct model *m, enum obj_kind kind, const char *schema, const char *name,
		       const char *args, struct mobj *parent, const char *qname)
{
	const char *id, *key;
	/* built without printf: a read of thousands of tables adds objects by the hundred thousand */
	if (is_child(kind) && parent) {
		const char *k[] = { parent->key, "\x1f", kinds[kind].name, "\x1f", name };
		key = concat(m, k, 5);
	} else {
		const char *k[] = { kinds[kind].name, "\x1f", schema, "\x1f", name, "\x1f", args };
		key = concat(m, k, 7);
	}
	struct mobj *o = arena_alloc(&m->arena, sizeof(*o));
	/* one lookup: the key is long, and hashed once */
	if (!m->unindexed && map_put_new(&m->by_key, key, o) != o)
		return NULL;	/* already there (the object allocated stays unused in the arena) */
	if (is_child(kind) && parent) {
		const char *i[] = { parent->id, kind == OBJ_GRANT ? " to " : ".", name };
		id = concat(m, i, 3);
	} else {
		const char *i[] = { schema, schema ? "." : NULL, name, args ? "(" : NULL, args, args ? ")" : NULL };
		id = concat(m, i, 6);
	}
	o->kind = kind;
	if (schema) {
		/* objects come schema by schema: one copy of its name for all of them */
		if (!m->last_schema || strcmp(m->last_schema, schema) != 0)
			m->last_schema = arena_strdup(&m->arena, schema);
		o->schema = m->last_schema;
	} else {
		o->schema = parent ? parent->schema : NULL;
	}
	o->name = arena_strdup(&m->arena, name);
	o->args = args ? arena_strdup(&m->arena, args) : NULL;
	o->id = id;
	o->key = key;
	o->qname = qname ? arena_strdup(&m->arena, qname) : NULL;
	o->parent = parent;
	o->seq = m->objs.n;
	o->cap_attrs = kinds[kind].attrs;
	o->attrs = arena_alloc(&m->arena, o->cap_attrs * sizeof(*o->attrs));
	VEC_PUSH(&m->objs, o);
	return o;
}

struct mobj *model_add_unsupported(struct model *m, const char *what, const char *id)
{
	char *key = xasprintf("unsupported\x1f%s\x1f%s", what, id);
	if (!m->unindexed && map_get(&m->by_key, key)) {
		free(key);
		return NULL;
	}
	struct mobj *o = arena_alloc(&m->arena, sizeof(*o));
	o->kind = OBJ_UNSUPPORTED;
	o->name = o->id = arena_strdup(&m->arena, id);
	o->what = arena_strdup(&m->arena, what);
	o->key = arena_strdup(&m->arena, key);
	o->seq = m->objs.n;
	free(key);
	if (!m->unindexed)
		map_put(&m->by_key, o->key, o);
	VEC_PUSH(&m->objs, o);
	return o;
}

void model_set_owned(struct model *m, struct mobj *o, const char *name, const char *value, unsigned flags)
{
	for (unsigned i = 0; i < o->nattrs; i++)
		if (o->attrs[i].name == name || (o->attrs[i].name[0] == name[0] && !strcmp(o->attrs[i].name, name))) {
			o->attrs[i].value = value;
			o->attrs[i].flags = flags;
			return;
		}
	if (o->nattrs == o->cap_attrs) {
		unsigned cap = o->cap_attrs ? 2 * o->cap_attrs : 4;
		struct mattr *a = arena_alloc(&m->arena, cap * sizeof(*a));
		if (o->nattrs)
			memcpy(a, o->attrs, o->nattrs * sizeof(*a));
		o->attrs = a;
		o->cap_attrs = cap;
	}
	o->attrs[o->nattrs++] = (struct mattr){ name, value, flags };
}

void model_set(struct model *m, struct mobj *o, const char *name, const char *value, unsigned flags)
{
	model_set_owned(m, o, name, value ? arena_strdup(&m->arena, value) : NULL, flags);
}

static int canonical_cmp(const void *a, const void *b)
{
	const struct mobj *x = *(const struct mobj *const *)a, *y = *(const struct mobj *const *)b;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->kind == OBJ_UNSUPPORTED) {	/* noted from several reads: by what they are, then name */
		int c = strcmp(x->what, y->what);
		if (!c)
			c = strcmp(x->id, y->id);
		if (c)
			return c;
	}
	size_t ax = x->parent ? x->parent->seq : x->seq, ay = y->parent ? y->parent->seq : y->seq;
	if (ax != ay)
		return ax < ay ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * The canonical order in linear time for a model read kind by kind, parent
 * by parent (the catalog reader's way): a stable counting sort by kind,
 * then a check that each kind's run is in order already, sorting only the
 * runs that are not. A qsort of 120,000 objects chased two pointers per
 * comparison.
 */
void model_sort(struct model *m)
{
	size_t n = m->objs.n;
	if (n < 2)
		return;
	size_t start[OBJ_KIND_COUNT + 1] = { 0 };
	for (size_t i = 0; i < n; i++)
		start[m->objs.v[i]->kind + 1]++;
	for (int k = 0; k < OBJ_KIND_COUNT; k++)
		start[k + 1] += start[k];
	struct mobj **sorted = xmalloc(n * sizeof(*sorted));
	size_t next[OBJ_KIND_COUNT];
	memcpy(next, start, sizeof(next));
	for (size_t i = 0; i < n; i++)
		sorted[next[m->objs.v[i]->kind]++] = m->objs.v[i];
	for (int k = 0; k < OBJ_KIND_COUNT; k++) {
		size_t from = start[k], to = start[k + 1];
		for (size_t i = from + 1; i < to; i++)
			if (canonical_cmp(&sorted[i - 1], &sorted[i]) > 0) {
				qsort(sorted + from, to - from, sizeof(*sorted), canonical_cmp);
				break;
			}
	}
	free(m->objs.v);
	m->objs.v = sorted;
	m->objs.cap = n;
}

const struct mattr *mobj_attr(const struct mobj *o, const char *name)
{
	for (unsigned i = 0; i < o->nattrs; i++)
		if (!strcmp(o->attrs[i].name, name))
			return &o->attrs[i];
	return NULL;
}

const char *mobj_get(const struct mobj *o, const char *name)
{
	const struct mattr *a = mobj_attr(o, name);
	return a ? a->value : NULL;
}

struct mobj *model_find(const struct model *m, const char *key)
{
	assert(!m->unindexed);	/* a model read with catalog_opts.unindexed is not searched */
	return map_get(&m->by_key, key);
}

void model_add_dep(struct model *m, struct mobj *o, struct mobj *dep)
{
	if (!dep || dep == o)
		return;
	for (unsigned i = 0; i < o->ndeps; i++)
		if (o->deps[i] == dep)
			return;
	if (o->ndeps == o->cap_deps) {
		unsigned cap = o->cap_deps ? 2 * o->cap_deps : 4;
		struct mobj **d = arena_alloc(&m->arena, cap * sizeof(*d));
		if (o->ndeps)
			memcpy(d, o->deps, o->ndeps * sizeof(*d));
		o->deps = d;
		o->cap_deps = cap;
	}
	o->deps[o->ndeps++] = dep;
}

/* ---- JSON ---- */

/* The bytes a JSON string holds as they are: printable ASCII but the quote and the backslash. */
static bool json_plain[256];

static void __attribute__((constructor)) json_plain_init(void)
{
	for (int c = 0x20; c < 0x80; c++)
		json_plain[c] = c != '"' && c != '\\';
}

/*
 * Whether none of the eight bytes in v needs escaping: all below 0x80, none
 * below 0x20, none a quote or a backslash (the usual has-a-zero-byte trick,
 * on v and on v with the quote and the backslash XORed away).
 */
static inline bool plain8(uint64_t v)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	if (v & high)
		return false;
	uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
	return !(((v - ones * 0x20) | (q - ones) | (b - ones)) & high);
}

/* A JSON string literal; bytes that are not valid UTF-8 become U+FFFD. */
/*
 * s as a JSON string at o, which has room for 6 * len + 2 bytes (every byte
 * a six-byte \u escape); returns the end. len is strlen(s).
 */
static char *json_str(char *o, const char *s, size_t len)
{
	*o++ = '"';
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (*p) {
		/* eight plain bytes at a time */
		uint64_t v;
		while (end - p >= 8 && (memcpy(&v, p, 8), plain8(v))) {
			memcpy(o, p, 8);
			o += 8;
			p += 8;
		}
		unsigned char c = *p;
		if (!c)
			break;
		if (json_plain[c]) {
			*o++ = (char)c;
			p++;
			continue;
		}
		p++;
		const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\r' ? "\\r" :
				  c == '\t' ? "\\t" : NULL;
		if (esc) {
			*o++ = esc[0];
			*o++ = esc[1];
			continue;
		}
		if (c < 0x20) {
			static const char hex[] = "0123456789abcdef";
			memcpy(o, "\\u00", 4);
			o[4] = hex[c >> 4];
			o[5] = hex[c & 15];
			o += 6;
			continue;
		}
		/* UTF-8: a whole valid sequence as it is, anything else as U+FFFD */
		size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
		size_t k = 1;
		while (n && k < n && (p[k - 1] & 0xC0) == 0x80)
			k++;
		if (!n || k < n) {
			memcpy(o, "\xEF\xBF\xBD", 3);
			o += 3;
			continue;
		}
		memcpy(o, p - 1, n);
		o += n;
		p += n - 1;
	}
	*o++ = '"';
	return o;
}

/* Append literal `lit` at cursor w. */
#define PUT_LIT(w, lit) (memcpy((w), "" lit, sizeof(lit) - 1), (w) += sizeof(lit) - 1)

/* s as JSON (null for NULL) at cursor w, room reserved. */
static char *json_or_null(char *w, const char *s)
{
	if (!s) {
		memcpy(w, "null", 4);
		return w + 4;
	}
	return json_str(w, s, strlen(s));
}

/* Worst-case bytes of s as a JSON string (or null). */
static size_t json_room(const char *s)
{
	return s ? 6 * strlen(s) + 2 : 4;
}

/*
 * Objects [from, to) as JSON array elements ("\n    {...}", comma-separated),
 * flushed to out by the MiB when out is set. The room an object can need
 * is reserved once and written through a cursor: inspect writes 120,000
 * objects of a dozen strings each.
 */
static void render_objects(const struct model *m, size_t from, size_t to, struct buf *b, FILE *out)
{
	for (size_t i = from; i < to; i++) {
		const struct mobj *o = m->objs.v[i];
		const char *kind = obj_kind_name(o->kind), *parent = o->parent ? o->parent->id : NULL;
		size_t room = 128 + json_room(kind) + json_room(o->what) + json_room(o->id) + json_room(o->schema) +
			      json_room(o->name) + json_room(o->args) + json_room(parent);
		for (unsigned a = 0; a < o->nattrs; a++)
			if (o->attrs[a].value)
				room += 8 + strlen(o->attrs[a].name) + json_room(o->attrs[a].value);
		buf_grow(b, room);
		char *w = b->s + b->len;
		if (i)
			PUT_LIT(w, ",\n    {\"kind\": ");
		else
			PUT_LIT(w, "\n    {\"kind\": ");
		w = json_or_null(w, kind);
		if (o->what) {
			PUT_LIT(w, ", \"what\": ");
			w = json_or_null(w, o->what);
		}
		PUT_LIT(w, ", \"object\": ");
		w = json_or_null(w, o->id);
		PUT_LIT(w, ", \"schema\": ");
		w = json_or_null(w, o->schema);
		PUT_LIT(w, ", \"name\": ");
		w = json_or_null(w, o->name);
		if (o->args) {
			PUT_LIT(w, ", \"arguments\": ");
			w = json_or_null(w, o->args);
		}
		PUT_LIT(w, ", \"parent\": ");
		w = json_or_null(w, parent);
		PUT_LIT(w, ", \"attributes\": {");
		bool first = true;
		for (unsigned a = 0; a < o->nattrs; a++) {
			if (!o->attrs[a].value)
				continue;
			if (!first)
				PUT_LIT(w, ", ");
			first = false;
			/* attribute names are plain identifiers: nothing to escape */
			*w++ = '"';
			size_t n = strlen(o->attrs[a].name);
			memcpy(w, o->attrs[a].name, n);
			w += n;
			PUT_LIT(w, "\": ");
			w = json_or_null(w, o->attrs[a].value);
		}
		PUT_LIT(w, "}}");
		*w = '\0';
		b->len = (size_t)(w - b->s);
		if (out && b->len >= (1u << 20)) {
			fwrite(b->s, 1, b->len, out);
			buf_reset(b);
		}
	}
}

struct render_job {
	const struct model *m;
	size_t from, to;
	struct buf b;
};

static void *render_thread(void *arg)
{
	struct render_job *j = arg;
	render_objects(j->m, j->from, j->to, &j->b, NULL);
	return NULL;
}

void model_write_json(const struct model *m, FILE *out)
{
	/*
	 * Built in memory and written by the MiB: stdio per character is most of
	 * the time. A large model's second half is rendered by a second thread
	 * meanwhile (rendering is pure; the text is the same either way).
	 */
	struct buf b = BUF_INIT;
	buf_printf(&b, "{\n  \"version\": 1,\n  \"server_version_num\": %d,\n  \"objects\": [", m->server_version);
	size_t n = m->objs.n, half = n >= 20000 ? n / 2 : n;
	struct render_job job = { m, half, n, BUF_INIT };
	pthread_t th;
	bool threaded = half < n && pthread_create(&th, NULL, render_thread, &job) == 0;
	render_objects(m, 0, threaded ? half : n, &b, out);
	fwrite(b.s, 1, b.len, out);
	buf_reset(&b);
	if (threaded) {
		pthread_join(th, NULL);
		fwrite(job.b.s, 1, job.b.len, out);
		buf_release(&job.b);
	}
	buf_adds(&b, n ? "\n  ]\n}\n" : "]\n}\n");
	fwrite(b.s, 1, b.len, out);
	buf_release(&b);
}

/* ---- order ---- */

/* Stable order of kinds, pg_dump style: what others usually need comes first. */
static int kind_rank(enum obj_kind k)
{
	switch (k) {
	case OBJ_SCHEMA: return 0;
	case OBJ_EXTENSION: return 1;
	case OBJ_ENUM: return 2;
	case OBJ_TYPE: return 3;
	case OBJ_DOMAIN: return 4;
	case OBJ_SEQUENCE: return 5;
	case OBJ_FUNCTION: return 6;
	case OBJ_PROCEDURE: return 6;
	case OBJ_TABLE: return 7;
	case OBJ_VIEW: return 8;
	case OBJ_MATVIEW: return 9;
	case OBJ_CONSTRAINT: return 10;
	case OBJ_INDEX: return 11;
	case OBJ_TRIGGER: return 12;
	case OBJ_POLICY: return 13;
	case OBJ_GRANT: return 14;
	default: return 15;
	}
}

static bool attr_is(const struct mobj *o, const char *name, const char *value)
{
	const char *v = mobj_get(o, name);
	return v && !strcmp(v, value);
}

/*
 * A constraint written inside its CREATE TABLE (validated primary keys,
 * unique, check and exclusion constraints) or CREATE DOMAIN (all of a
 * domain's). Foreign keys and NOT VALID constraints are statements of their own.
 */
static bool written_inline(const struct mobj *o)
{
	if (o->kind != OBJ_CONSTRAINT || !o->parent)
		return false;
	if (o->parent->kind == OBJ_DOMAIN)
		return true;
	return !attr_is(o, "constraint_type", "FOREIGN KEY") && attr_is(o, "validated", "true");
}

static bool is_statement(const struct mobj *o)
{
	if (o->kind == OBJ_COLUMN || o->kind == OBJ_UNSUPPORTED)
		return false;
	return !written_inline(o);
}

/* The statement an object is written in: itself, or its table / domain. */
static const struct mobj *statement_of(const struct mobj *o)
{
	while (o && !is_statement(o))
		o = o->parent;
	return o;
}

struct heap {
	size_t *v, n;
	const int *rank;
};

static bool heap_less(const struct heap *h, size_t a, size_t b)
{
	return h->rank[a] != h->rank[b] ? h->rank[a] < h->rank[b] : a < b;
}

static void heap_push(struct heap *h, size_t x)
{
	size_t i = h->n++;
	h->v[i] = x;
	while (i > 0 && heap_less(h, h->v[i], h->v[(i - 1) / 2])) {
		size_t p = (i - 1) / 2, t = h->v[p];
		h->v[p] = h->v[i];
		h->v[i] = t;
		i = p;
	}
}

static size_t heap_pop(struct heap *h)
{
	size_t top = h->v[0];
	h->v[0] = h->v[--h->n];
	for (size_t i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->n && heap_less(h, h->v[l], h->v[m]))
			m = l;
		if (r < h->n && heap_less(h, h->v[r], h->v[m]))
			m = r;
		if (m == i)
			break;
		size_t t = h->v[m];
		h->v[m] = h->v[i];
		h->v[i] = t;
		i = m;
	}
	return top;
}

/* Index of an object in m->objs, through a map from key to index + 1. */
static size_t index_of(const struct map *idx, const struct mobj *o)
{
	return (size_t)(uintptr_t)map_get(idx, o->key) - 1;
}

size_t model_order(const struct model *m, struct mobj ***out)
{
	size_t n = m->objs.n;
	struct map idx = MAP_INIT;
	for (size_t i = 0; i < n; i++)
		map_put(&idx, m->objs.v[i]->key, (void *)(uintptr_t)(i + 1));

	/* edges b -> a: statement a needs statement b first */
	VEC(size_t) from = VEC_INIT, to = VEC_INIT;
	for (size_t i = 0; i < n; i++) {
		const struct mobj *o = m->objs.v[i];
		const struct mobj *a = statement_of(o);
		if (!a)
			continue;
		for (unsigned d = 0; d <= o->ndeps; d++) {
			const struct mobj *dep = d < o->ndeps ? o->deps[d] : o->parent;
			const struct mobj *b = dep ? statement_of(dep) : NULL;
			if (!b || b == a)
				continue;
			VEC_PUSH(&from, index_of(&idx, b));
			VEC_PUSH(&to, index_of(&idx, a));
		}
	}
	int *rank = xcalloc(n ? n : 1, sizeof(int));
	size_t *indeg = xcalloc(n ? n : 1, sizeof(size_t));
	size_t *start = xcalloc(n + 1, sizeof(size_t));
	size_t *adj = xcalloc(from.n ? from.n : 1, sizeof(size_t));
	bool *done = xcalloc(n ? n : 1, sizeof(bool));
	for (size_t e = 0; e < from.n; e++) {
		start[from.v[e] + 1]++;
		indeg[to.v[e]]++;
	}
	for (size_t i = 0; i < n; i++)
		start[i + 1] += start[i];
	size_t *fill = xcalloc(n ? n : 1, sizeof(size_t));
	for (size_t e = 0; e < from.n; e++)
		adj[start[from.v[e]] + fill[from.v[e]]++] = to.v[e];
	free(fill);

	struct heap h = { xcalloc(n ? n : 1, sizeof(size_t)), 0, rank };
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		rank[i] = kind_rank(m->objs.v[i]->kind);
		if (is_statement(m->objs.v[i]))
			total++;
		else
			done[i] = true;
	}
	for (size_t i = 0; i < n; i++)
		if (!done[i] && indeg[i] == 0)
			heap_push(&h, i);
	struct mobj **order = xcalloc(total ? total : 1, sizeof(*order));
	size_t k = 0;
	while (k < total) {
		if (!h.n) {
			/* a cycle: go on with the first object in the stable order */
			size_t best = SIZE_MAX;
			for (size_t i = 0; i < n; i++)
				if (!done[i] && (best == SIZE_MAX || heap_less(&h, i, best)))
					best = i;
			indeg[best] = 0;
			heap_push(&h, best);
		}
		size_t i = heap_pop(&h);
		if (done[i])
			continue;
		done[i] = true;
		order[k++] = m->objs.v[i];
		for (size_t e = start[i]; e < start[i + 1]; e++) {
			size_t j = adj[e];
			if (!done[j] && indeg[j] > 0 && --indeg[j] == 0)
				heap_push(&h, j);
		}
	}
	free(h.v);
	free(done);
	free(adj);
	free(start);
	free(indeg);
	free(rank);
	VEC_FREE(&from);
	VEC_FREE(&to);
	map_release(&idx);
	*out = order;
	return total;
}

/* ---- canonical SQL ---- */

struct children {
	VEC(const struct mobj *) v;
};

struct writer {
	const struct model *m;
	PGconn *c;
	struct map kids;	/* parent key -> struct children */
	struct map owned;	/* table qname -> struct children (sequences it owns) */
};

static const struct children *children_of(const struct writer *w, const struct mobj *o)
{
	return map_get(&w->kids, o->key);
}

static void add_to(struct map *map, const char *key, const struct mobj *o)
{
	struct children *c = map_get(map, key);
	if (!c) {
		c = xcalloc(1, sizeof(*c));
		map_put(map, key, c);
	}
	VEC_PUSH(&c->v, o);
}

static void free_lists(struct map *map)
{
	for (size_t i = 0; i < map->cap; i++)
		if (map->slots[i].key) {
			struct children *c = map->slots[i].value;
			VEC_FREE(&c->v);
			free(c);
		}
	map_release(map);
}

static void put_literal(const struct writer *w, struct buf *b, const char *s)
{
	char *q = PQescapeLiteral(w->c, s, strlen(s));
	if (!q) {
		fprintf(stderr, "ssot: cannot quote a literal: %s", PQerrorMessage(w->c));
		abort();
	}
	buf_adds(b, q);
	PQfreemem(q);
}

/* The object as COMMENT ON and GRANT name it: "TABLE "public"."t"". */
static void put_target(struct buf *b, const struct mobj *o)
{
	const char *args = mobj_get(o, "identity_arguments");
	switch (o->kind) {
	case OBJ_SCHEMA: buf_printf(b, "SCHEMA %s", o->qname); break;
	case OBJ_EXTENSION: buf_printf(b, "EXTENSION %s", o->qname); break;
	case OBJ_ENUM:
	case OBJ_TYPE: buf_printf(b, "TYPE %s", o->qname); break;
	case OBJ_DOMAIN: buf_printf(b, "DOMAIN %s", o->qname); break;
	case OBJ_SEQUENCE: buf_printf(b, "SEQUENCE %s", o->qname); break;
	case OBJ_TABLE: buf_printf(b, "TABLE %s", o->qname); break;
	case OBJ_COLUMN: buf_printf(b, "COLUMN %s.%s", o->parent->qname, o->qname); break;
	case OBJ_CONSTRAINT:
		buf_printf(b, "CONSTRAINT %s ON %s%s", o->qname, o->parent->kind == OBJ_DOMAIN ? "DOMAIN " : "",
			   o->parent->qname);
		break;
	case OBJ_INDEX: buf_printf(b, "INDEX %s", o->qname); break;
	case OBJ_VIEW: buf_printf(b, "VIEW %s", o->qname); break;
	case OBJ_MATVIEW: buf_printf(b, "MATERIALIZED VIEW %s", o->qname); break;
	case OBJ_FUNCTION: buf_printf(b, "FUNCTION %s(%s)", o->qname, args ? args : ""); break;
	case OBJ_PROCEDURE: buf_printf(b, "PROCEDURE %s(%s)", o->qname, args ? args : ""); break;
	case OBJ_TRIGGER: buf_printf(b, "TRIGGER %s ON %s", o->qname, o->parent->qname); break;
	case OBJ_POLICY: buf_printf(b, "POLICY %s ON %s", o->qname, o->parent->qname); break;
	default: break;
	}
}

static void put_comment(const struct writer *w, struct buf *b, const struct mobj *o)
{
	const char *c = mobj_get(o, "comment");
	if (!c)
		return;
	buf_adds(b, "COMMENT ON ");
	put_target(b, o);
	buf_adds(b, " IS ");
	put_literal(w, b, c);
	buf_adds(b, ";\n");
}

/* DO block running `stmt` and ignoring the errors named in `conditions`. */
static void put_guarded(struct buf *b, const char *stmt, const char *conditions)
{
	char tag[32] = "$ssot$";
	for (int i = 1; strstr(stmt, tag); i++)
		snprintf(tag, sizeof(tag), "$ssot%d$", i);
	buf_printf(b, "DO %s\nBEGIN\n    %s;\nEXCEPTION WHEN %s THEN\n    NULL;\nEND\n%s;\n", tag, stmt, conditions, tag);
}

static void put_constraint_clause(struct buf *b, const struct mobj *o)
{
	buf_printf(b, "CONSTRAINT %s %s", o->qname, mobj_get(o, "definition"));
	const char *d = mobj_get(o, "deferrable");
	if (d && strcmp(d, "NOT DEFERRABLE") != 0)
		buf_printf(b, " %s", d);
	if (attr_is(o, "enforced", "false"))
		buf_adds(b, " NOT ENFORCED");
	if (attr_is(o, "validated", "false"))
		buf_adds(b, " NOT VALID");
}

static void write_table(const struct writer *w, struct buf *b, const struct mobj *t)
{
	const struct children *kids = children_of(w, t);
	const char *part_of = mobj_get(t, "partition_of");
	buf_printf(b, "CREATE %sTABLE IF NOT EXISTS %s", attr_is(t, "persistence", "unlogged") ? "UNLOGGED " : "",
		   t->qname);
	if (part_of)
		buf_printf(b, " PARTITION OF %s", part_of);
	int lines = 0;
	for (size_t i = 0; kids && i < kids->v.n; i++) {
		const struct mobj *c = kids->v.v[i];
		if (c->kind != OBJ_COLUMN)
			continue;
		buf_adds(b, lines++ ? ",\n    " : " (\n    ");
		buf_printf(b, "%s %s", c->qname, mobj_get(c, "type"));
		const char *v;
		if ((v = mobj_get(c, "collation")))
			buf_printf(b, " COLLATE %s", v);
		if ((v = mobj_get(c, "identity")))
			buf_printf(b, " GENERATED %s AS IDENTITY", v);
		if ((v = mobj_get(c, "generated")))
			buf_printf(b, " GENERATED ALWAYS AS %s", v);
		if ((v = mobj_get(c, "default")))
			buf_printf(b, " DEFAULT %s", v);
		if (attr_is(c, "nullable", "NOT NULL"))
			buf_adds(b, " NOT NULL");
	}
	for (size_t i = 0; kids && i < kids->v.n; i++) {
		const struct mobj *c = kids->v.v[i];
		if (!written_inline(c))
			continue;
		buf_adds(b, lines++ ? ",\n    " : " (\n    ");
		put_constraint_clause(b, c);
	}
	if (lines)
		buf_adds(b, "\n)");
	else if (!part_of)
		buf_adds(b, " ()");
	const char *v;
	if (part_of && (v = mobj_get(t, "partition_bound")))
		buf_printf(b, " %s", v);
	if ((v = mobj_get(t, "inherits")))
		buf_printf(b, " INHERITS (%s)", v);
	if ((v = mobj_get(t, "partition_key")))
		buf_printf(b, " PARTITION BY %s", v);
	if ((v = mobj_get(t, "options")))
		buf_printf(b, " WITH (%s)", v);
	buf_adds(b, ";\n");
	if (attr_is(t, "row_security", "enabled"))
		buf_printf(b, "ALTER TABLE %s ENABLE ROW LEVEL SECURITY;\n", t->qname);
	if (attr_is(t, "force_row_security", "forced"))
		buf_printf(b, "ALTER TABLE %s FORCE ROW LEVEL SECURITY;\n", t->qname);
	const struct children *seqs = map_get(&w->owned, t->qname);
	for (size_t i = 0; seqs && i < seqs->v.n; i++)
		buf_printf(b, "ALTER SEQUENCE %s OWNED BY %s;\n", seqs->v.v[i]->qname,
			   mobj_get(seqs->v.v[i], "owned_by"));
	put_comment(w, b, t);
	for (size_t i = 0; kids && i < kids->v.n; i++)
		if (kids->v.v[i]->kind == OBJ_COLUMN || written_inline(kids->v.v[i]))
			put_comment(w, b, kids->v.v[i]);
}

static void write_domain(const struct writer *w, struct buf *b, const struct mobj *o)
{
	const struct children *kids = children_of(w, o);
	struct buf s = BUF_INIT;
	buf_printf(&s, "CREATE DOMAIN %s AS %s", o->qname, mobj_get(o, "base_type"));
	const char *v;
	if ((v = mobj_get(o, "collation")))
		buf_printf(&s, " COLLATE %s", v);
	if ((v = mobj_get(o, "default")))
		buf_printf(&s, " DEFAULT %s", v);
	if (attr_is(o, "nullable", "NOT NULL"))
		buf_adds(&s, " NOT NULL");
	for (size_t i = 0; kids && i < kids->v.n; i++) {
		const struct mobj *c = kids->v.v[i];
		if (c->kind == OBJ_CONSTRAINT && attr_is(c, "validated", "true"))
			buf_printf(&s, "\n        CONSTRAINT %s %s", c->qname, mobj_get(c, "definition"));
	}
	put_guarded(b, s.s, "duplicate_object");
	for (size_t i = 0; kids && i < kids->v.n; i++) {
		const struct mobj *c = kids->v.v[i];
		if (c->kind != OBJ_CONSTRAINT || attr_is(c, "validated", "true"))
			continue;
		buf_reset(&s);
		buf_printf(&s, "ALTER DOMAIN %s ADD CONSTRAINT %s %s NOT VALID", o->qname, c->qname,
			   mobj_get(c, "definition"));
		put_guarded(b, s.s, "duplicate_object");
	}
	buf_release(&s);
	put_comment(w, b, o);
	for (size_t i = 0; kids && i < kids->v.n; i++)
		if (kids->v.v[i]->kind == OBJ_CONSTRAINT)
			put_comment(w, b, kids->v.v[i]);
}

/* GRANT statements of one grant object; privileges "SELECT, UPDATE WITH GRANT OPTION". */
static void write_grant(struct buf *b, const struct mobj *g)
{
	const struct mobj *t = g->parent;
	const char *privs = mobj_get(g, "privileges");
	if (!t || !privs)
		return;
	struct buf plain = BUF_INIT, with_opt = BUF_INIT, target = BUF_INIT;
	const char *col = t->kind == OBJ_COLUMN ? t->qname : NULL;
	const struct mobj *on = t->kind == OBJ_COLUMN ? t->parent : t;
	for (const char *p = privs; *p;) {
		const char *e = strstr(p, ", ");
		size_t len = e ? (size_t)(e - p) : strlen(p);
		static const char opt[] = " WITH GRANT OPTION";
		bool grantable = len > sizeof(opt) - 1 && !strncmp(p + len - (sizeof(opt) - 1), opt, sizeof(opt) - 1);
		struct buf *dst = grantable ? &with_opt : &plain;
		if (dst->len)
			buf_adds(dst, ", ");
		buf_add(dst, p, grantable ? len - (sizeof(opt) - 1) : len);
		if (col)
			buf_printf(dst, " (%s)", col);
		p = e ? e + 2 : p + len;
	}
	if (on->kind == OBJ_VIEW || on->kind == OBJ_MATVIEW || on->kind == OBJ_TABLE)
		buf_printf(&target, "TABLE %s", on->qname);
	else
		put_target(&target, on);
	if (plain.len)
		buf_printf(b, "GRANT %s ON %s TO %s;\n", plain.s, target.s, g->qname);
	if (with_opt.len)
		buf_printf(b, "GRANT %s ON %s TO %s WITH GRANT OPTION;\n", with_opt.s, target.s, g->qname);
	buf_release(&plain);
	buf_release(&with_opt);
	buf_release(&target);
}

/*
 * Functions and types carry a default privilege for PUBLIC; when the model
 * read privileges and that grant is absent, it was revoked.
 */
static void write_public_revoke(const struct writer *w, struct buf *b, const struct mobj *o)
{
	if (!w->m->grants)
		return;
	if (o->kind != OBJ_FUNCTION && o->kind != OBJ_PROCEDURE && o->kind != OBJ_ENUM && o->kind != OBJ_TYPE &&
	    o->kind != OBJ_DOMAIN)
		return;
	const struct children *kids = children_of(w, o);
	for (size_t i = 0; kids && i < kids->v.n; i++)
		if (kids->v.v[i]->kind == OBJ_GRANT && !strcmp(kids->v.v[i]->qname, "PUBLIC"))
			return;
	buf_adds(b, "REVOKE ALL ON ");
	put_target(b, o);
	buf_adds(b, " FROM PUBLIC;\n");
}

static void write_object(const struct writer *w, struct buf *b, const struct mobj *o)
{
	struct buf s = BUF_INIT;
	const char *v;
	switch (o->kind) {
	case OBJ_SCHEMA:
		buf_printf(b, "CREATE SCHEMA IF NOT EXISTS %s;\n", o->qname);
		break;
	case OBJ_EXTENSION:
		/* its schema may be written further on: make sure it is there */
		v = mobj_get(o, "schema_name");
		if (v && strcmp(v, "public") != 0 && strcmp(v, "pg_catalog") != 0)
			buf_printf(b, "CREATE SCHEMA IF NOT EXISTS %s;\n", mobj_get(o, "schema"));
		buf_printf(b, "CREATE EXTENSION IF NOT EXISTS %s WITH SCHEMA %s;\n", o->qname, mobj_get(o, "schema"));
		break;
	case OBJ_ENUM:
		buf_printf(&s, "CREATE TYPE %s AS ENUM (%s)", o->qname, (v = mobj_get(o, "values")) ? v : "");
		put_guarded(b, s.s, "duplicate_object");
		break;
	case OBJ_TYPE:
		buf_printf(&s, "CREATE TYPE %s AS (%s)", o->qname, (v = mobj_get(o, "attributes")) ? v : "");
		put_guarded(b, s.s, "duplicate_object");
		break;
	case OBJ_DOMAIN:
		write_domain(w, b, o);
		break;
	case OBJ_SEQUENCE:
		buf_printf(b, "CREATE SEQUENCE IF NOT EXISTS %s AS %s INCREMENT BY %s MINVALUE %s MAXVALUE %s START WITH %s CACHE %s %s;\n",
			   o->qname, mobj_get(o, "type"), mobj_get(o, "increment"), mobj_get(o, "min"),
			   mobj_get(o, "max"), mobj_get(o, "start"), mobj_get(o, "cache"), mobj_get(o, "cycle"));
		break;
	case OBJ_TABLE:
		write_table(w, b, o);
		break;
	case OBJ_VIEW:
	case OBJ_MATVIEW: {
		bool mat = o->kind == OBJ_MATVIEW;
		buf_printf(b, mat ? "CREATE MATERIALIZED VIEW IF NOT EXISTS %s" : "CREATE OR REPLACE VIEW %s", o->qname);
		if ((v = mobj_get(o, "options")))
			buf_printf(b, " WITH (%s)", v);
		buf_printf(b, " AS\n%s;\n", mobj_get(o, "definition"));
		break;
	}
	case OBJ_FUNCTION:
	case OBJ_PROCEDURE:
		buf_adds(&s, mobj_get(o, "source"));
		buf_rtrim(&s);
		buf_printf(b, "%s;\n", s.s);
		break;
	case OBJ_CONSTRAINT:
		buf_printf(&s, "ALTER TABLE %s ADD ", o->parent->qname);
		put_constraint_clause(&s, o);
		put_guarded(b, s.s, "duplicate_object OR duplicate_table");
		break;
	case OBJ_INDEX: {
		const char *def = mobj_get(o, "definition");
		size_t at = !strncmp(def, "CREATE UNIQUE INDEX ", 20) ? 19 : !strncmp(def, "CREATE INDEX ", 13) ? 12 : 0;
		if (at)
			buf_printf(&s, "%.*s IF NOT EXISTS%s", (int)at, def, def + at);
		else
			buf_adds(&s, def);
		/*
		 * The server prints an index of a partitioned table as ON ONLY,
		 * which would leave it invalid until every partition's index is
		 * attached; created without ONLY it cascades, as it did originally.
		 */
		const char *only = strstr(s.s, " ON ONLY ");
		if (only && o->parent && mobj_get(o->parent, "partition_key"))
			buf_printf(b, "%.*s ON %s;\n", (int)(only - s.s), s.s, only + 9);
		else
			buf_printf(b, "%s;\n", s.s);
		break;
	}
	case OBJ_TRIGGER:
		put_guarded(b, mobj_get(o, "definition"), "duplicate_object");
		v = mobj_get(o, "enabled");
		if (v && strcmp(v, "ENABLED") != 0)
			buf_printf(b, "ALTER TABLE %s %s TRIGGER %s;\n", o->parent->qname,
				   !strcmp(v, "DISABLED") ? "DISABLE" : !strcmp(v, "REPLICA") ? "ENABLE REPLICA" :
				   "ENABLE ALWAYS", o->qname);
		break;
	case OBJ_POLICY:
		buf_printf(&s, "CREATE POLICY %s ON %s AS %s FOR %s TO %s", o->qname, o->parent->qname,
			   mobj_get(o, "permissive"), mobj_get(o, "command"),
			   (v = mobj_get(o, "roles")) ? v : "PUBLIC");
		if ((v = mobj_get(o, "using")))
			buf_printf(&s, " USING (%s)", v);
		if ((v = mobj_get(o, "with_check")))
			buf_printf(&s, " WITH CHECK (%s)", v);
		put_guarded(b, s.s, "duplicate_object");
		break;
	case OBJ_GRANT:
		write_grant(b, o);
		break;
	default:
		break;
	}
	buf_release(&s);
	if (o->kind != OBJ_TABLE && o->kind != OBJ_DOMAIN && o->kind != OBJ_GRANT)
		put_comment(w, b, o);
	write_public_revoke(w, b, o);
}

/* Which file an object goes to: its schema's name, or NULL for "no schema". */
static const char *file_schema(const struct mobj *o)
{
	if (o->kind == OBJ_SCHEMA)
		return o->name;
	if (o->kind == OBJ_EXTENSION)
		return mobj_get(o, "schema_name");
	if (o->kind == OBJ_GRANT && o->parent)
		return file_schema(o->parent);
	return o->schema;
}

static const struct {
	const char *name;	/* file name */
	unsigned kinds;		/* bit per enum obj_kind */
} split_files[] = {
	{ "10_schemas.sql", 1u << OBJ_SCHEMA },
	{ "20_extensions.sql", 1u << OBJ_EXTENSION },
	{ "30_types.sql", 1u << OBJ_ENUM | 1u << OBJ_TYPE | 1u << OBJ_DOMAIN },
	{ "40_sequences.sql", 1u << OBJ_SEQUENCE },
	{ "50_functions.sql", 1u << OBJ_FUNCTION | 1u << OBJ_PROCEDURE },
	{ "60_tables.sql", 1u << OBJ_TABLE },
	{ "70_views.sql", 1u << OBJ_VIEW | 1u << OBJ_MATVIEW },
	{ "80_constraints.sql", 1u << OBJ_CONSTRAINT },
	{ "85_indexes.sql", 1u << OBJ_INDEX },
	{ "90_triggers.sql", 1u << OBJ_TRIGGER },
	{ "92_policies.sql", 1u << OBJ_POLICY },
	{ "95_grants.sql", 1u << OBJ_GRANT },
};
#define NSPLIT (sizeof(split_files) / sizeof(split_files[0]))

/* Key of the extensions' file in the one-file-per-schema layout (no schema name has a \x01). */
#define EXTENSIONS_FILE "\x01extensions"

/* Statement `stmt` (a position in the order) needs statement `needs`. */
struct need {
	size_t stmt, needs;
};

static int need_cmp(const void *a, const void *b)
{
	const struct need *x = a, *y = b;
	if (x->stmt != y->stmt)
		return x->stmt < y->stmt ? -1 : 1;
	return x->needs < y->needs ? -1 : x->needs > y->needs;
}

/* A file name part from a schema name: letters, digits, '_' and '-' only. */
static char *safe_name(const char *s)
{
	char *r = xstrdup(s);
	for (char *p = r; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '-'))
			*p = '_';
	return r;
}

size_t model_write_sql(const struct model *m, PGconn *c, bool split, struct model_sql_file **files,
		       struct buf *warnings)
{
	struct writer w = { .m = m, .c = c, .kids = MAP_INIT, .owned = MAP_INIT };
	for (size_t i = 0; i < m->objs.n; i++) {
		const struct mobj *o = m->objs.v[i];
		if (o->parent)
			add_to(&w.kids, o->parent->key, o);
		const char *owner = o->kind == OBJ_SEQUENCE ? mobj_get(o, "owned_by_table") : NULL;
		if (owner)
			add_to(&w.owned, owner, o);
	}
	struct mobj **order;
	size_t n = model_order(m, &order);

	/* file of each statement, in order */
	size_t *file = xcalloc(n ? n : 1, sizeof(size_t));
	VEC(char *) names = VEC_INIT;
	struct map pos = MAP_INIT;	/* key -> position in order + 1 */
	for (size_t i = 0; i < n; i++)
		map_put(&pos, order[i]->key, (void *)(uintptr_t)(i + 1));
	/*
	 * What each statement needs, as positions in `order`: the dependencies
	 * of the object and of everything written inside its statement (a
	 * domain's CHECK calling a function, a column's default).
	 */
	VEC(struct need) needs = VEC_INIT;
	for (size_t i = 0; i < m->objs.n; i++) {
		const struct mobj *o = m->objs.v[i];
		const struct mobj *st = statement_of(o);
		size_t a = st ? (size_t)(uintptr_t)map_get(&pos, st->key) : 0;
		for (unsigned d = 0; a && d < o->ndeps; d++) {
			const struct mobj *dep = statement_of(o->deps[d]);
			size_t b = dep ? (size_t)(uintptr_t)map_get(&pos, dep->key) : 0;
			if (b && b != a)
				VEC_PUSH(&needs, ((struct need){ a - 1, b - 1 }));
		}
	}
	if (needs.n)
		qsort(needs.v, needs.n, sizeof(*needs.v), need_cmp);
	if (split) {
		/*
		 * A kind's file, unless the object needs one written to a later
		 * file (a function returning a table's rows): then it goes with that.
		 */
		for (size_t f = 0; f < NSPLIT; f++)
			VEC_PUSH(&names, xstrdup(split_files[f].name));
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			for (size_t f = 0; f < NSPLIT; f++)
				if (split_files[f].kinds & (1u << order[i]->kind))
					file[i] = f;
			for (; k < needs.n && needs.v[k].stmt == i; k++) {
				size_t q = needs.v[k].needs;
				if (q < i && file[q] > file[i])
					file[i] = file[q];
			}
		}
	} else {
		/* one file per schema, schemas in the order their first object needs */
		struct map sch = MAP_INIT;	/* schema name -> file index + 1 */
		/* extensions first, in a file of their own: what they provide is needed everywhere */
		for (size_t i = 0; i < n; i++)
			if (order[i]->kind == OBJ_EXTENSION) {
				VEC_PUSH(&names, xstrdup(EXTENSIONS_FILE));
				map_put(&sch, names.v[0], (void *)(uintptr_t)1);
				break;
			}
		for (size_t i = 0; i < n; i++) {
			const char *s = order[i]->kind == OBJ_EXTENSION ? EXTENSIONS_FILE : file_schema(order[i]);
			if (!s)
				s = "";
			size_t f = (size_t)(uintptr_t)map_get(&sch, s);
			if (!f) {
				VEC_PUSH(&names, xstrdup(s));
				f = names.n;
				map_put(&sch, names.v[f - 1], (void *)(uintptr_t)f);
			}
			file[i] = f - 1;
		}
		map_release(&sch);
	}

	/* A statement must not need one written in a later file. */
	bool one_file = false;
	for (size_t k = 0; k < needs.n; k++) {
		size_t i = needs.v[k].stmt, q = needs.v[k].needs;
		if (file[q] <= file[i])
			continue;
		if (split)
			buf_printf(warnings, "%s %s needs %s %s, which is written to a later file (%s): "
				   "a dependency cycle\n", obj_kind_name(order[i]->kind), order[i]->id,
				   obj_kind_name(order[q]->kind), order[q]->id, names.v[file[q]]);
		else
			one_file = true;
	}
	VEC_FREE(&needs);
	if (one_file) {
		buf_adds(warnings, "the schemas depend on each other both ways: writing one file\n");
		for (size_t i = 0; i < names.n; i++)
			free(names.v[i]);
		names.n = 0;
		VEC_PUSH(&names, xstrdup("schema"));
		for (size_t i = 0; i < n; i++)
			file[i] = 0;
	}

	struct model_sql_file *out = xcalloc(names.n ? names.n : 1, sizeof(*out));
	size_t nout = 0;
	for (size_t f = 0; f < names.n; f++) {
		struct model_sql_file *sf = &out[nout];
		bool functions = false;
		for (size_t i = 0; i < n; i++)
			if (file[i] == f) {
				sf->objects++;
				functions |= order[i]->kind == OBJ_FUNCTION || order[i]->kind == OBJ_PROCEDURE;
			}
		if (!sf->objects)
			continue;
		if (split) {
			sf->name = xstrdup(names.v[f]);
		} else {
			char *safe = safe_name(!strcmp(names.v[f], EXTENSIONS_FILE) ? "extensions" :
					       *names.v[f] ? names.v[f] : "global");
			int width = names.n > 9 ? 3 : 2;
			sf->name = xasprintf("%0*zu_%s.sql", width, (f + 1) * 10, safe);
			free(safe);
		}
		const char *title = split ? names.v[f] : !strcmp(names.v[f], EXTENSIONS_FILE) ? "extensions" :
			*names.v[f] ? names.v[f] : "objects outside any schema";
		buf_printf(&sf->text, "-- %s: written by 'ssot inspect'. Idempotent: applying it again changes nothing.\n",
			   title);
		if (functions)
			buf_adds(&sf->text, "-- Function bodies may name objects created further on.\n"
				 "SET check_function_bodies = off;\n");
		for (size_t i = 0; i < n; i++)
			if (file[i] == f) {
				buf_addch(&sf->text, '\n');
				write_object(&w, &sf->text, order[i]);
			}
		nout++;
	}
	/* never silent: what the model does not cover goes at the end of the first file */
	if (nout) {
		bool first = true;
		for (size_t i = 0; i < m->objs.n; i++) {
			const struct mobj *o = m->objs.v[i];
			if (o->kind != OBJ_UNSUPPORTED)
				continue;
			if (first)
				buf_adds(&out[0].text, "\n-- Present in the database but not modelled by ssot, so not written:\n");
			first = false;
			buf_printf(&out[0].text, "--   %s %s\n", o->what, o->id);
		}
	}
	for (size_t i = 0; i < names.n; i++)
		free(names.v[i]);
	VEC_FREE(&names);
	map_release(&pos);
	free(file);
	free(order);
	free_lists(&w.kids);
	free_lists(&w.owned);
	*files = out;
	return nout;
}
