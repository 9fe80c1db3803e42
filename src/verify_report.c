/* What verify found, for people (a short provenance summary, each check, the verdict) and for
 * scripts (schemas/verify-result.schema.json). */
#include "verify.h"

#include "buf.h"
#include "error.h"
#include "json.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESULT_TYPE "mcurelease.verify/v1"

static const cJSON *request_data(const struct mcr_verify_report *rep)
{
	return rep->record.request.data;
}

static const char *text_of(const cJSON *data, const char *key)
{
	const char *s = mcr_verify_data_string(data, key, NULL);

	return s ? s : "?";
}

/* "verdict" of the JSON result: genuine, not_genuine, alarm, or unchecked (exit 2-6). */
static const char *verdict_name(const struct mcr_verify_report *rep)
{
	if (rep->is_genuine)
		return "genuine";
	if (!rep->reason)
		return "unchecked";
	return rep->is_alarm ? "alarm" : "not_genuine";
}

/* ---- text ---- */

/* Appends to the summary; the first failure sticks in *err, so lines need no check each. */
static void __attribute__((format(printf, 3, 4)))
put(struct mcr_buf *out, int *err, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int n;

	if (*err)
		return;
	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0 || mcr_buf_add(out, text, (size_t)n) < 0)
		*err = mcr_error(MCR_ESYS, "out of memory");
	free(n < 0 ? NULL : text);
}

static void text_image(struct mcr_buf *out, int *err, const struct mcr_verify_report *rep)
{
	const struct mcr_verify_image *img = &rep->image;
	const char *matched = rep->record.matched_by;

	if (!rep->image_path) {
		put(out, err, "hash:        %s (%s)\n", rep->hash,
		    !matched                          ? "not found"
		    : !strcmp(matched, "file_sha256") ? "matched a signed file's SHA-256"
		                                      : "matched the MCUboot image digest");
		return;
	}
	put(out, err, "image:       %s %s (file sha256 %.16s)\n", rep->image_path, img->version,
	    img->file_sha256);
	put(out, err, "digest:      %s %s\n", img->digest_alg ? img->digest_alg : "?",
	    img->digest_hex[0] ? img->digest_hex : "(the image does not verify)");
	if (img->key_name)
		put(out, err, "signature:   valid, trusted key '%s' (%s)\n", img->key_name,
		    img->key_fingerprint);
	else
		put(out, err, "signature:   %s\n", img->reason[0] ? img->reason : "?");
}

/* The backend's custody facts: whatever the signer recorded beyond its identity. */
static void text_custody(struct mcr_buf *out, int *err, const cJSON *signer)
{
	static const char *const identity[] = {"name",          "backend",     "key_type",
	                                       "strength_bits", "fingerprint", "dev"};
	const cJSON *item;
	int n = 0;

	cJSON_ArrayForEach(item, signer)
	{
		bool skip = false;

		for (size_t i = 0; i < sizeof(identity) / sizeof(identity[0]); i++)
			skip = skip || !strcmp(item->string, identity[i]);
		if (skip)
			continue;
		put(out, err, "%s%s=", n++ ? ", " : "custody:     ", item->string);
		if (cJSON_IsString(item))
			put(out, err, "%s", item->valuestring);
		else if (cJSON_IsBool(item))
			put(out, err, "%s", cJSON_IsTrue(item) ? "true" : "false");
		else if (cJSON_IsNumber(item))
			put(out, err, "%lld", (long long)item->valuedouble);
	}
	if (n)
		put(out, err, "\n");
}

static void text_builders(struct mcr_buf *out, int *err, const cJSON *records)
{
	const cJSON *r;
	int n = 0;

	cJSON_ArrayForEach(r, records)
	{
		put(out, err, "%s%s (%s)", n++ ? ", " : "builders:    ", text_of(r, "builder"),
		    text_of(r, "key"));
	}
	put(out, err, "%s", n ? "\n" : "builders:    none\n");
}

