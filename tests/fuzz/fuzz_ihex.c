/* libFuzzer target: the Intel HEX reader, strict and gap-filling, on arbitrary text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "ihex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct mcr_buf out = MCR_BUF_INIT;
	uint32_t base;
	FILE *f;

	/* the reader chooses HEX by the .hex name, so the bytes go to a real file */
	if (!path[0])
		snprintf(path, sizeof(path), "/dev/shm/mcr-fuzz-%d.hex", (int)getpid());
	if (!(f = fopen(path, "wb")) || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	mcr_ihex_read(&out, &base, path, false);
	mcr_buf_release(&out);
	mcr_ihex_read(&out, &base, path, true);
	mcr_buf_release(&out);
	return 0;
}
