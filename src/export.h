/* Compliance exports of the audit log: the report model, collected once, and the exporters that
 * render it (JSON, CSV, HTML, PDF, a signed bundle). */
#ifndef MCR_EXPORT_H
#define MCR_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "audit.h"
#include "buf.h"

struct mcr_config;
struct mcr_key;
struct mcr_signer;
struct mcr_export_arena;

/* The HTML and PDF reports list at most this many rows per table unless told otherwise. */
#define MCR_EXPORT_DEFAULT_MAX_ROWS 250
/* How long Chromium may take to print a report. */
#define MCR_EXPORT_PDF_TIMEOUT_MS 300000

/*
 * The model. Plain data: strings point into the model's arena, or into the
 * config (which must outlive the model); NULL means "not recorded". Built by
 * mcr_export_collect, released by mcr_export_model_release.
 */

/* Who signed a release tag, as the release job recorded it. */
struct mcr_export_tag_signer {
	const char *format; /* "openpgp" or "ssh" */
	const char *identity;
	const char *key;
};

/* One counted build record of a request. */
struct mcr_export_record {
	const char *builder;
	const char *key;
	const char *sha256; /* of the record file */
	const char *artifact;
};

/* A label and a value, for custody facts and other open-ended details. */
struct mcr_export_fact {
	const char *label;
	const char *value;
};

enum mcr_export_outcome_kind {
	MCR_EXPORT_PENDING, /* no outcome recorded in the period */
	MCR_EXPORT_COMPLETED,
	MCR_EXPORT_REFUSED,
	MCR_EXPORT_FAILED,
};

/* A sign.requested or sign.idempotent event. */
struct mcr_export_request {
	long long seq;
	const char *time;
	const char *kind;
	const char *actor;
	const char *request_id;
	const char *mode;
	const char *product;
	const char *requester;
	const char *tag;
	const char *tag_object;
	const char *commit;
	const char *version;
	bool has_security_counter;
	long long security_counter;
	struct mcr_export_tag_signer tag_signer;
	const char *image_name;
	const char *image_sha256;
	long long image_size; /* -1: not recorded */
	const char *digest_alg;
	const char *digest_hex;
	struct mcr_export_record *records;
	size_t record_count;
	const char *signer_name;
	const char *signer_backend;
	const char *signer_key_type;
	const char *signer_fingerprint;
	long long signer_strength_bits; /* 0: not recorded */
	bool is_dev_signer;
	struct mcr_export_fact *signer_facts; /* the backend's custody facts, as recorded */
	size_t signer_fact_count;
	long long previous_seq; /* sign.idempotent: the earlier sign.completed; else 0 */
	enum mcr_export_outcome_kind outcome;
	bool is_excluded; /* of another product than the export's */
};

/* A sign.completed event, joined with its request by requested_seq. */
struct mcr_export_release {
	long long seq;
	const char *time;
	const char *actor;
	long long requested_seq;
	const struct mcr_export_request *request; /* NULL if the log does not hold it */
	const char *request_id;
	const char *tag;
	const char *image_sha256;
	const char *digest_alg;
	const char *digest_hex;
	const char *signature_sha256;
	long long signature_len;
	const char *key_name;
	const char *key_type;
	const char *key_fingerprint;
	const char *signed_image_name; /* NULL: signed on a signing host, which never sees it */
	const char *signed_image_sha256;
	long long signed_image_size;
	const char *provenance_sha256;
};

/* A sign.refused or sign.failed event. */
struct mcr_export_outcome {
	long long seq;
	const char *time;
	const char *actor;
	const char *request_id;
	const char *tag;
	const char *image_sha256;
	const char *stage;
	const char *reason;
	const char *message;
	long long request_seq; /* the request it answers, 0 if none is in the log */
};

/* One event, as a row of the CSV export. */
struct mcr_export_event {
	long long seq;
	const char *time;
	const char *kind;
	const char *actor;
	const char *tag;
	const char *image_sha256;
	const char *digest; /* "alg:hex" */
	const char *reason;
	const char *request_id;
	char hash[2 * MCR_AUDIT_HASH_LEN + 1];
};

/* Something in the log that does not add up (a completion without its request, ...). */
struct mcr_export_anomaly {
	long long seq;
	const char *reason; /* "export.unmatched_completion", ... */
	const char *message;
};

/* A configured signer: the key inventory and its custody statement. No secrets. */
struct mcr_export_key {
	const char *name;
	const char *role;        /* "release signer", "log signer", "configured signer" */
	const char *backend;     /* "pkcs11", "vault-transit", "command", "file" */
	bool is_dev;             /* a file backend: a development key */
	const char *key_type;    /* NULL if neither the config nor the log says */
	unsigned strength_bits;  /* 0: unknown */
	const char *fingerprint; /* SHA-256 of MCUboot's public key bytes */
	const char *fingerprint_source;
	const char *public_key_pem;    /* NULL if no public key is pinned */
	struct mcr_export_fact *facts; /* what the config says about where the key lives */
	size_t fact_count;
	const struct mcr_export_request *last_request; /* custody facts recorded at signing time */
	long long signatures;                          /* releases it signed in the period */
	const char *first_used;
	const char *last_used;
	const char *statement; /* one paragraph: where the key is and who can use it */
};

