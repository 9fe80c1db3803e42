/* An inclusion proof document ('mcurelease audit proof' format) checked for verify. */
#ifndef MCR_VERIFY_PROOF_H
#define MCR_VERIFY_PROOF_H

#include <stddef.h>

struct mcr_audit_event;
struct mcr_key;
struct mcr_verify_check;

/*
 * Checks doc (len bytes) with mcr_audit_proof_verify_inclusion: an inclusion
 * proof (no other kind), a checkpoint signed by key under origin (NULL: its
 * own) and a path from the event to its root; of event want_seq unless that
 * is 0. The outcome goes into check: passed, or failed with
 * verify.bad_checkpoint (the checkpoint's signature or origin) or
 * verify.bad_proof (another kind of proof, another event, the path, a
 * malformed document). When it passed: *proven (may be NULL) gets the event
 * the proof proved, the only seq and body a caller may act on (release it
 * with mcr_audit_event_release); *cp_origin (malloc'd, replaced) and *cp_size
 * the signed checkpoint's origin and size. Returns 0, or MCR_ESYS.
 */
int mcr_verify_proof_check(struct mcr_verify_check *check, struct mcr_audit_event *proven,
                           char **cp_origin, long long *cp_size, const char *doc, size_t len,
                           const char *subject, long long want_seq, const struct mcr_key *key,
                           const char *origin);

#endif
