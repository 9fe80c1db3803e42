/* The JSON export: the whole model as one document (schemas/audit-export.schema.json). */
#include "export.h"

#include "buf.h"
#include "en18031.h"
#include "error.h"
#include "json.h"

#include <cjson/cJSON.h>
#include <string.h>

#define EXPORT_TYPE "mcurelease.audit.export/v1"

/* Adds key/value string pairs (a NULL value becomes null) until a NULL key. */
static int add_strings(cJSON *obj, const char *const *pairs)
{
	int ret;

	for (size_t i = 0; pairs[i]; i += 2)
		if ((ret = mcr_json_add_string(obj, pairs[i], pairs[i + 1])) < 0)
			return ret;
	return 0;
}

/* A new object added to parent under key (or appended, for an array); NULL when out of memory. */
static cJSON *child(cJSON *parent, const char *key, cJSON *item)
{
	if (!item)
		return NULL;
	if (cJSON_IsArray(parent) ? !cJSON_AddItemToArray(parent, item)
	                          : mcr_json_add_item(parent, key, item) < 0) {
		if (cJSON_IsArray(parent))
			cJSON_Delete(item);
		return NULL;
	}
	return item;
}

static int add_int_or_null(cJSON *obj, const char *key, bool is_set, long long value)
{
	return is_set ? mcr_json_add_int(obj, key, value)
	              : mcr_json_add_item(obj, key, cJSON_CreateNull());
}

static int add_facts(cJSON *obj, const char *key, const struct mcr_export_fact *facts, size_t count)
{
	cJSON *o = child(obj, key, cJSON_CreateObject());
	int ret;

	if (!o)
		return mcr_error(MCR_ESYS, "out of memory");
	for (size_t i = 0; i < count; i++)
		if ((ret = mcr_json_add_string(o, facts[i].label, facts[i].value)) < 0)
			return ret;
	return 0;
}

static int add_source(cJSON *o, const struct mcr_export_request *r)
{
	cJSON *ts = child(o, "tag_signer", cJSON_CreateObject());
	cJSON *builders = child(o, "builders", cJSON_CreateArray());
	int ret;

	if (!ts || !builders)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = add_strings(ts, (const char *[]){"format", r->tag_signer.format, "identity",
	                                            r->tag_signer.identity, "key",
	                                            r->tag_signer.key, NULL})) < 0)
		return ret;
	for (size_t i = 0; i < r->record_count; i++) {
		const struct mcr_export_record *rec = &r->records[i];
		cJSON *b = child(builders, NULL, cJSON_CreateObject());

		if (!b)
			return mcr_error(MCR_ESYS, "out of memory");
		if ((ret = add_strings(b, (const char *[]){"builder", rec->builder, "key", rec->key,
		                                           "sha256", rec->sha256, "artifact",
		                                           rec->artifact, NULL})) < 0)
			return ret;
	}
	return 0;
}

/* The request's half of a release: source, image, signer. */
static int add_request_part(cJSON *o, const struct mcr_export_request *r)
{
	cJSON *image = child(o, "image", cJSON_CreateObject());
	cJSON *signer = child(o, "signer", cJSON_CreateObject());
	int ret;

	if (!image || !signer)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = add_strings(o, (const char *[]){"mode", r->mode, "requester", r->requester,
	                                           "version", r->version, "tag_object",
	                                           r->tag_object, "commit", r->commit, NULL})) <
	            0 ||
	    (ret = add_int_or_null(o, "security_counter", r->has_security_counter,
	                           r->security_counter)) < 0 ||
	    (ret = add_int_or_null(o, "idempotent_of", r->previous_seq > 0, r->previous_seq)) < 0 ||
	    (ret = add_source(o, r)) < 0 ||
	    (ret = add_strings(image, (const char *[]){"name", r->image_name, "sha256",
	                                               r->image_sha256, NULL})) < 0 ||
	    (ret = add_int_or_null(image, "size", r->image_size >= 0, r->image_size)) < 0)
		return ret;
	if ((ret = add_strings(signer,
	                       (const char *[]){"name", r->signer_name, "backend",
	                                        r->signer_backend, "key_type", r->signer_key_type,
	                                        "fingerprint", r->signer_fingerprint, NULL})) < 0 ||
	    (ret = mcr_json_add_int(signer, "strength_bits", r->signer_strength_bits)) < 0 ||
	    (ret = mcr_json_add_bool(signer, "dev", r->is_dev_signer)) < 0)
		return ret;
	return add_facts(signer, "facts", r->signer_facts, r->signer_fact_count);
}

