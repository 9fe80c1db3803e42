/* Unit tests: build records (canonical bytes, the file, strict parsing, signatures, measuring). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "buildrec.h"
#include "config.h"
#include "error.h"
#include "image.h"
#include "layout.h"
#include "policy.h"
#include "testutil.h"

/* A temp dir with builder keys a (trusted), b (trusted) and c (stranger) and their allowed_signers. */
struct keys {
	char dir[1024];
	char allowed[1100];
	char key[3][1100];
};

static void make_keys(struct keys *k)
{
	snprintf(k->dir, sizeof(k->dir), "%s", mcr_test_tmpdir());
	snprintf(k->allowed, sizeof(k->allowed), "%s/allowed", k->dir);
	for (int i = 0; i < 3; i++) {
		snprintf(k->key[i], sizeof(k->key[i]), "%s/key-%c", k->dir, 'a' + i);
		mcr_test_sh_ok("ssh-keygen -q -t ed25519 -N '' -C %c -f '%s'", 'a' + i, k->key[i]);
		if (i < 2)
			mcr_test_sh_ok("printf '%c@example.org namespaces=\"mcurelease-build\" %%s\\n' "
				       "\"$(cat '%s.pub')\" >> '%s'", 'a' + i, k->key[i], k->allowed);
	}
}

static void fill(struct mcr_buildrec *rec, const char *builder_id)
{
	const char *argv[] = {"make", "-j2", NULL}, *names[] = {"TZ", "HOME", "PATH", NULL};
	struct mcr_buildrec_artifact *a;
	struct mcr_buildrec_tool *t;

	mcr_buildrec_init(rec);
	rec->tag = strdup("v1.2.3");
	snprintf(rec->tag_object, sizeof(rec->tag_object), "%040x", 0xabc);
	snprintf(rec->commit, sizeof(rec->commit), "%040x", 0xdef);
	rec->commit_time = rec->source_date_epoch = 1700000000;
	rec->builder_id = strdup(builder_id);
	rec->builder_key = strdup("SHA256:placeholder");
	ck_assert_int_eq(mcr_buildrec_set_command(rec, argv), 0);
	ck_assert_int_eq(mcr_buildrec_set_env_names(rec, names), 0);
	memset(rec->env_sha256, 'e', 64);
	ck_assert_int_eq(mcr_buildrec_add_tool(&t, rec), 0);
	t->name = strdup("cc");
	t->path = strdup("/usr/bin/cc");
	memset(t->sha256, '1', 64);
	t->version = strdup("cc (Debian 12.2.0-14) 12.2.0");
	ck_assert_int_eq(mcr_buildrec_add_artifact(&a, rec), 0);
	a->path = strdup("build/fw.bin");
	a->size = 1234;
	memset(a->sha256, '2', 64);
	a->has_mcuboot = true;
	a->mcuboot_hash_alg = MCR_HASH_SHA256;
	memset(a->mcuboot_digest, '3', 64);
	snprintf(a->mcuboot_version, sizeof(a->mcuboot_version), "1.2.3+0");
	a->has_security_counter = true;
	a->security_counter = 0x01020003;
	ck_assert_int_eq(mcr_buildrec_add_artifact(&a, rec), 0);
	a->path = strdup("build/fw.elf");
	memset(a->sha256, '4', 64);
	mcr_buildrec_format_time(rec->started, 1700000100);
	mcr_buildrec_format_time(rec->finished, 1700000160);
	rec->mcurelease_version = strdup("0.1.0");
}

