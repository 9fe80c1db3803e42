/* End-to-end: export bundles and 'audit verify-export'. One bundle is made for the suite; each
 * test checks or tampers with its own copy. The documented standard-tools recipes run too. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "exportfix.h"
#include "testutil.h"

static char suite_dir[4096];

/* Made once, in Check's parent process: the workspace and a bundle of its log. */
static void make_bundle(void)
{
	snprintf(suite_dir, sizeof(suite_dir), "%s", mcr_test_tmpdir());
	ck_assert_int_eq(chdir(suite_dir), 0);
	mcr_exportfix_workspace();
	mcr_exportfix_history(4, true, NULL);
	mcr_exportfix_export("bundle", "bundle");
}

/* A fresh copy of the suite's workspace and bundle to work in. */
static void copy(void)
{
	const char *dir = mcr_test_tmpdir();

	mcr_test_sh_ok("cp -a '%s'/. '%s'/", suite_dir, dir);
	ck_assert_int_eq(chdir(dir), 0);
}

static void verify(struct mcr_test_result *r, const char *bundle, const char *key)
{
	if (key)
		mcr_test_mcr(r, NULL, "audit", "verify-export", "--key", key, bundle, NULL);
	else
		mcr_test_mcr(r, NULL, "audit", "verify-export", bundle, NULL);
}

/* Exit 1, the reason in --json, the first finding on stderr. */
static void expect_invalid(const char *reason, const char *message, const char *key)
{
	struct mcr_test_result r;
	cJSON *doc;

	verify(&r, "bundle", key);
	ck_assert_msg(r.status == 1, "status %d\n%s%s", r.status, (char *)r.out.data,
	              (char *)r.err.data);
	ck_assert_ptr_nonnull(
	        strstr((char *)r.err.data, "mcurelease: export bundle does not verify: "));
	ck_assert_msg(strstr((char *)r.err.data, message), "want '%s' in %s", message,
	              (char *)r.err.data);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "\nINVALID\n"));
	mcr_test_result_release(&r);
	if (key)
		mcr_test_mcr(&r, NULL, "audit", "verify-export", "--json", "--key", key, "bundle",
		             NULL);
	else
		mcr_test_mcr(&r, NULL, "audit", "verify-export", "--json", "bundle", NULL);
	ck_assert_int_eq(r.status, 1);
	doc = cJSON_Parse((char *)r.out.data);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(cJSON_GetObjectItem(doc, "verdict")->valuestring, "invalid");
	ck_assert_str_eq(cJSON_GetObjectItem(doc, "reason")->valuestring, reason);
	cJSON_Delete(doc);
	mcr_test_result_release(&r);
}

START_TEST(test_bundle_verifies_with_pinned_key)
{
	struct mcr_test_result r;
	const char *out;

	copy();
	verify(&r, "bundle", "log.pub.pem");
	out = (char *)r.out.data;
	ck_assert_msg(r.status == 0, "%s%s", out, (char *)r.err.data);
	ck_assert_ptr_nonnull(strstr(out, "\nvalid\n"));
	ck_assert_ptr_nonnull(strstr(out, "chain recomputed"));
	ck_assert_ptr_nonnull(strstr(out, "inclusion proofs: 4 valid")); /* 11, the anchor, too */
	ck_assert_ptr_nonnull(strstr(out, "are proven in the checkpoint"));
	ck_assert_ptr_nonnull(strstr(out, "come after the latest checkpoint"));
	ck_assert_ptr_null(strstr(out, "taken from the bundle"));
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_bundle_says_when_key_is_its_own)
{
	struct mcr_test_result r;

	copy();
	verify(&r, "bundle", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "key taken from the bundle itself"));
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_bundle_files_follow_schemas)
{
	char *why = NULL;

	copy();
	ck_assert_msg(
	        mcr_test_schema_valid("bundle-manifest.schema.json", "bundle/MANIFEST.json", &why),
	        "%s", why);
	ck_assert_msg(mcr_test_schema_valid("audit-export.schema.json", "bundle/report.json", &why),
	              "%s", why);
	mcr_test_sh_ok(
	        "cd bundle && test -s report.pdf && test -s report.html && test -s events.csv "
	        "&& test -s keys/log.pem && test -s keys/signers/release.pem && "
	        "ls checkpoints/*.txt && test $(wc -l < events.jsonl) -eq 15");
}
END_TEST

/* Runs a ```sh block of docs/export.md, found by its recipe marker, in dir. */
static void run_doc_recipe(struct mcr_test_result *r, const char *name, const char *env)
{
	mcr_test_sh(r,
	            "awk -v m='<!-- recipe: %s' 'index($0, m) == 1 {f = 1; next} "
	            "f && /^```sh/ {p = 1; next} p && /^```/ {exit} p' '%s/docs/export.md' > "
	            "recipe.sh && test -s recipe.sh && cd bundle && %s sh ../recipe.sh",
	            name, MCR_TEST_SOURCE_DIR, env);
}

