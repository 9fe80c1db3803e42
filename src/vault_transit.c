/* Vault Transit's wire format: sign requests for MCUboot's key types, replies, errors. */
#include "vault_transit.h"

#include "buf.h"
#include "error.h"
#include "json.h"
#include "key.h"
#include "signer.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_TEXT_MAX 200
#define KEY_VERSION_MAX 2147483647LL

static const char *transit_hash_name(enum mcr_hash_alg alg)
{
	if (alg == MCR_HASH_SHA384)
		return "sha2-384";
	return alg == MCR_HASH_SHA512 ? "sha2-512" : "sha2-256";
}

/* The request body: which fields MCUboot needs per key type (docs/signer-vault.md). */
static int build_body(cJSON *req, long long key_version, const struct mcr_sign_input *in,
		      const char *input_b64)
{
	bool is_ed = in->key_type == MCR_KEY_ED25519;
	bool is_rsa = in->key_type == MCR_KEY_RSA2048 || in->key_type == MCR_KEY_RSA3072;
	int ret;

	if ((ret = mcr_json_add_string(req, "input", input_b64)) < 0 ||
	    /* Ed25519 signs the digest bytes as its message: never Ed25519ph */
	    (ret = mcr_json_add_bool(req, "prehashed", !is_ed)) < 0 ||
	    (key_version && (ret = mcr_json_add_int(req, "key_version", key_version)) < 0))
		return ret;
	if (is_rsa) {
		/* Vault's default salt "auto" is the maximum; MCUboot accepts only 32 bytes. */
		if ((ret = mcr_json_add_string(req, "signature_algorithm", "pss")) < 0 ||
		    (ret = mcr_json_add_string(req, "salt_length", "hash")) < 0)
			return ret;
	} else if (!is_ed) {
		ret = mcr_json_add_string(req, "marshaling_algorithm", "asn1");
	}
	return ret;
}

int mcr_vault_transit_sign_request(struct mcr_buf *path, struct mcr_buf *body, const char *mount,
				   const char *key_name, long long key_version,
				   const struct mcr_sign_input *in)
{
	bool is_ed = in->key_type == MCR_KEY_ED25519;
	struct mcr_buf input = MCR_BUF_INIT;
	cJSON *req = NULL;
	int ret;

	if (is_ed)
		ret = mcr_base64_encode(&input, in->message, in->message_len, false);
	else
		ret = mcr_base64_encode(&input, in->digest, in->digest_len, false);
	if (ret < 0)
		goto out;
	if (!(req = cJSON_CreateObject())) {
		ret = mcr_error(MCR_ESYS, "out of memory");
		goto out;
	}
	if ((ret = build_body(req, key_version, in, (const char *)input.data)) < 0 ||
	    (ret = mcr_json_canonical(body, req)) < 0 ||
	    (ret = mcr_buf_addf(path, "/v1/%s/sign/%s", mount, key_name)) < 0)
		goto out;
	/* The hash goes in the path, where a Vault policy can allow exactly it. */
	if (!is_ed)
		ret = mcr_buf_addf(path, "/%s", transit_hash_name(in->hash_alg));
out:
	cJSON_Delete(req);
	mcr_buf_release(&input);
	return ret;
}

static int bad_reply(const char *signer_name, const char *why)
{
	return mcr_error(MCR_ESIGNER, "bad reply from vault for signer '%s': %s", signer_name, why);
}

