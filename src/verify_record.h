/* Finding a release among audit events: the sign.requested that holds an image's digest and the
 * sign.completed that holds its signature. */
#ifndef MCR_VERIFY_RECORD_H
#define MCR_VERIFY_RECORD_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

/* What identifies the image, lowercase hex; "" for what is not known. */
struct mcr_verify_query {
	char digest_hex[129];      /* the MCUboot image digest (sign.requested data.digest.hex) */
	char file_sha256[65];      /* a signed file's SHA-256 (sign.completed signed_image/hex) */
	char signature_sha256[65]; /* of the image's signature (verify_image.h); "" with --hash */
	char signature_twin_sha256[65]; /* ECDSA: of the same signature with s and n - s swapped */
};

/* Whether a recorded signature SHA-256 is the image's: either encoding of its signature. */
bool mcr_verify_query_signature_is(const struct mcr_verify_query *query, const char *sha256);

/* One event as the record keeps it. A plain struct; release with mcr_verify_event_release. */
struct mcr_verify_event {
	long long seq; /* 0: none */
	char kind[32];
	char time[32];
	struct cJSON *data; /* the event's data object, owned */
};

/* Copies seq and the envelope {kind, time, data, ...} of a stored event body into out. */
int mcr_verify_event_set(struct mcr_verify_event *out, long long seq, const struct cJSON *envelope);
void mcr_verify_event_release(struct mcr_verify_event *event);

/* What the events say about the image. A plain struct; release with mcr_verify_record_release. */
struct mcr_verify_record {
	struct mcr_verify_event request;    /* seq 0: no request holds the digest */
	struct mcr_verify_event completion; /* seq 0: none of its completions holds the signature */
	size_t request_count;               /* requests of this digest (re-signing makes more) */
	size_t completion_count;            /* their completions, whatever their signature */
	const char *matched_by;             /* "mcuboot_digest", "file_sha256", or NULL */
};

void mcr_verify_record_release(struct mcr_verify_record *record);

/* Called by a source per event: seq and its stored body, parsed. Non-zero stops the scan. */
typedef int (*mcr_verify_event_fn)(void *ctx, long long seq, const struct cJSON *envelope);
/*
 * A source: visits its events in seq order, calling fn for each that
 * mcr_verify_query_in says may concern query (so most are never parsed).
 */
typedef int (*mcr_verify_scan_fn)(void *source, const struct mcr_verify_query *query,
                                  mcr_verify_event_fn fn, void *fn_ctx);

/* Whether a stored body could be about query: it mentions its digest or file hash. */
bool mcr_verify_query_in(const struct mcr_verify_query *query, const char *text, size_t len);

/*
 * Finds query's release among the events scan visits. With a signature: the
 * latest completion holding it, and its request; failing that, the latest
 * request of the digest alone. Without one (--hash): the latest completion
 * of the digest or of the signed file, and its request. A file hash is looked
 * up by the digest its completion names in a second scan. Returns 0 with out
 * filled (out->request.seq 0: not found), or the scan's error.
 */
int mcr_verify_record_find(struct mcr_verify_record *out, const struct mcr_verify_query *query,
                           mcr_verify_scan_fn scan, void *source);

/* The member at a path of keys (NULL-terminated), or NULL. Borrowed. */
const struct cJSON *mcr_verify_data_item(const struct cJSON *data, ...) __attribute__((sentinel));
/* The same, when it is a string; NULL otherwise. Borrowed. */
const char *mcr_verify_data_string(const struct cJSON *data, ...) __attribute__((sentinel));

#endif
