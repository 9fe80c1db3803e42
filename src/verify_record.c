/* The release of an image among audit events, whatever holds them (the log, a bundle): requests
 * by digest, completions by signature or signed file, each completion tied to its request. */
#include "verify_record.h"

#include "error.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cJSON *walk(const cJSON *item, va_list ap)
{
	const char *key;

	while (item && (key = va_arg(ap, const char *)))
		item = cJSON_GetObjectItemCaseSensitive(item, key);
	return item;
}

const cJSON *mcr_verify_data_item(const cJSON *data, ...)
{
	const cJSON *item;
	va_list ap;

	va_start(ap, data);
	item = walk(data, ap);
	va_end(ap);
	return item;
}

const char *mcr_verify_data_string(const cJSON *data, ...)
{
	const cJSON *item;
	va_list ap;

	va_start(ap, data);
	item = walk(data, ap);
	va_end(ap);
	return cJSON_IsString(item) ? item->valuestring : NULL;
}

int mcr_verify_event_set(struct mcr_verify_event *out, long long seq, const cJSON *envelope)
{
	const char *kind = mcr_verify_data_string(envelope, "kind", NULL);
	const char *time = mcr_verify_data_string(envelope, "time", NULL);
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(envelope, "data");

	mcr_verify_event_release(out);
	out->seq = seq;
	snprintf(out->kind, sizeof(out->kind), "%s", kind ? kind : "");
	snprintf(out->time, sizeof(out->time), "%s", time ? time : "");
	if (cJSON_IsObject(data) && !(out->data = cJSON_Duplicate(data, true)))
		return mcr_error(MCR_ESYS, "out of memory");
	return 0;
}

void mcr_verify_event_release(struct mcr_verify_event *event)
{
	cJSON_Delete(event->data);
	memset(event, 0, sizeof(*event));
}

void mcr_verify_record_release(struct mcr_verify_record *record)
{
	mcr_verify_event_release(&record->request);
	mcr_verify_event_release(&record->completion);
	memset(record, 0, sizeof(*record));
}

bool mcr_verify_query_in(const struct mcr_verify_query *q, const char *text, size_t len)
{
	return (q->digest_hex[0] && memmem(text, len, q->digest_hex, strlen(q->digest_hex))) ||
	       (q->file_sha256[0] && memmem(text, len, q->file_sha256, strlen(q->file_sha256)));
}

bool mcr_verify_query_signature_is(const struct mcr_verify_query *q, const char *sha256)
{
	return sha256 && sha256[0] &&
	       (!strcmp(sha256, q->signature_sha256) || !strcmp(sha256, q->signature_twin_sha256));
}

/* Events that matched, in seq order. */
struct candidates {
	struct mcr_verify_event *items;
	size_t count, cap;
};

static void candidates_release(struct candidates *c)
{
	for (size_t i = 0; i < c->count; i++)
		mcr_verify_event_release(&c->items[i]);
	free(c->items);
	memset(c, 0, sizeof(*c));
}

static int keep(struct candidates *c, long long seq, const cJSON *envelope)
{
	if (c->count == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 4;
		struct mcr_verify_event *items = realloc(c->items, cap * sizeof(*items));

		if (!items)
			return mcr_error(MCR_ESYS, "out of memory");
		c->items = items;
		c->cap = cap;
	}
	memset(&c->items[c->count], 0, sizeof(c->items[0]));
	return mcr_verify_event_set(&c->items[c->count++], seq, envelope);
}

struct scan_state {
	const struct mcr_verify_query *q;
	struct candidates requests;    /* sign.requested / sign.idempotent of the digest */
	struct candidates completions; /* sign.completed of the digest or the signed file */
};

static bool is_request(const char *kind)
{
	return !strcmp(kind, "sign.requested") || !strcmp(kind, "sign.idempotent");
}

