/*
 * Helpers over PostgreSQL's raw parse trees shared by the rule families:
 * names, structural hashes, column types, volatility, and the string map the
 * cross-file passes index facts with.
 */
#include "lint/pg.h"

#include "lint/rules.h"

#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* ---- strmap: open addressing, FNV-1a ------------------------------------------- */

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

void strmap_init(struct strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void strmap_release(struct strmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/*
 * The first slot to probe for hash h. FNV-1a's low bits depend on the low
 * bits of the key's bytes only, so keys that differ in a letter or two
 * ("d1_t3.id", "d1_t4.id") would crowd into a few neighbouring slots, and
 * linear probing would walk long runs: fold the high bits in (as util/map.c).
 */
static size_t first_slot(const struct strmap *m, uint64_t h)
{
	return (size_t)(h ^ (h >> 32) ^ (h >> 17)) & (m->cap - 1);
}

/* The slot holding key, or the empty slot where it would go (cap > 0). */
static struct strmap_slot *find_slot(const struct strmap *m, const char *key, uint64_t h)
{
	for (size_t i = first_slot(m, h);; i = (i + 1) & (m->cap - 1)) {
		struct strmap_slot *e = &m->slots[i];
		if (!e->key || (e->hash == h && !strcmp(e->key, key)))
			return e;
	}
}

size_t strmap_get(const struct strmap *m, const char *key)
{
	if (!m->cap)
		return SIZE_MAX;
	const struct strmap_slot *e = find_slot(m, key, fnv(key));
	return e->key ? e->val : SIZE_MAX;
}

static void strmap_resize(struct strmap *m, size_t cap)
{
	struct strmap old = *m;
	m->cap = cap;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			*find_slot(m, old.slots[i].key, old.slots[i].hash) = old.slots[i];
	free(old.slots);
}

void strmap_reserve(struct strmap *m, size_t n)
{
	size_t cap = m->cap ? m->cap : 64;
	while (n * 2 > cap)
		cap *= 2;
	if (cap > m->cap)
		strmap_resize(m, cap);
}

size_t strmap_put(struct strmap *m, const char *key, size_t val)
{
	if ((m->n + 1) * 2 > m->cap)
		strmap_resize(m, m->cap ? m->cap * 2 : 64);
	uint64_t h = fnv(key);
	struct strmap_slot *e = find_slot(m, key, h);
	if (e->key)
		return e->val;
	*e = (struct strmap_slot){ key, h, val };
	m->n++;
	return val;
}

/* ---- names ------------------------------------------------------------------------- */

const char *keep_str(struct lint_ctx *c, const char *s)
{
	return s ? arena_strdup(c->file->arena, s) : NULL;
}

const char *join_key(struct lint_ctx *c, const char *a, char sep, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	char *k = arena_alloc(c->file->arena, na + nb + 2);
	memcpy(k, a, na);
	k[na] = sep;
	memcpy(k + na + 1, b, nb + 1);
	return k;
}

const char *rv_key(struct lint_ctx *c, const RangeVar *rv)
{
	const char *schema = rv->schemaname && *rv->schemaname ? rv->schemaname : "public";
	return join_key(c, schema, '.', rv->relname ? rv->relname : "");
}

const char *str_of(const Node *n)
{
	return n && IsA(n, String) ? strVal(n) : "";
}

const char *names_key(struct lint_ctx *c, const List *names, bool qualify)
{
	struct buf b = BUF_INIT;
	if (qualify && list_length(names) == 1)
		buf_adds(&b, "public.");
	const ListCell *lc;
	foreach(lc, names) {
		if (foreach_current_index(lc))
			buf_addch(&b, '.');
		buf_adds(&b, str_of(lfirst(lc)));
	}
	const char *k = arena_strdup(c->file->arena, b.s ? b.s : "");
	buf_release(&b);
	return k;
}

const char *last_name(const List *names)
{
	return list_length(names) ? str_of(llast(names)) : "";
}

/* ---- structural hash ------------------------------------------------------------------ */

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
	return mix(h, s ? fnv(s) : 0x5bd1e995u);
}

/* Fields that only spell how a statement runs, not what it declares. */
static bool skipped_field(const char *name)
{
	switch (name[0]) {
	case 'l':
		return !strcmp(name, "location");
	case 'i':
		return !strcmp(name, "if_not_exists") || !strcmp(name, "initially_valid");
	case 'r':
		return !strcmp(name, "replace");
	case 'c':
		return !strcmp(name, "concurrent");
	case 's':
		return !strcmp(name, "skip_validation");
	default:
		return false;
	}
}

static uint64_t hash_value(const ProtobufCFieldDescriptor *fd, const void *p, uint64_t h);

static uint64_t hash_message(const ProtobufCMessage *m, uint64_t h)
{
	if (!m)
		return mix(h, 0);
	const ProtobufCMessageDescriptor *d = m->descriptor;
	h = mix_str(h, d->name);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		if (skipped_field(fd->name))
			continue;
		const char *base = (const char *)m;
		if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t which = *(const uint32_t *)(base + fd->quantifier_offset);
			if (which != fd->id)
				continue;
		}
		/* "public.t" and "t" name the same relation (the key of a fact says so too). */
		if (d == &pg_query__range_var__descriptor && fd->type == PROTOBUF_C_TYPE_STRING &&
		    !strcmp(fd->name, "schemaname")) {
			const char *v = *(const char *const *)(base + fd->offset);
			h = mix_str(h, v && strcmp(v, "public") != 0 ? v : "");
			continue;
		}
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + fd->quantifier_offset);
			const char *arr = *(const char *const *)(base + fd->offset);
			size_t sz;
			switch (fd->type) {
			case PROTOBUF_C_TYPE_MESSAGE:
			case PROTOBUF_C_TYPE_STRING:
				sz = sizeof(void *);
				break;
			case PROTOBUF_C_TYPE_INT64:
			case PROTOBUF_C_TYPE_UINT64:
			case PROTOBUF_C_TYPE_DOUBLE:
				sz = 8;
				break;
			default:
				sz = 4;
			}
			h = mix(h, n);
			for (size_t k = 0; k < n; k++)
				h = hash_value(fd, arr + k * sz, h);
		} else {
			h = hash_value(fd, base + fd->offset, h);
		}
	}
	return h;
}

