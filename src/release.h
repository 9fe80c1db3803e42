/* The signing host's part of a release: check a request under local policy, record it, sign, record
 * the result. */
#ifndef MCR_RELEASE_H
#define MCR_RELEASE_H

#include <stdbool.h>

#include "image.h"

struct mcr_audit;
struct mcr_config;
struct mcr_signer;
struct mcr_signreq;
struct mcr_signresp;

/* Who is signing and with what. The caller opens and owns everything here. */
struct mcr_release_host {
	const struct mcr_config *config;
	struct mcr_audit *log;
	struct mcr_signer *signer;     /* the release signer */
	struct mcr_signer *log_signer; /* signs checkpoints; NULL: no checkpoints, no proofs */
	const char *repo_path;         /* the repository, when the host has it (all in one) */
	bool is_local;     /* the request was made in this process from this repository */
	const char *actor; /* who asked, recorded with every event */
	bool dry_run;      /* check everything, record and sign nothing */
};

/*
 * Phase 1. Checks the request under the host's own config, trusting none of
 * it: product, signer and key; the tag object's signature, name and version
 * (and, with the repository, that the tag still is that object); the build
 * records' signatures and quorum against the image hash and digest; the
 * signer's key against policy (development keys, algorithms, strength); and
 * against the log: a tag signed before for other bytes, a moved tag, a
 * security counter going down. Then appends sign.requested (sign.idempotent
 * for the same bytes again) in the same transaction, durably. A refusal is
 * appended as sign.refused and returned as MCR_EREFUSED; resp carries the
 * outcome either way (status, reason, message, the tag signer and builders).
 */
int mcr_release_request(const struct mcr_release_host *host, const struct mcr_signreq *req,
                        struct mcr_signresp *resp);

/*
 * Phase 2. Makes a checkpoint covering the request (with the log key), puts
 * the request's inclusion proof in resp, then sends the digest to the signer
 * and keeps the signature it returns (verified against the pinned key by the
 * signer interface). A signer failure is appended as sign.failed.
 */
int mcr_release_sign(const struct mcr_release_host *host, const struct mcr_signreq *req,
                     struct mcr_signresp *resp);

/* What was written with the signature, when the host wrote it (all in one). */
struct mcr_release_outputs {
	const char *image_name;
	const struct mcr_image_written *image;
	const char *hex_name; /* NULL if none */
	const struct mcr_image_written *hex;
	const char *provenance_sha256;
};

/*
 * Phase 3. Appends sign.completed (signature, key, and the outputs when
 * given) durably, then a checkpoint covering it. The caller publishes the
 * outputs only after this returned 0.
 */
int mcr_release_complete(const struct mcr_release_host *host, const struct mcr_signreq *req,
                         struct mcr_signresp *resp, const struct mcr_release_outputs *outputs);

/*
 * Records a failure after phase 1 (an output that could not be written, say)
 * as sign.failed with the current error, and returns code unchanged.
 */
int mcr_release_fail(const struct mcr_release_host *host, const struct mcr_signreq *req,
                     struct mcr_signresp *resp, const char *stage, int code);

/* Sets resp's outcome, status, reason and message from code and the current error. */
void mcr_release_note_outcome(struct mcr_signresp *resp, int code);

#endif
