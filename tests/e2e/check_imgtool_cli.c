/* End-to-end: the imgtool commands' bad-input paths, help, getpub and dumpinfo output. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "json.h"
#include "testutil.h"

static const char *dir;

static void setup(void)
{
	dir = mcr_test_tmpdir();
}

/* Exactly one line on stderr, starting "mcurelease: " and containing each needle. */
static void assert_one_line(const struct mcr_test_result *r, const char *needle)
{
	const char *err = (const char *)r->err.data;

	ck_assert_msg(!strncmp(err, "mcurelease: ", 12), "stderr: %s", err);
	ck_assert_msg(strchr(err, '\n') == err + r->err.len - 1, "not one line: %s", err);
	ck_assert_msg(strstr(err, needle), "'%s' lacks '%s'", err, needle);
}

/* Signs raw-1k with the Ed25519 vector key and extra options; output in dir. */
static void sign(struct mcr_test_result *r, const char *input, const char *output, ...)
{
	const char *argv[64] = {MCR_TEST_BINARY, "imgtool", "sign", "--key",
				mcr_test_vector("keys/ed25519.pem"), "--header-size", "0x20", "--pad-header",
				"--slot-size", "0x20000"};
	int argc = 10;
	bool has_version = false;
	va_list ap;

	va_start(ap, output);
	for (const char *a; (a = va_arg(ap, const char *));) {
		has_version |= !strcmp(a, "--version");
		argv[argc++] = a;
	}
	va_end(ap);
	if (!has_version) {
		argv[argc++] = "--version";
		argv[argc++] = "1.2.3";
	}
	argv[argc++] = input;
	argv[argc++] = output;
	argv[argc] = NULL;
	mcr_test_exec(r, argv, NULL);
}

static void expect_sign_failure(int status, const char *needle, const char *input, ...)
{
	const char *out = mcr_test_path("%s/out.bin", dir);
	const char *extra[8] = {NULL};
	struct mcr_test_result r;
	va_list ap;
	int n = 0;

	va_start(ap, input);
	for (const char *a; n < 7 && (a = va_arg(ap, const char *));)
		extra[n++] = a;
	va_end(ap);
	sign(&r, input, out, extra[0], extra[1], extra[2], extra[3], extra[4], extra[5], NULL);
	ck_assert_msg(r.status == status, "exit %d, wanted %d: %s", r.status, status, (char *)r.err.data);
	assert_one_line(&r, needle);
	ck_assert(!mcr_test_exists(out));
	ck_assert_int_eq(mcr_test_count_entries(dir), 1 + (int)mcr_test_exists(mcr_test_path("%s/in", dir)));
	mcr_test_result_release(&r);
}

START_TEST(test_cli_sign_bad_input)
{
	const char *raw = strdup(mcr_test_vector("inputs/raw-1k.bin"));

	expect_sign_failure(2, "header size 0x10", raw, "--header-size", "0x10", NULL);
	expect_sign_failure(2, "version '256.0.0' does not fit", raw, "--version", "256.0.0", NULL);
	expect_sign_failure(2, "invalid version '1.x'", raw, "--version", "1.x", NULL);
	expect_sign_failure(3, "exceeds requested size 0x400", raw, "--slot-size", "0x400", NULL);
	expect_sign_failure(3, "cannot open", mcr_test_path("%s/missing.bin", dir), NULL);
	expect_sign_failure(2, "unknown option '--frobnicate'", raw, "--frobnicate", NULL);
	expect_sign_failure(2, "not supported", raw, "--encrypt", "x.pem", NULL);
	/* a two-value option at the very end, after the positional arguments */
	{
		struct mcr_test_result r;

		mcr_test_mcr(&r, NULL, "imgtool", "sign", "-H", "0x20", "-S", "0x20000", "-v", "1", raw,
			     mcr_test_path("%s/o.bin", dir), "--custom-tlv", "0xa0", NULL);
		ck_assert_int_eq(r.status, 2);
		assert_one_line(&r, "option '--custom-tlv' of 'imgtool sign' needs two values");
		mcr_test_result_release(&r);
	}
	free((char *)raw);
}
END_TEST

