/* The signing host's part: a request from elsewhere, judged under this host's config alone. */
#include "release_host.h"

#include "error.h"
#include "release.h"
#include "release_session.h"
#include "signreq.h"
#include "signresp.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The request id a malformed request claims, if it claims a well-formed one; else a fresh id. */
static int salvage_id(char *out, const char *text, size_t len)
{
	cJSON *root = cJSON_ParseWithLength(text, len);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "request_id");
	bool usable = cJSON_IsString(id) && strlen(id->valuestring) == 36 &&
	              strspn(id->valuestring, "0123456789abcdef-") == 36;

	if (usable)
		memcpy(out, id->valuestring, 37);
	cJSON_Delete(root);
	return usable ? 0 : mcr_signreq_new_id(out);
}

/* The request, read strictly; what cannot be read or trusted is a refusal the log records. */
static int read_request(const struct mcr_host_job *job, const struct mcr_release_host *host,
                        const char *text, size_t len, struct mcr_release_report *r)
{
	char why[512];
	int ret;

	if (len > MCR_REQUEST_MAX_BYTES) {
		ret = mcr_refuse("request.too_large",
		                 "request from %s is larger than %u bytes: refused unread",
		                 job->subject, MCR_REQUEST_MAX_BYTES);
	} else if ((ret = mcr_signreq_parse(&r->req, text, len, job->subject)) == 0) {
		return 0;
	} else if (ret == MCR_EINPUT) {
		snprintf(why, sizeof(why), "%s", mcr_error_message());
		ret = mcr_refuse("request.malformed", "%s", why);
	} else if (ret != MCR_EREFUSED) {
		return ret;
	} /* else the tag's own flaw, or tag bytes that are not what the request claims */
	mcr_signreq_release(&r->req);
	mcr_signreq_init(&r->req);
	if (salvage_id(r->req.request_id, len > MCR_REQUEST_MAX_BYTES ? "" : text,
	               len > MCR_REQUEST_MAX_BYTES ? 0 : len) < 0)
		return MCR_ESYS;
	memcpy(r->resp.request_id, r->req.request_id, sizeof(r->resp.request_id));
	return mcr_release_fail(host, &r->req, &r->resp, "request", ret);
}

/* The phases after the request was read: open the signers, check, record, sign, record. */
static int judge_and_sign(struct mcr_release_session *s, double *mark, struct mcr_release_report *r)
{
	int ret;

	memcpy(r->resp.request_id, r->req.request_id, sizeof(r->resp.request_id));
	if ((ret = mcr_release_session_open_signers(s)) < 0)
		return mcr_release_fail(&s->host, &r->req, &r->resp, "setup", ret);
	mcr_release_lap(mark, r, MCR_PHASE_SETUP);
	ret = mcr_release_request(&s->host, &r->req, &r->resp);
	mcr_release_lap(mark, r, MCR_PHASE_CHECK);
	if (ret < 0 || s->host.dry_run)
		return ret;
	r->is_idempotent = r->resp.previous_seq != 0;
	ret = mcr_release_sign(&s->host, &r->req, &r->resp);
	mcr_release_lap(mark, r, MCR_PHASE_SIGN);
	if (ret < 0)
		return ret;
	/* the host never sees the image: the completion names no outputs */
	ret = mcr_release_complete(&s->host, &r->req, &r->resp, NULL);
	mcr_release_lap(mark, r, MCR_PHASE_COMPLETE);
	r->is_signed = ret == 0;
	return ret;
}

int mcr_host_job_run(const struct mcr_host_job *job, const char *text, size_t len,
                     struct mcr_release_report *r)
{
	struct mcr_release_place place = {job->config_path, NULL, false, job->actor, job->dry_run};
	struct mcr_release_session s;
	double mark;
	int ret;

	memset(r, 0, sizeof(*r));
	mcr_signreq_init(&r->req);
	mcr_signresp_init(&r->resp);
	mcr_release_clock_start(&mark);
	if ((ret = mcr_release_session_open(&s, &place)) < 0) {
		/* nothing can be recorded, but the runner still gets an answer it can read */
		mcr_release_note_outcome(&r->resp, ret);
		if (salvage_id(r->resp.request_id, text, len > MCR_REQUEST_MAX_BYTES ? 0 : len) ==
		    0)
			r->has_response = true;
		goto out;
	}
	r->has_response = true;
	ret = read_request(job, &s.host, text, len, r);
	mcr_release_lap(&mark, r, MCR_PHASE_REQUEST);
	if (ret < 0)
		goto out;
	r->has_request = true;
	ret = judge_and_sign(&s, &mark, r);
out:
	/* whatever stopped the job, the runner gets an answer that says so */
	if (ret < 0 && r->has_response && !r->resp.outcome[0])
		mcr_release_note_outcome(&r->resp, ret);
	if (r->has_response && !r->resp.request_id[0] &&
	    salvage_id(r->resp.request_id, text, len > MCR_REQUEST_MAX_BYTES ? 0 : len) < 0)
		r->has_response = false;
	mcr_release_session_close(&s);
	return ret;
}
