/* RFC 6962/9162 Merkle trees: leaf and node hashing, roots, inclusion and consistency proofs. */
#ifndef MCR_MERKLE_H
#define MCR_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCR_MERKLE_HASH_LEN 32
/* A tree of up to 2^63 leaves has at most 63 levels above its leaves, and proofs at most 126
 * hashes. */
#define MCR_MERKLE_MAX_LEVELS 64
#define MCR_MERKLE_MAX_PROOF  (2 * MCR_MERKLE_MAX_LEVELS)

/*
 * A SHA-256 context for the many small digests of a tree (and of the audit
 * chain). Opaque: it keeps one OpenSSL context and a digest fetched once,
 * which makes a 65-byte digest about three times cheaper than a fresh one.
 */
struct mcr_merkle_hasher;

int mcr_merkle_hasher_new(struct mcr_merkle_hasher **out);
void mcr_merkle_hasher_free(struct mcr_merkle_hasher *hasher);
/* SHA-256 of the concatenation of up to four parts (a NULL part is skipped). */
int mcr_merkle_sha256(struct mcr_merkle_hasher *hasher, unsigned char out[MCR_MERKLE_HASH_LEN],
                      const void *a, size_t a_len, const void *b, size_t b_len, const void *c,
                      size_t c_len, const void *d, size_t d_len);

/* RFC 6962 §2.1: leaf hash SHA-256(0x00 || entry) and node hash SHA-256(0x01 || left || right). */
int mcr_merkle_leaf_hash(struct mcr_merkle_hasher *hasher, unsigned char out[MCR_MERKLE_HASH_LEN],
                         const void *entry, size_t entry_len);
int mcr_merkle_node_hash(struct mcr_merkle_hasher *hasher, unsigned char out[MCR_MERKLE_HASH_LEN],
                         const unsigned char left[MCR_MERKLE_HASH_LEN],
                         const unsigned char right[MCR_MERKLE_HASH_LEN]);
/* The root of the empty tree: SHA-256 of nothing. */
void mcr_merkle_empty_root(unsigned char out[MCR_MERKLE_HASH_LEN]);

/*
 * The right edge of a tree being built leaf by leaf: the roots of the perfect
 * subtrees that cover leaves [0, size), largest first. A plain struct the
 * caller holds; zero it (or MCR_MERKLE_RANGE_INIT) for the empty tree.
 */
struct mcr_merkle_range {
	uint64_t size;
	unsigned count;
	unsigned char hashes[MCR_MERKLE_MAX_LEVELS][MCR_MERKLE_HASH_LEN];
};

/*
 * Adds the leaf whose leaf hash is leaf_hash. The nodes this completes (levels
 * 1, 2, ... bottom up: as many as the trailing one bits of the old size) are
 * written to completed, MCR_MERKLE_MAX_LEVELS * 32 bytes if not NULL, and
 * counted in *completed_count (may be NULL).
 */
int mcr_merkle_range_append(struct mcr_merkle_range *range, struct mcr_merkle_hasher *hasher,
                            const unsigned char leaf_hash[MCR_MERKLE_HASH_LEN],
                            unsigned char *completed, unsigned *completed_count);
/* The root of the tree of range->size leaves. */
int mcr_merkle_range_root(const struct mcr_merkle_range *range, struct mcr_merkle_hasher *hasher,
                          unsigned char out[MCR_MERKLE_HASH_LEN]);

/*
 * Where proofs get their hashes: the root of the perfect subtree of 2^level
 * leaves that starts at leaf index << level (level 0: a leaf hash). Returns 0
 * or an error code, with its message recorded.
 */
typedef int (*mcr_merkle_node_fn)(void *ctx, unsigned level, uint64_t index,
                                  unsigned char out[MCR_MERKLE_HASH_LEN]);

/* A proof: hashes in the order RFC 6962 lists them (bottom up). A plain struct. */
struct mcr_merkle_proof {
	unsigned count;
	unsigned char hashes[MCR_MERKLE_MAX_PROOF][MCR_MERKLE_HASH_LEN];
};

/* MTH(D[begin:end]) from perfect-subtree hashes; O(log n) calls of node_fn. */
int mcr_merkle_subtree_root(mcr_merkle_node_fn node_fn, void *ctx, struct mcr_merkle_hasher *hasher,
                            uint64_t begin, uint64_t end, unsigned char out[MCR_MERKLE_HASH_LEN]);

/* RFC 6962 §2.1.1 PATH(index, D[size]). MCR_EUSAGE unless index < size. */
int mcr_merkle_inclusion_proof(mcr_merkle_node_fn node_fn, void *ctx,
                               struct mcr_merkle_hasher *hasher, uint64_t index, uint64_t size,
                               struct mcr_merkle_proof *out);

/* RFC 6962 §2.1.2 PROOF(old_size, D[new_size]). MCR_EUSAGE unless old_size <= new_size. */
int mcr_merkle_consistency_proof(mcr_merkle_node_fn node_fn, void *ctx,
                                 struct mcr_merkle_hasher *hasher, uint64_t old_size,
                                 uint64_t new_size, struct mcr_merkle_proof *out);

/*
 * RFC 9162 §2.1.3.2: whether proof leads from leaf_hash at index to root of
 * a tree of size leaves. 0 if it does, MCR_EREFUSED (no message) if not.
 */
int mcr_merkle_verify_inclusion(struct mcr_merkle_hasher *hasher,
                                const unsigned char leaf_hash[MCR_MERKLE_HASH_LEN], uint64_t index,
                                uint64_t size, const struct mcr_merkle_proof *proof,
                                const unsigned char root[MCR_MERKLE_HASH_LEN]);

/*
 * RFC 9162 §2.1.4.2: whether proof shows the tree of old_size leaves with
 * old_root is a prefix of the tree of new_size leaves with new_root. 0 or
 * MCR_EREFUSED (no message).
 */
int mcr_merkle_verify_consistency(struct mcr_merkle_hasher *hasher, uint64_t old_size,
                                  const unsigned char old_root[MCR_MERKLE_HASH_LEN],
                                  uint64_t new_size,
                                  const unsigned char new_root[MCR_MERKLE_HASH_LEN],
                                  const struct mcr_merkle_proof *proof);

#endif
