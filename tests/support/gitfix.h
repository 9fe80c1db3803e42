/* Git fixtures: real repositories, OpenPGP and SSH keys, signed (and forged) tags, a config trusting them. */
#ifndef MCR_GITFIX_H
#define MCR_GITFIX_H

#include <stdbool.h>
#include <stddef.h>

struct mcr_tag_policy;

#define MCR_GITFIX_PATH_MAX 4096
#define MCR_GITFIX_OID_MAX 65
#define MCR_GITFIX_DIR_MAX 2048 /* shorter than a path, so DIR/<file> always fits */

/* An OpenPGP key in the fixture's GNUPGHOME. */
struct mcr_gitfix_gpg {
	char email[128];
	char fpr[41];				 /* primary-key fingerprint, upper-case hex */
	char keyring[MCR_GITFIX_PATH_MAX];	 /* its armored public key (what a policy trusts) */
	char faked_time[32];			 /* non-empty: sign with gpg --faked-system-time */
};

enum mcr_gitfix_key_state {
	MCR_GITFIX_KEY_VALID,
	MCR_GITFIX_KEY_EXPIRED, /* made in 2020, expired a day later; signs as of then */
	MCR_GITFIX_KEY_REVOKED, /* its keyring file carries the revocation certificate */
};

/* An SSH key pair. */
struct mcr_gitfix_ssh {
	char principal[128];
	char key[MCR_GITFIX_PATH_MAX]; /* private key (no passphrase) */
	char pub[MCR_GITFIX_PATH_MAX];
};

enum mcr_gitfix_format { MCR_GITFIX_UNSIGNED, MCR_GITFIX_OPENPGP, MCR_GITFIX_SSH };

/*
 * One test's world: a temp dir (mcr_test_tmpdir), a repository with one
 * commit, a trusted OpenPGP key and a trusted SSH key, and the trust files
 * a config points at. Tests change the trust fields, then call
 * mcr_gitfix_write_config (or mcr_gitfix_policy for unit tests).
 */
struct mcr_gitfix {
	char dir[MCR_GITFIX_DIR_MAX];
	char repo[MCR_GITFIX_PATH_MAX];		   /* work tree */
	char gnupghome[MCR_GITFIX_PATH_MAX];	   /* holds every secret key; exported as GNUPGHOME */
	char head[MCR_GITFIX_OID_MAX];		   /* the first commit */
	struct mcr_gitfix_gpg gpg;		   /* the trusted OpenPGP release manager */
	struct mcr_gitfix_ssh ssh;		   /* the trusted SSH release manager */
	/* trust, as the config will say it */
	char gpg_keyring[MCR_GITFIX_PATH_MAX];	   /* default: gpg.keyring */
	char fingerprints[4][41];		   /* default: gpg.fpr */
	char allowed_signers[MCR_GITFIX_PATH_MAX]; /* default: ssh with namespaces="git" */
	char revocations[MCR_GITFIX_PATH_MAX];	   /* default: none ("") */
	char pattern[256];			   /* default: none (the built-in pattern) */
	char pin_store[MCR_GITFIX_PATH_MAX];	   /* default: DIR/pins.json */
	char config[MCR_GITFIX_PATH_MAX];	   /* DIR/mcurelease.json once written */
	const char *fpr_list[5];		   /* for mcr_gitfix_policy */
};

/* Sets everything above up; fails the test if a step fails. Also sets GNUPGHOME. */
void mcr_gitfix_setup(struct mcr_gitfix *fx);

/* Another OpenPGP key in fx->gnupghome, exported to DIR/<name>.asc. */
void mcr_gitfix_gpg_key(struct mcr_gitfix_gpg *out, struct mcr_gitfix *fx, const char *name,
			enum mcr_gitfix_key_state state);
/* Another SSH key pair DIR/<name>, principal <name>@example.org. */
void mcr_gitfix_ssh_key(struct mcr_gitfix_ssh *out, struct mcr_gitfix *fx, const char *name);
/* Appends key to an allowed_signers file; options as in ssh-keygen(1), e.g. valid-before=... */
void mcr_gitfix_allow_ssh(const char *allowed_signers, const struct mcr_gitfix_ssh *key,
			  const char *options);

/* A new commit on the current branch (file changed); its id into oid. */
void mcr_gitfix_commit(char *oid, struct mcr_gitfix *fx, const char *message);

/* `git tag -s` (or -a when unsigned) the way a release manager would, at target (NULL: HEAD). */
void mcr_gitfix_git_tag(struct mcr_gitfix *fx, const char *name, enum mcr_gitfix_format format,
			const char *target);
/* The usual case in one call: mcr_gitfix_setup, then a signed tag name at HEAD. */
void mcr_gitfix_repo_with_signed_tag(struct mcr_gitfix *fx, const char *name,
				     enum mcr_gitfix_format format);

/* A tag object built by hand, for forgeries. Zeroed fields take the defaults. */
struct mcr_gitfix_tag {
	const char *name;		  /* the "tag" header (required) */
	const char *target;		  /* default: fx->head */
	const char *type;		  /* default: "commit" */
	long long tagger_time;		  /* default (0): now */
	const char *message;		  /* default: "Release <name>\n" */
	enum mcr_gitfix_format format;	  /* how to sign */
	const struct mcr_gitfix_gpg *gpg; /* default: &fx->gpg */
	const struct mcr_gitfix_gpg *also_gpg; /* a second signer in the same block (gpg -u A -u B) */
	const struct mcr_gitfix_ssh *ssh; /* default: &fx->ssh */
	const char *payload_suffix;	  /* appended to the payload after signing (tampering) */
	const char *after_signature;	  /* appended after the signature block */
	bool flip_signature_byte;	  /* corrupt one base64 character of the signature */
};

/* Writes the tag object (git mktag, or hash-object --literally if mktag refuses); id into oid. */
void mcr_gitfix_tag_object(char *oid, struct mcr_gitfix *fx, const struct mcr_gitfix_tag *tag);
/* Points refname (e.g. "refs/tags/v1.0.0") at oid, forcing. */
void mcr_gitfix_set_ref(struct mcr_gitfix *fx, const char *refname, const char *oid);

/* Writes fx->config from the trust fields; returns its path. */
const char *mcr_gitfix_write_config(struct mcr_gitfix *fx);
/* The same trust as a struct, for unit tests; borrowed from fx. */
void mcr_gitfix_policy(struct mcr_gitfix *fx, struct mcr_tag_policy *out);

/* `git verify-tag NAME` in fx->repo with fx's GNUPGHOME and allowed signers: its exit status. */
int mcr_gitfix_git_verify_tag(struct mcr_gitfix *fx, const char *name);

/* Runs a shell script in fx->repo (GNUPGHOME set) and returns its first stdout line in out. */
void mcr_gitfix_sh_line(char *out, size_t out_len, struct mcr_gitfix *fx, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
