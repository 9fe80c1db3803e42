/* Release fixtures: the whole world 'mcurelease sign' works in, made of real parts. */
#include "signfix.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static void add_fake_signers(struct mcr_buf *text, const struct mcr_signfix *fx)
{
	for (int i = 0; i < 8 && fx->fake_modes[i]; i++) {
		const char *mode = fx->fake_modes[i];
		bool wrong_key = !strcmp(mode, "wrongkey");

		mcr_buf_addf(text,
			     ",\n    \"fake-%s\": {\"type\": \"command\", \"argv\": [\"%s\", \"%s\", "
			     "\"%s/%s.pem\", \"base64\", \"%s\"], \"input\": \"file\", "
			     "\"encoding\": \"base64\", \"public_key\": \"%s/cmd.pub.pem\", "
			     "\"timeout_ms\": 20000}",
			     mode, MCR_SIGNFIX_FAKE, wrong_key ? "ok" : mode, fx->dir,
			     wrong_key ? "dev" : "cmd", fx->state, fx->dir);
	}
}

static void add_signers(struct mcr_buf *text, const struct mcr_signfix *fx)
{
	mcr_buf_addf(text, "  \"signers\": {\n");
	mcr_buf_addf(text,
		     "    \"release\": {\"type\": \"pkcs11\", \"uri\": \"%s\", \"module\": \"%s\", "
		     "\"pin_file\": \"%s\", \"public_key\": \"%s\"},\n",
		     mcr_hsmfix_uri("release"), MCR_HSMFIX_MODULE, fx->hsm.pin_file,
		     fx->release_pub);
	mcr_buf_addf(text, "    \"dev\": {\"type\": \"file\", \"key\": \"%s/dev.pem\"},\n", fx->dir);
	mcr_buf_addf(text, "    \"log\": {\"type\": \"file\", \"key\": \"%s/log.pem\"}", fx->dir);
	add_fake_signers(text, fx);
	mcr_buf_addf(text, "\n  },\n");
}

const char *mcr_signfix_write_config(struct mcr_signfix *fx)
{
	struct mcr_fwfix *fw = &fx->fw;
	struct mcr_buf text = MCR_BUF_INIT;

	mcr_buf_addf(&text, "{\n  \"product\": \"fw-test\",\n");
	add_signers(&text, fx);
	mcr_buf_addf(&text, "  \"policy\": {\n    \"tag\": {\"ssh_allowed_signers\": \"%s\", "
		     "\"pin_store\": \"%s\"},\n", fw->git.allowed_signers, fw->git.pin_store);
	mcr_buf_addf(&text, "    \"builders\": {\"quorum\": %u, \"allowed_signers\": \"%s\"},\n",
		     fw->quorum, fw->builders_allowed);
	mcr_buf_addf(&text, "    \"release_signer\": \"%s\"%s%s\n  },\n",
		     fx->release_signer ? fx->release_signer : "release",
		     fx->extra_policy ? ",\n    " : "", fx->extra_policy ? fx->extra_policy : "");
	mcr_buf_addf(&text, "  \"image\": {\"slot_size\": \"0x20000\"%s%s},\n",
		     fx->extra_image ? ", " : "", fx->extra_image ? fx->extra_image : "");
	mcr_buf_addf(&text, "  \"build\": {\"command\": [\"make\"], "
		     "\"artifacts\": [\"build/fw.bin\", \"build/fw.elf\"], \"work_dir\": \"%s\"},\n",
		     fw->work_dir);
	mcr_buf_addf(&text, "  \"audit\": {\"database\": \"%s\", \"log_signer\": \"log\"%s%s}\n}\n",
		     fx->audit_db, fx->extra_audit ? ", " : "", fx->extra_audit ? fx->extra_audit : "");
	mcr_test_write(fw->git.config, text.data, text.len);
	mcr_buf_release(&text);
	return fw->git.config;
}

const char *mcr_signfix_release_key_type = "EC:prime256v1";

