/* Unit tests: byte buffers, hex, base64. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "testutil.h"

START_TEST(test_buf_add_and_detach)
{
	struct mcr_buf buf = MCR_BUF_INIT;
	unsigned char *data;
	size_t len;

	ck_assert_int_eq(mcr_buf_add_str(&buf, "abc"), 0);
	ck_assert_int_eq(mcr_buf_addf(&buf, "-%d-", 42), 0);
	ck_assert_int_eq(mcr_buf_add_le16(&buf, 0x6907), 0);
	ck_assert_int_eq(mcr_buf_add_le32(&buf, 0x96f3b83dUL), 0);
	ck_assert_uint_eq(buf.len, 3 + 4 + 2 + 4);
	ck_assert_mem_eq(buf.data, "abc-42-\x07\x69\x3d\xb8\xf3\x96", buf.len);
	ck_assert_int_eq(buf.data[buf.len], 0);
	data = mcr_buf_detach(&buf, &len);
	ck_assert_uint_eq(len, 13);
	ck_assert_ptr_null(buf.data);
	free(data);
}
END_TEST

START_TEST(test_buf_secret_wiped_on_truncate)
{
	struct mcr_buf buf;

	mcr_buf_init_secret(&buf);
	ck_assert_int_eq(mcr_buf_add_str(&buf, "1234-secret"), 0);
	mcr_buf_truncate(&buf, 4);
	ck_assert_str_eq((char *)buf.data, "1234");
	/* the cut tail must not linger in the buffer */
	ck_assert_int_eq(memcmp(buf.data + 5, "secret", 6) == 0, 0);
	mcr_buf_release(&buf);
	ck_assert(buf.is_secret);
}
END_TEST

START_TEST(test_buf_hex_roundtrip)
{
	unsigned char out[4];
	char hex[9];

	mcr_hex_encode(hex, (const unsigned char *)"\x00\xab\xff\x10", 4);
	ck_assert_str_eq(hex, "00abff10");
	ck_assert_int_eq(mcr_hex_decode(out, 4, "00ABff10"), 0);
	ck_assert_mem_eq(out, "\x00\xab\xff\x10", 4);
	ck_assert_int_eq(mcr_hex_decode(out, 4, "00abff1"), MCR_EINPUT);
	ck_assert_int_eq(mcr_hex_decode(out, 4, "00abff1g"), MCR_EINPUT);
}
END_TEST

START_TEST(test_buf_base64)
{
	struct mcr_buf b = MCR_BUF_INIT;

	ck_assert_int_eq(mcr_base64_encode(&b, (const unsigned char *)"\xfb\xff\xfe", 3, false), 0);
	ck_assert_str_eq((char *)b.data, "+//+");
	mcr_buf_release(&b);
	ck_assert_int_eq(mcr_base64_encode(&b, (const unsigned char *)"\xfb\xff", 2, true), 0);
	ck_assert_str_eq((char *)b.data, "-_8");
	mcr_buf_release(&b);
	ck_assert_int_eq(mcr_base64_decode(&b, "aGVs\nbG8=", 9, false), 0);
	ck_assert_str_eq((char *)b.data, "hello");
	mcr_buf_release(&b);
	ck_assert_int_eq(mcr_base64_decode(&b, "aGVsbG8", 7, false), 0);
	ck_assert_str_eq((char *)b.data, "hello");
	mcr_buf_release(&b);
	ck_assert_int_eq(mcr_base64_decode(&b, "-_8", 3, true), 0);
	ck_assert_mem_eq(b.data, "\xfb\xff", 2);
	mcr_buf_release(&b);
	/* wrong alphabet, junk, data after padding, non-zero leftover bits */
	ck_assert_int_eq(mcr_base64_decode(&b, "-_8", 3, false), MCR_EINPUT);
	mcr_buf_release(&b);
	ck_assert_int_eq(mcr_base64_decode(&b, "a*b=", 4, false), MCR_EINPUT);
	mcr_buf_release(&b);
	ck_assert_int_eq(mcr_base64_decode(&b, "aG=Vs", 5, false), MCR_EINPUT);
	mcr_buf_release(&b);
	ck_assert_int_eq(mcr_base64_decode(&b, "aGVsbG9", 7, false), MCR_EINPUT);
	mcr_buf_release(&b);
}
END_TEST

static Suite *buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");

	tcase_add_test(tc, test_buf_add_and_detach);
	tcase_add_test(tc, test_buf_secret_wiped_on_truncate);
	tcase_add_test(tc, test_buf_hex_roundtrip);
	tcase_add_test(tc, test_buf_base64);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(buf_suite());
}
