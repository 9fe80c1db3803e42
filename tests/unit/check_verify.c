/* Unit tests of verify_record.c: which events make an image's release, from a list of events. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "testutil.h"
#include "verify_record.h"

#define D1 "1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "2222222222222222222222222222222222222222222222222222222222222222"
#define S1 "aaaa111111111111111111111111111111111111111111111111111111111111"
#define S2 "aaaa222222222222222222222222222222222222222222222222222222222222"
#define F1 "ffff111111111111111111111111111111111111111111111111111111111111"

/* Events as a source holds them: seq and stored body. */
struct events {
	const char *bodies[16];
	size_t count;
	int scans; /* how often the source was scanned */
};

static int scan_list(void *source, const struct mcr_verify_query *query, mcr_verify_event_fn fn,
                     void *fn_ctx)
{
	struct events *ev = source;
	int ret = 0;

	ev->scans++;
	for (size_t i = 0; i < ev->count && ret == 0; i++) {
		cJSON *envelope;

		if (!mcr_verify_query_in(query, ev->bodies[i], strlen(ev->bodies[i])))
			continue;
		envelope = cJSON_Parse(ev->bodies[i]);
		ck_assert_ptr_nonnull(envelope);
		ret = fn(fn_ctx, (long long)i + 1, envelope);
		cJSON_Delete(envelope);
	}
	return ret;
}

static char bodies[16][1024];

static const char *request(int n, const char *kind, const char *digest)
{
	snprintf(bodies[n], sizeof(bodies[n]),
	         "{\"actor\":\"ci\",\"data\":{\"digest\":{\"alg\":\"sha256\",\"hex\":\"%s\"},"
	         "\"tag\":\"v1.0.%d\"},\"kind\":\"%s\",\"time\":\"2026-11-24T10:00:0%dZ\",\"v\":1}",
	         digest, n, kind, n % 10);
	return bodies[n];
}

static const char *completion(int n, long long requested_seq, const char *digest, const char *sig,
                              const char *file)
{
	snprintf(bodies[n], sizeof(bodies[n]),
	         "{\"actor\":\"ci\",\"data\":{\"digest\":{\"alg\":\"sha256\",\"hex\":\"%s\"},"
	         "\"requested_seq\":%lld,\"signature\":{\"sha256\":\"%s\"},"
	         "\"signed_image\":{\"name\":\"fw.bin\",\"sha256\":\"%s\",\"size\":1},\"signed_"
	         "hex\":null},"
	         "\"kind\":\"sign.completed\",\"time\":\"2026-11-24T10:01:0%dZ\",\"v\":1}",
	         digest, requested_seq, sig, file, n % 10);
	return bodies[n];
}

static const char *checkpoint(int n)
{
	snprintf(bodies[n], sizeof(bodies[n]),
	         "{\"actor\":\"ci\",\"data\":{\"size\":%d},\"kind\":\"checkpoint\","
	         "\"time\":\"2026-11-24T10:02:00Z\",\"v\":1}",
	         n);
	return bodies[n];
}

static void query(struct mcr_verify_query *q, const char *digest, const char *file, const char *sig)
{
	memset(q, 0, sizeof(*q));
	snprintf(q->digest_hex, sizeof(q->digest_hex), "%s", digest ? digest : "");
	snprintf(q->file_sha256, sizeof(q->file_sha256), "%s", file ? file : "");
	snprintf(q->signature_sha256, sizeof(q->signature_sha256), "%s", sig ? sig : "");
}

/* request 1, checkpoint 2, completion 3: the usual release. */
static void one_release(struct events *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->bodies[0] = request(0, "sign.requested", D1);
	ev->bodies[1] = checkpoint(1);
	ev->bodies[2] = completion(2, 1, D1, S1, F1);
	ev->count = 3;
}

START_TEST(test_verify_record_found)
{
	struct mcr_verify_record rec;
	struct mcr_verify_query q;
	struct events ev;

	one_release(&ev);
	query(&q, D1, NULL, S1);
	ck_assert_int_eq(mcr_verify_record_find(&rec, &q, scan_list, &ev), 0);
	ck_assert_int_eq(rec.request.seq, 1);
	ck_assert_str_eq(rec.request.kind, "sign.requested");
	ck_assert_str_eq(rec.request.time, "2026-11-24T10:00:00Z");
	ck_assert_str_eq(mcr_verify_data_string(rec.request.data, "tag", NULL), "v1.0.0");
	ck_assert_int_eq(rec.completion.seq, 3);
	ck_assert_int_eq(rec.request_count, 1);
	ck_assert_int_eq(rec.completion_count, 1);
	ck_assert_str_eq(rec.matched_by, "mcuboot_digest");
	ck_assert_int_eq(ev.scans, 1);
	mcr_verify_record_release(&rec);
}
END_TEST

START_TEST(test_verify_record_other_signature)
{
	struct mcr_verify_record rec;
	struct mcr_verify_query q;
	struct events ev;

	one_release(&ev);
	query(&q, D1, NULL, S2);
	ck_assert_int_eq(mcr_verify_record_find(&rec, &q, scan_list, &ev), 0);
	ck_assert_int_eq(rec.request.seq, 1);
	ck_assert_int_eq(rec.completion.seq, 0); /* the digest, but not this signature */
	ck_assert_int_eq(rec.completion_count, 1);
	mcr_verify_record_release(&rec);
}
END_TEST

START_TEST(test_verify_record_not_found)
{
	struct mcr_verify_record rec;
	struct mcr_verify_query q;
	struct events ev;

	one_release(&ev);
	query(&q, D2, NULL, S1);
	ck_assert_int_eq(mcr_verify_record_find(&rec, &q, scan_list, &ev), 0);
	ck_assert_int_eq(rec.request.seq, 0);
	ck_assert_int_eq(rec.completion.seq, 0);
	ck_assert_ptr_null(rec.matched_by);
	mcr_verify_record_release(&rec);
}
END_TEST

