/* Checking MCUboot images as strictly as MCUboot does (and stricter where imgtool is lax). */
#ifndef MCR_IMAGE_VERIFY_H
#define MCR_IMAGE_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hash.h"
#include "image.h"
#include "imgfile.h"

struct mcr_key;

/* An image file split into its parts; structure checked, nothing cryptographic yet. */
struct mcr_image_parsed {
	struct mcr_imgfile file;
	struct mcr_image_header header;
	uint64_t prot_offset;	/* protected area (absent when header.protect_tlv_size is 0) */
	struct mcr_buf prot;	/* its bytes incl. info header */
	uint64_t unprot_offset;
	struct mcr_buf unprot;	/* unprotected area incl. info header */
	uint64_t tlv_end;	/* end of the unprotected area: the image proper */
	bool has_trailer;	/* bytes after tlv_end that end in a valid boot magic */
	unsigned trailer_max_align;
};

/*
 * Opens path and checks its structure: size, magic, header fields, both TLV
 * areas (magic, totals, every entry inside its area), and what follows the
 * TLVs (nothing, or padding ending in a boot trailer magic). Returns 0,
 * MCR_EREFUSED with a message naming path and the first problem, or
 * MCR_EINPUT if the file cannot be read. Release with mcr_image_parsed_release.
 */
int mcr_image_parse(struct mcr_image_parsed *parsed, const char *path);
void mcr_image_parsed_release(struct mcr_image_parsed *parsed);

/* What a successful verification established. */
struct mcr_image_verdict {
	struct mcr_image_header header;
	enum mcr_hash_alg hash_alg;
	unsigned char digest[MCR_HASH_MAX_LEN];
	size_t digest_len;
	bool pure;
	bool signature_checked; /* false when no key was given */
	size_t key_index;	/* which of the keys signed it */
	uint64_t image_len;	/* up to the end of the TLVs */
	uint32_t security_counter;
	bool has_security_counter;
};

/*
 * Verifies path: structure (mcr_image_parse), the hash TLV against the hash
 * region (also in pure mode), no unprotected TLV beyond hash, SIG_PURE, key
 * and signature (anything else is unsigned data an attacker could add), then
 * with keys: a KEYHASH/PUBKEY TLV before the signature naming one of them,
 * and the signature verified with MCUboot's parameters. Without keys only
 * the structure and the hash are checked. Returns 0, MCR_EREFUSED naming
 * path and the first problem, or MCR_EINPUT if unreadable.
 */
int mcr_image_verify_file(const char *path, const struct mcr_key *const *keys, size_t key_count,
			  struct mcr_image_verdict *verdict);

/* Whether a TLV type is a signature (RSA-2048/3072 PSS, ECDSA, Ed25519). */
bool mcr_image_is_signature_tlv(unsigned type);

/*
 * Checks one signature TLV value as MCUboot would: ECDSA may carry imgtool's
 * --pad-sig zero padding after its DER; Ed25519 signs the digest bytes, or
 * message (the hash region) in pure mode. 0 or MCR_EREFUSED (no message).
 */
int mcr_image_verify_signature(const struct mcr_key *key, enum mcr_hash_alg alg,
			       const unsigned char *digest, size_t digest_len,
			       const unsigned char *message, size_t message_len,
			       const unsigned char *sig, size_t sig_len);

#endif
