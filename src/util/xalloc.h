/*
 * xalloc: allocation that never returns NULL.
 *
 * Out of memory is not a condition this program can recover from, so these
 * wrappers print a message and abort; callers never check for NULL.
 * Everything returned is owned by the caller and released with free().
 */
#ifndef SSOT_XALLOC_H
#define SSOT_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh allocation. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
