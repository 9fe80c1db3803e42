/* Inclusion proofs for verify: the audit library checks them; this says what a failure means. */
#include "verify_proof.h"

#include "audit.h"
#include "buf.h"
#include "checkpoint.h"
#include "error.h"
#include "verify.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* A checkpoint not signed by the log key is a forgery; anything else wrong is the proof. */
static const char *failure_reason(void)
{
	const char *r = mcr_error_reason();

	return r && !strncmp(r, "audit.bad_checkpoint", strlen("audit.bad_checkpoint"))
	               ? "verify.bad_checkpoint"
	               : "verify.bad_proof";
}

/*
 * The checkpoint's origin and size, from the note that just verified: the document's "log" and
 * "tree_size" beside it are only its claims.
 */
static int proven_checkpoint(char **cp_origin, long long *cp_size, const char *doc, size_t len)
{
	cJSON *parsed = cJSON_ParseWithLength(doc, len);
	const cJSON *note = cJSON_GetObjectItemCaseSensitive(parsed, "checkpoint");
	struct mcr_checkpoint cp = {0};
	int ret = 0;

	if (!cJSON_IsString(note))
		ret = mcr_error(MCR_EINPUT, "the proof that verified has no checkpoint");
	else if ((ret = mcr_checkpoint_parse(&cp, note->valuestring, strlen(note->valuestring),
	                                     "checkpoint")) == 0) {
		free(*cp_origin);
		*cp_size = cp.size;
		if (!(*cp_origin = strdup(cp.origin)))
			ret = mcr_error(MCR_ESYS, "out of memory");
	}
	mcr_checkpoint_release(&cp);
	cJSON_Delete(parsed);
	return ret;
}

static int failed(struct mcr_verify_check *check, const char *reason)
{
	int ret = mcr_verify_check_set(check, MCR_VERIFY_FAILED, reason, "%s", mcr_error_message());

	mcr_error_clear();
	return ret;
}

int mcr_verify_proof_check(struct mcr_verify_check *check, struct mcr_audit_event *proven,
                           char **cp_origin, long long *cp_size, const char *doc, size_t len,
                           const char *subject, long long want_seq, const struct mcr_key *key,
                           const char *origin)
{
	struct mcr_buf summary = MCR_BUF_INIT;
	struct mcr_audit_event event = {0};
	int ret;

	ret = mcr_audit_proof_verify_inclusion(&event, doc, len, subject, key, origin, &summary);
	if (ret == MCR_EREFUSED || ret == MCR_EINPUT) {
		ret = failed(check, failure_reason());
		goto out;
	}
	if (ret < 0)
		goto out;
	if (want_seq && event.seq != want_seq) {
		ret = mcr_verify_check_set(check, MCR_VERIFY_FAILED, "verify.bad_proof",
		                           "proof '%s' is of event %lld, not of event %lld",
		                           subject, event.seq, want_seq);
		goto out;
	}
	if ((ret = proven_checkpoint(cp_origin, cp_size, doc, len)) == MCR_EINPUT) {
		ret = failed(check, "verify.bad_proof");
		goto out;
	}
	if (ret < 0 ||
	    (ret = mcr_verify_check_set(check, MCR_VERIFY_PASSED, NULL, "%s (signed checkpoint)",
	                                (char *)summary.data)) < 0)
		goto out;
	if (proven) {
		*proven = event; /* the caller's now */
		memset(&event, 0, sizeof(event));
	}
out:
	mcr_audit_event_release(&event);
	mcr_buf_release(&summary);
	return ret;
}
