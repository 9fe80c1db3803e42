/*
 * End-to-end: the pkcs11 signer against a real SoftHSM2 token — all five key types, keys
 * imported from imgtool's vectors (same bytes as a file key), and every fault: module missing,
 * token absent, wrong PIN, key not found or ambiguous, pinned key mismatch. The PIN must never
 * appear in anything mcurelease prints.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hsmfix.h"
#include "testutil.h"

static struct mcr_hsmfix hsm;
static char dir[4096];

/* One token for the whole suite: generating keys takes about a second. */
static void make_token(void)
{
	snprintf(dir, sizeof(dir), "%s", mcr_test_tmpdir());
	mcr_hsmfix_init(&hsm, dir);
	mcr_hsmfix_keygen_all(&hsm);
	mcr_hsmfix_import(&hsm, mcr_test_vector("keys/ed25519.pem"), "21", "imp-ed25519");
	mcr_hsmfix_import(&hsm, mcr_test_vector("keys/ecdsa-p256.pem"), "22", "imp-ec256");
	mcr_hsmfix_import(&hsm, mcr_test_vector("keys/rsa-2048.pem"), "23", "imp-rsa2048");
	mcr_hsmfix_keygen(&hsm, "EC:prime256v1", "31", "dup");
	mcr_hsmfix_keygen(&hsm, "EC:prime256v1", "32", "dup");
	mcr_test_sh_ok("pkcs11-tool --module %s --token-label %s --login --pin %s --keypairgen "
		       "--key-type EC:prime256v1 --id 41 --label always --always-auth >/dev/null 2>&1",
		       MCR_HSMFIX_MODULE, MCR_HSMFIX_TOKEN, MCR_HSMFIX_PIN);
}

static const char *config(const char *signer_json)
{
	const char *path = mcr_test_path("%s/cfg-%d.json", dir, rand());
	char *text;

	ck_assert(asprintf(&text, "{\"product\":\"hsm\",\"signers\":{%s}}", signer_json) > 0);
	mcr_test_write(path, text, strlen(text));
	free(text);
	return path;
}

/* A pkcs11 signer section named "s" with extra members appended. */
static const char *signer(const char *object, const char *extra)
{
	return config(mcr_test_path("\"s\":{\"type\":\"pkcs11\",\"uri\":\"pkcs11:token=%s;object=%s\","
				    "\"module\":\"%s\",\"pin_file\":\"%s\"%s}",
				    MCR_HSMFIX_TOKEN, object, MCR_HSMFIX_MODULE, hsm.pin_file, extra));
}

static void no_pin_in(const struct mcr_test_result *r)
{
	ck_assert_msg(!strstr((char *)r->out.data, MCR_HSMFIX_PIN), "PIN on stdout");
	ck_assert_msg(!strstr((char *)r->err.data, MCR_HSMFIX_PIN), "PIN on stderr");
}

static void sign_with(struct mcr_test_result *r, const char *cfg, const char *out, ...)
{
	const char *argv[32] = {MCR_TEST_BINARY, "imgtool", "sign", "--key", "signer:s", "--config", cfg,
				"--version", "1.2.3+4", "--header-size", "0x20", "--slot-size", "0x20000",
				"--pad-header"};
	int argc = 14;
	va_list ap;

	va_start(ap, out);
	for (const char *a; (a = va_arg(ap, const char *));)
		argv[argc++] = a;
	va_end(ap);
	argv[argc++] = mcr_test_vector("inputs/raw-1k.bin");
	argv[argc++] = out;
	argv[argc] = NULL;
	mcr_test_exec(r, argv, NULL);
	no_pin_in(r);
}

START_TEST(test_pkcs11_all_key_types)
{
	const char *label = mcr_hsmfix_types[_i][1];
	const char *out = mcr_test_path("%s/%s.bin", dir, label);
	const char *pub = mcr_test_path("%s/%s.pub.pem", dir, label);
	struct mcr_test_result r;
	struct mcr_buf expected = MCR_BUF_INIT;
	char *cfg = strdup(signer(label, ""));

	sign_with(&r, cfg, out, NULL);
	ck_assert_msg(r.status == 0, "%s: %s", label, (char *)r.err.data);
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "imgtool", "verify", "-k", pub, out, NULL);
	ck_assert_msg(r.status == 0, "%s: %s", label, (char *)r.err.data);
	mcr_test_result_release(&r);
	/* the public key built from the token's attributes is the one p11tool exports */
	mcr_test_mcr(&r, NULL, "imgtool", "getpub", "--config", cfg, "-k", "signer:s", "-e", "pem", NULL);
	mcr_test_read(&expected, pub);
	ck_assert_str_eq((char *)r.out.data, (char *)expected.data);
	no_pin_in(&r);
	mcr_test_result_release(&r);
	mcr_buf_release(&expected);
	free(cfg);
}
END_TEST

