/* Unit tests: MCUboot keys — loading, public bytes, fingerprints, signatures with MCUboot's parameters. */
#include <check.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "hash.h"
#include "key.h"
#include "testutil.h"

static const char *const key_names[] = {"rsa-2048", "rsa-3072", "ecdsa-p256", "ecdsa-p384", "ed25519"};
static const enum mcr_key_type key_types[] = {MCR_KEY_RSA2048, MCR_KEY_RSA3072, MCR_KEY_P256,
					       MCR_KEY_P384, MCR_KEY_ED25519};

static struct mcr_key *load(const char *rel)
{
	struct mcr_key *key = NULL;

	ck_assert_msg(mcr_key_load_pem(&key, mcr_test_vector(rel)) == 0, "%s", mcr_error_message());
	return key;
}

START_TEST(test_key_public_bytes_match_imgtool)
{
	struct mcr_key *priv = load(mcr_test_path("keys/%s.pem", key_names[_i]));
	struct mcr_key *pub = load(mcr_test_path("keys/%s.pub.pem", key_names[_i]));
	struct mcr_buf bytes = MCR_BUF_INIT, expected = MCR_BUF_INIT;
	char fp_priv[65], fp_pub[65];

	ck_assert_int_eq(mcr_key_type(priv), key_types[_i]);
	ck_assert(mcr_key_has_private(priv));
	ck_assert(!mcr_key_has_private(pub));
	ck_assert(mcr_key_same_public(priv, pub));
	ck_assert_int_eq(mcr_key_public_bytes(priv, &bytes), 0);
	mcr_test_read(&expected, mcr_test_vector(mcr_test_path("keys/%s.pub.der", key_names[_i])));
	ck_assert_uint_eq(bytes.len, expected.len);
	ck_assert_mem_eq(bytes.data, expected.data, bytes.len);
	ck_assert_int_eq(mcr_key_fingerprint(priv, fp_priv), 0);
	ck_assert_int_eq(mcr_key_fingerprint(pub, fp_pub), 0);
	ck_assert_str_eq(fp_priv, fp_pub);
	mcr_buf_release(&bytes);
	mcr_buf_release(&expected);
	mcr_key_free(priv);
	mcr_key_free(pub);
}
END_TEST

START_TEST(test_key_sign_verify_roundtrip_and_forgeries)
{
	struct mcr_key *key = load(mcr_test_path("keys/%s.pem", key_names[_i]));
	struct mcr_key *other = load("keys/ecdsa-p256-other.pem");
	enum mcr_hash_alg alg = mcr_key_default_hash(mcr_key_type(key));
	unsigned char digest[MCR_HASH_MAX_LEN];
	size_t len = mcr_hash_len(alg);
	struct mcr_buf sig = MCR_BUF_INIT;

	ck_assert_int_eq(mcr_hash_buffer(alg, "firmware", 8, digest), 0);
	ck_assert_int_eq(mcr_key_sign(key, digest, len, digest, len, &sig), 0);
	ck_assert_int_eq(mcr_key_verify(key, digest, len, digest, len, sig.data, sig.len), 0);
	digest[0] ^= 1;
	ck_assert_int_eq(mcr_key_verify(key, digest, len, digest, len, sig.data, sig.len), MCR_EREFUSED);
	digest[0] ^= 1;
	sig.data[sig.len / 2] ^= 1;
	ck_assert_int_eq(mcr_key_verify(key, digest, len, digest, len, sig.data, sig.len), MCR_EREFUSED);
	sig.data[sig.len / 2] ^= 1;
	if (mcr_key_type(key) != MCR_KEY_P256)
		ck_assert_int_eq(mcr_key_verify(other, digest, 32, digest, 32, sig.data, sig.len),
				 MCR_EREFUSED);
	mcr_buf_release(&sig);
	mcr_key_free(key);
	mcr_key_free(other);
}
END_TEST

