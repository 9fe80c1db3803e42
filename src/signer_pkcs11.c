/*
 * The pkcs11 signer: any PKCS#11 module, loaded with dlopen, keys named by RFC 7512 URIs.
 * Exactly one private key must match; its public key comes from the token's attributes.
 */
#include "signer.h"

#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "json.h"
#include "p11.h"
#include "p11uri.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

struct pkcs11_state {
	struct mcr_p11 *p11;
	struct mcr_p11uri uri;
	char *name;
	char *module;
	unsigned long key;
	enum mcr_key_type type;
	bool always_auth, local, never_extractable, always_sensitive;
	struct mcr_buf pin; /* secret; kept after login only for always-authenticate keys */
	struct mcr_buf id;
	struct mcr_buf label;
	struct mcr_key *pub;
};

static void state_free(struct pkcs11_state *st)
{
	if (!st)
		return;
	mcr_p11_free(st->p11);
	mcr_p11uri_release(&st->uri);
	mcr_buf_release(&st->pin);
	mcr_buf_release(&st->id);
	mcr_buf_release(&st->label);
	mcr_key_free(st->pub);
	free(st->name);
	free(st->module);
	free(st);
}

/* The PIN from a file (one trailing newline stripped) or a named environment variable. */
static int read_pin(struct pkcs11_state *st, const struct mcr_signer_config *cfg)
{
	const char *file = cfg->pkcs11_pin_file;
	const char *value;
	int ret;

	if (!file && st->uri.pin_source)
		file = st->uri.pin_source + 5; /* "file:" */
	if (file) {
		if ((ret = mcr_fileio_read_all(file, 256, &st->pin)) < 0)
			return ret;
		if (st->pin.len && st->pin.data[st->pin.len - 1] == '\n')
			mcr_buf_truncate(&st->pin, st->pin.len - 1);
		if (st->pin.len && st->pin.data[st->pin.len - 1] == '\r')
			mcr_buf_truncate(&st->pin, st->pin.len - 1);
	} else if (cfg->pkcs11_pin_env) {
		if (!(value = getenv(cfg->pkcs11_pin_env)) || !*value)
			return mcr_error(MCR_EINPUT, "environment variable '%s' named by signer '%s' is not set",
					 cfg->pkcs11_pin_env, cfg->name);
		if ((ret = mcr_buf_add_str(&st->pin, value)) < 0)
			return ret;
	} else {
		return mcr_error(MCR_EINPUT,
				 "token '%s' needs a PIN but signer '%s' names none (pin_file, pin_env, or pin-source=file: in the URI)",
				 mcr_p11_token(st->p11)->label, cfg->name);
	}
	if (st->pin.len == 0)
		return mcr_error(MCR_EINPUT, "empty PIN for signer '%s'", cfg->name);
	return 0;
}

static bool same(const struct mcr_buf *attr, const unsigned char *want, size_t len)
{
	return attr->len == len && !memcmp(attr->data, want, len);
}