static int add_release(cJSON *list, const struct mcr_export_release *rel)
{
	cJSON *o = child(list, NULL, cJSON_CreateObject()), *digest, *sig, *img;
	int ret;

	if (!o || !(digest = child(o, "digest", cJSON_CreateObject())) ||
	    !(sig = child(o, "signature", cJSON_CreateObject())))
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_json_add_int(o, "seq", rel->seq)) < 0 ||
	    (ret = mcr_json_add_int(o, "requested_seq", rel->requested_seq)) < 0 ||
	    (ret = add_strings(o, (const char *[]){"time", rel->time, "actor", rel->actor,
	                                           "request_id", rel->request_id, "tag", rel->tag,
	                                           "provenance_sha256", rel->provenance_sha256,
	                                           NULL})) < 0 ||
	    (ret = add_strings(digest, (const char *[]){"alg", rel->digest_alg, "hex",
	                                                rel->digest_hex, NULL})) < 0 ||
	    (ret = mcr_json_add_int(sig, "len", rel->signature_len)) < 0 ||
	    (ret = mcr_json_add_string(sig, "sha256", rel->signature_sha256)) < 0 ||
	    (ret = add_strings(sig, (const char *[]){"key_name", rel->key_name, "key_type",
	                                             rel->key_type, "key_fingerprint",
	                                             rel->key_fingerprint, NULL})) < 0)
		return ret;
	if (!rel->signed_image_sha256)
		ret = mcr_json_add_item(o, "signed_image", cJSON_CreateNull());
	else if (!(img = child(o, "signed_image", cJSON_CreateObject())))
		ret = mcr_error(MCR_ESYS, "out of memory");
	else if ((ret = add_strings(img, (const char *[]){"name", rel->signed_image_name, "sha256",
	                                                  rel->signed_image_sha256, NULL})) == 0)
		ret = add_int_or_null(img, "size", rel->signed_image_size >= 0,
		                      rel->signed_image_size);
	if (ret < 0)
		return ret;
	return rel->request ? add_request_part(o, rel->request) : 0;
}

static int add_outcome(cJSON *list, const struct mcr_export_outcome *x)
{
	cJSON *o = child(list, NULL, cJSON_CreateObject());
	int ret;

	if (!o)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_json_add_int(o, "seq", x->seq)) < 0 ||
	    (ret = add_int_or_null(o, "request_seq", x->request_seq > 0, x->request_seq)) < 0)
		return ret;
	return add_strings(o, (const char *[]){"time", x->time, "actor", x->actor, "request_id",
	                                       x->request_id, "tag", x->tag, "image_sha256",
	                                       x->image_sha256, "stage", x->stage, "reason",
	                                       x->reason, "message", x->message, NULL});
}

static int add_pending(cJSON *list, const struct mcr_export_request *r)
{
	cJSON *o = child(list, NULL, cJSON_CreateObject());
	int ret;

	if (!o)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_json_add_int(o, "seq", r->seq)) < 0)
		return ret;
	return add_strings(o, (const char *[]){"time", r->time, "kind", r->kind, "request_id",
	                                       r->request_id, "tag", r->tag, "version", r->version,
	                                       "image_sha256", r->image_sha256, NULL});
}

