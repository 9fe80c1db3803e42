/* End-to-end: SIGKILL appending processes at random moments; the log must verify and keep every
 * reported append. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "testutil.h"

#define KILLS 200

/* Starts the driver appending to db for good; its stdout comes back on *out_fd. */
static pid_t start_driver(const char *db, int *out_fd)
{
	int fds[2];
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(MCR_TEST_AUDIT_DRIVER, MCR_TEST_AUDIT_DRIVER, db, "1000000", "sign.completed",
		      "v1.0.0", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	*out_fd = fds[0];
	return pid;
}

/* One line the driver printed: a seq whose append returned success. 0 at the end. */
static long long next_reported(FILE *out)
{
	char line[64];

	while (!fgets(line, sizeof(line), out))
		if (!ferror(out) || errno != EINTR)
			return 0;
	return atoll(line);
}

/* The rest of what the driver printed, after the first: contiguous seqs, the last returned. */
static long long drain_reported(FILE *out, long long first, long long *count)
{
	long long last = first, seq;

	*count += first > 0;
	while ((seq = next_reported(out)) > 0) {
		ck_assert_msg(last == 0 || seq == last + 1, "reported %lld after %lld", seq, last);
		last = seq;
		(*count)++;
	}
	fclose(out);
	return last;
}

static long long events_in(const char *db)
{
	sqlite3 *handle;
	sqlite3_stmt *stmt;
	long long count = -1;

	ck_assert_int_eq(sqlite3_open_v2(db, &handle, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	/* -1: killed while creating the file, before its schema was committed */
	if (sqlite3_prepare_v2(handle, "SELECT count(*), coalesce(max(seq), 0) FROM events", -1,
	                       &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW) {
		count = sqlite3_column_int64(stmt, 0);
		ck_assert_int_eq(sqlite3_column_int64(stmt, 1), count);
	}
	sqlite3_finalize(stmt);
	sqlite3_close(handle);
	return count;
}

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

START_TEST(test_audit_crash_sigkill_loop)
{
	const char *dir = mcr_test_tmpdir();
	const char *db = mcr_test_path("%s/audit.db", dir);
	unsigned seed = (unsigned)time(NULL);
	long long reported_max = 0, reported = 0, killed_mid_run = 0, appending = 0;

	for (int i = 0; i < KILLS; i++) {
		struct mcr_test_result r;
		long long first = 0, last, events;
		int fd, status;
		pid_t pid = start_driver(db, &fd);
		FILE *out = fdopen(fd, "r");

		ck_assert_ptr_nonnull(out);
		/*
		 * Odd rounds: anywhere from start-up (opening, migrating) on. Even
		 * rounds: once appends are under way, so that most kills land in one.
		 */
		if (i % 2 == 0)
			appending += (first = next_reported(out)) > 0;
		sleep_us(rand_r(&seed) % (i % 2 ? 25000 : 5000));
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		killed_mid_run += WIFSIGNALED(status);
		last = drain_reported(out, first, &reported);
		if (last > reported_max)
			reported_max = last;
		events = mcr_test_exists(db) ? events_in(db) : -1;
		if (events < 0) {
			/* killed before the log existed: nothing may have been reported */
			ck_assert_int_eq(reported_max, 0);
			continue;
		}
		ck_assert_msg(events >= reported_max,
		              "kill %d (seed %u): %lld events but seq %lld was reported appended",
		              i, seed, events, reported_max);
		reported_max = events; /* the next driver continues from here */
		mcr_test_mcr(&r, NULL, "audit", "verify", "--db", db, NULL);
		ck_assert_msg(r.status == 0, "kill %d (seed %u): %s%s", i, seed, (char *)r.out.data,
		              (char *)r.err.data);
		mcr_test_result_release(&r);
	}
	ck_assert_int_eq(killed_mid_run, KILLS);
	ck_assert_int_eq(appending, KILLS / 2);
	ck_assert_int_gt(reported, 0);
}
END_TEST

static Suite *audit_crash_suite(void)
{
	Suite *s = suite_create("audit_crash");
	TCase *tc = tcase_create("sigkill");

	tcase_add_test(tc, test_audit_crash_sigkill_loop);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(audit_crash_suite());
}
