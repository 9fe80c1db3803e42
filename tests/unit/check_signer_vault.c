/*
 * Unit tests: the vault-transit signer's Transit requests per key type, sign and read-key
 * replies (and every way they can be wrong), Vault error texts, the token sources, and the
 * config refusals that happen before any network traffic.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "key.h"
#include "signer.h"
#include "signer_vault.h"
#include "testutil.h"
#include "vault_transit.h"

#define D32_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define D48_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v"
#define TOKEN "hvs.UNIT-token-5d1e"

static unsigned char digest[48];

static void fill_digest(void)
{
	for (size_t i = 0; i < sizeof(digest); i++)
		digest[i] = (unsigned char)i;
}

static void expect_request(enum mcr_key_type type, enum mcr_hash_alg alg, long long key_version,
			   const char *mount, const char *want_path, const char *want_body)
{
	struct mcr_sign_input in = {0};
	struct mcr_buf path = MCR_BUF_INIT, body = MCR_BUF_INIT;

	fill_digest();
	in.key_type = type;
	in.hash_alg = alg;
	in.digest = digest;
	in.digest_len = mcr_hash_len(alg);
	in.message = (const unsigned char *)"message bytes";
	in.message_len = 13;
	ck_assert_int_eq(
		mcr_vault_transit_sign_request(&path, &body, mount, "fw", key_version, &in), 0);
	ck_assert_str_eq((char *)path.data, want_path);
	ck_assert_str_eq((char *)body.data, want_body);
	mcr_buf_release(&path);
	mcr_buf_release(&body);
}

START_TEST(test_signer_vault_request_per_key_type)
{
	expect_request(MCR_KEY_P256, MCR_HASH_SHA256, 0, "transit", "/v1/transit/sign/fw/sha2-256",
		       "{\"input\":\"" D32_B64 "\",\"marshaling_algorithm\":\"asn1\","
		       "\"prehashed\":true}");
	expect_request(MCR_KEY_P384, MCR_HASH_SHA384, 0, "transit", "/v1/transit/sign/fw/sha2-384",
		       "{\"input\":\"" D48_B64 "\",\"marshaling_algorithm\":\"asn1\","
		       "\"prehashed\":true}");
	/* PSS with salt "hash" = 32 bytes, never Vault's default "auto" (the maximum) */
	expect_request(MCR_KEY_RSA2048, MCR_HASH_SHA256, 0, "transit",
		       "/v1/transit/sign/fw/sha2-256",
		       "{\"input\":\"" D32_B64 "\",\"prehashed\":true,\"salt_length\":\"hash\","
		       "\"signature_algorithm\":\"pss\"}");
	expect_request(MCR_KEY_RSA3072, MCR_HASH_SHA256, 7, "ops/transit",
		       "/v1/ops/transit/sign/fw/sha2-256",
		       "{\"input\":\"" D32_B64 "\",\"key_version\":7,\"prehashed\":true,"
		       "\"salt_length\":\"hash\",\"signature_algorithm\":\"pss\"}");
	/* Ed25519: the message itself (for images, the digest bytes), not prehashed, no hash */
	expect_request(MCR_KEY_ED25519, MCR_HASH_SHA256, 3, "transit", "/v1/transit/sign/fw",
		       "{\"input\":\"bWVzc2FnZSBieXRlcw==\",\"key_version\":3,"
		       "\"prehashed\":false}");
}
END_TEST

static int parse_sign(struct mcr_buf *sig, long long *version, const char *reply, long long want)
{
	return mcr_vault_transit_parse_sign(sig, version, reply, strlen(reply), want, "v");
}

START_TEST(test_signer_vault_sign_reply)
{
	struct mcr_buf sig = MCR_BUF_INIT;
	long long version = 0;

	ck_assert_int_eq(parse_sign(&sig, &version,
				    "{\"request_id\":\"x\",\"data\":{\"signature\":"
				    "\"vault:v3:AQID\",\"key_version\":3},\"warnings\":null}",
				    3),
			 0);
	ck_assert_int_eq(version, 3);
	ck_assert_uint_eq(sig.len, 3);
	ck_assert(!memcmp(sig.data, "\1\2\3", 3));
	/* Vault versions without data.key_version: the prefix alone tells */
	ck_assert_int_eq(
		parse_sign(&sig, &version, "{\"data\":{\"signature\":\"vault:v12:BAU=\"}}", 0), 0);
	ck_assert_int_eq(version, 12);
	ck_assert_uint_eq(sig.len, 5);
	mcr_buf_release(&sig);
}
END_TEST

