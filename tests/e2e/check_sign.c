/* 'mcurelease sign' end to end: a real repository, real builds, a real SoftHSM token, a real log. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "hash.h"
#include "signfix.h"

static struct mcr_signfix fx;

static mode_t current_umask(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return mask;
}

static const char *out_path(const char *name)
{
	return mcr_test_path("%s/out/%s", fx.dir, name);
}

/* The fixture with v1.2.3 tagged; builds are left to each test. */
static void setup_release(void)
{
	mcr_signfix_setup(&fx, "v1.2.3");
	mcr_test_sh_ok("mkdir -p '%s/out'", fx.dir);
}

/* Every event of kind in the log, as a JSON array (caller deletes). */
static cJSON *events(const char *kind)
{
	struct mcr_test_result r;
	cJSON *list;

	mcr_test_mcr(&r, NULL, "audit", "log", "--config", fx.fw.git.config, "--kind", kind, "--json",
		     NULL);
	ck_assert_msg(r.status == 0, "audit log: %.*s", (int)r.err.len, r.err.data);
	list = cJSON_ParseWithLength((char *)r.out.data, r.out.len);
	ck_assert_ptr_nonnull(list);
	mcr_test_result_release(&r);
	return list;
}

/* data.<field> of the only event of kind, as a string (static copy). */
static const char *event_field(const char *kind, const char *field)
{
	static char value[4096];
	cJSON *list = events(kind);
	const cJSON *e = cJSON_GetArrayItem(list, cJSON_GetArraySize(list) - 1);
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "data");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, field);

	ck_assert_msg(e != NULL, "no %s event", kind);
	if (cJSON_IsString(v))
		snprintf(value, sizeof(value), "%s", v->valuestring);
	else if (cJSON_IsNumber(v))
		snprintf(value, sizeof(value), "%lld", (long long)v->valuedouble);
	else
		snprintf(value, sizeof(value), "<%s>", v ? "other" : "absent");
	cJSON_Delete(list);
	return value;
}

static int count(const char *kind)
{
	return mcr_signfix_count_events(&fx, kind);
}

static bool contains(const struct mcr_buf *b, const char *needle)
{
	return b->len && memmem(b->data, b->len, needle, strlen(needle)) != NULL;
}

/* A refusal or failure: the status, reason on the one stderr line, the event, and no outputs. */
static void assert_outcome(struct mcr_test_result *r, int status, const char *kind,
			   const char *reason)
{
	ck_assert_msg(r->status == status, "want exit %d, got %d: %.*s", status, r->status,
		      (int)r->err.len, r->err.data);
	ck_assert_msg(r->err.len > 0 && memchr(r->err.data, '\n', r->err.len) ==
			      (char *)r->err.data + r->err.len - 1,
		      "want one line on stderr: %.*s", (int)r->err.len, r->err.data);
	ck_assert_str_eq(event_field(kind, "reason"), reason);
	ck_assert_int_eq(mcr_test_count_entries(mcr_test_path("%s/out", fx.dir)), 0);
	ck_assert_int_eq(mcr_signfix_audit_verify(&fx), 0);
}

static void sign_ok(const char *tag, const char *image, const char *out)
{
	struct mcr_test_result r;

	mcr_signfix_sign(&fx, &r, tag, image, out, NULL);
	ck_assert_msg(r.status == 0, "sign %s: %d: %.*s", tag, r.status, (int)r.err.len, r.err.data);
	mcr_test_result_release(&r);
}

static void file_sha256(char *hex, const char *path)
{
	struct mcr_buf data = MCR_BUF_INIT;

	mcr_test_read(&data, path);
	mcr_hash_sha256_hex(hex, data.data, data.len);
	mcr_buf_release(&data);
}

/* --- Accepted ---------------------------------------------------------------------------- */

