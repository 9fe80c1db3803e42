/* Unit tests: argv subprocesses (exit codes, signals, timeouts, capture caps, environment). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "proc.h"
#include "testutil.h"

static int run_argv(struct mcr_proc_result *res, const char *const *argv)
{
	struct mcr_proc_spec spec;

	mcr_proc_spec_init(&spec);
	spec.argv = argv;
	return mcr_proc_run(&spec, res);
}

static int run_sh_timeout(struct mcr_proc_result *res, const char *script, unsigned timeout_ms)
{
	const char *argv[] = {"sh", "-c", script, NULL};
	struct mcr_proc_spec spec;

	mcr_proc_spec_init(&spec);
	spec.argv = argv;
	spec.timeout_ms = timeout_ms;
	return mcr_proc_run(&spec, res);
}

/* True once pid is gone or a zombie; waits for init to reap at most a few seconds. */
static bool process_gone(long pid)
{
	for (int i = 0; i < 500; i++) {
		char path[64], state = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if (!(f = fopen(path, "r")))
			return true;
		if (fscanf(f, "%*d %*s %c", &state) != 1)
			state = 0;
		fclose(f);
		if (state == 'Z' || state == 'X')
			return true;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return false;
}

START_TEST(test_proc_exit_status)
{
	const char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
	struct mcr_proc_result res;

	ck_assert_int_eq(run_argv(&res, argv), 0);
	ck_assert_int_eq(res.exit_status, 3);
	ck_assert_int_eq(res.term_signal, 0);
	ck_assert(!res.timed_out);
	ck_assert(!mcr_proc_succeeded(&res));
	ck_assert_str_eq((char *)res.out.data, "out\n");
	ck_assert_str_eq((char *)res.err.data, "err\n");
	mcr_proc_result_release(&res);

	argv[2] = "exit 0";
	ck_assert_int_eq(run_argv(&res, argv), 0);
	ck_assert(mcr_proc_succeeded(&res));
	ck_assert_uint_eq(res.out.len, 0);
	ck_assert_ptr_nonnull(res.out.data); /* always a C string, even when empty */
	mcr_proc_result_release(&res);
}
END_TEST

START_TEST(test_proc_killed_by_signal)
{
	const char *argv[] = {"sh", "-c", "kill -USR1 $$", NULL};
	struct mcr_proc_result res;

	ck_assert_int_eq(run_argv(&res, argv), 0);
	ck_assert_int_eq(res.exit_status, -1);
	ck_assert_int_eq(res.term_signal, SIGUSR1);
	ck_assert(!mcr_proc_succeeded(&res));
	mcr_proc_result_release(&res);
}
END_TEST

START_TEST(test_proc_argv_is_not_a_shell_string)
{
	const char *argv[] = {"printf", "%s|", "a b", "$(id)", "'; rm -rf /", NULL};
	struct mcr_proc_result res;

	ck_assert_int_eq(run_argv(&res, argv), 0);
	ck_assert(mcr_proc_succeeded(&res));
	ck_assert_str_eq((char *)res.out.data, "a b|$(id)|'; rm -rf /|");
	mcr_proc_result_release(&res);
}
END_TEST

START_TEST(test_proc_stdin_round_trip)
{
	const char *argv[] = {"cat", NULL};
	size_t len = 3 * 1000 * 1000 + 7;
	unsigned char *data = malloc(len);
	struct mcr_proc_spec spec;
	struct mcr_proc_result res;

	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 31 + (i >> 13));
	mcr_proc_spec_init(&spec);
	spec.argv = argv;
	spec.stdin_data = data;
	spec.stdin_len = len;
	spec.stdout_max = len;
	ck_assert_int_eq(mcr_proc_run(&spec, &res), 0);
	ck_assert(mcr_proc_succeeded(&res));
	ck_assert(!res.stdout_truncated);
	ck_assert_uint_eq(res.out.len, len);
	ck_assert(memcmp(res.out.data, data, len) == 0);
	mcr_proc_result_release(&res);
	free(data);
}
END_TEST

START_TEST(test_proc_child_ignoring_stdin_does_not_hurt_us)
{
	const char *argv[] = {"true", NULL};
	size_t len = 8 << 20;
	unsigned char *data = calloc(1, len);
	struct mcr_proc_spec spec;
	struct mcr_proc_result res;

	mcr_proc_spec_init(&spec);
	spec.argv = argv;
	spec.stdin_data = data;
	spec.stdin_len = len;
	ck_assert_int_eq(mcr_proc_run(&spec, &res), 0);
	ck_assert(mcr_proc_succeeded(&res));
	mcr_proc_result_release(&res);
	free(data);
}
END_TEST