static int add_register(cJSON *doc, const struct mcr_export_model *m)
{
	cJSON *releases = child(doc, "releases", cJSON_CreateArray());
	cJSON *refusals = child(doc, "refusals", cJSON_CreateArray());
	cJSON *failures = child(doc, "failures", cJSON_CreateArray());
	cJSON *pending = child(doc, "pending", cJSON_CreateArray());
	int ret = 0;

	if (!releases || !refusals || !failures || !pending)
		return mcr_error(MCR_ESYS, "out of memory");
	for (size_t i = 0; ret == 0 && i < m->release_count; i++)
		ret = add_release(releases, &m->releases[i]);
	for (size_t i = 0; ret == 0 && i < m->refusal_count; i++)
		ret = add_outcome(refusals, &m->refusals[i]);
	for (size_t i = 0; ret == 0 && i < m->failure_count; i++)
		ret = add_outcome(failures, &m->failures[i]);
	for (size_t i = 0; ret == 0 && i < m->request_count; i++)
		if (m->requests[i]->outcome == MCR_EXPORT_PENDING)
			ret = add_pending(pending, m->requests[i]);
	return ret;
}

static int add_anomalies(cJSON *doc, const struct mcr_export_model *m)
{
	cJSON *list = child(doc, "anomalies", cJSON_CreateArray()), *o;
	int ret;

	if (!list)
		return mcr_error(MCR_ESYS, "out of memory");
	for (size_t i = 0; i < m->anomaly_count; i++) {
		if (!(o = child(list, NULL, cJSON_CreateObject())))
			return mcr_error(MCR_ESYS, "out of memory");
		if ((ret = mcr_json_add_int(o, "seq", m->anomalies[i].seq)) < 0 ||
		    (ret = add_strings(o,
		                       (const char *[]){"reason", m->anomalies[i].reason, "message",
		                                        m->anomalies[i].message, NULL})) < 0)
			return ret;
	}
	return 0;
}

static int add_key(cJSON *list, const struct mcr_export_key *k)
{
	cJSON *o = child(list, NULL, cJSON_CreateObject());
	const struct mcr_export_request *r = k->last_request;
	int ret;

	if (!o)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = add_strings(o, (const char *[]){"name",
	                                           k->name,
	                                           "role",
	                                           k->role,
	                                           "backend",
	                                           k->backend,
	                                           "key_type",
	                                           k->key_type,
	                                           "fingerprint",
	                                           k->fingerprint,
	                                           "fingerprint_source",
	                                           k->fingerprint_source,
	                                           "public_key_pem",
	                                           k->public_key_pem,
	                                           "first_used",
	                                           k->first_used,
	                                           "last_used",
	                                           k->last_used,
	                                           "statement",
	                                           k->statement,
	                                           NULL})) < 0 ||
	    (ret = mcr_json_add_bool(o, "dev", k->is_dev)) < 0 ||
	    (ret = mcr_json_add_int(o, "strength_bits", k->strength_bits)) < 0 ||
	    (ret = mcr_json_add_int(o, "signatures", k->signatures)) < 0 ||
	    (ret = add_facts(o, "facts", k->facts, k->fact_count)) < 0)
		return ret;
	return add_facts(o, "recorded_facts", r ? r->signer_facts : NULL,
	                 r ? r->signer_fact_count : 0);
}

static int add_trusted(cJSON *parent, const struct mcr_export_trusted *list, size_t count)
{
	cJSON *arr = child(parent, "trusted", cJSON_CreateArray()), *o;
	int ret;

	if (!arr)
		return mcr_error(MCR_ESYS, "out of memory");
	for (size_t i = 0; i < count; i++) {
		if (!(o = child(arr, NULL, cJSON_CreateObject())))
			return mcr_error(MCR_ESYS, "out of memory");
		if ((ret = add_strings(o, (const char *[]){"source", list[i].source, "principals",
		                                           list[i].principals, "key_type",
		                                           list[i].key_type, "fingerprint",
		                                           list[i].fingerprint, NULL})) < 0)
			return ret;
	}
	return 0;
}

static int add_observed(cJSON *parent, const struct mcr_export_identity *list, size_t count)
{
	cJSON *arr = child(parent, "observed", cJSON_CreateArray()), *o;
	int ret;

	if (!arr)
		return mcr_error(MCR_ESYS, "out of memory");
	for (size_t i = 0; i < count; i++) {
		if (!(o = child(arr, NULL, cJSON_CreateObject())))
			return mcr_error(MCR_ESYS, "out of memory");
		if ((ret = add_strings(o, (const char *[]){"format", list[i].format, "identity",
		                                           list[i].identity, "key", list[i].key,
		                                           "first", list[i].first, "last",
		                                           list[i].last, NULL})) < 0 ||
		    (ret = mcr_json_add_int(o, "releases", list[i].releases)) < 0)
			return ret;
	}
	return 0;
}

