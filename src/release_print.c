/* What the release commands print: a summary or a dry run's plan, JSON for scripts, timings. */
#include "release_print.h"

#include "buf.h"
#include "error.h"
#include "json.h"
#include "key.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

/* A signing host's summary: it signed a digest and answered; it wrote no image. */
static void print_host_text(const struct mcr_release_print *o, const struct mcr_release_report *r,
                            const char *version)
{
	printf("signed request %s: tag %s (commit %.12s), version %s, with '%s' (%s, key "
	       "%.16s)%s\n",
	       r->req.request_id, r->req.tag.name, r->req.tag.commit, version, r->resp.key_name,
	       mcr_key_type_name(r->resp.key_type), r->resp.key_fingerprint,
	       r->is_idempotent ? ", again: same image as before" : "");
	if (o->response_path)
		printf("response:    %s\n", o->response_path);
	printf("audit:       sign.%s seq %lld, sign.completed seq %lld%s\n",
	       r->is_idempotent ? "idempotent" : "requested", r->resp.requested_seq,
	       r->resp.completed_seq, r->resp.checkpoint ? ", covered by a signed checkpoint" : "");
}

/* A dry run's plan, or the summary of what was signed; a refusal was already said on stderr. */
static void print_text(const struct mcr_release_print *o, const struct mcr_release_report *r,
                       int ret)
{
	char version[MCR_VERSION_TEXT_MAX], digest[2 * MCR_HASH_MAX_LEN + 1];

	if (!r->has_request || (ret < 0 && !o->dry_run) || (ret < 0 && !r->req.digest_len))
		return;
	mcr_version_format(version, &r->req.spec.version);
	mcr_hex_encode(digest, r->req.digest, r->req.digest_len);
	if (o->dry_run) {
		printf("%s: tag %s (%.12s, commit %.12s), version %s\n",
		       ret < 0 ? "would refuse" : "would sign", r->req.tag.name,
		       r->req.tag.tag_object, r->req.tag.commit, version);
		printf("plan: %s digest %s of '%s' -> signer '%s' (%s, key %.16s)\n",
		       mcr_hash_name(r->req.spec.hash_alg), digest, r->req.image_name,
		       r->req.signer_name, mcr_key_type_name(r->req.key_type),
		       r->req.key_fingerprint);
		return;
	}
	if (!r->is_signed)
		return;
	if (!r->image_path[0]) {
		print_host_text(o, r, version);
		return;
	}
	printf("signed %s %s (tag %s, commit %.12s) with '%s' (%s, key %.16s)%s\n",
	       r->req.image_name, version, r->req.tag.name, r->req.tag.commit, r->resp.key_name,
	       mcr_key_type_name(r->resp.key_type), r->resp.key_fingerprint,
	       r->is_idempotent ? ", again: same image as before" : "");
	printf("image:       %s sha256 %s (%llu bytes)\n", r->image_path, r->outputs.image.sha256,
	       r->outputs.image.size);
	if (r->outputs.hex.size)
		printf("hex:         %s sha256 %s\n", o->hex_path, r->outputs.hex.sha256);
	printf("provenance:  %s\n", r->provenance_path);
	printf("audit:       sign.%s seq %lld, sign.completed seq %lld%s\n",
	       r->is_idempotent ? "idempotent" : "requested", r->resp.requested_seq,
	       r->resp.completed_seq, r->resp.checkpoint ? ", covered by a signed checkpoint" : "");
}

static const char *outcome_name(const struct mcr_release_print *o, int ret)
{
	if (o->dry_run)
		return ret ? "would_refuse" : "would_sign";
	return ret == 0 ? "signed" : ret == MCR_EREFUSED ? "refused" : "failed";
}

