/* End-to-end: 'mcurelease audit' on real SQLite files, and every kind of tampering it must name. */
#include <check.h>
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "merkle.h"
#include "testutil.h"

#define ORIGIN "acme/mcurelease/acme"

static char dir[4096];

/* A fresh directory with an Ed25519 log key (log.pem, log.pem.pub) and the database path. */
static const char *fresh(void)
{
	snprintf(dir, sizeof(dir), "%s", mcr_test_tmpdir());
	ck_assert_int_eq(chdir(dir), 0);
	mcr_test_sh_ok("openssl genpkey -algorithm ed25519 -out log.pem 2>/dev/null && "
	               "openssl pkey -in log.pem -pubout -out log.pem.pub");
	return "audit.db";
}

static void append(const char *db, int count, const char *kind, const char *tag)
{
	struct mcr_test_result r;
	char n[16];
	const char *argv[] = {MCR_TEST_AUDIT_DRIVER, db, n, kind, tag, NULL};

	snprintf(n, sizeof(n), "%d", count);
	mcr_test_exec(&r, argv, NULL);
	ck_assert_msg(r.status == 0, "driver failed: %s", (char *)r.err.data);
	mcr_test_result_release(&r);
}

static void checkpoint(const char *db, const char *key, const char *out)
{
	struct mcr_test_result r;

	mcr_test_mcr(&r, NULL, "audit", "checkpoint", "--db", db, "--signer", key, "--origin",
	             ORIGIN, "--out", out, NULL);
	ck_assert_msg(r.status == 0, "checkpoint failed (%d): %s", r.status, (char *)r.err.data);
	mcr_test_result_release(&r);
}

/* Runs SQL on the database as someone with write access would: guard triggers dropped first. */
static void tamper(const char *db, const char *sql)
{
	sqlite3 *handle;
	char *err = NULL;

	ck_assert_int_eq(sqlite3_open(db, &handle), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(handle,
	                           "DROP TRIGGER IF EXISTS events_no_update;"
	                           "DROP TRIGGER IF EXISTS events_no_delete;"
	                           "DROP TRIGGER IF EXISTS events_in_order;"
	                           "DROP TRIGGER IF EXISTS checkpoints_no_update;"
	                           "DROP TRIGGER IF EXISTS checkpoints_no_delete;",
	                           NULL, NULL, &err) == SQLITE_OK,
	              "%s", err);
	ck_assert_msg(sqlite3_exec(handle, sql, NULL, NULL, &err) == SQLITE_OK, "%s: %s", sql, err);
	ck_assert_int_eq(sqlite3_close(handle), SQLITE_OK);
}

static void verify(struct mcr_test_result *r, const char *db, const char *extra,
                   const char *extra_value)
{
	mcr_test_mcr(r, NULL, "audit", "verify", "--db", db, "--key", "log.pem.pub", extra,
	             extra_value, NULL);
}

/* Exit 1, the first bad seq named, and the reason among the findings. */
static void expect_invalid(const char *db, long long seq, const char *reason, const char *extra,
                           const char *extra_value)
{
	struct mcr_test_result r;
	char first[64], line[96];

	verify(&r, db, extra, extra_value);
	snprintf(first, sizeof(first), "INVALID: first bad seq %lld\n", seq);
	snprintf(line, sizeof(line), "INVALID seq %lld: %s", seq, reason);
	ck_assert_msg(r.status == 1, "status %d\n%s%s", r.status, (char *)r.out.data,
	              (char *)r.err.data);
	ck_assert_msg(strstr((char *)r.out.data, first), "want '%s' in\n%s", first,
	              (char *)r.out.data);
	ck_assert_msg(strstr((char *)r.out.data, line), "want '%s' in\n%s", line,
	              (char *)r.out.data);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "mcurelease: audit log does not verify"));
	mcr_test_result_release(&r);
}

static void expect_valid(const char *db, const char *extra, const char *extra_value)
{
	struct mcr_test_result r;

	verify(&r, db, extra, extra_value);
	ck_assert_msg(r.status == 0, "status %d\n%s%s", r.status, (char *)r.out.data,
	              (char *)r.err.data);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "valid: "));
	mcr_test_result_release(&r);
}

