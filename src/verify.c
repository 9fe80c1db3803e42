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

#include <assert.h>
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

/* What one run holds besides its options and report. */
struct run {
	const struct mcr_verify_opts *o;
	struct mcr_verify_report *rep;
	struct mcr_config *config;
	struct mcr_verify_keys keys;
	struct mcr_key *log_key;
	char *origin; /* the config's checkpoint origin, or NULL: the checkpoints' own */
	struct mcr_verify_query query;
	struct mcr_verify_provenance prov;
	bool has_prov;
};

static void run_release(struct run *r)
{
	mcr_config_free(r->config);
	mcr_verify_keys_release(&r->keys);
	mcr_key_free(r->log_key);
	free(r->origin);
	mcr_verify_provenance_release(&r->prov);
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
	    0)
		goto out;
	r->has_prov = true;
	r->rep->provenance_path = (char *)mcr_buf_detach(&path, NULL);
out:
	mcr_buf_release(&path);
	return ret;
}

/* The provenance's signing time, once it is known to be about this release. */
static int keep_signed_at(struct run *r)
{
	if (r->prov.finished_on && !(r->rep->claimed_signed_at = strdup(r->prov.finished_on)))
		return mcr_error(MCR_ESYS, "out of memory");
	return 0;
}

static int copy_check(struct mcr_verify_check *to, const struct mcr_verify_check *from)
{
	return mcr_verify_check_set(to, from->status, from->reason, "%s",
	                            from->detail ? from->detail : "");
}

