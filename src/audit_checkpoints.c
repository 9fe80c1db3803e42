/* The log's checkpoints table: signed heads recorded with their "checkpoint" event, and read back.
 */
#include "audit.h"

#include "audit_db.h"
#include "error.h"
#include "json.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

void mcr_audit_stored_release(struct mcr_audit_stored_checkpoint *checkpoint)
{
	free(checkpoint->note);
	memset(checkpoint, 0, sizeof(*checkpoint));
}

void mcr_audit_stored_free(struct mcr_audit_stored_checkpoint *list, size_t count)
{
	for (size_t i = 0; list && i < count; i++)
		mcr_audit_stored_release(&list[i]);
	free(list);
}

/* A checkpoint already stored for size: 0 and *found with its root, or *found = false. */
static int stored_root(struct mcr_audit *log, long long size, bool *found,
                       unsigned char root[MCR_AUDIT_HASH_LEN])
{
	sqlite3_stmt *stmt = NULL;
	int rc, ret = 0;

	*found = false;
	if (sqlite3_prepare_v2(log->db, "SELECT root FROM checkpoints WHERE size = ?", -1, &stmt,
	                       NULL) != SQLITE_OK)
		return mcr_audit_db_error(log, "read");
	sqlite3_bind_int64(stmt, 1, size);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*found = sqlite3_column_bytes(stmt, 0) == MCR_AUDIT_HASH_LEN;
		if (*found)
			memcpy(root, sqlite3_column_blob(stmt, 0), MCR_AUDIT_HASH_LEN);
	} else if (rc != SQLITE_DONE) {
		ret = mcr_audit_db_error(log, "read");
	}
	sqlite3_finalize(stmt);
	return ret;
}

static int insert_checkpoint(struct mcr_audit *log, long long size,
                             const unsigned char root[MCR_AUDIT_HASH_LEN], const char *note,
                             long long seq)
{
	sqlite3_stmt *stmt = NULL;
	int ret = 0;

	if (sqlite3_prepare_v2(
	            log->db, "INSERT INTO checkpoints (size, root, note, seq) VALUES (?, ?, ?, ?)",
	            -1, &stmt, NULL) != SQLITE_OK)
		return mcr_audit_db_error(log, "write to");
	sqlite3_bind_int64(stmt, 1, size);
	sqlite3_bind_blob(stmt, 2, root, MCR_AUDIT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, note, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, seq);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		ret = mcr_audit_db_error(log, "store a checkpoint in");
	sqlite3_finalize(stmt);
	return ret;
}

static int checkpoint_event_data(cJSON **out, long long size,
                                 const unsigned char root[MCR_AUDIT_HASH_LEN], const char *note)
{
	cJSON *data = cJSON_CreateObject();
	int ret;

	*out = NULL;
	if (!data)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_json_add_int(data, "size", size)) < 0 ||
	    (ret = mcr_json_add_hex(data, "root", root, MCR_AUDIT_HASH_LEN)) < 0 ||
	    (ret = mcr_json_add_string(data, "note", note)) < 0) {
		cJSON_Delete(data);
		return ret;
	}
	*out = data;
	return 0;
}

/* Inside the write transaction: same size and root is a no-op, another root is refused. */
static int add_checkpoint_locked(struct mcr_audit *log, long long size,
                                 const unsigned char root[MCR_AUDIT_HASH_LEN], const char *note,
                                 const char *actor, struct mcr_audit_entry *out)
{
	unsigned char old_root[MCR_AUDIT_HASH_LEN];
	struct mcr_audit_entry entry = {0};
	cJSON *data = NULL;
	bool found;
	int ret;

	if ((ret = stored_root(log, size, &found, old_root)) < 0)
		return ret;
	if (found)
		return memcmp(old_root, root, MCR_AUDIT_HASH_LEN)
		               ? mcr_error(MCR_EAUDIT,
		                           "audit log '%s' already holds a checkpoint of size %lld "
		                           "with another root",
		                           log->path, size)
		               : 0;
	if ((ret = checkpoint_event_data(&data, size, root, note)) == 0 &&
	    (ret = mcr_audit_db_append(log, "checkpoint", actor, data, true, &entry)) == 0 &&
	    (ret = insert_checkpoint(log, size, root, note, entry.seq)) == 0 && out)
		*out = entry;
	cJSON_Delete(data);
	return ret;
}

int mcr_audit_add_checkpoint(struct mcr_audit *log, long long size,
                             const unsigned char root[MCR_AUDIT_HASH_LEN], const char *note,
                             const char *actor, struct mcr_audit_entry *out)
{
	int ret;

	if (log->is_damaged)
		return mcr_error(MCR_EAUDIT, "audit log '%s' is damaged; nothing can be appended",
		                 log->path);
	if (log->is_batch)
		return mcr_error(MCR_EUSAGE,
		                 "a checkpoint of audit log '%s' cannot join a transaction",
		                 log->path);
	if ((ret = mcr_audit_db_begin(log)) < 0)
		return ret;
	if ((ret = add_checkpoint_locked(log, size, root, note, actor, out)) < 0) {
		mcr_audit_db_rollback(log);
		return ret;
	}
	return mcr_audit_db_commit(log);
}

int mcr_audit_checkpoints(struct mcr_audit *log, struct mcr_audit_stored_checkpoint **out,
                          size_t *count)
{
	struct mcr_audit_stored_checkpoint *list = NULL, *grown;
	sqlite3_stmt *stmt = NULL;
	size_t n = 0;
	int rc, ret = 0;

	*out = NULL;
	*count = 0;
	if (sqlite3_prepare_v2(log->db,
	                       "SELECT size, root, note, seq FROM checkpoints ORDER BY size", -1,
	                       &stmt, NULL) != SQLITE_OK)
		return mcr_audit_db_error(log, "read");
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const unsigned char *note = sqlite3_column_text(stmt, 2);

		if (!(grown = realloc(list, (n + 1) * sizeof(*list))) ||
		    !((list = grown)[n].note = strdup(note ? (const char *)note : ""))) {
			ret = mcr_error(MCR_ESYS, "out of memory");
			break;
		}
		list[n].size = sqlite3_column_int64(stmt, 0);
		memset(list[n].root, 0, MCR_AUDIT_HASH_LEN); /* a malformed root fails to match */
		if (sqlite3_column_bytes(stmt, 1) == MCR_AUDIT_HASH_LEN)
			memcpy(list[n].root, sqlite3_column_blob(stmt, 1), MCR_AUDIT_HASH_LEN);
		list[n++].seq = sqlite3_column_int64(stmt, 3);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = mcr_audit_db_error(log, "read the checkpoints of");
	sqlite3_finalize(stmt);
	if (ret < 0) {
		mcr_audit_stored_free(list, n);
		return ret;
	}
	*out = list;
	*count = n;
	return 0;
}
