/* The in-toto provenance statement written beside every signed image. */
#include "provenance.h"

#include "buf.h"
#include "error.h"
#include "hash.h"
#include "json.h"
#include "signreq.h"
#include "signresp.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static cJSON *digest_set(const char *alg, const char *hex)
{
	cJSON *d = cJSON_CreateObject();

	if (d && mcr_json_add_string(d, alg, hex) < 0) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

static cJSON *subjects_json(const struct mcr_provenance_subject *subjects, size_t count)
{
	cJSON *list = cJSON_CreateArray();

	for (size_t i = 0; list && i < count; i++) {
		cJSON *s = cJSON_CreateObject();

		if (!s || !cJSON_AddItemToArray(list, s) ||
		    mcr_json_add_string(s, "name", subjects[i].name) < 0 ||
		    mcr_json_add_item(s, "digest", digest_set("sha256", subjects[i].sha256)) < 0) {
			cJSON_Delete(list);
			return NULL;
		}
	}
	return list;
}

static cJSON *external_parameters(const struct mcr_signreq *req, const struct mcr_signresp *resp)
{
	char version[MCR_VERSION_TEXT_MAX];
	cJSON *p = cJSON_CreateObject(), *tag = cJSON_CreateObject(),
	      *signer = cJSON_CreateObject();
	cJSON *image = cJSON_CreateObject();

	mcr_version_format(version, &req->spec.version);
	if (!p || mcr_json_add_item(p, "tag", tag) < 0 ||
	    mcr_json_add_item(tag, "signer", signer) < 0 ||
	    mcr_json_add_item(p, "image", image) < 0 ||
	    mcr_json_add_string(tag, "name", req->tag.name) < 0 ||
	    mcr_json_add_string(tag, "object", req->tag.tag_object) < 0 ||
	    mcr_json_add_string(signer, "format", resp->tag_signer_format) < 0 ||
	    mcr_json_add_string(signer, "identity", resp->tag_signer_identity) < 0 ||
	    mcr_json_add_string(signer, "key", resp->tag_signer_key) < 0 ||
	    mcr_json_add_string(image, "name", req->image_name) < 0 ||
	    mcr_json_add_int(image, "size", (long long)req->image_size) < 0 ||
	    mcr_json_add_string(image, "sha256", req->image_sha256) < 0 ||
	    mcr_json_add_string(p, "version", version) < 0 ||
	    mcr_json_add_item(p, "security_counter",
	                      req->spec.has_security_counter
	                              ? cJSON_CreateNumber(req->spec.security_counter)
	                              : cJSON_CreateNull()) < 0) {
		cJSON_Delete(p);
		return NULL;
	}
	return p;
}

static cJSON *dependencies(const struct mcr_signreq *req, const struct mcr_signresp *resp)
{
	cJSON *list = cJSON_CreateArray(), *git = cJSON_CreateObject(), *d = cJSON_CreateObject();
	char uri[512];

	snprintf(uri, sizeof(uri), "git+tag:%s", req->tag.name);
	if (!list || !cJSON_AddItemToArray(list, git) || mcr_json_add_string(git, "uri", uri) < 0 ||
	    mcr_json_add_item(git, "digest", d) < 0 ||
	    mcr_json_add_string(d, "gitCommit", req->tag.commit) < 0 ||
	    mcr_json_add_string(d, "gitTag", req->tag.tag_object) < 0)
		goto fail;
	for (size_t i = 0; i < resp->builder_count; i++) {
		const struct mcr_signresp_builder *b = &resp->builders[i];
		cJSON *r = cJSON_CreateObject(), *a = cJSON_CreateObject();
		char name[512];

		snprintf(name, sizeof(name), "build-record:%s", b->builder ? b->builder : "");
		if (!r || !cJSON_AddItemToArray(list, r) ||
		    mcr_json_add_string(r, "name", name) < 0 ||
		    mcr_json_add_item(r, "digest", digest_set("sha256", b->record_sha256)) < 0 ||
		    mcr_json_add_item(r, "annotations", a) < 0 ||
		    mcr_json_add_string(a, "builder", b->builder) < 0 ||
		    mcr_json_add_string(a, "key", b->key) < 0 ||
		    mcr_json_add_string(a, "artifact", b->artifact) < 0)
			goto fail;
	}
	return list;
fail:
	cJSON_Delete(list);
	return NULL;
}

static cJSON *layout_parameters(const struct mcr_signreq *req)
{
	const struct mcr_image_spec *s = &req->spec;
	cJSON *p = cJSON_CreateObject();

	if (!p || mcr_json_add_string(p, "product", req->product) < 0 ||
	    mcr_json_add_string(p, "request_id", req->request_id) < 0 ||
	    mcr_json_add_int(p, "header_size", s->header_size) < 0 ||
	    mcr_json_add_bool(p, "pad_header", s->pad_header) < 0 ||
	    mcr_json_add_int(p, "slot_size", s->slot_size) < 0 ||
	    mcr_json_add_int(p, "align", s->align) < 0 || mcr_json_add_bool(p, "pad", s->pad) < 0 ||
	    mcr_json_add_bool(p, "confirm", s->confirm) < 0 ||
	    mcr_json_add_string(p, "hash_alg", mcr_hash_name(s->hash_alg)) < 0 ||
	    mcr_json_add_string(p, "public_key_format", s->full_public_key ? "full" : "hash") < 0) {
		cJSON_Delete(p);
		return NULL;
	}
	return p;
}

/* The sign.requested (or sign.idempotent) event, with what proves it is in the log: a checkpoint
 * and an inclusion proof. */
static cJSON *audit_byproduct(const struct mcr_signresp *resp)
{
	cJSON *b = cJSON_CreateObject(), *a = cJSON_CreateObject();
	const char *name =
	        resp->previous_seq ? "audit-event:sign.idempotent" : "audit-event:sign.requested";

	if (!b || mcr_json_add_string(b, "name", name) < 0 ||
	    mcr_json_add_item(b, "digest", digest_set("sha256", resp->requested_hash)) < 0 ||
	    mcr_json_add_item(b, "annotations", a) < 0 ||
	    mcr_json_add_string(a, "log_origin", resp->log_origin) < 0 ||
	    mcr_json_add_int(a, "seq", resp->requested_seq) < 0 ||
	    mcr_json_add_string(a, "checkpoint", resp->checkpoint) < 0 ||
	    mcr_json_add_item(a, "inclusion_proof",
	                      resp->inclusion_proof ? cJSON_Parse(resp->inclusion_proof)
	                                            : cJSON_CreateNull()) < 0) {
		cJSON_Delete(b);
		return NULL;
	}
	return b;
}

static cJSON *byproducts(const struct mcr_signreq *req, const struct mcr_signresp *resp)
{
	char digest[2 * MCR_HASH_MAX_LEN + 1], sig_sha[65];
	cJSON *list = cJSON_CreateArray(), *d = cJSON_CreateObject(), *s = cJSON_CreateObject();
	cJSON *a = cJSON_CreateObject();

	mcr_hex_encode(digest, req->digest, req->digest_len);
	if (mcr_hash_sha256_hex(sig_sha, resp->signature.data, resp->signature.len) < 0 || !list ||
	    !cJSON_AddItemToArray(list, d) ||
	    mcr_json_add_string(d, "name", "mcuboot-image-digest") < 0 ||
	    mcr_json_add_item(d, "digest", digest_set(mcr_hash_name(req->spec.hash_alg), digest)) <
	            0 ||
	    !cJSON_AddItemToArray(list, s) || mcr_json_add_string(s, "name", "signature") < 0 ||
	    mcr_json_add_item(s, "digest", digest_set("sha256", sig_sha)) < 0 ||
	    mcr_json_add_item(s, "annotations", a) < 0 ||
	    mcr_json_add_string(a, "key_name", resp->key_name) < 0 ||
	    mcr_json_add_string(a, "key_type", mcr_key_type_name(resp->key_type)) < 0 ||
	    mcr_json_add_string(a, "key_fingerprint", resp->key_fingerprint) < 0 ||
	    mcr_json_add_item(a, "signer",
	                      resp->signer_json ? cJSON_Parse(resp->signer_json)
	                                        : cJSON_CreateNull()) < 0 ||
	    !cJSON_AddItemToArray(list, audit_byproduct(resp))) {
		cJSON_Delete(list);
		return NULL;
	}
	return list;
}

static cJSON *run_details(const struct mcr_signreq *req, const struct mcr_signresp *resp)
{
	cJSON *r = cJSON_CreateObject(), *b = cJSON_CreateObject(), *v = cJSON_CreateObject();
	cJSON *m = cJSON_CreateObject();
	char id[256];

	snprintf(id, sizeof(id), "urn:mcurelease:signer:%s:%s", req->product,
	         resp->key_fingerprint);
	if (!r || mcr_json_add_item(r, "builder", b) < 0 || mcr_json_add_string(b, "id", id) < 0 ||
	    mcr_json_add_item(b, "version", v) < 0 ||
	    mcr_json_add_string(v, "mcurelease", req->mcurelease_version) < 0 ||
	    mcr_json_add_item(r, "metadata", m) < 0 ||
	    mcr_json_add_string(m, "invocationId", req->request_id) < 0 ||
	    mcr_json_add_string(m, "startedOn", req->created) < 0 ||
	    mcr_json_add_string(m, "finishedOn", resp->signed_at) < 0 ||
	    mcr_json_add_item(r, "byproducts", byproducts(req, resp)) < 0) {
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

int mcr_provenance_statement(struct mcr_buf *out, const struct mcr_signreq *req,
                             const struct mcr_signresp *resp,
                             const struct mcr_provenance_subject *subjects, size_t subject_count)
{
	cJSON *st = cJSON_CreateObject(), *pred = cJSON_CreateObject(), *def = cJSON_CreateObject();
	int ret;

	if ((ret = mcr_json_add_string(st, "_type", "https://in-toto.io/Statement/v1")) < 0 ||
	    (ret = mcr_json_add_item(st, "subject", subjects_json(subjects, subject_count))) < 0 ||
	    (ret = mcr_json_add_string(st, "predicateType", "https://slsa.dev/provenance/v1")) <
	            0 ||
	    (ret = mcr_json_add_item(st, "predicate", pred)) < 0 ||
	    (ret = mcr_json_add_item(pred, "buildDefinition", def)) < 0 ||
	    (ret = mcr_json_add_string(def, "buildType", MCR_PROVENANCE_BUILD_TYPE)) < 0 ||
	    (ret = mcr_json_add_item(def, "externalParameters", external_parameters(req, resp))) <
	            0 ||
	    (ret = mcr_json_add_item(def, "internalParameters", layout_parameters(req))) < 0 ||
	    (ret = mcr_json_add_item(def, "resolvedDependencies", dependencies(req, resp))) < 0 ||
	    (ret = mcr_json_add_item(pred, "runDetails", run_details(req, resp))) < 0)
		goto out;
	ret = mcr_json_pretty(out, st);
out:
	cJSON_Delete(st);
	return ret;
}