START_TEST(test_cli_sign_bad_keys)
{
	const char *raw = mcr_test_vector("inputs/raw-1k.bin");
	const char *out = mcr_test_path("%s/out.bin", dir);
	const char *argv[16] = {MCR_TEST_BINARY, "imgtool", "sign", "--key", NULL, "-H", "0x20", "--pad-header",
				"-S", "0x20000", "-v", "1.0.0", raw, out, NULL};
	struct mcr_test_result r;

	argv[4] = mcr_test_path("%s/nokey.pem", dir);
	mcr_test_exec(&r, argv, NULL);
	ck_assert_int_eq(r.status, 3);
	assert_one_line(&r, "nokey.pem");
	mcr_test_result_release(&r);
	argv[4] = dir; /* a directory: unreadable as a key */
	mcr_test_exec(&r, argv, NULL);
	ck_assert_int_eq(r.status, 3);
	assert_one_line(&r, dir);
	mcr_test_result_release(&r);
	mcr_test_sh_ok("openssl genpkey -algorithm ed448 -out '%s/ed448.pem'", dir);
	argv[4] = mcr_test_path("%s/ed448.pem", dir);
	mcr_test_exec(&r, argv, NULL);
	ck_assert_int_eq(r.status, 3);
	assert_one_line(&r, "unsupported key type 'ED448'");
	mcr_test_result_release(&r);
	ck_assert(!mcr_test_exists(out));
}
END_TEST

START_TEST(test_cli_sign_bad_hex_input)
{
	const char *bad = mcr_test_path("%s/in.hex", dir);
	const char *text = ":0400000001020304F1\n:00000001FF\n";
	struct mcr_test_result r;

	mcr_test_write(bad, text, strlen(text));
	sign(&r, bad, mcr_test_path("%s/o.hex", dir), NULL);
	ck_assert_int_eq(r.status, 3);
	assert_one_line(&r, "bad checksum in Intel HEX");
	assert_one_line(&r, "in.hex' line 1");
	mcr_test_result_release(&r);
	text = ":0400000001020304F2\n:020008000506EB\n:00000001FF\n";
	mcr_test_write(bad, text, strlen(text));
	sign(&r, bad, mcr_test_path("%s/o.hex", dir), NULL);
	ck_assert_int_eq(r.status, 3);
	assert_one_line(&r, "gap from 0x00000004 to 0x00000008");
	ck_assert(!mcr_test_exists(mcr_test_path("%s/o.hex", dir)));
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_cli_sign_into_missing_directory)
{
	struct mcr_test_result r;

	/* binary in, HEX out: needs --hex-addr */
	sign(&r, mcr_test_vector("inputs/raw-1k.bin"), mcr_test_path("%s/o.hex", dir), NULL);
	ck_assert_int_eq(r.status, 2);
	assert_one_line(&r, "--hex-addr");
	mcr_test_result_release(&r);

	sign(&r, mcr_test_vector("inputs/raw-1k.bin"), mcr_test_path("%s/no/such/dir/o.bin", dir), NULL);
	ck_assert_int_eq(r.status, 3);
	assert_one_line(&r, "cannot create output file");
	mcr_test_result_release(&r);
}
END_TEST

static void expect_verify_refusal(const char *image, const char *needle)
{
	struct mcr_test_result r;

	mcr_test_mcr(&r, NULL, "imgtool", "verify", "-k", mcr_test_vector("keys/ecdsa-p256.pub.pem"), image, NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, (char *)r.err.data);
	assert_one_line(&r, needle);
	mcr_test_result_release(&r);
}

