/*
 * End-to-end: imgtool's own conformance vectors (tests/vectors, made by imgtool 2.4.0).
 * Every vector is reproduced byte for byte (randomized signatures through imgtool's
 * --fix-sig replay), fresh signatures verify, every signed output has a tampered twin
 * that verify refuses, broken images are refused and imgtool's errors are errors here too.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "json.h"
#include "testutil.h"

static cJSON *manifest;
static char workdir[4096];

static const cJSON *section(const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(manifest, name);
}

static const char *field(const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* Also called while the suite is built, outside any test: no ck_assert here. */
static void load_manifest(void)
{
	struct mcr_buf text = MCR_BUF_INIT;

	if (manifest)
		return;
	if (mcr_fileio_read_all(mcr_test_vector("manifest.json"), 1 << 24, &text) < 0 ||
	    mcr_json_parse(&manifest, (char *)text.data, text.len, "manifest.json") < 0) {
		fprintf(stderr, "cannot load tests/vectors/manifest.json: %s\n", mcr_error_message());
		exit(1);
	}
	mcr_buf_release(&text);
}

/* Runs an imgtool argv from the manifest with our binary; outputs ("out/...") go to the temp dir. */
static void run_imgtool(struct mcr_test_result *r, const cJSON *command)
{
	const char *argv[96];
	char *owned[96];
	const cJSON *arg;
	int argc = 0, n_owned = 0;
	bool after_fix_sig = false;

	argv[argc++] = MCR_TEST_BINARY;
	cJSON_ArrayForEach(arg, command) {
		const char *a = arg->valuestring;

		if (argc == 1) { /* "imgtool" */
			argv[argc++] = "imgtool";
			continue;
		}
		/* --fix-sig reads a vector; every other out/ path is something we write */
		if (!strncmp(a, "out/", 4) && !after_fix_sig)
			a = owned[n_owned++] = strdup(mcr_test_path("%s/%s", workdir, a + 4));
		after_fix_sig = !strcmp(a, "--fix-sig");
		ck_assert(argc < 95);
		argv[argc++] = a;
	}
	argv[argc] = NULL;
	ck_assert_int_eq(chdir(MCR_TEST_VECTORS), 0);
	mcr_test_exec(r, argv, NULL);
	while (n_owned)
		free(owned[--n_owned]);
}

static const char *produced(const char *manifest_path)
{
	return mcr_test_path("%s/%s", workdir, manifest_path + 4);
}

static void setup(void)
{
	load_manifest();
	snprintf(workdir, sizeof(workdir), "%s", mcr_test_tmpdir());
}

static const cJSON *nth(const char *name, int i)
{
	const cJSON *item = cJSON_GetArrayItem(section(name), i);

	ck_assert_ptr_nonnull(item);
	return item;
}

START_TEST(test_vector_reproduced_exactly)
{
	const cJSON *v = nth("vectors", _i);
	bool deterministic = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "deterministic"));
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(v, deterministic ? "command" : "exact_replay_command");
	struct mcr_test_result r;

	run_imgtool(&r, cmd);
	ck_assert_msg(r.status == 0, "%s: exit %d: %s", field(v, "id"), r.status, (char *)r.err.data);
	ck_assert_msg(mcr_test_files_equal(produced(field(v, "output")), mcr_test_vector(field(v, "output"))),
		      "%s: output differs from imgtool's", field(v, "id"));
	mcr_test_result_release(&r);
}
END_TEST

static void verify(struct mcr_test_result *r, const char *key, const char *image)
{
	mcr_test_mcr(r, NULL, "imgtool", "verify", "-k", key, image, NULL);
}

START_TEST(test_vector_fresh_signature_verifies)
{
	const cJSON *v = nth("vectors", _i);
	const char *key = field(v, "key");
	struct mcr_test_result r;

	if (!key)
		return; /* unsigned vectors: nothing to sign */
	run_imgtool(&r, cJSON_GetObjectItemCaseSensitive(v, "command"));
	ck_assert_msg(r.status == 0, "%s: %s", field(v, "id"), (char *)r.err.data);
	mcr_test_result_release(&r);
	verify(&r, mcr_test_vector(mcr_test_path("keys/%s.pub.pem", key)), produced(field(v, "output")));
	ck_assert_msg(r.status == 0, "%s: %s", field(v, "id"), (char *)r.err.data);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "Image was correctly validated"));
	mcr_test_result_release(&r);
}
END_TEST

/* Flips one byte of a copy of the vector's output at offset and expects verify to refuse it. */
static void expect_tamper_refused(const cJSON *v, const char *key, long offset, const char *what)
{
	const char *copy = mcr_test_path("%s/tampered.bin", workdir);
	struct mcr_buf bytes = MCR_BUF_INIT;
	struct mcr_test_result r;

	mcr_test_read(&bytes, mcr_test_vector(field(v, "output")));
	ck_assert((size_t)offset < bytes.len);
	bytes.data[offset] ^= 0x01;
	mcr_test_write(copy, bytes.data, bytes.len);
	verify(&r, mcr_test_vector(mcr_test_path("keys/%s.pub.pem", key)), copy);
	ck_assert_msg(r.status == 1, "%s: %s flipped at %ld was accepted", field(v, "id"), what, offset);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "tampered.bin"));
	mcr_test_result_release(&r);
	mcr_buf_release(&bytes);
}

