/*
 * diff: compare two models, object by object and attribute by attribute,
 * and turn every difference into a finding (DESIGN.md §3):
 *
 *   missing  declared (in `desired`), absent from `live`
 *   extra    in `live`, not declared
 *   changed  in both; one finding per differing attribute, with the
 *            attribute named in the message ("column public.t.c: type
 *            differs") and the two values as expected / actual
 *
 * Only catalog-derived text is compared, so equivalent spellings in the
 * files never differ. A missing or extra table is one finding, not one per
 * column: children of a missing or extra parent are left out. Findings are
 * grouped by their top-level object (a table with its columns, constraints,
 * indexes, triggers and policies) and carry, for declared objects, the span
 * of the statement that declared them (see diff_locate). Objects the model
 * does not cover are one note each (kind "unsupported"). The diag owns the
 * findings; the declaring sources are borrowed.
 */
#ifndef SSOT_DIFF_H
#define SSOT_DIFF_H

#include "diag.h"
#include "model.h"
#include "sqlfile.h"
#include "util/vec.h"

#include <stdbool.h>

/* The group (top-level object id) of each finding added; NULL for notes. */
struct diff_groups {
	VEC(char *) v;			/* owned: diff_groups_release() */
};

void diff_groups_release(struct diff_groups *g);

struct diff_opts {
	bool strict_column_order;	/* compare column positions too */
	struct diff_groups *groups;	/* filled when not NULL */
	/*
	 * Phrase the findings as the effect of an apply (apply --dry-run):
	 * rule "dry-run", severity note, "would be created / dropped / changed".
	 * `desired` is then the state after the files ran, `live` before.
	 */
	bool dry_run;
};

struct diff_stats {
	int missing, extra, changed, unsupported;
};

/*
 * Compare and add findings to d. Returns the number of differences
 * (missing + extra + changed; notes not counted); `stats` may be NULL.
 */
int diff_models(const struct model *desired, const struct model *live, const struct diff_opts *o,
		struct diag *d, struct diff_stats *stats);

/*
 * Point the objects of `m` at the statements that declare them in `files`
 * (CREATE TABLE, a column inside it, ALTER TABLE ... ADD COLUMN / ADD
 * CONSTRAINT, CREATE INDEX, CREATE TYPE inside a DO block guard, ...),
 * matched by name through the parse trees. The first declaration wins;
 * an object with none found takes its parent's (a column its table's).
 */
void diff_locate(struct model *m, struct sqlfile *const *files, size_t nfiles);

/*
 * PostgreSQL's default name for an unnamed constraint of `table` on
 * `column` (NULL: none, as for a primary key), with `label` "pkey", "key",
 * "fkey", "check" or "excl": table_column_label, shortened to 63 bytes the
 * way the server does it. Caller frees.
 */
char *diff_default_constraint_name(const char *table, const char *column, const char *label);

#endif
