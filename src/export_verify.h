/* Internal to verify-export (export_verify.c, export_verify_log.c): a bundle being checked and
 * what was found so far. */
#ifndef MCR_EXPORT_VERIFY_H
#define MCR_EXPORT_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;
struct mcr_buf;
struct mcr_export_check;
struct mcr_key;

struct mcr_verify {
	const char *dir; /* the bundle directory (unpacked, for a tar) */
	struct cJSON *manifest;
	const struct mcr_key *key; /* pinned, or the bundle's own */
	const char *origin;        /* the manifest's log origin */
	const char **listed;       /* manifest paths, sorted */
	size_t listed_count;
	struct mcr_export_check *out;
};

/*
 * Records a finding: the bundle is invalid; the first finding's reason and
 * message are kept, every one becomes a line. Returns 0: checking goes on.
 */
int mcr_verify_finding(struct mcr_verify *v, const char *reason, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* A line of the report that is not a finding. */
void mcr_verify_note(struct mcr_verify *v, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Whether the manifest lists rel. */
bool mcr_verify_is_listed(const struct mcr_verify *v, const char *rel);
/* Reads a listed file of the bundle (at most max_len bytes) into out. */
int mcr_verify_read(const struct mcr_verify *v, const char *rel, size_t max_len,
                    struct mcr_buf *out);

/* The chain of events.jsonl, the checkpoints and the proofs (export_verify_log.c). */
int mcr_verify_log(struct mcr_verify *v);

#endif
