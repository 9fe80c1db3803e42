/* 'mcurelease build': build a tag from a clean checkout and write a signed build record. */
#include "buildrec.h"
#include "buildrun.h"
#include "cli.h"
#include "config.h"
#include "error.h"
#include "fileio.h"
#include "image.h"
#include "json.h"
#include "key.h"
#include "layout.h"
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define MAX_ARTIFACTS 32

enum {
	OPT_TAG = MCR_OPT_FIRST, OPT_BUILDER, OPT_TWICE, OPT_KEEP, OPT_OUTPUT, OPT_COPY,
	OPT_ARTIFACT, OPT_KEY, OPT_REPO, OPT_CONFIG, OPT_JSON,
};

struct build_opts {
	const char *tag_name;
	const char *builder_id;
	const char *output;
	const char *copy_dir;
	const char *key;
	const char *repo_path;
	const char *config_path;
	const char *artifacts[MAX_ARTIFACTS + 1];
	size_t artifact_count;
	bool is_twice, is_keep, is_json;
};

static const struct mcr_option build_options[] = {
	{.long_name = "tag", .arg_name = "NAME", .help = "the release tag to build (required)",
	 .id = OPT_TAG},
	{.long_name = "builder", .arg_name = "ID",
	 .help = "builder identity (default: build.builder_id)",
	 .id = OPT_BUILDER},
	{.long_name = "twice", .help = "build twice, in two directories at two times, and compare",
	 .id = OPT_TWICE},
	{.long_name = "keep", .help = "keep the build directories after a successful build",
	 .id = OPT_KEEP},
	{.long_name = "output", .short_name = 'o', .arg_name = "FILE",
	 .help = "the record file (default: TAG.BUILDER.build-record.json)", .id = OPT_OUTPUT},
	{.long_name = "copy-artifacts", .arg_name = "DIR",
	 .help = "copy the artifacts to DIR/<path> before the checkout goes", .id = OPT_COPY},
	{.long_name = "artifact", .arg_name = "PATH",
	 .help = "an artifact to record (repeatable; default: build.artifacts)", .id = OPT_ARTIFACT},
	{.long_name = "key", .arg_name = "FILE",
	 .help = "SSH key that signs the record (default: build.signing_key)", .id = OPT_KEY},
	{.long_name = "repo", .arg_name = "PATH",
	 .help = "the repository (default: discovered from the current directory)", .id = OPT_REPO},
	{.long_name = "config", .arg_name = "FILE",
	 .help = "config file (default: $MCURELEASE_CONFIG or mcurelease.json)", .id = OPT_CONFIG},
	{.long_name = "json", .help = "print the result as JSON", .id = OPT_JSON},
	{.id = 0},
};

static const struct mcr_cli_spec build_spec = {
	"build", "--tag NAME [options] [-- BUILD COMMAND...]",
	"Clones the repository into a fresh directory, checks out the tag's commit, and runs the\n"
	"build command (build.command, or the words after '--') there with SOURCE_DATE_EPOCH set\n"
	"to the commit time, TZ=UTC, LC_ALL=C, an empty HOME and no other variables than\n"
	"build.env_pass names. Its output is streamed to stderr and kept in a log. The artifacts\n"
	"are hashed into a build record signed with the builder's SSH key (docs/builds.md).\n"
	"Exit status: 0 built, 1 --twice found a difference, 2 usage, 3 the build failed or an\n"
	"input is unusable, 6 a tool (ssh-keygen, the build program) is missing.",
	build_options, 0, -1,
};

static int build_option(void *ctx, int id, const char *arg, const char *arg2)
{
	struct build_opts *o = ctx;

	(void)arg2;
	switch (id) {
	case OPT_TAG:
		o->tag_name = arg;
		break;
	case OPT_BUILDER:
		o->builder_id = arg;
		break;
	case OPT_TWICE:
		o->is_twice = true;
		break;
	case OPT_KEEP:
		o->is_keep = true;
		break;
	case OPT_OUTPUT:
		o->output = arg;
		break;
	case OPT_COPY:
		o->copy_dir = arg;
		break;
	case OPT_KEY:
		o->key = arg;
		break;
	case OPT_REPO:
		o->repo_path = arg;
		break;
	case OPT_CONFIG:
		o->config_path = arg;
		break;
	case OPT_JSON:
		o->is_json = true;
		break;
	case OPT_ARTIFACT:
		if (o->artifact_count == MAX_ARTIFACTS)
			return mcr_error(MCR_EUSAGE, "more than %d artifacts for 'build'",
					 MAX_ARTIFACTS);
		o->artifacts[o->artifact_count++] = arg;
		break;
	}
	return 0;
}