START_TEST(test_buildrec_canonical)
{
	struct mcr_buildrec rec;
	struct mcr_buf canon = MCR_BUF_INIT, again = MCR_BUF_INIT;

	fill(&rec, "a@example.org");
	ck_assert_str_eq(rec.started, "2023-11-14T22:15:00Z");
	ck_assert_str_eq(rec.env_names[0], "HOME"); /* sorted */
	ck_assert_int_eq(mcr_buildrec_canonical(&canon, &rec), 0);
	/* keys sorted, no whitespace, nulls kept */
	ck_assert(!strncmp((char *)canon.data, "{\"artifacts\":[{\"mcuboot\":{\"digest\":\"333", 38));
	ck_assert_ptr_nonnull(strstr((char *)canon.data, "\"mcuboot\":null,\"path\":\"build/fw.elf\""));
	ck_assert_ptr_nonnull(strstr((char *)canon.data, "\"command\":[\"make\",\"-j2\"],"
							 "\"commit\":\"0000000000000000000000000000000000000def\""));
	ck_assert_ptr_null(strstr((char *)canon.data, "\": "));
	ck_assert_ptr_null(strstr((char *)canon.data, ", \""));
	ck_assert_ptr_null(strchr((char *)canon.data, '\n'));
	ck_assert_int_eq(mcr_buildrec_canonical(&again, &rec), 0);
	ck_assert_str_eq((char *)canon.data, (char *)again.data);
	/* an unsigned record is never written */
	ck_assert_int_eq(mcr_buildrec_write(&rec, mcr_test_path("%s/r.json", mcr_test_tmpdir())),
			 MCR_EINPUT);
	mcr_buf_release(&canon);
	mcr_buf_release(&again);
	mcr_buildrec_release(&rec);
}
END_TEST

/* Signs rec with key, writes it to dir/name, and returns the path. */
static const char *sign_and_write(struct mcr_buildrec *rec, const char *key, const char *dir,
				  const char *name)
{
	const char *path = mcr_test_path("%s/%s", dir, name);

	ck_assert_msg(mcr_buildrec_sign(rec, key) == 0, "%s", mcr_error_message());
	ck_assert_msg(mcr_buildrec_write(rec, path) == 0, "%s", mcr_error_message());
	return path;
}

static int parse_file(struct mcr_buildrec *out, const char *path)
{
	struct mcr_buf text = MCR_BUF_INIT;
	int ret;

	mcr_test_read(&text, path);
	ret = mcr_buildrec_parse(out, text.data, text.len, path);
	mcr_buf_release(&text);
	return ret;
}

START_TEST(test_buildrec_file_round_trip)
{
	struct mcr_buildrec rec, back;
	struct mcr_buf a = MCR_BUF_INIT, b = MCR_BUF_INIT;
	struct keys k;
	const char *path;
	char *why = NULL;

	make_keys(&k);
	fill(&rec, "a@example.org");
	path = sign_and_write(&rec, k.key[0], k.dir, "r.json");
	ck_assert(!strncmp(rec.builder_key, "SHA256:", 7));
	ck_assert(!strncmp((char *)rec.signature.data, "-----BEGIN SSH SIGNATURE-----\n", 30));
	ck_assert_msg(mcr_test_schema_valid("build-record.schema.json", path, &why), "%s", why);
	ck_assert_int_eq(parse_file(&back, path), 0);
	ck_assert_int_eq(mcr_buildrec_canonical(&a, &rec), 0);
	ck_assert_int_eq(mcr_buildrec_canonical(&b, &back), 0);
	ck_assert_str_eq((char *)a.data, (char *)b.data);
	ck_assert_str_eq((char *)rec.signature.data, (char *)back.signature.data);
	ck_assert_int_eq(mcr_buildrec_verify(&back, k.allowed, path), 0);
	mcr_buf_release(&a);
	mcr_buf_release(&b);
	mcr_buildrec_release(&back);
	mcr_buildrec_release(&rec);
}
END_TEST

