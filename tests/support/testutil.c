/* Test fixtures: temp dirs, child processes, file helpers. */
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"

static char tmpdir_path[4096];
static char *tmpdirs_to_remove[256];
static pid_t tmpdir_owner[256];
static int tmpdir_count;

/* gpg starts an agent per home directory that outlives the test; stop it before its home goes. */
static void stop_gpg_agents(const char *dir)
{
	static const char *const homes[] = {"gnupg", "home/.gnupg"};
	char socket_path[4200], command[8600];

	for (size_t i = 0; i < sizeof(homes) / sizeof(homes[0]); i++) {
		snprintf(socket_path, sizeof(socket_path), "%s/%s/S.gpg-agent", dir, homes[i]);
		if (access(socket_path, F_OK) != 0)
			continue;
		snprintf(command, sizeof(command), "gpgconf --homedir '%s/%s' --kill gpg-agent >/dev/null 2>&1",
			 dir, homes[i]);
		if (system(command) != 0)
			fprintf(stderr, "testutil: could not stop the gpg agent in %s/%s\n", dir, homes[i]);
	}
}

/* Check forks each test: a child must not remove what its parent made for the whole suite. */
static void remove_tmpdirs(void)
{
	for (int i = 0; i < tmpdir_count; i++) {
		if (tmpdir_owner[i] != getpid()) {
			free(tmpdirs_to_remove[i]);
			continue;
		}
		stop_gpg_agents(tmpdirs_to_remove[i]);
		if (!getenv("MCR_TEST_KEEP"))
			mcr_fileio_remove_tree(tmpdirs_to_remove[i]);
		free(tmpdirs_to_remove[i]);
	}
	tmpdir_count = 0;
}

const char *mcr_test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char home[4200];

	snprintf(tmpdir_path, sizeof(tmpdir_path), "%s/mcrtest-XXXXXX", base && *base ? base : "/tmp");
	ck_assert_msg(mkdtemp(tmpdir_path) != NULL, "mkdtemp: %s", strerror(errno));
	if (tmpdir_count == 0)
		atexit(remove_tmpdirs);
	if (tmpdir_count < 256) {
		tmpdir_owner[tmpdir_count] = getpid();
		tmpdirs_to_remove[tmpdir_count++] = strdup(tmpdir_path);
	}
	snprintf(home, sizeof(home), "%s/home", tmpdir_path);
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	snprintf(home, sizeof(home), "%s/home/.gnupg", tmpdir_path);
	mkdir(home, 0700);
	setenv("GNUPGHOME", home, 1);
	setenv("TZ", "UTC", 1);
	unsetenv("MCURELEASE_CONFIG");
	return tmpdir_path;
}

static char path_slots[64][4096];
static int path_slot;

const char *mcr_test_path(const char *fmt, ...)
{
	char *slot = path_slots[path_slot++ % 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(slot, sizeof(path_slots[0]), fmt, ap);
	va_end(ap);
	return slot;
}

const char *mcr_test_vector(const char *rel)
{
	return mcr_test_path("%s/%s", MCR_TEST_VECTORS, rel);
}

static void drain(int fd, struct mcr_buf *into, bool *open_flag)
{
	char chunk[8192];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n > 0)
		mcr_buf_add(into, chunk, (size_t)n);
	else if (n == 0 || (errno != EINTR && errno != EAGAIN))
		*open_flag = false;
}

/*
 * MCR_TEST_WRAP (space-separated words, e.g. "valgrind -q --error-exitcode=99" or
 * "strace -ff -o DIR/trace") is put before every run of the built binary, so a whole
 * suite can be run under a tool without changing a test.
 */
static const char *const *wrapped(const char *const *argv, const char **out, size_t out_len,
				  char *words, size_t words_len)
{
	const char *wrap = getenv("MCR_TEST_WRAP");
	size_t n = 0;

	if (!wrap || !*wrap || strcmp(argv[0], MCR_TEST_BINARY))
		return argv;
	snprintf(words, words_len, "%s", wrap);
	for (char *w = strtok(words, " "); w && n + 1 < out_len; w = strtok(NULL, " "))
		out[n++] = w;
	for (size_t i = 0; argv[i] && n + 1 < out_len; i++)
		out[n++] = argv[i];
	out[n] = NULL;
	return out;
}

/* MCR_TEST_TRANSCRIPT names a file that gets every command run and all it printed. */
static void transcribe(const char *const *argv, const struct mcr_test_result *r)
{
	const char *path = getenv("MCR_TEST_TRANSCRIPT");
	FILE *f;

	if (!path || !*path || !(f = fopen(path, "a")))
		return;
	/* a fixture's own commands may carry the secrets it sets up: only their output counts */
	fputs("$", f);
	for (size_t i = 0; argv[i] && !strcmp(argv[0], MCR_TEST_BINARY); i++)
		fprintf(f, " %s", argv[i]);
	if (strcmp(argv[0], MCR_TEST_BINARY))
		fprintf(f, " (%s, a test's own command)", argv[0]);
	fprintf(f, "\n%.*s%.*s[exit %d]\n", (int)r->out.len, r->out.data, (int)r->err.len,
		r->err.data, r->status);
	fclose(f);
}

