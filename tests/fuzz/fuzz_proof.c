/*
 * libFuzzer target: inclusion and consistency proofs. An input that starts with '{' is
 * what 'audit verify-proof' reads: the proof document (mcr_audit_proof_verify, with
 * the Ed25519 log key of tests/vectors), then, after a NUL byte, the older checkpoint
 * a reader kept. Any other input drives the RFC 9162 verifiers directly: a tree of up
 * to 512 leaves made from the input, whose own proofs (mcr_merkle_inclusion_proof,
 * mcr_merkle_consistency_proof) must verify and must fail once a hash is changed;
 * then sizes, indexes and a path taken from the bytes as they are, up to 2^64 - 1,
 * which must be refused or accepted without undefined behaviour.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "buf.h"
#include "error.h"
#include "fuzz_support.h"
#include "merkle.h"

#define MAX_LEAVES 512

struct tree {
	struct mcr_merkle_hasher *hasher;
	unsigned char leaves[MAX_LEAVES][MCR_MERKLE_HASH_LEN];
	uint64_t size;
};

static struct mcr_merkle_hasher *hasher;

static void document(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t doc_len = nul ? (size_t)(nul - data) : size;
	char *old_note = nul ? fuzz_strndup(nul + 1, size - doc_len - 1) : NULL;
	const struct mcr_key *key = fuzz_vector_key("ed25519.pub.pem");
	struct mcr_buf summary = MCR_BUF_INIT;
	int ret;

	ret = mcr_audit_proof_verify((const char *)data, doc_len, "fuzz.json", NULL, old_note, key,
	                             NULL, &summary);
	FUZZ_CHECK(ret == 0 || ret == MCR_EREFUSED || ret == MCR_EINPUT);
	FUZZ_CHECK(ret < 0 || summary.len > 0);
	mcr_buf_release(&summary);
	free(old_note);
	mcr_error_clear();
}

/* The root of the perfect subtree of 2^level leaves from index << level, the slow way. */
static int node(void *ctx, unsigned level, uint64_t index, unsigned char out[MCR_MERKLE_HASH_LEN])
{
	struct tree *t = ctx;
	unsigned char left[MCR_MERKLE_HASH_LEN], right[MCR_MERKLE_HASH_LEN];

	FUZZ_CHECK(level < 10 && ((index + 1) << level) <= t->size);
	if (level == 0) {
		memcpy(out, t->leaves[index], MCR_MERKLE_HASH_LEN);
		return 0;
	}
	FUZZ_CHECK(node(ctx, level - 1, 2 * index, left) == 0);
	FUZZ_CHECK(node(ctx, level - 1, 2 * index + 1, right) == 0);
	return mcr_merkle_node_hash(t->hasher, out, left, right);
}

static void root(struct tree *t, uint64_t size, unsigned char out[MCR_MERKLE_HASH_LEN])
{
	if (size == 0)
		mcr_merkle_empty_root(out);
	else
		FUZZ_CHECK(mcr_merkle_subtree_root(node, t, t->hasher, 0, size, out) == 0);
}

static void made_proofs(const uint8_t *data, size_t size)
{
	static struct tree t;
	static struct mcr_merkle_proof proof;
	unsigned char new_root[MCR_MERKLE_HASH_LEN], old_root[MCR_MERKLE_HASH_LEN],
	        incremental[MCR_MERKLE_HASH_LEN];
	struct mcr_merkle_range range = {0};
	uint64_t index, old_size;

	if (size < 6)
		return;
	t.hasher = hasher;
	t.size = 1 + (data[0] | data[1] << 8) % MAX_LEAVES;
	index = (data[2] | data[3] << 8) % t.size;
	old_size = (data[4] | data[5] << 8) % (t.size + 1);
	for (uint64_t i = 0; i < t.size; i++) {
		unsigned char entry[3] = {(unsigned char)i, (unsigned char)(i >> 8),
		                          size > 6 ? data[6 + i % (size - 6)] : 0};

		FUZZ_CHECK(mcr_merkle_leaf_hash(hasher, t.leaves[i], entry, sizeof(entry)) == 0);
		FUZZ_CHECK(mcr_merkle_range_append(&range, hasher, t.leaves[i], NULL, NULL) == 0);
	}
	root(&t, t.size, new_root);
	root(&t, old_size, old_root);
	/* the tree built leaf by leaf has the root computed from its subtrees */
	FUZZ_CHECK(mcr_merkle_range_root(&range, hasher, incremental) == 0);
	FUZZ_CHECK(!memcmp(incremental, new_root, MCR_MERKLE_HASH_LEN));
	FUZZ_CHECK(mcr_merkle_inclusion_proof(node, &t, hasher, index, t.size, &proof) == 0);
	FUZZ_CHECK(mcr_merkle_verify_inclusion(hasher, t.leaves[index], index, t.size, &proof,
	                                       new_root) == 0);
	if (proof.count) {
		proof.hashes[data[2] % proof.count][data[3] % MCR_MERKLE_HASH_LEN] ^= 1;
		FUZZ_CHECK(mcr_merkle_verify_inclusion(hasher, t.leaves[index], index, t.size,
		                                       &proof, new_root) == MCR_EREFUSED);
	}
	FUZZ_CHECK(mcr_merkle_consistency_proof(node, &t, hasher, old_size, t.size, &proof) == 0);
	FUZZ_CHECK(mcr_merkle_verify_consistency(hasher, old_size, old_root, t.size, new_root,
	                                         &proof) == 0);
	if (proof.count) {
		proof.hashes[data[4] % proof.count][data[5] % MCR_MERKLE_HASH_LEN] ^= 1;
		FUZZ_CHECK(mcr_merkle_verify_consistency(hasher, old_size, old_root, t.size,
		                                         new_root, &proof) == MCR_EREFUSED);
	}
}

static uint64_t take_u64(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;

	for (int i = 0; i < 8 && *p < end; i++, (*p)++)
		v = v << 8 | **p;
	return v;
}

/* Sizes, index and path as the bytes say, whatever they are. */
static void raw_proofs(const uint8_t *data, size_t size)
{
	static struct mcr_merkle_proof proof;
	const uint8_t *p = data, *end = data + size;
	unsigned char leaf[MCR_MERKLE_HASH_LEN] = {0}, root1[MCR_MERKLE_HASH_LEN] = {0},
	              root2[MCR_MERKLE_HASH_LEN] = {0};
	uint64_t index = take_u64(&p, end), tree_size = take_u64(&p, end),
	         old_size = take_u64(&p, end);
	int ret;

	proof.count = 0;
	if (p < end)
		memcpy(leaf, p,
		       (size_t)(end - p) < sizeof(leaf) ? (size_t)(end - p) : sizeof(leaf));
	while (end - p >= MCR_MERKLE_HASH_LEN && proof.count < MCR_MERKLE_MAX_PROOF) {
		memcpy(proof.hashes[proof.count++], p, MCR_MERKLE_HASH_LEN);
		p += MCR_MERKLE_HASH_LEN;
	}
	ret = mcr_merkle_verify_inclusion(hasher, leaf, index, tree_size, &proof, root1);
	FUZZ_CHECK(ret == 0 || ret == MCR_EREFUSED);
	ret = mcr_merkle_verify_consistency(hasher, old_size, root1, tree_size, root2, &proof);
	FUZZ_CHECK(ret == 0 || ret == MCR_EREFUSED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!hasher)
		FUZZ_CHECK(mcr_merkle_hasher_new(&hasher) == 0);
	if (size && data[0] == '{') {
		document(data, size);
	} else {
		made_proofs(data, size);
		raw_proofs(data, size);
	}
	return 0;
}
