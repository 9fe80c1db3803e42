/* The imgtool sign flow: choose the hash, get the signature (signer or --fix-sig), write outputs. */
#include "imgtool.h"

#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "image_verify.h"
#include "key.h"
#include "signer.h"

#include <stdlib.h>
#include <string.h>

/* imgtool's rule for the image hash: --sha if allowed for the key, else the key's default. */
static int choose_hash(struct mcr_imgtool_sign *a, const struct mcr_key *key, bool public_only)
{
	enum mcr_hash_alg alg;
	enum mcr_key_type type;

	if (a->spec.pure && key) {
		if (strcmp(a->sha, "auto"))
			return mcr_error(MCR_EUSAGE, "--pure takes no --sha (it always hashes with SHA-512)");
		a->spec.hash_alg = MCR_HASH_SHA512;
		return 0;
	}
	if (!strcmp(a->sha, "auto")) {
		a->spec.hash_alg = key ? mcr_key_default_hash(mcr_key_type(key)) : MCR_HASH_SHA256;
		return 0;
	}
	mcr_hash_parse(&alg, a->sha);
	if (key && !mcr_key_allows_hash((type = mcr_key_type(key)), alg, public_only))
		return mcr_error(MCR_EUSAGE, "a %s key cannot be used with --sha %s (allowed: %s)",
				 mcr_key_type_name(type), a->sha,
				 type == MCR_KEY_P384 ? "384" :
				 type == MCR_KEY_ED25519 ? "256, 512" : "256");
	a->spec.hash_alg = alg;
	return 0;
}

/* The key a --fix-sig signature belongs to; pure mode needs the private PEM, as in imgtool. */
static int load_fix_sig_key(struct mcr_imgtool_sign *a, struct mcr_key **out)
{
	int ret;

	if (!a->fix_sig_pubkey)
		return mcr_error(MCR_EUSAGE, "public key of the fixed signature is not specified (--fix-sig-pubkey)");
	if (a->key_ref)
		return mcr_error(MCR_EUSAGE, "--key and --fix-sig cannot be used together");
	if ((ret = mcr_key_load_pem(out, a->fix_sig_pubkey)) < 0)
		return ret;
	if (a->spec.pure && !mcr_key_has_private(*out))
		return mcr_error(MCR_EUSAGE,
				 "--pure with --fix-sig needs the Ed25519 private PEM as --fix-sig-pubkey (imgtool cannot read the public one)");
	return 0;
}

/* Reads a --fix-sig file (base64 text of the signature TLV value). */
static int read_fixed_signature(const char *path, struct mcr_buf *sig)
{
	struct mcr_buf text = MCR_BUF_INIT;
	int ret;

	if ((ret = mcr_fileio_read_all(path, 64 * 1024, &text)) == 0 &&
	    mcr_base64_decode(sig, (const char *)text.data, text.len, false) < 0)
		ret = mcr_error(MCR_EINPUT, "fixed signature '%s' is not base64", path);
	mcr_buf_release(&text);
	return ret;
}

/* Gets the signature: from the signer (verified there) or --fix-sig (verified here, unlike imgtool). */
static int obtain_signature(struct mcr_imgtool_sign *a, struct mcr_image_build *build,
			    struct mcr_signer *signer, const struct mcr_key *key)
{
	struct mcr_buf sig = MCR_BUF_INIT, region = MCR_BUF_INIT;
	size_t digest_len;
	const unsigned char *digest = mcr_image_build_digest(build, &digest_len);
	int ret = 0;

	if (a->spec.pure && (ret = mcr_image_build_hash_region(build, &region)) < 0)
		goto out;
	if (signer && a->spec.pure)
		ret = mcr_signer_sign_message(signer, region.data, region.len, NULL, &sig);
	else if (signer)
		ret = mcr_signer_sign_digest(signer, a->spec.hash_alg, digest, digest_len, NULL, &sig);
	else if ((ret = read_fixed_signature(a->fix_sig_path, &sig)) == 0 &&
		 mcr_image_verify_signature(key, a->spec.hash_alg, digest, digest_len,
					    a->spec.pure ? region.data : NULL, region.len, sig.data,
					    sig.len) < 0)
		ret = mcr_error(MCR_EINPUT, "fixed signature '%s' does not verify with '%s'",
				a->fix_sig_path, a->fix_sig_pubkey);
	if (ret == 0)
		ret = mcr_image_build_set_signature(build, sig.data, sig.len);
out:
	mcr_buf_release(&sig);
	mcr_buf_release(&region);
	return ret;
}

static int write_sig_out(const struct mcr_imgtool_sign *a, const struct mcr_image_build *build)
{
	struct mcr_buf b64 = MCR_BUF_INIT;
	size_t len;
	const unsigned char *sig = mcr_image_build_signature(build, &len);
	int ret;

	if (!sig)
		return mcr_error(MCR_EUSAGE, "--sig-out needs a signed image (--key or --fix-sig)");
	if ((ret = mcr_base64_encode(&b64, sig, len, false)) == 0)
		ret = mcr_fileio_write_atomic(a->sig_out_path, b64.data, b64.len, 0644);
	mcr_buf_release(&b64);
	return ret;
}

/* The key that signs (signer) or that a fixed signature belongs to (fix_key); either may stay NULL. */
static int open_keys(struct mcr_imgtool_sign *a, struct mcr_signer **signer, struct mcr_key **fix_key)
{
	bool want_fixed = a->fix_sig_path != NULL;
	int ret;

	if (want_fixed)
		return load_fix_sig_key(a, fix_key);
	if (a->key_ref && (ret = mcr_signer_open_ref(signer, a->key_ref, a->config_path)) < 0)
		return ret;
	return 0;
}

int mcr_imgtool_sign_run(struct mcr_imgtool_sign *a)
{
	struct mcr_signer *signer = NULL;
	struct mcr_key *fix_key = NULL;
	struct mcr_image_build *build = NULL;
	const struct mcr_key *key;
	int ret;

	if ((ret = open_keys(a, &signer, &fix_key)) < 0)
		goto out;
	key = signer ? mcr_signer_key(signer) : fix_key;
	/* Without a key, pure mode can only export what the signer must sign. */
	if (a->spec.pure && !key && !a->vector_to_sign)
		ret = mcr_error(MCR_EUSAGE, "--pure needs an Ed25519 key");
	if (ret < 0 || (ret = choose_hash(a, key, signer == NULL)) < 0 ||
	    (ret = mcr_image_build_new(&build, &a->spec, a->infile, key)) < 0)
		goto out;
	if (a->vector_to_sign) {
		if ((ret = mcr_image_build_hash(build)) == 0)
			ret = mcr_image_build_write_vector(build, a->outfile,
							   !strcmp(a->vector_to_sign, "payload"), &a->output);
		goto out;
	}
	/* one pass over the input: hashed while written, then signed and completed */
	if ((ret = mcr_image_build_stage(build, a->outfile, &a->output)) < 0 ||
	    (key && (ret = obtain_signature(a, build, signer, key)) < 0) ||
	    (ret = mcr_image_build_commit(build)) < 0)
		goto out;
	if (a->sig_out_path)
		ret = write_sig_out(a, build);
out:
	mcr_image_build_free(build);
	mcr_signer_free(signer);
	mcr_key_free(fix_key);
	return ret;
}
