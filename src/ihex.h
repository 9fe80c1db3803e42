/* Intel HEX: a strict reader, and a writer that lays records out exactly as imgtool's python-intelhex does. */
#ifndef MCR_IHEX_H
#define MCR_IHEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct mcr_outfile;

/* True if path names an Intel HEX file (extension .hex, any case), as imgtool decides. */
bool mcr_ihex_is_hex_path(const char *path);

/*
 * Reads an Intel HEX file into one contiguous byte range: out gets the bytes
 * from the lowest to the highest address, *base_addr the lowest address.
 * Refused with MCR_EINPUT naming path and line: a bad checksum, a malformed
 * record, overlapping data, a missing end-of-file record, or no data at all.
 * A gap between data records is refused too (imgtool would silently fill it
 * when signing), unless fill_gaps: then it reads as erased flash (0xff), as
 * in the sparse padded images imgtool writes. Start-address records are
 * ignored, as imgtool drops them.
 */
int mcr_ihex_read(struct mcr_buf *out, uint32_t *base_addr, const char *path, bool fill_gaps);

/*
 * Writes data records of at most 16 bytes, each starting at the first byte of
 * a contiguous run and never crossing a gap or a 64 KiB boundary; extended
 * linear address records only when max_addr is above 0xFFFF (then one before
 * the first record and one per new 64 KiB segment); uppercase hex, LF line
 * ends, an EOF record, no start address.
 */
struct mcr_ihex_writer {
	struct mcr_outfile *file;
	bool need_ela;	       /* extended linear address records wanted */
	bool started;
	uint32_t segment;      /* upper 16 address bits last announced */
	uint32_t record_addr;  /* address of the pending record */
	unsigned char record[16];
	size_t record_len;
	uint64_t next_addr;    /* one past the last byte written */
};

void mcr_ihex_writer_init(struct mcr_ihex_writer *writer, struct mcr_outfile *file,
			  uint64_t max_addr);
/*
 * Adds bytes at addr. Calls must go up in address and never overlap; a call
 * that continues where the previous one ended extends the same run.
 * MCR_EINPUT if the data would pass 4 GiB.
 */
int mcr_ihex_write(struct mcr_ihex_writer *writer, uint64_t addr, const void *data, size_t len);
/* Flushes the pending record and writes the EOF record. */
int mcr_ihex_writer_finish(struct mcr_ihex_writer *writer);

#endif
