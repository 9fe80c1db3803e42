/* Assembly: the runner turns a verified signature into the signed image and its provenance. */
#include "assemble.h"

#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "hash.h"
#include "image_verify.h"
#include "key.h"
#include "provenance.h"
#include "signreq.h"
#include "signresp.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mcr_assembly {
	struct mcr_image_build *build;
	struct mcr_outfile provenance;
	bool has_provenance;
};

void mcr_assemble_free(struct mcr_assembly *a)
{
	if (!a)
		return;
	mcr_image_build_free(a->build);
	if (a->has_provenance)
		mcr_outfile_release(&a->provenance);
	free(a);
}

/* The host's answer as our own error, when it did not sign. */
static int host_outcome(const struct mcr_signreq *req, const struct mcr_signresp *resp)
{
	static const int codes[] = {MCR_OK,      MCR_EREFUSED, MCR_EUSAGE, MCR_EINPUT,
	                            MCR_ESIGNER, MCR_EAUDIT,   MCR_ESYS};
	int code;

	if (strcmp(resp->request_id, req->request_id))
		return mcr_refuse("response.other_request",
		                  "response is for request %s, not for request %s",
		                  resp->request_id, req->request_id);
	if (!strcmp(resp->outcome, "signed"))
		return 0;
	code = resp->status > 0 && resp->status <= 6 ? codes[resp->status] : MCR_ESIGNER;
	mcr_error(code, "signing host %s request %s: %s", resp->outcome, req->request_id,
	          resp->message ? resp->message : "no reason given");
	/* the host's reason code is the answer the runner reports */
	return mcr_error_set_reason(code, resp->reason ? resp->reason : "response.refused");
}

/* The signature must be the pinned key's, over this request's digest. */
static int check_signature(const struct mcr_signreq *req, const struct mcr_signresp *resp,
                           const struct mcr_key *pinned)
{
	char fingerprint[65];
	int ret;

	if ((ret = mcr_key_fingerprint(pinned, fingerprint)) < 0)
		return ret;
	if (strcmp(fingerprint, req->key_fingerprint) || strcmp(fingerprint, resp->key_fingerprint))
		return mcr_refuse(
		        "response.other_key",
		        "response for request %s is signed by key %.16s, the runner pins key %.16s",
		        req->request_id, resp->key_fingerprint, fingerprint);
	if (mcr_image_verify_signature(pinned, req->spec.hash_alg, req->digest, req->digest_len,
	                               NULL, 0, resp->signature.data, resp->signature.len) < 0)
		return mcr_refuse("response.bad_signature",
		                  "signature in the response to request %s does not verify with "
		                  "the pinned key %.16s",
		                  req->request_id, fingerprint);
	return 0;
}

/* Lays the image out again; it must be the image the request was made from. */
static int stage_image(struct mcr_assembly *a, const struct mcr_signreq *req,
                       const char *image_path, const struct mcr_key *pinned,
                       const struct mcr_assemble_paths *paths)
{
	struct mcr_image_output output = {paths->has_hex_addr, paths->hex_addr};
	const unsigned char *digest;
	size_t len;
	int ret;

	if ((ret = mcr_image_build_new(&a->build, &req->spec, image_path, pinned)) < 0 ||
	    (ret = mcr_image_build_stage(a->build, paths->image, &output)) < 0)
		return ret;
	digest = mcr_image_build_digest(a->build, &len);
	if (len != req->digest_len || memcmp(digest, req->digest, len))
		return mcr_refuse(
		        "image.changed",
		        "image '%s' is not the image request %s was made from (its digest differs)",
		        image_path, req->request_id);
	return 0;
}

static const char *base_name(const char *path, char *scratch, size_t len)
{
	snprintf(scratch, len, "%s", path);
	return basename(scratch);
}

static int stage_provenance(struct mcr_assembly *a, const struct mcr_signreq *req,
                            const struct mcr_signresp *resp, const struct mcr_assemble_paths *paths,
                            struct mcr_assemble_result *result)
{
	char n1[4096], n2[4096];
	struct mcr_provenance_subject subjects[2] = {
	        {base_name(paths->image, n1, sizeof(n1)), result->image.sha256},
	        {paths->hex ? base_name(paths->hex, n2, sizeof(n2)) : NULL, result->hex.sha256},
	};
	struct mcr_buf text = MCR_BUF_INIT;
	int ret;

	if ((ret = mcr_provenance_statement(&text, req, resp, subjects, paths->hex ? 2 : 1)) < 0 ||
	    (ret = mcr_outfile_open(&a->provenance, paths->provenance, 0644)) < 0)
		goto out;
	a->has_provenance = true;
	if ((ret = mcr_outfile_hash_content(&a->provenance)) == 0 &&
	    (ret = mcr_outfile_write(&a->provenance, text.data, text.len)) == 0 &&
	    (ret = mcr_outfile_finish(&a->provenance)) == 0)
		mcr_hex_encode(result->provenance_sha256, a->provenance.sha256, 32);
out:
	mcr_buf_release(&text);
	return ret;
}

int mcr_assemble_stage(struct mcr_assembly **out, const struct mcr_signreq *req,
                       const struct mcr_signresp *resp, const char *image_path,
                       const struct mcr_key *pinned, const struct mcr_assemble_paths *paths,
                       struct mcr_assemble_result *result)
{
	struct mcr_image_output hex_output = {paths->has_hex_addr, paths->hex_addr};
	struct mcr_assembly *a = calloc(1, sizeof(*a));
	int ret;

	*out = NULL;
	memset(result, 0, sizeof(*result));
	if (!a)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = host_outcome(req, resp)) < 0 || (ret = check_signature(req, resp, pinned)) < 0 ||
	    (ret = stage_image(a, req, image_path, pinned, paths)) < 0 ||
	    (ret = mcr_image_build_set_signature(a->build, resp->signature.data,
	                                         resp->signature.len)) < 0 ||
	    (ret = mcr_image_build_finish(a->build, &result->image)) < 0 ||
	    (paths->hex && (ret = mcr_image_build_add_output(a->build, paths->hex, &hex_output,
	                                                     &result->hex)) < 0) ||
	    (ret = stage_provenance(a, req, resp, paths, result)) < 0)
		goto out;
	*out = a;
	a = NULL;
out:
	mcr_assemble_free(a);
	return ret;
}

int mcr_assemble_publish(struct mcr_assembly *a)
{
	int ret = mcr_image_build_publish(a->build);

	return ret < 0 ? ret : mcr_outfile_publish(&a->provenance);
}