void mcr_test_exec(struct mcr_test_result *r, const char *const *argv, const char *stdin_data)
{
	const char *wrapped_argv[160];
	char wrap_words[2048];
	const char *const *run = wrapped(argv, wrapped_argv, 160, wrap_words, sizeof(wrap_words));
	int in[2], out[2], err[2], wstatus;
	size_t in_len = stdin_data ? strlen(stdin_data) : 0, in_done = 0;
	bool out_open = true, err_open = true;
	pid_t pid;

	mcr_buf_init(&r->out);
	mcr_buf_init(&r->err);
	mcr_buf_grow(&r->out, 0);
	mcr_buf_grow(&r->err, 0);
	ck_assert(pipe(in) == 0 && pipe(out) == 0 && pipe(err) == 0);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(in[0]), close(in[1]), close(out[0]), close(out[1]), close(err[0]), close(err[1]);
		execvp(run[0], (char *const *)run);
		fprintf(stderr, "cannot run %s: %s\n", run[0], strerror(errno));
		_exit(127);
	}
	close(in[0]), close(out[1]), close(err[1]);
	signal(SIGPIPE, SIG_IGN);
	if (in_len == 0)
		close(in[1]), in[1] = -1;
	while (out_open || err_open || in[1] >= 0) {
		struct pollfd fds[3] = {{out_open ? out[0] : -1, POLLIN, 0},
					{err_open ? err[0] : -1, POLLIN, 0},
					{in[1], POLLOUT, 0}};

		if (poll(fds, 3, -1) < 0 && errno == EINTR)
			continue;
		if (fds[0].revents)
			drain(out[0], &r->out, &out_open);
		if (fds[1].revents)
			drain(err[0], &r->err, &err_open);
		if (fds[2].revents) {
			ssize_t n = write(in[1], stdin_data + in_done, in_len - in_done);

			if (n > 0)
				in_done += (size_t)n;
			if (n < 0 || in_done == in_len)
				close(in[1]), in[1] = -1;
		}
	}
	close(out[0]), close(err[0]);
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	transcribe(argv, r);
}

void mcr_test_mcr(struct mcr_test_result *r, const char *stdin_data, ...)
{
	const char *argv[128];
	int argc = 0;
	va_list ap;

	argv[argc++] = MCR_TEST_BINARY;
	va_start(ap, stdin_data);
	while (argc < 127 && (argv[argc] = va_arg(ap, const char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	mcr_test_exec(r, argv, stdin_data);
}

static void run_sh(struct mcr_test_result *r, const char *fmt, va_list ap)
{
	char *script;
	const char *argv[4];

	ck_assert(vasprintf(&script, fmt, ap) >= 0);
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = script;
	argv[3] = NULL;
	mcr_test_exec(r, argv, NULL);
	free(script);
}

void mcr_test_sh(struct mcr_test_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	run_sh(r, fmt, ap);
	va_end(ap);
}

void mcr_test_sh_ok(const char *fmt, ...)
{
	struct mcr_test_result r;
	va_list ap;

	va_start(ap, fmt);
	run_sh(&r, fmt, ap);
	va_end(ap);
	ck_assert_msg(r.status == 0, "shell step failed (%d): %s\n%s%s", r.status, fmt,
		      (char *)r.out.data, (char *)r.err.data);
	mcr_test_result_release(&r);
}

void mcr_test_result_release(struct mcr_test_result *r)
{
	mcr_buf_release(&r->out);
	mcr_buf_release(&r->err);
}

void mcr_test_read(struct mcr_buf *out, const char *path)
{
	int ret = mcr_fileio_read_all(path, (size_t)1 << 30, out);

	ck_assert_msg(ret == 0, "cannot read %s", path);
}

void mcr_test_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_msg(f != NULL, "cannot write %s", path);
	ck_assert(fwrite(data, 1, len, f) == len);
	ck_assert(fclose(f) == 0);
}

bool mcr_test_files_equal(const char *a, const char *b)
{
	struct mcr_buf x = MCR_BUF_INIT, y = MCR_BUF_INIT;
	bool same;

	mcr_test_read(&x, a);
	mcr_test_read(&y, b);
	same = x.len == y.len && (x.len == 0 || memcmp(x.data, y.data, x.len) == 0);
	mcr_buf_release(&x);
	mcr_buf_release(&y);
	return same;
}

bool mcr_test_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int mcr_test_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

int mcr_test_main(Suite *suite)
{
	SRunner *runner = srunner_create(suite);
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? 1 : 0;
}

bool mcr_test_schema_valid(const char *schema, const char *instance, char **why)
{
	static const char script[] =
		"import json, sys, jsonschema\n"
		"schema = json.load(open(sys.argv[1]))\n"
		"jsonschema.Draft202012Validator.check_schema(schema)\n"
		"errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))), key=str)\n"
		"if errors:\n"
		"    print(errors[0].message, 'at', list(errors[0].absolute_path))\n"
		"    sys.exit(1)\n";
	const char *argv[] = {"/usr/bin/python3", "-c", script,
			      mcr_test_path("%s/schemas/%s", MCR_TEST_SOURCE_DIR, schema), instance, NULL};
	struct mcr_test_result r;
	bool valid;

	mcr_test_exec(&r, argv, NULL);
	valid = r.status == 0;
	ck_assert_msg(r.status <= 1, "schema validator failed: %s", (char *)r.err.data);
	if (why)
		*why = valid ? NULL : strdup((char *)r.out.data);
	mcr_test_result_release(&r);
	return valid;
}
