/* 'mcurelease records check': do enough trusted builders agree on this image from this tag? */
#include "buf.h"
#include "buildrec.h"
#include "cli.h"
#include "config.h"
#include "error.h"
#include "fileio.h"
#include "hash.h"
#include "json.h"
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

enum { OPT_TAG = MCR_OPT_FIRST, OPT_JSON, OPT_REPO, OPT_CONFIG };

struct check_opts {
	const char *tag_name;
	const char *repo_path;
	const char *config_path;
	bool is_json;
};

static const struct mcr_option check_options[] = {
	{.long_name = "tag", .arg_name = "NAME", .help = "the release tag (required)", .id = OPT_TAG},
	{.long_name = "json", .help = "print the verdict as JSON", .id = OPT_JSON},
	{.long_name = "repo", .arg_name = "PATH",
	 .help = "the repository (default: discovered from the current directory)", .id = OPT_REPO},
	{.long_name = "config", .arg_name = "FILE",
	 .help = "config file (default: $MCURELEASE_CONFIG or mcurelease.json)", .id = OPT_CONFIG},
	{.id = 0},
};

static const struct mcr_cli_spec check_spec = {
	"records check", "--tag NAME [options] IMAGE [RECORD...]",
	"Accepts IMAGE when every RECORD is a build record signed by its builder's key in\n"
	"policy.builders.allowed_signers, is for the commit and tag object that NAME has in the\n"
	"repository now, and lists an artifact with IMAGE's SHA-256, and when the records come\n"
	"from at least policy.builders.quorum distinct builders (docs/builds.md).\n"
	"Exit status: 0 accepted, 1 refused (with a reason code), 2 usage, 3 an unreadable image,\n"
	"record or allowed signers file, 6 ssh-keygen missing.",
	check_options, 1, -1,
};

static int check_option(void *ctx, int id, const char *arg, const char *arg2)
{
	struct check_opts *opts = ctx;

	(void)arg2;
	switch (id) {
	case OPT_TAG:
		opts->tag_name = arg;
		break;
	case OPT_JSON:
		opts->is_json = true;
		break;
	case OPT_REPO:
		opts->repo_path = arg;
		break;
	case OPT_CONFIG:
		opts->config_path = arg;
		break;
	}
	return 0;
}

/* The record files' bytes; an unreadable one is an input error, not a refusal. */
static int read_records(struct mcr_records_input *inputs, struct mcr_buf *bufs, char **paths,
			int count)
{
	int ret;

	for (int i = 0; i < count; i++) {
		if ((ret = mcr_fileio_read_all(paths[i], MCR_BUILDREC_MAX_LEN, &bufs[i])) < 0)
			return ret;
		inputs[i].subject = paths[i];
		inputs[i].data = bufs[i].data;
		inputs[i].len = bufs[i].len;
	}
	return 0;
}

static int add_optional(cJSON *obj, const char *key, const char *value)
{
	return mcr_json_add_string(obj, key, value && *value ? value : NULL);
}

static int record_json(cJSON *list, const struct mcr_record_verdict *r)
{
	cJSON *o = cJSON_CreateObject();
	int ret;

	if (!o || !cJSON_AddItemToArray(list, o)) {
		cJSON_Delete(o);
		return mcr_error(MCR_ESYS, "out of memory");
	}
	if ((ret = mcr_json_add_string(o, "file", r->subject)) < 0 ||
	    (ret = mcr_json_add_string(o, "verdict", r->reason ? "refused" : "agrees")) < 0 ||
	    (ret = add_optional(o, "reason", r->reason)) < 0 ||
	    (ret = add_optional(o, "message", r->message)) < 0 ||
	    (ret = add_optional(o, "builder_id", r->builder_id)) < 0 ||
	    (ret = add_optional(o, "builder_key", r->builder_key)) < 0 ||
	    (ret = add_optional(o, "commit", r->commit)) < 0 ||
	    (ret = add_optional(o, "artifact", r->artifact)) < 0)
		return ret;
	return mcr_json_add_bool(o, "counted", r->is_counted);
}

