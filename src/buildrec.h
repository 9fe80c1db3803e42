/* Build records: what a builder built from which tag, signed with its SSH key (docs/builds.md). */
#ifndef MCR_BUILDREC_H
#define MCR_BUILDREC_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "hash.h"
#include "version.h"

struct cJSON;
struct mcr_image_config;
struct mcr_image_spec;

#define MCR_BUILDREC_FORMAT "mcurelease.build-record/v1"
/* The ssh-keygen -Y namespace of record signatures: a tag or commit signature cannot pass as one. */
#define MCR_BUILDREC_NAMESPACE "mcurelease-build"
#define MCR_BUILDREC_OID_MAX 65			 /* hex object id (SHA-1 or SHA-256) plus NUL */
#define MCR_BUILDREC_SHA256_HEX 65		 /* 64 hex digits plus NUL */
#define MCR_BUILDREC_DIGEST_HEX (2 * MCR_HASH_MAX_LEN + 1)
#define MCR_BUILDREC_TIME_MAX 21		 /* "2025-01-31T12:00:00Z" plus NUL */
#define MCR_BUILDREC_MAX_LEN ((size_t)1 << 20) /* a record file larger than this is malformed */

/* One file the build produced. */
struct mcr_buildrec_artifact {
	char *path;			      /* relative to the checkout, '/'-separated */
	unsigned long long size;
	char sha256[MCR_BUILDREC_SHA256_HEX]; /* of the file's bytes */
	bool has_mcuboot;		      /* false: the file cannot be laid out as an image */
	enum mcr_hash_alg mcuboot_hash_alg;
	char mcuboot_digest[MCR_BUILDREC_DIGEST_HEX]; /* what mcurelease would send to the signer */
	char mcuboot_version[MCR_VERSION_TEXT_MAX];   /* the version in that image's header */
	bool has_security_counter;
	unsigned long security_counter;
};

/* A program the build ran or may have run, as found in the build's PATH. */
struct mcr_buildrec_tool {
	char *name;			      /* as the command or the tool list names it */
	char *path;			      /* resolved; relative to the checkout if in it */
	char sha256[MCR_BUILDREC_SHA256_HEX]; /* of the program file */
	char *version;			      /* first line of its --version, or NULL (not asked) */
};

/*
 * A build record. Plain data the caller holds: init, fill, release. Strings
 * and arrays are owned by the record. The fields are the "record" object of
 * schemas/build-record.schema.json, one to one.
 */
struct mcr_buildrec {
	char *tag;				   /* "tag" */
	char tag_object[MCR_BUILDREC_OID_MAX];	   /* "tag_object" */
	char commit[MCR_BUILDREC_OID_MAX];	   /* "commit" */
	long long commit_time;			   /* "commit_time": committer time, seconds */
	char *builder_id;			   /* "builder_id": its allowed_signers principal */
	char *builder_key;			   /* "builder_key": "SHA256:..." of its SSH key */
	char **command;				   /* "command": argv, NULL-terminated */
	long long source_date_epoch;		   /* "source_date_epoch" */
	char env_sha256[MCR_BUILDREC_SHA256_HEX];  /* "environment.sha256" */
	char **env_names;			   /* "environment.names", sorted, NULL-terminated */
	struct mcr_buildrec_tool *tools;	   /* "tools" */
	size_t tool_count;
	struct mcr_buildrec_artifact *artifacts;   /* "artifacts" */
	size_t artifact_count;
	char started[MCR_BUILDREC_TIME_MAX];	   /* "started": UTC, RFC 3339 */
	char finished[MCR_BUILDREC_TIME_MAX];	   /* "finished" */
	char *mcurelease_version;		   /* "mcurelease_version" */
	struct mcr_buf signature;		   /* armored SSH signature; empty until signed */
};

void mcr_buildrec_init(struct mcr_buildrec *rec);
void mcr_buildrec_release(struct mcr_buildrec *rec);

