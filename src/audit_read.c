/* Reading the audit log: events, filtered queries, raw scans, stored checkpoints, tree nodes and
 * proofs. */
#include "audit.h"

#include "audit_db.h"
#include "buf.h"
#include "error.h"
#include "json.h"
#include "merkle.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mcr_audit_event_release(struct mcr_audit_event *event)
{
	free(event->time);
	free(event->kind);
	free(event->actor);
	free(event->body);
	memset(event, 0, sizeof(*event));
}

static char *dup_member(const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(item) ? strdup(item->valuestring) : NULL;
}

static void copy_hash(unsigned char out[MCR_AUDIT_HASH_LEN], sqlite3_stmt *stmt, int column)
{
	memset(out, 0, MCR_AUDIT_HASH_LEN);
	if (sqlite3_column_bytes(stmt, column) == MCR_AUDIT_HASH_LEN)
		memcpy(out, sqlite3_column_blob(stmt, column), MCR_AUDIT_HASH_LEN);
}

/* Fills event from a (seq, body, prev_hash, hash) row; the envelope fields if the body parses. */
static int read_event(sqlite3_stmt *stmt, struct mcr_audit_event *event)
{
	const void *body = sqlite3_column_blob(stmt, 1);
	cJSON *envelope = NULL;

	memset(event, 0, sizeof(*event));
	event->seq = sqlite3_column_int64(stmt, 0);
	event->body_len = (size_t)sqlite3_column_bytes(stmt, 1);
	if (!(event->body = malloc(event->body_len + 1)))
		return mcr_error(MCR_ESYS, "out of memory");
	if (event->body_len)
		memcpy(event->body, body, event->body_len);
	event->body[event->body_len] = '\0';
	copy_hash(event->prev_hash, stmt, 2);
	copy_hash(event->hash, stmt, 3);
	/* Only to show it: a body that does not parse is shown raw, and verify says why. */
	envelope = cJSON_ParseWithLength(event->body, event->body_len);
	if (envelope) {
		event->time = dup_member(envelope, "time");
		event->kind = dup_member(envelope, "kind");
		event->actor = dup_member(envelope, "actor");
	}
	cJSON_Delete(envelope);
	return 0;
}

int mcr_audit_get(struct mcr_audit *log, long long seq, struct mcr_audit_event *out)
{
	sqlite3_stmt *stmt = log->stmt[MCR_AUDIT_STMT_GET];
	int rc, ret;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(stmt, 1, seq);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		ret = read_event(stmt, out);
	else if (rc == SQLITE_DONE)
		ret = mcr_error(MCR_EINPUT, "no event %lld in audit log '%s'", seq, log->path);
	else
		ret = mcr_audit_db_error(log, "read");
	sqlite3_reset(stmt);
	return ret;
}

static int event_json(cJSON *obj, const struct mcr_audit_event *e, bool with_body)
{
	cJSON *envelope, *data;
	int ret;

	if ((ret = mcr_json_add_int(obj, "seq", e->seq)) < 0 ||
	    (ret = mcr_json_add_string(obj, "time", e->time ? e->time : "")) < 0 ||
	    (ret = mcr_json_add_string(obj, "kind", e->kind ? e->kind : "")) < 0 ||
	    (ret = mcr_json_add_string(obj, "actor", e->actor ? e->actor : "")) < 0 ||
	    (ret = mcr_json_add_hex(obj, "hash", e->hash, sizeof(e->hash))) < 0 ||
	    (ret = mcr_json_add_hex(obj, "prev_hash", e->prev_hash, sizeof(e->prev_hash))) < 0 ||
	    (with_body && (ret = mcr_json_add_string(obj, "body", e->body)) < 0))
		return ret;
	envelope = cJSON_ParseWithLength(e->body, e->body_len);
	data = envelope ? cJSON_DetachItemFromObjectCaseSensitive(envelope, "data") : NULL;
	cJSON_Delete(envelope);
	if (!data && !(data = cJSON_CreateNull()))
		return mcr_error(MCR_ESYS, "out of memory");
	return mcr_json_add_item(obj, "data", data);
}

int mcr_audit_event_to_json(struct cJSON **out, const struct mcr_audit_event *event, bool with_body)
{
	cJSON *obj = cJSON_CreateObject();
	int ret;

	*out = NULL;
	if (!obj)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = event_json(obj, event, with_body)) < 0) {
		cJSON_Delete(obj);
		return ret;
	}
	*out = obj;
	return 0;
}

/* A date alone ("2026-11-05") stretches to the start or the end of that day. */
static int bind_time(sqlite3_stmt *stmt, int index, const char *value, bool is_end)
{
	char full[MCR_AUDIT_TIME_LEN + 1];

	if (strlen(value) == 10) {
		snprintf(full, sizeof(full), "%s%s", value, is_end ? "T23:59:59Z" : "T00:00:00Z");
		value = full;
	}
	return sqlite3_bind_text(stmt, index, value, -1, SQLITE_TRANSIENT);
}

