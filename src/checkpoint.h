/* Checkpoints of the audit log: C2SP tlog-checkpoint signed notes, signed by the log key, published
 * to a file and a git ref. */
#ifndef MCR_CHECKPOINT_H
#define MCR_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mcr_audit;
struct mcr_audit_anchor;
struct mcr_buf;
struct mcr_key;
struct mcr_signer;

/*
 * A checkpoint (c2sp.org/tlog-checkpoint): the note text
 *
 *   <origin>\n<tree size>\n<base64 RFC 6962 root>\n
 *
 * then a blank line and signature lines "— <key name> base64(key ID || sig)"
 * (c2sp.org/signed-note). The log signs under the key name = origin, which is
 * "<product>/mcurelease/<log id>". Supported log keys: Ed25519 (signature
 * type 0x01) and ECDSA P-256 (type 0x02, DER over SHA-256 of the text, key
 * ID from the SPKI as transparency-dev/witness does).
 */
#define MCR_CHECKPOINT_MAX_LEN     (64 * 1024)
#define MCR_CHECKPOINT_DEFAULT_REF "refs/mcurelease/checkpoints"
#define MCR_CHECKPOINT_REF_FILE    "checkpoint" /* the file each commit's tree holds */

/* A parsed checkpoint. A plain struct the caller holds; release with mcr_checkpoint_release. */
struct mcr_checkpoint {
	char *origin;
	long long size;
	unsigned char root[32];
	char *text;       /* the signed text: the three lines (and any extensions), with newlines */
	char *note;       /* the whole note as given */
	size_t sig_count; /* signature lines, all keys */
};

/*
 * Parses a signed note. MCR_EINPUT naming subject (a file, a ref commit, an
 * event) for anything malformed: control characters, no signature block, a
 * size that is not canonical decimal, a root that is not 32 bytes of base64.
 * Signatures are not checked here.
 */
int mcr_checkpoint_parse(struct mcr_checkpoint *out, const char *note, size_t note_len,
                         const char *subject);
void mcr_checkpoint_release(struct mcr_checkpoint *checkpoint);

/* "<product>/mcurelease/<log id>"; log_id NULL means product. MCR_EINPUT for spaces or '+'. */
int mcr_checkpoint_origin(struct mcr_buf *out, const char *product, const char *log_id);

/*
 * The signed-note key ID of key under name. MCR_EINPUT for key types signed
 * notes cannot carry (RSA, P-384).
 */
int mcr_checkpoint_key_id(const struct mcr_key *key, const char *name, uint32_t *out);

/*
 * The note for (origin, size, root), signed through signer (which verifies
 * its own signature before returning it). Appends the note to out.
 */
int mcr_checkpoint_sign(struct mcr_signer *signer, const char *origin, long long size,
                        const unsigned char root[32], struct mcr_buf *out);

/*
 * Checks that checkpoint carries a valid signature by key under its origin,
 * which must equal origin unless origin is NULL. Per signed-note, lines of
 * other keys are ignored, but a line of this key that fails, or no line of
 * this key at all, is a refusal: MCR_EREFUSED with reason
 * audit.bad_checkpoint_signature (audit.bad_checkpoint for another origin),
 * the message naming subject.
 */
int mcr_checkpoint_verify(const struct mcr_checkpoint *checkpoint, const struct mcr_key *key,
                          const char *origin, const char *subject);

/* Reads a published checkpoint file (at most MCR_CHECKPOINT_MAX_LEN bytes) into out. */
int mcr_checkpoint_read_file(struct mcr_buf *out, const char *path);

/* Publishes note at path atomically (temp file, fsync, rename). */
int mcr_checkpoint_write_file(const char *path, const char *note);

/*
 * Publishes note as one new commit on ref in the repository at repo_path
 * (NULL: the one around the current directory). The commit's tree holds
 * the file "checkpoint"; its parent is the ref's previous commit, and the ref
 * moves only if nobody moved it meanwhile. Push it like any ref:
 * git push origin refs/mcurelease/checkpoints. MCR_ESYS naming ref otherwise.
 */
int mcr_checkpoint_publish_ref(const char *repo_path, const char *ref, const char *note);

/* Called per checkpoint on a ref, newest first; subject is "<ref>@<short commit id>". */
typedef int (*mcr_checkpoint_note_fn)(void *ctx, const char *subject, const char *note);

/*
 * Visits the checkpoint of every commit reachable from ref. A missing ref
 * visits nothing when is_optional, else MCR_EINPUT; a commit without the
 * checkpoint file is MCR_EINPUT naming it.
 */
int mcr_checkpoint_read_ref(const char *repo_path, const char *ref, bool is_optional,
                            mcr_checkpoint_note_fn fn, void *ctx);

/*
 * External checkpoints gathered for mcr_audit_verify: items point into
 * memory the list owns. A plain struct; zero it to start, release it after.
 */
struct mcr_checkpoint_anchors {
	struct mcr_audit_anchor *items;
	size_t count;
};

/* Adds the checkpoint published at path (nothing if it is missing and is_optional). */
int mcr_checkpoint_anchors_add_file(struct mcr_checkpoint_anchors *list, const char *path,
                                    bool is_optional);
/* Adds the checkpoint of every commit on ref (nothing if it is missing and is_optional). */
int mcr_checkpoint_anchors_add_ref(struct mcr_checkpoint_anchors *list, const char *repo_path,
                                   const char *ref, bool is_optional);
void mcr_checkpoint_anchors_release(struct mcr_checkpoint_anchors *list);

/* Where a new checkpoint goes and what it is checked against first. */
struct mcr_checkpoint_opts {
	const char *origin; /* required */
	const char *actor;  /* who asked, for the "checkpoint" event */
	const char *file;   /* publish here (and check against what is there); NULL: not */
	const char *repo;   /* repository of ref; NULL: around the current directory */
	const char *ref;    /* publish as a commit on this ref (and check its history); NULL: not */
};

/* What mcr_checkpoint_create made. Release with mcr_checkpoint_result_release. */
struct mcr_checkpoint_result {
	long long size;
	unsigned char root[32];
	long long event_seq; /* the "checkpoint" event recording it */
	char *note;
};

void mcr_checkpoint_result_release(struct mcr_checkpoint_result *result);

/*
 * Makes a checkpoint of the whole log: verifies the log (events, tree, stored
 * checkpoints, and the checkpoints already published at opts->file and
 * opts->ref) and refuses to sign anything if it does not verify, because a
 * log must never sign two inconsistent views; then signs the root with
 * signer (the log key), stores the note and its "checkpoint" event in one
 * transaction, and only then publishes it. A publication that fails after
 * the note is stored is MCR_ESYS (the note stays in the log; publish again
 * with the next checkpoint).
 */
int mcr_checkpoint_create(struct mcr_audit *log, struct mcr_signer *signer,
                          const struct mcr_checkpoint_opts *opts,
                          struct mcr_checkpoint_result *out);

#endif