START_TEST(test_accepted)
{
	struct mcr_test_result r;
	struct mcr_buf db = MCR_BUF_INIT;
	struct stat st;
	const char *image, *out;
	char sha[65], *why = NULL;

	setup_release();
	out = strdup(out_path("fw.signed.bin"));
	image = mcr_signfix_build(&fx, "v1.2.3");
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out, NULL);
	ck_assert_msg(r.status == 0, "sign: %d: %.*s", r.status, (int)r.err.len, r.err.data);
	ck_assert(contains(&r.out, "signed fw.bin 1.2.3+0 (tag v1.2.3"));
	ck_assert(!contains(&r.out, MCR_HSMFIX_PIN) && !contains(&r.err, MCR_HSMFIX_PIN));
	mcr_test_result_release(&r);

	/* MCUboot would boot it with the release key, and only with it */
	ck_assert_int_eq(mcr_signfix_verify_image(out, fx.release_pub), 0);
	ck_assert_int_eq(mcr_signfix_verify_image(out, mcr_test_path("%s/cmd.pub.pem", fx.dir)), 1);
	ck_assert_msg(mcr_test_schema_valid("provenance.schema.json", mcr_test_path("%s.intoto.json", out),
					    &why), "provenance: %s", why);

	/* the log: requested before completed, the outputs' hashes, a valid chain */
	ck_assert_int_eq(count("sign.requested"), 1);
	ck_assert_int_eq(count("sign.completed"), 1);
	ck_assert_int_ge(count("checkpoint"), 2);
	ck_assert_str_eq(event_field("sign.completed", "requested_seq"), "1");
	ck_assert_str_eq(event_field("sign.requested", "tag"), "v1.2.3");
	ck_assert_str_eq(event_field("sign.requested", "commit"), fx.fw.git.head);
	file_sha256(sha, out);
	mcr_test_sh_ok("'%s' audit log --config '%s' --kind sign.completed --json | "
		       "jq -e '.[0].data.signed_image.sha256 == \"%s\"' >/dev/null",
		       MCR_TEST_BINARY, fx.fw.git.config, sha);
	file_sha256(sha, mcr_test_path("%s.intoto.json", out));
	ck_assert_str_eq(event_field("sign.completed", "provenance_sha256"), sha);
	mcr_test_sh_ok("'%s' audit log --config '%s' --kind sign.requested --json | jq -e "
		       "'.[0].data | .records | length == 2' >/dev/null", MCR_TEST_BINARY,
		       fx.fw.git.config);
	mcr_test_sh_ok("'%s' audit log --config '%s' --kind sign.requested --json | jq -e "
		       "'.[0].data.signer | .backend == \"pkcs11\" and .never_extractable' >/dev/null",
		       MCR_TEST_BINARY, fx.fw.git.config);
	ck_assert_int_eq(mcr_signfix_audit_verify(&fx), 0);

	/* the log is the owner's alone, and so are SQLite's files beside it */
	ck_assert_int_eq(stat(fx.audit_db, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644 & ~current_umask());

	/* the PIN is nowhere in the log */
	mcr_test_read(&db, fx.audit_db);
	ck_assert(!contains(&db, MCR_HSMFIX_PIN));
	mcr_buf_release(&db);
	free((char *)out);
}
END_TEST

/* Without -o: zephyr's naming, fw.bin -> fw.signed.bin beside it, and the config found in the
 * repository when neither --config nor MCURELEASE_CONFIG names one. */
START_TEST(test_default_output_and_config_discovery)
{
	struct mcr_test_result r;
	const char *image;

	setup_release();
	image = strdup(mcr_signfix_build(&fx, "v1.2.3"));
	mcr_test_sh_ok("cp '%s' '%s/mcurelease.json'", fx.fw.git.config, fx.fw.git.repo);
	mcr_test_sh(&r, "cd '%s' && '%s' sign --tag v1.2.3 '%s' '%s' '%s'", fx.fw.git.repo,
		    MCR_TEST_BINARY, image, mcr_signfix_record(&fx, "v1.2.3", "a"),
		    mcr_signfix_record(&fx, "v1.2.3", "b"));
	ck_assert_msg(r.status == 0, "sign: %.*s", (int)r.err.len, r.err.data);
	mcr_test_result_release(&r);
	ck_assert(mcr_test_exists(mcr_test_path("%s/image-v1.2.3/build/fw.signed.bin", fx.dir)));
	ck_assert(mcr_test_exists(
		mcr_test_path("%s/image-v1.2.3/build/fw.signed.bin.intoto.json", fx.dir)));
	free((char *)image);
}
END_TEST

START_TEST(test_hex_output)
{
	struct mcr_test_result r;
	const char *image;

	setup_release();
	image = mcr_signfix_build(&fx, "v1.2.3");
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out_path("fw.signed.bin"), "--hex",
			 out_path("fw.signed.hex"), "--hex-addr", "0x10000", NULL);
	ck_assert_msg(r.status == 0, "sign: %.*s", (int)r.err.len, r.err.data);
	mcr_test_result_release(&r);
	ck_assert_int_eq(mcr_signfix_verify_image(out_path("fw.signed.hex"), fx.release_pub), 0);
	mcr_test_sh_ok("head -c 15 '%s' | grep -q '^:020000040001F9'", out_path("fw.signed.hex"));
	mcr_test_sh_ok("'%s' audit log --config '%s' --kind sign.completed --json | jq -e "
		       "'.[0].data.signed_hex.name == \"fw.signed.hex\"' >/dev/null",
		       MCR_TEST_BINARY, fx.fw.git.config);

	/* the config's base address when the command line gives none; a .hex -o alone is HEX */
	fx.extra_image = "\"hex_addr\": \"0x20000\"";
	mcr_signfix_write_config(&fx);
	sign_ok("v1.2.3", image, out_path("only.hex"));
	mcr_test_sh_ok("head -c 15 '%s' | grep -q '^:020000040002F8'", out_path("only.hex"));
	ck_assert_int_eq(mcr_signfix_verify_image(out_path("only.hex"), fx.release_pub), 0);
}
END_TEST