START_TEST(test_proc_no_stdin_reads_eof)
{
	const char *argv[] = {"wc", "-c", NULL};
	struct mcr_proc_result res;

	ck_assert_int_eq(run_argv(&res, argv), 0);
	ck_assert_str_eq((char *)res.out.data, "0\n");
	mcr_proc_result_release(&res);
}
END_TEST

START_TEST(test_proc_big_output_truncated_and_flagged)
{
	const char *argv[] = {"sh", "-c", "head -c 5000000 /dev/zero; head -c 100000 /dev/zero >&2",
			      NULL};
	struct mcr_proc_result res;

	ck_assert_int_eq(run_argv(&res, argv), 0);
	/* the child wrote everything: we kept reading past the cap, so it never blocked */
	ck_assert(mcr_proc_succeeded(&res));
	ck_assert(res.stdout_truncated);
	ck_assert_uint_eq(res.out.len, 1 << 20);
	ck_assert(res.stderr_truncated);
	ck_assert_uint_eq(res.err.len, 64 << 10);
	mcr_proc_result_release(&res);
}
END_TEST

START_TEST(test_proc_output_at_cap_is_not_truncated)
{
	const char *argv[] = {"head", "-c", "1000", "/dev/zero", NULL};
	struct mcr_proc_spec spec;
	struct mcr_proc_result res;

	mcr_proc_spec_init(&spec);
	spec.argv = argv;
	spec.stdout_max = 1000;
	ck_assert_int_eq(mcr_proc_run(&spec, &res), 0);
	ck_assert(!res.stdout_truncated);
	ck_assert_uint_eq(res.out.len, 1000);
	mcr_proc_result_release(&res);
	spec.stdout_max = 999;
	ck_assert_int_eq(mcr_proc_run(&spec, &res), 0);
	ck_assert(res.stdout_truncated);
	ck_assert_uint_eq(res.out.len, 999);
	mcr_proc_result_release(&res);
}
END_TEST

START_TEST(test_proc_timeout_kills_grandchildren)
{
	const char *dir = mcr_test_tmpdir();
	const char *script = mcr_test_path("sleep 60 & echo $! > %s/pid; sleep 60", dir);
	struct mcr_buf pid_text = MCR_BUF_INIT;
	struct mcr_proc_result res;

	ck_assert_int_eq(run_sh_timeout(&res, script, 300), 0);
	ck_assert(res.timed_out);
	ck_assert_int_eq(res.term_signal, SIGTERM);
	ck_assert(!mcr_proc_succeeded(&res));
	mcr_test_read(&pid_text, mcr_test_path("%s/pid", dir));
	ck_assert(process_gone(atol((char *)pid_text.data)));
	mcr_buf_release(&pid_text);
	mcr_proc_result_release(&res);
}
END_TEST

START_TEST(test_proc_timeout_escalates_to_sigkill)
{
	struct mcr_proc_result res;

	/* trap '' TERM: the shell and its sleep ignore SIGTERM; only SIGKILL ends them */
	ck_assert_int_eq(run_sh_timeout(&res, "trap '' TERM; sleep 60; sleep 60", 100), 0);
	ck_assert(res.timed_out);
	ck_assert_int_eq(res.term_signal, SIGKILL);
	mcr_proc_result_release(&res);
}
END_TEST

START_TEST(test_proc_leftover_background_process_is_killed)
{
	const char *argv[] = {"sh", "-c", "sleep 60 & echo $!", NULL};
	struct mcr_proc_result res;

	ck_assert_int_eq(run_argv(&res, argv), 0);
	ck_assert(mcr_proc_succeeded(&res));
	ck_assert(!res.timed_out);
	ck_assert(process_gone(atol((char *)res.out.data)));
	mcr_proc_result_release(&res);
}
END_TEST

