/* mcurelease sign: the release job a tag-triggered CI job runs. */
#include "buf.h"
#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "release_host.h"
#include "release_job.h"
#include "release_print.h"
#include "signresp.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_TAG = MCR_OPT_FIRST,
	OPT_OUTPUT,
	OPT_HEX,
	OPT_HEX_ADDR,
	OPT_PROVENANCE,
	OPT_CONFIG,
	OPT_REPO,
	OPT_ACTOR,
	OPT_DRY_RUN,
	OPT_JSON,
	OPT_TIMINGS,
	OPT_REQUEST,
};

struct sign_opts {
	struct mcr_release_job job;
	const char *request; /* --request: this process is the signing host */
	bool json, timings;
};

static int sign_option(void *ctx, int id, const char *arg, const char *arg2)
{
	struct sign_opts *o = ctx;
	unsigned long long n;
	int ret;

	(void)arg2;
	switch (id) {
	case OPT_TAG:
		o->job.tag = arg;
		break;
	case OPT_OUTPUT:
		o->job.output = arg;
		break;
	case OPT_HEX:
		o->job.hex_output = arg;
		break;
	case OPT_PROVENANCE:
		o->job.provenance = arg;
		break;
	case OPT_CONFIG:
		o->job.config_path = arg;
		break;
	case OPT_REPO:
		o->job.repo_path = arg;
		break;
	case OPT_ACTOR:
		o->job.actor = arg;
		break;
	case OPT_DRY_RUN:
		o->job.dry_run = true;
		break;
	case OPT_JSON:
		o->json = true;
		break;
	case OPT_TIMINGS:
		o->timings = true;
		break;
	case OPT_REQUEST:
		o->request = arg;
		break;
	case OPT_HEX_ADDR:
		if ((ret = mcr_cli_parse_number(&n, arg, 0xffffffffULL, "--hex-addr")) < 0)
			return ret;
		o->job.has_hex_addr = true;
		o->job.hex_addr = (uint32_t)n;
		break;
	}
	return 0;
}

/* REQ.json -> REQ.response.json beside it. */
static int response_path(char *out, size_t len, const char *request)
{
	size_t n = strlen(request);
	int written;

	if (n > 5 && !strcmp(request + n - 5, ".json"))
		n -= 5;
	written = snprintf(out, len, "%.*s.response.json", (int)n, request);
	return written < 0 || (size_t)written >= len
	               ? mcr_error(MCR_EUSAGE, "response path for '%s' is too long", request)
	               : 0;
}

/* Writes the response whatever the outcome: the runner needs the refusal's reason as much. */
static int write_response(const char *path, const struct mcr_release_report *r)
{
	struct mcr_buf text = MCR_BUF_INIT;
	int ret = mcr_signresp_write(&r->resp, &text);

	if (ret == 0)
		ret = mcr_fileio_write_atomic(path, text.data, text.len, 0644);
	mcr_buf_release(&text);
	return ret;
}

/* sign --request REQ.json: the signing host's part, for a request carried here as a file. */
static int sign_request(struct sign_opts *o, int positional)
{
	struct mcr_host_job job = {o->job.config_path, o->job.actor, o->request, o->job.dry_run};
	struct mcr_release_print print = {o->json, o->timings, o->job.dry_run, NULL, NULL};
	struct mcr_release_report report;
	struct mcr_buf text = MCR_BUF_INIT;
	char output[4096];
	int fd, ret, wret;

	memset(&report, 0, sizeof(report));
	if (positional || o->job.tag || o->job.hex_output || o->job.provenance || o->job.repo_path)
		return mcr_error(MCR_EUSAGE,
		                 "'sign --request' takes only the request: the tag, records "
		                 "and layout are in it, and the signing host never sees the image");
	if (o->job.output)
		snprintf(output, sizeof(output), "%s", o->job.output);
	else if ((ret = response_path(output, sizeof(output), o->request)) < 0)
		return ret;
	if ((fd = open(o->request, O_RDONLY | O_CLOEXEC)) < 0)
		return mcr_error_errno(MCR_EINPUT, "cannot open request '%s'", o->request);
	ret = mcr_fileio_read_fd_bounded(fd, MCR_REQUEST_MAX_BYTES, &text, o->request);
	close(fd);
	if (ret < 0) {
		mcr_buf_release(&text);
		return ret;
	}
	ret = mcr_host_job_run(&job, (char *)text.data, text.len, &report);
	mcr_buf_release(&text);
	if (ret != 0 && !report.has_response)
		goto out;
	if (report.has_response && !o->job.dry_run && (wret = write_response(output, &report)) < 0)
		ret = ret ? ret : wret;
	else if (report.has_response && !o->job.dry_run)
		print.response_path = output;
	mcr_release_print(&print, &report, ret);
out:
	mcr_release_report_release(&report);
	return ret;
}