START_TEST(test_key_pss_salt_must_be_32)
{
	const char *dir = mcr_test_tmpdir();
	struct mcr_key *key = load("keys/rsa-2048.pem");
	struct mcr_buf sig = MCR_BUF_INIT;
	unsigned char digest[32];

	/* OpenSSL's default PSS salt (max) is what MCUboot rejects; so must we. */
	memset(digest, 0x5a, sizeof(digest));
	mcr_test_write(mcr_test_path("%s/d", dir), digest, 32);
	mcr_test_sh_ok("openssl pkeyutl -sign -inkey '%s' -in '%s/d' -out '%s/maxsalt' "
		       "-pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_mgf1_md:sha256",
		       mcr_test_vector("keys/rsa-2048.pem"), dir, dir);
	mcr_test_read(&sig, mcr_test_path("%s/maxsalt", dir));
	ck_assert_uint_eq(sig.len, 256);
	ck_assert_int_eq(mcr_key_verify(key, digest, 32, NULL, 0, sig.data, sig.len), MCR_EREFUSED);
	mcr_buf_release(&sig);
	mcr_test_sh_ok("openssl pkeyutl -sign -inkey '%s' -in '%s/d' -out '%s/salt32' "
		       "-pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_mgf1_md:sha256 "
		       "-pkeyopt rsa_pss_saltlen:32",
		       mcr_test_vector("keys/rsa-2048.pem"), dir, dir);
	mcr_test_read(&sig, mcr_test_path("%s/salt32", dir));
	ck_assert_int_eq(mcr_key_verify(key, digest, 32, NULL, 0, sig.data, sig.len), 0);
	mcr_buf_release(&sig);
	mcr_key_free(key);
}
END_TEST

START_TEST(test_key_ed25519_is_pure_not_ph)
{
	const char *dir = mcr_test_tmpdir();
	struct mcr_key *key = load("keys/ed25519.pem");
	struct mcr_buf sig = MCR_BUF_INIT;
	unsigned char digest[32];

	/* Ed25519ph over the digest (what "-digest sha512" style tools do) must not pass */
	memset(digest, 0x33, sizeof(digest));
	mcr_test_write(mcr_test_path("%s/d", dir), digest, 32);
	mcr_test_sh_ok("openssl pkeyutl -sign -inkey '%s' -rawin -in '%s/d' -out '%s/pure'",
		       mcr_test_vector("keys/ed25519.pem"), dir, dir);
	mcr_test_read(&sig, mcr_test_path("%s/pure", dir));
	ck_assert_int_eq(mcr_key_verify(key, NULL, 0, digest, 32, sig.data, sig.len), 0);
	mcr_buf_release(&sig);
	mcr_test_sh_ok("openssl pkeyutl -sign -inkey '%s' -rawin -in '%s/d' -out '%s/ph' "
		       "-pkeyopt instance:Ed25519ph 2>/dev/null || head -c 64 /dev/urandom > '%s/ph'",
		       mcr_test_vector("keys/ed25519.pem"), dir, dir, dir);
	mcr_test_read(&sig, mcr_test_path("%s/ph", dir));
	ck_assert_int_eq(mcr_key_verify(key, NULL, 0, digest, 32, sig.data, sig.len), MCR_EREFUSED);
	mcr_buf_release(&sig);
	mcr_key_free(key);
}
END_TEST

/* r||s as a PKCS#11 token returns it, from a DER signature: 30 L 02 lr r 02 ls s. */
static void der_to_raw(const unsigned char *der, unsigned char *raw)
{
	const unsigned char *r = der + 4, *s;
	size_t lr = der[3], ls;

	s = r + lr + 2;
	ls = r[lr + 1];
	memset(raw, 0, 64);
	if (lr > 32)
		r += lr - 32, lr = 32;
	if (ls > 32)
		s += ls - 32, ls = 32;
	memcpy(raw + 32 - lr, r, lr);
	memcpy(raw + 64 - ls, s, ls);
}

