/*
 * End-to-end: 'mcurelease records check' on records made by real builds of a C firmware
 * project: a quorum of trusted builders accepted, and each forgery refused with its reason.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fwfix.h"
#include "json.h"
#include "testutil.h"

/* One 'records check --json' run, parsed. */
struct verdict {
	int status;
	cJSON *json;
	struct mcr_test_result run;
};

/* records check --tag tag IMAGE RECORD... (NULL-terminated record names in fx->records). */
static void check(struct verdict *v, struct mcr_fwfix *fx, const char *tag, const char *image,
		  ...)
{
	const char *argv[32] = {MCR_TEST_BINARY, "records", "check", "--json", "--config",
				fx->git.config, "--repo", fx->git.repo, "--tag", tag, image};
	const char *name;
	int argc = 11;
	va_list ap;

	va_start(ap, image);
	while (argc < 31 && (name = va_arg(ap, const char *)))
		argv[argc++] = strdup(mcr_fwfix_record(fx, name));
	va_end(ap);
	argv[argc] = NULL;
	mcr_test_exec(&v->run, argv, NULL);
	for (int i = 11; i < argc; i++)
		free((char *)argv[i]);
	v->status = v->run.status;
	v->json = NULL;
	if (v->status <= 1)
		ck_assert_msg(mcr_json_parse(&v->json, (char *)v->run.out.data, v->run.out.len,
					     "stdout") == 0, "no JSON (status %d): %s", v->status,
			      (char *)v->run.err.data);
}

static const char *field(const struct verdict *v, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v->json, key));
}

static void verdict_release(struct verdict *v)
{
	cJSON_Delete(v->json);
	mcr_test_result_release(&v->run);
}

/* The check refuses with reason, and the one-line stderr names the record. */
static void expect_refused(struct verdict *v, const char *reason, const char *record)
{
	ck_assert_msg(v->status == 1, "status %d: %s", v->status, (char *)v->run.err.data);
	ck_assert_str_eq(field(v, "verdict"), "refused");
	ck_assert_msg(!strcmp(field(v, "reason"), reason), "reason %s, wanted %s: %s",
		      field(v, "reason"), reason, (char *)v->run.err.data);
	if (record)
		ck_assert_msg(strstr((char *)v->run.err.data, record) != NULL, "%s",
			      (char *)v->run.err.data);
	verdict_release(v);
}

/* The image to be signed: build/fw.bin of builder a's build, copied to DIR/image/. */
static const char *build_records(struct mcr_fwfix *fx, const char *tag, int builders)
{
	const char *copies = mcr_test_path("%s/image", fx->git.dir);

	ck_assert_int_eq(mcr_fwfix_build(fx, NULL, 0, tag, "a.json", "--copy-artifacts", copies,
					 NULL), 0);
	if (builders > 1)
		ck_assert_int_eq(mcr_fwfix_build(fx, NULL, 1, tag, "b.json", NULL), 0);
	return mcr_test_path("%s/image/build/fw.bin", fx->git.dir);
}

START_TEST(test_records_quorum)
{
	struct mcr_fwfix fx;
	struct mcr_test_result r;
	struct verdict v;
	const char *image;
	char *img;

	mcr_fwfix_setup(&fx, MCR_FWFIX_REPRODUCIBLE, "v1.0.0");
	fx.quorum = 2;
	mcr_fwfix_write_config(&fx);
	img = strdup(image = build_records(&fx, "v1.0.0", 2));
	check(&v, &fx, "v1.0.0", img, "a.json", "b.json", NULL);
	ck_assert_msg(v.status == 0, "%s", (char *)v.run.err.data);
	ck_assert_str_eq(field(&v, "verdict"), "accepted");
	ck_assert_str_eq(field(&v, "commit"), fx.git.head);
	ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(v.json, "agreeing")), 2);
	ck_assert_uint_eq(v.run.err.len, 0);
	verdict_release(&v);
	/* text output: a line per record, then the verdict */
	mcr_test_mcr(&r, NULL, "records", "check", "--config", fx.git.config, "--repo", fx.git.repo,
		     "--tag", "v1.0.0", img, mcr_fwfix_record(&fx, "a.json"),
		     mcr_fwfix_record(&fx, "b.json"), NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "agrees   "));
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "verdict: accepted, 2 of 2 builders"));
	mcr_test_result_release(&r);
	/* one builder is not two, even with two records */
	check(&v, &fx, "v1.0.0", img, "a.json", NULL);
	expect_refused(&v, "records.too_few", "v1.0.0");
	check(&v, &fx, "v1.0.0", img, "a.json", "a.json", NULL);
	expect_refused(&v, "records.too_few", "only 1 of the 2");
	check(&v, &fx, "v1.0.0", img, NULL);
	expect_refused(&v, "records.too_few", NULL);
	free(img);
}
END_TEST

