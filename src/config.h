/* The config file (mcurelease.json) read and validated into struct mcr_config; no other file reads config keys. */
#ifndef MCR_CONFIG_H
#define MCR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "signer.h"

/*
 * Where the config comes from: --config, else $MCURELEASE_CONFIG, else
 * mcurelease.json at the root of the repository around the current directory.
 * Relative paths inside it are resolved against the config file's directory.
 * Schema: schemas/config.schema.json. Every key is listed below beside the
 * field it fills; unknown keys are refused so that typos do not pass silently.
 */

/* The release tag pattern when the config names none: v1.4.0 or v1.4.0+7. */
#define MCR_DEFAULT_TAG_PATTERN "^v[0-9]+\\.[0-9]+\\.[0-9]+(\\+[0-9]+)?$"

/* "policy"."tag": how release tags are judged (git gate). */
struct mcr_tag_policy {
	const char *pattern;		   /* "pattern": POSIX ERE the tag name must match; default ^v[0-9]+\.[0-9]+\.[0-9]+(\+[0-9]+)?$ */
	const char *const *gpg_fingerprints; /* "gpg_fingerprints": trusted OpenPGP primary-key or subkey fingerprints */
	const char *gpg_keyring;	   /* "gpg_keyring": armored or binary public keys of those signers */
	const char *ssh_allowed_signers;   /* "ssh_allowed_signers": allowed_signers file (git's format) */
	const char *ssh_revocations;	   /* "ssh_revocations": optional KRL or revoked-keys file */
	const char *pin_store;		   /* "pin_store": file pinning the first tag object accepted per name */
};

/* "policy"."builders": reproducible-build quorum. */
struct mcr_builder_policy {
	unsigned quorum;		 /* "quorum": distinct trusted builders that must agree; default 1 */
	const char *allowed_signers;	 /* "allowed_signers": ssh allowed_signers of builder keys */
};

/* "policy": release decisions. */
struct mcr_policy {
	struct mcr_tag_policy tag;	   /* "tag" */
	struct mcr_builder_policy builders; /* "builders" */
	const char *release_signer;	   /* "release_signer": name in "signers" used by 'sign'; default "release" */
	const char *const *allowed_algorithms; /* "allowed_algorithms": key type names; NULL = all five */
	unsigned min_strength_bits;	   /* "min_strength_bits": default 128 */
	bool allow_dev_keys;		   /* "allow_dev_keys": file signers may sign releases; default false */
	const char *security_counter;	   /* "security_counter": "auto" (from version, never decreasing), "none", or a number; default "auto" */
};

/* "image": how release images are laid out (imgtool sign options). */
struct mcr_image_config {
	unsigned long header_size; /* "header_size": default 0x200 */
	bool pad_header;	   /* "pad_header": default false (Zephyr leaves the gap) */
	unsigned long slot_size;   /* "slot_size": required for signing */
	unsigned align;		   /* "align": default 4 */
	unsigned max_align;	   /* "max_align": 0 = imgtool's default */
	unsigned max_sectors;	   /* "max_sectors": default 128 */
	bool pad;		   /* "pad" */
	bool confirm;		   /* "confirm" */
	bool overwrite_only;	   /* "overwrite_only" */
	unsigned erased_val;	   /* "erased_val": 0xff or 0 */
	const char *public_key_format; /* "public_key_format": "hash" (default) or "full" */
	bool has_hex_addr;
	unsigned long hex_addr;	   /* "hex_addr": base address of .hex output */
	bool version_from_tag;	   /* "version_from_tag": default true */
	unsigned long load_addr;   /* "load_addr": 0 = none */
};

/* "build": what 'mcurelease build' runs. */
struct mcr_build_config {
	const char *const *command;   /* "command": argv run in the checkout */
	const char *const *artifacts; /* "artifacts": paths relative to the checkout */
	const char *const *env_pass;  /* "env_pass": variables passed through to the build */
	const char *builder_id;	      /* "builder_id": this machine's builder identity */
	const char *signing_key;      /* "signing_key": ssh private key that signs build records */
	const char *work_dir;	      /* "work_dir": where checkouts go; default $TMPDIR */
};

/* "audit": the log. */
struct mcr_audit_config {
	const char *database;	     /* "database": SQLite file; default mcurelease-audit.db beside the config */
	const char *log_id;	     /* "log_id": the log's name in checkpoint origins; default = product */
	const char *log_signer;	     /* "log_signer": name in "signers" that signs checkpoints */
	const char *checkpoint_file; /* "checkpoint_file": where the latest checkpoint is published */
	const char *checkpoint_ref;  /* "checkpoint_ref": git ref for checkpoints; default none */
	const char *checkpoint_repo; /* "checkpoint_repo": repository of that ref; default: the
					command's repository, else around the config's directory */
};

struct mcr_config {
	const char *path;    /* the file it was read from */
	const char *dir;     /* its directory, for relative paths */
	const char *product; /* "product": required, e.g. "acme-sensor" */
	struct mcr_signer_config *signers; /* "signers": object of name -> signer section */
	size_t signer_count;
	struct mcr_policy policy;	/* "policy" */
	struct mcr_image_config image;	/* "image" */
	struct mcr_build_config build;	/* "build" */
	struct mcr_audit_config audit;	/* "audit" */
	void *storage; /* owns every string above */
};

/*
 * Finds and loads the config (see above). explicit_path is --config or NULL.
 * MCR_EINPUT naming the file and the bad key for anything invalid; a missing
 * file when none was named is MCR_EINPUT too ("no config found ...").
 * The caller frees *out with mcr_config_free.
 */
int mcr_config_load(struct mcr_config **out, const char *explicit_path);
/* As mcr_config_load, but when none is named and none is found: 0 with *out NULL. */
int mcr_config_load_optional(struct mcr_config **out, const char *explicit_path);
/* Loads exactly path. */
int mcr_config_load_file(struct mcr_config **out, const char *path);
void mcr_config_free(struct mcr_config *config);

/* The named signer's settings, or NULL. Borrowed from config. */
/*
 * The repository audit.checkpoint_ref lives in: given (a --repo on the command line), else
 * audit.checkpoint_repo, else the one around the config file's directory.
 */
const char *mcr_config_checkpoint_repo(const struct mcr_config *config, const char *given);

const struct mcr_signer_config *mcr_config_signer(const struct mcr_config *config,
						  const char *name);

#endif
