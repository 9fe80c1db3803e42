/* The export model from the log: the period's events read once, requests, releases, refusals and
 * failures parsed as docs/release-events.md defines them, and joined. */
#include "export.h"

#include "audit.h"
#include "error.h"
#include "json.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Array capacities while collecting. */
struct collector {
	struct mcr_export_model *m;
	struct mcr_audit *log;
	size_t event_cap;
	size_t request_cap;
	size_t release_cap;
	size_t refusal_cap;
	size_t failure_cap;
	size_t anomaly_cap;
	int ret;
};

/* A string member copied into the arena, or NULL if absent or not a string. */
static const char *str(struct mcr_export_model *m, const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(item) ? mcr_export_strdup(m, item->valuestring) : NULL;
}

static long long num(const cJSON *obj, const char *key, long long fallback)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(item) ? (long long)item->valuedouble : fallback;
}

static const cJSON *obj(const cJSON *parent, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(parent, key);

	return cJSON_IsObject(item) ? item : NULL;
}

static int add_anomaly(struct collector *c, long long seq, const char *reason, const char *message)
{
	struct mcr_export_model *m = c->m;
	int ret;

	if (!message)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_export_grow((void **)&m->anomalies, &c->anomaly_cap, m->anomaly_count,
	                           sizeof(*m->anomalies))) < 0)
		return ret;
	m->anomalies[m->anomaly_count++] = (struct mcr_export_anomaly){seq, reason, message};
	return 0;
}

/* A JSON value as one line of text for a fact: strings as they are, arrays joined by spaces. */
static const char *fact_text(struct mcr_export_model *m, const cJSON *item)
{
	struct mcr_buf text = MCR_BUF_INIT;
	const cJSON *part;
	const char *copy;

	if (cJSON_IsString(item))
		return mcr_export_strdup(m, item->valuestring);
	if (cJSON_IsBool(item))
		return cJSON_IsTrue(item) ? "true" : "false";
	if (cJSON_IsNumber(item))
		return mcr_export_printf(m, "%lld", (long long)item->valuedouble);
	if (cJSON_IsArray(item)) {
		cJSON_ArrayForEach(part, item)
		{
			if (cJSON_IsString(part))
				mcr_buf_addf(&text, "%s%s", text.len ? " " : "", part->valuestring);
		}
	} else if (mcr_json_canonical(&text, item) < 0) {
		mcr_buf_release(&text);
		return "?";
	}
	copy = mcr_export_strdup(m, text.data ? (char *)text.data : "");
	mcr_buf_release(&text);
	return copy;
}

/* The signer object of a request: its well-known members, and the backend's custody facts. */
static int parse_signer(struct mcr_export_model *m, struct mcr_export_request *r, const cJSON *s)
{
	static const char *const known[] = {"name",          "backend", "key_type", "fingerprint",
	                                    "strength_bits", "dev",     NULL};
	const cJSON *item;
	size_t n = 0;

	r->signer_name = str(m, s, "name");
	r->signer_backend = str(m, s, "backend");
	r->signer_key_type = str(m, s, "key_type");
	r->signer_fingerprint = str(m, s, "fingerprint");
	r->signer_strength_bits = num(s, "strength_bits", 0);
	r->is_dev_signer = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "dev"));
	r->signer_fact_count = (size_t)cJSON_GetArraySize(s);
	if (!(r->signer_facts =
	              mcr_export_alloc(m, r->signer_fact_count * sizeof(*r->signer_facts) + 1)))
		return mcr_error(MCR_ESYS, "out of memory");
	cJSON_ArrayForEach(item, s)
	{
		size_t k = 0;

		while (known[k] && strcmp(known[k], item->string))
			k++;
		if (!known[k])
			r->signer_facts[n++] = (struct mcr_export_fact){
			        mcr_export_strdup(m, item->string), fact_text(m, item)};
	}
	r->signer_fact_count = n;
	return 0;
}

