/* Scanning the log on two threads: this one reads rows from SQLite, a second one runs the caller's
 * checks on copies. */
#include "audit.h"

#include "audit_db.h"
#include "error.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_ROWS 2048

/* Rows copied out of SQLite: lengths and offsets into one flat buffer. */
struct batch {
	size_t count;
	long long seq[BATCH_ROWS];
	size_t offset[BATCH_ROWS]; /* body, then prev_hash, hash, nodes, back to back */
	size_t len[BATCH_ROWS][4];
	unsigned char *data;
	size_t data_len, data_cap;
	bool is_full; /* handed over, not yet given back */
};

struct pipe {
	mcr_audit_row_fn fn;
	void *ctx;
	int fn_ret; /* what fn returned to stop the scan; read after the join */
	struct batch *batches[2];
	int filling;
	bool is_done, has_thread;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
};

static int run_batch(struct pipe *p, const struct batch *b)
{
	struct mcr_audit_row row;
	int ret;

	for (size_t i = 0; i < b->count; i++) {
		const unsigned char *at = b->data + b->offset[i];

		row.seq = b->seq[i];
		row.body = at;
		row.body_len = b->len[i][0];
		row.prev_hash = at += b->len[i][0];
		row.prev_hash_len = b->len[i][1];
		row.hash = at += b->len[i][1];
		row.hash_len = b->len[i][2];
		row.nodes = at += b->len[i][2];
		row.nodes_len = b->len[i][3];
		if ((ret = p->fn(p->ctx, &row)) != 0)
			return ret;
	}
	return 0;
}

