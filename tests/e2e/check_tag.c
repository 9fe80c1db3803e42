/*
 * End-to-end: 'mcurelease tag check' on real repositories, gpg and ssh keys, each case
 * compared with 'git verify-tag' (docs/git-gate.md explains every difference).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "gitfix.h"
#include "json.h"
#include "testutil.h"

#define GIT_ACCEPTS 1
#define GIT_REFUSES 0

/* The verdict of one 'tag check --json' run, parsed. */
struct verdict {
	int status;
	cJSON *json;
	struct mcr_test_result run;
};

static void check_tag(struct verdict *v, struct mcr_gitfix *fx, const char *name)
{
	mcr_test_mcr(&v->run, NULL, "tag", "check", "--json", "--repo", fx->repo, "--config",
		     fx->config, name, NULL);
	v->status = v->run.status;
	v->json = NULL;
	ck_assert_msg(mcr_json_parse(&v->json, (char *)v->run.out.data, v->run.out.len,
				     "stdout") == 0, "no JSON (status %d): %s%s", v->status,
		      (char *)v->run.out.data, (char *)v->run.err.data);
}

static const char *field(const struct verdict *v, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v->json, key));
}

static const char *signer_field(const struct verdict *v, const char *key)
{
	const cJSON *signer = cJSON_GetObjectItemCaseSensitive(v->json, "signer");

	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(signer, key));
}

static void verdict_release(struct verdict *v)
{
	cJSON_Delete(v->json);
	mcr_test_result_release(&v->run);
}

/* Runs both gates on name: ours must give reason (NULL: accept), git must give git_accepts. */
static void expect(struct mcr_gitfix *fx, const char *name, const char *reason, int git_accepts)
{
	struct verdict v;

	check_tag(&v, fx, name);
	if (reason) {
		ck_assert_msg(v.status == 1, "%s: status %d, %s", name, v.status,
			      (char *)v.run.err.data);
		ck_assert_str_eq(field(&v, "verdict"), "refused");
		ck_assert_msg(!strcmp(field(&v, "reason"), reason), "%s: reason %s, wanted %s", name,
			      field(&v, "reason"), reason);
		/* the one-line refusal on stderr names the tag */
		ck_assert(!strncmp((char *)v.run.err.data, "mcurelease: ", 12));
		ck_assert_ptr_nonnull(strstr((char *)v.run.err.data, name));
	} else {
		ck_assert_msg(v.status == 0, "%s: status %d, %s", name, v.status,
			      (char *)v.run.err.data);
		ck_assert_str_eq(field(&v, "verdict"), "accepted");
	}
	verdict_release(&v);
	ck_assert_msg((mcr_gitfix_git_verify_tag(fx, name) == 0) == git_accepts,
		      "git verify-tag %s: expected it to %s", name,
		      git_accepts ? "accept" : "refuse");
}

START_TEST(test_tag_good_gpg)
{
	const char *tmp = mcr_test_path("%s/tmp", mcr_test_tmpdir());
	struct mcr_gitfix fx;
	struct verdict v;
	char oid[MCR_GITFIX_OID_MAX];

	mcr_gitfix_repo_with_signed_tag(&fx, "v1.4.0", MCR_GITFIX_OPENPGP);
	mcr_test_sh_ok("mkdir '%s'", tmp);
	setenv("TMPDIR", tmp, 1);
	check_tag(&v, &fx, "v1.4.0");
	ck_assert_int_eq(v.status, 0);
	ck_assert_str_eq(field(&v, "verdict"), "accepted");
	ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(v.json, "reason")));
	mcr_gitfix_sh_line(oid, sizeof(oid), &fx, "git rev-parse refs/tags/v1.4.0");
	ck_assert_str_eq(field(&v, "tag_object"), oid);
	ck_assert_str_eq(field(&v, "commit"), fx.head);
	ck_assert_str_eq(field(&v, "version"), "1.4.0+0");
	ck_assert_str_eq(signer_field(&v, "format"), "openpgp");
	ck_assert_str_eq(signer_field(&v, "identity"), fx.gpg.fpr);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v.json, "pinned")));
	verdict_release(&v);
	/* no scratch GNUPGHOME or signature file left behind */
	ck_assert_int_eq(mcr_test_count_entries(tmp), 0);
	ck_assert(mcr_test_exists(fx.pin_store));
	/* accepted again, already pinned */
	check_tag(&v, &fx, "v1.4.0");
	ck_assert_int_eq(v.status, 0);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(v.json, "pinned")));
	verdict_release(&v);
	ck_assert_int_eq(mcr_gitfix_git_verify_tag(&fx, "v1.4.0"), 0);
}
END_TEST

