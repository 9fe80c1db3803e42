/* Internal to the image builder (image.c, image_write.c): the build's state and shared steps. */
#ifndef MCR_IMAGE_BUILD_H
#define MCR_IMAGE_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "hash.h"
#include "image.h"
#include "imgfile.h"
#include "key.h"
#include "tlv.h"

struct mcr_image_build {
	const struct mcr_image_spec *spec; /* borrowed */
	const char *input;	/* = source.path */
	struct mcr_imgfile source;
	bool has_base_addr;
	uint32_t base_addr;	/* HEX input's lowest address (less the header with --pad-header) */
	uint64_t input_len;
	uint64_t body_offset;	/* where the payload starts in the input */
	uint64_t body_len;	/* ih_img_size */
	unsigned char gap_byte; /* header gap: 0 from the input, erased value with --pad-header */
	unsigned char header[MCR_IMAGE_HEADER_SIZE];
	struct mcr_tlv_area prot;
	bool has_key;
	enum mcr_key_type key_type;
	struct mcr_buf key_bytes; /* MCUboot's public key bytes */
	unsigned char key_hash[MCR_HASH_MAX_LEN];
	unsigned char digest[MCR_HASH_MAX_LEN];
	size_t digest_len;
	bool has_digest;
	struct mcr_buf signature;
	bool has_signature;
	struct mcr_image_sink *staged;	/* the output being written (mcr_image_build_stage) */
	char *deferred_path;		/* staged HEX output to be written whole when finished */
	struct mcr_image_output deferred_output;
	struct mcr_image_sink *finished[2]; /* written and synced, waiting for publish */
	size_t finished_count;
};

/* Removes every output not yet published (image_write.c). */
void mcr_image_staged_free(struct mcr_image_build *build);

/* Streams the hash region through the spec's hash into digest (no output). */
int mcr_image_hash_region(const struct mcr_image_build *build, unsigned char *digest);
/* imgtool's check_trailer: image plus trailer must fit the slot. */
int mcr_image_check_fit(const struct mcr_image_build *build);

#endif
