/* Unit tests: Intel HEX reading (strict) and writing (python-intelhex's record layout). */
#include <check.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "ihex.h"
#include "testutil.h"

START_TEST(test_ihex_read_matches_binary)
{
	struct mcr_buf from_hex = MCR_BUF_INIT, bin = MCR_BUF_INIT;
	uint32_t base = 0;

	ck_assert_int_eq(mcr_ihex_read(&from_hex, &base, mcr_test_vector("inputs/zephyr-0x200.hex"), false), 0);
	mcr_test_read(&bin, mcr_test_vector("inputs/zephyr-0x200.bin"));
	ck_assert_uint_eq(base, 0xc000);
	ck_assert_uint_eq(from_hex.len, bin.len);
	ck_assert_mem_eq(from_hex.data, bin.data, bin.len);
	mcr_buf_release(&from_hex);
	mcr_buf_release(&bin);
}
END_TEST

static void expect_refused(const char *text, const char *needle)
{
	const char *path = mcr_test_path("%s/bad.hex", mcr_test_tmpdir());
	struct mcr_buf out = MCR_BUF_INIT;
	uint32_t base;

	mcr_test_write(path, text, strlen(text));
	ck_assert_int_eq(mcr_ihex_read(&out, &base, path, false), MCR_EINPUT);
	ck_assert_msg(strstr(mcr_error_message(), needle), "'%s' lacks '%s'", mcr_error_message(), needle);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), path));
	mcr_buf_release(&out);
}

START_TEST(test_ihex_refusals)
{
	expect_refused(":0400000001020304F1\n:00000001FF\n", "bad checksum in Intel HEX");
	expect_refused(":0400000001020304F2\n:020008000506EB\n:00000001FF\n", "gap from 0x00000004 to 0x00000008");
	expect_refused(":0400000001020304F2\n:020002000506F1\n:00000001FF\n", "overlapping data at 0x00000002");
	expect_refused(":0400000001020304F2\n", "missing end-of-file record");
	expect_refused(":00000001FF\n", "no data");
	expect_refused("0400000001020304F2\n:00000001FF\n", "malformed record");
	expect_refused(":0500000001020304F2\n:00000001FF\n", "record length mismatch");
	expect_refused(":0400000001020304F2\n:00000001FF\n:0100040005F6\n", "data after the end-of-file record");
	expect_refused(":0400000601020304EC\n:00000001FF\n", "unknown record type");
}
END_TEST

START_TEST(test_ihex_read_address_records_and_crlf)
{
	/* extended linear address 0x0800, out-of-order records, CRLF, start address record */
	const char *text = ":020000040800F2\r\n:020002000304F5\r\n:020000000102FB\r\n:0400000508000000EF\r\n:00000001FF\r\n";
	const char *path = mcr_test_path("%s/ok.hex", mcr_test_tmpdir());
	struct mcr_buf out = MCR_BUF_INIT;
	uint32_t base;

	mcr_test_write(path, text, strlen(text));
	ck_assert_int_eq(mcr_ihex_read(&out, &base, path, false), 0);
	ck_assert_uint_eq(base, 0x08000000);
	ck_assert_uint_eq(out.len, 4);
	ck_assert_mem_eq(out.data, "\x01\x02\x03\x04", 4);
	mcr_buf_release(&out);
}
END_TEST

START_TEST(test_ihex_sparse_image_reads_as_erased_flash)
{
	const char *path = mcr_test_path("%s/sparse.hex", mcr_test_tmpdir());
	const char *text = ":0400000001020304F2\n:020008000506EB\n:00000001FF\n";
	struct mcr_buf out = MCR_BUF_INIT;
	uint32_t base;

	mcr_test_write(path, text, strlen(text));
	ck_assert_int_eq(mcr_ihex_read(&out, &base, path, true), 0);
	ck_assert_uint_eq(out.len, 10);
	ck_assert_mem_eq(out.data, "\x01\x02\x03\x04\xff\xff\xff\xff\x05\x06", 10);
	mcr_buf_release(&out);
}
END_TEST