/* Whether the provenance is about the image (or --hash): its digest, or a signed file of it. */
static const char *provenance_match(const struct run *r)
{
	if (r->query.digest_hex[0] && !strcmp(r->prov.digest_hex, r->query.digest_hex))
		return "mcuboot_digest";
	for (size_t i = 0; r->query.file_sha256[0] && i < r->prov.subject_count; i++)
		if (!strcmp(r->prov.subjects[i], r->query.file_sha256))
			return "file_sha256";
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
	    (ret = copy_check(&rep->checks[MCR_VERIFY_PROOF], &r->prov.proof)) < 0)
		return ret;
	if ((rep->record.matched_by = provenance_match(r)) && r->prov.request.seq) {
		rep->record.request = r->prov.request;
		rep->record.request_count = 1;
		memset(&r->prov.request, 0, sizeof(r->prov.request));
		return keep_signed_at(r);
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

static const char *source_name(enum mcr_verify_source source)
{
	return source == MCR_VERIFY_AUDIT    ? "audit log"
	       : source == MCR_VERIFY_BUNDLE ? "bundle"
	                                     : "provenance";
}

static const char *request_string(const struct run *r, const char *key)
{
	const char *s = mcr_verify_data_string(r->rep->record.request.data, key, NULL);

	return s ? s : "?";
}

/* Not found: out-of-band signing with a release key is the alarm this command exists for. */
static int not_recorded(struct run *r, struct mcr_verify_check *check)
{
	const struct mcr_verify_report *rep = r->rep;
	const char *key = rep->image.key_name;
	const char *where = source_name(rep->source);

	if (!r->o->image)
		return mcr_verify_check_set(
		        check, MCR_VERIFY_FAILED, "verify.not_found",
		        "no release in %s '%s' has hash %s (as an MCUboot image "
		        "digest or a signed file's SHA-256)",
		        where, rep->source_path, rep->hash);
	if (!key)
		return mcr_verify_check_set(check, MCR_VERIFY_FAILED, "verify.not_found",
		                            "no release in %s '%s' has digest %s", where,
		                            rep->source_path, rep->image.digest_hex);
	if (rep->image.key_is_dev)
		return mcr_verify_check_set(check, MCR_VERIFY_FAILED, "verify.dev_key",
		                            "image '%s' is signed with development key '%s' and is "
		                            "no release in %s '%s'",
		                            rep->image_path, key, where, rep->source_path);
	return mcr_verify_check_set(
	        check, MCR_VERIFY_FAILED, "verify.not_recorded",
	        "image '%s' is signed with trusted key '%s' but its digest %s is "
	        "NOT RECORDED in %s '%s': it was signed outside mcurelease",
	        rep->image_path, key, rep->image.digest_hex, where, rep->source_path);
}

static int check_record(struct run *r)
{
	struct mcr_verify_report *rep = r->rep;
	struct mcr_verify_check *check = &rep->checks[MCR_VERIFY_RECORD];
	const struct mcr_verify_event *req = &rep->record.request;

	if (!r->query.digest_hex[0] || rep->source == MCR_VERIFY_NO_SOURCE)
		return mcr_verify_check_set(check, MCR_VERIFY_SKIPPED, NULL, "not looked up");
	if (req->seq)
		return mcr_verify_check_set(
		        check, MCR_VERIFY_PASSED, NULL,
		        "%s event %lld holds its %s: release %s, version %s", req->kind, req->seq,
		        !strcmp(rep->record.matched_by, "file_sha256") ? "signed file's SHA-256"
		                                                       : "MCUboot digest",
		        request_string(r, "tag"), request_string(r, "version"));
	if (rep->source == MCR_VERIFY_PROVENANCE_ONLY)
		return mcr_verify_check_set(check, MCR_VERIFY_FAILED, "verify.provenance_mismatch",
		                            "provenance '%s' is about another image (digest %s)",
		                            rep->provenance_path, r->prov.digest_hex);
	return not_recorded(r, check);
}

/* Offline the provenance's signature byproduct is all there is to compare with. */
static int provenance_signature(struct run *r, struct mcr_verify_check *check)
{
	const char *mine = r->rep->image.signature_sha256, *theirs = r->prov.signature_sha256;

	if (!r->o->image)
		return mcr_verify_check_set(check, MCR_VERIFY_SKIPPED, NULL,
		                            "no image (--hash): no signature to compare");
	if (!strcmp(mine, theirs))
		return mcr_verify_check_set(
		        check, MCR_VERIFY_PASSED, NULL,
		        "provenance '%s' records this very signature (sha256 "
		        "%.16s); offline, only the log can show no other was made",
		        r->rep->provenance_path, mine);
	return mcr_verify_check_set(
	        check, MCR_VERIFY_FAILED, "verify.signature_not_recorded",
	        "image '%s': its signature (sha256 %.16s) is NOT the one provenance "
	        "'%s' records (%.16s): its digest was signed again outside the "
	        "recorded job",
	        r->rep->image_path, mine, r->rep->provenance_path, theirs);
}

static int check_signature(struct run *r)
{
	const struct mcr_verify_record *rec = &r->rep->record;
	struct mcr_verify_check *check = &r->rep->checks[MCR_VERIFY_SIGNATURE];

	if (!rec->request.seq)
		return mcr_verify_check_set(check, MCR_VERIFY_SKIPPED, NULL,
		                            "nothing recorded to compare with");
	if (r->o->image && !r->rep->image.signature_sha256[0])
		return mcr_verify_check_set(check, MCR_VERIFY_SKIPPED, NULL,
		                            "the image carries no signature");
	if (r->rep->source == MCR_VERIFY_PROVENANCE_ONLY)
		return provenance_signature(r, check);
	if (rec->completion.seq)
		return mcr_verify_check_set(
		        check, MCR_VERIFY_PASSED, NULL, "sign.completed event %lld recorded %s",
		        rec->completion.seq,
		        r->o->image ? "this very signature" : "the signing of this release");
	if (!r->o->image)
		return mcr_verify_check_set(check, MCR_VERIFY_FAILED,
		                            "verify.signature_not_recorded",
		                            "request event %lld of this digest never completed: no "
		                            "signature of it was recorded",
		                            rec->request.seq);
	return mcr_verify_check_set(
	        check, MCR_VERIFY_FAILED, "verify.signature_not_recorded",
	        "image '%s': its digest was recorded (request event %lld, %s) "
	        "but THIS SIGNATURE WAS NOT: none of the %zu completed signing(s) "
	        "of it wrote signature sha256 %.16s; the signer was used outside "
	        "a completed job",
	        r->rep->image_path, rec->request.seq, request_string(r, "tag"),
	        rec->completion_count, r->rep->image.signature_sha256);
}

/* Beside a log or bundle, the provenance must be about this image and this release. */
static int provenance_agrees(struct run *r, struct mcr_verify_check *check)
{
	const struct mcr_verify_report *rep = r->rep;
	const char *digest =
	        mcr_verify_data_string(rep->record.request.data, "digest", "hex", NULL);
	const char *path = rep->provenance_path;

	if (strcmp(r->prov.digest_hex, digest ? digest : r->query.digest_hex))
		return mcr_verify_check_set(check, MCR_VERIFY_FAILED, "verify.provenance_mismatch",
		                            "provenance '%s' is about another image (digest %s)",
		                            path, r->prov.digest_hex);
	if (r->o->image && strcmp(r->prov.signature_sha256, rep->image.signature_sha256))
		return mcr_verify_check_set(
		        check, MCR_VERIFY_FAILED, "verify.provenance_mismatch",
		        "provenance '%s' records another signature than the image's", path);
	if (rep->record.request.seq && r->prov.request.seq != rep->record.request.seq)
		return mcr_verify_check_set(check, MCR_VERIFY_FAILED, "verify.provenance_mismatch",
		                            "provenance '%s' is of request event %lld, the image's "
		                            "release is event %lld",
		                            path, r->prov.request.seq, rep->record.request.seq);
	if (keep_signed_at(r) < 0)
		return MCR_ESYS;
	return mcr_verify_check_set(check, MCR_VERIFY_PASSED, NULL,
	                            "provenance '%s' agrees with the image and the %s: request "
	                            "event %lld, proven in the checkpoint of tree size %lld",
	                            path, source_name(rep->source), r->prov.request.seq,
	                            r->prov.checkpoint_size);
}

static int check_provenance(struct run *r)
{
	struct mcr_verify_check *check = &r->rep->checks[MCR_VERIFY_PROVENANCE];

	if (!r->has_prov)
		return mcr_verify_check_set(check, MCR_VERIFY_SKIPPED, NULL,
		                            r->o->image ? "no provenance beside the image"
		                                        : "no --provenance given");
	if (r->rep->source == MCR_VERIFY_PROVENANCE_ONLY)
		return copy_check(check, &r->prov.claims);
	if (r->prov.proof.status == MCR_VERIFY_FAILED)
		return copy_check(check, &r->prov.proof);
	if (r->prov.claims.status == MCR_VERIFY_FAILED)
		return copy_check(check, &r->prov.claims);
	return provenance_agrees(r, check);
}

static int check_tag(struct run *r)
{
	struct mcr_verify_report *rep = r->rep;
	struct mcr_verify_check *check = &rep->checks[MCR_VERIFY_TAG];
	const struct cJSON *data = rep->record.request.data;
	const char *tag = mcr_verify_data_string(data, "tag", NULL);
	const char *object = mcr_verify_data_string(data, "tag_object", NULL);
	const char *commit = mcr_verify_data_string(data, "commit", NULL);
	int ret;

	if (!tag || !object || !commit)
		return mcr_verify_check_set(check, MCR_VERIFY_SKIPPED, NULL, "no release: no tag");
	if ((ret = mcr_verify_git_tag(&rep->tag, r->o->repo, tag, object, commit)) < 0)
		return ret;
	switch (rep->tag.state) {
	case MCR_VERIFY_TAG_SAME:
		return mcr_verify_check_set(
		        check, MCR_VERIFY_PASSED, NULL,
		        "tag %s in '%s' is still tag object %.12s at commit %.12s", tag,
		        rep->tag.repo, object, commit);
	case MCR_VERIFY_TAG_MOVED:
		return mcr_verify_check_set(
		        check, MCR_VERIFY_FAILED, "verify.tag_moved",
		        "tag %s in '%s' MOVED since it was signed: it is now %.12s "
		        "at commit %.12s, not tag object %.12s at commit %.12s",
		        tag, rep->tag.repo, rep->tag.tag_object, rep->tag.commit, object, commit);
	case MCR_VERIFY_TAG_DELETED:
		return mcr_verify_check_set(check, MCR_VERIFY_FAILED, "verify.tag_deleted",
		                            "tag %s was DELETED from '%s' since it was signed (tag "
		                            "object %.12s at commit %.12s)",
		                            tag, rep->tag.repo, object, commit);
	default:
		return mcr_verify_check_set(check, MCR_VERIFY_SKIPPED, NULL,
		                            "no repository here holds release %s: give --repo to "
		                            "check its tag",
		                            tag);
	}
}

static bool is_alarm(const char *reason)
{
	return !strcmp(reason, "verify.not_recorded") ||
	       !strcmp(reason, "verify.signature_not_recorded");
}

/* The first failed check decides; genuine needs the record and its proof to have passed. */
static int decide(struct run *r)
{
	struct mcr_verify_report *rep = r->rep;
	const struct mcr_verify_check *c = NULL;
	const struct mcr_verify_record *rec = &rep->record;
	const char *key = mcr_verify_data_string(rec->request.data, "signer", "name", NULL);

	for (int i = 0; i < MCR_VERIFY_CHECK_COUNT && !c; i++)
		if (rep->checks[i].status == MCR_VERIFY_FAILED)
			c = &rep->checks[i];
	if (c) {
		rep->reason = c->reason;
		rep->is_alarm = is_alarm(c->reason);
		if (asprintf(&rep->message, "%s%s", rep->is_alarm ? "ALARM: " : "", c->detail) < 0)
			return mcr_error(MCR_ESYS, "out of memory");
		return mcr_refuse(c->reason, "%s", rep->message);
	}
	assert(rep->checks[MCR_VERIFY_RECORD].status == MCR_VERIFY_PASSED &&
	       rep->checks[MCR_VERIFY_PROOF].status == MCR_VERIFY_PASSED);
	rep->reason = "verify.genuine";
	rep->is_genuine = true;
	if (asprintf(&rep->message,
	             "release %s (%s) signed with '%s', request event %lld proven in "
	             "the checkpoint of tree size %lld of '%s'",
	             request_string(r, "tag"), request_string(r, "version"), key ? key : "?",
	             rec->request.seq, rep->checkpoint_size,
	             rep->checkpoint_origin ? rep->checkpoint_origin : "?") < 0)
		return mcr_error(MCR_ESYS, "out of memory");
	return 0;
}

int mcr_verify_run(const struct mcr_verify_opts *o, struct mcr_verify_report *out)
{
	struct run r = {.o = o, .rep = out};
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = setup(&r)) < 0 || (ret = o->image ? inspect_image(&r) : take_hash(&r)) < 0 ||
	    (ret = look_up(&r)) < 0 || (ret = check_record(&r)) < 0 ||
	    (ret = check_signature(&r)) < 0 || (ret = check_provenance(&r)) < 0 ||
	    (ret = check_tag(&r)) < 0)
		goto out;
	ret = decide(&r);
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