int mcr_cmd_sign(int argc, char **argv)
{
	static const struct mcr_option options[] = {
	        {"tag", 't', "NAME", "the release tag (required)", OPT_TAG, false},
	        {"output", 'o', "FILE",
	         "signed image (default: IMAGE with .signed before the extension); with --request, "
	         "the response (default: REQUEST.response.json)",
	         OPT_OUTPUT, false},
	        {"hex", 0, "FILE", "also write the signed image as Intel HEX", OPT_HEX, false},
	        {"hex-addr", 0, "ADDR", "base address of HEX output from a binary image",
	         OPT_HEX_ADDR, false},
	        {"provenance", 0, "FILE", "in-toto statement (default: OUTPUT.intoto.json)",
	         OPT_PROVENANCE, false},
	        {"request", 0, "FILE",
	         "be the signing host: judge and sign this request (mcurelease request), write the "
	         "response",
	         OPT_REQUEST, false},
	        {"config", 0, "FILE",
	         "config file (default: $MCURELEASE_CONFIG, then the repository's mcurelease.json)",
	         OPT_CONFIG, false},
	        {"repo", 0, "PATH", "the repository (default: around the current directory)",
	         OPT_REPO, false},
	        {"actor", 0, "WHO", "who asks, for the audit log (default: CI job or user@host)",
	         OPT_ACTOR, false},
	        {"dry-run", 'n', NULL,
	         "check everything and print the plan; record and sign nothing", OPT_DRY_RUN,
	         false},
	        {"json", 0, NULL, "print the result as JSON", OPT_JSON, false},
	        {"timings", 0, NULL, "print each phase's duration on standard error", OPT_TIMINGS,
	         false},
	        {NULL, 0, NULL, NULL, 0, false},
	};
	static const struct mcr_cli_spec spec = {
	        "sign",
	        "--tag NAME [options] IMAGE [RECORD...]  |  sign --request REQUEST [-o RESPONSE]",
	        "Sign IMAGE for release tag NAME: check the tag's signature and the build records, "
	        "record\n"
	        "the request in the audit log, have the release signer sign the image digest, "
	        "verify the\n"
	        "signature, write the signed image and its provenance, and record the result.\n"
	        "With --request, do the signing host's part of that for a request made elsewhere\n"
	        "(docs/remote-signing.md): re-check everything in it under this host's config, "
	        "sign,\n"
	        "record, and write a response that 'mcurelease assemble' turns into the signed "
	        "image.\n"
	        "Exit 0 signed, 1 refused (with the reason), 3/4/5/6 could not sign "
	        "(docs/exit-status.md).",
	        options,
	        0,
	        1 + 32,
	};
	struct mcr_release_print print = {false, false, false, NULL, NULL};
	struct sign_opts o;
	struct mcr_release_report report;
	int first, ret;

	memset(&o, 0, sizeof(o));
	if ((ret = mcr_cli_parse(&spec, argc, argv, sign_option, &o, &first)) != 0)
		return ret > 0 ? 0 : ret;
	if (o.request)
		return sign_request(&o, argc - first);
	if (!o.job.tag)
		return mcr_error(MCR_EUSAGE,
		                 "'sign' needs --tag NAME (or --request FILE on a signing host)");
	if (first >= argc)
		return mcr_error(MCR_EUSAGE, "'sign' needs the IMAGE to sign");
	o.job.image = argv[first];
	o.job.records = (const char *const *)argv + first + 1;
	o.job.record_count = (size_t)(argc - first - 1);
	ret = mcr_release_job_run(&o.job, &report);
	print = (struct mcr_release_print){o.json, o.timings, o.job.dry_run, o.job.hex_output,
	                                   NULL};
	mcr_release_print(&print, &report, ret);
	mcr_release_report_release(&report);
	return ret;
}
