/* What a release job or a signing host opens before it can decide anything: config, log, signers.
 */
#ifndef MCR_RELEASE_SESSION_H
#define MCR_RELEASE_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "release.h"

struct mcr_release_session {
	struct mcr_config *config;
	struct mcr_audit *log;
	struct mcr_signer *signer, *log_signer;
	struct mcr_release_host host; /* borrows everything above */
	char actor[256];
};

/* Where and as whom the session works. */
struct mcr_release_place {
	const char
	        *config_path;  /* NULL: $MCURELEASE_CONFIG, then the repository's mcurelease.json */
	const char *repo_path; /* the repository, when this process has it */
	bool is_local;         /* requests are made in this process from the image */
	const char *actor;     /* NULL: mcr_release_actor */
	bool dry_run;
};

/*
 * Loads the config and opens the audit log, so that from here on every
 * refusal and failure can be recorded; the host has no signers yet. *s is
 * initialised in every case; close it with mcr_release_session_close.
 */
int mcr_release_session_open(struct mcr_release_session *s, const struct mcr_release_place *place);

/* Opens the release signer (policy.release_signer) and the log signer (audit.log_signer). */
int mcr_release_session_open_signers(struct mcr_release_session *s);

void mcr_release_session_close(struct mcr_release_session *s);

/* Who is asking, for the log: $MCURELEASE_ACTOR, else the CI job (GitHub, GitLab), else user@host.
 */
void mcr_release_actor(char *out, size_t len);

#endif
