/* MCUboot TLV areas: type numbers, building an area, walking one with bounds checks, protected TLV encodings. */
#ifndef MCR_TLV_H
#define MCR_TLV_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "hash.h"

struct mcr_version;

#define MCR_TLV_INFO_MAGIC 0x6907
#define MCR_TLV_PROT_INFO_MAGIC 0x6908
#define MCR_TLV_INFO_SIZE 4
#define MCR_TLV_HEADER_SIZE 4
#define MCR_TLV_AREA_MAX 0xffff /* it_tlv_tot is a u16 */

enum {
	MCR_TLV_KEYHASH = 0x01,
	MCR_TLV_PUBKEY = 0x02,
	MCR_TLV_SHA256 = 0x10,
	MCR_TLV_SHA384 = 0x11,
	MCR_TLV_SHA512 = 0x12,
	MCR_TLV_RSA2048_PSS = 0x20,
	MCR_TLV_ECDSA224 = 0x21,
	MCR_TLV_ECDSA_SIG = 0x22,
	MCR_TLV_RSA3072_PSS = 0x23,
	MCR_TLV_ED25519 = 0x24,
	MCR_TLV_SIG_PURE = 0x25,
	MCR_TLV_ENC_RSA2048 = 0x30,
	MCR_TLV_ENC_KW = 0x31,
	MCR_TLV_ENC_EC256 = 0x32,
	MCR_TLV_ENC_X25519 = 0x33,
	MCR_TLV_ENC_X25519_SHA512 = 0x34,
	MCR_TLV_DEPENDENCY = 0x40,
	MCR_TLV_SEC_CNT = 0x50,
	MCR_TLV_BOOT_RECORD = 0x60,
	MCR_TLV_DECOMP_SIZE = 0x70,
	MCR_TLV_DECOMP_SHA = 0x71,
	MCR_TLV_DECOMP_SIGNATURE = 0x72,
	MCR_TLV_COMP_DEC_SIZE = 0x73,
	MCR_TLV_UUID_VID = 0x74,
	MCR_TLV_UUID_CID = 0x75,
	MCR_TLV_VENDOR_MIN = 0xa0,  /* imgtool's range for --custom-tlv */
	MCR_TLV_VENDOR_MAX = 0xfffe,
};

/* MCUboot's name for a TLV type ("SHA256", "KEYHASH", ...), or NULL if it has none. */
const char *mcr_tlv_name(unsigned type);
/* The hash TLV type for an image hash: 0x10, 0x11, 0x12. */
unsigned mcr_tlv_hash_type(enum mcr_hash_alg alg);
/* The inverse; false if type is not a hash TLV. */
bool mcr_tlv_hash_alg(unsigned type, enum mcr_hash_alg *out);

/* An area being built: entries are appended, then finished with its info header. */
struct mcr_tlv_area {
	struct mcr_buf bytes; /* info header placeholder + entries */
	unsigned magic;
	size_t entries;
};

void mcr_tlv_area_init(struct mcr_tlv_area *area, unsigned magic);
void mcr_tlv_area_release(struct mcr_tlv_area *area);
/* Appends one entry. MCR_EUSAGE if the area would exceed 65535 bytes. */
int mcr_tlv_add(struct mcr_tlv_area *area, unsigned type, const void *value, size_t len);
/*
 * Writes the info header. A protected area with no entries becomes empty (it
 * is then absent from the image); an unprotected one is always 4+ bytes.
 */
void mcr_tlv_area_finish(struct mcr_tlv_area *area);

/* One entry of an area being walked; value points into the caller's bytes. */
struct mcr_tlv_entry {
	unsigned type;
	size_t len;
	const unsigned char *value;
	size_t offset; /* of the entry header, from the start of the area */
};

/* Walks the entries of an area whose info header was already checked. */
struct mcr_tlv_iter {
	const unsigned char *area;
	size_t area_len; /* it_tlv_tot */
	size_t pos;
};

void mcr_tlv_iter_init(struct mcr_tlv_iter *iter, const unsigned char *area, size_t area_len);
/*
 * 1 and *out filled for the next entry, 0 at the end of the area, or
 * MCR_EREFUSED (no message) if an entry header or value runs past the end.
 */
int mcr_tlv_next(struct mcr_tlv_iter *iter, struct mcr_tlv_entry *out);

/* A DEPENDENCY value (12 bytes): image id, pad, version. */
int mcr_tlv_encode_dependency(struct mcr_buf *out, unsigned image_id,
			      const struct mcr_version *version);
/*
 * A BOOT_RECORD value: imgtool's CBOR map {1: sw_type, 4: "maj.min.rev",
 * 5: signer_id, 6: hash name, 2: zeroed measurement} in that key order, the
 * measurement last because MCUboot overwrites the record's tail with the hash.
 */
int mcr_tlv_encode_boot_record(struct mcr_buf *out, const char *sw_type,
			       const struct mcr_version *version, enum mcr_hash_alg alg,
			       const unsigned char *signer_id, size_t signer_id_len);

/*
 * A UUID for --vid/--cid as imgtool reads it: "xxxxxxxx-xxxx-…", 32 hex
 * digits, or a name hashed with uuid5 under name_space (16 bytes; the DNS
 * namespace when NULL). MCR_EUSAGE naming option for an empty value.
 */
int mcr_tlv_uuid(unsigned char *out, const char *text, const unsigned char *name_space,
		 const char *option);

#endif
