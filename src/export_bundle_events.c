/* The bundle's evidence of the log itself: events.jsonl with each event's exact stored bytes,
 * every signed checkpoint, and inclusion proofs in the format of 'mcurelease audit proof'. */
#include "export.h"
#include "export_bundle.h"

#include "audit.h"
#include "buf.h"
#include "checkpoint.h"
#include "error.h"
#include "json.h"
#include "merkle.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INCLUSION_TYPE "mcurelease.audit.inclusion/v1"

/*
 * The Merkle tree of the first size events, all levels in memory. Proofs for
 * thousands of releases then cost no database reads: about 64 bytes per
 * event (6.4 MB for 100k events).
 */
struct tree {
	long long size;
	unsigned char *levels[MCR_MERKLE_MAX_LEVELS];
	uint64_t lens[MCR_MERKLE_MAX_LEVELS];
	unsigned level_count;
	long long filled;
};

static void tree_release(struct tree *t)
{
	for (unsigned i = 0; i < t->level_count; i++)
		free(t->levels[i]);
	memset(t, 0, sizeof(*t));
}

static int collect_leaf(void *ctx, const struct mcr_audit_row *row)
{
	struct tree *t = ctx;

	if (row->seq > t->size)
		return 1; /* enough */
	if (row->seq != t->filled + 1 || row->hash_len != MCR_MERKLE_HASH_LEN)
		return 2; /* a gap or a bad row: the chain verdict already says so; no proofs */
	memcpy(t->levels[0] + (size_t)t->filled * MCR_MERKLE_HASH_LEN, row->hash,
	       MCR_MERKLE_HASH_LEN);
	t->filled++;
	return 0;
}

/* Interior levels: node i of level l hashes nodes 2i and 2i+1 of level l-1 (perfect subtrees). */
static int build_levels(struct tree *t, struct mcr_merkle_hasher *hasher)
{
	int ret;

	while (t->lens[t->level_count - 1] >= 2 && t->level_count < MCR_MERKLE_MAX_LEVELS) {
		unsigned l = t->level_count;
		const unsigned char *below = t->levels[l - 1];

		t->lens[l] = t->lens[l - 1] / 2;
		if (!(t->levels[l] = malloc(t->lens[l] * MCR_MERKLE_HASH_LEN)))
			return mcr_error(MCR_ESYS, "out of memory");
		t->level_count++;
		for (uint64_t i = 0; i < t->lens[l]; i++)
			if ((ret = mcr_merkle_node_hash(
			             hasher, t->levels[l] + i * MCR_MERKLE_HASH_LEN,
			             below + 2 * i * MCR_MERKLE_HASH_LEN,
			             below + (2 * i + 1) * MCR_MERKLE_HASH_LEN)) < 0)
				return ret;
	}
	return 0;
}

/* 0 with the tree built, 1 if the stored rows cannot give one (the bundle then has no proofs). */
static int tree_build(struct tree *t, struct mcr_audit *log, long long size,
                      struct mcr_merkle_hasher *hasher)
{
	int ret;

	memset(t, 0, sizeof(*t));
	t->size = size;
	if (size < 1 || !(t->levels[0] = malloc((size_t)size * MCR_MERKLE_HASH_LEN)))
		return size < 1 ? 1 : mcr_error(MCR_ESYS, "out of memory");
	t->lens[0] = (uint64_t)size;
	t->level_count = 1;
	ret = mcr_audit_scan(log, collect_leaf, t);
	if (ret < 0 || ret == 2 || t->filled != size) {
		mcr_error_clear();
		return 1;
	}
	return build_levels(t, hasher);
}

static int tree_node(void *ctx, unsigned level, uint64_t index, unsigned char out[32])
{
	const struct tree *t = ctx;

	if (level >= t->level_count || index >= t->lens[level])
		return mcr_error(MCR_EAUDIT, "tree node %u/%llu is outside the checkpoint's tree",
		                 level, (unsigned long long)index);
	memcpy(out, t->levels[level] + index * MCR_MERKLE_HASH_LEN, MCR_MERKLE_HASH_LEN);
	return 0;
}

/* ---- writing ---- */

struct writer {
	struct mcr_bundle *b;
	struct mcr_bundle_stream events;
	struct tree tree;
	bool has_tree;
	struct mcr_checkpoint cp; /* the latest, which proofs lead to */
	struct mcr_merkle_hasher *hasher;
	long long *proof_seqs; /* ascending */
	size_t proof_count;
	size_t next_proof;
	struct mcr_buf line;
};

