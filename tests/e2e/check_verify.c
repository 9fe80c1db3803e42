/* 'mcurelease verify' end to end: a real release (repository, builds, SoftHSM token, log), then
 * the binary's provenance checked, and every way it can be forged or go wrong. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "signfix.h"
#include "verify_record.h"

static struct mcr_signfix fx;

/* The release's files, as setup_release left them. */
static char image[MCR_GITFIX_PATH_MAX];      /* the builders' fw.bin */
static char signed_bin[MCR_GITFIX_PATH_MAX]; /* out/fw.signed.bin, provenance beside it */
static char signed_hex[MCR_GITFIX_PATH_MAX]; /* out/fw.signed.hex */
static char log_pub[MCR_GITFIX_PATH_MAX];    /* the log's public key */

static const char *in_dir(const char *name)
{
	return mcr_test_path("%s/%s", fx.dir, name);
}

/* v1.2.3 tagged, built by two builders and signed by 'mcurelease sign' (with a HEX copy). */
static void setup_release(void)
{
	struct mcr_test_result r;

	mcr_signfix_setup(&fx, "v1.2.3");
	mcr_test_sh_ok(
	        "mkdir -p '%s/out' && openssl pkey -in '%s/log.pem' -pubout -out '%s/log.pub.pem'",
	        fx.dir, fx.dir, fx.dir);
	snprintf(image, sizeof(image), "%s", mcr_signfix_build(&fx, "v1.2.3"));
	snprintf(signed_bin, sizeof(signed_bin), "%s/out/fw.signed.bin", fx.dir);
	snprintf(signed_hex, sizeof(signed_hex), "%s/out/fw.signed.hex", fx.dir);
	snprintf(log_pub, sizeof(log_pub), "%s/log.pub.pem", fx.dir);
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, signed_bin, "--hex", signed_hex, "--hex-addr",
	                 "0x10000", NULL);
	ck_assert_msg(r.status == 0, "sign: %.*s", (int)r.err.len, r.err.data);
	mcr_test_result_release(&r);
}

static bool contains(const struct mcr_buf *b, const char *needle)
{
	return b->len && memmem(b->data, b->len, needle, strlen(needle)) != NULL;
}

/* Exactly one line on stderr, as every failing command leaves. */
static void assert_one_line(const struct mcr_test_result *r)
{
	ck_assert_msg(r->err.len > 0 && memchr(r->err.data, '\n', r->err.len) ==
	                                        (char *)r->err.data + r->err.len - 1,
	              "want one line on stderr: %.*s", (int)r->err.len, r->err.data);
}

/* 'cd DIR && mcurelease verify ARGS...' (NULL-terminated), in a shell so that the directory
 * (and so the repository and config around it) is the one a developer would be in. */
static void run_in(struct mcr_test_result *r, const char *dir, va_list ap)
{
	struct mcr_buf cmd = MCR_BUF_INIT;
	const char *arg;

	mcr_buf_addf(&cmd, "cd '%s' && exec '%s' verify", dir, MCR_TEST_BINARY);
	while ((arg = va_arg(ap, const char *)))
		mcr_buf_addf(&cmd, " '%s'", arg);
	mcr_test_sh(r, "%s", (char *)cmd.data);
	mcr_buf_release(&cmd);
}

static void verify_text(struct mcr_test_result *r, int status, const char *dir, ...)
{
	va_list ap;

	va_start(ap, dir);
	run_in(r, dir, ap);
	va_end(ap);
	ck_assert_msg(r->status == status, "want exit %d, got %d: %.*s%.*s", status, r->status,
	              (int)(r->out.len < 1500 ? r->out.len : 1500), r->out.data,
	              (int)(r->err.len < 500 ? r->err.len : 500), r->err.data);
	if (status)
		assert_one_line(r);
}

/*
 * 'verify --json ARGS...' in dir: the exit status, the output valid against the schema, the
 * reason; returns the parsed result (caller deletes).
 */
static cJSON *verify_json(int status, const char *reason, const char *dir, ...)
{
	const char *file = mcr_test_path("%s/result.json", fx.dir);
	struct mcr_test_result r;
	const char *got;
	char *why = NULL;
	cJSON *json;
	va_list ap;

	va_start(ap, dir);
	{
		struct mcr_buf cmd = MCR_BUF_INIT;
		const char *arg;

		mcr_buf_addf(&cmd, "cd '%s' && exec '%s' verify --json", dir, MCR_TEST_BINARY);
		while ((arg = va_arg(ap, const char *)))
			mcr_buf_addf(&cmd, " '%s'", arg);
		mcr_test_sh(&r, "%s", (char *)cmd.data);
		mcr_buf_release(&cmd);
	}
	va_end(ap);
	ck_assert_msg(r.status == status, "want exit %d, got %d: %.*s%.*s", status, r.status,
	              (int)(r.out.len < 1500 ? r.out.len : 1500), r.out.data,
	              (int)(r.err.len < 500 ? r.err.len : 500), r.err.data);
	if (status)
		assert_one_line(&r);
	mcr_test_write(file, r.out.data, r.out.len);
	ck_assert_msg(mcr_test_schema_valid("verify-result.schema.json", file, &why),
	              "schema: %.1500s", why);
	json = cJSON_ParseWithLength((char *)r.out.data, r.out.len);
	ck_assert_ptr_nonnull(json);
	got = mcr_verify_data_string(json, "reason", NULL);
	ck_assert_msg(got && !strcmp(got, reason), "want reason %s, got %s: %s", reason, got,
	              mcr_verify_data_string(json, "message", NULL));
	mcr_test_result_release(&r);
	return json;
}

static const char *jstr(const cJSON *j, const char *a, const char *b)
{
	const char *s = mcr_verify_data_string(j, a, b, NULL);

	return s ? s : "<null>";
}

static long long jint(const cJSON *j, const char *a, const char *b, const char *c)
{
	const cJSON *n = mcr_verify_data_item(j, a, b, c, NULL);

	return cJSON_IsNumber(n) ? (long long)n->valuedouble : -1;
}

static const char *check_status(const cJSON *j, const char *check)
{
	return jstr(mcr_verify_data_item(j, "checks", check, NULL), "status", NULL);
}

/* What event seq of the log holds at a JSON path of its body ("$.data.digest.hex"). */
static const char *recorded(const char *path, long long seq)
{
	static char value[4][256];
	static int slot;
	char *out = value[slot++ % 4];
	struct mcr_test_result r;

	mcr_test_sh(&r,
	            "sqlite3 '%s' \"SELECT json_extract(body, '%s') FROM events WHERE seq = %lld\"",
	            fx.audit_db, path, seq);
	ck_assert_int_eq(r.status, 0);
	snprintf(out, 256, "%.*s", (int)strcspn((char *)r.out.data, "\n"), (char *)r.out.data);
	mcr_test_result_release(&r);
	return out;
}

static const char *file_sha256(const char *path)
{
	static char hex[2][65];
	static int slot;
	char *out = hex[slot++ % 2];
	struct mcr_test_result r;

	mcr_test_sh(&r, "sha256sum '%s'", path);
	ck_assert_int_eq(r.status, 0);
	snprintf(out, 65, "%.64s", (char *)r.out.data);
	mcr_test_result_release(&r);
	return out;
}

