/*
 * End-to-end: 'mcurelease build' on a real C firmware project built with cc from a signed tag:
 * the record, its signature checked by hand as docs/builds.md says, --twice on a reproducible
 * and a non-reproducible build, failures, and the build's clean environment.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "fwfix.h"
#include "json.h"
#include "testutil.h"

/* A string inside a parsed record file by a dotted path ("record.artifacts.0.path"). */
static const cJSON *at(const cJSON *json, const char *path)
{
	char key[128];

	while (json && *path) {
		size_t len = strcspn(path, ".");

		snprintf(key, sizeof(key), "%.*s", (int)len, path);
		json = cJSON_IsArray(json) ? cJSON_GetArrayItem(json, atoi(key)) :
					     cJSON_GetObjectItemCaseSensitive(json, key);
		path += len + (path[len] == '.');
	}
	return json;
}

static const char *str_at(const cJSON *json, const char *path)
{
	const char *s = cJSON_GetStringValue(at(json, path));

	ck_assert_msg(s != NULL, "no string at %s", path);
	return s;
}

static cJSON *load_json(const char *path)
{
	cJSON *json = NULL;

	ck_assert_msg(mcr_json_parse_file(&json, path, 1 << 20) == 0, "cannot parse %s", path);
	return json;
}

/* The first line a shell command prints in the fixture's repository. */
static const char *line(struct mcr_fwfix *fx, const char *fmt, const char *arg)
{
	static char out[4][512];
	static int slot;
	char *o = out[slot++ % 4];
	char script[8192];

	snprintf(script, sizeof(script), fmt, arg);
	mcr_gitfix_sh_line(o, sizeof(out[0]), &fx->git, "%s", script);
	return o;
}

static void expect_schema_valid(const char *path)
{
	char *why = NULL;

	ck_assert_msg(mcr_test_schema_valid("build-record.schema.json", path, &why), "%s: %s",
		      path, why);
}

/* docs/builds.md's check by hand: jq gives the signed bytes, ssh-keygen verifies them. */
static int verify_by_hand(struct mcr_fwfix *fx, const char *record)
{
	struct mcr_test_result r;
	int status;

	mcr_test_sh(&r, "cd '%s' && jq -jcS .record '%s' > payload && jq -r .signature '%s' > sig && "
		    "ssh-keygen -Y verify -n mcurelease-build -f '%s' -I \"$(jq -r .record.builder_id "
		    "'%s')\" -s sig < payload", fx->git.dir, record, record, fx->builders_allowed,
		    record);
	status = r.status;
	mcr_test_result_release(&r);
	return status;
}