START_TEST(test_json_and_timings)
{
	struct mcr_test_result r;
	const char *image, *result;
	char *why = NULL;

	setup_release();
	result = strdup(mcr_test_path("%s/result.json", fx.dir));
	image = strdup(mcr_signfix_build(&fx, "v1.2.3"));
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out_path("fw.signed.bin"), "--json", "--timings",
			 NULL);
	ck_assert_int_eq(r.status, 0);
	mcr_test_write(result, r.out.data, r.out.len);
	ck_assert_msg(mcr_test_schema_valid("sign-result.schema.json", result, &why), "%s", why);
	mcr_test_sh_ok("jq -e '.outcome == \"signed\" and .signed_image.path != null and "
		       ".requested_seq == 1 and .completed_seq == 3 and .timings_ms.total > 0' '%s' "
		       ">/dev/null", result);
	for (const char *p = "setup request check sign write complete total"; *p;) {
		char line[64];
		size_t n = strcspn(p, " ");

		snprintf(line, sizeof(line), "timing: %.*s ", (int)n, p);
		ck_assert_msg(contains(&r.err, line), "no '%s' on stderr", line);
		p += n + (p[n] == ' ');
	}
	mcr_test_result_release(&r);

	/* a refusal is JSON too, with its reason; nothing on stdout but the JSON */
	mcr_signfix_sign(&fx, &r, "v1.2.3", fx.release_pub, out_path("x.bin"), "--json", NULL);
	ck_assert_int_eq(r.status, 3);
	mcr_test_write(result, r.out.data, r.out.len);
	ck_assert_msg(mcr_test_schema_valid("sign-result.schema.json", result, &why), "%s", why);
	mcr_test_sh_ok("jq -e '.outcome == \"failed\" and .exit_status == 3 and .signed_image == null' "
		       "'%s' >/dev/null", result);
	mcr_test_result_release(&r);
	free((char *)image);
	free((char *)result);
}
END_TEST

START_TEST(test_dry_run)
{
	struct mcr_test_result r;
	const char *image;

	setup_release();
	image = mcr_signfix_build(&fx, "v1.2.3");
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out_path("fw.signed.bin"), "--dry-run", NULL);
	ck_assert_msg(r.status == 0, "dry run: %.*s", (int)r.err.len, r.err.data);
	ck_assert(contains(&r.out, "would sign: tag v1.2.3"));
	ck_assert(contains(&r.out, "-> signer 'release' (ecdsa-p256"));
	mcr_test_result_release(&r);
	ck_assert_int_eq(mcr_test_count_entries(mcr_test_path("%s/out", fx.dir)), 0);
	ck_assert_int_eq(count("sign.requested") + count("sign.refused") + count("checkpoint"), 0);
	ck_assert(!mcr_test_exists(mcr_test_path("%s/pins.json", fx.dir)));

	/* a refusal in a dry run is reported, not recorded */
	fx.release_signer = "dev";
	mcr_signfix_write_config(&fx);
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out_path("fw.signed.bin"), "-n", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert(contains(&r.err, "development key"));
	mcr_test_result_release(&r);
	ck_assert_int_eq(count("sign.refused"), 0);
}
END_TEST

/* --- History: the same tag again -------------------------------------------------------- */

START_TEST(test_idempotent)
{
	struct mcr_test_result r;
	const char *image;

	setup_release();
	image = mcr_signfix_build(&fx, "v1.2.3");
	sign_ok("v1.2.3", image, out_path("first.bin"));
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out_path("second.bin"), NULL);
	ck_assert_msg(r.status == 0, "again: %.*s", (int)r.err.len, r.err.data);
	ck_assert(contains(&r.out, "again: same image as before"));
	mcr_test_result_release(&r);
	ck_assert_int_eq(count("sign.requested"), 1);
	ck_assert_int_eq(count("sign.idempotent"), 1);
	ck_assert_int_eq(count("sign.completed"), 2);
	ck_assert_str_eq(event_field("sign.idempotent", "previous_seq"), "3");
	ck_assert_int_eq(mcr_signfix_verify_image(out_path("second.bin"), fx.release_pub), 0);
	ck_assert_int_eq(mcr_signfix_audit_verify(&fx), 0);
}
END_TEST

/* The same tag for other bytes: refused, even with no builders required. */
START_TEST(test_resign_other_bytes)
{
	struct mcr_test_result r;
	const char *image, *other;

	setup_release();
	other = strdup(mcr_test_path("%s/other.bin", fx.dir));
	fx.fw.quorum = 0;
	fx.no_records = true;
	mcr_signfix_write_config(&fx);
	image = mcr_signfix_build(&fx, "v1.2.3");
	mcr_test_sh_ok("cp '%s' '%s' && printf 'x' >> '%s'", image, other, other);
	sign_ok("v1.2.3", image, out_path("first.bin"));
	mcr_test_sh_ok("rm '%s'/out/*", fx.dir);
	mcr_signfix_sign(&fx, &r, "v1.2.3", other, out_path("second.bin"), NULL);
	assert_outcome(&r, 1, "sign.refused", "policy.tag_resigned");
	ck_assert(contains(&r.err, "already signed for another image"));
	ck_assert_str_eq(event_field("sign.refused", "stage"), "resign");
	mcr_test_result_release(&r);
	free((char *)other);
}
END_TEST

