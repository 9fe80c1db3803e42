/* Unit tests: the command signer's placeholders, environment, reply decoding and stderr redaction.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "hash.h"
#include "proc.h"
#include "signer.h"
#include "signer_command_args.h"
#include "signer_command_reply.h"
#include "testutil.h"

/* 0xfb 0xff 0xbf: all three base64 forms differ ('+', '/' and '-', '_'). */
static const unsigned char digest[] = {0xfb, 0xff, 0xbf, 0x00, 0x01};

static struct mcr_signer_command_request request(void)
{
	struct mcr_signer_command_request req = {0};

	req.data = digest;
	req.data_len = sizeof(digest);
	req.hash = "sha384";
	req.alg = mcr_signer_command_args_alg(MCR_KEY_P384);
	req.key_id = "alias/fw";
	req.request_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
	req.digest_file = "/tmp/x/digest";
	req.sig_file = "/tmp/x/sig";
	return req;
}

START_TEST(test_signer_command_expand)
{
	const char *argv[] = {"/bin/sign",
	                      "{digest_file}",
	                      "--out={sig_file}",
	                      "{digest_hex}{digest_b64}|{digest_b64url}",
	                      "{\"alg\":\"{alg}\",\"hash\":\"{hash}\",\"key\":\"{key_id}\"}",
	                      "{request_id}",
	                      "{unknown} {} {Digest_hex} {digest_hex",
	                      "",
	                      NULL};
	struct mcr_signer_command_request req = request();
	char **out = NULL;

	ck_assert_int_eq(mcr_signer_command_args_expand(&out, argv, &req), 0);
	ck_assert_str_eq(out[0], "/bin/sign");
	ck_assert_str_eq(out[1], "/tmp/x/digest");
	ck_assert_str_eq(out[2], "--out=/tmp/x/sig");
	ck_assert_str_eq(out[3], "fbffbf0001+/+/AAE=|-_-_AAE");
	ck_assert_str_eq(out[4],
	                 "{\"alg\":\"ecdsa-p384\",\"hash\":\"sha384\",\"key\":\"alias/fw\"}");
	ck_assert_str_eq(out[5], "0f8fad5b-d9cb-469f-a165-70867728950e");
	/* only the known names are placeholders; expansion never re-reads what it inserted */
	ck_assert_str_eq(out[6], "{unknown} {} {Digest_hex} {digest_hex");
	ck_assert_str_eq(out[7], "");
	ck_assert_ptr_null(out[8]);
	mcr_signer_command_args_free(out);
	req.digest_file = NULL;
	req.data = (const unsigned char *)"{digest_hex}";
	req.data_len = 12;
	{
		const char *again[] = {"/bin/sign", "{digest_file}{digest_b64}", NULL};

		ck_assert_int_eq(mcr_signer_command_args_expand(&out, again, &req), 0);
		ck_assert_str_eq(out[1], "e2RpZ2VzdF9oZXh9");
		mcr_signer_command_args_free(out);
	}
}
END_TEST

START_TEST(test_signer_command_alg_names)
{
	ck_assert_str_eq(mcr_signer_command_args_alg(MCR_KEY_P256), "ecdsa-p256");
	ck_assert_str_eq(mcr_signer_command_args_alg(MCR_KEY_P384), "ecdsa-p384");
	ck_assert_str_eq(mcr_signer_command_args_alg(MCR_KEY_RSA2048), "rsa-pss-2048");
	ck_assert_str_eq(mcr_signer_command_args_alg(MCR_KEY_RSA3072), "rsa-pss-3072");
	ck_assert_str_eq(mcr_signer_command_args_alg(MCR_KEY_ED25519), "ed25519");
}
END_TEST

static void expect_check_refusal(const char *const *argv, bool key_id, bool digest_file,
                                 const char *needle)
{
	ck_assert_int_eq(mcr_signer_command_args_check(argv, key_id, digest_file, "kms"),
	                 MCR_EINPUT);
	ck_assert_msg(strstr(mcr_error_message(), needle), "'%s' lacks '%s'", mcr_error_message(),
	              needle);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "signer 'kms'"));
}