static bool file_matches(const cJSON *data, const char *sha)
{
	const char *bin = mcr_verify_data_string(data, "signed_image", "sha256", NULL);
	const char *hex = mcr_verify_data_string(data, "signed_hex", "sha256", NULL);

	return *sha && ((bin && !strcmp(bin, sha)) || (hex && !strcmp(hex, sha)));
}

static int on_event(void *ctx, long long seq, const cJSON *envelope)
{
	struct scan_state *st = ctx;
	const char *kind = mcr_verify_data_string(envelope, "kind", NULL);
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(envelope, "data");
	const char *digest = mcr_verify_data_string(data, "digest", "hex", NULL);
	bool is_digest = digest && st->q->digest_hex[0] && !strcmp(digest, st->q->digest_hex);

	if (!kind || !cJSON_IsObject(data))
		return 0;
	if (is_request(kind) && is_digest)
		return keep(&st->requests, seq, envelope);
	if (!strcmp(kind, "sign.completed") &&
	    (is_digest || file_matches(data, st->q->file_sha256)))
		return keep(&st->completions, seq, envelope);
	return 0;
}

/* The request a completion answers, if it is one of this digest's. */
static struct mcr_verify_event *request_of(struct candidates *requests,
                                           const struct mcr_verify_event *completion)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(completion->data, "requested_seq");

	for (size_t i = 0; cJSON_IsNumber(r) && i < requests->count; i++)
		if (requests->items[i].seq == (long long)r->valuedouble)
			return &requests->items[i];
	return NULL;
}

static bool completion_matches(const struct mcr_verify_event *c, const struct mcr_verify_query *q,
                               bool by_file)
{
	const char *sig = mcr_verify_data_string(c->data, "signature", "sha256", NULL);

	if (q->signature_sha256[0])
		return mcr_verify_query_signature_is(q, sig);
	return !by_file || file_matches(c->data, q->file_sha256);
}

/* Moves the chosen events into out: the latest matching completion, else the latest request. */
static void select_record(struct mcr_verify_record *out, struct scan_state *st, bool by_file)
{
	struct mcr_verify_event *chosen = NULL, *request = NULL;

	for (size_t i = st->completions.count; i-- > 0;) {
		struct mcr_verify_event *c = &st->completions.items[i];

		if (!request_of(&st->requests, c))
			continue; /* not an answer to a request of this digest */
		out->completion_count++;
		if (!chosen && completion_matches(c, st->q, by_file))
			chosen = c;
	}
	if (chosen)
		request = request_of(&st->requests, chosen);
	else if (st->requests.count)
		request = &st->requests.items[st->requests.count - 1];
	out->request_count = st->requests.count;
	if (request) {
		out->request = *request;
		memset(request, 0, sizeof(*request));
	}
	if (chosen) {
		out->completion = *chosen;
		memset(chosen, 0, sizeof(*chosen));
	}
}

int mcr_verify_record_find(struct mcr_verify_record *out, const struct mcr_verify_query *query,
                           mcr_verify_scan_fn scan, void *source)
{
	struct scan_state st = {.q = query};
	struct mcr_verify_query by_digest;
	bool by_file = false;
	const char *digest;
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = scan(source, query, on_event, &st)) < 0)
		goto out;
	/* A signed file's hash names a completion; its digest then finds the request. */
	if (!st.requests.count && st.completions.count && !query->signature_sha256[0] &&
	    (digest = mcr_verify_data_string(st.completions.items[st.completions.count - 1].data,
	                                     "digest", "hex", NULL)) &&
	    strlen(digest) < sizeof(by_digest.digest_hex)) {
		by_digest = *query;
		snprintf(by_digest.digest_hex, sizeof(by_digest.digest_hex), "%s", digest);
		candidates_release(&st.completions);
		st.q = &by_digest;
		by_file = true;
		if ((ret = scan(source, &by_digest, on_event, &st)) < 0)
			goto out;
	}
	select_record(out, &st, by_file);
	if (out->request.seq)
		out->matched_by = by_file ? "file_sha256" : "mcuboot_digest";
out:
	candidates_release(&st.requests);
	candidates_release(&st.completions);
	return ret;
}
