/* What a signed image says of itself: its digest, its signature, and which trusted key made it. */
#ifndef MCR_VERIFY_IMAGE_H
#define MCR_VERIFY_IMAGE_H

#include <stdbool.h>

#include "hash.h"
#include "version.h"

struct mcr_verify_keys;

/* A plain struct; release with mcr_verify_image_release. */
struct mcr_verify_image {
	char file_sha256[65];   /* of the file as it is (binary or Intel HEX text) */
	const char *digest_alg; /* "sha256", "sha384", "sha512"; NULL if unknown */
	char digest_hex[2 * MCR_HASH_MAX_LEN +
	                1];                 /* the MCUboot digest; "" unless it matches the image */
	char version[MCR_VERSION_TEXT_MAX]; /* from the header */
	char signature_sha256[65];          /* SHA-256 of the signature TLV value (ECDSA: of its
	                                       strict DER, without imgtool's padding); "" if none */
	char signature_twin_sha256[65];     /* ECDSA: of (r, n - s), the same signature; else "" */
	char *key_name;                     /* the trusted key whose signature verifies, or NULL */
	char *key_backend;                  /* its signer's backend; NULL for a --key file */
	bool key_is_dev;                    /* a development key */
	char key_fingerprint[65];
	char reason[48]; /* "" when key signed it; else the image.* reason */
	char *message;   /* why not, naming the image */
};

/*
 * Verifies path (binary, or Intel HEX by its name) as 'imgtool verify' does,
 * with every key of keys, and reads its digest and signature TLV. A verdict
 * of "no" is not an error: it is in out->reason and out->message, and
 * digest_hex is still set when only the key or signature is wrong (the image
 * is intact; who signed it is the question). Returns 0, MCR_EINPUT if path
 * cannot be read, or MCR_ESYS.
 */
int mcr_verify_image_check(struct mcr_verify_image *out, const char *path,
                           const struct mcr_verify_keys *keys);
void mcr_verify_image_release(struct mcr_verify_image *image);

#endif
