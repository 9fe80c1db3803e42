/* Unit tests: TLV areas, bounds-checked walking, protected TLV encodings against imgtool's bytes. */
#include <check.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "tlv.h"
#include "testutil.h"
#include "version.h"

START_TEST(test_tlv_area_build_and_walk)
{
	struct mcr_tlv_area area;
	struct mcr_tlv_iter iter;
	struct mcr_tlv_entry e;

	mcr_tlv_area_init(&area, MCR_TLV_INFO_MAGIC);
	ck_assert_int_eq(mcr_tlv_add(&area, MCR_TLV_SHA256, "0123456789abcdef0123456789abcdef", 32), 0);
	ck_assert_int_eq(mcr_tlv_add(&area, 0x1a1, "hello", 5), 0);
	mcr_tlv_area_finish(&area);
	ck_assert_uint_eq(area.bytes.len, 4 + 36 + 9);
	ck_assert_mem_eq(area.bytes.data, "\x07\x69\x31\x00\x10\x00\x20\x00", 8);
	mcr_tlv_iter_init(&iter, area.bytes.data, area.bytes.len);
	ck_assert_int_eq(mcr_tlv_next(&iter, &e), 1);
	ck_assert_uint_eq(e.type, 0x10);
	ck_assert_uint_eq(e.len, 32);
	ck_assert_int_eq(mcr_tlv_next(&iter, &e), 1);
	ck_assert_uint_eq(e.type, 0x1a1);
	ck_assert_mem_eq(e.value, "hello", 5);
	ck_assert_int_eq(mcr_tlv_next(&iter, &e), 0);
	/* a length that runs past the area, and a header cut short */
	area.bytes.data[4 + 36 + 2] = 6;
	mcr_tlv_iter_init(&iter, area.bytes.data, area.bytes.len);
	ck_assert_int_eq(mcr_tlv_next(&iter, &e), 1);
	ck_assert_int_eq(mcr_tlv_next(&iter, &e), MCR_EREFUSED);
	mcr_tlv_iter_init(&iter, area.bytes.data, 4 + 36 + 2);
	ck_assert_int_eq(mcr_tlv_next(&iter, &e), 1);
	ck_assert_int_eq(mcr_tlv_next(&iter, &e), MCR_EREFUSED);
	mcr_tlv_area_release(&area);
}
END_TEST

START_TEST(test_tlv_empty_protected_area_is_absent)
{
	struct mcr_tlv_area area;

	mcr_tlv_area_init(&area, MCR_TLV_PROT_INFO_MAGIC);
	mcr_tlv_area_finish(&area);
	ck_assert_uint_eq(area.bytes.len, 0);
	mcr_tlv_area_release(&area);
	mcr_tlv_area_init(&area, MCR_TLV_INFO_MAGIC);
	mcr_tlv_area_finish(&area);
	ck_assert_uint_eq(area.bytes.len, 4);
	mcr_tlv_area_release(&area);
}
END_TEST

START_TEST(test_tlv_area_limit)
{
	static unsigned char big[65000];
	struct mcr_tlv_area area;

	mcr_tlv_area_init(&area, MCR_TLV_PROT_INFO_MAGIC);
	ck_assert_int_eq(mcr_tlv_add(&area, 0xa0, big, sizeof(big)), 0);
	ck_assert_int_eq(mcr_tlv_add(&area, 0xa1, big, 600), MCR_EUSAGE);
	mcr_tlv_area_release(&area);
}
END_TEST