START_TEST(test_signer_command_check)
{
	const char *good[] = {"aws", "{digest_b64}", "{\"a\":{\"b\":1}}", "{}", "{X}", NULL};
	const char *typo[] = {"aws", "--in={digest_fil}", NULL};
	const char *in_argv0[] = {"/opt/{alg}/sign", NULL};
	const char *key_id[] = {"aws", "--key-id", "{key_id}", NULL};
	const char *file[] = {"aws", "fileb://{digest_file}", NULL};

	ck_assert_int_eq(mcr_signer_command_args_check(good, false, false, "kms"), 0);
	expect_check_refusal(typo, true, true, "unknown placeholder '{digest_fil}'");
	expect_check_refusal(in_argv0, true, true, "argv[0]");
	expect_check_refusal(key_id, false, true, "needs 'key_id'");
	ck_assert_int_eq(mcr_signer_command_args_check(key_id, true, false, "kms"), 0);
	expect_check_refusal(file, true, false, "'{digest_file}'");
	ck_assert_int_eq(mcr_signer_command_args_check(file, false, true, "kms"), 0);
}
END_TEST

static const char *env_get(char **env, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; env[i]; i++)
		if (!strncmp(env[i], name, len) && env[i][len] == '=')
			return env[i] + len + 1;
	return NULL;
}

START_TEST(test_signer_command_env)
{
	const char *pass[] = {"AWS_PROFILE", "UNSET_VAR",   "MCURELEASE_ALG",
	                      "PATH",        "AWS_PROFILE", NULL};
	struct mcr_signer_command_request req = request();
	char **env = NULL;
	size_t n = 0;

	mcr_test_tmpdir();
	setenv("AWS_PROFILE", "release", 1);
	setenv("MCURELEASE_ALG", "forged", 1);
	setenv("NOT_PASSED", "secret", 1);
	setenv("LANG", "C.UTF-8", 1);
	unsetenv("UNSET_VAR");
	ck_assert_int_eq(mcr_signer_command_args_env(&env, pass, &req), 0);
	ck_assert_str_eq(env_get(env, "AWS_PROFILE"), "release");
	ck_assert_str_eq(env_get(env, "MCURELEASE_ALG"), "ecdsa-p384");
	ck_assert_str_eq(env_get(env, "MCURELEASE_HASH"), "sha384");
	ck_assert_str_eq(env_get(env, "MCURELEASE_DIGEST_HEX"), "fbffbf0001");
	ck_assert_str_eq(env_get(env, "MCURELEASE_KEY_ID"), "alias/fw");
	ck_assert_str_eq(env_get(env, "MCURELEASE_REQUEST_ID"), req.request_id);
	ck_assert_str_eq(env_get(env, "MCURELEASE_SIG_FILE"), "/tmp/x/sig");
	ck_assert_str_eq(env_get(env, "MCURELEASE_DIGEST_FILE"), "/tmp/x/digest");
	ck_assert_str_eq(env_get(env, "HOME"), getenv("HOME"));
	ck_assert_str_eq(env_get(env, "LANG"), "C.UTF-8");
	ck_assert_str_eq(env_get(env, "PATH"), getenv("PATH"));
	ck_assert_ptr_null(env_get(env, "NOT_PASSED"));
	ck_assert_ptr_null(env_get(env, "UNSET_VAR"));
	while (env[n])
		n++;
	ck_assert_uint_eq(n, 11); /* each name once */
	mcr_signer_command_args_free(env);
	req.digest_file = NULL;
	ck_assert_int_eq(mcr_signer_command_args_env(&env, NULL, &req), 0);
	ck_assert_ptr_null(env_get(env, "MCURELEASE_DIGEST_FILE"));
	mcr_signer_command_args_free(env);
	ck_assert(mcr_signer_command_args_env_name_ok("AWS_SESSION_TOKEN"));
	ck_assert(mcr_signer_command_args_env_name_ok("_x1"));
	ck_assert(!mcr_signer_command_args_env_name_ok("1X"));
	ck_assert(!mcr_signer_command_args_env_name_ok("A=B"));
	ck_assert(!mcr_signer_command_args_env_name_ok(""));
}
END_TEST

