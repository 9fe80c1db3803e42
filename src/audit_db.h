/* The audit module's private parts, shared by its files (audit.c, audit_read.c, audit_scan.c,
 * audit_checkpoints.c). */
#ifndef MCR_AUDIT_DB_H
#define MCR_AUDIT_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

struct cJSON;
struct mcr_audit_entry;
struct mcr_merkle_hasher;

enum mcr_audit_stmt {
	MCR_AUDIT_STMT_LAST,
	MCR_AUDIT_STMT_INSERT,
	MCR_AUDIT_STMT_NODE,
	MCR_AUDIT_STMT_GET,
	MCR_AUDIT_STMT_COUNT
};

struct mcr_audit {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[MCR_AUDIT_STMT_COUNT];
	struct mcr_merkle_hasher *hasher;
	bool is_damaged; /* opened only to salvage what a damaged file still holds */
	bool is_batch;   /* inside mcr_audit_begin: appends join the open transaction */
};

/* MCR_EAUDIT "cannot <action> audit log '<path>': <sqlite3_errmsg>". Call right after the failure.
 */
int mcr_audit_db_error(struct mcr_audit *log, const char *action);

/* Transactions: BEGIN IMMEDIATE (MCR_EAUDIT if another process keeps the lock), COMMIT, ROLLBACK.
 */
int mcr_audit_db_begin(struct mcr_audit *log);
int mcr_audit_db_commit(struct mcr_audit *log);
void mcr_audit_db_rollback(struct mcr_audit *log);

/* mcr_audit_append, inside the caller's transaction when is_locked. */
int mcr_audit_db_append(struct mcr_audit *log, const char *kind, const char *actor,
                        const struct cJSON *data, bool is_locked, struct mcr_audit_entry *out);

/* A mcr_merkle_node_fn over the nodes stored beside the events (ctx is the log). */
int mcr_audit_db_node(void *ctx, unsigned level, uint64_t index, unsigned char out[32]);

#endif