static int add_path(cJSON *doc, const struct mcr_merkle_proof *proof)
{
	cJSON *path = cJSON_CreateArray(), *item;
	char hex[2 * MCR_MERKLE_HASH_LEN + 1];

	if (!path)
		return mcr_error(MCR_ESYS, "out of memory");
	for (unsigned i = 0; i < proof->count; i++) {
		mcr_hex_encode(hex, proof->hashes[i], MCR_MERKLE_HASH_LEN);
		if (!(item = cJSON_CreateString(hex)) || !cJSON_AddItemToArray(path, item)) {
			cJSON_Delete(item);
			cJSON_Delete(path);
			return mcr_error(MCR_ESYS, "out of memory");
		}
	}
	return mcr_json_add_item(doc, "path", path);
}

/* The same document as 'mcurelease audit proof SEQ' prints, so verify-proof checks it too. */
static int proof_doc(struct writer *w, const struct mcr_audit_event *e, struct mcr_buf *out)
{
	cJSON *doc = cJSON_CreateObject(), *ev = cJSON_CreateObject();
	struct mcr_merkle_proof proof;
	int ret;

	if ((ret = mcr_json_add_item(doc, "event", ev)) < 0 ||
	    (ret = mcr_merkle_inclusion_proof(tree_node, &w->tree, w->hasher, (uint64_t)e->seq - 1,
	                                      (uint64_t)w->tree.size, &proof)) < 0)
		goto out;
	if ((ret = mcr_json_add_string(doc, "type", INCLUSION_TYPE)) < 0 ||
	    (ret = mcr_json_add_string(doc, "log", w->cp.origin)) < 0 ||
	    (ret = mcr_json_add_int(doc, "tree_size", w->cp.size)) < 0 ||
	    (ret = mcr_json_add_int(doc, "leaf_index", e->seq - 1)) < 0 ||
	    (ret = mcr_json_add_int(ev, "seq", e->seq)) < 0 ||
	    (ret = mcr_json_add_hex(ev, "prev_hash", e->prev_hash, MCR_AUDIT_HASH_LEN)) < 0 ||
	    (ret = mcr_json_add_hex(ev, "hash", e->hash, MCR_AUDIT_HASH_LEN)) < 0 ||
	    (ret = mcr_json_add_string(ev, "body", e->body)) < 0 ||
	    (ret = add_path(doc, &proof)) < 0 ||
	    (ret = mcr_json_add_string(doc, "checkpoint", w->cp.note)) < 0)
		goto out;
	ret = mcr_json_pretty(out, doc);
out:
	cJSON_Delete(doc);
	return ret;
}

static int write_proof(struct writer *w, const struct mcr_audit_event *e)
{
	struct mcr_buf doc = MCR_BUF_INIT;
	char rel[64];
	int ret;

	snprintf(rel, sizeof(rel), "proofs/%lld.json", e->seq);
	if ((ret = proof_doc(w, e, &doc)) == 0)
		ret = mcr_bundle_put(w->b, rel, doc.data, doc.len);
	mcr_buf_release(&doc);
	return ret;
}

/*
 * One line: {"seq":N,"prev_hash":H,"hash":H,"body":BODY} with BODY the exact
 * stored bytes (canonical JSON, so the line stays one valid JSON value), last
 * so that a reader can cut it out with a fixed-prefix sed expression.
 */
static int on_event(void *ctx, const struct mcr_audit_event *e)
{
	struct writer *w = ctx;
	char prev[65], hash[65];
	cJSON *check;
	int ret;

	if (!e->kind) {
		if (!(check = cJSON_ParseWithLength(e->body, e->body_len)))
			return mcr_error(MCR_EAUDIT, "event %lld of audit log '%s' is not JSON",
			                 e->seq, w->b->model->log_path);
		cJSON_Delete(check);
	}
	mcr_hex_encode(prev, e->prev_hash, sizeof(e->prev_hash));
	mcr_hex_encode(hash, e->hash, sizeof(e->hash));
	mcr_buf_truncate(&w->line, 0);
	if ((ret = mcr_buf_addf(&w->line,
	                        "{\"seq\":%lld,\"prev_hash\":\"%s\",\"hash\":\"%s\",\"body\":",
	                        e->seq, prev, hash)) < 0 ||
	    (ret = mcr_buf_add(&w->line, e->body, e->body_len)) < 0 ||
	    (ret = mcr_buf_add(&w->line, "}\n", 2)) < 0 ||
	    (ret = mcr_bundle_stream_write(&w->events, w->line.data, w->line.len)) < 0)
		return ret;
	while (w->next_proof < w->proof_count && w->proof_seqs[w->next_proof] < e->seq)
		w->next_proof++;
	if (w->next_proof < w->proof_count && w->proof_seqs[w->next_proof] == e->seq)
		return write_proof(w, e);
	return 0;
}

