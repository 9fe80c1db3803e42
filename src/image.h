/* MCUboot images: the header, and building a signed image the way imgtool lays it out, streamed. */
#ifndef MCR_IMAGE_H
#define MCR_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "version.h"

struct mcr_buf;
struct mcr_key;

#define MCR_IMAGE_MAGIC 0x96f3b83dU
#define MCR_IMAGE_HEADER_SIZE 32
#define MCR_BOOT_MAGIC_SIZE 16

enum {
	MCR_IMAGE_F_PIC = 0x001,
	MCR_IMAGE_F_ENCRYPTED_AES128 = 0x004,
	MCR_IMAGE_F_ENCRYPTED_AES256 = 0x008,
	MCR_IMAGE_F_NON_BOOTABLE = 0x010,
	MCR_IMAGE_F_RAM_LOAD = 0x020,
	MCR_IMAGE_F_ROM_FIXED = 0x100,
	MCR_IMAGE_F_COMPRESSED_LZMA1 = 0x200,
	MCR_IMAGE_F_COMPRESSED_LZMA2 = 0x400,
	MCR_IMAGE_F_COMPRESSED_ARM_THUMB = 0x800,
};

/* struct image_header of MCUboot's image.h, all little endian on disk. */
struct mcr_image_header {
	uint32_t magic;
	uint32_t load_addr;
	uint16_t hdr_size;
	uint16_t protect_tlv_size;
	uint32_t img_size;
	uint32_t flags;
	struct mcr_version version;
	uint32_t pad1;
};

void mcr_image_header_encode(unsigned char *out, const struct mcr_image_header *header);
void mcr_image_header_decode(struct mcr_image_header *header, const unsigned char *in);

/* The boot trailer size imgtool reserves for the fit check (not encrypted). */
uint32_t mcr_image_trailer_size(unsigned align, unsigned max_align, unsigned max_sectors,
				bool overwrite_only);
/* imgtool's default max_align: max(8, align). */
unsigned mcr_image_max_align(unsigned align, unsigned max_align);
/* The 16 trailer magic bytes for max_align (the v2 form with the alignment when it is not 8). */
void mcr_image_boot_magic(unsigned char *out, unsigned max_align);

struct mcr_image_dependency {
	unsigned image_id;
	struct mcr_version version;
};

struct mcr_image_custom_tlv {
	unsigned type;
	const unsigned char *value; /* borrowed */
	size_t len;
};

/* Everything that shapes an image: the options of imgtool sign. Arrays are borrowed. */
struct mcr_image_spec {
	struct mcr_version version;
	uint32_t header_size;
	bool pad_header;	   /* prepend header_size erased bytes instead of expecting zeros */
	uint32_t slot_size;
	unsigned align;		   /* 1, 2, 4, 8, 16, 32 */
	unsigned max_align;	   /* 0: max(8, align) */
	unsigned max_sectors;	   /* imgtool default 128 */
	bool pad;		   /* pad to slot_size and write the trailer magic (--pad, --confirm, --test) */
	bool confirm;		   /* image_ok = 1 in the trailer */
	bool overwrite_only;
	unsigned char erased_val;  /* 0xff or 0 */
	uint32_t load_addr;	   /* non-zero sets RAM_LOAD */
	bool has_rom_fixed;
	uint32_t rom_fixed;	   /* sets ROM_FIXED and takes the load_addr field */
	bool non_bootable;
	bool has_security_counter;
	uint32_t security_counter;
	const struct mcr_image_dependency *dependencies;
	size_t dependency_count;
	const char *boot_record;   /* software type for the BOOT_RECORD TLV, or NULL */
	bool has_vid, has_cid;
	unsigned char vid[16], cid[16];
	const struct mcr_image_custom_tlv *custom_tlvs; /* in the order imgtool writes them */
	size_t custom_tlv_count;
	enum mcr_hash_alg hash_alg;
	bool pure;		   /* Ed25519 over the whole hash region, SIG_PURE TLV */
	bool full_public_key;	   /* PUBKEY TLV instead of KEYHASH */
	bool pad_sig;		   /* pad ECDSA signatures to 72/103 bytes (MCUboot < 1.5) */
};

