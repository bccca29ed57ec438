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
	size_t block;		/* bytes per block */
	int debug_malloc;
};

void arena_init(struct arena *a);
/*
 * An arena of blocks of `block` bytes rather than 64 KiB: for memory that
 * lives long beside short-lived malloc() traffic. From 1 MiB up malloc()
 * maps blocks of their own, which cannot split up the heap that the
 * short-lived allocations keep reusing.
 */
void arena_init_blocks(struct arena *a, size_t block);
void arena_release(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);

#endif
