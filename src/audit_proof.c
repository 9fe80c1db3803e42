/* Proof documents: an event's inclusion, or two tree sizes' consistency, with the signed checkpoint
 * they lead to. */
#include "audit.h"

#include "buf.h"
#include "checkpoint.h"
#include "error.h"
#include "json.h"
#include "key.h"
#include "merkle.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INCLUSION_TYPE   "mcurelease.audit.inclusion/v1"
#define CONSISTENCY_TYPE "mcurelease.audit.consistency/v1"

/* The checkpoint to prove against: the given one, or the latest stored one of at least min_size. */
static int pick_checkpoint(struct mcr_audit *log, const char *note, long long min_size,
                           struct mcr_checkpoint *out)
{
	struct mcr_audit_stored_checkpoint *list = NULL;
	size_t count = 0;
	int ret;

	if (note)
		return mcr_checkpoint_parse(out, note, strlen(note), "checkpoint");
	if ((ret = mcr_audit_checkpoints(log, &list, &count)) < 0)
		return ret;
	if (count == 0 || list[count - 1].size < min_size)
		ret = mcr_error(MCR_EINPUT,
		                "no checkpoint of audit log '%s' covers event %lld yet (run "
		                "'mcurelease audit checkpoint')",
		                mcr_audit_path(log), min_size);
	else
		ret = mcr_checkpoint_parse(out, list[count - 1].note, strlen(list[count - 1].note),
		                           "stored checkpoint");
	mcr_audit_stored_free(list, count);
	return ret;
}

/* Proofs come from the stored nodes; never hand out one that misses the signed root. */
static int check_stored_root(struct mcr_audit *log, const struct mcr_checkpoint *cp)
{
	unsigned char root[MCR_AUDIT_HASH_LEN];
	int ret;

	if ((ret = mcr_audit_root(log, cp->size, root)) < 0)
		return ret;
	if (memcmp(root, cp->root, MCR_AUDIT_HASH_LEN))
		return mcr_refuse("audit.split_view",
		                  "audit log '%s' does not match its checkpoint of size %lld (run "
		                  "'mcurelease audit verify')",
		                  mcr_audit_path(log), cp->size);
	return 0;
}

static int add_path(cJSON *doc, const struct mcr_merkle_proof *proof)
{
	cJSON *path = cJSON_CreateArray();
	char hex[2 * MCR_MERKLE_HASH_LEN + 1];

	if (!path)
		return mcr_error(MCR_ESYS, "out of memory");
	for (unsigned i = 0; i < proof->count; i++) {
		cJSON *item;

		mcr_hex_encode(hex, proof->hashes[i], MCR_MERKLE_HASH_LEN);
		if (!(item = cJSON_CreateString(hex)) || !cJSON_AddItemToArray(path, item)) {
			cJSON_Delete(item);
			cJSON_Delete(path);
			return mcr_error(MCR_ESYS, "out of memory");
		}
	}
	return mcr_json_add_item(doc, "path", path);
}

static int event_object(cJSON **out, const struct mcr_audit_event *event)
{
	cJSON *obj = cJSON_CreateObject();
	int ret;

	*out = obj;
	if (!obj)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_json_add_int(obj, "seq", event->seq)) < 0 ||
	    (ret = mcr_json_add_hex(obj, "prev_hash", event->prev_hash, MCR_AUDIT_HASH_LEN)) < 0 ||
	    (ret = mcr_json_add_hex(obj, "hash", event->hash, MCR_AUDIT_HASH_LEN)) < 0 ||
	    (ret = mcr_json_add_string(obj, "body", event->body)) < 0)
		return ret;
	return 0;
}

static int inclusion_doc(cJSON *doc, const struct mcr_checkpoint *cp,
                         const struct mcr_audit_event *event, const struct mcr_merkle_proof *proof)
{
	cJSON *ev = NULL;
	int ret;

	if ((ret = mcr_json_add_string(doc, "type", INCLUSION_TYPE)) < 0 ||
	    (ret = mcr_json_add_string(doc, "log", cp->origin)) < 0 ||
	    (ret = mcr_json_add_int(doc, "tree_size", cp->size)) < 0 ||
	    (ret = mcr_json_add_int(doc, "leaf_index", event->seq - 1)) < 0)
		return ret;
	if ((ret = event_object(&ev, event)) < 0) {
		cJSON_Delete(ev);
		return ret;
	}
	if ((ret = mcr_json_add_item(doc, "event", ev)) < 0 || /* doc owns ev now */
	    (ret = add_path(doc, proof)) < 0)
		return ret;
	return mcr_json_add_string(doc, "checkpoint", cp->note);
}

