/* End-to-end: hooks/pre-push and hooks/update in real repositories pushing to a local bare one. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "gitfix.h"
#include "testutil.h"

/* A developer repository (fx->repo) with pre-push, and DIR/server.git with update. */
static void setup_remote(struct mcr_gitfix *fx)
{
	mcr_gitfix_write_config(fx);
	mcr_test_sh_ok("git init -q --bare '%s/server.git' && "
		       "install -m 755 '%s/hooks/update' '%s/server.git/hooks/update' && "
		       "install -m 755 '%s/hooks/pre-push' '%s/.git/hooks/pre-push' && "
		       "cd '%s' && git remote add origin '%s/server.git' && git push -q origin main",
		       fx->dir, MCR_TEST_SOURCE_DIR, fx->dir, MCR_TEST_SOURCE_DIR, fx->repo,
		       fx->repo, fx->dir);
}

/* git push args in fx->repo, with the hook finding the built binary and the test config. */
static int push(struct mcr_gitfix *fx, struct mcr_test_result *r, const char *args)
{
	mcr_test_sh(r, "export GNUPGHOME='%s' MCURELEASE='%s' MCURELEASE_CONFIG='%s'; cd '%s' && "
		    "git push origin %s", fx->gnupghome, MCR_TEST_BINARY, fx->config, fx->repo, args);
	return r->status;
}

static void push_ok(struct mcr_gitfix *fx, const char *args)
{
	struct mcr_test_result r;

	ck_assert_msg(push(fx, &r, args) == 0, "git push %s failed: %s", args, (char *)r.err.data);
	mcr_test_result_release(&r);
}

/* The push fails, and stderr says why with want. */
static void push_refused(struct mcr_gitfix *fx, const char *args, const char *want)
{
	struct mcr_test_result r;

	ck_assert_msg(push(fx, &r, args) != 0, "git push %s was not refused", args);
	ck_assert_msg(strstr((char *)r.err.data, want), "git push %s: no '%s' in: %s", args, want,
		      (char *)r.err.data);
	mcr_test_result_release(&r);
}

/* The server's object id of refname, "" if it has none. */
static void remote_ref(char *out, struct mcr_gitfix *fx, const char *refname)
{
	mcr_gitfix_sh_line(out, MCR_GITFIX_OID_MAX, fx,
			   "git --git-dir='%s/server.git' rev-parse -q --verify '%s' || true", fx->dir,
			   refname);
}

START_TEST(test_hooks_pre_push_lets_a_good_release_tag_through)
{
	struct mcr_gitfix fx;
	char local[MCR_GITFIX_OID_MAX], remote[MCR_GITFIX_OID_MAX];

	mcr_gitfix_repo_with_signed_tag(&fx, "v1.0.0", MCR_GITFIX_OPENPGP);
	setup_remote(&fx);
	push_ok(&fx, "v1.0.0");
	mcr_gitfix_sh_line(local, sizeof(local), &fx, "git rev-parse refs/tags/v1.0.0");
	remote_ref(remote, &fx, "refs/tags/v1.0.0");
	ck_assert_str_eq(remote, local);
	/* the hook checks without pinning */
	ck_assert(!mcr_test_exists(fx.pin_store));
	/* a tag that is not a release name is none of the gate's business */
	mcr_gitfix_sh_line(NULL, 0, &fx, "git tag wip-experiment");
	push_ok(&fx, "wip-experiment");
}
END_TEST

START_TEST(test_hooks_pre_push_refuses_bad_release_tags)
{
	struct mcr_gitfix fx;
	char remote[MCR_GITFIX_OID_MAX];

	mcr_gitfix_setup(&fx);
	setup_remote(&fx);
	mcr_gitfix_git_tag(&fx, "v1.0.1", MCR_GITFIX_UNSIGNED, NULL);
	push_refused(&fx, "v1.0.1", "tag.unsigned");
	mcr_gitfix_sh_line(NULL, 0, &fx, "git tag v1.0.2");
	push_refused(&fx, "v1.0.2", "tag.lightweight");
	/* a commit pushed straight to a release tag name */
	push_refused(&fx, "HEAD:refs/tags/v1.0.3", "tag.not_found");
	/* a good tag pushed under another name */
	mcr_gitfix_git_tag(&fx, "v1.0.4", MCR_GITFIX_SSH, NULL);
	push_refused(&fx, "v1.0.4:refs/tags/v1.0.5", "tag.not_found");
	mcr_gitfix_git_tag(&fx, "v1.0.5", MCR_GITFIX_SSH, NULL);
	push_refused(&fx, "v1.0.4:refs/tags/v1.0.5", "renamed on push");
	remote_ref(remote, &fx, "refs/tags/v1.0.5");
	ck_assert_str_eq(remote, "");
	push_ok(&fx, "v1.0.5");
}
END_TEST

