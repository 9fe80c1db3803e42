/*
 * libFuzzer target: signing requests as a signing host reads them from a runner
 * (mcr_signreq_parse), on arbitrary bytes; the raw tag object inside goes through
 * mcr_gittag_from_object. An accepted request is written back (mcr_signreq_write) and
 * read again: that must be accepted, hold the same values, and write the same bytes.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "fuzz_support.h"
#include "signreq.h"

static bool same_str(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static void check_same(const struct mcr_signreq *a, const struct mcr_signreq *b)
{
	FUZZ_CHECK(!strcmp(a->request_id, b->request_id) && !strcmp(a->created, b->created));
	FUZZ_CHECK(same_str(a->product, b->product) && same_str(a->requester, b->requester) &&
	           same_str(a->signer_name, b->signer_name) &&
	           same_str(a->mcurelease_version, b->mcurelease_version));
	FUZZ_CHECK(same_str(a->tag.name, b->tag.name) &&
	           !strcmp(a->tag.tag_object, b->tag.tag_object) &&
	           !strcmp(a->tag.commit, b->tag.commit) &&
	           fuzz_same(a->tag.raw.data, a->tag.raw.len, b->tag.raw.data, b->tag.raw.len) &&
	           a->tag.payload_len == b->tag.payload_len &&
	           a->tag.sig_format == b->tag.sig_format);
	FUZZ_CHECK(a->record_count == b->record_count);
	for (size_t i = 0; i < a->record_count; i++)
		FUZZ_CHECK(same_str(a->records[i].name, b->records[i].name) &&
		           fuzz_same(a->records[i].data.data, a->records[i].data.len,
		                     b->records[i].data.data, b->records[i].data.len));
	FUZZ_CHECK(same_str(a->image_name, b->image_name) && a->image_size == b->image_size &&
	           !strcmp(a->image_sha256, b->image_sha256));
	FUZZ_CHECK(a->spec.version.major == b->spec.version.major &&
	           a->spec.version.minor == b->spec.version.minor &&
	           a->spec.version.revision == b->spec.version.revision &&
	           a->spec.version.build == b->spec.version.build &&
	           a->spec.header_size == b->spec.header_size &&
	           a->spec.slot_size == b->spec.slot_size && a->spec.align == b->spec.align &&
	           a->spec.max_align == b->spec.max_align &&
	           a->spec.max_sectors == b->spec.max_sectors &&
	           a->spec.erased_val == b->spec.erased_val &&
	           a->spec.load_addr == b->spec.load_addr &&
	           a->spec.pad_header == b->spec.pad_header && a->spec.pad == b->spec.pad &&
	           a->spec.confirm == b->spec.confirm &&
	           a->spec.overwrite_only == b->spec.overwrite_only &&
	           a->spec.has_security_counter == b->spec.has_security_counter &&
	           a->spec.security_counter == b->spec.security_counter &&
	           a->spec.hash_alg == b->spec.hash_alg &&
	           a->spec.full_public_key == b->spec.full_public_key);
	FUZZ_CHECK(a->key_type == b->key_type && !strcmp(a->key_fingerprint, b->key_fingerprint) &&
	           a->full_public_key == b->full_public_key && a->digest_len == b->digest_len &&
	           !memcmp(a->digest, b->digest, a->digest_len));
}

static void round_trip(const struct mcr_signreq *req)
{
	struct mcr_buf text = MCR_BUF_INIT, text2 = MCR_BUF_INIT;
	struct mcr_signreq again;

	FUZZ_CHECK(req->digest_len > 0 && strlen(req->key_fingerprint) == 64);
	FUZZ_CHECK(mcr_signreq_write(req, &text) == 0);
	FUZZ_CHECK(mcr_signreq_parse(&again, (char *)text.data, text.len, "again") == 0);
	check_same(req, &again);
	FUZZ_CHECK(mcr_signreq_write(&again, &text2) == 0);
	FUZZ_CHECK(fuzz_same(text.data, text.len, text2.data, text2.len));
	mcr_signreq_release(&again);
	mcr_buf_release(&text);
	mcr_buf_release(&text2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcr_signreq req;

	if (mcr_signreq_parse(&req, (const char *)data, size, "fuzz.json") == 0)
		round_trip(&req);
	mcr_signreq_release(&req);
	mcr_error_clear();
	return 0;
}
