/* Release decisions: is this tag a release that trusted people signed, once and for all? */
#include "policy.h"

#include "buildrec.h"
#include "config.h"
#include "error.h"
#include "pinstore.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mcr_policy_verdict_init(struct mcr_tag_verdict *verdict)
{
	memset(verdict, 0, sizeof(*verdict));
	verdict->tagger_time = -1;
	mcr_tagsig_signer_init(&verdict->signer);
}

void mcr_policy_verdict_release(struct mcr_tag_verdict *verdict)
{
	free(verdict->message);
	free(verdict->tag_name);
	mcr_tagsig_signer_release(&verdict->signer);
	mcr_policy_verdict_init(verdict);
}

int mcr_policy_tag_version(struct mcr_version *out, const char *tag_name, const char *pattern)
{
	const char *digits = tag_name;
	regex_t re;
	int match;

	if (!pattern)
		pattern = MCR_DEFAULT_TAG_PATTERN; /* as config.c defaults it */
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return mcr_error(MCR_EINPUT, "tag pattern '%s' is not a valid POSIX extended regex",
				 pattern);
	match = regexec(&re, tag_name, 0, NULL, 0);
	regfree(&re);
	if (match != 0)
		return mcr_refuse("tag.pattern_mismatch",
				  "tag name '%s' does not match the release pattern '%s'", tag_name,
				  pattern);
	while (*digits && !isdigit((unsigned char)*digits))
		digits++;
	/* maj.min.rev+build exactly: a looser name could stand for the same version twice. */
	if (mcr_version_parse(out, digits) < 0)
		return mcr_refuse("tag.bad_version", "tag name '%s' does not give an MCUboot version "
				  "maj.min.rev[+build] within 255.255.65535+4294967295", tag_name);
	return 0;
}

/* Copies what the gate saw of the tag into the verdict. */
static void note_tag(struct mcr_tag_verdict *out, const struct mcr_gittag *tag)
{
	memcpy(out->tag_object, tag->tag_object, sizeof(out->tag_object));
	memcpy(out->commit, tag->commit, sizeof(out->commit));
	out->tagger_time = tag->tagger_time;
	out->signer.format = tag->sig_format;
}

static int check_pin(struct mcr_tag_verdict *out, const struct mcr_tag_policy *policy,
		     bool record_pin)
{
	struct mcr_pin pin = {out->tag_name, out->tag_object, out->commit, out->version_text};

	if (!policy->pin_store)
		return 0;
	return mcr_pinstore_check(&out->is_newly_pinned, policy->pin_store, &pin, record_pin);
}

/* The signature and the pin, on a tag object already read; the version was judged first. */
static int judge_loaded(struct mcr_tag_verdict *out, const struct mcr_tag_policy *policy,
			const struct mcr_gittag *tag, bool record_pin)
{
	int ret;

	note_tag(out, tag);
	ret = mcr_tagsig_verify(&out->signer, policy, tag->sig_format, tag->raw.data,
				tag->payload_len, tag->raw.data + tag->payload_len,
				tag->raw.len - tag->payload_len, tag->tagger_time, out->tag_name);
	out->signer.format = tag->sig_format;
	if (ret == 0)
		ret = check_pin(out, policy, record_pin);
	return ret;
}

static int check_version(struct mcr_tag_verdict *out, const struct mcr_tag_policy *policy)
{
	int ret;

	if ((ret = mcr_policy_tag_version(&out->version, out->tag_name, policy->pattern)) < 0)
		return ret;
	out->has_version = true;
	mcr_version_format(out->version_text, &out->version);
	return 0;
}

/* The checks in order; each refusal leaves its reason and message in the error slot. */
static int run_checks(struct mcr_tag_verdict *out, const struct mcr_tag_policy *policy,
		      const char *repo_path, const struct mcr_gittag *loaded, bool record_pin)
{
	struct mcr_gittag tag;
	int ret;

	if ((ret = check_version(out, policy)) < 0)
		return ret;
	if (loaded)
		return judge_loaded(out, policy, loaded, record_pin);
	ret = mcr_gittag_load(&tag, repo_path, out->tag_name);
	if (ret == 0)
		ret = judge_loaded(out, policy, &tag, record_pin);
	else
		note_tag(out, &tag); /* a refusal still names the ids it concerns */
	mcr_gittag_release(&tag);
	return ret;
}

