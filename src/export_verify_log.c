/* verify-export, the log evidence: every checkpoint signed by the log key, the chain recomputed
 * over events.jsonl from the exact bytes, and each inclusion proof leading to the latest
 * checkpoint from the very event events.jsonl holds. */
#include "export.h"
#include "export_bundle.h"
#include "export_verify.h"

#include "audit.h"
#include "buf.h"
#include "checkpoint.h"
#include "error.h"
#include "json.h"
#include "merkle.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROOF_MAX (1024 * 1024)

/* What the chain pass keeps for the proofs. */
struct chain {
	long long first_seq;
	long long count;
	unsigned char *hashes; /* count * 32, the hash of seq first_seq + i */
	size_t hash_cap;
	long long *completions; /* seqs of sign.completed events */
	size_t completion_count;
	size_t completion_cap;
};

static void chain_release(struct chain *c)
{
	free(c->hashes);
	free(c->completions);
}

static int check_checkpoints(struct mcr_verify *v)
{
	struct mcr_buf text = MCR_BUF_INIT;
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < v->listed_count; i++) {
		struct mcr_checkpoint cp = {0};

		if (strncmp(v->listed[i], "checkpoints/", 12))
			continue;
		mcr_buf_truncate(&text, 0);
		if (mcr_verify_read(v, v->listed[i], MCR_CHECKPOINT_MAX_LEN, &text) < 0)
			ret = 0; /* missing or unreadable: the file check reported it */
		else if (mcr_checkpoint_parse(&cp, (char *)text.data, text.len, v->listed[i]) < 0 ||
		         mcr_checkpoint_verify(&cp, v->key, v->origin, v->listed[i]) < 0)
			ret = mcr_verify_finding(v, "export.bad_checkpoint", "%s",
			                         mcr_error_message());
		else
			v->out->checkpoint_count++;
		mcr_error_clear();
		mcr_checkpoint_release(&cp);
	}
	mcr_buf_release(&text);
	return ret;
}

/* Reads a fixed run of hex digits into out; returns the text after them, or NULL. */
static const char *hex_field(const char *p, const char *prefix, unsigned char out[32])
{
	size_t len = strlen(prefix);
	char hex[65];

	if (strncmp(p, prefix, len))
		return NULL;
	memcpy(hex, p + len, 64);
	hex[64] = '\0';
	if (strspn(hex, "0123456789abcdef") != 64 || mcr_hex_decode(out, 32, hex) < 0)
		return NULL;
	return p + len + 64;
}

/*
 * {"seq":N,"prev_hash":H,"hash":H,"body":BODY}: the layout the bundle
 * writes; BODY runs to the final brace. 0, or -1 if the line has another shape.
 */
static int parse_line(char *line, long long *seq, unsigned char prev[32], unsigned char hash[32],
                      const char **body, size_t *body_len)
{
	size_t len = strlen(line);
	const char *p;
	char *end;

	if (len && line[len - 1] == '\n')
		line[--len] = '\0';
	if (strncmp(line, "{\"seq\":", 7) || len < 8 || line[len - 1] != '}')
		return -1;
	*seq = strtoll(line + 7, &end, 10);
	if (end == line + 7 || *seq < 1 || !(p = hex_field(end, ",\"prev_hash\":\"", prev)) ||
	    !(p = hex_field(p, "\",\"hash\":\"", hash)) || strncmp(p, "\",\"body\":", 9))
		return -1;
	*body = p + 9;
	*body_len = (size_t)(line + len - 1 - *body);
	return 0;
}

static int note_completion(struct chain *c, long long seq, const char *body, size_t len)
{
	cJSON *envelope = cJSON_ParseWithLength(body, len);
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(envelope, "kind");
	int ret = 0;

	if (cJSON_IsString(kind) && !strcmp(kind->valuestring, "sign.completed") &&
	    (ret = mcr_export_grow((void **)&c->completions, &c->completion_cap,
	                           c->completion_count, sizeof(*c->completions))) == 0)
		c->completions[c->completion_count++] = seq;
	cJSON_Delete(envelope);
	return ret;
}

/* One event: its hash recomputed from seq, prev_hash and the exact body, and its link. */
static int check_event(struct mcr_verify *v, struct chain *c, struct mcr_merkle_hasher *hasher,
                       char *line, long long lineno)
{
	unsigned char prev[32], hash[32], actual[32], zero[32] = {0};
	const unsigned char *expected_prev;
	const char *body;
	size_t body_len;
	long long seq;
	int ret;

	if (parse_line(line, &seq, prev, hash, &body, &body_len) < 0)
		return mcr_verify_finding(v, "export.chain_broken", "line %lld of %s is malformed",
		                          lineno, MCR_BUNDLE_EVENTS);
	if (!c->count)
		c->first_seq = seq;
	if (seq != c->first_seq + c->count)
		return mcr_verify_finding(v, "export.chain_broken",
		                          "%s jumps to seq %lld after seq %lld", MCR_BUNDLE_EVENTS,
		                          seq, c->first_seq + c->count - 1);
	if ((ret = mcr_audit_event_hash(hasher, seq, prev, body, body_len, actual)) < 0)
		return ret;
	expected_prev = c->count ? c->hashes + (c->count - 1) * 32 : seq == 1 ? zero : prev;
	if (memcmp(actual, hash, 32) || memcmp(prev, expected_prev, 32))
		return mcr_verify_finding(
		        v, "export.chain_broken",
		        "event %lld in %s does not match its hash or its predecessor", seq,
		        MCR_BUNDLE_EVENTS);
	if ((ret = mcr_export_grow((void **)&c->hashes, &c->hash_cap, (size_t)c->count, 32)) < 0)
		return ret;
	memcpy(c->hashes + c->count * 32, hash, 32);
	c->count++;
	return note_completion(c, seq, body, body_len);
}

