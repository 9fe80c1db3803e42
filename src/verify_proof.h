/* An inclusion proof document ('mcurelease audit proof' format) checked for verify. */
#ifndef MCR_VERIFY_PROOF_H
#define MCR_VERIFY_PROOF_H

#include <stddef.h>

struct mcr_key;
struct mcr_verify_check;

/*
 * Checks doc (len bytes) with mcr_audit_proof_verify: a checkpoint signed by
 * key under origin (NULL: its own) and a path from the event to its root.
 * The outcome goes into check: passed, or failed with verify.bad_checkpoint
 * (the checkpoint's signature or origin) or verify.bad_proof (the path, the
 * event, a malformed document). *cp_origin (malloc'd) and *cp_size get the
 * checkpoint's origin and size when it passed. Returns 0, or MCR_ESYS.
 */
int mcr_verify_proof_check(struct mcr_verify_check *check, char **cp_origin, long long *cp_size,
                           const char *doc, size_t len, const char *subject,
                           const struct mcr_key *key, const char *origin);

#endif