START_TEST(test_tag_good_ssh)
{
	struct mcr_gitfix fx;
	struct verdict v;

	mcr_gitfix_repo_with_signed_tag(&fx, "v1.4.0+7", MCR_GITFIX_SSH);
	check_tag(&v, &fx, "v1.4.0+7");
	ck_assert_msg(v.status == 0, "%s", (char *)v.run.err.data);
	ck_assert_str_eq(field(&v, "version"), "1.4.0+7");
	ck_assert_str_eq(signer_field(&v, "format"), "ssh");
	ck_assert_str_eq(signer_field(&v, "identity"), fx.ssh.principal);
	ck_assert(!strncmp(signer_field(&v, "key"), "SHA256:", 7));
	verdict_release(&v);
	ck_assert_int_eq(mcr_gitfix_git_verify_tag(&fx, "v1.4.0+7"), 0);
}
END_TEST

START_TEST(test_tag_text_output)
{
	struct mcr_gitfix fx;
	struct mcr_test_result r;

	mcr_gitfix_repo_with_signed_tag(&fx, "v2.0.0", MCR_GITFIX_OPENPGP);
	mcr_test_mcr(&r, NULL, "tag", "check", "--repo", fx.repo, "--config", fx.config, "v2.0.0",
		     NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "verdict:    accepted\n"));
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "version:    2.0.0+0\n"));
	ck_assert_uint_eq(r.err.len, 0);
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_tag_untrusted_gpg_key)
{
	struct mcr_gitfix fx;
	struct mcr_gitfix_gpg intruder;
	char oid[MCR_GITFIX_OID_MAX];

	mcr_gitfix_setup(&fx);
	mcr_gitfix_gpg_key(&intruder, &fx, "intruder", MCR_GITFIX_KEY_VALID);
	mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){.name = "v1.0.0",
								 .format = MCR_GITFIX_OPENPGP,
								 .gpg = &intruder});
	mcr_gitfix_set_ref(&fx, "refs/tags/v1.0.0", oid);
	/* the key is not in the configured keyring at all */
	mcr_gitfix_write_config(&fx);
	expect(&fx, "v1.0.0", "tag.untrusted_key", GIT_ACCEPTS);
	/* in the keyring, but its fingerprint is not a configured release signer */
	mcr_test_sh_ok("cat '%s' '%s' > '%s/both.asc'", fx.gpg.keyring, intruder.keyring, fx.dir);
	snprintf(fx.gpg_keyring, sizeof(fx.gpg_keyring), "%s/both.asc", fx.dir);
	mcr_gitfix_write_config(&fx);
	expect(&fx, "v1.0.0", "tag.untrusted_key", GIT_ACCEPTS);
	/* its forgery-free twin: trusted once configured */
	snprintf(fx.fingerprints[1], sizeof(fx.fingerprints[1]), "%s", intruder.fpr);
	mcr_gitfix_write_config(&fx);
	expect(&fx, "v1.0.0", NULL, GIT_ACCEPTS);
}
END_TEST

START_TEST(test_tag_untrusted_ssh_key)
{
	struct mcr_gitfix fx;
	struct mcr_gitfix_ssh stranger;
	char oid[MCR_GITFIX_OID_MAX];

	mcr_gitfix_setup(&fx);
	mcr_gitfix_ssh_key(&stranger, &fx, "stranger");
	mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){.name = "v1.0.0",
								 .format = MCR_GITFIX_SSH,
								 .ssh = &stranger});
	mcr_gitfix_set_ref(&fx, "refs/tags/v1.0.0", oid);
	mcr_gitfix_write_config(&fx);
	expect(&fx, "v1.0.0", "tag.untrusted_key", GIT_REFUSES);
}
END_TEST

