/* Build records: the model, its JSON, and the signed record file. */
#include "buildrec.h"

#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

void mcr_buildrec_init(struct mcr_buildrec *rec)
{
	memset(rec, 0, sizeof(*rec));
	mcr_buf_init(&rec->signature);
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void mcr_buildrec_release(struct mcr_buildrec *rec)
{
	free(rec->tag);
	free(rec->builder_id);
	free(rec->builder_key);
	strv_free(rec->command);
	strv_free(rec->env_names);
	for (size_t i = 0; i < rec->tool_count; i++) {
		free(rec->tools[i].name);
		free(rec->tools[i].path);
		free(rec->tools[i].version);
	}
	free(rec->tools);
	for (size_t i = 0; i < rec->artifact_count; i++)
		free(rec->artifacts[i].path);
	free(rec->artifacts);
	free(rec->mcurelease_version);
	mcr_buf_release(&rec->signature);
	mcr_buildrec_init(rec);
}

static int strv_copy(char ***out, const char *const *v)
{
	size_t n = 0;
	char **copy;

	while (v && v[n])
		n++;
	if (!(copy = calloc(n + 1, sizeof(*copy))))
		return mcr_error(MCR_ESYS, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (!(copy[i] = strdup(v[i]))) {
			strv_free(copy);
			return mcr_error(MCR_ESYS, "out of memory");
		}
	}
	strv_free(*out);
	*out = copy;
	return 0;
}

int mcr_buildrec_set_command(struct mcr_buildrec *rec, const char *const *argv)
{
	return strv_copy(&rec->command, argv);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int mcr_buildrec_set_env_names(struct mcr_buildrec *rec, const char *const *names)
{
	size_t n = 0;
	int ret;

	if ((ret = strv_copy(&rec->env_names, names)) < 0)
		return ret;
	while (rec->env_names[n])
		n++;
	/* sorted, so the same environment always reads the same */
	qsort(rec->env_names, n, sizeof(*rec->env_names), compare_strings);
	return 0;
}

/* Grows *array of *count elements of size by one zeroed element. */
static void *add_slot(void *array_ptr, size_t *count, size_t size)
{
	void **array = array_ptr;
	unsigned char *grown = realloc(*array, (*count + 1) * size);

	if (!grown)
		return NULL;
	memset(grown + *count * size, 0, size);
	*array = grown;
	return grown + (*count)++ * size;
}

int mcr_buildrec_add_tool(struct mcr_buildrec_tool **out, struct mcr_buildrec *rec)
{
	if (!(*out = add_slot(&rec->tools, &rec->tool_count, sizeof(**out))))
		return mcr_error(MCR_ESYS, "out of memory");
	return 0;
}

int mcr_buildrec_add_artifact(struct mcr_buildrec_artifact **out, struct mcr_buildrec *rec)
{
	if (!(*out = add_slot(&rec->artifacts, &rec->artifact_count, sizeof(**out))))
		return mcr_error(MCR_ESYS, "out of memory");
	return 0;
}

void mcr_buildrec_format_time(char *out, long long when)
{
	time_t t = (time_t)when;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, MCR_BUILDREC_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, MCR_BUILDREC_TIME_MAX, "1970-01-01T00:00:00Z");
}

static int add_strv(cJSON *obj, const char *key, char *const *v)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; arr && v && v[i]; i++)
		if (!cJSON_AddItemToArray(arr, cJSON_CreateString(v[i])) ||
		    !cJSON_IsString(cJSON_GetArrayItem(arr, (int)i))) {
			cJSON_Delete(arr);
			arr = NULL;
		}
	return mcr_json_add_item(obj, key, arr);
}

/* Creates an object, adds it to arr or under key of parent, and gives it back in *out. */
static int child_object(cJSON **out, cJSON *parent, const char *key)
{
	*out = cJSON_CreateObject();
	if (key)
		return mcr_json_add_item(parent, key, *out);
	if (!*out || !cJSON_AddItemToArray(parent, *out)) {
		cJSON_Delete(*out);
		return mcr_error(MCR_ESYS, "out of memory");
	}
	return 0;
}

static int mcuboot_json(cJSON *obj, const struct mcr_buildrec_artifact *a)
{
	cJSON *m;
	int ret;

	if (!a->has_mcuboot)
		return mcr_json_add_item(obj, "mcuboot", cJSON_CreateNull());
	if ((ret = child_object(&m, obj, "mcuboot")) < 0 ||
	    (ret = mcr_json_add_string(m, "hash_alg", mcr_hash_name(a->mcuboot_hash_alg))) < 0 ||
	    (ret = mcr_json_add_string(m, "digest", a->mcuboot_digest)) < 0 ||
	    (ret = mcr_json_add_string(m, "version", a->mcuboot_version)) < 0)
		return ret;
	if (!a->has_security_counter)
		return mcr_json_add_item(m, "security_counter", cJSON_CreateNull());
	return mcr_json_add_int(m, "security_counter", (long long)a->security_counter);
}

