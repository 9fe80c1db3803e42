/* imgtool sign's options: the table, and turning values into an image spec as imgtool reads them. */
#include "imgtool.h"

#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "tlv.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_KEY = MCR_OPT_FIRST, OPT_PUBKEY_FORMAT, OPT_ALIGN, OPT_MAX_ALIGN, OPT_VERSION, OPT_SECCNT,
	OPT_DEPS, OPT_PAD_SIG, OPT_HEADER_SIZE, OPT_PAD_HEADER, OPT_SLOT_SIZE, OPT_PAD, OPT_TEST,
	OPT_CONFIRM, OPT_MAX_SECTORS, OPT_BOOT_RECORD, OPT_OVERWRITE_ONLY, OPT_ENDIAN, OPT_ENCRYPT,
	OPT_CLEAR, OPT_COMPRESSION, OPT_KEYLEN, OPT_SAVE_ENCTLV, OPT_ROM_FIXED, OPT_LOAD_ADDR,
	OPT_HEX_ADDR, OPT_ERASED_VAL, OPT_CUSTOM_TLV, OPT_CUSTOM_TLV_FILE, OPT_NON_BOOTABLE,
	OPT_FIX_SIG, OPT_FIX_SIG_PUBKEY, OPT_PURE, OPT_SIG_OUT, OPT_SHA, OPT_HMAC_SHA, OPT_VECTOR,
	OPT_VID, OPT_CID, OPT_CONFIG,
};

static const struct mcr_option sign_options[] = {
	{"key", 'k', "KEY", "signing key: PEM file, signer:NAME or pkcs11: URI", OPT_KEY, false},
	{"public-key-format", 0, "hash|full", "KEYHASH (default) or full PUBKEY TLV", OPT_PUBKEY_FORMAT, false},
	{"align", 0, "N", "flash write alignment 1|2|4|8|16|32 (default 1)", OPT_ALIGN, false},
	{"max-align", 0, "N", "maximum flash alignment 8|16|32", OPT_MAX_ALIGN, false},
	{"version", 'v', "VER", "image version maj.min.rev+build (required)", OPT_VERSION, false},
	{"security-counter", 's', "N|auto", "add a security counter TLV", OPT_SECCNT, false},
	{"dependencies", 'd', "DEPS", "image dependencies, e.g. \"(1,2.3.4+5), (0, 1.0.0)\"", OPT_DEPS, false},
	{"pad-sig", 0, NULL, "pad ECDSA signatures to a fixed length (MCUboot < 1.5)", OPT_PAD_SIG, false},
	{"header-size", 'H', "N", "header size, e.g. 0x200 (required)", OPT_HEADER_SIZE, false},
	{"pad-header", 0, NULL, "prepend the header space instead of expecting zeros", OPT_PAD_HEADER, false},
	{"slot-size", 'S', "N", "slot size (required)", OPT_SLOT_SIZE, false},
	{"pad", 0, NULL, "pad to the slot size and write the trailer magic", OPT_PAD, false},
	{"test", 0, NULL, "pad for a test (non-permanent) upgrade", OPT_TEST, false},
	{"confirm", 0, NULL, "pad and mark the image confirmed (image_ok)", OPT_CONFIRM, false},
	{"max-sectors", 'M', "N", "sectors in the swap status area (default 128)", OPT_MAX_SECTORS, false},
	{"boot-record", 0, "SW_TYPE", "add a measured boot record TLV", OPT_BOOT_RECORD, false},
	{"overwrite-only", 0, NULL, "trailer for overwrite-only upgrades", OPT_OVERWRITE_ONLY, false},
	{"endian", 'e', "little|big", "byte order (only little is supported)", OPT_ENDIAN, false},
	{"encrypt", 'E', "FILE", "encrypt the image (not supported)", OPT_ENCRYPT, false},
	{"clear", 'c', NULL, "with --encrypt: keep the payload in clear (not supported)", OPT_CLEAR, false},
	{"compression", 0, "MODE", "disabled (lzma2 is not supported)", OPT_COMPRESSION, false},
	{"encrypt-keylen", 0, "128|256", "AES key length (encryption is not supported)", OPT_KEYLEN, false},
	{"save-enctlv", 0, NULL, "(encryption is not supported)", OPT_SAVE_ENCTLV, false},
	{"rom-fixed", 'F', "ADDR", "image is fixed at this flash address (ROM_FIXED)", OPT_ROM_FIXED, false},
	{"load-addr", 'L', "ADDR", "load the image into RAM at this address (RAM_LOAD)", OPT_LOAD_ADDR, false},
	{"hex-addr", 'x', "ADDR", "base address of Intel HEX output", OPT_HEX_ADDR, false},
	{"erased-val", 'R', "0|0xff", "value of erased flash (default 0xff)", OPT_ERASED_VAL, false},
	{"custom-tlv", 0, "TAG VALUE", "protected TLV; VALUE 0x... is hex, else text", OPT_CUSTOM_TLV, true},
	{"custom-tlv-file", 0, "TAG FILE", "protected TLV from a file's bytes", OPT_CUSTOM_TLV_FILE, true},
	{"non-bootable", 0, NULL, "mark the image non-bootable", OPT_NON_BOOTABLE, false},
	{"fix-sig", 0, "FILE", "insert this base64 signature instead of signing", OPT_FIX_SIG, false},
	{"fix-sig-pubkey", 0, "FILE", "public key of the --fix-sig signature", OPT_FIX_SIG_PUBKEY, false},
	{"pure", 0, NULL, "Ed25519 over the image itself (SIG_PURE)", OPT_PURE, false},
	{"sig-out", 0, "FILE", "also write the signature as base64", OPT_SIG_OUT, false},
	{"sha", 0, "auto|256|384|512", "image hash (default: the key's)", OPT_SHA, false},
	{"hmac-sha", 0, "auto|256|512", "(encryption is not supported)", OPT_HMAC_SHA, false},
	{"vector-to-sign", 0, "payload|digest", "write what the signer must sign, then stop", OPT_VECTOR, false},
	{"vid", 0, "UUID|NAME", "vendor UUID TLV", OPT_VID, false},
	{"cid", 0, "UUID|NAME", "image class UUID TLV", OPT_CID, false},
	{"config", 0, "FILE", "config file for --key signer:NAME", OPT_CONFIG, false},
	{NULL, 0, NULL, NULL, 0, false},
};