/* Everything one 'build' run holds, released together. */
struct build_job {
	struct build_opts opts;
	struct mcr_config *config;
	struct mcr_gittag tag;
	struct mcr_image_spec image;
	struct mcr_buildrun_spec run_spec;
	struct mcr_buildrun runs[2];
	struct mcr_buildrec recs[2];
	char *output;
	int run_count;
	bool keep[2]; /* a directory a person must look at: a failed build, a difference */
};

static void job_init(struct build_job *job)
{
	memset(job, 0, sizeof(*job));
	mcr_gittag_init(&job->tag);
	for (int i = 0; i < 2; i++) {
		mcr_buildrun_init(&job->runs[i]);
		mcr_buildrec_init(&job->recs[i]);
	}
}

static void job_release(struct build_job *job)
{
	for (int i = 0; i < 2; i++) {
		mcr_buildrun_release(&job->runs[i]);
		mcr_buildrec_release(&job->recs[i]);
	}
	mcr_gittag_release(&job->tag);
	mcr_config_free(job->config);
	free(job->output);
}

/* The command line over the config. */
static int resolve(struct build_job *job, int argc, char **argv, int first)
{
	const struct mcr_build_config *bc = &job->config->build;
	struct mcr_buildrun_spec *rs = &job->run_spec;
	struct build_opts *o = &job->opts;

	if (!o->tag_name)
		return mcr_error(MCR_EUSAGE, "'build' needs --tag NAME (see 'mcurelease build --help')");
	if (!o->builder_id)
		o->builder_id = bc->builder_id;
	if (!o->builder_id || !*o->builder_id || strpbrk(o->builder_id, " \t\r\n"))
		return mcr_error(MCR_EUSAGE, "no usable builder id for tag '%s': set build.builder_id "
				 "or pass --builder (one word, as in allowed_signers)", o->tag_name);
	if (!o->key && !(o->key = bc->signing_key))
		return mcr_error(MCR_EUSAGE, "no key to sign the build record of tag '%s': set "
				 "build.signing_key or pass --key", o->tag_name);
	rs->command = first < argc ? (const char *const *)argv + first : bc->command;
	rs->artifacts = o->artifact_count ? o->artifacts : bc->artifacts;
	if (!rs->artifacts || !rs->artifacts[0])
		return mcr_error(MCR_EUSAGE, "no artifacts to record for tag '%s': set build.artifacts "
				 "or pass --artifact", o->tag_name);
	rs->subject = o->tag_name;
	rs->repo_path = o->repo_path;
	rs->env_pass = bc->env_pass;
	rs->work_dir = bc->work_dir;
	rs->stream_fd = mcr_cli_verbosity() < 0 ? -1 : STDERR_FILENO;
	return 0;
}

/* A key that cannot sign is found out before the build, not after it. */
static int check_key(const struct build_job *job)
{
	char *key_id = NULL;
	int ret = mcr_buildrec_key_id(&key_id, job->opts.key);

	free(key_id);
	return ret;
}

/* The MCUboot layout the artifacts are measured with; none when the tag gives no version. */
/* The release key's hash, so the recorded digest is the one the signer will be asked to sign. */
static enum mcr_hash_alg release_hash(const struct mcr_config *config)
{
	struct mcr_key *key = NULL;
	enum mcr_hash_alg alg = MCR_HASH_SHA256;

	if (mcr_layout_pinned_key(&key, config) == 0)
		alg = mcr_key_default_hash(mcr_key_type(key));
	else
		mcr_error_clear(); /* no pinned release key here: SHA-256, as for most keys */
	mcr_key_free(key);
	return alg;
}

static int image_layout(struct build_job *job)
{
	const struct mcr_config *config = job->config;
	struct mcr_version version;
	int ret;

	ret = mcr_policy_tag_version(&version, job->opts.tag_name, config->policy.tag.pattern);
	if (ret == MCR_EREFUSED) {
		mcr_cli_warn("%s: the artifacts get no MCUboot digest", mcr_error_message());
		mcr_error_clear();
		return 0;
	}
	if (ret < 0)
		return ret;
	if (!config->image.slot_size) {
		mcr_cli_warn("image.slot_size is not set in '%s': the artifacts get no MCUboot digest",
			     config->path);
		return 0;
	}
	if ((ret = mcr_layout_release(&job->image, config, &version, release_hash(config))) == 0)
		job->run_spec.image = &job->image;
	return ret;
}