/* A lower version after a higher one: the counter would let devices roll back. */
START_TEST(test_security_counter_rollback)
{
	struct mcr_test_result r;
	const char *image;

	setup_release();
	image = mcr_signfix_build(&fx, "v1.2.3");
	sign_ok("v1.2.3", image, out_path("v123.bin"));
	mcr_gitfix_git_tag(&fx.fw.git, "v1.2.2", MCR_GITFIX_SSH, NULL);
	mcr_test_sh_ok("rm '%s'/out/*", fx.dir);
	image = mcr_signfix_build(&fx, "v1.2.2");
	mcr_signfix_sign(&fx, &r, "v1.2.2", image, out_path("v122.bin"), NULL);
	assert_outcome(&r, 1, "sign.refused", "policy.security_counter_rollback");
	ck_assert(contains(&r.err, "devices would roll back"));
	mcr_test_result_release(&r);

	/* a higher one goes through */
	mcr_gitfix_git_tag(&fx.fw.git, "v1.3.0", MCR_GITFIX_SSH, NULL);
	image = mcr_signfix_build(&fx, "v1.3.0");
	sign_ok("v1.3.0", image, out_path("v130.bin"));
}
END_TEST

/* A fixed counter from the config: the same rule holds. */
START_TEST(test_security_counter_fixed)
{
	struct mcr_test_result r;
	const char *image;

	setup_release();
	fx.extra_policy = "\"security_counter\": \"7\"";
	mcr_signfix_write_config(&fx);
	image = mcr_signfix_build(&fx, "v1.2.3");
	sign_ok("v1.2.3", image, out_path("v123.bin"));
	ck_assert_str_eq(event_field("sign.completed", "security_counter"), "7");
	mcr_gitfix_git_tag(&fx.fw.git, "v1.2.4", MCR_GITFIX_SSH, NULL);
	image = mcr_signfix_build(&fx, "v1.2.4");
	fx.extra_policy = "\"security_counter\": \"6\"";
	mcr_signfix_write_config(&fx);
	mcr_test_sh_ok("rm '%s'/out/*", fx.dir);
	mcr_signfix_sign(&fx, &r, "v1.2.4", image, out_path("v124.bin"), NULL);
	assert_outcome(&r, 1, "sign.refused", "policy.security_counter_rollback");
	mcr_test_result_release(&r);
}
END_TEST

/* Checkpoints published to a git ref: a ref missing when the log has checkpoints is said. */
START_TEST(test_checkpoint_ref_missing_is_said)
{
	struct mcr_test_result r;
	const char *image;

	setup_release();
	fx.extra_audit = "\"checkpoint_ref\": \"refs/mcurelease/checkpoints\"";
	mcr_signfix_write_config(&fx);
	image = strdup(mcr_signfix_build(&fx, "v1.2.3"));
	sign_ok("v1.2.3", image, out_path("first.bin"));
	mcr_test_sh_ok("git -C '%s' rev-parse -q --verify refs/mcurelease/checkpoints >/dev/null",
		       fx.fw.git.repo);
	mcr_test_sh_ok("git -C '%s' update-ref -d refs/mcurelease/checkpoints", fx.fw.git.repo);
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out_path("second.bin"), NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(contains(&r.err, "checkpoint ref 'refs/mcurelease/checkpoints' is missing"),
		      "%.*s", (int)r.err.len, r.err.data);
	mcr_test_result_release(&r);
	free((char *)image);
}
END_TEST

/* --- Refusals at the gate ----------------------------------------------------------------- */

struct tag_case {
	const char *tag;
	enum mcr_gitfix_format format; /* how to make it; -1: a lightweight tag; -2: none */
	bool by_stranger;	       /* signed with an SSH key nobody trusts */
	const char *reason;
};

static const struct tag_case tag_cases[] = {
	{"v2.0.0", MCR_GITFIX_UNSIGNED, false, "tag.unsigned"},
	{"v2.0.1", MCR_GITFIX_SSH, true, "tag.untrusted_key"},
	{"release-2", MCR_GITFIX_SSH, false, "tag.pattern_mismatch"},
	{"v2.0.2", -2, false, "tag.not_found"},
	{"v2.0.3", -1, false, "tag.lightweight"},
	{"v2.0.0.1", MCR_GITFIX_SSH, false, "tag.pattern_mismatch"},
};

