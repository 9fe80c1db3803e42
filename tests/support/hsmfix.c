/* SoftHSM2 token fixture: real token, real keys, driven through softhsm2-util, pkcs11-tool and p11tool. */
#include "hsmfix.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "testutil.h"

const char *const mcr_hsmfix_types[5][3] = {
	{"EC:prime256v1", "ec256", "ecdsa-p256"},
	{"EC:secp384r1", "ec384", "ecdsa-p384"},
	{"rsa:2048", "rsa2048", "rsa-2048"},
	{"rsa:3072", "rsa3072", "rsa-3072"},
	{"EC:edwards25519", "ed25519", "ed25519"},
};

void mcr_hsmfix_init(struct mcr_hsmfix *hsm, const char *dir)
{
	FILE *f;

	snprintf(hsm->dir, sizeof(hsm->dir), "%s", dir);
	snprintf(hsm->conf, sizeof(hsm->conf), "%s/softhsm2.conf", dir);
	snprintf(hsm->pin_file, sizeof(hsm->pin_file), "%s/user.pin", dir);
	mcr_test_sh_ok("mkdir -p '%s/tokens'", dir);
	f = fopen(hsm->conf, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\n"
		   "log.level = ERROR\nslots.removable = false\n", dir);
	fclose(f);
	mcr_test_write(hsm->pin_file, MCR_HSMFIX_PIN "\n", strlen(MCR_HSMFIX_PIN) + 1);
	chmod(hsm->pin_file, 0600);
	setenv("SOFTHSM2_CONF", hsm->conf, 1);
	mcr_test_sh_ok("softhsm2-util --init-token --free --label %s --so-pin %s --pin %s >/dev/null",
		       MCR_HSMFIX_TOKEN, MCR_HSMFIX_SO_PIN, MCR_HSMFIX_PIN);
}

/*
 * The token's public key as PEM, without mcurelease: RSA read with pkcs11-tool; EC and
 * Ed25519 built from CKA_EC_POINT (listed by pkcs11-tool) and the fixed SubjectPublicKeyInfo
 * prefix of the curve. (p11tool would do it too, but sleeps 3 s per call.)
 */
static void export_public(struct mcr_hsmfix *hsm, const char *type, const char *label)
{
	const char *prefix = !strcmp(type, "EC:prime256v1") ? "3059301306072a8648ce3d020106082a8648ce3d030107034200" :
			     !strcmp(type, "EC:secp384r1") ? "3076301006072a8648ce3d020106052b81040022036200" :
			     !strcmp(type, "EC:edwards25519") ? "302a300506032b6570032100" : NULL;

	if (!prefix) {
		mcr_test_sh_ok("cd '%s' && pkcs11-tool --module %s --token-label %s --read-object --type pubkey "
			       "--label %s -o %s.pub.der >/dev/null 2>&1 && "
			       "(openssl pkey -pubin -inform DER -in %s.pub.der -out %s.pub.pem 2>/dev/null || "
			       "openssl rsa -RSAPublicKey_in -inform DER -in %s.pub.der -pubout -out %s.pub.pem 2>/dev/null)",
			       hsm->dir, MCR_HSMFIX_MODULE, MCR_HSMFIX_TOKEN, label, label, label, label, label,
			       label);
		return;
	}
	/* the point may come wrapped in a DER OCTET STRING (04 len ...) or bare */
	mcr_test_sh_ok("cd '%s' && point=$(pkcs11-tool --module %s --token-label %s --list-objects --type pubkey 2>/dev/null | "
		       "awk '/EC_POINT:/ {p=$2} /label:/ {if ($2 == \"%s\") {print p; exit}}') && "
		       "case $point in 0441*|0461*|0420*) point=${point#????};; esac && "
		       "printf '%%s%%s' %s \"$point\" | xxd -r -p | openssl pkey -pubin -inform DER -out %s.pub.pem",
		       hsm->dir, MCR_HSMFIX_MODULE, MCR_HSMFIX_TOKEN, label, prefix, label);
}

void mcr_hsmfix_keygen(struct mcr_hsmfix *hsm, const char *type, const char *id_hex,
		       const char *label)
{
	mcr_test_sh_ok("pkcs11-tool --module %s --token-label %s --login --pin %s --keypairgen "
		       "--key-type %s --id %s --label %s >/dev/null 2>&1",
		       MCR_HSMFIX_MODULE, MCR_HSMFIX_TOKEN, MCR_HSMFIX_PIN, type, id_hex, label);
	export_public(hsm, type, label);
}

void mcr_hsmfix_import(struct mcr_hsmfix *hsm, const char *pem_path, const char *id_hex,
		       const char *label)
{
	(void)hsm;
	mcr_test_sh_ok("softhsm2-util --import '%s' --token %s --label %s --id %s --pin %s >/dev/null",
		       pem_path, MCR_HSMFIX_TOKEN, label, id_hex, MCR_HSMFIX_PIN);
}

void mcr_hsmfix_keygen_all(struct mcr_hsmfix *hsm)
{
	static const char *const ids[] = {"01", "02", "03", "04", "05"};

	for (int i = 0; i < 5; i++)
		mcr_hsmfix_keygen(hsm, mcr_hsmfix_types[i][0], ids[i], mcr_hsmfix_types[i][1]);
}

const char *mcr_hsmfix_uri(const char *label)
{
	return mcr_test_path("pkcs11:token=%s;object=%s;type=private", MCR_HSMFIX_TOKEN, label);
}

const char *mcr_hsmfix_config(struct mcr_hsmfix *hsm, ...)
{
	static char path[4200];
	struct mcr_buf text = MCR_BUF_INIT;
	const char *name, *label;
	bool first = true;
	va_list ap;

	mcr_buf_addf(&text, "{\"product\":\"hsm-test\",\"signers\":{");
	va_start(ap, hsm);
	while ((name = va_arg(ap, const char *)) && (label = va_arg(ap, const char *))) {
		mcr_buf_addf(&text, "%s\"%s\":{\"type\":\"pkcs11\",\"uri\":\"%s\",\"module\":\"%s\","
				    "\"pin_file\":\"%s\"}",
			     first ? "" : ",", name, mcr_hsmfix_uri(label), MCR_HSMFIX_MODULE,
			     hsm->pin_file);
		first = false;
	}
	va_end(ap);
	mcr_buf_addf(&text, "}}\n");
	snprintf(path, sizeof(path), "%s/mcurelease.json", hsm->dir);
	mcr_test_write(path, text.data, text.len);
	mcr_buf_release(&text);
	return path;
}