START_TEST(test_bundle_standard_tools_recipe)
{
	struct mcr_test_result r;
	char env[4200];

	copy();
	snprintf(env, sizeof(env), "KEY='%s/log.pub.pem'", getcwd((char[4096]){0}, 4096));
	run_doc_recipe(&r, "verify-bundle", env);
	ck_assert_msg(r.status == 0 && strstr((char *)r.out.data, "bundle OK"), "%s%s",
	              (char *)r.out.data, (char *)r.err.data);
	mcr_test_result_release(&r);
	/* the copy in the bundle says the same */
	mcr_test_sh(&r,
	            "cd bundle && sed -n '/^# --- recipe ---/,/^# --- end of recipe ---/p' "
	            "VERIFY.txt > ../verify.sh && %s sh ../verify.sh",
	            env);
	ck_assert_msg(r.status == 0 && strstr((char *)r.out.data, "bundle OK"), "%s%s",
	              (char *)r.out.data, (char *)r.err.data);
	mcr_test_result_release(&r);
	/* and both catch a changed file */
	mcr_test_sh_ok("printf x >> bundle/report.html");
	run_doc_recipe(&r, "verify-bundle", env);
	ck_assert_int_ne(r.status, 0);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "BAD: file hashes"));
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_bundle_event_hash_recipe)
{
	struct mcr_test_result r;

	copy();
	for (int line = 1; line <= 15; line += 7) {
		run_doc_recipe(&r, "event-hash", mcr_test_path("LINE=%d", line));
		ck_assert_msg(r.status == 0 && strstr((char *)r.out.data, " OK"), "%s%s",
		              (char *)r.out.data, (char *)r.err.data);
		mcr_test_result_release(&r);
	}
	mcr_test_sh_ok("sed -i '3s/v1.0.1/v6.6.6/' bundle/events.jsonl");
	run_doc_recipe(&r, "event-hash", "LINE=3");
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "event 3 BAD"));
	mcr_test_result_release(&r);
}
END_TEST

/* A proof from the bundle is the same document 'audit proof' prints: verify-proof checks it. */
START_TEST(test_bundle_proof_checks_alone)
{
	struct mcr_test_result r;

	copy();
	mcr_test_mcr(&r, NULL, "audit", "verify-proof", "--key", "log.pub.pem",
	             "bundle/proofs/2.json", NULL);
	ck_assert_msg(r.status == 0, "%s", (char *)r.err.data);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "event 2 (sign.completed"));
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_bundle_tampered_file)
{
	copy();
	mcr_test_sh_ok("sed -i 's/v1.0.0/v6.6.6/' bundle/report.html");
	expect_invalid("export.file_mismatch", "file 'report.html' does not match its SHA-256",
	               "log.pub.pem");
}
END_TEST

/* Changing the events and writing their new hash into the manifest breaks its signature. */
START_TEST(test_bundle_rehashed_manifest)
{
	copy();
	mcr_test_sh_ok("cd bundle && sed -i '3s/v1.0.1/v6.6.6/' events.jsonl && "
	               "new=$(sha256sum events.jsonl | cut -c1-64) && "
	               "sed -i \"s/\\(\\\"path\\\": \\\"events.jsonl\\\", \\\"sha256\\\": "
	               "\\\"\\)[0-9a-f]*/\\1$new/\" MANIFEST.json && "
	               "grep -q \"$new\" MANIFEST.json");
	expect_invalid("export.bad_manifest_signature", "MANIFEST.json is not signed by",
	               "log.pub.pem");
}
END_TEST

START_TEST(test_bundle_missing_file)
{
	copy();
	mcr_test_sh_ok("rm bundle/proofs/5.json");
	expect_invalid("export.missing_file", "file 'proofs/5.json' is missing", "log.pub.pem");
}
END_TEST

START_TEST(test_bundle_forged_signature)
{
	copy();
	mcr_test_sh_ok("cd bundle && printf '\\001' | dd of=MANIFEST.json.sig bs=1 seek=10 "
	               "conv=notrunc 2>/dev/null");
	expect_invalid("export.bad_manifest_signature", "is not signed by", "log.pub.pem");
}
END_TEST

/*
 * A forger re-signs the manifest with a key of their own and puts that key in
 * the bundle: the pinned key refuses it, and even the bundle's own key does
 * not make the log's checkpoints verify.
 */
