/*
 * mcurelease verify: the image's signature, its release in the log (or a bundle, or the
 * provenance alone), the proof, the very signature, the provenance, the tag; then the verdict:
 * the first check that failed, in that order, decides.
 */
#include "verify.h"

#include "buf.h"
#include "checkpoint.h"
#include "cli.h"
#include "config.h"
#include "error.h"
#include "fileio.h"
#include "key.h"
#include "verify_audit.h"
#include "verify_bundle.h"
#include "verify_keys.h"
#include "verify_provenance.h"
#include "verify_run.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const mcr_verify_check_names[MCR_VERIFY_CHECK_COUNT] = {
        "image", "log", "proof", "record", "signature", "provenance", "tag",
};

const char *mcr_verify_status_name(enum mcr_verify_status status)
{
	return status == MCR_VERIFY_PASSED   ? "passed"
	       : status == MCR_VERIFY_FAILED ? "failed"
	                                     : "skipped";
}

int mcr_verify_check_set(struct mcr_verify_check *check, enum mcr_verify_status status,
                         const char *reason, const char *fmt, ...)
{
	char *detail = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&detail, fmt, ap);
	va_end(ap);
	if (n < 0)
		return mcr_error(MCR_ESYS, "out of memory");
	free(check->detail);
	check->detail = detail;
	check->status = status;
	check->reason = status == MCR_VERIFY_FAILED ? reason : NULL;
	return 0;
}

static void run_release(struct run *r)
{
	mcr_config_free(r->config);
	mcr_verify_keys_release(&r->keys);
	mcr_key_free(r->log_key);
	free(r->origin);
	mcr_verify_provenance_release(&r->prov);
	free(r->held_message);
}

/*
 * An unusable provenance or repository: its check says why it was not done, and the error waits
 * until every other check has had its say. A junk file beside a rogue image must not turn the
 * alarm into "could not check"; when nothing else decides, the error is the answer after all.
 */
int mcr_verify_hold(struct run *r, struct mcr_verify_check *check, int code)
{
	char *message;
	int ret;

	if (code != MCR_EINPUT)
		return code;
	if (!(message = strdup(mcr_error_message())))
		return mcr_error(MCR_ESYS, "out of memory");
	mcr_error_clear();
	ret = mcr_verify_check_set(check, MCR_VERIFY_SKIPPED, NULL, "not checked: %s", message);
	if (!r->held) {
		r->held = code;
		r->held_message = message;
		message = NULL;
	}
	free(message);
	return ret;
}

/* The held error, raised again: nothing else could decide. */
int mcr_verify_raise_held(const struct run *r)
{
	return mcr_error(r->held, "%s", r->held_message);
}

static int setup(struct run *r)
{
	const struct mcr_verify_opts *o = r->o;
	struct mcr_buf origin = MCR_BUF_INIT;
	int ret;

	if (o->audit_db && o->bundle)
		return mcr_error(MCR_EUSAGE, "'verify' takes --audit or --bundle, not both");
	if ((ret = mcr_config_load_optional(&r->config, o->config_path)) < 0 ||
	    (ret = mcr_verify_keys_log(&r->log_key, r->config, o->log_key_path)) < 0)
		return ret;
	if (o->image &&
	    (ret = mcr_verify_keys_load(&r->keys, r->config, o->key_paths, o->key_count)) < 0)
		return ret;
	if (o->image && !r->keys.count)
		return mcr_error(MCR_EINPUT,
		                 "no trusted public key to check image '%s' with: give "
		                 "--key or a config whose signers pin their public keys",
		                 o->image);
	if (!r->log_key)
		return mcr_error(MCR_EUSAGE,
		                 "'verify' needs the log's public key to trust any "
		                 "record: give --log-key or a config with audit.log_signer");
	if (r->config && (ret = mcr_checkpoint_origin(&origin, r->config->product,
	                                              r->config->audit.log_id)) == 0)
		r->origin = (char *)mcr_buf_detach(&origin, NULL);
	mcr_buf_release(&origin);
	return ret;
}

/* An image refusal as a verdict: who signed it is unknown, or it does not verify at all. */
static const char *image_reason(const char *reason)
{
	if (!strcmp(reason, "image.unknown_key"))
		return "verify.unknown_key";
	if (!strcmp(reason, "image.unsigned") || !strcmp(reason, "image.no_key_tlv"))
		return "verify.unsigned";
	return "verify.bad_signature";
}

