/*
 * End-to-end: the command signer through `mcurelease imgtool sign --key signer:NAME`, wrapping
 * openssl pkeyutl (vector keys) and pkcs11-tool (a SoftHSM2 token), every reply encoding, and
 * every fault: each gives status 4, one line naming the signer, no output file, no temp files,
 * and no secret the command printed.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "hsmfix.h"
#include "testutil.h"

#define FAKE        MCR_TEST_SOURCE_DIR "/tests/support/fake-signer.sh"
#define P11_WRAPPER MCR_TEST_SOURCE_DIR "/tests/support/p11-sign.sh"
/* What a command may echo to stderr: a Vault-like token and a PIN. */
#define TOKEN "hvs.CAESIJlUa3F0b2tlbi1zZWNyZXQtdmFsdWU"
#define PIN   "98765432"

static char dir[4096], tmp[4200], state[4200];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s", mcr_test_tmpdir());
	snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	ck_assert_int_eq(mkdir(tmp, 0700), 0);
	ck_assert_int_eq(mkdir(state, 0700), 0);
	/* mcurelease's private request directories go here, so the tests can see them removed */
	setenv("TMPDIR", tmp, 1);
	setenv("MCURELEASE_COMMAND_BACKOFF_MS", "10", 1);
	setenv("FAKE_TOKEN", TOKEN, 1);
	setenv("FAKE_PIN", PIN, 1);
}

static const char *key(const char *name)
{
	return mcr_test_vector(mcr_test_path("keys/%s.pem", name));
}

static const char *pub(const char *name)
{
	return mcr_test_vector(mcr_test_path("keys/%s.pub.pem", name));
}

/* Writes a config holding the signer sections given (NULL-terminated); returns its path. */
static const char *config(const char *first, ...)
{
	struct mcr_buf text = MCR_BUF_INIT;
	const char *path = mcr_test_path("%s/cfg-%d.json", dir, rand());
	va_list ap;

	mcr_buf_addf(&text, "{\"product\":\"cmd\",\"signers\":{%s", first);
	va_start(ap, first);
	for (const char *s; (s = va_arg(ap, const char *));)
		mcr_buf_addf(&text, ",%s", s);
	va_end(ap);
	mcr_buf_add_str(&text, "}}\n");
	mcr_test_write(path, text.data, text.len);
	mcr_buf_release(&text);
	return path;
}

/* A signer section around fake-signer.sh: the script writes one encoding, the config expects one.
 */
static const char *fake_as(const char *name, const char *mode, const char *key_name,
                           const char *pub_name, const char *written, const char *expected,
                           const char *extra)
{
	return mcr_test_path(
	        "\"%s\":{\"type\":\"command\",\"argv\":[\"%s\",\"%s\",\"%s\",\"%s\",\"%s\"],"
	        "\"input\":\"file\",\"encoding\":\"%s\",\"public_key\":\"%s\","
	        "\"env_pass\":[\"FAKE_TOKEN\",\"FAKE_PIN\"]%s}",
	        name, FAKE, mode, key(key_name), written, state, expected, pub(pub_name), extra);
}

/* As fake_as, both sides agreeing on the encoding. */
static const char *fake(const char *name, const char *mode, const char *key_name,
                        const char *pub_name, const char *encoding, const char *extra)
{
	return fake_as(name, mode, key_name, pub_name, encoding, encoding, extra);
}

static const char *out_path(const char *name)
{
	return mcr_test_path("%s/%s.signed.bin", dir, name);
}

static void sign(struct mcr_test_result *r, const char *cfg, const char *name)
{
	const char *argv[] = {MCR_TEST_BINARY,
	                      "imgtool",
	                      "sign",
	                      "--key",
	                      mcr_test_path("signer:%s", name),
	                      "--config",
	                      cfg,
	                      "-H",
	                      "0x20",
	                      "--pad-header",
	                      "-S",
	                      "0x20000",
	                      "-v",
	                      "1.2.3",
	                      mcr_test_vector("inputs/raw-1k.bin"),
	                      out_path(name),
	                      NULL};

	mcr_test_exec(r, argv, NULL);
	ck_assert_msg(!strstr((char *)r->err.data, TOKEN), "token on stderr: %s",
	              (char *)r->err.data);
	ck_assert_msg(!strstr((char *)r->err.data, PIN), "PIN on stderr: %s", (char *)r->err.data);
	ck_assert_msg(!strstr((char *)r->out.data, TOKEN), "token on stdout");
	ck_assert_int_eq(mcr_test_count_entries(tmp), 0); /* request files removed */
}

