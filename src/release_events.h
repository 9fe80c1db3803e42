/* Internal to the release job: the data of its audit events (docs/release-events.md). */
#ifndef MCR_RELEASE_EVENTS_H
#define MCR_RELEASE_EVENTS_H

#include <stdbool.h>

#include "release.h"

struct cJSON;

/* sign.requested (or, with previous_seq, sign.idempotent). *out is the caller's. */
int mcr_release_requested_body(struct cJSON **out, const struct mcr_signreq *req,
                               const struct mcr_signresp *resp, struct mcr_signer *signer,
                               bool is_local, long long previous_seq);
/* sign.completed; outputs NULL on a host that wrote nothing. */
int mcr_release_completed_body(struct cJSON **out, const struct mcr_signreq *req,
                               const struct mcr_signresp *resp,
                               const struct mcr_release_outputs *outputs);
/* sign.refused / sign.failed. */
int mcr_release_outcome_body(struct cJSON **out, const struct mcr_signreq *req, const char *stage,
                             const char *reason, const char *message);

#endif