static void expect_bad_sign_reply(const char *reply, long long want, const char *needle)
{
	struct mcr_buf sig = MCR_BUF_INIT;
	long long version = -1;

	mcr_buf_add(&sig, "keep", 4);
	ck_assert_int_eq(parse_sign(&sig, &version, reply, want), MCR_ESIGNER);
	ck_assert_msg(strstr(mcr_error_message(), needle), "'%s' lacks '%s'", mcr_error_message(),
		      needle);
	ck_assert_msg(strstr(mcr_error_message(), "bad reply from vault for signer 'v'"), "%s",
		      mcr_error_message());
	ck_assert_int_eq(version, -1);
	ck_assert_uint_eq(sig.len, 4); /* nothing half-appended */
	mcr_buf_release(&sig);
}

START_TEST(test_signer_vault_bad_sign_replies)
{
	expect_bad_sign_reply("<html>502 Bad Gateway</html>", 0, "not JSON");
	expect_bad_sign_reply("{\"data\":{\"signature\":\"vault:v1:AQ", 0, "not JSON");
	expect_bad_sign_reply("{\"errors\":[]}", 0, "no 'data' object");
	expect_bad_sign_reply("{\"data\":{}}", 0, "no 'data.signature'");
	expect_bad_sign_reply("{\"data\":{\"signature\":\"AQID\"}}", 0, "'vault:vN:' prefix");
	expect_bad_sign_reply("{\"data\":{\"signature\":\"vault:v0:AQID\"}}", 0, "prefix");
	expect_bad_sign_reply("{\"data\":{\"signature\":\"vault:v3AQID\"}}", 0, "prefix");
	expect_bad_sign_reply("{\"data\":{\"signature\":\"vault:v99999999999:AQID\"}}", 0,
			      "prefix");
	expect_bad_sign_reply("{\"data\":{\"signature\":\"vault:v3:!!!\"}}", 0, "not base64");
	expect_bad_sign_reply("{\"data\":{\"signature\":\"vault:v3:\"}}", 0, "not base64");
	expect_bad_sign_reply("{\"data\":{\"signature\":\"vault:v3:AQID\",\"key_version\":4}}", 0,
			      "disagrees");
	expect_bad_sign_reply("{\"data\":{\"signature\":\"vault:v9:AQID\"}}", 3,
			      "signed with key version 9, not the 3 asked for");
	/* a Vault without salt_length signs with its default, the maximum salt: refuse */
	expect_bad_sign_reply("{\"data\":{\"signature\":\"vault:v1:AQID\"},\"warnings\":[\"Endpoint"
			      " ignored these unrecognized parameters: [salt_length]\"]}",
			      0, "ignored a field (too old?): Endpoint ignored these unrecognized "
				 "parameters: [salt_length]");
}
END_TEST

/* text as a JSON string body: PEM newlines escaped. */
static char *json_escape(const char *text)
{
	struct mcr_buf esc = MCR_BUF_INIT;

	for (; *text; text++)
		if (*text == '\n')
			mcr_buf_add_str(&esc, "\\n");
		else
			mcr_buf_add(&esc, text, 1);
	return (char *)mcr_buf_detach(&esc, NULL);
}

/* A read-key reply whose versions 1 and 2 hold the given public key texts. */
static char *key_reply(const char *type, bool has_latest, const char *v1, const char *v2)
{
	char *e1 = json_escape(v1), *e2 = json_escape(v2), *text;

	ck_assert(asprintf(&text, "{\"data\":{\"type\":\"%s\",%s\"keys\":{\"1\":{\"public_key\":"
				  "\"%s\"},\"2\":{\"public_key\":\"%s\",\"name\":\"x\"}}}}",
			   type, has_latest ? "\"latest_version\":2," : "", e1, e2) > 0);
	free(e1);
	free(e2);
	return text;
}

