/* mcurelease request: on a build runner, put everything a signing host must judge into one file. */
#include "buf.h"
#include "cli.h"
#include "config.h"
#include "error.h"
#include "fileio.h"
#include "json.h"
#include "key.h"
#include "layout.h"
#include "release_session.h"
#include "signreq.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

enum {
	OPT_TAG = MCR_OPT_FIRST,
	OPT_OUTPUT,
	OPT_CONFIG,
	OPT_REPO,
	OPT_REQUESTER,
	OPT_KEY,
	OPT_JSON
};

struct request_opts {
	const char *tag, *output, *config_path, *repo_path, *requester, *key_path;
	bool json;
};

static int request_option(void *ctx, int id, const char *arg, const char *arg2)
{
	struct request_opts *o = ctx;

	(void)arg2;
	switch (id) {
	case OPT_TAG:
		o->tag = arg;
		break;
	case OPT_OUTPUT:
		o->output = arg;
		break;
	case OPT_CONFIG:
		o->config_path = arg;
		break;
	case OPT_REPO:
		o->repo_path = arg;
		break;
	case OPT_REQUESTER:
		o->requester = arg;
		break;
	case OPT_KEY:
		o->key_path = arg;
		break;
	case OPT_JSON:
		o->json = true;
		break;
	}
	return 0;
}

static void print_text(const struct mcr_signreq *req, const char *output)
{
	char version[MCR_VERSION_TEXT_MAX], digest[2 * MCR_HASH_MAX_LEN + 1];

	mcr_version_format(version, &req->spec.version);
	mcr_hex_encode(digest, req->digest, req->digest_len);
	printf("request %s: tag %s (%.12s, commit %.12s), version %s\n", req->request_id,
	       req->tag.name, req->tag.tag_object, req->tag.commit, version);
	printf("image:    %s sha256 %s (%zu bytes)\n", req->image_name, req->image_sha256,
	       (size_t)req->image_size);
	printf("digest:   %s %s, for signer '%s' (%s, key %.16s)\n",
	       mcr_hash_name(req->spec.hash_alg), digest, req->signer_name,
	       mcr_key_type_name(req->key_type), req->key_fingerprint);
	printf("records:  %zu\n", req->record_count);
	printf("written:  %s (take it to the signing host: mcurelease sign --request)\n", output);
}

static int print_json(const struct mcr_signreq *req, const char *output)
{
	struct mcr_buf text = MCR_BUF_INIT;
	cJSON *obj = cJSON_CreateObject();
	int ret;

	if ((ret = mcr_json_add_string(obj, "request", output)) == 0 &&
	    (ret = mcr_json_add_string(obj, "request_id", req->request_id)) == 0 &&
	    (ret = mcr_json_add_string(obj, "tag", req->tag.name)) == 0 &&
	    (ret = mcr_json_add_string(obj, "commit", req->tag.commit)) == 0 &&
	    (ret = mcr_json_add_string(obj, "image_sha256", req->image_sha256)) == 0 &&
	    (ret = mcr_json_add_string(obj, "digest_alg", mcr_hash_name(req->spec.hash_alg))) ==
	            0 &&
	    (ret = mcr_json_add_hex(obj, "digest", req->digest, req->digest_len)) == 0 &&
	    (ret = mcr_json_pretty(&text, obj)) == 0)
		fputs((char *)text.data, stdout);
	cJSON_Delete(obj);
	mcr_buf_release(&text);
	return ret;
}