static void write_hex(const char *path, uint64_t base, const struct mcr_buf *data, uint64_t max_addr)
{
	struct mcr_outfile file;
	struct mcr_ihex_writer w;

	ck_assert_int_eq(mcr_outfile_open(&file, path, 0644), 0);
	mcr_ihex_writer_init(&w, &file, max_addr);
	/* odd-sized calls: records must continue across them */
	for (size_t off = 0; off < data->len; off += 7)
		ck_assert_int_eq(mcr_ihex_write(&w, base + off, data->data + off,
						data->len - off < 7 ? data->len - off : 7), 0);
	ck_assert_int_eq(mcr_ihex_writer_finish(&w), 0);
	ck_assert_int_eq(mcr_outfile_commit(&file), 0);
	mcr_outfile_release(&file);
}

START_TEST(test_ihex_writer_matches_intelhex)
{
	const char *dir = mcr_test_tmpdir();
	struct mcr_buf image = MCR_BUF_INIT;

	/* the hex-out vectors are ed25519-basic.bin placed at a base address by imgtool */
	mcr_test_read(&image, mcr_test_vector("out/ed25519-basic.bin"));
	write_hex(mcr_test_path("%s/c000.hex", dir), 0xc000, &image, 0xc000 + image.len - 1);
	ck_assert(mcr_test_files_equal(mcr_test_path("%s/c000.hex", dir),
				       mcr_test_vector("out/ed25519-hex-out-0xc000.hex")));
	write_hex(mcr_test_path("%s/high.hex", dir), 0x10000000, &image, 0x10000000 + image.len - 1);
	ck_assert(mcr_test_files_equal(mcr_test_path("%s/high.hex", dir),
				       mcr_test_vector("out/ed25519-hex-out-0x10000000.hex")));
	mcr_buf_release(&image);
}
END_TEST

START_TEST(test_ihex_writer_64k_boundary_and_gap)
{
	const char *path = mcr_test_path("%s/b.hex", mcr_test_tmpdir());
	struct mcr_outfile file;
	struct mcr_ihex_writer w;
	struct mcr_buf got = MCR_BUF_INIT;
	unsigned char bytes[24];

	for (int i = 0; i < 24; i++)
		bytes[i] = (unsigned char)i;
	ck_assert_int_eq(mcr_outfile_open(&file, path, 0644), 0);
	mcr_ihex_writer_init(&w, &file, 0x10020);
	ck_assert_int_eq(mcr_ihex_write(&w, 0xfff8, bytes, 12), 0);
	ck_assert_int_eq(mcr_ihex_write(&w, 0x10010, bytes + 12, 4), 0);
	ck_assert_int_eq(mcr_ihex_writer_finish(&w), 0);
	ck_assert_int_eq(mcr_outfile_commit(&file), 0);
	mcr_outfile_release(&file);
	mcr_test_read(&got, path);
	ck_assert_str_eq((char *)got.data, ":020000040000FA\n"
					   ":08FFF8000001020304050607E5\n"
					   ":020000040001F9\n"
					   ":0400000008090A0BD6\n"
					   ":040010000C0D0E0FB6\n"
					   ":00000001FF\n");
	mcr_buf_release(&got);
}
END_TEST

static Suite *ihex_suite(void)
{
	Suite *s = suite_create("ihex");
	TCase *tc = tcase_create("ihex");

	tcase_add_test(tc, test_ihex_read_matches_binary);
	tcase_add_test(tc, test_ihex_refusals);
	tcase_add_test(tc, test_ihex_read_address_records_and_crlf);
	tcase_add_test(tc, test_ihex_sparse_image_reads_as_erased_flash);
	tcase_add_test(tc, test_ihex_writer_matches_intelhex);
	tcase_add_test(tc, test_ihex_writer_64k_boundary_and_gap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(ihex_suite());
}
