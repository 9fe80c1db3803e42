/* The audit log: an append-only, hash-chained SQLite file of events, its Merkle tree, verification
 * and proofs. */
#ifndef MCR_AUDIT_H
#define MCR_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;
struct mcr_buf;
struct mcr_key;
struct mcr_merkle_hasher;
struct mcr_merkle_proof;

/*
 * What is stored and hashed (docs/audit-log.md says it byte for byte):
 *
 *   body = canonical JSON {"actor":A,"data":D,"kind":K,"time":T,"v":1}
 *   hash = SHA-256(0x00 || "mcurelease-audit-v1" || 0x00 || seq as 8 bytes
 *                  big-endian || prev_hash || body)
 *
 * prev_hash of seq 1 is 32 zero bytes. Because the preimage starts with
 * 0x00, an event's hash is also its RFC 6962 leaf hash: leaf seq-1 of the
 * log's Merkle tree is the entry "mcurelease-audit-v1\0" || seq || prev_hash
 * || body. Checkpoints sign the tree's root.
 */
#define MCR_AUDIT_HASH_LEN 32
#define MCR_AUDIT_TIME_LEN 20 /* "2026-11-05T12:34:56Z" */

/* An open log. Opaque: it owns the SQLite connection and prepared statements. */
struct mcr_audit;

/* What an append returns. */
struct mcr_audit_entry {
	long long seq;
	char time[MCR_AUDIT_TIME_LEN + 1];
	unsigned char hash[MCR_AUDIT_HASH_LEN];
};

/*
 * One stored event as read back. A plain struct the caller holds; release it
 * with mcr_audit_event_release. body is the exact stored bytes (NUL-terminated
 * for convenience, body_len excludes the NUL); kind, actor and time come from
 * inside body and are NULL if the body does not parse.
 */
struct mcr_audit_event {
	long long seq;
	char *time;
	char *kind;
	char *actor;
	char *body;
	size_t body_len;
	unsigned char prev_hash[MCR_AUDIT_HASH_LEN];
	unsigned char hash[MCR_AUDIT_HASH_LEN];
};

void mcr_audit_event_release(struct mcr_audit_event *event);

/*
 * Opens the log at path, creating it (and migrating its schema to the
 * current version) when create is set. The connection runs in WAL mode with
 * synchronous=FULL and a busy timeout, so appends from several processes
 * queue up and each one is on disk when it returns. MCR_EAUDIT naming path
 * if the file is missing (and !create), not an mcurelease audit log, of a
 * newer schema, or unusable. Free with mcr_audit_free.
 */
int mcr_audit_open(struct mcr_audit **out, const char *path, bool create);
void mcr_audit_free(struct mcr_audit *log);

/*
 * Whether the file was damaged (cut short, say) and was opened only to read
 * what it still holds: appends are refused and mcr_audit_verify reports it.
 */
bool mcr_audit_is_damaged(const struct mcr_audit *log);

/* Borrowed: the path the log was opened with. */
const char *mcr_audit_path(const struct mcr_audit *log);

/* Sets how long an append waits for another process's transaction (default 30 s). */
void mcr_audit_set_busy_timeout(struct mcr_audit *log, int timeout_ms);

/*
 * Appends one event: kind ("sign.requested", "sign.completed", "sign.refused",
 * "sign.failed", "sign.idempotent", "tag.pinned", "checkpoint", ...: lowercase
 * letters, digits, '.', '_', '-'), actor (who asked: "user@host", a CI job id,
 * an SSH key fingerprint; no control characters) and body (a JSON object, or
 * NULL for {}; its top-level "tag" and "image_sha256" strings are indexed for
 * lookups). One BEGIN IMMEDIATE transaction; when it returns 0 the event is
 * durable. out (may be NULL) receives seq, time and hash. MCR_EINPUT for a
 * bad kind, actor or body (non-integral numbers), MCR_EAUDIT if the database
 * refuses or stays locked past the busy timeout.
 */
int mcr_audit_append(struct mcr_audit *log, const char *kind, const char *actor,
                     const struct cJSON *body, struct mcr_audit_entry *out);

/*
 * Groups the appends that follow into one transaction until mcr_audit_commit:
 * they become durable together, or not at all (mcr_audit_rollback, a failed
 * append the caller then rolls back, or a crash). Other processes wait for
 * the commit. For events that belong together and for bulk imports.
 */
int mcr_audit_begin(struct mcr_audit *log);
int mcr_audit_commit(struct mcr_audit *log);
void mcr_audit_rollback(struct mcr_audit *log);

/* The number of events (= the last seq, as the log holds them contiguously). */
int mcr_audit_size(struct mcr_audit *log, long long *out);

/* Reads event seq into out. MCR_EINPUT naming the log if there is no such event. */
int mcr_audit_get(struct mcr_audit *log, long long seq, struct mcr_audit_event *out);

/*
 * An event as a JSON object {seq, time, kind, actor, hash, prev_hash, data}
 * (hashes in hex, data the body's "data" object), plus "body", the exact
 * stored string, if with_body. The caller frees *out with cJSON_Delete.
 */
