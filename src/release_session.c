/* Opening and closing what a release needs, in the order that lets every failure be recorded. */
#include "release_session.h"

#include "audit.h"
#include "cli.h"
#include "config.h"
#include "error.h"
#include "signer.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void mcr_release_actor(char *out, size_t len)
{
	const char *env = getenv("MCURELEASE_ACTOR");
	const struct passwd *pw = getpwuid(getuid());
	char host[256] = "localhost";

	if (env && *env) {
		snprintf(out, len, "%s", env);
	} else if (getenv("GITHUB_ACTIONS") && getenv("GITHUB_RUN_ID")) {
		snprintf(out, len, "github:%s/runs/%s:%s",
		         getenv("GITHUB_REPOSITORY") ? getenv("GITHUB_REPOSITORY") : "",
		         getenv("GITHUB_RUN_ID"),
		         getenv("GITHUB_ACTOR") ? getenv("GITHUB_ACTOR") : "");
	} else if (getenv("GITLAB_CI") && getenv("CI_JOB_ID")) {
		snprintf(out, len, "gitlab:%s/jobs/%s:%s",
		         getenv("CI_PROJECT_PATH") ? getenv("CI_PROJECT_PATH") : "",
		         getenv("CI_JOB_ID"),
		         getenv("GITLAB_USER_LOGIN") ? getenv("GITLAB_USER_LOGIN") : "");
	} else {
		gethostname(host, sizeof(host) - 1);
		snprintf(out, len, "%s@%s", pw ? pw->pw_name : "unknown", host);
	}
}

int mcr_release_session_open(struct mcr_release_session *s, const struct mcr_release_place *place)
{
	int ret;

	memset(s, 0, sizeof(*s));
	if (place->actor)
		snprintf(s->actor, sizeof(s->actor), "%s", place->actor);
	else
		mcr_release_actor(s->actor, sizeof(s->actor));
	if ((ret = mcr_config_load(&s->config, place->config_path)) < 0 ||
	    (ret = mcr_audit_open(&s->log, s->config->audit.database, true)) < 0)
		return ret;
	s->host = (struct mcr_release_host){s->config, s->log,           NULL,
	                                    NULL,      place->repo_path, place->is_local,
	                                    s->actor,  place->dry_run};
	return 0;
}

int mcr_release_session_open_signers(struct mcr_release_session *st)
{
	const struct mcr_config *cfg = st->config;
	const struct mcr_signer_config *release =
	        mcr_config_signer(cfg, cfg->policy.release_signer);
	const struct mcr_signer_config *log_key;
	int ret;

	if (!release)
		return mcr_error(MCR_EINPUT, "release signer '%s' is not configured in '%s'",
		                 cfg->policy.release_signer, cfg->path);
	if ((ret = mcr_signer_open(&st->signer, release)) < 0)
		return ret;
	st->host.signer = st->signer;
	if (!cfg->audit.log_signer) {
		mcr_cli_warn("config '%s' names no audit.log_signer: no checkpoints, no inclusion "
		             "proofs",
		             cfg->path);
		return 0;
	}
	if (!(log_key = mcr_config_signer(cfg, cfg->audit.log_signer)))
		return mcr_error(MCR_EINPUT, "audit.log_signer '%s' is not configured in '%s'",
		                 cfg->audit.log_signer, cfg->path);
	if ((ret = mcr_signer_open(&st->log_signer, log_key)) < 0)
		return ret;
	st->host.log_signer = st->log_signer;
	return 0;
}

void mcr_release_session_close(struct mcr_release_session *s)
{
	mcr_signer_free(s->signer);
	mcr_signer_free(s->log_signer);
	mcr_audit_free(s->log);
	mcr_config_free(s->config);
	memset(s, 0, sizeof(*s));
}
