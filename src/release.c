/* The signing host: decide under local policy, record, sign, record. */
#include "release.h"

#include "audit.h"
#include "buf.h"
#include "checkpoint.h"
#include "cli.h"
#include "config.h"
#include "error.h"
#include "release_checks.h"
#include "release_events.h"
#include "signer.h"
#include "signreq.h"
#include "signresp.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int set_str(char **field, const char *value)
{
	free(*field);
	*field = NULL;
	return !value || (*field = strdup(value)) ? 0 : mcr_error(MCR_ESYS, "out of memory");
}

/* Fills the response's outcome from an error code and the current message. */
void mcr_release_note_outcome(struct mcr_signresp *resp, int code)
{
	snprintf(resp->outcome, sizeof(resp->outcome), "%s",
	         code == 0              ? "signed"
	         : code == MCR_EREFUSED ? "refused"
	                                : "failed");
	resp->status = mcr_error_exit_status(code);
	if (code < 0) {
		set_str(&resp->reason,
		        mcr_error_reason() ? mcr_error_reason() : mcr_error_name(code));
		set_str(&resp->message, mcr_error_message());
	}
}

/* Appends kind with body, keeping the error that made us record it (unless the append fails). */
static int append(const struct mcr_release_host *host, const char *kind, cJSON *body,
                  struct mcr_audit_entry *entry)
{
	int ret = mcr_audit_append(host->log, kind, host->actor, body, entry);

	cJSON_Delete(body);
	return ret;
}

/* sign.refused / sign.failed for the error just raised; returns code unchanged. */
static int record_outcome(const struct mcr_release_host *host, const struct mcr_signreq *req,
                          struct mcr_signresp *resp, const char *stage, int code)
{
	char *message = strdup(mcr_error_message());
	const char *reason = mcr_error_reason() ? mcr_error_reason() : mcr_error_name(code);
	cJSON *body = NULL;
	int ret;

	mcr_release_note_outcome(resp, code);
	if (host->dry_run || !message) {
		free(message);
		return code;
	}
	ret = mcr_release_outcome_body(&body, req, stage, reason, message);
	if (ret == 0)
		ret = append(host, code == MCR_EREFUSED ? "sign.refused" : "sign.failed", body,
		             NULL);
	/* the refusal stays the answer; a log that cannot record it is worse news */
	if (ret < 0)
		code = ret;
	else
		mcr_error_set_reason(mcr_error(code, "%s", message), reason);
	free(message);
	mcr_release_note_outcome(resp, code);
	return code;
}

int mcr_release_fail(const struct mcr_release_host *host, const struct mcr_signreq *req,
                     struct mcr_signresp *resp, const char *stage, int code)
{
	return record_outcome(host, req, resp, stage, code);
}

static int describe_key(const struct mcr_release_host *host, struct mcr_signresp *resp)
{
	struct mcr_buf pem = MCR_BUF_INIT;
	const struct mcr_key *key = mcr_signer_key(host->signer);
	cJSON *facts = cJSON_CreateObject();
	int ret;

	if (!facts)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_signer_describe(host->signer, facts)) == 0 &&
	    (ret = mcr_key_public_pem(key, &pem)) == 0 &&
	    (ret = set_str(&resp->key_name, mcr_signer_name(host->signer))) == 0 &&
	    (ret = set_str(&resp->public_key_pem, (char *)pem.data)) == 0) {
		free(resp->signer_json);
		if (!(resp->signer_json = cJSON_PrintUnformatted(facts)))
			ret = mcr_error(MCR_ESYS, "out of memory");
	}
	resp->key_type = mcr_key_type(key);
	memcpy(resp->key_fingerprint, mcr_signer_fingerprint(host->signer), 65);
	cJSON_Delete(facts);
	mcr_buf_release(&pem);
	return ret;
}

/* The checks that need no log, in the order a person would want to hear about them. */
static int check_request(const struct mcr_release_host *host, const struct mcr_signreq *req,
                         struct mcr_signresp *resp, const char **stage)
{
	int ret;

	*stage = "request";
	if ((ret = mcr_release_check_identity(host, req)) < 0)
		return ret;
	*stage = "tag";
	if ((ret = mcr_release_check_tag(host, req, resp)) < 0)
		return ret;
	*stage = "records";
	if ((ret = mcr_release_check_records(host, req, resp)) < 0)
		return ret;
	*stage = "key";
	if ((ret = mcr_release_check_key(host)) < 0)
		return ret;
	*stage = "image";
	return mcr_release_check_layout(host, req);
}

/* Checks against the log and the request event, in one transaction. */
static int record_request(const struct mcr_release_host *host, const struct mcr_signreq *req,
                          struct mcr_signresp *resp, const char **stage)
{
	struct mcr_audit_entry entry;
	long long previous = 0;
	cJSON *body = NULL;
	int ret;