START_TEST(test_records_untrusted_builder)
{
	struct mcr_fwfix fx;
	struct verdict v;
	char *img;

	mcr_fwfix_setup(&fx, MCR_FWFIX_REPRODUCIBLE, "v1.0.0");
	img = strdup(build_records(&fx, "v1.0.0", 1));
	/* builder c is in nobody's allowed signers */
	ck_assert_int_eq(mcr_fwfix_build(&fx, NULL, 2, "v1.0.0", "c.json", NULL), 0);
	check(&v, &fx, "v1.0.0", img, "c.json", NULL);
	expect_refused(&v, "records.untrusted_builder", "c.json");
	/* trusted for tags (namespace git) is not trusted for builds */
	mcr_gitfix_allow_ssh(fx.builders_allowed, &fx.builders[2], "namespaces=\"git\"");
	check(&v, &fx, "v1.0.0", img, "c.json", NULL);
	expect_refused(&v, "records.untrusted_builder", "c.json");
	/* one bad record refuses the set, however many good ones come with it */
	check(&v, &fx, "v1.0.0", img, "a.json", "c.json", NULL);
	expect_refused(&v, "records.untrusted_builder", "c.json");
	free(img);
}
END_TEST

START_TEST(test_records_forged)
{
	struct mcr_fwfix fx;
	struct verdict v;
	const char *a, *dir;
	char *img;

	mcr_fwfix_setup(&fx, MCR_FWFIX_REPRODUCIBLE, "v1.0.0");
	img = strdup(build_records(&fx, "v1.0.0", 2));
	a = strdup(mcr_fwfix_record(&fx, "a.json"));
	dir = fx.records;
	/* a field edited after signing: here, the artifact made to match another image */
	mcr_test_sh_ok("cd '%s' && jq '.record.artifacts[1].sha256 = \"%064d\"' a.json > edited.json",
		       dir, 0);
	check(&v, &fx, "v1.0.0", img, "edited.json", NULL);
	expect_refused(&v, "records.bad_signature", "edited.json");
	/* re-formatting is no edit: the signature covers the canonical record */
	mcr_test_sh_ok("cd '%s' && jq -c . a.json > compact.json", dir);
	check(&v, &fx, "v1.0.0", img, "compact.json", NULL);
	ck_assert_msg(v.status == 0, "%s", (char *)v.run.err.data);
	verdict_release(&v);
	/* another record's signature */
	mcr_test_sh_ok("cd '%s' && jq --arg s \"$(jq -r .signature b.json)\" '.signature = $s + \"\\n\"' "
		       "a.json > swapped.json", dir);
	check(&v, &fx, "v1.0.0", img, "swapped.json", NULL);
	expect_refused(&v, "records.bad_signature", "swapped.json");
	/* the tag's own SSH signature (namespace git) cannot pass as a record's */
	mcr_test_sh_ok("cd '%s' && git -C '%s' cat-file tag v1.0.0 | sed -n '/BEGIN SSH/,$p' > tagsig && "
		       "jq --rawfile s tagsig '.signature = $s' a.json > tagsigned.json", dir,
		       fx.git.repo);
	check(&v, &fx, "v1.0.0", img, "tagsigned.json", NULL);
	expect_refused(&v, "records.bad_signature", "tagsigned.json");
	/* unsigned */
	mcr_test_sh_ok("cd '%s' && jq 'del(.signature)' a.json > unsigned.json", dir);
	check(&v, &fx, "v1.0.0", img, "unsigned.json", NULL);
	expect_refused(&v, "records.malformed", "unsigned.json");
	/* signed with builder b's key while claiming to be builder a */
	ck_assert_int_eq(mcr_fwfix_build(&fx, NULL, 0, "v1.0.0", "mis.json", "--key",
					 fx.builders[1].key, NULL), 0);
	check(&v, &fx, "v1.0.0", img, "mis.json", NULL);
	expect_refused(&v, "records.builder_mismatch", "mis.json");
	free((char *)a);
	free(img);
}
END_TEST

