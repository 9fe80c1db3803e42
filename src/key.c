/* MCUboot keys on OpenSSL 3: loading, MCUboot's public-key encodings, and signatures with its exact parameters. */
#include "key.h"

#include "buf.h"
#include "error.h"
#include "fileio.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#define PEM_MAX_LEN (64 * 1024)
#define PSS_SALT_LEN 32 /* MCUboot's image_rsa.c accepts exactly this salt length */

struct mcr_key {
	EVP_PKEY *pkey;
	enum mcr_key_type type;
	bool has_private;
};

static const struct {
	const char *name;
	unsigned strength_bits;
	unsigned sig_tlv;
	enum mcr_hash_alg hash;
	size_t max_sig_len;
} key_info[] = {
	[MCR_KEY_RSA2048] = {"rsa-2048", 112, 0x20, MCR_HASH_SHA256, 256},
	[MCR_KEY_RSA3072] = {"rsa-3072", 128, 0x23, MCR_HASH_SHA256, 384},
	[MCR_KEY_P256] = {"ecdsa-p256", 128, 0x22, MCR_HASH_SHA256, 72},
	[MCR_KEY_P384] = {"ecdsa-p384", 192, 0x22, MCR_HASH_SHA384, 104},
	[MCR_KEY_ED25519] = {"ed25519", 128, 0x24, MCR_HASH_SHA256, 64},
};

const char *mcr_key_type_name(enum mcr_key_type type)
{
	return key_info[type].name;
}

int mcr_key_type_parse(enum mcr_key_type *out, const char *name)
{
	for (size_t i = 0; i < sizeof(key_info) / sizeof(key_info[0]); i++) {
		if (!strcmp(key_info[i].name, name)) {
			*out = (enum mcr_key_type)i;
			return 0;
		}
	}
	return MCR_EINPUT;
}

unsigned mcr_key_strength_bits(enum mcr_key_type type)
{
	return key_info[type].strength_bits;
}

unsigned mcr_key_sig_tlv(enum mcr_key_type type)
{
	return key_info[type].sig_tlv;
}

enum mcr_hash_alg mcr_key_default_hash(enum mcr_key_type type)
{
	return key_info[type].hash;
}

size_t mcr_key_max_sig_len(enum mcr_key_type type)
{
	return key_info[type].max_sig_len;
}

bool mcr_key_allows_hash(enum mcr_key_type type, enum mcr_hash_alg alg, bool public_only)
{
	switch (type) {
	case MCR_KEY_P256:
		/* imgtool's table lets an EC public key pick SHA-512, a private one not. */
		return alg == MCR_HASH_SHA256 || (public_only && alg == MCR_HASH_SHA512);
	case MCR_KEY_P384:
		return alg == MCR_HASH_SHA384;
	case MCR_KEY_ED25519:
		return alg == MCR_HASH_SHA256 || alg == MCR_HASH_SHA512;
	default:
		return alg == MCR_HASH_SHA256;
	}
}

enum mcr_key_type mcr_key_type(const struct mcr_key *key)
{
	return key->type;
}

bool mcr_key_has_private(const struct mcr_key *key)
{
	return key->has_private;
}

void mcr_key_free(struct mcr_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

/* Classifies pkey and takes ownership of it (freed on failure too). */
static int wrap_pkey(struct mcr_key **out, EVP_PKEY *pkey, bool has_private, const char *subject)
{
	struct mcr_key *key = calloc(1, sizeof(*key));
	char group[64] = "";
	int ret = 0;

	*out = NULL;
	if (!key) {
		EVP_PKEY_free(pkey);
		return mcr_error(MCR_ESYS, "out of memory");
	}
	key->pkey = pkey;
	key->has_private = has_private;
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		if (EVP_PKEY_get_bits(pkey) == 2048)
			key->type = MCR_KEY_RSA2048;
		else if (EVP_PKEY_get_bits(pkey) == 3072)
			key->type = MCR_KEY_RSA3072;
		else
			ret = mcr_error(MCR_EINPUT,
					"unsupported RSA-%d key in '%s' (MCUboot verifies RSA-2048 and RSA-3072)",
					EVP_PKEY_get_bits(pkey), subject);
		break;
	case EVP_PKEY_EC:
		EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
					       sizeof(group), NULL);
		if (!strcmp(group, "prime256v1"))
			key->type = MCR_KEY_P256;
		else if (!strcmp(group, "secp384r1"))
			key->type = MCR_KEY_P384;
		else
			ret = mcr_error(MCR_EINPUT,
					"unsupported EC curve '%s' of key in '%s' (MCUboot verifies P-256 and P-384)",
					group[0] ? group : "unknown", subject);
		/* MCUboot embeds the uncompressed point; never re-encode a compressed one. */
		if (ret == 0)
			EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
						       "uncompressed");
		break;
	case EVP_PKEY_ED25519:
		key->type = MCR_KEY_ED25519;
		break;
	default:
		ret = mcr_error(MCR_EINPUT,
				"unsupported key type '%s' in '%s' (MCUboot verifies RSA, ECDSA P-256/P-384, Ed25519)",
				EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "unknown",
				subject);
	}
	if (ret < 0) {
		mcr_key_free(key);
		return ret;
	}
	*out = key;
	return 0;
}

