/* End-to-end: 8 processes append 250 events each to one log at once; 2,000 contiguous, chained
 * events result. */
#include <check.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "testutil.h"

#define WRITERS 8
#define APPENDS 250

static pid_t start_writer(const char *db, int *out_fd, const char *count)
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
		execl(MCR_TEST_AUDIT_DRIVER, MCR_TEST_AUDIT_DRIVER, db, count, "sign.requested",
		      (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	*out_fd = fds[0];
	return pid;
}

/* Marks each seq a writer reported; a seq reported twice would be two appends at one place. */
static int collect(int fd, unsigned char *seen, int max_seq)
{
	struct mcr_buf text = MCR_BUF_INIT;
	char chunk[4096], *line, *save = NULL;
	ssize_t n;
	int count = 0;

	while ((n = read(fd, chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			mcr_buf_add(&text, chunk, (size_t)n);
	close(fd);
	mcr_buf_add_u8(&text, 0);
	for (line = strtok_r((char *)text.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		int seq = atoi(line);

		ck_assert_int_ge(seq, 1);
		ck_assert_int_le(seq, max_seq);
		ck_assert_msg(!seen[seq], "seq %d reported by two appends", seq);
		seen[seq] = 1;
		count++;
	}
	mcr_buf_release(&text);
	return count;
}

START_TEST(test_audit_concurrency_eight_writers)
{
	const char *db = mcr_test_path("%s/audit.db", mcr_test_tmpdir());
	static unsigned char seen[WRITERS * APPENDS + 1];
	struct mcr_test_result r;
	int fds[WRITERS], status, total = 0, fd;
	pid_t pids[WRITERS];
	char count[16];
	sqlite3 *handle;
	sqlite3_stmt *stmt;

	/* the log exists before the race starts: creating it is not what is tested */
	ck_assert_int_eq(waitpid(start_writer(db, &fd, "0"), &status, 0) > 0 && status == 0, 1);
	close(fd);
	snprintf(count, sizeof(count), "%d", APPENDS);
	for (int i = 0; i < WRITERS; i++)
		pids[i] = start_writer(db, &fds[i], count);
	for (int i = 0; i < WRITERS; i++) {
		total += collect(fds[i], seen, WRITERS * APPENDS);
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d: status %d",
		              i, status);
	}
	ck_assert_int_eq(total, WRITERS * APPENDS);
	ck_assert_int_eq(sqlite3_open_v2(db, &handle, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(
	        sqlite3_prepare_v2(handle,
	                           "SELECT count(*), min(seq), max(seq), "
	                           "count(DISTINCT json_extract(body, '$.data.pid')) FROM events",
	                           -1, &stmt, NULL),
	        SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(stmt, 0), WRITERS * APPENDS);
	ck_assert_int_eq(sqlite3_column_int(stmt, 1), 1);
	ck_assert_int_eq(sqlite3_column_int(stmt, 2), WRITERS * APPENDS);
	ck_assert_int_eq(sqlite3_column_int(stmt, 3), WRITERS);
	sqlite3_finalize(stmt);
	sqlite3_close(handle);
	mcr_test_mcr(&r, NULL, "audit", "verify", "--db", db, NULL);
	ck_assert_msg(r.status == 0, "%s%s", (char *)r.out.data, (char *)r.err.data);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "valid: 2000 events"));
	mcr_test_result_release(&r);
}
END_TEST

static Suite *audit_concurrency_suite(void)
{
	Suite *s = suite_create("audit_concurrency");
	TCase *tc = tcase_create("writers");

	tcase_add_test(tc, test_audit_concurrency_eight_writers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(audit_concurrency_suite());
}
