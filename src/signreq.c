/* Signing requests: made from a repository and an image, written and read as JSON. */
#include "signreq.h"

#include "cli.h"
#include "config.h"
#include "error.h"
#include "fileio.h"
#include "imgfile.h"
#include "json.h"
#include "layout.h"
#include "policy.h"

#include <cjson/cJSON.h>
#include <libgen.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RECORD_MAX_LEN (1024 * 1024)

void mcr_signreq_init(struct mcr_signreq *req)
{
	memset(req, 0, sizeof(*req));
	mcr_gittag_init(&req->tag);
}

void mcr_signreq_release(struct mcr_signreq *req)
{
	for (size_t i = 0; i < req->record_count; i++) {
		free(req->records[i].name);
		mcr_buf_release(&req->records[i].data);
	}
	mcr_gittag_release(&req->tag);
	free(req->product);
	free(req->requester);
	free(req->signer_name);
	free(req->mcurelease_version);
	free(req->image_name);
	mcr_signreq_init(req);
}

int mcr_signreq_new_id(char *out)
{
	unsigned char b[16];
	char hex[33];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return mcr_error_openssl(MCR_ESYS, "cannot draw a request id");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	mcr_hex_encode(hex, b, sizeof(b));
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
	return 0;
}

void mcr_signreq_now(char *out)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int mcr_signreq_layout(struct mcr_image_spec *spec, const struct mcr_config *cfg,
                       const struct mcr_version *version, const struct mcr_key *key)
{
	if (!cfg->image.slot_size)
		return mcr_error(MCR_EINPUT,
		                 "config '%s' sets no image.slot_size: the release layout needs it",
		                 cfg->path);
	return mcr_layout_release(spec, cfg, version, mcr_key_default_hash(mcr_key_type(key)));
}

/* Lays the image out and hashes it: the digest the signer will be asked to sign. */
static int measure_image(struct mcr_signreq *req, const char *path, const struct mcr_key *key)
{
	struct mcr_image_build *build = NULL;
	unsigned char sha[32];
	const unsigned char *digest;
	char *copy = strdup(path);
	int ret;

	if (!copy)
		return mcr_error(MCR_ESYS, "out of memory");
	if (!(req->image_name = strdup(basename(copy)))) {
		free(copy);
		return mcr_error(MCR_ESYS, "out of memory");
	}
	free(copy);
	if ((ret = mcr_image_build_new(&build, &req->spec, path, key)) < 0 ||
	    (ret = mcr_image_build_hash(build)) < 0 ||
	    (ret = mcr_hash_file(MCR_HASH_SHA256, path, sha)) < 0)
		goto out;
	digest = mcr_image_build_digest(build, &req->digest_len);
	memcpy(req->digest, digest, req->digest_len);
	mcr_hex_encode(req->image_sha256, sha, sizeof(sha));
	{
		struct mcr_imgfile f;

		if ((ret = mcr_imgfile_open(&f, path, false)) == 0)
			req->image_size = f.len;
		mcr_imgfile_release(&f);
	}
out:
	mcr_image_build_free(build);
	return ret;
}

static int read_records(struct mcr_signreq *req, const char *const *paths, size_t count)
{
	int ret;

	if (count > MCR_SIGNREQ_MAX_RECORDS)
		return mcr_error(MCR_EUSAGE, "too many build records (at most %d)",
		                 MCR_SIGNREQ_MAX_RECORDS);
	for (size_t i = 0; i < count; i++) {
		struct mcr_signreq_record *r = &req->records[req->record_count];

		mcr_buf_init(&r->data);
		if (!(r->name = strdup(paths[i])))
			return mcr_error(MCR_ESYS, "out of memory");
		req->record_count++;
		if ((ret = mcr_fileio_read_all(paths[i], RECORD_MAX_LEN, &r->data)) < 0)
			return ret;
	}
	return 0;
}

static int copy_str(char **out, const char *s)
{
	return (*out = strdup(s ? s : "")) ? 0 : mcr_error(MCR_ESYS, "out of memory");
}

int mcr_signreq_make(struct mcr_signreq *out, const struct mcr_signreq_inputs *in)
{
	const struct mcr_config *cfg = in->config;
	struct mcr_version version;
	int ret;

	mcr_signreq_init(out);
	if ((ret = mcr_signreq_new_id(out->request_id)) < 0 ||
	    (ret = copy_str(&out->product, cfg->product)) < 0 ||
	    (ret = copy_str(&out->requester, in->requester)) < 0 ||
	    (ret = copy_str(&out->signer_name, cfg->policy.release_signer)) < 0 ||
	    (ret = copy_str(&out->mcurelease_version, mcr_cli_version())) < 0)
		return ret;
	mcr_signreq_now(out->created);
	if ((ret = mcr_gittag_load(&out->tag, in->repo_path, in->tag_name)) < 0 ||
	    (ret = mcr_policy_tag_version(&version, in->tag_name, cfg->policy.tag.pattern)) < 0 ||
	    (ret = mcr_signreq_layout(&out->spec, cfg, &version, in->key)) < 0)
		return ret;
	out->key_type = mcr_key_type(in->key);
	out->full_public_key = out->spec.full_public_key;
	if ((ret = mcr_key_fingerprint(in->key, out->key_fingerprint)) < 0 ||
	    (ret = measure_image(out, in->image_path, in->key)) < 0)
		return ret;
	return read_records(out, in->record_paths, in->record_count);
}