/* Text from Vault as one printable line of at most 200 characters, never holding token. */
static void clean_text(char *out, size_t out_size, const char *text, const struct mcr_buf *token)
{
	size_t n = 0, limit = out_size - 1 < ERROR_TEXT_MAX ? out_size - 1 : ERROR_TEXT_MAX;
	const char *redacted = "[redacted]";

	while (*text && n < limit) {
		unsigned char c = (unsigned char)*text;

		if (token && token->len && !strncmp(text, (const char *)token->data, token->len)) {
			for (const char *r = redacted; *r && n < limit; r++)
				out[n++] = *r;
			text += token->len;
			continue;
		}
		text++;
		c = c < ' ' || c == 0x7f ? ' ' : c >= 0x80 ? '?' : c;
		if (c != ' ' || (n && out[n - 1] != ' '))
			out[n++] = (char)c;
	}
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* The reply's "data" object, after the checks every reply gets. */
static int reply_data(cJSON **root, const cJSON **data, const void *reply, size_t reply_len,
		      const char *signer_name)
{
	const cJSON *warnings, *item;
	char why[320];
	size_t len;

	if (!(*root = cJSON_ParseWithLength(reply, reply_len)))
		return bad_reply(signer_name, "not JSON");
	if (!cJSON_IsObject(*data = cJSON_GetObjectItemCaseSensitive(*root, "data")))
		return bad_reply(signer_name, "no 'data' object");
	/* An older Vault ignores fields it does not know, such as salt_length, and says so. */
	warnings = cJSON_GetObjectItemCaseSensitive(*root, "warnings");
	if (!cJSON_IsArray(warnings))
		return 0;
	cJSON_ArrayForEach(item, warnings) {
		if (!cJSON_IsString(item) || !strstr(item->valuestring, "ignored"))
			continue;
		len = (size_t)snprintf(why, sizeof(why), "it ignored a field (too old?): ");
		clean_text(why + len, sizeof(why) - len, item->valuestring, NULL);
		return bad_reply(signer_name, why);
	}
	return 0;
}

/* "vault:vN:" → N and the rest; 0 if the prefix is not there. */
static long long split_prefix(const char *text, const char **rest)
{
	long long version = 0;
	const char *p;

	if (strncmp(text, "vault:v", 7))
		return 0;
	p = text + 7;
	if (!isdigit((unsigned char)*p) || *p == '0')
		return 0;
	for (; isdigit((unsigned char)*p) && version <= KEY_VERSION_MAX; p++)
		version = version * 10 + (*p - '0');
	if (*p != ':' || version > KEY_VERSION_MAX)
		return 0;
	*rest = p + 1;
	return version;
}

/* The signature text's version, checked against the reply's own and the configured one. */
static int check_signature(long long *version, const char **b64, const cJSON *data,
			   long long want_version, const char *signer_name)
{
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(data, "signature");
	const cJSON *number = cJSON_GetObjectItemCaseSensitive(data, "key_version");
	char why[128];

	if (!cJSON_IsString(text))
		return bad_reply(signer_name, "no 'data.signature' string");
	if (!(*version = split_prefix(text->valuestring, b64)))
		return bad_reply(signer_name, "signature lacks the 'vault:vN:' prefix");
	if (cJSON_IsNumber(number) && number->valuedouble != (double)*version)
		return bad_reply(signer_name, "'data.key_version' disagrees with the signature's");
	if (want_version && *version != want_version) {
		snprintf(why, sizeof(why), "signed with key version %lld, not the %lld asked for",
			 *version, want_version);
		return bad_reply(signer_name, why);
	}
	return 0;
}

int mcr_vault_transit_parse_sign(struct mcr_buf *sig, long long *key_version, const void *reply,
				 size_t reply_len, long long want_version, const char *signer_name)
{
	const cJSON *data = NULL;
	const char *b64 = NULL;
	long long version = 0;
	cJSON *root = NULL;
	size_t start = sig->len;
	int ret;

	if ((ret = reply_data(&root, &data, reply, reply_len, signer_name)) < 0 ||
	    (ret = check_signature(&version, &b64, data, want_version, signer_name)) < 0)
		goto out;
	if (mcr_base64_decode(sig, b64, strlen(b64), false) < 0 || sig->len == start) {
		mcr_buf_truncate(sig, start);
		ret = bad_reply(signer_name, "signature is not base64");
		goto out;
	}
	*key_version = version;
out:
	cJSON_Delete(root);
	return ret;
}

/* The version to read: the configured one, else latest_version, else the highest listed. */
static long long pick_version(const cJSON *data, const cJSON *keys, long long want_version)
{
	const cJSON *latest = cJSON_GetObjectItemCaseSensitive(data, "latest_version"), *item;
	long long best = 0;

	if (want_version)
		return want_version;
	if (cJSON_IsNumber(latest) && latest->valuedouble >= 1 &&
	    latest->valuedouble <= (double)KEY_VERSION_MAX)
		return (long long)latest->valuedouble;
	cJSON_ArrayForEach(item, keys) {
		long long v = strtoll(item->string, NULL, 10);

		best = v > best && v <= KEY_VERSION_MAX ? v : best;
	}
	return best;
}

/* Key helpers (PEM, point) say MCR_EINPUT; a bad key from Vault is the signer's fault. */
static int as_signer_error(int ret)
{
	char message[512];

	if (ret != MCR_EINPUT)
		return ret;
	snprintf(message, sizeof(message), "%s", mcr_error_message());
	return mcr_error(MCR_ESIGNER, "%s", message);
}

static int decode_public_key(struct mcr_key **out, const char *text, const char *key_url)
{
	struct mcr_buf raw = MCR_BUF_INIT;
	int ret;

	/* Vault gives PEM for ECDSA and RSA, and base64 of the 32 raw bytes for Ed25519. */
	if (!strncmp(text, "-----BEGIN", 10))
		ret = mcr_key_from_pem(out, text, strlen(text), key_url);
	else if (mcr_base64_decode(&raw, text, strlen(text), false) < 0)
		ret = mcr_error(MCR_EINPUT, "public key in '%s' is neither PEM nor base64",
				key_url);
	else
		ret = mcr_key_from_point(out, MCR_KEY_ED25519, raw.data, raw.len, key_url);
	mcr_buf_release(&raw);
	return as_signer_error(ret);
}

/* Vault's type names are mcurelease's: "ecdsa-p256", "rsa-2048", "ed25519"... */
static int check_key_type(const cJSON *data, const struct mcr_key *key, const char *signer_name)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(data, "type");
	enum mcr_key_type parsed;
	char why[160];

	if (!cJSON_IsString(type))
		return 0;
	if (mcr_key_type_parse(&parsed, type->valuestring) < 0)
		snprintf(why, sizeof(why), "key type '%.40s' is not one MCUboot verifies",
			 type->valuestring);
	else if (parsed != mcr_key_type(key))
		snprintf(why, sizeof(why), "key type '%s' but a %s public key", type->valuestring,
			 mcr_key_type_name(mcr_key_type(key)));
	else
		return 0;
	return bad_reply(signer_name, why);
}