/* The image's ECDSA signature rewritten as (r, n - s): the recorded one all the same. */
START_TEST(test_verify_record_signature_twin)
{
	struct mcr_verify_record rec;
	struct mcr_verify_query q;
	struct events ev;

	one_release(&ev);
	query(&q, D1, NULL, S2);
	snprintf(q.signature_twin_sha256, sizeof(q.signature_twin_sha256), "%s", S1);
	ck_assert(mcr_verify_query_signature_is(&q, S1) && mcr_verify_query_signature_is(&q, S2));
	ck_assert(!mcr_verify_query_signature_is(&q, F1) && !mcr_verify_query_signature_is(&q, ""));
	ck_assert_int_eq(mcr_verify_record_find(&rec, &q, scan_list, &ev), 0);
	ck_assert_int_eq(rec.completion.seq, 3);
	mcr_verify_record_release(&rec);

	/* no twin (RSA, Ed25519): an empty one matches nothing */
	query(&q, D1, NULL, S2);
	ck_assert(!mcr_verify_query_signature_is(&q, ""));
	ck_assert_int_eq(mcr_verify_record_find(&rec, &q, scan_list, &ev), 0);
	ck_assert_int_eq(rec.completion.seq, 0);
	mcr_verify_record_release(&rec);
}
END_TEST

/* A signed file's hash names a completion; its digest is then looked up in a second scan. */
START_TEST(test_verify_record_by_file)
{
	struct mcr_verify_record rec;
	struct mcr_verify_query q;
	struct events ev;

	one_release(&ev);
	query(&q, F1, F1, NULL);
	ck_assert_int_eq(mcr_verify_record_find(&rec, &q, scan_list, &ev), 0);
	ck_assert_int_eq(rec.request.seq, 1);
	ck_assert_int_eq(rec.completion.seq, 3);
	ck_assert_str_eq(rec.matched_by, "file_sha256");
	ck_assert_int_eq(ev.scans, 2);
	mcr_verify_record_release(&rec);
}
END_TEST

/* Signed again (sign.idempotent): the completion holding the signature picks its own request. */
START_TEST(test_verify_record_signed_again)
{
	struct mcr_verify_record rec;
	struct mcr_verify_query q;
	struct events ev;

	one_release(&ev);
	ev.bodies[3] = request(3, "sign.idempotent", D1);
	ev.bodies[4] = completion(4, 4, D1, S2, F1);
	ev.count = 5;
	query(&q, D1, NULL, S1);
	ck_assert_int_eq(mcr_verify_record_find(&rec, &q, scan_list, &ev), 0);
	ck_assert_int_eq(rec.request.seq, 1);
	ck_assert_int_eq(rec.completion.seq, 3);
	ck_assert_int_eq(rec.request_count, 2);
	ck_assert_int_eq(rec.completion_count, 2);
	mcr_verify_record_release(&rec);

	/* without a signature (--hash): the latest signing */
	query(&q, D1, NULL, NULL);
	ck_assert_int_eq(mcr_verify_record_find(&rec, &q, scan_list, &ev), 0);
	ck_assert_int_eq(rec.request.seq, 4);
	ck_assert_str_eq(rec.request.kind, "sign.idempotent");
	ck_assert_int_eq(rec.completion.seq, 5);
	mcr_verify_record_release(&rec);
}
END_TEST

/* A completion that names a request of another digest is no answer to this one. */
START_TEST(test_verify_record_foreign_completion)
{
	struct mcr_verify_record rec;
	struct mcr_verify_query q;
	struct events ev;

	memset(&ev, 0, sizeof(ev));
	ev.bodies[0] = request(0, "sign.requested", D2);
	ev.bodies[1] = request(1, "sign.requested", D1);
	ev.bodies[2] = completion(2, 1, D1, S1, F1); /* claims to answer request 1, of D2 */
	ev.count = 3;
	query(&q, D1, NULL, S1);
	ck_assert_int_eq(mcr_verify_record_find(&rec, &q, scan_list, &ev), 0);
	ck_assert_int_eq(rec.request.seq, 2);
	ck_assert_int_eq(rec.completion.seq, 0);
	ck_assert_int_eq(rec.completion_count, 0);
	mcr_verify_record_release(&rec);
}
END_TEST

START_TEST(test_verify_data_paths)
{
	cJSON *doc = cJSON_Parse("{\"a\":{\"b\":{\"c\":\"x\",\"n\":3}}}");

	ck_assert_str_eq(mcr_verify_data_string(doc, "a", "b", "c", NULL), "x");
	ck_assert_ptr_null(mcr_verify_data_string(doc, "a", "b", "n", NULL));
	ck_assert(cJSON_IsNumber(mcr_verify_data_item(doc, "a", "b", "n", NULL)));
	ck_assert_ptr_null(mcr_verify_data_item(doc, "a", "z", "c", NULL));
	ck_assert_ptr_null(mcr_verify_data_item(NULL, "a", NULL));
	cJSON_Delete(doc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("verify");
	TCase *tc = tcase_create("record");

	tcase_add_test(tc, test_verify_record_found);
	tcase_add_test(tc, test_verify_record_other_signature);
	tcase_add_test(tc, test_verify_record_signature_twin);
	tcase_add_test(tc, test_verify_record_not_found);
	tcase_add_test(tc, test_verify_record_by_file);
	tcase_add_test(tc, test_verify_record_signed_again);
	tcase_add_test(tc, test_verify_record_foreign_completion);
	tcase_add_test(tc, test_verify_data_paths);
	suite_add_tcase(s, tc);
	return mcr_test_main(s);
}
