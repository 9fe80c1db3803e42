/* libFuzzer target: the Intel HEX reader, strict and gap-filling, on arbitrary text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "fuzz_support.h"
#include "ihex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcr_buf out = MCR_BUF_INIT;
	char path[FUZZ_PATH_MAX];
	uint32_t base;

	/* the reader chooses HEX by the .hex name, so the bytes go to a real file */
	FUZZ_CHECK(fuzz_write_file(path, "input.hex", data, size) == 0);
	mcr_ihex_read(&out, &base, path, false);
	mcr_buf_release(&out);
	mcr_ihex_read(&out, &base, path, true);
	mcr_buf_release(&out);
	return 0;
}
