/* The signing host's checks of a request: nothing in it is taken on trust. */
#include "release_checks.h"

#include "audit.h"
#include "buf.h"
#include "config.h"
#include "error.h"
#include "json.h"
#include "policy.h"
#include "signer.h"
#include "signreq.h"
#include "signresp.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int mcr_release_check_identity(const struct mcr_release_host *host, const struct mcr_signreq *req)
{
	const struct mcr_config *cfg = host->config;

	if (strcmp(req->product, cfg->product))
		return mcr_refuse("request.other_product",
		                  "request %s is for product '%s', this host signs '%s'",
		                  req->request_id, req->product, cfg->product);
	if (strcmp(req->signer_name, cfg->policy.release_signer))
		return mcr_refuse(
		        "request.other_signer",
		        "request %s asks for signer '%s', this host's release signer is '%s'",
		        req->request_id, req->signer_name, cfg->policy.release_signer);
	if (strcmp(req->key_fingerprint, mcr_signer_fingerprint(host->signer)))
		return mcr_refuse(
		        "request.other_key",
		        "request %s was laid out for key %.16s, signer '%s' holds key %.16s",
		        req->request_id, req->key_fingerprint, cfg->policy.release_signer,
		        mcr_signer_fingerprint(host->signer));
	return 0;
}

static int note_tag_signer(struct mcr_signresp *resp, const struct mcr_tag_verdict *v)
{
	free(resp->tag_signer_format);
	free(resp->tag_signer_identity);
	free(resp->tag_signer_key);
	resp->tag_signer_format = dup_or_null(mcr_tagsig_format_name(v->signer.format));
	resp->tag_signer_identity = dup_or_null(v->signer.identity);
	resp->tag_signer_key = dup_or_null(v->signer.key);
	return resp->tag_signer_format ? 0 : mcr_error(MCR_ESYS, "out of memory");
}

int mcr_release_check_tag(const struct mcr_release_host *host, const struct mcr_signreq *req,
                          struct mcr_signresp *resp)
{
	const struct mcr_tag_policy *policy = &host->config->policy.tag;
	struct mcr_tag_verdict v;
	int ret;

	/* With the repository, the ref must still name the very object the request carries. */
	if (host->repo_path || host->is_local)
		ret = mcr_policy_check_tag(&v, policy, host->repo_path, req->tag.name,
		                           !host->dry_run);
	else
		ret = mcr_policy_judge_tag(&v, policy, &req->tag, !host->dry_run);
	if (ret == 0 && strcmp(v.tag_object, req->tag.tag_object))
		ret = mcr_refuse("tag.moved",
		                 "tag '%s' is now tag object %.12s, the request was made for %.12s",
		                 req->tag.name, v.tag_object, req->tag.tag_object);
	if (ret == 0)
		ret = note_tag_signer(resp, &v);
	mcr_policy_verdict_release(&v);
	return ret;
}

static int note_builders(struct mcr_signresp *resp, const struct mcr_signreq *req,
                         const struct mcr_records_verdict *v)
{
	for (size_t i = 0; i < v->record_count && resp->builder_count < MCR_SIGNRESP_MAX_BUILDERS;
	     i++) {
		const struct mcr_record_verdict *r = &v->records[i];
		struct mcr_signresp_builder *b = &resp->builders[resp->builder_count];

		if (!r->is_counted)
			continue;
		resp->builder_count++;
		b->builder = dup_or_null(r->builder_id);
		b->key = dup_or_null(r->builder_key);
		b->artifact = dup_or_null(r->artifact);
		if (mcr_hash_sha256_hex(b->record_sha256, req->records[i].data.data,
		                        req->records[i].data.len) < 0)
			return MCR_ESYS;
	}
	return 0;
}

int mcr_release_check_records(const struct mcr_release_host *host, const struct mcr_signreq *req,
                              struct mcr_signresp *resp)
{
	struct mcr_records_input inputs[MCR_SIGNREQ_MAX_RECORDS];
	struct mcr_records_target target = {0};
	struct mcr_records_verdict v;
	char digest[2 * MCR_HASH_MAX_LEN + 1];
	int ret;