static char *vector_text(const char *rel)
{
	struct mcr_buf b = MCR_BUF_INIT;

	mcr_test_read(&b, mcr_test_vector(rel));
	return (char *)mcr_buf_detach(&b, NULL);
}

static void expect_key(const char *reply, long long want, const char *pub_rel, long long version)
{
	struct mcr_key *got = NULL, *expected = NULL;
	long long got_version = 0;

	ck_assert_int_eq(mcr_vault_transit_parse_key(&got, &got_version, reply, strlen(reply), want,
						     "v", "https://vault/v1/transit/keys/fw"),
			 0);
	ck_assert_int_eq(mcr_key_load_pem(&expected, mcr_test_vector(pub_rel)), 0);
	ck_assert(mcr_key_same_public(got, expected));
	ck_assert_int_eq(got_version, version);
	mcr_key_free(got);
	mcr_key_free(expected);
}

static void expect_bad_key(const char *reply, long long want, const char *needle)
{
	struct mcr_key *got = NULL;
	long long version = 0;

	ck_assert_int_eq(mcr_vault_transit_parse_key(&got, &version, reply, strlen(reply), want,
						     "v", "https://vault/v1/transit/keys/fw"),
			 MCR_ESIGNER);
	ck_assert_ptr_null(got);
	ck_assert_msg(strstr(mcr_error_message(), needle), "'%s' lacks '%s'", mcr_error_message(),
		      needle);
}

START_TEST(test_signer_vault_key_reply)
{
	char *p256 = vector_text("keys/ecdsa-p256.pub.pem");
	char *other = vector_text("keys/ecdsa-p256-other.pub.pem");
	char *rsa = vector_text("keys/rsa-3072.pub.pem");
	struct mcr_buf der = MCR_BUF_INIT, ed = MCR_BUF_INIT;
	char *reply;

	reply = key_reply("ecdsa-p256", true, other, p256);
	expect_key(reply, 0, "keys/ecdsa-p256.pub.pem", 2); /* latest_version */
	expect_key(reply, 1, "keys/ecdsa-p256-other.pub.pem", 1);
	expect_bad_key(reply, 5, "no public key for key version 5");
	free(reply);
	reply = key_reply("ecdsa-p256", false, other, p256);
	expect_key(reply, 0, "keys/ecdsa-p256.pub.pem", 2); /* the highest listed */
	free(reply);
	reply = key_reply("rsa-3072", true, rsa, rsa);
	expect_key(reply, 0, "keys/rsa-3072.pub.pem", 2);
	free(reply);
	/* Ed25519: Vault gives base64 of the 32 raw bytes, the tail of the SPKI */
	mcr_test_read(&der, mcr_test_vector("keys/ed25519.pub.der"));
	mcr_base64_encode(&ed, der.data + der.len - 32, 32, false);
	reply = key_reply("ed25519", true, (char *)ed.data, (char *)ed.data);
	expect_key(reply, 0, "keys/ed25519.pub.pem", 2);
	free(reply);
	reply = key_reply("rsa-2048", true, p256, p256);
	expect_bad_key(reply, 0, "key type 'rsa-2048' but a ecdsa-p256 public key");
	free(reply);
	reply = key_reply("ecdsa-p521", true, p256, p256);
	expect_bad_key(reply, 0, "key type 'ecdsa-p521' is not one MCUboot verifies");
	free(reply);
	reply = key_reply("ecdsa-p256", true, p256, "-----BEGIN PUBLIC KEY-----\nAAAA\n");
	expect_bad_key(reply, 0, "https://vault/v1/transit/keys/fw");
	free(reply);
	/* a symmetric key lists creation times, not public keys */
	expect_bad_key("{\"data\":{\"type\":\"aes256-gcm96\",\"keys\":{\"1\":1442851412},"
		       "\"latest_version\":1}}", 0, "no public key for key version 1");
	expect_bad_key("{\"data\":{}}", 0, "no 'data.keys' object");
	/* Vault numbers versions from 1: an entry "0" and no latest_version is no key
	 * (found by fuzz_vault: tests/fuzz/regressions/vault) */
	{
		struct mcr_buf zero = MCR_BUF_INIT;

		mcr_buf_addf(&zero, "{\"data\":{\"type\":\"ed25519\",\"keys\":{\"0\":"
			     "{\"public_key\":\"%s\"}}}}", (char *)ed.data);
		expect_bad_key((char *)zero.data, 0, "no key version of 1 or more");
		mcr_buf_release(&zero);
	}
	expect_bad_key("nope", 0, "not JSON");
	mcr_buf_release(&der);
	mcr_buf_release(&ed);
	free(p256);
	free(other);
	free(rsa);
}
END_TEST

