/*
 * libFuzzer target: the image parser and verifier (header, both TLV areas, trailer,
 * hash and signature checks) and dumpinfo, on arbitrary bytes. The input is handed
 * over as a memfd so the real file-reading path runs.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "image_info.h"
#include "image_verify.h"
#include "key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mcr_key *keys[3];

static void load_keys(void)
{
	static const char *const names[] = {"ecdsa-p256.pub.pem", "ed25519.pub.pem", "rsa-2048.pub.pem"};
	char path[4096];

	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/keys/%s", MCR_FUZZ_VECTORS, names[i]);
		if (mcr_key_load_pem(&keys[i], path) < 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcr_image_verdict verdict;
	cJSON *info = NULL;
	char path[64];
	int fd;

	if (!keys[0])
		load_keys();
	fd = memfd_create("fuzz-image", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	mcr_image_verify_file(path, (const struct mcr_key *const *)keys, 3, &verdict);
	mcr_image_verify_file(path, NULL, 0, &verdict);
	if (mcr_image_info(&info, path) == 0)
		cJSON_Delete(info);
	close(fd);
	return 0;
}