static void expect_signed(const char *cfg, const char *name, const char *pub_path)
{
	struct mcr_test_result r;

	sign(&r, cfg, name);
	ck_assert_msg(r.status == 0, "signer '%s': exit %d: %s", name, r.status,
	              (char *)r.err.data);
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "imgtool", "verify", "-k", pub_path, out_path(name), NULL);
	ck_assert_msg(r.status == 0, "verify '%s': exit %d: %s", name, r.status,
	              (char *)r.err.data);
	mcr_test_result_release(&r);
}

/* Status 4, exactly one "mcurelease: " line holding needle, and no output file. */
static void expect_fault(const char *cfg, const char *name, const char *needle)
{
	struct mcr_test_result r;
	const char *err;

	sign(&r, cfg, name);
	err = (const char *)r.err.data;
	ck_assert_msg(r.status == 4, "signer '%s': exit %d: %s", name, r.status, err);
	ck_assert_msg(!strncmp(err, "mcurelease: ", 12), "stderr: %s", err);
	ck_assert_msg(strchr(err, '\n') == err + r.err.len - 1, "not one line: %s", err);
	ck_assert_msg(strstr(err, needle), "'%s' lacks '%s'", err, needle);
	ck_assert_msg(strstr(err, mcr_test_path("'%s'", name)), "'%s' does not name the signer",
	              err);
	ck_assert(!mcr_test_exists(out_path(name)));
	mcr_test_result_release(&r);
}

static int attempts(void)
{
	struct mcr_buf text = MCR_BUF_INIT;
	int lines = 0;

	if (!mcr_test_exists(mcr_test_path("%s/attempts", state)))
		return 0;
	mcr_test_read(&text, mcr_test_path("%s/attempts", state));
	for (size_t i = 0; i < text.len; i++)
		lines += text.data[i] == '\n';
	mcr_buf_release(&text);
	mcr_test_sh_ok("rm -f '%s/attempts'", state);
	return lines;
}

START_TEST(test_signer_command_openssl_all_types)
{
	const char *pss = "\"-pkeyopt\",\"digest:sha256\",\"-pkeyopt\",\"rsa_padding_mode:pss\","
	                  "\"-pkeyopt\",\"rsa_pss_saltlen:32\",\"-pkeyopt\",\"rsa_mgf1_md:sha256\"";
	const char *cfg = config(
	        /* digest on stdin, DER on stdout */
	        mcr_test_path("\"p256\":{\"type\":\"command\",\"argv\":[\"openssl\",\"pkeyutl\",\"-"
	                      "sign\","
	                      "\"-inkey\",\"%s\",\"-in\",\"/dev/stdin\"],\"ecdsa_format\":\"der\","
	                      "\"public_key\":\"%s\"}",
	                      key("ecdsa-p256"), pub("ecdsa-p256")),
	        /* digest file in, signature file out */
	        mcr_test_path(
	                "\"p384\":{\"type\":\"command\",\"argv\":[\"/usr/bin/openssl\",\"pkeyutl\","
	                "\"-sign\",\"-inkey\",\"%s\",\"-in\",\"{digest_file}\",\"-out\",\"{sig_"
	                "file}\"],"
	                "\"input\":\"file\",\"output\":\"file\",\"public_key\":\"%s\"}",
	                key("ecdsa-p384"), pub("ecdsa-p384")),
	        mcr_test_path("\"rsa2048\":{\"type\":\"command\",\"argv\":[\"openssl\",\"pkeyutl\","
	                      "\"-sign\","
	                      "\"-inkey\",\"%s\",\"-in\",\"{digest_file}\",%s],\"input\":\"file\","
	                      "\"public_key\":\"%s\"}",
	                      key("rsa-2048"), pss, pub("rsa-2048")),
	        mcr_test_path(
	                "\"rsa3072\":{\"type\":\"command\",\"argv\":[\"openssl\",\"pkeyutl\",\"-"
	                "sign\","
	                "\"-inkey\",\"%s\",\"-in\",\"/dev/stdin\",\"-out\",\"{sig_file}\",%s],"
	                "\"output\":\"file\",\"public_key\":\"%s\"}",
	                key("rsa-3072"), pss, pub("rsa-3072")),
	        mcr_test_path("\"ed25519\":{\"type\":\"command\",\"argv\":[\"openssl\",\"pkeyutl\","
	                      "\"-sign\","
	                      "\"-inkey\",\"%s\",\"-rawin\",\"-in\",\"{digest_file}\",\"-out\",\"{"
	                      "sig_file}\"],"
	                      "\"output\":\"file\",\"public_key\":\"%s\"}",
	                      key("ed25519"), pub("ed25519")),
	        NULL);

	expect_signed(cfg, "p256", pub("ecdsa-p256"));
	expect_signed(cfg, "p384", pub("ecdsa-p384"));
	expect_signed(cfg, "rsa2048", pub("rsa-2048"));
	expect_signed(cfg, "rsa3072", pub("rsa-3072"));
	expect_signed(cfg, "ed25519", pub("ed25519"));
}
END_TEST

