/* Build records: strict parsing of a record file, so that only what was signed is believed. */
#include "buildrec.h"

#include "buf.h"
#include "error.h"
#include "json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define SIG_BEGIN "-----BEGIN SSH SIGNATURE-----\n"
#define SIG_END "-----END SSH SIGNATURE-----\n"

/* Where a parse is, for messages: "rec.json' at 'record.artifacts[0]". */
struct parser {
	const char *subject;
	char where[512];
};

static const char *at(struct parser *p, const char *where)
{
	snprintf(p->where, sizeof(p->where), "%s' at '%s", p->subject, where);
	return p->where;
}

static int bad(struct parser *p, const char *where, const char *key, const char *why)
{
	return mcr_error(MCR_EINPUT, "bad key '%s.%s' in build record '%s': %s", where, key,
			 p->subject, why);
}

static bool is_hex(const char *s, size_t len)
{
	if (strlen(s) != len)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && !(*s >= 'a' && *s <= 'f'))
			return false;
	return true;
}

/* A required string, copied into *out (if out) after check(value) passes. */
static int take_str(struct parser *p, char **out, const cJSON *obj, const char *key,
		    const char *where)
{
	const char *value;
	int ret;

	if ((ret = mcr_json_get_string(&value, obj, key, true, at(p, where))) < 0)
		return ret;
	if (!*value || strchr(value, '\n'))
		return bad(p, where, key, "must be a non-empty single line");
	if (out && !(*out = strdup(value)))
		return mcr_error(MCR_ESYS, "out of memory");
	return 0;
}

/* A required lower-case hex string of one of the lengths (0-terminated list) into out. */
static int take_hex(struct parser *p, char *out, size_t out_size, const cJSON *obj,
		    const char *key, const char *where, const size_t *lengths)
{
	const char *value;
	int ret;

	if ((ret = mcr_json_get_string(&value, obj, key, true, at(p, where))) < 0)
		return ret;
	for (; *lengths; lengths++)
		if (*lengths < out_size && is_hex(value, *lengths)) {
			memcpy(out, value, *lengths + 1);
			return 0;
		}
	return bad(p, where, key, "must be lower-case hex of the right length");
}

static const size_t oid_lengths[] = {40, 64, 0};
static const size_t sha256_lengths[] = {64, 0};

/* An array of non-empty strings (at least min of them) into *out, NULL-terminated. */
static int take_strv(struct parser *p, char ***out, const cJSON *obj, const char *key,
		     const char *where, int min)
{
	const cJSON *arr, *item;
	size_t n = 0;
	int ret;

	if ((ret = mcr_json_get_array(&arr, obj, key, true, at(p, where))) < 0)
		return ret;
	if (cJSON_GetArraySize(arr) < min)
		return bad(p, where, key, "must not be empty");
	if (!(*out = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(**out))))
		return mcr_error(MCR_ESYS, "out of memory");
	cJSON_ArrayForEach(item, arr) {
		if (!cJSON_IsString(item) || !*item->valuestring)
			return bad(p, where, key, "must be an array of non-empty strings");
		if (!((*out)[n++] = strdup(item->valuestring)))
			return mcr_error(MCR_ESYS, "out of memory");
	}
	return 0;
}

static int take_time(struct parser *p, char *out, const cJSON *obj, const char *key)
{
	static const char form[] = "dddd-dd-ddTdd:dd:ddZ";
	const char *value;
	int ret;

	if ((ret = mcr_json_get_string(&value, obj, key, true, at(p, "record"))) < 0)
		return ret;
	for (size_t i = 0; i < sizeof(form); i++)
		if (form[i] == 'd' ? !isdigit((unsigned char)value[i]) : value[i] != form[i])
			return bad(p, "record", key, "must be a UTC time YYYY-MM-DDTHH:MM:SSZ");
	memcpy(out, value, sizeof(form));
	return 0;
}

