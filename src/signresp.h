/* Signing responses: what a signing host answers to a request, signed or not, as one file. */
#ifndef MCR_SIGNRESP_H
#define MCR_SIGNRESP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "key.h"

#define MCR_SIGNRESP_FORMAT       "mcurelease.sign-response/v1"
#define MCR_SIGNRESP_MAX_BUILDERS 32

/* A build record the host counted: who built, with which key, which record, which artifact. */
struct mcr_signresp_builder {
	char *builder;
	char *key;
	char record_sha256[65];
	char *artifact;
};

/*
 * A signing response (schemas/sign-response.schema.json). A refusal or a
 * failure is a response too: outcome, status, reason and message say why.
 * Plain data; release with mcr_signresp_release.
 */
struct mcr_signresp {
	char request_id[37];
	char outcome[9]; /* "signed", "refused", "failed" */
	int status;      /* the exit status the host reported (0, 1, 3, 4, 5, 6) */
	char *reason;    /* stable reason code, NULL when signed */
	char *message;   /* the one line the host reported, NULL when signed */
	char signed_at[21];
	struct mcr_buf signature; /* the signature TLV value, verified by the host */
	char *key_name;
	enum mcr_key_type key_type;
	char key_fingerprint[65];
	char *public_key_pem;
	char *signer_json;       /* the signer's description (custody facts), compact JSON */
	char *tag_signer_format; /* "openpgp" / "ssh" */
	char *tag_signer_identity;
	char *tag_signer_key;
	struct mcr_signresp_builder builders[MCR_SIGNRESP_MAX_BUILDERS];
	size_t builder_count;
	char *log_origin;        /* C2SP origin of the audit log */
	long long requested_seq; /* the sign.requested (or sign.idempotent) event */
	long long previous_seq;  /* sign.idempotent: the earlier sign.completed of the same image,
	                            else 0 */
	char requested_hash[65];
	long long completed_seq; /* the sign.completed event, 0 if not (yet) appended */
	char completed_hash[65];
	char *checkpoint;      /* signed note covering requested_seq, NULL if the log has no key */
	char *inclusion_proof; /* the requested event's proof (audit proof JSON), or NULL */
};

void mcr_signresp_init(struct mcr_signresp *resp);
void mcr_signresp_release(struct mcr_signresp *resp);

/* Appends the response as pretty JSON. */
int mcr_signresp_write(const struct mcr_signresp *resp, struct mcr_buf *out);
/* Reads a response strictly; MCR_EINPUT naming subject for anything malformed. */
int mcr_signresp_parse(struct mcr_signresp *out, const char *text, size_t len, const char *subject);

#endif
