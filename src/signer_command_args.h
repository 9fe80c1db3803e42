/* The command signer's request side: placeholders in its argv and the environment it runs with. */
#ifndef MCR_SIGNER_COMMAND_ARGS_H
#define MCR_SIGNER_COMMAND_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "key.h"

/*
 * What the placeholders of one sign request stand for. Strings are borrowed;
 * digest_file is NULL when nothing was written to disk (input "none").
 */
struct mcr_signer_command_request {
	const unsigned char *data; /* the bytes to sign: the digest, or Ed25519's message */
	size_t data_len;
	const char *hash;       /* {hash}: "sha256", "sha384" or "sha512" */
	const char *alg;        /* {alg}: mcr_signer_command_args_alg() */
	const char *key_id;     /* {key_id}: NULL when the config has none */
	const char *request_id; /* {request_id} */
	const char *digest_file;
	const char *sig_file;
};

/*
 * Checks a configured argv before anything runs: every "{name}" made of
 * lowercase letters, digits and '_' must be a known placeholder (other braces, as in
 * a JSON body, are literal), argv[0] holds none, {key_id} needs has_key_id
 * and {digest_file} needs has_digest_file. MCR_EINPUT naming signer.
 */
int mcr_signer_command_args_check(const char *const *argv, bool has_key_id, bool has_digest_file,
                                  const char *signer);

/*
 * Copies argv with every placeholder, whole or inside an element, replaced by
 * its value from req; nothing else is interpreted. *out is NULL-terminated;
 * free it with mcr_signer_command_args_free.
 */
int mcr_signer_command_args_expand(char ***out, const char *const *argv,
                                   const struct mcr_signer_command_request *req);

/*
 * The child's whole environment: PATH, HOME and LANG from ours;
 * MCURELEASE_DIGEST_HEX, MCURELEASE_HASH, MCURELEASE_ALG, MCURELEASE_KEY_ID,
 * MCURELEASE_REQUEST_ID, MCURELEASE_SIG_FILE and MCURELEASE_DIGEST_FILE (when
 * written) from req; then the variables env_pass names that are set. Each
 * name appears once and the earlier wins, so env_pass cannot override the
 * request. Passed values may be tokens: free with
 * mcr_signer_command_args_free, which wipes them.
 */
int mcr_signer_command_args_env(char ***out, const char *const *env_pass,
                                const struct mcr_signer_command_request *req);

/* Wipes and frees a vector from expand or env; NULL-safe. */
void mcr_signer_command_args_free(char **vec);

/* True if name can be an environment variable name ([A-Za-z_][A-Za-z0-9_]*). */
bool mcr_signer_command_args_env_name_ok(const char *name);

/* {alg} for a key type: "ecdsa-p256", "ecdsa-p384", "rsa-pss-2048", "rsa-pss-3072", "ed25519". */
const char *mcr_signer_command_args_alg(enum mcr_key_type type);

#endif