static int build_one(struct build_job *job, int i)
{
	mcr_cli_info("building tag '%s' (commit %s), build %d", job->opts.tag_name, job->tag.commit,
		     i + 1);
	job->run_count = i + 1;
	return mcr_buildrun_build(&job->runs[i], &job->recs[i], &job->run_spec);
}

/* A second build starts in another second, so that anything stamping the time shows. */
static void wait_next_second(time_t since)
{
	struct timespec tick = {0, 50 * 1000 * 1000};

	while (time(NULL) <= since)
		nanosleep(&tick, NULL);
}

static int compare(struct build_job *job)
{
	struct mcr_buf differing = MCR_BUF_INIT;
	int ret;

	if ((ret = mcr_buildrec_compare(&differing, &job->recs[0], &job->recs[1])) == 0 &&
	    differing.len)
		ret = mcr_refuse("build.not_reproducible", "artifacts '%s' of tag '%s' differ "
				 "between the builds in '%s' and '%s' (diffoscope shows how)",
				 (char *)differing.data, job->opts.tag_name, job->runs[0].checkout,
				 job->runs[1].checkout);
	mcr_buf_release(&differing);
	return ret;
}

/* TAG.BUILDER.build-record.json, with anything unusual in a file name made '_'. */
static int default_output(char **out, const char *tag, const char *builder)
{
	if (asprintf(out, "%s.%s.build-record.json", tag, builder) < 0)
		return mcr_error(MCR_ESYS, "out of memory");
	for (char *c = *out; *c; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-@_",
			    *c))
			*c = '_';
	return 0;
}

/* Names the record, signs it, writes it, copies the artifacts out. */
static int seal(struct build_job *job)
{
	struct mcr_buildrec *rec = &job->recs[0];
	int ret;

	if (!(rec->tag = strdup(job->tag.name)) ||
	    !(rec->builder_id = strdup(job->opts.builder_id)) ||
	    !(rec->mcurelease_version = strdup(mcr_cli_version())) ||
	    (job->opts.output && !(job->output = strdup(job->opts.output))))
		return mcr_error(MCR_ESYS, "out of memory");
	memcpy(rec->tag_object, job->tag.tag_object, sizeof(rec->tag_object));
	memcpy(rec->commit, job->tag.commit, sizeof(rec->commit));
	/* the record, which says "built", comes last */
	if ((!job->output &&
	     (ret = default_output(&job->output, job->tag.name, job->opts.builder_id)) < 0) ||
	    (ret = mcr_buildrec_sign(rec, job->opts.key)) < 0 ||
	    (job->opts.copy_dir &&
	     (ret = mcr_buildrun_copy_artifacts(&job->runs[0], rec, job->opts.copy_dir)) < 0))
		return ret;
	return mcr_buildrec_write(rec, job->output);
}

/* Removes the directories nobody needs, keeping the error message of the run. */
static void cleanup(struct build_job *job)
{
	const char *reason = mcr_error_reason();
	char message[1024];

	snprintf(message, sizeof(message), "%s", mcr_error_message());
	for (int i = 0; i < job->run_count; i++)
		if (!job->keep[i] && !job->opts.is_keep)
			mcr_buildrun_remove(&job->runs[i]);
	mcr_error(0, "%s", message);
	mcr_error_set_reason(0, reason);
}

static void print_text(const struct build_job *job)
{
	const struct mcr_buildrec *rec = &job->recs[0];

	printf("record:     %s\ntag:        %s\ntag object: %s\ncommit:     %s\n", job->output,
	       rec->tag, rec->tag_object, rec->commit);
	printf("builder:    %s %s\n", rec->builder_id, rec->builder_key);
	for (size_t i = 0; i < rec->artifact_count; i++) {
		const struct mcr_buildrec_artifact *a = &rec->artifacts[i];

		printf("artifact:   %s %llu bytes sha256 %s\n", a->path, a->size, a->sha256);
		if (a->has_mcuboot)
			printf("mcuboot:    %s %s version %s\n", mcr_hash_name(a->mcuboot_hash_alg),
			       a->mcuboot_digest, a->mcuboot_version);
	}
	if (job->opts.is_twice)
		printf("reproduced: yes, built twice\n");
	for (int i = 0; job->opts.is_keep && i < job->run_count; i++)
		printf("kept:       %s\n", job->runs[i].dir);
}

