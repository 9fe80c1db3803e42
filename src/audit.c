/* The audit log in SQLite: schema and migrations, durable appends of events and checkpoints. */
#include "audit.h"

#include "audit_db.h"
#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "json.h"
#include "merkle.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_BUSY_TIMEOUT_MS 30000
#define MAX_KIND_LEN            64
#define MAX_ACTOR_LEN           256

/* 'MCRA' in the SQLite header marks the file as ours before any table is read. */
#define APPLICATION_ID 0x4d435241

/*
 * Schema version 1. The time, kind, actor, tag and image columns are
 * generated from the hashed body, so they can never disagree with it; tag
 * and image_sha256 are indexed (partial indexes cost nothing for events
 * without them). nodes holds the Merkle nodes this event's leaf completes
 * (32 bytes per level, bottom up), so proofs need O(log n) reads. Triggers
 * are guard rails: they refuse edits and out-of-order inserts, but whoever
 * owns the file can drop them, which is what verification and signed
 * checkpoints are for.
 */
static const char schema_v1[] =
        "CREATE TABLE events ("
        " seq INTEGER PRIMARY KEY CHECK (seq >= 1),"
        " body TEXT NOT NULL,"
        " prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),"
        " hash BLOB NOT NULL CHECK (length(hash) = 32),"
        " nodes BLOB,"
        " time TEXT GENERATED ALWAYS AS (json_extract(body, '$.time')) VIRTUAL,"
        " kind TEXT GENERATED ALWAYS AS (json_extract(body, '$.kind')) VIRTUAL,"
        " actor TEXT GENERATED ALWAYS AS (json_extract(body, '$.actor')) VIRTUAL,"
        " tag TEXT GENERATED ALWAYS AS (json_extract(body, '$.data.tag')) VIRTUAL,"
        " image_sha256 TEXT GENERATED ALWAYS AS (json_extract(body, '$.data.image_sha256')) "
        "VIRTUAL);"
        "CREATE INDEX events_by_tag ON events(tag) WHERE tag IS NOT NULL;"
        "CREATE INDEX events_by_image ON events(image_sha256) WHERE image_sha256 IS NOT NULL;"
        "CREATE TRIGGER events_in_order BEFORE INSERT ON events"
        " WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM events)"
        " OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM events WHERE seq = NEW.seq - 1),"
        " zeroblob(32))"
        " BEGIN SELECT RAISE(ABORT, 'audit events are appended in order'); END;"
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
        " BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;"
        "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
        " BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;"
        "CREATE TABLE checkpoints ("
        " size INTEGER PRIMARY KEY CHECK (size >= 0),"
        " root BLOB NOT NULL CHECK (length(root) = 32),"
        " note TEXT NOT NULL,"
        " seq INTEGER NOT NULL);"
        "CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints"
        " BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;"
        "CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints"
        " BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;";

/* Migration i takes a database from user_version i to i + 1; never edit a released one. */
static const char *const migrations[] = {schema_v1};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* 0x00 first, so that an event hash is also an RFC 6962 leaf hash (see audit.h). */
static const unsigned char domain_tag[] = "\0mcurelease-audit-v1"; /* + its own NUL: 21 bytes */
int mcr_audit_db_error(struct mcr_audit *log, const char *action)
{
	return mcr_error(MCR_EAUDIT, "cannot %s audit log '%s': %s", action, log->path,
	                 sqlite3_errmsg(log->db));
}

