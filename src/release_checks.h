/* Internal to the release job: the host's checks of a request, one concern each. */
#ifndef MCR_RELEASE_CHECKS_H
#define MCR_RELEASE_CHECKS_H

#include "release.h"

/* The request is for this host: its product, its release signer, its key. */
int mcr_release_check_identity(const struct mcr_release_host *host, const struct mcr_signreq *req);
/* The tag object: signed by a trusted key (judged now), right name and version, pinned; fills the
 * tag signer. */
int mcr_release_check_tag(const struct mcr_release_host *host, const struct mcr_signreq *req,
                          struct mcr_signresp *resp);
/* The build records: a quorum of trusted builders agree on commit and image; fills the builders. */
int mcr_release_check_records(const struct mcr_release_host *host, const struct mcr_signreq *req,
                              struct mcr_signresp *resp);
/* The release key itself: no development key, an allowed algorithm, enough strength. */
int mcr_release_check_key(const struct mcr_release_host *host);
/* The layout: the tag's version, the policy's security counter, the key's hash. */
int mcr_release_check_layout(const struct mcr_release_host *host, const struct mcr_signreq *req);
/*
 * Against the log (inside the caller's transaction): the tag never signed for
 * other bytes (*previous_seq set when signed for the same bytes), never as
 * another tag object, and the security counter never below one signed before.
 */
int mcr_release_check_history(const struct mcr_release_host *host, const struct mcr_signreq *req,
                              long long *previous_seq, const char **stage);

#endif
