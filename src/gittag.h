/* Finding a release tag with libgit2, checking its shape, and splitting payload from signature as git does. */
#ifndef MCR_GITTAG_H
#define MCR_GITTAG_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "tagsig.h"

#define MCR_GITTAG_OID_MAX 65 /* hex object id plus NUL (SHA-256 ready) */

/* A tag as read from the repository. Plain data; release with mcr_gittag_release. */
struct mcr_gittag {
	char *name;			     /* the ref asked for: refs/tags/<name> */
	char tag_object[MCR_GITTAG_OID_MAX]; /* id of the tag object ("" if none) */
	char commit[MCR_GITTAG_OID_MAX];     /* id of the object it points at ("" if unknown) */
	long long tagger_time;		     /* the tagger's claimed date, -1 if absent */
	struct mcr_buf raw;		     /* the tag object's bytes */
	size_t payload_len;		     /* raw[0, payload_len) is what the signature covers */
	enum mcr_tagsig_format sig_format;   /* raw[payload_len, raw.len) is the signature */
};

void mcr_gittag_init(struct mcr_gittag *tag);
void mcr_gittag_release(struct mcr_gittag *tag);

/*
 * Opens the repository at or above repo_path (NULL: the current directory)
 * and reads refs/tags/<name>, requiring: an annotated tag object whose "tag"
 * header equals name, whose target is a commit, and which ends in exactly
 * one signature block (see mcr_gittag_split). *out is initialised in every
 * case and filled as far as the checks got, so a refusal can be reported
 * with the ids it concerns.
 *
 * MCR_EREFUSED with reason tag.not_found, tag.lightweight, tag.malformed,
 * tag.name_mismatch, tag.not_commit, tag.unsigned or tag.ambiguous_signature;
 * MCR_EUSAGE for a name that is not a valid ref name; MCR_EINPUT when the
 * repository cannot be opened or read.
 */
int mcr_gittag_load(struct mcr_gittag *out, const char *repo_path, const char *name);

/*
 * The same checks on a tag object given as its raw bytes, without the
 * repository (a signing host that only received a signing request): the
 * object id is computed from the bytes (SHA-1, git's default object format),
 * the "tag" header must equal name, the "type" header must say commit (the
 * commit itself cannot be looked at here; the signature covers that header),
 * and it must end in exactly one signature block. Refusals as mcr_gittag_load.
 */
int mcr_gittag_from_object(struct mcr_gittag *out, const char *name, const unsigned char *raw,
			   size_t len);

/*
 * Splits a raw tag object as git's parse_signed_buffer does: the signature
 * starts at the last line that begins with a known armor header. Stricter
 * than git, so that no unsigned text can ride along: an earlier armor header
 * line, text after the block's END line, or a block without its END line is
 * tag.ambiguous_signature; no armor header at all is tag.unsigned. subject
 * (the tag name) is named in messages.
 */
int mcr_gittag_split(size_t *payload_len, enum mcr_tagsig_format *format,
		     const unsigned char *raw, size_t len, const char *subject);

#endif