	for (size_t i = 0; i < req->record_count; i++)
		inputs[i] = (struct mcr_records_input){
		        req->records[i].name, req->records[i].data.data, req->records[i].data.len};
	mcr_hex_encode(digest, req->digest, req->digest_len);
	target.tag_name = req->tag.name;
	target.repo_path = host->repo_path;
	/* without the repository, the tag ids come from the (already verified) tag object */
	target.tag_object = host->repo_path || host->is_local ? NULL : req->tag.tag_object;
	target.commit = host->repo_path || host->is_local ? NULL : req->tag.commit;
	/* A signing host never sees the image: only the digest the builders recorded vouches for
	 * what it signs; the image's SHA-256 in a request is the runner's word. */
	target.image_sha256 = host->is_local ? req->image_sha256 : NULL;
	target.mcuboot_digest = digest;
	mcr_policy_records_init(&v);
	ret = mcr_policy_check_records(&v, &host->config->policy.builders, &target, inputs,
	                               req->record_count);
	if (ret == 0)
		ret = note_builders(resp, req, &v);
	mcr_policy_records_release(&v);
	return ret;
}

int mcr_release_check_key(const struct mcr_release_host *host)
{
	const struct mcr_policy *p = &host->config->policy;
	enum mcr_key_type type = mcr_key_type(mcr_signer_key(host->signer));
	const char *name = mcr_key_type_name(type);
	bool allowed = !p->allowed_algorithms;

	if (mcr_signer_is_dev(host->signer) && !p->allow_dev_keys)
		return mcr_refuse("policy.dev_key",
		                  "signer '%s' holds a development key (%s backend); release "
		                  "policy never lets one sign",
		                  mcr_signer_name(host->signer),
		                  mcr_signer_backend_name(host->signer));
	for (const char *const *a = p->allowed_algorithms; a && *a; a++)
		allowed |= !strcmp(*a, name);
	if (!allowed)
		return mcr_refuse("policy.algorithm",
		                  "release policy does not allow %s keys (signer '%s')", name,
		                  mcr_signer_name(host->signer));
	if (mcr_key_strength_bits(type) < p->min_strength_bits)
		return mcr_refuse("policy.weak_key",
		                  "%s keys give %u bits of security; release policy wants %u", name,
		                  mcr_key_strength_bits(type), p->min_strength_bits);
	return 0;
}

int mcr_release_check_layout(const struct mcr_release_host *host, const struct mcr_signreq *req)
{
	const struct mcr_config *cfg = host->config;
	struct mcr_image_spec expected;
	struct mcr_version version;
	int ret;

	if ((ret = mcr_policy_tag_version(&version, req->tag.name, cfg->policy.tag.pattern)) < 0)
		return ret;
	if (version.major != req->spec.version.major || version.minor != req->spec.version.minor ||
	    version.revision != req->spec.version.revision ||
	    version.build != req->spec.version.build)
		return mcr_refuse("image.version",
		                  "request %s lays the image out as version %u.%u.%u+%lu, tag '%s' "
		                  "says otherwise",
		                  req->request_id, req->spec.version.major, req->spec.version.minor,
		                  req->spec.version.revision, req->spec.version.build,
		                  req->tag.name);
	if ((ret = mcr_signreq_layout(&expected, cfg, &version, mcr_signer_key(host->signer))) < 0)
		return ret;
	if (expected.has_security_counter != req->spec.has_security_counter ||
	    expected.security_counter != req->spec.security_counter)
		return mcr_refuse("image.security_counter",
		                  "request %s carries security counter %u%s, this host's policy "
		                  "'%s' gives %u",
		                  req->request_id, req->spec.security_counter,
		                  req->spec.has_security_counter ? "" : " (none)",
		                  cfg->policy.security_counter, expected.security_counter);
	if (expected.hash_alg != req->spec.hash_alg)
		return mcr_refuse("image.hash", "request %s hashes with %s, key %s wants %s",
		                  req->request_id, mcr_hash_name(req->spec.hash_alg),
		                  mcr_key_type_name(req->key_type),
		                  mcr_hash_name(expected.hash_alg));
	return 0;
}

