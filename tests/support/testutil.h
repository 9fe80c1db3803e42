/* Fixtures shared by the Check suites: temp dirs, running the binary, files. */
#ifndef MCR_TESTUTIL_H
#define MCR_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* What a finished child left: exit status (or 128+signal), and its output. */
struct mcr_test_result {
	int status;
	struct mcr_buf out;
	struct mcr_buf err;
};

/*
 * A fresh temp dir for one test; also sets HOME and GNUPGHOME inside it and
 * TZ=UTC, so nothing of the developer's own set-up leaks in. The returned
 * path is static storage valid until the next call. Removed at process exit.
 */
const char *mcr_test_tmpdir(void);

/* Path of a file in tests/vectors (static storage, rotated among 64 slots: strdup what you keep). */
const char *mcr_test_vector(const char *rel);
/* printf-style path helper with the same rotating storage. */
const char *mcr_test_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Runs argv (argv[0] found in PATH unless it has a '/') with stdin_data on
 * standard input (NULL: empty), in the current directory, with the current
 * environment. Fails the test if it cannot be started.
 */
void mcr_test_exec(struct mcr_test_result *r, const char *const *argv, const char *stdin_data);
/* mcr_test_exec of the built mcurelease binary with args (NULL-terminated). */
void mcr_test_mcr(struct mcr_test_result *r, const char *stdin_data, ...);
/* mcr_test_exec of "sh -c script"; a convenience for test set-up only. */
void mcr_test_sh(struct mcr_test_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* As mcr_test_sh, failing the test unless the script exits 0. */
void mcr_test_sh_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mcr_test_result_release(struct mcr_test_result *r);

/* Reads a whole file into out (failing the test if it cannot). */
void mcr_test_read(struct mcr_buf *out, const char *path);
/* Writes data to path (failing the test if it cannot). */
void mcr_test_write(const char *path, const void *data, size_t len);
bool mcr_test_files_equal(const char *a, const char *b);
bool mcr_test_exists(const char *path);
/* Number of directory entries in dir, excluding . and .. */
int mcr_test_count_entries(const char *dir);

/*
 * Validates the JSON file instance against schemas/<schema> with a real JSON
 * Schema validator (Debian's python3-jsonschema, draft 2020-12). Returns true
 * if valid; otherwise false and, if why is not NULL, the validator's first
 * complaint in *why (malloc'd).
 */
bool mcr_test_schema_valid(const char *schema, const char *instance, char **why);

/* Runs suite in Check's fork mode; returns the process exit status. */
struct Suite;
int mcr_test_main(struct Suite *suite);

#endif
