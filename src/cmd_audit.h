/* Internal to 'mcurelease audit' (cmd_audit.c, cmd_audit_proof.c): the options and set-up its verbs
 * share. */
#ifndef MCR_CMD_AUDIT_H
#define MCR_CMD_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "audit.h"
#include "cli.h"

struct mcr_config;
struct mcr_key;
struct mcr_signer_config;

#define MCR_CMD_AUDIT_MAX_CHECKPOINTS 16

enum mcr_cmd_audit_option {
	OPT_DB = MCR_OPT_FIRST,
	OPT_CONFIG,
	OPT_JSON,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_KIND,
	OPT_TAG,
	OPT_IMAGE,
	OPT_CHECKPOINT,
	OPT_OLD_CHECKPOINT,
	OPT_GIT_REF,
	OPT_REPO,
	OPT_KEY,
	OPT_SIGNER,
	OPT_ORIGIN,
	OPT_OUT,
	OPT_ACTOR,
	OPT_CONSISTENCY,
};

/* Every audit verb's options; each verb's table says which it accepts. */
struct mcr_cmd_audit_opts {
	const char *db_path;
	const char *config_path;
	bool is_json;
	struct mcr_audit_filter filter;
	const char *checkpoints[MCR_CMD_AUDIT_MAX_CHECKPOINTS];
	size_t checkpoint_count;
	const char *old_checkpoint;
	const char *git_ref;
	const char *repo;
	const char *key_path;
	const char *signer_ref;
	const char *origin;
	const char *out_path;
	const char *actor;
	long long consistency_from; /* -1: not asked */
	long long printed;          /* events printed so far, for the separators of --json */
	struct mcr_config *config;  /* loaded by setup, freed by release */
	char *origin_buf;
};

#define OPTION_DB                                                                                  \
	{                                                                                          \
		.long_name = "db", .arg_name = "PATH",                                             \
		.help = "the audit log (default: from the config)", .id = OPT_DB                   \
	}
#define OPTION_CONFIG                                                                              \
	{                                                                                          \
		.long_name = "config", .arg_name = "FILE",                                         \
		.help = "config file (default: $MCURELEASE_CONFIG or mcurelease.json)",            \
		.id = OPT_CONFIG                                                                   \
	}
#define OPTION_JSON                                                                                \
	{                                                                                          \
		.long_name = "json", .help = "print JSON for scripts", .id = OPT_JSON              \
	}
#define OPTION_KEY                                                                                 \
	{                                                                                          \
		.long_name = "key", .arg_name = "PEM",                                             \
		.help = "the log's public key (default: the config's audit.log_signer)",           \
		.id = OPT_KEY                                                                      \
	}
#define OPTION_ORIGIN                                                                              \
	{                                                                                          \
		.long_name = "origin", .arg_name = "ORIGIN",                                       \
		.help = "the log's checkpoint origin (default: <product>/mcurelease/<log id>)",    \
		.id = OPT_ORIGIN                                                                   \
	}
#define OPTION_REPO                                                                                \
	{                                                                                          \
		.long_name = "repo", .arg_name = "PATH",                                           \
		.help = "repository of the checkpoint ref (default: around the config or here)",   \
		.id = OPT_REPO                                                                     \
	}

/*
 * Parses argv against spec into o (zeroed first). The config is loaded when
 * --config names one, or when needs_log and no --db says where the log is.
 * Returns 0, 1 after --help, or an error. Release o with mcr_cmd_audit_release.
 */
int mcr_cmd_audit_setup(struct mcr_cmd_audit_opts *o, const struct mcr_cli_spec *spec, int argc,
                        char **argv, int *first, bool needs_log);
void mcr_cmd_audit_release(struct mcr_cmd_audit_opts *o);

/* Opens the log o names (never creating it); warns if it is damaged and only read in part. */
int mcr_cmd_audit_open(struct mcr_audit **out, const struct mcr_cmd_audit_opts *o);
/* A positive number given for what (SEQ, --consistency). MCR_EUSAGE otherwise. */
int mcr_cmd_audit_parse_seq(long long *out, const char *text, const char *what);
/* --origin, else the config's "<product>/mcurelease/<log id>", else NULL (borrowed from o). */
int mcr_cmd_audit_origin(struct mcr_cmd_audit_opts *o, const char **out);
/* The config's audit.log_signer section, or NULL. Borrowed from o's config. */
const struct mcr_signer_config *mcr_cmd_audit_log_signer(const struct mcr_cmd_audit_opts *o);
/* --key, else the public key that pins the config's log signer; *out may stay NULL. */
int mcr_cmd_audit_log_key(struct mcr_key **out, const struct mcr_cmd_audit_opts *o);

/* The verbs of cmd_audit_proof.c. */
int mcr_cmd_audit_checkpoint(int argc, char **argv);
int mcr_cmd_audit_proof(int argc, char **argv);
int mcr_cmd_audit_verify_proof(int argc, char **argv);

#endif
