/* Unit tests: the audit log's schema, appends, reads, stored tree nodes, proofs and verification.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "buf.h"
#include "error.h"
#include "json.h"
#include "merkle.h"
#include "testutil.h"

static const char *new_db(void)
{
	return mcr_test_path("%s/audit.db", mcr_test_tmpdir());
}

static struct mcr_audit *open_new(const char *path)
{
	struct mcr_audit *log;

	ck_assert_int_eq(mcr_audit_open(&log, path, true), 0);
	return log;
}

static void append_n(struct mcr_audit *log, int n, const char *kind, const char *tag)
{
	for (int i = 0; i < n; i++) {
		cJSON *data = cJSON_CreateObject();

		ck_assert_int_eq(mcr_json_add_int(data, "i", i), 0);
		if (tag)
			ck_assert_int_eq(mcr_json_add_string(data, "tag", tag), 0);
		ck_assert_int_eq(mcr_audit_append(log, kind, "alice@host", data, NULL), 0);
		cJSON_Delete(data);
	}
}

static void sql(const char *path, const char *statement, int want)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, statement, NULL, NULL, NULL), want);
	sqlite3_close(db);
}

START_TEST(test_audit_append_is_hashed_as_documented)
{
	const char *path = new_db();
	struct mcr_audit *log = open_new(path);
	struct mcr_audit_entry first, second;
	struct mcr_audit_event event;
	struct mcr_merkle_hasher *hasher;
	unsigned char zeros[32] = {0}, hash[32];
	cJSON *data = cJSON_Parse("{\"tag\":\"v1.2.3\",\"image_sha256\":\"ab\",\"n\":7}");
	char want[256];

	ck_assert_int_eq(mcr_audit_append(log, "sign.completed", "ci@runner", data, &first), 0);
	ck_assert_int_eq(mcr_audit_append(log, "sign.refused", "ci@runner", NULL, &second), 0);
	ck_assert_int_eq(first.seq, 1);
	ck_assert_int_eq(second.seq, 2);
	ck_assert_uint_eq(strlen(first.time), 20);
	ck_assert_int_eq(mcr_audit_get(log, 1, &event), 0);
	/* the canonical envelope, sorted keys, exactly as stored and hashed */
	snprintf(want, sizeof(want),
	         "{\"actor\":\"ci@runner\",\"data\":{\"image_sha256\":\"ab\",\"n\":7,\"tag\":"
	         "\"v1.2.3\"},\"kind\":\"sign.completed\",\"time\":\"%s\",\"v\":1}",
	         first.time);
	ck_assert_str_eq(event.body, want);
	ck_assert_str_eq(event.kind, "sign.completed");
	ck_assert_str_eq(event.actor, "ci@runner");
	ck_assert_mem_eq(event.prev_hash, zeros, 32);
	ck_assert_mem_eq(event.hash, first.hash, 32);
	ck_assert_int_eq(mcr_merkle_hasher_new(&hasher), 0);
	ck_assert_int_eq(mcr_audit_event_hash(hasher, 1, zeros, event.body, event.body_len, hash),
	                 0);
	ck_assert_mem_eq(hash, first.hash, 32);
	mcr_audit_event_release(&event);
	ck_assert_int_eq(mcr_audit_get(log, 2, &event), 0);
	ck_assert_mem_eq(event.prev_hash, first.hash, 32);
	ck_assert_ptr_nonnull(strstr(event.body, "\"data\":{}"));
	mcr_audit_event_release(&event);
	mcr_merkle_hasher_free(hasher);
	cJSON_Delete(data);
	mcr_audit_free(log);
}
END_TEST

START_TEST(test_audit_refuses_bad_events)
{
	struct mcr_audit *log = open_new(new_db());
	cJSON *array = cJSON_CreateArray(), *fraction = cJSON_Parse("{\"x\":1.5}");
	long long size;

	ck_assert_int_eq(mcr_audit_append(log, "Sign Completed", "a@b", NULL, NULL), MCR_EINPUT);
	ck_assert_int_eq(mcr_audit_append(log, "", "a@b", NULL, NULL), MCR_EINPUT);
	ck_assert_int_eq(mcr_audit_append(log, "sign.completed", "", NULL, NULL), MCR_EINPUT);
	ck_assert_int_eq(mcr_audit_append(log, "sign.completed", "a\nb", NULL, NULL), MCR_EINPUT);
	ck_assert_int_eq(mcr_audit_append(log, "sign.completed", "a@b", array, NULL), MCR_EINPUT);
	ck_assert_int_eq(mcr_audit_append(log, "sign.completed", "a@b", fraction, NULL),
	                 MCR_EINPUT);
	ck_assert_int_eq(mcr_audit_size(log, &size), 0);
	ck_assert_int_eq(size, 0);
	cJSON_Delete(array);
	cJSON_Delete(fraction);
	mcr_audit_free(log);
}
END_TEST