static void expect_error_text(const char *reply, const char *want)
{
	struct mcr_buf token = MCR_BUF_INIT;
	char out[256];

	mcr_buf_add_str(&token, TOKEN);
	mcr_vault_transit_error_text(out, sizeof(out), reply, strlen(reply), &token);
	ck_assert_str_eq(out, want);
	mcr_buf_release(&token);
}

START_TEST(test_signer_vault_error_text)
{
	char long_reply[512], want[256];

	expect_error_text("{\"errors\":[\"permission denied\"]}", "permission denied");
	expect_error_text("{\"errors\":[\"1 error occurred:\\n\\t* internal error\\n\\n\"]}",
			  "1 error occurred: * internal error");
	expect_error_text("{\"errors\":[\"  token " TOKEN " is invalid\",\"second\"]}",
			  "token [redacted] is invalid");
	expect_error_text("{\"errors\":[\"caf\\u00e9\\u0007\"]}", "caf??");
	expect_error_text("{\"errors\":[]}", "");
	expect_error_text("<html>", "");
	expect_error_text("", "");
	snprintf(long_reply, sizeof(long_reply), "{\"errors\":[\"%0300d\"]}", 0);
	snprintf(want, sizeof(want), "%0200d", 0);
	expect_error_text(long_reply, want);
}
END_TEST

static void expect_token(const char *file_text, const char *want)
{
	const char *path = mcr_test_path("%s/token", mcr_test_tmpdir());
	struct mcr_signer_config cfg = {0};
	struct mcr_buf token;

	mcr_buf_init_secret(&token);
	mcr_test_write(path, file_text, strlen(file_text));
	cfg.name = "v";
	cfg.vault_token_file = path;
	ck_assert_int_eq(mcr_signer_vault_read_token(&token, &cfg), 0);
	ck_assert_str_eq((char *)token.data, want);
	ck_assert(token.is_secret);
	mcr_buf_release(&token);
}

static void expect_token_refusal(const char *file_text, const char *env, const char *needle)
{
	const char *path = mcr_test_path("%s/token", mcr_test_tmpdir());
	struct mcr_signer_config cfg = {0};
	struct mcr_buf token;

	mcr_buf_init_secret(&token);
	cfg.name = "v";
	if (file_text) {
		mcr_test_write(path, file_text, strlen(file_text));
		cfg.vault_token_file = path;
	}
	cfg.vault_token_env = env;
	ck_assert_int_eq(mcr_signer_vault_read_token(&token, &cfg), MCR_EINPUT);
	ck_assert_msg(strstr(mcr_error_message(), needle), "'%s' lacks '%s'", mcr_error_message(),
		      needle);
	ck_assert_msg(!strstr(mcr_error_message(), "secret"), "%s", mcr_error_message());
	mcr_buf_release(&token);
}

START_TEST(test_signer_vault_token_sources)
{
	struct mcr_signer_config cfg = {0};
	struct mcr_buf token;

	expect_token(TOKEN "\n", TOKEN);
	expect_token(TOKEN "\r\n", TOKEN);
	expect_token(TOKEN, TOKEN);
	expect_token_refusal("", NULL, "empty vault token file");
	expect_token_refusal("\n", NULL, "empty vault token file");
	expect_token_refusal("secret\n\n", NULL, "several lines");
	expect_token_refusal("secret token\n", NULL, "holds spaces");
	expect_token_refusal("secret\n", "MCR_UNIT_TOKEN",
			     "sets both 'token_file' and 'token_env'");
	expect_token_refusal(NULL, NULL, "needs 'token_file' or 'token_env'");
	unsetenv("MCR_UNIT_TOKEN");
	expect_token_refusal(NULL, "MCR_UNIT_TOKEN", "no vault token in environment variable "
			     "'MCR_UNIT_TOKEN' for signer 'v'");
	setenv("MCR_UNIT_TOKEN", "secret\tx", 1);
	expect_token_refusal(NULL, "MCR_UNIT_TOKEN", "holds a space or control character");
	setenv("MCR_UNIT_TOKEN", TOKEN, 1);
	mcr_buf_init_secret(&token);
	cfg.name = "v";
	cfg.vault_token_env = "MCR_UNIT_TOKEN";
	ck_assert_int_eq(mcr_signer_vault_read_token(&token, &cfg), 0);
	ck_assert_str_eq((char *)token.data, TOKEN);
	mcr_buf_release(&token);
}
END_TEST