/* jq filters that each make a good record file malformed, and a word the message must have. */
static const struct {
	const char *filter;
	const char *why;
} malformed[] = {
	{".format = \"mcurelease.build-record/v2\"", "has format"},
	{".extra = 1", "unknown key 'extra'"},
	{"del(.signature)", "missing key 'signature'"},
	{".signature = \"not armored\"", "armored SSH signature"},
	{".signature = .signature + .signature", "armored SSH signature"},
	{"del(.record.tag)", "missing key 'tag'"},
	{".record.unknown = true", "unknown key 'unknown'"},
	{".record.tag = \"\"", "non-empty single line"},
	{".record.tag_object |= ascii_upcase", "lower-case hex"},
	{".record.commit = \"abc\"", "lower-case hex"},
	{".record.commit_time = 1.5", "not an exact integer"},
	{".record.commit_time = -1", "must be between"},
	{".record.command = []", "must not be empty"},
	{".record.command = [1]", "non-empty strings"},
	{".record.artifacts = []", "must not be empty"},
	{".record.artifacts[0].path = \"../x\"", "relative path"},
	{".record.artifacts[0].path = \"/etc/passwd\"", "relative path"},
	{".record.artifacts[0].path = \"a//b\"", "relative path"},
	{".record.artifacts[0].sha256 = \"00\"", "lower-case hex"},
	{".record.artifacts[0].mcuboot.hash_alg = \"sha384\"", "lower-case hex"},
	{".record.artifacts[0].mcuboot.version = \"1.2.3\"", "maj.min.rev+build"},
	{"del(.record.artifacts[1].mcuboot)", "is required"},
	{"del(.record.tools[0].version)", "is required"},
	{".record.started = \"2023-11-14 22:15:00\"", "UTC time"},
	{".record.builder_key = \"MD5:aa\"", "SHA256:"},
	{".record.environment.names = \"HOME\"", "must be an array"},
};

START_TEST(test_buildrec_parse_strict)
{
	struct mcr_buildrec rec, bad;
	struct mcr_buf text = MCR_BUF_INIT;
	struct keys k;
	const char *good, *path;

	make_keys(&k);
	fill(&rec, "a@example.org");
	good = strdup(sign_and_write(&rec, k.key[0], k.dir, "good.json"));
	path = strdup(mcr_test_path("%s/bad.json", k.dir));
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		mcr_test_sh_ok("jq '%s' '%s' > '%s'", malformed[i].filter, good, path);
		ck_assert_msg(parse_file(&bad, path) == MCR_EINPUT, "accepted: %s",
			      malformed[i].filter);
		ck_assert_msg(strstr(mcr_error_message(), malformed[i].why) &&
				      strstr(mcr_error_message(), path),
			      "%s: %s", malformed[i].filter, mcr_error_message());
		ck_assert_ptr_null(bad.tag); /* nothing half-parsed is left */
	}
	/* text-level forgeries jq would smooth over: a duplicate key, trailing garbage */
	mcr_test_read(&text, good);
	mcr_buf_truncate(&text, text.len - 2); /* "}\n" */
	mcr_buf_add_str(&text, ", \"format\": \"mcurelease.build-record/v1\"}\n");
	ck_assert_int_eq(mcr_buildrec_parse(&bad, text.data, text.len, "dup.json"), MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "duplicate"));
	mcr_buf_truncate(&text, 0);
	mcr_test_read(&text, good);
	mcr_buf_add_str(&text, "{}");
	ck_assert_int_eq(mcr_buildrec_parse(&bad, text.data, text.len, "trail.json"), MCR_EINPUT);
	ck_assert_int_eq(mcr_buildrec_parse(&bad, (const unsigned char *)"[]", 2, "arr.json"),
			 MCR_EINPUT);
	mcr_buf_release(&text);
	mcr_buildrec_release(&rec);
	free((char *)good);
	free((char *)path);
}
END_TEST

/* Re-signs rec's canonical bytes by hand with key, as a forger holding that key would. */
static void sign_by_hand(struct mcr_buildrec *rec, const char *key, const char *dir)
{
	struct mcr_buf canon = MCR_BUF_INIT;
	const char *payload = mcr_test_path("%s/payload", dir);

	ck_assert_int_eq(mcr_buildrec_canonical(&canon, rec), 0);
	mcr_test_write(payload, canon.data, canon.len);
	mcr_test_sh_ok("ssh-keygen -q -Y sign -n mcurelease-build -f '%s' < '%s' > '%s.sig'", key,
		       payload, payload);
	mcr_buf_truncate(&rec->signature, 0);
	mcr_test_read(&rec->signature, mcr_test_path("%s.sig", payload));
	mcr_buf_release(&canon);
}