static const struct mcr_cli_spec sign_spec = {
	"imgtool sign", "[options] INFILE OUTFILE",
	"Build and sign an MCUboot image exactly as imgtool does (same options and output bytes).\n"
	"INFILE and OUTFILE are Intel HEX when their name ends in .hex, raw binary otherwise.",
	sign_options, 2, 2,
};

static int number(unsigned long long *out, const char *text, unsigned long long max,
		  const char *option)
{
	return mcr_cli_parse_number(out, text, max, option);
}

static int add_custom_text(struct mcr_imgtool_sign *a, const char *tag, const char *value);
static int add_custom_file(struct mcr_imgtool_sign *a, const char *tag, const char *path);

static int unsupported(const char *option)
{
	return mcr_error(MCR_EUSAGE, "option '%s' is not supported (encrypted and compressed images are out of scope)",
			 option);
}

static int set_layout_option(struct mcr_imgtool_sign *a, int id, const char *arg)
{
	struct mcr_image_spec *spec = &a->spec;
	unsigned long long n;
	int ret = 0;

	switch (id) {
	case OPT_ALIGN:
		if ((ret = number(&n, arg, 32, "--align")) == 0 && (n & (n - 1) || !n))
			ret = mcr_error(MCR_EUSAGE, "invalid --align %s (1, 2, 4, 8, 16 or 32)", arg);
		spec->align = (unsigned)n;
		break;
	case OPT_MAX_ALIGN:
		if ((ret = number(&n, arg, 32, "--max-align")) == 0 && n != 8 && n != 16 && n != 32)
			ret = mcr_error(MCR_EUSAGE, "invalid --max-align %s (8, 16 or 32)", arg);
		spec->max_align = (unsigned)n;
		break;
	case OPT_HEADER_SIZE:
		ret = number(&n, arg, 0xffff, "--header-size");
		spec->header_size = (uint32_t)n;
		a->has_header_size = true;
		break;
	case OPT_SLOT_SIZE:
		ret = number(&n, arg, 0xffffffffULL, "--slot-size");
		spec->slot_size = (uint32_t)n;
		a->has_slot_size = true;
		break;
	case OPT_MAX_SECTORS:
		ret = number(&n, arg, 0xffff, "--max-sectors");
		spec->max_sectors = (unsigned)n;
		break;
	case OPT_ROM_FIXED:
		ret = number(&n, arg, 0xffffffffULL, "--rom-fixed");
		spec->rom_fixed = (uint32_t)n;
		spec->has_rom_fixed = n != 0; /* imgtool treats 0 as not given */
		break;
	case OPT_LOAD_ADDR:
		ret = number(&n, arg, 0xffffffffULL, "--load-addr");
		spec->load_addr = (uint32_t)n;
		break;
	case OPT_HEX_ADDR:
		ret = number(&n, arg, 0xffffffffULL, "--hex-addr");
		a->output.hex_addr = (uint32_t)n;
		a->output.has_hex_addr = true;
		break;
	case OPT_ERASED_VAL:
		if ((ret = number(&n, arg, 0xff, "--erased-val")) == 0 && n != 0 && n != 0xff)
			ret = mcr_error(MCR_EUSAGE, "invalid --erased-val %s (0 or 0xff)", arg);
		spec->erased_val = (unsigned char)n;
		break;
	default:
		ret = 1;
	}
	return ret;
}

