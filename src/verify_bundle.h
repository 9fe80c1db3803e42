/* An export bundle as the source of verify's record: the bundle verified, the record found in its
 * events and proven. */
#ifndef MCR_VERIFY_BUNDLE_H
#define MCR_VERIFY_BUNDLE_H

struct mcr_key;
struct mcr_verify_query;
struct mcr_verify_report;

/*
 * Verifies the bundle directory dir as 'audit verify-export --key' does, with
 * log_key pinned (checks[MCR_VERIFY_LOG]: verify.bundle_invalid), finds
 * query's release in its events.jsonl (report->record), and checks the
 * bundle's inclusion proof of the completion (checks[MCR_VERIFY_PROOF]): a
 * proofs/SEQ.json the signed manifest lists, of that seq, whose proven leaf
 * is the event events.jsonl holds. A record after the bundle's latest
 * checkpoint has no proof; the manifest, signed by the same log key, vouches
 * for it and the check says so. report->checkpoint_* name the checkpoint
 * either way; report->bundle_* the part of the log the bundle holds. Returns
 * 0, or MCR_EINPUT if dir is no directory (a .tar: unpack it first) or no
 * bundle.
 */
int mcr_verify_bundle_check(struct mcr_verify_report *report, const char *dir,
                            const struct mcr_key *log_key, const char *origin,
                            const struct mcr_verify_query *query);

#endif
