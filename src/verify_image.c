/* The image side of verify: 'imgtool verify' with the trusted keys, plus the digest and the
 * signature TLV that the log's records are compared with. */
#include "verify_image.h"

#include "error.h"
#include "image_verify.h"
#include "key.h"
#include "tlv.h"
#include "verify_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The refusals after which the hash TLV is known to match the image: only the signer is in doubt.
 */
static bool digest_holds(const char *reason)
{
	static const char *const after_hash[] = {"image.unsigned", "image.no_key_tlv",
	                                         "image.unknown_key", "image.bad_signature"};

	for (size_t i = 0; i < sizeof(after_hash) / sizeof(after_hash[0]); i++)
		if (!strcmp(reason, after_hash[i]))
			return true;
	return false;
}

static bool is_sig_tlv(unsigned type)
{
	return type == MCR_TLV_RSA2048_PSS || type == MCR_TLV_ECDSA_SIG ||
	       type == MCR_TLV_RSA3072_PSS || type == MCR_TLV_ED25519;
}

/*
 * The SHA-256 of the signature TLV value, as the release job records it in
 * sign.completed: comparing it tells this signature from another one over the
 * same digest (ECDSA and RSA-PSS signatures differ every time).
 */
static int signature_sha256(char *hex, const char *path)
{
	struct mcr_image_parsed parsed;
	struct mcr_tlv_iter iter;
	struct mcr_tlv_entry e;
	int ret;

	hex[0] = '\0';
	if ((ret = mcr_image_parse(&parsed, path)) < 0)
		goto out;
	mcr_tlv_iter_init(&iter, parsed.unprot.data, parsed.unprot.len);
	while ((ret = mcr_tlv_next(&iter, &e)) > 0)
		if (is_sig_tlv(e.type)) {
			ret = mcr_hash_sha256_hex(hex, e.value, e.len);
			break;
		}
out:
	mcr_image_parsed_release(&parsed);
	return ret < 0 ? ret : 0;
}

static int file_sha256(char *hex, const char *path)
{
	unsigned char digest[32];
	int ret;

	if ((ret = mcr_hash_file(MCR_HASH_SHA256, path, digest)) == 0)
		mcr_hex_encode(hex, digest, sizeof(digest));
	return ret;
}

/* The verdict of mcr_image_verify_file: a key, or a refusal kept as data. */
static int keep_verdict(struct mcr_verify_image *out, int ret, const struct mcr_image_verdict *v,
                        const struct mcr_verify_keys *keys)
{
	if (ret == 0) {
		const struct mcr_verify_key *k = &keys->items[v->key_index];

		out->key_is_dev = k->is_dev;
		memcpy(out->key_fingerprint, k->fingerprint, sizeof(out->key_fingerprint));
		if (!(out->key_name = strdup(k->name)) ||
		    (k->backend && !(out->key_backend = strdup(k->backend))))
			return mcr_error(MCR_ESYS, "out of memory");
		return 0;
	}
	if (ret != MCR_EREFUSED)
		return ret;
	/* a copy: the error module keeps the last reason only until the next error */
	snprintf(out->reason, sizeof(out->reason), "%s",
	         mcr_error_reason() ? mcr_error_reason() : "image.bad_signature");
	if (!(out->message = strdup(mcr_error_message())))
		return mcr_error(MCR_ESYS, "out of memory");
	mcr_error_clear();
	return 0;
}

int mcr_verify_image_check(struct mcr_verify_image *out, const char *path,
                           const struct mcr_verify_keys *keys)
{
	const struct mcr_key *list[MCR_VERIFY_KEYS_MAX];
	struct mcr_image_verdict v;
	int ret;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < keys->count; i++)
		list[i] = keys->items[i].key;
	if ((ret = file_sha256(out->file_sha256, path)) < 0)
		return ret;
	ret = mcr_image_verify_file(path, list, keys->count, &v);
	if (keys->count == 0 && ret == 0)
		ret = mcr_refuse("image.unknown_key", "no trusted key to check image '%s' with",
		                 path);
	if ((ret = keep_verdict(out, ret, &v, keys)) < 0)
		return ret;
	if (out->reason[0] && !digest_holds(out->reason))
		return 0; /* the image is damaged: its digest says nothing */
	out->digest_alg = mcr_hash_name(v.hash_alg);
	mcr_hex_encode(out->digest_hex, v.digest, v.digest_len);
	mcr_version_format(out->version, &v.header.version);
	return signature_sha256(out->signature_sha256, path);
}

void mcr_verify_image_release(struct mcr_verify_image *image)
{
	free(image->message);
	free(image->key_name);
	free(image->key_backend);
	memset(image, 0, sizeof(*image));
}
