/* The image side of verify: 'imgtool verify' with the trusted keys, plus the digest and the
 * signature TLV that the log's records are compared with. */
#include "verify_image.h"

#include "error.h"
#include "image_verify.h"
#include "key.h"
#include "tlv.h"
#include "verify_keys.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
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

static int der_sha256(char *hex, const ECDSA_SIG *sig)
{
	unsigned char *der = NULL;
	int len = i2d_ECDSA_SIG(sig, &der), ret;

	if (len <= 0)
		return mcr_error_openssl(MCR_ESYS, "cannot DER-encode an ECDSA signature");
	ret = mcr_hash_sha256_hex(hex, der, (size_t)len);
	OPENSSL_free(der);
	return ret;
}

/* (r, s) as strict DER, and its twin (r, n - s) with n the order of the key's curve. */
static int ecdsa_sha256(struct mcr_verify_image *out, enum mcr_key_type type,
                        const unsigned char *value, size_t len)
{
	const unsigned char *p = value;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len); /* stops at imgtool's padding */
	EC_GROUP *group = EC_GROUP_new_by_curve_name(type == MCR_KEY_P256 ? NID_X9_62_prime256v1
	                                                                  : NID_secp384r1);
	const BIGNUM *r0, *s0;
	BIGNUM *r = NULL, *twin = NULL;
	int ret;

	if (!sig || !group) {
		ret = mcr_error_openssl(MCR_ESYS, "cannot read the ECDSA signature of a verified "
		                                  "image");
		goto out;
	}
	ECDSA_SIG_get0(sig, &r0, &s0);
	if ((ret = der_sha256(out->signature_sha256, sig)) < 0)
		goto out;
	if (!(r = BN_dup(r0)) || !(twin = BN_new()) ||
	    !BN_sub(twin, EC_GROUP_get0_order(group), s0) || !ECDSA_SIG_set0(sig, r, twin)) {
		ret = mcr_error_openssl(MCR_ESYS, "cannot compute an ECDSA signature's twin");
		goto out;
	}
	r = twin = NULL; /* sig owns them now */
	ret = der_sha256(out->signature_twin_sha256, sig);
out:
	BN_free(r);
	BN_free(twin);
	EC_GROUP_free(group);
	ECDSA_SIG_free(sig);
	return ret;
}

/*
 * The SHA-256s a record may hold of the image's signature. The release job hashes the TLV
 * value its signer returned, strict DER for ECDSA (sign.completed signature.sha256). Anyone
 * holding the image can derive another valid value of the same signature, without the key:
 * zero padding after the DER (imgtool --pad-sig; MCUboot ignores it) or (r, n - s) for
 * (r, s). So an ECDSA signature verified with key is hashed as strict DER of both (r, s) and
 * (r, n - s), and a record of either is this signature; RSA-PSS (exactly the modulus length)
 * and Ed25519 (exactly 64 bytes, s < L) values have one valid encoding and are hashed as they
 * are, as is any value no key verified. Only a second use of the key makes another signature.
 */
static int signature_sha256(struct mcr_verify_image *out, const char *path,
                            const struct mcr_key *key)
{
	struct mcr_image_parsed parsed;
	struct mcr_tlv_iter iter;
	struct mcr_tlv_entry e;
	bool is_ecdsa =
	        key && (mcr_key_type(key) == MCR_KEY_P256 || mcr_key_type(key) == MCR_KEY_P384);
	int ret;

	out->signature_sha256[0] = out->signature_twin_sha256[0] = '\0';
	if ((ret = mcr_image_parse(&parsed, path)) < 0)
		goto out;
	mcr_tlv_iter_init(&iter, parsed.unprot.data, parsed.unprot.len);
	while ((ret = mcr_tlv_next(&iter, &e)) > 0)
		if (mcr_image_is_signature_tlv(e.type)) {
			ret = is_ecdsa && e.type == MCR_TLV_ECDSA_SIG
			              ? ecdsa_sha256(out, mcr_key_type(key), e.value, e.len)
			              : mcr_hash_sha256_hex(out->signature_sha256, e.value, e.len);
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
	return signature_sha256(out, path, out->reason[0] ? NULL : keys->items[v.key_index].key);
}

void mcr_verify_image_release(struct mcr_verify_image *image)
{
	free(image->message);
	free(image->key_name);
	free(image->key_backend);
	memset(image, 0, sizeof(*image));
}
