#include "util/source.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int source_load(struct source *src, const char *display_path, const char *fs_path, struct buf *err)
{
	FILE *f = fopen(fs_path, "rb");
	if (!f) {
		buf_printf(err, "cannot open %s: %s", display_path, strerror(errno));
		return -1;
	}
	struct buf text = BUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&text, chunk, n);
	int failed = ferror(f);
	fclose(f);
	if (failed) {
		buf_printf(err, "cannot read %s", display_path);
		buf_release(&text);
		return -1;
	}
	memset(src, 0, sizeof(*src));
	src->path = xstrdup(display_path);
	src->len = text.len;
	src->text = buf_detach(&text);
	return 0;
}

void source_init_text(struct source *src, const char *display_path, const char *text, size_t len)
{
	memset(src, 0, sizeof(*src));
	src->path = xstrdup(display_path);
	src->text = xstrndup(text, len);
	src->len = strlen(src->text);
}

void source_release(struct source *src)
{
	free(src->path);
	free(src->text);
	free(src->line_starts);
	memset(src, 0, sizeof(*src));
}

/* The line map, built on first use: memchr finds the newlines a vector at a time. */
static void build_lines(struct source *src)
{
	if (src->line_starts)
		return;
	const char *t = src->text, *end = t + src->len, *nl;
	size_t n = 1;
	for (const char *p = t; (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1)
		n++;
	src->line_starts = xmalloc(n * sizeof(size_t));
	src->line_starts[0] = 0;
	size_t k = 1;
	for (const char *p = t; (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1)
		src->line_starts[k++] = (size_t)(nl - t) + 1;
	src->nlines = n;
}

size_t utf8_count(const char *text, size_t from, size_t to)
{
	size_t n = 0;
	for (size_t i = from; i < to; i++)
		if (((unsigned char)text[i] & 0xC0) != 0x80)
			n++;
	return n;
}

size_t source_advance_chars(const char *text, size_t len, size_t from, size_t nchars)
{
	size_t i = from;
	while (i < len && nchars > 0) {
		i++;
		while (i < len && ((unsigned char)text[i] & 0xC0) == 0x80)
			i++;
		nchars--;
	}
	return i;
}

void source_linecol(struct source *src, size_t off, int *line, int *col)
{
	build_lines(src);
	if (off > src->len)
		off = src->len;
	size_t lo = 0, hi = src->nlines;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (src->line_starts[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	*line = (int)lo + 1;
	*col = (int)utf8_count(src->text, src->line_starts[lo], off) + 1;
}

size_t source_line_start(struct source *src, int line)
{
	build_lines(src);
	if (line < 1)
		return 0;
	if ((size_t)line > src->nlines)
		return src->len;
	return src->line_starts[line - 1];
}

void source_line_span(struct source *src, size_t off, size_t *start, size_t *end)
{
	int line, col;
	source_linecol(src, off, &line, &col);
	*start = src->line_starts[line - 1];
	size_t e = *start;
	while (e < src->len && src->text[e] != '\n')
		e++;
	if (e > *start && src->text[e - 1] == '\r')
		e--;
	*end = e;
}
