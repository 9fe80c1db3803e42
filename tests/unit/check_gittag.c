/* Unit tests: finding a tag, its shape, and the payload/signature split. */
#include <check.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "gitfix.h"
#include "gittag.h"
#include "testutil.h"

#define PAYLOAD "object 0123456789012345678901234567890123456789\ntype commit\ntag v1\n" \
		"tagger A <a@b> 1700000000 +0000\n\nRelease v1\n"
#define PGP_BLOCK "-----BEGIN PGP SIGNATURE-----\n\niHUEABYKAB0WIQ\n=abcd\n" \
		  "-----END PGP SIGNATURE-----\n"
#define SSH_BLOCK "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ\n-----END SSH SIGNATURE-----\n"

static int split(size_t *payload_len, enum mcr_tagsig_format *format, const char *raw)
{
	*payload_len = 0;
	*format = MCR_TAGSIG_NONE;
	return mcr_gittag_split(payload_len, format, (const unsigned char *)raw, strlen(raw), "v1");
}

START_TEST(test_gittag_split_openpgp_and_ssh)
{
	enum mcr_tagsig_format format;
	size_t len;

	ck_assert_int_eq(split(&len, &format, PAYLOAD PGP_BLOCK), 0);
	ck_assert_uint_eq(len, strlen(PAYLOAD));
	ck_assert_int_eq(format, MCR_TAGSIG_OPENPGP);
	ck_assert_int_eq(split(&len, &format, PAYLOAD SSH_BLOCK), 0);
	ck_assert_int_eq(format, MCR_TAGSIG_SSH);
	ck_assert_int_eq(split(&len, &format, PAYLOAD "-----BEGIN SIGNED MESSAGE-----\nx\n"
						    "-----END SIGNED MESSAGE-----\n"), 0);
	ck_assert_int_eq(format, MCR_TAGSIG_X509);
	ck_assert_int_eq(split(&len, &format, PAYLOAD "-----BEGIN PGP MESSAGE-----\nx\n"
						    "-----END PGP MESSAGE-----"), 0);
	ck_assert_int_eq(format, MCR_TAGSIG_OPENPGP);
	ck_assert_str_eq(mcr_tagsig_format_name(MCR_TAGSIG_SSH), "ssh");
}
END_TEST

START_TEST(test_gittag_split_unsigned)
{
	enum mcr_tagsig_format format;
	size_t len;

	ck_assert_int_eq(split(&len, &format, PAYLOAD), MCR_EREFUSED);
	ck_assert_str_eq(mcr_error_reason(), "tag.unsigned");
	/* an armor header that does not start a line is message text, as in git */
	ck_assert_int_eq(split(&len, &format, PAYLOAD " " PGP_BLOCK), MCR_EREFUSED);
	ck_assert_str_eq(mcr_error_reason(), "tag.unsigned");
	ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(test_gittag_split_refuses_what_git_would_let_ride)
{
	const char *forged[] = {
		PAYLOAD PGP_BLOCK PGP_BLOCK,			 /* two blocks: git verifies the last */
		PAYLOAD PGP_BLOCK "Also ship the debug build\n", /* text after the block */
		PAYLOAD SSH_BLOCK "\n",				 /* even a blank line */
		PAYLOAD "-----BEGIN PGP SIGNATURE-----\nabc\n",	 /* no end line */
		PAYLOAD "-----BEGIN PGP SIGNATURE-----trailer\nx\n-----END PGP SIGNATURE-----\n",
		PAYLOAD "-----BEGIN PGP SIGNATURE-----\nx\n-----END SSH SIGNATURE-----\n",
		PAYLOAD SSH_BLOCK PGP_BLOCK,			 /* mixed formats */
	};
	enum mcr_tagsig_format format;
	size_t len;

	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		ck_assert_msg(split(&len, &format, forged[i]) == MCR_EREFUSED, "case %zu", i);
		ck_assert_str_eq(mcr_error_reason(), "tag.ambiguous_signature");
		ck_assert_uint_eq(len, 0);
	}
}
END_TEST