START_TEST(test_audit_cmd_valid_log_verifies)
{
	const char *db = fresh();
	struct mcr_test_result r;
	cJSON *report;

	append(db, 20, "sign.completed", "v1.0.0");
	checkpoint(db, "log.pem", "checkpoint.txt");
	append(db, 5, "sign.refused", "v1.0.1");
	expect_valid(db, "--checkpoint", "checkpoint.txt");
	verify(&r, db, "--json", NULL);
	ck_assert_int_eq(r.status, 0);
	report = cJSON_Parse((char *)r.out.data);
	ck_assert_ptr_nonnull(report);
	ck_assert_str_eq(cJSON_GetObjectItem(report, "verdict")->valuestring, "valid");
	ck_assert_int_eq(cJSON_GetObjectItem(report, "events")->valueint, 26);
	ck_assert_int_eq(cJSON_GetObjectItem(report, "checkpoints")->valueint, 1);
	ck_assert_int_eq(cJSON_GetObjectItem(report, "first_bad_seq")->valueint, 0);
	cJSON_Delete(report);
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_audit_cmd_edited_body)
{
	const char *db = fresh();

	append(db, 12, "sign.completed", "v1.0.0");
	tamper(db, "UPDATE events SET body = replace(body, 'v1.0.0', 'v6.6.6') WHERE seq = 5");
	expect_invalid(db, 5, "audit.chain_broken", NULL, NULL);
}
END_TEST

START_TEST(test_audit_cmd_edited_hash)
{
	const char *db = fresh();

	append(db, 12, "sign.completed", "v1.0.0");
	tamper(db, "UPDATE events SET hash = randomblob(32) WHERE seq = 7");
	expect_invalid(db, 7, "audit.chain_broken", NULL, NULL);
}
END_TEST

START_TEST(test_audit_cmd_deleted_middle_event)
{
	const char *db = fresh();

	append(db, 12, "sign.refused", "v1.0.0");
	tamper(db, "DELETE FROM events WHERE seq = 4");
	expect_invalid(db, 4, "audit.gap", NULL, NULL);
}
END_TEST

START_TEST(test_audit_cmd_deleted_tail)
{
	const char *db = fresh();

	append(db, 10, "sign.completed", "v1.0.0");
	checkpoint(db, "log.pem", "checkpoint.txt"); /* event 11 records it */
	append(db, 4, "sign.completed", "v1.0.1");
	/* the tail, the checkpoint's own event included; the checkpoint row stays behind */
	tamper(db, "DELETE FROM events WHERE seq >= 8");
	expect_invalid(db, 8, "audit.truncated", NULL, NULL);
}
END_TEST

START_TEST(test_audit_cmd_reordered_seqs)
{
	const char *db = fresh();

	append(db, 12, "sign.requested", "v1.0.0");
	tamper(db, "UPDATE events SET seq = 1000 WHERE seq = 5;"
	           "UPDATE events SET seq = 5 WHERE seq = 6;"
	           "UPDATE events SET seq = 6 WHERE seq = 1000;");
	expect_invalid(db, 5, "audit.chain_broken", NULL, NULL);
}
END_TEST