static void make_tag(const struct tag_case *c)
{
	struct mcr_gitfix_ssh stranger;
	char oid[MCR_GITFIX_OID_MAX];

	if ((int)c->format == -1) {
		mcr_test_sh_ok("git -C '%s' tag '%s'", fx.fw.git.repo, c->tag);
	} else if (c->by_stranger) {
		mcr_gitfix_ssh_key(&stranger, &fx.fw.git, "stranger");
		mcr_gitfix_tag_object(oid, &fx.fw.git,
				      &(struct mcr_gitfix_tag){.name = c->tag, .target = fx.fw.git.head,
							       .format = MCR_GITFIX_SSH,
							       .ssh = &stranger});
		mcr_gitfix_set_ref(&fx.fw.git, mcr_test_path("refs/tags/%s", c->tag), oid);
	} else if ((int)c->format >= 0) {
		mcr_gitfix_git_tag(&fx.fw.git, c->tag, c->format, NULL);
	}
}

START_TEST(test_tag_refused)
{
	const struct tag_case *c = &tag_cases[_i];
	struct mcr_test_result r;
	const char *image;

	setup_release();
	image = strdup(mcr_signfix_build(&fx, "v1.2.3"));
	make_tag(c);
	/* the v1.2.3 records are as good as any: the tag is judged first */
	mcr_test_sh_ok("cp '%s' '%s' && cp '%s' '%s'", mcr_signfix_record(&fx, "v1.2.3", "a"),
		       mcr_signfix_record(&fx, c->tag, "a"), mcr_signfix_record(&fx, "v1.2.3", "b"),
		       mcr_signfix_record(&fx, c->tag, "b"));
	mcr_signfix_sign(&fx, &r, c->tag, image, out_path("fw.bin"), NULL);
	assert_outcome(&r, 1, "sign.refused", c->reason);
	ck_assert_str_eq(event_field("sign.refused", "tag"), c->tag);
	ck_assert_int_eq(count("sign.requested"), 0);
	mcr_test_result_release(&r);
	free((char *)image);
}
END_TEST

/* A tag re-created after it was signed, and the same version under another name. */
START_TEST(test_tag_moved_and_version_reused)
{
	char oid[MCR_GITFIX_OID_MAX];
	struct mcr_test_result r;
	const char *image;

	setup_release();
	image = strdup(mcr_signfix_build(&fx, "v1.2.3"));
	sign_ok("v1.2.3", image, out_path("fw.bin"));
	mcr_test_sh_ok("rm '%s'/out/*", fx.dir);
	mcr_test_sh_ok("git -C '%s' tag -d v1.2.3 >/dev/null", fx.fw.git.repo);
	mcr_gitfix_commit(oid, &fx.fw.git, "after the release");
	mcr_gitfix_git_tag(&fx.fw.git, "v1.2.3", MCR_GITFIX_SSH, NULL);
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out_path("fw.bin"), NULL);
	assert_outcome(&r, 1, "sign.refused", "tag.moved");
	mcr_test_result_release(&r);

	mcr_gitfix_git_tag(&fx.fw.git, "v1.2.3+0", MCR_GITFIX_SSH, NULL);
	mcr_test_sh_ok("cp '%s' '%s' && cp '%s' '%s'", mcr_signfix_record(&fx, "v1.2.3", "a"),
		       mcr_signfix_record(&fx, "v1.2.3+0", "a"),
		       mcr_signfix_record(&fx, "v1.2.3", "b"),
		       mcr_signfix_record(&fx, "v1.2.3+0", "b"));
	mcr_signfix_sign(&fx, &r, "v1.2.3+0", image, out_path("fw.bin"), NULL);
	assert_outcome(&r, 1, "sign.refused", "tag.version_reused");
	mcr_test_result_release(&r);
	free((char *)image);
}
END_TEST

START_TEST(test_records_refused)
{
	struct mcr_test_result r;
	const char *image, *other;

	setup_release();
	other = strdup(mcr_test_path("%s/other.bin", fx.dir));
	image = strdup(mcr_signfix_build(&fx, "v1.2.3"));

	/* one record where two builders must agree */
	mcr_test_mcr(&r, NULL, "sign", "--config", fx.fw.git.config, "--repo", fx.fw.git.repo,
		     "--tag", "v1.2.3", "-o", out_path("fw.bin"), image,
		     mcr_signfix_record(&fx, "v1.2.3", "a"), NULL);
	assert_outcome(&r, 1, "sign.refused", "records.too_few");
	ck_assert_str_eq(event_field("sign.refused", "stage"), "records");
	mcr_test_result_release(&r);

	/* bytes no builder built */
	mcr_test_sh_ok("cp '%s' '%s' && printf 'x' >> '%s'", image, other, other);
	mcr_signfix_sign(&fx, &r, "v1.2.3", other, out_path("fw.bin"), NULL);
	assert_outcome(&r, 1, "sign.refused", "records.disagree");
	mcr_test_result_release(&r);

	/* a record signed by a builder nobody trusts */
	ck_assert_int_eq(mcr_fwfix_build(&fx.fw, NULL, 2, "v1.2.3", "v1.2.3.b.json", NULL), 0);
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out_path("fw.bin"), NULL);
	assert_outcome(&r, 1, "sign.refused", "records.untrusted_builder");
	mcr_test_result_release(&r);
	ck_assert_int_eq(count("sign.requested"), 0);
	free((char *)image);
	free((char *)other);
}
END_TEST

