/* MCUboot signing keys: types, public-key encodings, fingerprints, and signatures with MCUboot's exact parameters. */
#ifndef MCR_KEY_H
#define MCR_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include "hash.h"

struct mcr_buf;

/* The five key types MCUboot verifies. */
enum mcr_key_type {
	MCR_KEY_RSA2048,
	MCR_KEY_RSA3072,
	MCR_KEY_P256,
	MCR_KEY_P384,
	MCR_KEY_ED25519,
};

/* How a signer returned an ECDSA signature. */
enum mcr_sig_format {
	MCR_SIG_AUTO, /* exactly 2*field bytes is raw r||s, anything else must be DER */
	MCR_SIG_DER,
	MCR_SIG_RAW,
};

/* A public key, and its private half when loaded from a private PEM. Opaque: owns an EVP_PKEY. */
struct mcr_key;

/*
 * Loads a PEM file holding a private key (PKCS#8 or traditional) or a public
 * key (SubjectPublicKeyInfo, or PKCS#1 for RSA). Encrypted keys are refused
 * (nothing ever prompts). MCR_EINPUT naming path for an unreadable file, a
 * file that holds no key, or a key type MCUboot cannot verify.
 */
int mcr_key_load_pem(struct mcr_key **out, const char *path);
/* As mcr_key_load_pem, from memory; subject names the source in messages. */
int mcr_key_from_pem(struct mcr_key **out, const void *pem, size_t pem_len, const char *subject);
/* A public key from MCUboot's public key bytes (PKCS#1 DER for RSA, SPKI DER otherwise) or any SPKI DER. */
int mcr_key_from_public_bytes(struct mcr_key **out, const unsigned char *der, size_t der_len,
			      const char *subject);
/* An RSA public key from its big-endian modulus and exponent (PKCS#11 CKA_MODULUS, CKA_PUBLIC_EXPONENT). */
int mcr_key_from_rsa_public(struct mcr_key **out, const unsigned char *n, size_t n_len,
			    const unsigned char *e, size_t e_len, const char *subject);
/*
 * A P-256/P-384 or Ed25519 public key from its point: an uncompressed EC
 * point (04||X||Y) or 32 Ed25519 bytes, bare or wrapped in a DER OCTET STRING
 * (tokens differ: PKCS#11 says wrapped, some store it bare).
 */
int mcr_key_from_point(struct mcr_key **out, enum mcr_key_type type, const unsigned char *point,
		       size_t point_len, const char *subject);

/* A public-only copy of key (never carries the private half). */
int mcr_key_public_copy(struct mcr_key **out, const struct mcr_key *key);
void mcr_key_free(struct mcr_key *key);

enum mcr_key_type mcr_key_type(const struct mcr_key *key);
bool mcr_key_has_private(const struct mcr_key *key);

/* "rsa-2048", "rsa-3072", "ecdsa-p256", "ecdsa-p384", "ed25519". */
const char *mcr_key_type_name(enum mcr_key_type type);
/* Parses the names above. MCR_EINPUT without a message otherwise. */
int mcr_key_type_parse(enum mcr_key_type *out, const char *name);
/* Security strength in bits (SP 800-57): 112, 128, 128, 192, 128. */
unsigned mcr_key_strength_bits(enum mcr_key_type type);
/* The signature TLV type: 0x20, 0x23, 0x22, 0x22, 0x24. */
unsigned mcr_key_sig_tlv(enum mcr_key_type type);
/* The image hash imgtool picks for the key by default (--sha auto). */
enum mcr_hash_alg mcr_key_default_hash(enum mcr_key_type type);
/*
 * Whether imgtool allows image hash alg with this key (RSA and P-256: SHA-256;
 * P-384: SHA-384; Ed25519: SHA-256 or SHA-512). public_only relaxes P-256 to
 * SHA-512 as imgtool does for --fix-sig-pubkey.
 */
bool mcr_key_allows_hash(enum mcr_key_type type, enum mcr_hash_alg alg, bool public_only);
/* Largest signature TLV value the key type produces (for size checks before signing). */
size_t mcr_key_max_sig_len(enum mcr_key_type type);

/* Appends the key's public bytes as MCUboot embeds them (imgtool getpub -e raw). */
int mcr_key_public_bytes(const struct mcr_key *key, struct mcr_buf *out);
/* Appends the SubjectPublicKeyInfo PEM (imgtool getpub -e pem). */
int mcr_key_public_pem(const struct mcr_key *key, struct mcr_buf *out);
/* SHA-256 of the public bytes as 64 hex digits (= imgtool getpubhash); hex has 65 bytes. */
int mcr_key_fingerprint(const struct mcr_key *key, char *hex);
/* True if both hold the same public key. */
bool mcr_key_same_public(const struct mcr_key *a, const struct mcr_key *b);

/*
 * Signs with the private key as MCUboot verifies: RSA-PSS (SHA-256, MGF1-SHA-256,
 * salt 32) and ECDSA over digest (DER out); Ed25519 over message (for images
 * the message is the digest bytes themselves). The unused input may be NULL.
 * Appends the signature TLV value to sig. MCR_EUSAGE if the key is public-only.
 */
int mcr_key_sign(const struct mcr_key *key, const unsigned char *digest, size_t digest_len,
		 const unsigned char *message, size_t message_len, struct mcr_buf *sig);

/*
 * Verifies sig with MCUboot's exact parameters (PSS salt exactly 32, strict
 * DER for ECDSA, plain Ed25519 over message). digest must have the length of
 * the key's hash (32 for RSA/P-256, 48 for P-384). Returns 0, or
 * MCR_EREFUSED (no message recorded) if it does not verify.
 */
int mcr_key_verify(const struct mcr_key *key, const unsigned char *digest, size_t digest_len,
		   const unsigned char *message, size_t message_len, const unsigned char *sig,
		   size_t sig_len);

/*
 * Turns a signer's reply into the signature TLV value: ECDSA raw r||s becomes
 * minimal DER (DER is checked to be strict), RSA must be exactly the modulus
 * length, Ed25519 exactly 64 bytes. MCR_ESIGNER naming subject otherwise.
 */
int mcr_key_normalize_signature(struct mcr_buf *out, enum mcr_key_type type,
				enum mcr_sig_format format, const unsigned char *sig, size_t sig_len,
				const char *subject);

#endif