static int prepare_filter(struct mcr_audit *log, const struct mcr_audit_filter *f,
                          sqlite3_stmt **out)
{
	struct mcr_buf sql = MCR_BUF_INIT;
	int n = 0, ret;

	ret = mcr_buf_addf(&sql,
	                   "SELECT seq, body, prev_hash, hash FROM events WHERE 1%s%s%s%s%s%s%s"
	                   " ORDER BY seq",
	                   f->from_seq ? " AND seq >= ?" : "", f->to_seq ? " AND seq <= ?" : "",
	                   f->since ? " AND time >= ?" : "", f->until ? " AND time <= ?" : "",
	                   f->kind ? " AND kind = ?" : "", f->tag ? " AND tag = ?" : "",
	                   f->image_sha256 ? " AND image_sha256 = ?" : "");
	if (ret < 0)
		return ret;
	if (sqlite3_prepare_v2(log->db, (const char *)sql.data, -1, out, NULL) != SQLITE_OK) {
		mcr_buf_release(&sql);
		return mcr_audit_db_error(log, "query");
	}
	mcr_buf_release(&sql);
	if (f->from_seq)
		sqlite3_bind_int64(*out, ++n, f->from_seq);
	if (f->to_seq)
		sqlite3_bind_int64(*out, ++n, f->to_seq);
	if (f->since)
		bind_time(*out, ++n, f->since, false);
	if (f->until)
		bind_time(*out, ++n, f->until, true);
	if (f->kind)
		sqlite3_bind_text(*out, ++n, f->kind, -1, SQLITE_TRANSIENT);
	if (f->tag)
		sqlite3_bind_text(*out, ++n, f->tag, -1, SQLITE_TRANSIENT);
	if (f->image_sha256)
		sqlite3_bind_text(*out, ++n, f->image_sha256, -1, SQLITE_TRANSIENT);
	return 0;
}

int mcr_audit_foreach(struct mcr_audit *log, const struct mcr_audit_filter *filter,
                      mcr_audit_event_fn fn, void *ctx)
{
	static const struct mcr_audit_filter none;
	struct mcr_audit_event event = {0};
	sqlite3_stmt *stmt = NULL;
	int rc, ret;

	if ((ret = prepare_filter(log, filter ? filter : &none, &stmt)) < 0)
		return ret;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((ret = read_event(stmt, &event)) < 0 || (ret = fn(ctx, &event)) != 0)
			break;
		mcr_audit_event_release(&event);
	}
	mcr_audit_event_release(&event);
	if (ret == 0 && rc != SQLITE_DONE)
		ret = mcr_audit_db_error(log, "read");
	sqlite3_finalize(stmt);
	return ret;
}

/* Level 0 is the event hash itself; level l >= 1 sits in the nodes of the row that completed it. */
int mcr_audit_db_node(void *ctx, unsigned level, uint64_t index, unsigned char out[32])
{
	struct mcr_audit *log = ctx;
	sqlite3_stmt *stmt = log->stmt[MCR_AUDIT_STMT_NODE];
	long long seq = (long long)((index + 1) << level);
	const unsigned char *bytes;
	size_t len, offset = level ? 32 * (size_t)(level - 1) : 0;
	int rc, ret = 0;

	sqlite3_bind_int64(stmt, 1, seq);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
		ret = rc == SQLITE_DONE
		              ? mcr_error(MCR_EAUDIT, "event %lld is missing from audit log '%s'",
		                          seq, log->path)
		              : mcr_audit_db_error(log, "read");
		goto out;
	}
	bytes = sqlite3_column_blob(stmt, level ? 1 : 0);
	len = (size_t)sqlite3_column_bytes(stmt, level ? 1 : 0);
	if (!bytes || len < offset + 32 || (level == 0 && len != 32))
		ret = mcr_error(MCR_EAUDIT,
		                "tree node %u/%llu is missing at event %lld of audit log '%s'",
		                level, (unsigned long long)index, seq, log->path);
	else
		memcpy(out, bytes + offset, 32);
out:
	sqlite3_reset(stmt);
	return ret;
}

static int check_size(struct mcr_audit *log, long long size)
{
	long long events;
	int ret;

	if ((ret = mcr_audit_size(log, &events)) < 0)
		return ret;
	if (size < 0 || size > events)
		return mcr_error(MCR_EINPUT, "audit log '%s' holds %lld events, not %lld",
		                 log->path, events, size);
	return 0;
}

int mcr_audit_root(struct mcr_audit *log, long long size, unsigned char root[MCR_AUDIT_HASH_LEN])
{
	int ret;

	if ((ret = check_size(log, size)) < 0)
		return ret;
	return mcr_merkle_subtree_root(mcr_audit_db_node, log, log->hasher, 0, (uint64_t)size,
	                               root);
}

int mcr_audit_inclusion_proof(struct mcr_audit *log, long long seq, long long size,
                              struct mcr_merkle_proof *out)
{
	int ret;

	if ((ret = check_size(log, size)) < 0)
		return ret;
	if (seq < 1 || seq > size)
		return mcr_error(MCR_EINPUT, "event %lld is not in the first %lld events of '%s'",
		                 seq, size, log->path);
	return mcr_merkle_inclusion_proof(mcr_audit_db_node, log, log->hasher, (uint64_t)seq - 1,
	                                  (uint64_t)size, out);
}

int mcr_audit_consistency_proof(struct mcr_audit *log, long long old_size, long long new_size,
                                struct mcr_merkle_proof *out)
{
	int ret;

	if ((ret = check_size(log, new_size)) < 0)
		return ret;
	if (old_size < 0 || old_size > new_size)
		return mcr_error(MCR_EINPUT, "no consistency proof from %lld events to %lld",
		                 old_size, new_size);
	return mcr_merkle_consistency_proof(mcr_audit_db_node, log, log->hasher, (uint64_t)old_size,
	                                    (uint64_t)new_size, out);
}
