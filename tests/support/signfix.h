/* Release fixtures: a firmware repository with a signed tag (fwfix), two reproducing
 * builders, a SoftHSM token holding the release key, a log key, and a config for 'sign'. */
#ifndef MCR_SIGNFIX_H
#define MCR_SIGNFIX_H

#include "fwfix.h"
#include "hsmfix.h"
#include "testutil.h"

#define MCR_SIGNFIX_FAKE MCR_TEST_SOURCE_DIR "/tests/support/fake-signer.sh"

/*
 * The config written by mcr_signfix_write_config has signers "release"
 * (pkcs11, P-256 on the token, public key pinned), "dev" (a P-256 file key),
 * "log" (an Ed25519 file key signing audit checkpoints) and one command
 * signer "fake-MODE" per mode in fake_modes, running fake-signer.sh MODE with
 * the P-256 key cmd.pem (public key pinned: cmd.pub.pem; "fake-wrongkey"
 * signs with dev.pem instead). The audit database is audit_db (DIR/audit.db), the tag pin
 * store fw.git.pin_store (DIR/pins.json); change either and rewrite the config for a fresh one.
 */
struct mcr_signfix {
	struct mcr_fwfix fw;
	struct mcr_hsmfix hsm;
	char dir[MCR_GITFIX_DIR_MAX];	   /* fw.git.dir */
	char audit_db[MCR_GITFIX_PATH_MAX];
	char release_pub[MCR_GITFIX_PATH_MAX]; /* PEM of the token's release key */
	char state[MCR_GITFIX_PATH_MAX];       /* fake-signer.sh's state dir */
	const char *release_signer;	       /* policy.release_signer; NULL: "release" */
	const char *extra_policy;	       /* JSON members added to "policy" */
	const char *extra_image;	       /* JSON members added to "image" */
	const char *extra_audit;	       /* JSON members added to "audit" */
	const char *fake_modes[8];	       /* NULL-terminated */
	bool no_records;		       /* mcr_signfix_sign passes no record files */
};

/* The release key's type on the token (pkcs11-tool --key-type); the default is EC:prime256v1. */
extern const char *mcr_signfix_release_key_type;

/* Everything above, tag signed (SSH) at the firmware commit, builder quorum 2, config written. */
void mcr_signfix_setup(struct mcr_signfix *fx, const char *tag);
const char *mcr_signfix_write_config(struct mcr_signfix *fx);

/*
 * Builds tag as builders a and b (records DIR/records/TAG.a.json and .b.json);
 * builder a's build/fw.bin is copied to DIR/image-TAG/build/fw.bin. Returns
 * that image path (rotating static storage).
 */
const char *mcr_signfix_build(struct mcr_signfix *fx, const char *tag);
/* DIR/image-TAG/build/fw.bin, as mcr_signfix_build left it. */
const char *mcr_signfix_image(struct mcr_signfix *fx, const char *tag);
/* A record path, DIR/records/TAG.WHO.json. */
const char *mcr_signfix_record(struct mcr_signfix *fx, const char *tag, const char *who);

/*
 * 'mcurelease sign --config C --repo R --tag TAG [-o OUT] EXTRA... IMAGE
 * RECORD_A RECORD_B' (no records with fx->no_records); extra args
 * NULL-terminated. out may be NULL
 * (the default output name). Returns the exit status; *r gets the output.
 */
int mcr_signfix_sign(struct mcr_signfix *fx, struct mcr_test_result *r, const char *tag,
		     const char *image, const char *out, ...);

/* 'mcurelease audit verify' of the fixture's log: its exit status. */
int mcr_signfix_audit_verify(struct mcr_signfix *fx);
/* How many events of kind (e.g. "sign.requested") the log holds, by 'audit list --json'. */
int mcr_signfix_count_events(struct mcr_signfix *fx, const char *kind);

/* 'mcurelease imgtool verify -k KEY IMAGE' (what MCUboot would accept): its exit status. */
int mcr_signfix_verify_image(const char *image, const char *key);

#endif