/* Decodes text with encoding; returns the status and leaves the bytes in out. */
static int decode(struct mcr_buf *out, enum mcr_signer_command_encoding enc, const char *text,
                  unsigned long *version)
{
	mcr_buf_release(out);
	return mcr_signer_command_reply_decode(out, version, enc, (const unsigned char *)text,
	                                       strlen(text), "kms");
}

static void expect_bytes(const struct mcr_buf *out, const unsigned char *want, size_t len)
{
	ck_assert_uint_eq(out->len, len);
	ck_assert(!memcmp(out->data, want, len));
}

START_TEST(test_signer_command_decode_good)
{
	static const unsigned char want[] = {0xfb, 0xff, 0xbf, 0x00, 0x01};
	struct mcr_buf out = MCR_BUF_INIT;
	unsigned long version = 99;

	ck_assert_int_eq(decode(&out, MCR_SIGNER_COMMAND_BASE64, "+/+/AAE=\n", &version), 0);
	expect_bytes(&out, want, 5);
	ck_assert_uint_eq(version, 0);
	ck_assert_int_eq(decode(&out, MCR_SIGNER_COMMAND_BASE64, " +/+/\r\nAAE\n\n", &version), 0);
	expect_bytes(&out, want, 5);
	ck_assert_int_eq(decode(&out, MCR_SIGNER_COMMAND_BASE64URL, "-_-_AAE\n", &version), 0);
	expect_bytes(&out, want, 5);
	ck_assert_int_eq(decode(&out, MCR_SIGNER_COMMAND_HEX, "FBffbf\n0001\r\n", &version), 0);
	expect_bytes(&out, want, 5);
	ck_assert_int_eq(decode(&out, MCR_SIGNER_COMMAND_VAULT, "vault:v12:+/+/AAE=\n", &version),
	                 0);
	expect_bytes(&out, want, 5);
	ck_assert_uint_eq(version, 12);
	/* Vault's jws marshaling answers in the URL alphabet */
	ck_assert_int_eq(decode(&out, MCR_SIGNER_COMMAND_VAULT, "vault:v1:-_-_AAE", &version), 0);
	expect_bytes(&out, want, 5);
	/* raw is taken as it is, whitespace included */
	ck_assert_int_eq(decode(&out, MCR_SIGNER_COMMAND_RAW, " \n", &version), 0);
	expect_bytes(&out, (const unsigned char *)" \n", 2);
	mcr_buf_release(&out);
}
END_TEST

static void expect_decode_refusal(enum mcr_signer_command_encoding enc, const char *text,
                                  const char *needle)
{
	struct mcr_buf out = MCR_BUF_INIT;
	unsigned long version;

	ck_assert_int_eq(decode(&out, enc, text, &version), MCR_ESIGNER);
	ck_assert_msg(strstr(mcr_error_message(), needle), "'%s' lacks '%s'", mcr_error_message(),
	              needle);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "signer 'kms'"));
	ck_assert_uint_eq(out.len, 0);
	mcr_buf_release(&out);
}

