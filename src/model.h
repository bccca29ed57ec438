/*
 * model: a database schema as a set of objects, each with an identity and
 * a list of named attributes holding catalog-derived text.
 *
 * Both sides of a drift check are models read by catalog_load(): the live
 * database, and a throwaway database built from the files. The server is the
 * normalizer (DESIGN.md §5): every attribute value is text the server
 * produced (format_type, pg_get_expr, pg_get_indexdef, ...), so two models
 * can be compared attribute by attribute with strcmp and equivalent
 * spellings in the files never differ.
 *
 * Identity. Every object has a kind and a display id following DESIGN.md §3
 * ("public.stores", "public.stores.tel_no", "public.orders_store_idx",
 * "public.store_revenue(integer)"); `key` is unique within a model and is
 * what the two sides are matched on. Children (columns, constraints,
 * triggers, policies, grants) point at their parent; an index points at its
 * table. `qname` is the object's name quoted through libpq for generated
 * SQL: schema-qualified for objects in a schema ("public"."stores"), the
 * bare quoted name for children ("tel_no"), the quoted role or PUBLIC for
 * grants.
 *
 * Attributes. An object carries the attributes of its kind in a fixed order
 * (a NULL value means "none": no default, no comment). ATTR_NODIFF marks text
 * kept for `inspect` only (a function's whole definition, derived from the
 * compared parts); ATTR_ORDER marks a column's position, compared only with
 * --strict-column-order.
 *
 * Ownership: a model owns one arena holding every object, string and array
 * it refers to; model_release() frees all of it. Objects are never removed.
 * The `src` of a declaration is borrowed from a loaded sqlfile that must
 * outlive any use of it.
 */
#ifndef SSOT_MODEL_H
#define SSOT_MODEL_H

#include "util/arena.h"
#include "util/buf.h"
#include "util/map.h"
#include "util/source.h"
#include "util/vec.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>

enum obj_kind {
	OBJ_SCHEMA,
	OBJ_EXTENSION,
	OBJ_ENUM,
	OBJ_DOMAIN,
	OBJ_TYPE,		/* composite type */
	OBJ_SEQUENCE,
	OBJ_TABLE,		/* incl. partitioned tables and partitions */
	OBJ_COLUMN,
	OBJ_CONSTRAINT,		/* of a table or a domain */
	OBJ_INDEX,
	OBJ_VIEW,
	OBJ_MATVIEW,
	OBJ_FUNCTION,
	OBJ_PROCEDURE,
	OBJ_TRIGGER,
	OBJ_POLICY,
	OBJ_GRANT,
	OBJ_UNSUPPORTED,	/* present, not modelled: reported as a note */
	OBJ_KIND_COUNT
};

#define ATTR_NODIFF 1u
#define ATTR_ORDER 2u

struct mattr {
	const char *name;	/* static string */
	const char *value;	/* arena; NULL = none */
	unsigned flags;
};

struct mobj {
	enum obj_kind kind;
	const char *schema;	/* NULL for schemas, extensions, database-wide objects */
	const char *name;	/* own name (column name for a column, grantee for a grant) */
	const char *args;	/* functions: argument types "integer, text"; else NULL */
	const char *id;		/* display id (DESIGN.md §3) */
	const char *key;	/* unique within the model */
	const char *qname;	/* quoted SQL name (see above) */
	const char *what;	/* OBJ_UNSUPPORTED: "aggregate", "operator", ...; else NULL */
	struct mobj *parent;
	struct mattr *attrs;
	unsigned nattrs, cap_attrs;
	struct mobj **deps;	/* objects this one needs first (catalog deps) */
	unsigned ndeps, cap_deps;
	unsigned flags;		/* MOBJ_* */
	size_t seq;		/* order of model_add() */
	/* Where the files declare it (desired side; src NULL when unknown). */
	struct source *src;
	size_t start, end;
};

#define MOBJ_INLINE 1u		/* constraint written inside its CREATE TABLE by inspect */

