/* Child processes from an argv (never a shell): environment, stdin, captured output, timeouts. */
#include "proc.h"

#include "buf.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_STDOUT_MAX ((size_t)1 << 20)
#define DEFAULT_STDERR_MAX ((size_t)64 << 10)
#define KILL_GRACE_MS 2000	/* SIGTERM, then SIGKILL this much later */
#define DRAIN_GRACE_MS 2000	/* after the child ended, how long an escaped holder may keep a pipe */
#define TICK_MS 10		/* exit polling when pidfd_open is unavailable */
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/* Why the child could not exec, sent back through a close-on-exec pipe. */
enum start_stage { STAGE_FDS, STAGE_CHDIR, STAGE_EXEC };
struct start_report {
	int stage;
	int err;
};

/* The parent's view of one run. Every fd is -1 when not (or no longer) open. */
struct run {
	const struct mcr_proc_spec *spec;
	struct mcr_proc_result *result;
	pid_t pid;
	int pidfd;
	int in[2], out[2], err[2], report[2];
	int devnull;
	size_t in_done;
	bool exited;
	long long start_ms, term_at_ms, kill_at_ms, drain_until_ms;
};

void mcr_proc_spec_init(struct mcr_proc_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->stdout_fd = -1;
	spec->stderr_fd = -1;
	spec->tee_fds[0] = spec->tee_fds[1] = -1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static bool is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/*
 * Looks name up in the colon-separated dirs. Empty and relative entries are
 * skipped: a release tool must not run whatever sits in the current directory.
 */
static int find_in_path(char **out, const char *name, const char *dirs)
{
	const char *p = dirs && *dirs ? dirs : DEFAULT_PATH;

	*out = NULL;
	if (strchr(name, '/')) {
		if (!is_executable_file(name))
			return mcr_error(MCR_ESYS, "program '%s' is not an executable file", name);
		return (*out = strdup(name)) ? 0 : mcr_error(MCR_ESYS, "out of memory");
	}
	while (*p) {
		size_t len = strcspn(p, ":");
		char *candidate;

		if (len > 0 && p[0] == '/') {
			if (asprintf(&candidate, "%.*s/%s", (int)len, p, name) < 0)
				return mcr_error(MCR_ESYS, "out of memory");
			if (is_executable_file(candidate)) {
				*out = candidate;
				return 0;
			}
			free(candidate);
		}
		p += len + (p[len] == ':');
	}
	return mcr_error(MCR_ESYS, "program '%s' not found in PATH", name);
}

int mcr_proc_find_program(char **out, const char *name)
{
	return find_in_path(out, name, getenv("PATH"));
}

int mcr_proc_find_program_in(char **out, const char *name, const char *dirs)
{
	return find_in_path(out, name, dirs);
}

/* The PATH the child will see: from spec->env if it sets one, else ours. */
static const char *child_path(const struct mcr_proc_spec *spec)
{
	if (spec->env) {
		for (const char *const *e = spec->env; *e; e++)
			if (!strncmp(*e, "PATH=", 5))
				return *e + 5;
	}
	return getenv("PATH");
}

/* For env == NULL: an environment of PATH alone, so nothing of ours leaks by accident. */
static int default_env(char **path_entry, char **envp)
{
	const char *path = getenv("PATH");

	if (asprintf(path_entry, "PATH=%s", path && *path ? path : DEFAULT_PATH) < 0)
		return mcr_error(MCR_ESYS, "out of memory");
	envp[0] = *path_entry;
	envp[1] = NULL;
	return 0;
}

static void result_init(struct mcr_proc_result *result)
{
	memset(result, 0, sizeof(*result));
	mcr_buf_init(&result->out);
	mcr_buf_init(&result->err);
	result->exit_status = -1;
}

void mcr_proc_result_release(struct mcr_proc_result *result)
{
	mcr_buf_release(&result->out);
	mcr_buf_release(&result->err);
}

bool mcr_proc_succeeded(const struct mcr_proc_result *result)
{
	return result->exit_status == 0 && result->term_signal == 0 && !result->timed_out;
}

static void run_init(struct run *r, const struct mcr_proc_spec *spec,
		     struct mcr_proc_result *result)
{
	memset(r, 0, sizeof(*r));
	r->spec = spec;
	r->result = result;
	r->pid = -1;
	r->pidfd = -1;
	r->in[0] = r->in[1] = r->out[0] = r->out[1] = -1;
	r->err[0] = r->err[1] = r->report[0] = r->report[1] = r->devnull = -1;
	r->term_at_ms = r->kill_at_ms = r->drain_until_ms = -1;
}

static void run_close_all(struct run *r)
{
	int *fds[] = {&r->in[0], &r->in[1], &r->out[0], &r->out[1], &r->err[0],
		      &r->err[1], &r->report[0], &r->report[1], &r->devnull, &r->pidfd};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		close_fd(fds[i]);
}

/* Every descriptor is close-on-exec: the child gets exactly 0, 1 and 2. */
static int open_pipes(struct run *r)
{
	const struct mcr_proc_spec *spec = r->spec;

	if (pipe2(r->report, O_CLOEXEC) < 0 ||
	    (spec->stdin_data && pipe2(r->in, O_CLOEXEC) < 0) ||
	    (!spec->stdin_data && (r->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) ||
	    (spec->stdout_fd < 0 && pipe2(r->out, O_CLOEXEC) < 0) ||
	    (spec->stderr_fd < 0 && pipe2(r->err, O_CLOEXEC) < 0))
		return mcr_error_errno(MCR_ESYS, "cannot create pipes for '%s'", spec->argv[0]);
	if (r->in[1] >= 0 && fcntl(r->in[1], F_SETFL, O_NONBLOCK) < 0)
		return mcr_error_errno(MCR_ESYS, "cannot set up stdin of '%s'", spec->argv[0]);
	return 0;
}

/* Moves fd above 2 so that installing 0, 1 and 2 in order cannot clobber a later source. */
static int lift_fd(int fd)
{
	return fd < 3 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : fd;
}

static int install_fd(int from, int to)
{
	if (from == to)	/* dup2 would keep close-on-exec set; clear it instead */
		return fcntl(to, F_SETFD, 0);
	return dup2(from, to) < 0 ? -1 : 0;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child_exec(const struct run *r, const char *prog, char *const *envp)
{
	const struct mcr_proc_spec *spec = r->spec;
	struct start_report report = {STAGE_FDS, 0};
	struct sigaction dfl;
	sigset_t none;
	int src[3];

	setpgid(0, 0);
	/* Ignored signals survive exec; the child starts with every default. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	src[0] = lift_fd(spec->stdin_data ? r->in[0] : r->devnull);
	src[1] = lift_fd(spec->stdout_fd >= 0 ? spec->stdout_fd : r->out[1]);
	src[2] = lift_fd(spec->stderr_fd >= 0 ? spec->stderr_fd : r->err[1]);
	for (int fd = 0; fd < 3; fd++)
		if (src[fd] < 0 || install_fd(src[fd], fd) < 0)
			goto fail;
	/* Descriptors the rest of the program left inheritable stay with us. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	report.stage = STAGE_CHDIR;
	if (spec->cwd && chdir(spec->cwd) < 0)
		goto fail;
	report.stage = STAGE_EXEC;
	execve(prog, (char *const *)spec->argv, envp);
fail:
	report.err = errno;
	if (write(r->report[1], &report, sizeof(report)) < 0)
		_exit(126);
	_exit(127);
}

/* After fork: learns from the report pipe whether exec happened (EOF) or why not. */
static int await_exec(struct run *r)
{
	const struct mcr_proc_spec *spec = r->spec;
	struct start_report report;
	ssize_t n;

	close_fd(&r->report[1]);
	while ((n = read(r->report[0], &report, sizeof(report))) < 0 && errno == EINTR)
		;
	close_fd(&r->report[0]);
	if (n == 0)
		return 0;
	while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
		;
	r->pid = -1;
	if (n != (ssize_t)sizeof(report))
		return mcr_error(MCR_ESYS, "cannot run '%s': lost its start-up report", spec->argv[0]);
	errno = report.err;
	if (report.stage == STAGE_CHDIR)
		return mcr_error_errno(MCR_ESYS, "cannot enter directory '%s' to run '%s'",
				       spec->cwd, spec->argv[0]);
	return mcr_error_errno(MCR_ESYS, "cannot run '%s'", spec->argv[0]);
}

static int start(struct run *r, const char *prog, char *const *envp)
{
	const struct mcr_proc_spec *spec = r->spec;
	int ret;

	if ((ret = open_pipes(r)) < 0)
		return ret;
	r->start_ms = now_ms();
	r->pid = fork();
	if (r->pid < 0)
		return mcr_error_errno(MCR_ESYS, "cannot start '%s'", spec->argv[0]);
	if (r->pid == 0)
		child_exec(r, prog, envp);
	/* Also here, so the group exists before we could signal it. */
	setpgid(r->pid, r->pid);
	close_fd(&r->in[0]);
	close_fd(&r->out[1]);
	close_fd(&r->err[1]);
	close_fd(&r->devnull);
	if ((ret = await_exec(r)) < 0)
		return ret;
	r->pidfd = pidfd_open(r->pid, 0);
	if (spec->timeout_ms)
		r->term_at_ms = r->start_ms + spec->timeout_ms;
	if (spec->stdin_data && spec->stdin_len == 0)
		close_fd(&r->in[1]);
	return 0;
}

/* Copies a chunk to the tee fds; one that fails is dropped, its errno kept for the caller. */
static void copy_to_tees(const struct run *r, const unsigned char *data, size_t len)
{
	for (int i = 0; i < 2; i++) {
		size_t done = 0;

		while (r->spec->tee_fds[i] >= 0 && !r->result->tee_errno[i] && done < len) {
			ssize_t n = write(r->spec->tee_fds[i], data + done, len - done);

			if (n > 0)
				done += (size_t)n;
			else if (n == 0 || errno != EINTR)
				r->result->tee_errno[i] = n == 0 ? EIO : errno;
		}
	}
}

/* Reads what is there; bytes beyond max are read and dropped so the child never blocks. */
static int drain(const struct run *r, int *fd, struct mcr_buf *into, size_t max, bool *truncated)
{
	unsigned char chunk[65536];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : (close_fd(fd), 0);
	if (n == 0) {
		close_fd(fd);
		return 0;
	}
	copy_to_tees(r, chunk, (size_t)n);
	if (into->len < max) {
		size_t keep = (size_t)n < max - into->len ? (size_t)n : max - into->len;

		if (mcr_buf_add(into, chunk, keep) < 0)
			return MCR_ESYS;
		if (keep < (size_t)n)
			*truncated = true;
	} else {
		*truncated = true;
	}
	return 0;
}

static void feed(struct run *r)
{
	const struct mcr_proc_spec *spec = r->spec;
	ssize_t n = write(r->in[1], spec->stdin_data + r->in_done, spec->stdin_len - r->in_done);

	if (n > 0)
		r->in_done += (size_t)n;
	/* EPIPE: the child did not want it all; that is its business, not a failure of ours. */
	if ((n < 0 && errno != EAGAIN && errno != EINTR) || r->in_done == spec->stdin_len)
		close_fd(&r->in[1]);
}

/* The child has ended (not yet reaped): kill what it left in its group, then reap it. */
static void reap(struct run *r)
{
	struct mcr_proc_result *result = r->result;
	int wstatus;

	kill(-r->pid, SIGKILL);
	while (waitpid(r->pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	r->exited = true;
	r->drain_until_ms = now_ms() + DRAIN_GRACE_MS;
	close_fd(&r->in[1]);
	close_fd(&r->pidfd);
	result->elapsed_ms = (double)(now_ms() - r->start_ms);
	if (WIFEXITED(wstatus)) {
		result->exit_status = WEXITSTATUS(wstatus);
	} else if (WIFSIGNALED(wstatus)) {
		result->exit_status = -1;
		result->term_signal = WTERMSIG(wstatus);
	}
}

static void check_exit(struct run *r)
{
	siginfo_t info;

	if (r->exited)
		return;
	memset(&info, 0, sizeof(info));
	if (waitid(P_PID, (id_t)r->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid)
		reap(r);
}

static void check_deadlines(struct run *r, long long now)
{
	if (!r->exited && r->term_at_ms >= 0 && now >= r->term_at_ms) {
		r->result->timed_out = true;
		kill(-r->pid, SIGTERM);
		r->term_at_ms = -1;
		r->kill_at_ms = now + KILL_GRACE_MS;
	}
	if (!r->exited && r->kill_at_ms >= 0 && now >= r->kill_at_ms) {
		kill(-r->pid, SIGKILL);
		r->kill_at_ms = -1;
	}
	if (r->exited && now >= r->drain_until_ms) {
		/* Something outside the group (setsid) holds our pipes; stop waiting for it. */
		close_fd(&r->out[0]);
		close_fd(&r->err[0]);
	}
}

static int poll_wait_ms(const struct run *r, long long now)
{
	long long next = -1, deadlines[] = {r->term_at_ms, r->kill_at_ms,
					     r->exited ? r->drain_until_ms : -1};

	for (size_t i = 0; i < sizeof(deadlines) / sizeof(deadlines[0]); i++)
		if (deadlines[i] >= 0 && (next < 0 || deadlines[i] < next))
			next = deadlines[i];
	if (!r->exited && r->pidfd < 0 && (next < 0 || next > now + TICK_MS))
		next = now + TICK_MS;
	if (next < 0)
		return -1;
	return next <= now ? 0 : (int)(next - now > INT32_MAX ? INT32_MAX : next - now);
}

static int pump(struct run *r)
{
	const struct mcr_proc_spec *spec = r->spec;
	struct mcr_proc_result *result = r->result;
	size_t out_max = spec->stdout_max ? spec->stdout_max : DEFAULT_STDOUT_MAX;
	size_t err_max = spec->stderr_max ? spec->stderr_max : DEFAULT_STDERR_MAX;
	int ret = 0;

	while (ret == 0 && (!r->exited || r->out[0] >= 0 || r->err[0] >= 0)) {
		struct pollfd fds[4] = {{r->in[1], POLLOUT, 0}, {r->out[0], POLLIN, 0},
					{r->err[0], POLLIN, 0}, {r->exited ? -1 : r->pidfd, POLLIN, 0}};

		if (poll(fds, 4, poll_wait_ms(r, now_ms())) < 0 && errno != EINTR)
			return mcr_error_errno(MCR_ESYS, "cannot wait for '%s'", spec->argv[0]);
		if (fds[0].revents)
			feed(r);
		if (fds[1].revents)
			ret = drain(r, &r->out[0], &result->out, out_max, &result->stdout_truncated);
		if (ret == 0 && fds[2].revents)
			ret = drain(r, &r->err[0], &result->err, err_max, &result->stderr_truncated);
		check_exit(r);
		check_deadlines(r, now_ms());
	}
	return ret;
}

/* On a failure of ours after the child started: make sure it does not outlive the call. */
static void abandon(struct run *r)
{
	if (r->pid > 0 && !r->exited) {
		kill(-r->pid, SIGKILL);
		while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
}

int mcr_proc_run(const struct mcr_proc_spec *spec, struct mcr_proc_result *result)
{
	struct sigaction ignore = {.sa_handler = SIG_IGN}, old_pipe;
	char *prog = NULL, *path_entry = NULL, *default_envp[2];
	char *const *envp = (char *const *)spec->env;
	struct run r;
	int ret;

	result_init(result);
	run_init(&r, spec, result);
	if ((ret = mcr_buf_grow(&result->out, 0)) < 0 || (ret = mcr_buf_grow(&result->err, 0)) < 0)
		return ret;
	if ((ret = find_in_path(&prog, spec->argv[0], child_path(spec))) < 0)
		return ret;
	if (!envp && (ret = default_env(&path_entry, default_envp)) < 0)
		goto out;
	if (!envp)
		envp = default_envp;
	/* A child that stops reading its stdin must give us EPIPE, not kill us. */
	sigaction(SIGPIPE, &ignore, &old_pipe);
	if ((ret = start(&r, prog, envp)) == 0)
		ret = pump(&r);
	abandon(&r);
	sigaction(SIGPIPE, &old_pipe, NULL);
out:
	run_close_all(&r);
	free(prog);
	free(path_entry);
	return ret;
}
