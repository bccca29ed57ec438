#include "util/source.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The whole file in one buffer of the size fstat() reports (plus the NUL),
 * read with read(2): no stdio buffer to copy through, no buffer regrown as
 * it fills. A file that grows while it is read is read to its end.
 */
int source_load(struct source *src, const char *display_path, const char *fs_path, struct buf *err)
{
	int fd = open(fs_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		buf_printf(err, "cannot open %s: %s", display_path, strerror(errno));
		return -1;
	}
	struct stat st;
	/* Room for the NUL and one byte more: the read that finds the end needs no larger buffer. */
	size_t cap = fstat(fd, &st) == 0 && st.st_size > 0 ? (size_t)st.st_size + 2 : 4096;
	char *text = xmalloc(cap);
	size_t len = 0;
	for (;;) {
		if (len + 1 == cap) {
			cap *= 2;
			text = xrealloc(text, cap);
		}
		ssize_t n = read(fd, text + len, cap - 1 - len);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_printf(err, "cannot read %s: %s", display_path, strerror(errno));
			close(fd);
			free(text);
			return -1;
		}
		break;
	}
	close(fd);
	text[len] = '\0';
	memset(src, 0, sizeof(*src));
	src->path = xstrdup(display_path);
	src->len = len;
	src->text = text;
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