	if ((ret = mcr_audit_begin(host->log)) < 0)
		return ret;
	if ((ret = mcr_release_check_history(host, req, &previous, stage)) < 0)
		goto out;
	*stage = "log";
	if (host->dry_run)
		goto out;
	if ((ret = mcr_release_requested_body(&body, req, resp, host->signer, host->is_local,
	                                      previous)) < 0 ||
	    (ret = append(host, previous ? "sign.idempotent" : "sign.requested", body, &entry)) <
	            0 ||
	    (ret = mcr_audit_commit(host->log)) < 0)
		goto out;
	resp->requested_seq = entry.seq;
	resp->previous_seq = previous;
	mcr_hex_encode(resp->requested_hash, entry.hash, sizeof(entry.hash));
	return 0;
out:
	mcr_audit_rollback(host->log);
	return ret;
}

int mcr_release_request(const struct mcr_release_host *host, const struct mcr_signreq *req,
                        struct mcr_signresp *resp)
{
	const char *stage = "request";
	int ret;

	memcpy(resp->request_id, req->request_id, sizeof(resp->request_id));
	if ((ret = describe_key(host, resp)) < 0 ||
	    (ret = check_request(host, req, resp, &stage)) < 0 ||
	    (ret = record_request(host, req, resp, &stage)) < 0)
		return ret == MCR_EAUDIT ? (mcr_release_note_outcome(resp, ret), ret)
		                         : record_outcome(host, req, resp, stage, ret);
	mcr_release_note_outcome(resp, 0);
	return 0;
}

/* A checkpoint of the whole log, signed with the log key and published where the config says. */
static int checkpoint(const struct mcr_release_host *host, struct mcr_checkpoint_result *out)
{
	const struct mcr_audit_config *ac = &host->config->audit;
	struct mcr_checkpoint_opts opts = {0};
	struct mcr_buf origin = MCR_BUF_INIT;
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = mcr_checkpoint_origin(&origin, host->config->product, ac->log_id)) < 0)
		return ret;
	opts.origin = (char *)origin.data;
	opts.actor = host->actor;
	opts.file = ac->checkpoint_file;
	/* the release's repository, unless the config names one; a signing host has no other */
	if (!ac->checkpoint_repo && host->is_local)
		opts.repo = host->repo_path ? host->repo_path : ".";
	else
		opts.repo = mcr_config_checkpoint_repo(host->config, NULL);
	opts.ref = ac->checkpoint_ref;
	ret = mcr_checkpoint_create(host->log, host->log_signer, &opts, out);
	mcr_buf_release(&origin);
	return ret;
}

/* A checkpoint covering the request, and the request's proof of inclusion in it. */
static int prove_request(const struct mcr_release_host *host, struct mcr_signresp *resp)
{
	struct mcr_checkpoint_result cp;
	struct mcr_buf proof = MCR_BUF_INIT, origin = MCR_BUF_INIT;
	int ret;

	if ((ret = mcr_checkpoint_origin(&origin, host->config->product,
	                                 host->config->audit.log_id)) < 0 ||
	    (ret = set_str(&resp->log_origin, (char *)origin.data)) < 0)
		goto out;
	if (!host->log_signer)
		goto out; /* no log key: the event is named, but nothing proves it */
	if ((ret = checkpoint(host, &cp)) < 0)
		goto out;
	if ((ret = set_str(&resp->checkpoint, cp.note)) == 0 &&
	    (ret = mcr_audit_proof_inclusion(host->log, resp->requested_seq, cp.note, &proof)) == 0)
		ret = set_str(&resp->inclusion_proof, (char *)proof.data);
	mcr_checkpoint_result_release(&cp);
out:
	mcr_buf_release(&proof);
	mcr_buf_release(&origin);
	return ret;
}

int mcr_release_sign(const struct mcr_release_host *host, const struct mcr_signreq *req,
                     struct mcr_signresp *resp)
{
	int ret;

	if ((ret = prove_request(host, resp)) < 0)
		return record_outcome(host, req, resp, "log", ret);
	if ((ret = mcr_signer_sign_digest(host->signer, req->spec.hash_alg, req->digest,
	                                  req->digest_len, req->request_id, &resp->signature)) < 0)
		return record_outcome(host, req, resp, "signer", ret);
	mcr_signreq_now(resp->signed_at);
	mcr_release_note_outcome(resp, 0);
	return 0;
}

int mcr_release_complete(const struct mcr_release_host *host, const struct mcr_signreq *req,
                         struct mcr_signresp *resp, const struct mcr_release_outputs *outputs)
{
	struct mcr_checkpoint_result cp;
	struct mcr_audit_entry entry;
	cJSON *body = NULL;
	int ret;

	if ((ret = mcr_release_completed_body(&body, req, resp, outputs)) < 0 ||
	    (ret = append(host, "sign.completed", body, &entry)) < 0) {
		/* a signature the log does not hold as completed is never handed out */
		mcr_buf_release(&resp->signature);
		resp->signed_at[0] = '\0';
		return record_outcome(host, req, resp, "complete", ret);
	}
	resp->completed_seq = entry.seq;
	mcr_hex_encode(resp->completed_hash, entry.hash, sizeof(entry.hash));
	if (!host->log_signer)
		return 0;
	/* the signature is recorded: a checkpoint that cannot be made now is made with the next one
	 */
	if ((ret = checkpoint(host, &cp)) < 0)
		mcr_cli_warn("signed and recorded, but no checkpoint covers it yet: %s",
		             mcr_error_message());
	else
		mcr_checkpoint_result_release(&cp);
	return 0;
}