/* A forged event at seq 6 that chains onto event 5 correctly; the genuine ones move up one. */
START_TEST(test_audit_cmd_forged_inserted_event)
{
	static const char forged[] =
	        "{\"actor\":\"mallory@host\",\"data\":{\"tag\":\"v9.9.9\"},"
	        "\"kind\":\"sign.completed\",\"time\":\"2026-01-01T00:00:00Z\","
	        "\"v\":1}";
	const char *db = fresh();
	unsigned char prev[32], hash[32];
	struct mcr_merkle_hasher *hasher;
	sqlite3 *handle;
	sqlite3_stmt *stmt;
	char sql[512], prev_hex[65], hash_hex[65];

	append(db, 12, "sign.completed", "v1.0.0");
	ck_assert_int_eq(sqlite3_open(db, &handle), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(handle, "SELECT hash FROM events WHERE seq = 5", -1,
	                                    &stmt, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	memcpy(prev, sqlite3_column_blob(stmt, 0), 32);
	sqlite3_finalize(stmt);
	sqlite3_close(handle);
	ck_assert_int_eq(mcr_merkle_hasher_new(&hasher), 0);
	ck_assert_int_eq(mcr_audit_event_hash(hasher, 6, prev, forged, strlen(forged), hash), 0);
	mcr_merkle_hasher_free(hasher);
	mcr_hex_encode(prev_hex, prev, 32);
	mcr_hex_encode(hash_hex, hash, 32);
	snprintf(sql, sizeof(sql),
	         "UPDATE events SET seq = seq + 1000 WHERE seq >= 6;"
	         "UPDATE events SET seq = seq - 999 WHERE seq >= 1000;"
	         "INSERT INTO events (seq, body, prev_hash, hash) VALUES (6, '%s', x'%s', x'%s');",
	         forged, prev_hex, hash_hex);
	tamper(db, sql);
	expect_invalid(db, 6, "audit.chain_broken", NULL, NULL);
}
END_TEST

START_TEST(test_audit_cmd_older_copy_swapped_in)
{
	const char *db = fresh();

	append(db, 10, "sign.completed", "v1.0.0");
	mcr_test_sh_ok("cp audit.db old.db");
	append(db, 10, "sign.completed", "v1.1.0");
	checkpoint(db, "log.pem", "published.txt"); /* size 20, kept outside the database */
	mcr_test_sh_ok("rm -f audit.db-wal audit.db-shm && cp old.db audit.db");
	expect_valid(db, NULL, NULL); /* on its own, the old copy is a consistent log */
	expect_invalid(db, 11, "audit.rollback", "--checkpoint", "published.txt");
}
END_TEST

START_TEST(test_audit_cmd_edited_checkpoint)
{
	const char *db = fresh();
	struct mcr_test_result r;

	append(db, 10, "sign.completed", "v1.0.0");
	checkpoint(db, "log.pem", "published.txt"); /* event 11 */
	append(db, 3, "sign.completed", "v1.0.0");
	/* the published copy: another size, same signature */
	mcr_test_sh_ok("sed -i '2s/.*/9/' published.txt");
	verify(&r, db, "--checkpoint", "published.txt");
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "audit.bad_checkpoint_signature"));
	mcr_test_result_release(&r);
	/* the stored copy: named by the event that recorded it */
	tamper(db, "UPDATE checkpoints SET note = replace(note, char(10) || '10' || char(10), "
	           "char(10) || '9' || char(10)), size = 9");
	expect_invalid(db, 11, "audit.bad_checkpoint_signature", NULL, NULL);
}
END_TEST

START_TEST(test_audit_cmd_checkpoint_signed_by_another_key)
{
	const char *db = fresh();
	struct mcr_test_result r;

	mcr_test_sh_ok("openssl genpkey -algorithm ed25519 -out other.pem 2>/dev/null");
	append(db, 6, "sign.completed", "v1.0.0");
	checkpoint(db, "other.pem", "other.txt"); /* event 7, by a key that is not the log's */
	expect_invalid(db, 7, "audit.bad_checkpoint_signature", NULL, NULL);
	/* and the real log key refuses to sign on top of it */
	mcr_test_mcr(&r, NULL, "audit", "checkpoint", "--db", db, "--signer", "log.pem", "--origin",
	             ORIGIN, NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "no checkpoint signed"));
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_audit_cmd_truncated_file)
{
	const char *db = fresh();
	struct mcr_test_result r;
	long long first_bad;
	char *line;

	append(db, 3000, "sign.completed", "v1.0.0");
	mcr_test_sh_ok(
	        "test ! -e audit.db-wal && truncate -s $(( $(stat -c %%s audit.db) * 6 / 10 )) "
	        "audit.db");
	verify(&r, db, NULL, NULL);
	ck_assert_msg(r.status == 1, "status %d\n%s%s", r.status, (char *)r.out.data,
	              (char *)r.err.data);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "audit.corrupt"));
	line = strstr((char *)r.out.data, "INVALID: first bad seq ");
	ck_assert_ptr_nonnull(line);
	first_bad = atoll(line + strlen("INVALID: first bad seq "));
	ck_assert_int_gt(first_bad, 1);
	ck_assert_int_lt(first_bad, 3000);
	mcr_test_result_release(&r);
}
END_TEST

/* Two histories from one key: each is fine alone, together they prove a split view. */
START_TEST(test_audit_cmd_split_view)
{
	const char *db = fresh();

	append(db, 5, "sign.completed", "v1.0.0");
	checkpoint(db, "log.pem", "common.txt"); /* event 6 */
	mcr_test_sh_ok("cp audit.db fork.db");
	append(db, 3, "sign.completed", "v1.1.0");
	append("fork.db", 3, "sign.refused", "v1.1.0");
	checkpoint("fork.db", "log.pem", "fork.txt");
	expect_valid(db, "--checkpoint", "common.txt");
	expect_invalid(db, 6, "audit.split_view", "--checkpoint", "fork.txt");
}
END_TEST