START_TEST(test_tag_expired_gpg_key)
{
	struct mcr_gitfix fx;
	struct mcr_gitfix_gpg old;
	char oid[MCR_GITFIX_OID_MAX];

	mcr_gitfix_setup(&fx);
	mcr_gitfix_gpg_key(&old, &fx, "old", MCR_GITFIX_KEY_EXPIRED);
	mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){.name = "v1.0.0",
								 .tagger_time = 1577880000,
								 .format = MCR_GITFIX_OPENPGP,
								 .gpg = &old});
	mcr_gitfix_set_ref(&fx, "refs/tags/v1.0.0", oid);
	snprintf(fx.gpg_keyring, sizeof(fx.gpg_keyring), "%s", old.keyring);
	snprintf(fx.fingerprints[0], sizeof(fx.fingerprints[0]), "%s", old.fpr);
	mcr_gitfix_write_config(&fx);
	expect(&fx, "v1.0.0", "tag.key_expired", GIT_REFUSES);
}
END_TEST

START_TEST(test_tag_revoked_gpg_key)
{
	struct mcr_gitfix fx;
	struct mcr_gitfix_gpg gone;
	char oid[MCR_GITFIX_OID_MAX];

	mcr_gitfix_setup(&fx);
	mcr_gitfix_gpg_key(&gone, &fx, "gone", MCR_GITFIX_KEY_REVOKED);
	mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){.name = "v1.0.0",
								 .format = MCR_GITFIX_OPENPGP,
								 .gpg = &gone});
	mcr_gitfix_set_ref(&fx, "refs/tags/v1.0.0", oid);
	snprintf(fx.gpg_keyring, sizeof(fx.gpg_keyring), "%s", gone.keyring);
	snprintf(fx.fingerprints[0], sizeof(fx.fingerprints[0]), "%s", gone.fpr);
	mcr_gitfix_write_config(&fx);
	/* git's keyring learns of the revocation too, so both judge the same facts */
	mcr_gitfix_sh_line(NULL, 0, &fx, "gpg --batch --import '%s' 2>/dev/null", gone.keyring);
	expect(&fx, "v1.0.0", "tag.key_revoked", GIT_REFUSES);
}
END_TEST

START_TEST(test_tag_tampered_body)
{
	enum mcr_gitfix_format formats[] = {MCR_GITFIX_OPENPGP, MCR_GITFIX_SSH};
	struct mcr_gitfix fx;
	char oid[MCR_GITFIX_OID_MAX];

	mcr_gitfix_setup(&fx);
	mcr_gitfix_write_config(&fx);
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "v1.0.1" : "v1.0.0";

		mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){
			.name = name, .format = formats[i], .payload_suffix = "Also ships debug.\n"});
		mcr_gitfix_set_ref(&fx, mcr_test_path("refs/tags/%s", name), oid);
		expect(&fx, name, "tag.bad_signature", GIT_REFUSES);
	}
}
END_TEST

START_TEST(test_tag_tampered_signature)
{
	enum mcr_gitfix_format formats[] = {MCR_GITFIX_OPENPGP, MCR_GITFIX_SSH};
	struct mcr_gitfix fx;
	char oid[MCR_GITFIX_OID_MAX];

	mcr_gitfix_setup(&fx);
	mcr_gitfix_write_config(&fx);
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "v1.0.1" : "v1.0.0";

		mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){
			.name = name, .format = formats[i], .flip_signature_byte = true});
		mcr_gitfix_set_ref(&fx, mcr_test_path("refs/tags/%s", name), oid);
		expect(&fx, name, "tag.bad_signature", GIT_REFUSES);
	}
}
END_TEST

START_TEST(test_tag_lightweight_and_unsigned)
{
	struct mcr_gitfix fx;

	mcr_gitfix_setup(&fx);
	mcr_gitfix_write_config(&fx);
	mcr_gitfix_sh_line(NULL, 0, &fx, "git tag v1.0.0");
	expect(&fx, "v1.0.0", "tag.lightweight", GIT_REFUSES);
	mcr_gitfix_git_tag(&fx, "v1.0.1", MCR_GITFIX_UNSIGNED, NULL);
	expect(&fx, "v1.0.1", "tag.unsigned", GIT_REFUSES);
	expect(&fx, "v1.0.2", "tag.not_found", GIT_REFUSES);
}
END_TEST

START_TEST(test_tag_renamed)
{
	struct mcr_gitfix fx;
	char oid[MCR_GITFIX_OID_MAX];

	mcr_gitfix_repo_with_signed_tag(&fx, "v1.0.0", MCR_GITFIX_OPENPGP);
	mcr_gitfix_sh_line(oid, sizeof(oid), &fx, "git rev-parse refs/tags/v1.0.0");
	mcr_gitfix_set_ref(&fx, "refs/tags/v2.0.0", oid);
	expect(&fx, "v2.0.0", "tag.name_mismatch", GIT_ACCEPTS);
	expect(&fx, "v1.0.0", NULL, GIT_ACCEPTS);
}
END_TEST

