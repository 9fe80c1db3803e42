/* Unit tests: RFC 7512 PKCS#11 URI parsing and its refusals. */
#include <check.h>
#include <string.h>

#include "error.h"
#include "p11uri.h"
#include "testutil.h"

START_TEST(test_p11uri_full)
{
	struct mcr_p11uri u;

	ck_assert_int_eq(mcr_p11uri_parse(&u, "pkcs11:token=My%20Token;manufacturer=SoftHSM%20project;"
					      "serial=0a1b;model=m;object=fw%2Dkey;id=%01%A2;type=private;"
					      "slot-id=7;x-vendor=1?module-path=/usr/lib/m.so&pin-source=file:/run/pin"), 0);
	ck_assert_str_eq(u.token, "My Token");
	ck_assert_str_eq(u.manufacturer, "SoftHSM project");
	ck_assert_str_eq(u.serial, "0a1b");
	ck_assert_str_eq(u.object, "fw-key");
	ck_assert(u.has_id && u.id_len == 2 && u.id[0] == 0x01 && u.id[1] == 0xa2);
	ck_assert(u.has_slot_id && u.slot_id == 7);
	ck_assert_str_eq(u.module_path, "/usr/lib/m.so");
	ck_assert_str_eq(u.pin_source, "file:/run/pin");
	mcr_p11uri_release(&u);
	ck_assert_int_eq(mcr_p11uri_parse(&u, "pkcs11:object=k"), 0);
	ck_assert_ptr_null(u.token);
	ck_assert(!u.has_id);
	mcr_p11uri_release(&u);
}
END_TEST

static void refused(const char *uri, const char *needle)
{
	struct mcr_p11uri u;

	ck_assert_int_eq(mcr_p11uri_parse(&u, uri), MCR_EINPUT);
	ck_assert_msg(strstr(mcr_error_message(), needle), "'%s' lacks '%s'", mcr_error_message(), needle);
	mcr_p11uri_release(&u);
}

START_TEST(test_p11uri_refusals)
{
	refused("file:x", "is not a PKCS#11 URI");
	refused("pkcs11:object=k?pin-value=1234", "carries a PIN");
	refused("pkcs11:object=k;type=public", "needs type=private");
	refused("pkcs11:object=k%2", "malformed value");
	refused("pkcs11:object=k%zz", "malformed value");
	refused("pkcs11:object=a%00b", "malformed value");
	refused("pkcs11:library-description=x", "unsupported attribute 'library-description'");
	refused("pkcs11:object", "malformed attribute");
	refused("pkcs11:object=k?pin-source=|/bin/pinentry", "must be file:PATH");
	refused("pkcs11:slot-id=x", "malformed slot-id");
	/* the PIN itself must not be echoed back */
	refused("pkcs11:object=k?pin-value=secret-1234", "pin-value");
	ck_assert_ptr_null(strstr(mcr_error_message(), "secret-1234"));
	refused("pkcs11:object=k%zz?pin-value=secret-1234", "malformed value");
	ck_assert_ptr_null(strstr(mcr_error_message(), "secret-1234"));
}
END_TEST

static Suite *p11uri_suite(void)
{
	Suite *s = suite_create("p11uri");
	TCase *tc = tcase_create("p11uri");

	tcase_add_test(tc, test_p11uri_full);
	tcase_add_test(tc, test_p11uri_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(p11uri_suite());
}
