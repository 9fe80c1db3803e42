/* mcurelease config check|show: validate the config file and say what it sets up. */
#include "buf.h"
#include "cli.h"
#include "config.h"
#include "error.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

enum { OPT_CONFIG = MCR_OPT_FIRST };

static int config_option(void *ctx, int id, const char *arg, const char *arg2)
{
	(void)id, (void)arg2;
	*(const char **)ctx = arg;
	return 0;
}

/* A file the config names must exist; the message names the key that names it. */
static int must_exist(const struct mcr_config *cfg, const char *path, const char *key)
{
	struct stat st;

	if (!path || stat(path, &st) == 0)
		return 0;
	return mcr_error_errno(MCR_EINPUT, "file '%s' named by '%s' in config '%s' is missing",
	                       path, key, cfg->path);
}

static int check_files(const struct mcr_config *cfg)
{
	const struct mcr_policy *p = &cfg->policy;
	int ret = 0;

	for (size_t i = 0; i < cfg->signer_count && ret == 0; i++) {
		const struct mcr_signer_config *s = &cfg->signers[i];

		if ((ret = must_exist(cfg, s->public_key_path, "public_key")) == 0 &&
		    (ret = must_exist(cfg, s->file_path, "key")) == 0 &&
		    (ret = must_exist(cfg, s->pkcs11_module, "module")) == 0 &&
		    (ret = must_exist(cfg, s->pkcs11_pin_file, "pin_file")) == 0 &&
		    (ret = must_exist(cfg, s->vault_token_file, "token_file")) == 0)
			ret = must_exist(cfg, s->vault_ca_file, "ca_file");
	}
	if (ret == 0 &&
	    (ret = must_exist(cfg, p->tag.gpg_keyring, "policy.tag.gpg_keyring")) == 0 &&
	    (ret = must_exist(cfg, p->tag.ssh_allowed_signers, "policy.tag.ssh_allowed_signers")) ==
	            0 &&
	    (ret = must_exist(cfg, p->tag.ssh_revocations, "policy.tag.ssh_revocations")) == 0)
		ret = must_exist(cfg, p->builders.allowed_signers,
		                 "policy.builders.allowed_signers");
	if (ret == 0 && cfg->signer_count && !mcr_config_signer(cfg, p->release_signer))
		ret = mcr_error(
		        MCR_EINPUT,
		        "policy.release_signer '%s' is not among the signers of config '%s'",
		        p->release_signer, cfg->path);
	if (ret == 0 && cfg->audit.log_signer && !mcr_config_signer(cfg, cfg->audit.log_signer))
		ret = mcr_error(MCR_EINPUT,
		                "audit.log_signer '%s' is not among the signers of config '%s'",
		                cfg->audit.log_signer, cfg->path);
	return ret;
}

static void summary(const struct mcr_config *cfg)
{
	const struct mcr_policy *p = &cfg->policy;

	printf("config %s: valid\n", cfg->path);
	printf("product:        %s\n", cfg->product);
	for (size_t i = 0; i < cfg->signer_count; i++)
		printf("signer:         %s (%s)%s\n", cfg->signers[i].name, cfg->signers[i].backend,
		       !strcmp(cfg->signers[i].name, p->release_signer) ? " - signs releases" : "");
	printf("tag pattern:    %s\n", p->tag.pattern);
	for (const char *const *fpr = p->tag.gpg_fingerprints; fpr && *fpr; fpr++)
		printf("tag trust:      OpenPGP key %s\n", *fpr);
	if (p->tag.ssh_allowed_signers)
		printf("tag trust:      SSH allowed signers in %s\n", p->tag.ssh_allowed_signers);
	if (!p->tag.gpg_fingerprints && !p->tag.ssh_allowed_signers)
		printf("tag trust:      none (no tag can be accepted)\n");
	printf("builders:       quorum %u%s%s\n", p->builders.quorum,
	       p->builders.allowed_signers ? ", allowed signers in " : "",
	       p->builders.allowed_signers ? p->builders.allowed_signers
	                                   : " (no allowed signers: no record can be trusted)");
	printf("dev keys:       %s\n",
	       p->allow_dev_keys ? "MAY sign releases" : "never sign releases");
	printf("audit log:      %s\n", cfg->audit.database);
}

static int cmd_check(int argc, char **argv)
{
	static const struct mcr_option options[] = {
	        {"config", 0, "FILE",
	         "config file (default: $MCURELEASE_CONFIG, then the repository's mcurelease.json)",
	         OPT_CONFIG, false},
	        {NULL, 0, NULL, NULL, 0, false},
	};
	static const struct mcr_cli_spec spec = {
	        "config check",
	        "[--config FILE]",
	        "Validate the config file: every key known and well-formed "
	        "(schemas/config.schema.json),\n"
	        "every file it names present, the release and log signers defined. Contacts no "
	        "signer\n"
	        "(use 'mcurelease signer test NAME' for that).",
	        options,
	        0,
	        0,
	};
	const char *path = NULL;
	struct mcr_config *cfg = NULL;
	int first, ret;

	if ((ret = mcr_cli_parse(&spec, argc, argv, config_option, &path, &first)) != 0)
		return ret > 0 ? 0 : ret;
	if ((ret = mcr_config_load(&cfg, path)) == 0 && (ret = check_files(cfg)) == 0)
		summary(cfg);
	mcr_config_free(cfg);
	return ret;
}

static const struct mcr_command config_commands[] = {
        {"check", cmd_check, "validate the config file and the files it names", NULL},
        {NULL, NULL, NULL, NULL},
};

int mcr_cmd_config(int argc, char **argv)
{
	return mcr_cli_dispatch("config", config_commands, argc, argv);
}