/* 'mcurelease imgtool sign' of the builders' image with key, outside any release job. */
static void imgtool_sign(const char *key, const char *version, const char *out)
{
	mcr_test_sh_ok("MCURELEASE_CONFIG='%s' '%s' imgtool sign --key '%s' -H 0x200 -S 0x20000 "
	               "--align 4 -v %s -s auto '%s' '%s' >/dev/null",
	               fx.fw.git.config, MCR_TEST_BINARY, key, version, image, out);
}

/* 'mcurelease audit export --format bundle -o DIR EXTRA...' of the fixture's log; returns DIR. */
static const char *export_bundle(const char *name, const char *opt, const char *value)
{
	static char dirs[2][MCR_GITFIX_PATH_MAX];
	static int slot;
	char *dir = dirs[slot++ % 2];
	struct mcr_test_result r;

	snprintf(dir, MCR_GITFIX_PATH_MAX, "%s/%s", fx.dir, name);
	mcr_test_mcr(&r, NULL, "audit", "export", "--config", fx.fw.git.config, "--format",
	             "bundle", "-o", dir, opt, value, NULL);
	ck_assert_msg(r.status == 0, "export: %.*s", (int)r.err.len, r.err.data);
	mcr_test_result_release(&r);
	return dir;
}

/* Replaces a bundle file's manifest entry and signs the manifest again with the log key: what
 * only the log key's holder (or a broken exporter) could make. verify-export still passes. */
static void resign_bundle_file(const char *bundle, const char *rel)
{
	mcr_test_sh_ok("cd '%s' && chmod -R u+w . && h=$(sha256sum '%s' | cut -c1-64) && "
	               "n=$(stat -c %%s '%s') && sed -i -E "
	               "'s|\\{\"path\": \"%s\", \"sha256\": \"[0-9a-f]+\", \"size\": "
	               "[0-9]+\\}|{\"path\": \"%s\", \"sha256\": \"'\"$h\"'\", "
	               "\"size\": '\"$n\"'}|' MANIFEST.json && "
	               "openssl pkeyutl -sign -inkey '%s/log.pem' -rawin -in MANIFEST.json "
	               "-out MANIFEST.json.sig && '%s' audit verify-export --key '%s' . >/dev/null",
	               bundle, rel, rel, rel, rel, fx.dir, MCR_TEST_BINARY, log_pub);
}

/* --- Genuine ----------------------------------------------------------------------------- */

START_TEST(test_genuine_with_log)
{
	struct mcr_test_result r;
	cJSON *j;

	setup_release();
	j = verify_json(0, "verify.genuine", fx.dir, "--config", fx.fw.git.config, "--repo",
	                fx.fw.git.repo, signed_bin, NULL);
	ck_assert_str_eq(jstr(j, "verdict", NULL), "genuine");
	ck_assert(!cJSON_IsTrue(mcr_verify_data_item(j, "alarm", NULL)));
	ck_assert_str_eq(jstr(j, "release", "tag"), "v1.2.3");
	ck_assert_str_eq(jstr(j, "release", "commit"), fx.fw.git.head);
	ck_assert_str_eq(jstr(j, "release", "tag_object"), recorded("$.data.tag_object", 1));
	ck_assert_str_eq(jstr(j, "release", "version"), "1.2.3+0");
	ck_assert_int_eq(cJSON_GetArraySize(mcr_verify_data_item(j, "release", "builders", NULL)),
	                 2);
	ck_assert_str_eq(jstr(mcr_verify_data_item(j, "release", "signer", NULL), "backend", NULL),
	                 "pkcs11");
	ck_assert(cJSON_IsTrue(
	        mcr_verify_data_item(j, "release", "signer", "never_extractable", NULL)));
	ck_assert_str_eq(
	        jstr(mcr_verify_data_item(j, "release", "tag_signer", NULL), "format", NULL),
	        "ssh");
	ck_assert_str_eq(jstr(mcr_verify_data_item(j, "image", "key", NULL), "name", NULL),
	                 "release");
	ck_assert_str_eq(jstr(mcr_verify_data_item(j, "image", "digest", NULL), "hex", NULL),
	                 recorded("$.data.digest.hex", 1));
	ck_assert_int_eq(jint(j, "audit", "requested", "seq"), 1);
	ck_assert_int_eq(jint(j, "audit", "completed", "seq"), 3);
	ck_assert_int_eq(jint(j, "checkpoint", "size", NULL), 3);
	ck_assert_str_eq(jstr(j, "checkpoint", "origin"), "fw-test/mcurelease/fw-test");
	ck_assert_str_eq(jstr(j, "source", "kind"), "audit");
	ck_assert_str_eq(jstr(j, "tag", "state"), "same");
	ck_assert_str_eq(jstr(j, "signed_at", NULL), recorded("$.time", 3));
	for (const char *c = "image log proof record signature provenance tag"; *c;) {
		char name[16];
		size_t n = strcspn(c, " ");

		snprintf(name, sizeof(name), "%.*s", (int)n, c);
		ck_assert_msg(!strcmp(check_status(j, name), "passed"), "check %s: %s", name,
		              check_status(j, name));
		c += n + (c[n] == ' ');
	}
	cJSON_Delete(j);

	/* the human summary: the provenance in a few lines, and one verdict */
	verify_text(&r, 0, fx.dir, "--config", fx.fw.git.config, "--repo", fx.fw.git.repo,
	            signed_bin, NULL);
	ck_assert(contains(&r.out, "release:     v1.2.3, version 1.2.3+0"));
	ck_assert(contains(&r.out, "builders:    builder-a@example.org"));
	ck_assert(contains(&r.out, "tag signer:  ssh release-ssh@example.org"));
	ck_assert(contains(&r.out, "custody:     "));
	ck_assert(contains(&r.out, "never_extractable=true"));
	ck_assert(contains(&r.out, "sign.requested event 1"));
	ck_assert(contains(&r.out, "sign.completed event 3"));
	ck_assert(contains(&r.out, "checkpoint:  fw-test/mcurelease/fw-test, 3 events"));
	ck_assert(contains(&r.out, "verdict:     GENUINE: release v1.2.3"));
	ck_assert(!contains(&r.out, MCR_HSMFIX_PIN) && r.err.len == 0);
	mcr_test_result_release(&r);
}
END_TEST

/* The Intel HEX copy carries the same signature; the config and repository are found from the
 * current directory, as a developer in the work tree would run it. */
START_TEST(test_genuine_hex_found_from_work_tree)
{
	struct mcr_test_result r;
	cJSON *j;

	setup_release();
	mcr_test_sh_ok("cp '%s' '%s/mcurelease.json'", fx.fw.git.config, fx.fw.git.repo);
	j = verify_json(0, "verify.genuine", fx.fw.git.repo, signed_hex, NULL);
	ck_assert_str_eq(jstr(j, "tag", "state"), "same");
	ck_assert_str_eq(check_status(j, "provenance"), "skipped"); /* none beside the .hex */
	ck_assert_str_eq(jstr(j, "image", "sha256"), file_sha256(signed_hex));
	cJSON_Delete(j);

	/* outside any repository the tag is not checked, and says so */
	verify_text(&r, 0, in_dir("out"), "--config", fx.fw.git.config, signed_hex, NULL);
	ck_assert(contains(&r.out, "tag          skipped no repository here holds release v1.2.3"));
	mcr_test_result_release(&r);
}
END_TEST