static uint64_t hash_value(const ProtobufCFieldDescriptor *fd, const void *p, uint64_t h)
{
	switch (fd->type) {
	case PROTOBUF_C_TYPE_MESSAGE:
		return hash_message(*(const ProtobufCMessage *const *)p, h);
	case PROTOBUF_C_TYPE_STRING:
		return mix_str(h, *(const char *const *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return mix(h, *(const protobuf_c_boolean *)p ? 1 : 0);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
		return mix(h, *(const uint64_t *)p);
	case PROTOBUF_C_TYPE_DOUBLE: {
		uint64_t v;
		memcpy(&v, p, sizeof(v));
		return mix(h, v);
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *bd = p;
		uint64_t v = bd->len;
		for (size_t i = 0; i < bd->len; i++)
			v = (v ^ bd->data[i]) * 1099511628211ull;
		return mix(h, v);
	}
	default:		/* int32, enums, uint32, float: 4 bytes */
		return mix(h, *(const uint32_t *)p);
	}
}

uint64_t node_hash(const void *message)
{
	return hash_message(message, 0);
}

/*
 * libpg_query's protobuf output of one raw node, unpacked: the generic
 * reflection node_hash() needs. The node goes in as the statement of a
 * RawStmt built on the stack (makeNode would allocate through
 * CurrentMemoryContext, which the headers do not declare thread-local);
 * the List around it is made by libpg_query in a context entered for it.
 */
uint64_t raw_node_hash(const Node *n)
{
	MemoryContext ctx = pg_query_enter_memory_context();
	RawStmt rs;
	memset(&rs, 0, sizeof(rs));
	rs.type = T_RawStmt;
	rs.stmt = (Node *)n;
	List *one = list_make1_impl(T_List, list_make_ptr_cell(&rs));
	PgQueryProtobuf pb = pg_query_nodes_to_protobuf(one);
	pg_query_exit_memory_context(ctx);

	PgQuery__ParseResult *t = pg_query__parse_result__unpack(&sqlfile_pb_allocator, pb.len,
								  (const uint8_t *)pb.data);
	free(pb.data);
	if (!t || t->n_stmts != 1)
		abort();	/* libpg_query produced protobuf it cannot read */
	uint64_t h = node_hash(t->stmts[0]->stmt);
	pg_query__parse_result__free_unpacked(t, &sqlfile_pb_allocator);
	return h;
}

/* The integer of an A_Const node (varchar(20), numeric(10,2)), or false. */
static bool int_const(const Node *n, int *v)
{
	if (!n || !IsA(n, A_Const) || ((const A_Const *)n)->isnull ||
	    !IsA(&((const A_Const *)n)->val, Integer))
		return false;
	*v = intVal(&((const A_Const *)n)->val);
	return true;
}

uint64_t type_hash(const TypeName *t)
{
	static _Atomic uint64_t unique;
	uint64_t h = mix_str(0, last_name(t->names));
	const ListCell *lc;
	foreach(lc, t->typmods) {
		const Node *m = lfirst(lc);
		int v;
		if (int_const(m, &v)) {
			h = mix(h, (uint64_t)(uint32_t)v);
		} else if (IsA(m, A_Const) && IsA(&((const A_Const *)m)->val, String)) {
			h = mix_str(mix(h, T_String), strVal(&((const A_Const *)m)->val));
		} else if (IsA(m, ColumnRef)) {
			const ListCell *f;
			h = mix(h, T_ColumnRef);
			foreach(f, ((const ColumnRef *)m)->fields)
				h = mix_str(h, str_of(lfirst(f)));
		} else {
			/* An expression: never equal to another type, not even to itself. */
			h = mix(h, ++unique | 1ull << 63);
		}
	}
	h = mix(h, (uint64_t)list_length(t->arrayBounds));
	return mix(h, t->setof);
}

const char *type_text(struct arena *a, const TypeName *t)
{
	const char *name = last_name(t->names);
	if (!t->typmods && !t->arrayBounds)
		return arena_strdup(a, name);
	size_t n = strlen(name);
	int mods = list_length(t->typmods), dims = list_length(t->arrayBounds);
	/* "name(" + up to 11 characters and a comma per modifier + ")" + "[]" per dimension */
	char *r = arena_alloc(a, n + 2 + (size_t)mods * 12 + (size_t)dims * 2 + 1);
	char *o = r + n;
	memcpy(r, name, n);
	if (mods) {
		*o++ = '(';
		const ListCell *lc;
		foreach(lc, t->typmods) {
			int v;
			if (foreach_current_index(lc))
				*o++ = ',';
			if (!int_const(lfirst(lc), &v)) {
				*o++ = '?';
				continue;
			}
			char digits[FMT_DECIMAL_LEN];
			const char *d = fmt_decimal(v, digits);
			size_t dn = strlen(d);
			memcpy(o, d, dn);
			o += dn;
		}
		*o++ = ')';
	}
	for (int i = 0; i < dims; i++) {
		*o++ = '[';
		*o++ = ']';
	}
	*o = '\0';
	return r;
}

/* ---- volatility ------------------------------------------------------------------------ */

/*
 * Functions that are stable or immutable: a default calling only these is
 * evaluated once by ADD COLUMN (no rewrite). Anything else may be volatile
 * (CREATE FUNCTION's default volatility is VOLATILE).
 */
static bool known_stable(const char *fn)
{
	static const char *const names[] = {
		"now", "transaction_timestamp", "statement_timestamp", "current_setting",
		"lower", "upper", "btrim", "trim", "concat", "coalesce", "nullif", "length",
		"to_char", "to_jsonb", "to_json", "jsonb_build_object", "json_build_object",
		"jsonb_build_array", "json_build_array", "array_length", "abs", "round", "date_trunc",
		"make_interval", "make_date", "greatest", "least", "int4", "int8", "text", "numeric",
		"current_date", "current_user", "session_user", "current_schema", "timezone",
		"replace", "md5", "substr", "substring", "format",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(fn, names[i]))
			return true;
	return false;
}

static const Node *volatile_in(const List *args)
{
	const ListCell *lc;
	foreach(lc, args) {
		const Node *v = volatile_call(lfirst(lc));
		if (v)
			return v;
	}
	return NULL;
}

const Node *volatile_call(const Node *n)
{
	if (!n)
		return NULL;
	switch (nodeTag(n)) {
	case T_FuncCall: {
		const FuncCall *f = (const FuncCall *)n;
		if (!known_stable(last_name(f->funcname)))
			return n;
		return volatile_in(f->args);
	}
	case T_TypeCast:
		return volatile_call(((const TypeCast *)n)->arg);
	case T_A_Expr: {
		const Node *v = volatile_call(((const A_Expr *)n)->lexpr);
		return v ? v : volatile_call(((const A_Expr *)n)->rexpr);
	}
	case T_CoalesceExpr:
		return volatile_in(((const CoalesceExpr *)n)->args);
	default:
		return NULL;
	}
}

/* ---- exception conditions --------------------------------------------------------------- */

static const struct {
	const char *name, *code;
} conditions[] = {
	{ "duplicate_object", "42710" },
	{ "duplicate_table", "42P07" },
	{ "duplicate_schema", "42P06" },
	{ "duplicate_column", "42701" },
	{ "duplicate_function", "42723" },
	{ "duplicate_database", "42P04" },
	{ "duplicate_alias", "42712" },
	{ "undefined_table", "42P01" },
	{ "undefined_column", "42703" },
	{ "undefined_object", "42704" },
	{ "undefined_function", "42883" },
	{ "undefined_parameter", "42P02" },
	{ "invalid_table_definition", "42P16" },
	{ "invalid_object_definition", "42P17" },
	{ "invalid_schema_name", "3F000" },
	{ "wrong_object_type", "42809" },
	{ "syntax_error_or_access_rule_violation", "42000" },
	{ "insufficient_privilege", "42501" },
	{ "datatype_mismatch", "42804" },
	{ "ambiguous_column", "42702" },
	{ "ambiguous_function", "42725" },
	{ "unique_violation", "23505" },
	{ "foreign_key_violation", "23503" },
	{ "not_null_violation", "23502" },
	{ "check_violation", "23514" },
	{ "exclusion_violation", "23P01" },
	{ "integrity_constraint_violation", "23000" },
	{ "feature_not_supported", "0A000" },
	{ "object_in_use", "55006" },
	{ "object_not_in_prerequisite_state", "55000" },
	{ "lock_not_available", "55P03" },
	{ "dependent_objects_still_exist", "2BP01" },
	{ "raise_exception", "P0001" },
	{ "no_data_found", "P0002" },
	{ "too_many_rows", "P0003" },
	{ "assert_failure", "P0004" },
	{ "data_exception", "22000" },
	{ "division_by_zero", "22012" },
	{ "invalid_text_representation", "22P02" },
	{ "invalid_parameter_value", "22023" },
};

const char *condition_sqlstate(const char *name)
{
	for (size_t i = 0; i < sizeof(conditions) / sizeof(conditions[0]); i++)
		if (!strcmp(conditions[i].name, name))
			return conditions[i].code;
	/* WHEN SQLSTATE '42710' arrives as the code itself. */
	if (strlen(name) == 5) {
		for (int i = 0; i < 5; i++)
			if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'A' && name[i] <= 'Z')))
				return NULL;
		return name;
	}
	return NULL;
}

const char *sqlstate_condition(const char *code)
{
	for (size_t i = 0; i < sizeof(conditions) / sizeof(conditions[0]); i++)
		if (!strcmp(conditions[i].code, code))
			return conditions[i].name;
	return code;
}
