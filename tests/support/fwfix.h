/* Firmware fixtures: a real small C project in a git repository, builder keys, a config for 'build'. */
#ifndef MCR_FWFIX_H
#define MCR_FWFIX_H

#include <stdbool.h>

#include "gitfix.h"
#include "testutil.h"

enum mcr_fwfix_kind {
	MCR_FWFIX_REPRODUCIBLE,	    /* cc -ffile-prefix-map, __DATE__ from SOURCE_DATE_EPOCH */
	MCR_FWFIX_NOT_REPRODUCIBLE, /* embeds the build directory and the wall-clock time */
};

#define MCR_FWFIX_BUILDERS 3

/*
 * A repository (gitfix) holding firmware/: main.c and a Makefile that builds
 * build/fw.elf with cc and build/fw.bin (0x200 zero bytes, then the ELF: an
 * MCUboot-format input), a tag signed by the trusted SSH release key, and
 * three builder keys: builders[0] and [1] trusted for namespace
 * mcurelease-build in builders_allowed, builders[2] a stranger.
 */
struct mcr_fwfix {
	struct mcr_gitfix git;
	struct mcr_gitfix_ssh builders[MCR_FWFIX_BUILDERS]; /* builder-a, builder-b, builder-c */
	char builders_allowed[MCR_GITFIX_PATH_MAX];
	char work_dir[MCR_GITFIX_PATH_MAX]; /* DIR/work: build.work_dir */
	char records[MCR_GITFIX_PATH_MAX];  /* DIR/records: where tests put record files */
	unsigned quorum;		    /* policy.builders.quorum of the config; default 1 */
	const char *extra_build;	    /* JSON members added to "build", e.g. "\"env_pass\": [...]" */
};

/* gitfix set-up, the firmware committed, tag (e.g. "v1.2.3") signed at it, the config written. */
void mcr_fwfix_setup(struct mcr_fwfix *fx, enum mcr_fwfix_kind kind, const char *tag);

/* Rewrites fx->git.config from the fields above; returns its path. */
const char *mcr_fwfix_write_config(struct mcr_fwfix *fx);

/*
 * Runs 'mcurelease build --tag TAG' as builder index (its id and key) with
 * the fixture's config, writing the record to fx->records/<out_name>;
 * extra args (NULL-terminated) follow "--tag TAG", so a "-- COMMAND..." may
 * end them. Returns the exit status;
 * *r (if not NULL) gets the output, else it is released.
 */
int mcr_fwfix_build(struct mcr_fwfix *fx, struct mcr_test_result *r, int builder,
		    const char *tag, const char *out_name, ...);

/* fx->records/<name> (rotating static storage, as mcr_test_path). */
const char *mcr_fwfix_record(struct mcr_fwfix *fx, const char *name);

#endif