START_TEST(test_vector_tampered_twin_refused)
{
	const cJSON *v = nth("vectors", _i);
	const char *key = field(v, "key");
	const cJSON *layout = cJSON_GetObjectItemCaseSensitive(v, "layout");
	const cJSON *region = cJSON_GetObjectItemCaseSensitive(layout, "hash_region");
	const cJSON *sig = cJSON_GetObjectItemCaseSensitive(v, "signature_tlv");
	long region_end = (long)cJSON_GetArrayItem(region, 1)->valuedouble;

	if (!key || strstr(field(v, "output"), ".hex"))
		return; /* unsigned, or HEX (covered by its binary twin) */
	expect_tamper_refused(v, key, 20, "header version");
	expect_tamper_refused(v, key, region_end - 1, "last hashed byte");
	if (sig)
		expect_tamper_refused(v, key, (long)cJSON_GetObjectItemCaseSensitive(sig, "value_offset")->valuedouble + 5,
				      "signature");
}
END_TEST

START_TEST(test_external_signing_flow)
{
	const cJSON *e = nth("external_signing", _i);
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(e, "steps"), *step;
	struct mcr_test_result r;

	cJSON_ArrayForEach(step, steps) {
		const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(step, "command");
		const char *out = field(step, "output");
		bool must_fail = strstr(field(step, "step"), "FAILS") != NULL;

		if (!cmd)
			continue; /* the signer step itself (openssl), whose result is the .sig.b64 vector */
		run_imgtool(&r, cmd);
		if (must_fail) {
			ck_assert_msg(r.status != 0, "%s: '%s' should fail", field(e, "id"), field(step, "step"));
			ck_assert(!mcr_test_exists(produced("out/never.bin")));
		} else {
			ck_assert_msg(r.status == 0, "%s: %s", field(e, "id"), (char *)r.err.data);
			ck_assert_msg(mcr_test_files_equal(produced(out), mcr_test_vector(out)),
				      "%s: step '%s' differs", field(e, "id"), field(step, "step"));
		}
		mcr_test_result_release(&r);
	}
	if (!steps) { /* a single-command quirk entry */
		run_imgtool(&r, cJSON_GetObjectItemCaseSensitive(e, "command"));
		ck_assert_int_eq(r.status, 0);
		ck_assert(mcr_test_files_equal(produced(field(e, "output")), mcr_test_vector(field(e, "output"))));
		mcr_test_result_release(&r);
	}
}
END_TEST

START_TEST(test_broken_image_refused)
{
	const cJSON *b = nth("broken", _i);
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(b, "imgtool_verify"),
							  "command");
	const char *key = cJSON_GetArrayItem(cmd, 3)->valuestring;
	const char *image = cJSON_GetArrayItem(cmd, 4)->valuestring;
	struct mcr_test_result r;

	ck_assert_int_eq(chdir(MCR_TEST_VECTORS), 0);
	verify(&r, key, image);
	ck_assert_msg(r.status == 1, "%s accepted (exit %d)", field(b, "id"), r.status);
	/* one line, naming the file */
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, image));
	ck_assert_ptr_eq(strchr((char *)r.err.data, '\n'), (char *)r.err.data + r.err.len - 1);
	ck_assert_uint_eq(r.out.len, 0);
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_imgtool_error_is_an_error)
{
	const cJSON *x = nth("expected_errors", _i);
	struct mcr_test_result r;

	run_imgtool(&r, cJSON_GetObjectItemCaseSensitive(x, "command"));
	ck_assert_msg(r.status == 2 || r.status == 3, "%s: exit %d", field(x, "id"), r.status);
	ck_assert_msg(!mcr_test_exists(produced("out/never.bin")), "%s left an output", field(x, "id"));
	ck_assert_int_eq(mcr_test_count_entries(workdir), 1); /* only home/: no temp file either */
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "mcurelease: "));
	mcr_test_result_release(&r);
}
END_TEST

static int count(const char *name)
{
	load_manifest();
	return cJSON_GetArraySize(section(name));
}

static Suite *vectors_suite(void)
{
	Suite *s = suite_create("imgtool_vectors");
	TCase *exact = tcase_create("exact"), *fresh = tcase_create("fresh");
	TCase *tamper = tcase_create("tampered"), *ext = tcase_create("external");
	TCase *broken = tcase_create("broken"), *errors = tcase_create("errors");
	TCase *all[] = {exact, fresh, tamper, ext, broken, errors};

	for (size_t i = 0; i < 6; i++) {
		tcase_add_checked_fixture(all[i], setup, NULL);
		suite_add_tcase(s, all[i]);
	}
	tcase_add_loop_test(exact, test_vector_reproduced_exactly, 0, count("vectors"));
	tcase_add_loop_test(fresh, test_vector_fresh_signature_verifies, 0, count("vectors"));
	tcase_add_loop_test(tamper, test_vector_tampered_twin_refused, 0, count("vectors"));
	tcase_add_loop_test(ext, test_external_signing_flow, 0, count("external_signing"));
	tcase_add_loop_test(broken, test_broken_image_refused, 0, count("broken"));
	tcase_add_loop_test(errors, test_imgtool_error_is_an_error, 0, count("expected_errors"));
	return s;
}

int main(void)
{
	return mcr_test_main(vectors_suite());
}