static void text_release(struct mcr_buf *out, int *err, const struct mcr_verify_report *rep)
{
	const cJSON *d = request_data(rep);
	const cJSON *signer = mcr_verify_data_item(d, "signer", NULL);
	const cJSON *tag_signer = mcr_verify_data_item(d, "tag_signer", NULL);

	if (!d)
		return;
	put(out, err, "release:     %s, version %s, product %s\n", text_of(d, "tag"),
	    text_of(d, "version"), text_of(d, "product"));
	put(out, err, "source:      tag object %s, commit %s\n", text_of(d, "tag_object"),
	    text_of(d, "commit"));
	put(out, err, "tag signer:  %s %s (%s)\n", text_of(tag_signer, "format"),
	    text_of(tag_signer, "identity"), text_of(tag_signer, "key"));
	text_builders(out, err, mcr_verify_data_item(d, "records", NULL));
	put(out, err, "signer key:  %s: %s %s, fingerprint %s\n", text_of(signer, "name"),
	    text_of(signer, "backend"), text_of(signer, "key_type"),
	    text_of(signer, "fingerprint"));
	text_custody(out, err, signer);
}

static void text_audit(struct mcr_buf *out, int *err, const struct mcr_verify_report *rep)
{
	const struct mcr_verify_record *rec = &rep->record;

	if (!rec->request.seq)
		return;
	if (rec->completion.seq)
		put(out, err, "signed at:   %s (sign.completed)\n", rec->completion.time);
	else if (rep->claimed_signed_at)
		put(out, err, "signed at:   %s (as the provenance says)\n", rep->claimed_signed_at);
	put(out, err, "audit:       %s event %lld at %s", rec->request.kind, rec->request.seq,
	    rec->request.time);
	if (rec->completion.seq)
		put(out, err, ", sign.completed event %lld", rec->completion.seq);
	put(out, err, " (%s)\n", rep->source_path ? rep->source_path : "?");
	if (rep->checkpoint_origin)
		put(out, err, "checkpoint:  %s, %lld events\n", rep->checkpoint_origin,
		    rep->checkpoint_size);
}

int mcr_verify_report_text(struct mcr_buf *out, const struct mcr_verify_report *rep)
{
	int err = 0;

	if (rep->is_alarm)
		put(out, &err, "!!! %s !!!\n", rep->message);
	text_image(out, &err, rep);
	text_release(out, &err, rep);
	text_audit(out, &err, rep);
	for (int i = 0; i < MCR_VERIFY_CHECK_COUNT; i++)
		put(out, &err, "%-11s  %-7s %s\n", mcr_verify_check_names[i],
		    mcr_verify_status_name(rep->checks[i].status),
		    rep->checks[i].detail ? rep->checks[i].detail : "");
	if (rep->is_genuine)
		put(out, &err, "verdict:     GENUINE: %s\n", rep->message);
	else if (rep->reason)
		put(out, &err, "verdict:     NO (%s): %s\n", rep->reason, rep->message);
	return err;
}

/* ---- JSON ---- */

static cJSON *dup_or_null(const cJSON *item)
{
	return item ? cJSON_Duplicate(item, true) : cJSON_CreateNull();
}