static int set_flag_option(struct mcr_imgtool_sign *a, int id)
{
	struct mcr_image_spec *spec = &a->spec;

	switch (id) {
	case OPT_PAD_SIG:
		spec->pad_sig = true;
		break;
	case OPT_PAD_HEADER:
		spec->pad_header = true;
		break;
	case OPT_PAD:
	case OPT_TEST:
		spec->pad = true;
		break;
	case OPT_CONFIRM:
		spec->pad = spec->confirm = true;
		break;
	case OPT_OVERWRITE_ONLY:
		spec->overwrite_only = true;
		break;
	case OPT_NON_BOOTABLE:
		spec->non_bootable = true;
		break;
	case OPT_PURE:
		spec->pure = true;
		break;
	case OPT_CLEAR:
	case OPT_SAVE_ENCTLV:
		break; /* meaningless without --encrypt, which is refused */
	default:
		return 1;
	}
	return 0;
}

static int set_option(void *ctx, int id, const char *arg, const char *arg2)
{
	struct mcr_imgtool_sign *a = ctx;
	int ret;

	if ((ret = set_layout_option(a, id, arg)) <= 0 || (ret = set_flag_option(a, id)) <= 0)
		return ret;
	switch (id) {
	case OPT_KEY:
		a->key_ref = arg;
		return 0;
	case OPT_CONFIG:
		a->config_path = arg;
		return 0;
	case OPT_PUBKEY_FORMAT:
		if (strcmp(arg, "hash") && strcmp(arg, "full"))
			return mcr_error(MCR_EUSAGE, "invalid --public-key-format '%s' (hash or full)", arg);
		a->spec.full_public_key = !strcmp(arg, "full");
		return 0;
	case OPT_VERSION:
		a->has_version = true;
		return mcr_version_parse(&a->spec.version, arg);
	case OPT_SECCNT:
		a->security_counter = arg;
		return 0;
	case OPT_DEPS:
		a->dependencies = arg;
		return 0;
	case OPT_BOOT_RECORD:
		a->spec.boot_record = arg;
		return 0;
	case OPT_ENDIAN:
		if (strcmp(arg, "little") && strcmp(arg, "big"))
			return mcr_error(MCR_EUSAGE, "invalid --endian '%s' (little or big)", arg);
		/* imgtool's big-endian mode writes images nothing can read; refuse it. */
		return strcmp(arg, "little") ? unsupported("--endian big") : 0;
	case OPT_ENCRYPT:
		return unsupported("--encrypt");
	case OPT_COMPRESSION:
		return strcmp(arg, "disabled") ? unsupported("--compression") : 0;
	case OPT_KEYLEN:
	case OPT_HMAC_SHA:
		return 0; /* only used with --encrypt, which is refused */
	case OPT_CUSTOM_TLV:
		return add_custom_text(a, arg, arg2);
	case OPT_CUSTOM_TLV_FILE:
		return add_custom_file(a, arg, arg2);
	case OPT_FIX_SIG:
		a->fix_sig_path = arg;
		return 0;
	case OPT_FIX_SIG_PUBKEY:
		a->fix_sig_pubkey = arg;
		return 0;
	case OPT_SIG_OUT:
		a->sig_out_path = arg;
		return 0;
	case OPT_SHA:
		if (strcmp(arg, "auto") && strcmp(arg, "256") && strcmp(arg, "384") && strcmp(arg, "512"))
			return mcr_error(MCR_EUSAGE, "invalid --sha '%s' (auto, 256, 384 or 512)", arg);
		a->sha = arg;
		return 0;
	case OPT_VECTOR:
		if (strcmp(arg, "payload") && strcmp(arg, "digest"))
			return mcr_error(MCR_EUSAGE, "invalid --vector-to-sign '%s' (payload or digest)", arg);
		a->vector_to_sign = arg;
		return 0;
	case OPT_VID:
		a->vid = arg;
		return 0;
	case OPT_CID:
		a->cid = arg;
		return 0;
	}
	return mcr_error(MCR_EUSAGE, "unhandled option");
}