/* An image under construction: laid out and hashed, waiting for its signature. Opaque. */
struct mcr_image_build;

/*
 * Opens input (binary, or Intel HEX by extension) and lays out header and
 * protected TLVs exactly as imgtool would. key (public part used; NULL for an
 * unsigned image) fills the KEYHASH/PUBKEY TLV and the boot record's signer
 * id. The fit check runs here with the key type's largest signature, and
 * again once the signature is known. Nothing is hashed yet: call
 * mcr_image_build_stage (to write the image) or mcr_image_build_hash (to only
 * learn the digest). MCR_EINPUT naming input for an unreadable or unsuitable
 * file, MCR_EUSAGE for options that cannot work together. spec and what it
 * points to must outlive the build.
 */
int mcr_image_build_new(struct mcr_image_build **out, const struct mcr_image_spec *spec,
			const char *input, const struct mcr_key *key);
void mcr_image_build_free(struct mcr_image_build *build);

/* Where the output goes; the format follows its extension. */
struct mcr_image_output {
	bool has_hex_addr;
	uint32_t hex_addr; /* base address of Intel HEX output (required for binary input) */
};

/*
 * Reads the input once, hashing the hash region while writing it to a temp
 * file beside path (binary or Intel HEX). The digest is then known; sign it,
 * set the signature, and mcr_image_build_commit appends the rest and makes
 * the file appear. What is written is exactly what was hashed. Freeing the
 * build without committing removes the temp file.
 */
int mcr_image_build_stage(struct mcr_image_build *build, const char *path,
			  const struct mcr_image_output *output);
/* Appends the unprotected TLVs (and padding/trailer if spec->pad) to the staged file and publishes it atomically. */
int mcr_image_build_commit(struct mcr_image_build *build);

/* What a finished output holds: the SHA-256 and size of the file as written. */
struct mcr_image_written {
	char sha256[65];
	unsigned long long size;
};

/*
 * commit in steps, for callers that must record the outputs before they
 * appear: finish completes and syncs the staged file; add_output writes the
 * same signed image in another format (re-reading the input, checked against
 * the digest); publish renames all of them into place. Freeing the build
 * before publish removes them.
 */
int mcr_image_build_finish(struct mcr_image_build *build, struct mcr_image_written *out);
int mcr_image_build_add_output(struct mcr_image_build *build, const char *path,
			       const struct mcr_image_output *output, struct mcr_image_written *out);
int mcr_image_build_publish(struct mcr_image_build *build);

/* Only computes the digest (streamed), for --vector-to-sign and other callers that write nothing yet. */
int mcr_image_build_hash(struct mcr_image_build *build);

/* The image digest (hash TLV value), once staged or hashed; borrowed. */
const unsigned char *mcr_image_build_digest(const struct mcr_image_build *build, size_t *len);
/* Appends the hash region (header, gap, payload, protected TLVs): what pure Ed25519 signs. */
int mcr_image_build_hash_region(const struct mcr_image_build *build, struct mcr_buf *out);
/* Length of the signed image without padding (after a signature is set). */
uint64_t mcr_image_build_image_len(const struct mcr_image_build *build);

/*
 * Sets the signature TLV value (ECDSA padded as --pad-sig asks). The caller
 * has verified it, or deliberately inserts it unverified (imgtool --fix-sig).
 */
int mcr_image_build_set_signature(struct mcr_image_build *build, const unsigned char *sig,
				  size_t sig_len);
/* The signature TLV value as written (after --pad-sig); borrowed; NULL if unsigned. */
const unsigned char *mcr_image_build_signature(const struct mcr_image_build *build, size_t *len);

/*
 * Writes the whole image in one go (after mcr_image_build_hash and a
 * signature): re-reads the input and refuses to publish if the hash region
 * no longer matches the digest — for a process that signs a digest computed
 * earlier or elsewhere.
 */
int mcr_image_build_write(struct mcr_image_build *build, const char *path,
			  const struct mcr_image_output *output);

/* imgtool --vector-to-sign: writes the digest or the hash region (padded like an image with --pad). */
int mcr_image_build_write_vector(struct mcr_image_build *build, const char *path, bool payload,
				 const struct mcr_image_output *output);

#endif