/* Offline: no config, no log, only the provenance beside the image and the two public keys. */
START_TEST(test_genuine_offline_provenance)
{
	struct mcr_test_result r;
	cJSON *j;

	setup_release();
	mcr_test_sh_ok("mkdir -p '%s/field' && cp '%s' '%s.intoto.json' '%s' '%s/field/'", fx.dir,
	               signed_bin, signed_bin, fx.release_pub, fx.dir);
	j = verify_json(0, "verify.genuine", in_dir("field"), "--key", "release.pub.pem",
	                "--log-key", log_pub, "fw.signed.bin", NULL);
	ck_assert_str_eq(jstr(j, "source", "kind"), "provenance");
	ck_assert_str_eq(check_status(j, "log"), "skipped");
	ck_assert_str_eq(check_status(j, "proof"), "passed");
	ck_assert_str_eq(check_status(j, "signature"), "passed");
	ck_assert_int_eq(jint(j, "checkpoint", "size", NULL), 1);
	ck_assert_str_eq(jstr(j, "release", "commit"), fx.fw.git.head);
	ck_assert(strcmp(jstr(j, "signed_at", NULL), "<null>"));
	cJSON_Delete(j);

	/* the provenance also answers for the hash a device reports */
	j = verify_json(0, "verify.genuine", in_dir("field"), "--provenance",
	                "fw.signed.bin.intoto.json", "--log-key", log_pub, "--hash",
	                recorded("$.data.digest.hex", 1), NULL);
	ck_assert_str_eq(jstr(j, "hash", "matched"), "mcuboot_digest");
	cJSON_Delete(j);

	/* a signed file's SHA-256 is only the statement's claim: offline it matches nothing the
	 * proof covers, even when a forger adds the rogue file's hash to a genuine statement */
	mcr_test_sh_ok("cd '%s/field' && head -c 4096 /dev/urandom > rogue.bin && "
	               "jq --arg h \"$(sha256sum rogue.bin | cut -c1-64)\" "
	               "'.subject += [{\"name\": \"rogue.bin\", \"digest\": {\"sha256\": $h}}]' "
	               "fw.signed.bin.intoto.json > forged.intoto.json",
	               fx.dir);
	j = verify_json(1, "verify.provenance_mismatch", in_dir("field"), "--provenance",
	                "forged.intoto.json",
	                "--log-key", log_pub, "--hash", file_sha256(in_dir("field/rogue.bin")),
	                NULL);
	cJSON_Delete(j);
	j = verify_json(1, "verify.provenance_mismatch", in_dir("field"), "--provenance",
	                "fw.signed.bin.intoto.json", "--log-key", log_pub, "--hash",
	                file_sha256(in_dir("field/fw.signed.bin")), NULL);
	cJSON_Delete(j);

	/* without the log key nothing can be trusted: a usage error, not a verdict */
	verify_text(&r, 2, in_dir("field"), "--key", "release.pub.pem", "fw.signed.bin", NULL);
	ck_assert(contains(&r.err, "--log-key"));
	mcr_test_result_release(&r);
}
END_TEST

/* Signing the same tag again (sign.idempotent): each image is matched to its own signing. */
START_TEST(test_genuine_after_signing_again)
{
	const char *again;
	cJSON *j;

	setup_release();
	again = strdup(in_dir("out/again.bin"));
	{
		struct mcr_test_result r;

		mcr_signfix_sign(&fx, &r, "v1.2.3", image, again, NULL);
		ck_assert_msg(r.status == 0, "sign again: %.*s", (int)r.err.len, r.err.data);
		mcr_test_result_release(&r);
	}
	j = verify_json(0, "verify.genuine", fx.dir, "--config", fx.fw.git.config, signed_bin,
	                NULL);
	ck_assert_int_eq(jint(j, "audit", "requested", "seq"), 1);
	ck_assert_int_eq(jint(j, "audit", "completed", "seq"), 3);
	ck_assert_int_eq(jint(j, "audit", "requests", NULL), 2);
	cJSON_Delete(j);
	j = verify_json(0, "verify.genuine", fx.dir, "--config", fx.fw.git.config, again, NULL);
	ck_assert_int_eq(jint(j, "audit", "requested", "seq"), 5);
	ck_assert_str_eq(jstr(mcr_verify_data_item(j, "audit", "requested", NULL), "kind", NULL),
	                 "sign.idempotent");
	ck_assert_int_eq(jint(j, "audit", "completed", "seq"), 7);
	ck_assert_str_eq(check_status(j, "provenance"), "passed");
	cJSON_Delete(j);
	/* each provenance belongs to its own signing */
	mcr_test_sh_ok("cp '%s.intoto.json' '%s.intoto.json'", signed_bin, again);
	j = verify_json(1, "verify.provenance_mismatch", fx.dir, "--config", fx.fw.git.config,
	                again, NULL);
	cJSON_Delete(j);
	free((char *)again);
}
END_TEST

START_TEST(test_genuine_bundle)
{
	struct mcr_test_result r;
	const char *bundle;
	cJSON *j;

	setup_release();
	bundle = strdup(in_dir("bundle"));
	mcr_test_mcr(&r, NULL, "audit", "export", "--config", fx.fw.git.config, "--format",
	             "bundle", "-o", bundle, NULL);
	ck_assert_msg(r.status == 0, "export: %.*s", (int)r.err.len, r.err.data);
	mcr_test_result_release(&r);
	j = verify_json(0, "verify.genuine", fx.dir, "--config", fx.fw.git.config, "--bundle",
	                bundle, signed_bin, NULL);
	ck_assert_str_eq(jstr(j, "source", "kind"), "bundle");
	ck_assert_int_eq(jint(j, "audit", "completed", "seq"), 3);
	ck_assert_int_eq(jint(j, "checkpoint", "size", NULL), 3);
	cJSON_Delete(j);

	/* a bundle edited after export does not verify, whatever it says about the image */
	mcr_test_sh_ok(
	        "chmod -R u+w '%s' && sed -i 's/builder-a@example.org/builder-x@example.org/' "
	        "'%s/events.jsonl'",
	        bundle, bundle);
	j = verify_json(1, "verify.bundle_invalid", fx.dir, "--config", fx.fw.git.config,
	                "--bundle", bundle, signed_bin, NULL);
	cJSON_Delete(j);
	free((char *)bundle);
}
END_TEST

/* --- The image is not ours --------------------------------------------------------------- */

START_TEST(test_signed_by_unknown_key)
{
	const char *other, *resigned;
	cJSON *j;

	setup_release();
	other = strdup(in_dir("other.pem"));
	resigned = strdup(in_dir("out/resigned.bin"));
	mcr_test_sh_ok("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out '%s'",
	               other);
	imgtool_sign(other, "1.2.3+0", resigned);
	j = verify_json(1, "verify.unknown_key", fx.dir, "--config", fx.fw.git.config, resigned,
	                NULL);
	ck_assert_str_eq(jstr(j, "image", "image_reason"), "image.unknown_key");
	ck_assert(!cJSON_IsTrue(mcr_verify_data_item(j, "alarm", NULL)));
	/* the same digest as the release: someone re-signed our release with their key */
	ck_assert_str_eq(jstr(j, "release", "tag"), "v1.2.3");
	cJSON_Delete(j);

	/* one flipped byte of the signature: it does not verify */
	mcr_test_sh_ok(
	        "cp '%s' '%s' && size=$(stat -c %%s '%s') && "
	        "printf '\\001' | dd of='%s' bs=1 seek=$((size - 8)) conv=notrunc 2>/dev/null",
	        signed_bin, resigned, resigned, resigned);
	j = verify_json(1, "verify.bad_signature", fx.dir, "--config", fx.fw.git.config, resigned,
	                NULL);
	cJSON_Delete(j);

	/* a changed payload byte: the hash no longer matches, nothing is looked up */
	mcr_test_sh_ok("cp '%s' '%s' && printf 'X' | dd of='%s' bs=1 seek=1024 conv=notrunc "
	               "2>/dev/null",
	               signed_bin, resigned, resigned);
	j = verify_json(1, "verify.bad_signature", fx.dir, "--config", fx.fw.git.config, resigned,
	                NULL);
	ck_assert_str_eq(jstr(j, "image", "image_reason"), "image.bad_hash");
	ck_assert_str_eq(check_status(j, "record"), "skipped");
	cJSON_Delete(j);

	/* an unsigned image */
	mcr_test_sh_ok(
	        "MCURELEASE_CONFIG='%s' '%s' imgtool sign -H 0x200 -S 0x20000 -v 1.2.3 '%s' '%s'",
	        fx.fw.git.config, MCR_TEST_BINARY, image, resigned);
	j = verify_json(1, "verify.unsigned", fx.dir, "--config", fx.fw.git.config, resigned, NULL);
	cJSON_Delete(j);
	free((char *)other);
	free((char *)resigned);
}
END_TEST

