/*
 * arena: memory for things that are freed together (a schema model, an
 * unpacked parse tree).
 *
 * arena_alloc() returns zeroed, 16-byte aligned memory owned by the arena;
 * arena_release() frees all of it at once. With SSOT_ARENA_MALLOC=1 in the
 * environment each allocation is a separate malloc() so AddressSanitizer and
 * valgrind see every object on its own.
 */
#ifndef SSOT_ARENA_H
#define SSOT_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
	int debug_malloc;
};

void arena_init(struct arena *a);
void arena_release(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);

#endif
