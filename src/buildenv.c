/* A build's environment and tools: its exact variables, their digest, the programs it may run. */
#include "buildenv.h"

#include "buf.h"
#include "buildrec.h"
#include "buildrun.h"
#include "error.h"
#include "hash.h"
#include "json.h"
#include "proc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define PROBE_TIMEOUT_MS 10000
#define VERSION_MAX 200

/* The tools recorded when the build's PATH has them: the usual firmware toolchain. */
static const char *const known_tools[] = {"cc", "c++", "make", "cmake", "ninja",
					  "arm-none-eabi-gcc", NULL};

/* Set by mcurelease for every build; env_pass may not override them. */
static const char *const fixed_names[] = {"HOME", "SOURCE_DATE_EPOCH", "TZ", "LC_ALL", NULL};

void mcr_buildenv_init(struct mcr_buildenv *env)
{
	memset(env, 0, sizeof(*env));
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void mcr_buildenv_release(struct mcr_buildenv *env)
{
	strv_free(env->entries);
	strv_free(env->argv);
	free(env->program);
	mcr_buildenv_init(env);
}

static bool in_list(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(name, *list))
			return true;
	return false;
}

static bool is_env_name(const char *name)
{
	if (!*name || isdigit((unsigned char)*name))
		return false;
	for (; *name; name++)
		if (!isalnum((unsigned char)*name) && *name != '_')
			return false;
	return true;
}

/* Appends NAME=value, keeping entries NULL-terminated; a name given twice keeps its first value. */
static int add_entry(struct mcr_buildenv *env, size_t *count, const char *name, const char *value)
{
	size_t name_len = strlen(name);
	char **grown;

	for (size_t i = 0; i < *count; i++)
		if (!strncmp(env->entries[i], name, name_len) && env->entries[i][name_len] == '=')
			return 0;
	if (!(grown = realloc(env->entries, (*count + 2) * sizeof(*grown))))
		return mcr_error(MCR_ESYS, "out of memory");
	env->entries = grown;
	if (asprintf(&grown[*count], "%s=%s", name, value) < 0) {
		grown[*count] = NULL;
		return mcr_error(MCR_ESYS, "out of memory");
	}
	grown[++*count] = NULL;
	return 0;
}

static int make_entries(struct mcr_buildenv *env, const struct mcr_buildrun *run,
			const struct mcr_buildrun_spec *spec)
{
	const char *ours = getenv("PATH");
	bool pass_path = spec->env_pass && in_list("PATH", spec->env_pass);
	char epoch[32];
	size_t count = 0;
	int ret;

	snprintf(epoch, sizeof(epoch), "%lld", run->commit_time);
	if ((ret = add_entry(env, &count, "PATH", pass_path && ours && *ours ? ours :
				MCR_BUILDENV_DEFAULT_PATH)) < 0 ||
	    (ret = add_entry(env, &count, "HOME", run->home)) < 0 ||
	    (ret = add_entry(env, &count, "SOURCE_DATE_EPOCH", epoch)) < 0 ||
	    (ret = add_entry(env, &count, "TZ", "UTC")) < 0 ||
	    (ret = add_entry(env, &count, "LC_ALL", "C")) < 0)
		return ret;
	env->path = env->entries[0] + 5;
	for (const char *const *name = spec->env_pass; name && *name; name++) {
		const char *value = getenv(*name);

		if (!is_env_name(*name) || in_list(*name, fixed_names))
			return mcr_error(MCR_EINPUT, "build.env_pass may not name '%s': %s", *name,
					 is_env_name(*name) ? "mcurelease sets it for the build" :
							      "not a variable name");
		if (value && (ret = add_entry(env, &count, *name, value)) < 0)
			return ret;
	}
	return 0;
}

/* argv[0] of a relative path with '/' is a file in the checkout; a bare name is in PATH. */
static int resolve_program(struct mcr_buildenv *env, const struct mcr_buildrun *run,
			   const char *name)
{
	char *in_checkout = NULL;
	int ret;

	if (strchr(name, '/') && name[0] != '/' &&
	    asprintf(&in_checkout, "%s/%s", run->checkout, name) < 0)
		return mcr_error(MCR_ESYS, "out of memory");
	ret = mcr_proc_find_program_in(&env->program, in_checkout ? in_checkout : name, env->path);
	free(in_checkout);
	if (ret == 0 && strchr(name, '/') && name[0] != '/') {
		free(env->argv[0]);
		if (!(env->argv[0] = strdup(env->program)))
			return mcr_error(MCR_ESYS, "out of memory");
	}
	return ret;
}

int mcr_buildenv_make(struct mcr_buildenv *env, const struct mcr_buildrun *run,
		      const struct mcr_buildrun_spec *spec)
{
	size_t n = 0;
	int ret;

	while (spec->command[n])
		n++;
	if (!(env->argv = calloc(n + 1, sizeof(*env->argv))))
		return mcr_error(MCR_ESYS, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (!(env->argv[i] = strdup(spec->command[i])))
			return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = make_entries(env, run, spec)) < 0)
		return ret;
	return resolve_program(env, run, spec->command[0]);
}

