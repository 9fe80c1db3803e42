/* A provenance statement (src/provenance.c) read for verify: its proven request event and what
 * it claims beside it. */
#ifndef MCR_VERIFY_PROVENANCE_H
#define MCR_VERIFY_PROVENANCE_H

#include <stddef.h>

#include "verify.h"

struct mcr_key;

#define MCR_VERIFY_PROVENANCE_SUBJECTS 4

/* A plain struct; release with mcr_verify_provenance_release. */
struct mcr_verify_provenance {
	struct mcr_verify_event request; /* the sign.requested its inclusion proof carries */
	char *note;                      /* the checkpoint it carries */
	struct mcr_verify_check proof;   /* that proof, against the log key */
	struct mcr_verify_check claims;  /* what it says beside the proof agrees with that event */
	char *checkpoint_origin;
	long long checkpoint_size;
	char digest_hex[129];      /* the mcuboot-image-digest byproduct (agrees with the event) */
	char signature_sha256[65]; /* the signature byproduct: not covered by the proof */
	char *finished_on;         /* runDetails.metadata.finishedOn: not covered either */
	char subjects[MCR_VERIFY_PROVENANCE_SUBJECTS][65]; /* the signed files' SHA-256 */
	size_t subject_count;
};

/*
 * Reads the statement at path, checks its inclusion proof with log_key under
 * origin (NULL: the checkpoint's own) into out->proof, and compares every
 * field it repeats from the request (tag, tag object, commit, tag signer,
 * input image, version, security counter, product, request id, builders,
 * digest, signer key and custody facts, event seq and hash, checkpoint,
 * origin) with the event the proof proved (the seq and body hashed into its
 * leaf, never the document's say-so) into out->claims
 * (verify.provenance_mismatch names the first that differs). Returns 0, or
 * MCR_EINPUT naming path if it is unreadable or not an mcurelease provenance
 * statement.
 */
int mcr_verify_provenance_read(struct mcr_verify_provenance *out, const char *path,
                               const struct mcr_key *log_key, const char *origin);
void mcr_verify_provenance_release(struct mcr_verify_provenance *prov);

#endif