static int parse_records(struct mcr_export_model *m, struct mcr_export_request *r,
                         const cJSON *records)
{
	const cJSON *rec;
	size_t n = 0;

	r->record_count = (size_t)cJSON_GetArraySize(records);
	if (!(r->records = mcr_export_alloc(m, r->record_count * sizeof(*r->records) + 1)))
		return mcr_error(MCR_ESYS, "out of memory");
	cJSON_ArrayForEach(rec, records)
	{
		if (cJSON_IsObject(rec))
			r->records[n++] = (struct mcr_export_record){
			        str(m, rec, "builder"), str(m, rec, "key"), str(m, rec, "sha256"),
			        str(m, rec, "artifact")};
	}
	r->record_count = n;
	return 0;
}

/* A sign.requested or sign.idempotent event's data (docs/release-events.md). */
static int parse_request(struct mcr_export_model *m, const struct mcr_audit_event *e,
                         const cJSON *d, struct mcr_export_request **out)
{
	struct mcr_export_request *r = mcr_export_alloc(m, sizeof(*r));
	const cJSON *counter = cJSON_GetObjectItemCaseSensitive(d, "security_counter");
	const cJSON *ts = obj(d, "tag_signer"), *image = obj(d, "image"),
	            *digest = obj(d, "digest");
	int ret = 0;

	if (!(*out = r))
		return mcr_error(MCR_ESYS, "out of memory");
	*r = (struct mcr_export_request){
	        .seq = e->seq,
	        .time = mcr_export_strdup(m, e->time),
	        .kind = mcr_export_strdup(m, e->kind),
	        .actor = mcr_export_strdup(m, e->actor),
	        .request_id = str(m, d, "request_id"),
	        .mode = str(m, d, "mode"),
	        .product = str(m, d, "product"),
	        .requester = str(m, d, "requester"),
	        .tag = str(m, d, "tag"),
	        .tag_object = str(m, d, "tag_object"),
	        .commit = str(m, d, "commit"),
	        .version = str(m, d, "version"),
	        .has_security_counter = cJSON_IsNumber(counter),
	        .security_counter = cJSON_IsNumber(counter) ? (long long)counter->valuedouble : 0,
	        .tag_signer = {str(m, ts, "format"), str(m, ts, "identity"), str(m, ts, "key")},
	        .image_name = str(m, image, "name"),
	        .image_sha256 = str(m, d, "image_sha256"),
	        .image_size = num(image, "size", -1),
	        .digest_alg = str(m, digest, "alg"),
	        .digest_hex = str(m, digest, "hex"),
	        .previous_seq = num(d, "previous_seq", 0)};
	if (!r->image_sha256)
		r->image_sha256 = str(m, image, "sha256");
	if ((ret = parse_records(m, r, cJSON_GetObjectItemCaseSensitive(d, "records"))) < 0)
		return ret;
	return obj(d, "signer") ? parse_signer(m, r, obj(d, "signer")) : 0;
}

static int add_request(struct collector *c, const struct mcr_audit_event *e, const cJSON *d)
{
	struct mcr_export_model *m = c->m;
	struct mcr_export_request *r;
	int ret;

	if ((ret = mcr_export_grow((void **)&m->requests, &c->request_cap, m->request_count,
	                           sizeof(*m->requests))) < 0 ||
	    (ret = parse_request(m, e, d, &r)) < 0)
		return ret;
	m->requests[m->request_count++] = r;
	return 0;
}

static int add_release(struct collector *c, const struct mcr_audit_event *e, const cJSON *d)
{
	struct mcr_export_model *m = c->m;
	const cJSON *digest = obj(d, "digest"), *sig = obj(d, "signature"), *key = obj(d, "key");
	const cJSON *image = obj(d, "signed_image");
	int ret;

	if ((ret = mcr_export_grow((void **)&m->releases, &c->release_cap, m->release_count,
	                           sizeof(*m->releases))) < 0)
		return ret;
	m->releases[m->release_count++] =
	        (struct mcr_export_release){.seq = e->seq,
	                                    .time = mcr_export_strdup(m, e->time),
	                                    .actor = mcr_export_strdup(m, e->actor),
	                                    .requested_seq = num(d, "requested_seq", 0),
	                                    .request_id = str(m, d, "request_id"),
	                                    .tag = str(m, d, "tag"),
	                                    .image_sha256 = str(m, d, "image_sha256"),
	                                    .digest_alg = str(m, digest, "alg"),
	                                    .digest_hex = str(m, digest, "hex"),
	                                    .signature_sha256 = str(m, sig, "sha256"),
	                                    .signature_len = num(sig, "len", 0),
	                                    .key_name = str(m, key, "name"),
	                                    .key_type = str(m, key, "key_type"),
	                                    .key_fingerprint = str(m, key, "fingerprint"),
	                                    .signed_image_name = str(m, image, "name"),
	                                    .signed_image_sha256 = str(m, image, "sha256"),
	                                    .signed_image_size = num(image, "size", -1),
	                                    .provenance_sha256 = str(m, d, "provenance_sha256")};
	return 0;
}