START_TEST(test_signer_command_decode_bad)
{
	struct mcr_buf out = MCR_BUF_INIT;
	unsigned long version;

	expect_decode_refusal(MCR_SIGNER_COMMAND_RAW, "", "empty reply");
	expect_decode_refusal(MCR_SIGNER_COMMAND_BASE64, " \r\n", "empty reply");
	expect_decode_refusal(MCR_SIGNER_COMMAND_BASE64, "not a signature!", "bad base64");
	expect_decode_refusal(MCR_SIGNER_COMMAND_BASE64, "-_-_AAE", "bad base64");
	expect_decode_refusal(MCR_SIGNER_COMMAND_BASE64URL, "+/+/AAE=", "bad base64url");
	expect_decode_refusal(MCR_SIGNER_COMMAND_BASE64, "AAE=AAE=", "bad base64");
	expect_decode_refusal(MCR_SIGNER_COMMAND_HEX, "fbf", "bad hex");
	expect_decode_refusal(MCR_SIGNER_COMMAND_HEX, "0xfb", "bad hex");
	expect_decode_refusal(MCR_SIGNER_COMMAND_VAULT, "+/+/AAE=", "no 'vault:vN:' prefix");
	expect_decode_refusal(MCR_SIGNER_COMMAND_VAULT, "vault:v:+/+/AAE=", "no 'vault:vN:'");
	expect_decode_refusal(MCR_SIGNER_COMMAND_VAULT, "vault:v1+/+/AAE=", "no 'vault:vN:'");
	expect_decode_refusal(MCR_SIGNER_COMMAND_VAULT, "vault:v1:", "empty reply");
	expect_decode_refusal(MCR_SIGNER_COMMAND_VAULT, "vault:v1:!!", "bad base64");
	/* a NUL inside a text reply must not hide what follows it */
	ck_assert_int_eq(mcr_signer_command_reply_decode(&out, &version, MCR_SIGNER_COMMAND_BASE64,
	                                                 (const unsigned char *)"AAE=\0garbage", 12,
	                                                 "kms"),
	                 MCR_ESIGNER);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "binary data"));
	/* the message never quotes the reply, which could be anything */
	expect_decode_refusal(MCR_SIGNER_COMMAND_BASE64, "token-s3cr3t!", "bad base64");
	ck_assert_ptr_null(strstr(mcr_error_message(), "s3cr3t"));
	mcr_buf_release(&out);
}
END_TEST

START_TEST(test_signer_command_parse_encoding)
{
	enum mcr_signer_command_encoding enc;

	ck_assert_int_eq(mcr_signer_command_reply_parse_encoding(&enc, NULL), 0);
	ck_assert_int_eq(enc, MCR_SIGNER_COMMAND_RAW);
	ck_assert_int_eq(mcr_signer_command_reply_parse_encoding(&enc, "vault"), 0);
	ck_assert_int_eq(enc, MCR_SIGNER_COMMAND_VAULT);
	ck_assert_int_eq(mcr_signer_command_reply_parse_encoding(&enc, "base64url"), 0);
	ck_assert_int_eq(enc, MCR_SIGNER_COMMAND_BASE64URL);
	ck_assert_int_eq(mcr_signer_command_reply_parse_encoding(&enc, "b64"), MCR_EINPUT);
}
END_TEST

static const char *summary(const char *err)
{
	static char line[201];

	mcr_signer_command_reply_stderr_line(line, sizeof(line), (const unsigned char *)err,
	                                     strlen(err));
	return line;
}