START_TEST(test_audit_cmd_git_ref)
{
	const char *db = fresh();
	struct mcr_test_result r;

	mcr_test_sh_ok("git init -q repo");
	append(db, 4, "sign.completed", "v1.0.0");
	mcr_test_sh_ok("cp audit.db old.db");
	mcr_test_mcr(&r, NULL, "audit", "checkpoint", "--db", db, "--signer", "log.pem", "--origin",
	             ORIGIN, "--git-ref", "refs/mcurelease/checkpoints", "--repo", "repo", NULL);
	ck_assert_msg(r.status == 0, "%s", (char *)r.err.data);
	mcr_test_result_release(&r);
	append(db, 2, "sign.completed", "v1.0.1");
	mcr_test_mcr(&r, NULL, "audit", "checkpoint", "--db", db, "--signer", "log.pem", "--origin",
	             ORIGIN, "--git-ref", "refs/mcurelease/checkpoints", "--repo", "repo", NULL);
	ck_assert_int_eq(r.status, 0);
	/* one commit per checkpoint, each tree holding the note as printed */
	mcr_test_sh_ok("test $(git -C repo rev-list --count refs/mcurelease/checkpoints) = 2");
	mcr_test_sh_ok("git -C repo show refs/mcurelease/checkpoints:checkpoint > tip.txt");
	mcr_test_write("printed.txt", r.out.data, r.out.len);
	ck_assert(mcr_test_files_equal("tip.txt", "printed.txt"));
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "audit", "verify", "--db", db, "--key", "log.pem.pub", "--git-ref",
	             "refs/mcurelease/checkpoints", "--repo", "repo", NULL);
	ck_assert_msg(r.status == 0, "%s%s", (char *)r.out.data, (char *)r.err.data);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "2/2 external valid"));
	mcr_test_result_release(&r);
	mcr_test_sh_ok("rm -f audit.db-wal audit.db-shm && cp old.db audit.db");
	mcr_test_mcr(&r, NULL, "audit", "verify", "--db", db, "--key", "log.pem.pub", "--git-ref",
	             "refs/mcurelease/checkpoints", "--repo", "repo", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "INVALID seq 5: audit.rollback"));
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_audit_cmd_log_filters)
{
	const char *db = fresh();
	struct mcr_test_result r;
	cJSON *list;

	append(db, 3, "sign.requested", "v1.0.0");
	append(db, 2, "sign.refused", "v1.0.1");
	append(db, 1, "sign.completed", "v1.0.0");
	mcr_test_mcr(&r, NULL, "audit", "log", "--db", db, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "sign.refused"));
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "driver@test"));
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "audit", "log", "--db", db, "--kind", "sign.refused", "--json",
	             NULL);
	ck_assert_int_eq(r.status, 0);
	list = cJSON_Parse((char *)r.out.data);
	ck_assert_ptr_nonnull(list);
	ck_assert_int_eq(cJSON_GetArraySize(list), 2);
	ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "seq")->valueint, 4);
	ck_assert_str_eq(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 1), "data"), "tag")
	                ->valuestring,
	        "v1.0.1");
	cJSON_Delete(list);
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "audit", "log", "--db", db, "--tag", "v1.0.0", "--json", NULL);
	list = cJSON_Parse((char *)r.out.data);
	ck_assert_int_eq(cJSON_GetArraySize(list), 4);
	cJSON_Delete(list);
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "audit", "log", "--db", db, "--until", "2000-01-01", "--json", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq((char *)r.out.data, "[\n]\n");
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "audit", "log", "--db", db, "--since", "2000-01-01", "--kind",
	             "sign.completed", NULL);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "6 "));
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_audit_cmd_show)
{
	const char *db = fresh();
	struct mcr_test_result r;
	cJSON *event;

	append(db, 2, "tag.pinned", "v2.0.0");
	mcr_test_mcr(&r, NULL, "audit", "show", "--db", db, "2", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "kind:      tag.pinned"));
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "\"v2.0.0\""));
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "audit", "show", "--db", db, "--json", "1", NULL);
	event = cJSON_Parse((char *)r.out.data);
	ck_assert_ptr_nonnull(event);
	/* the exact stored bytes, as hashed */
	ck_assert_ptr_nonnull(
	        strstr(cJSON_GetObjectItem(event, "body")->valuestring, "\"kind\":\"tag.pinned\""));
	cJSON_Delete(event);
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "audit", "show", "--db", db, "3", NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "no event 3 in audit log 'audit.db'"));
	mcr_test_result_release(&r);
}
END_TEST