static int refuse_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1; /* never prompt: a signing tool must not hang on a terminal */
}

/* PKCS#1 "RSA PUBLIC KEY" blocks have no non-deprecated PEM_read_* helper. */
static EVP_PKEY *decode_pkcs1_public(const void *pem, size_t pem_len)
{
	const unsigned char *data = pem;
	EVP_PKEY *pkey = NULL;
	OSSL_DECODER_CTX *dctx;

	dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", "type-specific", "RSA",
					     OSSL_KEYMGMT_SELECT_PUBLIC_KEY, NULL, NULL);
	if (dctx)
		OSSL_DECODER_from_data(dctx, &data, &pem_len);
	OSSL_DECODER_CTX_free(dctx);
	return pkey;
}

int mcr_key_from_pem(struct mcr_key **out, const void *pem, size_t pem_len, const char *subject)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
	EVP_PKEY *pkey = NULL;
	bool has_private = true;

	*out = NULL;
	if (!bio)
		return mcr_error(MCR_ESYS, "out of memory");
	if (memmem(pem, pem_len, "ENCRYPTED", 9)) {
		BIO_free(bio);
		return mcr_error(MCR_EINPUT,
				 "encrypted private key in '%s' is not supported (decrypt it, or keep it in a signer)",
				 subject);
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, refuse_passphrase, NULL);
	if (!pkey) {
		has_private = false;
		BIO_reset(bio);
		pkey = PEM_read_bio_PUBKEY(bio, NULL, refuse_passphrase, NULL);
	}
	if (!pkey)
		pkey = decode_pkcs1_public(pem, pem_len);
	BIO_free(bio);
	ERR_clear_error();
	if (!pkey)
		return mcr_error(MCR_EINPUT, "no PEM private or public key found in '%s'", subject);
	return wrap_pkey(out, pkey, has_private, subject);
}

int mcr_key_load_pem(struct mcr_key **out, const char *path)
{
	struct mcr_buf pem;
	int ret;

	*out = NULL;
	mcr_buf_init_secret(&pem); /* it may hold a private key */
	ret = mcr_fileio_read_all(path, PEM_MAX_LEN, &pem);
	if (ret == 0)
		ret = mcr_key_from_pem(out, pem.data, pem.len, path);
	mcr_buf_release(&pem);
	return ret;
}

int mcr_key_from_public_bytes(struct mcr_key **out, const unsigned char *der, size_t der_len,
			      const char *subject)
{
	const unsigned char *p = der;
	EVP_PKEY *pkey;

	*out = NULL;
	pkey = d2i_PUBKEY(NULL, &p, (long)der_len);
	if (!pkey || p != der + der_len) {
		EVP_PKEY_free(pkey);
		p = der;
		pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)der_len);
		if (pkey && p != der + der_len) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
	}
	ERR_clear_error();
	if (!pkey)
		return mcr_error(MCR_EINPUT, "malformed public key in '%s'", subject);
	return wrap_pkey(out, pkey, false, subject);
}

/* Builds a public key from OSSL_PARAMs; frees params. */
static int key_from_params(struct mcr_key **out, const char *keytype, OSSL_PARAM *params,
			   const char *subject)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, keytype, NULL);
	EVP_PKEY *pkey = NULL;
	int ok;

	*out = NULL;
	ok = ctx && params && EVP_PKEY_fromdata_init(ctx) == 1 &&
	     EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	ERR_clear_error();
	if (!ok)
		return mcr_error(MCR_EINPUT, "malformed public key in '%s'", subject);
	return wrap_pkey(out, pkey, false, subject);
}

