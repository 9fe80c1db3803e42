/* Digests: SHA-256/384/512 through OpenSSL EVP, one-shot or streamed. */
#ifndef MCR_HASH_H
#define MCR_HASH_H

#include <stddef.h>

enum mcr_hash_alg {
	MCR_HASH_SHA256,
	MCR_HASH_SHA384,
	MCR_HASH_SHA512,
};

#define MCR_HASH_MAX_LEN 64

/* 32, 48 or 64. */
size_t mcr_hash_len(enum mcr_hash_alg alg);
/* "sha256", "sha384", "sha512". */
const char *mcr_hash_name(enum mcr_hash_alg alg);
/* Parses "sha256"/"256"/"sha-256" (and 384, 512). MCR_EINPUT without a message otherwise. */
int mcr_hash_parse(enum mcr_hash_alg *out, const char *name);

/* A streaming digest; opaque because it owns an EVP context. */
struct mcr_hash;

int mcr_hash_new(struct mcr_hash **out, enum mcr_hash_alg alg);
int mcr_hash_update(struct mcr_hash *hash, const void *data, size_t len);
/* Writes mcr_hash_len bytes to digest; the context can then be reused after mcr_hash_reset. */
int mcr_hash_final(struct mcr_hash *hash, unsigned char *digest);
int mcr_hash_reset(struct mcr_hash *hash);
void mcr_hash_free(struct mcr_hash *hash);

/* One-shot digest of data. */
int mcr_hash_buffer(enum mcr_hash_alg alg, const void *data, size_t len, unsigned char *digest);

/* SHA-256 of data as 64 lowercase hex digits into hex (65 bytes). */
int mcr_hash_sha256_hex(char *hex, const void *data, size_t len);

/* Streams path through alg with a fixed buffer; the message of a failure names path. */
int mcr_hash_file(enum mcr_hash_alg alg, const char *path, unsigned char *digest);

#endif