/* Records of another tag's build are no evidence for this one. */
START_TEST(test_records_of_other_tag)
{
	char oid[MCR_GITFIX_OID_MAX];
	struct mcr_test_result r;
	const char *image;

	setup_release();
	mcr_gitfix_commit(oid, &fx.fw.git, "next");
	mcr_gitfix_git_tag(&fx.fw.git, "v1.2.4", MCR_GITFIX_SSH, NULL);
	image = strdup(mcr_signfix_build(&fx, "v1.2.4"));
	mcr_test_sh_ok("cp '%s' '%s' && cp '%s' '%s'", mcr_signfix_record(&fx, "v1.2.4", "a"),
		       mcr_signfix_record(&fx, "v1.2.3", "a"), mcr_signfix_record(&fx, "v1.2.4", "b"),
		       mcr_signfix_record(&fx, "v1.2.3", "b"));
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out_path("fw.bin"), NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(!strncmp(event_field("sign.refused", "reason"), "records.other_", 14), "%s",
		      event_field("sign.refused", "reason"));
	mcr_test_result_release(&r);
	free((char *)image);
}
END_TEST

/* --- Refusals of the key ------------------------------------------------------------------ */

START_TEST(test_dev_key_refused)
{
	struct mcr_test_result r;
	const char *image;

	setup_release();
	fx.release_signer = "dev";
	mcr_signfix_write_config(&fx);
	image = mcr_signfix_build(&fx, "v1.2.3");
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out_path("fw.bin"), NULL);
	assert_outcome(&r, 1, "sign.refused", "policy.dev_key");
	ck_assert(contains(&r.err, "signer 'dev' holds a development key"));
	ck_assert_str_eq(event_field("sign.refused", "stage"), "key");
	ck_assert_int_eq(count("sign.requested"), 0);
	mcr_test_result_release(&r);

	/* a policy that says so explicitly lets it sign (a test lab, say) */
	fx.extra_policy = "\"allow_dev_keys\": true";
	mcr_signfix_write_config(&fx);
	sign_ok("v1.2.3", image, out_path("fw.bin"));
	mcr_test_sh_ok("'%s' audit log --config '%s' --kind sign.requested --json | "
		       "jq -e '.[0].data.signer.dev == true' >/dev/null",
		       MCR_TEST_BINARY, fx.fw.git.config);
}
END_TEST

START_TEST(test_key_policy_refused)
{
	struct mcr_test_result r;
	const char *image;

	setup_release();
	image = mcr_signfix_build(&fx, "v1.2.3");
	fx.extra_policy = "\"allowed_algorithms\": [\"ecdsa-p384\", \"ed25519\"]";
	mcr_signfix_write_config(&fx);
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out_path("fw.bin"), NULL);
	assert_outcome(&r, 1, "sign.refused", "policy.algorithm");
	mcr_test_result_release(&r);

	fx.extra_policy = "\"min_strength_bits\": 192";
	mcr_signfix_write_config(&fx);
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out_path("fw.bin"), NULL);
	assert_outcome(&r, 1, "sign.refused", "policy.weak_key");
	mcr_test_result_release(&r);
}
END_TEST

/* --- Signer faults ------------------------------------------------------------------------ */

struct fault_case {
	const char *mode;
	const char *message; /* part of the one line on stderr */
};

static const struct fault_case fault_cases[] = {
	{"garbage", "'fake-garbage'"},
	{"wrongkey", "does not verify"},
	{"truncate", "neither raw r||s nor DER"},
	{"empty", "'fake-empty'"},
	{"tempfail", "'fake-tempfail'"},
	{"denied", "'fake-denied'"},
	{"killed", "'fake-killed'"},
};

/* The request is recorded, the signer fails, the failure is recorded; nothing is written. */
START_TEST(test_signer_fault)
{
	const struct fault_case *c = &fault_cases[_i];
	struct mcr_test_result r;
	char name[64];
	const char *image;

	setup_release();
	snprintf(name, sizeof(name), "fake-%s", c->mode);
	fx.fake_modes[0] = c->mode;
	fx.fake_modes[1] = "ok";
	fx.release_signer = name;
	mcr_signfix_write_config(&fx);
	image = strdup(mcr_signfix_build(&fx, "v1.2.3"));
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out_path("fw.bin"), NULL);
	assert_outcome(&r, 4, "sign.failed", "signer");
	ck_assert_msg(contains(&r.err, c->message), "%.*s", (int)r.err.len, r.err.data);
	ck_assert_int_eq(count("sign.requested"), 1);
	ck_assert_int_eq(count("sign.completed"), 0);
	ck_assert_str_eq(event_field("sign.failed", "stage"), "signer");
	mcr_test_result_release(&r);

	/* the command backend itself works: the same set-up with a signer that answers */
	fx.release_signer = "fake-ok";
	mcr_signfix_write_config(&fx);
	sign_ok("v1.2.3", image, out_path("fw.bin"));
	ck_assert_int_eq(mcr_signfix_verify_image(out_path("fw.bin"),
						  mcr_test_path("%s/cmd.pub.pem", fx.dir)), 0);
	free((char *)image);
}
END_TEST