static void verify_proof(struct mcr_test_result *r, const char *proof, const char *key,
                         const char *opt, const char *value)
{
	mcr_test_mcr(r, NULL, "audit", "verify-proof", "--key", key, proof, opt, value, NULL);
}

START_TEST(test_audit_cmd_proofs)
{
	const char *db = fresh();
	struct mcr_test_result r;

	mcr_test_sh_ok("openssl genpkey -algorithm ed25519 -out other.pem 2>/dev/null && "
	               "openssl pkey -in other.pem -pubout -out other.pub");
	append(db, 37, "sign.completed", "v1.0.0");
	mcr_test_mcr(&r, NULL, "audit", "proof", "--db", db, "5", NULL);
	ck_assert_int_eq(r.status, 3); /* no checkpoint yet */
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "audit checkpoint"));
	mcr_test_result_release(&r);
	checkpoint(db, "log.pem", "old.txt");
	append(db, 11, "sign.completed", "v1.0.1");
	checkpoint(db, "log.pem", "new.txt");
	mcr_test_mcr(&r, NULL, "audit", "proof", "--db", db, "23", NULL);
	ck_assert_int_eq(r.status, 0);
	mcr_test_write("proof.json", r.out.data, r.out.len);
	mcr_test_result_release(&r);
	/* offline: no database, only the proof and the public key */
	mcr_test_sh_ok("mv audit.db away.db");
	verify_proof(&r, "proof.json", "log.pem.pub", NULL, NULL);
	ck_assert_msg(r.status == 0, "%s", (char *)r.err.data);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "valid: event 23 (sign.completed"));
	mcr_test_result_release(&r);
	verify_proof(&r, "proof.json", "other.pub", NULL, NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "not signed by log key"));
	mcr_test_result_release(&r);
	verify_proof(&r, "proof.json", "log.pem.pub", "--checkpoint", "old.txt");
	ck_assert_int_eq(r.status, 1); /* a checkpoint of another size */
	mcr_test_result_release(&r);
	mcr_test_sh_ok("sed 's/v1.0.0/v6.6.6/' proof.json > forged.json");
	verify_proof(&r, "forged.json", "log.pem.pub", NULL, NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "does not match its hash"));
	mcr_test_result_release(&r);
	mcr_test_sh_ok("mv away.db audit.db");
	mcr_test_mcr(&r, NULL, "audit", "proof", "--db", db, "--consistency", "37", NULL);
	ck_assert_int_eq(r.status, 0);
	mcr_test_write("consistency.json", r.out.data, r.out.len);
	mcr_test_result_release(&r);
	verify_proof(&r, "consistency.json", "log.pem.pub", "--old-checkpoint", "old.txt");
	ck_assert_msg(r.status == 0, "%s", (char *)r.err.data);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "extends its tree of 37 events"));
	mcr_test_result_release(&r);
	verify_proof(&r, "consistency.json", "log.pem.pub", "--old-checkpoint", "new.txt");
	ck_assert_int_eq(r.status, 1);
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_audit_cmd_errors)
{
	const char *db = fresh();
	struct mcr_test_result r;

	mcr_test_mcr(&r, NULL, "audit", "verify", "--db", "missing.db", NULL);
	ck_assert_int_eq(r.status, 5);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "no audit log at 'missing.db'"));
	mcr_test_result_release(&r);
	mcr_test_write("junk.db", "this is not sqlite at all, not even close......", 48);
	mcr_test_mcr(&r, NULL, "audit", "verify", "--db", "junk.db", NULL);
	ck_assert_int_eq(r.status, 5);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "'junk.db'"));
	mcr_test_result_release(&r);
	append(db, 3, "sign.completed", "v1.0.0");
	checkpoint(db, "log.pem", "cp.txt");
	/* a checkpoint exists: verification without the log key cannot be complete */
	mcr_test_mcr(&r, NULL, "audit", "verify", "--db", db, NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "public key"));
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "audit", "frobnicate", NULL);
	ck_assert_int_eq(r.status, 2);
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "audit", "proof", "--db", db, NULL);
	ck_assert_int_eq(r.status, 2);
	mcr_test_result_release(&r);
	/* appends are refused by the triggers, through any SQLite client */
	mcr_test_sh_ok("! sqlite3 audit.db \"UPDATE events SET body = '{}' WHERE seq = 1\" "
	               "2>/dev/null");
	mcr_test_sh_ok("! sqlite3 audit.db \"DELETE FROM events WHERE seq = 3\" 2>/dev/null");
	expect_valid(db, NULL, NULL);
}
END_TEST

