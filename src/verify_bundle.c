/* verify against an export bundle: what verify-export checks, then the release in events.jsonl. */
#include "verify_bundle.h"

#include "buf.h"
#include "error.h"
#include "export.h"
#include "fileio.h"
#include "verify.h"
#include "verify_proof.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PROOF_MAX (16 * 1024 * 1024)

/* Each line of events.jsonl: {"seq":N,"prev_hash":H,"hash":H,"body":<the stored body>}. */
static int feed_line(const char *line, size_t len, const struct mcr_verify_query *query,
                     mcr_verify_event_fn fn, void *fn_ctx)
{
	cJSON *parsed;
	const cJSON *seq, *body;
	int ret = 0;

	if (!mcr_verify_query_in(query, line, len) || !(parsed = cJSON_ParseWithLength(line, len)))
		return 0; /* a broken line is the bundle check's finding */
	seq = cJSON_GetObjectItemCaseSensitive(parsed, "seq");
	body = cJSON_GetObjectItemCaseSensitive(parsed, "body");
	if (cJSON_IsNumber(seq) && cJSON_IsObject(body))
		ret = fn(fn_ctx, (long long)seq->valuedouble, body);
	cJSON_Delete(parsed);
	return ret;
}

static int scan_events(void *source, const struct mcr_verify_query *query, mcr_verify_event_fn fn,
                       void *fn_ctx)
{
	struct mcr_buf path = MCR_BUF_INIT;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f = NULL;
	int ret;

	if ((ret = mcr_buf_addf(&path, "%s/events.jsonl", (const char *)source)) < 0)
		goto out;
	if (!(f = fopen((char *)path.data, "r"))) {
		ret = mcr_error_errno(MCR_EINPUT, "cannot read bundle events '%s'",
		                      (char *)path.data);
		goto out;
	}
	while (ret == 0 && (len = getline(&line, &cap, f)) > 0)
		ret = feed_line(line, (size_t)len, query, fn, fn_ctx);
	if (ret == 0 && ferror(f))
		ret = mcr_error_errno(MCR_ESYS, "cannot read bundle events '%s'",
		                      (char *)path.data);
out:
	if (f)
		fclose(f);
	free(line);
	mcr_buf_release(&path);
	return ret;
}

static int check_bundle(struct mcr_verify_report *rep, const char *dir, const struct mcr_key *key,
                        struct mcr_export_check *found)
{
	struct mcr_verify_check *check = &rep->checks[MCR_VERIFY_LOG];
	int ret;

	if ((ret = mcr_export_verify_bundle(dir, key, found)) < 0)
		return ret;
	if (!found->is_valid)
		return mcr_verify_check_set(check, MCR_VERIFY_FAILED, "verify.bundle_invalid",
		                            "bundle '%s' does not verify: %s (%s)", dir,
		                            found->message ? found->message : "invalid",
		                            found->reason ? found->reason : "?");
	return mcr_verify_check_set(check, MCR_VERIFY_PASSED, NULL,
	                            "bundle '%s' verifies with the log key: events %lld to %lld, "
	                            "proven through %lld",
	                            dir, found->first_seq, found->last_seq, found->proven_through);
}

/* The bundle's proof of the event, or what vouches for it when it has none. */
static int check_proof(struct mcr_verify_report *rep, const char *dir, const struct mcr_key *key,
                       const char *origin, const struct mcr_export_check *found)
{
	struct mcr_verify_check *check = &rep->checks[MCR_VERIFY_PROOF];
	long long seq =
	        rep->record.completion.seq ? rep->record.completion.seq : rep->record.request.seq;
	struct mcr_buf path = MCR_BUF_INIT, doc = MCR_BUF_INIT;
	int ret;

	if ((ret = mcr_buf_addf(&path, "%s/proofs/%lld.json", dir, seq)) < 0)
		goto out;
	if (mcr_fileio_exists((char *)path.data)) {
		if ((ret = mcr_fileio_read_all((char *)path.data, PROOF_MAX, &doc)) == 0)
			ret = mcr_verify_proof_check(check, &rep->checkpoint_origin,
			                             &rep->checkpoint_size, (char *)doc.data,
			                             doc.len, (char *)path.data, key, origin);
	} else if (seq <= found->proven_through) {
		ret = mcr_verify_check_set(check, MCR_VERIFY_PASSED, NULL,
		                           "event %lld is in the bundle's range proven in its "
		                           "checkpoint of %lld events",
		                           seq, found->checkpoint_size);
	} else {
		ret = mcr_verify_check_set(
		        check, MCR_VERIFY_PASSED, NULL,
		        "event %lld comes after the bundle's latest checkpoint: "
		        "only its manifest, signed by the log key, vouches for it",
		        seq);
	}
out:
	mcr_buf_release(&path);
	mcr_buf_release(&doc);
	return ret;
}

int mcr_verify_bundle_check(struct mcr_verify_report *rep, const char *dir,
                            const struct mcr_key *log_key, const char *origin,
                            const struct mcr_verify_query *query)
{
	struct mcr_export_check found = {0};
	struct stat st;
	int ret;

	if (stat(dir, &st) == 0 && S_ISREG(st.st_mode))
		return mcr_error(MCR_EUSAGE,
		                 "--bundle takes a directory: unpack '%s' first (tar -xf)", dir);
	if ((ret = check_bundle(rep, dir, log_key, &found)) < 0 ||
	    (ret = mcr_verify_record_find(&rep->record, query, scan_events, (void *)dir)) < 0)
		goto out;
	if (rep->record.request.seq)
		ret = check_proof(rep, dir, log_key, origin, &found);
out:
	mcr_export_check_release(&found);
	return ret;
}
