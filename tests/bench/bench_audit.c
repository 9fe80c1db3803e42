/* Benchmark: audit appends, verification of 1M events and proofs, each beside its raw limit
 * measured in the same run. */
#include "audit.h"
#include "buf.h"
#include "checkpoint.h"
#include "error.h"
#include "fileio.h"
#include "json.h"
#include "merkle.h"
#include "signer.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * usage: bench_audit [MCURELEASE [DIR [EVENTS [APPENDS]]]]
 * MCURELEASE (tests/bench/run.sh passes it) is also timed as a whole process.
 * DIR (default: a temp dir) keeps the big database between runs, so that the
 * 1M-event log is built once. Prints figures; asserts nothing about time.
 */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_audit: %s: %s\n", what, mcr_error_message());
	exit(1);
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), compare_double);
	return v[n / 2];
}

/* A body like a sign.completed event's data (~300 bytes of canonical envelope). */
static cJSON *sample_data(long long i)
{
	cJSON *data = cJSON_CreateObject();
	char hex[65];

	snprintf(hex, sizeof(hex), "%064llx", (unsigned long long)i * 2654435761ULL);
	mcr_json_add_string(data, "image_sha256", hex);
	mcr_json_add_string(data, "tag", "v1.4.0");
	mcr_json_add_string(data, "key", "release-2026");
	mcr_json_add_int(data, "n", i);
	return data;
}

/* mcurelease's durable append: one BEGIN IMMEDIATE transaction per event. */
static double bench_appends(const char *path, int count)
{
	struct mcr_audit *log;
	double start;

	unlink(path);
	if (mcr_audit_open(&log, path, true) < 0)
		die("open");
	start = now_s();
	for (int i = 0; i < count; i++) {
		cJSON *data = sample_data(i);

		if (mcr_audit_append(log, "sign.completed", "ci@runner", data, NULL) < 0)
			die("append");
		cJSON_Delete(data);
	}
	start = now_s() - start;
	mcr_audit_free(log);
	return count / start;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_audit: %s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
}

/*
 * The raw limit: the same durability (WAL, synchronous=FULL, one BEGIN
 * IMMEDIATE transaction per row), a row of the same size with a SHA-256 chain
 * computed per row, and nothing else.
 */
static double bench_bare_inserts(const char *path, int count)
{
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	unsigned char prev[32] = {0}, hash[32];
	char body[320];
	sqlite3 *db;
	sqlite3_stmt *stmt;
	double start;

	unlink(path);
	if (sqlite3_open_v2(path, &db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK)
		exit(1);
	exec_ok(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	            "CREATE TABLE t (seq INTEGER PRIMARY KEY, body TEXT, prev BLOB, hash BLOB)");
	sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?, ?, ?, ?)", -1, &stmt, NULL);
	start = now_s();
	for (int i = 1; i <= count; i++) {
		int len = snprintf(body, sizeof(body),
		                   "{\"actor\":\"ci@runner\",\"data\":{\"image_sha256\":\"%064x\","
		                   "\"key\":\"release-2026\",\"n\":%d,\"tag\":\"v1.4.0\"},\"kind\":"
		                   "\"sign.completed\",\"time\":\"2026-11-24T10:00:00Z\",\"v\":1}",
		                   i, i);

		EVP_Digest(body, (size_t)len, hash, NULL, md, NULL);
		exec_ok(db, "BEGIN IMMEDIATE");
		sqlite3_bind_int(stmt, 1, i);
		sqlite3_bind_text(stmt, 2, body, len, SQLITE_STATIC);
		sqlite3_bind_blob(stmt, 3, prev, 32, SQLITE_STATIC);
		sqlite3_bind_blob(stmt, 4, hash, 32, SQLITE_STATIC);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			exit(1);
		sqlite3_reset(stmt);
		exec_ok(db, "COMMIT");
		memcpy(prev, hash, 32);
	}
	start = now_s() - start;
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	EVP_MD_free(md);
	return count / start;
}

/* The 1M-event log, built once per DIR in transactions of 20,000 appends. */
static void build_log(const char *path, long long events)
{
	struct mcr_audit *log;
	long long have;
	double start = now_s();

	if (mcr_audit_open(&log, path, true) < 0 || mcr_audit_size(log, &have) < 0)
		die("open");
	if (have >= events) {
		mcr_audit_free(log);
		return;
	}
	fprintf(stderr, "building %lld events in %s ...\n", events, path);
	if (mcr_audit_begin(log) < 0)
		die("begin");
	for (long long i = have; i < events; i++) {
		cJSON *data = sample_data(i);

		if (mcr_audit_append(log, "sign.completed", "ci@runner", data, NULL) < 0)
			die("append");
		cJSON_Delete(data);
		if ((i + 1) % 20000 == 0 && (mcr_audit_commit(log) < 0 || mcr_audit_begin(log) < 0))
			die("commit");
	}
	if (mcr_audit_commit(log) < 0)
		die("commit");
	mcr_audit_free(log);
	fprintf(stderr, "built in %.1f s\n", now_s() - start);
}