static int add_policy(cJSON *doc, const struct mcr_export_model *m)
{
	cJSON *policy = child(doc, "policy", cJSON_CreateObject()), *files, *o;
	int ret;

	if (!policy || !(files = child(policy, "files", cJSON_CreateArray())))
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_json_add_string(policy, "release_signer", m->release_signer)) < 0 ||
	    (ret = mcr_json_add_int(policy, "min_strength_bits", m->min_strength_bits)) < 0 ||
	    (ret = mcr_json_add_bool(policy, "allow_dev_keys", m->allow_dev_keys)) < 0)
		return ret;
	for (size_t i = 0; i < m->policy_file_count; i++) {
		const struct mcr_export_file *f = &m->policy_files[i];

		if (!(o = child(files, NULL, cJSON_CreateObject())))
			return mcr_error(MCR_ESYS, "out of memory");
		if ((ret = add_strings(o, (const char *[]){"role", f->role, "path", f->path,
		                                           "sha256", f->sha256, NULL})) < 0)
			return ret;
	}
	return 0;
}

static int add_requirements(cJSON *doc, const struct mcr_export_model *m)
{
	cJSON *list = child(doc, "requirements", cJSON_CreateArray());
	cJSON *notes = child(doc, "caveats", cJSON_CreateArray()), *o;
	const char *const *caveats;
	size_t count;
	int ret;

	if (!list || !notes)
		return mcr_error(MCR_ESYS, "out of memory");
	for (size_t i = 0; i < m->requirement_count; i++) {
		const struct mcr_export_requirement *r = &m->requirements[i];

		if (!(o = child(list, NULL, cJSON_CreateObject())))
			return mcr_error(MCR_ESYS, "out of memory");
		if ((ret = add_strings(
		             o, (const char *[]){"id", r->id, "title", r->title, "asks", r->asks,
		                                 "info", r->info, "evidence", r->evidence,
		                                 "observed", r->observed, "manufacturer",
		                                 r->manufacturer, "status",
		                                 mcr_export_status_name(r->status), NULL})) < 0)
			return ret;
	}
	caveats = mcr_en18031_caveats(&count);
	for (size_t i = 0; i < count; i++)
		if (!child(notes, NULL, cJSON_CreateString(caveats[i])))
			return mcr_error(MCR_ESYS, "out of memory");
	return 0;
}

/* Keys, who may and who did sign tags and build, the policy, and the requirement table. */
static int add_inventory(cJSON *doc, const struct mcr_export_model *m)
{
	cJSON *keys = child(doc, "keys", cJSON_CreateArray());
	cJSON *tags = child(doc, "tag_signers", cJSON_CreateObject());
	cJSON *builders = child(doc, "builders", cJSON_CreateObject());
	int ret = 0;

	if (!keys || !tags || !builders)
		return mcr_error(MCR_ESYS, "out of memory");
	for (size_t i = 0; ret == 0 && i < m->key_count; i++)
		ret = add_key(keys, &m->keys[i]);
	if (ret < 0 || (ret = add_trusted(tags, m->tag_trust, m->tag_trust_count)) < 0 ||
	    (ret = add_observed(tags, m->tag_signers, m->tag_signer_count)) < 0 ||
	    (ret = mcr_json_add_int(builders, "quorum", m->builder_quorum)) < 0 ||
	    (ret = add_trusted(builders, m->builder_trust, m->builder_trust_count)) < 0 ||
	    (ret = add_observed(builders, m->builders, m->builder_count)) < 0 ||
	    (ret = add_policy(doc, m)) < 0)
		return ret;
	return add_requirements(doc, m);
}