static int inspect_image(struct run *r)
{
	struct mcr_verify_report *rep = r->rep;
	const struct mcr_verify_image *img = &rep->image;
	int ret;

	if (!(rep->image_path = strdup(r->o->image)))
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_verify_image_check(&rep->image, r->o->image, &r->keys)) < 0)
		return ret;
	snprintf(r->query.digest_hex, sizeof(r->query.digest_hex), "%s", img->digest_hex);
	snprintf(r->query.signature_sha256, sizeof(r->query.signature_sha256), "%s",
	         img->signature_sha256);
	snprintf(r->query.signature_twin_sha256, sizeof(r->query.signature_twin_sha256), "%s",
	         img->signature_twin_sha256);
	if (img->reason[0])
		return mcr_verify_check_set(&rep->checks[MCR_VERIFY_IMAGE], MCR_VERIFY_FAILED,
		                            image_reason(img->reason), "%s (%s)", img->message,
		                            img->reason);
	return mcr_verify_check_set(
	        &rep->checks[MCR_VERIFY_IMAGE], MCR_VERIFY_PASSED, NULL,
	        "image '%s' %s is signed by trusted key '%s'%s (%s)", r->o->image, img->version,
	        img->key_name, img->key_is_dev ? ", a development key" : "", img->key_fingerprint);
}

/* --hash: an MCUboot digest (SHA-256/384/512) or a signed file's SHA-256, either case. */
static int take_hash(struct run *r)
{
	const char *h = r->o->hash;
	size_t n = strlen(h);

	if ((n != 64 && n != 96 && n != 128) || strspn(h, "0123456789abcdefABCDEF") != n)
		return mcr_error(MCR_EUSAGE,
		                 "--hash '%s' is not a SHA-256, SHA-384 or SHA-512 in hex", h);
	for (size_t i = 0; i <= n; i++)
		r->rep->hash[i] = (char)tolower((unsigned char)h[i]);
	snprintf(r->query.digest_hex, sizeof(r->query.digest_hex), "%s", r->rep->hash);
	if (n == 64)
		memcpy(r->query.file_sha256, r->rep->hash, sizeof(r->query.file_sha256));
	return mcr_verify_check_set(&r->rep->checks[MCR_VERIFY_IMAGE], MCR_VERIFY_SKIPPED, NULL,
	                            "no image (--hash): no signature to check; the verdict rests "
	                            "on the record and its proof");
}

/* --provenance, else IMAGE.intoto.json beside the image when there is one. */
static int read_provenance(struct run *r)
{
	struct mcr_buf path = MCR_BUF_INIT;
	int ret = 0;

	if (r->o->provenance)
		ret = mcr_buf_add_str(&path, r->o->provenance);
	else if (r->o->image && (ret = mcr_buf_addf(&path, "%s.intoto.json", r->o->image)) == 0 &&
	         !mcr_fileio_exists((char *)path.data))
		mcr_buf_truncate(&path, 0);
	if (ret < 0 || !path.len)
		goto out;
	if ((ret = mcr_verify_provenance_read(&r->prov, (char *)path.data, r->log_key, r->origin)) <
	    0) {
		mcr_verify_provenance_release(&r->prov);
		r->is_prov_unusable = true;
		ret = mcr_verify_hold(r, &r->rep->checks[MCR_VERIFY_PROVENANCE], ret);
		goto out;
	}
	r->has_prov = true;
	r->rep->provenance_path = (char *)mcr_buf_detach(&path, NULL);
out:
	mcr_buf_release(&path);
	return ret;
}

/* The provenance's signing time, once it is known to be about this release. */
int mcr_verify_keep_signed_at(struct run *r)
{
	if (r->prov.finished_on && !(r->rep->claimed_signed_at = strdup(r->prov.finished_on)))
		return mcr_error(MCR_ESYS, "out of memory");
	return 0;
}

int mcr_verify_copy_check(struct mcr_verify_check *to, const struct mcr_verify_check *from)
{
	return mcr_verify_check_set(to, from->status, from->reason, "%s",
	                            from->detail ? from->detail : "");
}

/* Whether the provenance is about the image (or --hash): its digest, or a signed file of it. */
static const char *provenance_match(const struct run *r)
{
	/*
	 * Only the digest is proven (it is in the logged request the proof covers). The signed
	 * files' SHA-256s are the statement's own claim: anyone can add a subject, so offline a
	 * file's hash never finds a release.
	 */
	if (r->query.digest_hex[0] && !strcmp(r->prov.digest_hex, r->query.digest_hex))
		return "mcuboot_digest";
	return NULL;
}

/* Offline: the provenance's proven request is the record, its proof the log's. */
static int from_provenance(struct run *r)
{
	struct mcr_verify_report *rep = r->rep;
	int ret;

	rep->source = MCR_VERIFY_PROVENANCE_ONLY;
	if (!(rep->source_path = strdup(rep->provenance_path)) ||
	    (r->prov.checkpoint_origin &&
	     !(rep->checkpoint_origin = strdup(r->prov.checkpoint_origin))))
		return mcr_error(MCR_ESYS, "out of memory");
	rep->checkpoint_size = r->prov.checkpoint_size;
	if ((ret = mcr_verify_check_set(
	             &rep->checks[MCR_VERIFY_LOG], MCR_VERIFY_SKIPPED, NULL,
	             "no audit log or bundle: offline, the provenance's inclusion "
	             "proof stands for the log")) < 0 ||
	    (ret = mcr_verify_copy_check(&rep->checks[MCR_VERIFY_PROOF], &r->prov.proof)) < 0)
		return ret;
	if ((rep->record.matched_by = provenance_match(r)) && r->prov.request.seq) {
		rep->record.request = r->prov.request;
		rep->record.request_count = 1;
		memset(&r->prov.request, 0, sizeof(r->prov.request));
		return mcr_verify_keep_signed_at(r);
	}
	return 0;
}

