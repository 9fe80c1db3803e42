/* mcurelease sign: the release job a tag-triggered CI job runs. */
#include "buf.h"
#include "cli.h"
#include "error.h"
#include "json.h"
#include "release_job.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

enum {
	OPT_TAG = MCR_OPT_FIRST, OPT_OUTPUT, OPT_HEX, OPT_HEX_ADDR, OPT_PROVENANCE, OPT_CONFIG,
	OPT_REPO, OPT_ACTOR, OPT_DRY_RUN, OPT_JSON, OPT_TIMINGS,
};

struct sign_opts {
	struct mcr_release_job job;
	bool json, timings;
};

static int sign_option(void *ctx, int id, const char *arg, const char *arg2)
{
	struct sign_opts *o = ctx;
	unsigned long long n;
	int ret;

	(void)arg2;
	switch (id) {
	case OPT_TAG: o->job.tag = arg; break;
	case OPT_OUTPUT: o->job.output = arg; break;
	case OPT_HEX: o->job.hex_output = arg; break;
	case OPT_PROVENANCE: o->job.provenance = arg; break;
	case OPT_CONFIG: o->job.config_path = arg; break;
	case OPT_REPO: o->job.repo_path = arg; break;
	case OPT_ACTOR: o->job.actor = arg; break;
	case OPT_DRY_RUN: o->job.dry_run = true; break;
	case OPT_JSON: o->json = true; break;
	case OPT_TIMINGS: o->timings = true; break;
	case OPT_HEX_ADDR:
		if ((ret = mcr_cli_parse_number(&n, arg, 0xffffffffULL, "--hex-addr")) < 0)
			return ret;
		o->job.has_hex_addr = true;
		o->job.hex_addr = (uint32_t)n;
		break;
	}
	return 0;
}

/* A dry run's plan, or the summary of what was signed; a refusal was already said on stderr. */
static void print_text(const struct sign_opts *o, const struct mcr_release_report *r, int ret)
{
	char version[MCR_VERSION_TEXT_MAX], digest[2 * MCR_HASH_MAX_LEN + 1];

	if (!r->has_request || (ret < 0 && !o->job.dry_run) || (ret < 0 && !r->req.digest_len))
		return;
	mcr_version_format(version, &r->req.spec.version);
	mcr_hex_encode(digest, r->req.digest, r->req.digest_len);
	if (o->job.dry_run) {
		printf("%s: tag %s (%.12s, commit %.12s), version %s\n", ret < 0 ? "would refuse" : "would sign",
		       r->req.tag.name, r->req.tag.tag_object, r->req.tag.commit, version);
		printf("plan: %s digest %s of '%s' -> signer '%s' (%s, key %.16s)\n",
		       mcr_hash_name(r->req.spec.hash_alg), digest, r->req.image_name, r->req.signer_name,
		       mcr_key_type_name(r->req.key_type), r->req.key_fingerprint);
		return;
	}
	if (!r->is_signed)
		return;
	printf("signed %s %s (tag %s, commit %.12s) with '%s' (%s, key %.16s)%s\n", r->req.image_name,
	       version, r->req.tag.name, r->req.tag.commit, r->resp.key_name,
	       mcr_key_type_name(r->resp.key_type), r->resp.key_fingerprint,
	       r->is_idempotent ? ", again: same image as before" : "");
	printf("image:       %s sha256 %s (%llu bytes)\n", r->image_path, r->outputs.image.sha256,
	       r->outputs.image.size);
	if (r->outputs.hex.size)
		printf("hex:         %s sha256 %s\n", o->job.hex_output, r->outputs.hex.sha256);
	printf("provenance:  %s\n", r->provenance_path);
	printf("audit:       sign.%s seq %lld, sign.completed seq %lld%s\n",
	       r->is_idempotent ? "idempotent" : "requested", r->resp.requested_seq, r->resp.completed_seq,
	       r->resp.checkpoint ? ", covered by a signed checkpoint" : "");
}

static const char *outcome_name(const struct sign_opts *o, int ret)
{
	if (o->job.dry_run)
		return ret ? "would_refuse" : "would_sign";
	return ret == 0 ? "signed" : ret == MCR_EREFUSED ? "refused" : "failed";
}