/*
 * The signer signs, but the log refuses sign.completed (a full disk between the two appends):
 * the signature is never handed out. The failure is logged, nothing is written, exit 5.
 */
START_TEST(test_completion_not_recorded)
{
	struct mcr_test_result r;
	const char *image;

	setup_release();
	fx.fake_modes[0] = "lose-completion";
	fx.release_signer = "fake-lose-completion";
	mcr_signfix_write_config(&fx);
	mcr_test_write(mcr_test_path("%s/audit_db", fx.state), fx.audit_db, strlen(fx.audit_db));
	image = strdup(mcr_signfix_build(&fx, "v1.2.3"));
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out_path("fw.bin"), NULL);
	ck_assert_msg(r.status == 5, "want exit 5, got %d: %.*s", r.status, (int)r.err.len,
		      r.err.data);
	ck_assert_msg(contains(&r.err, "disk is full (injected)"), "%.*s", (int)r.err.len,
		      r.err.data);
	ck_assert_int_eq(count("sign.requested"), 1);
	ck_assert_int_eq(count("sign.completed"), 0);
	ck_assert_str_eq(event_field("sign.failed", "stage"), "complete");
	ck_assert_int_eq(mcr_test_count_entries(mcr_test_path("%s/out", fx.dir)), 0);
	mcr_test_result_release(&r);
	free((char *)image);
}
END_TEST

/* The token is there but refuses the PIN; or it is not there at all. */
START_TEST(test_pkcs11_faults)
{
	struct mcr_test_result r;
	const char *image;

	setup_release();
	image = strdup(mcr_signfix_build(&fx, "v1.2.3"));
	mcr_test_write(fx.hsm.pin_file, "0000\n", 5);
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out_path("fw.bin"), NULL);
	assert_outcome(&r, 4, "sign.failed", "signer");
	ck_assert_msg(contains(&r.err, "wrong PIN for token"), "%.*s", (int)r.err.len, r.err.data);
	mcr_test_result_release(&r);
	mcr_test_write(fx.hsm.pin_file, MCR_HSMFIX_PIN "\n", strlen(MCR_HSMFIX_PIN) + 1);

	mcr_test_sh_ok("mv '%s/tokens' '%s/tokens.away' && mkdir '%s/tokens'", fx.hsm.dir,
		       fx.hsm.dir, fx.hsm.dir);
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out_path("fw.bin"), NULL);
	assert_outcome(&r, 4, "sign.failed", "signer");
	ck_assert(contains(&r.err, "token absent"));
	ck_assert_str_eq(event_field("sign.failed", "tag"), "v1.2.3");
	mcr_test_result_release(&r);
	free((char *)image);
}
END_TEST

/* --- Killed mid-sign ---------------------------------------------------------------------- */