START_TEST(test_signer_command_encodings)
{
	const char *cfg = config(
	        fake("b64", "ok", "ecdsa-p256", "ecdsa-p256", "base64", ""),
	        fake("b64url", "ok", "rsa-2048", "rsa-2048", "base64url", ""),
	        fake("hex", "ok", "ecdsa-p384", "ecdsa-p384", "hex", ""),
	        fake("vault", "ok", "ed25519", "ed25519", "vault", ""),
	        fake("rawfile", "to-file", "rsa-3072", "rsa-3072", "raw", ",\"output\":\"file\""),
	        NULL);

	expect_signed(cfg, "b64", pub("ecdsa-p256"));
	expect_signed(cfg, "b64url", pub("rsa-2048"));
	expect_signed(cfg, "hex", pub("ecdsa-p384"));
	expect_signed(cfg, "vault", pub("ed25519"));
	expect_signed(cfg, "rawfile", pub("rsa-3072"));
}
END_TEST

START_TEST(test_signer_command_bad_replies)
{
	const char *cfg = config(
	        fake("garbage", "garbage", "ecdsa-p256", "ecdsa-p256", "base64", ""),
	        fake("garbage-raw", "garbage", "ecdsa-p256", "ecdsa-p256", "raw", ""),
	        fake("truncated", "truncate", "ecdsa-p256", "ecdsa-p256", "raw", ""),
	        fake("truncated-rsa", "truncate", "rsa-2048", "rsa-2048", "base64", ""),
	        fake("other-key", "ok", "ecdsa-p256-other", "ecdsa-p256", "raw", ""),
	        fake("max-salt", "maxsalt", "rsa-2048", "rsa-2048", "raw", ""),
	        fake("der-as-raw", "ok", "ecdsa-p256", "ecdsa-p256", "raw",
	             ",\"ecdsa_format\":\"raw\""),
	        fake("empty", "empty", "ecdsa-p256", "ecdsa-p256", "raw", ""),
	        fake("big", "big", "ecdsa-p256", "ecdsa-p256", "raw", ""),
	        fake("no-file", "no-file", "ecdsa-p256", "ecdsa-p256", "raw",
	             ",\"output\":\"file\""),
	        fake_as("vault-bare", "ok", "ecdsa-p256", "ecdsa-p256", "base64", "vault", ""),
	        NULL);

	expect_fault(cfg, "garbage", "bad base64 in the reply of signer 'garbage'");
	expect_fault(cfg, "garbage-raw", "is neither raw r||s nor DER");
	expect_fault(cfg, "truncated", "is neither raw r||s nor DER");
	expect_fault(cfg, "truncated-rsa", "RSA signature from 'truncated-rsa' has 20 bytes");
	expect_fault(cfg, "other-key", "does not verify with its pinned ecdsa-p256 key");
	/* OpenSSL's default PSS salt is the longest that fits; MCUboot takes exactly 32 */
	expect_fault(cfg, "max-salt", "signature from signer 'max-salt' does not verify");
	expect_fault(cfg, "der-as-raw", "raw ECDSA signature from 'der-as-raw' has");
	expect_fault(cfg, "empty", "empty reply from signer 'empty'");
	expect_fault(cfg, "big", "exceeds 65536 bytes");
	expect_fault(cfg, "no-file", "no signature file from signer 'no-file'");
	expect_fault(cfg, "vault-bare", "no 'vault:vN:' prefix");
}
END_TEST

