/* MCUboot TLV areas and the encodings of the protected TLVs imgtool writes. */
#include "tlv.h"

#include "error.h"
#include "version.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

static const struct {
	unsigned type;
	const char *name;
} tlv_names[] = {
	{MCR_TLV_KEYHASH, "KEYHASH"},
	{MCR_TLV_PUBKEY, "PUBKEY"},
	{MCR_TLV_SHA256, "SHA256"},
	{MCR_TLV_SHA384, "SHA384"},
	{MCR_TLV_SHA512, "SHA512"},
	{MCR_TLV_RSA2048_PSS, "RSA2048_PSS"},
	{MCR_TLV_ECDSA224, "ECDSA224"},
	{MCR_TLV_ECDSA_SIG, "ECDSA_SIG"},
	{MCR_TLV_RSA3072_PSS, "RSA3072_PSS"},
	{MCR_TLV_ED25519, "ED25519"},
	{MCR_TLV_SIG_PURE, "SIG_PURE"},
	{MCR_TLV_ENC_RSA2048, "ENCRSA2048"},
	{MCR_TLV_ENC_KW, "ENCKW"},
	{MCR_TLV_ENC_EC256, "ENCEC256"},
	{MCR_TLV_ENC_X25519, "ENCX25519"},
	{MCR_TLV_ENC_X25519_SHA512, "ENCX25519_SHA512"},
	{MCR_TLV_DEPENDENCY, "DEPENDENCY"},
	{MCR_TLV_SEC_CNT, "SEC_CNT"},
	{MCR_TLV_BOOT_RECORD, "BOOT_RECORD"},
	{MCR_TLV_DECOMP_SIZE, "DECOMP_SIZE"},
	{MCR_TLV_DECOMP_SHA, "DECOMP_SHA"},
	{MCR_TLV_DECOMP_SIGNATURE, "DECOMP_SIGNATURE"},
	{MCR_TLV_COMP_DEC_SIZE, "COMP_DEC_SIZE"},
	{MCR_TLV_UUID_VID, "UUID_VID"},
	{MCR_TLV_UUID_CID, "UUID_CID"},
};

const char *mcr_tlv_name(unsigned type)
{
	for (size_t i = 0; i < sizeof(tlv_names) / sizeof(tlv_names[0]); i++)
		if (tlv_names[i].type == type)
			return tlv_names[i].name;
	return NULL;
}

unsigned mcr_tlv_hash_type(enum mcr_hash_alg alg)
{
	return alg == MCR_HASH_SHA384 ? MCR_TLV_SHA384 :
	       alg == MCR_HASH_SHA512 ? MCR_TLV_SHA512 :
					MCR_TLV_SHA256;
}

bool mcr_tlv_hash_alg(unsigned type, enum mcr_hash_alg *out)
{
	if (type == MCR_TLV_SHA256)
		*out = MCR_HASH_SHA256;
	else if (type == MCR_TLV_SHA384)
		*out = MCR_HASH_SHA384;
	else if (type == MCR_TLV_SHA512)
		*out = MCR_HASH_SHA512;
	else
		return false;
	return true;
}

void mcr_tlv_area_init(struct mcr_tlv_area *area, unsigned magic)
{
	mcr_buf_init(&area->bytes);
	mcr_buf_add_fill(&area->bytes, 0, MCR_TLV_INFO_SIZE);
	area->magic = magic;
	area->entries = 0;
}

void mcr_tlv_area_release(struct mcr_tlv_area *area)
{
	mcr_buf_release(&area->bytes);
}

int mcr_tlv_add(struct mcr_tlv_area *area, unsigned type, const void *value, size_t len)
{
	int ret;

	if (area->bytes.len < MCR_TLV_INFO_SIZE)
		return mcr_error(MCR_ESYS, "out of memory");
	if (len > MCR_TLV_AREA_MAX || area->bytes.len + MCR_TLV_HEADER_SIZE + len > MCR_TLV_AREA_MAX)
		return mcr_error(MCR_EUSAGE, "TLV area would exceed 65535 bytes (TLV 0x%x of %zu bytes)",
				 type, len);
	if ((ret = mcr_buf_add_le16(&area->bytes, type)) < 0 ||
	    (ret = mcr_buf_add_le16(&area->bytes, (unsigned)len)) < 0 ||
	    (ret = mcr_buf_add(&area->bytes, value, len)) < 0)
		return ret;
	area->entries++;
	return 0;
}

void mcr_tlv_area_finish(struct mcr_tlv_area *area)
{
	size_t tot = area->bytes.len;

	if (area->entries == 0 && area->magic == MCR_TLV_PROT_INFO_MAGIC) {
		mcr_buf_truncate(&area->bytes, 0);
		return;
	}
	area->bytes.data[0] = (unsigned char)area->magic;
	area->bytes.data[1] = (unsigned char)(area->magic >> 8);
	area->bytes.data[2] = (unsigned char)tot;
	area->bytes.data[3] = (unsigned char)(tot >> 8);
}

void mcr_tlv_iter_init(struct mcr_tlv_iter *iter, const unsigned char *area, size_t area_len)
{
	iter->area = area;
	iter->area_len = area_len;
	iter->pos = MCR_TLV_INFO_SIZE;
}