static pid_t start_sign(const char *image)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		execl(MCR_TEST_BINARY, MCR_TEST_BINARY, "sign", "--config", fx.fw.git.config, "--repo",
		      fx.fw.git.repo, "--tag", "v1.2.3", "-o", out_path("fw.bin"), image,
		      mcr_signfix_record(&fx, "v1.2.3", "a"), mcr_signfix_record(&fx, "v1.2.3", "b"),
		      (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void wait_for_file(const char *path)
{
	for (int i = 0; i < 3000 && !mcr_test_exists(path); i++)
		usleep(10000);
	ck_assert_msg(mcr_test_exists(path), "%s never appeared", path);
}

static void kill_pid_in(const char *path)
{
	struct mcr_buf text = MCR_BUF_INIT;

	mcr_test_read(&text, path);
	kill((pid_t)atoi((char *)text.data), SIGKILL);
	mcr_buf_release(&text);
}

START_TEST(test_killed_mid_sign)
{
	const char *image;
	int status;
	pid_t pid;

	setup_release();
	fx.fake_modes[0] = "sleep";
	fx.release_signer = "fake-sleep";
	mcr_signfix_write_config(&fx);
	image = strdup(mcr_signfix_build(&fx, "v1.2.3"));
	pid = start_sign(image);
	/* the signer runs only after sign.requested is durable */
	wait_for_file(mcr_test_path("%s/grandchild.pid", fx.state));
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	kill_pid_in(mcr_test_path("%s/child.pid", fx.state));
	kill_pid_in(mcr_test_path("%s/grandchild.pid", fx.state));

	/* nothing written, the log consistent, the request recorded without an outcome */
	ck_assert_int_eq(mcr_test_count_entries(mcr_test_path("%s/out", fx.dir)), 0);
	ck_assert_int_eq(mcr_signfix_audit_verify(&fx), 0);
	ck_assert_int_eq(count("sign.requested"), 1);
	ck_assert_int_eq(count("sign.completed") + count("sign.failed"), 0);

	/* and the release can be signed afterwards */
	fx.release_signer = NULL;
	mcr_signfix_write_config(&fx);
	sign_ok("v1.2.3", image, out_path("fw.bin"));
	ck_assert_int_eq(count("sign.requested"), 2);
	ck_assert_int_eq(mcr_signfix_audit_verify(&fx), 0);
	free((char *)image);
}
END_TEST

/* --- Inputs and outputs ------------------------------------------------------------------- */

/* The signature came back but the output cannot be written: recorded, nothing half-written. */
START_TEST(test_output_unwritable)
{
	struct mcr_test_result r;
	const char *image;

	setup_release();
	image = mcr_signfix_build(&fx, "v1.2.3");
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out_path("missing-dir/fw.bin"), NULL);
	assert_outcome(&r, 3, "sign.failed", "input");
	ck_assert_str_eq(event_field("sign.failed", "stage"), "output");
	ck_assert(contains(&r.err, "missing-dir"));
	ck_assert_int_eq(count("sign.completed"), 0);
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_bad_inputs)
{
	struct mcr_test_result r;
	const char *image;

	setup_release();
	image = strdup(mcr_signfix_build(&fx, "v1.2.3"));
	/* no such image */
	mcr_signfix_sign(&fx, &r, "v1.2.3", out_path("../nope.bin"), out_path("fw.bin"), NULL);
	assert_outcome(&r, 3, "sign.failed", "input");
	ck_assert(contains(&r.err, "nope.bin"));
	mcr_test_result_release(&r);
	/* a record that is not one */
	mcr_test_write(mcr_signfix_record(&fx, "v1.2.3", "b"), "{}", 2);
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, out_path("fw.bin"), NULL);
	ck_assert_int_ne(r.status, 0);
	ck_assert(contains(&r.err, "v1.2.3.b.json"));
	mcr_test_result_release(&r);
	/* usage */
	mcr_test_mcr(&r, NULL, "sign", "--config", fx.fw.git.config, image, NULL);
	ck_assert_int_eq(r.status, 2);
	mcr_test_result_release(&r);
	ck_assert_int_eq(mcr_signfix_audit_verify(&fx), 0);
	free((char *)image);
}
END_TEST

START_TEST(test_config_check)
{
	struct mcr_test_result r;

	setup_release();
	mcr_test_mcr(&r, NULL, "config", "check", "--config", fx.fw.git.config, NULL);
	ck_assert_msg(r.status == 0, "%.*s", (int)r.err.len, r.err.data);
	mcr_test_result_release(&r);
	fx.extra_policy = "\"alow_dev_keys\": true";
	mcr_signfix_write_config(&fx);
	mcr_test_mcr(&r, NULL, "config", "check", "--config", fx.fw.git.config, NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_msg(contains(&r.err, "alow_dev_keys"), "%.*s", (int)r.err.len, r.err.data);
	mcr_test_result_release(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sign");
	TCase *ok = tcase_create("accepted");
	TCase *history = tcase_create("history");
	TCase *refused = tcase_create("refused");
	TCase *faults = tcase_create("faults");

	tcase_add_test(ok, test_accepted);
	tcase_add_test(ok, test_default_output_and_config_discovery);
	tcase_add_test(ok, test_hex_output);
	tcase_add_test(ok, test_json_and_timings);
	tcase_add_test(ok, test_dry_run);
	tcase_add_test(ok, test_config_check);
	tcase_add_test(history, test_idempotent);
	tcase_add_test(history, test_resign_other_bytes);
	tcase_add_test(history, test_security_counter_rollback);
	tcase_add_test(history, test_security_counter_fixed);
	tcase_add_test(history, test_tag_moved_and_version_reused);
	tcase_add_test(history, test_checkpoint_ref_missing_is_said);
	tcase_add_loop_test(refused, test_tag_refused, 0, sizeof(tag_cases) / sizeof(tag_cases[0]));
	tcase_add_test(refused, test_records_refused);
	tcase_add_test(refused, test_records_of_other_tag);
	tcase_add_test(refused, test_dev_key_refused);
	tcase_add_test(refused, test_key_policy_refused);
	tcase_add_loop_test(faults, test_signer_fault, 0, sizeof(fault_cases) / sizeof(fault_cases[0]));
	tcase_add_test(faults, test_completion_not_recorded);
	tcase_add_test(faults, test_pkcs11_faults);
	tcase_add_test(faults, test_killed_mid_sign);
	tcase_add_test(faults, test_output_unwritable);
	tcase_add_test(faults, test_bad_inputs);
	suite_add_tcase(s, ok);
	suite_add_tcase(s, history);
	suite_add_tcase(s, refused);
	suite_add_tcase(s, faults);
	return mcr_test_main(s);
}
