/* Unit tests: JSON parsing errors, canonical form, typed getters. */
#include <check.h>
#include <cjson/cJSON.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "json.h"
#include "testutil.h"

static void canon(const char *text, const char *expected)
{
	struct mcr_buf out = MCR_BUF_INIT;
	cJSON *root = NULL;

	ck_assert_int_eq(mcr_json_parse(&root, text, strlen(text), "t"), 0);
	ck_assert_int_eq(mcr_json_canonical(&out, root), 0);
	ck_assert_str_eq((char *)out.data, expected);
	mcr_buf_release(&out);
	cJSON_Delete(root);
}

START_TEST(test_json_canonical_sorts_and_compacts)
{
	canon("{ \"b\": 1, \"a\": [true, false, null, \"x\\ny\"], \"A\": {\"z\":-3,\"c\":\"\\u0001\"} }",
	      "{\"A\":{\"c\":\"\\u0001\",\"z\":-3},\"a\":[true,false,null,\"x\\ny\"],\"b\":1}");
	canon("\"caf\xc3\xa9 \\\"q\\\" \\\\\"", "\"caf\xc3\xa9 \\\"q\\\" \\\\\"");
	canon("9007199254740992", "9007199254740992");
}
END_TEST

static void pretty(const char *text, const char *expected)
{
	struct mcr_buf out = MCR_BUF_INIT;
	cJSON *root = NULL;

	ck_assert_int_eq(mcr_json_parse(&root, text, strlen(text), "t"), 0);
	ck_assert_int_eq(mcr_json_pretty(&out, root), 0);
	ck_assert_str_eq((char *)out.data, expected);
	mcr_buf_release(&out);
	cJSON_Delete(root);
}

/* Members one per line in their own order, arrays on one line, integers exact up to 2^53
 * (cJSON_Print alone writes 9007199254740991 as 9.00719925474099e+15). */
START_TEST(test_json_pretty_layout_and_exact_integers)
{
	pretty("{\"b\":[1,{\"x\":\"y\\n\"},[],{}],\"a\":{},\"n\":null}",
	       "{\n  \"b\": [1, {\n      \"x\": \"y\\n\"\n    }, [], {\n    }],\n  \"a\": {\n  },\n"
	       "  \"n\": null\n}\n");
	pretty("[9007199254740991, -1000000000000001, 0.5, 1e300, -0]",
	       "[9007199254740991, -1000000000000001, 0.5, 1e+300, -0]\n");
}
END_TEST

START_TEST(test_json_canonical_refuses_fractions_and_duplicates)
{
	struct mcr_buf out = MCR_BUF_INIT;
	cJSON *root = NULL;

	ck_assert_int_eq(mcr_json_parse(&root, "[1.5]", 5, "t"), 0);
	ck_assert_int_eq(mcr_json_canonical(&out, root), MCR_EINPUT);
	cJSON_Delete(root);
	ck_assert_int_eq(mcr_json_parse(&root, "{\"a\":1,\"a\":2}", 13, "t"), 0);
	ck_assert_int_eq(mcr_json_canonical(&out, root), MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "duplicate JSON key 'a'"));
	cJSON_Delete(root);
	mcr_buf_release(&out);
}
END_TEST

START_TEST(test_json_parse_errors_name_the_input)
{
	cJSON *root = NULL;

	ck_assert_int_eq(mcr_json_parse(&root, "{\"a\":", 5, "cfg.json"), MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "'cfg.json'"));
	ck_assert_int_eq(mcr_json_parse(&root, "{} x", 4, "cfg.json"), MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "trailing data"));
	ck_assert_ptr_null(root);
}
END_TEST

START_TEST(test_json_getters)
{
	static const char *const allowed[] = {"name", "n", "flag", NULL};
	const char *text = "{\"name\":\"x\",\"n\":7,\"flag\":true}";
	const char *name;
	long long n;
	bool flag;
	cJSON *root = NULL;

	ck_assert_int_eq(mcr_json_parse(&root, text, strlen(text), "t"), 0);
	ck_assert_int_eq(mcr_json_get_string(&name, root, "name", true, "t"), 0);
	ck_assert_str_eq(name, "x");
	ck_assert_int_eq(mcr_json_get_int(&n, root, "n", true, 0, 10, "t"), 0);
	ck_assert_int_eq(n, 7);
	ck_assert_int_eq(mcr_json_get_int(&n, root, "n", true, 0, 5, "t"), MCR_EINPUT);
	ck_assert_int_eq(mcr_json_get_bool(&flag, root, "flag", true, "t"), 0);
	ck_assert(flag);
	ck_assert_int_eq(mcr_json_get_string(&name, root, "n", true, "t"), MCR_EINPUT);
	ck_assert_int_eq(mcr_json_get_string(&name, root, "missing", false, "t"), 0);
	ck_assert_ptr_null(name);
	ck_assert_int_eq(mcr_json_get_string(&name, root, "missing", true, "t"), MCR_EINPUT);
	ck_assert_int_eq(mcr_json_check_keys(root, allowed, "t"), 0);
	ck_assert_int_eq(mcr_json_check_keys(root, allowed + 1, "t"), MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "unknown key 'name'"));
	cJSON_Delete(root);
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, test_json_canonical_sorts_and_compacts);
	tcase_add_test(tc, test_json_canonical_refuses_fractions_and_duplicates);
	tcase_add_test(tc, test_json_pretty_layout_and_exact_integers);
	tcase_add_test(tc, test_json_parse_errors_name_the_input);
	tcase_add_test(tc, test_json_getters);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(json_suite());
}
