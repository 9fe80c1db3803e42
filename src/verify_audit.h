/* The audit log as the source of verify's record: found, the whole log verified, the record proven.
 */
#ifndef MCR_VERIFY_AUDIT_H
#define MCR_VERIFY_AUDIT_H

struct mcr_key;
struct mcr_verify_query;
struct mcr_verify_report;

/* Where the log is and what to hold it against. Strings are borrowed. */
struct mcr_verify_audit_opts {
	const char *path;
	const struct mcr_key *log_key; /* required */
	const char *origin;            /* the expected checkpoint origin; NULL: the log's own */
	const char *anchor_note; /* a checkpoint kept outside the log (a provenance's), or NULL */
	const char *anchor_subject;  /* its name in messages */
	const char *checkpoint_file; /* published checkpoints the config names, or NULL */
	const char *checkpoint_ref;
	const char *repo; /* the repository of checkpoint_ref */
};

/*
 * Opens the log read as it is (never creating it), finds query's release in
 * it (report->record), verifies the whole log with the log key against its
 * stored checkpoints, the published ones and the anchor
 * (checks[MCR_VERIFY_LOG]: verify.log_invalid), and checks an inclusion proof
 * of the record's completion (else its request) against the latest
 * checkpoint (checks[MCR_VERIFY_PROOF]: verify.no_proof, verify.bad_proof,
 * verify.bad_checkpoint). Returns 0, or MCR_EAUDIT if the log cannot be
 * opened or read at all.
 */
int mcr_verify_audit_check(struct mcr_verify_report *report, const struct mcr_verify_audit_opts *o,
                           const struct mcr_verify_query *query);

#endif