/* A line of an allowed_signers file, or a trusted OpenPGP fingerprint. */
struct mcr_export_trusted {
	const char *source; /* the file it comes from, or "policy.tag.gpg_fingerprints" */
	const char *principals;
	const char *key_type;
	const char *fingerprint;
};

/* An identity seen in the period: a tag signer or a builder, and how often. */
struct mcr_export_identity {
	const char *format;   /* tag signers: "openpgp", "ssh"; builders: NULL */
	const char *identity; /* principal, fingerprint, builder id */
	const char *key;
	long long releases;
	const char *first;
	const char *last;
};

/* A policy file, named and hashed so the reader can tell which version was in force. */
struct mcr_export_file {
	const char *role;
	const char *path;
	const char *sha256; /* NULL if it could not be read */
};

enum mcr_export_status {
	MCR_EXPORT_EVIDENCED,   /* mcurelease's records answer the requirement's question for this
	                           scope */
	MCR_EXPORT_PARTIAL,     /* they contribute; the manufacturer must add the rest */
	MCR_EXPORT_NOT_COVERED, /* outside what a signing log can show */
	MCR_EXPORT_ATTENTION, /* the records show a problem (invalid chain, development key, ...) */
};

/* A row of the requirement → evidence table (en18031.c). */
struct mcr_export_requirement {
	const char *id; /* "EN 18031 SUM-2", "CRA Annex VII" */
	const char *title;
	const char *asks;         /* what the requirement asks, paraphrased */
	const char *info;         /* the E.Info identifiers, or the CRA point */
	const char *evidence;     /* what mcurelease evidences, in general */
	const char *observed;     /* what this export shows for it (generated) */
	const char *manufacturer; /* what the manufacturer must add */
	enum mcr_export_status status;
};

struct mcr_export_model {
	/* scope */
	const char *product;
	const char *since; /* as given, or NULL */
	const char *until;
	const char *created; /* UTC time of the export */
	const char *generator;
	const char *log_path;
	const char *origin; /* checkpoint origin, NULL without a config or --origin */
	long long log_size;
	unsigned char log_root[MCR_AUDIT_HASH_LEN];
	long long first_seq; /* the period's events: first and last seq, 0 if none */
	long long last_seq;
	size_t max_rows; /* HTML/PDF rows per table; 0: all */

	struct mcr_export_event *events;
	size_t event_count;
	struct mcr_export_request **requests; /* in seq order; some may lie before the period */
	size_t request_count;
	struct mcr_export_release *releases;
	size_t release_count;
	struct mcr_export_outcome *refusals;
	size_t refusal_count;
	struct mcr_export_outcome *failures;
	size_t failure_count;
	struct mcr_export_anomaly *anomalies;
	size_t anomaly_count;
	size_t excluded_count; /* requests of other products left out */
	size_t checkpoint_event_count;

	struct mcr_audit_report report; /* the chain verdict */
	struct mcr_audit_stored_checkpoint *checkpoints;
	size_t checkpoint_count;

	struct mcr_export_key *keys;
	size_t key_count;
	struct mcr_export_trusted *tag_trust;
	size_t tag_trust_count;
	struct mcr_export_identity *tag_signers;
	size_t tag_signer_count;
	struct mcr_export_trusted *builder_trust;
	size_t builder_trust_count;
	struct mcr_export_identity *builders;
	size_t builder_count;
	unsigned builder_quorum;
	struct mcr_export_file *policy_files;
	size_t policy_file_count;
	const char *release_signer;
	unsigned min_strength_bits;
	bool allow_dev_keys;

	struct mcr_export_requirement *requirements;
	size_t requirement_count;

	struct mcr_audit *log; /* borrowed: the bundle re-reads the exact event bytes */
	struct mcr_export_arena *arena;
};

/* What to export and how. */
struct mcr_export_opts {
	const char *product; /* NULL: the config's */
	const char *since;
	const char *until;
	size_t max_rows;
	const struct mcr_config *config;            /* may be NULL: no key inventory, no policy */
	const char *origin;                         /* checkpoint origin; NULL: from the config */
	const struct mcr_audit_verify_opts *verify; /* how to check the chain */
	struct mcr_signer *log_signer; /* signs a bundle's manifest; required for "bundle" */
};

/*
 * Collects the model: reads the period's events once and joins them
 * (completions to requests by requested_seq, refusals and failures by
 * request_id), verifies the chain with opts->verify, lists the stored
 * checkpoints, builds the key inventory and trust lists from the config and
 * assesses the requirements. MCR_EAUDIT if the log cannot be read,
 * MCR_EUSAGE if it holds checkpoints and no log key was given. Release out
 * with mcr_export_model_release, even after a failure.
 */
int mcr_export_collect(struct mcr_export_model *out, struct mcr_audit *log,
                       const struct mcr_export_opts *opts);