START_TEST(test_signer_command_exit_statuses)
{
	const char *cfg = config(fake("fail", "fail", "ecdsa-p256", "ecdsa-p256", "raw", ""),
	                         fake("killed", "killed", "ecdsa-p256", "ecdsa-p256", "raw", ""),
	                         fake("leak", "leak", "ecdsa-p256", "ecdsa-p256", "raw", ""), NULL);
	const char *bad_argv0 = config(
	        mcr_test_path(
	                "\"missing\":{\"type\":\"command\",\"argv\":[\"mcr-no-such-kms-cli\"],"
	                "\"public_key\":\"%s\"}",
	                pub("ecdsa-p256")),
	        NULL);

	/* the first non-blank stderr line, cut at the PIN */
	expect_fault(cfg, "fail",
	             "command '" FAKE
	             "' exited with status 3: error: bad request; PIN [redacted]\n");
	expect_fault(cfg, "killed", "was killed by signal 9");
	expect_fault(cfg, "leak",
	             "exited with status 1: unexpected response [redacted] from server");
	expect_fault(bad_argv0, "missing", "command 'mcr-no-such-kms-cli' not found in PATH");
}
END_TEST

START_TEST(test_signer_command_retries)
{
	const char *cfg = config(
	        fake("once", "tempfail-once", "ecdsa-p256", "ecdsa-p256", "raw", ",\"retries\":1"),
	        fake("always", "tempfail", "ecdsa-p256", "ecdsa-p256", "raw", ",\"retries\":2"),
	        fake("no-retries", "tempfail", "ecdsa-p256", "ecdsa-p256", "raw", ""),
	        fake("denied", "denied", "ecdsa-p256", "ecdsa-p256", "raw", ",\"retries\":3"),
	        NULL);

	expect_signed(cfg, "once", pub("ecdsa-p256"));
	ck_assert_int_eq(attempts(), 2);
	expect_fault(cfg, "always",
	             "exited with status 75 (try again later) on attempt 3 of 3: "
	             "ThrottlingException: rate exceeded");
	ck_assert_int_eq(attempts(), 3);
	expect_fault(cfg, "no-retries", "on attempt 1 of 1");
	ck_assert_int_eq(attempts(), 1);
	/* permission denied is final: retrying would only lock the account */
	expect_fault(cfg, "denied",
	             "was denied permission (exit status 77): "
	             "AccessDeniedException: not authorized, session token [redacted]");
	ck_assert_int_eq(attempts(), 1);
}
END_TEST