int mcr_key_from_rsa_public(struct mcr_key **out, const unsigned char *n, size_t n_len,
			    const unsigned char *e, size_t e_len, const char *subject)
{
	BIGNUM *bn_n = BN_bin2bn(n, (int)n_len, NULL), *bn_e = BN_bin2bn(e, (int)e_len, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;

	if (bld && bn_n && bn_e && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
		params = OSSL_PARAM_BLD_to_param(bld);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return key_from_params(out, "RSA", params, subject);
}

int mcr_key_from_point(struct mcr_key **out, enum mcr_key_type type, const unsigned char *point,
		       size_t point_len, const char *subject)
{
	size_t want = type == MCR_KEY_P256 ? 65 : type == MCR_KEY_P384 ? 97 : 32;
	OSSL_PARAM params[3], *copy;
	const char *group = type == MCR_KEY_P256 ? "prime256v1" : "secp384r1";
	int n = 0;

	/* a DER OCTET STRING around the point: 04 len point (len < 128 for these sizes) */
	if (point_len == want + 2 && point[0] == 0x04 && point[1] == want)
		point += 2, point_len -= 2;
	if (point_len != want || (type != MCR_KEY_ED25519 && point[0] != 0x04))
		return mcr_error(MCR_EINPUT, "malformed %s public point in '%s'",
				 mcr_key_type_name(type), subject);
	if (type != MCR_KEY_ED25519)
		params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
							       (char *)group, 0);
	params[n++] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point,
							point_len);
	params[n] = OSSL_PARAM_construct_end();
	copy = OSSL_PARAM_dup(params);
	return key_from_params(out, type == MCR_KEY_ED25519 ? "ED25519" : "EC", copy, subject);
}

int mcr_key_public_bytes(const struct mcr_key *key, struct mcr_buf *out)
{
	unsigned char *der = NULL;
	int len, ret;

	/* MCUboot embeds PKCS#1 RSAPublicKey for RSA and SubjectPublicKeyInfo otherwise. */
	if (key->type == MCR_KEY_RSA2048 || key->type == MCR_KEY_RSA3072)
		len = i2d_PublicKey(key->pkey, &der);
	else
		len = i2d_PUBKEY(key->pkey, &der);
	if (len <= 0)
		return mcr_error_openssl(MCR_ESYS, "cannot encode a public key");
	ret = mcr_buf_add(out, der, (size_t)len);
	OPENSSL_free(der);
	return ret;
}

int mcr_key_public_copy(struct mcr_key **out, const struct mcr_key *key)
{
	struct mcr_buf bytes = MCR_BUF_INIT;
	int ret;

	*out = NULL;
	if ((ret = mcr_key_public_bytes(key, &bytes)) == 0)
		ret = mcr_key_from_public_bytes(out, bytes.data, bytes.len, "public key");
	mcr_buf_release(&bytes);
	return ret;
}

int mcr_key_public_pem(const struct mcr_key *key, struct mcr_buf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int ret;

	if (!bio)
		return mcr_error(MCR_ESYS, "out of memory");
	if (PEM_write_bio_PUBKEY(bio, key->pkey) != 1) {
		BIO_free(bio);
		return mcr_error_openssl(MCR_ESYS, "cannot encode a public key as PEM");
	}
	len = BIO_get_mem_data(bio, &data);
	ret = mcr_buf_add(out, data, (size_t)len);
	BIO_free(bio);
	return ret;
}

int mcr_key_fingerprint(const struct mcr_key *key, char *hex)
{
	struct mcr_buf bytes = MCR_BUF_INIT;
	int ret;

	if ((ret = mcr_key_public_bytes(key, &bytes)) == 0)
		ret = mcr_hash_sha256_hex(hex, bytes.data, bytes.len);
	mcr_buf_release(&bytes);
	return ret;
}

bool mcr_key_same_public(const struct mcr_key *a, const struct mcr_key *b)
{
	return a && b && EVP_PKEY_eq(a->pkey, b->pkey) == 1;
}

static bool is_rsa(enum mcr_key_type type)
{
	return type == MCR_KEY_RSA2048 || type == MCR_KEY_RSA3072;
}

