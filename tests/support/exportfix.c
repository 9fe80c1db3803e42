/* Test fixture for the export end-to-end suites: keys, trust files, config and a release history.
 */
#include "exportfix.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "buf.h"
#include "error.h"
#include "relfix.h"
#include "testutil.h"

static const char config[] = "{\"product\":\"acme-sensor\",\n"
                             " \"signers\":{\"release\":{\"type\":\"vault-transit\",\"addr\":"
                             "\"https://vault.example:8200\","
                             "\"key_name\":\"acme-release\",\"token_env\":\"VAULT_TOKEN\",\"public_"
                             "key\":\"release.pub.pem\"},\n"
                             "            \"log\":{\"type\":\"file\",\"key\":\"log.pem\"}},\n"
                             " \"policy\":{\"tag\":{\"ssh_allowed_signers\":\"allowed_signers\"},"
                             "\"builders\":{\"quorum\":2,\"allowed_signers\":\"builders\"}},\n"
                             " \"audit\":{\"database\":\"audit.db\",\"log_signer\":\"log\"}}\n";

static char release_fp[65];

void mcr_exportfix_workspace(void)
{
	struct mcr_buf fp = MCR_BUF_INIT;

	mcr_test_sh_ok("openssl genpkey -algorithm ed25519 -out log.pem 2>/dev/null && "
	               "openssl pkey -in log.pem -pubout -out log.pub.pem && "
	               "openssl genpkey -algorithm ed25519 -out other.pem 2>/dev/null && "
	               "openssl pkey -in other.pem -pubout -out other.pub.pem && "
	               "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
	               "-out release.pem 2>/dev/null && "
	               "openssl pkey -in release.pem -pubout -out release.pub.pem && "
	               "openssl pkey -pubin -in release.pub.pem -outform DER | sha256sum | "
	               "cut -c1-64 > release.fp && "
	               "ssh-keygen -q -t ed25519 -N '' -C alice -f alice && "
	               "printf 'alice@example.com namespaces=\"git\" %%s\\n' \"$(cut -d' ' -f1,2 "
	               "alice.pub)\" > allowed_signers && "
	               "ssh-keygen -q -t ed25519 -N '' -C ba -f ba && "
	               "printf 'builder-a@ci %%s\\n' \"$(cut -d' ' -f1,2 ba.pub)\" > builders");
	mcr_test_write("mcurelease.json", config, strlen(config));
	mcr_test_read(&fp, "release.fp");
	snprintf(release_fp, sizeof(release_fp), "%.64s", (char *)fp.data);
	mcr_buf_release(&fp);
}

const char *mcr_exportfix_release_fingerprint(void)
{
	return release_fp;
}

static void checkpoint(void)
{
	struct mcr_test_result r;

	mcr_test_mcr(&r, NULL, "audit", "checkpoint", "--config", "mcurelease.json", NULL);
	ck_assert_msg(r.status == 0, "checkpoint failed (%d): %s", r.status, (char *)r.err.data);
	mcr_test_result_release(&r);
}

void mcr_exportfix_history(int releases, bool checkpoint_it, const char *first_tag)
{
	struct mcr_relfix f = {
	        .product = "acme-sensor", .backend = "vault-transit", .fingerprint = release_fp};
	struct mcr_audit *log = NULL;

	ck_assert_msg(mcr_audit_open(&log, "audit.db", true) == 0, "%s", mcr_error_message());
	f.log = log;
	for (int i = 0; i < releases; i++) {
		const char *tag = i == 0 && first_tag ? first_tag : mcr_test_path("v1.%d.0", i);

		ck_assert_int_eq(mcr_relfix_release(&f, tag, NULL), 0);
		if (i == 0)
			ck_assert_int_eq(
			        mcr_relfix_refused(&f, "v1.0.1", "tag.untrusted_key",
			                           "tag 'v1.0.1' is signed by an untrusted key"),
			        0);
		if (i == 1)
			ck_assert_int_eq(
			        mcr_relfix_failed(&f, "v1.1.1",
			                          "signer 'release' unreachable: timed out"),
			        0);
	}
	mcr_audit_free(log);
	if (checkpoint_it)
		checkpoint();
	ck_assert_int_eq(mcr_audit_open(&log, "audit.db", false), 0);
	f.log = log;
	ck_assert_int_eq(mcr_relfix_release(&f, "v2.0.0", NULL), 0);
	ck_assert_int_eq(mcr_relfix_pending(&f, "v2.0.1"), 0);
	mcr_audit_free(log);
}

void mcr_exportfix_export(const char *format, const char *out)
{
	struct mcr_test_result r;

	mcr_test_mcr(&r, NULL, "audit", "export", "--config", "mcurelease.json", "--format", format,
	             "-o", out, NULL);
	ck_assert_msg(r.status == 0, "export %s failed (%d): %s", format, r.status,
	              (char *)r.err.data);
	mcr_test_result_release(&r);
}
