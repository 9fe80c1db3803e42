/* verify against an export bundle: what verify-export checks, then the release in events.jsonl. */
#include "verify_bundle.h"

#include "audit.h"
#include "buf.h"
#include "checkpoint.h"
#include "error.h"
#include "export.h"
#include "fileio.h"
#include "hash.h"
#include "json.h"
#include "verify.h"
#include "verify_proof.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PROOF_MAX    (16 * 1024 * 1024)
#define MANIFEST_MAX (256 * 1024 * 1024)

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

/* The signed manifest, read again for what verify-export does not hand back. */
struct manifest {
	cJSON *doc;
	const char *dir;
};

/* The SHA-256 the manifest lists for rel, or NULL when rel is not in the bundle. Borrowed. */
static const char *listed(const struct manifest *m, const char *rel)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(m->doc, "files"), *f;

	cJSON_ArrayForEach(f, files)
	{
		const char *path = mcr_verify_data_string(f, "path", NULL);

		if (path && !strcmp(path, rel))
			return mcr_verify_data_string(f, "sha256", NULL);
	}
	return NULL;
}

/* A listed file's bytes, which must still be the ones the manifest lists. */
static int read_listed(struct mcr_buf *out, const struct manifest *m, const char *rel,
                       size_t max_len)
{
	const char *want = listed(m, rel);
	struct mcr_buf path = MCR_BUF_INIT;
	char hex[65];
	int ret;

	if ((ret = mcr_buf_addf(&path, "%s/%s", m->dir, rel)) < 0 ||
	    (ret = mcr_fileio_read_all((char *)path.data, max_len, out)) < 0 ||
	    (ret = mcr_hash_sha256_hex(hex, out->data, out->len)) < 0)
		goto out;
	if (!want || strcmp(hex, want))
		ret = mcr_error(MCR_EINPUT,
		                "file '%s' of bundle '%s' is not the one its manifest lists", rel,
		                m->dir);
out:
	mcr_buf_release(&path);
	return ret;
}

/* The chain hash events.jsonl holds for seq (verify-export recomputed it), or "" if none. */
static int event_hash(char hex[65], const struct manifest *m, long long seq)
{
	struct mcr_buf path = MCR_BUF_INIT;
	char prefix[40], *line = NULL;
	size_t cap = 0, prefix_len;
	ssize_t len;
	FILE *f = NULL;
	int ret = 0;

	hex[0] = '\0';
	prefix_len = (size_t)snprintf(prefix, sizeof(prefix), "{\"seq\":%lld,", seq);
	if ((ret = mcr_buf_addf(&path, "%s/events.jsonl", m->dir)) < 0)
		goto out;
	if (!(f = fopen((char *)path.data, "r"))) {
		ret = mcr_error_errno(MCR_EINPUT, "cannot read bundle events '%s'",
		                      (char *)path.data);
		goto out;
	}
	while (!hex[0] && (len = getline(&line, &cap, f)) > 0) {
		cJSON *parsed;
		const char *hash;

		if ((size_t)len < prefix_len || strncmp(line, prefix, prefix_len) ||
		    !(parsed = cJSON_ParseWithLength(line, (size_t)len)))
			continue;
		if ((hash = mcr_verify_data_string(parsed, "hash", NULL)) && strlen(hash) == 64)
			memcpy(hex, hash, 65);
		cJSON_Delete(parsed);
	}
out:
	if (f)
		fclose(f);
	free(line);
	mcr_buf_release(&path);
	return ret;
}

/*
 * The bundle's latest checkpoint, for a record it has no proof of: the origin and size to name,
 * and a check that the log key signed it under the expected origin.
 */
static int latest_checkpoint(struct mcr_verify_report *rep, const struct manifest *m,
                             const struct mcr_key *key, const char *origin)
{
	const char *rel = mcr_verify_data_string(m->doc, "checkpoint", NULL);
	const char *log = mcr_verify_data_string(m->doc, "log", "origin", NULL);
	struct mcr_buf note = MCR_BUF_INIT;
	struct mcr_checkpoint cp = {0};
	int ret = 0;

	free(rep->checkpoint_origin);
	rep->checkpoint_origin = NULL;
	rep->checkpoint_size = 0;
	if (rel) {
		if ((ret = read_listed(&note, m, rel, MCR_CHECKPOINT_MAX_LEN)) < 0 ||
		    (ret = mcr_checkpoint_parse(&cp, (char *)note.data, note.len, rel)) < 0 ||
		    (ret = mcr_checkpoint_verify(&cp, key, origin, rel)) < 0)
			goto out;
		rep->checkpoint_size = cp.size;
		log = cp.origin;
	}
	if (log && !(rep->checkpoint_origin = strdup(log)))
		ret = mcr_error(MCR_ESYS, "out of memory");
out:
	mcr_checkpoint_release(&cp);
	mcr_buf_release(&note);
	return ret;
}

