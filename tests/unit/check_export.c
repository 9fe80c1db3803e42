/* Unit tests of the export model and the text formats: joins, anomalies, the product filter,
 * CSV quoting and formula guards, HTML escaping, the requirement table, the JSON schema. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "error.h"
#include "export.h"
#include "relfix.h"
#include "testutil.h"

static struct mcr_audit *log_handle;
static struct mcr_export_model model;

static struct mcr_relfix fresh_log(void)
{
	struct mcr_relfix f = {0};

	ck_assert_int_eq(chdir(mcr_test_tmpdir()), 0);
	ck_assert_int_eq(mcr_audit_open(&log_handle, "audit.db", true), 0);
	f.log = log_handle;
	return f;
}

static void collect(const char *product)
{
	struct mcr_export_opts opts = {.product = product, .max_rows = 1000};

	ck_assert_msg(mcr_export_collect(&model, log_handle, &opts) == 0, "%s",
	              mcr_error_message());
}

static void teardown(void)
{
	mcr_export_model_release(&model);
	mcr_audit_free(log_handle);
	log_handle = NULL;
}

static const struct mcr_export_requirement *requirement(const char *id)
{
	for (size_t i = 0; i < model.requirement_count; i++)
		if (!strcmp(model.requirements[i].id, id))
			return &model.requirements[i];
	ck_abort_msg("no requirement %s", id);
	return NULL;
}

START_TEST(test_export_joins_requests_and_outcomes)
{
	struct mcr_relfix f = fresh_log();

	ck_assert_int_eq(mcr_relfix_release(&f, "v1.0.0", NULL), 0);
	ck_assert_int_eq(mcr_relfix_refused(&f, "v1.0.1", "tag.untrusted_key", "untrusted"), 0);
	ck_assert_int_eq(mcr_relfix_failed(&f, "v1.0.2", "signer unreachable"), 0);
	ck_assert_int_eq(mcr_relfix_pending(&f, "v1.0.3"), 0);
	ck_assert_int_eq(mcr_relfix_release(&f, "v1.1.0", NULL), 0);
	collect(NULL);
	ck_assert_int_eq(model.event_count, 8);
	ck_assert_int_eq(model.release_count, 2);
	ck_assert_int_eq(model.refusal_count, 1);
	ck_assert_int_eq(model.failure_count, 1);
	ck_assert_int_eq(model.anomaly_count, 0);
	ck_assert_ptr_nonnull(model.releases[1].request);
	ck_assert_str_eq(model.releases[1].request->version, "1.1.0");
	ck_assert_int_eq(model.releases[1].request->record_count, 2);
	ck_assert_str_eq(model.releases[1].request->records[1].builder, "builder-b@lab");
	ck_assert_int_eq(model.releases[1].requested_seq, model.releases[1].request->seq);
	ck_assert_int_eq(model.failures[0].request_seq, 4);
	ck_assert_int_eq(model.refusals[0].request_seq, 0); /* refused before any request */
	ck_assert_int_eq(model.requests[2]->outcome, MCR_EXPORT_PENDING);
	ck_assert_int_eq(model.tag_signer_count, 1);
	ck_assert_int_eq(model.tag_signers[0].releases, 2);
	ck_assert_int_eq(model.builder_count, 2);
	ck_assert(model.report.is_valid);
	ck_assert_int_eq(requirement("EN 18031 SUM-2")->status, MCR_EXPORT_EVIDENCED);
	ck_assert_int_eq(requirement("EN 18031 SUM-3")->status, MCR_EXPORT_NOT_COVERED);
}
END_TEST

/* A completion naming a seq that is no request: something was signed the log did not record first.
 */