static void expect_refusal(const struct mcr_buildrec *rec, const char *allowed, const char *reason)
{
	ck_assert_int_eq(mcr_buildrec_verify(rec, allowed, "r.json"), MCR_EREFUSED);
	ck_assert_msg(!strcmp(mcr_error_reason(), reason), "%s, wanted %s: %s", mcr_error_reason(),
		      reason, mcr_error_message());
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "r.json"));
}

START_TEST(test_buildrec_verify)
{
	struct mcr_buildrec rec;
	struct keys k;
	const char *git_only;
	char *key_b = NULL;

	make_keys(&k);
	fill(&rec, "a@example.org");
	ck_assert_int_eq(mcr_buildrec_sign(&rec, k.key[0]), 0);
	ck_assert_int_eq(mcr_buildrec_verify(&rec, k.allowed, "r.json"), 0);
	/* any field changed after signing */
	rec.artifacts[0].sha256[0] = 'f';
	expect_refusal(&rec, k.allowed, "records.bad_signature");
	rec.artifacts[0].sha256[0] = '2';
	ck_assert_int_eq(mcr_buildrec_verify(&rec, k.allowed, "r.json"), 0);
	/* the stranger's key */
	ck_assert_int_eq(mcr_buildrec_sign(&rec, k.key[2]), 0);
	expect_refusal(&rec, k.allowed, "records.untrusted_builder");
	/* builder b's key, claiming to be a */
	ck_assert_int_eq(mcr_buildrec_sign(&rec, k.key[1]), 0);
	expect_refusal(&rec, k.allowed, "records.builder_mismatch");
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "'b@example.org'"));
	/* a's key, claiming b's key fingerprint */
	ck_assert_int_eq(mcr_buildrec_key_id(&key_b, k.key[1]), 0);
	free(rec.builder_key);
	rec.builder_key = key_b;
	sign_by_hand(&rec, k.key[0], k.dir);
	expect_refusal(&rec, k.allowed, "records.builder_mismatch");
	/* a key trusted for git tags only */
	ck_assert_int_eq(mcr_buildrec_sign(&rec, k.key[0]), 0);
	git_only = strdup(mcr_test_path("%s/git-only", k.dir));
	mcr_test_sh_ok("printf 'a@example.org namespaces=\"git\" %%s\\n' \"$(cat '%s.pub')\" > '%s'",
		       k.key[0], git_only);
	expect_refusal(&rec, git_only, "records.untrusted_builder");
	/* no trust configured, or none readable */
	expect_refusal(&rec, NULL, "records.untrusted_builder");
	ck_assert_int_eq(mcr_buildrec_verify(&rec, "/nonexistent/allowed", "r.json"), MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "'/nonexistent/allowed'"));
	/* a key ssh-keygen cannot read signs nothing */
	ck_assert_int_eq(mcr_buildrec_sign(&rec, "/nonexistent/key"), MCR_EINPUT);
	free((char *)git_only);
	mcr_buildrec_release(&rec);
}
END_TEST

