/* The pin store: the first tag object accepted per release tag name; a name is never re-signed. */
#include "pinstore.h"

#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "json.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define PIN_FORMAT "mcurelease-tag-pins/1"
#define STORE_MAX_LEN ((size_t)16 << 20)

/* Serialises read-check-write among concurrent runs; the lock file stays behind, empty. */
static int lock_store(int *fd, const char *path)
{
	char *lock_path = NULL;
	int ret = 0;

	if (asprintf(&lock_path, "%s.lock", path) < 0)
		return mcr_error(MCR_ESYS, "out of memory");
	*fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0)
		ret = mcr_error_errno(MCR_ESYS, "cannot open the pin store lock '%s'", lock_path);
	else if (flock(*fd, LOCK_EX) < 0)
		ret = mcr_error_errno(MCR_ESYS, "cannot lock the pin store '%s'", path);
	free(lock_path);
	return ret;
}

static int check_pin_entry(const cJSON *entry, const char *path)
{
	static const char *const fields[] = {"tag_object", "commit", "version", "pinned_at"};
	const char *value;
	int ret;

	if (!cJSON_IsObject(entry))
		return mcr_error(MCR_EINPUT, "pin of '%s' in pin store '%s' is not an object",
				 entry->string, path);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if ((ret = mcr_json_get_string(&value, entry, fields[i], true, path)) < 0)
			return ret;
	return 0;
}

/* The store as JSON; a missing file is an empty store. *pins is borrowed from *root. */
static int load_store(cJSON **root, cJSON **pins, const char *path)
{
	static const char *const keys[] = {"format", "pins", NULL};
	const char *format = NULL;
	const cJSON *entry;
	int ret;

	*root = NULL;
	if (!mcr_fileio_exists(path)) {
		if (!(*root = cJSON_CreateObject()) ||
		    mcr_json_add_string(*root, "format", PIN_FORMAT) < 0 ||
		    !(*pins = cJSON_AddObjectToObject(*root, "pins")))
			return mcr_error(MCR_ESYS, "out of memory");
		return 0;
	}
	if ((ret = mcr_json_parse_file(root, path, STORE_MAX_LEN)) < 0)
		return ret;
	if (!cJSON_IsObject(*root) || (ret = mcr_json_check_keys(*root, keys, path)) < 0 ||
	    (ret = mcr_json_get_string(&format, *root, "format", true, path)) < 0 ||
	    (ret = mcr_json_get_object((const cJSON **)pins, *root, "pins", true, path)) < 0)
		return ret < 0 ? ret : mcr_error(MCR_EINPUT, "pin store '%s' is not an object", path);
	if (strcmp(format, PIN_FORMAT))
		return mcr_error(MCR_EINPUT, "pin store '%s' has unknown format '%s'", path, format);
	cJSON_ArrayForEach(entry, *pins)
		if ((ret = check_pin_entry(entry, path)) < 0)
			return ret;
	return 0;
}

static const char *field(const cJSON *entry, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, key));
}

/* tag.moved or tag.version_reused; *known tells whether the name is pinned already. */
static int judge(bool *known, const cJSON *pins, const struct mcr_pin *pin)
{
	const cJSON *entry = cJSON_GetObjectItemCaseSensitive(pins, pin->tag_name);

	*known = entry != NULL;
	if (entry && strcmp(field(entry, "tag_object"), pin->tag_object))
		return mcr_refuse("tag.moved", "tag '%s' was first accepted as tag object %s "
				  "(commit %s, pinned %s) and is now %s (commit %s)", pin->tag_name,
				  field(entry, "tag_object"), field(entry, "commit"),
				  field(entry, "pinned_at"), pin->tag_object, pin->commit);
	cJSON_ArrayForEach(entry, pins)
		if (strcmp(entry->string, pin->tag_name) && !strcmp(field(entry, "version"),
								    pin->version))
			return mcr_refuse("tag.version_reused", "version %s of tag '%s' was already "
					  "released as tag '%s'", pin->version, pin->tag_name,
					  entry->string);
	return 0;
}

static int add_pin(cJSON *pins, const struct mcr_pin *pin)
{
	cJSON *entry = cJSON_CreateObject();
	time_t now = time(NULL);
	char when[32];
	struct tm tm;

	if (!entry)
		return mcr_error(MCR_ESYS, "out of memory");
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	if (mcr_json_add_item(pins, pin->tag_name, entry) < 0 ||
	    mcr_json_add_string(entry, "tag_object", pin->tag_object) < 0 ||
	    mcr_json_add_string(entry, "commit", pin->commit) < 0 ||
	    mcr_json_add_string(entry, "version", pin->version) < 0 ||
	    mcr_json_add_string(entry, "pinned_at", when) < 0)
		return mcr_error(MCR_ESYS, "out of memory");
	return 0;
}

static int save_store(const cJSON *root, const char *path)
{
	struct mcr_buf text = MCR_BUF_INIT;
	int ret;

	if ((ret = mcr_json_pretty(&text, root)) == 0)
		ret = mcr_fileio_write_atomic(path, text.data, text.len, 0644);
	mcr_buf_release(&text);
	return ret;
}

int mcr_pinstore_check(bool *newly_pinned, const char *path, const struct mcr_pin *pin,
		       bool record)
{
	cJSON *root = NULL, *pins = NULL;
	bool known = false;
	int fd = -1, ret;

	*newly_pinned = false;
	if ((ret = lock_store(&fd, path)) < 0 || (ret = load_store(&root, &pins, path)) < 0 ||
	    (ret = judge(&known, pins, pin)) < 0)
		goto out;
	if (record && !known) {
		if ((ret = add_pin(pins, pin)) < 0 || (ret = save_store(root, path)) < 0)
			goto out;
		*newly_pinned = true;
	}
out:
	cJSON_Delete(root);
	if (fd >= 0)
		close(fd); /* releases the lock */
	return ret;
}