int mcr_vault_transit_parse_key(struct mcr_key **out, long long *key_version, const void *reply,
				size_t reply_len, long long want_version, const char *signer_name,
				const char *key_url)
{
	const cJSON *data = NULL, *keys, *entry, *pem;
	struct mcr_key *key = NULL;
	cJSON *root = NULL;
	char name[32], why[96];
	long long version;
	int ret;

	*out = NULL;
	if ((ret = reply_data(&root, &data, reply, reply_len, signer_name)) < 0)
		goto out;
	if (!cJSON_IsObject(keys = cJSON_GetObjectItemCaseSensitive(data, "keys"))) {
		ret = bad_reply(signer_name, "no 'data.keys' object");
		goto out;
	}
	/* Vault numbers key versions from 1: a "0" entry is no version it would sign with */
	if ((version = pick_version(data, keys, want_version)) < 1) {
		ret = bad_reply(signer_name, "no key version of 1 or more in 'data.keys'");
		goto out;
	}
	snprintf(name, sizeof(name), "%lld", version);
	entry = cJSON_GetObjectItemCaseSensitive(keys, name);
	pem = cJSON_GetObjectItemCaseSensitive(entry, "public_key");
	if (!entry || !cJSON_IsString(pem) || !*pem->valuestring) {
		snprintf(why, sizeof(why), "no public key for key version %lld", version);
		ret = bad_reply(signer_name, why);
		goto out;
	}
	if ((ret = decode_public_key(&key, pem->valuestring, key_url)) < 0 ||
	    (ret = check_key_type(data, key, signer_name)) < 0)
		goto out;
	*out = key;
	key = NULL;
	*key_version = version;
out:
	mcr_key_free(key);
	cJSON_Delete(root);
	return ret;
}

void mcr_vault_transit_error_text(char *out, size_t out_size, const void *reply,
				  size_t reply_len, const struct mcr_buf *token)
{
	cJSON *root = cJSON_ParseWithLength(reply, reply_len);
	const cJSON *errors = cJSON_GetObjectItemCaseSensitive(root, "errors");
	const cJSON *first = cJSON_GetArrayItem(errors, 0);

	out[0] = '\0';
	if (cJSON_IsString(first))
		clean_text(out, out_size, first->valuestring, token);
	cJSON_Delete(root);
}
