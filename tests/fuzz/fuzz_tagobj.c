/*
 * libFuzzer target: git tag objects and what gpg says about their signatures. Each
 * input is read as a raw tag object: split into payload and signature
 * (mcr_gittag_split) and checked without a repository (mcr_gittag_from_object, named
 * after its own "tag" header so that the checks get past the name); and as gpg's
 * --status-fd output (mcr_tagsig_judge_gpg_status). A split payload must read as
 * unsigned, the object id must be git's, and an accepted signer must be a trusted one.
 */
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "error.h"
#include "fuzz_support.h"
#include "gittag.h"
#include "tagsig.h"

#define NAME_MAX_LEN 256

/* The trusted OpenPGP fingerprints, as a config lists them (any case, spaces allowed). */
static const char *const trusted[] = {"0123 4567 89AB CDEF 0123  4567 89ab cdef 0123 4567",
                                      "D1B5A03C7A4F1E2B9C8D7E6F5A4B3C2D1E0F9A8B", NULL};

static void split(const uint8_t *raw, size_t len)
{
	enum mcr_tagsig_format format = MCR_TAGSIG_NONE, format2;
	size_t payload_len = 0, payload_len2;

	if (mcr_gittag_split(&payload_len, &format, raw, len, "fuzz") < 0)
		return;
	FUZZ_CHECK(payload_len < len && format != MCR_TAGSIG_NONE);
	FUZZ_CHECK(!memcmp(raw + payload_len, "-----BEGIN ", 11));
	/* no unsigned text rides along: what the signature covers carries no signature */
	FUZZ_CHECK(mcr_gittag_split(&payload_len2, &format2, raw, payload_len, "fuzz") ==
	                   MCR_EREFUSED &&
	           !strcmp(mcr_error_reason(), "tag.unsigned"));
	mcr_error_clear();
}

/* The value of the "tag" header line, else a valid name. */
static void tag_name(char *out, const uint8_t *raw, size_t len)
{
	for (size_t pos = 0; pos < len && raw[pos] != '\n';) {
		const uint8_t *eol = memchr(raw + pos, '\n', len - pos);
		size_t line_len = eol ? (size_t)(eol - raw) - pos : len - pos;

		if (line_len > 4 && line_len - 4 < NAME_MAX_LEN && !memcmp(raw + pos, "tag ", 4) &&
		    !memchr(raw + pos + 4, '\0', line_len - 4)) {
			memcpy(out, raw + pos + 4, line_len - 4);
			out[line_len - 4] = '\0';
			return;
		}
		pos += line_len + 1;
	}
	strcpy(out, "v1.0.0");
}

/* git's object id of a tag object: SHA-1 of "tag <size>\0" and the bytes, in hex. */
static void object_id(char *hex, const uint8_t *raw, size_t len)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned digest_len = 0;
	char header[32];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int header_len = snprintf(header, sizeof(header), "tag %zu", len);

	FUZZ_CHECK(ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) &&
	           EVP_DigestUpdate(ctx, header, (size_t)header_len + 1) &&
	           EVP_DigestUpdate(ctx, raw, len) && EVP_DigestFinal_ex(ctx, digest, &digest_len));
	mcr_hex_encode(hex, digest, digest_len);
	EVP_MD_CTX_free(ctx);
}

static void from_object(const uint8_t *raw, size_t len)
{
	struct mcr_gittag tag;
	enum mcr_tagsig_format format;
	size_t payload_len;
	char name[NAME_MAX_LEN + 1], oid[2 * EVP_MAX_MD_SIZE + 1];
	int ret;

	tag_name(name, raw, len);
	ret = mcr_gittag_from_object(&tag, name, raw, len);
	FUZZ_CHECK(ret == 0 || ret == MCR_EREFUSED || ret == MCR_ESYS);
	if (ret == 0) {
		object_id(oid, raw, len);
		FUZZ_CHECK(!strcmp(tag.tag_object, oid));
		FUZZ_CHECK(strlen(tag.commit) == 40);
		FUZZ_CHECK(!strcmp(tag.name, name));
		FUZZ_CHECK(fuzz_same(tag.raw.data, tag.raw.len, raw, len));
		/* the same split as without libgit2 */
		FUZZ_CHECK(mcr_gittag_split(&payload_len, &format, raw, len, name) == 0 &&
		           payload_len == tag.payload_len && format == tag.sig_format);
	}
	mcr_gittag_release(&tag);
	mcr_error_clear();
}

/* gpg prints fingerprints without spaces, in either case. */
static bool is_trusted(const char *fpr)
{
	return !strcasecmp(fpr, "0123456789ABCDEF0123456789ABCDEF01234567") ||
	       !strcasecmp(fpr, trusted[1]);
}

static void judge_gpg(const uint8_t *data, size_t size)
{
	struct mcr_tagsig_signer signer;
	char *status = fuzz_strndup(data, size);

	mcr_tagsig_signer_init(&signer);
	if (mcr_tagsig_judge_gpg_status(&signer, status, trusted, "fuzz") == 0) {
		FUZZ_CHECK(signer.format == MCR_TAGSIG_OPENPGP && signer.identity && signer.key);
		/* only a configured key is let through, as its subkey or its primary key */
		FUZZ_CHECK(strstr(status, "GOODSIG") && strstr(status, "VALIDSIG"));
		FUZZ_CHECK(is_trusted(signer.identity) || is_trusted(signer.key));
	}
	mcr_tagsig_signer_release(&signer);
	mcr_error_clear();
	free(status);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	split(data, size);
	from_object(data, size);
	judge_gpg(data, size);
	return 0;
}
