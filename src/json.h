/* JSON: parsing with errors that name the input, canonical serialization, typed getters. */
#ifndef MCR_JSON_H
#define MCR_JSON_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;
struct mcr_buf;

/*
 * Parses text (text_len bytes, need not be NUL-terminated) into *out, which
 * the caller frees with cJSON_Delete. Rejects trailing garbage. On failure
 * MCR_EINPUT with a message naming subject and the byte offset.
 */
int mcr_json_parse(struct cJSON **out, const char *text, size_t text_len, const char *subject);

/* Reads path (at most max_len bytes) and parses it as mcr_json_parse does. */
int mcr_json_parse_file(struct cJSON **out, const char *path, size_t max_len);

/*
 * Appends the canonical form of item to out: object keys sorted by their
 * bytes, no insignificant whitespace, strings with minimal escapes (UTF-8
 * kept as is), numbers only as integers in [-2^53, 2^53]. The same value
 * always gives the same bytes, so the bytes can be hashed and signed.
 * MCR_EINPUT for a non-integral number or a duplicate key.
 */
int mcr_json_canonical(struct mcr_buf *out, const struct cJSON *item);

/* Appends item pretty-printed (two-space indent, keys in insertion order) and a newline. */
int mcr_json_pretty(struct mcr_buf *out, const struct cJSON *item);

/*
 * Typed getters. A missing key gives *out = NULL/default and 0 unless
 * required; a key of the wrong type is MCR_EINPUT with a message naming
 * subject and key. Strings are borrowed from obj.
 */
int mcr_json_get_string(const char **out, const struct cJSON *obj, const char *key, bool required,
			const char *subject);
int mcr_json_get_int(long long *out, const struct cJSON *obj, const char *key, bool required,
		     long long min, long long max, const char *subject);
int mcr_json_get_bool(bool *out, const struct cJSON *obj, const char *key, bool required,
		      const char *subject);
/* An object or array member; *out is borrowed. */
int mcr_json_get_object(const struct cJSON **out, const struct cJSON *obj, const char *key,
			bool required, const char *subject);
int mcr_json_get_array(const struct cJSON **out, const struct cJSON *obj, const char *key,
		       bool required, const char *subject);

/*
 * Refuses any member of obj whose name is not in allowed (a NULL-terminated
 * list): MCR_EINPUT naming subject and the unknown key, so typos in a config
 * are caught instead of silently ignored.
 */
int mcr_json_check_keys(const struct cJSON *obj, const char *const *allowed, const char *subject);

/* Adds helpers returning MCR_ESYS on allocation failure. */
int mcr_json_add_string(struct cJSON *obj, const char *key, const char *value);
int mcr_json_add_int(struct cJSON *obj, const char *key, long long value);
int mcr_json_add_bool(struct cJSON *obj, const char *key, bool value);
/* Adds lowercase hex of data as a string. */
int mcr_json_add_hex(struct cJSON *obj, const char *key, const unsigned char *data, size_t len);
/* Moves item into obj under key (obj owns it afterwards, even on failure). */
int mcr_json_add_item(struct cJSON *obj, const char *key, struct cJSON *item);

#endif