static int lists_json(cJSON *root, const struct mcr_buildrec *rec)
{
	cJSON *tools = cJSON_CreateArray(), *arts = cJSON_CreateArray(), *o;
	int ret;

	if ((ret = mcr_json_add_item(root, "tools", tools)) < 0 ||
	    (ret = mcr_json_add_item(root, "artifacts", arts)) < 0)
		return ret;
	for (size_t i = 0; i < rec->tool_count; i++) {
		const struct mcr_buildrec_tool *t = &rec->tools[i];

		if ((ret = child_object(&o, tools, NULL)) < 0 ||
		    (ret = mcr_json_add_string(o, "name", t->name)) < 0 ||
		    (ret = mcr_json_add_string(o, "path", t->path)) < 0 ||
		    (ret = mcr_json_add_string(o, "sha256", t->sha256)) < 0 ||
		    (ret = mcr_json_add_string(o, "version", t->version)) < 0)
			return ret;
	}
	for (size_t i = 0; i < rec->artifact_count; i++) {
		const struct mcr_buildrec_artifact *a = &rec->artifacts[i];

		if ((ret = child_object(&o, arts, NULL)) < 0 ||
		    (ret = mcr_json_add_string(o, "path", a->path)) < 0 ||
		    (ret = mcr_json_add_int(o, "size", (long long)a->size)) < 0 ||
		    (ret = mcr_json_add_string(o, "sha256", a->sha256)) < 0 ||
		    (ret = mcuboot_json(o, a)) < 0)
			return ret;
	}
	return 0;
}

static int core_json(cJSON *root, const struct mcr_buildrec *rec)
{
	cJSON *env;
	int ret;

	if ((ret = mcr_json_add_string(root, "tag", rec->tag)) < 0 ||
	    (ret = mcr_json_add_string(root, "tag_object", rec->tag_object)) < 0 ||
	    (ret = mcr_json_add_string(root, "commit", rec->commit)) < 0 ||
	    (ret = mcr_json_add_int(root, "commit_time", rec->commit_time)) < 0 ||
	    (ret = mcr_json_add_string(root, "builder_id", rec->builder_id)) < 0 ||
	    (ret = mcr_json_add_string(root, "builder_key", rec->builder_key)) < 0 ||
	    (ret = add_strv(root, "command", rec->command)) < 0 ||
	    (ret = mcr_json_add_int(root, "source_date_epoch", rec->source_date_epoch)) < 0 ||
	    (ret = child_object(&env, root, "environment")) < 0 ||
	    (ret = mcr_json_add_string(env, "sha256", rec->env_sha256)) < 0 ||
	    (ret = add_strv(env, "names", rec->env_names)) < 0 ||
	    (ret = lists_json(root, rec)) < 0 ||
	    (ret = mcr_json_add_string(root, "started", rec->started)) < 0 ||
	    (ret = mcr_json_add_string(root, "finished", rec->finished)) < 0)
		return ret;
	return mcr_json_add_string(root, "mcurelease_version", rec->mcurelease_version);
}

int mcr_buildrec_to_json(cJSON **out, const struct mcr_buildrec *rec)
{
	cJSON *root;
	int ret;

	*out = NULL;
	if (!rec->tag || !rec->builder_id || !rec->builder_key || !rec->command ||
	    !rec->env_names || !rec->mcurelease_version || !*rec->commit || !*rec->started)
		return mcr_error(MCR_EINPUT, "build record of tag '%s' is incomplete",
				 rec->tag ? rec->tag : "");
	if (!(root = cJSON_CreateObject()))
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = core_json(root, rec)) < 0) {
		cJSON_Delete(root);
		return ret;
	}
	*out = root;
	return 0;
}

int mcr_buildrec_canonical(struct mcr_buf *out, const struct mcr_buildrec *rec)
{
	cJSON *json = NULL;
	int ret;

	if ((ret = mcr_buildrec_to_json(&json, rec)) == 0)
		ret = mcr_json_canonical(out, json);
	cJSON_Delete(json);
	return ret;
}

int mcr_buildrec_write(const struct mcr_buildrec *rec, const char *path)
{
	struct mcr_buf text = MCR_BUF_INIT;
	cJSON *file = cJSON_CreateObject(), *record = NULL;
	int ret;

	if (!file)
		return mcr_error(MCR_ESYS, "out of memory");
	if (!rec->signature.len) {
		ret = mcr_error(MCR_EINPUT, "build record '%s' is not signed", path);
		goto out;
	}
	if ((ret = mcr_json_add_string(file, "format", MCR_BUILDREC_FORMAT)) < 0 ||
	    (ret = mcr_buildrec_to_json(&record, rec)) < 0 ||
	    (ret = mcr_json_add_item(file, "record", record)) < 0 ||
	    (ret = mcr_json_add_string(file, "signature", (char *)rec->signature.data)) < 0 ||
	    (ret = mcr_json_pretty(&text, file)) < 0)
		goto out;
	ret = mcr_fileio_write_atomic(path, text.data, text.len, 0644);
out:
	cJSON_Delete(file);
	mcr_buf_release(&text);
	return ret;
}