static int parse_mcuboot(struct parser *p, struct mcr_buildrec_artifact *a, const cJSON *obj,
			 const char *where)
{
	static const char *const keys[] = {"hash_alg", "digest", "version", "security_counter",
					   NULL};
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "mcuboot");
	size_t lengths[2] = {0, 0};
	struct mcr_version version;
	const char *text;
	long long counter = -1;
	int ret;

	if (!m)
		return bad(p, where, "mcuboot", "is required (null when not an image)");
	if (cJSON_IsNull(m))
		return 0;
	if (!cJSON_IsObject(m))
		return bad(p, where, "mcuboot", "must be an object or null");
	if ((ret = mcr_json_check_keys(m, keys, at(p, where))) < 0 ||
	    (ret = mcr_json_get_string(&text, m, "hash_alg", true, at(p, where))) < 0)
		return ret;
	if (mcr_hash_parse(&a->mcuboot_hash_alg, text) < 0 ||
	    strcmp(text, mcr_hash_name(a->mcuboot_hash_alg)))
		return bad(p, where, "mcuboot.hash_alg", "must be sha256, sha384 or sha512");
	lengths[0] = 2 * mcr_hash_len(a->mcuboot_hash_alg);
	if ((ret = take_hex(p, a->mcuboot_digest, sizeof(a->mcuboot_digest), m, "digest", where,
			    lengths)) < 0 ||
	    (ret = mcr_json_get_string(&text, m, "version", true, at(p, where))) < 0 ||
	    (ret = mcr_json_get_int(&counter, m, "security_counter", false, 0, 0xffffffffLL,
				    at(p, where))) < 0)
		return ret;
	if (mcr_version_parse(&version, text) < 0)
		return bad(p, where, "mcuboot.version", "must be maj.min.rev+build");
	mcr_version_format(a->mcuboot_version, &version);
	/* exactly the form mcurelease writes, so one version has one spelling */
	if (strcmp(text, a->mcuboot_version))
		return bad(p, where, "mcuboot.version", "must be maj.min.rev+build");
	a->has_security_counter = counter >= 0;
	a->security_counter = counter >= 0 ? (unsigned long)counter : 0;
	a->has_mcuboot = true;
	return 0;
}

static int parse_artifact(struct parser *p, struct mcr_buildrec *rec, const cJSON *obj,
			  const char *where)
{
	static const char *const keys[] = {"path", "size", "sha256", "mcuboot", NULL};
	struct mcr_buildrec_artifact *a;
	long long size;
	int ret;

	if (!cJSON_IsObject(obj))
		return mcr_error(MCR_EINPUT, "bad key '%s' in build record '%s': must be an object",
				 where, p->subject);
	if ((ret = mcr_buildrec_add_artifact(&a, rec)) < 0 ||
	    (ret = mcr_json_check_keys(obj, keys, at(p, where))) < 0 ||
	    (ret = take_str(p, &a->path, obj, "path", where)) < 0)
		return ret;
	if (!mcr_buildrec_path_is_inside(a->path))
		return bad(p, where, "path", "must be a relative path without '.' or '..'");
	if ((ret = mcr_json_get_int(&size, obj, "size", true, 0, 1LL << 53, at(p, where))) < 0 ||
	    (ret = take_hex(p, a->sha256, sizeof(a->sha256), obj, "sha256", where,
			    sha256_lengths)) < 0)
		return ret;
	a->size = (unsigned long long)size;
	return parse_mcuboot(p, a, obj, where);
}