START_TEST(test_gittag_load_signed)
{
	struct mcr_gitfix fx;
	struct mcr_gittag tag;
	char oid[MCR_GITFIX_OID_MAX];

	mcr_gitfix_repo_with_signed_tag(&fx, "v1.0.0", MCR_GITFIX_OPENPGP);
	ck_assert_int_eq(mcr_gittag_load(&tag, fx.repo, "v1.0.0"), 0);
	mcr_gitfix_sh_line(oid, sizeof(oid), &fx, "git rev-parse refs/tags/v1.0.0");
	ck_assert_str_eq(tag.tag_object, oid);
	ck_assert_str_eq(tag.commit, fx.head);
	ck_assert_int_eq(tag.sig_format, MCR_TAGSIG_OPENPGP);
	ck_assert(tag.tagger_time > 1600000000);
	ck_assert(!memcmp(tag.raw.data + tag.payload_len, "-----BEGIN PGP SIGNATURE-----", 29));
	ck_assert(!memcmp(tag.raw.data, "object ", 7));
	mcr_gittag_release(&tag);
	/* discovered from a subdirectory when no path is given */
	mcr_test_sh_ok("mkdir '%s/sub'", fx.repo);
	ck_assert_int_eq(chdir(mcr_test_path("%s/sub", fx.repo)), 0);
	ck_assert_int_eq(mcr_gittag_load(&tag, NULL, "v1.0.0"), 0);
	mcr_gittag_release(&tag);
}
END_TEST

static void expect_refusal(struct mcr_gitfix *fx, const char *name, const char *reason)
{
	struct mcr_gittag tag;

	ck_assert_int_eq(mcr_gittag_load(&tag, fx->repo, name), MCR_EREFUSED);
	ck_assert_str_eq(mcr_error_reason(), reason);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), name));
	mcr_gittag_release(&tag);
}

START_TEST(test_gittag_load_shapes)
{
	struct mcr_gitfix fx;
	struct mcr_gittag tag;
	char oid[MCR_GITFIX_OID_MAX], tree[MCR_GITFIX_OID_MAX];

	mcr_gitfix_setup(&fx);
	mcr_gitfix_sh_line(NULL, 0, &fx, "git tag v0.1.0");
	expect_refusal(&fx, "v0.1.0", "tag.lightweight");
	mcr_gitfix_git_tag(&fx, "v0.2.0", MCR_GITFIX_UNSIGNED, NULL);
	expect_refusal(&fx, "v0.2.0", "tag.unsigned");
	expect_refusal(&fx, "v9.9.9", "tag.not_found");
	/* a correctly signed v1.0.0 stored under another name */
	mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){.name = "v1.0.0",
								 .format = MCR_GITFIX_OPENPGP});
	mcr_gitfix_set_ref(&fx, "refs/tags/v2.0.0", oid);
	expect_refusal(&fx, "v2.0.0", "tag.name_mismatch");
	mcr_gitfix_sh_line(tree, sizeof(tree), &fx, "git rev-parse HEAD^{tree}");
	mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){.name = "v3.0.0", .target = tree,
								 .type = "tree",
								 .format = MCR_GITFIX_OPENPGP});
	mcr_gitfix_set_ref(&fx, "refs/tags/v3.0.0", oid);
	expect_refusal(&fx, "v3.0.0", "tag.not_commit");
	/* the header says commit, the object is a tree */
	mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){.name = "v4.0.0", .target = tree,
								 .format = MCR_GITFIX_OPENPGP});
	mcr_gitfix_set_ref(&fx, "refs/tags/v4.0.0", oid);
	expect_refusal(&fx, "v4.0.0", "tag.not_commit");
	ck_assert_int_eq(mcr_gittag_load(&tag, fx.repo, "bad..name"), MCR_EUSAGE);
	mcr_gittag_release(&tag);
	ck_assert_int_eq(mcr_gittag_load(&tag, "/nonexistent/repo", "v1"), MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "/nonexistent/repo"));
	mcr_gittag_release(&tag);
}
END_TEST

static Suite *gittag_suite(void)
{
	Suite *s = suite_create("gittag");
	TCase *split_tc = tcase_create("split");
	TCase *load = tcase_create("load");

	tcase_add_test(split_tc, test_gittag_split_openpgp_and_ssh);
	tcase_add_test(split_tc, test_gittag_split_unsigned);
	tcase_add_test(split_tc, test_gittag_split_refuses_what_git_would_let_ride);
	tcase_add_test(load, test_gittag_load_signed);
	tcase_add_test(load, test_gittag_load_shapes);
	suite_add_tcase(s, split_tc);
	suite_add_tcase(s, load);
	return s;
}

int main(void)
{
	return mcr_test_main(gittag_suite());
}
