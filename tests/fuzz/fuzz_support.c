/* What the libFuzzer targets share: a failed property stops the run, scratch files, test keys. */
#include "fuzz_support.h"

#include "error.h"
#include "key.h"

#include <errno.h>
#include <ftw.h>
#include <git2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_KEYS 8

static char scratch[FUZZ_PATH_MAX];

void fuzz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "fuzz check failed at %s:%d: %s\nlast mcurelease error: %s\n", file, line,
	        what, mcr_error_message());
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	git_libgit2_init();
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag;
	if (ftw->level > 0 || strcmp(path, scratch))
		remove(path);
	return 0;
}

void fuzz_scratch_clear(void)
{
	if (scratch[0])
		nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void remove_scratch(void)
{
	fuzz_scratch_clear();
	rmdir(scratch);
}

const char *fuzz_scratch_dir(void)
{
	const char *base = getenv("TMPDIR");
	struct stat st;

	if (scratch[0])
		return scratch;
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
		base = "/dev/shm"; /* one file write per input: keep it off the disk */
	else if (!base || !*base)
		base = "/tmp";
	snprintf(scratch, sizeof(scratch), "%s/mcr-fuzz-XXXXXX", base);
	if (!mkdtemp(scratch)) {
		perror("fuzz: cannot make a scratch directory");
		abort();
	}
	atexit(remove_scratch);
	return scratch;
}

void fuzz_scratch_path(char *out, const char *name)
{
	snprintf(out, FUZZ_PATH_MAX, "%s/%s", fuzz_scratch_dir(), name);
}

static int make_parents(char *path)
{
	for (char *slash = strchr(path + strlen(scratch) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		int ret;

		*slash = '\0';
		ret = mkdir(path, 0700) < 0 && errno != EEXIST ? -1 : 0;
		*slash = '/';
		if (ret < 0)
			return -1;
	}
	return 0;
}

int fuzz_write_file(char *out, const char *name, const void *data, size_t size)
{
	bool is_written;
	FILE *f;

	fuzz_scratch_path(out, name);
	if (make_parents(out) < 0 || !(f = fopen(out, "wb")))
		return -1;
	is_written = !size || fwrite(data, 1, size, f) == size;
	return fclose(f) == 0 && is_written ? 0 : -1;
}

void fuzz_vector_path(char *out, const char *file_name)
{
	snprintf(out, FUZZ_PATH_MAX, "%s/keys/%s", MCR_FUZZ_VECTORS, file_name);
}

const struct mcr_key *fuzz_vector_key(const char *file_name)
{
	static struct {
		const char *name;
		struct mcr_key *key;
	} keys[MAX_KEYS];
	char path[FUZZ_PATH_MAX];
	size_t i;

	for (i = 0; i < MAX_KEYS && keys[i].name; i++)
		if (!strcmp(keys[i].name, file_name))
			return keys[i].key;
	fuzz_vector_path(path, file_name);
	if (i == MAX_KEYS || mcr_key_load_pem(&keys[i].key, path) < 0) {
		fprintf(stderr, "fuzz: cannot load key '%s': %s\n", path, mcr_error_message());
		abort();
	}
	keys[i].name = file_name; /* a string literal of the caller */
	return keys[i].key;
}

bool fuzz_same(const void *a, size_t a_len, const void *b, size_t b_len)
{
	return a_len == b_len && (!a_len || !memcmp(a, b, a_len));
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (!text)
		abort();
	if (size)
		memcpy(text, data, size);
	text[size] = '\0';
	return text;
}