static int parse_tool(struct parser *p, struct mcr_buildrec *rec, const cJSON *obj,
		      const char *where)
{
	static const char *const keys[] = {"name", "path", "sha256", "version", NULL};
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(obj, "version");
	struct mcr_buildrec_tool *t;
	int ret;

	if (!cJSON_IsObject(obj))
		return mcr_error(MCR_EINPUT, "bad key '%s' in build record '%s': must be an object",
				 where, p->subject);
	if ((ret = mcr_buildrec_add_tool(&t, rec)) < 0 ||
	    (ret = mcr_json_check_keys(obj, keys, at(p, where))) < 0 ||
	    (ret = take_str(p, &t->name, obj, "name", where)) < 0 ||
	    (ret = take_str(p, &t->path, obj, "path", where)) < 0 ||
	    (ret = take_hex(p, t->sha256, sizeof(t->sha256), obj, "sha256", where,
			    sha256_lengths)) < 0)
		return ret;
	if (!version)
		return bad(p, where, "version", "is required (null when not asked)");
	if (cJSON_IsNull(version))
		return 0;
	if (!cJSON_IsString(version))
		return bad(p, where, "version", "must be a string or null");
	return (t->version = strdup(version->valuestring)) ? 0 : mcr_error(MCR_ESYS, "out of memory");
}

static int parse_lists(struct parser *p, struct mcr_buildrec *rec, const cJSON *obj)
{
	const cJSON *tools, *arts, *item;
	char where[64];
	int ret, i = 0;

	if ((ret = mcr_json_get_array(&tools, obj, "tools", true, at(p, "record"))) < 0 ||
	    (ret = mcr_json_get_array(&arts, obj, "artifacts", true, at(p, "record"))) < 0)
		return ret;
	cJSON_ArrayForEach(item, tools) {
		snprintf(where, sizeof(where), "record.tools[%d]", i++);
		if ((ret = parse_tool(p, rec, item, where)) < 0)
			return ret;
	}
	i = 0;
	cJSON_ArrayForEach(item, arts) {
		snprintf(where, sizeof(where), "record.artifacts[%d]", i++);
		if ((ret = parse_artifact(p, rec, item, where)) < 0)
			return ret;
	}
	if (!rec->artifact_count)
		return bad(p, "record", "artifacts", "must not be empty");
	return 0;
}

static int parse_environment(struct parser *p, struct mcr_buildrec *rec, const cJSON *obj)
{
	static const char *const keys[] = {"sha256", "names", NULL};
	const cJSON *env;
	int ret;

	if ((ret = mcr_json_get_object(&env, obj, "environment", true, at(p, "record"))) < 0 ||
	    (ret = mcr_json_check_keys(env, keys, at(p, "record.environment"))) < 0 ||
	    (ret = take_hex(p, rec->env_sha256, sizeof(rec->env_sha256), env, "sha256",
			    "record.environment", sha256_lengths)) < 0)
		return ret;
	return take_strv(p, &rec->env_names, env, "names", "record.environment", 0);
}

static int parse_record(struct parser *p, struct mcr_buildrec *rec, const cJSON *obj)
{
	static const char *const keys[] = {
		"tag", "tag_object", "commit", "commit_time", "builder_id", "builder_key",
		"command", "source_date_epoch", "environment", "tools", "artifacts", "started",
		"finished", "mcurelease_version", NULL};
	const long long max_time = 253402300799LL; /* 9999-12-31T23:59:59Z */
	int ret;

	if ((ret = mcr_json_check_keys(obj, keys, at(p, "record"))) < 0 ||
	    (ret = take_str(p, &rec->tag, obj, "tag", "record")) < 0 ||
	    (ret = take_hex(p, rec->tag_object, sizeof(rec->tag_object), obj, "tag_object",
			    "record", oid_lengths)) < 0 ||
	    (ret = take_hex(p, rec->commit, sizeof(rec->commit), obj, "commit", "record",
			    oid_lengths)) < 0 ||
	    (ret = mcr_json_get_int(&rec->commit_time, obj, "commit_time", true, 0, max_time,
				    at(p, "record"))) < 0 ||
	    (ret = take_str(p, &rec->builder_id, obj, "builder_id", "record")) < 0 ||
	    (ret = take_str(p, &rec->builder_key, obj, "builder_key", "record")) < 0 ||
	    (ret = take_strv(p, &rec->command, obj, "command", "record", 1)) < 0 ||
	    (ret = mcr_json_get_int(&rec->source_date_epoch, obj, "source_date_epoch", true, 0,
				    max_time, at(p, "record"))) < 0 ||
	    (ret = parse_environment(p, rec, obj)) < 0 || (ret = parse_lists(p, rec, obj)) < 0 ||
	    (ret = take_time(p, rec->started, obj, "started")) < 0 ||
	    (ret = take_time(p, rec->finished, obj, "finished")) < 0 ||
	    (ret = take_str(p, &rec->mcurelease_version, obj, "mcurelease_version", "record")) < 0)
		return ret;
	if (strncmp(rec->builder_key, "SHA256:", 7))
		return bad(p, "record", "builder_key", "must be an SSH fingerprint SHA256:...");
	return 0;
}