START_TEST(test_tag_repointed)
{
	struct mcr_gitfix fx;
	char second[MCR_GITFIX_OID_MAX];

	mcr_gitfix_repo_with_signed_tag(&fx, "v1.0.0", MCR_GITFIX_OPENPGP);
	expect(&fx, "v1.0.0", NULL, GIT_ACCEPTS); /* accepted and pinned */
	mcr_gitfix_commit(second, &fx, "second");
	mcr_gitfix_sh_line(NULL, 0, &fx, "git -c user.signingkey=%s tag -f -s -m 'Release v1.0.0' "
			   "v1.0.0 %s", fx.gpg.fpr, second);
	expect(&fx, "v1.0.0", "tag.moved", GIT_ACCEPTS);
}
END_TEST

START_TEST(test_tag_resigned)
{
	struct mcr_gitfix fx;

	mcr_gitfix_repo_with_signed_tag(&fx, "v1.0.0", MCR_GITFIX_OPENPGP);
	expect(&fx, "v1.0.0", NULL, GIT_ACCEPTS);
	/* same name, same commit, another signature (and another trusted key format) */
	mcr_gitfix_sh_line(NULL, 0, &fx, "git -c gpg.format=ssh -c user.signingkey='%s' tag -f -s "
			   "-m 'Release v1.0.0, re-signed' v1.0.0 %s", fx.ssh.key, fx.head);
	expect(&fx, "v1.0.0", "tag.moved", GIT_ACCEPTS);
}
END_TEST

START_TEST(test_tag_on_tree_or_blob)
{
	struct mcr_gitfix fx;
	char oid[MCR_GITFIX_OID_MAX], tree[MCR_GITFIX_OID_MAX], blob[MCR_GITFIX_OID_MAX];

	mcr_gitfix_setup(&fx);
	mcr_gitfix_write_config(&fx);
	mcr_gitfix_sh_line(tree, sizeof(tree), &fx, "git rev-parse HEAD^{tree}");
	mcr_gitfix_sh_line(blob, sizeof(blob), &fx, "git rev-parse HEAD:file.txt");
	mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){
		.name = "v1.0.0", .target = tree, .type = "tree", .format = MCR_GITFIX_OPENPGP});
	mcr_gitfix_set_ref(&fx, "refs/tags/v1.0.0", oid);
	expect(&fx, "v1.0.0", "tag.not_commit", GIT_ACCEPTS);
	mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){
		.name = "v1.0.1", .target = blob, .type = "blob", .format = MCR_GITFIX_SSH});
	mcr_gitfix_set_ref(&fx, "refs/tags/v1.0.1", oid);
	expect(&fx, "v1.0.1", "tag.not_commit", GIT_ACCEPTS);
}
END_TEST

START_TEST(test_tag_signature_block_in_the_middle)
{
	struct mcr_gitfix fx;
	char oid[MCR_GITFIX_OID_MAX];
	char *message;

	mcr_gitfix_setup(&fx);
	mcr_gitfix_write_config(&fx);
	/* unsigned text appended after a good signature: gpg ignores it, git shows it */
	mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){
		.name = "v1.0.0", .format = MCR_GITFIX_OPENPGP,
		.after_signature = "\nAlso approved: v1.0.0-debug with JTAG enabled.\n"});
	mcr_gitfix_set_ref(&fx, "refs/tags/v1.0.0", oid);
	expect(&fx, "v1.0.0", "tag.ambiguous_signature", GIT_ACCEPTS);
	mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){
		.name = "v1.0.2", .format = MCR_GITFIX_SSH,
		.after_signature = "\nAlso approved: v1.0.2-debug.\n"});
	mcr_gitfix_set_ref(&fx, "refs/tags/v1.0.2", oid);
	expect(&fx, "v1.0.2", "tag.ambiguous_signature", GIT_ACCEPTS);
	/* a message quoting another signature block, properly signed at the end */
	ck_assert(asprintf(&message, "Release v1.0.1\n\n-----BEGIN PGP SIGNATURE-----\n\nquoted\n"
			   "-----END PGP SIGNATURE-----\n") > 0);
	mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){
		.name = "v1.0.1", .message = message, .format = MCR_GITFIX_OPENPGP});
	mcr_gitfix_set_ref(&fx, "refs/tags/v1.0.1", oid);
	expect(&fx, "v1.0.1", "tag.ambiguous_signature", GIT_ACCEPTS);
	free(message);
}
END_TEST