START_TEST(test_proc_env_isolated)
{
	const char *argv[] = {"env", NULL};
	const char *env[] = {"ONLY=this", NULL};
	struct mcr_proc_spec spec;
	struct mcr_proc_result res;

	setenv("MCR_TEST_SECRET", "must-not-leak", 1);
	ck_assert_int_eq(run_argv(&res, argv), 0);
	ck_assert_ptr_null(strstr((char *)res.out.data, "MCR_TEST_SECRET"));
	ck_assert(!strncmp((char *)res.out.data, "PATH=", 5));
	/* PATH alone: one line */
	ck_assert_ptr_eq(strchr((char *)res.out.data, '\n'), (char *)res.out.data + res.out.len - 1);
	mcr_proc_result_release(&res);

	mcr_proc_spec_init(&spec);
	spec.argv = argv;
	spec.env = env;
	ck_assert_int_eq(mcr_proc_run(&spec, &res), 0);
	ck_assert_str_eq((char *)res.out.data, "ONLY=this\n");
	mcr_proc_result_release(&res);
}
END_TEST

START_TEST(test_proc_only_std_fds_inherited)
{
	const char *argv[] = {"sh", "-c", "ls /proc/$$/fd", NULL};
	int leaky = open("/dev/null", O_RDONLY); /* not close-on-exec on purpose */
	struct mcr_proc_result res;

	ck_assert_int_ge(leaky, 3);
	ck_assert_int_eq(run_argv(&res, argv), 0);
	ck_assert_str_eq((char *)res.out.data, "0\n1\n2\n");
	mcr_proc_result_release(&res);
	close(leaky);
}
END_TEST

START_TEST(test_proc_redirect_to_fd_and_cwd)
{
	const char *dir = mcr_test_tmpdir();
	const char *argv[] = {"sh", "-c", "pwd; echo e >&2", NULL};
	const char *out_path = mcr_test_path("%s/out.txt", dir);
	int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	struct mcr_buf got = MCR_BUF_INIT;
	struct mcr_proc_spec spec;
	struct mcr_proc_result res;

	mcr_proc_spec_init(&spec);
	spec.argv = argv;
	spec.cwd = dir;
	spec.stdout_fd = fd;
	ck_assert_int_eq(mcr_proc_run(&spec, &res), 0);
	close(fd);
	ck_assert_uint_eq(res.out.len, 0);
	ck_assert_str_eq((char *)res.err.data, "e\n");
	mcr_test_read(&got, out_path);
	ck_assert_str_eq((char *)got.data, mcr_test_path("%s\n", dir));
	mcr_buf_release(&got);
	mcr_proc_result_release(&res);
}
END_TEST

START_TEST(test_proc_tee_beyond_cap_and_broken_tee)
{
	const char *dir = mcr_test_tmpdir();
	const char *argv[] = {"sh", "-c", "echo out; echo err >&2; head -c 300000 /dev/zero", NULL};
	const char *log_path = mcr_test_path("%s/tee.log", dir);
	int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), broken[2];
	struct mcr_buf got = MCR_BUF_INIT;
	struct mcr_proc_spec spec;
	struct mcr_proc_result res;

	/* a pipe nobody reads from: writing to it fails, the run does not */
	ck_assert_int_eq(pipe(broken), 0);
	close(broken[0]);
	mcr_proc_spec_init(&spec);
	spec.argv = argv;
	spec.stdout_max = 4;
	spec.tee_fds[0] = broken[1];
	spec.tee_fds[1] = log_fd;
	ck_assert_int_eq(mcr_proc_run(&spec, &res), 0);
	close(log_fd);
	close(broken[1]);
	ck_assert(mcr_proc_succeeded(&res));
	ck_assert(res.stdout_truncated);
	ck_assert_uint_eq(res.out.len, 4);
	ck_assert_str_eq((char *)res.err.data, "err\n");
	ck_assert_int_eq(res.tee_errno[0], EPIPE);
	ck_assert_int_eq(res.tee_errno[1], 0);
	/* the log has every byte of both streams */
	mcr_test_read(&got, log_path);
	ck_assert_uint_eq(got.len, 4 + 4 + 300000);
	ck_assert_ptr_nonnull(memmem(got.data, got.len, "out\n", 4));
	ck_assert_ptr_nonnull(memmem(got.data, got.len, "err\n", 4));
	mcr_buf_release(&got);
	mcr_proc_result_release(&res);
}
END_TEST