int mcr_tlv_next(struct mcr_tlv_iter *iter, struct mcr_tlv_entry *out)
{
	const unsigned char *p;
	size_t len;

	if (iter->pos >= iter->area_len)
		return 0;
	if (iter->area_len - iter->pos < MCR_TLV_HEADER_SIZE)
		return MCR_EREFUSED;
	p = iter->area + iter->pos;
	len = (size_t)p[2] | (size_t)p[3] << 8;
	if (iter->area_len - iter->pos - MCR_TLV_HEADER_SIZE < len)
		return MCR_EREFUSED;
	out->type = (unsigned)p[0] | (unsigned)p[1] << 8;
	out->len = len;
	out->value = p + MCR_TLV_HEADER_SIZE;
	out->offset = iter->pos;
	iter->pos += MCR_TLV_HEADER_SIZE + len;
	return 1;
}

int mcr_tlv_encode_dependency(struct mcr_buf *out, unsigned image_id,
			      const struct mcr_version *version)
{
	int ret;

	if (image_id > 255)
		return mcr_error(MCR_EUSAGE, "dependency image id %u is larger than 255", image_id);
	if ((ret = mcr_buf_add_u8(out, image_id)) < 0 || (ret = mcr_buf_add_fill(out, 0, 3)) < 0 ||
	    (ret = mcr_buf_add_u8(out, version->major)) < 0 ||
	    (ret = mcr_buf_add_u8(out, version->minor)) < 0 ||
	    (ret = mcr_buf_add_le16(out, version->revision)) < 0)
		return ret;
	return mcr_buf_add_le32(out, version->build);
}

/* A CBOR head for a length or small unsigned value (major type in the top 3 bits). */
static int cbor_head(struct mcr_buf *out, unsigned major, size_t value)
{
	int ret;

	if (value < 24)
		return mcr_buf_add_u8(out, major << 5 | (unsigned)value);
	if (value < 256) {
		if ((ret = mcr_buf_add_u8(out, major << 5 | 24)) < 0)
			return ret;
		return mcr_buf_add_u8(out, (unsigned)value);
	}
	if ((ret = mcr_buf_add_u8(out, major << 5 | 25)) < 0 ||
	    (ret = mcr_buf_add_u8(out, (unsigned)(value >> 8))) < 0)
		return ret;
	return mcr_buf_add_u8(out, (unsigned)value & 0xff);
}

static int cbor_text(struct mcr_buf *out, const char *text)
{
	int ret = cbor_head(out, 3, strlen(text));

	return ret < 0 ? ret : mcr_buf_add_str(out, text);
}

static int cbor_bytes(struct mcr_buf *out, const unsigned char *data, size_t len)
{
	int ret = cbor_head(out, 2, len);

	return ret < 0 ? ret : mcr_buf_add(out, data, len);
}

int mcr_tlv_encode_boot_record(struct mcr_buf *out, const char *sw_type,
			       const struct mcr_version *version, enum mcr_hash_alg alg,
			       const unsigned char *signer_id, size_t signer_id_len)
{
	static const unsigned char zeros[MCR_HASH_MAX_LEN];
	static const char *const hash_names[] = {"SHA256", "SHA384", "SHA512"};
	char version_text[MCR_VERSION_TEXT_MAX];
	int ret;

	if (strlen(sw_type) > 12)
		return mcr_error(MCR_EUSAGE,
				 "boot record software type '%s' is longer than 12 characters", sw_type);
	snprintf(version_text, sizeof(version_text), "%u.%u.%u", version->major, version->minor,
		 version->revision);
	if ((ret = cbor_head(out, 5, 5)) < 0 || (ret = cbor_head(out, 0, 1)) < 0 ||
	    (ret = cbor_text(out, sw_type)) < 0 || (ret = cbor_head(out, 0, 4)) < 0 ||
	    (ret = cbor_text(out, version_text)) < 0 || (ret = cbor_head(out, 0, 5)) < 0 ||
	    (ret = cbor_bytes(out, signer_id, signer_id_len)) < 0 ||
	    (ret = cbor_head(out, 0, 6)) < 0 || (ret = cbor_text(out, hash_names[alg])) < 0 ||
	    (ret = cbor_head(out, 0, 2)) < 0)
		return ret;
	return cbor_bytes(out, zeros, mcr_hash_len(alg));
}

static bool parse_hex_uuid(unsigned char *out, const char *text)
{
	size_t n = 0;

	for (const char *p = text; *p; p++) {
		if (*p == '-' && (p - text == 8 || p - text == 13 || p - text == 18 || p - text == 23))
			continue;
		if (!isxdigit((unsigned char)*p) || n == 32)
			return false;
		out[n / 2] = (unsigned char)(out[n / 2] << 4 |
					     (isdigit((unsigned char)*p) ? *p - '0' : (*p | 32) - 'a' + 10));
		n++;
	}
	return n == 32 && (strlen(text) == 32 || strlen(text) == 36);
}

int mcr_tlv_uuid(unsigned char *out, const char *text, const unsigned char *name_space,
		 const char *option)
{
	/* RFC 4122's namespace for DNS names, which imgtool uses for --vid names. */
	static const unsigned char dns_namespace[16] = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
							0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
	unsigned char digest[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *ctx;
	int ok;

	if (!*text)
		return mcr_error(MCR_EUSAGE, "empty UUID for option '%s'", option);
	memset(out, 0, 16);
	if (parse_hex_uuid(out, text))
		return 0;
	/* uuid5: SHA-1 of namespace and name, with the version and variant bits set. */
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, name_space ? name_space : dns_namespace, 16) == 1 &&
	     EVP_DigestUpdate(ctx, text, strlen(text)) == 1 &&
	     EVP_DigestFinal_ex(ctx, digest, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return mcr_error_openssl(MCR_ESYS, "cannot compute a UUID for '%s'", text);
	memcpy(out, digest, 16);
	out[6] = (unsigned char)((out[6] & 0x0f) | 0x50);
	out[8] = (unsigned char)((out[8] & 0x3f) | 0x80);
	return 0;
}
