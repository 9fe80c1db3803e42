/* Release decisions: is this tag a release that trusted people signed, once and for all? */
#ifndef MCR_POLICY_H
#define MCR_POLICY_H

#include <stdbool.h>

#include "gittag.h"
#include "tagsig.h"
#include "version.h"

struct mcr_tag_policy;

/*
 * The gate's verdict on one tag. Filled by mcr_policy_check_tag on acceptance
 * and on refusal (a refusal is a result: it names what it saw); release with
 * mcr_policy_verdict_release.
 */
struct mcr_tag_verdict {
	bool is_accepted;
	const char *reason;		     /* stable code (docs/git-gate.md) when refused; NULL when accepted */
	char *message;			     /* the refusal's one line; NULL when accepted */
	char *tag_name;
	char tag_object[MCR_GITTAG_OID_MAX]; /* "" when there is no tag object */
	char commit[MCR_GITTAG_OID_MAX];     /* "" when unknown */
	long long tagger_time;		     /* the tagger's claimed date, -1 if unknown */
	struct mcr_tagsig_signer signer;     /* identity set once the signature verified */
	bool has_version;
	struct mcr_version version;
	char version_text[MCR_VERSION_TEXT_MAX]; /* "1.4.0+7" */
	bool is_newly_pinned;		     /* this check pinned the tag object */
};

void mcr_policy_verdict_init(struct mcr_tag_verdict *verdict);
void mcr_policy_verdict_release(struct mcr_tag_verdict *verdict);

/*
 * The whole release-tag decision, in this order: the name matches
 * policy->pattern and gives an MCUboot version (tag.pattern_mismatch,
 * tag.bad_version); the tag's shape (mcr_gittag_load); its signature under
 * the configured trust, judged now (mcr_tagsig_verify); and, when
 * policy->pin_store is set, that the name was never accepted for another
 * tag object or the version under another name (mcr_pinstore_check; the
 * object is pinned when record_pin is set).
 *
 * repo_path: NULL discovers the repository from the current directory.
 * Returns 0 (accepted) or MCR_EREFUSED (refused, reason in out->reason and
 * mcr_error_reason()) with *out filled either way; any other error means the
 * tag could not be checked (out is then initialised and holds what was seen).
 */
int mcr_policy_check_tag(struct mcr_tag_verdict *out, const struct mcr_tag_policy *policy,
			 const char *repo_path, const char *tag_name, bool record_pin);

/*
 * The MCUboot version a release tag name stands for: the name must match
 * pattern (POSIX ERE; NULL: the default v1.4.0 / v1.4.0+7 pattern), then
 * leading non-digits are dropped and the rest parsed as maj.min.rev+build
 * and range-checked (255.255.65535+4294967295). tag.pattern_mismatch,
 * tag.bad_version, or MCR_EINPUT for a pattern that does not compile.
 */
int mcr_policy_tag_version(struct mcr_version *out, const char *tag_name, const char *pattern);

#endif
