/* The all-in-one release job: the runner and the signing host in one process, same outputs as
 * apart. */
#include "release_job.h"

#include "audit.h"
#include "cli.h"
#include "config.h"
#include "error.h"
#include "release.h"
#include "release_session.h"
#include "signer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const mcr_release_phase_names[MCR_PHASE_COUNT] = {
        "setup", "request", "check", "sign", "write", "complete",
};

/* Everything the job opens, and the clock of its phases. */
struct job_state {
	struct mcr_release_session session;
	struct mcr_config *config; /* borrowed from session */
	struct mcr_signer *signer; /* borrowed from session */
	struct mcr_release_host host;
	double mark;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void mcr_release_clock_start(double *mark)
{
	*mark = now_ms();
}

void mcr_release_lap(double *mark, struct mcr_release_report *r, enum mcr_release_phase phase)
{
	double t = now_ms();

	r->phase_ms[phase] += t - *mark;
	r->total_ms += t - *mark;
	*mark = t;
}

static void lap(struct job_state *st, struct mcr_release_report *r, enum mcr_release_phase phase)
{
	mcr_release_lap(&st->mark, r, phase);
}

/* A failure once the log is open is recorded, even before there is a request to name. */
static int fail_setup(struct job_state *st, const struct mcr_release_job *job,
                      struct mcr_release_report *r, int code)
{
	if (!st->session.log || mcr_signreq_new_id(r->req.request_id) < 0 ||
	    !(r->req.tag.name = strdup(job->tag)))
		return code;
	return mcr_release_fail(&st->session.host, &r->req, &r->resp, "setup", code);
}

static int setup(struct job_state *st, const struct mcr_release_job *job,
                 struct mcr_release_report *r)
{
	struct mcr_release_place place = {job->config_path, job->repo_path, true, job->actor,
	                                  job->dry_run};
	int ret;

	if ((ret = mcr_release_session_open(&st->session, &place)) < 0)
		return ret;
	if ((ret = mcr_release_session_open_signers(&st->session)) < 0)
		return fail_setup(st, job, r, ret);
	st->config = st->session.config;
	st->signer = st->session.signer;
	st->host = st->session.host;
	return 0;
}

void mcr_release_report_release(struct mcr_release_report *r)
{
	mcr_signreq_release(&r->req);
	mcr_signresp_release(&r->resp);
	memset(r, 0, sizeof(*r));
}

int mcr_release_output_paths(struct mcr_release_report *r, const char *image, const char *output,
                             const char *provenance)
{
	const char *slash = strrchr(image, '/'), *dot = strrchr(image, '.');
	size_t size = sizeof(r->image_path);
	int n;

	if (output)
		n = snprintf(r->image_path, size, "%s", output);
	else if (dot && (!slash || dot > slash))
		n = snprintf(r->image_path, size, "%.*s.signed%s", (int)(dot - image), image, dot);
	else
		n = snprintf(r->image_path, size, "%s.signed", image);
	if (n < 0 || (size_t)n >= size)
		return mcr_error(MCR_EUSAGE, "output path for '%s' is too long", image);
	if (provenance)
		n = snprintf(r->provenance_path, size, "%s", provenance);
	else
		n = snprintf(r->provenance_path, size, "%s.intoto.json", r->image_path);
	if (n < 0 || (size_t)n >= size)
		return mcr_error(MCR_EUSAGE, "provenance path for '%s' is too long", r->image_path);
	return 0;
}

static int make_request(struct job_state *st, const struct mcr_release_job *job,
                        struct mcr_release_report *r)
{
	struct mcr_signreq_inputs in = {
	        st->config,   job->repo_path,    job->tag,          job->image,
	        job->records, job->record_count, st->session.actor, mcr_signer_key(st->signer)};
	int ret = mcr_signreq_make(&r->req, &in);

	r->has_request = true;
	memcpy(r->resp.request_id, r->req.request_id, sizeof(r->resp.request_id));
	/* a tag that could not be read is still the tag that was asked for */
	if (ret < 0 && !r->req.tag.name && !(r->req.tag.name = strdup(job->tag)))
		ret = mcr_error(MCR_ESYS, "out of memory");
	if (ret < 0 && !job->dry_run)
		ret = mcr_release_fail(&st->host, &r->req, &r->resp, "request", ret);
	return ret;
}

static int write_outputs(struct job_state *st, const struct mcr_release_job *job,
                         struct mcr_release_report *r, struct mcr_assembly **assembly)
{
	struct mcr_assemble_paths paths = {0};
	int ret;

	paths.image = r->image_path;
	paths.hex = job->hex_output;
	paths.provenance = r->provenance_path;
	paths.has_hex_addr = job->has_hex_addr || st->config->image.has_hex_addr;
	paths.hex_addr = job->has_hex_addr ? job->hex_addr : (uint32_t)st->config->image.hex_addr;
	ret = mcr_assemble_stage(assembly, &r->req, &r->resp, job->image,
	                         mcr_signer_key(st->signer), &paths, &r->outputs);
	if (ret < 0)
		return mcr_release_fail(&st->host, &r->req, &r->resp, "output", ret);
	return 0;
}

/* The file name the log records: where a file lands differs between hosts, its name does not. */
static const char *file_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* sign.completed with what was written, then the files appear. */
static int complete(struct job_state *st, const struct mcr_release_job *job,
                    struct mcr_release_report *r, struct mcr_assembly *assembly)
{
	struct mcr_release_outputs out = {0};
	int ret;

	out.image_name = file_name(r->image_path);
	out.image = &r->outputs.image;
	out.hex_name = job->hex_output ? file_name(job->hex_output) : NULL;
	out.hex = job->hex_output ? &r->outputs.hex : NULL;
	out.provenance_sha256 = r->outputs.provenance_sha256;
	if ((ret = mcr_release_complete(&st->host, &r->req, &r->resp, &out)) < 0)
		return ret; /* nothing published: no file exists that the log does not record */
	return mcr_assemble_publish(assembly);
}

int mcr_release_job_run(const struct mcr_release_job *job, struct mcr_release_report *r)
{
	struct job_state st;
	struct mcr_assembly *assembly = NULL;
	int ret;

	memset(&st, 0, sizeof(st));
	memset(r, 0, sizeof(*r));
	mcr_signreq_init(&r->req);
	mcr_signresp_init(&r->resp);
	mcr_release_clock_start(&st.mark);
	if ((ret = mcr_release_output_paths(r, job->image, job->output, job->provenance)) < 0)
		goto out;
	ret = setup(&st, job, r);
	lap(&st, r, MCR_PHASE_SETUP);
	if (ret < 0)
		goto out;
	ret = make_request(&st, job, r);
	lap(&st, r, MCR_PHASE_REQUEST);
	if (ret < 0)
		goto out;
	ret = mcr_release_request(&st.host, &r->req, &r->resp);
	lap(&st, r, MCR_PHASE_CHECK);
	if (ret < 0 || job->dry_run)
		goto out;
	r->is_idempotent = r->resp.previous_seq != 0;
	ret = mcr_release_sign(&st.host, &r->req, &r->resp);
	lap(&st, r, MCR_PHASE_SIGN);
	if (ret < 0)
		goto out;
	ret = write_outputs(&st, job, r, &assembly);
	lap(&st, r, MCR_PHASE_WRITE);
	if (ret < 0)
		goto out;
	ret = complete(&st, job, r, assembly);
	lap(&st, r, MCR_PHASE_COMPLETE);
	r->is_signed = ret == 0;
out:
	mcr_assemble_free(assembly);
	mcr_release_session_close(&st.session);
	return ret;
}