static int add_outcome(struct collector *c, const struct mcr_audit_event *e, const cJSON *d,
                       bool is_failure)
{
	struct mcr_export_model *m = c->m;
	struct mcr_export_outcome **list = is_failure ? &m->failures : &m->refusals;
	size_t *count = is_failure ? &m->failure_count : &m->refusal_count;
	int ret;

	if ((ret = mcr_export_grow((void **)list, is_failure ? &c->failure_cap : &c->refusal_cap,
	                           *count, sizeof(**list))) < 0)
		return ret;
	(*list)[(*count)++] = (struct mcr_export_outcome){.seq = e->seq,
	                                                  .time = mcr_export_strdup(m, e->time),
	                                                  .actor = mcr_export_strdup(m, e->actor),
	                                                  .request_id = str(m, d, "request_id"),
	                                                  .tag = str(m, d, "tag"),
	                                                  .image_sha256 = str(m, d, "image_sha256"),
	                                                  .stage = str(m, d, "stage"),
	                                                  .reason = str(m, d, "reason"),
	                                                  .message = str(m, d, "message")};
	return 0;
}

/* The CSV row of an event. */
static int add_row(struct collector *c, const struct mcr_audit_event *e, const cJSON *d)
{
	struct mcr_export_model *m = c->m;
	const cJSON *digest = obj(d, "digest");
	struct mcr_export_event *row;
	const char *alg = str(m, digest, "alg"), *hex = str(m, digest, "hex");
	int ret;

	if ((ret = mcr_export_grow((void **)&m->events, &c->event_cap, m->event_count,
	                           sizeof(*m->events))) < 0)
		return ret;
	row = &m->events[m->event_count++];
	*row = (struct mcr_export_event){
	        .seq = e->seq,
	        .time = mcr_export_strdup(m, e->time),
	        .kind = mcr_export_strdup(m, e->kind),
	        .actor = mcr_export_strdup(m, e->actor),
	        .tag = str(m, d, "tag"),
	        .image_sha256 = str(m, d, "image_sha256"),
	        .digest = hex ? mcr_export_printf(m, "%s:%s", alg ? alg : "?", hex) : NULL,
	        .reason = str(m, d, "reason"),
	        .request_id = str(m, d, "request_id")};
	mcr_hex_encode(row->hash, e->hash, MCR_AUDIT_HASH_LEN);
	return 0;
}

static int dispatch(struct collector *c, const struct mcr_audit_event *e, const cJSON *d)
{
	const char *kind = e->kind ? e->kind : "";

	if (!strcmp(kind, "sign.requested") || !strcmp(kind, "sign.idempotent"))
		return add_request(c, e, d);
	if (!strcmp(kind, "sign.completed"))
		return add_release(c, e, d);
	if (!strcmp(kind, "sign.refused") || !strcmp(kind, "sign.failed"))
		return add_outcome(c, e, d, !strcmp(kind, "sign.failed"));
	if (!strcmp(kind, "checkpoint"))
		c->m->checkpoint_event_count++;
	return 0;
}

static int on_event(void *ctx, const struct mcr_audit_event *e)
{
	struct collector *c = ctx;
	cJSON *envelope = cJSON_ParseWithLength(e->body, e->body_len);
	const cJSON *d = obj(envelope, "data");
	int ret;

	if (!c->m->first_seq)
		c->m->first_seq = e->seq;
	c->m->last_seq = e->seq;
	if ((ret = add_row(c, e, d)) == 0) {
		if (!envelope)
			ret = add_anomaly(
			        c, e->seq, "export.unreadable_event",
			        mcr_export_printf(c->m, "event %lld is not a JSON object", e->seq));
		else
			ret = dispatch(c, e, d);
	}
	cJSON_Delete(envelope);
	return ret;
}

/* ---- joining ---- */

