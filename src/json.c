/* JSON parsing, canonical serialization and typed access on top of cJSON. */
#include "json.h"

#include "buf.h"
#include "error.h"
#include "fileio.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SAFE_INT 9007199254740992.0 /* 2^53: larger integers lose precision in doubles */

int mcr_json_parse(struct cJSON **out, const char *text, size_t text_len, const char *subject)
{
	const char *end = NULL;
	cJSON *root;

	*out = NULL;
	root = cJSON_ParseWithLengthOpts(text, text_len, &end, false);
	if (!root) {
		const char *where = cJSON_GetErrorPtr();
		size_t offset = where && where >= text && where <= text + text_len ?
					(size_t)(where - text) :
					0;

		return mcr_error(MCR_EINPUT, "malformed JSON in '%s' near byte %zu", subject,
				 offset);
	}
	while (end && (size_t)(end - text) < text_len && strchr(" \t\r\n", *end) && *end)
		end++;
	if (end && (size_t)(end - text) < text_len) {
		cJSON_Delete(root);
		return mcr_error(MCR_EINPUT, "trailing data after JSON in '%s' at byte %zu", subject,
				 (size_t)(end - text));
	}
	*out = root;
	return 0;
}

int mcr_json_parse_file(struct cJSON **out, const char *path, size_t max_len)
{
	struct mcr_buf text = MCR_BUF_INIT;
	int ret;

	*out = NULL;
	if ((ret = mcr_fileio_read_all(path, max_len, &text)) == 0)
		ret = mcr_json_parse(out, (const char *)text.data, text.len, path);
	mcr_buf_release(&text);
	return ret;
}

static int add_string(struct mcr_buf *out, const char *s)
{
	int ret = mcr_buf_add_u8(out, '"');

	for (; ret == 0 && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"':
			ret = mcr_buf_add_str(out, "\\\"");
			break;
		case '\\':
			ret = mcr_buf_add_str(out, "\\\\");
			break;
		case '\b':
			ret = mcr_buf_add_str(out, "\\b");
			break;
		case '\f':
			ret = mcr_buf_add_str(out, "\\f");
			break;
		case '\n':
			ret = mcr_buf_add_str(out, "\\n");
			break;
		case '\r':
			ret = mcr_buf_add_str(out, "\\r");
			break;
		case '\t':
			ret = mcr_buf_add_str(out, "\\t");
			break;
		default:
			ret = c < 0x20 ? mcr_buf_addf(out, "\\u%04x", c) : mcr_buf_add_u8(out, c);
		}
	}
	return ret ? ret : mcr_buf_add_u8(out, '"');
}

static int compare_keys(const void *a, const void *b)
{
	const cJSON *const *x = a, *const *y = b;

	return strcmp((*x)->string, (*y)->string);
}

static int add_object(struct mcr_buf *out, const cJSON *obj)
{
	const cJSON **members = NULL;
	const cJSON *child;
	size_t count = 0, i;
	int ret = 0;

	cJSON_ArrayForEach(child, obj)
		count++;
	if (count && !(members = calloc(count, sizeof(*members))))
		return mcr_error(MCR_ESYS, "out of memory");
	i = 0;
	cJSON_ArrayForEach(child, obj)
		members[i++] = child;
	if (count) /* qsort(NULL, 0, ...) is undefined behaviour */
		qsort(members, count, sizeof(*members), compare_keys);
	ret = mcr_buf_add_u8(out, '{');
	for (i = 0; i < count && ret == 0; i++) {
		if (i && !strcmp(members[i - 1]->string, members[i]->string)) {
			ret = mcr_error(MCR_EINPUT, "duplicate JSON key '%s'", members[i]->string);
			break;
		}
		if ((i && (ret = mcr_buf_add_u8(out, ',')) < 0) ||
		    (ret = add_string(out, members[i]->string)) < 0 ||
		    (ret = mcr_buf_add_u8(out, ':')) < 0)
			break;
		ret = mcr_json_canonical(out, members[i]);
	}
	free(members);
	return ret ? ret : mcr_buf_add_u8(out, '}');
}