/* The release key used outside mcurelease: valid signature, nothing in the log. The alarm. */
START_TEST(test_out_of_band_signing_alarm)
{
	struct mcr_test_result r;
	const char *rogue;
	cJSON *j;

	setup_release();
	rogue = strdup(in_dir("out/rogue.bin"));
	imgtool_sign("signer:release", "1.2.4", rogue);
	j = verify_json(1, "verify.not_recorded", fx.dir, "--config", fx.fw.git.config, rogue,
	                NULL);
	ck_assert_str_eq(jstr(j, "verdict", NULL), "alarm");
	ck_assert(cJSON_IsTrue(mcr_verify_data_item(j, "alarm", NULL)));
	ck_assert_str_eq(check_status(j, "image"), "passed");
	ck_assert_str_eq(check_status(j, "record"), "failed");
	cJSON_Delete(j);

	verify_text(&r, 1, fx.dir, "--config", fx.fw.git.config, rogue, NULL);
	ck_assert(contains(&r.out, "!!! ALARM: "));
	ck_assert(contains(&r.out, "NOT RECORDED"));
	ck_assert(contains(&r.err, "mcurelease: ALARM: image '"));
	mcr_test_result_release(&r);

	/* the same with a PKCS#11 URI naming the token's key directly */
	mcr_test_sh_ok("printf '%%s' '%s' > '%s/pin' && MCURELEASE_CONFIG= '%s' imgtool sign --key "
	               "'%s?module-path=%s&pin-source=file:%s/pin' -H 0x200 -S 0x20000 --align 4 "
	               "-v 1.2.5 '%s' '%s' >/dev/null",
	               MCR_HSMFIX_PIN, fx.dir, MCR_TEST_BINARY, mcr_hsmfix_uri("release"),
	               MCR_HSMFIX_MODULE, fx.dir, image, rogue);
	j = verify_json(1, "verify.not_recorded", fx.dir, "--config", fx.fw.git.config, rogue,
	                NULL);
	cJSON_Delete(j);

	/* a development key the config knows: not a release, but no alarm either */
	imgtool_sign(in_dir("dev.pem"), "1.2.6", rogue);
	j = verify_json(1, "verify.dev_key", fx.dir, "--config", fx.fw.git.config, rogue, NULL);
	ck_assert(!cJSON_IsTrue(mcr_verify_data_item(j, "alarm", NULL)));
	cJSON_Delete(j);
	free((char *)rogue);
}
END_TEST

/* A second signature over the recorded digest, made with the release key outside the job. */
START_TEST(test_second_signature_alarm)
{
	const char *second;
	cJSON *j;

	setup_release();
	second = strdup(in_dir("out/second.bin"));
	imgtool_sign("signer:release", "1.2.3+0", second);
	j = verify_json(1, "verify.signature_not_recorded", fx.dir, "--config", fx.fw.git.config,
	                second, NULL);
	/* it really is the recorded digest, with another signature */
	ck_assert_str_eq(jstr(mcr_verify_data_item(j, "image", "digest", NULL), "hex", NULL),
	                 recorded("$.data.digest.hex", 1));
	ck_assert_str_ne(jstr(j, "image", "signature_sha256"),
	                 recorded("$.data.signature.sha256", 3));
	ck_assert(cJSON_IsTrue(mcr_verify_data_item(j, "alarm", NULL)));
	ck_assert_str_eq(check_status(j, "record"), "passed");
	ck_assert_int_eq(jint(j, "audit", "completions", NULL), 1);
	cJSON_Delete(j);

	/* offline, against the provenance of the real signing beside it */
	mcr_test_sh_ok("cp '%s.intoto.json' '%s.intoto.json'", signed_bin, second);
	j = verify_json(1, "verify.signature_not_recorded", fx.dir, "--key", fx.release_pub,
	                "--log-key", log_pub, second, NULL);
	cJSON_Delete(j);
	free((char *)second);
}
END_TEST

/* --- The record does not hold -------------------------------------------------------------- */

/* Rewrites the provenance beside the image with a jq program (its arguments come first). */
static void edit_provenance(const char *args_and_program)
{
	mcr_test_sh_ok("cd '%s/out' && jq %s fw.signed.bin.intoto.json > p.json && "
	               "mv p.json fw.signed.bin.intoto.json",
	               fx.dir, args_and_program);
}

#define AUDIT_BYPRODUCT ".predicate.runDetails.byproducts[2].annotations"