/* The whole of events.jsonl, line by line; it must hold the manifest's period exactly. */
static int check_chain(struct mcr_verify *v, struct chain *c)
{
	struct mcr_merkle_hasher *hasher = NULL;
	struct mcr_buf path = MCR_BUF_INIT;
	size_t cap = 0, findings = v->out->line_count;
	long long lineno = 0, first = 0, last = 0;
	char *line = NULL;
	FILE *fp = NULL;
	int ret;

	if (!mcr_verify_is_listed(v, MCR_BUNDLE_EVENTS))
		return mcr_verify_finding(v, "export.missing_file", "%s is not in the manifest",
		                          MCR_BUNDLE_EVENTS);
	if ((ret = mcr_merkle_hasher_new(&hasher)) < 0 ||
	    (ret = mcr_buf_addf(&path, "%s/%s", v->dir, MCR_BUNDLE_EVENTS)) < 0)
		goto out;
	if (!(fp = fopen((char *)path.data, "re"))) {
		ret = mcr_verify_finding(v, "export.missing_file", "%s is missing",
		                         MCR_BUNDLE_EVENTS);
		goto out;
	}
	while (ret == 0 && v->out->line_count == findings && getline(&line, &cap, fp) > 0)
		ret = check_event(v, c, hasher, line, ++lineno);
	mcr_json_get_int(&first, cJSON_GetObjectItemCaseSensitive(v->manifest, "period"),
	                 "first_seq", false, 0, 1LL << 62, MCR_BUNDLE_MANIFEST);
	mcr_json_get_int(&last, cJSON_GetObjectItemCaseSensitive(v->manifest, "period"), "last_seq",
	                 false, 0, 1LL << 62, MCR_BUNDLE_MANIFEST);
	mcr_error_clear();
	if (ret == 0 && v->out->line_count == findings &&
	    (c->count ? c->first_seq != first || c->first_seq + c->count - 1 != last : first != 0))
		ret = mcr_verify_finding(
		        v, "export.chain_broken",
		        "%s holds %lld events, not seq %lld to %lld as the manifest "
		        "says",
		        MCR_BUNDLE_EVENTS, c->count, first, last);
	v->out->first_seq = c->count ? c->first_seq : 0;
	v->out->last_seq = c->count ? c->first_seq + c->count - 1 : 0;
	v->out->event_count = c->count;
out:
	if (fp)
		fclose(fp);
	free(line);
	mcr_buf_release(&path);
	mcr_merkle_hasher_free(hasher);
	return ret;
}

/* A proof leads to the latest checkpoint, and from the event events.jsonl holds at its seq. */
static int check_proof(struct mcr_verify *v, const struct chain *c, const char *rel,
                       const char *note, long long *proven_seq)
{
	struct mcr_buf text = MCR_BUF_INIT;
	const cJSON *event;
	cJSON *doc = NULL;
	long long seq = 0;
	const char *hash = NULL;
	char want[65] = "";
	int ret = 0;

	*proven_seq = 0;
	if (mcr_verify_read(v, rel, PROOF_MAX, &text) < 0) {
		mcr_error_clear(); /* missing or unreadable: the file check reported it */
		goto out;
	}
	if (mcr_audit_proof_verify((char *)text.data, text.len, rel, note, NULL, v->key, v->origin,
	                           NULL) < 0) {
		ret = mcr_verify_finding(v, "export.bad_proof", "%s", mcr_error_message());
		mcr_error_clear();
		goto out;
	}
	doc = cJSON_ParseWithLength((char *)text.data, text.len);
	event = cJSON_GetObjectItemCaseSensitive(doc, "event");
	mcr_json_get_int(&seq, event, "seq", false, 0, 1LL << 62, rel);
	mcr_json_get_string(&hash, event, "hash", false, rel);
	mcr_error_clear();
	if (seq >= c->first_seq && seq < c->first_seq + c->count)
		mcr_hex_encode(want, c->hashes + (seq - c->first_seq) * 32, 32);
	if (!hash || strcmp(hash, want))
		ret = mcr_verify_finding(v, "export.bad_proof",
		                         "proof '%s' is not of event %lld as %s holds it", rel, seq,
		                         MCR_BUNDLE_EVENTS);
	else
		*proven_seq = seq;
out:
	cJSON_Delete(doc);
	mcr_buf_release(&text);
	return ret;
}