/* The listed proof of seq: an inclusion proof whose leaf is the event events.jsonl holds. */
static int check_listed_proof(struct mcr_verify_report *rep, const struct manifest *m,
                              const char *rel, long long seq, const struct mcr_key *key,
                              const char *origin)
{
	struct mcr_verify_check *check = &rep->checks[MCR_VERIFY_PROOF];
	struct mcr_audit_event proven = {0};
	struct mcr_buf doc = MCR_BUF_INIT;
	char want[65], got[65];
	int ret;

	if ((ret = read_listed(&doc, m, rel, PROOF_MAX)) == MCR_EINPUT) {
		ret = mcr_verify_check_set(check, MCR_VERIFY_FAILED, "verify.bad_proof", "%s",
		                           mcr_error_message());
		mcr_error_clear();
		goto out;
	}
	if (ret < 0 ||
	    (ret = mcr_verify_proof_check(check, &proven, &rep->checkpoint_origin,
	                                  &rep->checkpoint_size, (char *)doc.data, doc.len, rel,
	                                  seq, key, origin)) < 0 ||
	    check->status != MCR_VERIFY_PASSED || (ret = event_hash(want, m, seq)) < 0)
		goto out;
	mcr_hex_encode(got, proven.hash, sizeof(proven.hash));
	if (strcmp(got, want))
		ret = mcr_verify_check_set(
		        check, MCR_VERIFY_FAILED, "verify.bad_proof",
		        "proof '%s' is not of event %lld as events.jsonl holds it", rel, seq);
out:
	mcr_audit_event_release(&proven);
	mcr_buf_release(&doc);
	return ret;
}

/* The bundle's proof of the event, or what vouches for it when it has none. */
static int check_proof(struct mcr_verify_report *rep, const struct manifest *m,
                       const struct mcr_key *key, const char *origin,
                       const struct mcr_export_check *found)
{
	struct mcr_verify_check *check = &rep->checks[MCR_VERIFY_PROOF];
	long long seq =
	        rep->record.completion.seq ? rep->record.completion.seq : rep->record.request.seq;
	char rel[64];
	int ret;

	/* only a proof the signed manifest lists counts: anything else in the directory is not
	 * the bundle's */
	snprintf(rel, sizeof(rel), "proofs/%lld.json", seq);
	if (listed(m, rel))
		return check_listed_proof(rep, m, rel, seq, key, origin);
	if ((ret = latest_checkpoint(rep, m, key, origin)) == MCR_EINPUT || ret == MCR_EREFUSED) {
		ret = mcr_verify_check_set(check, MCR_VERIFY_FAILED, "verify.bad_checkpoint", "%s",
		                           mcr_error_message());
		mcr_error_clear();
		return ret;
	}
	if (ret < 0)
		return ret;
	if (seq <= found->proven_through)
		return mcr_verify_check_set(check, MCR_VERIFY_PASSED, NULL,
		                            "event %lld is in the bundle's range proven in its "
		                            "checkpoint of %lld events",
		                            seq, found->checkpoint_size);
	return mcr_verify_check_set(check, MCR_VERIFY_PASSED, NULL,
	                            "event %lld comes after the bundle's latest checkpoint: "
	                            "only its manifest, signed by the log key, vouches for it",
	                            seq);
}

/* Which part of the log the bundle holds, so that verify can tell "not in it" from "not
 * recorded". */
static void keep_range(struct mcr_verify_report *rep, const struct manifest *m,
                       const struct mcr_export_check *found)
{
	const cJSON *size = mcr_verify_data_item(m->doc, "log", "size", NULL);

	rep->bundle_first_seq = found->first_seq;
	rep->bundle_last_seq = found->last_seq;
	rep->bundle_log_size = cJSON_IsNumber(size) ? (long long)size->valuedouble : 0;
}

int mcr_verify_bundle_check(struct mcr_verify_report *rep, const char *dir,
                            const struct mcr_key *log_key, const char *origin,
                            const struct mcr_verify_query *query)
{
	struct mcr_export_check found = {0};
	struct manifest m = {.dir = dir};
	struct mcr_buf path = MCR_BUF_INIT;
	struct stat st;
	int ret;

	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
		return mcr_error(MCR_EINPUT,
		                 "--bundle takes a directory: '%s' is none (unpack a .tar first: "
		                 "tar -xf)",
		                 dir);
	if ((ret = check_bundle(rep, dir, log_key, &found)) < 0 ||
	    (ret = mcr_verify_record_find(&rep->record, query, scan_events, (void *)dir)) < 0)
		goto out;
	if (!found.is_valid) {
		if (rep->record.request.seq)
			ret = mcr_verify_check_set(&rep->checks[MCR_VERIFY_PROOF],
			                           MCR_VERIFY_SKIPPED, NULL,
			                           "bundle '%s' does not verify: nothing in it is "
			                           "proven",
			                           dir);
		goto out;
	}
	if ((ret = mcr_buf_addf(&path, "%s/MANIFEST.json", dir)) < 0 ||
	    (ret = mcr_json_parse_file(&m.doc, (char *)path.data, MANIFEST_MAX)) < 0)
		goto out;
	keep_range(rep, &m, &found);
	if (rep->record.request.seq)
		ret = check_proof(rep, &m, log_key, origin, &found);
out:
	cJSON_Delete(m.doc);
	mcr_buf_release(&path);
	mcr_export_check_release(&found);
	return ret;
}