/* The seqs that get a proof: releases the checkpoint covers, and the last event it covers. */
static int plan_proofs(struct writer *w)
{
	const struct mcr_export_model *m = w->b->model;
	long long anchor = m->last_seq < w->tree.size ? m->last_seq : w->tree.size;

	if (!(w->proof_seqs = calloc(m->release_count + 1, sizeof(*w->proof_seqs))))
		return mcr_error(MCR_ESYS, "out of memory");
	for (size_t i = 0; i < m->release_count; i++)
		if (m->releases[i].seq <= anchor && m->releases[i].seq >= m->first_seq)
			w->proof_seqs[w->proof_count++] = m->releases[i].seq;
	if (anchor >= m->first_seq && m->first_seq > 0 &&
	    (!w->proof_count || w->proof_seqs[w->proof_count - 1] != anchor))
		w->proof_seqs[w->proof_count++] = anchor;
	if (anchor >= m->first_seq && m->first_seq > 0 && !(w->b->anchor_proof = malloc(48)))
		return mcr_error(MCR_ESYS, "out of memory");
	if (w->b->anchor_proof)
		snprintf(w->b->anchor_proof, 48, "proofs/%lld.json", anchor);
	return 0;
}

static int write_checkpoints(struct writer *w)
{
	const struct mcr_export_model *m = w->b->model;
	char rel[64];
	int ret;

	for (size_t i = 0; i < m->checkpoint_count; i++) {
		snprintf(rel, sizeof(rel), "checkpoints/%lld.txt", m->checkpoints[i].size);
		if ((ret = mcr_bundle_put(w->b, rel, m->checkpoints[i].note,
		                          strlen(m->checkpoints[i].note))) < 0)
			return ret;
	}
	if (!m->checkpoint_count)
		return 0;
	if (!(w->b->checkpoint = strdup(rel)))
		return mcr_error(MCR_ESYS, "out of memory");
	w->b->checkpoint_size = m->checkpoints[m->checkpoint_count - 1].size;
	return mcr_checkpoint_parse(&w->cp, m->checkpoints[m->checkpoint_count - 1].note,
	                            strlen(m->checkpoints[m->checkpoint_count - 1].note),
	                            "latest checkpoint");
}

static int write_all(struct writer *w)
{
	const struct mcr_export_model *m = w->b->model;
	struct mcr_audit_filter range = {.from_seq = m->first_seq, .to_seq = m->last_seq};
	int ret;

	if ((ret = write_checkpoints(w)) < 0 || (ret = mcr_merkle_hasher_new(&w->hasher)) < 0)
		return ret;
	if (w->b->checkpoint) {
		if ((ret = tree_build(&w->tree, m->log, w->cp.size, w->hasher)) < 0)
			return ret;
		w->has_tree = ret == 0;
		if (w->has_tree && (ret = plan_proofs(w)) < 0)
			return ret;
	}
	if ((ret = mcr_bundle_stream_open(&w->events, w->b, MCR_BUNDLE_EVENTS)) < 0)
		return ret;
	if (m->first_seq > 0 && (ret = mcr_audit_foreach(m->log, &range, on_event, w)) < 0)
		return ret;
	return mcr_bundle_stream_close(&w->events);
}

int mcr_bundle_write_events(struct mcr_bundle *b)
{
	struct writer w = {.b = b, .events = {.fd = -1}};
	int ret = write_all(&w);

	mcr_bundle_stream_release(&w.events);
	mcr_buf_release(&w.line);
	mcr_checkpoint_release(&w.cp);
	mcr_merkle_hasher_free(w.hasher);
	tree_release(&w.tree);
	free(w.proof_seqs);
	return ret;
}