START_TEST(test_audit_open_refuses_what_is_not_a_log)
{
	const char *path = new_db();
	const char *other = mcr_test_path("%s/other.db", mcr_test_tmpdir());
	struct mcr_audit *log;

	ck_assert_int_eq(mcr_audit_open(&log, path, false), MCR_EAUDIT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "no audit log at"));
	sql(other, "CREATE TABLE t (x)", SQLITE_OK);
	ck_assert_int_eq(mcr_audit_open(&log, other, true), MCR_EAUDIT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "not an mcurelease audit log"));
	log = open_new(path);
	mcr_audit_free(log);
	sql(path, "PRAGMA user_version = 99", SQLITE_OK);
	ck_assert_int_eq(mcr_audit_open(&log, path, false), MCR_EAUDIT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "schema version 99"));
}
END_TEST

START_TEST(test_audit_triggers_guard_the_tables)
{
	const char *path = new_db();
	struct mcr_audit *log = open_new(path);

	append_n(log, 3, "sign.requested", NULL);
	mcr_audit_free(log);
	sql(path, "UPDATE events SET body = '{}' WHERE seq = 2", SQLITE_CONSTRAINT);
	sql(path, "DELETE FROM events WHERE seq = 3", SQLITE_CONSTRAINT);
	sql(path,
	    "INSERT INTO events (seq, body, prev_hash, hash) VALUES (9, '{}', zeroblob(32), "
	    "zeroblob(32))",
	    SQLITE_CONSTRAINT);
	/* a planted trigger that swallows inserts cannot fake a durable append */
	sql(path, "CREATE TRIGGER swallow BEFORE INSERT ON events BEGIN SELECT RAISE(IGNORE); END",
	    SQLITE_OK);
	log = open_new(path);
	ck_assert_int_eq(mcr_audit_append(log, "sign.requested", "a@b", NULL, NULL), MCR_EAUDIT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "silently dropped"));
	mcr_audit_free(log);
}
END_TEST

static int count_event(void *ctx, const struct mcr_audit_event *event)
{
	(void)event;
	(*(int *)ctx)++;
	return 0;
}

START_TEST(test_audit_filters_and_batches)
{
	struct mcr_audit *log = open_new(new_db());
	struct mcr_audit_filter filter = {0};
	struct mcr_audit_event event;
	cJSON *json;
	long long size;
	int n = 0;

	append_n(log, 3, "sign.requested", "v1.0.0");
	append_n(log, 2, "sign.refused", "v1.0.1");
	filter.tag = "v1.0.1";
	ck_assert_int_eq(mcr_audit_foreach(log, &filter, count_event, &n), 0);
	ck_assert_int_eq(n, 2);
	filter = (struct mcr_audit_filter){.kind = "sign.requested", .from_seq = 2};
	n = 0;
	ck_assert_int_eq(mcr_audit_foreach(log, &filter, count_event, &n), 0);
	ck_assert_int_eq(n, 2);
	/* a batch is all or nothing */
	ck_assert_int_eq(mcr_audit_begin(log), 0);
	append_n(log, 4, "sign.failed", NULL);
	mcr_audit_rollback(log);
	ck_assert_int_eq(mcr_audit_size(log, &size), 0);
	ck_assert_int_eq(size, 5);
	ck_assert_int_eq(mcr_audit_begin(log), 0);
	append_n(log, 4, "sign.failed", NULL);
	ck_assert_int_eq(mcr_audit_commit(log), 0);
	ck_assert_int_eq(mcr_audit_size(log, &size), 0);
	ck_assert_int_eq(size, 9);
	ck_assert_int_eq(mcr_audit_get(log, 9, &event), 0);
	ck_assert_int_eq(mcr_audit_event_to_json(&json, &event, false), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(json, "kind")->valuestring, "sign.failed");
	ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(json, "data"), "i")->valueint, 3);
	cJSON_Delete(json);
	mcr_audit_event_release(&event);
	mcr_audit_free(log);
}
END_TEST