START_TEST(test_proc_missing_program)
{
	const char *missing[] = {"mcr-no-such-program", NULL};
	const char *absolute[] = {"/nonexistent/bin/tool", NULL};
	struct mcr_proc_result res;

	ck_assert_int_eq(run_argv(&res, missing), MCR_ESYS);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "'mcr-no-such-program'"));
	ck_assert_int_eq(res.exit_status, -1);
	mcr_proc_result_release(&res);
	ck_assert_int_eq(run_argv(&res, absolute), MCR_ESYS);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "'/nonexistent/bin/tool'"));
	mcr_proc_result_release(&res);
}
END_TEST

START_TEST(test_proc_exec_failure_reported)
{
	const char *dir = mcr_test_tmpdir();
	const char *bogus = mcr_test_path("%s/bogus", dir);
	const char *argv[] = {bogus, NULL};
	const char *pwd[] = {"pwd", NULL};
	struct mcr_proc_spec spec;
	struct mcr_proc_result res;

	/* executable bit, but no format the kernel knows: execve fails in the child */
	mcr_test_write(bogus, "\x7f" "ELF\x01\x02 not really", 18);
	ck_assert_int_eq(chmod(bogus, 0755), 0);
	ck_assert_int_eq(run_argv(&res, argv), MCR_ESYS);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "cannot run"));
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), bogus));
	mcr_proc_result_release(&res);

	mcr_proc_spec_init(&spec);
	spec.argv = pwd;
	spec.cwd = "/nonexistent/dir";
	ck_assert_int_eq(mcr_proc_run(&spec, &res), MCR_ESYS);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "'/nonexistent/dir'"));
	mcr_proc_result_release(&res);
}
END_TEST

START_TEST(test_proc_find_program)
{
	const char *dir = mcr_test_tmpdir();
	char *path = NULL;

	ck_assert_int_eq(mcr_proc_find_program(&path, "sh"), 0);
	ck_assert(path[0] == '/');
	free(path);
	ck_assert_int_eq(mcr_proc_find_program(&path, "mcr-no-such-program"), MCR_ESYS);
	ck_assert_ptr_null(path);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "'mcr-no-such-program'"));
	/* relative PATH entries are never searched */
	mcr_test_write(mcr_test_path("%s/mcr-local-tool", dir), "#!/bin/sh\n", 10);
	ck_assert_int_eq(chmod(mcr_test_path("%s/mcr-local-tool", dir), 0755), 0);
	ck_assert_int_eq(chdir(dir), 0);
	setenv("PATH", mcr_test_path(".:%s", getenv("PATH")), 1);
	ck_assert_int_eq(mcr_proc_find_program(&path, "mcr-local-tool"), MCR_ESYS);
	ck_assert_int_eq(mcr_proc_find_program(&path, "./mcr-local-tool"), 0);
	free(path);
}
END_TEST

static Suite *proc_suite(void)
{
	Suite *s = suite_create("proc");
	TCase *run = tcase_create("run");
	TCase *io = tcase_create("io");
	TCase *time = tcase_create("timeouts");
	TCase *start = tcase_create("start");

	tcase_add_test(run, test_proc_exit_status);
	tcase_add_test(run, test_proc_killed_by_signal);
	tcase_add_test(run, test_proc_argv_is_not_a_shell_string);
	tcase_add_test(io, test_proc_stdin_round_trip);
	tcase_add_test(io, test_proc_child_ignoring_stdin_does_not_hurt_us);
	tcase_add_test(io, test_proc_no_stdin_reads_eof);
	tcase_add_test(io, test_proc_big_output_truncated_and_flagged);
	tcase_add_test(io, test_proc_output_at_cap_is_not_truncated);
	tcase_add_test(io, test_proc_redirect_to_fd_and_cwd);
	tcase_add_test(io, test_proc_tee_beyond_cap_and_broken_tee);
	tcase_add_test(time, test_proc_timeout_kills_grandchildren);
	tcase_add_test(time, test_proc_timeout_escalates_to_sigkill);
	tcase_add_test(time, test_proc_leftover_background_process_is_killed);
	tcase_add_test(start, test_proc_env_isolated);
	tcase_add_test(start, test_proc_only_std_fds_inherited);
	tcase_add_test(start, test_proc_missing_program);
	tcase_add_test(start, test_proc_exec_failure_reported);
	tcase_add_test(start, test_proc_find_program);
	suite_add_tcase(s, run);
	suite_add_tcase(s, io);
	suite_add_tcase(s, time);
	suite_add_tcase(s, start);
	return s;
}

int main(void)
{
	return mcr_test_main(proc_suite());
}
