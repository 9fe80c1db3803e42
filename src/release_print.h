/* What the release commands (sign, sign --request, serve, assemble) print about a release. */
#ifndef MCR_RELEASE_PRINT_H
#define MCR_RELEASE_PRINT_H

#include <stdbool.h>

#include "release_job.h"

struct mcr_release_print {
	bool json;    /* one JSON object (schemas/sign-result.schema.json) on stdout */
	bool timings; /* each phase's duration on stderr */
	bool dry_run;
	const char *hex_path;      /* the --hex output, or NULL */
	const char *response_path; /* a signing host's response file, or NULL */
};

/* Prints the outcome ret of the release r; a refusal's one line is main's to print. */
void mcr_release_print(const struct mcr_release_print *o, const struct mcr_release_report *r,
                       int ret);

#endif