START_TEST(test_signer_command_stderr_line)
{
	char longline[1000];

	ck_assert_str_eq(summary(""), "");
	ck_assert_str_eq(summary("\n \r\n  error: key disabled  \r\nmore\n"),
	                 "error: key disabled");
	ck_assert_str_eq(summary("pkcs11: C_Login failed: CKR_PIN_INCORRECT (0xa0)"),
	                 "pkcs11: C_Login failed: CKR_PIN_INCORRECT (0xa0)");
	ck_assert_str_eq(summary("bad PIN 98765432 given"), "bad PIN [redacted]");
	ck_assert_str_eq(summary("--pin=98765432"), "--pin=[redacted]");
	ck_assert_str_eq(summary("header X-Vault-Token: hvs.abc rejected"),
	                 "header X-Vault-Token: [redacted]");
	ck_assert_str_eq(summary("Authorization: Bearer ya29.abc"), "Authorization: [redacted]");
	ck_assert_str_eq(summary("aws_secret_access_key = wJalrXUtnFEMI"),
	                 "aws_secret_access_key = [redacted]");
	ck_assert_str_eq(summary("password:'hunter2'"), "password:'[redacted]");
	ck_assert_str_eq(summary("api key=abc123 bad"), "api key=[redacted]");
	/* "key" alone only before ':' or '=': KMS key names are the useful part of a message */
	ck_assert_str_eq(summary("key alias/fw is disabled"), "key alias/fw is disabled");
	ck_assert_str_eq(summary("invalid token"), "invalid token");
	/* secrets with no telltale word: long base64 or hex runs */
	ck_assert_str_eq(summary("got eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig back"),
	                 "got [redacted] back");
	ck_assert_str_eq(summary("id 0123456789abcdef0123456789abcdef"), "id [redacted]");
	ck_assert_str_eq(summary("blob AAAAB3NzaC1yc2EAAAADAQABAAABAQ+/=="), "blob [redacted]");
	ck_assert_str_eq(summary("xyzzy abcdefghijklmnopqrstuvwXYZ"), "xyzzy [redacted]");
	/* paths, UUIDs and long names are not secrets */
	ck_assert_str_eq(summary("ERROR: (gcloud.kms.asymmetric-sign) HTTPError 404"),
	                 "ERROR: (gcloud.kms.asymmetric-sign) HTTPError 404");
	ck_assert_str_eq(summary("C_Sign: CKR_KEY_FUNCTION_NOT_PERMITTED"),
	                 "C_Sign: CKR_KEY_FUNCTION_NOT_PERMITTED");
	ck_assert_str_eq(summary("cannot load /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"),
	                 "cannot load /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so");
	ck_assert_str_eq(summary("Can't open /tmp/mcurelease-sign-Ab12Cd/digest for reading"),
	                 "Can't open /tmp/mcurelease-sign-Ab12Cd/digest for reading");
	ck_assert_str_eq(summary("request 0f8fad5b-d9cb-469f-a165-70867728950e failed"),
	                 "request 0f8fad5b-d9cb-469f-a165-70867728950e failed");
	ck_assert_str_eq(summary("bell\a tab\t\xc3\xa9"), "bell? tab???");
	memset(longline, 'x', sizeof(longline) - 1);
	for (size_t i = 0; i < sizeof(longline) - 1; i += 5)
		longline[i] = ' ';
	longline[sizeof(longline) - 1] = '\0';
	ck_assert_uint_eq(strlen(summary(longline)), 200);
	ck_assert_str_eq(summary("fine\n"), "fine");
}
END_TEST

/* The backend in-process, through signer.c, around openssl with a vector key. */
static void open_openssl_ed25519(struct mcr_signer **signer, const char *input)
{
	const char *argv[] = {"openssl", "pkeyutl", "-sign",         "-inkey", NULL,
	                      "-rawin",  "-in",     "{digest_file}", NULL};
	struct mcr_signer_config cfg = {0};

	argv[4] = strdup(mcr_test_vector("keys/ed25519.pem"));
	cfg.name = "ed";
	cfg.backend = "command";
	cfg.public_key_path = mcr_test_vector("keys/ed25519.pub.pem");
	cfg.command_argv = argv;
	cfg.command_input = input;
	cfg.key_id = "vector-ed25519";
	ck_assert_int_eq(mcr_signer_open(signer, &cfg), 0);
	free((char *)argv[4]);
}

