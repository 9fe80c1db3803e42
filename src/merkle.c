/* RFC 6962/9162 Merkle trees: hashing, the growing right edge, proofs and their verification. */
#include "merkle.h"

#include "error.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct mcr_merkle_hasher {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
};

int mcr_merkle_hasher_new(struct mcr_merkle_hasher **out)
{
	struct mcr_merkle_hasher *hasher = calloc(1, sizeof(*hasher));

	*out = NULL;
	if (!hasher)
		return mcr_error(MCR_ESYS, "out of memory");
	/*
	 * An explicitly fetched digest: EVP_sha256() makes every EVP_DigestInit
	 * look the algorithm up again, which costs more than hashing 65 bytes.
	 */
	hasher->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	hasher->ctx = EVP_MD_CTX_new();
	if (!hasher->md || !hasher->ctx) {
		mcr_merkle_hasher_free(hasher);
		return mcr_error_openssl(MCR_ESYS, "cannot set up SHA-256");
	}
	*out = hasher;
	return 0;
}

void mcr_merkle_hasher_free(struct mcr_merkle_hasher *hasher)
{
	if (!hasher)
		return;
	EVP_MD_CTX_free(hasher->ctx);
	EVP_MD_free(hasher->md);
	free(hasher);
}

int mcr_merkle_sha256(struct mcr_merkle_hasher *hasher, unsigned char out[MCR_MERKLE_HASH_LEN],
                      const void *a, size_t a_len, const void *b, size_t b_len, const void *c,
                      size_t c_len, const void *d, size_t d_len)
{
	EVP_MD_CTX *ctx = hasher->ctx;

	if (EVP_DigestInit_ex2(ctx, hasher->md, NULL) != 1 ||
	    (a && EVP_DigestUpdate(ctx, a, a_len) != 1) ||
	    (b && EVP_DigestUpdate(ctx, b, b_len) != 1) ||
	    (c && EVP_DigestUpdate(ctx, c, c_len) != 1) ||
	    (d && EVP_DigestUpdate(ctx, d, d_len) != 1) || EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		return mcr_error_openssl(MCR_ESYS, "SHA-256 failed");
	return 0;
}

int mcr_merkle_leaf_hash(struct mcr_merkle_hasher *hasher, unsigned char out[MCR_MERKLE_HASH_LEN],
                         const void *entry, size_t entry_len)
{
	static const unsigned char leaf_prefix = 0x00;

	return mcr_merkle_sha256(hasher, out, &leaf_prefix, 1, entry, entry_len, NULL, 0, NULL, 0);
}

int mcr_merkle_node_hash(struct mcr_merkle_hasher *hasher, unsigned char out[MCR_MERKLE_HASH_LEN],
                         const unsigned char left[MCR_MERKLE_HASH_LEN],
                         const unsigned char right[MCR_MERKLE_HASH_LEN])
{
	static const unsigned char node_prefix = 0x01;

	return mcr_merkle_sha256(hasher, out, &node_prefix, 1, left, MCR_MERKLE_HASH_LEN, right,
	                         MCR_MERKLE_HASH_LEN, NULL, 0);
}

void mcr_merkle_empty_root(unsigned char out[MCR_MERKLE_HASH_LEN])
{
	static const unsigned char sha256_of_nothing[MCR_MERKLE_HASH_LEN] = {
	        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
	        0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
	        0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
	};

	memcpy(out, sha256_of_nothing, MCR_MERKLE_HASH_LEN);
}

int mcr_merkle_range_append(struct mcr_merkle_range *range, struct mcr_merkle_hasher *hasher,
                            const unsigned char leaf_hash[MCR_MERKLE_HASH_LEN],
                            unsigned char *completed, unsigned *completed_count)
{
	unsigned char node[MCR_MERKLE_HASH_LEN];
	uint64_t size = range->size;
	unsigned done = 0;
	int ret;

	memcpy(node, leaf_hash, MCR_MERKLE_HASH_LEN);
	/* Each trailing one bit of the old size is a perfect subtree the new leaf completes. */
	while (size & 1) {
		if ((ret = mcr_merkle_node_hash(hasher, node, range->hashes[--range->count],
		                                node)) < 0)
			return ret;
		if (completed)
			memcpy(completed + MCR_MERKLE_HASH_LEN * done, node, MCR_MERKLE_HASH_LEN);
		done++;
		size >>= 1;
	}
	memcpy(range->hashes[range->count++], node, MCR_MERKLE_HASH_LEN);
	range->size++;
	if (completed_count)
		*completed_count = done;
	return 0;
}

int mcr_merkle_range_root(const struct mcr_merkle_range *range, struct mcr_merkle_hasher *hasher,
                          unsigned char out[MCR_MERKLE_HASH_LEN])
{
	unsigned char root[MCR_MERKLE_HASH_LEN];
	int ret;

	if (range->count == 0) {
		mcr_merkle_empty_root(out);
		return 0;
	}
	/* RFC 6962 splits at the largest power of two: fold the right edge from the right. */
	memcpy(root, range->hashes[range->count - 1], MCR_MERKLE_HASH_LEN);
	for (unsigned i = range->count - 1; i-- > 0;)
		if ((ret = mcr_merkle_node_hash(hasher, root, range->hashes[i], root)) < 0)
			return ret;
	memcpy(out, root, MCR_MERKLE_HASH_LEN);
	return 0;
}

/* The largest power of two smaller than n (n >= 2): RFC 6962's split point k. */
static uint64_t split_point(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

/* log2 of a power of two. */
static unsigned level_of(uint64_t size)
{
	unsigned level = 0;

	while (((uint64_t)1 << level) < size)
		level++;
	return level;
}

/* Whether [begin, begin + size) is a node of the tree: a power of two, aligned to its size. */
static bool is_perfect(uint64_t begin, uint64_t size)
{
	return size && !(size & (size - 1)) && !(begin & (size - 1));
}

int mcr_merkle_subtree_root(mcr_merkle_node_fn node_fn, void *ctx, struct mcr_merkle_hasher *hasher,
                            uint64_t begin, uint64_t end, unsigned char out[MCR_MERKLE_HASH_LEN])
{
	struct mcr_merkle_range edge = {0};
	int ret;

	if (end <= begin) {
		mcr_merkle_empty_root(out);
		return 0;
	}
	/*
	 * The RFC's recursion splits off an aligned perfect left part until what
	 * remains is perfect itself: collect those parts left to right, then fold.
	 */
	while (begin < end) {
		uint64_t k =
		        is_perfect(begin, end - begin) ? end - begin : split_point(end - begin);
		unsigned level = level_of(k);

		if ((ret = node_fn(ctx, level, begin >> level, edge.hashes[edge.count])) < 0)
			return ret;
		edge.count++;
		begin += k;
	}
	if (edge.count == 1) {
		memcpy(out, edge.hashes[0], MCR_MERKLE_HASH_LEN);
		return 0;
	}
	return mcr_merkle_range_root(&edge, hasher, out);
}

static void reverse(struct mcr_merkle_proof *proof)
{
	unsigned char tmp[MCR_MERKLE_HASH_LEN];

	for (unsigned i = 0, j = proof->count; i + 1 < j; i++, j--) {
		memcpy(tmp, proof->hashes[i], MCR_MERKLE_HASH_LEN);
		memcpy(proof->hashes[i], proof->hashes[j - 1], MCR_MERKLE_HASH_LEN);
		memcpy(proof->hashes[j - 1], tmp, MCR_MERKLE_HASH_LEN);
	}
}

int mcr_merkle_inclusion_proof(mcr_merkle_node_fn node_fn, void *ctx,
                               struct mcr_merkle_hasher *hasher, uint64_t index, uint64_t size,
                               struct mcr_merkle_proof *out)
{
	uint64_t begin = 0, end = size;
	int ret;

	out->count = 0;
	if (index >= size)
		return mcr_error(MCR_EUSAGE, "leaf %llu is not in a tree of %llu leaves",
		                 (unsigned long long)index, (unsigned long long)size);
	/* Walk down from the root; the sibling of each step is the next hash up the path. */
	while (end - begin > 1) {
		uint64_t k = split_point(end - begin);

		if (index < begin + k) {
			ret = mcr_merkle_subtree_root(node_fn, ctx, hasher, begin + k, end,
			                              out->hashes[out->count]);
			end = begin + k;
		} else {
			ret = mcr_merkle_subtree_root(node_fn, ctx, hasher, begin, begin + k,
			                              out->hashes[out->count]);
			begin += k;
		}
		if (ret < 0)
			return ret;
		out->count++;
	}
	reverse(out);
	return 0;
}

int mcr_merkle_consistency_proof(mcr_merkle_node_fn node_fn, void *ctx,
                                 struct mcr_merkle_hasher *hasher, uint64_t old_size,
                                 uint64_t new_size, struct mcr_merkle_proof *out)
{
	uint64_t begin = 0, end = new_size, m = old_size;
	bool is_whole_old_tree = true;
	int ret = 0;

	out->count = 0;
	if (old_size > new_size)
		return mcr_error(MCR_EUSAGE,
		                 "no consistency proof from %llu leaves to fewer (%llu)",
		                 (unsigned long long)old_size, (unsigned long long)new_size);
	if (old_size == 0 || old_size == new_size)
		return 0;
	/* RFC 6962 SUBPROOF(m, D[begin:end], b), unrolled top down. */
	while (m != end - begin) {
		uint64_t k = split_point(end - begin);

		if (m <= k) {
			ret = mcr_merkle_subtree_root(node_fn, ctx, hasher, begin + k, end,
			                              out->hashes[out->count]);
			end = begin + k;
		} else {
			ret = mcr_merkle_subtree_root(node_fn, ctx, hasher, begin, begin + k,
			                              out->hashes[out->count]);
			m -= k;
			begin += k;
			is_whole_old_tree = false;
		}
		if (ret < 0)
			return ret;
		out->count++;
	}
	/* The old tree's own root is implied only when it is this very subtree. */
	if (!is_whole_old_tree && (ret = mcr_merkle_subtree_root(node_fn, ctx, hasher, begin, end,
	                                                         out->hashes[out->count++])) < 0)
		return ret;
	reverse(out);
	return 0;
}

int mcr_merkle_verify_inclusion(struct mcr_merkle_hasher *hasher,
                                const unsigned char leaf_hash[MCR_MERKLE_HASH_LEN], uint64_t index,
                                uint64_t size, const struct mcr_merkle_proof *proof,
                                const unsigned char root[MCR_MERKLE_HASH_LEN])
{
	unsigned char r[MCR_MERKLE_HASH_LEN];
	uint64_t fn = index, sn = size - 1;

	if (index >= size)
		return MCR_EREFUSED;
	memcpy(r, leaf_hash, MCR_MERKLE_HASH_LEN);
	for (unsigned i = 0; i < proof->count; i++) {
		const unsigned char *p = proof->hashes[i];

		if (sn == 0)
			return MCR_EREFUSED;
		if ((fn & 1) || fn == sn) {
			if (mcr_merkle_node_hash(hasher, r, p, r) < 0)
				return MCR_EREFUSED;
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else if (mcr_merkle_node_hash(hasher, r, r, p) < 0) {
			return MCR_EREFUSED;
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, MCR_MERKLE_HASH_LEN) == 0 ? 0 : MCR_EREFUSED;
}

/* Steps 5-6 of RFC 9162 §2.1.4.2, from the first hash of the (completed) path. */
static int consistency_walk(struct mcr_merkle_hasher *hasher, uint64_t fn, uint64_t sn,
                            const unsigned char *const *path, unsigned count,
                            const unsigned char old_root[MCR_MERKLE_HASH_LEN],
                            const unsigned char new_root[MCR_MERKLE_HASH_LEN])
{
	unsigned char fr[MCR_MERKLE_HASH_LEN], sr[MCR_MERKLE_HASH_LEN];

	memcpy(fr, path[0], MCR_MERKLE_HASH_LEN);
	memcpy(sr, path[0], MCR_MERKLE_HASH_LEN);
	for (unsigned i = 1; i < count; i++) {
		if (sn == 0)
			return MCR_EREFUSED;
		if ((fn & 1) || fn == sn) {
			if (mcr_merkle_node_hash(hasher, fr, path[i], fr) < 0 ||
			    mcr_merkle_node_hash(hasher, sr, path[i], sr) < 0)
				return MCR_EREFUSED;
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else if (mcr_merkle_node_hash(hasher, sr, sr, path[i]) < 0) {
			return MCR_EREFUSED;
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(fr, old_root, MCR_MERKLE_HASH_LEN) == 0 &&
	                       memcmp(sr, new_root, MCR_MERKLE_HASH_LEN) == 0
	               ? 0
	               : MCR_EREFUSED;
}

int mcr_merkle_verify_consistency(struct mcr_merkle_hasher *hasher, uint64_t old_size,
                                  const unsigned char old_root[MCR_MERKLE_HASH_LEN],
                                  uint64_t new_size,
                                  const unsigned char new_root[MCR_MERKLE_HASH_LEN],
                                  const struct mcr_merkle_proof *proof)
{
	const unsigned char *path[MCR_MERKLE_MAX_PROOF + 1];
	uint64_t fn, sn;
	unsigned count = 0;

	if (old_size > new_size)
		return MCR_EREFUSED;
	/* Equal trees, and the empty tree, are consistent with nothing to prove. */
	if (old_size == new_size)
		return proof->count == 0 && memcmp(old_root, new_root, MCR_MERKLE_HASH_LEN) == 0
		               ? 0
		               : MCR_EREFUSED;
	if (old_size == 0)
		return proof->count == 0 ? 0 : MCR_EREFUSED;
	if (proof->count == 0 || proof->count > MCR_MERKLE_MAX_PROOF)
		return MCR_EREFUSED;
	/* A power-of-two old tree is a node of the new one: its root starts the path. */
	if ((old_size & (old_size - 1)) == 0)
		path[count++] = old_root;
	for (unsigned i = 0; i < proof->count; i++)
		path[count++] = proof->hashes[i];
	fn = old_size - 1;
	sn = new_size - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	return consistency_walk(hasher, fn, sn, path, count, old_root, new_root);
}
