/* Assembling a signed image and its provenance from a request, its response and the input image. */
#ifndef MCR_ASSEMBLE_H
#define MCR_ASSEMBLE_H

#include <stdbool.h>
#include <stdint.h>

#include "image.h"

struct mcr_key;
struct mcr_signreq;
struct mcr_signresp;

/* Where the outputs go. */
struct mcr_assemble_paths {
	const char *image;      /* the signed image; .hex means Intel HEX */
	const char *hex;        /* optional second output in Intel HEX, or NULL */
	const char *provenance; /* the in-toto statement */
	bool has_hex_addr;
	uint32_t hex_addr;
};

struct mcr_assemble_result {
	struct mcr_image_written image;
	struct mcr_image_written hex; /* size 0 if none */
	char provenance_sha256[65];
};

/* Outputs written and synced, not yet in place. Opaque. */
struct mcr_assembly;

/*
 * Checks that resp answers req (same request id, outcome "signed", the key
 * the runner pins), verifies the signature with pinned over the request's
 * digest, lays out image_path again and refuses if it is not the image the
 * request was made from; then writes the signed image (and HEX) and the
 * provenance to temp files and reports their hashes. Nothing appears until
 * mcr_assemble_publish. A host refusal comes back as its status
 * (MCR_EREFUSED with the host's reason, MCR_ESIGNER, ...) and message.
 */
int mcr_assemble_stage(struct mcr_assembly **out, const struct mcr_signreq *req,
                       const struct mcr_signresp *resp, const char *image_path,
                       const struct mcr_key *pinned, const struct mcr_assemble_paths *paths,
                       struct mcr_assemble_result *result);
/* Renames every output into place. */
int mcr_assemble_publish(struct mcr_assembly *assembly);
/* Frees; outputs not published are removed. NULL-safe. */
void mcr_assemble_free(struct mcr_assembly *assembly);

#endif
