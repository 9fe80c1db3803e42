/* The release image layout: the config's image section, the tag's version, the release key's hash.
 */
#ifndef MCR_LAYOUT_H
#define MCR_LAYOUT_H

#include "hash.h"
#include "image.h"
#include "version.h"

struct mcr_config;
struct mcr_key;

/*
 * The layout a release of version is signed with: the config's "image"
 * section, the policy's security counter rule ("auto": from the version;
 * "none": no counter; a number) and hash_alg (the release key's). The
 * builders, the runner and the signing host all lay images out with this
 * one function, so the digest a builder records is the digest that is
 * signed. MCR_EINPUT for a counter rule that is no number; slot_size is the
 * caller's to require.
 */
int mcr_layout_release(struct mcr_image_spec *spec, const struct mcr_config *cfg,
                       const struct mcr_version *version, enum mcr_hash_alg hash_alg);

/*
 * The release signer's public key as the config pins it ("public_key" of
 * policy.release_signer, checked against its "fingerprint" when set), for
 * those who must not open the signer: a runner making a request or
 * assembling a response, a builder. MCR_EINPUT naming the signer when the
 * config pins none. *out is the caller's (mcr_key_free).
 */
int mcr_layout_pinned_key(struct mcr_key **out, const struct mcr_config *cfg);

#endif