int mcr_audit_proof_inclusion(struct mcr_audit *log, long long seq, const char *checkpoint_note,
                              struct mcr_buf *out)
{
	struct mcr_checkpoint cp = {0};
	struct mcr_audit_event event = {0};
	struct mcr_merkle_proof proof;
	cJSON *doc = cJSON_CreateObject();
	int ret;

	if (!doc)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = pick_checkpoint(log, checkpoint_note, seq, &cp)) < 0 ||
	    (ret = check_stored_root(log, &cp)) < 0 ||
	    (ret = mcr_audit_inclusion_proof(log, seq, cp.size, &proof)) < 0 ||
	    (ret = mcr_audit_get(log, seq, &event)) < 0 ||
	    (ret = inclusion_doc(doc, &cp, &event, &proof)) < 0)
		goto out;
	ret = mcr_json_pretty(out, doc);
out:
	cJSON_Delete(doc);
	mcr_audit_event_release(&event);
	mcr_checkpoint_release(&cp);
	return ret;
}

int mcr_audit_proof_consistency(struct mcr_audit *log, long long old_size,
                                const char *checkpoint_note, struct mcr_buf *out)
{
	unsigned char old_root[MCR_AUDIT_HASH_LEN];
	struct mcr_checkpoint cp = {0};
	struct mcr_merkle_proof proof;
	cJSON *doc = cJSON_CreateObject();
	int ret;

	if (!doc)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = pick_checkpoint(log, checkpoint_note, old_size, &cp)) < 0 ||
	    (ret = check_stored_root(log, &cp)) < 0 ||
	    (ret = mcr_audit_root(log, old_size, old_root)) < 0 ||
	    (ret = mcr_audit_consistency_proof(log, old_size, cp.size, &proof)) < 0)
		goto out;
	if ((ret = mcr_json_add_string(doc, "type", CONSISTENCY_TYPE)) < 0 ||
	    (ret = mcr_json_add_string(doc, "log", cp.origin)) < 0 ||
	    (ret = mcr_json_add_int(doc, "old_size", old_size)) < 0 ||
	    (ret = mcr_json_add_hex(doc, "old_root", old_root, MCR_AUDIT_HASH_LEN)) < 0 ||
	    (ret = mcr_json_add_int(doc, "tree_size", cp.size)) < 0 ||
	    (ret = add_path(doc, &proof)) < 0 ||
	    (ret = mcr_json_add_string(doc, "checkpoint", cp.note)) < 0)
		goto out;
	ret = mcr_json_pretty(out, doc);
out:
	cJSON_Delete(doc);
	mcr_checkpoint_release(&cp);
	return ret;
}

static int get_hash(unsigned char out[MCR_MERKLE_HASH_LEN], const cJSON *obj, const char *key,
                    bool required, bool *found, const char *subject)
{
	const char *hex;
	int ret;

	if (found)
		*found = false;
	if ((ret = mcr_json_get_string(&hex, obj, key, required, subject)) < 0 || !hex)
		return ret;
	if (strlen(hex) != 2 * MCR_MERKLE_HASH_LEN ||
	    mcr_hex_decode(out, MCR_MERKLE_HASH_LEN, hex) < 0)
		return mcr_error(MCR_EINPUT, "bad '%s' in proof '%s'", key, subject);
	if (found)
		*found = true;
	return 0;
}

static int get_path(struct mcr_merkle_proof *out, const cJSON *doc, const char *subject)
{
	const cJSON *path, *item;
	int ret;

	out->count = 0;
	if ((ret = mcr_json_get_array(&path, doc, "path", true, subject)) < 0)
		return ret;
	cJSON_ArrayForEach(item, path)
	{
		if (out->count >= MCR_MERKLE_MAX_PROOF || !cJSON_IsString(item) ||
		    strlen(item->valuestring) != 2 * MCR_MERKLE_HASH_LEN ||
		    mcr_hex_decode(out->hashes[out->count], MCR_MERKLE_HASH_LEN,
		                   item->valuestring) < 0)
			return mcr_error(MCR_EINPUT, "bad 'path' in proof '%s'", subject);
		out->count++;
	}
	return 0;
}

/* The event's kind and time, for the summary line; "?" if the body does not say. */
static void describe_body(const char *body, char *kind, size_t kind_len, char *time,
                          size_t time_len)
{
	cJSON *envelope = cJSON_Parse(body);
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(envelope, "kind");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(envelope, "time");

	snprintf(kind, kind_len, "%s", cJSON_IsString(k) ? k->valuestring : "?");
	snprintf(time, time_len, "%s", cJSON_IsString(t) ? t->valuestring : "?");
	cJSON_Delete(envelope);
}