/* The raw limit of verification: read the same rows in order, SHA-256 each, compare. */
static double bench_bare_verify(const char *path, long long *rows)
{
	static const unsigned char domain[] = "\0mcurelease-audit-v1";
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char digest[32], seq_be[8];
	long long bad = 0;
	sqlite3 *db;
	sqlite3_stmt *stmt;
	double start = now_s();

	*rows = 0;
	/* Opened as the log opens itself (no per-call mutex), so only the work differs. */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	            SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT seq, body, prev_hash, hash FROM events ORDER BY seq", -1,
	                       &stmt, NULL) != SQLITE_OK)
		exit(1);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		long long seq = sqlite3_column_int64(stmt, 0);
		const void *body = sqlite3_column_blob(stmt, 1);
		int body_len = sqlite3_column_bytes(stmt, 1);

		for (int i = 0; i < 8; i++)
			seq_be[i] = (unsigned char)((unsigned long long)seq >> (56 - 8 * i));
		EVP_DigestInit_ex2(ctx, md, NULL);
		EVP_DigestUpdate(ctx, domain, sizeof(domain));
		EVP_DigestUpdate(ctx, seq_be, 8);
		EVP_DigestUpdate(ctx, sqlite3_column_blob(stmt, 2), 32);
		EVP_DigestUpdate(ctx, body, (size_t)body_len);
		EVP_DigestFinal_ex(ctx, digest, NULL);
		bad += memcmp(digest, sqlite3_column_blob(stmt, 3), 32) != 0;
		(*rows)++;
	}
	start = now_s() - start;
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	if (bad)
		fprintf(stderr, "bench_audit: %lld rows do not hash right\n", bad);
	return start;
}

static double bench_verify(const char *path, const struct mcr_key *key, long long *events)
{
	struct mcr_audit_verify_opts opts = {.log_key = key};
	struct mcr_audit_report report;
	struct mcr_audit *log;
	double start = now_s();

	if (mcr_audit_open(&log, path, false) < 0 || mcr_audit_verify(log, &opts, &report) < 0)
		die("verify");
	start = now_s() - start;
	if (!report.is_valid)
		fprintf(stderr, "bench_audit: the log does not verify: %s\n",
		        report.problems[0].message);
	*events = report.event_count;
	mcr_audit_report_release(&report);
	mcr_audit_free(log);
	return start;
}

static int run(const char *const *argv)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A checkpoint of the big log, signed with a throwaway Ed25519 key, for the proofs. */
static struct mcr_signer *checkpoint_log(const char *dir, const char *path)
{
	char key_path[4096];
	const char *genpkey[] = {"openssl", "genpkey", "-algorithm", "ed25519",
	                         "-out",    key_path,  NULL};
	struct mcr_checkpoint_opts opts = {.origin = "bench/mcurelease/bench", .actor = "bench"};
	struct mcr_checkpoint_result result;
	struct mcr_signer *signer;
	struct mcr_audit *log;

	snprintf(key_path, sizeof(key_path), "%s/log.pem", dir);
	if (!mcr_fileio_exists(key_path) && run(genpkey) != 0)
		die("openssl genpkey");
	if (mcr_signer_open_pem(&signer, key_path) < 0 || mcr_audit_open(&log, path, false) < 0 ||
	    mcr_checkpoint_create(log, signer, &opts, &result) < 0)
		die("checkpoint");
	mcr_checkpoint_result_release(&result);
	mcr_audit_free(log);
	return signer;
}