/* SHA-256 of the canonical JSON object {NAME: value} of the entries, and their names. */
static int record_environment(struct mcr_buildrec *rec, const struct mcr_buildenv *env)
{
	struct mcr_buf canon = MCR_BUF_INIT;
	cJSON *obj = cJSON_CreateObject();
	char **names = NULL;
	size_t n = 0;
	int ret = 0;

	while (env->entries[n])
		n++;
	if (!obj || !(names = calloc(n + 1, sizeof(*names)))) {
		ret = mcr_error(MCR_ESYS, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && ret == 0; i++) {
		if (!(names[i] = strndup(env->entries[i], strcspn(env->entries[i], "=")))) {
			ret = mcr_error(MCR_ESYS, "out of memory");
			break;
		}
		ret = mcr_json_add_string(obj, names[i], env->entries[i] + strlen(names[i]) + 1);
	}
	if (ret < 0 || (ret = mcr_json_canonical(&canon, obj)) < 0 ||
	    (ret = mcr_hash_sha256_hex(rec->env_sha256, canon.data, canon.len)) < 0)
		goto out;
	ret = mcr_buildrec_set_env_names(rec, (const char *const *)names);
out:
	strv_free(names);
	cJSON_Delete(obj);
	mcr_buf_release(&canon);
	return ret;
}

/* The first line of `program --version`, run with the build's environment; NULL if none. */
static int probe_version(char **out, const struct mcr_buildenv *env,
			 const struct mcr_buildrun *run, const char *program)
{
	const char *argv[] = {program, "--version", NULL};
	struct mcr_proc_result res;
	struct mcr_proc_spec ps;
	struct mcr_buf *text;
	int ret;

	*out = NULL;
	mcr_proc_spec_init(&ps);
	ps.argv = argv;
	ps.env = (const char *const *)env->entries;
	ps.cwd = run->home;
	ps.stdout_max = ps.stderr_max = 4096;
	ps.timeout_ms = PROBE_TIMEOUT_MS;
	if ((ret = mcr_proc_run(&ps, &res)) == 0 && mcr_proc_succeeded(&res)) {
		text = res.out.len ? &res.out : &res.err;
		text->data[strcspn((char *)text->data, "\r\n")] = '\0';
		if (*text->data && !(*out = strndup((char *)text->data, VERSION_MAX)))
			ret = mcr_error(MCR_ESYS, "out of memory");
	}
	mcr_proc_result_release(&res);
	return ret;
}

/* One tool entry: where it is (relative to the checkout if in it) and its digest. */
static int add_tool(struct mcr_buildrec *rec, const struct mcr_buildenv *env,
		    const struct mcr_buildrun *run, const char *name, const char *path,
		    bool ask_version)
{
	size_t checkout_len = strlen(run->checkout);
	struct mcr_buildrec_tool *t;
	unsigned char sha[32];
	const char *shown = path;
	int ret;

	if (!strncmp(path, run->checkout, checkout_len) && path[checkout_len] == '/')
		shown = path + checkout_len + 1;
	if ((ret = mcr_hash_file(MCR_HASH_SHA256, path, sha)) < 0 ||
	    (ret = mcr_buildrec_add_tool(&t, rec)) < 0)
		return ret;
	mcr_hex_encode(t->sha256, sha, sizeof(sha));
	if (!(t->name = strdup(name)) || !(t->path = strdup(shown)))
		return mcr_error(MCR_ESYS, "out of memory");
	return ask_version ? probe_version(&t->version, env, run, path) : 0;
}

static int record_tools(struct mcr_buildrec *rec, const struct mcr_buildenv *env,
			const struct mcr_buildrun *run, const char *command_name)
{
	int ret = 0;

	/* a known tool as the command is recorded below, with its version */
	if (!in_list(command_name, known_tools) &&
	    (ret = add_tool(rec, env, run, command_name, env->program, false)) < 0)
		return ret;
	for (const char *const *name = known_tools; *name && ret == 0; name++) {
		char *path = NULL;

		if (mcr_proc_find_program_in(&path, *name, env->path) < 0) {
			mcr_error_clear(); /* not installed: nothing to record */
			continue;
		}
		ret = add_tool(rec, env, run, *name, path, true);
		free(path);
	}
	return ret;
}

int mcr_buildenv_record(struct mcr_buildrec *rec, const struct mcr_buildenv *env,
			const struct mcr_buildrun *run, const struct mcr_buildrun_spec *spec)
{
	int ret;

	rec->commit_time = run->commit_time;
	rec->source_date_epoch = run->commit_time;
	if ((ret = mcr_buildrec_set_command(rec, spec->command)) < 0 ||
	    (ret = record_environment(rec, env)) < 0)
		return ret;
	return record_tools(rec, env, run, spec->command[0]);
}
