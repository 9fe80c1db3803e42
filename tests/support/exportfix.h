/* Test fixture for the export end-to-end suites: a workspace with keys, trust files and a config,
 * and an audit log holding a release history. */
#ifndef MCR_EXPORTFIX_H
#define MCR_EXPORTFIX_H

#include <stdbool.h>

/*
 * In the current directory: log.pem / log.pub.pem (the Ed25519 log key),
 * release.pub.pem (P-256), other.pem / other.pub.pem (an unrelated Ed25519
 * key), allowed_signers and builders (SSH), and mcurelease.json for product
 * "acme-sensor" with signers "release" (vault-transit, pinned public key) and
 * "log" (file), log_signer "log", database audit.db.
 */
void mcr_exportfix_workspace(void);

/*
 * Appends to audit.db (created if missing) releases v1.0.0 ... with a refusal
 * and a failure among them, then checkpoints the log with the binary when
 * checkpoint is set, then appends one more release and a pending request.
 * first_tag, if not NULL, names the first release instead of v1.0.0.
 */
void mcr_exportfix_history(int releases, bool checkpoint, const char *first_tag);

/* The release key's fingerprint (64 hex), once the workspace exists. */
const char *mcr_exportfix_release_fingerprint(void);

/* Runs "mcurelease audit export --config mcurelease.json --format F -o OUT", asserting exit 0. */
void mcr_exportfix_export(const char *format, const char *out);

#endif