/* Runs the checks and turns the outcome into a verdict. */
static int decide(struct mcr_tag_verdict *out, const struct mcr_tag_policy *policy,
		  const char *repo_path, const char *tag_name, const struct mcr_gittag *loaded,
		  bool record_pin)
{
	int ret;

	mcr_policy_verdict_init(out);
	if (!(out->tag_name = strdup(tag_name)))
		return mcr_error(MCR_ESYS, "out of memory");
	ret = run_checks(out, policy, repo_path, loaded, record_pin);
	if (ret == 0) {
		out->is_accepted = true;
		return 0;
	}
	/* out->signer keeps a verified signer when a later check (the pin) refused */
	if (ret == MCR_EREFUSED) {
		out->reason = mcr_error_reason();
		if (!(out->message = strdup(mcr_error_message())))
			return mcr_error(MCR_ESYS, "out of memory");
	}
	return ret;
}

int mcr_policy_check_tag(struct mcr_tag_verdict *out, const struct mcr_tag_policy *policy,
			 const char *repo_path, const char *tag_name, bool record_pin)
{
	return decide(out, policy, repo_path, tag_name, NULL, record_pin);
}

int mcr_policy_judge_tag(struct mcr_tag_verdict *out, const struct mcr_tag_policy *policy,
			 const struct mcr_gittag *tag, bool record_pin)
{
	return decide(out, policy, NULL, tag->name, tag, record_pin);
}

/* --- Build records ------------------------------------------------------------------------ */

void mcr_policy_records_init(struct mcr_records_verdict *verdict)
{
	memset(verdict, 0, sizeof(*verdict));
}

void mcr_policy_records_release(struct mcr_records_verdict *verdict)
{
	for (size_t i = 0; i < verdict->record_count; i++) {
		struct mcr_record_verdict *r = &verdict->records[i];

		free(r->subject);
		free(r->message);
		free(r->builder_id);
		free(r->builder_key);
		free(r->artifact);
	}
	free(verdict->records);
	free(verdict->message);
	free(verdict->tag_name);
	mcr_policy_records_init(verdict);
}

int mcr_policy_tag_ids(struct mcr_gittag *out, const char *repo_path, const char *tag_name)
{
	int ret = mcr_gittag_load(out, repo_path, tag_name);
	const char *reason = mcr_error_reason();

	/* the signature is the tag gate's business; a build needs only the ids */
	if (ret == MCR_EREFUSED && *out->tag_object && *out->commit && reason &&
	    (!strcmp(reason, "tag.unsigned") || !strcmp(reason, "tag.ambiguous_signature"))) {
		mcr_error_clear();
		return 0;
	}
	return ret;
}

/* The record is for the tag the repository has now: same name, commit and tag object. */
static int record_matches_tag(const struct mcr_buildrec *rec, const struct mcr_gittag *tag,
			      const char *subject)
{
	if (strcmp(rec->tag, tag->name))
		return mcr_refuse("records.other_tag", "build record '%s' is for tag '%s', not '%s'",
				  subject, rec->tag, tag->name);
	if (strcmp(rec->commit, tag->commit))
		return mcr_refuse("records.other_commit", "build record '%s' built commit %s, but tag "
				  "'%s' is at %s", subject, rec->commit, tag->name, tag->commit);
	if (strcmp(rec->tag_object, tag->tag_object))
		return mcr_refuse("records.other_tag", "build record '%s' names tag object %s, but "
				  "tag '%s' is %s now (re-created)", subject, rec->tag_object,
				  tag->name, tag->tag_object);
	return 0;
}

static int record_has_image(struct mcr_record_verdict *rv, const struct mcr_buildrec *rec,
			    const struct mcr_records_target *target, const char *subject)
{
	for (size_t i = 0; i < rec->artifact_count; i++) {
		const struct mcr_buildrec_artifact *a = &rec->artifacts[i];

		if ((target->image_sha256 && !strcmp(a->sha256, target->image_sha256)) ||
		    (target->mcuboot_digest && a->has_mcuboot &&
		     !strcmp(a->mcuboot_digest, target->mcuboot_digest)))
			return (rv->artifact = strdup(a->path)) ? 0 :
								  mcr_error(MCR_ESYS, "out of memory");
	}
	return mcr_refuse("records.disagree", "no artifact in build record '%s' of builder '%s' "
			  "has the image's digest %s", subject, rec->builder_id,
			  target->image_sha256 ? target->image_sha256 : target->mcuboot_digest);
}

static int note_record(struct mcr_record_verdict *rv, const struct mcr_buildrec *rec)
{
	snprintf(rv->commit, sizeof(rv->commit), "%s", rec->commit);
	if (!(rv->builder_id = strdup(rec->builder_id)) ||
	    !(rv->builder_key = strdup(rec->builder_key)))
		return mcr_error(MCR_ESYS, "out of memory");
	return 0;
}