START_TEST(test_tampered_provenance)
{
	const char *saved, *prov;
	cJSON *j;

	setup_release();
	saved = strdup(in_dir("saved.intoto.json"));
	prov = strdup(mcr_test_path("%s.intoto.json", signed_bin));
	mcr_test_sh_ok("cp '%s' '%s'", prov, saved);

	/* an edited field: another commit than the logged request's */
	edit_provenance("'.predicate.buildDefinition.resolvedDependencies[0].digest.gitCommit = "
	                "\"0123456789012345678901234567890123456789\"'");
	j = verify_json(1, "verify.provenance_mismatch", fx.dir, "--key", fx.release_pub,
	                "--log-key", log_pub, signed_bin, NULL);
	ck_assert_ptr_nonnull(strstr(jstr(j, "message", NULL), "commit"));
	cJSON_Delete(j);
	/* beside the log too: the log is fine, the provenance is not */
	j = verify_json(1, "verify.provenance_mismatch", fx.dir, "--config", fx.fw.git.config,
	                signed_bin, NULL);
	ck_assert_str_eq(check_status(j, "log"), "passed");
	cJSON_Delete(j);

	/* a swapped event body: the logged request with another commit in it */
	mcr_test_sh_ok("cp '%s' '%s'", saved, prov);
	edit_provenance("'" AUDIT_BYPRODUCT
	                ".inclusion_proof.event.body |= sub(\"\\\"commit\\\":\\\"[0-9a-f]*\\\"\"; "
	                "\"\\\"commit\\\":\\\"0123456789012345678901234567890123456789\\\"\")'");
	j = verify_json(1, "verify.bad_proof", fx.dir, "--key", fx.release_pub, "--log-key",
	                log_pub, signed_bin, NULL);
	cJSON_Delete(j);
	/* the body of another event (the completion) in its place */
	mcr_test_sh_ok("cp '%s' '%s'", saved, prov);
	edit_provenance(
	        mcr_test_path("--arg b \"$(sqlite3 '%s' 'SELECT body FROM events WHERE seq = 3')\" "
	                      "'" AUDIT_BYPRODUCT ".inclusion_proof.event.body = $b'",
	                      fx.audit_db));
	j = verify_json(1, "verify.bad_proof", fx.dir, "--key", fx.release_pub, "--log-key",
	                log_pub, signed_bin, NULL);
	cJSON_Delete(j);

	/* a forged checkpoint: its root replaced, the log key's signature kept */
	mcr_test_sh_ok("cp '%s' '%s'", saved, prov);
	edit_provenance("'(" AUDIT_BYPRODUCT ".checkpoint, " AUDIT_BYPRODUCT
	                ".inclusion_proof.checkpoint) "
	                "|= sub(\"\\n[A-Za-z0-9+/]{43}=\\n\"; "
	                "\"\\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\\n\")'");
	j = verify_json(1, "verify.bad_checkpoint", fx.dir, "--key", fx.release_pub, "--log-key",
	                log_pub, signed_bin, NULL);
	cJSON_Delete(j);
	j = verify_json(1, "verify.bad_checkpoint", fx.dir, "--config", fx.fw.git.config,
	                signed_bin, NULL);
	ck_assert_str_eq(check_status(j, "log"), "passed"); /* a forgery is no anchor for the log */
	cJSON_Delete(j);

	/* a whole log forged under the same origin, with a key that is not the log's */
	mcr_test_sh_ok(
	        "cp '%s' '%s' && cd '%s' && openssl genpkey -algorithm ED25519 -out forger.pem && "
	        "sed -e 's|/log.pem|/forger.pem|' -e 's|/audit.db|/forged.db|' '%s' > forged.json "
	        "&& "
	        "'%s' sign --config forged.json --repo '%s' --tag v1.2.3 -o out/forged.bin '%s' "
	        "'%s' '%s' "
	        ">/dev/null",
	        saved, prov, fx.dir, fx.fw.git.config, MCR_TEST_BINARY, fx.fw.git.repo, image,
	        mcr_signfix_record(&fx, "v1.2.3", "a"), mcr_signfix_record(&fx, "v1.2.3", "b"));
	j = verify_json(1, "verify.bad_checkpoint", fx.dir, "--key", fx.release_pub, "--log-key",
	                log_pub, in_dir("out/forged.bin"), NULL);
	cJSON_Delete(j);

	/* not a provenance at all: unusable input */
	mcr_test_write(prov, "{}", 2);
	j = verify_json(3, "input", fx.dir, "--key", fx.release_pub, "--log-key", log_pub,
	                signed_bin, NULL);
	ck_assert_str_eq(jstr(j, "verdict", NULL), "unchecked");
	cJSON_Delete(j);
	free((char *)saved);
	free((char *)prov);
}
END_TEST

/* The log's tail cut off with sqlite3: the release's completion and checkpoint are gone. */
START_TEST(test_truncated_log)
{
	struct mcr_test_result r;
	cJSON *j;

	setup_release();
	mcr_test_sh_ok(
	        "sqlite3 '%s' 'DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq >= 3'",
	        fx.audit_db);
	j = verify_json(1, "verify.log_invalid", fx.dir, "--config", fx.fw.git.config, signed_bin,
	                NULL);
	ck_assert_str_eq(check_status(j, "log"), "failed");
	cJSON_Delete(j);
	/* by hash as well */
	verify_text(&r, 1, fx.dir, "--config", fx.fw.git.config, "--hash",
	            recorded("$.data.digest.hex", 1), NULL);
	ck_assert(contains(&r.err, "does not verify"));
	mcr_test_result_release(&r);

	/* the stored checkpoints cut too: the log is consistent again, but this signature is not
	 * in it, and the provenance's checkpoint still holds the request */
	mcr_test_sh_ok("sqlite3 '%s' 'DROP TRIGGER checkpoints_no_delete; DELETE FROM checkpoints "
	               "WHERE size >= 3'",
	               fx.audit_db);
	j = verify_json(1, "verify.signature_not_recorded", fx.dir, "--config", fx.fw.git.config,
	                signed_bin, NULL);
	cJSON_Delete(j);
}
END_TEST

/* --- The tag ------------------------------------------------------------------------------ */

START_TEST(test_tag_moved_and_deleted)
{
	char oid[MCR_GITFIX_OID_MAX];
	cJSON *j;

	setup_release();
	mcr_test_sh_ok("git -C '%s' tag -d v1.2.3 >/dev/null", fx.fw.git.repo);
	j = verify_json(1, "verify.tag_deleted", fx.dir, "--config", fx.fw.git.config, "--repo",
	                fx.fw.git.repo, signed_bin, NULL);
	ck_assert_str_eq(jstr(j, "tag", "state"), "deleted");
	cJSON_Delete(j);
	/* found from the work tree too: it holds the release's commit */
	j = verify_json(1, "verify.tag_deleted", fx.fw.git.repo, "--config", fx.fw.git.config,
	                signed_bin, NULL);
	cJSON_Delete(j);

	/* re-created, signed by the same trusted key, at another commit */
	mcr_gitfix_commit(oid, &fx.fw.git, "after the release");
	mcr_gitfix_git_tag(&fx.fw.git, "v1.2.3", MCR_GITFIX_SSH, NULL);
	j = verify_json(1, "verify.tag_moved", fx.dir, "--config", fx.fw.git.config, "--repo",
	                fx.fw.git.repo, signed_bin, NULL);
	ck_assert_str_eq(jstr(j, "tag", "commit"), oid);
	ck_assert_str_ne(jstr(j, "tag", "tag_object"), recorded("$.data.tag_object", 1));
	cJSON_Delete(j);

	/* re-created at the same commit: another tag object all the same (another message, since
	 * SSH signatures are deterministic and a tag made in the same second would be identical) */
	mcr_test_sh_ok("cd '%s' && git tag -d v1.2.3 >/dev/null && git -c gpg.format=ssh -c "
	               "user.signingkey='%s' tag -s -m 'Release v1.2.3, tagged again' v1.2.3 %s",
	               fx.fw.git.repo, fx.fw.git.ssh.key, fx.fw.git.head);
	j = verify_json(1, "verify.tag_moved", fx.dir, "--config", fx.fw.git.config, "--repo",
	                fx.fw.git.repo, signed_bin, NULL);
	ck_assert_str_eq(jstr(j, "tag", "commit"), fx.fw.git.head);
	cJSON_Delete(j);
}
END_TEST

/* --- --hash: what mcumgr reports, or a file's SHA-256 -------------------------------------- */

