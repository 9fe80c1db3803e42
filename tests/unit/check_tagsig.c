/* Unit tests: OpenPGP and SSH tag signatures judged as git does, with the gaps closed. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "error.h"
#include "gitfix.h"
#include "tagsig.h"
#include "testutil.h"

#define FPR_A "F9C29E4643DA0DD815D57B19D847FBC21AF61BE6"
#define FPR_SUB "1111111111111111111111111111111111111111"
#define GOOD_A "[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG D847FBC21AF61BE6 A <a@x>\n" \
	       "[GNUPG:] VALIDSIG " FPR_SUB " 2026-11-24 1795517033 0 4 0 22 8 00 " FPR_A "\n"

static int judge(struct mcr_tagsig_signer *signer, const char *status, const char *trusted)
{
	const char *fprs[] = {trusted, NULL};

	mcr_tagsig_signer_init(signer);
	return mcr_tagsig_judge_gpg_status(signer, status, fprs, "v1");
}

START_TEST(test_tagsig_gpg_status_good)
{
	struct mcr_tagsig_signer signer;

	ck_assert_int_eq(judge(&signer, GOOD_A, FPR_A), 0);
	ck_assert_str_eq(signer.identity, FPR_A);
	ck_assert_str_eq(signer.key, FPR_SUB);
	ck_assert_int_eq(signer.format, MCR_TAGSIG_OPENPGP);
	mcr_tagsig_signer_release(&signer);
	/* the signing subkey may be configured instead; case and spaces do not matter */
	ck_assert_int_eq(judge(&signer, GOOD_A, "1111 1111 1111 1111 1111  1111 1111 1111 1111 1111"),
			 0);
	mcr_tagsig_signer_release(&signer);
	ck_assert_int_eq(judge(&signer, GOOD_A, "f9c29e4643da0dd815d57b19d847fbc21af61be6"), 0);
	mcr_tagsig_signer_release(&signer);
}
END_TEST

START_TEST(test_tagsig_gpg_status_refusals)
{
	static const struct {
		const char *status;
		const char *reason;
	} cases[] = {
		{GOOD_A, "tag.untrusted_key"}, /* trusted list below holds another key */
		{"[GNUPG:] NEWSIG\n[GNUPG:] BADSIG D847FBC21AF61BE6 A <a@x>\n", "tag.bad_signature"},
		{"[GNUPG:] NEWSIG\n[GNUPG:] EXPKEYSIG D847FBC21AF61BE6 A\n[GNUPG:] VALIDSIG " FPR_A
		 " 2020-01-01 1 0 4 0 22 8 00 " FPR_A "\n", "tag.key_expired"},
		{"[GNUPG:] NEWSIG\n[GNUPG:] REVKEYSIG D847FBC21AF61BE6 A\n[GNUPG:] VALIDSIG " FPR_A
		 " 2020-01-01 1 0 4 0 22 8 00 " FPR_A "\n", "tag.key_revoked"},
		{GOOD_A "[GNUPG:] KEYREVOKED\n", "tag.key_revoked"},
		{"[GNUPG:] NEWSIG\n[GNUPG:] EXPSIG D847FBC21AF61BE6 A\n", "tag.signature_expired"},
		{"[GNUPG:] NEWSIG\n[GNUPG:] ERRSIG D847FBC21AF61BE6 22 8 00 1 9 " FPR_A "\n",
		 "tag.untrusted_key"},
		{"[GNUPG:] NEWSIG\n[GNUPG:] ERRSIG D847FBC21AF61BE6 22 8 00 1 4\n", "tag.bad_signature"},
		{GOOD_A GOOD_A, "tag.ambiguous_signature"},
		{"", "tag.bad_signature"},
		{"[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG D847FBC21AF61BE6 A\n", "tag.bad_signature"},
		{"GOODSIG D847FBC21AF61BE6\n", "tag.bad_signature"}, /* not a status line */
	};
	struct mcr_tagsig_signer signer;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(judge(&signer, cases[i].status, i == 0 ? FPR_SUB "0" : FPR_A) ==
				      MCR_EREFUSED, "case %zu", i);
		ck_assert_msg(!strcmp(mcr_error_reason(), cases[i].reason), "case %zu: %s", i,
			      mcr_error_reason());
		ck_assert_ptr_null(signer.identity);
	}
}
END_TEST

