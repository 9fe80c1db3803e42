/* The all-in-one release job: request, decide, sign, assemble, record, publish — in one process. */
#ifndef MCR_RELEASE_JOB_H
#define MCR_RELEASE_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assemble.h"
#include "signreq.h"
#include "signresp.h"

/* What the release job is asked. */
struct mcr_release_job {
	const char
	        *config_path;  /* NULL: $MCURELEASE_CONFIG, then the repository's mcurelease.json */
	const char *repo_path; /* NULL: around the current directory */
	const char *tag;
	const char *image;
	const char *const *records;
	size_t record_count;
	const char *output;     /* signed image (.hex: Intel HEX) */
	const char *hex_output; /* optional second output in Intel HEX */
	const char *provenance; /* NULL: <output>.intoto.json */
	bool has_hex_addr;
	uint32_t hex_addr;
	const char *actor; /* NULL: from the environment (CI job, user@host) */
	bool dry_run;
};

enum mcr_release_phase {
	MCR_PHASE_SETUP,    /* config, audit log, signers */
	MCR_PHASE_REQUEST,  /* tag object, layout, image digest, records read */
	MCR_PHASE_CHECK,    /* tag signature, records, policy, history; sign.requested */
	MCR_PHASE_SIGN,     /* checkpoint, proof, signer round trip */
	MCR_PHASE_WRITE,    /* signed image(s) and provenance to temp files */
	MCR_PHASE_COMPLETE, /* sign.completed, checkpoint, publish */
	MCR_PHASE_COUNT,
};

extern const char *const mcr_release_phase_names[MCR_PHASE_COUNT];

/* What happened; release with mcr_release_report_release. */
struct mcr_release_report {
	struct mcr_signreq req;
	struct mcr_signresp resp;
	struct mcr_assemble_result outputs;
	char image_path[4096]; /* the signed image written (or that would have been) */
	char provenance_path[4096];
	double phase_ms[MCR_PHASE_COUNT];
	double total_ms;
	bool has_request;  /* req was made */
	bool has_response; /* resp is an answer to send (signing host) */
	bool is_signed;
	bool is_idempotent;
};

void mcr_release_report_release(struct mcr_release_report *report);

/*
 * Where the outputs go: output, or the image's name with .signed before its
 * extension (zephyr.bin -> zephyr.signed.bin, as Zephyr names signed
 * images); the provenance: provenance, or OUTPUT.intoto.json. Into
 * r->image_path and r->provenance_path; MCR_EUSAGE for paths too long.
 */
int mcr_release_output_paths(struct mcr_release_report *r, const char *image, const char *output,
                             const char *provenance);

/* Phase timing: *mark is the start of the current phase; a lap adds its time to phase. */
void mcr_release_clock_start(double *mark);
void mcr_release_lap(double *mark, struct mcr_release_report *r, enum mcr_release_phase phase);

/*
 * Runs the whole job. Returns 0 when signed and published; MCR_EREFUSED for
 * a policy refusal; other codes for what could not be done. Every refusal
 * and failure after the log is open is recorded in it. report is filled as
 * far as the job got, in every case.
 */
int mcr_release_job_run(const struct mcr_release_job *job, struct mcr_release_report *report);

#endif
