/*
 * hash: SHA-256 (OpenSSL's libcrypto) as lowercase hex.
 *
 * A `struct hash_ctx` accumulates input for one digest; hash_final() writes
 * 64 hex digits plus NUL into `out` and releases the context.
 */
#ifndef SSOT_HASH_H
#define SSOT_HASH_H

#include <stddef.h>

#define HASH_HEX_LEN 64

struct hash_ctx {
	void *md;		/* EVP_MD_CTX */
};

void hash_init(struct hash_ctx *h);
void hash_update(struct hash_ctx *h, const void *data, size_t n);
void hash_final(struct hash_ctx *h, char out[HASH_HEX_LEN + 1]);
/* One-shot digest of a buffer. */
void hash_sha256_hex(const void *data, size_t n, char out[HASH_HEX_LEN + 1]);

#endif