static size_t expected_digest_len(enum mcr_key_type type)
{
	return type == MCR_KEY_P384 ? 48 : 32;
}

/* A PKEY context set up for MCUboot's RSA-PSS or ECDSA parameters. */
static EVP_PKEY_CTX *prehash_ctx(const struct mcr_key *key, bool for_signing)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key->pkey, NULL);
	const EVP_MD *md = key->type == MCR_KEY_P384 ? EVP_sha384() : EVP_sha256();
	bool ok;

	if (!ctx)
		return NULL;
	ok = (for_signing ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) == 1 &&
	     EVP_PKEY_CTX_set_signature_md(ctx, md) == 1;
	if (ok && is_rsa(key->type))
		ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, PSS_SALT_LEN) == 1;
	if (!ok) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int sign_ed25519(const struct mcr_key *key, const unsigned char *message, size_t message_len,
			struct mcr_buf *sig)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	size_t len = 64;
	int ret;

	if ((ret = mcr_buf_grow(sig, len)) < 0)
		goto out;
	if (!mctx || EVP_DigestSignInit(mctx, NULL, NULL, NULL, key->pkey) != 1 ||
	    EVP_DigestSign(mctx, sig->data + sig->len, &len, message, message_len) != 1) {
		ret = mcr_error_openssl(MCR_ESIGNER, "Ed25519 signing failed");
		goto out;
	}
	sig->len += len;
out:
	EVP_MD_CTX_free(mctx);
	return ret;
}

int mcr_key_sign(const struct mcr_key *key, const unsigned char *digest, size_t digest_len,
		 const unsigned char *message, size_t message_len, struct mcr_buf *sig)
{
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = 0;
	int ret;

	if (!key->has_private)
		return mcr_error(MCR_EUSAGE, "cannot sign with a public-only %s key",
				 mcr_key_type_name(key->type));
	if (key->type == MCR_KEY_ED25519)
		return sign_ed25519(key, message, message_len, sig);
	if (digest_len != expected_digest_len(key->type))
		return mcr_error(MCR_EUSAGE, "a %s key signs a %zu-byte digest, not %zu bytes",
				 mcr_key_type_name(key->type), expected_digest_len(key->type),
				 digest_len);
	if (!(ctx = prehash_ctx(key, true)) ||
	    EVP_PKEY_sign(ctx, NULL, &len, digest, digest_len) != 1) {
		ret = mcr_error_openssl(MCR_ESIGNER, "%s signing failed", mcr_key_type_name(key->type));
		goto out;
	}
	if ((ret = mcr_buf_grow(sig, len)) < 0)
		goto out;
	if (EVP_PKEY_sign(ctx, sig->data + sig->len, &len, digest, digest_len) != 1) {
		ret = mcr_error_openssl(MCR_ESIGNER, "%s signing failed", mcr_key_type_name(key->type));
		goto out;
	}
	sig->len += len;
	sig->data[sig->len] = '\0';
out:
	EVP_PKEY_CTX_free(ctx);
	return ret;
}

static int verify_ed25519(const struct mcr_key *key, const unsigned char *message,
			  size_t message_len, const unsigned char *sig, size_t sig_len)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	int ok = 0;

	if (mctx && sig_len == 64 && EVP_DigestVerifyInit(mctx, NULL, NULL, NULL, key->pkey) == 1)
		ok = EVP_DigestVerify(mctx, sig, sig_len, message, message_len);
	EVP_MD_CTX_free(mctx);
	ERR_clear_error();
	return ok == 1 ? 0 : MCR_EREFUSED;
}

int mcr_key_verify(const struct mcr_key *key, const unsigned char *digest, size_t digest_len,
		   const unsigned char *message, size_t message_len, const unsigned char *sig,
		   size_t sig_len)
{
	EVP_PKEY_CTX *ctx;
	int ok = 0;

	if (key->type == MCR_KEY_ED25519)
		return message ? verify_ed25519(key, message, message_len, sig, sig_len)
			       : MCR_EREFUSED;
	if (!digest || digest_len != expected_digest_len(key->type))
		return MCR_EREFUSED;
	/* MCUboot takes the RSA signature TLV only at exactly the modulus length. */
	if (is_rsa(key->type) && sig_len != (size_t)EVP_PKEY_get_size(key->pkey))
		return MCR_EREFUSED;
	if ((ctx = prehash_ctx(key, false)))
		ok = EVP_PKEY_verify(ctx, sig, sig_len, digest, digest_len);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ok == 1 ? 0 : MCR_EREFUSED;
}