/* Proofs from the stored tree nodes: the path and the root they lead to, at random seqs. */
static void bench_proofs(const char *path, int count)
{
	struct mcr_merkle_proof proof;
	struct mcr_buf doc = MCR_BUF_INIT;
	unsigned char root[32];
	double times[1000], docs[1000], worst = 0, start;
	struct mcr_audit *log;
	long long size;

	if (count > 1000)
		count = 1000;
	if (mcr_audit_open(&log, path, false) < 0 || mcr_audit_size(log, &size) < 0)
		die("open");
	srand(42);
	for (int i = 0; i < count; i++) {
		long long seq = 1 + (long long)((double)rand() / RAND_MAX * (double)(size - 2));

		start = now_s();
		if (mcr_audit_inclusion_proof(log, seq, size, &proof) < 0 ||
		    mcr_audit_root(log, size, root) < 0)
			die("proof");
		times[i] = (now_s() - start) * 1e3;
		if (times[i] > worst)
			worst = times[i];
		start = now_s();
		if (mcr_audit_proof_inclusion(log, seq, NULL, &doc) < 0)
			die("proof document");
		docs[i] = (now_s() - start) * 1e3;
		mcr_buf_release(&doc);
	}
	printf("proof (path + root), %lld events: median %.3f ms, max %.3f ms over %d seqs\n", size,
	       median(times, count), worst, count);
	printf("proof document ('audit proof' minus printing): median %.3f ms\n",
	       median(docs, count));
	mcr_audit_free(log);
}

/* Wall time of a whole mcurelease process (fork, exec, exit). */
static double time_process(const char *const *argv)
{
	double start = now_s();

	if (run(argv) != 0)
		die(argv[2]);
	return now_s() - start;
}

/* 'audit verify' and 'audit proof' as a user runs them. */
static void bench_processes(const char *binary, const char *dir, const char *big)
{
	char pub[4096], pem[4096];
	const char *pubkey[] = {"openssl", "pkey", "-in", pem, "-pubout", "-out", pub, NULL};
	const char *verify[] = {binary, "-q", "audit", "verify", "--db", big, "--key", pub, NULL};
	const char *proof[] = {binary, "-q", "audit", "proof", "--db", big, "777777", NULL};
	double v[3], p[3];
	int saved = dup(1), null = open("/dev/null", O_WRONLY);

	snprintf(pem, sizeof(pem), "%s/log.pem", dir);
	snprintf(pub, sizeof(pub), "%s/log.pub", dir);
	if (run(pubkey) != 0)
		die("openssl pkey");
	dup2(null, 1); /* the report and the proof go nowhere; the time is what counts */
	for (int r = 0; r < 3; r++) {
		v[r] = time_process(verify);
		p[r] = time_process(proof);
	}
	dup2(saved, 1);
	close(null);
	close(saved);
	printf("whole process: 'audit verify' %.3f s, 'audit proof' %.1f ms (medians of 3)\n",
	       median(v, 3), median(p, 3) * 1e3);
}

int main(int argc, char **argv)
{
	char *tmp = NULL, big[4096], small[4096], bare[4096];
	const char *binary = argc > 1 ? argv[1] : NULL, *dir = argc > 2 ? argv[2] : NULL;
	long long events = argc > 3 ? atoll(argv[3]) : 1000000, rows = 0, verified = 0;
	int appends = argc > 4 ? atoi(argv[4]) : 3000;
	double ours[3], raw[3], ver[3], bare_ver[3];
	struct mcr_signer *signer;

	if (!dir && mcr_fileio_mkdtemp(&tmp, "bench-audit") < 0)
		die("mkdtemp");
	dir = dir ? dir : tmp;
	snprintf(big, sizeof(big), "%s/big.db", dir);
	snprintf(small, sizeof(small), "%s/appends.db", dir);
	snprintf(bare, sizeof(bare), "%s/bare.db", dir);
	for (int r = 0; r < 3; r++) {
		raw[r] = bench_bare_inserts(bare, appends);
		ours[r] = bench_appends(small, appends);
	}
	printf("durable appends: %.0f/s; bare SQLite insert loop, same durability: %.0f/s; "
	       "ratio %.2f (medians of 3 x %d)\n",
	       median(ours, 3), median(raw, 3), median(ours, 3) / median(raw, 3), appends);
	build_log(big, events);
	signer = checkpoint_log(dir, big);
	for (int r = 0; r < 3; r++) {
		bare_ver[r] = bench_bare_verify(big, &rows);
		ver[r] = bench_verify(big, mcr_signer_key(signer), &verified);
	}
	printf("verify %lld events: %.3f s; bare read + SHA-256 loop over the same %lld rows: "
	       "%.3f s; ratio %.2f (medians of 3)\n",
	       verified, median(ver, 3), rows, median(bare_ver, 3),
	       median(bare_ver, 3) / median(ver, 3));
	bench_proofs(big, 1000);
	if (binary)
		bench_processes(binary, dir, big);
	mcr_signer_free(signer);
	if (tmp) {
		mcr_fileio_remove_tree(tmp);
		free(tmp);
	}
	return 0;
}
