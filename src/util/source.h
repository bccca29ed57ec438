/*
 * source: the text of one input file plus a line map.
 *
 * Every position in ssot is a byte offset into a source; it becomes a 1-based
 * line and a 1-based column (counted in characters, UTF-8 aware) only when a
 * diagnostic is rendered. A source owns `path` and `text`; source_release()
 * frees both and the line map. `text` is NUL-terminated (text[len] == '\0').
 */
#ifndef SSOT_SOURCE_H
#define SSOT_SOURCE_H

#include "util/buf.h"

#include <stddef.h>

struct source {
	char *path;		/* as shown to the user (relative to the project root) */
	char *text;
	size_t len;
	size_t *line_starts;	/* byte offset of each line; built lazily */
	size_t nlines;
};

/* Read a whole file. Returns 0, or -1 with a message in err. */
int source_load(struct source *src, const char *display_path, const char *fs_path, struct buf *err);
/* Adopt an in-memory text (copied). */
void source_init_text(struct source *src, const char *display_path, const char *text, size_t len);
void source_release(struct source *src);

/* 1-based line and character column of byte offset `off` (clamped to len). */
void source_linecol(struct source *src, size_t off, int *line, int *col);
/* Byte offset of the start of 1-based `line` (len if past the end). */
size_t source_line_start(struct source *src, int line);
/* Byte range [start, end) of the line holding `off`, without its newline. */
void source_line_span(struct source *src, size_t off, size_t *start, size_t *end);
/* Byte offset of the `nchars`-th character (0-based) counted from byte `from`. */
size_t source_advance_chars(const char *text, size_t len, size_t from, size_t nchars);
/* Number of characters in text[from, to). */
size_t utf8_count(const char *text, size_t from, size_t to);

#endif