START_TEST(test_tag_two_signatures)
{
	struct mcr_gitfix fx;
	struct mcr_gitfix_gpg second;
	char oid[MCR_GITFIX_OID_MAX];

	mcr_gitfix_setup(&fx);
	mcr_gitfix_gpg_key(&second, &fx, "second", MCR_GITFIX_KEY_VALID);
	snprintf(fx.fingerprints[1], sizeof(fx.fingerprints[1]), "%s", second.fpr);
	mcr_test_sh_ok("cat '%s' '%s' > '%s/both.asc'", fx.gpg.keyring, second.keyring, fx.dir);
	snprintf(fx.gpg_keyring, sizeof(fx.gpg_keyring), "%s/both.asc", fx.dir);
	mcr_gitfix_write_config(&fx);
	/* one armor block holding two good signatures by two trusted keys: who signed? */
	mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){.name = "v1.0.0",
								 .format = MCR_GITFIX_OPENPGP,
								 .also_gpg = &second});
	mcr_gitfix_set_ref(&fx, "refs/tags/v1.0.0", oid);
	expect(&fx, "v1.0.0", "tag.ambiguous_signature", GIT_REFUSES);
}
END_TEST

START_TEST(test_tag_ssh_key_expired_at_verification)
{
	struct mcr_gitfix fx;
	struct mcr_gitfix_ssh old;
	char oid[MCR_GITFIX_OID_MAX];

	mcr_gitfix_setup(&fx);
	mcr_gitfix_ssh_key(&old, &fx, "old");
	mcr_gitfix_allow_ssh(fx.allowed_signers, &old, "namespaces=\"git\",valid-before=\"20200101\"");
	mcr_gitfix_write_config(&fx);
	/* signed today, tagger date claims June 2019 */
	mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){.name = "v1.0.0",
								 .tagger_time = 1560000000,
								 .format = MCR_GITFIX_SSH,
								 .ssh = &old});
	mcr_gitfix_set_ref(&fx, "refs/tags/v1.0.0", oid);
	expect(&fx, "v1.0.0", "tag.key_expired", GIT_ACCEPTS);
	/* dated honestly, git refuses as well */
	mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){.name = "v1.0.1",
								 .format = MCR_GITFIX_SSH,
								 .ssh = &old});
	mcr_gitfix_set_ref(&fx, "refs/tags/v1.0.1", oid);
	expect(&fx, "v1.0.1", "tag.key_expired", GIT_REFUSES);
}
END_TEST

START_TEST(test_tag_ssh_key_revoked)
{
	struct mcr_gitfix fx;

	mcr_gitfix_repo_with_signed_tag(&fx, "v1.0.0", MCR_GITFIX_SSH);
	snprintf(fx.revocations, sizeof(fx.revocations), "%s/revoked_keys", fx.dir);
	mcr_test_sh_ok("cat '%s' > '%s'", fx.ssh.pub, fx.revocations);
	mcr_gitfix_write_config(&fx);
	expect(&fx, "v1.0.0", "tag.key_revoked", GIT_REFUSES);
}
END_TEST

START_TEST(test_tag_pattern_and_version)
{
	struct mcr_gitfix fx;
	struct verdict v;

	mcr_gitfix_setup(&fx);
	mcr_gitfix_write_config(&fx);
	mcr_gitfix_git_tag(&fx, "release-1.0", MCR_GITFIX_OPENPGP, NULL);
	expect(&fx, "release-1.0", "tag.pattern_mismatch", GIT_ACCEPTS);
	mcr_gitfix_git_tag(&fx, "v256.0.0", MCR_GITFIX_OPENPGP, NULL);
	expect(&fx, "v256.0.0", "tag.bad_version", GIT_ACCEPTS);
	mcr_gitfix_git_tag(&fx, "v1.04.0", MCR_GITFIX_OPENPGP, NULL);
	expect(&fx, "v1.04.0", "tag.bad_version", GIT_ACCEPTS);
	/* a project's own pattern */
	snprintf(fx.pattern, sizeof(fx.pattern), "^rel-[0-9]+\\\\.[0-9]+\\\\.[0-9]+$");
	mcr_gitfix_write_config(&fx);
	mcr_gitfix_git_tag(&fx, "rel-2.0.1", MCR_GITFIX_SSH, NULL);
	check_tag(&v, &fx, "rel-2.0.1");
	ck_assert_msg(v.status == 0, "%s", (char *)v.run.err.data);
	ck_assert_str_eq(field(&v, "version"), "2.0.1+0");
	verdict_release(&v);
	expect(&fx, "release-1.0", "tag.pattern_mismatch", GIT_ACCEPTS);
}
END_TEST

