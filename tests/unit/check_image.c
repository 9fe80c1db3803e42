/* Unit tests: image header, trailer layout, and the streamed builder. */
#include <check.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "image.h"
#include "image_verify.h"
#include "testutil.h"

START_TEST(test_image_header_roundtrip)
{
	struct mcr_image_header h = {MCR_IMAGE_MAGIC, 0x20000000, 0x200, 12, 1024, 0x20,
				     {1, 2, 3, 4}, 0}, back;
	unsigned char raw[32];

	mcr_image_header_encode(raw, &h);
	ck_assert_mem_eq(raw, "\x3d\xb8\xf3\x96\x00\x00\x00\x20\x00\x02\x0c\x00\x00\x04\x00\x00"
			      "\x20\x00\x00\x00\x01\x02\x03\x00\x04\x00\x00\x00\x00\x00\x00\x00", 32);
	mcr_image_header_decode(&back, raw);
	ck_assert(back.magic == h.magic && back.load_addr == h.load_addr && back.hdr_size == 0x200 &&
		  back.protect_tlv_size == 12 && back.img_size == 1024 && back.flags == 0x20 &&
		  back.version.revision == 3 && back.version.build == 4);
}
END_TEST

START_TEST(test_image_trailer_sizes_match_imgtool)
{
	/* imgtool's messages in the expected_errors vectors: 0x1b0 (align 1) and 0x30a0 (align 32) */
	ck_assert_uint_eq(mcr_image_trailer_size(1, 0, 128, false), 0x1b0);
	ck_assert_uint_eq(mcr_image_trailer_size(32, 0, 128, false), 0x30a0);
	ck_assert_uint_eq(mcr_image_trailer_size(4, 16, 128, false), 128 * 3 * 4 + 4 * 16 + 16);
	ck_assert_uint_eq(mcr_image_trailer_size(8, 0, 128, true), 2 * 8 + 16);
	ck_assert_uint_eq(mcr_image_max_align(32, 0), 32);
	ck_assert_uint_eq(mcr_image_max_align(4, 0), 8);
}
END_TEST

START_TEST(test_image_boot_magic)
{
	unsigned char magic[16];

	mcr_image_boot_magic(magic, 8);
	ck_assert_mem_eq(magic, "\x77\xc2\x95\xf3\x60\xd2\xef\x7f\x35\x52\x50\x0f\x2c\xb6\x79\x80", 16);
	mcr_image_boot_magic(magic, 32);
	ck_assert_mem_eq(magic, "\x20\x00\x2d\xe1\x5d\x29\x41\x0b\x8d\x77\x67\x9c\x11\x0f\x1f\x8a", 16);
}
END_TEST

static void basic_spec(struct mcr_image_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	ck_assert_int_eq(mcr_version_parse(&spec->version, "1.2.3+4"), 0);
	spec->header_size = 0x20;
	spec->pad_header = true;
	spec->slot_size = 0x20000;
	spec->align = 1;
	spec->max_sectors = 128;
	spec->erased_val = 0xff;
	spec->hash_alg = MCR_HASH_SHA256;
}

START_TEST(test_image_build_unsigned_matches_imgtool)
{
	const char *out = mcr_test_path("%s/u.bin", mcr_test_tmpdir());
	struct mcr_image_output output = {false, 0};
	struct mcr_image_build *b = NULL;
	struct mcr_image_spec spec;
	size_t len;

	basic_spec(&spec);
	ck_assert_int_eq(mcr_image_build_new(&b, &spec, mcr_test_vector("inputs/raw-1k.bin"), NULL), 0);
	ck_assert_int_eq(mcr_image_build_stage(b, out, &output), 0);
	mcr_image_build_digest(b, &len);
	ck_assert_uint_eq(len, 32);
	ck_assert_uint_eq(mcr_image_build_image_len(b), 1096);
	ck_assert(!mcr_test_exists(out)); /* staged: not visible before commit */
	ck_assert_int_eq(mcr_image_build_commit(b), 0);
	ck_assert(mcr_test_files_equal(out, mcr_test_vector("out/unsigned-1k.bin")));
	mcr_image_build_free(b);
	/* hashed now, written later (the other process's path): same bytes */
	ck_assert_int_eq(mcr_image_build_new(&b, &spec, mcr_test_vector("inputs/raw-1k.bin"), NULL), 0);
	ck_assert_int_eq(mcr_image_build_hash(b), 0);
	ck_assert_int_eq(mcr_image_build_write(b, out, &output), 0);
	ck_assert(mcr_test_files_equal(out, mcr_test_vector("out/unsigned-1k.bin")));
	mcr_image_build_free(b);
}
END_TEST

