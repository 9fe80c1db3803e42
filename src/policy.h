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
 * mcr_policy_check_tag for a tag object already read and shape-checked
 * (mcr_gittag_from_object): a signing host without the repository judges
 * the bytes the request carries. tag->name is the name judged.
 */
int mcr_policy_judge_tag(struct mcr_tag_verdict *out, const struct mcr_tag_policy *policy,
			 const struct mcr_gittag *tag, bool record_pin);

/*
 * The MCUboot version a release tag name stands for: the name must match
 * pattern (POSIX ERE; NULL: the default v1.4.0 / v1.4.0+7 pattern), then
 * leading non-digits are dropped and the rest parsed as maj.min.rev+build
 * and range-checked (255.255.65535+4294967295). tag.pattern_mismatch,
 * tag.bad_version, or MCR_EINPUT for a pattern that does not compile.
 */
int mcr_policy_tag_version(struct mcr_version *out, const char *tag_name, const char *pattern);

/* --- Build records (docs/builds.md) ----------------------------------------------------- */

struct mcr_builder_policy;

/*
 * The tag whose commit builds and records are about: mcr_gittag_load's
 * checks of its shape (refusals as there), but a missing or ambiguous
 * signature is no refusal here: judging it is mcr_policy_check_tag's job,
 * and a build or its records need only the ids. *out as mcr_gittag_load.
 */
int mcr_policy_tag_ids(struct mcr_gittag *out, const char *repo_path, const char *tag_name);

/* One record file given to mcr_policy_check_records; borrowed. */
struct mcr_records_input {
	const char *subject;	   /* its name in messages (the file path) */
	const unsigned char *data; /* the file's bytes */
	size_t len;
};

/* What the records must agree with; borrowed. */
struct mcr_records_target {
	const char *tag_name;
	const char *repo_path;	    /* NULL: discovered from the current directory */
	/*
	 * Both set: the tag's ids as the caller already verified them (a signing
	 * host that has the tag object but no repository); the repository is then
	 * not read. NULL: read from the repository.
	 */
	const char *tag_object;
	const char *commit;
	const char *image_sha256;   /* lower-case hex SHA-256 of the image to sign, or NULL */
	const char *mcuboot_digest; /* lower-case hex MCUboot digest of it, or NULL */
};

/* The verdict on one record. Strings owned by the enclosing verdict. */
struct mcr_record_verdict {
	char *subject;
	const char *reason;		 /* NULL when the record agrees */
	char *message;			 /* the refusal's line; NULL when it agrees */
	char *builder_id;		 /* as the record claims; NULL if it could not be read */
	char *builder_key;
	char commit[MCR_GITTAG_OID_MAX]; /* as the record claims; "" if unread */
	char *artifact;			 /* the artifact that matched the image, or NULL */
	bool is_counted;		 /* agrees, and is a builder not counted before */
};

struct mcr_records_verdict {
	bool is_accepted;
	const char *reason;		     /* stable code (docs/builds.md) when refused */
	char *message;			     /* the refusal's one line */
	unsigned quorum;		     /* distinct builders required */
	unsigned agreeing;		     /* distinct trusted builders that agree */
	char *tag_name;
	char tag_object[MCR_GITTAG_OID_MAX]; /* what the repository has now; "" if unknown */
	char commit[MCR_GITTAG_OID_MAX];
	struct mcr_record_verdict *records;  /* one per input, in order */
	size_t record_count;
};

void mcr_policy_records_init(struct mcr_records_verdict *verdict);
void mcr_policy_records_release(struct mcr_records_verdict *verdict);

/*
 * The reproducible-build decision. The tag must load (mcr_policy_tag_ids,
 * unless target gives its ids). Then every
 * record must parse (records.malformed), carry a good signature by the key
 * its builder_id has in policy->allowed_signers (records.bad_signature,
 * records.untrusted_builder, records.builder_mismatch), be for this tag's
 * commit and tag object (records.other_commit, records.other_tag), and list
 * an artifact whose sha256 equals target->image_sha256 or whose MCUboot
 * digest equals target->mcuboot_digest (records.disagree). A record that
 * fails refuses the whole set: a builder that disagrees is a warning sign,
 * not a vote to be outnumbered. Finally the agreeing records must come from
 * at least policy->quorum builders distinct by both id and key
 * (records.too_few).
 *
 * Returns 0 (accepted) or MCR_EREFUSED (reason in out->reason and
 * mcr_error_reason(); the first failing record's, in input order) with *out
 * filled either way; MCR_EINPUT for an unreadable allowed_signers file or
 * repository, MCR_ESYS when ssh-keygen cannot be run.
 */
int mcr_policy_check_records(struct mcr_records_verdict *out,
			     const struct mcr_builder_policy *policy,
			     const struct mcr_records_target *target,
			     const struct mcr_records_input *records, size_t record_count);

#endif