/* The policy on records whose tag ids the caller gives (a signing host without the repository). */
START_TEST(test_buildrec_policy_given_tag_ids)
{
	struct mcr_builder_policy policy = {1, NULL};
	struct mcr_records_verdict v;
	struct mcr_records_input in[2];
	struct mcr_buf text[2] = {MCR_BUF_INIT, MCR_BUF_INIT};
	struct mcr_buildrec rec;
	struct mcr_records_target target = {.tag_name = "v1.2.3",
					    .repo_path = "/nonexistent/repo"};
	char digest[65], sha[65];
	struct keys k;

	make_keys(&k);
	policy.allowed_signers = k.allowed;
	fill(&rec, "a@example.org");
	mcr_test_read(&text[0], sign_and_write(&rec, k.key[0], k.dir, "a.json"));
	mcr_buildrec_release(&rec);
	fill(&rec, "b@example.org");
	mcr_test_read(&text[1], sign_and_write(&rec, k.key[1], k.dir, "b.json"));
	for (int i = 0; i < 2; i++)
		in[i] = (struct mcr_records_input){i ? "b.json" : "a.json", text[i].data, text[i].len};
	target.tag_object = rec.tag_object;
	target.commit = rec.commit;
	memset(digest, '3', 64);
	digest[64] = '\0';
	target.mcuboot_digest = digest; /* only the digest: what a signing host has */
	ck_assert_msg(mcr_policy_check_records(&v, &policy, &target, in, 2) == 0, "%s",
		      mcr_error_message());
	ck_assert_uint_eq(v.agreeing, 2);
	ck_assert_str_eq(v.records[1].artifact, "build/fw.bin");
	mcr_policy_records_release(&v);
	/* the image's SHA-256 matches the ELF's record too */
	target.mcuboot_digest = NULL;
	memset(sha, '4', 64);
	sha[64] = '\0';
	target.image_sha256 = sha;
	policy.quorum = 3;
	ck_assert_int_eq(mcr_policy_check_records(&v, &policy, &target, in, 2), MCR_EREFUSED);
	ck_assert_str_eq(v.reason, "records.too_few");
	mcr_policy_records_release(&v);
	target.commit = "0000000000000000000000000000000000000001";
	ck_assert_int_eq(mcr_policy_check_records(&v, &policy, &target, in, 2), MCR_EREFUSED);
	ck_assert_str_eq(v.reason, "records.other_commit");
	ck_assert_str_eq(v.records[0].reason, "records.other_commit");
	mcr_policy_records_release(&v);
	in[1] = (struct mcr_records_input){"junk.json", (const unsigned char *)"{}", 2};
	target.commit = rec.commit;
	ck_assert_int_eq(mcr_policy_check_records(&v, &policy, &target, in, 2), MCR_EREFUSED);
	ck_assert_str_eq(v.reason, "records.malformed");
	ck_assert_ptr_nonnull(strstr(v.message, "junk.json"));
	ck_assert_ptr_null(v.records[0].reason);
	mcr_policy_records_release(&v);
	mcr_buildrec_release(&rec);
	mcr_buf_release(&text[0]);
	mcr_buf_release(&text[1]);
}
END_TEST

/* The parts of a config the layout reads. */
static void layout_config(struct mcr_config *cfg, const char *counter_rule)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->path = "test.json";
	cfg->image.header_size = 0x200;
	cfg->image.slot_size = 0x20000;
	cfg->image.align = 4;
	cfg->image.max_sectors = 128;
	cfg->image.erased_val = 0xff;
	cfg->image.public_key_format = "hash";
	cfg->policy.security_counter = counter_rule;
}

/* The layout builders record digests with (layout.c, shared with the release job). */
START_TEST(test_buildrec_image_spec)
{
	struct mcr_config cfg;
	struct mcr_image_spec spec;
	struct mcr_version v = {1, 2, 3, 4};

	layout_config(&cfg, "auto");
	ck_assert_int_eq(mcr_layout_release(&spec, &cfg, &v, MCR_HASH_SHA256), 0);
	ck_assert(spec.has_security_counter);
	ck_assert_uint_eq(spec.security_counter, 0x01020003);
	ck_assert_uint_eq(spec.header_size, 0x200);
	layout_config(&cfg, "none");
	ck_assert_int_eq(mcr_layout_release(&spec, &cfg, &v, MCR_HASH_SHA384), 0);
	ck_assert(!spec.has_security_counter);
	ck_assert_int_eq(spec.hash_alg, MCR_HASH_SHA384);
	layout_config(&cfg, "0x10");
	ck_assert_int_eq(mcr_layout_release(&spec, &cfg, &v, MCR_HASH_SHA256), 0);
	ck_assert_uint_eq(spec.security_counter, 16);
	layout_config(&cfg, "-1");
	ck_assert_int_eq(mcr_layout_release(&spec, &cfg, &v, MCR_HASH_SHA256), MCR_EINPUT);
	layout_config(&cfg, "0x100000000");
	ck_assert_int_eq(mcr_layout_release(&spec, &cfg, &v, MCR_HASH_SHA256), MCR_EINPUT);
}
END_TEST

