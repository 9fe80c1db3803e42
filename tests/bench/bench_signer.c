/*
 * Benchmark: the signer interface's per-signature overhead over a raw PKCS#11 C_Sign loop,
 * on a SoftHSM2 token made for the run (P-256 and RSA-3072). The raw loop talks to the
 * module directly; the mcurelease path adds encoding and the verification of every
 * signature against the pinned public key. Prints figures, asserts nothing.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

#include "buf.h"
#include "signer.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int run(const char *cmd)
{
	int status = system(cmd);

	if (status != 0)
		fprintf(stderr, "bench: '%s' failed\n", cmd);
	return status;
}

/* Per-signature time of a bare C_SignInit + C_Sign loop on the key labelled label. */
static double raw_loop(const char *label, CK_MECHANISM *mech, size_t digest_len, int n)
{
	void *dl = dlopen(MODULE, RTLD_NOW);
	CK_FUNCTION_LIST_PTR fn;
	CK_C_GetFunctionList get;
	CK_SLOT_ID slots[8];
	CK_ULONG nslots = 8, found = 0, sig_len;
	CK_SESSION_HANDLE s;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[2] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_LABEL, (void *)label, strlen(label)}};
	CK_OBJECT_HANDLE key;
	CK_TOKEN_INFO info;
	unsigned char digest[48] = {1}, sig[512];
	double start;

	*(void **)&get = dlsym(dl, "C_GetFunctionList");
	get(&fn);
	fn->C_Initialize(NULL);
	fn->C_GetSlotList(CK_TRUE, slots, &nslots);
	for (CK_ULONG i = 0; i < nslots; i++)
		if (fn->C_GetTokenInfo(slots[i], &info) == CKR_OK && (info.flags & CKF_TOKEN_INITIALIZED))
			fn->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL, &s);
	fn->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "1234", 4);
	fn->C_FindObjectsInit(s, tmpl, 2);
	fn->C_FindObjects(s, &key, 1, &found);
	fn->C_FindObjectsFinal(s);
	start = now_ms();
	for (int i = 0; i < n; i++) {
		sig_len = sizeof(sig);
		digest[0] = (unsigned char)i;
		if (fn->C_SignInit(s, mech, key) != CKR_OK ||
		    fn->C_Sign(s, digest, digest_len, sig, &sig_len) != CKR_OK) {
			fprintf(stderr, "bench: raw C_Sign failed\n");
			exit(1);
		}
	}
	start = (now_ms() - start) / n;
	fn->C_Logout(s);
	fn->C_CloseSession(s);
	fn->C_Finalize(NULL);
	dlclose(dl);
	return start;
}

/* Per-signature time through mcr_signer_sign_digest, and the time to open the signer. */
static double signer_loop(const char *label, const char *pin_file, int n, double *open_ms)
{
	struct mcr_signer_config cfg = {0};
	struct mcr_signer *signer = NULL;
	struct mcr_buf sig = MCR_BUF_INIT;
	char uri[256];
	enum mcr_hash_alg alg;
	unsigned char digest[48] = {2};
	double start;

	snprintf(uri, sizeof(uri), "pkcs11:token=bench;object=%s", label);
	cfg.name = label;
	cfg.backend = "pkcs11";
	cfg.pkcs11_uri = uri;
	cfg.pkcs11_module = MODULE;
	cfg.pkcs11_pin_file = pin_file;
	start = now_ms();
	if (mcr_signer_open(&signer, &cfg) < 0) {
		fprintf(stderr, "bench: cannot open signer '%s'\n", label);
		exit(1);
	}
	*open_ms = now_ms() - start;
	alg = mcr_key_default_hash(mcr_key_type(mcr_signer_key(signer)));
	start = now_ms();
	for (int i = 0; i < n; i++) {
		mcr_buf_truncate(&sig, 0);
		digest[0] = (unsigned char)i;
		if (mcr_signer_sign_digest(signer, alg, digest, mcr_hash_len(alg), NULL, &sig) < 0) {
			fprintf(stderr, "bench: signing failed\n");
			exit(1);
		}
	}
	start = (now_ms() - start) / n;
	mcr_buf_release(&sig);
	mcr_signer_free(signer);
	return start;
}

int main(void)
{
	char dir[] = "/tmp/mcr-bench-hsm-XXXXXX", cmd[8192], pin[256], conf[256];
	CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA256, CKG_MGF1_SHA256, 32};
	CK_MECHANISM ecdsa = {CKM_ECDSA, NULL, 0}, rsa = {CKM_RSA_PKCS_PSS, &pss, sizeof(pss)};
	double raw, ours, open_ms;

	if (!mkdtemp(dir))
		return 1;
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
	snprintf(pin, sizeof(pin), "%s/pin", dir);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/tokens && printf 'directories.tokendir = %s/tokens\\nobjectstore.backend = file\\n"
		 "log.level = ERROR\\n' > %s && printf '1234\\n' > %s", dir, dir, conf, pin);
	setenv("SOFTHSM2_CONF", conf, 1);
	if (run(cmd) || run("softhsm2-util --init-token --free --label bench --so-pin 12345678 --pin 1234 >/dev/null") ||
	    run("pkcs11-tool --module " MODULE " --token-label bench --login --pin 1234 --keypairgen "
		"--key-type EC:prime256v1 --id 01 --label p256 >/dev/null 2>&1") ||
	    run("pkcs11-tool --module " MODULE " --token-label bench --login --pin 1234 --keypairgen "
		"--key-type rsa:3072 --id 02 --label rsa3072 >/dev/null 2>&1"))
		return 1;
	printf("SoftHSM2 token, per signature (mean over the loop)\n");
	printf("%-10s %12s %16s %12s %14s\n", "key", "raw C_Sign", "mcurelease sign", "overhead", "signer open");
	raw = raw_loop("p256", &ecdsa, 32, 2000);
	ours = signer_loop("p256", pin, 2000, &open_ms);
	printf("%-10s %9.3f ms %13.3f ms %9.3f ms %11.2f ms\n", "P-256", raw, ours, ours - raw, open_ms);
	raw = raw_loop("rsa3072", &rsa, 32, 200);
	ours = signer_loop("rsa3072", pin, 200, &open_ms);
	printf("%-10s %9.3f ms %13.3f ms %9.3f ms %11.2f ms\n", "RSA-3072", raw, ours, ours - raw, open_ms);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	run(cmd);
	return 0;
}