/* A custom TLV tag: imgtool accepts 0xa0..0xfffe that is not a predefined type. */
static int custom_tag(unsigned *out, const char *text)
{
	unsigned long long tag;
	int ret;

	if ((ret = number(&tag, text, 0xffffffffULL, "--custom-tlv")) < 0)
		return ret;
	if (tag <= 0xffff && mcr_tlv_name((unsigned)tag))
		return mcr_error(MCR_EUSAGE, "custom TLV 0x%llx conflicts with predefined TLV", tag);
	if (tag < MCR_TLV_VENDOR_MIN || tag > MCR_TLV_VENDOR_MAX)
		return mcr_error(MCR_EUSAGE,
				 "invalid custom TLV type value '0x%04llx', allowed value should be between 0x00a0 and 0xfffe",
				 tag);
	*out = (unsigned)tag;
	return 0;
}

static struct mcr_buf *new_storage(struct mcr_imgtool_sign *a)
{
	if (a->storage_count == sizeof(a->storage) / sizeof(a->storage[0]))
		return NULL;
	mcr_buf_init(&a->storage[a->storage_count]);
	return &a->storage[a->storage_count++];
}

static int add_custom_text(struct mcr_imgtool_sign *a, const char *tag, const char *value)
{
	struct mcr_image_custom_tlv *tlv = &a->custom[a->custom_count];
	struct mcr_buf *bytes;
	size_t len = strlen(value);
	int ret;

	if (a->custom_count == 64 || !(bytes = new_storage(a)))
		return mcr_error(MCR_EUSAGE, "too many --custom-tlv options");
	if ((ret = custom_tag(&tlv->type, tag)) < 0)
		return ret;
	if (!strncmp(value, "0x", 2)) {
		/* hex bytes, as imgtool reads a 0x-prefixed value */
		if ((len - 2) % 2 || len == 2 || (ret = mcr_buf_grow(bytes, (len - 2) / 2)) < 0 ||
		    mcr_hex_decode(bytes->data, (len - 2) / 2, value + 2) < 0)
			return mcr_error(MCR_EUSAGE, "custom TLV value '%s' is not an even number of hex digits",
					 value);
		bytes->len = (len - 2) / 2;
	} else if ((ret = mcr_buf_add(bytes, value, len)) < 0) {
		return ret;
	}
	tlv->value = bytes->data;
	tlv->len = bytes->len;
	a->custom_count++;
	return 0;
}

static int add_custom_file(struct mcr_imgtool_sign *a, const char *tag, const char *path)
{
	struct mcr_image_custom_tlv *tlv = &a->custom_files[a->custom_file_count];
	struct mcr_buf *bytes;
	int ret;

	if (a->custom_file_count == 64 || !(bytes = new_storage(a)))
		return mcr_error(MCR_EUSAGE, "too many --custom-tlv-file options");
	if ((ret = custom_tag(&tlv->type, tag)) < 0 ||
	    (ret = mcr_fileio_read_all(path, 0xffff, bytes)) < 0)
		return ret;
	tlv->value = bytes->data;
	tlv->len = bytes->len;
	a->custom_file_count++;
	return 0;
}

