/* Unit tests: release tag names to MCUboot versions, the pin store, the whole tag decision. */
#include <check.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "gitfix.h"
#include "pinstore.h"
#include "policy.h"
#include "testutil.h"

START_TEST(test_policy_tag_version)
{
	static const struct {
		const char *name;
		const char *reason; /* NULL: accepted with text */
		const char *text;
	} cases[] = {
		{"v1.4.0", NULL, "1.4.0+0"},
		{"v1.4.0+7", NULL, "1.4.0+7"},
		{"v255.255.65535+4294967295", NULL, "255.255.65535+4294967295"},
		{"v256.0.0", "tag.bad_version", NULL},
		{"v1.0.65536", "tag.bad_version", NULL},
		{"v1.0.0+4294967296", "tag.bad_version", NULL},
		{"v01.4.0", "tag.bad_version", NULL}, /* would be a second name for 1.4.0 */
		{"v1.4", "tag.pattern_mismatch", NULL},
		{"1.4.0", "tag.pattern_mismatch", NULL},
		{"v1.4.0-rc1", "tag.pattern_mismatch", NULL},
		{"v1.4.0\n", "tag.pattern_mismatch", NULL},
	};
	struct mcr_version version;
	char text[MCR_VERSION_TEXT_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = mcr_policy_tag_version(&version, cases[i].name, NULL);

		if (!cases[i].reason) {
			ck_assert_msg(ret == 0, "%s: %s", cases[i].name, mcr_error_message());
			mcr_version_format(text, &version);
			ck_assert_str_eq(text, cases[i].text);
		} else {
			ck_assert_msg(ret == MCR_EREFUSED, "%s accepted", cases[i].name);
			ck_assert_str_eq(mcr_error_reason(), cases[i].reason);
		}
	}
	ck_assert_int_eq(mcr_policy_tag_version(&version, "release/2.1.3", "^release/"), 0);
	ck_assert_uint_eq(version.minor, 1);
	ck_assert_int_eq(mcr_policy_tag_version(&version, "v1.0.0", "(["), MCR_EINPUT);
}
END_TEST

START_TEST(test_policy_pinstore)
{
	const char *path = mcr_test_path("%s/pins.json", mcr_test_tmpdir());
	struct mcr_pin a = {"v1.0.0", "aaaa", "c1", "1.0.0+0"};
	struct mcr_pin moved = {"v1.0.0", "bbbb", "c2", "1.0.0+0"};
	struct mcr_pin alias = {"v1.0.0+0", "cccc", "c1", "1.0.0+0"};
	struct mcr_pin b = {"v1.1.0", "dddd", "c3", "1.1.0+0"};
	bool is_new;

	/* checking without recording writes nothing */
	ck_assert_int_eq(mcr_pinstore_check(&is_new, path, &a, false), 0);
	ck_assert(!is_new);
	ck_assert(!mcr_test_exists(path));
	ck_assert_int_eq(mcr_pinstore_check(&is_new, path, &a, true), 0);
	ck_assert(is_new);
	ck_assert_int_eq(mcr_pinstore_check(&is_new, path, &a, true), 0);
	ck_assert(!is_new);
	ck_assert_int_eq(mcr_pinstore_check(&is_new, path, &moved, true), MCR_EREFUSED);
	ck_assert_str_eq(mcr_error_reason(), "tag.moved");
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "aaaa"));
	ck_assert_int_eq(mcr_pinstore_check(&is_new, path, &alias, true), MCR_EREFUSED);
	ck_assert_str_eq(mcr_error_reason(), "tag.version_reused");
	ck_assert_int_eq(mcr_pinstore_check(&is_new, path, &b, true), 0);
	ck_assert(is_new);
	ck_assert_int_eq(mcr_pinstore_check(&is_new, path, &moved, false), MCR_EREFUSED);
	/* a damaged store is an input error naming it, never an empty store */
	mcr_test_write(path, "{\"format\":\"mcurelease-tag-pins/1\",\"pins\":{\"v1\":{}}}", 50);
	ck_assert_int_eq(mcr_pinstore_check(&is_new, path, &a, true), MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), path));
	mcr_test_write(path, "[]", 2);
	ck_assert_int_eq(mcr_pinstore_check(&is_new, path, &a, true), MCR_EINPUT);
}
END_TEST

START_TEST(test_policy_check_tag)
{
	struct mcr_gitfix fx;
	struct mcr_tag_policy policy;
	struct mcr_tag_verdict v;

	mcr_gitfix_repo_with_signed_tag(&fx, "v1.2.3+4", MCR_GITFIX_SSH);
	mcr_gitfix_policy(&fx, &policy);
	ck_assert_int_eq(mcr_policy_check_tag(&v, &policy, fx.repo, "v1.2.3+4", true), 0);
	ck_assert(v.is_accepted);
	ck_assert_ptr_null(v.reason);
	ck_assert_str_eq(v.version_text, "1.2.3+4");
	ck_assert_uint_eq(v.version.revision, 3);
	ck_assert_str_eq(v.commit, fx.head);
	ck_assert_str_eq(v.signer.identity, fx.ssh.principal);
	ck_assert(v.is_newly_pinned);
	mcr_policy_verdict_release(&v);
	/* the refusal is a result too: it says what it saw */
	mcr_gitfix_sh_line(NULL, 0, &fx, "git tag v1.2.4");
	ck_assert_int_eq(mcr_policy_check_tag(&v, &policy, fx.repo, "v1.2.4", true), MCR_EREFUSED);
	ck_assert(!v.is_accepted);
	ck_assert_str_eq(v.reason, "tag.lightweight");
	ck_assert_ptr_nonnull(strstr(v.message, "v1.2.4"));
	ck_assert_str_eq(v.commit, fx.head);
	ck_assert_str_eq(v.tag_object, "");
	mcr_policy_verdict_release(&v);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("tag");

	tcase_add_test(tc, test_policy_tag_version);
	tcase_add_test(tc, test_policy_pinstore);
	tcase_add_test(tc, test_policy_check_tag);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(policy_suite());
}