int mcr_audit_event_to_json(struct cJSON **out, const struct mcr_audit_event *event,
                            bool with_body);

/* Which events mcr_audit_foreach visits; NULL/0 fields do not filter. */
struct mcr_audit_filter {
	long long from_seq;       /* first seq, inclusive */
	long long to_seq;         /* last seq, inclusive */
	const char *since;        /* time >= since (RFC 3339 UTC, or a prefix such as 2026-11-05) */
	const char *until;        /* time <= until (a date alone means the whole day) */
	const char *kind;         /* exact kind */
	const char *tag;          /* body data "tag" (indexed) */
	const char *image_sha256; /* body data "image_sha256" (indexed) */
};

/* Called per event in seq order; return non-zero to stop (that value is returned). */
typedef int (*mcr_audit_event_fn)(void *ctx, const struct mcr_audit_event *event);

/* Visits the events filter selects (filter may be NULL), in seq order. */
int mcr_audit_foreach(struct mcr_audit *log, const struct mcr_audit_filter *filter,
                      mcr_audit_event_fn fn, void *ctx);

/* One stored row exactly as it is on disk; the pointers are valid during the callback only. */
struct mcr_audit_row {
	long long seq;
	const unsigned char *body;
	size_t body_len;
	const unsigned char *prev_hash; /* the lengths are whatever is stored, even if wrong */
	size_t prev_hash_len;
	const unsigned char *hash;
	size_t hash_len;
	const unsigned char *nodes; /* the tree nodes this leaf completed, 32 bytes per level */
	size_t nodes_len;
};

typedef int (*mcr_audit_row_fn)(void *ctx, const struct mcr_audit_row *row);

/*
 * Visits every stored row in seq order without checking anything (for
 * verification and exports). If the file is damaged part-way, returns
 * MCR_EAUDIT after the rows before the damage; a non-zero return of fn stops
 * the scan and is returned.
 */
int mcr_audit_scan(struct mcr_audit *log, mcr_audit_row_fn fn, void *ctx);

/*
 * As mcr_audit_scan, but fn runs on a second thread on copies of the rows
 * while this one reads on, so reading and checking overlap (verification
 * of a million events). fn must not touch the log; it runs on one thread,
 * in seq order. Falls back to one thread if none can be started.
 */
int mcr_audit_scan_async(struct mcr_audit *log, mcr_audit_row_fn fn, void *ctx);

/* A signed checkpoint as the log stores it. Plain struct; release with mcr_audit_stored_release. */
struct mcr_audit_stored_checkpoint {
	long long size; /* tree size it signs */
	unsigned char root[MCR_AUDIT_HASH_LEN];
	char *note;    /* the signed note, as published */
	long long seq; /* the "checkpoint" event that recorded it */
};

void mcr_audit_stored_release(struct mcr_audit_stored_checkpoint *checkpoint);

/*
 * Records a signed checkpoint (size, root, note text) and appends its
 * "checkpoint" event in one transaction; out (may be NULL) receives the
 * event. A checkpoint for a size already recorded with the same root is
 * kept once; with another root it is MCR_EAUDIT (a log must never sign two
 * views). Callers use mcr_checkpoint_create, which verifies the log first.
 */
int mcr_audit_add_checkpoint(struct mcr_audit *log, long long size,
                             const unsigned char root[MCR_AUDIT_HASH_LEN], const char *note,
                             const char *actor, struct mcr_audit_entry *out);

/*
 * The stored checkpoints in size order, as a malloc'd array the caller frees
 * with mcr_audit_stored_free (count may be 0 with *out NULL).
 */
int mcr_audit_checkpoints(struct mcr_audit *log, struct mcr_audit_stored_checkpoint **out,
                          size_t *count);
void mcr_audit_stored_free(struct mcr_audit_stored_checkpoint *list, size_t count);

/*
 * The root of the tree over the first size events, from the tree nodes the
 * log stores beside its events (O(log n) reads). MCR_EINPUT if size exceeds
 * the log.
 */
int mcr_audit_root(struct mcr_audit *log, long long size, unsigned char root[MCR_AUDIT_HASH_LEN]);

/* An inclusion proof for event seq in the tree of size events (seq <= size). */
int mcr_audit_inclusion_proof(struct mcr_audit *log, long long seq, long long size,
                              struct mcr_merkle_proof *out);
/* A consistency proof between the trees of old_size and new_size events. */
int mcr_audit_consistency_proof(struct mcr_audit *log, long long old_size, long long new_size,
                                struct mcr_merkle_proof *out);

/* Recomputes the hash of an event from its seq, prev_hash and body, as documented above. */
int mcr_audit_event_hash(struct mcr_merkle_hasher *hasher, long long seq,
                         const unsigned char prev_hash[MCR_AUDIT_HASH_LEN], const void *body,
                         size_t body_len, unsigned char out[MCR_AUDIT_HASH_LEN]);

/* ---- verification (audit_verify.c) ---- */

/* A checkpoint from outside the database: a published file, a commit on the checkpoint ref. */
struct mcr_audit_anchor {
	const char *
	        subject; /* for messages: "checkpoint.txt", "refs/mcurelease/checkpoints@1a2b3c4" */
	const char *note; /* the signed note text */
};