START_TEST(test_pkcs11_imported_key_matches_file_key)
{
	const char *out = mcr_test_path("%s/imp.bin", dir);
	struct mcr_test_result r;
	struct mcr_buf got = MCR_BUF_INIT, want = MCR_BUF_INIT;

	/* Ed25519 is deterministic: the token must produce imgtool's bytes exactly */
	sign_with(&r, signer("imp-ed25519", ""), out, NULL);
	ck_assert_msg(r.status == 0, "%s", (char *)r.err.data);
	ck_assert(mcr_test_files_equal(out, mcr_test_vector("out/ed25519-basic.bin")));
	mcr_test_result_release(&r);
	/* RSA-PSS: the same bytes as imgtool's file-key image up to the random signature */
	sign_with(&r, signer("imp-rsa2048", ""), out, NULL);
	ck_assert_int_eq(r.status, 0);
	mcr_test_read(&got, out);
	mcr_test_read(&want, mcr_test_vector("out/rsa-2048-basic.bin"));
	ck_assert_uint_eq(got.len, want.len);
	ck_assert_mem_eq(got.data, want.data, 1136); /* signature value starts at 1136 */
	ck_assert_int_ne(memcmp(got.data + 1136, want.data + 1136, 256), 0);
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "imgtool", "verify", "-k", mcr_test_vector("keys/rsa-2048.pub.pem"), out, NULL);
	ck_assert_int_eq(r.status, 0);
	mcr_test_result_release(&r);
	mcr_buf_release(&got);
	mcr_buf_release(&want);
}
END_TEST

START_TEST(test_pkcs11_selection_by_id_and_always_auth)
{
	const char *out = mcr_test_path("%s/o.bin", dir);
	struct mcr_test_result r;

	/* two keys labelled "dup": refused unless the id says which (pkcs11-tool would pick one) */
	sign_with(&r, signer("dup", ""), out, NULL);
	ck_assert_int_eq(r.status, 4);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "more than one private key"));
	ck_assert(!mcr_test_exists(out));
	mcr_test_result_release(&r);
	sign_with(&r, signer("dup;id=%32", ""), out, NULL);
	ck_assert_msg(r.status == 0, "%s", (char *)r.err.data);
	mcr_test_result_release(&r);
	/* a key that wants a login for every signature */
	sign_with(&r, signer("always", ""), out, NULL);
	ck_assert_msg(r.status == 0, "%s", (char *)r.err.data);
	mcr_test_result_release(&r);
}
END_TEST

static void expect_fault(const char *cfg, int status, const char *needle)
{
	const char *out = mcr_test_path("%s/fault.bin", dir);
	struct mcr_test_result r;

	sign_with(&r, cfg, out, NULL);
	ck_assert_msg(r.status == status, "exit %d, wanted %d: %s", r.status, status, (char *)r.err.data);
	ck_assert_msg(strstr((char *)r.err.data, needle), "'%s' lacks '%s'", (char *)r.err.data, needle);
	ck_assert_msg(strchr((char *)r.err.data, '\n') == (char *)r.err.data + r.err.len - 1, "not one line");
	ck_assert(!mcr_test_exists(out));
	mcr_test_result_release(&r);
}

START_TEST(test_pkcs11_faults)
{
	const char *wrong_pin = mcr_test_path("%s/wrong.pin", dir);
	char *extra;

	mcr_test_write(wrong_pin, "0000\n", 5);
	expect_fault(config(mcr_test_path("\"s\":{\"type\":\"pkcs11\",\"uri\":\"pkcs11:object=ec256\","
					  "\"module\":\"/nonexistent/libnone.so\",\"pin_file\":\"%s\"}", hsm.pin_file)),
		     4, "cannot load PKCS#11 module '/nonexistent/libnone.so'");
	expect_fault(config(mcr_test_path("\"s\":{\"type\":\"pkcs11\",\"uri\":\"pkcs11:token=absent;object=ec256\","
					  "\"module\":\"%s\",\"pin_file\":\"%s\"}", MCR_HSMFIX_MODULE, hsm.pin_file)),
		     4, "no token in module");
	expect_fault(signer("nope", ""), 4, "no private key on token 'mcr-test' matches signer 's'");
	expect_fault(config(mcr_test_path("\"s\":{\"type\":\"pkcs11\",\"uri\":\"pkcs11:object=ec256\","
					  "\"module\":\"%s\",\"pin_file\":\"%s\"}", MCR_HSMFIX_MODULE, wrong_pin)),
		     4, "wrong PIN for token 'mcr-test' of signer 's' (not retried");
	/* one wrong attempt did not lock the token */
	expect_fault(signer("nope", ""), 4, "no private key");
	ck_assert(asprintf(&extra, ",\"public_key\":\"%s\"", mcr_test_vector("keys/ecdsa-p256.pub.pem")) > 0);
	expect_fault(signer("ec256", extra), 4, "holds another key than the public key");
	free(extra);
	expect_fault(signer("ec256", ",\"fingerprint\":\"00112233\""), 4, "does not match the pinned 00112233");
	expect_fault(config(mcr_test_path("\"s\":{\"type\":\"pkcs11\",\"uri\":\"pkcs11:object=ec256\","
					  "\"module\":\"%s\",\"pin_env\":\"MCR_UNSET_PIN\"}", MCR_HSMFIX_MODULE)),
		     3, "environment variable 'MCR_UNSET_PIN'");
	expect_fault(config(mcr_test_path("\"s\":{\"type\":\"pkcs11\",\"uri\":\"pkcs11:object=ec256\","
					  "\"module\":\"%s\"}", MCR_HSMFIX_MODULE)),
		     3, "needs a PIN but signer 's' names none");
}
END_TEST