void mcr_signfix_setup(struct mcr_signfix *fx, const char *tag)
{
	memset(fx, 0, sizeof(*fx));
	mcr_fwfix_setup(&fx->fw, MCR_FWFIX_REPRODUCIBLE, tag);
	fx->fw.quorum = 2;
	snprintf(fx->dir, sizeof(fx->dir), "%s", fx->fw.git.dir);
	snprintf(fx->audit_db, sizeof(fx->audit_db), "%s/audit.db", fx->dir);
	snprintf(fx->state, sizeof(fx->state), "%s/fake-state", fx->dir);
	mcr_hsmfix_init(&fx->hsm, mcr_test_path("%s/hsm", fx->dir));
	mcr_hsmfix_keygen(&fx->hsm, mcr_signfix_release_key_type, "10", "release");
	snprintf(fx->release_pub, sizeof(fx->release_pub), "%s/hsm/release.pub.pem", fx->dir);
	mcr_test_sh_ok("cd '%s' && mkdir -p fake-state && "
		       "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out dev.pem && "
		       "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out cmd.pem && "
		       "openssl pkey -in cmd.pem -pubout -out cmd.pub.pem && "
		       "openssl genpkey -algorithm ED25519 -out log.pem",
		       fx->dir);
	mcr_signfix_write_config(fx);
}

const char *mcr_signfix_record(struct mcr_signfix *fx, const char *tag, const char *who)
{
	return mcr_test_path("%s/%s.%s.json", fx->fw.records, tag, who);
}

const char *mcr_signfix_image(struct mcr_signfix *fx, const char *tag)
{
	return mcr_test_path("%s/image-%s/build/fw.bin", fx->dir, tag);
}

const char *mcr_signfix_build(struct mcr_signfix *fx, const char *tag)
{
	char copies[MCR_GITFIX_PATH_MAX], name[256];
	struct mcr_test_result r;

	snprintf(copies, sizeof(copies), "%s/image-%s", fx->dir, tag);
	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "%s.%s.json", tag, i ? "b" : "a");
		mcr_fwfix_build(&fx->fw, &r, i, tag, name, i ? NULL : "--copy-artifacts", copies, NULL);
		ck_assert_msg(r.status == 0, "build %s as %s: %d: %.*s", tag, i ? "b" : "a", r.status,
			      (int)r.err.len, r.err.data);
		mcr_test_result_release(&r);
	}
	return mcr_signfix_image(fx, tag);
}

int mcr_signfix_sign(struct mcr_signfix *fx, struct mcr_test_result *r, const char *tag,
		     const char *image, const char *out, ...)
{
	const char *argv[48] = {MCR_TEST_BINARY, "sign", "--config", fx->fw.git.config, "--repo",
				fx->fw.git.repo, "--tag", tag};
	char *records[2] = {NULL, NULL};
	int argc = 8;
	va_list ap;

	if (out) {
		argv[argc++] = "-o";
		argv[argc++] = out;
	}
	va_start(ap, out);
	while (argc < 40 && (argv[argc] = va_arg(ap, const char *)))
		argc++;
	va_end(ap);
	argv[argc++] = image;
	if (!fx->no_records) {
		argv[argc++] = records[0] = strdup(mcr_signfix_record(fx, tag, "a"));
		argv[argc++] = records[1] = strdup(mcr_signfix_record(fx, tag, "b"));
	}
	argv[argc] = NULL;
	mcr_test_exec(r, argv, NULL);
	free(records[0]);
	free(records[1]);
	return r->status;
}

int mcr_signfix_audit_verify(struct mcr_signfix *fx)
{
	struct mcr_test_result r;
	int status;

	mcr_test_mcr(&r, NULL, "audit", "verify", "--config", fx->fw.git.config, NULL);
	status = r.status;
	if (status)
		fprintf(stderr, "audit verify: %.*s", (int)r.err.len, r.err.data);
	mcr_test_result_release(&r);
	return status;
}

int mcr_signfix_count_events(struct mcr_signfix *fx, const char *kind)
{
	struct mcr_test_result r;
	int count = -1;

	mcr_test_sh(&r, "'%s' audit log --config '%s' --kind '%s' --json | jq length", MCR_TEST_BINARY,
		    fx->fw.git.config, kind);
	if (r.status == 0)
		count = atoi((char *)r.out.data);
	mcr_test_result_release(&r);
	return count;
}

int mcr_signfix_verify_image(const char *image, const char *key)
{
	struct mcr_test_result r;
	int status;

	mcr_test_mcr(&r, NULL, "imgtool", "verify", "-k", key, image, NULL);
	status = r.status;
	mcr_test_result_release(&r);
	return status;
}