/* The stored nodes give the same roots and proofs as the tree computed from the event hashes. */
START_TEST(test_audit_stored_tree_matches_events)
{
	struct mcr_audit *log = open_new(new_db());
	struct mcr_merkle_hasher *hasher;
	struct mcr_merkle_range range = {0};
	struct mcr_merkle_proof proof;
	struct mcr_audit_entry entries[70];
	unsigned char roots[71][32], root[32];

	ck_assert_int_eq(mcr_merkle_hasher_new(&hasher), 0);
	mcr_merkle_empty_root(roots[0]);
	for (int i = 0; i < 70; i++) {
		ck_assert_int_eq(mcr_audit_append(log, "sign.requested", "a@b", NULL, &entries[i]),
		                 0);
		/* an event hash is its RFC 6962 leaf hash */
		ck_assert_int_eq(
		        mcr_merkle_range_append(&range, hasher, entries[i].hash, NULL, NULL), 0);
		ck_assert_int_eq(mcr_merkle_range_root(&range, hasher, roots[i + 1]), 0);
	}
	for (int size = 0; size <= 70; size++) {
		ck_assert_int_eq(mcr_audit_root(log, size, root), 0);
		ck_assert_mem_eq(root, roots[size], 32);
		for (int seq = 1; seq <= size; seq += 7) {
			ck_assert_int_eq(mcr_audit_inclusion_proof(log, seq, size, &proof), 0);
			ck_assert_int_eq(mcr_merkle_verify_inclusion(hasher, entries[seq - 1].hash,
			                                             seq - 1, size, &proof,
			                                             roots[size]),
			                 0);
		}
		ck_assert_int_eq(mcr_audit_consistency_proof(log, size / 3, size, &proof), 0);
		ck_assert_int_eq(mcr_merkle_verify_consistency(hasher, size / 3, roots[size / 3],
		                                               size, roots[size], &proof),
		                 0);
	}
	ck_assert_int_eq(mcr_audit_root(log, 71, root), MCR_EINPUT);
	mcr_merkle_hasher_free(hasher);
	mcr_audit_free(log);
}
END_TEST

static struct mcr_audit_report verify_log(const char *path)
{
	struct mcr_audit_verify_opts opts = {0};
	struct mcr_audit_report report;
	struct mcr_audit *log;

	ck_assert_int_eq(mcr_audit_open(&log, path, false), 0);
	ck_assert_int_eq(mcr_audit_verify(log, &opts, &report), 0);
	mcr_audit_free(log);
	return report;
}

START_TEST(test_audit_verify_reports_like_cloudtrail)
{
	const char *path = new_db();
	struct mcr_audit *log = open_new(path);
	struct mcr_audit_report report;

	append_n(log, 30, "sign.completed", "v1.0.0");
	mcr_audit_free(log);
	report = verify_log(path);
	ck_assert(report.is_valid);
	ck_assert_int_eq(report.first_seq, 1);
	ck_assert_int_eq(report.last_seq, 30);
	ck_assert_int_eq(report.requested_seq, 30);
	mcr_audit_report_release(&report);
	/* a gap and an edit: both found, the earliest first */
	sql(path,
	    "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;"
	    "DELETE FROM events WHERE seq IN (20, 21);"
	    "UPDATE events SET body = replace(body, 'alice', 'mallory') WHERE seq = 9",
	    SQLITE_OK);
	report = verify_log(path);
	ck_assert(!report.is_valid);
	ck_assert_int_eq(report.first_bad_seq, 9);
	ck_assert_uint_eq(report.problem_count, 2);
	ck_assert_str_eq(report.problems[0].reason, "audit.chain_broken");
	ck_assert_str_eq(report.problems[1].reason, "audit.gap");
	ck_assert_int_eq(report.problems[1].seq, 20);
	ck_assert_ptr_nonnull(strstr(report.problems[1].message, "events 20 to 21 are missing"));
	ck_assert_int_eq(report.event_count, 28);
	mcr_audit_report_release(&report);
}
END_TEST