struct mcr_audit_verify_opts {
	const struct mcr_key *log_key; /* the log's public key; required if any checkpoint exists */
	const char *origin;            /* the expected origin; NULL: the first checkpoint's */
	const struct mcr_audit_anchor *anchors;
	size_t anchor_count;
	/*
	 * Where checkpoints should have been published but none was found (a file,
	 * a ref): a problem (audit.missing_checkpoint) once the log has signed any.
	 */
	const char *const *missing_anchors;
	size_t missing_anchor_count;
};

/* One finding, CloudTrail style: a reason code, the seq it concerns (0: none), and a line. */
struct mcr_audit_problem {
	const char *reason; /* "audit.chain_broken", "audit.gap", "audit.truncated", ... */
	long long seq;
	char *message;
};

/* What mcr_audit_verify found. A plain struct; release with mcr_audit_report_release. */
struct mcr_audit_report {
	bool is_valid;
	long long event_count; /* rows read */
	long long first_seq;   /* the range found: first and last seq read (0 if none) */
	long long last_seq;
	long long requested_seq; /* the last seq any checkpoint vouches for, or last_seq */
	long long first_bad_seq; /* the earliest seq with a problem, 0 if none */
	unsigned char root[MCR_AUDIT_HASH_LEN]; /* tree root over the events read */
	size_t checkpoint_count;                /* stored checkpoints checked */
	size_t checkpoints_bad;
	size_t anchor_count; /* external checkpoints checked */
	size_t anchors_bad;
	struct mcr_audit_problem *problems; /* the first problems, in the order found */
	size_t problem_count;
	size_t problems_total; /* including those not kept */
};

/*
 * Recomputes every event hash and chain link, the tree (and the nodes the log
 * stores for proofs), and checks every stored checkpoint and every anchor:
 * signature by opts->log_key under the origin, root at its size, and that the
 * log is not shorter than any of them. Returns 0 with the verdict in out
 * (release it even then), MCR_EUSAGE if checkpoints exist but no key was
 * given, or MCR_EAUDIT if the database cannot be read at all.
 */
int mcr_audit_verify(struct mcr_audit *log, const struct mcr_audit_verify_opts *opts,
                     struct mcr_audit_report *out);
void mcr_audit_report_release(struct mcr_audit_report *report);

/*
 * The report as JSON (schema in docs/audit-log.md, "audit verify --json"):
 * log, verdict, requested and found ranges, events, first_bad_seq, root,
 * checkpoint counts and the problems. The caller frees *out with cJSON_Delete.
 */
int mcr_audit_report_to_json(struct cJSON **out, const struct mcr_audit_report *report,
                             const char *log_path);

/* ---- proofs (audit_proof.c) ---- */

/*
 * An inclusion proof as a self-contained JSON document: the event (seq,
 * prev_hash, body), the path, and the signed checkpoint it leads to.
 * checkpoint_note is the checkpoint to prove against (NULL: the latest stored
 * one that covers seq). Appends pretty JSON to out.
 */
int mcr_audit_proof_inclusion(struct mcr_audit *log, long long seq, const char *checkpoint_note,
                              struct mcr_buf *out);
/* A consistency proof from old_size to the checkpoint (NULL: the latest stored one). */
int mcr_audit_proof_consistency(struct mcr_audit *log, long long old_size,
                                const char *checkpoint_note, struct mcr_buf *out);

/*
 * Checks a proof document offline: the checkpoint (checkpoint_note, or the one
 * embedded if NULL) must carry a valid signature by key under origin (NULL:
 * the checkpoint's own), and the proof must lead from the event (or from the
 * old root) to its root. For a consistency proof, old_checkpoint_note (may be
 * NULL) is a checkpoint the reader kept: it must be signed by key too and
 * match the proof's old size and root. 0 if all holds; MCR_EREFUSED with a
 * reason otherwise (audit.bad_checkpoint_signature, audit.bad_checkpoint,
 * audit.bad_proof); MCR_EINPUT if the document is malformed. summary (may be
 * NULL) gets one line saying what was proved.
 */
int mcr_audit_proof_verify(const char *proof_json, size_t proof_len, const char *subject,
                           const char *checkpoint_note, const char *old_checkpoint_note,
                           const struct mcr_key *key, const char *origin, struct mcr_buf *summary);
/*
 * As mcr_audit_proof_verify against the document's own checkpoint, for a
 * caller that acts on the event: only an inclusion proof will do (any other
 * type is MCR_EREFUSED, audit.bad_proof), and on success *proven gets the
 * event whose leaf hash the proof led from: seq, prev_hash, hash and the
 * exact body (kind, actor and time stay NULL). The caller releases it with
 * mcr_audit_event_release.
 */
int mcr_audit_proof_verify_inclusion(struct mcr_audit_event *proven, const char *proof_json,
                                     size_t proof_len, const char *subject,
                                     const struct mcr_key *key, const char *origin,
                                     struct mcr_buf *summary);

#endif
