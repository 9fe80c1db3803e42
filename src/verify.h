/* mcurelease verify: is this image (or image hash) one of our releases, and does its record hold?
 */
#ifndef MCR_VERIFY_H
#define MCR_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "verify_git.h"
#include "verify_image.h"
#include "verify_record.h"

struct cJSON;
struct mcr_buf;

#define MCR_VERIFY_MAX_KEYS 16

/* What to verify and against what (docs/verify.md). Strings are borrowed. */
struct mcr_verify_opts {
	const char *image; /* the signed image (.bin or .hex); NULL with hash */
	const char *hash;  /* --hash: an MCUboot image digest or a signed file's SHA-256, hex */
	const char *provenance;  /* NULL: IMAGE.intoto.json if there is one */
	const char *audit_db;    /* NULL: the config's audit.database, if a config is found */
	const char *bundle;      /* an export bundle directory instead of the log */
	const char *repo;        /* NULL: the repository around the current directory, if any */
	const char *config_path; /* NULL: found as every command finds it; none is fine */
	const char *key_paths[MCR_VERIFY_MAX_KEYS]; /* --key: trusted release keys (PEM) */
	size_t key_count;                           /* 0: the config's signers' pinned keys */
	const char *log_key_path;                   /* NULL: the config's audit.log_signer */
};

/* The checks, in the order the verdict weighs them: the first that failed decides. */
enum mcr_verify_check_id {
	MCR_VERIFY_IMAGE,      /* the image's MCUboot signature, by a trusted key */
	MCR_VERIFY_LOG,        /* the log (or bundle) the record comes from verifies */
	MCR_VERIFY_PROOF,      /* the record is in a checkpoint signed by the log key */
	MCR_VERIFY_RECORD,     /* a sign.requested holds the image's digest */
	MCR_VERIFY_SIGNATURE,  /* a sign.completed of it holds the image's signature */
	MCR_VERIFY_PROVENANCE, /* the provenance statement agrees with the log and the image */
	MCR_VERIFY_TAG,        /* the tag is still the same tag object at the same commit */
	MCR_VERIFY_CHECK_COUNT,
};

enum mcr_verify_status { MCR_VERIFY_SKIPPED, MCR_VERIFY_PASSED, MCR_VERIFY_FAILED };

/* One check's outcome. */
struct mcr_verify_check {
	enum mcr_verify_status status;
	const char *reason; /* a failure's verify.* code (a string literal), else NULL */
	char *detail;       /* one line: what was found, what failed, or why it was not checked */
};

/* "image", "log", "proof", "record", "signature", "provenance", "tag". */
extern const char *const mcr_verify_check_names[MCR_VERIFY_CHECK_COUNT];
/* "skipped", "passed", "failed". */
const char *mcr_verify_status_name(enum mcr_verify_status status);

/* Where the record came from. */
enum mcr_verify_source {
	MCR_VERIFY_NO_SOURCE,
	MCR_VERIFY_AUDIT,
	MCR_VERIFY_BUNDLE,
	MCR_VERIFY_PROVENANCE_ONLY
};

/* Everything verify found. A plain struct; release with mcr_verify_report_release. */
struct mcr_verify_report {
	const char *reason; /* "verify.genuine", the deciding check's code, or NULL (not checked) */
	bool is_genuine;
	bool is_alarm; /* signed with our key outside a recorded, completed job */
	char *message; /* the verdict line, or the error when nothing could be checked */
	int status;    /* what mcr_verify_run returned */
	struct mcr_verify_check checks[MCR_VERIFY_CHECK_COUNT];

	char *image_path;              /* NULL with --hash */
	struct mcr_verify_image image; /* what the image says of itself */
	char hash[2 * 64 + 1];         /* --hash, lowercase; "" without */

	enum mcr_verify_source source;
	char *source_path;               /* the log, the bundle, or the provenance */
	char *provenance_path;           /* the provenance checked, or NULL */
	struct mcr_verify_record record; /* the request and completion, as proven */
	char *claimed_signed_at; /* the provenance's finishedOn (not covered by its proof) */
	char *checkpoint_origin; /* the checkpoint the proof leads to */
	long long checkpoint_size;
	/* a bundle: the events it holds, and the log's size when it was exported (export
	 * --since/--until leave out the rest, so what it lacks need not be missing from the log) */
	long long bundle_first_seq, bundle_last_seq, bundle_log_size;
	struct mcr_verify_tag tag; /* the tag now */
};

/*
 * Verifies opts->image (or opts->hash): the signature with the trusted keys,
 * then finds its release in the audit log, an export bundle or the
 * provenance, checks that source, the inclusion proof against a checkpoint
 * signed by the log key, that this very signature was recorded, and that the
 * tag has not moved. Returns 0 when genuine; MCR_EREFUSED with the deciding
 * reason code and the verdict line recorded when the answer is no; MCR_EUSAGE,
 * MCR_EINPUT, MCR_EAUDIT or MCR_ESYS when it could not check (an unreadable
 * image or key, nothing to check against, a log that cannot be opened). An
 * unreadable provenance or --repo is a skipped check saying why, and
 * MCR_EINPUT only when no check failed. out is filled as far as it got in
 * every case; release it.
 */
int mcr_verify_run(const struct mcr_verify_opts *opts, struct mcr_verify_report *out);
void mcr_verify_report_release(struct mcr_verify_report *report);

/* Sets a check's outcome and detail line (replacing what it had). 0 or MCR_ESYS. */
int mcr_verify_check_set(struct mcr_verify_check *check, enum mcr_verify_status status,
                         const char *reason, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* The human summary (verify_report.c): a few lines of provenance, each check, the verdict. */
int mcr_verify_report_text(struct mcr_buf *out, const struct mcr_verify_report *report);
/* The report as JSON (schemas/verify-result.schema.json); *out is the caller's (cJSON_Delete). */
int mcr_verify_report_json(struct cJSON **out, const struct mcr_verify_report *report);

#endif