static void *checker(void *arg)
{
	struct pipe *p = arg;

	for (int taking = 0;; taking ^= 1) {
		struct batch *b = p->batches[taking];
		bool has_work;
		int ret;

		pthread_mutex_lock(&p->lock);
		while (!b->is_full && !p->is_done)
			pthread_cond_wait(&p->changed, &p->lock);
		has_work = b->is_full;
		pthread_mutex_unlock(&p->lock);
		if (!has_work)
			break;
		/* Only this thread writes fn_ret while it runs; the reader reads it under the lock.
		 */
		ret = p->fn_ret ? p->fn_ret : run_batch(p, b);
		pthread_mutex_lock(&p->lock);
		p->fn_ret = ret;
		b->is_full = false;
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

/* Hands the full batch over and takes the other back once the checker is done with it. */
static int hand_over(struct pipe *p)
{
	struct batch *full = p->batches[p->filling], *next;
	int ret;

	if (!p->has_thread) {
		ret = p->fn_ret = run_batch(p, full);
		full->count = full->data_len = 0;
		return ret;
	}
	pthread_mutex_lock(&p->lock);
	full->is_full = true;
	pthread_cond_broadcast(&p->changed);
	p->filling ^= 1;
	next = p->batches[p->filling];
	while (next->is_full)
		pthread_cond_wait(&p->changed, &p->lock);
	ret = p->fn_ret;
	pthread_mutex_unlock(&p->lock);
	next->count = next->data_len = 0;
	return ret;
}

static int copy_row(struct pipe *p, sqlite3_stmt *stmt)
{
	struct batch *b = p->batches[p->filling];
	const void *column[4];
	size_t need = 0, i = b->count;

	b->seq[i] = sqlite3_column_int64(stmt, 0);
	for (int c = 0; c < 4; c++) {
		column[c] =
		        sqlite3_column_blob(stmt, c + 1); /* then bytes: the blob's own length */
		need += b->len[i][c] = (size_t)sqlite3_column_bytes(stmt, c + 1);
	}
	if (b->data_len + need > b->data_cap) {
		size_t cap = 2 * (b->data_len + need) + 65536;
		unsigned char *grown = realloc(b->data, cap);

		if (!grown)
			return mcr_error(MCR_ESYS, "out of memory");
		b->data = grown;
		b->data_cap = cap;
	}
	b->offset[i] = b->data_len;
	for (int c = 0; c < 4; c++) {
		if (b->len[i][c])
			memcpy(b->data + b->data_len, column[c], b->len[i][c]);
		b->data_len += b->len[i][c];
	}
	return ++b->count == BATCH_ROWS ? hand_over(p) : 0;
}

static int prepare_scan(struct mcr_audit *log, sqlite3_stmt **stmt)
{
	int rc;

	if (sqlite3_prepare_v2(log->db,
	                       "SELECT seq, body, prev_hash, hash, nodes FROM events ORDER BY seq",
	                       -1, stmt, NULL) == SQLITE_OK)
		return 0;
	rc = sqlite3_errcode(log->db);
	log->is_damaged |= rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB;
	return mcr_audit_db_error(log, "read");
}

/* After the last step: a damaged file found only now is said so, for verification to report. */
static int scan_end(struct mcr_audit *log, int rc)
{
	if (rc == SQLITE_DONE)
		return 0;
	log->is_damaged |= rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB;
	return mcr_audit_db_error(log, "read");
}

int mcr_audit_scan(struct mcr_audit *log, mcr_audit_row_fn fn, void *ctx)
{
	struct mcr_audit_row row;
	sqlite3_stmt *stmt = NULL;
	int rc, ret = 0;

	if ((ret = prepare_scan(log, &stmt)) < 0)
		return ret;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		row.seq = sqlite3_column_int64(stmt, 0);
		row.body = sqlite3_column_blob(stmt, 1);
		row.body_len = (size_t)sqlite3_column_bytes(stmt, 1);
		row.prev_hash = sqlite3_column_blob(stmt, 2);
		row.prev_hash_len = (size_t)sqlite3_column_bytes(stmt, 2);
		row.hash = sqlite3_column_blob(stmt, 3);
		row.hash_len = (size_t)sqlite3_column_bytes(stmt, 3);
		row.nodes = sqlite3_column_blob(stmt, 4);
		row.nodes_len = (size_t)sqlite3_column_bytes(stmt, 4);
		if ((ret = fn(ctx, &row)) != 0)
			break;
	}
	if (ret == 0)
		ret = scan_end(log, rc);
	sqlite3_finalize(stmt);
	return ret;
}

static int pipe_start(struct pipe *p)
{
	if (!(p->batches[0] = calloc(1, sizeof(struct batch))) ||
	    !(p->batches[1] = calloc(1, sizeof(struct batch))))
		return mcr_error(MCR_ESYS, "out of memory");
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->changed, NULL);
	/* Without a second thread the checks run here, between reads: slower, same answers. */
	p->has_thread = pthread_create(&p->thread, NULL, checker, p) == 0;
	return 0;
}

static void pipe_stop(struct pipe *p)
{
	if (p->has_thread) {
		pthread_mutex_lock(&p->lock);
		p->is_done = true;
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
		p->has_thread = false;
	}
	if (p->batches[0] && p->batches[1]) {
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->changed);
	}
	for (int i = 0; i < 2; i++) {
		if (p->batches[i])
			free(p->batches[i]->data);
		free(p->batches[i]);
		p->batches[i] = NULL;
	}
}

int mcr_audit_scan_async(struct mcr_audit *log, mcr_audit_row_fn fn, void *ctx)
{
	struct pipe p = {.fn = fn, .ctx = ctx};
	sqlite3_stmt *stmt = NULL;
	int rc = SQLITE_DONE, ret;

	if ((ret = pipe_start(&p)) < 0 || (ret = prepare_scan(log, &stmt)) < 0)
		goto out;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if ((ret = copy_row(&p, stmt)) != 0)
			break;
	/* The rows before a damaged page are checked too, then the damage reported. */
	if (ret == 0 && p.batches[p.filling]->count)
		ret = hand_over(&p);
	pipe_stop(&p);
	if (ret == 0)
		ret = p.fn_ret;
	if (ret == 0)
		ret = scan_end(log, rc);
out:
	pipe_stop(&p);
	sqlite3_finalize(stmt);
	return ret;
}