START_TEST(test_cli_verify_bad_images)
{
	const char *path = mcr_test_path("%s/img.bin", dir);
	struct mcr_buf img = MCR_BUF_INIT;
	struct mcr_test_result r;

	mcr_test_read(&img, mcr_test_vector("out/ecdsa-p256-basic.bin"));
	mcr_test_write(path, img.data, 20);
	expect_verify_refusal(path, "less than a header");
	img.data[8] = 0x10; /* header size smaller than the header */
	img.data[9] = 0;
	mcr_test_write(path, img.data, img.len);
	expect_verify_refusal(path, "smaller than the header");
	img.data[8] = 0x20;
	img.data[12] = 0xff; /* img_size past the end */
	mcr_test_write(path, img.data, img.len);
	expect_verify_refusal(path, "is truncated");
	img.data[12] = 0x00;
	mcr_test_write(path, img.data, img.len + 0);
	mcr_test_sh_ok("printf 'junk' >> '%s'", path);
	expect_verify_refusal(path, "unexpected 4 bytes after the TLV area");
	memset(img.data, 0xff, 4);
	mcr_test_write(path, img.data, img.len);
	expect_verify_refusal(path, "erased flash");
	mcr_test_mcr(&r, NULL, "imgtool", "verify", mcr_test_path("%s/none.bin", dir), NULL);
	ck_assert_int_eq(r.status, 3);
	assert_one_line(&r, "none.bin");
	mcr_test_result_release(&r);
	mcr_buf_release(&img);
}
END_TEST