void mcr_export_model_release(struct mcr_export_model *model);

/* One output format. A constant table; export.c finds it by name and is the only caller. */
struct mcr_exporter {
	const char *name;
	const char *summary;
	/*
	 * Appends the whole output to out; export.c writes it atomically. NULL
	 * for formats that write a tree of their own (write).
	 */
	int (*render)(const struct mcr_export_model *model, const struct mcr_export_opts *opts,
	              struct mcr_buf *out);
	/* Writes path itself (the bundle), leaving nothing behind on failure. */
	int (*write)(const struct mcr_export_model *model, const struct mcr_export_opts *opts,
	             const char *path);
};

/* The exporter called name, or NULL. */
const struct mcr_exporter *mcr_export_find(const char *name);
/* "json|csv|html|pdf|bundle", for usage lines. */
const char *mcr_export_format_names(void);

/*
 * Renders model with exporter and writes path (temp file, fsync, rename; the
 * bundle: a staging directory renamed into place). An existing bundle
 * directory is MCR_EINPUT.
 */
int mcr_export_write(const struct mcr_exporter *exporter, const struct mcr_export_model *model,
                     const struct mcr_export_opts *opts, const char *path);
/* As the exporter's render, into out (for the bundle's copies and the PDF's HTML). */
int mcr_export_render(const char *format, const struct mcr_export_model *model,
                      const struct mcr_export_opts *opts, struct mcr_buf *out);

/* ---- shared by the export modules ---- */

/* size zeroed bytes in the model's arena, freed with it; NULL when out of memory. */
void *mcr_export_alloc(struct mcr_export_model *model, size_t size);
/* A copy of s (NULL stays NULL) in the model's arena; NULL only when out of memory. */
const char *mcr_export_strdup(struct mcr_export_model *model, const char *s);
/* A printf into the model's arena. */
const char *mcr_export_printf(struct mcr_export_model *model, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Grows a malloc'd array to hold one more item of size bytes; MCR_ESYS when out of memory. */
int mcr_export_grow(void **items, size_t *cap, size_t count, size_t size);
/* "evidenced", "partial", "not covered", "attention". */
const char *mcr_export_status_name(enum mcr_export_status status);
/* "pending", "completed", "refused", "failed". */
const char *mcr_export_outcome_name(enum mcr_export_outcome_kind outcome);
/* The rows of a table of count items the HTML shows: the latest max_rows (0: all). */
size_t mcr_export_first_shown(const struct mcr_export_model *model, size_t count);

/* ---- the parts mcr_export_collect calls ---- */

/* Reads the period's events into the model and joins them (export_model.c). */
int mcr_export_collect_events(struct mcr_export_model *model, struct mcr_audit *log,
                              const struct mcr_audit_filter *filter);
/* Key inventory and custody statements from config, if any (export_inventory.c). */
int mcr_export_collect_inventory(struct mcr_export_model *model, const struct mcr_config *config);
/*
 * Who signed tags and built images in the period; with a config, also who may
 * (keyrings, allowed_signers) and the policy files, hashed (export_trust.c).
 */
int mcr_export_collect_trust(struct mcr_export_model *model, const struct mcr_config *config);

/* ---- the bundle (export_bundle.c, export_verify.c) ---- */

/* What verify-export found. A plain struct; release with mcr_export_check_release. */
struct mcr_export_check {
	bool is_valid;
	bool is_key_pinned; /* the key came from --key, not from the bundle */
	const char *reason; /* the first finding's reason code, or NULL */
	char *message;      /* the first finding, or NULL */
	char *product;
	char *key_fingerprint;
	long long first_seq; /* events.jsonl: the range it holds */
	long long last_seq;
	long long event_count;
	long long checkpoint_size; /* 0: no checkpoint in the bundle */
	long long proven_through;  /* events up to this seq are proven in that checkpoint */
	size_t file_count;         /* listed files that match */
	size_t proof_count;        /* proofs that verify */
	size_t checkpoint_count;   /* checkpoints whose signature verifies */
	size_t line_count;
	struct mcr_buf lines; /* one line per check and finding, for the human report */
};

/*
 * Checks a bundle (a directory, or a .tar it unpacks into a temp directory)
 * offline: the manifest's signature by pinned_key (NULL: the key the bundle
 * holds), every file's SHA-256 and size, no file missing or unlisted, the
 * chain recomputed over events.jsonl, every checkpoint's signature, and each
 * proof against the latest checkpoint. Returns 0 with the verdict in out
 * (export.bad_manifest, export.bad_manifest_signature, export.missing_file,
 * export.unlisted_file, export.file_mismatch, export.chain_broken,
 * export.bad_checkpoint, export.bad_proof, export.missing_proof); MCR_EINPUT
 * if path is not a bundle at all, MCR_ESYS if tar is missing.
 */
int mcr_export_verify_bundle(const char *path, const struct mcr_key *pinned_key,
                             struct mcr_export_check *out);
void mcr_export_check_release(struct mcr_export_check *check);

#endif