START_TEST(test_export_flags_completion_without_request)
{
	struct mcr_relfix f = fresh_log();

	ck_assert_int_eq(mcr_relfix_refused(&f, "v1.0.0", "tag.unsigned", "unsigned"), 0);
	ck_assert_int_eq(mcr_relfix_completion_only(&f, "v1.0.0", 1), 0);
	ck_assert_int_eq(mcr_relfix_completion_only(&f, "v1.0.0", 99), 0);
	collect(NULL);
	ck_assert_int_eq(model.release_count, 2);
	ck_assert_int_eq(model.anomaly_count, 2);
	ck_assert_str_eq(model.anomalies[0].reason, "export.unmatched_completion");
	ck_assert_ptr_null(model.releases[0].request);
	ck_assert_int_eq(requirement("EN 18031 SUM-2")->status, MCR_EXPORT_ATTENTION);
}
END_TEST

START_TEST(test_export_flags_dev_key_release)
{
	struct mcr_relfix f = fresh_log();

	f.is_dev = true;
	f.backend = "file";
	ck_assert_int_eq(mcr_relfix_release(&f, "v1.0.0", NULL), 0);
	collect(NULL);
	ck_assert_int_eq(model.anomaly_count, 1);
	ck_assert_str_eq(model.anomalies[0].reason, "export.dev_key_release");
}
END_TEST

START_TEST(test_export_product_filter)
{
	struct mcr_relfix f = fresh_log();

	ck_assert_int_eq(mcr_relfix_release(&f, "v1.0.0", NULL), 0);
	f.product = "other";
	ck_assert_int_eq(mcr_relfix_release(&f, "v9.0.0", NULL), 0);
	ck_assert_int_eq(mcr_relfix_failed(&f, "v9.0.1", "down"), 0);
	collect("acme");
	ck_assert_int_eq(model.release_count, 1);
	ck_assert_str_eq(model.releases[0].tag, "v1.0.0");
	ck_assert_int_eq(model.failure_count, 0);
	ck_assert_int_eq(model.excluded_count, 2);
	ck_assert_int_eq(model.event_count, 2);
}
END_TEST

START_TEST(test_export_period_filter)
{
	struct mcr_relfix f = fresh_log();
	struct mcr_export_opts opts = {.since = "2999-01-01", .max_rows = 10};

	ck_assert_int_eq(mcr_relfix_release(&f, "v1.0.0", NULL), 0);
	ck_assert_int_eq(mcr_export_collect(&model, log_handle, &opts), 0);
	ck_assert_int_eq(model.event_count, 0);
	ck_assert_int_eq(model.release_count, 0);
	ck_assert_int_eq(model.first_seq, 0);
	mcr_export_model_release(&model);
	opts.since = NULL;
	opts.until = "2000-01-01";
	ck_assert_int_eq(mcr_export_collect(&model, log_handle, &opts), 0);
	ck_assert_int_eq(model.event_count, 0);
}
END_TEST

static void render(const char *format, struct mcr_buf *out)
{
	struct mcr_export_opts opts = {.max_rows = 1000};

	ck_assert_msg(mcr_export_render(format, &model, &opts, out) == 0, "%s",
	              mcr_error_message());
}

/* RFC 4180 quoting, and no cell a spreadsheet would run as a formula. */
START_TEST(test_export_csv_quotes_and_guards_formulas)
{
	struct mcr_relfix f = fresh_log();
	struct mcr_buf csv = MCR_BUF_INIT;

	ck_assert_int_eq(mcr_relfix_refused(&f, "=HYPERLINK(\"http://x\",\"y\")", "tag.bad_name",
	                                    "tag, \"quoted\"\nsecond line"),
	                 0);
	ck_assert_int_eq(mcr_relfix_refused(&f, "@SUM(A1)", "tag.bad_name", "-1+1"), 0);
	collect(NULL);
	render("csv", &csv);
	ck_assert_ptr_nonnull(strstr((char *)csv.data,
	                             "seq,time,kind,actor,tag,image_sha256,digest,"
	                             "reason,request_id,hash\r\n1,"));
	ck_assert_ptr_nonnull(
	        strstr((char *)csv.data, ",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\","));
	ck_assert_ptr_nonnull(strstr((char *)csv.data, ",'@SUM(A1),"));
	ck_assert_ptr_null(strstr((char *)csv.data, ",=HYPERLINK"));
	ck_assert_ptr_null(strstr((char *)csv.data, ",@SUM"));
	mcr_buf_release(&csv);
}
END_TEST