/* Everything from the config: database, log signer, published checkpoint. */
START_TEST(test_audit_cmd_config)
{
	const char *db = fresh();
	struct mcr_test_result r;
	FILE *f = fopen("mcurelease.json", "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"product\": \"acme\", \"signers\": {\"release\": {\"type\": \"file\", "
	           "\"key\": \"release.pem\"}, \"audit-log\": {\"type\": \"file\", \"key\": "
	           "\"log.pem\"}}, \"audit\": {\"database\": \"audit.db\", \"log_signer\": "
	           "\"audit-log\", \"checkpoint_file\": \"published.txt\"}}\n");
	fclose(f);
	append(db, 4, "sign.completed", "v1.0.0");
	mcr_test_mcr(&r, NULL, "audit", "checkpoint", "--config", "mcurelease.json", NULL);
	ck_assert_msg(r.status == 0, "%s", (char *)r.err.data);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "acme/mcurelease/acme\n4\n"));
	mcr_test_result_release(&r);
	ck_assert(mcr_test_exists("published.txt"));
	mcr_test_mcr(&r, NULL, "audit", "verify", "--config", "mcurelease.json", NULL);
	ck_assert_msg(r.status == 0, "%s%s", (char *)r.out.data, (char *)r.err.data);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "1/1 external valid"));
	mcr_test_result_release(&r);
	/* the published copy removed: that alone is a finding, it could hide a rollback */
	mcr_test_sh_ok("mv published.txt gone.txt");
	mcr_test_mcr(&r, NULL, "audit", "verify", "--config", "mcurelease.json", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr((char *)r.out.data, "audit.missing_checkpoint"));
	mcr_test_result_release(&r);
	/* the release key must not sign checkpoints */
	mcr_test_sh_ok("sed -i 's/\"log_signer\": \"audit-log\"/\"log_signer\": \"release\"/' "
	               "mcurelease.json");
	mcr_test_mcr(&r, NULL, "audit", "checkpoint", "--config", "mcurelease.json", NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "is the release signer"));
	mcr_test_result_release(&r);
}
END_TEST

static Suite *audit_cmd_suite(void)
{
	Suite *s = suite_create("audit_cmd");
	TCase *tamper_case = tcase_create("tampering");
	TCase *cmd_case = tcase_create("commands");

	tcase_add_test(tamper_case, test_audit_cmd_valid_log_verifies);
	tcase_add_test(tamper_case, test_audit_cmd_edited_body);
	tcase_add_test(tamper_case, test_audit_cmd_edited_hash);
	tcase_add_test(tamper_case, test_audit_cmd_deleted_middle_event);
	tcase_add_test(tamper_case, test_audit_cmd_deleted_tail);
	tcase_add_test(tamper_case, test_audit_cmd_reordered_seqs);
	tcase_add_test(tamper_case, test_audit_cmd_forged_inserted_event);
	tcase_add_test(tamper_case, test_audit_cmd_older_copy_swapped_in);
	tcase_add_test(tamper_case, test_audit_cmd_edited_checkpoint);
	tcase_add_test(tamper_case, test_audit_cmd_checkpoint_signed_by_another_key);
	tcase_add_test(tamper_case, test_audit_cmd_truncated_file);
	tcase_add_test(tamper_case, test_audit_cmd_split_view);
	tcase_add_test(tamper_case, test_audit_cmd_git_ref);
	suite_add_tcase(s, tamper_case);
	tcase_add_test(cmd_case, test_audit_cmd_log_filters);
	tcase_add_test(cmd_case, test_audit_cmd_show);
	tcase_add_test(cmd_case, test_audit_cmd_proofs);
	tcase_add_test(cmd_case, test_audit_cmd_errors);
	tcase_add_test(cmd_case, test_audit_cmd_config);
	suite_add_tcase(s, cmd_case);
	return s;
}

int main(void)
{
	return mcr_test_main(audit_cmd_suite());
}
