/* What the libFuzzer targets share: a failed property stops the run, scratch files, test keys. */
#ifndef MCR_FUZZ_SUPPORT_H
#define MCR_FUZZ_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mcr_key;

#define FUZZ_PATH_MAX 4096

/* libFuzzer's entry point, declared once for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * libFuzzer calls this once at start-up (fuzz_support.c defines it for every
 * target): libgit2 is initialised for the whole run, as the tool is for its
 * whole process, so that a module's own init/shutdown pair per input stays a
 * reference count instead of a full set-up and tear-down.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * A property the target checks (a round trip, a bound): when it does not hold,
 * the expression and mcurelease's last error go to stderr and the run aborts,
 * so libFuzzer keeps the input as a crash.
 */
#define FUZZ_CHECK(cond) ((cond) ? (void)0 : fuzz_fail(#cond, __FILE__, __LINE__))
void fuzz_fail(const char *what, const char *file, int line) __attribute__((noreturn));

/*
 * This process's scratch directory: in /dev/shm when there is one (else
 * $TMPDIR or /tmp), made on first use, removed with its files at exit.
 */
const char *fuzz_scratch_dir(void);

/* The path of name (may hold '/') in the scratch directory, into out (FUZZ_PATH_MAX bytes). */
void fuzz_scratch_path(char *out, const char *name);

/*
 * Writes data to the scratch file name, replacing it, making its directories,
 * and puts its path in out (FUZZ_PATH_MAX bytes). 0, or -1 with errno set
 * (a path the input made impossible: a file where a directory must be).
 */
int fuzz_write_file(char *out, const char *name, const void *data, size_t size);

/* Removes the scratch directory's contents (the directory stays). */
void fuzz_scratch_clear(void);

/* A key of tests/vectors/keys ("ed25519.pem"), loaded on first use and kept for the run. */
const struct mcr_key *fuzz_vector_key(const char *file_name);

/* The path of a file in tests/vectors/keys, into out (FUZZ_PATH_MAX bytes). */
void fuzz_vector_path(char *out, const char *file_name);

/* Whether two byte strings are equal (either may be NULL when its length is 0). */
bool fuzz_same(const void *a, size_t a_len, const void *b, size_t b_len);

/* The bytes as a NUL-terminated string (malloc'd, the caller frees it; aborts if out of memory). */
char *fuzz_strndup(const uint8_t *data, size_t size);

#endif
