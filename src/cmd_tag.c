/* 'mcurelease tag check': the git release gate's verdict on one tag, for people, scripts and hooks. */
#include "cli.h"
#include "config.h"
#include "error.h"
#include "json.h"
#include "policy.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

enum { OPT_JSON = MCR_OPT_FIRST, OPT_REPO, OPT_CONFIG, OPT_NO_PIN };

struct check_opts {
	bool is_json;
	bool is_no_pin;
	const char *repo_path;
	const char *config_path;
};

static const struct mcr_option check_options[] = {
	{.long_name = "json", .help = "print the verdict as JSON", .id = OPT_JSON},
	{.long_name = "repo", .arg_name = "PATH",
	 .help = "the repository (default: discovered from the current directory)", .id = OPT_REPO},
	{.long_name = "config", .arg_name = "FILE",
	 .help = "config file (default: $MCURELEASE_CONFIG or mcurelease.json)", .id = OPT_CONFIG},
	{.long_name = "no-pin", .help = "check against the pin store without pinning (hooks)",
	 .id = OPT_NO_PIN},
	{.id = 0},
};

static const struct mcr_cli_spec check_spec = {
	"tag check", "[options] NAME",
	"Judges refs/tags/NAME as a release tag: an annotated tag object named NAME, pointing at\n"
	"a commit, signed by a configured OpenPGP key or SSH allowed signer (judged now), whose\n"
	"name matches the release pattern and gives an MCUboot version, and which was never\n"
	"accepted for another tag object. An accepted tag is pinned in the pin store.\n"
	"Exit status: 0 accepted, 1 refused (with a reason code), 2-6 could not check.",
	check_options, 1, 1,
};

static int check_option(void *ctx, int id, const char *arg, const char *arg2)
{
	struct check_opts *opts = ctx;

	(void)arg2;
	switch (id) {
	case OPT_JSON:
		opts->is_json = true;
		break;
	case OPT_REPO:
		opts->repo_path = arg;
		break;
	case OPT_CONFIG:
		opts->config_path = arg;
		break;
	case OPT_NO_PIN:
		opts->is_no_pin = true;
		break;
	}
	return 0;
}

static int add_optional(cJSON *obj, const char *key, const char *value)
{
	if (value && *value)
		return mcr_json_add_string(obj, key, value);
	return cJSON_AddNullToObject(obj, key) ? 0 : mcr_error(MCR_ESYS, "out of memory");
}

static int signer_json(cJSON **out, const struct mcr_tag_verdict *v)
{
	const char *format = v->signer.format ? mcr_tagsig_format_name(v->signer.format) : NULL;
	int ret;

	if (!(*out = cJSON_CreateObject()))
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = add_optional(*out, "format", format)) < 0 ||
	    (ret = add_optional(*out, "identity", v->signer.identity)) < 0 ||
	    (ret = add_optional(*out, "key", v->signer.key)) < 0)
		return ret;
	return 0;
}

/* The schema of this object: docs/git-gate.md ("tag check --json"). */
static int verdict_json(cJSON **out, const struct mcr_tag_verdict *v)
{
	cJSON *root = cJSON_CreateObject(), *signer = NULL;
	int ret;

	*out = root;
	if (!root)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_json_add_string(root, "verdict",
				       v->is_accepted ? "accepted" : "refused")) < 0 ||
	    (ret = add_optional(root, "reason", v->reason)) < 0 ||
	    (ret = add_optional(root, "message", v->message)) < 0 ||
	    (ret = mcr_json_add_string(root, "tag", v->tag_name)) < 0 ||
	    (ret = add_optional(root, "tag_object", v->tag_object)) < 0 ||
	    (ret = add_optional(root, "commit", v->commit)) < 0)
		return ret;
	if ((ret = signer_json(&signer, v)) < 0) {
		cJSON_Delete(signer);
		return ret;
	}
	/* root owns signer from here on, even when adding fails */
	if ((ret = mcr_json_add_item(root, "signer", signer)) < 0 ||
	    (ret = add_optional(root, "version", v->has_version ? v->version_text : NULL)) < 0 ||
	    (ret = mcr_json_add_bool(root, "pinned", v->is_newly_pinned)) < 0)
		return ret;
	return 0;
}

static int print_json(const struct mcr_tag_verdict *v)
{
	struct mcr_buf text = MCR_BUF_INIT;
	cJSON *root = NULL;
	int ret;

	if ((ret = verdict_json(&root, v)) == 0 && (ret = mcr_json_pretty(&text, root)) == 0)
		fwrite(text.data, 1, text.len, stdout);
	cJSON_Delete(root);
	mcr_buf_release(&text);
	return ret;
}

static void print_line(const char *key, const char *value)
{
	if (value && *value)
		printf("%-11s %s\n", key, value);
}

static void print_text(const struct mcr_tag_verdict *v)
{
	print_line("verdict:", v->is_accepted ? "accepted" : "refused");
	print_line("reason:", v->reason);
	print_line("tag:", v->tag_name);
	print_line("tag object:", v->tag_object);
	print_line("commit:", v->commit);
	print_line("version:", v->has_version ? v->version_text : NULL);
	print_line("format:", v->signer.format ? mcr_tagsig_format_name(v->signer.format) : NULL);
	print_line("signer:", v->signer.identity);
	print_line("key:", v->signer.key);
	print_line("pinned:", v->is_newly_pinned ? "now" : NULL);
}

static int tag_check(int argc, char **argv)
{
	struct check_opts opts = {0};
	struct mcr_config *config = NULL;
	struct mcr_tag_verdict verdict;
	int first, ret, printed;

	mcr_policy_verdict_init(&verdict);
	if ((ret = mcr_cli_parse(&check_spec, argc, argv, check_option, &opts, &first)) != 0)
		return ret > 0 ? 0 : ret;
	if ((ret = mcr_config_load(&config, opts.config_path)) < 0)
		goto out;
	ret = mcr_policy_check_tag(&verdict, &config->policy.tag, opts.repo_path, argv[first],
				   !opts.is_no_pin);
	if (ret != 0 && ret != MCR_EREFUSED)
		goto out;
	if (opts.is_json) {
		if ((printed = print_json(&verdict)) < 0)
			ret = printed;
	} else {
		print_text(&verdict);
	}
	/* the refusal's message is still the last error: main prints it on stderr */
out:
	mcr_policy_verdict_release(&verdict);
	mcr_config_free(config);
	return ret;
}

static const struct mcr_command tag_commands[] = {
	{"check", tag_check, "judge a release tag: signature, signer, name, version, pin",
	 "config, repository"},
	{NULL, NULL, NULL, NULL},
};

int mcr_cmd_tag(int argc, char **argv)
{
	return mcr_cli_dispatch("tag", tag_commands, argc, argv);
}
