/* Inside mcurelease verify: what one run holds, shared by verify.c (the inputs: options, image,
 * source, look-up) and verify_judge.c (the checks on what was found, and the verdict). */
#ifndef MCR_VERIFY_RUN_H
#define MCR_VERIFY_RUN_H

#include "config.h"
#include "key.h"
#include "verify.h"
#include "verify_keys.h"
#include "verify_provenance.h"

#include <stdbool.h>

/* What one run holds besides its options and report. */
struct run {
	const struct mcr_verify_opts *o;
	struct mcr_verify_report *rep;
	struct mcr_config *config;
	struct mcr_verify_keys keys;
	struct mcr_key *log_key;
	char *origin; /* the config's checkpoint origin, or NULL: the checkpoints' own */
	struct mcr_verify_query query;
	struct mcr_verify_provenance prov;
	bool has_prov;
	bool is_prov_unusable; /* a provenance was there (or given) and could not be read */
	int held;              /* the first unusable input set aside (hold), or 0 */
	char *held_message;
};

/*
 * An unusable input (provenance, repository) set aside: its check says why it was not done,
 * and the error waits until every other check has had its say. Other codes are returned.
 */
int mcr_verify_hold(struct run *r, struct mcr_verify_check *check, int code);

/* The held error, raised again: nothing else could decide. */
int mcr_verify_raise_held(const struct run *r);

/* The provenance's claimed signing time kept in the report. */
int mcr_verify_keep_signed_at(struct run *r);

int mcr_verify_copy_check(struct mcr_verify_check *to, const struct mcr_verify_check *from);

/* The record, the very signature, the provenance and the tag checked; then the verdict. */
int mcr_verify_judge(struct run *r);

#endif
