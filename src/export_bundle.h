/* Internal to the bundle export (export_bundle.c, export_bundle_events.c): a bundle being written
 * in a staging directory, and the list of its files for the manifest. */
#ifndef MCR_EXPORT_BUNDLE_H
#define MCR_EXPORT_BUNDLE_H

#include <stddef.h>

#include "buf.h"

struct mcr_export_model;
struct mcr_hash;

#define MCR_BUNDLE_MANIFEST  "MANIFEST.json"
#define MCR_BUNDLE_SIGNATURE "MANIFEST.json.sig"
#define MCR_BUNDLE_EVENTS    "events.jsonl"
#define MCR_BUNDLE_LOG_KEY   "keys/log.pem"
#define MCR_BUNDLE_TYPE      "mcurelease.export.bundle/v1"

/* A file of the bundle as the manifest lists it. */
struct mcr_bundle_file {
	char *path; /* relative, '/'-separated */
	char sha256[65];
	long long size;
};

struct mcr_bundle {
	const char *dir; /* the staging directory */
	const struct mcr_export_model *model;
	struct mcr_bundle_file *files;
	size_t file_count;
	size_t file_cap;
	char *checkpoint;   /* the latest checkpoint's file, or NULL */
	char *anchor_proof; /* the proof of the last event it covers, or NULL */
	long long checkpoint_size;
};

/* Writes a whole file of the bundle and lists it. Never replaces a file. */
int mcr_bundle_put(struct mcr_bundle *b, const char *rel, const void *data, size_t len);

/* A large file of the bundle written piece by piece (events.jsonl). */
struct mcr_bundle_stream {
	struct mcr_bundle *b;
	char *rel;
	int fd;
	struct mcr_hash *hash;
	long long size;
	struct mcr_buf pending;
};

int mcr_bundle_stream_open(struct mcr_bundle_stream *s, struct mcr_bundle *b, const char *rel);
int mcr_bundle_stream_write(struct mcr_bundle_stream *s, const void *data, size_t len);
/* Flushes, closes and lists the file. */
int mcr_bundle_stream_close(struct mcr_bundle_stream *s);
/* Closes without listing (after a failure); safe after close. */
void mcr_bundle_stream_release(struct mcr_bundle_stream *s);

/*
 * events.jsonl (the period's events, contiguous, with their exact bytes),
 * every stored checkpoint, and an inclusion proof of each release and of the
 * last event the latest checkpoint covers (export_bundle_events.c).
 */
int mcr_bundle_write_events(struct mcr_bundle *b);

#endif
