/*
 * libFuzzer target: Vault Transit's JSON replies, on arbitrary bytes. Each input is
 * read as a sign reply (mcr_vault_transit_parse_sign, with no version asked and with
 * version 1 asked), as a read-key reply (mcr_vault_transit_parse_key) and as an error
 * reply (mcr_vault_transit_error_text, with a token to redact). What a reply gave is
 * put back into the reply Vault would send and must be read back the same.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "fuzz_support.h"
#include "json.h"
#include "key.h"
#include "vault_transit.h"

#define SIGNER  "fuzz"
#define KEY_URL "https://vault.example/v1/transit/keys/fw"
#define TOKEN   "hvs.fuzz-token-0123456789"

static void sign_round_trip(const struct mcr_buf *sig, long long version)
{
	struct mcr_buf b64 = MCR_BUF_INIT, reply = MCR_BUF_INIT, again = MCR_BUF_INIT;
	long long version2 = 0;

	FUZZ_CHECK(mcr_base64_encode(&b64, sig->data, sig->len, false) == 0);
	FUZZ_CHECK(
	        mcr_buf_addf(&reply,
	                     "{\"data\":{\"signature\":\"vault:v%lld:%s\",\"key_version\":%lld}}",
	                     version, (char *)b64.data, version) == 0);
	FUZZ_CHECK(mcr_vault_transit_parse_sign(&again, &version2, reply.data, reply.len, version,
	                                        SIGNER) == 0);
	FUZZ_CHECK(version2 == version);
	FUZZ_CHECK(fuzz_same(again.data, again.len, sig->data, sig->len));
	mcr_buf_release(&b64);
	mcr_buf_release(&reply);
	mcr_buf_release(&again);
}

static void parse_sign(const uint8_t *data, size_t size, long long want_version)
{
	struct mcr_buf sig = MCR_BUF_INIT;
	long long version = -1;

	FUZZ_CHECK(mcr_buf_add_str(&sig, "kept") == 0);
	if (mcr_vault_transit_parse_sign(&sig, &version, data, size, want_version, SIGNER) == 0) {
		struct mcr_buf got = MCR_BUF_INIT;

		FUZZ_CHECK(sig.len > 4 &&
		           !memcmp(sig.data, "kept", 4)); /* appended, not replaced */
		FUZZ_CHECK(version >= 1 && version <= 2147483647LL);
		FUZZ_CHECK(!want_version || version == want_version);
		FUZZ_CHECK(mcr_buf_add(&got, sig.data + 4, sig.len - 4) == 0);
		sign_round_trip(&got, version);
		mcr_buf_release(&got);
	} else {
		FUZZ_CHECK(sig.len == 4 && version == -1); /* a refusal leaves both alone */
	}
	mcr_buf_release(&sig);
}

/* The key Vault described, described again as Vault would (PEM, or base64 for Ed25519). */
static void key_round_trip(const struct mcr_key *key, long long version)
{
	struct mcr_buf text = MCR_BUF_INIT, reply = MCR_BUF_INIT, raw = MCR_BUF_INIT;
	struct mcr_key *again = NULL;
	cJSON *root = cJSON_CreateObject(), *data, *keys, *entry;
	char name[32];
	long long version2 = 0;

	if (mcr_key_type(key) == MCR_KEY_ED25519) {
		/* the raw key is the last 32 bytes of its SubjectPublicKeyInfo */
		FUZZ_CHECK(mcr_key_public_bytes(key, &raw) == 0 && raw.len == 44);
		FUZZ_CHECK(mcr_base64_encode(&text, raw.data + 12, 32, false) == 0);
	} else {
		FUZZ_CHECK(mcr_key_public_pem(key, &text) == 0);
	}
	snprintf(name, sizeof(name), "%lld", version);
	FUZZ_CHECK(root && (data = cJSON_AddObjectToObject(root, "data")) &&
	           (keys = cJSON_AddObjectToObject(data, "keys")) &&
	           (entry = cJSON_AddObjectToObject(keys, name)) &&
	           mcr_json_add_string(entry, "public_key", (char *)text.data) == 0 &&
	           mcr_json_add_string(data, "type", mcr_key_type_name(mcr_key_type(key))) == 0 &&
	           mcr_json_add_int(data, "latest_version", version) == 0 &&
	           mcr_json_canonical(&reply, root) == 0);
	FUZZ_CHECK(mcr_vault_transit_parse_key(&again, &version2, reply.data, reply.len, 0, SIGNER,
	                                       KEY_URL) == 0);
	FUZZ_CHECK(version2 == version && mcr_key_same_public(key, again));
	cJSON_Delete(root);
	mcr_key_free(again);
	mcr_buf_release(&text);
	mcr_buf_release(&reply);
	mcr_buf_release(&raw);
}

static void parse_key(const uint8_t *data, size_t size)
{
	struct mcr_key *key = NULL;
	long long version = -1;

	if (mcr_vault_transit_parse_key(&key, &version, data, size, 0, SIGNER, KEY_URL) == 0) {
		FUZZ_CHECK(key != NULL && version >= 1 && version <= 2147483647LL);
		key_round_trip(key, version);
	} else {
		FUZZ_CHECK(key == NULL);
	}
	mcr_key_free(key);
}

static void error_text(const uint8_t *data, size_t size)
{
	struct mcr_buf token = MCR_BUF_INIT;
	char line[256];
	size_t len;

	FUZZ_CHECK(mcr_buf_add_str(&token, TOKEN) == 0);
	memset(line, 'X', sizeof(line));
	mcr_vault_transit_error_text(line, sizeof(line) - 1, data, size, &token);
	len = strlen(line);
	FUZZ_CHECK(len <= 200 && line[sizeof(line) - 1] == 'X');
	FUZZ_CHECK(!strstr(line, TOKEN));
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(line[i] >= 0x20 && line[i] < 0x7f);
	mcr_buf_release(&token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_sign(data, size, 0);
	parse_sign(data, size, 1);
	parse_key(data, size);
	error_text(data, size);
	return 0;
}
