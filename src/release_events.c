/* The bodies of the release events (docs/release-events.md), built from a request and its response.
 */
#include "release_events.h"

#include "error.h"
#include "json.h"
#include "signer.h"
#include "signreq.h"
#include "signresp.h"

#include <cjson/cJSON.h>
#include <string.h>

static int add_common(cJSON *d, const struct mcr_signreq *req)
{
	int ret;

	if ((ret = mcr_json_add_string(d, "request_id", req->request_id)) < 0 ||
	    (ret = mcr_json_add_string(d, "tag", req->tag.name)) < 0)
		return ret;
	return req->image_sha256[0] ? mcr_json_add_string(d, "image_sha256", req->image_sha256) : 0;
}

static cJSON *digest_json(const struct mcr_signreq *req)
{
	cJSON *o = cJSON_CreateObject();

	if (o && (mcr_json_add_string(o, "alg", mcr_hash_name(req->spec.hash_alg)) < 0 ||
	          mcr_json_add_hex(o, "hex", req->digest, req->digest_len) < 0)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *tag_signer_json(const struct mcr_signresp *resp)
{
	cJSON *o = cJSON_CreateObject();

	if (o && (mcr_json_add_string(o, "format", resp->tag_signer_format) < 0 ||
	          mcr_json_add_string(o, "identity", resp->tag_signer_identity) < 0 ||
	          mcr_json_add_string(o, "key", resp->tag_signer_key) < 0)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *records_json(const struct mcr_signresp *resp)
{
	cJSON *list = cJSON_CreateArray();

	for (size_t i = 0; list && i < resp->builder_count; i++) {
		const struct mcr_signresp_builder *b = &resp->builders[i];
		cJSON *r = cJSON_CreateObject();

		if (!r || !cJSON_AddItemToArray(list, r) ||
		    mcr_json_add_string(r, "builder", b->builder) < 0 ||
		    mcr_json_add_string(r, "key", b->key) < 0 ||
		    mcr_json_add_string(r, "sha256", b->record_sha256) < 0 ||
		    mcr_json_add_string(r, "artifact", b->artifact) < 0) {
			cJSON_Delete(list);
			return NULL;
		}
	}
	return list;
}

static cJSON *image_json(const struct mcr_signreq *req)
{
	cJSON *o = cJSON_CreateObject();

	if (o && (mcr_json_add_string(o, "name", req->image_name) < 0 ||
	          mcr_json_add_int(o, "size", (long long)req->image_size) < 0 ||
	          mcr_json_add_string(o, "sha256", req->image_sha256) < 0)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int mcr_release_requested_body(cJSON **out, const struct mcr_signreq *req,
                               const struct mcr_signresp *resp, struct mcr_signer *signer,
                               bool is_local, long long previous_seq)
{
	char version[MCR_VERSION_TEXT_MAX];
	cJSON *d = cJSON_CreateObject(), *facts = cJSON_CreateObject();
	int ret;

	*out = NULL;
	mcr_version_format(version, &req->spec.version);
	if (!d || !facts || (ret = mcr_signer_describe(signer, facts)) < 0) {
		cJSON_Delete(d);
		cJSON_Delete(facts);
		return d && facts ? ret : mcr_error(MCR_ESYS, "out of memory");
	}
	if ((ret = add_common(d, req)) < 0 ||
	    (ret = mcr_json_add_string(d, "mode", is_local ? "local" : "remote")) < 0 ||
	    (ret = mcr_json_add_string(d, "product", req->product)) < 0 ||
	    (ret = mcr_json_add_string(d, "requester", req->requester)) < 0 ||
	    (ret = mcr_json_add_string(d, "tag_object", req->tag.tag_object)) < 0 ||
	    (ret = mcr_json_add_string(d, "commit", req->tag.commit)) < 0 ||
	    (ret = mcr_json_add_item(d, "tag_signer", tag_signer_json(resp))) < 0 ||
	    (ret = mcr_json_add_string(d, "version", version)) < 0 ||
	    (ret = mcr_json_add_item(d, "security_counter",
	                             req->spec.has_security_counter
	                                     ? cJSON_CreateNumber(req->spec.security_counter)
	                                     : cJSON_CreateNull())) < 0 ||
	    (ret = mcr_json_add_item(d, "image", image_json(req))) < 0 ||
	    (ret = mcr_json_add_item(d, "digest", digest_json(req))) < 0 ||
	    (ret = mcr_json_add_item(d, "records", records_json(resp))) < 0 ||
	    (ret = mcr_json_add_item(d, "signer", facts)) < 0 ||
	    (previous_seq && (ret = mcr_json_add_int(d, "previous_seq", previous_seq)) < 0)) {
		cJSON_Delete(d);
		return ret;
	}
	*out = d;
	return 0;
}

static cJSON *written_json(const char *name, const struct mcr_image_written *w)
{
	cJSON *o;

	if (!name || !w)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	if (o && (mcr_json_add_string(o, "name", name) < 0 ||
	          mcr_json_add_string(o, "sha256", w->sha256) < 0 ||
	          mcr_json_add_int(o, "size", (long long)w->size) < 0)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *signature_json(const struct mcr_signreq *req, const struct mcr_signresp *resp)
{
	struct mcr_buf b64 = MCR_BUF_INIT;
	char sha[65];
	cJSON *o = cJSON_CreateObject();

	if (!o || mcr_hash_sha256_hex(sha, resp->signature.data, resp->signature.len) < 0 ||
	    mcr_base64_encode(&b64, resp->signature.data, resp->signature.len, false) < 0 ||
	    mcr_json_add_int(o, "tlv", mcr_key_sig_tlv(req->key_type)) < 0 ||
	    mcr_json_add_int(o, "len", (long long)resp->signature.len) < 0 ||
	    mcr_json_add_string(o, "sha256", sha) < 0 ||
	    mcr_json_add_string(o, "base64", (char *)b64.data) < 0) {
		cJSON_Delete(o);
		o = NULL;
	}
	mcr_buf_release(&b64);
	return o;
}

static cJSON *key_json(const struct mcr_signresp *resp)
{
	cJSON *o = cJSON_CreateObject();

	if (o && (mcr_json_add_string(o, "name", resp->key_name) < 0 ||
	          mcr_json_add_string(o, "key_type", mcr_key_type_name(resp->key_type)) < 0 ||
	          mcr_json_add_string(o, "fingerprint", resp->key_fingerprint) < 0)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int mcr_release_completed_body(cJSON **out, const struct mcr_signreq *req,
                               const struct mcr_signresp *resp, const struct mcr_release_outputs *o)
{
	cJSON *d = cJSON_CreateObject();
	int ret;

	*out = NULL;
	if ((ret = add_common(d, req)) < 0 ||
	    (ret = mcr_json_add_int(d, "requested_seq", resp->requested_seq)) < 0 ||
	    (ret = mcr_json_add_string(d, "tag_object", req->tag.tag_object)) < 0 ||
	    (ret = mcr_json_add_item(d, "security_counter",
	                             req->spec.has_security_counter
	                                     ? cJSON_CreateNumber(req->spec.security_counter)
	                                     : cJSON_CreateNull())) < 0 ||
	    (ret = mcr_json_add_item(d, "digest", digest_json(req))) < 0 ||
	    (ret = mcr_json_add_item(d, "signature", signature_json(req, resp))) < 0 ||
	    (ret = mcr_json_add_item(d, "key", key_json(resp))) < 0 ||
	    (ret = mcr_json_add_item(d, "signed_image",
	                             written_json(o ? o->image_name : NULL, o ? o->image : NULL))) <
	            0 ||
	    (ret = mcr_json_add_item(d, "signed_hex",
	                             written_json(o ? o->hex_name : NULL, o ? o->hex : NULL))) <
	            0 ||
	    (ret = mcr_json_add_string(d, "provenance_sha256", o ? o->provenance_sha256 : NULL)) <
	            0) {
		cJSON_Delete(d);
		return ret;
	}
	*out = d;
	return 0;
}

int mcr_release_outcome_body(cJSON **out, const struct mcr_signreq *req, const char *stage,
                             const char *reason, const char *message)
{
	cJSON *d = cJSON_CreateObject();
	int ret;

	*out = NULL;
	if ((ret = add_common(d, req)) < 0 || (ret = mcr_json_add_string(d, "stage", stage)) < 0 ||
	    (ret = mcr_json_add_string(d, "reason", reason)) < 0 ||
	    (ret = mcr_json_add_string(d, "message", message)) < 0) {
		cJSON_Delete(d);
		return ret;
	}
	*out = d;
	return 0;
}
