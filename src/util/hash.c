#include "util/hash.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

void hash_init(struct hash_ctx *h)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "ssot: fatal: cannot initialise SHA-256\n");
		abort();
	}
	h->md = md;
}

void hash_update(struct hash_ctx *h, const void *data, size_t n)
{
	if (n)
		EVP_DigestUpdate(h->md, data, n);
}

void hash_final(struct hash_ctx *h, char out[HASH_HEX_LEN + 1])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	static const char hex[] = "0123456789abcdef";

	EVP_DigestFinal_ex(h->md, d, &n);
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
	for (unsigned int i = 0; i < n && i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[HASH_HEX_LEN] = '\0';
}

void hash_sha256_hex(const void *data, size_t n, char out[HASH_HEX_LEN + 1])
{
	struct hash_ctx h;
	hash_init(&h);
	hash_update(&h, data, n);
	hash_final(&h, out);
}