static int add_scope(cJSON *doc, const struct mcr_export_model *m)
{
	cJSON *period = child(doc, "period", cJSON_CreateObject());
	cJSON *log = child(doc, "log", cJSON_CreateObject());
	int ret;

	if (!period || !log)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = add_strings(period,
	                       (const char *[]){"since", m->since, "until", m->until, NULL})) < 0 ||
	    (ret = mcr_json_add_int(period, "first_seq", m->first_seq)) < 0 ||
	    (ret = mcr_json_add_int(period, "last_seq", m->last_seq)) < 0 ||
	    (ret = mcr_json_add_int(period, "events", (long long)m->event_count)) < 0 ||
	    (ret = add_strings(
	             log, (const char *[]){"path", m->log_path, "origin", m->origin, NULL})) < 0 ||
	    (ret = mcr_json_add_int(log, "size", m->log_size)) < 0)
		return ret;
	return mcr_json_add_hex(log, "root", m->log_root, sizeof(m->log_root));
}

static int add_chain(cJSON *doc, const struct mcr_export_model *m)
{
	const struct mcr_audit_stored_checkpoint *cp =
	        m->checkpoint_count ? &m->checkpoints[m->checkpoint_count - 1] : NULL;
	cJSON *chain = NULL, *o;
	int ret;

	if ((ret = mcr_audit_report_to_json(&chain, &m->report, m->log_path)) < 0 ||
	    (ret = mcr_json_add_item(doc, "chain", chain)) < 0 ||
	    (ret = mcr_json_add_int(doc, "checkpoints", (long long)m->checkpoint_count)) < 0)
		return ret;
	if (!cp)
		return mcr_json_add_item(doc, "checkpoint", cJSON_CreateNull());
	if (!(o = child(doc, "checkpoint", cJSON_CreateObject())))
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_json_add_int(o, "size", cp->size)) < 0 ||
	    (ret = mcr_json_add_hex(o, "root", cp->root, sizeof(cp->root))) < 0 ||
	    (ret = mcr_json_add_int(o, "seq", cp->seq)) < 0)
		return ret;
	return mcr_json_add_string(o, "note", cp->note);
}

static int add_summary(cJSON *doc, const struct mcr_export_model *m)
{
	cJSON *o = child(doc, "summary", cJSON_CreateObject());
	size_t pending = 0;
	int ret;

	if (!o)
		return mcr_error(MCR_ESYS, "out of memory");
	for (size_t i = 0; i < m->request_count; i++)
		pending += m->requests[i]->outcome == MCR_EXPORT_PENDING;
	if ((ret = mcr_json_add_int(o, "releases", (long long)m->release_count)) < 0 ||
	    (ret = mcr_json_add_int(o, "refusals", (long long)m->refusal_count)) < 0 ||
	    (ret = mcr_json_add_int(o, "failures", (long long)m->failure_count)) < 0 ||
	    (ret = mcr_json_add_int(o, "pending", (long long)pending)) < 0 ||
	    (ret = mcr_json_add_int(o, "anomalies", (long long)m->anomaly_count)) < 0)
		return ret;
	return mcr_json_add_int(o, "excluded_requests", (long long)m->excluded_count);
}

static int build(cJSON *doc, const struct mcr_export_model *m)
{
	int ret;

	if ((ret = add_strings(doc, (const char *[]){"type", EXPORT_TYPE, "generator", m->generator,
	                                             "created", m->created, "product", m->product,
	                                             NULL})) < 0 ||
	    (ret = add_scope(doc, m)) < 0 || (ret = add_chain(doc, m)) < 0 ||
	    (ret = add_summary(doc, m)) < 0 || (ret = add_register(doc, m)) < 0 ||
	    (ret = add_anomalies(doc, m)) < 0)
		return ret;
	return add_inventory(doc, m);
}

static int render(const struct mcr_export_model *model, const struct mcr_export_opts *opts,
                  struct mcr_buf *out)
{
	cJSON *doc = cJSON_CreateObject();
	int ret;

	(void)opts;
	if (!doc)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = build(doc, model)) == 0)
		ret = mcr_json_pretty(out, doc);
	cJSON_Delete(doc);
	return ret;
}

const struct mcr_exporter mcr_export_json = {
        .name = "json",
        .summary = "one JSON document (schemas/audit-export.schema.json)",
        .render = render,
};
