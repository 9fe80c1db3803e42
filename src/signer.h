/* The signer interface: a key that lives elsewhere signs a digest; every signature is verified before use. */
#ifndef MCR_SIGNER_H
#define MCR_SIGNER_H

#include <stdbool.h>
#include <stddef.h>

#include "hash.h"
#include "key.h"

struct cJSON;
struct mcr_buf;

/*
 * A named signer's settings, as config.c reads them from the config file
 * (backends never read config keys themselves). Strings are owned by the
 * config. Only the fields of the signer's backend are set.
 */
struct mcr_signer_config {
	const char *name;	     /* "release", or the reference it was made from */
	const char *backend;	     /* "pkcs11", "vault-transit", "command", "file" */
	const char *public_key_path; /* PEM that pins the public key (optional for pkcs11, file) */
	const char *fingerprint;     /* SHA-256 of the public key bytes, pinned (optional) */
	const char *key_id;	     /* free text for reports and {key_id}: an ARN, a Vault key name */
	unsigned timeout_ms;	     /* for remote backends; 0: the backend's default */

	const char *file_path; /* file: PEM private key (development only) */

	const char *pkcs11_uri;		/* pkcs11: RFC 7512 URI (module-path, pin-source inside or below) */
	const char *pkcs11_module;	/* pkcs11: module path when the URI has none */
	const char *pkcs11_pin_file;	/* pkcs11: file holding the PIN (one trailing newline stripped) */
	const char *pkcs11_pin_env;	/* pkcs11: name of an environment variable holding the PIN */

	const char *vault_addr;	      /* vault-transit: https://vault.example:8200 */
	const char *vault_mount;      /* vault-transit: "transit" by default */
	const char *vault_key;	      /* vault-transit: key name */
	const char *vault_token_file; /* vault-transit: file holding the token */
	const char *vault_token_env;  /* vault-transit: environment variable holding the token */
	const char *vault_namespace;  /* vault-transit: X-Vault-Namespace */
	const char *vault_ca_file;    /* vault-transit: CA bundle */
	long long vault_key_version;  /* vault-transit: 0 = latest */

	const char *const *command_argv;    /* command: argv, NULL-terminated, with placeholders */
	const char *const *command_env_pass; /* command: names of variables passed through */
	const char *command_input;	    /* command: "stdin" (default), "file", "none" */
	const char *command_output;	    /* command: "stdout" (default), "file" */
	const char *command_encoding;	    /* command: raw|base64|base64url|hex|vault */
	const char *command_ecdsa_format;   /* command: auto|der|raw */
	unsigned command_retries;	    /* command: retries on exit status 75 */
};

/* What a backend is asked to sign. */
struct mcr_sign_input {
	enum mcr_key_type key_type;
	enum mcr_hash_alg hash_alg;
	/* For RSA and ECDSA: the prehashed digest (32 or 48 bytes). */
	const unsigned char *digest;
	size_t digest_len;
	/*
	 * For Ed25519: the message itself. For an MCUboot image it is the digest
	 * bytes (plain Ed25519 over them, never Ed25519ph); for a checkpoint note
	 * it is the note text.
	 */
	const unsigned char *message;
	size_t message_len;
	const char *request_id; /* a UUID, passed to remote services for correlation */
};

/*
 * One backend. A small constant table: signer.c finds it by name and is the
 * only caller of these pointers. Backends never see images, tags or the log.
 */
struct mcr_signer_backend {
	const char *name;
	bool is_dev; /* keys of this backend are development keys, never for releases */
	/* Opens from cfg; *state is the backend's own. Messages name cfg->name. */
	int (*open)(void **state, const struct mcr_signer_config *cfg);
	/*
	 * The public key as the backend itself knows it (token attributes, the
	 * PEM), or *out = NULL if it cannot tell (then the config must pin one).
	 */
	int (*public_key)(void *state, struct mcr_key **out);
	/* Appends the signature to sig as the backend got it, and says how ECDSA is encoded. */
	int (*sign)(void *state, const struct mcr_sign_input *in, struct mcr_buf *sig,
		    enum mcr_sig_format *format);
	/* Adds non-secret identity facts (module, token serial, key id, version) to a JSON object. */
	int (*describe)(void *state, struct cJSON *into);
	void (*close)(void *state);
};

/* An open signer: a backend, its state, and the pinned public key. Opaque. */
struct mcr_signer;

/*
 * Opens the signer cfg describes and pins its public key: the configured PEM,
 * the backend's own, or both (they must agree), and the fingerprint if set.
 * MCR_EINPUT for a bad config, MCR_ESIGNER if the backend cannot be reached.
 */
int mcr_signer_open(struct mcr_signer **out, const struct mcr_signer_config *cfg);

/* Opens a development signer for a PEM private key file (imgtool --key FILE). */
int mcr_signer_open_pem(struct mcr_signer **out, const char *path);

/*
 * Opens the signer a --key value names: "signer:NAME" from the config
 * (config_path, else found as mcr_config_load finds it), an RFC 7512
 * "pkcs11:" URI, or else a PEM private key file (a development key).
 */
int mcr_signer_open_ref(struct mcr_signer **out, const char *ref, const char *config_path);

void mcr_signer_free(struct mcr_signer *signer);

/* Borrowed: the pinned public key. */
const struct mcr_key *mcr_signer_key(const struct mcr_signer *signer);
const char *mcr_signer_name(const struct mcr_signer *signer);
const char *mcr_signer_backend_name(const struct mcr_signer *signer);
bool mcr_signer_is_dev(const struct mcr_signer *signer);
/* SHA-256 fingerprint of the pinned public key bytes (64 hex digits). */
const char *mcr_signer_fingerprint(const struct mcr_signer *signer);
/* Adds {name, backend, key_type, fingerprint, dev, ...backend facts} to into. */
int mcr_signer_describe(const struct mcr_signer *signer, struct cJSON *into);

/*
 * Signs an image digest (hash_alg must suit the key) and returns, in sig, the
 * signature TLV value: normalised (ECDSA as DER, RSA at modulus length) and
 * verified against the pinned key with MCUboot's parameters. A reply that
 * does not verify is MCR_ESIGNER, never an output. For Ed25519 the message is
 * the digest bytes.
 */
int mcr_signer_sign_digest(struct mcr_signer *signer, enum mcr_hash_alg hash_alg,
			   const unsigned char *digest, size_t digest_len, const char *request_id,
			   struct mcr_buf *sig);

/*
 * Signs a message (pure Ed25519 images, checkpoint notes): Ed25519 signs the
 * bytes; ECDSA and RSA sign the SHA-256 (P-384: SHA-384) of them. Verified
 * like mcr_signer_sign_digest.
 */
int mcr_signer_sign_message(struct mcr_signer *signer, const unsigned char *message,
			    size_t message_len, const char *request_id, struct mcr_buf *sig);

/* Wall time of the last sign call, in milliseconds. */
double mcr_signer_last_latency_ms(const struct mcr_signer *signer);

#endif