int mcr_json_canonical(struct mcr_buf *out, const cJSON *item)
{
	const cJSON *child;
	int ret = 0;

	if (cJSON_IsNull(item))
		return mcr_buf_add_str(out, "null");
	if (cJSON_IsTrue(item))
		return mcr_buf_add_str(out, "true");
	if (cJSON_IsFalse(item))
		return mcr_buf_add_str(out, "false");
	if (cJSON_IsString(item))
		return add_string(out, item->valuestring);
	if (cJSON_IsNumber(item)) {
		double v = item->valuedouble;

		if (v != floor(v) || fabs(v) > MAX_SAFE_INT)
			return mcr_error(MCR_EINPUT, "JSON number %g is not an exact integer", v);
		return mcr_buf_addf(out, "%lld", (long long)v);
	}
	if (cJSON_IsArray(item)) {
		bool first = true;

		ret = mcr_buf_add_u8(out, '[');
		cJSON_ArrayForEach(child, item) {
			if (ret == 0 && !first)
				ret = mcr_buf_add_u8(out, ',');
			if (ret == 0)
				ret = mcr_json_canonical(out, child);
			first = false;
		}
		return ret ? ret : mcr_buf_add_u8(out, ']');
	}
	if (cJSON_IsObject(item))
		return add_object(out, item);
	return mcr_error(MCR_EINPUT, "JSON value of unknown type");
}

/* A number that reads back as exactly the same double: integers up to 2^53 as integers (cJSON
 * rounds those of 16 and 17 digits to 15 significant ones), others in 15 digits if they
 * suffice, else 17; -0 as read. */
static int add_number(struct mcr_buf *out, double v)
{
	char text[32];
	double back;

	if (isnan(v) || isinf(v))
		return mcr_buf_add_str(out, "null");
	if (v == 0 && signbit(v))
		return mcr_buf_add_str(out, "-0");
	if (v == floor(v) && fabs(v) <= MAX_SAFE_INT)
		return mcr_buf_addf(out, "%lld", (long long)v);
	snprintf(text, sizeof(text), "%1.15g", v);
	if (sscanf(text, "%lg", &back) != 1 || back != v)
		snprintf(text, sizeof(text), "%1.17g", v);
	return mcr_buf_add_str(out, text);
}

static int add_indent(struct mcr_buf *out, int depth)
{
	int ret = 0;

	while (ret == 0 && depth-- > 0)
		ret = mcr_buf_add_str(out, "  ");
	return ret;
}

/*
 * cJSON_Print's layout with two-space indents: objects one member per line (an empty one
 * "{\n}"), arrays on one line with ", ". depth counts the objects and arrays around item.
 */
static int add_pretty(struct mcr_buf *out, const cJSON *item, int depth)
{
	const cJSON *child;
	int ret;

	if (cJSON_IsNumber(item))
		return add_number(out, item->valuedouble);
	if (cJSON_IsArray(item)) {
		ret = mcr_buf_add_u8(out, '[');
		cJSON_ArrayForEach(child, item) {
			if (ret == 0 && child != item->child)
				ret = mcr_buf_add_str(out, ", ");
			if (ret == 0)
				ret = add_pretty(out, child, depth + 1);
		}
		return ret ? ret : mcr_buf_add_u8(out, ']');
	}
	if (cJSON_IsString(item) && !item->valuestring)
		return mcr_buf_add_str(out, "\"\""); /* as cJSON prints it */
	if (!cJSON_IsObject(item))
		return mcr_json_canonical(out, item);
	ret = mcr_buf_add_str(out, "{\n");
	cJSON_ArrayForEach(child, item) {
		if (ret == 0)
			ret = add_indent(out, depth + 1);
		if (ret == 0)
			ret = add_string(out, child->string ? child->string : "");
		if (ret == 0)
			ret = mcr_buf_add_str(out, ": ");
		if (ret == 0)
			ret = add_pretty(out, child, depth + 1);
		if (ret == 0)
			ret = mcr_buf_add_str(out, child->next ? ",\n" : "\n");
	}
	if (ret == 0)
		ret = add_indent(out, depth);
	return ret ? ret : mcr_buf_add_u8(out, '}');
}

int mcr_json_pretty(struct mcr_buf *out, const cJSON *item)
{
	int ret = add_pretty(out, item, 0);

	return ret ? ret : mcr_buf_add_u8(out, '\n');
}