/* The schema of this object: docs/builds.md ("records check --json"). */
static int print_json(const struct mcr_records_verdict *v, const char *image_sha256)
{
	struct mcr_buf text = MCR_BUF_INIT;
	cJSON *root = cJSON_CreateObject(), *list;
	int ret;

	if (!root)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_json_add_string(root, "verdict", v->is_accepted ? "accepted" : "refused")) < 0 ||
	    (ret = add_optional(root, "reason", v->reason)) < 0 ||
	    (ret = add_optional(root, "message", v->message)) < 0 ||
	    (ret = mcr_json_add_string(root, "tag", v->tag_name)) < 0 ||
	    (ret = add_optional(root, "tag_object", v->tag_object)) < 0 ||
	    (ret = add_optional(root, "commit", v->commit)) < 0 ||
	    (ret = mcr_json_add_string(root, "image_sha256", image_sha256)) < 0 ||
	    (ret = mcr_json_add_int(root, "quorum", v->quorum)) < 0 ||
	    (ret = mcr_json_add_int(root, "agreeing", v->agreeing)) < 0 ||
	    (ret = mcr_json_add_item(root, "records", list = cJSON_CreateArray())) < 0)
		goto out;
	for (size_t i = 0; i < v->record_count; i++)
		if ((ret = record_json(list, &v->records[i])) < 0)
			goto out;
	if ((ret = mcr_json_pretty(&text, root)) == 0)
		fwrite(text.data, 1, text.len, stdout);
out:
	cJSON_Delete(root);
	mcr_buf_release(&text);
	return ret;
}

static void print_text(const struct mcr_records_verdict *v)
{
	for (size_t i = 0; i < v->record_count; i++) {
		const struct mcr_record_verdict *r = &v->records[i];

		if (r->reason)
			printf("refused  %s  %s\n", r->subject, r->reason);
		else
			printf("agrees   %s  %s %s%s\n", r->subject, r->builder_id, r->artifact,
			       r->is_counted ? "" : " (builder already counted)");
	}
	printf("verdict: %s%s%s, %u of %u builders agree on tag '%s' at commit %s\n",
	       v->is_accepted ? "accepted" : "refused", v->reason ? " " : "",
	       v->reason ? v->reason : "", v->agreeing, v->quorum, v->tag_name,
	       *v->commit ? v->commit : "(unknown)");
}

static int records_check(int argc, char **argv)
{
	struct check_opts opts = {0};
	struct mcr_config *config = NULL;
	struct mcr_records_verdict verdict;
	struct mcr_records_input *inputs = NULL;
	struct mcr_buf *bufs = NULL;
	unsigned char digest[32];
	char image_sha256[MCR_BUILDREC_SHA256_HEX];
	int first, count, ret, printed;

	mcr_policy_records_init(&verdict);
	if ((ret = mcr_cli_parse(&check_spec, argc, argv, check_option, &opts, &first)) != 0)
		return ret > 0 ? 0 : ret;
	if (!opts.tag_name)
		return mcr_error(MCR_EUSAGE, "'records check' needs --tag NAME");
	count = argc - first - 1;
	if (!(inputs = calloc((size_t)count + 1, sizeof(*inputs))) ||
	    !(bufs = calloc((size_t)count + 1, sizeof(*bufs)))) {
		ret = mcr_error(MCR_ESYS, "out of memory");
		goto out;
	}
	if ((ret = mcr_config_load(&config, opts.config_path)) < 0 ||
	    (ret = mcr_hash_file(MCR_HASH_SHA256, argv[first], digest)) < 0 ||
	    (ret = read_records(inputs, bufs, argv + first + 1, count)) < 0)
		goto out;
	mcr_hex_encode(image_sha256, digest, sizeof(digest));
	ret = mcr_policy_check_records(&verdict, &config->policy.builders,
				       &(struct mcr_records_target){.tag_name = opts.tag_name,
								    .repo_path = opts.repo_path,
								    .image_sha256 = image_sha256},
				       inputs, (size_t)count);
	if (ret != 0 && ret != MCR_EREFUSED)
		goto out;
	if (!opts.is_json)
		print_text(&verdict);
	else if ((printed = print_json(&verdict, image_sha256)) < 0)
		ret = printed;
out:
	for (int i = 0; bufs && i < count; i++)
		mcr_buf_release(&bufs[i]);
	free(bufs);
	free(inputs);
	mcr_policy_records_release(&verdict);
	mcr_config_free(config);
	return ret;
}

static const struct mcr_command records_commands[] = {
	{"check", records_check, "do enough trusted builders agree on an image from a tag?",
	 "config, repository"},
	{NULL, NULL, NULL, NULL},
};

int mcr_cmd_records(int argc, char **argv)
{
	return mcr_cli_dispatch("records", records_commands, argc, argv);
}