static int db_exec(struct mcr_audit *log, const char *sql, const char *action)
{
	if (sqlite3_exec(log->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return mcr_audit_db_error(log, action);
	return 0;
}

int mcr_audit_db_begin(struct mcr_audit *log)
{
	int rc = sqlite3_exec(log->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	if ((rc & 0xff) == SQLITE_BUSY)
		return mcr_error(MCR_EAUDIT, "audit log '%s' stayed locked by another process",
		                 log->path);
	return rc == SQLITE_OK ? 0 : mcr_audit_db_error(log, "write to");
}

void mcr_audit_db_rollback(struct mcr_audit *log)
{
	if (!sqlite3_get_autocommit(log->db))
		sqlite3_exec(log->db, "ROLLBACK", NULL, NULL, NULL);
}

int mcr_audit_db_commit(struct mcr_audit *log)
{
	if (sqlite3_exec(log->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int ret = mcr_audit_db_error(log, "commit to");

		mcr_audit_db_rollback(log);
		return ret;
	}
	return 0;
}

/* Reads the integer a one-row statement (a PRAGMA, a count) yields. */
static int query_int(struct mcr_audit *log, const char *sql, long long *out)
{
	sqlite3_stmt *stmt = NULL;
	int ret = 0;

	if (sqlite3_prepare_v2(log->db, sql, -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_ROW)
		ret = mcr_audit_db_error(log, "read");
	else
		*out = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return ret;
}

static int connect(struct mcr_audit *log, bool create)
{
	/* NOMUTEX: one thread uses a connection, so SQLite's per-call locking is pure cost. */
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) |
	            SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX;
	long long app_id;
	int fd;

	/*
	 * A new log is created owner-only before SQLite sees it: SQLite gives its
	 * journal and WAL files the database file's mode, and would otherwise use
	 * the umask's (usually world-readable).
	 */
	if (create && (fd = open(log->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	if (sqlite3_open_v2(log->path, &log->db, flags, NULL) != SQLITE_OK)
		return mcr_audit_db_error(log, "open");
	sqlite3_busy_timeout(log->db, DEFAULT_BUSY_TIMEOUT_MS);
	/*
	 * A damaged file (cut short, say) is read as far as it goes so that
	 * verification can say where the damage starts: writable_schema makes
	 * SQLite accept a file shorter than its header claims. Nothing is ever
	 * written in this mode.
	 */
	if (log->is_damaged && db_exec(log, "PRAGMA writable_schema=ON", "open") < 0)
		return MCR_EAUDIT;
	if (query_int(log, "PRAGMA application_id", &app_id) < 0)
		return mcr_error(MCR_EAUDIT, "'%s' is not an mcurelease audit log: %s", log->path,
		                 sqlite3_errmsg(log->db));
	if (app_id != 0 && app_id != APPLICATION_ID)
		return mcr_error(MCR_EAUDIT,
		                 "'%s' is not an mcurelease audit log (application id %#llx)",
		                 log->path, app_id);
	/*
	 * WAL with synchronous=FULL: a commit is fsync'ed before it returns, so
	 * an append that succeeded survives a crash or power loss. (trusted_schema
	 * stays on: SQLite 3.40 counts json_extract, which the generated columns
	 * use, as unsafe; no function with side effects is loaded.)
	 */
	return db_exec(log, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", "set up");
}

/* Brings the schema to SCHEMA_VERSION inside one write transaction. */
static int migrate_locked(struct mcr_audit *log, bool create)
{
	long long version, tables;
	char sql[96];
	int ret;

	if ((ret = query_int(log, "PRAGMA user_version", &version)) < 0 ||
	    (ret = query_int(log, "SELECT count(*) FROM sqlite_schema", &tables)) < 0)
		return ret;
	if (version > SCHEMA_VERSION)
		return mcr_error(
		        MCR_EAUDIT,
		        "audit log '%s' has schema version %lld, newer than this mcurelease "
		        "reads (%d)",
		        log->path, version, SCHEMA_VERSION);
	if (version == 0 && (tables > 0 || !create))
		return mcr_error(MCR_EAUDIT, "'%s' is not an mcurelease audit log%s", log->path,
		                 tables ? " (it holds other tables)" : " (it is empty)");
	for (; version < SCHEMA_VERSION; version++)
		if ((ret = db_exec(log, migrations[version], "migrate")) < 0)
			return ret;
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d; PRAGMA application_id=%d;",
	         SCHEMA_VERSION, APPLICATION_ID);
	return db_exec(log, sql, "migrate");
}

static int migrate(struct mcr_audit *log, bool create)
{
	long long version;
	int ret;

	if ((ret = query_int(log, "PRAGMA user_version", &version)) < 0)
		return ret;
	if (version == SCHEMA_VERSION)
		return 0;
	if ((ret = mcr_audit_db_begin(log)) < 0)
		return ret;
	if ((ret = migrate_locked(log, create)) < 0) {
		mcr_audit_db_rollback(log);
		return ret;
	}
	return mcr_audit_db_commit(log);
}

static int prepare(struct mcr_audit *log)
{
	static const char *const sql[MCR_AUDIT_STMT_COUNT] = {
	        [MCR_AUDIT_STMT_LAST] = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
	        [MCR_AUDIT_STMT_INSERT] = "INSERT INTO events (seq, body, prev_hash, hash, nodes)"
	                                  " VALUES (?, ?, ?, ?, ?)",
	        [MCR_AUDIT_STMT_NODE] = "SELECT hash, nodes FROM events WHERE seq = ?",
	        [MCR_AUDIT_STMT_GET] =
	                "SELECT seq, body, prev_hash, hash FROM events WHERE seq = ?",
	};

	for (int i = 0; i < MCR_AUDIT_STMT_COUNT; i++)
		if (sqlite3_prepare_v3(log->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                       &log->stmt[i], NULL) != SQLITE_OK)
			return mcr_audit_db_error(log, "prepare statements for");
	return 0;
}

static int open_once(struct mcr_audit **out, const char *path, bool create, bool is_damaged,
                     bool *is_corrupt)
{
	struct mcr_audit *log;
	int ret;

	*out = NULL;
	if (!(log = calloc(1, sizeof(*log))) || !(log->path = strdup(path))) {
		free(log);
		return mcr_error(MCR_ESYS, "out of memory");
	}
	log->is_damaged = is_damaged;
	if ((ret = mcr_merkle_hasher_new(&log->hasher)) < 0 || (ret = connect(log, create)) < 0 ||
	    (!is_damaged && (ret = migrate(log, create)) < 0) || (ret = prepare(log)) < 0) {
		*is_corrupt = log->db && (sqlite3_errcode(log->db) == SQLITE_CORRUPT);
		goto out;
	}
	*out = log;
	log = NULL;
out:
	mcr_audit_free(log);
	return ret;
}

int mcr_audit_open(struct mcr_audit **out, const char *path, bool create)
{
	bool is_corrupt = false;
	int ret;

	*out = NULL;
	if (!create && !mcr_fileio_exists(path))
		return mcr_error(MCR_EAUDIT, "no audit log at '%s'", path);
	ret = open_once(out, path, create, false, &is_corrupt);
	if (ret < 0 && is_corrupt && open_once(out, path, false, true, &is_corrupt) == 0)
		ret = 0;
	return ret;
}

bool mcr_audit_is_damaged(const struct mcr_audit *log)
{
	return log->is_damaged;
}

void mcr_audit_free(struct mcr_audit *log)
{
	if (!log)
		return;
	for (int i = 0; i < MCR_AUDIT_STMT_COUNT; i++)
		sqlite3_finalize(log->stmt[i]);
	sqlite3_close(log->db);
	mcr_merkle_hasher_free(log->hasher);
	free(log->path);
	free(log);
}

const char *mcr_audit_path(const struct mcr_audit *log)
{
	return log->path;
}

void mcr_audit_set_busy_timeout(struct mcr_audit *log, int timeout_ms)
{
	sqlite3_busy_timeout(log->db, timeout_ms);
}

int mcr_audit_event_hash(struct mcr_merkle_hasher *hasher, long long seq,
                         const unsigned char prev_hash[MCR_AUDIT_HASH_LEN], const void *body,
                         size_t body_len, unsigned char out[MCR_AUDIT_HASH_LEN])
{
	unsigned char seq_be[8];

	for (int i = 0; i < 8; i++)
		seq_be[i] = (unsigned char)((unsigned long long)seq >> (56 - 8 * i));
	return mcr_merkle_sha256(hasher, out, domain_tag, sizeof(domain_tag), seq_be,
	                         sizeof(seq_be), prev_hash, MCR_AUDIT_HASH_LEN, body, body_len);
}

static bool is_valid_kind(const char *kind)
{
	size_t len = strlen(kind);

	if (len == 0 || len > MAX_KIND_LEN)
		return false;
	return strspn(kind, "abcdefghijklmnopqrstuvwxyz0123456789._-") == len;
}

static bool is_valid_actor(const char *actor)
{
	size_t len = strlen(actor);

	if (len == 0 || len > MAX_ACTOR_LEN)
		return false;
	for (const unsigned char *p = (const unsigned char *)actor; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static int format_now(char time_out[MCR_AUDIT_TIME_LEN + 1])
{
	time_t now = time(NULL);
	struct tm tm;

	if (now == (time_t)-1 || !gmtime_r(&now, &tm) ||
	    strftime(time_out, MCR_AUDIT_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) !=
	            MCR_AUDIT_TIME_LEN)
		return mcr_error(MCR_ESYS, "cannot read the clock");
	return 0;
}

/* The canonical envelope whose bytes are stored and hashed (see audit.h). */
static int make_body(struct mcr_buf *out, const char *kind, const char *actor, const char *time,
                     const cJSON *data)
{
	cJSON *envelope = cJSON_CreateObject();
	cJSON *copy = data ? cJSON_Duplicate(data, true) : cJSON_CreateObject();
	int ret;

	if (!envelope || !copy) {
		cJSON_Delete(copy);
		ret = mcr_error(MCR_ESYS, "out of memory");
		goto out;
	}
	if ((ret = mcr_json_add_string(envelope, "actor", actor)) < 0 ||
	    (ret = mcr_json_add_item(envelope, "data", copy)) < 0 ||
	    (ret = mcr_json_add_string(envelope, "kind", kind)) < 0 ||
	    (ret = mcr_json_add_string(envelope, "time", time)) < 0 ||
	    (ret = mcr_json_add_int(envelope, "v", 1)) < 0)
		goto out;
	ret = mcr_json_canonical(out, envelope);
out:
	cJSON_Delete(envelope);
	return ret;
}

static int read_last(struct mcr_audit *log, long long *seq, unsigned char hash[MCR_AUDIT_HASH_LEN])
{
	sqlite3_stmt *stmt = log->stmt[MCR_AUDIT_STMT_LAST];
	int rc = sqlite3_step(stmt), ret = 0;

	*seq = 0;
	memset(hash, 0, MCR_AUDIT_HASH_LEN); /* prev_hash of seq 1 */
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(stmt, 0);
		if (sqlite3_column_bytes(stmt, 1) == MCR_AUDIT_HASH_LEN)
			memcpy(hash, sqlite3_column_blob(stmt, 1), MCR_AUDIT_HASH_LEN);
		else
			ret = mcr_error(MCR_EAUDIT, "bad hash of event %lld in audit log '%s'",
			                *seq, log->path);
	} else if (rc != SQLITE_DONE) {
		ret = mcr_audit_db_error(log, "read");
	}
	sqlite3_reset(stmt);
	return ret;
}

/*
 * The tree nodes leaf seq-1 completes. Its left neighbours at each level are
 * the lowest perfect subtrees of the tree so far: as many as the trailing one
 * bits of seq-1, one stored read each (one on average).
 */
static int completed_nodes(struct mcr_audit *log, long long seq,
                           const unsigned char hash[MCR_AUDIT_HASH_LEN], unsigned char *nodes,
                           unsigned *node_count)
{
	struct mcr_merkle_range edge = {0};
	uint64_t leaf = (uint64_t)seq - 1;
	unsigned levels = 0;
	int ret;

	while ((leaf >> levels) & 1)
		levels++;
	for (unsigned i = 0; i < levels; i++) {
		unsigned level = levels - 1 - i;

		if ((ret = mcr_audit_db_node(log, level, (leaf >> level) - 1, edge.hashes[i])) < 0)
			return ret;
	}
	edge.count = levels;
	edge.size = leaf;
	return mcr_merkle_range_append(&edge, log->hasher, hash, nodes, node_count);
}

/* Inside a write transaction: chains body onto the last event and inserts it. */
static int append_locked(struct mcr_audit *log, const struct mcr_buf *body,
                         struct mcr_audit_entry *out)
{
	unsigned char prev[MCR_AUDIT_HASH_LEN], nodes[MCR_MERKLE_MAX_LEVELS * MCR_AUDIT_HASH_LEN];
	sqlite3_stmt *stmt = log->stmt[MCR_AUDIT_STMT_INSERT];
	unsigned node_count;
	long long seq;
	int ret;

	if ((ret = read_last(log, &seq, prev)) < 0)
		return ret;
	out->seq = ++seq;
	if ((ret = mcr_audit_event_hash(log->hasher, seq, prev, body->data, body->len, out->hash)) <
	            0 ||
	    (ret = completed_nodes(log, seq, out->hash, nodes, &node_count)) < 0)
		return ret;
	sqlite3_bind_int64(stmt, 1, seq);
	sqlite3_bind_text(stmt, 2, (const char *)body->data, (int)body->len, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 3, prev, MCR_AUDIT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 4, out->hash, MCR_AUDIT_HASH_LEN, SQLITE_STATIC);
	if (node_count)
		sqlite3_bind_blob(stmt, 5, nodes, (int)(node_count * MCR_AUDIT_HASH_LEN),
		                  SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, 5);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		ret = mcr_audit_db_error(log, "append to");
	else if (sqlite3_changes(log->db) != 1) /* a planted trigger's RAISE(IGNORE) */
		ret = mcr_error(MCR_EAUDIT, "audit log '%s' silently dropped event %lld", log->path,
		                seq);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return ret;
}

/* Builds the body and appends it in its own transaction, or inside the caller's (locked). */
int mcr_audit_db_append(struct mcr_audit *log, const char *kind, const char *actor,
                        const cJSON *data, bool is_locked, struct mcr_audit_entry *out)
{
	struct mcr_buf body = MCR_BUF_INIT;
	struct mcr_audit_entry entry;
	int ret;

	if (log->is_damaged)
		return mcr_error(MCR_EAUDIT, "audit log '%s' is damaged; nothing can be appended",
		                 log->path);
	if (!is_valid_kind(kind))
		return mcr_error(MCR_EINPUT, "bad audit event kind '%s'", kind);
	if (!is_valid_actor(actor))
		return mcr_error(MCR_EINPUT, "bad audit actor '%s'", actor);
	if (data && !cJSON_IsObject(data))
		return mcr_error(MCR_EINPUT, "body of audit event '%s' is not a JSON object", kind);
	if ((ret = format_now(entry.time)) < 0 ||
	    (ret = make_body(&body, kind, actor, entry.time, data)) < 0)
		goto out;
	if (is_locked) {
		ret = append_locked(log, &body, &entry);
	} else if ((ret = mcr_audit_db_begin(log)) == 0) {
		if ((ret = append_locked(log, &body, &entry)) < 0)
			mcr_audit_db_rollback(log);
		else
			ret = mcr_audit_db_commit(log);
	}
	if (ret == 0 && out)
		*out = entry;
out:
	mcr_buf_release(&body);
	return ret;
}

int mcr_audit_append(struct mcr_audit *log, const char *kind, const char *actor, const cJSON *body,
                     struct mcr_audit_entry *out)
{
	return mcr_audit_db_append(log, kind, actor, body, log->is_batch, out);
}

int mcr_audit_begin(struct mcr_audit *log)
{
	int ret;

	if (log->is_batch)
		return mcr_error(MCR_EUSAGE, "audit log '%s' is already in a transaction",
		                 log->path);
	if (log->is_damaged)
		return mcr_error(MCR_EAUDIT, "audit log '%s' is damaged; nothing can be appended",
		                 log->path);
	if ((ret = mcr_audit_db_begin(log)) == 0)
		log->is_batch = true;
	return ret;
}

int mcr_audit_commit(struct mcr_audit *log)
{
	if (!log->is_batch)
		return mcr_error(MCR_EUSAGE, "audit log '%s' has no transaction to commit",
		                 log->path);
	log->is_batch = false;
	return mcr_audit_db_commit(log);
}

void mcr_audit_rollback(struct mcr_audit *log)
{
	log->is_batch = false;
	mcr_audit_db_rollback(log);
}

int mcr_audit_size(struct mcr_audit *log, long long *out)
{
	return query_int(log, "SELECT coalesce(max(seq), 0) FROM events", out);
}