/* Replaces rec->command with a copy of argv, or rec->env_names with a sorted copy of names. */
int mcr_buildrec_set_command(struct mcr_buildrec *rec, const char *const *argv);
int mcr_buildrec_set_env_names(struct mcr_buildrec *rec, const char *const *names);
/* Adds an empty tool or artifact slot and gives a pointer to it (valid until the next add). */
int mcr_buildrec_add_tool(struct mcr_buildrec_tool **out, struct mcr_buildrec *rec);
int mcr_buildrec_add_artifact(struct mcr_buildrec_artifact **out, struct mcr_buildrec *rec);

/* time (seconds since the epoch) as "YYYY-MM-DDTHH:MM:SSZ". */
void mcr_buildrec_format_time(char *out, long long time);

/*
 * The "record" object as JSON; the caller frees *out with cJSON_Delete.
 * MCR_EINPUT if a required field is unset.
 */
int mcr_buildrec_to_json(struct cJSON **out, const struct mcr_buildrec *rec);

/* What the signature covers: mcr_json_canonical of the "record" object, appended to out. */
int mcr_buildrec_canonical(struct mcr_buf *out, const struct mcr_buildrec *rec);

/*
 * Writes the record file {"format", "record", "signature"} to path atomically
 * (pretty-printed; any JSON re-formatting keeps it valid). The record must be
 * signed. Errors name path.
 */
int mcr_buildrec_write(const struct mcr_buildrec *rec, const char *path);

/*
 * Parses a record file's bytes strictly: the format string, every key known
 * and of its type, ids and digests lower-case hex of the right length, times
 * in the form above, a signature present. *out is initialised in every case;
 * release it. MCR_EINPUT naming subject (the file) and the first problem.
 */
int mcr_buildrec_parse(struct mcr_buildrec *out, const unsigned char *text, size_t len,
		       const char *subject);

/* True for a path that names something inside a directory: relative, no '', '.' or '..' part. */
bool mcr_buildrec_path_is_inside(const char *path);

/*
 * Measures root/rel_path into *out: size, SHA-256, and, when spec is not
 * NULL, the MCUboot digest of the file laid out as an image (has_mcuboot
 * stays false when it cannot be: no zero header, too big for the slot...).
 * The path must be relative, without '..', and stay inside root once
 * symlinks are resolved. MCR_EINPUT naming rel_path otherwise or when it is
 * missing.
 */
int mcr_buildrec_measure(struct mcr_buildrec_artifact *out, const char *root,
			 const char *rel_path, const struct mcr_image_spec *spec);

/*
 * The artifacts of a and b (same paths, same order) whose SHA-256 differ, as
 * a comma-separated list appended to out; empty when they agree.
 */
int mcr_buildrec_compare(struct mcr_buf *out, const struct mcr_buildrec *a,
			 const struct mcr_buildrec *b);

/* buildrec_sig.c: signing and verifying with ssh-keygen -Y, namespace MCR_BUILDREC_NAMESPACE. */

/*
 * The "SHA256:..." fingerprint of an SSH key file (private, or public with
 * the private half in ssh-agent); *out is malloc'd. MCR_EINPUT naming
 * key_path when ssh-keygen cannot read it; MCR_ESYS when it cannot be run.
 */
int mcr_buildrec_key_id(char **out, const char *key_path);

/*
 * Sets rec->builder_key to the fingerprint of key_path (a private key, or a
 * public key whose private half is in ssh-agent), then signs the canonical
 * record with it and checks the signature before keeping it in
 * rec->signature. MCR_EINPUT for an unusable key; MCR_ESYS when ssh-keygen
 * cannot be run.
 */
int mcr_buildrec_sign(struct mcr_buildrec *rec, const char *key_path);

/*
 * Verifies rec->signature over the canonical record as made by the key of
 * rec->builder_id in allowed_signers (judged now), and that this key is
 * rec->builder_key. 0 when it is; else MCR_EREFUSED with reason
 * records.bad_signature (the bytes or the signature were altered),
 * records.untrusted_builder (the key is not allowed, for this namespace or
 * now), or records.builder_mismatch (signed by another builder's key);
 * MCR_EINPUT for an unreadable allowed_signers file; MCR_ESYS when ssh-keygen
 * cannot be run. subject names the record in messages.
 */
int mcr_buildrec_verify(const struct mcr_buildrec *rec, const char *allowed_signers,
			const char *subject);

#endif