struct model {
	struct arena arena;
	int server_version;	/* server_version_num */
	VEC(struct mobj *) objs;	/* in load order */
	struct map by_key;
	/*
	 * While set, model_add() neither indexes the objects it adds by key nor
	 * checks the key is new: for a loader whose keys are unique by
	 * construction (the catalog's: PostgreSQL's unique indexes on names).
	 * model_index() then indexes them all, or nothing does when the model
	 * is only written out. model_find() must not be called meanwhile.
	 */
	bool unindexed;
	bool grants;		/* privileges were read (GRANT objects are meaningful) */
	double load_ms;		/* time catalog_load took */
	unsigned queries;	/* catalog queries it ran */
	const char *last_schema;	/* model_add's copy of the last schema name it was given */
};

void model_init(struct model *m);
void model_release(struct model *m);

/* "table", "column", "materialized view", ... (stable: JSON `kind`). */
const char *obj_kind_name(enum obj_kind k);
/* Parse a kind name; returns -1 when unknown. */
int obj_kind_parse(const char *s, enum obj_kind *out);

/*
 * Add an object. `schema` is copied; for children pass the parent and the
 * child's own name; `args` only for functions and procedures. `qname` is
 * copied as given. Returns the new object, or NULL when an object with the
 * same key exists (the caller skips the row).
 */
struct mobj *model_add(struct model *m, enum obj_kind kind, const char *schema, const char *name,
		       const char *args, struct mobj *parent, const char *qname);
/* An OBJ_UNSUPPORTED object: `what` ("aggregate") and its display id. */
struct mobj *model_add_unsupported(struct model *m, const char *what, const char *id);
/* Room for n more objects (a catalog read adds them by the ten thousand). */
void model_reserve(struct model *m, size_t n);
/* Set attribute `name` (a static string) to a copy of value (NULL allowed). */
void model_set(struct model *m, struct mobj *o, const char *name, const char *value, unsigned flags);
/* Same, taking ownership of nothing: `value` already lives in the model's arena. */
void model_set_owned(struct model *m, struct mobj *o, const char *name, const char *value, unsigned flags);
/* Copy of s in the model's arena (NULL stays NULL). */
const char *model_strdup(struct model *m, const char *s);
/* The value of attribute `name`, or NULL (unset or absent). */
const char *mobj_get(const struct mobj *o, const char *name);
const struct mattr *mobj_attr(const struct mobj *o, const char *name);
struct mobj *model_find(const struct model *m, const char *key);
/* Index the objects added while m->unindexed was set, and clear it. */
void model_index(struct model *m);
/*
 * Put the objects in a canonical order that does not depend on oids: by
 * kind, then children under their parent in the parent's order, then in the
 * order they were added (catalog_load adds them by name, columns by number).
 */
void model_sort(struct model *m);
/* Record that o needs dep first (duplicates and self-references ignored). */
void model_add_dep(struct model *m, struct mobj *o, struct mobj *dep);

/*
 * Write the model as one JSON document: {"version":1, "server_version_num",
 * "objects":[{kind, object, schema, name, parent, attributes{...}}]}. NULL
 * attributes are left out. `unsupported` objects carry "what".
 */
void model_write_json(const struct model *m, FILE *out);

/*
 * Canonical SQL. model_order() lists the objects that are written as
 * statements of their own (columns and the constraints written inside
 * their CREATE TABLE are not), dependencies first: a stable order by kind
 * (schemas, extensions, types, sequences, functions, tables, views,
 * constraints, indexes, triggers, policies, grants) refined by the catalog's
 * dependencies, pg_dump style; a dependency cycle is broken at the object
 * that comes first in that stable order. *out is malloc'd; returns its length.
 */
size_t model_order(const struct model *m, struct mobj ***out);

struct model_sql_file {
	char *name;		/* "10_public.sql", "60_tables.sql" */
	struct buf text;
	size_t objects;
};

/*
 * The model as idempotent SQL (IF NOT EXISTS, OR REPLACE, and
 * DO ... EXCEPTION WHEN duplicate_object guards where PostgreSQL has no
 * IF NOT EXISTS), ordered by model_order(), one file per schema or, with
 * `split`, one per object kind; files are named so that file-name order is
 * a valid order. `c` quotes literals (comments). Returns the number of files;
 * *files is malloc'd, and each name and text is owned by the caller. A
 * dependency that the file order cannot honour is described in `warnings`,
 * one line each.
 */
size_t model_write_sql(const struct model *m, PGconn *c, bool split, struct model_sql_file **files,
		       struct buf *warnings);

#endif
