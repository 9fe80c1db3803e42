/*
 * libFuzzer target: export bundles as 'audit verify-export' reads them
 * (mcr_export_verify_bundle): the manifest, its signature, the log key, events.jsonl
 * line by line, checkpoints and proofs. A bundle is a directory, so the input holds
 * its files one after the other, each after a line "=== <path>":
 *
 *   === MANIFEST.json
 *   {...}
 *   === events.jsonl
 *   {"seq":1,...}
 *
 * and they are written to a fresh scratch directory (paths that could leave it are
 * skipped). Each bundle is checked with the key it holds and with the pinned Ed25519
 * key of tests/vectors; a verdict must be consistent with its findings.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "export.h"
#include "fuzz_support.h"

#define HEADER       "=== "
#define MAX_PATH_LEN 128
#define MAX_FILES    64

/* [A-Za-z0-9._-] parts, at most three, none empty, "." or "..". */
static bool is_safe(const char *path)
{
	size_t parts = 0;

	for (const char *p = path; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/",
		            *p))
			return false;
	for (const char *part = path; part; parts++) {
		const char *slash = strchr(part, '/');
		size_t len = slash ? (size_t)(slash - part) : strlen(part);

		if (!len || (len == 1 && part[0] == '.') || (len == 2 && !strncmp(part, "..", 2)))
			return false;
		part = slash ? slash + 1 : NULL;
	}
	return parts <= 3;
}

/* The start of the next "=== " line at or after pos, or size. */
static size_t next_header(const uint8_t *data, size_t size, size_t pos)
{
	for (; pos + strlen(HEADER) <= size; pos++)
		if ((pos == 0 || data[pos - 1] == '\n') &&
		    !memcmp(data + pos, HEADER, strlen(HEADER)))
			return pos;
	return size;
}

/* Writes the files of the input under "bundle" in the scratch directory; gives its path. */
static void unpack(char *dir, const uint8_t *data, size_t size)
{
	char path[MAX_PATH_LEN + 8], file[FUZZ_PATH_MAX];
	size_t pos = next_header(data, size, 0), files = 0;

	fuzz_scratch_clear();
	FUZZ_CHECK(fuzz_write_file(file, "bundle/.keep", "", 0) == 0 && remove(file) == 0);
	while (pos < size && files < MAX_FILES) {
		size_t name = pos + strlen(HEADER), eol = name, end;

		while (eol < size && data[eol] != '\n')
			eol++;
		end = next_header(data, size, eol < size ? eol + 1 : size);
		/* the newline before the next header belongs to the header */
		if (eol < size && eol - name <= MAX_PATH_LEN &&
		    !memchr(data + name, '\0', eol - name)) {
			size_t content = eol + 1, len = end - content;

			if (end < size && len > 0)
				len--;
			snprintf(path, sizeof(path), "bundle/%.*s", (int)(eol - name),
			         (const char *)data + name);
			/* a path the input made impossible (a file where a directory goes) is left
			 * out */
			if (is_safe(path + 7) &&
			    fuzz_write_file(file, path, data + content, len) == 0)
				files++;
		}
		pos = end;
	}
	fuzz_scratch_path(dir, "bundle");
}

static void check(const char *dir, const struct mcr_key *pinned)
{
	struct mcr_export_check result;
	int ret = mcr_export_verify_bundle(dir, pinned, &result);

	FUZZ_CHECK(ret == 0 || ret == MCR_EINPUT || ret == MCR_ESYS);
	if (ret == 0) {
		FUZZ_CHECK(result.is_valid == (result.reason == NULL));
		FUZZ_CHECK(result.is_valid || result.message);
		FUZZ_CHECK(!result.is_key_pinned || pinned != NULL);
		FUZZ_CHECK(result.first_seq <= result.last_seq);
		FUZZ_CHECK(result.proven_through <= result.last_seq);
		FUZZ_CHECK(result.lines.len == 0 ||
		           result.lines.data[result.lines.len - 1] == '\n');
	}
	mcr_export_check_release(&result);
	mcr_error_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[FUZZ_PATH_MAX];

	unpack(dir, data, size);
	check(dir, NULL);
	check(dir, fuzz_vector_key("ed25519.pub.pem"));
	return 0;
}