START_TEST(test_signer_command_in_process)
{
	unsigned char d[32], program_digest[32];
	char program_hex[65];
	struct mcr_buf sig = MCR_BUF_INIT;
	struct mcr_signer *signer = NULL;
	const cJSON *argv;
	cJSON *facts = cJSON_CreateObject();
	char *openssl = NULL;

	mcr_test_tmpdir();
	memset(d, 0x5a, sizeof(d));
	open_openssl_ed25519(&signer, "file");
	ck_assert_str_eq(mcr_signer_backend_name(signer), "command");
	ck_assert(!mcr_signer_is_dev(signer));
	ck_assert_int_eq(mcr_signer_sign_digest(signer, MCR_HASH_SHA256, d, 32, NULL, &sig), 0);
	ck_assert_uint_eq(sig.len, 64);
	ck_assert_int_eq(mcr_signer_describe(signer, facts), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(facts, "backend")->valuestring, "command");
	ck_assert_int_eq(mcr_proc_find_program(&openssl, "openssl"), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(facts, "command")->valuestring, openssl);
	ck_assert_int_eq(mcr_hash_file(MCR_HASH_SHA256, openssl, program_digest), 0);
	mcr_hex_encode(program_hex, program_digest, 32);
	ck_assert_str_eq(cJSON_GetObjectItem(facts, "command_sha256")->valuestring, program_hex);
	argv = cJSON_GetObjectItem(facts, "argv");
	ck_assert_int_eq(cJSON_GetArraySize(argv), 8);
	ck_assert_str_eq(cJSON_GetArrayItem(argv, 0)->valuestring, openssl);
	ck_assert_str_eq(cJSON_GetArrayItem(argv, 7)->valuestring, "{digest_file}");
	ck_assert_str_eq(cJSON_GetObjectItem(facts, "key_id")->valuestring, "vector-ed25519");
	ck_assert_int_eq(cJSON_GetObjectItem(facts, "attempts")->valueint, 1);
	cJSON_Delete(facts);
	mcr_signer_free(signer);
	free(openssl);
	mcr_buf_release(&sig);
}
END_TEST

START_TEST(test_signer_command_open_refusals)
{
	const char *relative[] = {"bin/sign", NULL};
	const char *missing[] = {"mcr-no-such-signer", NULL};
	const char *absent[] = {"/nonexistent/sign", NULL};
	const char *ok[] = {"openssl", NULL};
	const char *bad_env[] = {"A=B", NULL};
	struct mcr_signer_config cfg = {0};
	struct mcr_signer *signer = NULL;

	cfg.name = "kms";
	cfg.backend = "command";
	cfg.public_key_path = mcr_test_vector("keys/ed25519.pub.pem");
	cfg.command_argv = relative;
	ck_assert_int_eq(mcr_signer_open(&signer, &cfg), MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "relative path 'bin/sign'"));
	cfg.command_argv = missing;
	ck_assert_int_eq(mcr_signer_open(&signer, &cfg), MCR_ESIGNER);
	ck_assert_str_eq(mcr_error_message(),
	                 "signer 'kms' command 'mcr-no-such-signer' not found in PATH");
	cfg.command_argv = absent;
	ck_assert_int_eq(mcr_signer_open(&signer, &cfg), MCR_ESIGNER);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "is not an executable file"));
	cfg.command_argv = ok;
	cfg.command_env_pass = bad_env;
	ck_assert_int_eq(mcr_signer_open(&signer, &cfg), MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "bad variable name 'A=B'"));
	cfg.command_env_pass = NULL;
	cfg.command_encoding = "base32";
	ck_assert_int_eq(mcr_signer_open(&signer, &cfg), MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "'encoding'"));
	cfg.command_encoding = NULL;
	cfg.public_key_path = NULL; /* the command cannot vouch for its own key */
	ck_assert_int_eq(mcr_signer_open(&signer, &cfg), MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "needs a 'public_key'"));
	ck_assert_ptr_null(signer);
}
END_TEST

static Suite *signer_command_suite(void)
{
	Suite *s = suite_create("signer_command");
	TCase *args = tcase_create("args");
	TCase *reply = tcase_create("reply");
	TCase *backend = tcase_create("backend");

	tcase_add_test(args, test_signer_command_expand);
	tcase_add_test(args, test_signer_command_alg_names);
	tcase_add_test(args, test_signer_command_check);
	tcase_add_test(args, test_signer_command_env);
	tcase_add_test(reply, test_signer_command_decode_good);
	tcase_add_test(reply, test_signer_command_decode_bad);
	tcase_add_test(reply, test_signer_command_parse_encoding);
	tcase_add_test(reply, test_signer_command_stderr_line);
	tcase_add_test(backend, test_signer_command_in_process);
	tcase_add_test(backend, test_signer_command_open_refusals);
	suite_add_tcase(s, args);
	suite_add_tcase(s, reply);
	suite_add_tcase(s, backend);
	return s;
}

int main(void)
{
	return mcr_test_main(signer_command_suite());
}