START_TEST(test_cli_verify_json_and_hash_only)
{
	struct mcr_test_result r;
	cJSON *obj = NULL;

	mcr_test_mcr(&r, NULL, "imgtool", "verify", "--json", "-k", mcr_test_vector("keys/ed25519.pub.pem"),
		     mcr_test_vector("out/ed25519-basic.bin"), NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(mcr_json_parse(&obj, (char *)r.out.data, r.out.len, "stdout"), 0);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(obj, "valid")));
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(obj, "signature_checked")));
	ck_assert_str_eq(cJSON_GetObjectItem(obj, "version")->valuestring, "1.2.3+4");
	cJSON_Delete(obj);
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "imgtool", "verify", "--json", "-k", mcr_test_vector("keys/ed25519.pub.pem"),
		     mcr_test_vector("broken/ed25519-bad-signature.bin"), NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_int_eq(mcr_json_parse(&obj, (char *)r.out.data, r.out.len, "stdout"), 0);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(obj, "valid")));
	ck_assert_str_eq(cJSON_GetObjectItem(obj, "reason")->valuestring, "image.bad_signature");
	cJSON_Delete(obj);
	mcr_test_result_release(&r);
	/* no key: the hash is checked and the output says the signature was not */
	mcr_test_mcr(&r, NULL, "imgtool", "verify", mcr_test_vector("out/unsigned-1k.bin"), NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "signature not checked"));
	mcr_test_result_release(&r);
	/* several trusted keys: the right one is found */
	mcr_test_mcr(&r, NULL, "imgtool", "verify", "-k", mcr_test_vector("keys/ecdsa-p256.pub.pem"), "-k",
		     mcr_test_vector("keys/ecdsa-p256-other.pub.pem"), mcr_test_vector("out/ecdsa-p256-other-basic.bin"),
		     NULL);
	ck_assert_int_eq(r.status, 0);
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_cli_getpub_encodings)
{
	static const char *const names[] = {"rsa-2048", "ecdsa-p384", "ed25519"};
	static const char *const arrays[] = {"rsa_pub_key", "ecdsa_pub_key", "ed25519_pub_key"};
	struct mcr_buf expected = MCR_BUF_INIT;
	struct mcr_test_result r;

	for (int i = 0; i < 3; i++) {
		const char *key = mcr_test_vector(mcr_test_path("keys/%s.pem", names[i]));

		mcr_test_mcr(&r, NULL, "imgtool", "getpub", "-k", key, "-e", "raw", NULL);
		ck_assert_int_eq(r.status, 0);
		mcr_test_read(&expected, mcr_test_vector(mcr_test_path("keys/%s.pub.der", names[i])));
		ck_assert_uint_eq(r.out.len, expected.len);
		ck_assert_mem_eq(r.out.data, expected.data, expected.len);
		mcr_buf_release(&expected);
		mcr_test_result_release(&r);
		mcr_test_mcr(&r, NULL, "imgtool", "getpub", "-k", key, "-e", "pem", NULL);
		mcr_test_read(&expected, mcr_test_vector(mcr_test_path("keys/%s.pub.pem", names[i])));
		ck_assert_str_eq((char *)r.out.data, (char *)expected.data);
		mcr_buf_release(&expected);
		mcr_test_result_release(&r);
		mcr_test_mcr(&r, NULL, "imgtool", "getpub", "-k", key, NULL);
		ck_assert(!strncmp((char *)r.out.data, "/* Autogenerated by imgtool.py, do not edit. */\n", 48));
		ck_assert_ptr_nonnull(strstr((char *)r.out.data, mcr_test_path("const unsigned char %s[] = {\n    0x30,", arrays[i])));
		ck_assert_ptr_nonnull(strstr((char *)r.out.data, "_len = "));
		mcr_test_result_release(&r);
	}
	mcr_test_mcr(&r, NULL, "imgtool", "getpubhash", "-k", mcr_test_vector("keys/rsa-2048.pub.pem"), "-e", "raw", NULL);
	ck_assert_uint_eq(r.out.len, 32);
	ck_assert_mem_eq(r.out.data, "\xac\xa1\x04\x80\xe0\x29\xb7\x31", 8); /* manifest keyhash_sha256 */
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_cli_dumpinfo)
{
	struct mcr_test_result r;
	cJSON *info = NULL, *tlvs;

	mcr_test_mcr(&r, NULL, "imgtool", "dumpinfo", "--json", mcr_test_vector("out/ed25519-all-protected.bin"), NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(mcr_json_parse(&info, (char *)r.out.data, r.out.len, "stdout"), 0);
	tlvs = cJSON_GetObjectItem(info, "protected_tlvs");
	ck_assert_int_eq(cJSON_GetArraySize(tlvs), 4);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(tlvs, 1), "name")->valuestring, "BOOT_RECORD");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(info, "header"), "version")->valuestring, "1.2.3+4");
	cJSON_Delete(info);
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "imgtool", "dumpinfo", mcr_test_vector("out/ed25519-confirm.bin"), NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "image_ok 0x1"));
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "ED25519"));
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "imgtool", "dumpinfo", mcr_test_vector("broken/bad-magic.bin"), NULL);
	ck_assert_int_eq(r.status, 1);
	assert_one_line(&r, "bad header magic");
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_cli_help_and_version)
{
	static const char *const subs[] = {"sign", "create", "verify", "dumpinfo", "getpub", "getpubhash"};
	struct mcr_test_result r;

	for (int i = 0; i < 6; i++) {
		mcr_test_mcr(&r, NULL, "imgtool", subs[i], "--help", NULL);
		ck_assert_int_eq(r.status, 0);
		ck_assert_ptr_nonnull(strstr((char *)r.out.data, "usage: mcurelease imgtool "));
		mcr_test_result_release(&r);
	}
	mcr_test_mcr(&r, NULL, "imgtool", "--help", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "getpub"));
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "--version", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert(!strncmp((char *)r.out.data, "mcurelease ", 11));
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "imgtool", "frob", NULL);
	ck_assert_int_eq(r.status, 2);
	assert_one_line(&r, "unknown command 'frob'");
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, NULL);
	ck_assert_int_eq(r.status, 2);
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_cli_stdout_failure_is_an_error)
{
	struct mcr_test_result r;

	/* exit 0 only once stdout was written: /dev/full makes the write fail */
	mcr_test_sh(&r, "'%s' imgtool getpub -k '%s' > /dev/full", MCR_TEST_BINARY,
		    mcr_test_vector("keys/ed25519.pem"));
	ck_assert_int_eq(r.status, 6);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "standard output"));
	mcr_test_result_release(&r);
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("imgtool_cli");
	TCase *tc = tcase_create("cli");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_cli_sign_bad_input);
	tcase_add_test(tc, test_cli_sign_bad_keys);
	tcase_add_test(tc, test_cli_sign_bad_hex_input);
	tcase_add_test(tc, test_cli_sign_into_missing_directory);
	tcase_add_test(tc, test_cli_verify_bad_images);
	tcase_add_test(tc, test_cli_verify_json_and_hash_only);
	tcase_add_test(tc, test_cli_getpub_encodings);
	tcase_add_test(tc, test_cli_dumpinfo);
	tcase_add_test(tc, test_cli_help_and_version);
	tcase_add_test(tc, test_cli_stdout_failure_is_an_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(cli_suite());
}
