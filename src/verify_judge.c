/* mcurelease verify, the judging half: what was found is checked (the record, the very
 * signature, the provenance, the tag), then the first check that failed decides. */
#include "verify_run.h"

#include "error.h"
#include "verify_git.h"
#include "verify_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A bundle of part of the log (export --since/--until) cannot show what the log lacks. */
static bool is_part_of_log(const struct mcr_verify_report *rep)
{
	return rep->source == MCR_VERIFY_BUNDLE && rep->bundle_log_size > 0 &&
	       (rep->bundle_first_seq != 1 || rep->bundle_last_seq != rep->bundle_log_size);
}

static int not_in_part(struct run *r, struct mcr_verify_check *check)
{
	const struct mcr_verify_report *rep = r->rep;

	return mcr_verify_check_set(
	        check, MCR_VERIFY_FAILED, "verify.not_found",
	        "no release in bundle '%s' has %s %s, but the bundle holds only events %lld to "
	        "%lld of the %lld the log had: verify against the log or a bundle of all of it",
	        rep->source_path, r->o->image ? "digest" : "hash",
	        r->o->image ? rep->image.digest_hex : rep->hash, rep->bundle_first_seq,
	        rep->bundle_last_seq, rep->bundle_log_size);
}

/* Not found: out-of-band signing with a release key is the alarm this command exists for. */
static int not_recorded(struct run *r, struct mcr_verify_check *check)
{
	const struct mcr_verify_report *rep = r->rep;
	const char *key = rep->image.key_name;
	const char *where = source_name(rep->source);

	if (is_part_of_log(rep))
		return not_in_part(r, check);
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
	if (mcr_verify_query_signature_is(&r->query, theirs))
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

/* A partial bundle: the completion with this signature may be in the part it leaves out. */
static int signing_not_in_part(struct run *r, struct mcr_verify_check *check)
{
	const struct mcr_verify_report *rep = r->rep;

	return mcr_verify_check_set(
	        check, MCR_VERIFY_FAILED, "verify.not_found",
	        "request event %lld of this digest is in bundle '%s', but %s in its events %lld to "
	        "%lld of the %lld the log had: verify against the log or a bundle of all of it",
	        rep->record.request.seq, rep->source_path,
	        r->o->image ? "this signature is recorded nowhere" : "no completion of it is",
	        rep->bundle_first_seq, rep->bundle_last_seq, rep->bundle_log_size);
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
	if (is_part_of_log(r->rep))
		return signing_not_in_part(r, check);
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
	if (r->o->image && !mcr_verify_query_signature_is(&r->query, r->prov.signature_sha256))
		return mcr_verify_check_set(
		        check, MCR_VERIFY_FAILED, "verify.provenance_mismatch",
		        "provenance '%s' records another signature than the image's", path);
	if (rep->record.request.seq && r->prov.request.seq != rep->record.request.seq)
		return mcr_verify_check_set(check, MCR_VERIFY_FAILED, "verify.provenance_mismatch",
		                            "provenance '%s' is of request event %lld, the image's "
		                            "release is event %lld",
		                            path, r->prov.request.seq, rep->record.request.seq);
	if (mcr_verify_keep_signed_at(r) < 0)
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

	if (r->is_prov_unusable)
		return 0; /* its check already says why */
	if (!r->has_prov)
		return mcr_verify_check_set(check, MCR_VERIFY_SKIPPED, NULL,
		                            r->o->image ? "no provenance beside the image"
		                                        : "no --provenance given");
	if (r->rep->source == MCR_VERIFY_PROVENANCE_ONLY)
		return mcr_verify_copy_check(check, &r->prov.claims);
	if (r->prov.proof.status == MCR_VERIFY_FAILED)
		return mcr_verify_copy_check(check, &r->prov.proof);
	if (r->prov.claims.status == MCR_VERIFY_FAILED)
		return mcr_verify_copy_check(check, &r->prov.claims);
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
		return mcr_verify_hold(r, check, ret);
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

/* No genuine verdict without a record and its proof, even if nothing failed (never an assert:
 * NDEBUG builds would drop it). */
static int refuse_unproven(struct run *r)
{
	struct mcr_verify_report *rep = r->rep;
	bool has_record = rep->checks[MCR_VERIFY_RECORD].status == MCR_VERIFY_PASSED;
	const char *subject = r->o->image ? r->o->image : rep->hash;

	rep->reason = has_record ? "verify.no_proof" : "verify.not_found";
	if (asprintf(&rep->message,
	             has_record ? "the record of '%s' is not proven: nothing vouches for it"
	                        : "no record of '%s' was checked: nothing says it is ours",
	             subject) < 0)
		return mcr_error(MCR_ESYS, "out of memory");
	return mcr_refuse(rep->reason, "%s", rep->message);
}

/* The genuine verdict line: the request, and the checkpoint that proves it (a bundle's manifest
 * alone vouches for events after its latest checkpoint). */
static int genuine_message(struct run *r)
{
	struct mcr_verify_report *rep = r->rep;
	const struct mcr_verify_record *rec = &rep->record;
	const char *key = mcr_verify_data_string(rec->request.data, "signer", "name", NULL);
	const char *origin = rep->checkpoint_origin ? rep->checkpoint_origin : "?";
	char *head = NULL;
	int n;

	if (asprintf(&head, "release %s (%s) signed with '%s', request event %lld",
	             request_string(r, "tag"), request_string(r, "version"), key ? key : "?",
	             rec->request.seq) < 0)
		return mcr_error(MCR_ESYS, "out of memory");
	if (rec->request.seq <= rep->checkpoint_size)
		n = asprintf(&rep->message, "%s proven in the checkpoint of tree size %lld of '%s'",
		             head, rep->checkpoint_size, origin);
	else
		n = asprintf(&rep->message,
		             "%s vouched for by the signed manifest of bundle '%s' alone (it comes "
		             "after the checkpoint of tree size %lld of '%s')",
		             head, rep->source_path, rep->checkpoint_size, origin);
	free(head);
	return n < 0 ? mcr_error(MCR_ESYS, "out of memory") : 0;
}

/*
 * The first failed check decides; then an input set aside as unusable; genuine needs the record
 * and its proof to have passed.
 */
static int decide(struct run *r)
{
	struct mcr_verify_report *rep = r->rep;
	const struct mcr_verify_check *c = NULL;
	int ret;

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
	if (r->held)
		return mcr_verify_raise_held(r);
	if (rep->checks[MCR_VERIFY_RECORD].status != MCR_VERIFY_PASSED ||
	    rep->checks[MCR_VERIFY_PROOF].status != MCR_VERIFY_PASSED)
		return refuse_unproven(r);
	if ((ret = genuine_message(r)) < 0)
		return ret;
	rep->reason = "verify.genuine";
	rep->is_genuine = true;
	return 0;
}

int mcr_verify_judge(struct run *r)
{
	int ret;

	if ((ret = check_record(r)) < 0 || (ret = check_signature(r)) < 0 ||
	    (ret = check_provenance(r)) < 0 || (ret = check_tag(r)) < 0)
		return ret;
	return decide(r);
}