START_TEST(test_key_normalize_signatures)
{
	struct mcr_key *key = load("keys/ecdsa-p256.pem");
	unsigned char digest[32], digest384[48], raw[64];
	struct mcr_buf der = MCR_BUF_INIT, norm = MCR_BUF_INIT;

	memset(digest, 7, sizeof(digest));
	memset(digest384, 7, sizeof(digest384));
	ck_assert_int_eq(mcr_key_sign(key, digest, 32, NULL, 0, &der), 0);
	/* DER passes through; raw r||s (as PKCS#11 returns) becomes the same DER */
	ck_assert_int_eq(mcr_key_normalize_signature(&norm, MCR_KEY_P256, MCR_SIG_AUTO, der.data, der.len, "t"), 0);
	ck_assert_mem_eq(norm.data, der.data, der.len);
	ck_assert_int_eq(mcr_key_verify(key, digest, 32, NULL, 0, norm.data, norm.len), 0);
	der_to_raw(der.data, raw);
	mcr_buf_truncate(&norm, 0);
	ck_assert_int_eq(mcr_key_normalize_signature(&norm, MCR_KEY_P256, MCR_SIG_AUTO, raw, 64, "t"), 0);
	ck_assert_uint_eq(norm.len, der.len);
	ck_assert_mem_eq(norm.data, der.data, der.len);
	/* truncated DER, wrong raw length, wrong Ed25519/RSA lengths */
	mcr_buf_truncate(&norm, 0);
	ck_assert_int_eq(mcr_key_normalize_signature(&norm, MCR_KEY_P256, MCR_SIG_DER, der.data, der.len - 3, "hsm"),
			 MCR_ESIGNER);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "'hsm'"));
	ck_assert_int_eq(mcr_key_normalize_signature(&norm, MCR_KEY_P384, MCR_SIG_RAW, raw, 64, "t"), MCR_ESIGNER);
	ck_assert_int_eq(mcr_key_normalize_signature(&norm, MCR_KEY_ED25519, MCR_SIG_AUTO, raw, 63, "t"), MCR_ESIGNER);
	ck_assert_int_eq(mcr_key_normalize_signature(&norm, MCR_KEY_RSA2048, MCR_SIG_AUTO, raw, 64, "t"), MCR_ESIGNER);
	mcr_buf_release(&der);
	mcr_buf_release(&norm);
	mcr_key_free(key);

	/* a P-384 signature (48-byte r and s) for a P-256 key: another curve's, refused
	 * (found by fuzz_signer_reply: tests/fuzz/regressions/signer_reply) */
	key = load("keys/ecdsa-p384.pem");
	ck_assert_int_eq(mcr_key_sign(key, digest384, 48, NULL, 0, &der), 0);
	ck_assert_int_eq(mcr_key_normalize_signature(&norm, MCR_KEY_P384, MCR_SIG_DER, der.data, der.len, "t"), 0);
	mcr_buf_truncate(&norm, 0);
	ck_assert_int_eq(mcr_key_normalize_signature(&norm, MCR_KEY_P256, MCR_SIG_DER, der.data, der.len, "t"),
			 MCR_ESIGNER);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "another curve's"));
	ck_assert_uint_eq(norm.len, 0);
	mcr_buf_release(&der);
	mcr_buf_release(&norm);
	mcr_key_free(key);
}
END_TEST

static void expect_load_failure(const char *pem_cmd, const char *needle)
{
	const char *dir = mcr_test_tmpdir();
	const char *path = mcr_test_path("%s/key.pem", dir);
	struct mcr_key *key = NULL;

	mcr_test_sh_ok(pem_cmd, path);
	ck_assert_int_eq(mcr_key_load_pem(&key, path), MCR_EINPUT);
	ck_assert_ptr_null(key);
	ck_assert_msg(strstr(mcr_error_message(), needle), "'%s' lacks '%s'", mcr_error_message(), needle);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), path));
}

START_TEST(test_key_refusals)
{
	struct mcr_key *key = NULL;

	expect_load_failure("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out '%s' 2>/dev/null",
			    "unsupported RSA-1024");
	expect_load_failure("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out '%s'",
			    "unsupported EC curve 'secp256k1'");
	expect_load_failure("openssl genpkey -algorithm ed448 -out '%s'", "unsupported key type");
	expect_load_failure("openssl genpkey -algorithm ed25519 -aes256 -pass pass:x -out '%s'",
			    "encrypted private key");
	expect_load_failure("echo not a key > '%s'", "no PEM private or public key");
	ck_assert_int_eq(mcr_key_load_pem(&key, "/nonexistent.pem"), MCR_EINPUT);
}
END_TEST

static Suite *key_suite(void)
{
	Suite *s = suite_create("key");
	TCase *tc = tcase_create("key");

	tcase_add_loop_test(tc, test_key_public_bytes_match_imgtool, 0, 5);
	tcase_add_loop_test(tc, test_key_sign_verify_roundtrip_and_forgeries, 0, 5);
	tcase_add_test(tc, test_key_pss_salt_must_be_32);
	tcase_add_test(tc, test_key_ed25519_is_pure_not_ph);
	tcase_add_test(tc, test_key_normalize_signatures);
	tcase_add_test(tc, test_key_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(key_suite());
}