/* {path, sha256, size} of a written file, or null. */
static cJSON *file_json(const char *path, const struct mcr_image_written *w, bool written)
{
	cJSON *o;

	if (!written || !path)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	if (o && (mcr_json_add_string(o, "path", path) < 0 || mcr_json_add_string(o, "sha256", w->sha256) < 0 ||
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
	    (err = mcr_json_add_string(obj, "tag_object", known ? r->req.tag.tag_object : NULL)) < 0 ||
	    (err = mcr_json_add_string(obj, "commit", known ? r->req.tag.commit : NULL)) < 0 ||
	    (err = mcr_json_add_string(obj, "version", known ? version : NULL)) < 0 ||
	    (err = mcr_json_add_item(obj, "security_counter", known && r->req.spec.has_security_counter ?
				     cJSON_CreateNumber(r->req.spec.security_counter) : cJSON_CreateNull())) < 0 ||
	    (err = mcr_json_add_string(obj, "digest_alg", known ? mcr_hash_name(r->req.spec.hash_alg) : NULL)) < 0)
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
static int print_json(const struct sign_opts *o, const struct mcr_release_report *r, int ret)
{
	struct mcr_buf text = MCR_BUF_INIT;
	cJSON *obj = cJSON_CreateObject(), *timings = cJSON_CreateObject();
	const char *reason = ret ? mcr_error_reason() ? mcr_error_reason() : mcr_error_name(ret) : NULL;
	int err;

	if ((err = mcr_json_add_string(obj, "outcome", outcome_name(o, ret))) < 0 ||
	    (err = mcr_json_add_int(obj, "exit_status", ret ? mcr_error_exit_status(ret) : 0)) < 0 ||
	    (err = mcr_json_add_string(obj, "reason", reason)) < 0 ||
	    (err = mcr_json_add_string(obj, "message", ret ? mcr_error_message() : NULL)) < 0 ||
	    (err = mcr_json_add_string(obj, "request_id", r->has_request ? r->req.request_id : NULL)) < 0 ||
	    (err = add_request_json(obj, r)) < 0 ||
	    (err = mcr_json_add_bool(obj, "idempotent", r->is_idempotent)) < 0 ||
	    (err = mcr_json_add_item(obj, "signed_image", file_json(r->image_path, &r->outputs.image, r->is_signed))) < 0 ||
	    (err = mcr_json_add_item(obj, "signed_hex", file_json(o->job.hex_output, &r->outputs.hex, r->is_signed))) < 0 ||
	    (err = mcr_json_add_string(obj, "provenance", r->is_signed ? r->provenance_path : NULL)) < 0 ||
	    (err = mcr_json_add_int(obj, "requested_seq", r->resp.requested_seq)) < 0 ||
	    (err = mcr_json_add_int(obj, "completed_seq", r->resp.completed_seq)) < 0 ||
	    (err = mcr_json_add_item(obj, "timings_ms", timings)) < 0)
		goto out;
	for (int i = 0; i < MCR_PHASE_COUNT && err == 0; i++)
		err = mcr_json_add_item(timings, mcr_release_phase_names[i], ms_json(r->phase_ms[i]));
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
		fprintf(stderr, "timing: %-9s %8.2f ms\n", mcr_release_phase_names[i], r->phase_ms[i]);
	fprintf(stderr, "timing: %-9s %8.2f ms\n", "total", r->total_ms);
}

int mcr_cmd_sign(int argc, char **argv)
{
	static const struct mcr_option options[] = {
		{"tag", 't', "NAME", "the release tag (required)", OPT_TAG, false},
		{"output", 'o', "FILE", "signed image (default: IMAGE with .signed before the extension)", OPT_OUTPUT, false},
		{"hex", 0, "FILE", "also write the signed image as Intel HEX", OPT_HEX, false},
		{"hex-addr", 0, "ADDR", "base address of HEX output from a binary image", OPT_HEX_ADDR, false},
		{"provenance", 0, "FILE", "in-toto statement (default: OUTPUT.intoto.json)", OPT_PROVENANCE, false},
		{"config", 0, "FILE", "config file (default: $MCURELEASE_CONFIG, then the repository's mcurelease.json)", OPT_CONFIG, false},
		{"repo", 0, "PATH", "the repository (default: around the current directory)", OPT_REPO, false},
		{"actor", 0, "WHO", "who asks, for the audit log (default: CI job or user@host)", OPT_ACTOR, false},
		{"dry-run", 'n', NULL, "check everything and print the plan; record and sign nothing", OPT_DRY_RUN, false},
		{"json", 0, NULL, "print the result as JSON", OPT_JSON, false},
		{"timings", 0, NULL, "print each phase's duration on standard error", OPT_TIMINGS, false},
		{NULL, 0, NULL, NULL, 0, false},
	};
	static const struct mcr_cli_spec spec = {
		"sign", "--tag NAME [options] IMAGE [RECORD...]",
		"Sign IMAGE for release tag NAME: check the tag's signature and the build records, record\n"
		"the request in the audit log, have the release signer sign the image digest, verify the\n"
		"signature, write the signed image and its provenance, and record the result.\n"
		"Exit 0 signed, 1 refused (with the reason), 3/4/5/6 could not sign (docs/exit-status.md).",
		options, 1, 1 + 32,
	};
	struct sign_opts o;
	struct mcr_release_report report;
	int first, ret;

	memset(&o, 0, sizeof(o));
	if ((ret = mcr_cli_parse(&spec, argc, argv, sign_option, &o, &first)) != 0)
		return ret > 0 ? 0 : ret;
	if (!o.job.tag)
		return mcr_error(MCR_EUSAGE, "'sign' needs --tag NAME");
	o.job.image = argv[first];
	o.job.records = (const char *const *)argv + first + 1;
	o.job.record_count = (size_t)(argc - first - 1);
	ret = mcr_release_job_run(&o.job, &report);
	if (o.json)
		print_json(&o, &report, ret);
	else
		print_text(&o, &report, ret);
	if (o.timings)
		print_timings(&report);
	mcr_release_report_release(&report);
	return ret;
}