/*
 * What the log says about earlier signatures: of this tag, and of any security counter.
 * "The same image" is the same digest, the bytes the signature covers: the image's own SHA-256
 * in a request comes from the runner, and a host takes nothing on the runner's word.
 */
struct history {
	const struct mcr_signreq *req;
	char digest_hex[2 * MCR_HASH_MAX_LEN + 1]; /* the request's digest */
	long long same_bytes_seq;   /* a completed signature of this tag for the same image */
	long long other_bytes_seq;  /* ... for another image */
	long long other_object_seq; /* ... as another tag object */
	char other_object[65];
	long long max_counter; /* highest security counter signed, -1 if none */
	long long max_counter_seq;
};

static int visit_completed(void *ctx, const struct mcr_audit_event *event)
{
	struct history *h = ctx;
	cJSON *body = cJSON_ParseWithLength(event->body, event->body_len);
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(body, "data");
	const cJSON *tag = cJSON_GetObjectItemCaseSensitive(d, "tag");
	const cJSON *digest = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(d, "digest"), "hex");
	const cJSON *object = cJSON_GetObjectItemCaseSensitive(d, "tag_object");
	const cJSON *counter = cJSON_GetObjectItemCaseSensitive(d, "security_counter");

	if (cJSON_IsNumber(counter) && counter->valuedouble > (double)h->max_counter) {
		h->max_counter = (long long)counter->valuedouble;
		h->max_counter_seq = event->seq;
	}
	if (cJSON_IsString(tag) && !strcmp(tag->valuestring, h->req->tag.name)) {
		if (cJSON_IsString(object) && strcmp(object->valuestring, h->req->tag.tag_object)) {
			h->other_object_seq = event->seq;
			snprintf(h->other_object, sizeof(h->other_object), "%s",
			         object->valuestring);
		} else if (cJSON_IsString(digest) && !strcmp(digest->valuestring, h->digest_hex)) {
			h->same_bytes_seq = event->seq;
		} else {
			h->other_bytes_seq = event->seq;
		}
	}
	cJSON_Delete(body);
	return 0;
}

int mcr_release_check_history(const struct mcr_release_host *host, const struct mcr_signreq *req,
                              long long *previous_seq, const char **stage)
{
	struct mcr_audit_filter filter = {0};
	struct history h = {req, "", 0, 0, 0, "", -1, 0};
	int ret;

	mcr_hex_encode(h.digest_hex, req->digest, req->digest_len);

	*previous_seq = 0;
	*stage = "log";
	filter.kind = "sign.completed";
	if ((ret = mcr_audit_foreach(host->log, &filter, visit_completed, &h)) < 0)
		return ret;
	*stage = "resign";
	if (h.other_object_seq)
		return mcr_refuse(
		        "tag.moved",
		        "tag '%s' was signed as tag object %.12s (audit seq %lld); it is now %.12s",
		        req->tag.name, h.other_object, h.other_object_seq, req->tag.tag_object);
	if (h.other_bytes_seq)
		return mcr_refuse("policy.tag_resigned",
		                  "tag '%s' was already signed for another image (audit seq %lld); "
		                  "a release tag is signed for one image only",
		                  req->tag.name, h.other_bytes_seq);
	*stage = "security_counter";
	if (req->spec.has_security_counter && (long long)req->spec.security_counter < h.max_counter)
		return mcr_refuse("policy.security_counter_rollback",
		                  "security counter %u of '%s' is below %lld, signed before (audit "
		                  "seq %lld): devices would roll back",
		                  req->spec.security_counter, req->tag.name, h.max_counter,
		                  h.max_counter_seq);
	*previous_seq = h.same_bytes_seq;
	return 0;
}