/* True once pid is gone or a zombie (its parent, init, may not have reaped it yet). */
static bool process_gone(long pid)
{
	for (int i = 0; i < 300; i++) {
		char path[64], stat_line[256] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if (!(f = fopen(path, "r")))
			return true;
		if (!fgets(stat_line, sizeof(stat_line), f))
			stat_line[0] = '\0';
		fclose(f);
		if (strstr(stat_line, ") Z "))
			return true;
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	return false;
}

static long read_pid(const char *name)
{
	struct mcr_buf text = MCR_BUF_INIT;
	long pid;

	mcr_test_read(&text, mcr_test_path("%s/%s", state, name));
	pid = strtol((char *)text.data, NULL, 10);
	mcr_buf_release(&text);
	ck_assert(pid > 1);
	return pid;
}

START_TEST(test_signer_command_timeout_kills_group)
{
	const char *cfg = config(
	        fake("sleepy", "sleep", "ecdsa-p256", "ecdsa-p256", "raw", ",\"timeout_ms\":300"),
	        fake("slow", "slow", "ecdsa-p256", "ecdsa-p256", "base64", ",\"timeout_ms\":300"),
	        NULL);

	/* both ignore SIGTERM: the SIGKILL that follows must reach the grandchild too */
	expect_fault(cfg, "sleepy", "signer 'sleepy' command '" FAKE "' timed out after 300 ms");
	ck_assert(process_gone(read_pid("child.pid")));
	ck_assert(process_gone(read_pid("grandchild.pid")));
	/* half a reply, then nothing */
	expect_fault(cfg, "slow", "timed out after 300 ms");
}
END_TEST

START_TEST(test_signer_command_environment)
{
	const char *cfg = config(
	        fake("env", "env", "ecdsa-p256", "ecdsa-p256", "raw", ",\"key_id\":\"alias/fw\""),
	        NULL);
	struct mcr_buf env = MCR_BUF_INIT, argv = MCR_BUF_INIT;

	setenv("OTHER_SECRET", "must-not-pass", 1);
	expect_signed(cfg, "env", pub("ecdsa-p256"));
	mcr_test_read(&env, mcr_test_path("%s/env", state));
	mcr_test_read(&argv, mcr_test_path("%s/argv", state));
	/* the environment is cleared: only what env_pass names, and the request */
	ck_assert_ptr_null(strstr((char *)env.data, "OTHER_SECRET"));
	ck_assert_ptr_null(strstr((char *)env.data, "GNUPGHOME"));
	ck_assert_ptr_nonnull(strstr((char *)env.data, "FAKE_TOKEN=" TOKEN "\n"));
	ck_assert_ptr_nonnull(strstr((char *)env.data, "MCURELEASE_ALG=ecdsa-p256\n"));
	ck_assert_ptr_nonnull(strstr((char *)env.data, "MCURELEASE_HASH=sha256\n"));
	ck_assert_ptr_nonnull(strstr((char *)env.data, "MCURELEASE_KEY_ID=alias/fw\n"));
	ck_assert_ptr_nonnull(
	        strstr((char *)env.data, mcr_test_path("MCURELEASE_SIG_FILE=%s/", tmp)));
	ck_assert_ptr_nonnull(strstr((char *)env.data, "MCURELEASE_REQUEST_ID="));
	/* a token reaches the command through its environment, never its argv */
	ck_assert_ptr_null(strstr((char *)argv.data, TOKEN));
	mcr_buf_release(&env);
	mcr_buf_release(&argv);
}
END_TEST

START_TEST(test_signer_command_bad_config)
{
	struct mcr_test_result r;
	const char *cfg = config(
	        mcr_test_path("\"rel\":{\"type\":\"command\",\"argv\":[\"bin/"
	                      "sign\"],\"public_key\":\"%s\"}",
	                      pub("ecdsa-p256")),
	        mcr_test_path(
	                "\"typo\":{\"type\":\"command\",\"argv\":[\"openssl\",\"{digest_fil}\"],"
	                "\"public_key\":\"%s\"}",
	                pub("ecdsa-p256")),
	        "\"nopub\":{\"type\":\"command\",\"argv\":[\"openssl\"]}", NULL);

	sign(&r, cfg, "rel");
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "relative path 'bin/sign' in argv[0]"));
	mcr_test_result_release(&r);
	sign(&r, cfg, "typo");
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "unknown placeholder '{digest_fil}'"));
	mcr_test_result_release(&r);
	sign(&r, cfg, "nopub");
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "signer 'nopub' needs a 'public_key'"));
	mcr_test_result_release(&r);
}
END_TEST

/* The SoftHSM token, made once for the tcase (key generation takes about a second). */
static struct mcr_hsmfix hsm;
static char hsm_dir[4096];

static void make_token(void)
{
	snprintf(hsm_dir, sizeof(hsm_dir), "%s", mcr_test_tmpdir());
	mcr_hsmfix_init(&hsm, hsm_dir);
	mcr_hsmfix_keygen_all(&hsm);
}

/* A signer section around p11-sign.sh (PIN from pin_file) with pkcs11-tool arguments. */
static const char *p11(const char *name, const char *label, const char *pin_file,
                       const char *tool_args, const char *extra)
{
	return mcr_test_path(
	        "\"%s\":{\"type\":\"command\",\"argv\":[\"%s\",\"%s\",\"--module\",\"%s\","
	        "\"--token-label\",\"%s\",\"--sign\",%s,\"-i\",\"{digest_file}\","
	        "\"-o\",\"{sig_file}\"],\"input\":\"file\",\"output\":\"file\","
	        "\"env_pass\":[\"SOFTHSM2_CONF\"],\"public_key\":\"%s/%s.pub.pem\"%s}",
	        name, P11_WRAPPER, pin_file, MCR_HSMFIX_MODULE, MCR_HSMFIX_TOKEN, tool_args,
	        hsm_dir, label, extra);
}