/* The armored signature: one block, nothing around it. */
static int parse_signature(struct parser *p, struct mcr_buildrec *rec, const cJSON *file)
{
	const char *sig;
	size_t len;
	int ret;

	if ((ret = mcr_json_get_string(&sig, file, "signature", true, at(p, "top level"))) < 0)
		return ret;
	len = strlen(sig);
	if (len < strlen(SIG_BEGIN) + strlen(SIG_END) || strncmp(sig, SIG_BEGIN, strlen(SIG_BEGIN)) ||
	    strcmp(sig + len - strlen(SIG_END), SIG_END) ||
	    strstr(sig + 1, "-----BEGIN") || strstr(sig, SIG_END) != sig + len - strlen(SIG_END))
		return mcr_error(MCR_EINPUT, "bad key 'signature' in build record '%s': must be one "
				 "armored SSH signature", p->subject);
	return mcr_buf_add(&rec->signature, sig, len);
}

/*
 * Other readers (jq takes the last of two equal keys, we the first) must see the
 * values we verified: duplicate keys anywhere are refused, and so are numbers
 * that are not exact integers (canonical JSON has no other).
 */
static int check_unique_keys(const cJSON *file, const char *subject)
{
	struct mcr_buf scratch = MCR_BUF_INIT;
	int ret = mcr_json_canonical(&scratch, file);
	char why[256];

	mcr_buf_release(&scratch);
	if (ret != MCR_EINPUT)
		return ret;
	snprintf(why, sizeof(why), "%s", mcr_error_message());
	return mcr_error(MCR_EINPUT, "%s in build record '%s'", why, subject);
}

int mcr_buildrec_parse(struct mcr_buildrec *out, const unsigned char *text, size_t len,
		       const char *subject)
{
	static const char *const keys[] = {"format", "record", "signature", NULL};
	struct parser p = {subject, ""};
	const cJSON *record;
	const char *format;
	cJSON *file = NULL;
	int ret;

	mcr_buildrec_init(out);
	if (len > MCR_BUILDREC_MAX_LEN) {
		ret = mcr_error(MCR_EINPUT, "build record '%s' is larger than %zu bytes", subject,
				MCR_BUILDREC_MAX_LEN);
		goto out;
	}
	if ((ret = mcr_json_parse(&file, (const char *)text, len, subject)) < 0)
		goto out;
	if (!cJSON_IsObject(file)) {
		ret = mcr_error(MCR_EINPUT, "build record '%s' is not a JSON object", subject);
		goto out;
	}
	if ((ret = check_unique_keys(file, subject)) < 0)
		goto out;
	if ((ret = mcr_json_check_keys(file, keys, at(&p, "top level"))) < 0 ||
	    (ret = mcr_json_get_string(&format, file, "format", true, at(&p, "top level"))) < 0)
		goto out;
	if (strcmp(format, MCR_BUILDREC_FORMAT)) {
		ret = mcr_error(MCR_EINPUT, "build record '%s' has format '%s', not '%s'", subject,
				format, MCR_BUILDREC_FORMAT);
		goto out;
	}
	if ((ret = mcr_json_get_object(&record, file, "record", true, at(&p, "top level"))) < 0 ||
	    (ret = parse_record(&p, out, record)) < 0)
		goto out;
	ret = parse_signature(&p, out, file);
out:
	cJSON_Delete(file);
	if (ret < 0)
		mcr_buildrec_release(out);
	return ret;
}