START_TEST(test_hash_lookups)
{
	struct mcr_test_result r;
	char upper[129];
	cJSON *j;

	setup_release();
	j = verify_json(0, "verify.genuine", fx.dir, "--config", fx.fw.git.config, "--hash",
	                recorded("$.data.digest.hex", 1), NULL);
	ck_assert_str_eq(jstr(j, "hash", "matched"), "mcuboot_digest");
	ck_assert_str_eq(check_status(j, "image"), "skipped");
	ck_assert_str_eq(check_status(j, "signature"), "passed");
	ck_assert_int_eq(jint(j, "audit", "completed", "seq"), 3);
	cJSON_Delete(j);

	/* the signed file's SHA-256, of the binary and of the HEX copy */
	j = verify_json(0, "verify.genuine", fx.dir, "--config", fx.fw.git.config, "--hash",
	                file_sha256(signed_bin), NULL);
	ck_assert_str_eq(jstr(j, "hash", "matched"), "file_sha256");
	ck_assert_str_eq(jstr(j, "release", "tag"), "v1.2.3");
	cJSON_Delete(j);
	j = verify_json(0, "verify.genuine", fx.dir, "--config", fx.fw.git.config, "--hash",
	                file_sha256(signed_hex), NULL);
	ck_assert_str_eq(jstr(j, "hash", "matched"), "file_sha256");
	cJSON_Delete(j);

	/* upper case, as some tools print it; the text says which hash matched */
	snprintf(upper, sizeof(upper), "%s", recorded("$.data.digest.hex", 1));
	for (char *p = upper; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	verify_text(&r, 0, fx.dir, "--config", fx.fw.git.config, "--hash", upper, NULL);
	ck_assert(contains(&r.out, "(matched the MCUboot image digest)"));
	ck_assert(contains(&r.out, "image        skipped no image (--hash)"));
	mcr_test_result_release(&r);

	/* a hash nobody signed */
	j = verify_json(1, "verify.not_found", fx.dir, "--config", fx.fw.git.config, "--hash",
	                "5d41402abc4b2a76b9719d911017c592aaf4c3e1b3e6e2f1b8c1d9e0f7a6b5c4", NULL);
	ck_assert(!cJSON_IsTrue(mcr_verify_data_item(j, "alarm", NULL)));
	ck_assert(cJSON_IsNull(mcr_verify_data_item(j, "release", NULL)));
	cJSON_Delete(j);

	/* not a hash */
	verify_text(&r, 2, fx.dir, "--config", fx.fw.git.config, "--hash", "xyz", NULL);
	mcr_test_result_release(&r);
}
END_TEST

/* --- Could not check ------------------------------------------------------------------------ */

START_TEST(test_unusable_inputs)
{
	struct mcr_test_result r;
	cJSON *j;

	setup_release();
	/* no config, no provenance: nothing to look the image up in */
	mcr_test_sh_ok("cp '%s' '%s/bare.bin'", signed_bin, fx.dir);
	verify_text(&r, 3, fx.dir, "--key", fx.release_pub, "--log-key", log_pub, "bare.bin", NULL);
	ck_assert(contains(&r.err, "nothing to look"));
	mcr_test_result_release(&r);
	/* no trusted key at all */
	verify_text(&r, 3, fx.dir, "--log-key", log_pub, "bare.bin", NULL);
	ck_assert(contains(&r.err, "no trusted public key"));
	mcr_test_result_release(&r);
	/* a log that is not there, or not a log */
	j = verify_json(5, "audit", fx.dir, "--config", fx.fw.git.config, "--audit",
	                in_dir("missing.db"), signed_bin, NULL);
	ck_assert_str_eq(jstr(j, "verdict", NULL), "unchecked");
	cJSON_Delete(j);
	verify_text(&r, 5, fx.dir, "--config", fx.fw.git.config, "--audit", fx.release_pub,
	            signed_bin, NULL);
	mcr_test_result_release(&r);
	/* an image that cannot be read */
	verify_text(&r, 3, fx.dir, "--config", fx.fw.git.config, in_dir("nope.bin"), NULL);
	mcr_test_result_release(&r);
	/* a --repo that is no repository */
	verify_text(&r, 3, fx.dir, "--config", fx.fw.git.config, "--repo", fx.dir, signed_bin,
	            NULL);
	ck_assert(contains(&r.err, "cannot open git repository"));
	mcr_test_result_release(&r);
	/* options that do not go together */
	verify_text(&r, 2, fx.dir, "--config", fx.fw.git.config, "--audit", fx.audit_db, "--bundle",
	            fx.dir, signed_bin, NULL);
	mcr_test_result_release(&r);
	verify_text(&r, 2, fx.dir, "--config", fx.fw.git.config, "--hash",
	            recorded("$.data.digest.hex", 1), signed_bin, NULL);
	mcr_test_result_release(&r);
	verify_text(&r, 2, fx.dir, "--config", fx.fw.git.config, NULL);
	mcr_test_result_release(&r);
	/* a --bundle that is a file (a .tar, say): an unusable input */
	verify_text(&r, 3, fx.dir, "--config", fx.fw.git.config, "--bundle", signed_hex, signed_bin,
	            NULL);
	ck_assert(contains(&r.err, "--bundle takes a directory"));
	mcr_test_result_release(&r);
	/* the config's log not on this machine: the provenance beside the image stands in */
	mcr_test_sh_ok("mv '%s' '%s/away.db'", fx.audit_db, fx.dir);
	j = verify_json(0, "verify.genuine", fx.dir, "--config", fx.fw.git.config, signed_bin,
	                NULL);
	ck_assert_str_eq(jstr(j, "source", "kind"), "provenance");
	cJSON_Delete(j);
}
END_TEST

/* --- Forged evidence ------------------------------------------------------------------------ */

#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"

/*
 * Offline, the provenance's proof swapped for a consistency proof (old size 0, empty path: it
 * holds for any checkpoint) that carries a made-up request for a rogue image's digest, every
 * other field made to agree with it: it proves no event, so nothing in it is a record.
 */
START_TEST(test_forged_provenance_consistency)
{
	const char *rogue, *genuine_digest;
	char digest[129], sig[65];
	cJSON *j;

	setup_release();
	rogue = strdup(in_dir("out/rogue.bin"));
	genuine_digest = strdup(recorded("$.data.digest.hex", 1));
	imgtool_sign("signer:release", "1.2.4", rogue);
	j = verify_json(1, "verify.not_recorded", fx.dir, "--config", fx.fw.git.config, rogue,
	                NULL);
	snprintf(digest, sizeof(digest), "%s",
	         jstr(mcr_verify_data_item(j, "image", "digest", NULL), "hex", NULL));
	snprintf(sig, sizeof(sig), "%s", jstr(j, "image", "signature_sha256"));
	cJSON_Delete(j);
	mcr_test_sh_ok(
	        "body=$(sqlite3 '%s' 'SELECT body FROM events WHERE seq = 1' | sed s/%s/%s/) "
	        "&& jq --arg b \"$body\" --arg d %s --arg s %s '"
	        ".predicate.runDetails.byproducts[0].digest.sha256 = $d | "
	        ".predicate.runDetails.byproducts[1].digest.sha256 = $s | " AUDIT_BYPRODUCT
	        ".inclusion_proof |= {type: \"mcurelease.audit.consistency/v1\", log, "
	        "old_size: 0, old_root: \"" ZERO64 "\", tree_size, path: [], checkpoint, "
	        "event: (.event | .body = $b)}' '%s.intoto.json' > '%s.intoto.json'",
	        fx.audit_db, genuine_digest, digest, digest, sig, signed_bin, rogue);
	j = verify_json(1, "verify.bad_proof", fx.dir, "--key", fx.release_pub, "--log-key",
	                log_pub, rogue, NULL);
	ck_assert_ptr_nonnull(strstr(jstr(j, "message", NULL), "not an inclusion proof"));
	ck_assert(cJSON_IsNull(mcr_verify_data_item(j, "release", NULL))); /* nothing proven */
	cJSON_Delete(j);
	/* the genuine image with that provenance beside it is no better off */
	mcr_test_sh_ok("cp '%s.intoto.json' '%s.intoto.json'", rogue, signed_bin);
	j = verify_json(1, "verify.bad_proof", fx.dir, "--key", fx.release_pub, "--log-key",
	                log_pub, signed_bin, NULL);
	cJSON_Delete(j);
	free((char *)rogue);
	free((char *)genuine_digest);
}
END_TEST

/* A bundle whose proofs/3.json is the proof of another event (event 4, proven all right): it is
 * no proof of the release. Made with the log key, so verify-export has nothing to say. */
START_TEST(test_bundle_proof_of_another_event)
{
	struct mcr_test_result r;
	const char *bundle;
	cJSON *j;

	setup_release();
	mcr_test_mcr(&r, NULL, "audit", "checkpoint", "--config", fx.fw.git.config, NULL);
	ck_assert_msg(r.status == 0, "checkpoint: %.*s", (int)r.err.len, r.err.data);
	mcr_test_result_release(&r);
	bundle = strdup(export_bundle("bundle", "--product", "fw-test"));
	j = verify_json(0, "verify.genuine", fx.dir, "--config", fx.fw.git.config, "--bundle",
	                bundle, signed_bin, NULL);
	cJSON_Delete(j);
	mcr_test_sh_ok("cd '%s' && chmod -R u+w . && cp proofs/4.json proofs/3.json", bundle);
	resign_bundle_file(bundle, "proofs/3.json");
	j = verify_json(1, "verify.bad_proof", fx.dir, "--config", fx.fw.git.config, "--bundle",
	                bundle, signed_bin, NULL);
	ck_assert_ptr_nonnull(strstr(jstr(j, "message", NULL), "not of event 3"));
	cJSON_Delete(j);
	free((char *)bundle);
}
END_TEST

/* --- Unusable inputs beside a verdict ----------------------------------------------------------
 */

/* A junk provenance, or a --repo that is no repository, never hides an alarm. */
START_TEST(test_junk_inputs_keep_alarm)
{
	const char *rogue, *second;
	struct mcr_test_result r;
	cJSON *j;

	setup_release();
	rogue = strdup(in_dir("out/rogue.bin"));
	second = strdup(in_dir("out/second.bin"));
	imgtool_sign("signer:release", "1.2.4", rogue);
	imgtool_sign("signer:release", "1.2.3+0", second);

	/* junk beside a rogue image: still the alarm, the provenance says why it was not read */
	mcr_test_write(mcr_test_path("%s.intoto.json", rogue), "{}", 2);
	j = verify_json(1, "verify.not_recorded", fx.dir, "--config", fx.fw.git.config, rogue,
	                NULL);
	ck_assert_str_eq(jstr(j, "verdict", NULL), "alarm");
	ck_assert_str_eq(check_status(j, "provenance"), "skipped");
	ck_assert_ptr_nonnull(
	        strstr(jstr(mcr_verify_data_item(j, "checks", "provenance", NULL), "detail", NULL),
	               "not checked: provenance '"));
	cJSON_Delete(j);
	/* given explicitly, missing: the log still decides */
	j = verify_json(1, "verify.not_recorded", fx.dir, "--config", fx.fw.git.config,
	                "--provenance", in_dir("missing.intoto.json"), rogue, NULL);
	cJSON_Delete(j);

	/* a second signature checked in a --repo that is none: still the alarm */
	j = verify_json(1, "verify.signature_not_recorded", fx.dir, "--config", fx.fw.git.config,
	                "--repo", fx.dir, second, NULL);
	ck_assert_str_eq(check_status(j, "tag"), "skipped");
	ck_assert_ptr_nonnull(
	        strstr(jstr(mcr_verify_data_item(j, "checks", "tag", NULL), "detail", NULL),
	               "not checked: "));
	cJSON_Delete(j);

	/* nothing else to decide: the unusable input is the answer */
	verify_text(&r, 3, fx.dir, "--config", fx.fw.git.config, "--provenance",
	            in_dir("missing.intoto.json"), signed_bin, NULL);
	ck_assert(contains(&r.err, "missing.intoto.json"));
	mcr_test_result_release(&r);
	mcr_test_write(mcr_test_path("%s.intoto.json", signed_bin), "{}", 2);
	j = verify_json(3, "input", fx.dir, "--config", fx.fw.git.config, signed_bin, NULL);
	ck_assert_ptr_nonnull(strstr(jstr(j, "message", NULL), "not an mcurelease provenance"));
	cJSON_Delete(j);
	free((char *)rogue);
	free((char *)second);
}
END_TEST

/* --- Bundles of part of the log ------------------------------------------------------------------
 */

/*
 * Two signings of v1.2.3 a second apart, exported as two bundles by time (--until the first,
 * --since the second): what a bundle leaves out is not found there, never an alarm; what it
 * holds is genuine. A bundle of the whole log still raises the alarm.
 */
START_TEST(test_partial_bundles)
{
	const char *again, *rogue, *first, *later, *whole;
	struct mcr_test_result r;
	cJSON *j;

	setup_release();
	again = strdup(in_dir("out/again.bin"));
	rogue = strdup(in_dir("out/rogue.bin"));
	imgtool_sign("signer:release", "1.2.4", rogue);
	mcr_test_sh_ok("sleep 1"); /* the second signing's events in a later second */
	mcr_signfix_sign(&fx, &r, "v1.2.3", image, again, NULL);
	ck_assert_msg(r.status == 0, "sign again: %.*s", (int)r.err.len, r.err.data);
	mcr_test_result_release(&r);
	ck_assert_str_eq(recorded("$.kind", 5), "sign.idempotent");
	first = strdup(export_bundle("first", "--until", recorded("$.time", 4)));
	later = strdup(export_bundle("later", "--since", recorded("$.time", 5)));
	whole = strdup(export_bundle("whole", "--product", "fw-test"));

	/* events 1 to 4: the first signing is there, the second is not */
	verify_text(&r, 0, fx.dir, "--config", fx.fw.git.config, "--bundle", first, signed_bin,
	            NULL);
	ck_assert(contains(&r.out, "proven in the checkpoint of tree size 7 of "
	                           "'fw-test/mcurelease/fw-test'"));
	mcr_test_result_release(&r);
	j = verify_json(1, "verify.not_found", fx.dir, "--config", fx.fw.git.config, "--bundle",
	                first, again, NULL);
	ck_assert(!cJSON_IsTrue(mcr_verify_data_item(j, "alarm", NULL)));
	ck_assert_ptr_nonnull(strstr(jstr(j, "message", NULL), "events 1 to 4 of the 8"));
	cJSON_Delete(j);
	j = verify_json(1, "verify.not_found", fx.dir, "--config", fx.fw.git.config, "--bundle",
	                first, rogue, NULL);
	ck_assert(!cJSON_IsTrue(mcr_verify_data_item(j, "alarm", NULL)));
	cJSON_Delete(j);

	/* events 5 to 8: the other way round */
	j = verify_json(0, "verify.genuine", fx.dir, "--config", fx.fw.git.config, "--bundle",
	                later, again, NULL);
	ck_assert_int_eq(jint(j, "audit", "completed", "seq"), 7);
	cJSON_Delete(j);
	j = verify_json(1, "verify.not_found", fx.dir, "--config", fx.fw.git.config, "--bundle",
	                later, signed_bin, NULL);
	ck_assert_ptr_nonnull(strstr(jstr(j, "message", NULL), "events 5 to 8 of the 8"));
	cJSON_Delete(j);
	j = verify_json(1, "verify.not_found", fx.dir, "--config", fx.fw.git.config, "--bundle",
	                later, "--hash", file_sha256(signed_bin), NULL);
	cJSON_Delete(j);

	/* the whole log: the rogue image is the alarm it is */
	j = verify_json(1, "verify.not_recorded", fx.dir, "--config", fx.fw.git.config, "--bundle",
	                whole, rogue, NULL);
	ck_assert(cJSON_IsTrue(mcr_verify_data_item(j, "alarm", NULL)));
	cJSON_Delete(j);
	free((char *)again);
	free((char *)rogue);
	free((char *)first);
	free((char *)later);
	free((char *)whole);
}
END_TEST

/* The completion after the bundle's latest checkpoint (its checkpoint was never made): the
 * manifest vouches for it, and the verdict names the checkpoint the bundle has. */
START_TEST(test_bundle_after_checkpoint)
{
	struct mcr_test_result r;
	const char *bundle;

	setup_release();
	mcr_test_sh_ok("sqlite3 '%s' 'DROP TRIGGER checkpoints_no_delete; DELETE FROM checkpoints "
	               "WHERE size >= 3'",
	               fx.audit_db);
	bundle = strdup(export_bundle("bundle", "--product", "fw-test"));
	verify_text(&r, 0, fx.dir, "--config", fx.fw.git.config, "--bundle", bundle, signed_bin,
	            NULL);
	ck_assert(contains(&r.out, "proof        passed  event 3 comes after the bundle's latest "
	                           "checkpoint"));
	ck_assert(contains(&r.out, "checkpoint:  fw-test/mcurelease/fw-test, 1 events"));
	ck_assert(contains(&r.out, "request event 1 proven in the checkpoint of tree size 1 of "
	                           "'fw-test/mcurelease/fw-test'"));
	mcr_test_result_release(&r);
	free((char *)bundle);
}
END_TEST

/* --- Another encoding of the same signature -----------------------------------------------------
 */

/*
 * Rewrites the ECDSA signature TLV of an image (python3, integers only): "twin" replaces s by
 * n - s (P-256), "pad" appends zeros after the DER as imgtool --pad-sig does. Neither needs the
 * key, and MCUboot accepts both.
 */
static void rewrite_signature(const char *from, const char *to, const char *mode)
{
	mcr_test_sh_ok(
	        "python3 - '%s' '%s' %s <<'EOF'\n"
	        "import struct, sys\n"
	        "src, dst, mode = sys.argv[1:4]\n"
	        "b = open(src, 'rb').read()\n"
	        "hdr, prot, size = struct.unpack_from('<HHI', b, 8)\n"
	        "off = hdr + size + prot\n"
	        "magic, tot = struct.unpack_from('<HH', b, off)\n"
	        "assert magic == 0x6907\n"
	        "n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551\n"
	        "def der_int(x):\n"
	        "    v = x.to_bytes((x.bit_length() + 8) // 8, 'big')\n"
	        "    return bytes([2, len(v)]) + v\n"
	        "def rewrite(v):\n"
	        "    rl = v[3]; r = int.from_bytes(v[4:4 + rl], 'big')\n"
	        "    sl = v[5 + rl]; s = int.from_bytes(v[6 + rl:6 + rl + sl], 'big')\n"
	        "    if mode == 'pad':\n"
	        "        return v[:2 + v[1]] + bytes(4)\n"
	        "    body = der_int(r) + der_int(n - s)\n"
	        "    return bytes([0x30, len(body)]) + body\n"
	        "out, p = b'', off + 4\n"
	        "while p < off + tot:\n"
	        "    t, l = struct.unpack_from('<BxH', b, p)\n"
	        "    v = b[p + 4:p + 4 + l]\n"
	        "    if t == 0x22:\n"
	        "        v = rewrite(v)\n"
	        "    out += struct.pack('<BxH', t, len(v)) + v\n"
	        "    p += 4 + l\n"
	        "open(dst, 'wb').write(b[:off] + struct.pack('<HH', 0x6907, 4 + len(out)) + out + "
	        "b[off + tot:])\n"
	        "EOF",
	        from, to, mode);
}

START_TEST(test_signature_rewritten_is_still_ours)
{
	const char *twin, *padded;
	cJSON *j;

	setup_release();
	twin = strdup(in_dir("field/fw.signed.bin"));
	padded = strdup(in_dir("out/padded.bin"));
	mcr_test_sh_ok("mkdir -p '%s/field' && cp '%s.intoto.json' '%s/field/'", fx.dir, signed_bin,
	               fx.dir);
	rewrite_signature(signed_bin, twin, "twin");
	rewrite_signature(signed_bin, padded, "pad");
	ck_assert_str_ne(file_sha256(twin), file_sha256(signed_bin));
	ck_assert_int_eq(mcr_signfix_verify_image(twin, fx.release_pub), 0);
	ck_assert_int_eq(mcr_signfix_verify_image(padded, fx.release_pub), 0);

	/* the same signature as the log records: no second use of the key */
	j = verify_json(0, "verify.genuine", fx.dir, "--config", fx.fw.git.config, twin, NULL);
	ck_assert_str_ne(jstr(j, "image", "signature_sha256"),
	                 recorded("$.data.signature.sha256", 3));
	ck_assert_int_eq(jint(j, "audit", "completed", "seq"), 3);
	ck_assert_str_eq(check_status(j, "provenance"), "passed");
	cJSON_Delete(j);
	j = verify_json(0, "verify.genuine", fx.dir, "--config", fx.fw.git.config, padded, NULL);
	ck_assert_str_eq(jstr(j, "image", "signature_sha256"),
	                 recorded("$.data.signature.sha256", 3));
	cJSON_Delete(j);
	/* offline, against the provenance's signature */
	j = verify_json(0, "verify.genuine", in_dir("field"), "--key", fx.release_pub, "--log-key",
	                log_pub, "fw.signed.bin", NULL);
	ck_assert_str_eq(check_status(j, "signature"), "passed");
	cJSON_Delete(j);
	free((char *)twin);
	free((char *)padded);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("verify");
	TCase *genuine = tcase_create("genuine"), *not_ours = tcase_create("not_ours");
	TCase *record = tcase_create("record"), *lookups = tcase_create("lookups");

	tcase_set_timeout(genuine, 600);
	tcase_set_timeout(not_ours, 600);
	tcase_set_timeout(record, 600);
	tcase_set_timeout(lookups, 600);
	tcase_add_test(genuine, test_genuine_with_log);
	tcase_add_test(genuine, test_genuine_hex_found_from_work_tree);
	tcase_add_test(genuine, test_genuine_offline_provenance);
	tcase_add_test(genuine, test_genuine_after_signing_again);
	tcase_add_test(genuine, test_genuine_bundle);
	tcase_add_test(not_ours, test_signed_by_unknown_key);
	tcase_add_test(not_ours, test_out_of_band_signing_alarm);
	tcase_add_test(not_ours, test_second_signature_alarm);
	tcase_add_test(record, test_tampered_provenance);
	tcase_add_test(record, test_truncated_log);
	tcase_add_test(record, test_tag_moved_and_deleted);
	tcase_add_test(record, test_forged_provenance_consistency);
	tcase_add_test(record, test_bundle_proof_of_another_event);
	tcase_add_test(record, test_bundle_after_checkpoint);
	tcase_add_test(not_ours, test_signature_rewritten_is_still_ours);
	tcase_add_test(lookups, test_junk_inputs_keep_alarm);
	tcase_add_test(lookups, test_partial_bundles);
	tcase_add_test(lookups, test_hash_lookups);
	tcase_add_test(lookups, test_unusable_inputs);
	suite_add_tcase(s, genuine);
	suite_add_tcase(s, not_ours);
	suite_add_tcase(s, record);
	suite_add_tcase(s, lookups);
	return mcr_test_main(s);
}