START_TEST(test_tag_version_reused)
{
	struct mcr_gitfix fx;

	mcr_gitfix_repo_with_signed_tag(&fx, "v1.0.0", MCR_GITFIX_OPENPGP);
	expect(&fx, "v1.0.0", NULL, GIT_ACCEPTS);
	mcr_gitfix_git_tag(&fx, "v1.0.0+0", MCR_GITFIX_OPENPGP, NULL);
	expect(&fx, "v1.0.0+0", "tag.version_reused", GIT_ACCEPTS);
}
END_TEST

START_TEST(test_tag_no_pin_leaves_store_alone)
{
	struct mcr_gitfix fx;
	struct mcr_test_result r;

	mcr_gitfix_repo_with_signed_tag(&fx, "v1.0.0", MCR_GITFIX_OPENPGP);
	mcr_test_mcr(&r, NULL, "tag", "check", "--no-pin", "--repo", fx.repo, "--config",
		     fx.config, "v1.0.0", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert(!mcr_test_exists(fx.pin_store));
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_tag_could_not_check)
{
	struct mcr_gitfix fx;
	struct mcr_test_result r;

	mcr_gitfix_repo_with_signed_tag(&fx, "v1.0.0", MCR_GITFIX_OPENPGP);
	mcr_test_mcr(&r, NULL, "tag", "check", NULL);
	ck_assert_int_eq(r.status, 2);
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "tag", "check", "--repo", "/nonexistent", "--config", fx.config,
		     "v1.0.0", NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "/nonexistent"));
	mcr_test_result_release(&r);
	mcr_test_write(fx.pin_store, "{\"format\": 1}", 13);
	mcr_test_mcr(&r, NULL, "tag", "check", "--repo", fx.repo, "--config", fx.config, "v1.0.0",
		     NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "pins.json"));
	mcr_test_result_release(&r);
}
END_TEST

static Suite *tag_suite(void)
{
	Suite *s = suite_create("tag");
	TCase *good = tcase_create("accepted");
	TCase *trust = tcase_create("trust");
	TCase *shape = tcase_create("shape");
	TCase *gaps = tcase_create("git_gaps");
	TCase *cli = tcase_create("cli");

	tcase_add_test(good, test_tag_good_gpg);
	tcase_add_test(good, test_tag_good_ssh);
	tcase_add_test(good, test_tag_text_output);
	tcase_add_test(trust, test_tag_untrusted_gpg_key);
	tcase_add_test(trust, test_tag_untrusted_ssh_key);
	tcase_add_test(trust, test_tag_expired_gpg_key);
	tcase_add_test(trust, test_tag_revoked_gpg_key);
	tcase_add_test(trust, test_tag_ssh_key_revoked);
	tcase_add_test(shape, test_tag_tampered_body);
	tcase_add_test(shape, test_tag_tampered_signature);
	tcase_add_test(shape, test_tag_lightweight_and_unsigned);
	tcase_add_test(shape, test_tag_two_signatures);
	tcase_add_test(gaps, test_tag_renamed);
	tcase_add_test(gaps, test_tag_repointed);
	tcase_add_test(gaps, test_tag_resigned);
	tcase_add_test(gaps, test_tag_on_tree_or_blob);
	tcase_add_test(gaps, test_tag_signature_block_in_the_middle);
	tcase_add_test(gaps, test_tag_ssh_key_expired_at_verification);
	tcase_add_test(gaps, test_tag_pattern_and_version);
	tcase_add_test(gaps, test_tag_version_reused);
	tcase_add_test(cli, test_tag_no_pin_leaves_store_alone);
	tcase_add_test(cli, test_tag_could_not_check);
	suite_add_tcase(s, good);
	suite_add_tcase(s, trust);
	suite_add_tcase(s, shape);
	suite_add_tcase(s, gaps);
	suite_add_tcase(s, cli);
	return s;
}

int main(void)
{
	return mcr_test_main(tag_suite());
}
