/* Image files as bytes at offsets: a binary read in place, or an Intel HEX file loaded. */
#ifndef MCR_IMGFILE_H
#define MCR_IMGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct mcr_imgfile {
	char *path;
	int fd;		    /* binary: read with pread, never loaded whole */
	bool is_hex;
	struct mcr_buf hex; /* Intel HEX: the bytes from its lowest address */
	uint32_t base_addr; /* Intel HEX: that lowest address */
	uint64_t len;
};

/*
 * Opens path (Intel HEX if its name ends in .hex). MCR_EINPUT naming path if
 * it cannot be read or is not a regular file / valid HEX. An image to be
 * signed must be contiguous; one being checked may be sparse (fill_gaps: gaps
 * read as erased flash). Release with mcr_imgfile_release, also after a failure.
 */
int mcr_imgfile_open(struct mcr_imgfile *file, const char *path, bool fill_gaps);
void mcr_imgfile_release(struct mcr_imgfile *file);

/*
 * Reads exactly len bytes at offset. Reading past the end is MCR_EINPUT
 * ("'path' shrank") since the caller checked the length first.
 */
int mcr_imgfile_read(const struct mcr_imgfile *file, uint64_t offset, void *into, size_t len);

#endif
