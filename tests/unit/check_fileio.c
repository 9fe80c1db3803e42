/* Unit tests: whole-file reads and atomic output files. */
#include <check.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "testutil.h"

START_TEST(test_fileio_atomic_commit)
{
	const char *dir = mcr_test_tmpdir();
	const char *path = mcr_test_path("%s/out.bin", dir);
	struct mcr_outfile file;
	struct mcr_buf got = MCR_BUF_INIT;
	struct stat st;

	ck_assert_int_eq(mcr_outfile_open(&file, path, 0640), 0);
	ck_assert_int_eq(mcr_outfile_write(&file, "abc", 3), 0);
	ck_assert_int_eq(mcr_outfile_fill(&file, 0xff, 100000), 0);
	/* nothing visible under the target name until commit */
	ck_assert(!mcr_test_exists(path));
	ck_assert_int_eq(mcr_outfile_commit(&file), 0);
	mcr_outfile_release(&file);
	mcr_test_read(&got, path);
	ck_assert_uint_eq(got.len, 100003);
	ck_assert_uint_eq(got.data[100002], 0xff);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640 & ~022);
	/* home dir + out.bin: no temp file left behind */
	ck_assert_int_eq(mcr_test_count_entries(dir), 2);
	mcr_buf_release(&got);
}
END_TEST

START_TEST(test_fileio_release_without_commit_leaves_nothing)
{
	const char *dir = mcr_test_tmpdir();
	const char *path = mcr_test_path("%s/out.bin", dir);
	struct mcr_outfile file;

	ck_assert_int_eq(mcr_outfile_open(&file, path, 0644), 0);
	ck_assert_int_eq(mcr_outfile_write(&file, "abc", 3), 0);
	mcr_outfile_release(&file);
	ck_assert(!mcr_test_exists(path));
	ck_assert_int_eq(mcr_test_count_entries(dir), 1);
}
END_TEST

START_TEST(test_fileio_replaces_symlink_instead_of_following_it)
{
	const char *dir = mcr_test_tmpdir();
	const char *victim = mcr_test_path("%s/victim", dir);
	const char *link = mcr_test_path("%s/link", dir);
	struct mcr_buf got = MCR_BUF_INIT;

	mcr_test_write(victim, "keep", 4);
	ck_assert_int_eq(symlink(victim, link), 0);
	ck_assert_int_eq(mcr_fileio_write_atomic(link, "new", 3, 0644), 0);
	mcr_test_read(&got, victim);
	ck_assert_str_eq((char *)got.data, "keep");
	mcr_buf_release(&got);
}
END_TEST

START_TEST(test_fileio_errors_name_the_path)
{
	const char *big = mcr_test_path("%s/big", mcr_test_tmpdir());
	struct mcr_buf got = MCR_BUF_INIT;
	struct mcr_outfile file;

	ck_assert_int_eq(mcr_fileio_read_all("/nonexistent/x", 10, &got), MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "'/nonexistent/x'"));
	ck_assert_int_eq(mcr_outfile_open(&file, "/nonexistent/dir/out", 0644), MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "'/nonexistent/dir/out'"));
	mcr_test_write(big, "0123456789", 10);
	ck_assert_int_eq(mcr_fileio_read_all(big, 4, &got), MCR_EINPUT);
	mcr_buf_release(&got);
}
END_TEST

static Suite *fileio_suite(void)
{
	Suite *s = suite_create("fileio");
	TCase *tc = tcase_create("fileio");

	tcase_add_test(tc, test_fileio_atomic_commit);
	tcase_add_test(tc, test_fileio_release_without_commit_leaves_nothing);
	tcase_add_test(tc, test_fileio_replaces_symlink_instead_of_following_it);
	tcase_add_test(tc, test_fileio_errors_name_the_path);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(fileio_suite());
}