/* What the proof proved: the event whose leaf hash it led from, for a caller that acts on it. */
static int keep_proven(struct mcr_audit_event *proven, long long seq,
                       const unsigned char prev[MCR_AUDIT_HASH_LEN],
                       const unsigned char hash[MCR_AUDIT_HASH_LEN], const char *body)
{
	if (!proven)
		return 0;
	if (!(proven->body = strdup(body)))
		return mcr_error(MCR_ESYS, "out of memory");
	proven->seq = seq;
	proven->body_len = strlen(body);
	memcpy(proven->prev_hash, prev, MCR_AUDIT_HASH_LEN);
	memcpy(proven->hash, hash, MCR_AUDIT_HASH_LEN);
	return 0;
}

static int verify_inclusion(struct mcr_merkle_hasher *hasher, const cJSON *doc,
                            const struct mcr_checkpoint *cp, const char *subject,
                            struct mcr_buf *summary, struct mcr_audit_event *proven)
{
	unsigned char prev[MCR_AUDIT_HASH_LEN], claimed[MCR_AUDIT_HASH_LEN],
	        actual[MCR_AUDIT_HASH_LEN];
	const cJSON *event;
	const char *body;
	struct mcr_merkle_proof proof;
	char kind[64], time[32];
	long long seq;
	bool has_hash;
	int ret;

	if ((ret = mcr_json_get_object(&event, doc, "event", true, subject)) < 0 ||
	    (ret = mcr_json_get_int(&seq, event, "seq", true, 1, cp->size, subject)) < 0 ||
	    (ret = get_hash(prev, event, "prev_hash", true, NULL, subject)) < 0 ||
	    (ret = get_hash(claimed, event, "hash", false, &has_hash, subject)) < 0 ||
	    (ret = mcr_json_get_string(&body, event, "body", true, subject)) < 0 ||
	    (ret = get_path(&proof, doc, subject)) < 0 ||
	    (ret = mcr_audit_event_hash(hasher, seq, prev, body, strlen(body), actual)) < 0)
		return ret;
	if (has_hash && memcmp(claimed, actual, MCR_AUDIT_HASH_LEN))
		return mcr_refuse("audit.bad_proof",
		                  "event %lld in proof '%s' does not match its hash", seq, subject);
	if (mcr_merkle_verify_inclusion(hasher, actual, (uint64_t)seq - 1, (uint64_t)cp->size,
	                                &proof, cp->root) < 0)
		return mcr_refuse(
		        "audit.bad_proof",
		        "proof '%s' does not lead from event %lld to the checkpoint's root",
		        subject, seq);
	describe_body(body, kind, sizeof(kind), time, sizeof(time));
	if (summary &&
	    (ret = mcr_buf_addf(summary, "event %lld (%s, %s) is in log '%s' of %lld events", seq,
	                        kind, time, cp->origin, cp->size)) < 0)
		return ret;
	return keep_proven(proven, seq, prev, actual, body);
}

/* A checkpoint the reader kept must be the proof's old tree, signed by the same key. */
static int check_old_checkpoint(const char *note, const struct mcr_key *key, const char *origin,
                                long long old_size,
                                const unsigned char old_root[MCR_AUDIT_HASH_LEN])
{
	struct mcr_checkpoint old;
	int ret;

	if ((ret = mcr_checkpoint_parse(&old, note, strlen(note), "old checkpoint")) < 0)
		return ret;
	if ((ret = mcr_checkpoint_verify(&old, key, origin, "old checkpoint")) == 0 &&
	    (old.size != old_size || memcmp(old.root, old_root, MCR_AUDIT_HASH_LEN)))
		ret = mcr_refuse(
		        "audit.split_view",
		        "old checkpoint (%lld events) is not the tree the proof starts from "
		        "(%lld events)",
		        old.size, old_size);
	mcr_checkpoint_release(&old);
	return ret;
}

static int verify_consistency(struct mcr_merkle_hasher *hasher, const cJSON *doc,
                              const struct mcr_checkpoint *cp, const char *old_note,
                              const struct mcr_key *key, const char *subject,
                              struct mcr_buf *summary)
{
	unsigned char old_root[MCR_AUDIT_HASH_LEN];
	struct mcr_merkle_proof proof;
	long long old_size;
	int ret;