/* One record, in the order of the contract; a malformed file is a refusal, not an error. */
static int check_record(struct mcr_record_verdict *rv, const struct mcr_builder_policy *policy,
			const struct mcr_gittag *tag, const struct mcr_records_target *target,
			const struct mcr_records_input *in)
{
	struct mcr_buildrec rec;
	int ret;

	if (!(rv->subject = strdup(in->subject)))
		return mcr_error(MCR_ESYS, "out of memory");
	ret = mcr_buildrec_parse(&rec, in->data, in->len, in->subject);
	if (ret == MCR_EINPUT)
		return mcr_error_set_reason(MCR_EREFUSED, "records.malformed");
	if (ret == 0 && (ret = note_record(rv, &rec)) == 0 &&
	    (ret = mcr_buildrec_verify(&rec, policy->allowed_signers, in->subject)) == 0 &&
	    (ret = record_matches_tag(&rec, tag, in->subject)) == 0)
		ret = record_has_image(rv, &rec, target, in->subject);
	mcr_buildrec_release(&rec);
	return ret;
}

/* Counts rv unless an earlier counted record had the same builder id or key. */
static void count_builder(struct mcr_records_verdict *out, size_t index)
{
	struct mcr_record_verdict *rv = &out->records[index];

	for (size_t i = 0; i < index; i++)
		if (out->records[i].is_counted &&
		    (!strcmp(out->records[i].builder_id, rv->builder_id) ||
		     !strcmp(out->records[i].builder_key, rv->builder_key)))
			return;
	rv->is_counted = true;
	out->agreeing++;
}

static int check_all(struct mcr_records_verdict *out, const struct mcr_builder_policy *policy,
		     const struct mcr_gittag *tag, const struct mcr_records_target *target,
		     const struct mcr_records_input *records)
{
	struct mcr_record_verdict *first_refused = NULL;
	int ret;

	for (size_t i = 0; i < out->record_count; i++) {
		struct mcr_record_verdict *rv = &out->records[i];

		ret = check_record(rv, policy, tag, target, &records[i]);
		if (ret == 0) {
			count_builder(out, i);
			continue;
		}
		if (ret != MCR_EREFUSED)
			return ret;
		rv->reason = mcr_error_reason();
		if (!(rv->message = strdup(mcr_error_message())))
			return mcr_error(MCR_ESYS, "out of memory");
		if (!first_refused)
			first_refused = rv;
	}
	if (first_refused) {
		mcr_error(MCR_EREFUSED, "%s", first_refused->message);
		return mcr_error_set_reason(MCR_EREFUSED, first_refused->reason);
	}
	if (out->agreeing < out->quorum)
		return mcr_refuse("records.too_few", "only %u of the %u builders required agree on "
				  "tag '%s' at commit %s", out->agreeing, out->quorum,
				  out->tag_name, out->commit);
	return 0;
}

/* The tag's ids: given by a caller that verified them, else from the repository. */
static int target_tag(struct mcr_gittag *tag, const struct mcr_records_target *target)
{
	if (!target->tag_object || !target->commit)
		return mcr_policy_tag_ids(tag, target->repo_path, target->tag_name);
	mcr_gittag_init(tag);
	if (!(tag->name = strdup(target->tag_name)))
		return mcr_error(MCR_ESYS, "out of memory");
	snprintf(tag->tag_object, sizeof(tag->tag_object), "%s", target->tag_object);
	snprintf(tag->commit, sizeof(tag->commit), "%s", target->commit);
	return 0;
}

int mcr_policy_check_records(struct mcr_records_verdict *out,
			     const struct mcr_builder_policy *policy,
			     const struct mcr_records_target *target,
			     const struct mcr_records_input *records, size_t record_count)
{
	struct mcr_gittag tag;
	int ret;

	mcr_policy_records_init(out);
	mcr_gittag_init(&tag);
	out->quorum = policy->quorum;
	if (!(out->tag_name = strdup(target->tag_name)) ||
	    (record_count && !(out->records = calloc(record_count, sizeof(*out->records))))) {
		ret = mcr_error(MCR_ESYS, "out of memory");
		goto out;
	}
	out->record_count = record_count;
	ret = target_tag(&tag, target);
	memcpy(out->tag_object, tag.tag_object, sizeof(out->tag_object));
	memcpy(out->commit, tag.commit, sizeof(out->commit));
	if (ret == 0)
		ret = check_all(out, policy, &tag, target, records);
	out->is_accepted = ret == 0;
	if (ret == MCR_EREFUSED) {
		out->reason = mcr_error_reason();
		if (!(out->message = strdup(mcr_error_message())))
			ret = mcr_error(MCR_ESYS, "out of memory");
	}
out:
	mcr_gittag_release(&tag);
	return ret;
}