/* Makes and writes the request; the runner's config only has to pin the release key. */
static int make_request(const struct request_opts *o, const char *const *records, size_t count,
                        const char *image, const char *output)
{
	struct mcr_signreq_inputs in = {NULL,    o->repo_path, o->tag, image,
	                                records, count,        NULL,   NULL};
	struct mcr_config *config = NULL;
	struct mcr_key *key = NULL;
	struct mcr_signreq req;
	struct mcr_buf text = MCR_BUF_INIT;
	char requester[256];
	int ret;

	mcr_signreq_init(&req);
	if (o->requester)
		snprintf(requester, sizeof(requester), "%s", o->requester);
	else
		mcr_release_actor(requester, sizeof(requester));
	if ((ret = mcr_config_load(&config, o->config_path)) < 0)
		goto out;
	ret = o->key_path ? mcr_key_load_pem(&key, o->key_path)
	                  : mcr_layout_pinned_key(&key, config);
	if (ret < 0)
		goto out;
	in.config = config;
	in.requester = requester;
	in.key = key;
	if ((ret = mcr_signreq_make(&req, &in)) < 0 || (ret = mcr_signreq_write(&req, &text)) < 0 ||
	    (ret = mcr_fileio_write_atomic(output, text.data, text.len, 0644)) < 0)
		goto out;
	ret = o->json ? print_json(&req, output) : (print_text(&req, output), 0);
out:
	mcr_buf_release(&text);
	mcr_signreq_release(&req);
	mcr_key_free(key);
	mcr_config_free(config);
	return ret;
}

int mcr_cmd_request(int argc, char **argv)
{
	static const struct mcr_option options[] = {
	        {"tag", 't', "NAME", "the release tag (required)", OPT_TAG, false},
	        {"output", 'o', "FILE", "the request (default: TAG.request.json)", OPT_OUTPUT,
	         false},
	        {"config", 0, "FILE",
	         "config file (default: $MCURELEASE_CONFIG, then the repository's mcurelease.json)",
	         OPT_CONFIG, false},
	        {"repo", 0, "PATH", "the repository (default: around the current directory)",
	         OPT_REPO, false},
	        {"requester", 0, "WHO",
	         "who asks, as the request says it (default: CI job or user@host)", OPT_REQUESTER,
	         false},
	        {"key", 'k', "PEM", "the release public key, instead of the one the config pins",
	         OPT_KEY, false},
	        {"json", 0, NULL, "print the request's id, digest and path as JSON", OPT_JSON,
	         false},
	        {NULL, 0, NULL, NULL, 0, false},
	};
	static const struct mcr_cli_spec spec = {
	        "request",
	        "--tag NAME [options] IMAGE [RECORD...]",
	        "On a build runner: write a signing request for IMAGE as release tag NAME: the raw "
	        "tag\n"
	        "object, its commit, the build records, the image layout and digest, the signer "
	        "asked for\n"
	        "and who asks (schemas/sign-request.schema.json). A signing host judges and signs "
	        "it with\n"
	        "'mcurelease sign --request' or 'mcurelease serve --stdio'; 'mcurelease assemble' "
	        "turns the\n"
	        "response into the signed image. The config (or --key) pins the release public "
	        "key.\n"
	        "Exit 0 written, 1 the tag cannot be a release, 2 usage, 3 an unusable input.",
	        options,
	        1,
	        1 + 32,
	};
	struct request_opts o;
	char output[4096];
	int first, ret, n;

	memset(&o, 0, sizeof(o));
	if ((ret = mcr_cli_parse(&spec, argc, argv, request_option, &o, &first)) != 0)
		return ret > 0 ? 0 : ret;
	if (!o.tag)
		return mcr_error(MCR_EUSAGE, "'request' needs --tag NAME");
	if (!o.output && strchr(o.tag, '/'))
		return mcr_error(MCR_EUSAGE, "tag '%s' has a '/': give the request's path with -o",
		                 o.tag);
	if (o.output)
		n = snprintf(output, sizeof(output), "%s", o.output);
	else
		n = snprintf(output, sizeof(output), "%s.request.json", o.tag);
	if (n < 0 || (size_t)n >= sizeof(output))
		return mcr_error(MCR_EUSAGE, "the request's path is too long");
	return make_request(&o, (const char *const *)argv + first + 1, (size_t)(argc - first - 1),
	                    argv[first], output);
}