/* -d "(1,2.3.4+5), (0, 1.0.0)": image ids after '(' and versions before ')', as imgtool's regexes take them. */
static int parse_dependencies(struct mcr_imgtool_sign *a)
{
	const char *p = a->dependencies;
	size_t n = 0;
	int ret;

	while ((p = strchr(p, '('))) {
		char version[64];
		const char *comma, *close;
		char *end;
		unsigned long id = strtoul(p + 1, &end, 10);

		if (end == p + 1 || n == 64 || !(comma = strchr(end, ',')) || !(close = strchr(comma, ')')))
			goto malformed;
		while (*++comma == ' ' || *comma == '\t')
			;
		if ((size_t)(close - comma) >= sizeof(version) || id > 255)
			goto malformed;
		memcpy(version, comma, (size_t)(close - comma));
		version[close - comma] = '\0';
		a->deps[n].image_id = (unsigned)id;
		if ((ret = mcr_version_parse(&a->deps[n].version, version)) < 0)
			return ret;
		n++;
		p = close;
	}
	if (n == 0)
		goto malformed;
	a->spec.dependencies = a->deps;
	a->spec.dependency_count = n;
	return 0;
malformed:
	return mcr_error(MCR_EUSAGE, "invalid --dependencies '%s' (expected \"(ID,VERSION), ...\")",
			 a->dependencies);
}

static int finish_custom_tlvs(struct mcr_imgtool_sign *a)
{
	size_t n = 0;

	for (size_t i = 0; i < a->custom_count; i++)
		a->ordered_custom[n++] = a->custom[i];
	for (size_t i = 0; i < a->custom_file_count; i++)
		a->ordered_custom[n++] = a->custom_files[i];
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (a->ordered_custom[i].type == a->ordered_custom[j].type)
				return mcr_error(MCR_EUSAGE, "custom TLV 0x%x given twice",
						 a->ordered_custom[i].type);
	a->spec.custom_tlvs = a->ordered_custom;
	a->spec.custom_tlv_count = n;
	return 0;
}

static int finish(struct mcr_imgtool_sign *a)
{
	struct mcr_image_spec *spec = &a->spec;
	unsigned long long n;
	int ret;

	if (!a->has_version || !a->has_header_size || !a->has_slot_size)
		return mcr_error(MCR_EUSAGE, "'imgtool sign' needs --version, --header-size and --slot-size");
	if (a->security_counter) {
		spec->has_security_counter = true;
		if (!strcmp(a->security_counter, "auto"))
			spec->security_counter = (uint32_t)mcr_version_security_counter(&spec->version);
		else if ((ret = number(&n, a->security_counter, 0xffffffffULL, "--security-counter")) < 0)
			return ret;
		else
			spec->security_counter = (uint32_t)n;
	}
	if (a->dependencies && (ret = parse_dependencies(a)) < 0)
		return ret;
	if (a->vid && (ret = mcr_tlv_uuid(spec->vid, a->vid, NULL, "--vid")) < 0)
		return ret;
	spec->has_vid = a->vid != NULL;
	if (a->cid) {
		if (!a->vid && !(strlen(a->cid) == 32 || strlen(a->cid) == 36))
			return mcr_error(MCR_EUSAGE, "--cid given as a name needs --vid");
		if ((ret = mcr_tlv_uuid(spec->cid, a->cid, a->vid ? spec->vid : NULL, "--cid")) < 0)
			return ret;
		spec->has_cid = true;
	}
	return finish_custom_tlvs(a);
}

int mcr_imgtool_sign_parse(struct mcr_imgtool_sign *a, int argc, char **argv)
{
	int first, ret;

	memset(a, 0, sizeof(*a));
	a->spec.align = 1;
	a->spec.max_sectors = 128;
	a->spec.erased_val = 0xff;
	a->sha = "auto";
	if ((ret = mcr_cli_parse(&sign_spec, argc, argv, set_option, a, &first)) != 0)
		return ret;
	a->infile = argv[first];
	a->outfile = argv[first + 1];
	return finish(a);
}

void mcr_imgtool_sign_release(struct mcr_imgtool_sign *a)
{
	for (size_t i = 0; i < a->storage_count; i++)
		mcr_buf_release(&a->storage[i]);
	a->storage_count = 0;
}
