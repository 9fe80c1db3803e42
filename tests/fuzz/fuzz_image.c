/*
 * libFuzzer target: the image parser and verifier (header, both TLV areas, trailer,
 * hash and signature checks) and dumpinfo, on arbitrary bytes. The input is handed
 * over as a memfd so the real file-reading path runs. The same bytes are also walked
 * as a bare TLV area, whose entries must build the very same area again.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "error.h"
#include "fuzz_support.h"
#include "image_info.h"
#include "image_verify.h"
#include "key.h"
#include "tlv.h"

static const struct mcr_key *keys[3];

/* Walks data as a TLV area (its first 4 bytes taken as the info header) and rebuilds it. */
static void tlv_round_trip(const uint8_t *data, size_t size)
{
	unsigned magic = size >= 2 && (data[0] | data[1] << 8) == MCR_TLV_PROT_INFO_MAGIC
	                         ? MCR_TLV_PROT_INFO_MAGIC
	                         : MCR_TLV_INFO_MAGIC;
	size_t area_len = size < MCR_TLV_AREA_MAX ? size : MCR_TLV_AREA_MAX,
	       end = MCR_TLV_INFO_SIZE;
	struct mcr_tlv_area area;
	struct mcr_tlv_entry entry;
	struct mcr_tlv_iter iter;
	enum mcr_hash_alg alg;
	int ret;

	mcr_tlv_area_init(&area, magic);
	mcr_tlv_iter_init(&iter, data, area_len);
	while ((ret = mcr_tlv_next(&iter, &entry)) == 1) {
		FUZZ_CHECK(entry.offset == end);
		FUZZ_CHECK(entry.value + entry.len <= data + area_len);
		FUZZ_CHECK(entry.value == data + entry.offset + MCR_TLV_HEADER_SIZE);
		if (mcr_tlv_hash_alg(entry.type, &alg))
			FUZZ_CHECK(mcr_tlv_hash_type(alg) == entry.type);
		(void)mcr_tlv_name(entry.type);
		FUZZ_CHECK(mcr_tlv_add(&area, entry.type, entry.value, entry.len) == 0);
		end = entry.offset + MCR_TLV_HEADER_SIZE + entry.len;
	}
	FUZZ_CHECK(ret == 0 || ret == MCR_EREFUSED);
	mcr_tlv_area_finish(&area);
	if (area.entries) {
		/* the entries come back byte for byte; the header then says their true total */
		FUZZ_CHECK(area.bytes.len == end);
		FUZZ_CHECK(!memcmp(area.bytes.data + MCR_TLV_INFO_SIZE, data + MCR_TLV_INFO_SIZE,
		                   end - MCR_TLV_INFO_SIZE));
		FUZZ_CHECK((size_t)(area.bytes.data[2] | area.bytes.data[3] << 8) == end);
	}
	mcr_tlv_area_release(&area);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcr_image_verdict verdict;
	cJSON *info = NULL;
	char path[64];
	int fd;

	if (!keys[0]) {
		keys[0] = fuzz_vector_key("ecdsa-p256.pub.pem");
		keys[1] = fuzz_vector_key("ed25519.pub.pem");
		keys[2] = fuzz_vector_key("rsa-2048.pub.pem");
	}
	fd = memfd_create("fuzz-image", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	mcr_image_verify_file(path, keys, 3, &verdict);
	mcr_image_verify_file(path, NULL, 0, &verdict);
	if (mcr_image_info(&info, path) == 0)
		cJSON_Delete(info);
	close(fd);
	tlv_round_trip(data, size);
	return 0;
}
