/*
 * diag: findings as data, and the renderers that print them.
 *
 * Modules add findings to a `struct diag`; only the command layer renders
 * them. A finding points into a `struct source` by byte span (start, end);
 * the line and column are computed when rendered. A finding may instead name
 * a file without a loaded source (`file`, with `line`/`col` when known), or
 * nothing at all (a database-level finding).
 *
 * Ownership: the diag owns every string of every finding (they are copied on
 * add). Sources are borrowed: whoever added a finding that points at a source
 * keeps that source alive until the diag has been rendered.
 */
#ifndef SSOT_DIAG_H
#define SSOT_DIAG_H

#include "util/buf.h"
#include "util/source.h"
#include "util/vec.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

enum severity { SEV_ERROR, SEV_WARNING, SEV_NOTE };

struct finding {
	char *rule;		/* stable id: "sql-error", "drift", "idempotent-create", ... */
	enum severity severity;
	char *message;		/* one line, no trailing period */
	struct source *src;	/* borrowed; NULL when the finding has no loaded source */
	size_t start, end;	/* byte span in src (end == start: a point) */
	char *file;		/* used when src is NULL */
	int line, col;		/* used when src is NULL; 0 = unknown */
	char *object, *kind, *status, *expected, *actual, *suggestion;
	char *detail, *hint, *sqlstate;	/* PostgreSQL's error fields, when any */
	char *help;		/* longer "why" and "fix" text (shown with -v, SARIF help) */
};

struct diag {
	VEC(struct finding) items;
};

enum diag_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_SARIF, FORMAT_GITHUB };

struct render_opts {
	bool color;
	int verbose;
	const char *command;	/* "apply", "drift", ... for JSON and SARIF */
	const char *tool_version;
	json_t *summary;	/* borrowed; JSON "summary" object, may be NULL */
};

void diag_init(struct diag *d);
void diag_release(struct diag *d);

/*
 * Add a finding; returns it so callers can fill optional fields with
 * diag_set(). `src` may be NULL. Message is printf-style.
 */
struct finding *diag_add(struct diag *d, enum severity sev, const char *rule,
			 struct source *src, size_t start, size_t end,
			 const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* diag_add() with a va_list. */
struct finding *diag_vadd(struct diag *d, enum severity sev, const char *rule,
			  struct source *src, size_t start, size_t end,
			  const char *fmt, va_list ap);
/* Replace one string field of a finding (copied; NULL clears it). */
void diag_set(char **field, const char *value);

size_t diag_count(const struct diag *d, enum severity sev);
/* Position of a finding: file (may be NULL), 1-based line and column (0 = none). */
void finding_position(const struct finding *f, const char **file, int *line, int *col);
const char *severity_name(enum severity sev);

/* Parse "text", "json", "sarif", "github". Returns 0 or -1. */
int diag_parse_format(const char *s, enum diag_format *out);

/*
 * Renderers. Text and GitHub print one block per finding; JSON prints the
 * document of DESIGN.md §3; SARIF prints a 2.1.0 log with one run.
 */
void diag_render_text(struct diag *d, FILE *out, const struct render_opts *o);
void diag_render_json(struct diag *d, FILE *out, const struct render_opts *o);
void diag_render_sarif(struct diag *d, FILE *out, const struct render_opts *o);
void diag_render_github(struct diag *d, FILE *out, const struct render_opts *o);
void diag_render(struct diag *d, enum diag_format fmt, FILE *out, const struct render_opts *o);

#endif