static cJSON *key_json(const struct mcr_verify_image *img)
{
	cJSON *o;

	if (!img->key_name)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	if (!o || mcr_json_add_string(o, "name", img->key_name) < 0 ||
	    mcr_json_add_string(o, "backend", img->key_backend) < 0 ||
	    mcr_json_add_string(o, "fingerprint", img->key_fingerprint) < 0 ||
	    mcr_json_add_bool(o, "dev", img->key_is_dev) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *digest_json(const struct mcr_verify_image *img)
{
	cJSON *o;

	if (!img->digest_hex[0])
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	if (!o || mcr_json_add_string(o, "alg", img->digest_alg) < 0 ||
	    mcr_json_add_string(o, "hex", img->digest_hex) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *image_json(const struct mcr_verify_report *rep)
{
	const struct mcr_verify_image *img = &rep->image;
	cJSON *o;

	if (!rep->image_path)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	if (!o || mcr_json_add_string(o, "path", rep->image_path) < 0 ||
	    mcr_json_add_string(o, "sha256", img->file_sha256) < 0 ||
	    mcr_json_add_string(o, "version", img->version[0] ? img->version : NULL) < 0 ||
	    mcr_json_add_item(o, "digest", digest_json(img)) < 0 ||
	    mcr_json_add_string(o, "signature_sha256",
	                        img->signature_sha256[0] ? img->signature_sha256 : NULL) < 0 ||
	    mcr_json_add_item(o, "key", key_json(img)) < 0 ||
	    mcr_json_add_string(o, "image_reason", img->reason[0] ? img->reason : NULL) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *hash_json(const struct mcr_verify_report *rep)
{
	cJSON *o;

	if (!rep->hash[0])
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	if (!o || mcr_json_add_string(o, "value", rep->hash) < 0 ||
	    mcr_json_add_string(o, "matched", rep->record.matched_by) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* The release as its request recorded it (the proven event, never the provenance's claims). */
static cJSON *release_json(const struct mcr_verify_report *rep)
{
	static const char *const keys[] = {
	        "tag",     "tag_object", "commit",    "version",    "security_counter",
	        "product", "request_id", "requester", "tag_signer", "image",
	        "digest",  "records",    "signer"};
	static const char *const names[] = {
	        "tag",     "tag_object", "commit",    "version",    "security_counter",
	        "product", "request_id", "requester", "tag_signer", "input_image",
	        "digest",  "builders",   "signer"};
	const cJSON *d = request_data(rep);
	cJSON *o;

	if (!d)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	for (size_t i = 0; o && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (mcr_json_add_item(o, names[i],
		                      dup_or_null(mcr_verify_data_item(d, keys[i], NULL))) < 0) {
			cJSON_Delete(o);
			return NULL;
		}
	return o;
}

static cJSON *event_ref(const struct mcr_verify_event *e)
{
	cJSON *o;

	if (!e->seq)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	if (!o || mcr_json_add_int(o, "seq", e->seq) < 0 ||
	    mcr_json_add_string(o, "kind", e->kind) < 0 ||
	    mcr_json_add_string(o, "time", e->time[0] ? e->time : NULL) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* The audit events, and what the completion recorded of the signature and files. */
static cJSON *audit_json(const struct mcr_verify_report *rep)
{
	const struct mcr_verify_record *rec = &rep->record;
	const cJSON *c = rec->completion.data;
	cJSON *o = cJSON_CreateObject();

	if (!o || mcr_json_add_item(o, "requested", event_ref(&rec->request)) < 0 ||
	    mcr_json_add_item(o, "completed", event_ref(&rec->completion)) < 0 ||
	    mcr_json_add_int(o, "requests", (long long)rec->request_count) < 0 ||
	    mcr_json_add_int(o, "completions", (long long)rec->completion_count) < 0 ||
	    mcr_json_add_item(o, "signature",
	                      dup_or_null(mcr_verify_data_item(c, "signature", NULL))) < 0 ||
	    mcr_json_add_item(o, "key", dup_or_null(mcr_verify_data_item(c, "key", NULL))) < 0 ||
	    mcr_json_add_item(o, "signed_image",
	                      dup_or_null(mcr_verify_data_item(c, "signed_image", NULL))) < 0 ||
	    mcr_json_add_item(o, "signed_hex",
	                      dup_or_null(mcr_verify_data_item(c, "signed_hex", NULL))) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *source_json(const struct mcr_verify_report *rep)
{
	static const char *const kinds[] = {NULL, "audit", "bundle", "provenance"};
	cJSON *o;

	if (rep->source == MCR_VERIFY_NO_SOURCE)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	if (!o || mcr_json_add_string(o, "kind", kinds[rep->source]) < 0 ||
	    mcr_json_add_string(o, "path", rep->source_path) < 0 ||
	    mcr_json_add_string(o, "provenance", rep->provenance_path) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *checkpoint_json(const struct mcr_verify_report *rep)
{
	cJSON *o;

	if (!rep->checkpoint_origin)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	if (!o || mcr_json_add_string(o, "origin", rep->checkpoint_origin) < 0 ||
	    mcr_json_add_int(o, "size", rep->checkpoint_size) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *tag_json(const struct mcr_verify_report *rep)
{
	static const char *const states[] = {"unchecked", "same", "moved", "deleted"};
	const struct mcr_verify_tag *t = &rep->tag;
	cJSON *o = cJSON_CreateObject();

	if (!o || mcr_json_add_string(o, "state", states[t->state]) < 0 ||
	    mcr_json_add_string(o, "repo", t->repo) < 0 ||
	    mcr_json_add_string(o, "tag_object", t->tag_object[0] ? t->tag_object : NULL) < 0 ||
	    mcr_json_add_string(o, "commit", t->commit[0] ? t->commit : NULL) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *checks_json(const struct mcr_verify_report *rep)
{
	cJSON *o = cJSON_CreateObject();

	for (int i = 0; o && i < MCR_VERIFY_CHECK_COUNT; i++) {
		const struct mcr_verify_check *c = &rep->checks[i];
		cJSON *one = cJSON_CreateObject();

		if (mcr_json_add_item(o, mcr_verify_check_names[i], one) < 0 ||
		    mcr_json_add_string(one, "status", mcr_verify_status_name(c->status)) < 0 ||
		    mcr_json_add_string(one, "reason", c->reason) < 0 ||
		    mcr_json_add_string(one, "detail", c->detail) < 0) {
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

/* When it was signed: the completion's time, else what the provenance says. */
static const char *signed_at(const struct mcr_verify_report *rep)
{
	if (rep->record.completion.seq && rep->record.completion.time[0])
		return rep->record.completion.time;
	return rep->record.request.seq ? rep->claimed_signed_at : NULL;
}

int mcr_verify_report_json(cJSON **out, const struct mcr_verify_report *rep)
{
	cJSON *o = cJSON_CreateObject();
	const char *reason = rep->reason ? rep->reason : mcr_error_name(rep->status);
	int ret;

	*out = NULL;
	if (!o)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_json_add_string(o, "type", RESULT_TYPE)) < 0 ||
	    (ret = mcr_json_add_string(o, "verdict", verdict_name(rep))) < 0 ||
	    (ret = mcr_json_add_string(o, "reason", reason)) < 0 ||
	    (ret = mcr_json_add_int(o, "exit_status", mcr_error_exit_status(rep->status))) < 0 ||
	    (ret = mcr_json_add_bool(o, "alarm", rep->is_alarm)) < 0 ||
	    (ret = mcr_json_add_string(o, "message", rep->message)) < 0 ||
	    (ret = mcr_json_add_item(o, "image", image_json(rep))) < 0 ||
	    (ret = mcr_json_add_item(o, "hash", hash_json(rep))) < 0 ||
	    (ret = mcr_json_add_item(o, "source", source_json(rep))) < 0 ||
	    (ret = mcr_json_add_item(o, "release", release_json(rep))) < 0 ||
	    (ret = mcr_json_add_string(o, "signed_at", signed_at(rep))) < 0 ||
	    (ret = mcr_json_add_item(o, "audit", audit_json(rep))) < 0 ||
	    (ret = mcr_json_add_item(o, "checkpoint", checkpoint_json(rep))) < 0 ||
	    (ret = mcr_json_add_item(o, "tag", tag_json(rep))) < 0 ||
	    (ret = mcr_json_add_item(o, "checks", checks_json(rep))) < 0) {
		cJSON_Delete(o);
		return ret;
	}
	*out = o;
	return 0;
}