START_TEST(test_build_record_of_reproducible_firmware)
{
	struct mcr_fwfix fx;
	struct mcr_test_result r;
	const char *rec = NULL, *copies;
	cJSON *json;

	mcr_fwfix_setup(&fx, MCR_FWFIX_REPRODUCIBLE, "v1.2.3");
	copies = strdup(mcr_test_path("%s/copies", fx.git.dir));
	ck_assert_int_eq(mcr_fwfix_build(&fx, &r, 0, "v1.2.3", "a.json", "--copy-artifacts",
					 copies, NULL), 0);
	/* the build's own output streamed to stderr; the summary on stdout */
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "-ffile-prefix-map"));
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "record:     "));
	mcr_test_result_release(&r);
	rec = mcr_fwfix_record(&fx, "a.json");
	expect_schema_valid(rec);
	json = load_json(rec);
	ck_assert_str_eq(str_at(json, "format"), "mcurelease.build-record/v1");
	ck_assert_str_eq(str_at(json, "record.tag"), "v1.2.3");
	ck_assert_str_eq(str_at(json, "record.commit"), fx.git.head);
	ck_assert_str_eq(str_at(json, "record.tag_object"), line(&fx, "git rev-parse %s", "v1.2.3"));
	ck_assert_str_eq(str_at(json, "record.builder_id"), fx.builders[0].principal);
	ck_assert_str_eq(str_at(json, "record.builder_key"),
			 line(&fx, "ssh-keygen -l -E sha256 -f '%s' | cut -d' ' -f2",
			      fx.builders[0].pub));
	ck_assert_str_eq(str_at(json, "record.command.0"), "make");
	/* SOURCE_DATE_EPOCH is the tagged commit's committer time */
	ck_assert_int_eq((long long)cJSON_GetNumberValue(at(json, "record.source_date_epoch")),
			 atoll(line(&fx, "git log -1 --format=%%ct %s", "v1.2.3")));
	ck_assert_str_eq(str_at(json, "record.artifacts.0.path"), "build/fw.bin");
	ck_assert_str_eq(str_at(json, "record.artifacts.0.sha256"),
			 line(&fx, "sha256sum '%s/build/fw.bin' | cut -d' ' -f1", copies));
	/* the digest imgtool sign would hand a signer for this image */
	ck_assert_str_eq(str_at(json, "record.artifacts.0.mcuboot.digest"),
			 line(&fx, MCR_TEST_BINARY " imgtool sign -H 0x200 -S 0x20000 -v 1.2.3 -s auto "
			      "--vector-to-sign digest '%s/build/fw.bin' dg && od -An -tx1 dg | "
			      "tr -d ' \\n'", copies));
	ck_assert_str_eq(str_at(json, "record.artifacts.0.mcuboot.version"), "1.2.3+0");
	ck_assert_int_eq((long long)cJSON_GetNumberValue(
				 at(json, "record.artifacts.0.mcuboot.security_counter")), 0x01020003);
	ck_assert(cJSON_IsNull(at(json, "record.artifacts.1.mcuboot"))); /* the ELF is no image */
	ck_assert_str_eq(str_at(json, "record.tools.0.name"), "cc");
	ck_assert(!strncmp(str_at(json, "record.tools.0.version"), "cc ", 3));
	cJSON_Delete(json);
	/* a real program: its banner carries the commit's date, not today's */
	ck_assert_str_eq(line(&fx, "chmod +x '%1$s/build/fw.elf' && '%1$s/build/fw.elf'", copies),
			 line(&fx, "echo \"acme-sensor built $(date -u -d @$(git log -1 --format=%%ct "
			      "%s) '+%%b %%e %%Y %%H:%%M:%%S') from ./main.c\"", "v1.2.3"));
	ck_assert_int_eq(mcr_test_count_entries(fx.work_dir), 0); /* the checkout is gone */
	ck_assert_int_eq(verify_by_hand(&fx, rec), 0);
	/* its forgery: one field edited, the signature no longer verifies */
	mcr_test_sh_ok("jq '.record.commit = \"%040d\"' '%s' > '%s.forged'", 0, rec, rec);
	ck_assert_int_ne(verify_by_hand(&fx, mcr_test_path("%s.forged", rec)), 0);
	free((char *)copies);
}
END_TEST

START_TEST(test_build_twice_reproducible)
{
	struct mcr_fwfix fx;
	struct mcr_test_result r;

	mcr_fwfix_setup(&fx, MCR_FWFIX_REPRODUCIBLE, "v1.0.0");
	ck_assert_int_eq(mcr_fwfix_build(&fx, &r, 0, "v1.0.0", "a.json", "--twice", NULL), 0);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "reproduced: yes, built twice\n"));
	mcr_test_result_release(&r);
	ck_assert(mcr_test_exists(mcr_fwfix_record(&fx, "a.json")));
	ck_assert_int_eq(mcr_test_count_entries(fx.work_dir), 0);
}
END_TEST