START_TEST(test_hooks_update_refuses_moving_or_deleting)
{
	struct mcr_gitfix fx;
	char first[MCR_GITFIX_OID_MAX], remote[MCR_GITFIX_OID_MAX], second[MCR_GITFIX_OID_MAX];

	mcr_gitfix_repo_with_signed_tag(&fx, "v1.0.0", MCR_GITFIX_OPENPGP);
	setup_remote(&fx);
	push_ok(&fx, "v1.0.0");
	remote_ref(first, &fx, "refs/tags/v1.0.0");
	/* re-pointed and properly re-signed: pre-push accepts it, the server does not */
	mcr_gitfix_commit(second, &fx, "second");
	mcr_gitfix_sh_line(NULL, 0, &fx, "git push -q origin main && git -c user.signingkey=%s "
			   "tag -f -s -m 'Release v1.0.0' v1.0.0 %s", fx.gpg.fpr, second);
	push_refused(&fx, "--force v1.0.0", "release tags are never moved");
	push_refused(&fx, "--no-verify :refs/tags/v1.0.0", "release tags are never deleted");
	remote_ref(remote, &fx, "refs/tags/v1.0.0");
	ck_assert_str_eq(remote, first);
	/* other tags may come and go */
	mcr_gitfix_sh_line(NULL, 0, &fx, "git tag scratch");
	push_ok(&fx, "scratch");
	push_ok(&fx, ":refs/tags/scratch");
}
END_TEST

START_TEST(test_hooks_update_refuses_bad_new_release_tags)
{
	struct mcr_gitfix fx;
	char oid[MCR_GITFIX_OID_MAX], tree[MCR_GITFIX_OID_MAX];

	mcr_gitfix_setup(&fx);
	setup_remote(&fx);
	/* --no-verify: a client without the pre-push hook */
	mcr_gitfix_sh_line(NULL, 0, &fx, "git tag v2.0.0");
	push_refused(&fx, "--no-verify v2.0.0", "lightweight");
	mcr_gitfix_git_tag(&fx, "v2.0.1", MCR_GITFIX_UNSIGNED, NULL);
	push_refused(&fx, "--no-verify v2.0.1", "not signed");
	mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){.name = "v2.0.2",
								 .format = MCR_GITFIX_OPENPGP});
	mcr_gitfix_set_ref(&fx, "refs/tags/v9.9.9", oid);
	push_refused(&fx, "--no-verify v9.9.9", "renamed tag");
	mcr_gitfix_sh_line(tree, sizeof(tree), &fx, "git rev-parse HEAD^{tree}");
	mcr_gitfix_tag_object(oid, &fx, &(struct mcr_gitfix_tag){
		.name = "v2.0.3", .target = tree, .type = "tree", .format = MCR_GITFIX_SSH});
	mcr_gitfix_set_ref(&fx, "refs/tags/v2.0.3", oid);
	push_refused(&fx, "--no-verify v2.0.3", "not a commit");
	/* the server's pattern is its own setting */
	mcr_test_sh_ok("git --git-dir='%s/server.git' config mcurelease.tagPattern '^rel-'", fx.dir);
	push_ok(&fx, "--no-verify v2.0.0");
}
END_TEST

static Suite *hooks_suite(void)
{
	Suite *s = suite_create("hooks");
	TCase *pre_push = tcase_create("pre_push");
	TCase *update = tcase_create("update");

	tcase_add_test(pre_push, test_hooks_pre_push_lets_a_good_release_tag_through);
	tcase_add_test(pre_push, test_hooks_pre_push_refuses_bad_release_tags);
	tcase_add_test(update, test_hooks_update_refuses_moving_or_deleting);
	tcase_add_test(update, test_hooks_update_refuses_bad_new_release_tags);
	suite_add_tcase(s, pre_push);
	suite_add_tcase(s, update);
	return s;
}

int main(void)
{
	return mcr_test_main(hooks_suite());
}
