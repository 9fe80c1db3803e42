/* The keys verify trusts: the release keys an image may be signed with, and the log's key. */
#ifndef MCR_VERIFY_KEYS_H
#define MCR_VERIFY_KEYS_H

#include <stdbool.h>
#include <stddef.h>

struct mcr_config;
struct mcr_key;

#define MCR_VERIFY_KEYS_MAX 32

/* A trusted release key and where it comes from. */
struct mcr_verify_key {
	struct mcr_key *key; /* public only */
	char *name;          /* the config's signer name, or the --key file */
	char *backend;       /* the signer's backend ("pkcs11", "file", ...); NULL for --key */
	bool is_dev;         /* a development key (a file signer) */
	char fingerprint[65];
};

/* A plain struct; zero it to start, release it after. */
struct mcr_verify_keys {
	struct mcr_verify_key items[MCR_VERIFY_KEYS_MAX];
	size_t count;
};

/*
 * The keys of paths (PEM files, public or private; only the public half is
 * kept), or without paths those of config's signers, except its log signer,
 * that pin a public key (public_key, or a file signer's PEM). A signer that
 * pins none (a key known only by asking its token or vault) is left out, with
 * a note under -v: verify trusts what the config pins, never what a signer
 * says. MCR_EINPUT naming the file for an unreadable key.
 */
int mcr_verify_keys_load(struct mcr_verify_keys *out, const struct mcr_config *config,
                         const char *const *paths, size_t count);
void mcr_verify_keys_release(struct mcr_verify_keys *keys);

/*
 * The log's public key: path (a PEM), else the key pinned for config's
 * audit.log_signer; *out stays NULL if neither names one. MCR_EINPUT for an
 * unreadable key or a log signer that pins none.
 */
int mcr_verify_keys_log(struct mcr_key **out, const struct mcr_config *config, const char *path);

#endif
