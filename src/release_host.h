/* The signing host's part of a remote or air-gapped release: one request in, one response out. */
#ifndef MCR_RELEASE_HOST_H
#define MCR_RELEASE_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "release_job.h"

/* Requests are small (a tag object and a few records); anything larger is refused unread. */
#define MCR_REQUEST_MAX_BYTES (4u << 20)

struct mcr_host_job {
	const char *config_path; /* NULL: $MCURELEASE_CONFIG */
	const char *actor;   /* who asks, as the host knows it (SSH key); NULL: mcr_release_actor */
	const char *subject; /* names the request in messages: its file, or "standard input" */
	bool dry_run;
};

/*
 * Judges the request text under the host's own config and policy, records
 * it, signs, and records the result (docs/remote-signing.md). A request that
 * is too large or malformed is refused (request.too_large,
 * request.malformed) and recorded like any refusal. r->resp is the response
 * to send back in every case once the log is open (r->has_response); r->req
 * holds as much of the request as could be read. Returns the outcome code.
 */
int mcr_host_job_run(const struct mcr_host_job *job, const char *text, size_t len,
                     struct mcr_release_report *r);

#endif
