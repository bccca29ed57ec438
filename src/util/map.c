#include "util/map.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

void map_init(struct map *m)
{
	m->slots = NULL;
	m->n = m->cap = 0;
}

void map_release(struct map *m)
{
	free(m->slots);
	map_init(m);
}

uint64_t map_hash(const char *key)
{
	uint64_t h = 1469598103934665603ULL;
	for (const unsigned char *s = (const unsigned char *)key; *s; s++) {
		h ^= *s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The slot holding key, or the empty slot where it would go (cap > 0). */
static struct map_entry *find_slot(struct map_entry *slots, size_t cap, const char *key, uint64_t h)
{
	size_t mask = cap - 1;
	/* FNV's low bits depend on the keys' low bits only: fold the high ones in */
	for (size_t i = (size_t)(h ^ (h >> 32) ^ (h >> 17)) & mask;; i = (i + 1) & mask) {
		struct map_entry *e = &slots[i];
		if (!e->key || (e->hash == h && !strcmp(e->key, key)))
			return e;
	}
}

static void resize(struct map *m, size_t cap)
{
	struct map_entry *slots = xcalloc(cap, sizeof(*slots));
	for (size_t i = 0; i < m->cap; i++) {
		struct map_entry *e = &m->slots[i];
		if (e->key)
			*find_slot(slots, cap, e->key, e->hash) = *e;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
}

static void grow(struct map *m)
{
	resize(m, m->cap ? m->cap * 2 : 16);
}

/* The capacity for n entries (the table at most half full), from cap up; both maps' rule. */
static size_t capacity_for(size_t cap, size_t n)
{
	if (!cap)
		cap = 16;
	while (2 * (n + 1) > cap)
		cap *= 2;
	return cap;
}

void map_reserve(struct map *m, size_t n)
{
	size_t cap = capacity_for(m->cap, n);
	if (cap > m->cap)
		resize(m, cap);
}

void *map_get(const struct map *m, const char *key)
{
	if (!m->cap)
		return NULL;
	struct map_entry *e = find_slot(m->slots, m->cap, key, map_hash(key));
	return e->key ? e->value : NULL;
}

static void *put(struct map *m, const char *key, void *value, int replace)
{
	if (2 * (m->n + 1) > m->cap)
		grow(m);
	uint64_t h = map_hash(key);
	struct map_entry *e = find_slot(m->slots, m->cap, key, h);
	if (e->key) {
		void *old = e->value;
		if (replace)
			e->value = value;
		return old;
	}
	e->key = key;
	e->hash = h;
	e->value = value;
	m->n++;
	return replace ? NULL : value;
}

void *map_put(struct map *m, const char *key, void *value)
{
	return put(m, key, value, 1);
}

void *map_put_new(struct map *m, const char *key, void *value)
{
	return put(m, key, value, 0);
}

/* ---- imap ---- */

void imap_release(struct imap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->n = m->cap = 0;
}

/* The slot holding key, or the empty slot where it would go (cap > 0). */
static struct imap_entry *ifind(struct imap_entry *slots, size_t cap, uint64_t key)
{
	size_t mask = cap - 1;
	/* Fibonacci hashing: the product's high bits depend on every bit of the key */
	for (size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 32) & mask;; i = (i + 1) & mask) {
		struct imap_entry *e = &slots[i];
		if (e->key == key || !e->key)
			return e;
	}
}

static void iresize(struct imap *m, size_t cap)
{
	struct imap_entry *slots = xcalloc(cap, sizeof(*slots));
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			*ifind(slots, cap, m->slots[i].key) = m->slots[i];
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
}

void imap_reserve(struct imap *m, size_t n)
{
	size_t cap = capacity_for(m->cap, n);
	if (cap > m->cap)
		iresize(m, cap);
}

void *imap_get(const struct imap *m, uint64_t key)
{
	if (!m->cap || !key)
		return NULL;
	return ifind(m->slots, m->cap, key)->value;
}

void *imap_put(struct imap *m, uint64_t key, void *value)
{
	if (!key)
		return NULL;
	if (2 * (m->n + 1) > m->cap)
		iresize(m, m->cap ? m->cap * 2 : 16);
	struct imap_entry *e = ifind(m->slots, m->cap, key);
	void *old = e->value;
	if (!e->key) {
		e->key = key;
		m->n++;
	}
	e->value = value;
	return old;
}
