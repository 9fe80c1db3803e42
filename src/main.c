/* Start-up, the command table, and the one place an error becomes an exit status. */
#include "cli.h"
#include "error.h"

#include <stdio.h>
#include <string.h>

static const struct mcr_command commands[] = {
	{"sign", mcr_cmd_sign, "the release job: gate, sign with the release signer, record", "config, repository, audit log"},
	{"request", mcr_cmd_request, "on a runner: write a signing request for a signing host", "config, repository"},
	{"assemble", mcr_cmd_assemble, "on a runner: a signing response and the image become the signed image", "config"},
	{"serve", mcr_cmd_serve, "on a signing host: answer one request on stdin (SSH forced command)", "config, audit log"},
	{"imgtool", mcr_cmd_imgtool, "imgtool-compatible sign, verify, dumpinfo, getpub", NULL},
	{"config", mcr_cmd_config, "validate the config file", NULL},
	{"signer", mcr_cmd_signer, "check and list the configured signers", "config"},
	{"tag", mcr_cmd_tag, "the git release gate: check a release tag", "config, repository"},
	{"build", mcr_cmd_build, "build a tag reproducibly and write a signed build record",
	 "config, repository"},
	{"records", mcr_cmd_records, "check build records: do enough builders agree on an image",
	 "config, repository"},
	{"verify", mcr_cmd_verify, "is this image ours: signature, release record, proof, tag", NULL},
	{"audit", mcr_cmd_audit, "the audit log: verify, log, show, checkpoint, proof", "audit log"},
	{NULL, NULL, NULL, NULL},
};

/* Takes the global -q/-v/--version/--help that may precede the command. */
static int global_options(int *argc, char ***argv, int *exit_now)
{
	*exit_now = 0;
	while (*argc > 1 && (*argv)[1][0] == '-') {
		const char *opt = (*argv)[1];

		if (!strcmp(opt, "-q") || !strcmp(opt, "--quiet")) {
			mcr_cli_set_verbosity(-1);
		} else if (!strcmp(opt, "-v") || !strcmp(opt, "--verbose")) {
			mcr_cli_set_verbosity(1);
		} else if (!strcmp(opt, "--version")) {
			printf("mcurelease %s\n", mcr_cli_version());
			*exit_now = 1;
			return 0;
		} else if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
			break;
		} else {
			return mcr_error(MCR_EUSAGE, "unknown option '%s' (see 'mcurelease --help')",
					 opt);
		}
		(*argv)[1] = (*argv)[0];
		(*argc)--;
		(*argv)++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int exit_now, ret;

	ret = global_options(&argc, &argv, &exit_now);
	if (ret == 0 && !exit_now)
		ret = mcr_cli_dispatch("mcurelease", commands, argc, argv);
	/* Success is only success once every result line has really been written. */
	if ((fflush(stdout) != 0 || ferror(stdout)) && ret >= 0)
		ret = mcr_error(MCR_ESYS, "cannot write to standard output");
	if (ret < 0 && mcr_error_message()[0])
		fprintf(stderr, "mcurelease: %s\n", mcr_error_message());
	return mcr_error_exit_status(ret);
}
