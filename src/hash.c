/* Digests through OpenSSL EVP (SHA-NI where the CPU has it). */
#include "hash.h"

#include "buf.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

struct mcr_hash {
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
};

size_t mcr_hash_len(enum mcr_hash_alg alg)
{
	switch (alg) {
	case MCR_HASH_SHA384:
		return 48;
	case MCR_HASH_SHA512:
		return 64;
	default:
		return 32;
	}
}

const char *mcr_hash_name(enum mcr_hash_alg alg)
{
	switch (alg) {
	case MCR_HASH_SHA384:
		return "sha384";
	case MCR_HASH_SHA512:
		return "sha512";
	default:
		return "sha256";
	}
}

int mcr_hash_parse(enum mcr_hash_alg *out, const char *name)
{
	if (!strncmp(name, "sha-", 4) || !strncmp(name, "SHA-", 4))
		name += 4;
	else if (!strncmp(name, "sha", 3) || !strncmp(name, "SHA", 3))
		name += 3;
	if (!strcmp(name, "256"))
		*out = MCR_HASH_SHA256;
	else if (!strcmp(name, "384"))
		*out = MCR_HASH_SHA384;
	else if (!strcmp(name, "512"))
		*out = MCR_HASH_SHA512;
	else
		return MCR_EINPUT;
	return 0;
}

/*
 * Fetched once per process: OpenSSL 3 looks a legacy EVP_sha256() up again on
 * every init (about 3x the cost of a small digest). Kept for the process's
 * life; the program is single-threaded where it hashes through this.
 */
static const EVP_MD *evp_md(enum mcr_hash_alg alg)
{
	static EVP_MD *fetched[3];
	static const char *const names[3] = {"SHA256", "SHA384", "SHA512"};
	int i = alg == MCR_HASH_SHA384 ? 1 : alg == MCR_HASH_SHA512 ? 2 : 0;

	if (!fetched[i])
		fetched[i] = EVP_MD_fetch(NULL, names[i], NULL);
	return fetched[i];
}

int mcr_hash_new(struct mcr_hash **out, enum mcr_hash_alg alg)
{
	struct mcr_hash *hash = calloc(1, sizeof(*hash));

	*out = NULL;
	if (!hash)
		return mcr_error(MCR_ESYS, "out of memory");
	hash->md = evp_md(alg);
	hash->ctx = EVP_MD_CTX_new();
	if (!hash->ctx || EVP_DigestInit_ex(hash->ctx, hash->md, NULL) != 1) {
		mcr_hash_free(hash);
		return mcr_error_openssl(MCR_ESYS, "cannot start a %s digest", mcr_hash_name(alg));
	}
	*out = hash;
	return 0;
}

int mcr_hash_update(struct mcr_hash *hash, const void *data, size_t len)
{
	if (EVP_DigestUpdate(hash->ctx, data, len) != 1)
		return mcr_error_openssl(MCR_ESYS, "digest update failed");
	return 0;
}

int mcr_hash_final(struct mcr_hash *hash, unsigned char *digest)
{
	if (EVP_DigestFinal_ex(hash->ctx, digest, NULL) != 1)
		return mcr_error_openssl(MCR_ESYS, "digest failed");
	return 0;
}

int mcr_hash_reset(struct mcr_hash *hash)
{
	if (EVP_DigestInit_ex(hash->ctx, hash->md, NULL) != 1)
		return mcr_error_openssl(MCR_ESYS, "cannot restart a digest");
	return 0;
}

void mcr_hash_free(struct mcr_hash *hash)
{
	if (!hash)
		return;
	EVP_MD_CTX_free(hash->ctx);
	free(hash);
}

int mcr_hash_buffer(enum mcr_hash_alg alg, const void *data, size_t len, unsigned char *digest)
{
	if (EVP_Digest(data, len, digest, NULL, evp_md(alg), NULL) != 1)
		return mcr_error_openssl(MCR_ESYS, "digest failed");
	return 0;
}

int mcr_hash_sha256_hex(char *hex, const void *data, size_t len)
{
	unsigned char digest[32];
	int ret;

	if ((ret = mcr_hash_buffer(MCR_HASH_SHA256, data, len, digest)) < 0)
		return ret;
	mcr_hex_encode(hex, digest, sizeof(digest));
	return 0;
}

int mcr_hash_file(enum mcr_hash_alg alg, const char *path, unsigned char *digest)
{
	unsigned char block[64 * 1024];
	struct mcr_hash *hash = NULL;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mcr_error_errno(MCR_EINPUT, "cannot open '%s'", path);
	if ((ret = mcr_hash_new(&hash, alg)) < 0)
		goto out;
	for (;;) {
		ssize_t n = read(fd, block, sizeof(block));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = mcr_error_errno(MCR_ESYS, "cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		if ((ret = mcr_hash_update(hash, block, (size_t)n)) < 0)
			goto out;
	}
	ret = mcr_hash_final(hash, digest);
out:
	mcr_hash_free(hash);
	close(fd);
	return ret;
}
