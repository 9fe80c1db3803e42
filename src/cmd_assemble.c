/* mcurelease assemble: on the runner, a request, its response and the image become the signed
 * image. */
#include "assemble.h"
#include "buf.h"
#include "cli.h"
#include "config.h"
#include "error.h"
#include "fileio.h"
#include "key.h"
#include "layout.h"
#include "release_host.h"
#include "release_job.h"
#include "release_print.h"
#include "signreq.h"
#include "signresp.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_OUTPUT = MCR_OPT_FIRST,
	OPT_HEX,
	OPT_HEX_ADDR,
	OPT_PROVENANCE,
	OPT_CONFIG,
	OPT_KEY,
	OPT_JSON,
};

struct assemble_opts {
	const char *output, *hex, *provenance, *config_path, *key_path;
	bool has_hex_addr, json;
	uint32_t hex_addr;
};

static int assemble_option(void *ctx, int id, const char *arg, const char *arg2)
{
	struct assemble_opts *o = ctx;
	unsigned long long n;
	int ret;

	(void)arg2;
	switch (id) {
	case OPT_OUTPUT:
		o->output = arg;
		break;
	case OPT_HEX:
		o->hex = arg;
		break;
	case OPT_PROVENANCE:
		o->provenance = arg;
		break;
	case OPT_CONFIG:
		o->config_path = arg;
		break;
	case OPT_KEY:
		o->key_path = arg;
		break;
	case OPT_JSON:
		o->json = true;
		break;
	case OPT_HEX_ADDR:
		if ((ret = mcr_cli_parse_number(&n, arg, 0xffffffffULL, "--hex-addr")) < 0)
			return ret;
		o->has_hex_addr = true;
		o->hex_addr = (uint32_t)n;
		break;
	}
	return 0;
}

/* A request or response file, read only as far as a request may be long. */
static int read_file(struct mcr_buf *out, const char *path, const char *what)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return mcr_error_errno(MCR_EINPUT, "cannot open %s '%s'", what, path);
	ret = mcr_fileio_read_fd_bounded(fd, MCR_REQUEST_MAX_BYTES, out, path);
	close(fd);
	if (ret == 0 && out->len > MCR_REQUEST_MAX_BYTES)
		ret = mcr_error(MCR_EINPUT, "%s '%s' is larger than %u bytes", what, path,
		                MCR_REQUEST_MAX_BYTES);
	return ret;
}

static int read_both(struct mcr_release_report *r, const char *request, const char *response)
{
	struct mcr_buf req = MCR_BUF_INIT, resp = MCR_BUF_INIT;
	int ret;

	if ((ret = read_file(&req, request, "request")) == 0 &&
	    (ret = read_file(&resp, response, "response")) == 0 &&
	    (ret = mcr_signreq_parse(&r->req, (char *)req.data, req.len, request)) == 0) {
		r->has_request = true;
		ret = mcr_signresp_parse(&r->resp, (char *)resp.data, resp.len, response);
	}
	mcr_buf_release(&req);
	mcr_buf_release(&resp);
	return ret;
}

/* A host hands out a signature only once its sign.completed event holds it. */
static int check_completed(const struct mcr_signreq *req, const struct mcr_signresp *resp)
{
	if (strcmp(resp->outcome, "signed") || resp->completed_seq > 0 ||
	    strcmp(resp->request_id, req->request_id))
		return 0; /* refusals, and answers to other requests, are judged when staged */
	return mcr_refuse("response.not_completed",
	                  "response to request %s says signed but names no sign.completed event: "
	                  "the signing host did not record the signature",
	                  req->request_id);
}

/* The key the response must be signed with: --key, else the config's pin. */
static int pinned_key(struct mcr_key **key, struct mcr_config **config,
                      const struct assemble_opts *o)
{
	int ret;

	if (o->key_path && !o->config_path)
		return mcr_key_load_pem(key, o->key_path);
	if ((ret = mcr_config_load(config, o->config_path)) < 0)
		return ret;
	return o->key_path ? mcr_key_load_pem(key, o->key_path)
	                   : mcr_layout_pinned_key(key, *config);
}

