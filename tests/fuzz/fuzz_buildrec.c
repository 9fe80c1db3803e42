/*
 * libFuzzer target: build record files (mcr_buildrec_parse), on arbitrary bytes. An
 * accepted record is written back as its file would be ({"format", "record",
 * "signature"}, pretty-printed) and parsed again: the second parse must accept it and
 * give the same canonical record (the bytes its signature covers) and signature.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "buildrec.h"
#include "fuzz_support.h"
#include "json.h"

/* The record file as mcr_buildrec_write lays it out, into out (which it does in memory). */
static int record_file(struct mcr_buf *out, const struct mcr_buildrec *rec)
{
	cJSON *file = cJSON_CreateObject(), *record = NULL;
	int ret;

	if ((ret = mcr_json_add_string(file, "format", MCR_BUILDREC_FORMAT)) == 0 &&
	    (ret = mcr_buildrec_to_json(&record, rec)) == 0 &&
	    (ret = mcr_json_add_item(file, "record", record)) == 0 &&
	    (ret = mcr_json_add_string(file, "signature", (char *)rec->signature.data)) == 0)
		ret = mcr_json_pretty(out, file);
	cJSON_Delete(file);
	return ret;
}

static void round_trip(const struct mcr_buildrec *rec)
{
	struct mcr_buf text = MCR_BUF_INIT, canon = MCR_BUF_INIT, canon2 = MCR_BUF_INIT,
	               diff = MCR_BUF_INIT;
	struct mcr_buildrec again;

	FUZZ_CHECK(rec->artifact_count > 0 && rec->signature.len > 0);
	FUZZ_CHECK(mcr_buildrec_canonical(&canon, rec) == 0);
	FUZZ_CHECK(record_file(&text, rec) == 0);
	FUZZ_CHECK(mcr_buildrec_parse(&again, text.data, text.len, "again") == 0);
	FUZZ_CHECK(mcr_buildrec_canonical(&canon2, &again) == 0);
	FUZZ_CHECK(fuzz_same(canon.data, canon.len, canon2.data, canon2.len));
	FUZZ_CHECK(fuzz_same(again.signature.data, again.signature.len, rec->signature.data,
	                     rec->signature.len));
	/* a record agrees with itself */
	FUZZ_CHECK(mcr_buildrec_compare(&diff, rec, &again) == 0 && diff.len == 0);
	mcr_buildrec_release(&again);
	mcr_buf_release(&text);
	mcr_buf_release(&canon);
	mcr_buf_release(&canon2);
	mcr_buf_release(&diff);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcr_buildrec rec;

	if (mcr_buildrec_parse(&rec, data, size, "fuzz.json") == 0)
		round_trip(&rec);
	mcr_buildrec_release(&rec);
	return 0;
}