static int by_seq(const void *a, const void *b)
{
	long long x = (*(struct mcr_export_request *const *)a)->seq;
	long long y = (*(struct mcr_export_request *const *)b)->seq;

	return (x > y) - (x < y);
}

static struct mcr_export_request *find_by_seq(const struct mcr_export_model *m, long long seq)
{
	struct mcr_export_request key = {.seq = seq}, *kp = &key, **hit;

	if (!m->request_count)
		return NULL;
	hit = bsearch(&kp, m->requests, m->request_count, sizeof(*m->requests), by_seq);
	return hit ? *hit : NULL;
}

/* A request that lies before the period (the completion is inside it): read it from the log. */
static int fetch_request(struct collector *c, long long seq)
{
	struct mcr_audit_event event = {0};
	cJSON *envelope = NULL;
	int ret;

	if (seq < 1 || seq >= c->m->first_seq || mcr_audit_get(c->log, seq, &event) < 0) {
		mcr_error_clear();
		return 0; /* not there: reported as an unmatched completion */
	}
	envelope = cJSON_ParseWithLength(event.body, event.body_len);
	ret = 0;
	if (obj(envelope, "data") && event.kind &&
	    (!strcmp(event.kind, "sign.requested") || !strcmp(event.kind, "sign.idempotent")))
		ret = add_request(c, &event, obj(envelope, "data"));
	cJSON_Delete(envelope);
	mcr_audit_event_release(&event);
	return ret;
}

/* Reads the requests the period's completions name but the period does not hold. */
static int fetch_missing_requests(struct collector *c)
{
	struct mcr_export_model *m = c->m;
	size_t before = m->request_count;
	int ret;

	for (size_t i = 0; i < m->release_count; i++)
		if (!find_by_seq(m, m->releases[i].requested_seq) &&
		    (ret = fetch_request(c, m->releases[i].requested_seq)) < 0)
			return ret;
	if (m->request_count != before)
		qsort(m->requests, m->request_count, sizeof(*m->requests), by_seq);
	return 0;
}

/* Nothing is signed that the log did not record first: check each completion against its request.
 */
static int link_release(struct collector *c, struct mcr_export_release *rel)
{
	struct mcr_export_model *m = c->m;
	struct mcr_export_request *r = find_by_seq(m, rel->requested_seq);

	if (!r || rel->requested_seq >= rel->seq)
		return add_anomaly(
		        c, rel->seq, "export.unmatched_completion",
		        mcr_export_printf(m,
		                          "sign.completed %lld names requested_seq %lld, which is "
		                          "not an earlier sign request in the log",
		                          rel->seq, rel->requested_seq));
	rel->request = r;
	r->outcome = MCR_EXPORT_COMPLETED;
	if (rel->request_id && r->request_id && strcmp(rel->request_id, r->request_id))
		return add_anomaly(
		        c, rel->seq, "export.request_mismatch",
		        mcr_export_printf(m,
		                          "sign.completed %lld and its request %lld carry "
		                          "different request ids",
		                          rel->seq, r->seq));
	if (rel->digest_hex && r->digest_hex && strcmp(rel->digest_hex, r->digest_hex))
		return add_anomaly(
		        c, rel->seq, "export.digest_mismatch",
		        mcr_export_printf(m,
		                          "sign.completed %lld signed a digest other than "
		                          "the one its request %lld recorded",
		                          rel->seq, r->seq));
	if (r->is_dev_signer)
		return add_anomaly(
		        c, rel->seq, "export.dev_key_release",
		        mcr_export_printf(m, "release %lld was signed with development key '%s'",
		                          rel->seq, r->signer_name ? r->signer_name : "?"));
	return 0;
}

static int by_request_id(const void *a, const void *b)
{
	const struct mcr_export_request *x = *(struct mcr_export_request *const *)a;
	const struct mcr_export_request *y = *(struct mcr_export_request *const *)b;

	return strcmp(x->request_id ? x->request_id : "", y->request_id ? y->request_id : "");
}

/* Requests sorted by request_id, to answer refusals and failures. The caller frees *out. */
static int index_by_id(const struct mcr_export_model *m, struct mcr_export_request ***out)
{
	if (!(*out = malloc((m->request_count + 1) * sizeof(**out))))
		return mcr_error(MCR_ESYS, "out of memory");
	if (m->request_count)
		memcpy(*out, m->requests, m->request_count * sizeof(**out));
	qsort(*out, m->request_count, sizeof(**out), by_request_id);
	return 0;
}

