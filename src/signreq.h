/* Signing requests: everything a signing host needs to decide and sign, as one carryable file. */
#ifndef MCR_SIGNREQ_H
#define MCR_SIGNREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "gittag.h"
#include "hash.h"
#include "image.h"
#include "key.h"

struct cJSON;
struct mcr_config;

#define MCR_SIGNREQ_FORMAT      "mcurelease.sign-request/v1"
#define MCR_SIGNREQ_MAX_RECORDS 32

/* One build record as its file's exact bytes. */
struct mcr_signreq_record {
	char *name;          /* the file name it came from (for messages) */
	struct mcr_buf data; /* the record file, byte for byte */
};

/*
 * A signing request (schemas/sign-request.schema.json). Made on the build
 * runner from the repository and the image (mcr_signreq_make), or read from
 * a file on the signing host (mcr_signreq_parse), which trusts none of it and
 * checks everything again. Plain data; release with mcr_signreq_release.
 */
struct mcr_signreq {
	char request_id[37];
	char created[21];
	char *product;
	char *requester;   /* who asked: a CI job, user@host */
	char *signer_name; /* the named signer asked for */
	char *mcurelease_version;
	struct mcr_gittag tag; /* name, object id, commit, raw object and its split */
	struct mcr_signreq_record records[MCR_SIGNREQ_MAX_RECORDS];
	size_t record_count;
	char *image_name; /* base name of the input image */
	uint64_t image_size;
	char image_sha256[65];
	struct mcr_image_spec spec; /* the layout: version, header, slot, security counter, hash */
	enum mcr_key_type key_type;
	char key_fingerprint[65]; /* the public key the layout (and KEYHASH) is made for */
	bool full_public_key;
	unsigned char digest[MCR_HASH_MAX_LEN];
	size_t digest_len;
};

void mcr_signreq_init(struct mcr_signreq *req);
void mcr_signreq_release(struct mcr_signreq *req);

/*
 * The layout of a release image from the config's "image" section, the
 * release version and the policy's security counter rule ("auto": from the
 * version; "none": no counter; a number), for a key of key's type.
 */
int mcr_signreq_layout(struct mcr_image_spec *spec, const struct mcr_config *cfg,
                       const struct mcr_version *version, const struct mcr_key *key);

/* What mcr_signreq_make starts from. */
struct mcr_signreq_inputs {
	const struct mcr_config *config;
	const char *repo_path; /* NULL: around the current directory */
	const char *tag_name;
	const char *image_path;
	const char *const *record_paths;
	size_t record_count;
	const char *requester;
	const struct mcr_key *key; /* the release signer's public key (pinned) */
};

/*
 * Makes a request: reads the tag object from the repository (its shape is
 * checked here; its signature by the host), derives the version from the tag
 * name, lays the image out as the config says and computes its digest, and
 * takes the record files' bytes. Refusals as mcr_gittag_load and
 * mcr_policy_tag_version; MCR_EINPUT for unreadable inputs.
 */
int mcr_signreq_make(struct mcr_signreq *out, const struct mcr_signreq_inputs *in);

/* Appends the request as pretty JSON. */
int mcr_signreq_write(const struct mcr_signreq *req, struct mcr_buf *out);

/*
 * Reads a request strictly (unknown keys, wrong types, bad lengths refused:
 * MCR_EINPUT naming subject). The tag object is re-parsed from its bytes
 * (mcr_gittag_from_object) and must carry the ids the request claims.
 */
int mcr_signreq_parse(struct mcr_signreq *out, const char *text, size_t len, const char *subject);

/* A random RFC 4122 version 4 UUID, lowercase, into out (37 bytes). */
int mcr_signreq_new_id(char *out);

/* The current UTC time as RFC 3339 with seconds into out (21 bytes). */
void mcr_signreq_now(char *out);

#endif
