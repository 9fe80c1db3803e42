/* dumpinfo: describing an image's parts for people and scripts. */
#include "image_info.h"

#include "buf.h"
#include "error.h"
#include "image_verify.h"
#include "json.h"
#include "tlv.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static const struct {
	unsigned bit;
	const char *name;
} flag_names[] = {
	{MCR_IMAGE_F_PIC, "PIC"},
	{MCR_IMAGE_F_ENCRYPTED_AES128, "ENCRYPTED_AES128"},
	{MCR_IMAGE_F_ENCRYPTED_AES256, "ENCRYPTED_AES256"},
	{MCR_IMAGE_F_NON_BOOTABLE, "NON_BOOTABLE"},
	{MCR_IMAGE_F_RAM_LOAD, "RAM_LOAD"},
	{MCR_IMAGE_F_ROM_FIXED, "ROM_FIXED"},
	{MCR_IMAGE_F_COMPRESSED_LZMA1, "COMPRESSED_LZMA1"},
	{MCR_IMAGE_F_COMPRESSED_LZMA2, "COMPRESSED_LZMA2"},
	{MCR_IMAGE_F_COMPRESSED_ARM_THUMB, "COMPRESSED_ARM_THUMB"},
};

static int add_hexnum(cJSON *obj, const char *key, unsigned long value)
{
	char text[24];

	snprintf(text, sizeof(text), "0x%lx", value);
	return mcr_json_add_string(obj, key, text);
}

static int describe_header(cJSON *info, const struct mcr_image_header *h)
{
	cJSON *header = cJSON_CreateObject(), *flags = cJSON_CreateArray();
	char version[MCR_VERSION_TEXT_MAX];
	int ret;

	if (!header || !flags) {
		cJSON_Delete(header);
		cJSON_Delete(flags);
		return mcr_error(MCR_ESYS, "out of memory");
	}
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (h->flags & flag_names[i].bit)
			cJSON_AddItemToArray(flags, cJSON_CreateString(flag_names[i].name));
	mcr_version_format(version, &h->version);
	if ((ret = mcr_json_add_item(info, "header", header)) < 0 ||
	    (ret = add_hexnum(header, "magic", h->magic)) < 0 ||
	    (ret = add_hexnum(header, "load_addr", h->load_addr)) < 0 ||
	    (ret = mcr_json_add_int(header, "hdr_size", h->hdr_size)) < 0 ||
	    (ret = mcr_json_add_int(header, "protect_tlv_size", h->protect_tlv_size)) < 0 ||
	    (ret = mcr_json_add_int(header, "img_size", h->img_size)) < 0 ||
	    (ret = add_hexnum(header, "flags", h->flags)) < 0 ||
	    (ret = mcr_json_add_item(header, "flag_names", flags)) < 0)
		return ret;
	return mcr_json_add_string(header, "version", version);
}

static int describe_area(cJSON *info, const char *key, const struct mcr_buf *area,
			 uint64_t area_offset)
{
	cJSON *list = cJSON_CreateArray();
	struct mcr_tlv_iter iter;
	struct mcr_tlv_entry e;
	int ret;

	if ((ret = mcr_json_add_item(info, key, list)) < 0)
		return ret;
	mcr_tlv_iter_init(&iter, area->data, area->len);
	while (area->len && mcr_tlv_next(&iter, &e) > 0) {
		cJSON *tlv = cJSON_CreateObject();

		if (!tlv || !cJSON_AddItemToArray(list, tlv))
			return mcr_error(MCR_ESYS, "out of memory");
		if ((ret = add_hexnum(tlv, "type", e.type)) < 0 ||
		    (ret = mcr_json_add_string(tlv, "name", mcr_tlv_name(e.type) ? mcr_tlv_name(e.type) :
						e.type >= MCR_TLV_VENDOR_MIN ? "VENDOR" : "UNKNOWN")) < 0 ||
		    (ret = mcr_json_add_int(tlv, "offset", (long long)(area_offset + e.offset))) < 0 ||
		    (ret = mcr_json_add_int(tlv, "len", (long long)e.len)) < 0 ||
		    (ret = mcr_json_add_hex(tlv, "value", e.value, e.len)) < 0)
			return ret;
	}
	return 0;
}

