/*
 * map: a hash map from NUL-terminated string keys to pointers.
 *
 * Open addressing with linear probing, the table kept at most half full.
 * The map owns its table only: keys and values are borrowed, so a key must
 * stay valid (and unchanged) for as long as it is in the map — an arena
 * string is the usual owner. map_release() frees the table; the map is then
 * empty and ready for reuse.
 *
 *	struct map m = MAP_INIT;
 *	map_put(&m, o->key, o);
 *	struct obj *o = map_get(&m, "table\x1fpublic\x1fstores");
 *	map_release(&m);
 */
#ifndef SSOT_MAP_H
#define SSOT_MAP_H

#include <stddef.h>
#include <stdint.h>

struct map_entry {
	const char *key;	/* NULL: an empty slot */
	uint64_t hash;
	void *value;
};

struct map {
	struct map_entry *slots;
	size_t n, cap;		/* cap is 0 or a power of two */
};

#define MAP_INIT { NULL, 0, 0 }

void map_init(struct map *m);
void map_release(struct map *m);
/* The value stored under key, or NULL. */
void *map_get(const struct map *m, const char *key);
/* Store value under key; returns the value it replaces, or NULL. */
void *map_put(struct map *m, const char *key, void *value);
/* Room for n entries in all (no rehash until then): for maps about to take many. */
void map_reserve(struct map *m, size_t n);
/* Store value under key unless the key is present; returns the value in the map. */
void *map_put_new(struct map *m, const char *key, void *value);
/* 64-bit FNV-1a of a string (exposed for callers that want stable hashes). */
uint64_t map_hash(const char *key);

/*
 * imap: the same for nonzero integer keys (catalog oids, an oid and an
 * attnum in one): no key to hash byte by byte or to compare through a
 * pointer, so a lookup reads one slot, where a string map reads the slot
 * and the key. The catalog reader joins its rows through these.
 *
 *	struct imap m = IMAP_INIT;
 *	imap_put(&m, 16384, o);
 *	o = imap_get(&m, 16384);
 *	imap_release(&m);
 */
struct imap_entry {
	uint64_t key;		/* 0: an empty slot */
	void *value;
};

struct imap {
	struct imap_entry *slots;
	size_t n, cap;		/* cap is 0 or a power of two */
};

#define IMAP_INIT { NULL, 0, 0 }

void imap_release(struct imap *m);
/* The value stored under key, or NULL (always NULL for key 0). */
void *imap_get(const struct imap *m, uint64_t key);
/* Store value under key (not 0); returns the value it replaces, or NULL. */
void *imap_put(struct imap *m, uint64_t key, void *value);
/* Room for n entries in all. */
void imap_reserve(struct imap *m, size_t n);

#endif
