/* Release decisions: is this tag a release that trusted people signed, once and for all? */
#include "policy.h"

#include "config.h"
#include "error.h"
#include "pinstore.h"

#include <ctype.h>
#include <regex.h>
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

/* The checks in order; each refusal leaves its reason and message in the error slot. */
static int run_checks(struct mcr_tag_verdict *out, const struct mcr_tag_policy *policy,
		      const char *repo_path, bool record_pin)
{
	struct mcr_gittag tag;
	enum mcr_tagsig_format format;
	int ret;

	if ((ret = mcr_policy_tag_version(&out->version, out->tag_name, policy->pattern)) < 0)
		return ret;
	out->has_version = true;
	mcr_version_format(out->version_text, &out->version);
	ret = mcr_gittag_load(&tag, repo_path, out->tag_name);
	note_tag(out, &tag);
	format = tag.sig_format;
	if (ret == 0)
		ret = mcr_tagsig_verify(&out->signer, policy, format, tag.raw.data, tag.payload_len,
					tag.raw.data + tag.payload_len,
					tag.raw.len - tag.payload_len, tag.tagger_time,
					out->tag_name);
	out->signer.format = format;
	mcr_gittag_release(&tag);
	if (ret == 0)
		ret = check_pin(out, policy, record_pin);
	return ret;
}

int mcr_policy_check_tag(struct mcr_tag_verdict *out, const struct mcr_tag_policy *policy,
			 const char *repo_path, const char *tag_name, bool record_pin)
{
	int ret;

	mcr_policy_verdict_init(out);
	if (!(out->tag_name = strdup(tag_name)))
		return mcr_error(MCR_ESYS, "out of memory");
	ret = run_checks(out, policy, repo_path, record_pin);
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
