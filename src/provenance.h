/* Provenance of a signed image: an in-toto v1 Statement with a SLSA-v1-style predicate. */
#ifndef MCR_PROVENANCE_H
#define MCR_PROVENANCE_H

#include <stddef.h>

struct mcr_buf;
struct mcr_signreq;
struct mcr_signresp;

/* One signed file the statement is about. */
struct mcr_provenance_subject {
	const char *name;   /* file name as published */
	const char *sha256; /* hex */
};

/*
 * Appends the statement for subjects, from the request (tag, image, layout,
 * digest) and the response (tag signer, builders, key, signature, the
 * sign.requested audit event with its checkpoint and inclusion proof). The
 * bytes depend only on those inputs, so every deployment (all in one, remote,
 * air-gapped) writes the same file for the same request and response.
 * docs/provenance.md describes each field.
 */
int mcr_provenance_statement(struct mcr_buf *out, const struct mcr_signreq *req,
                             const struct mcr_signresp *resp,
                             const struct mcr_provenance_subject *subjects, size_t subject_count);

#define MCR_PROVENANCE_BUILD_TYPE "https://mcurelease.invalid/buildtypes/mcuboot-sign/v1"

#endif