/* The trailer fields of a padded slot, laid out backwards from the magic as MCUboot does. */
static int describe_trailer(cJSON *info, const struct mcr_image_parsed *p)
{
	unsigned m = p->trailer_max_align;
	unsigned char image_ok, copy_done, swap_info;
	uint64_t magic_area, ok_off;
	cJSON *trailer;
	int ret;

	if (!p->has_trailer)
		return mcr_json_add_item(info, "trailer", cJSON_CreateNull());
	magic_area = (MCR_BOOT_MAGIC_SIZE + m - 1) / m * m;
	ok_off = p->file.len - magic_area - m;
	if ((ret = mcr_imgfile_read(&p->file, ok_off, &image_ok, 1)) < 0 ||
	    (ret = mcr_imgfile_read(&p->file, ok_off - m, &copy_done, 1)) < 0 ||
	    (ret = mcr_imgfile_read(&p->file, ok_off - 2 * m, &swap_info, 1)) < 0)
		return ret;
	trailer = cJSON_CreateObject();
	if ((ret = mcr_json_add_item(info, "trailer", trailer)) < 0 ||
	    (ret = mcr_json_add_int(trailer, "max_align", m)) < 0 ||
	    (ret = add_hexnum(trailer, "image_ok", image_ok)) < 0 ||
	    (ret = add_hexnum(trailer, "copy_done", copy_done)) < 0 ||
	    (ret = add_hexnum(trailer, "swap_info", swap_info)) < 0)
		return ret;
	return mcr_json_add_int(trailer, "slot_size", (long long)p->file.len);
}

int mcr_image_info(cJSON **out, const char *path)
{
	struct mcr_image_parsed p;
	cJSON *info = cJSON_CreateObject();
	int ret;

	*out = NULL;
	if (!info)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_image_parse(&p, path)) < 0 ||
	    (ret = mcr_json_add_string(info, "file", path)) < 0 ||
	    (ret = mcr_json_add_int(info, "size", (long long)p.file.len)) < 0 ||
	    (ret = describe_header(info, &p.header)) < 0 ||
	    (ret = describe_area(info, "protected_tlvs", &p.prot, p.prot_offset)) < 0 ||
	    (ret = mcr_json_add_int(info, "tlv_offset", (long long)p.unprot_offset)) < 0 ||
	    (ret = describe_area(info, "tlvs", &p.unprot, p.unprot_offset)) < 0 ||
	    (ret = mcr_json_add_int(info, "tlv_end", (long long)p.tlv_end)) < 0 ||
	    (ret = describe_trailer(info, &p)) < 0)
		goto out;
	*out = info;
	info = NULL;
out:
	cJSON_Delete(info);
	mcr_image_parsed_release(&p);
	return ret;
}

static const char *str(const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(item) ? item->valuestring : "";
}

static long long num(const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(item) ? (long long)item->valuedouble : 0;
}

static int text_area(struct mcr_buf *out, const cJSON *info, const char *key, const char *title)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(info, key), *tlv;
	int ret = 0;

	if (!cJSON_GetArraySize(list))
		return 0;
	ret = mcr_buf_addf(out, "%s:\n", title);
	cJSON_ArrayForEach(tlv, list) {
		const char *value = str(tlv, "value");
		size_t len = strlen(value);

		if (ret == 0)
			ret = mcr_buf_addf(out, "  %-6s %-16s off 0x%05llx len %-4lld %.64s%s\n",
					   str(tlv, "type"), str(tlv, "name"), num(tlv, "offset"),
					   num(tlv, "len"), value, len > 64 ? "…" : "");
	}
	return ret;
}

int mcr_image_info_text(struct mcr_buf *out, const cJSON *info)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(info, "header");
	const cJSON *trailer = cJSON_GetObjectItemCaseSensitive(info, "trailer");
	const cJSON *flag;
	int ret;

	if ((ret = mcr_buf_addf(out, "image %s (%lld bytes)\nheader:\n  magic %s  load_addr %s  hdr_size 0x%llx  "
				     "protect_tlv_size 0x%llx  img_size 0x%llx\n  version %s  flags %s",
				str(info, "file"), num(info, "size"), str(h, "magic"), str(h, "load_addr"),
				num(h, "hdr_size"), num(h, "protect_tlv_size"), num(h, "img_size"),
				str(h, "version"), str(h, "flags"))) < 0)
		return ret;
	cJSON_ArrayForEach(flag, cJSON_GetObjectItemCaseSensitive(h, "flag_names"))
		if ((ret = mcr_buf_addf(out, " %s", flag->valuestring)) < 0)
			return ret;
	if ((ret = mcr_buf_addf(out, "\npayload: offset 0x%llx, 0x%llx bytes\n", num(h, "hdr_size"),
				num(h, "img_size"))) < 0 ||
	    (ret = text_area(out, info, "protected_tlvs", "protected TLVs")) < 0 ||
	    (ret = text_area(out, info, "tlvs", "TLVs")) < 0)
		return ret;
	if (cJSON_IsObject(trailer))
		ret = mcr_buf_addf(out, "trailer: max_align %lld  image_ok %s  copy_done %s  swap_info %s\n",
				   num(trailer, "max_align"), str(trailer, "image_ok"),
				   str(trailer, "copy_done"), str(trailer, "swap_info"));
	else
		ret = mcr_buf_addf(out, "trailer: none (image not padded to a slot)\n");
	return ret;
}