static int assemble(const struct assemble_opts *o, char **files, struct mcr_release_report *r)
{
	struct mcr_assemble_paths paths = {0};
	struct mcr_assembly *assembly = NULL;
	struct mcr_config *config = NULL;
	struct mcr_key *key = NULL;
	int ret;

	if ((ret = mcr_release_output_paths(r, files[2], o->output, o->provenance)) < 0 ||
	    (ret = read_both(r, files[0], files[1])) < 0 ||
	    (ret = check_completed(&r->req, &r->resp)) < 0 ||
	    (ret = pinned_key(&key, &config, o)) < 0)
		goto out;
	paths.image = r->image_path;
	paths.hex = o->hex;
	paths.provenance = r->provenance_path;
	paths.has_hex_addr = o->has_hex_addr || (config && config->image.has_hex_addr);
	paths.hex_addr = o->has_hex_addr ? o->hex_addr
	                 : config        ? (uint32_t)config->image.hex_addr
	                                 : 0;
	if ((ret = mcr_assemble_stage(&assembly, &r->req, &r->resp, files[2], key, &paths,
	                              &r->outputs)) < 0 ||
	    (ret = mcr_assemble_publish(assembly)) < 0)
		goto out;
	r->is_signed = true;
	r->is_idempotent = r->resp.previous_seq != 0;
out:
	mcr_assemble_free(assembly);
	mcr_key_free(key);
	mcr_config_free(config);
	return ret;
}

int mcr_cmd_assemble(int argc, char **argv)
{
	static const struct mcr_option options[] = {
	        {"output", 'o', "FILE",
	         "signed image (default: IMAGE with .signed before the extension; .hex: Intel HEX)",
	         OPT_OUTPUT, false},
	        {"hex", 0, "FILE", "also write the signed image as Intel HEX", OPT_HEX, false},
	        {"hex-addr", 0, "ADDR", "base address of HEX output from a binary image",
	         OPT_HEX_ADDR, false},
	        {"provenance", 0, "FILE", "in-toto statement (default: OUTPUT.intoto.json)",
	         OPT_PROVENANCE, false},
	        {"config", 0, "FILE",
	         "config that pins the release key (default: $MCURELEASE_CONFIG, then the "
	         "repository's mcurelease.json)",
	         OPT_CONFIG, false},
	        {"key", 'k', "PEM", "the release public key to pin instead of the config's",
	         OPT_KEY, false},
	        {"json", 0, NULL, "print the result as JSON", OPT_JSON, false},
	        {NULL, 0, NULL, NULL, 0, false},
	};
	static const struct mcr_cli_spec spec = {
	        "assemble",
	        "[options] REQUEST RESPONSE IMAGE",
	        "On the runner: check that RESPONSE answers REQUEST, verify its signature with the "
	        "pinned\n"
	        "release key over the request's digest, check that IMAGE is the image the request "
	        "was made\n"
	        "from, then write the signed image and its provenance, byte for byte what the "
	        "all-in-one\n"
	        "'mcurelease sign' writes. A refusal in the response ends here with the host's "
	        "reason.\n"
	        "Exit 0 written, 1 refused (by the host, or a response that does not belong or "
	        "verify),\n"
	        "3 an unusable input, 4 the host's signer failed (docs/exit-status.md).",
	        options,
	        3,
	        3,
	};
	struct mcr_release_print print = {false, false, false, NULL, NULL};
	struct mcr_release_report report;
	struct assemble_opts o;
	int first, ret;

	memset(&o, 0, sizeof(o));
	if ((ret = mcr_cli_parse(&spec, argc, argv, assemble_option, &o, &first)) != 0)
		return ret > 0 ? 0 : ret;
	memset(&report, 0, sizeof(report));
	mcr_signreq_init(&report.req);
	mcr_signresp_init(&report.resp);
	ret = assemble(&o, argv + first, &report);
	print.json = o.json;
	print.hex_path = o.hex;
	mcr_release_print(&print, &report, ret);
	mcr_release_report_release(&report);
	return ret;
}