/* Nodes rewritten for a forged proof are caught, though the chain itself is intact. */
START_TEST(test_audit_verify_checks_stored_nodes)
{
	const char *path = new_db();
	struct mcr_audit *log = open_new(path);
	struct mcr_audit_report report;

	append_n(log, 16, "sign.completed", NULL);
	mcr_audit_free(log);
	sql(path,
	    "DROP TRIGGER events_no_update; UPDATE events SET nodes = randomblob(64) "
	    "WHERE seq = 12",
	    SQLITE_OK);
	report = verify_log(path);
	ck_assert(!report.is_valid);
	ck_assert_int_eq(report.first_bad_seq, 12);
	ck_assert_str_eq(report.problems[0].reason, "audit.tree_mismatch");
	mcr_audit_report_release(&report);
}
END_TEST

static int check_scanned(void *ctx, const struct mcr_audit_row *row)
{
	long long *next = ctx;

	ck_assert_int_eq(row->seq, (*next)++);
	ck_assert_uint_eq(row->hash_len, 32);
	ck_assert_uint_eq(row->prev_hash_len, 32);
	/* leaf seq-1 completes one node per trailing one bit of seq-1 */
	ck_assert_uint_eq(row->nodes_len,
	                  32 * (size_t)__builtin_ctzll(~(unsigned long long)(row->seq - 1)));
	ck_assert_ptr_nonnull(memmem(row->body, row->body_len, "sign.requested", 14));
	return row->seq == 40 ? 7 : 0;
}

/* Both scans see every row as stored, in order, and stop when told to. */
START_TEST(test_audit_scans)
{
	struct mcr_audit *log = open_new(new_db());
	long long next = 1;

	ck_assert_int_eq(mcr_audit_begin(log), 0);
	append_n(log, 5000, "sign.requested", NULL);
	ck_assert_int_eq(mcr_audit_commit(log), 0);
	ck_assert_int_eq(mcr_audit_scan(log, check_scanned, &next), 7);
	ck_assert_int_eq(next, 41);
	next = 1;
	ck_assert_int_eq(mcr_audit_scan_async(log, check_scanned, &next), 7);
	ck_assert_int_eq(next, 41);
	mcr_audit_free(log);
}
END_TEST

START_TEST(test_audit_checkpoint_rows)
{
	struct mcr_audit *log = open_new(new_db());
	struct mcr_audit_stored_checkpoint *list;
	struct mcr_audit_entry entry;
	unsigned char root[32] = {1}, other[32] = {2};
	size_t count;

	append_n(log, 4, "sign.completed", NULL);
	ck_assert_int_eq(mcr_audit_add_checkpoint(log, 4, root, "note\n", "a@b", &entry), 0);
	ck_assert_int_eq(entry.seq, 5);
	/* the same view again is kept once; another view of the same size never */
	ck_assert_int_eq(mcr_audit_add_checkpoint(log, 4, root, "note\n", "a@b", NULL), 0);
	ck_assert_int_eq(mcr_audit_add_checkpoint(log, 4, other, "note\n", "a@b", NULL),
	                 MCR_EAUDIT);
	ck_assert_int_eq(mcr_audit_checkpoints(log, &list, &count), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(list[0].size, 4);
	ck_assert_int_eq(list[0].seq, 5);
	ck_assert_str_eq(list[0].note, "note\n");
	mcr_audit_stored_free(list, count);
	mcr_audit_free(log);
}
END_TEST

static Suite *audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *log_case = tcase_create("log");
	TCase *verify_case = tcase_create("verify");

	tcase_add_test(log_case, test_audit_append_is_hashed_as_documented);
	tcase_add_test(log_case, test_audit_refuses_bad_events);
	tcase_add_test(log_case, test_audit_open_refuses_what_is_not_a_log);
	tcase_add_test(log_case, test_audit_triggers_guard_the_tables);
	tcase_add_test(log_case, test_audit_filters_and_batches);
	tcase_add_test(log_case, test_audit_stored_tree_matches_events);
	tcase_add_test(log_case, test_audit_checkpoint_rows);
	tcase_add_test(log_case, test_audit_scans);
	suite_add_tcase(s, log_case);
	tcase_add_test(verify_case, test_audit_verify_reports_like_cloudtrail);
	tcase_add_test(verify_case, test_audit_verify_checks_stored_nodes);
	suite_add_tcase(s, verify_case);
	return s;
}

int main(void)
{
	return mcr_test_main(audit_suite());
}