/* {path, sha256, size} of a written file, or null. */
static cJSON *file_json(const char *path, const struct mcr_image_written *w, bool written)
{
	cJSON *o;

	if (!written || !path || !*path)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	if (o && (mcr_json_add_string(o, "path", path) < 0 ||
	          mcr_json_add_string(o, "sha256", w->sha256) < 0 ||
	          mcr_json_add_int(o, "size", (long long)w->size) < 0)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* What the request says, once there is one: tag, version, digest, key. */
static int add_request_json(cJSON *obj, const struct mcr_release_report *r)
{
	char version[MCR_VERSION_TEXT_MAX];
	bool known = r->has_request && r->req.digest_len;
	int err;

	mcr_version_format(version, &r->req.spec.version);
	if ((err = mcr_json_add_string(obj, "tag", r->has_request ? r->req.tag.name : NULL)) < 0 ||
	    (err = mcr_json_add_string(obj, "tag_object", known ? r->req.tag.tag_object : NULL)) <
	            0 ||
	    (err = mcr_json_add_string(obj, "commit", known ? r->req.tag.commit : NULL)) < 0 ||
	    (err = mcr_json_add_string(obj, "version", known ? version : NULL)) < 0 ||
	    (err = mcr_json_add_item(obj, "security_counter",
	                             known && r->req.spec.has_security_counter
	                                     ? cJSON_CreateNumber(r->req.spec.security_counter)
	                                     : cJSON_CreateNull())) < 0 ||
	    (err = mcr_json_add_string(obj, "digest_alg",
	                               known ? mcr_hash_name(r->req.spec.hash_alg) : NULL)) < 0)
		return err;
	if (!known)
		return mcr_json_add_item(obj, "digest", cJSON_CreateNull());
	if ((err = mcr_json_add_hex(obj, "digest", r->req.digest, r->req.digest_len)) < 0 ||
	    (err = mcr_json_add_string(obj, "input_sha256", r->req.image_sha256)) < 0 ||
	    (err = mcr_json_add_string(obj, "signer", r->req.signer_name)) < 0)
		return err;
	return mcr_json_add_string(obj, "key_fingerprint", r->req.key_fingerprint);
}

/* Milliseconds to the microsecond: finer digits are noise to anyone reading timings. */
static cJSON *ms_json(double ms)
{
	return cJSON_CreateNumber((double)(long long)(ms * 1000.0 + 0.5) / 1000.0);
}

/* The result for scripts (schemas/sign-result.schema.json). */
static int print_json(const struct mcr_release_print *o, const struct mcr_release_report *r,
                      int ret)
{
	struct mcr_buf text = MCR_BUF_INIT;
	cJSON *obj = cJSON_CreateObject(), *timings = cJSON_CreateObject();
	const char *reason =
	        ret ? mcr_error_reason() ? mcr_error_reason() : mcr_error_name(ret) : NULL;
	int err;

	if ((err = mcr_json_add_string(obj, "outcome", outcome_name(o, ret))) < 0 ||
	    (err = mcr_json_add_int(obj, "exit_status", ret ? mcr_error_exit_status(ret) : 0)) <
	            0 ||
	    (err = mcr_json_add_string(obj, "reason", reason)) < 0 ||
	    (err = mcr_json_add_string(obj, "message", ret ? mcr_error_message() : NULL)) < 0 ||
	    (err = mcr_json_add_string(obj, "request_id",
	                               r->has_request ? r->req.request_id : NULL)) < 0 ||
	    (err = add_request_json(obj, r)) < 0 ||
	    (err = mcr_json_add_bool(obj, "idempotent", r->is_idempotent)) < 0 ||
	    (err = mcr_json_add_item(obj, "signed_image",
	                             file_json(r->image_path, &r->outputs.image, r->is_signed))) <
	            0 ||
	    (err = mcr_json_add_item(obj, "signed_hex",
	                             file_json(o->hex_path, &r->outputs.hex, r->is_signed))) < 0 ||
	    (err = mcr_json_add_string(obj, "provenance",
	                               r->is_signed && r->provenance_path[0] ? r->provenance_path
	                                                                     : NULL)) < 0 ||
	    (err = mcr_json_add_string(obj, "response",
	                               r->has_response ? o->response_path : NULL)) < 0 ||
	    (err = mcr_json_add_int(obj, "requested_seq", r->resp.requested_seq)) < 0 ||
	    (err = mcr_json_add_int(obj, "completed_seq", r->resp.completed_seq)) < 0) {
		cJSON_Delete(timings); /* not handed over yet: still ours */
		goto out;
	}
	if ((err = mcr_json_add_item(obj, "timings_ms", timings)) < 0) /* takes it, even failing */
		goto out;
	for (int i = 0; i < MCR_PHASE_COUNT && err == 0; i++)
		err = mcr_json_add_item(timings, mcr_release_phase_names[i],
		                        ms_json(r->phase_ms[i]));
	if (err == 0)
		err = mcr_json_add_item(timings, "total", ms_json(r->total_ms));
	if (err == 0 && (err = mcr_json_pretty(&text, obj)) == 0)
		fputs((char *)text.data, stdout);
out:
	cJSON_Delete(obj);
	mcr_buf_release(&text);
	return err;
}

static void print_timings(const struct mcr_release_report *r)
{
	for (int i = 0; i < MCR_PHASE_COUNT; i++)
		fprintf(stderr, "timing: %-9s %8.2f ms\n", mcr_release_phase_names[i],
		        r->phase_ms[i]);
	fprintf(stderr, "timing: %-9s %8.2f ms\n", "total", r->total_ms);
}

void mcr_release_print(const struct mcr_release_print *o, const struct mcr_release_report *r,
                       int ret)
{
	if (o->json)
		print_json(o, r, ret);
	else
		print_text(o, r, ret);
	if (o->timings)
		print_timings(r);
}