	if ((ret = mcr_json_get_int(&old_size, doc, "old_size", true, 0, cp->size, subject)) < 0 ||
	    (ret = get_hash(old_root, doc, "old_root", true, NULL, subject)) < 0 ||
	    (ret = get_path(&proof, doc, subject)) < 0)
		return ret;
	if (mcr_merkle_verify_consistency(hasher, (uint64_t)old_size, old_root, (uint64_t)cp->size,
	                                  cp->root, &proof) < 0)
		return mcr_refuse("audit.bad_proof",
		                  "proof '%s' does not show the tree of %lld events is a prefix of "
		                  "the checkpoint's",
		                  subject, old_size);
	if (old_note &&
	    (ret = check_old_checkpoint(old_note, key, cp->origin, old_size, old_root)) < 0)
		return ret;
	return summary ? mcr_buf_addf(summary,
	                              "log '%s' of %lld events extends its tree of %lld events",
	                              cp->origin, cp->size, old_size)
	               : 0;
}

/* The proof's checkpoint, parsed and checked against the log key. */
static int signed_checkpoint(struct mcr_checkpoint *cp, const cJSON *doc, const char *note,
                             const struct mcr_key *key, const char *origin, const char *subject)
{
	long long size;
	int ret;

	if (!note && (ret = mcr_json_get_string(&note, doc, "checkpoint", true, subject)) < 0)
		return ret;
	if ((ret = mcr_checkpoint_parse(cp, note, strlen(note), "checkpoint")) < 0 ||
	    (ret = mcr_checkpoint_verify(cp, key, origin, "checkpoint")) < 0 ||
	    (ret = mcr_json_get_int(&size, doc, "tree_size", true, 0, LLONG_MAX, subject)) < 0)
		return ret;
	if (size != cp->size)
		return mcr_refuse("audit.bad_proof",
		                  "proof '%s' is for a tree of %lld events, the checkpoint of %lld",
		                  subject, size, cp->size);
	return 0;
}

/* Both entry points; proven non-NULL: an inclusion proof only, and what it proved. */
static int verify_doc(const char *proof_json, size_t proof_len, const char *subject,
                      const char *checkpoint_note, const char *old_checkpoint_note,
                      const struct mcr_key *key, const char *origin, struct mcr_buf *summary,
                      struct mcr_audit_event *proven)
{
	struct mcr_merkle_hasher *hasher = NULL;
	struct mcr_checkpoint cp = {0};
	const char *type;
	cJSON *doc = NULL;
	int ret;

	if ((ret = mcr_json_parse(&doc, proof_json, proof_len, subject)) < 0 ||
	    (ret = mcr_json_get_string(&type, doc, "type", true, subject)) < 0)
		goto out;
	/* a consistency proof proves no event: taken for one, it would vouch for any body */
	if (proven && strcmp(type, INCLUSION_TYPE)) {
		ret = mcr_refuse("audit.bad_proof",
		                 "proof '%s' is of type '%s', not an inclusion proof of an event",
		                 subject, type);
		goto out;
	}
	if ((ret = mcr_merkle_hasher_new(&hasher)) < 0 ||
	    (ret = signed_checkpoint(&cp, doc, checkpoint_note, key, origin, subject)) < 0)
		goto out;
	if (!strcmp(type, INCLUSION_TYPE))
		ret = verify_inclusion(hasher, doc, &cp, subject, summary, proven);
	else if (!strcmp(type, CONSISTENCY_TYPE))
		ret = verify_consistency(hasher, doc, &cp, old_checkpoint_note, key, subject,
		                         summary);
	else
		ret = mcr_error(MCR_EINPUT, "unknown proof type '%s' in '%s'", type, subject);
out:
	mcr_checkpoint_release(&cp);
	mcr_merkle_hasher_free(hasher);
	cJSON_Delete(doc);
	return ret;
}

int mcr_audit_proof_verify(const char *proof_json, size_t proof_len, const char *subject,
                           const char *checkpoint_note, const char *old_checkpoint_note,
                           const struct mcr_key *key, const char *origin, struct mcr_buf *summary)
{
	return verify_doc(proof_json, proof_len, subject, checkpoint_note, old_checkpoint_note, key,
	                  origin, summary, NULL);
}

int mcr_audit_proof_verify_inclusion(struct mcr_audit_event *proven, const char *proof_json,
                                     size_t proof_len, const char *subject,
                                     const struct mcr_key *key, const char *origin,
                                     struct mcr_buf *summary)
{
	struct mcr_audit_event event = {0};
	int ret;

	if ((ret = verify_doc(proof_json, proof_len, subject, NULL, NULL, key, origin, summary,
	                      &event)) == 0) {
		*proven = event; /* the caller's now */
		memset(&event, 0, sizeof(event));
	}
	mcr_audit_event_release(&event);
	return ret;
}
