/*
 * libFuzzer target: signing responses as the runner reads them from a signing host
 * (mcr_signresp_parse), on arbitrary bytes. An accepted response is written back
 * (mcr_signresp_write) and read again: that must be accepted, hold the same values
 * and write the same bytes.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "fuzz_support.h"
#include "signresp.h"

static bool same_opt(const char *a, const char *b)
{
	return a ? b && !strcmp(a, b) : !b;
}

static bool same_bytes(const struct mcr_buf *a, const struct mcr_buf *b)
{
	return fuzz_same(a->data, a->len, b->data, b->len);
}

static void check_same(const struct mcr_signresp *a, const struct mcr_signresp *b)
{
	FUZZ_CHECK(!strcmp(a->request_id, b->request_id) && !strcmp(a->outcome, b->outcome) &&
	           a->status == b->status && !strcmp(a->signed_at, b->signed_at));
	FUZZ_CHECK(same_opt(a->reason, b->reason) && same_opt(a->message, b->message));
	FUZZ_CHECK(same_bytes(&a->signature, &b->signature));
	FUZZ_CHECK(same_opt(a->key_name, b->key_name) &&
	           same_opt(a->public_key_pem, b->public_key_pem));
	/* type and fingerprint describe a named key; without a name there is nothing to keep */
	if (a->key_name)
		FUZZ_CHECK(a->key_type == b->key_type &&
		           !strcmp(a->key_fingerprint, b->key_fingerprint));
	FUZZ_CHECK(same_opt(a->tag_signer_format, b->tag_signer_format) &&
	           same_opt(a->tag_signer_identity, b->tag_signer_identity) &&
	           same_opt(a->tag_signer_key, b->tag_signer_key));
	FUZZ_CHECK(a->builder_count == b->builder_count);
	for (size_t i = 0; i < a->builder_count; i++)
		FUZZ_CHECK(same_opt(a->builders[i].builder, b->builders[i].builder) &&
		           same_opt(a->builders[i].key, b->builders[i].key) &&
		           same_opt(a->builders[i].artifact, b->builders[i].artifact) &&
		           !strcmp(a->builders[i].record_sha256, b->builders[i].record_sha256));
	FUZZ_CHECK(same_opt(a->signer_json, b->signer_json) &&
	           same_opt(a->inclusion_proof, b->inclusion_proof));
	FUZZ_CHECK(same_opt(a->log_origin, b->log_origin) &&
	           same_opt(a->checkpoint, b->checkpoint));
	FUZZ_CHECK(a->requested_seq == b->requested_seq && a->previous_seq == b->previous_seq &&
	           a->completed_seq == b->completed_seq &&
	           !strcmp(a->requested_hash, b->requested_hash) &&
	           !strcmp(a->completed_hash, b->completed_hash));
}

static void round_trip(const struct mcr_signresp *resp)
{
	struct mcr_buf text = MCR_BUF_INIT, text2 = MCR_BUF_INIT;
	struct mcr_signresp again;

	FUZZ_CHECK(mcr_signresp_write(resp, &text) == 0);
	FUZZ_CHECK(mcr_signresp_parse(&again, (char *)text.data, text.len, "again") == 0);
	check_same(resp, &again);
	FUZZ_CHECK(mcr_signresp_write(&again, &text2) == 0);
	FUZZ_CHECK(same_bytes(&text, &text2));
	mcr_signresp_release(&again);
	mcr_buf_release(&text);
	mcr_buf_release(&text2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcr_signresp resp;

	if (mcr_signresp_parse(&resp, (const char *)data, size, "fuzz.json") == 0)
		round_trip(&resp);
	mcr_signresp_release(&resp);
	mcr_error_clear();
	return 0;
}
