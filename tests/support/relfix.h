/* Test fixture: appends release events to an audit log exactly as docs/release-events.md
 * defines them (sign.requested, sign.completed, sign.refused, sign.failed), with made-up but
 * well-formed ids and hashes. Used by the export tests and the export benchmark. */
#ifndef MCR_RELFIX_H
#define MCR_RELFIX_H

#include <stdbool.h>

struct mcr_audit;

/* Who signs and for which product; every field has a default when NULL/0. */
struct mcr_relfix {
	struct mcr_audit *log;
	const char *product;     /* "acme" */
	const char *signer_name; /* "release" */
	const char *backend;     /* "pkcs11" */
	const char *key_type;    /* "ecdsa-p256" */
	const char *fingerprint; /* of the release key; a made-up one by default */
	bool is_dev;
	unsigned counter; /* makes ids and hashes unique */
};

/*
 * One release of tag (version = tag without its leading 'v'): sign.requested
 * then sign.completed. *completed_seq (may be NULL) receives the completion's
 * seq. Returns 0 or the mcr_audit_append error.
 */
int mcr_relfix_release(struct mcr_relfix *f, const char *tag, long long *completed_seq);
/* A refusal at the tag stage (no request is recorded first). */
int mcr_relfix_refused(struct mcr_relfix *f, const char *tag, const char *reason,
                       const char *message);
/* A request the signer failed: sign.requested, then sign.failed. */
int mcr_relfix_failed(struct mcr_relfix *f, const char *tag, const char *message);
/* A request with no outcome (the signing host died). */
int mcr_relfix_pending(struct mcr_relfix *f, const char *tag);
/* A sign.completed naming requested_seq, with nothing else checked (for forgeries). */
int mcr_relfix_completion_only(struct mcr_relfix *f, const char *tag, long long requested_seq);

#endif