/* Every release the checkpoint covers has a proof; every proof holds. */
static int check_proofs(struct mcr_verify *v, const struct chain *c, const char *note,
                        long long size)
{
	char rel[64];
	long long seq;
	int ret = 0;

	for (size_t i = 0; i < c->completion_count; i++) {
		snprintf(rel, sizeof(rel), "proofs/%lld.json", c->completions[i]);
		if (c->completions[i] <= size && !mcr_verify_is_listed(v, rel))
			mcr_verify_finding(v, "export.missing_proof",
			                   "release event %lld has no inclusion proof",
			                   c->completions[i]);
	}
	for (size_t i = 0; ret == 0 && i < v->listed_count; i++) {
		if (strncmp(v->listed[i], "proofs/", 7))
			continue;
		if ((ret = check_proof(v, c, v->listed[i], note, &seq)) == 0 && seq)
			v->out->proof_count++;
	}
	return ret;
}

/* The proof of the last covered event ties the whole range before it to the checkpoint. */
static int check_anchor(struct mcr_verify *v, const struct chain *c, const char *note,
                        long long size)
{
	const cJSON *anchor = cJSON_GetObjectItemCaseSensitive(v->manifest, "anchor_proof");
	long long want = c->first_seq + c->count - 1 < size ? c->first_seq + c->count - 1 : size;
	long long seq = 0;
	int ret;

	if (!c->count || want < c->first_seq)
		return 0;
	if (!cJSON_IsString(anchor) || !mcr_verify_is_listed(v, anchor->valuestring))
		return mcr_verify_finding(v, "export.missing_proof",
		                          "no proof ties event %lld to the checkpoint", want);
	if ((ret = check_proof(v, c, anchor->valuestring, note, &seq)) < 0 || !seq)
		return ret;
	if (seq != want)
		return mcr_verify_finding(v, "export.missing_proof",
		                          "the anchor proof is of event %lld, not %lld", seq, want);
	v->out->proven_through = seq;
	return 0;
}

static int latest_checkpoint(struct mcr_verify *v, struct mcr_buf *note, long long *size)
{
	const cJSON *rel = cJSON_GetObjectItemCaseSensitive(v->manifest, "checkpoint");
	struct mcr_checkpoint cp = {0};

	*size = 0;
	if (!cJSON_IsString(rel))
		return 0;
	if (!mcr_verify_is_listed(v, rel->valuestring))
		return mcr_verify_finding(v, "export.missing_file",
		                          "checkpoint '%s' is not in the manifest",
		                          rel->valuestring);
	if (mcr_verify_read(v, rel->valuestring, MCR_CHECKPOINT_MAX_LEN, note) < 0 ||
	    mcr_checkpoint_parse(&cp, (char *)note->data, note->len, rel->valuestring) < 0) {
		mcr_error_clear();
		return mcr_verify_finding(v, "export.bad_checkpoint",
		                          "checkpoint '%s' is unreadable", rel->valuestring);
	}
	*size = cp.size;
	mcr_checkpoint_release(&cp);
	return 0;
}

static void summarize(struct mcr_verify *v)
{
	struct mcr_export_check *o = v->out;

	mcr_verify_note(v, "events: seq %lld to %lld (%lld), chain recomputed", o->first_seq,
	                o->last_seq, o->event_count);
	mcr_verify_note(v, "checkpoints: %zu signed by the log key; the latest covers %lld events",
	                o->checkpoint_count, o->checkpoint_size);
	mcr_verify_note(v, "inclusion proofs: %zu valid", o->proof_count);
	if (o->proven_through)
		mcr_verify_note(v, "events %lld to %lld are proven in the checkpoint", o->first_seq,
		                o->proven_through);
	if (o->last_seq > o->proven_through)
		mcr_verify_note(v,
		                "events %lld to %lld come after the latest checkpoint: only the "
		                "manifest signature vouches for them",
		                o->proven_through > o->first_seq ? o->proven_through + 1
		                                                 : o->first_seq,
		                o->last_seq);
}

int mcr_verify_log(struct mcr_verify *v)
{
	struct mcr_buf note = MCR_BUF_INIT;
	struct chain c = {0};
	long long size = 0;
	int ret;

	if ((ret = check_checkpoints(v)) < 0 || (ret = latest_checkpoint(v, &note, &size)) < 0 ||
	    (ret = check_chain(v, &c)) < 0)
		goto out;
	v->out->checkpoint_size = size;
	if (note.len && c.count && (ret = check_proofs(v, &c, (char *)note.data, size)) == 0)
		ret = check_anchor(v, &c, (char *)note.data, size);
	if (ret == 0)
		summarize(v);
out:
	chain_release(&c);
	mcr_buf_release(&note);
	return ret;
}
