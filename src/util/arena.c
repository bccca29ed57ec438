#include "util/arena.h"
#include "util/xalloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

#define ARENA_BLOCK 65536

void arena_init(struct arena *a)
{
	arena_init_blocks(a, ARENA_BLOCK);
}

/* SSOT_ARENA_MALLOC, read once (arenas are made by the thousand: one per function body linted). */
static int debug_malloc;
static pthread_once_t debug_once = PTHREAD_ONCE_INIT;

static void read_debug_malloc(void)
{
	const char *e = getenv("SSOT_ARENA_MALLOC");
	debug_malloc = e && *e && strcmp(e, "0") != 0;
}

void arena_init_blocks(struct arena *a, size_t block)
{
	pthread_once(&debug_once, read_debug_malloc);
	a->head = NULL;
	a->block = block;
	a->debug_malloc = debug_malloc;
}

void arena_release(struct arena *a)
{
	struct arena_block *b = a->head;
	while (b) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
}

static struct arena_block *new_block(struct arena *a, size_t cap)
{
	struct arena_block *b = xmalloc(sizeof(*b) + cap);
	b->used = 0;
	b->cap = cap;
	b->next = a->head;
	a->head = b;
	return b;
}

/* n bytes, 16-byte aligned, not cleared. */
static void *alloc_raw(struct arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (!n)
		n = 16;
	struct arena_block *b = a->head;
	if (a->debug_malloc || n > a->block / 4) {
		/* a block of its own, linked behind the current one */
		struct arena_block *own = xmalloc(sizeof(*own) + n);
		own->used = own->cap = n;
		if (b) {
			own->next = b->next;
			b->next = own;
		} else {
			own->next = NULL;
			a->head = own;
		}
		return own->data;
	}
	if (!b || b->cap - b->used < n)
		b = new_block(a, a->block);
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

void *arena_alloc(struct arena *a, size_t n)
{
	void *p = alloc_raw(a, n);
	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = alloc_raw(a, len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}