/* Which of MCUboot's types the key is, from CKA_KEY_TYPE and the size or curve. */
static int key_type(struct pkcs11_state *st, unsigned long object)
{
	static const unsigned char p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
	static const unsigned char p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
	static const unsigned char ed_oid[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
	static const unsigned char ed_name[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9'};
	struct mcr_buf attr = MCR_BUF_INIT;
	unsigned long kind = (unsigned long)-1;
	int ret;

	if ((ret = mcr_p11_attribute_ulong(st->p11, object, CKA_KEY_TYPE, &kind)) < 0)
		return ret;
	if (kind == CKK_RSA) {
		if ((ret = mcr_p11_attribute(st->p11, object, CKA_MODULUS, &attr)) == 0 && attr.len == 256)
			st->type = MCR_KEY_RSA2048;
		else if (ret == 0 && attr.len == 384)
			st->type = MCR_KEY_RSA3072;
		else if (ret >= 0)
			ret = mcr_error(MCR_ESIGNER, "RSA key of signer '%s' is not RSA-2048 or RSA-3072", st->name);
	} else if (kind == CKK_EC || kind == CKK_EC_EDWARDS) {
		/* SoftHSM-generated Ed25519 keys name their curve as a string, imported ones by OID */
		if ((ret = mcr_p11_attribute(st->p11, object, CKA_EC_PARAMS, &attr)) < 0)
			goto out;
		if (same(&attr, p256, sizeof(p256)))
			st->type = MCR_KEY_P256;
		else if (same(&attr, p384, sizeof(p384)))
			st->type = MCR_KEY_P384;
		else if (same(&attr, ed_oid, sizeof(ed_oid)) || same(&attr, ed_name, sizeof(ed_name)))
			st->type = MCR_KEY_ED25519;
		else
			ret = mcr_error(MCR_ESIGNER, "key of signer '%s' is on a curve MCUboot does not verify", st->name);
	} else {
		ret = mcr_error(MCR_ESIGNER, "key of signer '%s' has unsupported PKCS#11 key type 0x%lx",
				st->name, kind);
	}
out:
	mcr_buf_release(&attr);
	return ret;
}

/* The public key from the token: the matching public object, or the RSA private key's own n and e. */
static int public_from_token(struct pkcs11_state *st)
{
	struct mcr_buf a = MCR_BUF_INIT, b = MCR_BUF_INIT;
	unsigned long pub = 0;
	size_t count = 0;
	int ret;

	if ((ret = mcr_p11_find(st->p11, CKO_PUBLIC_KEY, st->id.len ? NULL : (char *)st->label.data,
				st->id.len ? st->id.data : NULL, st->id.len, &pub, &count)) < 0)
		return ret;
	if (count != 1 && st->type != MCR_KEY_RSA2048 && st->type != MCR_KEY_RSA3072)
		return 0; /* no (unique) public object: the config must pin a PEM */
	if (count != 1)
		pub = st->key;
	if (st->type == MCR_KEY_RSA2048 || st->type == MCR_KEY_RSA3072) {
		if ((ret = mcr_p11_attribute(st->p11, pub, CKA_MODULUS, &a)) == 0 &&
		    (ret = mcr_p11_attribute(st->p11, pub, CKA_PUBLIC_EXPONENT, &b)) == 0)
			ret = mcr_key_from_rsa_public(&st->pub, a.data, a.len, b.data, b.len, st->name);
	} else if ((ret = mcr_p11_attribute(st->p11, pub, CKA_EC_POINT, &a)) == 0) {
		ret = mcr_key_from_point(&st->pub, st->type, a.data, a.len, st->name);
	}
	mcr_buf_release(&a);
	mcr_buf_release(&b);
	return ret > 0 ? 0 : ret;
}

/* Exactly one private key may match: pkcs11-tool silently takes the first, we refuse. */
static int find_key(struct pkcs11_state *st)
{
	size_t count = 0;
	bool can_sign = true;
	int ret;

	if ((ret = mcr_p11_find(st->p11, CKO_PRIVATE_KEY, st->uri.object,
				st->uri.has_id ? st->uri.id : NULL, st->uri.id_len, &st->key, &count)) < 0)
		return ret;
	if (count == 0)
		return mcr_error(MCR_ESIGNER, "no private key on token '%s' matches signer '%s'",
				 mcr_p11_token(st->p11)->label, st->name);
	if (count > 1)
		return mcr_error(MCR_ESIGNER,
				 "more than one private key on token '%s' matches signer '%s' (name it by object= and id=)",
				 mcr_p11_token(st->p11)->label, st->name);
	if ((ret = mcr_p11_attribute_bool(st->p11, st->key, CKA_SIGN, &can_sign)) < 0 ||
	    (ret = mcr_p11_attribute_bool(st->p11, st->key, CKA_ALWAYS_AUTHENTICATE, &st->always_auth)) < 0 ||
	    (ret = mcr_p11_attribute_bool(st->p11, st->key, CKA_LOCAL, &st->local)) < 0 ||
	    (ret = mcr_p11_attribute_bool(st->p11, st->key, CKA_NEVER_EXTRACTABLE, &st->never_extractable)) < 0 ||
	    (ret = mcr_p11_attribute_bool(st->p11, st->key, CKA_ALWAYS_SENSITIVE, &st->always_sensitive)) < 0 ||
	    (ret = mcr_p11_attribute(st->p11, st->key, CKA_ID, &st->id)) < 0 ||
	    (ret = mcr_p11_attribute(st->p11, st->key, CKA_LABEL, &st->label)) < 0)
		return ret;
	if (!can_sign)
		return mcr_error(MCR_ESIGNER, "key of signer '%s' is not allowed to sign (CKA_SIGN false)",
				 st->name);
	return key_type(st, st->key);
}

static int module_path(struct pkcs11_state *st, const struct mcr_signer_config *cfg)
{
	if (st->uri.module_path)
		return (st->module = strdup(st->uri.module_path)) ? 0 : mcr_error(MCR_ESYS, "out of memory");
	if (cfg->pkcs11_module)
		return (st->module = strdup(cfg->pkcs11_module)) ? 0 : mcr_error(MCR_ESYS, "out of memory");
	if (st->uri.module_name)
		return asprintf(&st->module, "lib%s.so", st->uri.module_name) < 0 ?
			       mcr_error(MCR_ESYS, "out of memory") : 0;
	return mcr_error(MCR_EINPUT,
			 "signer '%s' names no PKCS#11 module (module-path in the URI, or 'module')",
			 cfg->name);
}

static int pkcs11_open(void **state, const struct mcr_signer_config *cfg)
{
	struct pkcs11_state *st = calloc(1, sizeof(*st));
	int ret;

	*state = NULL;
	if (!st || !(st->name = strdup(cfg->name))) {
		free(st);
		return mcr_error(MCR_ESYS, "out of memory");
	}
	mcr_buf_init_secret(&st->pin);
	if (!cfg->pkcs11_uri) {
		ret = mcr_error(MCR_EINPUT, "signer '%s' of type 'pkcs11' needs 'uri'", cfg->name);
		goto out;
	}
	if ((ret = mcr_p11uri_parse(&st->uri, cfg->pkcs11_uri)) < 0 || (ret = module_path(st, cfg)) < 0 ||
	    (ret = mcr_p11_open(&st->p11, st->module, cfg->name)) < 0 ||
	    (ret = mcr_p11_select_token(st->p11, &st->uri)) < 0)
		goto out;
	if (mcr_p11_token(st->p11)->login_required &&
	    ((ret = read_pin(st, cfg)) < 0 || (ret = mcr_p11_login(st->p11, &st->pin)) < 0))
		goto out;
	if ((ret = find_key(st)) < 0 || (ret = public_from_token(st)) < 0)
		goto out;
	if (!st->always_auth)
		mcr_buf_release(&st->pin); /* wiped: nothing needs it any more */
	*state = st;
	st = NULL;
out:
	state_free(st);
	return ret;
}

static int pkcs11_public_key(void *state, struct mcr_key **out)
{
	struct pkcs11_state *st = state;

	*out = NULL;
	return st->pub ? mcr_key_public_copy(out, st->pub) : 0;
}

static int pkcs11_sign(void *state, const struct mcr_sign_input *in, struct mcr_buf *sig,
		       enum mcr_sig_format *format)
{
	struct pkcs11_state *st = state;
	CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA256, CKG_MGF1_SHA256, 32}; /* MCUboot: salt exactly 32 */
	const struct mcr_buf *pin = st->always_auth ? &st->pin : NULL;

	if (in->key_type != st->type)
		return mcr_error(MCR_ESIGNER, "signer '%s' holds a %s key, not %s", st->name,
				 mcr_key_type_name(st->type), mcr_key_type_name(in->key_type));
	*format = MCR_SIG_RAW;
	switch (st->type) {
	case MCR_KEY_RSA2048:
	case MCR_KEY_RSA3072:
		return mcr_p11_sign(st->p11, st->key, CKM_RSA_PKCS_PSS, &pss, sizeof(pss), in->digest,
				    in->digest_len, pin, sig);
	case MCR_KEY_ED25519:
		/* plain Ed25519 (no parameters: not Ed25519ph) over the message: for images, the digest */
		return mcr_p11_sign(st->p11, st->key, CKM_EDDSA, NULL, 0, in->message, in->message_len,
				    pin, sig);
	default:
		/* CKM_ECDSA over the prehashed digest; the token answers with raw r||s */
		return mcr_p11_sign(st->p11, st->key, CKM_ECDSA, NULL, 0, in->digest, in->digest_len,
				    pin, sig);
	}
}

static int pkcs11_describe(void *state, cJSON *into)
{
	struct pkcs11_state *st = state;
	const struct mcr_p11_token *t = mcr_p11_token(st->p11);
	int ret;

	/* Custody evidence: where the key lives and whether it was generated there and can never leave. */
	if ((ret = mcr_json_add_string(into, "module", st->module)) < 0 ||
	    (ret = mcr_json_add_string(into, "token_label", t->label)) < 0 ||
	    (ret = mcr_json_add_string(into, "token_serial", t->serial)) < 0 ||
	    (ret = mcr_json_add_string(into, "token_manufacturer", t->manufacturer)) < 0 ||
	    (ret = mcr_json_add_string(into, "token_model", t->model)) < 0 ||
	    (ret = mcr_json_add_string(into, "key_label", st->label.len ? (char *)st->label.data : "")) < 0 ||
	    (ret = mcr_json_add_hex(into, "key_id", st->id.data, st->id.len)) < 0 ||
	    (ret = mcr_json_add_bool(into, "generated_on_token", st->local)) < 0 ||
	    (ret = mcr_json_add_bool(into, "never_extractable", st->never_extractable)) < 0 ||
	    (ret = mcr_json_add_bool(into, "always_sensitive", st->always_sensitive)) < 0)
		return ret;
	return mcr_json_add_bool(into, "always_authenticate", st->always_auth);
}

static void pkcs11_close(void *state)
{
	state_free(state);
}

const struct mcr_signer_backend mcr_signer_pkcs11_backend = {
	.name = "pkcs11",
	.is_dev = false,
	.open = pkcs11_open,
	.public_key = pkcs11_public_key,
	.sign = pkcs11_sign,
	.describe = pkcs11_describe,
	.close = pkcs11_close,
};
