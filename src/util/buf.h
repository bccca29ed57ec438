/*
 * buf: a growable byte string, always NUL-terminated.
 *
 * Invariants: `s` is never NULL after buf_init() (it points at a static empty
 * string until the first write), `s[len] == '\0'`, and `len < cap` whenever
 * cap > 0. A buf owns its storage; buf_release() frees it and re-initialises
 * the buf, buf_detach() hands the storage to the caller (free() it).
 *
 * Library functions report errors by appending a one-line, lowercase message
 * to a `struct buf *err` and returning -1.
 */
#ifndef SSOT_BUF_H
#define SSOT_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *s;
	size_t len;
	size_t cap;
};

extern char buf_empty[];
#define BUF_INIT { buf_empty, 0, 0 }

void buf_init(struct buf *b);
void buf_release(struct buf *b);
/* Keep the storage, forget the content. */
void buf_reset(struct buf *b);
/* Make room for at least `extra` more bytes. */
void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t n);
void buf_adds(struct buf *b, const char *s);
/* A string literal, its length known at compile time. */
#define BUF_LIT(b, lit) buf_add((b), "" lit, sizeof(lit) - 1)
void buf_addch(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Shorten to `len` bytes (len <= b->len). */
void buf_setlen(struct buf *b, size_t len);
/* Remove trailing whitespace (newlines from libpq messages, say). */
void buf_rtrim(struct buf *b);
/*
 * v in decimal, written at the end of `out`; returns where it starts.
 * Without printf, for keys and numbers built by the ten thousand.
 */
#define FMT_DECIMAL_LEN 24
const char *fmt_decimal(long long v, char out[FMT_DECIMAL_LEN]);
/* Return the storage (malloc'd, caller frees) and re-initialise the buf. */
char *buf_detach(struct buf *b);

#endif