START_TEST(test_build_twice_not_reproducible)
{
	struct mcr_fwfix fx;
	struct mcr_test_result r;
	cJSON *json = NULL;

	mcr_fwfix_setup(&fx, MCR_FWFIX_NOT_REPRODUCIBLE, "v1.0.0");
	/* one build cannot tell */
	ck_assert_int_eq(mcr_fwfix_build(&fx, NULL, 0, "v1.0.0", "once.json", NULL), 0);
	ck_assert_int_eq(mcr_fwfix_build(&fx, &r, 0, "v1.0.0", "a.json", "--twice", NULL), 1);
	ck_assert_msg(strstr((char *)r.err.data, "mcurelease: artifacts 'build/fw.bin, build/fw.elf' "
			     "of tag 'v1.0.0' differ between the builds in") != NULL, "%s",
		      (char *)r.err.data);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "diffoscope"));
	mcr_test_result_release(&r);
	ck_assert(!mcr_test_exists(mcr_fwfix_record(&fx, "a.json")));
	ck_assert_int_eq(mcr_test_count_entries(fx.work_dir), 2); /* both kept to compare */
	ck_assert_int_eq(mcr_fwfix_build(&fx, &r, 0, "v1.0.0", "a.json", "--twice", "--json",
					 NULL), 1);
	ck_assert_int_eq(mcr_json_parse(&json, (char *)r.out.data, r.out.len, "stdout"), 0);
	ck_assert_str_eq(str_at(json, "verdict"), "not_reproducible");
	ck_assert_str_eq(str_at(json, "reason"), "build.not_reproducible");
	ck_assert_str_eq(str_at(json, "differing.0"), "build/fw.bin");
	ck_assert_str_eq(str_at(json, "differing.1"), "build/fw.elf");
	ck_assert_int_eq(cJSON_GetArraySize(at(json, "kept")), 2);
	cJSON_Delete(json);
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_build_failure_keeps_log)
{
	struct mcr_fwfix fx;
	struct mcr_test_result r;
	struct mcr_buf log = MCR_BUF_INIT;
	char log_path[4096] = "";
	const char *p;

	mcr_fwfix_setup(&fx, MCR_FWFIX_REPRODUCIBLE, "v1.0.0");
	ck_assert_int_eq(mcr_fwfix_build(&fx, &r, 0, "v1.0.0", "a.json", "--", "sh", "-c",
					 "echo compiling; echo broken >&2; exit 2", NULL), 3);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "compiling\n")); /* streamed */
	p = strstr((char *)r.err.data, "mcurelease: build command 'sh' failed with exit status 2 "
				       "for tag 'v1.0.0'; log in '");
	ck_assert_msg(p != NULL, "%s", (char *)r.err.data);
	sscanf(strstr(p, "log in '") + 8, "%4095[^']", log_path);
	ck_assert_ptr_nonnull(strstr(p, "checkout kept in '"));
	mcr_test_read(&log, log_path);
	ck_assert_ptr_nonnull(strstr((char *)log.data, "compiling\n"));
	ck_assert_ptr_nonnull(strstr((char *)log.data, "broken\n"));
	ck_assert(!mcr_test_exists(mcr_fwfix_record(&fx, "a.json")));
	ck_assert_int_eq(mcr_test_count_entries(fx.work_dir), 1);
	mcr_buf_release(&log);
	mcr_test_result_release(&r);
	/* an artifact the build did not make: refused, the checkout kept and named */
	ck_assert_int_eq(mcr_fwfix_build(&fx, &r, 0, "v1.0.0", "a.json", "--artifact", "nothere",
					 NULL), 3);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "cannot find artifact 'nothere' in the "
				     "checkout '"));
	ck_assert_int_eq(mcr_test_count_entries(fx.work_dir), 2);
	mcr_test_result_release(&r);
	/* the build program is not installed */
	ck_assert_int_eq(mcr_fwfix_build(&fx, &r, 0, "v1.0.0", "a.json", "--", "mcr-no-such-make",
					 NULL), 6);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "'mcr-no-such-make'"));
	mcr_test_result_release(&r);
}
END_TEST

/* What the build saw, written into artifacts by a shell command as the build. */
static const char env_probe[] =
	"mkdir -p build && env | grep -v '^PWD=' | sort > build/env.txt && "
	"git rev-parse HEAD > build/head.txt && (git symbolic-ref -q HEAD || echo detached) "
	"> build/branch.txt && ls > build/ls.txt && pwd > build/pwd.txt";

START_TEST(test_build_clean_environment_and_checkout)
{
	struct mcr_fwfix fx;
	struct mcr_buf env = MCR_BUF_INIT;
	char later[MCR_GITFIX_OID_MAX], home[1024] = "";
	const char *copies, *tagged;
	cJSON *json;

	mcr_fwfix_setup(&fx, MCR_FWFIX_REPRODUCIBLE, "v1.0.0");
	tagged = strdup(fx.git.head);
	fx.extra_build = "\"env_pass\": [\"MCR_PASSED\", \"MCR_UNSET\"]";
	mcr_fwfix_write_config(&fx);
	/* the caller's tree moves on and has an untracked file: neither reaches the build */
	mcr_gitfix_commit(later, &fx.git, "after the tag");
	mcr_test_write(mcr_test_path("%s/untracked.txt", fx.git.repo), "x\n", 2);
	setenv("MCR_PASSED", "yes", 1);
	setenv("MCR_SECRET_TOKEN", "must-not-leak", 1);
	unsetenv("MCR_UNSET");
	copies = strdup(mcr_test_path("%s/copies", fx.git.dir));
	ck_assert_int_eq(mcr_fwfix_build(&fx, NULL, 0, "v1.0.0", "env.json", "--copy-artifacts",
					 copies, "--artifact", "build/env.txt", "--artifact",
					 "build/head.txt", "--artifact", "build/branch.txt", "--artifact",
					 "build/ls.txt", "--", "sh", "-c", env_probe, NULL), 0);
	mcr_test_read(&env, mcr_test_path("%s/build/env.txt", copies));
	sscanf(strstr((char *)env.data, "HOME=") + 5, "%1023[^\n]", home);
	ck_assert_str_eq((char *)env.data,
			 mcr_test_path("HOME=%s\nLC_ALL=C\nMCR_PASSED=yes\n"
				       "PATH=/usr/local/bin:/usr/bin:/bin\nSOURCE_DATE_EPOCH=%s\n"
				       "TZ=UTC\n", home, line(&fx, "git log -1 --format=%%ct %s",
							     "v1.0.0")));
	ck_assert(!strncmp(home, fx.work_dir, strlen(fx.work_dir))); /* outside the caller's tree */
	ck_assert_str_eq(line(&fx, "cat '%s/build/head.txt'", copies), tagged);
	ck_assert_str_eq(line(&fx, "cat '%s/build/branch.txt'", copies), "detached");
	ck_assert_str_eq(line(&fx, "grep -c untracked '%s/build/ls.txt' || true", copies), "0");
	/* the record names the variables and digests their values exactly */
	json = load_json(mcr_fwfix_record(&fx, "env.json"));
	ck_assert_str_eq(str_at(json, "record.environment.names.2"), "MCR_PASSED");
	ck_assert_int_eq(cJSON_GetArraySize(at(json, "record.environment.names")), 6);
	ck_assert_str_eq(str_at(json, "record.environment.sha256"),
			 line(&fx, "python3 -c 'import json, sys; print(json.dumps(dict(l.split(\"=\", 1) "
			      "for l in open(sys.argv[1]).read().splitlines()), sort_keys=True, "
			      "separators=(\",\", \":\")), end=\"\")' '%s/build/env.txt' | sha256sum | "
			      "cut -d' ' -f1", copies));
	ck_assert_ptr_null(strstr((char *)env.data, "must-not-leak"));
	cJSON_Delete(json);
	mcr_buf_release(&env);
	free((char *)copies);
	free((char *)tagged);
}
END_TEST