START_TEST(test_signer_command_pkcs11_tool)
{
	const char *pss = "\"-m\",\"RSA-PKCS-PSS\",\"--hash-algorithm\",\"SHA256\",\"--mgf\","
	                  "\"MGF1-SHA256\",\"--salt-len\",\"32\"";
	const char *bad_pin = mcr_test_path("%s/bad.pin", dir);
	const char *cfg;

	mcr_test_write(bad_pin, PIN "\n", strlen(PIN) + 1);
	cfg = config(
	        /* pkcs11-tool's ECDSA default is raw r||s; "-f openssl" gives DER */
	        p11("ec256", "ec256", hsm.pin_file, "\"--id\",\"01\",\"-m\",\"ECDSA\"",
	            ",\"ecdsa_format\":\"raw\""),
	        p11("ec384", "ec384", hsm.pin_file,
	            "\"--id\",\"02\",\"-m\",\"ECDSA\",\"-f\",\"openssl\"",
	            ",\"ecdsa_format\":\"der\""),
	        p11("rsa2048", "rsa2048", hsm.pin_file, mcr_test_path("\"--id\",\"03\",%s", pss),
	            ""),
	        p11("rsa3072", "rsa3072", hsm.pin_file, mcr_test_path("\"--id\",\"04\",%s", pss),
	            ""),
	        p11("ed25519", "ed25519", hsm.pin_file, "\"--id\",\"05\",\"-m\",\"EDDSA\"", ""),
	        p11("raw-as-der", "ec256", hsm.pin_file, "\"--id\",\"01\",\"-m\",\"ECDSA\"",
	            ",\"ecdsa_format\":\"der\""),
	        p11("wrong-id", "ec256", hsm.pin_file, "\"--id\",\"02\",\"-m\",\"ECDSA\"", ""),
	        p11("bad-pin", "ec256", bad_pin, "\"--id\",\"01\",\"-m\",\"ECDSA\"", ""), NULL);

	expect_signed(cfg, "ec256", mcr_test_path("%s/ec256.pub.pem", hsm_dir));
	expect_signed(cfg, "ec384", mcr_test_path("%s/ec384.pub.pem", hsm_dir));
	expect_signed(cfg, "rsa2048", mcr_test_path("%s/rsa2048.pub.pem", hsm_dir));
	expect_signed(cfg, "rsa3072", mcr_test_path("%s/rsa3072.pub.pem", hsm_dir));
	expect_signed(cfg, "ed25519", mcr_test_path("%s/ed25519.pub.pem", hsm_dir));
	expect_fault(cfg, "raw-as-der", "is neither raw r||s nor DER");
	/* the P-384 key answers a P-256 signer: 96 bytes, caught before any verification */
	expect_fault(cfg, "wrong-id", "ECDSA signature from 'wrong-id'");
	expect_fault(cfg, "bad-pin", "exited with status 1");
}
END_TEST

static Suite *signer_command_suite(void)
{
	Suite *s = suite_create("signer_command_e2e");
	TCase *ok = tcase_create("sign");
	TCase *faults = tcase_create("faults");
	TCase *hsm_tc = tcase_create("pkcs11-tool");

	tcase_add_checked_fixture(ok, setup, NULL);
	tcase_add_test(ok, test_signer_command_openssl_all_types);
	tcase_add_test(ok, test_signer_command_encodings);
	tcase_add_test(ok, test_signer_command_environment);
	tcase_add_checked_fixture(faults, setup, NULL);
	tcase_add_test(faults, test_signer_command_bad_replies);
	tcase_add_test(faults, test_signer_command_exit_statuses);
	tcase_add_test(faults, test_signer_command_retries);
	tcase_add_test(faults, test_signer_command_timeout_kills_group);
	tcase_add_test(faults, test_signer_command_bad_config);
	tcase_add_unchecked_fixture(hsm_tc, make_token, NULL);
	tcase_add_checked_fixture(hsm_tc, setup, NULL);
	tcase_add_test(hsm_tc, test_signer_command_pkcs11_tool);
	suite_add_tcase(s, ok);
	suite_add_tcase(s, faults);
	suite_add_tcase(s, hsm_tc);
	return s;
}

int main(void)
{
	return mcr_test_main(signer_command_suite());
}
