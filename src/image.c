/* Building MCUboot images: input, layout and hashing. Writing is in image_write.c. */
#include "image.h"

#include "buf.h"
#include "error.h"
#include "image_build.h"
#include "key.h"
#include "tlv.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static void put_le16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put_le32(unsigned char *p, uint32_t v)
{
	put_le16(p, v & 0xffff);
	put_le16(p + 2, v >> 16);
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void mcr_image_header_encode(unsigned char *out, const struct mcr_image_header *h)
{
	put_le32(out, h->magic);
	put_le32(out + 4, h->load_addr);
	put_le16(out + 8, h->hdr_size);
	put_le16(out + 10, h->protect_tlv_size);
	put_le32(out + 12, h->img_size);
	put_le32(out + 16, h->flags);
	out[20] = (unsigned char)h->version.major;
	out[21] = (unsigned char)h->version.minor;
	put_le16(out + 22, h->version.revision);
	put_le32(out + 24, (uint32_t)h->version.build);
	put_le32(out + 28, h->pad1);
}

void mcr_image_header_decode(struct mcr_image_header *h, const unsigned char *in)
{
	h->magic = get_le32(in);
	h->load_addr = get_le32(in + 4);
	h->hdr_size = (uint16_t)(in[8] | in[9] << 8);
	h->protect_tlv_size = (uint16_t)(in[10] | in[11] << 8);
	h->img_size = get_le32(in + 12);
	h->flags = get_le32(in + 16);
	h->version.major = in[20];
	h->version.minor = in[21];
	h->version.revision = (unsigned)(in[22] | in[23] << 8);
	h->version.build = get_le32(in + 24);
	h->pad1 = get_le32(in + 28);
}

unsigned mcr_image_max_align(unsigned align, unsigned max_align)
{
	if (max_align)
		return max_align;
	return align > 8 ? align : 8;
}

uint32_t mcr_image_trailer_size(unsigned align, unsigned max_align, unsigned max_sectors,
				bool overwrite_only)
{
	unsigned m = mcr_image_max_align(align, max_align);
	uint32_t magic_area = (MCR_BOOT_MAGIC_SIZE + m - 1) / m * m;

	if (overwrite_only)
		return 2 * m + magic_area;
	/* swap status, then image_ok/copy_done/swap_info/swap_size, then the magic */
	return (uint32_t)max_sectors * 3 * align + 4 * m + magic_area;
}

void mcr_image_boot_magic(unsigned char *out, unsigned max_align)
{
	static const unsigned char v1[16] = {0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f,
					     0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80};
	static const unsigned char v2_tail[14] = {0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b, 0x8d,
						  0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a};

	if (max_align == 8) {
		memcpy(out, v1, 16);
		return;
	}
	put_le16(out, max_align);
	memcpy(out + 2, v2_tail, 14);
}

void mcr_image_build_free(struct mcr_image_build *b)
{
	if (!b)
		return;
	mcr_image_staged_free(b);
	mcr_imgfile_release(&b->source);
	mcr_buf_release(&b->key_bytes);
	mcr_buf_release(&b->signature);
	mcr_tlv_area_release(&b->prot);
	free(b);
}

static int open_input(struct mcr_image_build *b, const char *input)
{
	int ret = mcr_imgfile_open(&b->source, input, false);

	b->input = b->source.path ? b->source.path : input;
	if (ret < 0)
		return ret;
	b->has_base_addr = b->source.is_hex;
	b->base_addr = b->source.base_addr;
	b->input_len = b->source.len;
	return 0;
}

/* Where the payload starts in the input, and the header gap (imgtool's check_header). */
static int place_header(struct mcr_image_build *b)
{
	const struct mcr_image_spec *spec = b->spec;
	unsigned char block[4096];

	if (spec->header_size < MCR_IMAGE_HEADER_SIZE || spec->header_size > 0xffff)
		return mcr_error(MCR_EUSAGE, "header size %#x must be between 0x20 and 0xffff",
				 (unsigned)spec->header_size);
	if (spec->pad_header) {
		if (b->has_base_addr && b->base_addr) {
			if (b->base_addr < spec->header_size)
				return mcr_error(MCR_EINPUT,
						 "Intel HEX '%s' starts at %#x, below the header size",
						 b->input, (unsigned)b->base_addr);
			b->base_addr -= spec->header_size;
		}
		b->body_offset = 0;
		b->gap_byte = spec->erased_val;
		return 0;
	}
	if (b->input_len < spec->header_size)
		return mcr_error(MCR_EINPUT, "input '%s' is shorter than the header size %#x",
				 b->input, (unsigned)spec->header_size);
	for (uint32_t off = 0; off < spec->header_size; off += sizeof(block)) {
		size_t n = spec->header_size - off < sizeof(block) ? spec->header_size - off :
								      sizeof(block);
		int ret = mcr_imgfile_read(&b->source, off, block, n);

		if (ret < 0)
			return ret;
		for (size_t i = 0; i < n; i++)
			if (block[i])
				return mcr_error(MCR_EINPUT,
						 "input '%s' does not start with %#x zero bytes for the header (imgtool option --pad-header, config image.pad_header, adds them)",
						 b->input, (unsigned)spec->header_size);
	}
	b->body_offset = spec->header_size;
	b->gap_byte = 0;
	return 0;
}

static int check_spec(const struct mcr_image_spec *spec, const struct mcr_key *key)
{
	unsigned a = spec->align;

	if (!a || a > 32 || (a & (a - 1)))
		return mcr_error(MCR_EUSAGE, "alignment %u must be 1, 2, 4, 8, 16 or 32", a);
	if (spec->max_align && spec->max_align != 8 && spec->max_align != 16 && spec->max_align != 32)
		return mcr_error(MCR_EUSAGE, "max alignment %u must be 8, 16 or 32", spec->max_align);
	if (spec->slot_size == 0)
		return mcr_error(MCR_EUSAGE, "a slot size is required");
	if (spec->load_addr && spec->has_rom_fixed)
		return mcr_error(MCR_EUSAGE, "a load address and a fixed ROM address cannot be combined");
	if (spec->pure && key && mcr_key_type(key) != MCR_KEY_ED25519)
		return mcr_error(MCR_EUSAGE, "pure signatures need an Ed25519 key");
	if (key && !spec->pure && !mcr_key_allows_hash(mcr_key_type(key), spec->hash_alg, false) &&
	    !mcr_key_allows_hash(mcr_key_type(key), spec->hash_alg, !mcr_key_has_private(key)))
		return mcr_error(MCR_EUSAGE, "a %s key cannot be used with %s image hashes",
				 mcr_key_type_name(mcr_key_type(key)), mcr_hash_name(spec->hash_alg));
	return 0;
}

/* The protected TLVs, in imgtool's fixed order. */
static int build_protected(struct mcr_image_build *b)
{
	const struct mcr_image_spec *spec = b->spec;
	static const unsigned char zero_signer_id[32];
	struct mcr_buf value = MCR_BUF_INIT;
	int ret = 0;

	mcr_tlv_area_init(&b->prot, MCR_TLV_PROT_INFO_MAGIC);
	if (spec->has_security_counter) {
		unsigned char cnt[4];

		put_le32(cnt, spec->security_counter);
		ret = mcr_tlv_add(&b->prot, MCR_TLV_SEC_CNT, cnt, 4);
	}
	if (ret == 0 && spec->boot_record) {
		/* The signer id is the key hash; imgtool puts 32 zero bytes when no key is known. */
		ret = mcr_tlv_encode_boot_record(&value, spec->boot_record, &spec->version, spec->hash_alg,
						 b->has_key ? b->key_hash : zero_signer_id,
						 b->has_key ? mcr_hash_len(spec->hash_alg) : 32);
		if (ret == 0)
			ret = mcr_tlv_add(&b->prot, MCR_TLV_BOOT_RECORD, value.data, value.len);
	}
	for (size_t i = 0; ret == 0 && i < spec->dependency_count; i++) {
		mcr_buf_truncate(&value, 0);
		ret = mcr_tlv_encode_dependency(&value, spec->dependencies[i].image_id,
						&spec->dependencies[i].version);
		if (ret == 0)
			ret = mcr_tlv_add(&b->prot, MCR_TLV_DEPENDENCY, value.data, value.len);
	}
	if (ret == 0 && spec->has_vid)
		ret = mcr_tlv_add(&b->prot, MCR_TLV_UUID_VID, spec->vid, 16);
	if (ret == 0 && spec->has_cid)
		ret = mcr_tlv_add(&b->prot, MCR_TLV_UUID_CID, spec->cid, 16);
	for (size_t i = 0; ret == 0 && i < spec->custom_tlv_count; i++)
		ret = mcr_tlv_add(&b->prot, spec->custom_tlvs[i].type, spec->custom_tlvs[i].value,
				  spec->custom_tlvs[i].len);
	mcr_buf_release(&value);
	if (ret == 0)
		mcr_tlv_area_finish(&b->prot);
	return ret;
}

static int build_header(struct mcr_image_build *b)
{
	const struct mcr_image_spec *spec = b->spec;
	struct mcr_image_header h = {0};
	uint64_t body_len = b->input_len - b->body_offset;

	if (body_len > 0xffffffffULL - spec->header_size - b->prot.bytes.len)
		return mcr_error(MCR_EINPUT, "input '%s' is too large for an MCUboot image", b->input);
	h.magic = MCR_IMAGE_MAGIC;
	h.load_addr = spec->has_rom_fixed ? spec->rom_fixed : spec->load_addr;
	h.hdr_size = (uint16_t)spec->header_size;
	h.protect_tlv_size = (uint16_t)b->prot.bytes.len;
	h.img_size = (uint32_t)body_len;
	h.flags = (spec->load_addr ? MCR_IMAGE_F_RAM_LOAD : 0) |
		  (spec->has_rom_fixed ? MCR_IMAGE_F_ROM_FIXED : 0) |
		  (spec->non_bootable ? MCR_IMAGE_F_NON_BOOTABLE : 0);
	h.version = spec->version;
	mcr_image_header_encode(b->header, &h);
	b->body_len = body_len;
	return 0;
}

static int use_key(struct mcr_image_build *b, const struct mcr_key *key)
{
	int ret;

	if (!key)
		return 0;
	b->has_key = true;
	b->key_type = mcr_key_type(key);
	if ((ret = mcr_key_public_bytes(key, &b->key_bytes)) < 0)
		return ret;
	return mcr_hash_buffer(b->spec->hash_alg, b->key_bytes.data, b->key_bytes.len, b->key_hash);
}

int mcr_image_build_new(struct mcr_image_build **out, const struct mcr_image_spec *spec,
			const char *input, const struct mcr_key *key)
{
	struct mcr_image_build *b = calloc(1, sizeof(*b));
	int ret;

	*out = NULL;
	if (!b)
		return mcr_error(MCR_ESYS, "out of memory");
	b->source.fd = -1;
	b->spec = spec;
	b->digest_len = mcr_hash_len(spec->hash_alg);
	if ((ret = check_spec(spec, key)) < 0 || (ret = open_input(b, input)) < 0 ||
	    (ret = place_header(b)) < 0 || (ret = use_key(b, key)) < 0 ||
	    (ret = build_protected(b)) < 0 || (ret = build_header(b)) < 0 ||
	    (ret = mcr_image_check_fit(b)) < 0)
		goto out;
	*out = b;
	b = NULL;
out:
	mcr_image_build_free(b);
	return ret;
}

const unsigned char *mcr_image_build_digest(const struct mcr_image_build *b, size_t *len)
{
	assert(b->has_digest); /* staged or hashed first */
	*len = b->digest_len;
	return b->digest;
}

int mcr_image_build_set_signature(struct mcr_image_build *b, const unsigned char *sig,
				  size_t sig_len)
{
	size_t pad_to = b->key_type == MCR_KEY_P256 ? 72 : 103;
	int ret;

	if (!b->has_key)
		return mcr_error(MCR_EUSAGE, "an image built without a key cannot take a signature");
	mcr_buf_truncate(&b->signature, 0);
	if ((ret = mcr_buf_add(&b->signature, sig, sig_len)) < 0)
		return ret;
	/* imgtool --pad-sig: zero-pad ECDSA for MCUboot < 1.5; a longer signature stays as is. */
	if (b->spec->pad_sig && (b->key_type == MCR_KEY_P256 || b->key_type == MCR_KEY_P384) &&
	    sig_len < pad_to && (ret = mcr_buf_add_fill(&b->signature, 0, pad_to - sig_len)) < 0)
		return ret;
	b->has_signature = true;
	return mcr_image_check_fit(b);
}

const unsigned char *mcr_image_build_signature(const struct mcr_image_build *b, size_t *len)
{
	*len = b->signature.len;
	return b->has_signature ? b->signature.data : NULL;
}
