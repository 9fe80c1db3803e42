/* Test fixture: a real SoftHSM2 token in a temp dir, with keys generated on it or imported. */
#ifndef MCR_HSMFIX_H
#define MCR_HSMFIX_H

#include <stdbool.h>

#define MCR_HSMFIX_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define MCR_HSMFIX_TOKEN "mcr-test"
#define MCR_HSMFIX_PIN "pin-7731-q" /* distinctive: tests search outputs for it */
#define MCR_HSMFIX_SO_PIN "12345678"

struct mcr_hsmfix {
	char dir[4096];	     /* holds softhsm2.conf, tokens/, pin files, exported keys */
	char conf[4200];     /* exported as SOFTHSM2_CONF for this process and its children */
	char pin_file[4200]; /* the user PIN followed by a newline, as people write PIN files */
};

/* Creates a fresh, initialised token "mcr-test" (user PIN MCR_HSMFIX_PIN) under dir; fails the test otherwise. */
void mcr_hsmfix_init(struct mcr_hsmfix *hsm, const char *dir);

/*
 * Generates a key pair on the token with pkcs11-tool: type "EC:prime256v1",
 * "EC:secp384r1", "rsa:2048", "rsa:3072" or "EC:edwards25519"; id in hex.
 * Also writes the public key as PEM to <dir>/<label>.pub.pem, exported with
 * pkcs11-tool and openssl, independently of mcurelease.
 */
void mcr_hsmfix_keygen(struct mcr_hsmfix *hsm, const char *type, const char *id_hex,
		       const char *label);

/* Imports a PKCS#8 private key PEM as label/id (softhsm2-util --import). */
void mcr_hsmfix_import(struct mcr_hsmfix *hsm, const char *pem_path, const char *id_hex,
		       const char *label);

/* The five MCUboot key types: index -> pkcs11-tool type, label, mcurelease key type name. */
extern const char *const mcr_hsmfix_types[5][3];

/* Generates all five types, ids 01..05, labels "ec256", "ec384", "rsa2048", "rsa3072", "ed25519". */
void mcr_hsmfix_keygen_all(struct mcr_hsmfix *hsm);

/* "pkcs11:token=mcr-test;object=LABEL;type=private" (static storage, rotating like mcr_test_path). */
const char *mcr_hsmfix_uri(const char *label);

/*
 * Writes a config file <dir>/mcurelease.json with product "hsm-test" and one
 * pkcs11 signer per name/label pair given (NULL-terminated: name, label, ...),
 * PIN from pin_file; returns its path (static storage).
 */
const char *mcr_hsmfix_config(struct mcr_hsmfix *hsm, ...);

#endif