static const cJSON *member(const cJSON *obj, const char *key)
{
	return obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

static int missing(const char *key, bool required, const char *subject)
{
	if (required)
		return mcr_error(MCR_EINPUT, "missing key '%s' in '%s'", key, subject);
	return 0;
}

int mcr_json_get_string(const char **out, const cJSON *obj, const char *key, bool required,
			const char *subject)
{
	const cJSON *item = member(obj, key);

	*out = NULL;
	if (!item || cJSON_IsNull(item))
		return missing(key, required, subject);
	if (!cJSON_IsString(item))
		return mcr_error(MCR_EINPUT, "key '%s' in '%s' must be a string", key, subject);
	*out = item->valuestring;
	return 0;
}

int mcr_json_get_int(long long *out, const cJSON *obj, const char *key, bool required,
		     long long min, long long max, const char *subject)
{
	const cJSON *item = member(obj, key);
	double v;

	if (!item || cJSON_IsNull(item))
		return missing(key, required, subject);
	v = item->valuedouble;
	if (!cJSON_IsNumber(item) || v != floor(v) || fabs(v) > MAX_SAFE_INT)
		return mcr_error(MCR_EINPUT, "key '%s' in '%s' must be an integer", key, subject);
	if ((long long)v < min || (long long)v > max)
		return mcr_error(MCR_EINPUT, "key '%s' in '%s' must be between %lld and %lld", key,
				 subject, min, max);
	*out = (long long)v;
	return 0;
}

int mcr_json_get_bool(bool *out, const cJSON *obj, const char *key, bool required,
		      const char *subject)
{
	const cJSON *item = member(obj, key);

	if (!item || cJSON_IsNull(item))
		return missing(key, required, subject);
	if (!cJSON_IsBool(item))
		return mcr_error(MCR_EINPUT, "key '%s' in '%s' must be true or false", key,
				 subject);
	*out = cJSON_IsTrue(item);
	return 0;
}

int mcr_json_get_object(const cJSON **out, const cJSON *obj, const char *key, bool required,
			const char *subject)
{
	const cJSON *item = member(obj, key);

	*out = NULL;
	if (!item || cJSON_IsNull(item))
		return missing(key, required, subject);
	if (!cJSON_IsObject(item))
		return mcr_error(MCR_EINPUT, "key '%s' in '%s' must be an object", key, subject);
	*out = item;
	return 0;
}

int mcr_json_get_array(const cJSON **out, const cJSON *obj, const char *key, bool required,
		       const char *subject)
{
	const cJSON *item = member(obj, key);

	*out = NULL;
	if (!item || cJSON_IsNull(item))
		return missing(key, required, subject);
	if (!cJSON_IsArray(item))
		return mcr_error(MCR_EINPUT, "key '%s' in '%s' must be an array", key, subject);
	*out = item;
	return 0;
}

int mcr_json_check_keys(const cJSON *obj, const char *const *allowed, const char *subject)
{
	const cJSON *child;

	cJSON_ArrayForEach(child, obj) {
		const char *const *name;

		for (name = allowed; *name && strcmp(*name, child->string); name++)
			;
		if (!*name)
			return mcr_error(MCR_EINPUT, "unknown key '%s' in '%s'", child->string,
					 subject);
	}
	return 0;
}

int mcr_json_add_item(cJSON *obj, const char *key, cJSON *item)
{
	if (!item || !cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		return mcr_error(MCR_ESYS, "out of memory");
	}
	return 0;
}

int mcr_json_add_string(cJSON *obj, const char *key, const char *value)
{
	return mcr_json_add_item(obj, key, value ? cJSON_CreateString(value) : cJSON_CreateNull());
}

int mcr_json_add_int(cJSON *obj, const char *key, long long value)
{
	return mcr_json_add_item(obj, key, cJSON_CreateNumber((double)value));
}

int mcr_json_add_bool(cJSON *obj, const char *key, bool value)
{
	return mcr_json_add_item(obj, key, cJSON_CreateBool(value));
}

int mcr_json_add_hex(cJSON *obj, const char *key, const unsigned char *data, size_t len)
{
	char *hex = malloc(2 * len + 1);
	int ret;

	if (!hex)
		return mcr_error(MCR_ESYS, "out of memory");
	mcr_hex_encode(hex, data, len);
	ret = mcr_json_add_string(obj, key, hex);
	free(hex);
	return ret;
}
