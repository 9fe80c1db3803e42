/* Vault Transit's wire format: sign requests for MCUboot's key types, replies, errors. */
#ifndef MCR_VAULT_TRANSIT_H
#define MCR_VAULT_TRANSIT_H

#include <stddef.h>

struct mcr_buf;
struct mcr_key;
struct mcr_sign_input;

/*
 * Appends the Transit sign request for in to path ("/v1/<mount>/sign/<key>",
 * plus "/sha2-256" or "/sha2-384" except for Ed25519) and body (canonical
 * JSON): ECDSA and RSA send the prehashed digest, ECDSA asks for DER
 * ("asn1"), RSA for PSS with a salt as long as the hash (MCUboot's 32 bytes),
 * Ed25519 sends in->message as the message itself. key_version 0: latest.
 */
int mcr_vault_transit_sign_request(struct mcr_buf *path, struct mcr_buf *body, const char *mount,
				   const char *key_name, long long key_version,
				   const struct mcr_sign_input *in);

/*
 * Decodes a sign reply {"data":{"signature":"vault:vN:BASE64"}}: appends the
 * signature bytes to sig and sets *key_version to N. A reply that is not
 * JSON, lacks the prefix, is not base64, says Vault ignored a parameter, or
 * names another version than want_version (if not 0) is MCR_ESIGNER naming
 * signer_name.
 */
int mcr_vault_transit_parse_sign(struct mcr_buf *sig, long long *key_version, const void *reply,
				 size_t reply_len, long long want_version, const char *signer_name);

/*
 * Decodes a read-key reply: the public key (PEM, or base64 for Ed25519) of
 * want_version, or of the latest version if 0, and that version. The key's
 * type must be one MCUboot verifies. MCR_ESIGNER naming signer_name (and
 * key_url for a malformed key) otherwise. The caller frees *out.
 */
int mcr_vault_transit_parse_key(struct mcr_key **out, long long *key_version, const void *reply,
				size_t reply_len, long long want_version, const char *signer_name,
				const char *key_url);

/*
 * Writes the first of Vault's {"errors":[...]} to out as one printable line
 * of at most 200 characters, with any occurrence of token replaced by
 * "[redacted]"; "" if the reply carries none.
 */
void mcr_vault_transit_error_text(char *out, size_t out_size, const void *reply,
				  size_t reply_len, const struct mcr_buf *token);

#endif