static int ecdsa_raw_to_der(struct mcr_buf *out, const unsigned char *sig, size_t field_len)
{
	ECDSA_SIG *esig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)field_len, NULL);
	BIGNUM *s = BN_bin2bn(sig + field_len, (int)field_len, NULL);
	unsigned char *der = NULL;
	int len, ret = 0;

	if (!esig || !r || !s || !ECDSA_SIG_set0(esig, r, s)) {
		BN_free(r);
		BN_free(s);
		ret = mcr_error(MCR_ESYS, "out of memory");
		goto out;
	}
	if ((len = i2d_ECDSA_SIG(esig, &der)) <= 0) {
		ret = mcr_error_openssl(MCR_ESYS, "cannot DER-encode an ECDSA signature");
		goto out;
	}
	ret = mcr_buf_add(out, der, (size_t)len);
out:
	OPENSSL_free(der);
	ECDSA_SIG_free(esig);
	return ret;
}

static int ecdsa_der_to_der(struct mcr_buf *out, const unsigned char *sig, size_t sig_len,
			    size_t field_len, const char *subject)
{
	const unsigned char *p = sig;
	ECDSA_SIG *esig = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);
	unsigned char *der = NULL;
	int len, ret;

	ERR_clear_error();
	if (!esig || p != sig + sig_len) {
		ECDSA_SIG_free(esig);
		return mcr_error(MCR_ESIGNER, "ECDSA signature from '%s' is neither raw r||s nor DER",
				 subject);
	}
	/* r and s of another curve (a P-384 signature for a P-256 key) never fit the TLV */
	if (BN_num_bytes(ECDSA_SIG_get0_r(esig)) > (int)field_len ||
	    BN_num_bytes(ECDSA_SIG_get0_s(esig)) > (int)field_len) {
		ECDSA_SIG_free(esig);
		return mcr_error(MCR_ESIGNER,
				 "ECDSA signature from '%s' has r or s longer than %zu bytes: "
				 "another curve's",
				 subject, field_len);
	}
	/* Re-encoding gives the minimal DER MCUboot's strictest backend (mbedTLS) wants. */
	len = i2d_ECDSA_SIG(esig, &der);
	ECDSA_SIG_free(esig);
	if (len <= 0)
		return mcr_error_openssl(MCR_ESYS, "cannot DER-encode an ECDSA signature");
	ret = mcr_buf_add(out, der, (size_t)len);
	OPENSSL_free(der);
	return ret;
}

int mcr_key_normalize_signature(struct mcr_buf *out, enum mcr_key_type type,
				enum mcr_sig_format format, const unsigned char *sig, size_t sig_len,
				const char *subject)
{
	size_t field_len, want;

	switch (type) {
	case MCR_KEY_P256:
	case MCR_KEY_P384:
		field_len = type == MCR_KEY_P256 ? 32 : 48;
		if (format == MCR_SIG_RAW || (format == MCR_SIG_AUTO && sig_len == 2 * field_len)) {
			if (sig_len != 2 * field_len)
				return mcr_error(MCR_ESIGNER,
						 "raw ECDSA signature from '%s' has %zu bytes, expected %zu",
						 subject, sig_len, 2 * field_len);
			return ecdsa_raw_to_der(out, sig, field_len);
		}
		return ecdsa_der_to_der(out, sig, sig_len, field_len, subject);
	case MCR_KEY_ED25519:
		if (sig_len != 64)
			return mcr_error(MCR_ESIGNER,
					 "Ed25519 signature from '%s' has %zu bytes, expected 64",
					 subject, sig_len);
		return mcr_buf_add(out, sig, sig_len);
	default:
		want = type == MCR_KEY_RSA2048 ? 256 : 384;
		if (sig_len > want || sig_len < want - 8)
			return mcr_error(MCR_ESIGNER,
					 "RSA signature from '%s' has %zu bytes, expected %zu", subject,
					 sig_len, want);
		/* A signer may drop leading zero bytes of the integer; MCUboot wants full length. */
		if (mcr_buf_add_fill(out, 0, want - sig_len) < 0)
			return MCR_ESYS;
		return mcr_buf_add(out, sig, sig_len);
	}
}