/* Config faults are refused by mcr_signer_open before libcurl is loaded or anything is sent. */
static void expect_open_refusal(const char *addr, const char *key, const char *mount,
				const char *namespace_name, const char *ca_file, const char *needle)
{
	struct mcr_signer_config cfg = {0};
	struct mcr_signer *signer = NULL;

	cfg.name = "v";
	cfg.backend = "vault-transit";
	cfg.vault_addr = addr;
	cfg.vault_key = key;
	cfg.vault_mount = mount;
	cfg.vault_namespace = namespace_name;
	cfg.vault_ca_file = ca_file;
	cfg.vault_token_env = "MCR_UNIT_TOKEN";
	ck_assert_int_eq(mcr_signer_open(&signer, &cfg), MCR_EINPUT);
	ck_assert_ptr_null(signer);
	ck_assert_msg(strstr(mcr_error_message(), needle), "'%s' lacks '%s'", mcr_error_message(),
		      needle);
	ck_assert_msg(!strstr(mcr_error_message(), "hunter2"), "%s", mcr_error_message());
}

START_TEST(test_signer_vault_config_refusals)
{
	const char *h = "https://vault:8200";

	expect_open_refusal(NULL, "fw", NULL, NULL, NULL, "needs 'addr'");
	expect_open_refusal(h, NULL, NULL, NULL, NULL, "needs 'key_name'");
	expect_open_refusal("http://vault:8200", "fw", NULL, NULL, NULL,
			    "vault address 'http://vault:8200' of signer 'v' is not https://HOST");
	expect_open_refusal("https://", "fw", NULL, NULL, NULL, "is not https://HOST");
	expect_open_refusal("https://ci:hunter2@vault:8200", "fw", NULL, NULL, NULL,
			    "holds user info, a query, a fragment or a space");
	expect_open_refusal("https://vault:8200/?x=1", "fw", NULL, NULL, NULL, "a query");
	expect_open_refusal(h, "../sys", NULL, NULL, NULL, "bad key_name '../sys' of signer 'v'");
	expect_open_refusal(h, "fw/sha1", NULL, NULL, NULL, "bad key_name");
	expect_open_refusal(h, "f w", NULL, NULL, NULL, "bad key_name");
	expect_open_refusal(h, "fw", "a//b", NULL, NULL, "bad mount 'a//b'");
	expect_open_refusal(h, "fw", "transit/", NULL, NULL, "bad mount");
	expect_open_refusal(h, "fw", "x/../sys", NULL, NULL, "bad mount");
	expect_open_refusal(h, "fw", NULL, "team a", NULL, "bad namespace");
	expect_open_refusal(h, "fw", NULL, NULL, "/nonexistent/ca.pem",
			    "cannot read CA bundle '/nonexistent/ca.pem' of signer 'v'");
}
END_TEST

static Suite *vault_suite(void)
{
	Suite *s = suite_create("signer_vault");
	TCase *tc = tcase_create("transit");

	tcase_add_test(tc, test_signer_vault_request_per_key_type);
	tcase_add_test(tc, test_signer_vault_sign_reply);
	tcase_add_test(tc, test_signer_vault_bad_sign_replies);
	tcase_add_test(tc, test_signer_vault_key_reply);
	tcase_add_test(tc, test_signer_vault_error_text);
	suite_add_tcase(s, tc);
	tc = tcase_create("backend");
	tcase_add_test(tc, test_signer_vault_token_sources);
	tcase_add_test(tc, test_signer_vault_config_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(vault_suite());
}
