/* Inclusion proofs for verify: the audit library checks them; this says what a failure means. */
#include "verify_proof.h"

#include "audit.h"
#include "buf.h"
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

/* The checkpoint's origin and size, from the document that just verified. */
static int proven_checkpoint(char **cp_origin, long long *cp_size, const char *doc, size_t len)
{
	cJSON *parsed = cJSON_ParseWithLength(doc, len);
	const cJSON *log = cJSON_GetObjectItemCaseSensitive(parsed, "log");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(parsed, "tree_size");
	int ret = 0;

	free(*cp_origin);
	*cp_origin = NULL;
	if (cJSON_IsString(log) && !(*cp_origin = strdup(log->valuestring)))
		ret = mcr_error(MCR_ESYS, "out of memory");
	*cp_size = cJSON_IsNumber(size) ? (long long)size->valuedouble : 0;
	cJSON_Delete(parsed);
	return ret;
}

int mcr_verify_proof_check(struct mcr_verify_check *check, char **cp_origin, long long *cp_size,
                           const char *doc, size_t len, const char *subject,
                           const struct mcr_key *key, const char *origin)
{
	struct mcr_buf summary = MCR_BUF_INIT;
	int ret;

	ret = mcr_audit_proof_verify(doc, len, subject, NULL, NULL, key, origin, &summary);
	if (ret == MCR_EREFUSED || ret == MCR_EINPUT) {
		ret = mcr_verify_check_set(check, MCR_VERIFY_FAILED, failure_reason(), "%s",
		                           mcr_error_message());
		mcr_error_clear();
	} else if (ret == 0 && (ret = proven_checkpoint(cp_origin, cp_size, doc, len)) == 0) {
		ret = mcr_verify_check_set(check, MCR_VERIFY_PASSED, NULL, "%s (signed checkpoint)",
		                           (char *)summary.data);
	}
	mcr_buf_release(&summary);
	return ret;
}