static int add_kept(cJSON *root, const struct build_job *job)
{
	cJSON *kept = cJSON_CreateArray();

	for (int i = 0; kept && i < job->run_count; i++)
		if ((job->keep[i] || job->opts.is_keep) &&
		    !cJSON_AddItemToArray(kept, cJSON_CreateString(job->runs[i].dir))) {
			cJSON_Delete(kept);
			kept = NULL;
		}
	return mcr_json_add_item(root, "kept", kept);
}

/* The differing artifacts of a --twice refusal, as an array. */
static int add_differing(cJSON *root, const struct build_job *job)
{
	cJSON *list = cJSON_CreateArray();

	for (size_t i = 0; list && i < job->recs[0].artifact_count; i++) {
		const struct mcr_buildrec_artifact *a = &job->recs[0].artifacts[i];

		if (i < job->recs[1].artifact_count &&
		    !strcmp(a->sha256, job->recs[1].artifacts[i].sha256))
			continue;
		if (!cJSON_AddItemToArray(list, cJSON_CreateString(a->path))) {
			cJSON_Delete(list);
			list = NULL;
		}
	}
	return mcr_json_add_item(root, "differing", list);
}

/* {"verdict", "record_file", "reproduced", "kept", "record"} or, for a difference, the refusal. */
static int print_json(const struct build_job *job, int result)
{
	struct mcr_buf text = MCR_BUF_INIT;
	cJSON *root = cJSON_CreateObject(), *record = NULL;
	bool built = result == 0;
	int ret;

	if (!root)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_json_add_string(root, "verdict", built ? "built" : "not_reproducible")) < 0 ||
	    (ret = add_kept(root, job)) < 0)
		goto out;
	if (built && ((ret = mcr_json_add_string(root, "record_file", job->output)) < 0 ||
		      (ret = mcr_json_add_item(root, "reproduced", job->opts.is_twice ?
						cJSON_CreateTrue() : cJSON_CreateNull())) < 0 ||
		      (ret = mcr_buildrec_to_json(&record, &job->recs[0])) < 0 ||
		      (ret = mcr_json_add_item(root, "record", record)) < 0))
		goto out;
	if (!built && ((ret = mcr_json_add_string(root, "reason", mcr_error_reason())) < 0 ||
		       (ret = mcr_json_add_string(root, "message", mcr_error_message())) < 0 ||
		       (ret = add_differing(root, job)) < 0))
		goto out;
	if ((ret = mcr_json_pretty(&text, root)) == 0)
		fwrite(text.data, 1, text.len, stdout);
out:
	cJSON_Delete(root);
	mcr_buf_release(&text);
	return ret < 0 ? ret : result;
}

static int run_builds(struct build_job *job)
{
	time_t first_start = time(NULL);
	int ret;

	job->run_spec.commit = job->tag.commit;
	for (int i = 0; i < (job->opts.is_twice ? 2 : 1); i++) {
		if (i)
			wait_next_second(first_start);
		if ((ret = build_one(job, i)) < 0) {
			/* a build that ran has a log and a checkout worth a look */
			job->keep[i] = job->runs[i].log_path && mcr_fileio_exists(job->runs[i].log_path);
			return ret;
		}
	}
	if (job->opts.is_twice && (ret = compare(job)) < 0) {
		job->keep[0] = job->keep[1] = true;
		return ret;
	}
	return 0;
}

int mcr_cmd_build(int argc, char **argv)
{
	struct build_job job;
	int first, ret;

	job_init(&job);
	if ((ret = mcr_cli_parse(&build_spec, argc, argv, build_option, &job.opts, &first)) != 0)
		return ret > 0 ? 0 : ret;
	if ((ret = mcr_config_load(&job.config, job.opts.config_path)) < 0 ||
	    (ret = resolve(&job, argc, argv, first)) < 0 ||
	    (ret = check_key(&job)) < 0 ||
	    (ret = mcr_policy_tag_ids(&job.tag, job.opts.repo_path, job.opts.tag_name)) < 0 ||
	    (ret = image_layout(&job)) < 0)
		goto out;
	if ((ret = run_builds(&job)) == 0)
		ret = seal(&job);
	if (job.opts.is_json && (ret == 0 || !strcmp(mcr_error_reason() ? mcr_error_reason() : "",
						     "build.not_reproducible")))
		ret = print_json(&job, ret);
	else if (ret == 0)
		print_text(&job);
out:
	cleanup(&job);
	job_release(&job);
	return ret;
}