/* The log to use: --audit, else the config's, unless that is not on this machine and a
 * provenance can stand in for it. */
static const char *audit_path(const struct run *r)
{
	const char *db;

	if (r->o->audit_db)
		return r->o->audit_db;
	if (r->o->bundle || !r->config || !(db = r->config->audit.database))
		return NULL;
	if (!mcr_fileio_exists(db) && r->has_prov) {
		mcr_cli_info("audit log '%s' is not here: checking against the provenance alone",
		             db);
		return NULL;
	}
	return db;
}

static int check_source(struct run *r)
{
	struct mcr_verify_report *rep = r->rep;
	const struct mcr_audit_config *ac = r->config ? &r->config->audit : NULL;
	bool is_anchor = r->has_prov && r->prov.proof.status == MCR_VERIFY_PASSED;
	struct mcr_verify_audit_opts ao = {
	        .path = audit_path(r),
	        .log_key = r->log_key,
	        .origin = r->origin,
	        .anchor_note = is_anchor ? r->prov.note : NULL,
	        .anchor_subject = rep->provenance_path,
	        .checkpoint_file = ac ? ac->checkpoint_file : NULL,
	        .checkpoint_ref = ac ? ac->checkpoint_ref : NULL,
	        .repo = r->config ? r->config->dir : NULL,
	};
	const char *what = ao.path ? ao.path : r->o->bundle;

	if (what && !(rep->source_path = strdup(what)))
		return mcr_error(MCR_ESYS, "out of memory");
	if (ao.path) {
		rep->source = MCR_VERIFY_AUDIT;
		return mcr_verify_audit_check(rep, &ao, &r->query);
	}
	if (r->o->bundle) {
		rep->source = MCR_VERIFY_BUNDLE;
		return mcr_verify_bundle_check(rep, r->o->bundle, r->log_key, r->origin, &r->query);
	}
	if (r->has_prov)
		return from_provenance(r);
	if (r->held) /* the provenance was to stand in for the log, and cannot */
		return mcr_verify_raise_held(r);
	return mcr_error(MCR_EINPUT,
	                 "nothing to look '%s' up in: give --audit, --bundle or "
	                 "--provenance, or run where a config names the audit log",
	                 r->o->image ? r->o->image : r->rep->hash);
}

/*
 * Finds the record. When the image itself already failed, the verdict is
 * made: a source that cannot be read only loses the context it would add.
 */
static int look_up(struct run *r)
{
	struct mcr_verify_check *log = &r->rep->checks[MCR_VERIFY_LOG];
	int ret;

	if (!r->query.digest_hex[0])
		return mcr_verify_check_set(log, MCR_VERIFY_SKIPPED, NULL,
		                            "the image does not verify: its digest says nothing");
	if ((ret = read_provenance(r)) == 0)
		ret = check_source(r);
	if (ret == 0 && !r->rep->record.request.seq && !r->rep->checks[MCR_VERIFY_PROOF].detail)
		ret = mcr_verify_check_set(&r->rep->checks[MCR_VERIFY_PROOF], MCR_VERIFY_SKIPPED,
		                           NULL, "nothing recorded to prove");
	if (ret < 0 && r->rep->checks[MCR_VERIFY_IMAGE].status == MCR_VERIFY_FAILED) {
		r->rep->source = MCR_VERIFY_NO_SOURCE; /* nothing was looked up after all */
		ret = mcr_verify_check_set(log, MCR_VERIFY_SKIPPED, NULL, "not looked up: %s",
		                           mcr_error_message());
		mcr_error_clear();
	}
	return ret;
}

int mcr_verify_run(const struct mcr_verify_opts *o, struct mcr_verify_report *out)
{
	struct run r = {.o = o, .rep = out};
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = setup(&r)) < 0 || (ret = o->image ? inspect_image(&r) : take_hash(&r)) < 0 ||
	    (ret = look_up(&r)) < 0)
		goto out;
	ret = mcr_verify_judge(&r);
out:
	out->status = ret;
	if (ret < 0 && ret != MCR_EREFUSED && !(out->message = strdup(mcr_error_message())))
		ret = mcr_error(MCR_ESYS, "out of memory");
	run_release(&r);
	return ret;
}

void mcr_verify_report_release(struct mcr_verify_report *report)
{
	for (int i = 0; i < MCR_VERIFY_CHECK_COUNT; i++)
		free(report->checks[i].detail);
	free(report->message);
	free(report->image_path);
	mcr_verify_image_release(&report->image);
	free(report->source_path);
	free(report->provenance_path);
	mcr_verify_record_release(&report->record);
	free(report->claimed_signed_at);
	free(report->checkpoint_origin);
	mcr_verify_tag_release(&report->tag);
	memset(report, 0, sizeof(*report));
}