/* Signs text with the fixture's gpg key or ssh key into *sig. */
static void sign_text(struct mcr_gitfix *fx, struct mcr_buf *sig, const char *text,
		      enum mcr_gitfix_format format, const char *ssh_key)
{
	mcr_test_write(mcr_test_path("%s/data", fx->dir), text, strlen(text));
	if (format == MCR_GITFIX_OPENPGP)
		mcr_gitfix_sh_line(NULL, 0, fx, "gpg --batch -u %s -bsa < ../data > ../data.sig",
				   fx->gpg.fpr);
	else
		mcr_gitfix_sh_line(NULL, 0, fx, "ssh-keygen -q -Y sign -n git -f '%s' < ../data "
				   "> ../data.sig", ssh_key ? ssh_key : fx->ssh.key);
	mcr_buf_release(sig);
	mcr_test_read(sig, mcr_test_path("%s/data.sig", fx->dir));
}

static int verify(struct mcr_gitfix *fx, struct mcr_tagsig_signer *signer,
		  enum mcr_tagsig_format format, const char *text, const struct mcr_buf *sig,
		  long long claimed)
{
	struct mcr_tag_policy policy;

	mcr_gitfix_policy(fx, &policy);
	return mcr_tagsig_verify(signer, &policy, format, (const unsigned char *)text,
				 strlen(text), sig->data, sig->len, claimed, "v1");
}

START_TEST(test_tagsig_gpg_real)
{
	struct mcr_gitfix fx;
	struct mcr_tagsig_signer signer;
	struct mcr_buf sig = MCR_BUF_INIT;

	mcr_gitfix_setup(&fx);
	sign_text(&fx, &sig, "payload\n", MCR_GITFIX_OPENPGP, NULL);
	ck_assert_int_eq(verify(&fx, &signer, MCR_TAGSIG_OPENPGP, "payload\n", &sig, -1), 0);
	ck_assert_str_eq(signer.identity, fx.gpg.fpr);
	mcr_tagsig_signer_release(&signer);
	/* its forgery: one byte of the payload changed */
	ck_assert_int_eq(verify(&fx, &signer, MCR_TAGSIG_OPENPGP, "paylaod\n", &sig, -1),
			 MCR_EREFUSED);
	ck_assert_str_eq(mcr_error_reason(), "tag.bad_signature");
	/* a key nobody configured */
	fx.fingerprints[0][0] = '\0';
	ck_assert_int_eq(verify(&fx, &signer, MCR_TAGSIG_OPENPGP, "payload\n", &sig, -1),
			 MCR_EREFUSED);
	ck_assert_str_eq(mcr_error_reason(), "tag.untrusted_key");
	/* a keyring that cannot be read is a config problem, not a verdict */
	snprintf(fx.fingerprints[0], sizeof(fx.fingerprints[0]), "%s", fx.gpg.fpr);
	snprintf(fx.gpg_keyring, sizeof(fx.gpg_keyring), "%s/missing.asc", fx.dir);
	ck_assert_int_eq(verify(&fx, &signer, MCR_TAGSIG_OPENPGP, "payload\n", &sig, -1),
			 MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "missing.asc"));
	mcr_buf_release(&sig);
}
END_TEST

START_TEST(test_tagsig_ssh_real)
{
	struct mcr_gitfix fx;
	struct mcr_gitfix_ssh stranger;
	struct mcr_tagsig_signer signer;
	struct mcr_buf sig = MCR_BUF_INIT;

	mcr_gitfix_setup(&fx);
	sign_text(&fx, &sig, "payload\n", MCR_GITFIX_SSH, NULL);
	ck_assert_int_eq(verify(&fx, &signer, MCR_TAGSIG_SSH, "payload\n", &sig, -1), 0);
	ck_assert_str_eq(signer.identity, fx.ssh.principal);
	ck_assert(!strncmp(signer.key, "SHA256:", 7));
	mcr_tagsig_signer_release(&signer);
	ck_assert_int_eq(verify(&fx, &signer, MCR_TAGSIG_SSH, "paylaod\n", &sig, -1), MCR_EREFUSED);
	ck_assert_str_eq(mcr_error_reason(), "tag.bad_signature");
	mcr_gitfix_ssh_key(&stranger, &fx, "stranger");
	sign_text(&fx, &sig, "payload\n", MCR_GITFIX_SSH, stranger.key);
	ck_assert_int_eq(verify(&fx, &signer, MCR_TAGSIG_SSH, "payload\n", &sig, -1), MCR_EREFUSED);
	ck_assert_str_eq(mcr_error_reason(), "tag.untrusted_key");
	mcr_buf_release(&sig);
}
END_TEST