START_TEST(test_image_input_changed_after_hashing_is_refused)
{
	const char *dir = mcr_test_tmpdir();
	const char *in = mcr_test_path("%s/in.bin", dir), *out = mcr_test_path("%s/o.bin", dir);
	struct mcr_image_output output = {false, 0};
	struct mcr_image_build *b = NULL;
	struct mcr_image_spec spec;
	struct mcr_buf data = MCR_BUF_INIT;

	basic_spec(&spec);
	mcr_test_read(&data, mcr_test_vector("inputs/raw-1k.bin"));
	mcr_test_write(in, data.data, data.len);
	ck_assert_int_eq(mcr_image_build_new(&b, &spec, in, NULL), 0);
	ck_assert_int_eq(mcr_image_build_hash(b), 0);
	data.data[500] ^= 0xff; /* same size, other bytes: the digest would now lie */
	mcr_test_write(in, data.data, data.len);
	ck_assert_int_eq(mcr_image_build_write(b, out, &output), MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "changed while it was being signed"));
	ck_assert(!mcr_test_exists(out));
	ck_assert_int_eq(mcr_test_count_entries(dir), 2); /* home, in.bin: no temp file */
	mcr_image_build_free(b);
	mcr_buf_release(&data);
}
END_TEST

START_TEST(test_image_staged_output_abandoned_leaves_nothing)
{
	const char *dir = mcr_test_tmpdir();
	struct mcr_image_output output = {false, 0};
	struct mcr_image_build *b = NULL;
	struct mcr_image_spec spec;

	basic_spec(&spec);
	ck_assert_int_eq(mcr_image_build_new(&b, &spec, mcr_test_vector("inputs/raw-1k.bin"), NULL), 0);
	ck_assert_int_eq(mcr_image_build_stage(b, mcr_test_path("%s/o.bin", dir), &output), 0);
	ck_assert_int_eq(mcr_test_count_entries(dir), 2); /* home + the temp file */
	mcr_image_build_free(b); /* e.g. the signer failed */
	ck_assert_int_eq(mcr_test_count_entries(dir), 1);
}
END_TEST

START_TEST(test_image_build_refusals)
{
	const char *dir = mcr_test_tmpdir();
	struct mcr_image_output output = {false, 0};
	struct mcr_image_build *b = NULL;
	struct mcr_image_spec spec;

	basic_spec(&spec);
	spec.slot_size = 0x400;
	ck_assert_int_eq(mcr_image_build_new(&b, &spec, mcr_test_vector("inputs/raw-1k.bin"), NULL),
			 MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "exceeds requested size 0x400"));
	basic_spec(&spec);
	spec.header_size = 0x10;
	ck_assert_int_eq(mcr_image_build_new(&b, &spec, mcr_test_vector("inputs/raw-1k.bin"), NULL),
			 MCR_EUSAGE);
	basic_spec(&spec);
	spec.pad_header = false;
	ck_assert_int_eq(mcr_image_build_new(&b, &spec, mcr_test_vector("inputs/raw-1k.bin"), NULL),
			 MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "does not start with 0x20 zero bytes"));
	mcr_test_write(mcr_test_path("%s/short.bin", dir), "\0\0\0", 3);
	ck_assert_int_eq(mcr_image_build_new(&b, &spec, mcr_test_path("%s/short.bin", dir), NULL),
			 MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "shorter than the header size"));
	ck_assert_int_eq(mcr_image_build_new(&b, &spec, mcr_test_path("%s/none.bin", dir), NULL),
			 MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "none.bin"));
	/* HEX output of a binary input needs a base address */
	basic_spec(&spec);
	ck_assert_int_eq(mcr_image_build_new(&b, &spec, mcr_test_vector("inputs/raw-1k.bin"), NULL), 0);
	ck_assert_int_eq(mcr_image_build_stage(b, mcr_test_path("%s/o.hex", dir), &output), MCR_EUSAGE);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "--hex-addr"));
	mcr_image_build_free(b);
}
END_TEST

START_TEST(test_image_parse_reports_parts)
{
	struct mcr_image_parsed p;

	ck_assert_int_eq(mcr_image_parse(&p, mcr_test_vector("out/ecdsa-p256-seccnt-7.bin")), 0);
	ck_assert_uint_eq(p.header.protect_tlv_size, 12);
	ck_assert_uint_eq(p.prot_offset, 1056);
	ck_assert_uint_eq(p.unprot_offset, 1068);
	ck_assert(!p.has_trailer);
	mcr_image_parsed_release(&p);
	ck_assert_int_eq(mcr_image_parse(&p, mcr_test_vector("out/ed25519-align32-pad-confirm.bin")), 0);
	ck_assert(p.has_trailer);
	ck_assert_uint_eq(p.trailer_max_align, 32);
	mcr_image_parsed_release(&p);
}
END_TEST

static Suite *image_suite(void)
{
	Suite *s = suite_create("image");
	TCase *tc = tcase_create("image");

	tcase_add_test(tc, test_image_header_roundtrip);
	tcase_add_test(tc, test_image_trailer_sizes_match_imgtool);
	tcase_add_test(tc, test_image_boot_magic);
	tcase_add_test(tc, test_image_build_unsigned_matches_imgtool);
	tcase_add_test(tc, test_image_input_changed_after_hashing_is_refused);
	tcase_add_test(tc, test_image_staged_output_abandoned_leaves_nothing);
	tcase_add_test(tc, test_image_build_refusals);
	tcase_add_test(tc, test_image_parse_reports_parts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(image_suite());
}