START_TEST(test_pkcs11_pin_from_environment_and_uri)
{
	const char *out = mcr_test_path("%s/o.bin", dir);
	struct mcr_test_result r;

	setenv("MCR_TEST_PIN", MCR_HSMFIX_PIN, 1);
	sign_with(&r, config(mcr_test_path("\"s\":{\"type\":\"pkcs11\",\"uri\":\"pkcs11:object=ec384\","
					   "\"module\":\"%s\",\"pin_env\":\"MCR_TEST_PIN\"}", MCR_HSMFIX_MODULE)),
		  out, NULL);
	ck_assert_msg(r.status == 0, "%s", (char *)r.err.data);
	mcr_test_result_release(&r);
	/* --key with a URI naming module and pin file directly, no config */
	mcr_test_mcr(&r, NULL, "imgtool", "sign", "--key",
		     mcr_test_path("pkcs11:object=ed25519?module-path=%s&pin-source=file:%s", MCR_HSMFIX_MODULE,
				   hsm.pin_file),
		     "-v", "1.0.0", "-H", "0x20", "--pad-header", "-S", "0x20000",
		     mcr_test_vector("inputs/raw-1k.bin"), out, NULL);
	ck_assert_msg(r.status == 0, "%s", (char *)r.err.data);
	no_pin_in(&r);
	mcr_test_result_release(&r);
	/* a PIN inside the URI is refused outright, and not repeated (a made-up one: the real PIN
	 * never goes on a command line, not even in this test; tests/e2e/secrets_scan.sh) */
	mcr_test_mcr(&r, NULL, "imgtool", "sign", "--key",
		     mcr_test_path("pkcs11:object=ed25519?module-path=%s&pin-value=pin-on-argv-5513",
				   MCR_HSMFIX_MODULE),
		     "-v", "1.0.0", "-H", "0x20", "--pad-header", "-S", "0x20000",
		     mcr_test_vector("inputs/raw-1k.bin"), out, NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "carries a PIN"));
	ck_assert_ptr_null(strstr((char *)r.err.data, "pin-on-argv-5513"));
	no_pin_in(&r);
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_pkcs11_signer_test_command)
{
	struct mcr_test_result r;

	mcr_test_mcr(&r, NULL, "signer", "test", "--config", signer("rsa3072", ""), "-n", "3", "s", NULL);
	ck_assert_msg(r.status == 0, "%s", (char *)r.err.data);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "rsa-3072, 128-bit security"));
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "each verified with the pinned key"));
	no_pin_in(&r);
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "signer", "test", "--json", "--config", signer("ed25519", ""), "s", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "\"generated_on_token\": true"));
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "\"never_extractable\": true"));
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "signer", "test", "--config", signer("imp-ec256", ""), "s", NULL);
	ck_assert_int_eq(r.status, 0);
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "signer", "test", "--json", "--config", signer("imp-ec256", ""), "s", NULL);
	/* imported keys are reported as such: evidence for key custody */
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "\"generated_on_token\": false"));
	mcr_test_result_release(&r);
}
END_TEST

static Suite *pkcs11_suite(void)
{
	Suite *s = suite_create("signer_pkcs11");
	TCase *tc = tcase_create("pkcs11");

	tcase_add_unchecked_fixture(tc, make_token, NULL);
	tcase_add_loop_test(tc, test_pkcs11_all_key_types, 0, 5);
	tcase_add_test(tc, test_pkcs11_imported_key_matches_file_key);
	tcase_add_test(tc, test_pkcs11_selection_by_id_and_always_auth);
	tcase_add_test(tc, test_pkcs11_faults);
	tcase_add_test(tc, test_pkcs11_pin_from_environment_and_uri);
	tcase_add_test(tc, test_pkcs11_signer_test_command);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(pkcs11_suite());
}