START_TEST(test_bundle_forged_with_another_key)
{
	copy();
	mcr_test_sh_ok(
	        "cd bundle && openssl pkeyutl -sign -inkey ../other.pem -rawin "
	        "-in MANIFEST.json -out MANIFEST.json.sig && cp ../other.pub.pem keys/log.pem "
	        "&& new=$(sha256sum keys/log.pem | cut -c1-64) && sed -i "
	        "\"s/\\(\\\"path\\\": \\\"keys\\/log.pem\\\", \\\"sha256\\\": \\\"\\)"
	        "[0-9a-f]*/\\1$new/\" MANIFEST.json && openssl pkeyutl -sign -inkey "
	        "../other.pem -rawin -in MANIFEST.json -out MANIFEST.json.sig");
	expect_invalid("export.bad_manifest_signature", "not signed by the pinned log key",
	               "log.pub.pem");
	expect_invalid("export.bad_checkpoint", "checkpoints/", NULL);
}
END_TEST

START_TEST(test_bundle_unlisted_file)
{
	copy();
	mcr_test_sh_ok("echo extra > bundle/proofs/99.json");
	expect_invalid("export.unlisted_file", "file 'proofs/99.json' is not in the manifest",
	               "log.pub.pem");
}
END_TEST

/* A log edited in its database exports as it is; the bundle's chain then does not hold. */
START_TEST(test_bundle_broken_chain)
{
	ck_assert_int_eq(chdir(mcr_test_tmpdir()), 0);
	mcr_exportfix_workspace();
	mcr_exportfix_history(3, false, NULL);
	mcr_test_sh_ok("sqlite3 audit.db \"DROP TRIGGER IF EXISTS events_no_update; UPDATE events "
	               "SET body = replace(body, 'v1.1.0', 'v6.6.6') WHERE seq = 5;\"");
	mcr_exportfix_export("bundle", "bundle");
	expect_invalid("export.chain_broken", "event 5 in events.jsonl does not match",
	               "log.pub.pem");
}
END_TEST

START_TEST(test_bundle_tar)
{
	struct mcr_test_result r;

	copy();
	mcr_exportfix_export("bundle", "evidence.tar");
	mcr_test_sh_ok("tar -tf evidence.tar | grep -q '^./MANIFEST.json$' && test ! -e "
	               "evidence.tar.tmp* 2>/dev/null; ls | grep -c '^evidence' | grep -qx 1");
	verify(&r, "evidence.tar", "log.pub.pem");
	ck_assert_msg(r.status == 0, "%s%s", (char *)r.out.data, (char *)r.err.data);
	mcr_test_result_release(&r);
	mcr_test_sh_ok("mkdir x && tar -xf evidence.tar -C x && echo extra > x/extra && "
	               "tar -cf bad.tar -C x .");
	mcr_test_mcr(&r, NULL, "audit", "verify-export", "--key", "log.pub.pem", "bad.tar", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "'extra' is not in the manifest"));
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_bundle_refusals)
{
	struct mcr_test_result r;

	copy();
	/* never over an existing directory */
	mcr_test_mcr(&r, NULL, "audit", "export", "--config", "mcurelease.json", "--format",
	             "bundle", "-o", "bundle", NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "'bundle' already exists"));
	mcr_test_result_release(&r);
	/* only the log key signs a bundle */
	mcr_test_mcr(&r, NULL, "audit", "export", "--config", "mcurelease.json", "--format",
	             "bundle", "--signer", "other.pem", "-o", "other", NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "did not sign the checkpoints"));
	mcr_test_result_release(&r);
	mcr_test_sh_ok("ls | grep -v '^bundle$' | grep -c bundle | grep -qx 0; test ! -e other");
	/* not a bundle */
	mcr_test_mcr(&r, NULL, "audit", "verify-export", "nothing-here", NULL);
	ck_assert_int_eq(r.status, 3);
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "audit", "verify-export", "log.pem", NULL);
	ck_assert_int_eq(r.status, 3);
	mcr_test_result_release(&r);
}
END_TEST

static Suite *bundle_suite(void)
{
	Suite *s = suite_create("e2e_bundle");
	TCase *tc = tcase_create("valid");

	tcase_add_unchecked_fixture(tc, make_bundle, NULL);
	tcase_add_test(tc, test_bundle_verifies_with_pinned_key);
	tcase_add_test(tc, test_bundle_says_when_key_is_its_own);
	tcase_add_test(tc, test_bundle_files_follow_schemas);
	tcase_add_test(tc, test_bundle_standard_tools_recipe);
	tcase_add_test(tc, test_bundle_event_hash_recipe);
	tcase_add_test(tc, test_bundle_proof_checks_alone);
	tcase_add_test(tc, test_bundle_tampered_file);
	tcase_add_test(tc, test_bundle_rehashed_manifest);
	tcase_add_test(tc, test_bundle_missing_file);
	tcase_add_test(tc, test_bundle_forged_signature);
	tcase_add_test(tc, test_bundle_forged_with_another_key);
	tcase_add_test(tc, test_bundle_unlisted_file);
	tcase_add_test(tc, test_bundle_tar);
	tcase_add_test(tc, test_bundle_refusals);
	tcase_add_test(tc, test_bundle_broken_chain);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(bundle_suite());
}
