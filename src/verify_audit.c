/* verify against the audit log itself: the record, the log's own verification, and a proof. */
#include "verify_audit.h"

#include "audit.h"
#include "buf.h"
#include "checkpoint.h"
#include "error.h"
#include "verify.h"
#include "verify_proof.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

struct scan {
	const struct mcr_verify_query *query;
	mcr_verify_event_fn fn;
	void *fn_ctx;
};

/* Only events that mention the digest or file hash are parsed. */
static int on_row(void *ctx, const struct mcr_audit_event *e)
{
	struct scan *s = ctx;
	cJSON *envelope;
	int ret;

	if (!mcr_verify_query_in(s->query, e->body, e->body_len) ||
	    !(envelope = cJSON_ParseWithLength(e->body, e->body_len)))
		return 0; /* an unreadable body is the log check's finding */
	ret = s->fn(s->fn_ctx, e->seq, envelope);
	cJSON_Delete(envelope);
	return ret;
}

static int scan_log(void *source, const struct mcr_verify_query *query, mcr_verify_event_fn fn,
                    void *fn_ctx)
{
	struct scan s = {query, fn, fn_ctx};

	return mcr_audit_foreach(source, NULL, on_row, &s);
}

/* The stored and published checkpoints (the config's) and the anchor, as mcr_audit_verify takes
 * them. */
static int gather_anchors(struct mcr_checkpoint_anchors *list,
                          const struct mcr_verify_audit_opts *o, struct mcr_audit_anchor **all,
                          size_t *count)
{
	int ret;

	*all = NULL;
	*count = 0;
	if ((o->checkpoint_file &&
	     (ret = mcr_checkpoint_anchors_add_file(list, o->checkpoint_file, true)) < 0) ||
	    (o->checkpoint_ref &&
	     (ret = mcr_checkpoint_anchors_add_ref(list, o->repo, o->checkpoint_ref, true)) < 0))
		return ret;
	if (!(*all = calloc(list->count + 1, sizeof(**all))))
		return mcr_error(MCR_ESYS, "out of memory");
	if (list->count)
		memcpy(*all, list->items, list->count * sizeof(**all));
	*count = list->count;
	if (o->anchor_note)
		(*all)[(*count)++] = (struct mcr_audit_anchor){o->anchor_subject, o->anchor_note};
	return 0;
}

static int check_log(struct mcr_verify_report *rep, struct mcr_audit *log,
                     const struct mcr_verify_audit_opts *o)
{
	struct mcr_checkpoint_anchors published = {0};
	struct mcr_audit_report found = {0};
	struct mcr_audit_verify_opts vo = {.log_key = o->log_key, .origin = o->origin};
	struct mcr_audit_anchor *anchors = NULL;
	struct mcr_verify_check *check = &rep->checks[MCR_VERIFY_LOG];
	int ret;

	if ((ret = gather_anchors(&published, o, &anchors, &vo.anchor_count)) < 0)
		goto out;
	vo.anchors = anchors;
	if ((ret = mcr_audit_verify(log, &vo, &found)) < 0)
		goto out;
	if (!found.is_valid)
		ret = mcr_verify_check_set(check, MCR_VERIFY_FAILED, "verify.log_invalid",
		                           "audit log '%s' does not verify: %s (%s)", o->path,
		                           found.problem_count ? found.problems[0].message
		                                               : "invalid",
		                           found.problem_count ? found.problems[0].reason : "?");
	else
		ret = mcr_verify_check_set(check, MCR_VERIFY_PASSED, NULL,
		                           "audit log '%s' verifies: %lld events, %zu stored "
		                           "checkpoints, %zu kept outside it",
		                           o->path, found.event_count, found.checkpoint_count,
		                           found.anchor_count);
out:
	mcr_audit_report_release(&found);
	mcr_checkpoint_anchors_release(&published);
	free(anchors);
	return ret;
}

/* The completion (else the request) in the latest checkpoint, proven as 'audit proof' would. */
static int check_proof(struct mcr_verify_report *rep, struct mcr_audit *log,
                       const struct mcr_verify_audit_opts *o)
{
	struct mcr_verify_check *check = &rep->checks[MCR_VERIFY_PROOF];
	long long seq =
	        rep->record.completion.seq ? rep->record.completion.seq : rep->record.request.seq;
	struct mcr_buf doc = MCR_BUF_INIT;
	int ret;

	ret = mcr_audit_proof_inclusion(log, seq, NULL, &doc);
	if (ret == MCR_EINPUT || ret == MCR_EREFUSED) {
		ret = mcr_verify_check_set(check, MCR_VERIFY_FAILED,
		                           ret == MCR_EINPUT ? "verify.no_proof"
		                                             : "verify.bad_proof",
		                           "%s", mcr_error_message());
		mcr_error_clear();
	} else if (ret == 0) {
		ret = mcr_verify_proof_check(check, NULL, &rep->checkpoint_origin,
		                             &rep->checkpoint_size, (char *)doc.data, doc.len,
		                             "inclusion proof", seq, o->log_key, o->origin);
	}
	mcr_buf_release(&doc);
	return ret;
}

int mcr_verify_audit_check(struct mcr_verify_report *rep, const struct mcr_verify_audit_opts *o,
                           const struct mcr_verify_query *query)
{
	struct mcr_audit *log = NULL;
	int ret;

	if ((ret = mcr_audit_open(&log, o->path, false)) < 0 ||
	    (ret = mcr_verify_record_find(&rep->record, query, scan_log, log)) < 0 ||
	    (ret = check_log(rep, log, o)) < 0)
		goto out;
	if (rep->record.request.seq)
		ret = check_proof(rep, log, o);
out:
	mcr_audit_free(log);
	return ret;
}
