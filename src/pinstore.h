/* The pin store: the first tag object accepted per release tag name; a name is never re-signed. */
#ifndef MCR_PINSTORE_H
#define MCR_PINSTORE_H

#include <stdbool.h>

/* What is pinned for one accepted tag. Strings are borrowed from the caller. */
struct mcr_pin {
	const char *tag_name;
	const char *tag_object; /* hex id of the tag object */
	const char *commit;	/* hex id of the commit it points at */
	const char *version;	/* canonical MCUboot version, "1.4.0+7" */
};

/*
 * Checks pin against the store at path (JSON, schemas/tag-pins.schema.json;
 * a missing file is an empty store) under an exclusive lock on path.lock:
 * tag.moved if pin->tag_name is pinned to another tag object (re-pointed or
 * re-signed under the same name), tag.version_reused if another name is
 * pinned with the same version. Otherwise, when record is set and the name is
 * new, pins it by rewriting the file atomically, and sets *newly_pinned.
 * MCR_EINPUT for a malformed store, naming path; MCR_ESYS for I/O faults.
 */
int mcr_pinstore_check(bool *newly_pinned, const char *path, const struct mcr_pin *pin,
		       bool record);

#endif