START_TEST(test_buildrec_measure)
{
	const char *root = mcr_test_tmpdir();
	struct mcr_buildrec_artifact a;
	struct mcr_config cfg;
	struct mcr_image_spec spec;
	struct mcr_version v = {1, 2, 3, 0};
	char sha[128] = "";
	FILE *f;

	layout_config(&cfg, "auto");
	ck_assert_int_eq(mcr_layout_release(&spec, &cfg, &v, MCR_HASH_SHA256), 0);
	mcr_test_sh_ok("cd '%s' && head -c 512 /dev/zero > img.bin && printf 'firmware' >> img.bin && "
		       "printf 'no header' > raw.bin && ln -s /etc/hostname escape && mkdir sub && "
		       "sha256sum img.bin | cut -d' ' -f1 > img.sha", root);
	f = fopen(mcr_test_path("%s/img.sha", root), "r");
	ck_assert(f && fscanf(f, "%127s", sha) == 1);
	fclose(f);
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(mcr_buildrec_measure(&a, root, "img.bin", &spec), 0);
	ck_assert_str_eq(a.path, "img.bin");
	ck_assert_uint_eq(a.size, 520);
	ck_assert_str_eq(a.sha256, sha);
	ck_assert(a.has_mcuboot);
	ck_assert_uint_eq(strlen(a.mcuboot_digest), 64);
	ck_assert_str_eq(a.mcuboot_version, "1.2.3+0");
	ck_assert_uint_eq(a.security_counter, 0x01020003);
	/* not an image: recorded, with no MCUboot digest and no error left behind */
	ck_assert_int_eq(mcr_buildrec_measure(&a, root, "raw.bin", &spec), 0);
	ck_assert(!a.has_mcuboot);
	ck_assert_str_eq(mcr_error_message(), "");
	ck_assert_int_eq(mcr_buildrec_measure(&a, root, "img.bin", NULL), 0);
	ck_assert(!a.has_mcuboot);
	/* only files inside the checkout */
	ck_assert_int_eq(mcr_buildrec_measure(&a, root, "../img.bin", &spec), MCR_EINPUT);
	ck_assert_int_eq(mcr_buildrec_measure(&a, root, "escape", &spec), MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "leads out of the checkout"));
	ck_assert_int_eq(mcr_buildrec_measure(&a, root, "missing", &spec), MCR_EINPUT);
	ck_assert_int_eq(mcr_buildrec_measure(&a, root, "sub", &spec), MCR_EINPUT);
	free(a.path);
}
END_TEST

START_TEST(test_buildrec_compare)
{
	struct mcr_buildrec x, y;
	struct mcr_buf diff = MCR_BUF_INIT;

	fill(&x, "a@example.org");
	fill(&y, "b@example.org");
	ck_assert_int_eq(mcr_buildrec_compare(&diff, &x, &y), 0);
	ck_assert_uint_eq(diff.len, 0);
	y.artifacts[1].sha256[10] = 'f';
	ck_assert_int_eq(mcr_buildrec_compare(&diff, &x, &y), 0);
	ck_assert_str_eq((char *)diff.data, "build/fw.elf");
	mcr_buf_release(&diff);
	mcr_buildrec_release(&x);
	mcr_buildrec_release(&y);
}
END_TEST

static Suite *buildrec_suite(void)
{
	Suite *s = suite_create("buildrec");
	TCase *model = tcase_create("model");
	TCase *sig = tcase_create("signature");
	TCase *measure = tcase_create("measure");

	tcase_add_test(model, test_buildrec_canonical);
	tcase_add_test(model, test_buildrec_file_round_trip);
	tcase_add_test(model, test_buildrec_parse_strict);
	tcase_add_test(sig, test_buildrec_verify);
	tcase_add_test(sig, test_buildrec_policy_given_tag_ids);
	tcase_add_test(measure, test_buildrec_image_spec);
	tcase_add_test(measure, test_buildrec_measure);
	tcase_add_test(measure, test_buildrec_compare);
	suite_add_tcase(s, model);
	suite_add_tcase(s, sig);
	suite_add_tcase(s, measure);
	return s;
}

int main(void)
{
	return mcr_test_main(buildrec_suite());
}