START_TEST(test_records_stale_commit_and_other_tag)
{
	struct mcr_fwfix fx;
	struct verdict v;
	char later[MCR_GITFIX_OID_MAX];
	char *img;

	mcr_fwfix_setup(&fx, MCR_FWFIX_REPRODUCIBLE, "v1.0.0");
	img = strdup(build_records(&fx, "v1.0.0", 1));
	/* a record of another release is no record of this one */
	mcr_gitfix_git_tag(&fx.git, "v1.0.1", MCR_GITFIX_SSH, NULL);
	check(&v, &fx, "v1.0.1", img, "a.json", NULL);
	expect_refused(&v, "records.other_tag", "a.json");
	/* the tag re-created at another commit: the record built the old one */
	mcr_gitfix_commit(later, &fx.git, "moved on");
	mcr_gitfix_sh_line(NULL, 0, &fx.git, "git tag -d v1.0.0 >/dev/null");
	mcr_gitfix_git_tag(&fx.git, "v1.0.0", MCR_GITFIX_SSH, NULL);
	check(&v, &fx, "v1.0.0", img, "a.json", NULL);
	ck_assert_str_eq(field(&v, "commit"), later);
	expect_refused(&v, "records.other_commit", "a.json");
	free(img);
}
END_TEST

START_TEST(test_records_disagree)
{
	struct mcr_fwfix fx;
	struct verdict v;
	char *img, *other;

	mcr_fwfix_setup(&fx, MCR_FWFIX_REPRODUCIBLE, "v1.0.0");
	img = strdup(build_records(&fx, "v1.0.0", 1));
	other = strdup(mcr_test_path("%s/other.bin", fx.git.dir));
	/* one byte of the image changed: no trusted builder produced it */
	mcr_test_sh_ok("cp '%s' '%s' && printf 'X' | dd of='%s' bs=1 seek=600 conv=notrunc "
		       "2>/dev/null", img, other, other);
	check(&v, &fx, "v1.0.0", other, "a.json", NULL);
	expect_refused(&v, "records.disagree", "a.json");
	free(other);
	free(img);
}
END_TEST

START_TEST(test_records_malformed_and_unreadable)
{
	struct mcr_fwfix fx;
	struct verdict v;
	char *img;

	mcr_fwfix_setup(&fx, MCR_FWFIX_REPRODUCIBLE, "v1.0.0");
	img = strdup(build_records(&fx, "v1.0.0", 1));
	mcr_test_sh_ok("cd '%s' && echo '{\"format\": \"mcurelease.build-record/v1\"' > cut.json && "
		       "jq '.format = \"other/v9\"' a.json > format.json && "
		       "jq '.record.extra = 1' a.json > extra.json", fx.records);
	check(&v, &fx, "v1.0.0", img, "cut.json", NULL);
	expect_refused(&v, "records.malformed", "cut.json");
	check(&v, &fx, "v1.0.0", img, "format.json", NULL);
	expect_refused(&v, "records.malformed", "format.json");
	check(&v, &fx, "v1.0.0", img, "extra.json", NULL);
	expect_refused(&v, "records.malformed", "extra");
	/* could not check: exit 3, no verdict */
	check(&v, &fx, "v1.0.0", img, "missing.json", NULL);
	ck_assert_int_eq(v.status, 3);
	ck_assert_ptr_nonnull(strstr((char *)v.run.err.data, "missing.json"));
	verdict_release(&v);
	check(&v, &fx, "v1.0.0", "/nonexistent/image.bin", "a.json", NULL);
	ck_assert_int_eq(v.status, 3);
	verdict_release(&v);
	mcr_test_sh_ok("rm '%s'", fx.builders_allowed);
	check(&v, &fx, "v1.0.0", img, "a.json", NULL);
	ck_assert_int_eq(v.status, 3);
	ck_assert_ptr_nonnull(strstr((char *)v.run.err.data, "builders_allowed"));
	verdict_release(&v);
	free(img);
}
END_TEST

static Suite *records_suite(void)
{
	Suite *s = suite_create("records");
	TCase *accept = tcase_create("quorum");
	TCase *forged = tcase_create("forgeries");

	tcase_add_test(accept, test_records_quorum);
	tcase_add_test(forged, test_records_untrusted_builder);
	tcase_add_test(forged, test_records_forged);
	tcase_add_test(forged, test_records_stale_commit_and_other_tag);
	tcase_add_test(forged, test_records_disagree);
	tcase_add_test(forged, test_records_malformed_and_unreadable);
	suite_add_tcase(s, accept);
	suite_add_tcase(s, forged);
	return s;
}

int main(void)
{
	return mcr_test_main(records_suite());
}
