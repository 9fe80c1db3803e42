/* Signing responses as JSON (schemas/sign-response.schema.json). */
#include "signresp.h"

#include "error.h"
#include "json.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mcr_signresp_init(struct mcr_signresp *resp)
{
	memset(resp, 0, sizeof(*resp));
}

void mcr_signresp_release(struct mcr_signresp *resp)
{
	for (size_t i = 0; i < resp->builder_count; i++) {
		free(resp->builders[i].builder);
		free(resp->builders[i].key);
		free(resp->builders[i].artifact);
	}
	mcr_buf_release(&resp->signature);
	free(resp->reason);
	free(resp->message);
	free(resp->key_name);
	free(resp->public_key_pem);
	free(resp->signer_json);
	free(resp->tag_signer_format);
	free(resp->tag_signer_identity);
	free(resp->tag_signer_key);
	free(resp->log_origin);
	free(resp->checkpoint);
	free(resp->inclusion_proof);
	mcr_signresp_init(resp);
}

/* A JSON value parsed from compact text (NULL text: null). */
static cJSON *embedded(const char *text)
{
	return text ? cJSON_Parse(text) : cJSON_CreateNull();
}

static cJSON *event_ref(long long seq, const char *hash)
{
	cJSON *o;

	if (!seq)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	if (o &&
	    (mcr_json_add_int(o, "seq", seq) < 0 || mcr_json_add_string(o, "hash", hash) < 0)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *audit_json(const struct mcr_signresp *r)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || mcr_json_add_string(o, "log_origin", r->log_origin) < 0 ||
	    mcr_json_add_item(o, "requested", event_ref(r->requested_seq, r->requested_hash)) < 0 ||
	    mcr_json_add_item(o, "completed", event_ref(r->completed_seq, r->completed_hash)) < 0 ||
	    (r->previous_seq && mcr_json_add_int(o, "previous_seq", r->previous_seq) < 0) ||
	    mcr_json_add_string(o, "checkpoint", r->checkpoint) < 0 ||
	    mcr_json_add_item(o, "inclusion_proof", embedded(r->inclusion_proof)) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *key_json(const struct mcr_signresp *r)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || mcr_json_add_string(o, "name", r->key_name) < 0 ||
	    mcr_json_add_string(o, "key_type",
	                        r->key_name ? mcr_key_type_name(r->key_type) : NULL) < 0 ||
	    mcr_json_add_string(o, "fingerprint", r->key_name ? r->key_fingerprint : NULL) < 0 ||
	    mcr_json_add_string(o, "public_key_pem", r->public_key_pem) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *provenance_json(const struct mcr_signresp *r)
{
	cJSON *o = cJSON_CreateObject(), *tag = cJSON_CreateObject(), *list = cJSON_CreateArray();

	if (!o || mcr_json_add_item(o, "tag_signer", tag) < 0 ||
	    mcr_json_add_item(o, "builders", list) < 0 ||
	    mcr_json_add_string(tag, "format", r->tag_signer_format) < 0 ||
	    mcr_json_add_string(tag, "identity", r->tag_signer_identity) < 0 ||
	    mcr_json_add_string(tag, "key", r->tag_signer_key) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	for (size_t i = 0; i < r->builder_count; i++) {
		const struct mcr_signresp_builder *b = &r->builders[i];
		cJSON *e = cJSON_CreateObject();

		if (!e || !cJSON_AddItemToArray(list, e) ||
		    mcr_json_add_string(e, "builder", b->builder) < 0 ||
		    mcr_json_add_string(e, "key", b->key) < 0 ||
		    mcr_json_add_string(e, "record_sha256", b->record_sha256) < 0 ||
		    mcr_json_add_string(e, "artifact", b->artifact) < 0) {
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

int mcr_signresp_write(const struct mcr_signresp *r, struct mcr_buf *out)
{
	struct mcr_buf sig = MCR_BUF_INIT;
	cJSON *o = cJSON_CreateObject();
	int ret;

	if ((ret = mcr_base64_encode(&sig, r->signature.data, r->signature.len, false)) < 0 ||
	    (ret = mcr_json_add_string(o, "format", MCR_SIGNRESP_FORMAT)) < 0 ||
	    (ret = mcr_json_add_string(o, "request_id", r->request_id)) < 0 ||
	    (ret = mcr_json_add_string(o, "outcome", r->outcome)) < 0 ||
	    (ret = mcr_json_add_int(o, "status", r->status)) < 0 ||
	    (ret = mcr_json_add_string(o, "reason", r->reason)) < 0 ||
	    (ret = mcr_json_add_string(o, "message", r->message)) < 0 ||
	    (ret = mcr_json_add_string(o, "signed_at", r->signed_at[0] ? r->signed_at : NULL)) <
	            0 ||
	    (ret = mcr_json_add_string(o, "signature",
	                               r->signature.len ? (char *)sig.data : NULL)) < 0 ||
	    (ret = mcr_json_add_item(o, "key", key_json(r))) < 0 ||
	    (ret = mcr_json_add_item(o, "signer", embedded(r->signer_json))) < 0 ||
	    (ret = mcr_json_add_item(o, "provenance", provenance_json(r))) < 0 ||
	    (ret = mcr_json_add_item(o, "audit", audit_json(r))) < 0)
		goto out;
	ret = mcr_json_pretty(out, o);
out:
	mcr_buf_release(&sig);
	cJSON_Delete(o);
	return ret;
}

/* Reading back: the runner checks the response against its request before using any of it. */
static int opt_dup(char **out, const cJSON *obj, const char *key, const char *subject)
{
	const char *text;
	int ret;

	*out = NULL;
	if ((ret = mcr_json_get_string(&text, obj, key, false, subject)) < 0 || !text)
		return ret;
	return (*out = strdup(text)) ? 0 : mcr_error(MCR_ESYS, "out of memory");
}

static int hex_field(char *out, size_t hex_len, const cJSON *obj, const char *key, bool required,
                     const char *subject)
{
	const char *text;
	int ret;

	out[0] = '\0';
	if ((ret = mcr_json_get_string(&text, obj, key, required, subject)) < 0 || !text)
		return ret;
	if (strlen(text) != hex_len || strspn(text, "0123456789abcdef") != hex_len)
		return mcr_error(MCR_EINPUT, "key '%s' in '%s' must be %zu lowercase hex digits",
		                 key, subject, hex_len);
	memcpy(out, text, hex_len + 1);
	return 0;
}

/* A JSON value kept as compact text (objects the runner copies, never interprets). */
static int opt_compact(char **out, const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if (!item || cJSON_IsNull(item))
		return 0;
	return (*out = cJSON_PrintUnformatted(item)) ? 0 : mcr_error(MCR_ESYS, "out of memory");
}

static int parse_event(long long *seq, char *hash, const cJSON *audit, const char *key,
                       const char *subject)
{
	const cJSON *ref;
	int ret;

	*seq = 0;
	hash[0] = '\0';
	if ((ret = mcr_json_get_object(&ref, audit, key, false, subject)) < 0 || !ref)
		return ret;
	if ((ret = mcr_json_get_int(seq, ref, "seq", true, 1, 1LL << 53, subject)) < 0)
		return ret;
	return hex_field(hash, 64, ref, "hash", true, subject);
}

static int parse_key(struct mcr_signresp *r, const cJSON *key, const char *subject)
{
	const char *type;
	int ret;

	if ((ret = opt_dup(&r->key_name, key, "name", subject)) < 0 ||
	    (ret = opt_dup(&r->public_key_pem, key, "public_key_pem", subject)) < 0 ||
	    (ret = hex_field(r->key_fingerprint, 64, key, "fingerprint", false, subject)) < 0 ||
	    (ret = mcr_json_get_string(&type, key, "key_type", false, subject)) < 0)
		return ret;
	if (type && mcr_key_type_parse(&r->key_type, type) < 0)
		return mcr_error(MCR_EINPUT, "unknown key_type '%s' in '%s'", type, subject);
	/* a key is named with its type and fingerprint, or not at all */
	if (!r->key_name != !type || !r->key_name != !r->key_fingerprint[0])
		return mcr_error(MCR_EINPUT,
		                 "key in '%s' must give name, key_type and fingerprint together",
		                 subject);
	return 0;
}

static int parse_provenance(struct mcr_signresp *r, const cJSON *p, const char *subject)
{
	const cJSON *tag, *list, *b;
	int ret;

	if ((ret = mcr_json_get_object(&tag, p, "tag_signer", true, subject)) < 0 ||
	    (ret = mcr_json_get_array(&list, p, "builders", true, subject)) < 0 ||
	    (ret = opt_dup(&r->tag_signer_format, tag, "format", subject)) < 0 ||
	    (ret = opt_dup(&r->tag_signer_identity, tag, "identity", subject)) < 0 ||
	    (ret = opt_dup(&r->tag_signer_key, tag, "key", subject)) < 0)
		return ret;
	cJSON_ArrayForEach(b, list)
	{
		struct mcr_signresp_builder *e = &r->builders[r->builder_count];

		if (r->builder_count == MCR_SIGNRESP_MAX_BUILDERS)
			return mcr_error(MCR_EINPUT, "too many builders in '%s'", subject);
		r->builder_count++;
		if ((ret = opt_dup(&e->builder, b, "builder", subject)) < 0 ||
		    (ret = opt_dup(&e->key, b, "key", subject)) < 0 ||
		    (ret = opt_dup(&e->artifact, b, "artifact", subject)) < 0 ||
		    (ret = hex_field(e->record_sha256, 64, b, "record_sha256", true, subject)) < 0)
			return ret;
	}
	return 0;
}

static int parse_outcome(struct mcr_signresp *r, const cJSON *root, const char *subject)
{
	const char *outcome, *sig, *at;
	long long status;
	int ret;

	if ((ret = mcr_json_get_string(&outcome, root, "outcome", true, subject)) < 0 ||
	    (ret = mcr_json_get_int(&status, root, "status", true, 0, 6, subject)) < 0 ||
	    (ret = opt_dup(&r->reason, root, "reason", subject)) < 0 ||
	    (ret = opt_dup(&r->message, root, "message", subject)) < 0 ||
	    (ret = mcr_json_get_string(&at, root, "signed_at", false, subject)) < 0 ||
	    (ret = mcr_json_get_string(&sig, root, "signature", false, subject)) < 0)
		return ret;
	if (strcmp(outcome, "signed") && strcmp(outcome, "refused") && strcmp(outcome, "failed"))
		return mcr_error(MCR_EINPUT, "unknown outcome '%s' in '%s'", outcome, subject);
	snprintf(r->outcome, sizeof(r->outcome), "%s", outcome);
	r->status = (int)status;
	if (at && strlen(at) == 20)
		memcpy(r->signed_at, at, 21);
	if (sig && mcr_base64_decode(&r->signature, sig, strlen(sig), false) < 0)
		return mcr_error(MCR_EINPUT, "signature in '%s' is not base64", subject);
	return 0;
}

static int parse_top(struct mcr_signresp *r, const cJSON *root, const char *subject)
{
	static const char *const keys[] = {"format", "request_id", "outcome",    "status",
	                                   "reason", "message",    "signed_at",  "signature",
	                                   "key",    "signer",     "provenance", "audit",
	                                   NULL};
	const cJSON *key, *prov, *audit;
	const char *format, *id;
	int ret;

	if ((ret = mcr_json_check_keys(root, keys, subject)) < 0 ||
	    (ret = mcr_json_get_string(&format, root, "format", true, subject)) < 0)
		return ret;
	if (strcmp(format, MCR_SIGNRESP_FORMAT))
		return mcr_error(MCR_EINPUT, "'%s' is not a signing response (format '%s')",
		                 subject, format);
	if ((ret = mcr_json_get_string(&id, root, "request_id", true, subject)) < 0)
		return ret;
	if (strlen(id) != 36)
		return mcr_error(MCR_EINPUT, "malformed request_id in '%s'", subject);
	memcpy(r->request_id, id, 37);
	if ((ret = parse_outcome(r, root, subject)) < 0 ||
	    (ret = mcr_json_get_object(&key, root, "key", true, subject)) < 0 ||
	    (ret = parse_key(r, key, subject)) < 0 ||
	    (ret = opt_compact(&r->signer_json, root, "signer")) < 0 ||
	    (ret = mcr_json_get_object(&prov, root, "provenance", true, subject)) < 0 ||
	    (ret = parse_provenance(r, prov, subject)) < 0 ||
	    (ret = mcr_json_get_object(&audit, root, "audit", true, subject)) < 0 ||
	    (ret = opt_dup(&r->log_origin, audit, "log_origin", subject)) < 0 ||
	    (ret = opt_dup(&r->checkpoint, audit, "checkpoint", subject)) < 0 ||
	    (ret = opt_compact(&r->inclusion_proof, audit, "inclusion_proof")) < 0 ||
	    (ret = parse_event(&r->requested_seq, r->requested_hash, audit, "requested", subject)) <
	            0 ||
	    (ret = mcr_json_get_int(&r->previous_seq, audit, "previous_seq", false, 0, 1LL << 53,
	                            subject)) < 0)
		return ret;
	return parse_event(&r->completed_seq, r->completed_hash, audit, "completed", subject);
}

int mcr_signresp_parse(struct mcr_signresp *out, const char *text, size_t len, const char *subject)
{
	cJSON *root = NULL;
	int ret;

	mcr_signresp_init(out);
	if ((ret = mcr_json_parse(&root, text, len, subject)) == 0)
		ret = cJSON_IsObject(root)
		              ? parse_top(out, root, subject)
		              : mcr_error(MCR_EINPUT, "'%s' is not a JSON object", subject);
	cJSON_Delete(root);
	return ret;
}