START_TEST(test_build_refusals_and_bad_inputs)
{
	struct mcr_fwfix fx;
	struct mcr_test_result r;

	mcr_fwfix_setup(&fx, MCR_FWFIX_REPRODUCIBLE, "v1.0.0");
	mcr_test_mcr(&r, NULL, "build", "--config", fx.git.config, "--repo", fx.git.repo, NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "needs --tag NAME"));
	mcr_test_result_release(&r);
	ck_assert_int_eq(mcr_fwfix_build(&fx, &r, 0, "v9.9.9", "a.json", NULL), 1);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "no tag 'v9.9.9'"));
	mcr_test_result_release(&r);
	/* a key that cannot sign is found out before anything is built */
	mcr_test_mcr(&r, NULL, "build", "--config", fx.git.config, "--repo", fx.git.repo,
		     "--builder", "a@example.org", "--key", "/nonexistent/key", "--tag", "v1.0.0",
		     NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "'/nonexistent/key'"));
	ck_assert(!mcr_test_exists(fx.work_dir));
	mcr_test_result_release(&r);
	/* variables mcurelease sets cannot be passed through */
	fx.extra_build = "\"env_pass\": [\"SOURCE_DATE_EPOCH\"]";
	mcr_fwfix_write_config(&fx);
	ck_assert_int_eq(mcr_fwfix_build(&fx, &r, 0, "v1.0.0", "a.json", NULL), 3);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "may not name 'SOURCE_DATE_EPOCH'"));
	mcr_test_result_release(&r);
	/* a build directory inside the caller's work tree */
	snprintf(fx.work_dir, sizeof(fx.work_dir), "%s", mcr_test_path("%s/inside", fx.git.repo));
	fx.extra_build = NULL;
	mcr_fwfix_write_config(&fx);
	ck_assert_int_eq(mcr_fwfix_build(&fx, &r, 0, "v1.0.0", "a.json", NULL), 3);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "is inside the repository"));
	mcr_test_result_release(&r);
	ck_assert(!mcr_test_exists(mcr_fwfix_record(&fx, "a.json")));
}
END_TEST

static Suite *build_suite(void)
{
	Suite *s = suite_create("build");
	TCase *record = tcase_create("record");
	TCase *twice = tcase_create("twice");
	TCase *fail = tcase_create("failures");

	tcase_add_test(record, test_build_record_of_reproducible_firmware);
	tcase_add_test(record, test_build_clean_environment_and_checkout);
	tcase_add_test(twice, test_build_twice_reproducible);
	tcase_add_test(twice, test_build_twice_not_reproducible);
	tcase_add_test(fail, test_build_failure_keeps_log);
	tcase_add_test(fail, test_build_refusals_and_bad_inputs);
	suite_add_tcase(s, record);
	suite_add_tcase(s, twice);
	suite_add_tcase(s, fail);
	return s;
}

int main(void)
{
	return mcr_test_main(build_suite());
}