static struct mcr_export_request *find_by_id(struct mcr_export_request **index, size_t count,
                                             const char *request_id)
{
	struct mcr_export_request key = {.request_id = request_id}, *kp = &key, **hit;

	if (!request_id)
		return NULL;
	hit = bsearch(&kp, index, count, sizeof(*index), by_request_id);
	return hit ? *hit : NULL;
}

static void link_outcomes(struct mcr_export_request **index, size_t count,
                          struct mcr_export_outcome *list, size_t n,
                          enum mcr_export_outcome_kind outcome)
{
	for (size_t i = 0; i < n; i++) {
		struct mcr_export_request *r = find_by_id(index, count, list[i].request_id);

		if (r && r->seq < list[i].seq) {
			list[i].request_seq = r->seq;
			r->outcome = outcome;
		}
	}
}

/* ---- the product filter ---- */

static bool excluded_id(struct mcr_export_request **index, size_t count, const char *request_id)
{
	const struct mcr_export_request *r = find_by_id(index, count, request_id);

	return r && r->is_excluded;
}

/*
 * Keeps the items of list (count items of size bytes, each with its request_id
 * at id_offset) whose request is of the export's product; returns how many.
 */
static size_t keep_included(void *list, size_t count, size_t size, size_t id_offset,
                            struct mcr_export_request **index, size_t n)
{
	unsigned char *items = list;
	size_t kept = 0;

	for (size_t i = 0; i < count; i++) {
		const char *id;

		memcpy(&id, items + i * size + id_offset, sizeof(id));
		if (excluded_id(index, n, id))
			continue;
		if (kept != i)
			memcpy(items + kept * size, items + i * size, size);
		kept++;
	}
	return kept;
}

static void apply_product(struct mcr_export_model *m, struct mcr_export_request **index)
{
	size_t n = m->request_count, kept = 0;

	for (size_t i = 0; i < n; i++)
		if (m->product && m->requests[i]->product &&
		    strcmp(m->product, m->requests[i]->product)) {
			m->requests[i]->is_excluded = true;
			m->excluded_count++;
		}
	if (!m->excluded_count)
		return;
	m->release_count = keep_included(m->releases, m->release_count, sizeof(*m->releases),
	                                 offsetof(struct mcr_export_release, request_id), index, n);
	m->refusal_count = keep_included(m->refusals, m->refusal_count, sizeof(*m->refusals),
	                                 offsetof(struct mcr_export_outcome, request_id), index, n);
	m->failure_count = keep_included(m->failures, m->failure_count, sizeof(*m->failures),
	                                 offsetof(struct mcr_export_outcome, request_id), index, n);
	m->event_count = keep_included(m->events, m->event_count, sizeof(*m->events),
	                               offsetof(struct mcr_export_event, request_id), index, n);
	for (size_t i = 0; i < n; i++)
		if (!m->requests[i]->is_excluded)
			m->requests[kept++] = m->requests[i];
	m->request_count = kept;
}

static int join(struct collector *c)
{
	struct mcr_export_model *m = c->m;
	struct mcr_export_request **index = NULL;
	int ret;

	if ((ret = fetch_missing_requests(c)) < 0)
		return ret;
	for (size_t i = 0; i < m->release_count; i++)
		if ((ret = link_release(c, &m->releases[i])) < 0)
			return ret;
	if ((ret = index_by_id(m, &index)) < 0)
		return ret;
	link_outcomes(index, m->request_count, m->refusals, m->refusal_count, MCR_EXPORT_REFUSED);
	link_outcomes(index, m->request_count, m->failures, m->failure_count, MCR_EXPORT_FAILED);
	apply_product(m, index);
	free(index);
	return 0;
}

int mcr_export_collect_events(struct mcr_export_model *model, struct mcr_audit *log,
                              const struct mcr_audit_filter *filter)
{
	struct collector c = {.m = model, .log = log};
	int ret;

	if ((ret = mcr_audit_foreach(log, filter, on_event, &c)) < 0)
		return ret;
	return join(&c);
}
