/* Child processes from an argv (never a shell): environment, stdin, captured output, timeouts. */
#ifndef MCR_PROC_H
#define MCR_PROC_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* What to run and how. Start from mcr_proc_spec_init, then set what you need. */
struct mcr_proc_spec {
	/*
	 * argv[0]: a path containing '/', or a name looked up in the PATH of env
	 * (ours when env sets none); empty and relative PATH entries are skipped.
	 */
	const char *const *argv;
	/*
	 * The child's whole environment as "NAME=value" strings (NULL-terminated).
	 * NULL gives an empty environment plus PATH from ours; a child never
	 * inherits our environment by accident.
	 */
	const char *const *env;
	const char *cwd; /* NULL: ours */
	const unsigned char *stdin_data; /* written to the child's stdin, then closed; NULL: /dev/null */
	size_t stdin_len;
	size_t stdout_max; /* captured stdout beyond this is dropped and flagged; 0: 1 MiB */
	size_t stderr_max; /* likewise for stderr; 0: 64 KiB */
	int stdout_fd;	   /* -1: capture (the default); >= 0: the child writes to this fd */
	int stderr_fd;	   /* likewise */
	/*
	 * -1: none. Captured bytes of both streams are also written to these fds
	 * as they arrive, beyond the capture caps too (a log file, a terminal).
	 */
	int tee_fds[2];
	/* 0: none. On expiry SIGTERM to the child's process group, SIGKILL 2 s later */
	unsigned timeout_ms;
};

/* Sets every field to its default: capture both streams, no timeout, empty environment. */
void mcr_proc_spec_init(struct mcr_proc_spec *spec);

/* How a child ended. */
struct mcr_proc_result {
	int exit_status;  /* 0..255 when it exited; -1 if killed by a signal */
	int term_signal;  /* the signal that killed it, else 0 */
	bool timed_out;   /* we killed it at timeout_ms */
	bool stdout_truncated;
	bool stderr_truncated;
	int tee_errno[2];   /* why writing to tee_fds[i] failed (teeing to it then stopped), else 0 */
	struct mcr_buf out; /* captured stdout (empty when redirected) */
	struct mcr_buf err; /* captured stderr */
	double elapsed_ms;
};

/*
 * Runs spec to completion in its own process group. Returns 0 once the child
 * has ended, whatever its exit status (the caller judges *result), or
 * MCR_ESYS naming argv[0] if it could not be started (not installed, exec or
 * chdir failed in the child: reported back through a close-on-exec pipe).
 * The child gets only fds 0, 1 and 2, default signal dispositions and an
 * empty signal mask. When it ends, whatever it left running in its process
 * group is killed; output still held open by a process that left the group
 * is waited for at most 2 s. SIGPIPE is ignored while a child runs.
 * result is initialised in every case; release it with mcr_proc_result_release.
 */
int mcr_proc_run(const struct mcr_proc_spec *spec, struct mcr_proc_result *result);
void mcr_proc_result_release(struct mcr_proc_result *result);

/* True if the child exited with status 0 and was not killed. */
bool mcr_proc_succeeded(const struct mcr_proc_result *result);

/*
 * Resolves name through PATH (or checks an absolute path is executable).
 * *out is malloc'd. MCR_ESYS naming name if it is not found.
 */
int mcr_proc_find_program(char **out, const char *name);
/* As mcr_proc_find_program with the colon-separated dirs of another PATH (a child's). */
int mcr_proc_find_program_in(char **out, const char *name, const char *dirs);

#endif
