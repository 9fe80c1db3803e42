/* Unit tests: RFC 6962 hashing, roots, inclusion and consistency proofs against the CT test
 * vectors. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "merkle.h"
#include "testutil.h"

/* The certificate-transparency reference test data (RFC 6962 examples). */
static const char *const leaves_hex[] = {"",
                                         "00",
                                         "10",
                                         "2021",
                                         "3031",
                                         "40414243",
                                         "5051525354555657",
                                         "606162636465666768696a6b6c6d6e6f"};
static const char *const roots_hex[] = {
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

#define MAX_LEAVES 300

/* An in-memory tree: leaf hashes, and perfect subtree roots computed the slow, obvious way. */
struct memtree {
	struct mcr_merkle_hasher *hasher;
	unsigned char leaves[MAX_LEAVES][32];
	unsigned count;
	unsigned calls;
};

static void slow_root(struct memtree *t, uint64_t begin, uint64_t end, unsigned char out[32])
{
	uint64_t k = 1;
	unsigned char left[32], right[32];

	if (end - begin == 1) {
		memcpy(out, t->leaves[begin], 32);
		return;
	}
	while (k << 1 < end - begin)
		k <<= 1;
	slow_root(t, begin, begin + k, left);
	slow_root(t, begin + k, end, right);
	ck_assert_int_eq(mcr_merkle_node_hash(t->hasher, out, left, right), 0);
}

static int mem_node(void *ctx, unsigned level, uint64_t index, unsigned char out[32])
{
	struct memtree *t = ctx;
	uint64_t begin = index << level, end = (index + 1) << level;

	t->calls++;
	ck_assert_uint_le(end, t->count);
	slow_root(t, begin, end, out);
	return 0;
}

static void hex32(unsigned char out[32], const char *hex)
{
	ck_assert_int_eq(mcr_hex_decode(out, 32, hex), 0);
}

/* The CT vectors as leaf hashes. */
static void load_vectors(struct memtree *t)
{
	ck_assert_int_eq(mcr_merkle_hasher_new(&t->hasher), 0);
	for (unsigned i = 0; i < 8; i++) {
		unsigned char entry[16];
		size_t len = strlen(leaves_hex[i]) / 2;

		ck_assert_int_eq(mcr_hex_decode(entry, len, leaves_hex[i]), 0);
		ck_assert_int_eq(mcr_merkle_leaf_hash(t->hasher, t->leaves[i], entry, len), 0);
	}
	t->count = 8;
}

/* A tree of n made-up leaves. */
static void load_synthetic(struct memtree *t, unsigned n)
{
	ck_assert_int_eq(mcr_merkle_hasher_new(&t->hasher), 0);
	for (unsigned i = 0; i < n; i++) {
		unsigned char entry[4] = {(unsigned char)i, (unsigned char)(i >> 8), 0x5a, 0xa5};

		ck_assert_int_eq(mcr_merkle_leaf_hash(t->hasher, t->leaves[i], entry, 4), 0);
	}
	t->count = n;
}

START_TEST(test_merkle_roots_match_ct_vectors)
{
	struct memtree t = {0};
	struct mcr_merkle_range range = {0};
	unsigned char root[32], want[32];

	load_vectors(&t);
	ck_assert_int_eq(mcr_merkle_range_root(&range, t.hasher, root), 0);
	hex32(want, roots_hex[0]);
	ck_assert_mem_eq(root, want, 32);
	for (unsigned n = 1; n <= 8; n++) {
		ck_assert_int_eq(
		        mcr_merkle_range_append(&range, t.hasher, t.leaves[n - 1], NULL, NULL), 0);
		ck_assert_int_eq(mcr_merkle_range_root(&range, t.hasher, root), 0);
		hex32(want, roots_hex[n]);
		ck_assert_mem_eq(root, want, 32);
		ck_assert_int_eq(mcr_merkle_subtree_root(mem_node, &t, t.hasher, 0, n, root), 0);
		ck_assert_mem_eq(root, want, 32);
	}
	mcr_merkle_hasher_free(t.hasher);
}
END_TEST

START_TEST(test_merkle_inclusion_proofs_match_ct_vectors)
{
	static const char *const path0[] = {
	        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"};
	static const char *const path5[] = {
	        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"};
	struct memtree t = {0};
	struct mcr_merkle_proof proof;
	unsigned char want[32], root[32];

	load_vectors(&t);
	hex32(root, roots_hex[8]);
	ck_assert_int_eq(mcr_merkle_inclusion_proof(mem_node, &t, t.hasher, 0, 8, &proof), 0);
	ck_assert_uint_eq(proof.count, 3);
	for (unsigned i = 0; i < 3; i++) {
		hex32(want, path0[i]);
		ck_assert_mem_eq(proof.hashes[i], want, 32);
	}
	ck_assert_int_eq(mcr_merkle_verify_inclusion(t.hasher, t.leaves[0], 0, 8, &proof, root), 0);
	ck_assert_int_eq(mcr_merkle_inclusion_proof(mem_node, &t, t.hasher, 5, 8, &proof), 0);
	for (unsigned i = 0; i < 3; i++) {
		hex32(want, path5[i]);
		ck_assert_mem_eq(proof.hashes[i], want, 32);
	}
	ck_assert_int_eq(mcr_merkle_verify_inclusion(t.hasher, t.leaves[5], 5, 8, &proof, root), 0);
	/* the same path does not prove another leaf, position or tree */
	ck_assert_int_eq(mcr_merkle_verify_inclusion(t.hasher, t.leaves[4], 5, 8, &proof, root),
	                 MCR_EREFUSED);
	ck_assert_int_eq(mcr_merkle_verify_inclusion(t.hasher, t.leaves[5], 4, 8, &proof, root),
	                 MCR_EREFUSED);
	ck_assert_int_eq(mcr_merkle_verify_inclusion(t.hasher, t.leaves[5], 5, 6, &proof, root),
	                 MCR_EREFUSED);
	mcr_merkle_hasher_free(t.hasher);
}
END_TEST

START_TEST(test_merkle_consistency_proofs_match_ct_vectors)
{
	static const struct {
		unsigned old_size, new_size, count;
		const char *hashes[3];
	} cases[] = {
	        {1,
	         8,
	         3,
	         {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	          "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	          "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	        {6,
	         8,
	         3,
	         {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	          "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	          "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	        {2,
	         5,
	         2,
	         {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	          "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
	};
	struct memtree t = {0};
	struct mcr_merkle_proof proof;
	unsigned char want[32], old_root[32], new_root[32];

	load_vectors(&t);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		ck_assert_int_eq(mcr_merkle_consistency_proof(mem_node, &t, t.hasher,
		                                              cases[c].old_size, cases[c].new_size,
		                                              &proof),
		                 0);
		ck_assert_uint_eq(proof.count, cases[c].count);
		for (unsigned i = 0; i < cases[c].count; i++) {
			hex32(want, cases[c].hashes[i]);
			ck_assert_mem_eq(proof.hashes[i], want, 32);
		}
		hex32(old_root, roots_hex[cases[c].old_size]);
		hex32(new_root, roots_hex[cases[c].new_size]);
		ck_assert_int_eq(mcr_merkle_verify_consistency(t.hasher, cases[c].old_size,
		                                               old_root, cases[c].new_size,
		                                               new_root, &proof),
		                 0);
		/* a rewritten old tree is not consistent */
		old_root[0] ^= 1;
		ck_assert_int_eq(mcr_merkle_verify_consistency(t.hasher, cases[c].old_size,
		                                               old_root, cases[c].new_size,
		                                               new_root, &proof),
		                 MCR_EREFUSED);
	}
	mcr_merkle_hasher_free(t.hasher);
}
END_TEST

/* Every leaf of every tree size up to 70, and every pair of sizes up to 70, round trip. */
START_TEST(test_merkle_all_proofs_round_trip)
{
	struct memtree t = {0};
	struct mcr_merkle_proof proof;
	unsigned char roots[71][32];

	load_synthetic(&t, 70);
	for (unsigned n = 0; n <= 70; n++)
		ck_assert_int_eq(mcr_merkle_subtree_root(mem_node, &t, t.hasher, 0, n, roots[n]),
		                 0);
	for (unsigned n = 1; n <= 70; n++) {
		for (unsigned i = 0; i < n; i++) {
			ck_assert_int_eq(
			        mcr_merkle_inclusion_proof(mem_node, &t, t.hasher, i, n, &proof),
			        0);
			ck_assert_int_eq(mcr_merkle_verify_inclusion(t.hasher, t.leaves[i], i, n,
			                                             &proof, roots[n]),
			                 0);
			if (proof.count) {
				proof.hashes[proof.count - 1][7] ^= 0x40;
				ck_assert_int_eq(mcr_merkle_verify_inclusion(t.hasher, t.leaves[i],
				                                             i, n, &proof,
				                                             roots[n]),
				                 MCR_EREFUSED);
			}
		}
		for (unsigned m = 0; m <= n; m++) {
			ck_assert_int_eq(
			        mcr_merkle_consistency_proof(mem_node, &t, t.hasher, m, n, &proof),
			        0);
			ck_assert_int_eq(mcr_merkle_verify_consistency(t.hasher, m, roots[m], n,
			                                               roots[n], &proof),
			                 0);
			if (m > 0 && m < n)
				ck_assert_int_eq(mcr_merkle_verify_consistency(t.hasher, m,
				                                               roots[m - 1], n,
				                                               roots[n], &proof),
				                 MCR_EREFUSED);
		}
	}
	mcr_merkle_hasher_free(t.hasher);
}
END_TEST

START_TEST(test_merkle_range_reports_completed_nodes)
{
	struct memtree t = {0};
	struct mcr_merkle_range range = {0};
	unsigned char nodes[MCR_MERKLE_MAX_LEVELS * 32], want[32];
	unsigned count;

	load_synthetic(&t, 64);
	for (unsigned i = 0; i < 64; i++) {
		ck_assert_int_eq(
		        mcr_merkle_range_append(&range, t.hasher, t.leaves[i], nodes, &count), 0);
		/* leaf i completes one node per trailing one bit of i */
		ck_assert_uint_eq(count, (unsigned)__builtin_ctz(~i));
		for (unsigned l = 1; l <= count; l++) {
			ck_assert_int_eq(mem_node(&t, l, i >> l, want), 0);
			ck_assert_mem_eq(nodes + 32 * (l - 1), want, 32);
		}
	}
	mcr_merkle_hasher_free(t.hasher);
}
END_TEST

START_TEST(test_merkle_rejects_impossible_proofs)
{
	struct memtree t = {0};
	struct mcr_merkle_proof proof = {0};
	unsigned char root[32] = {0};

	load_synthetic(&t, 4);
	ck_assert_int_eq(mcr_merkle_inclusion_proof(mem_node, &t, t.hasher, 4, 4, &proof),
	                 MCR_EUSAGE);
	ck_assert_int_eq(mcr_merkle_consistency_proof(mem_node, &t, t.hasher, 5, 4, &proof),
	                 MCR_EUSAGE);
	ck_assert_int_eq(mcr_merkle_verify_inclusion(t.hasher, t.leaves[0], 0, 0, &proof, root),
	                 MCR_EREFUSED);
	ck_assert_int_eq(mcr_merkle_verify_consistency(t.hasher, 3, root, 2, root, &proof),
	                 MCR_EREFUSED);
	/* a non-trivial consistency claim needs a proof */
	ck_assert_int_eq(mcr_merkle_verify_consistency(t.hasher, 2, root, 4, root, &proof),
	                 MCR_EREFUSED);
	mcr_merkle_hasher_free(t.hasher);
}
END_TEST

static Suite *merkle_suite(void)
{
	Suite *s = suite_create("merkle");
	TCase *tc = tcase_create("rfc6962");

	tcase_add_test(tc, test_merkle_roots_match_ct_vectors);
	tcase_add_test(tc, test_merkle_inclusion_proofs_match_ct_vectors);
	tcase_add_test(tc, test_merkle_consistency_proofs_match_ct_vectors);
	tcase_add_test(tc, test_merkle_all_proofs_round_trip);
	tcase_add_test(tc, test_merkle_range_reports_completed_nodes);
	tcase_add_test(tc, test_merkle_rejects_impossible_proofs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(merkle_suite());
}