/* Strings from the log are attacker-influenced: a tag named <script> stays text. */
START_TEST(test_export_html_escapes_log_strings)
{
	struct mcr_relfix f = fresh_log();
	struct mcr_buf html = MCR_BUF_INIT;
	const char *text;

	ck_assert_int_eq(mcr_relfix_release(&f, "v1.0.0<script>alert(1)</script>", NULL), 0);
	ck_assert_int_eq(mcr_relfix_refused(&f, "<img src=x onerror=alert(2)>", "tag.bad_name",
	                                    "\"><iframe src=\"http://evil\">"),
	                 0);
	collect(NULL);
	render("html", &html);
	text = (char *)html.data;
	ck_assert_ptr_nonnull(strstr(text, "v1.0.0&lt;script&gt;alert(1)&lt;/script&gt;"));
	ck_assert_ptr_nonnull(strstr(text, "&lt;img src=x onerror=alert(2)&gt;"));
	ck_assert_ptr_null(strstr(text, "<script"));
	ck_assert_ptr_null(strstr(text, "<img"));
	ck_assert_ptr_null(strstr(text, "<iframe"));
	ck_assert_ptr_null(strstr(text, "http://evil\""));
	ck_assert_ptr_nonnull(strstr(text, "default-src 'none'"));
	mcr_buf_release(&html);
}
END_TEST

START_TEST(test_export_html_limits_rows)
{
	struct mcr_relfix f = fresh_log();
	struct mcr_export_opts opts = {.max_rows = 2};
	struct mcr_buf html = MCR_BUF_INIT;

	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(mcr_relfix_release(&f, mcr_test_path("v1.0.%d", i), NULL), 0);
	ck_assert_int_eq(mcr_export_collect(&model, log_handle, &opts), 0);
	ck_assert_int_eq(mcr_export_render("html", &model, &opts, &html), 0);
	ck_assert_ptr_nonnull(strstr((char *)html.data, "The latest 2 of 5 releases are shown"));
	ck_assert_ptr_null(strstr((char *)html.data, ">1.0.2<"));
	ck_assert_ptr_nonnull(strstr((char *)html.data, ">1.0.3<"));
	mcr_buf_release(&html);
}
END_TEST

START_TEST(test_export_json_follows_schema)
{
	struct mcr_relfix f = fresh_log();
	struct mcr_buf json = MCR_BUF_INIT;
	char *why = NULL;
	cJSON *doc;

	ck_assert_int_eq(mcr_relfix_release(&f, "v1.0.0", NULL), 0);
	ck_assert_int_eq(mcr_relfix_failed(&f, "v1.0.1", "down"), 0);
	ck_assert_int_eq(mcr_relfix_refused(&f, "v1.0.2", "tag.unsigned", "no signature"), 0);
	ck_assert_int_eq(mcr_relfix_pending(&f, "v1.0.3"), 0);
	collect(NULL);
	render("json", &json);
	mcr_test_write("export.json", json.data, json.len);
	ck_assert_msg(mcr_test_schema_valid("audit-export.schema.json", "export.json", &why), "%s",
	              why);
	doc = cJSON_Parse((char *)json.data);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "releases")), 1);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "pending")), 1);
	ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "requirements")), 10);
	cJSON_Delete(doc);
	mcr_buf_release(&json);
}
END_TEST

static Suite *export_suite(void)
{
	Suite *s = suite_create("export");
	TCase *tc = tcase_create("model");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_export_joins_requests_and_outcomes);
	tcase_add_test(tc, test_export_flags_completion_without_request);
	tcase_add_test(tc, test_export_flags_dev_key_release);
	tcase_add_test(tc, test_export_product_filter);
	tcase_add_test(tc, test_export_period_filter);
	suite_add_tcase(s, tc);
	tc = tcase_create("formats");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_export_csv_quotes_and_guards_formulas);
	tcase_add_test(tc, test_export_html_escapes_log_strings);
	tcase_add_test(tc, test_export_html_limits_rows);
	tcase_add_test(tc, test_export_json_follows_schema);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(export_suite());
}