START_TEST(test_tlv_encodings_match_imgtool)
{
	/* from the manifest: ed25519-all-protected and ecdsa-p256-boot-record */
	static const unsigned char keyhash[32] = {
		0x61, 0x76, 0x06, 0x9e, 0x63, 0x5b, 0x97, 0xb0, 0xf8, 0x54, 0x35, 0x27, 0x03, 0x9c, 0xa8, 0xff,
		0x81, 0x8f, 0x6d, 0x9d, 0x5b, 0xe2, 0x05, 0xec, 0xd6, 0xd1, 0x72, 0x4b, 0x0a, 0xb9, 0xdf, 0x15};
	struct mcr_version v;
	struct mcr_buf out = MCR_BUF_INIT;
	unsigned char uuid[16];

	ck_assert_int_eq(mcr_version_parse(&v, "2.3.4+5"), 0);
	ck_assert_int_eq(mcr_tlv_encode_dependency(&out, 1, &v), 0);
	ck_assert_uint_eq(out.len, 12);
	ck_assert_mem_eq(out.data, "\x01\x00\x00\x00\x02\x03\x04\x00\x05\x00\x00\x00", 12);
	mcr_buf_truncate(&out, 0);
	ck_assert_int_eq(mcr_version_parse(&v, "1.2.3+4"), 0);
	ck_assert_int_eq(mcr_tlv_encode_boot_record(&out, "SPE", &v, MCR_HASH_SHA256, keyhash, 32), 0);
	ck_assert_uint_eq(out.len, 91);
	ck_assert_mem_eq(out.data, "\xa5\x01\x63SPE\x04\x65" "1.2.3\x05\x58\x20", 16);
	ck_assert_mem_eq(out.data + 16, keyhash, 32);
	ck_assert_mem_eq(out.data + 48, "\x06\x66SHA256\x02\x58\x20", 11);
	mcr_buf_truncate(&out, 0);
	ck_assert_int_eq(mcr_tlv_encode_boot_record(&out, "thirteen-char", &v, MCR_HASH_SHA256, keyhash, 32),
			 MCR_EUSAGE);
	ck_assert_int_eq(mcr_tlv_uuid(uuid, "example.com", NULL, "--vid"), 0);
	ck_assert_mem_eq(uuid, "\xcf\xbf\xf0\xd1\x93\x75\x56\x85\x96\x8c\x48\xce\x8b\x15\xae\x17", 16);
	ck_assert_int_eq(mcr_tlv_uuid(uuid, "sensor-board", (const unsigned char *)
				      "\xcf\xbf\xf0\xd1\x93\x75\x56\x85\x96\x8c\x48\xce\x8b\x15\xae\x17", "--cid"), 0);
	ck_assert_mem_eq(uuid, "\xe2\x33\x2d\xd3\x02\x56\x58\xd2\x8c\x01\xc1\x9d\xae\xc4\x84\xba", 16);
	ck_assert_int_eq(mcr_tlv_uuid(uuid, "e2332dd3-0256-58d2-8c01-c19daec484ba", NULL, "--cid"), 0);
	ck_assert_mem_eq(uuid, "\xe2\x33\x2d\xd3\x02\x56\x58\xd2\x8c\x01\xc1\x9d\xae\xc4\x84\xba", 16);
	mcr_buf_release(&out);
}
END_TEST

START_TEST(test_tlv_names)
{
	enum mcr_hash_alg alg;

	ck_assert_str_eq(mcr_tlv_name(0x22), "ECDSA_SIG");
	ck_assert_ptr_null(mcr_tlv_name(0xa0));
	ck_assert_uint_eq(mcr_tlv_hash_type(MCR_HASH_SHA384), 0x11);
	ck_assert(mcr_tlv_hash_alg(0x12, &alg) && alg == MCR_HASH_SHA512);
	ck_assert(!mcr_tlv_hash_alg(0x01, &alg));
}
END_TEST

START_TEST(test_version_parse)
{
	struct mcr_version v;
	char text[MCR_VERSION_TEXT_MAX];

	ck_assert_int_eq(mcr_version_parse(&v, "255.255.65535+4294967295"), 0);
	mcr_version_format(text, &v);
	ck_assert_str_eq(text, "255.255.65535+4294967295");
	ck_assert_int_eq(mcr_version_parse(&v, "1.2"), 0);
	ck_assert(v.major == 1 && v.minor == 2 && v.revision == 0 && v.build == 0);
	ck_assert_uint_eq(mcr_version_security_counter(&v), 0x01020000);
	ck_assert_int_eq(mcr_version_parse(&v, "256.0.0"), MCR_EUSAGE);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "does not fit"));
	ck_assert_int_eq(mcr_version_parse(&v, "1.2.3+4294967296"), MCR_EUSAGE);
	ck_assert_int_eq(mcr_version_parse(&v, "01.2.3"), MCR_EUSAGE);
	ck_assert_int_eq(mcr_version_parse(&v, "1.2+3"), MCR_EUSAGE);
	ck_assert_int_eq(mcr_version_parse(&v, "1.2.3.4"), MCR_EUSAGE);
	ck_assert_int_eq(mcr_version_parse(&v, "v1.2.3"), MCR_EUSAGE);
	ck_assert_int_eq(mcr_version_parse(&v, ""), MCR_EUSAGE);
}
END_TEST

static Suite *tlv_suite(void)
{
	Suite *s = suite_create("tlv");
	TCase *tc = tcase_create("tlv");

	tcase_add_test(tc, test_tlv_area_build_and_walk);
	tcase_add_test(tc, test_tlv_empty_protected_area_is_absent);
	tcase_add_test(tc, test_tlv_area_limit);
	tcase_add_test(tc, test_tlv_encodings_match_imgtool);
	tcase_add_test(tc, test_tlv_names);
	tcase_add_test(tc, test_version_parse);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(tlv_suite());
}