START_TEST(test_tagsig_ssh_expired_judged_now)
{
	struct mcr_gitfix fx;
	struct mcr_gitfix_ssh old;
	struct mcr_tagsig_signer signer;
	struct mcr_buf sig = MCR_BUF_INIT;

	mcr_gitfix_setup(&fx);
	mcr_gitfix_ssh_key(&old, &fx, "old");
	mcr_gitfix_allow_ssh(fx.allowed_signers, &old, "namespaces=\"git\",valid-before=\"20200101\"");
	sign_text(&fx, &sig, "payload\n", MCR_GITFIX_SSH, old.key);
	/* the tagger claims 2019, when the key was valid: git would accept */
	ck_assert_int_eq(verify(&fx, &signer, MCR_TAGSIG_SSH, "payload\n", &sig, 1560000000),
			 MCR_EREFUSED);
	ck_assert_str_eq(mcr_error_reason(), "tag.key_expired");
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), old.principal));
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "claimed date"));
	/* without a claimed date: still known, still outside its window now */
	ck_assert_int_eq(verify(&fx, &signer, MCR_TAGSIG_SSH, "payload\n", &sig, -1), MCR_EREFUSED);
	ck_assert_str_eq(mcr_error_reason(), "tag.key_expired");
	mcr_buf_release(&sig);
}
END_TEST

START_TEST(test_tagsig_ssh_revoked)
{
	struct mcr_gitfix fx;
	struct mcr_tagsig_signer signer;
	struct mcr_buf sig = MCR_BUF_INIT;

	mcr_gitfix_setup(&fx);
	sign_text(&fx, &sig, "payload\n", MCR_GITFIX_SSH, NULL);
	snprintf(fx.revocations, sizeof(fx.revocations), "%s/revoked", fx.dir);
	mcr_test_sh_ok("cat '%s' > '%s'", fx.ssh.pub, fx.revocations);
	ck_assert_int_eq(verify(&fx, &signer, MCR_TAGSIG_SSH, "payload\n", &sig, -1), MCR_EREFUSED);
	ck_assert_str_eq(mcr_error_reason(), "tag.key_revoked");
	/* an empty revocation list revokes nothing */
	mcr_test_sh_ok(": > '%s'", fx.revocations);
	ck_assert_int_eq(verify(&fx, &signer, MCR_TAGSIG_SSH, "payload\n", &sig, -1), 0);
	mcr_tagsig_signer_release(&signer);
	mcr_buf_release(&sig);
}
END_TEST

START_TEST(test_tagsig_unconfigured_and_unsupported)
{
	struct mcr_gitfix fx;
	struct mcr_tagsig_signer signer;
	struct mcr_tag_policy policy;
	struct mcr_buf sig = MCR_BUF_INIT;

	mcr_gitfix_setup(&fx);
	sign_text(&fx, &sig, "payload\n", MCR_GITFIX_SSH, NULL);
	mcr_gitfix_policy(&fx, &policy);
	policy.ssh_allowed_signers = NULL;
	ck_assert_int_eq(mcr_tagsig_verify(&signer, &policy, MCR_TAGSIG_SSH,
					   (const unsigned char *)"payload\n", 8, sig.data, sig.len,
					   -1, "v1"), MCR_EREFUSED);
	ck_assert_str_eq(mcr_error_reason(), "tag.untrusted_key");
	ck_assert_int_eq(mcr_tagsig_verify(&signer, &policy, MCR_TAGSIG_X509,
					   (const unsigned char *)"payload\n", 8, sig.data, sig.len,
					   -1, "v1"), MCR_EREFUSED);
	ck_assert_str_eq(mcr_error_reason(), "tag.unsupported_signature");
	mcr_buf_release(&sig);
}
END_TEST

static Suite *tagsig_suite(void)
{
	Suite *s = suite_create("tagsig");
	TCase *status = tcase_create("gpg_status");
	TCase *real = tcase_create("real_tools");

	tcase_add_test(status, test_tagsig_gpg_status_good);
	tcase_add_test(status, test_tagsig_gpg_status_refusals);
	tcase_add_test(real, test_tagsig_gpg_real);
	tcase_add_test(real, test_tagsig_ssh_real);
	tcase_add_test(real, test_tagsig_ssh_expired_judged_now);
	tcase_add_test(real, test_tagsig_ssh_revoked);
	tcase_add_test(real, test_tagsig_unconfigured_and_unsupported);
	suite_add_tcase(s, status);
	suite_add_tcase(s, real);
	return s;
}

int main(void)
{
	return mcr_test_main(tagsig_suite());
}
