/* 'mcurelease audit export' and 'audit verify-export': compliance evidence of the log, and the
 * offline check of a bundle. */
#include "cmd_audit_export.h"

#include "audit.h"
#include "buf.h"
#include "checkpoint.h"
#include "cli.h"
#include "cmd_audit.h"
#include "config.h"
#include "error.h"
#include "export.h"
#include "json.h"
#include "key.h"
#include "signer.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_FORMAT = OPT_CONSISTENCY + 1,
	OPT_PRODUCT,
	OPT_MAX_ROWS,
};

struct export_opts {
	struct mcr_cmd_audit_opts base; /* the options every audit verb shares */
	const char *format;
	const char *product;
	unsigned long long max_rows;
};

static int handle_option(void *ctx, int id, const char *arg, const char *arg2)
{
	struct export_opts *o = ctx;
	struct mcr_cmd_audit_opts *b = &o->base;

	(void)arg2;
	switch (id) {
	case OPT_DB:
		b->db_path = arg;
		break;
	case OPT_CONFIG:
		b->config_path = arg;
		break;
	case OPT_SINCE:
		b->filter.since = arg;
		break;
	case OPT_UNTIL:
		b->filter.until = arg;
		break;
	case OPT_KEY:
		b->key_path = arg;
		break;
	case OPT_SIGNER:
		b->signer_ref = arg;
		break;
	case OPT_ORIGIN:
		b->origin = arg;
		break;
	case OPT_OUT:
		b->out_path = arg;
		break;
	case OPT_JSON:
		b->is_json = true;
		break;
	case OPT_FORMAT:
		o->format = arg;
		break;
	case OPT_PRODUCT:
		o->product = arg;
		break;
	case OPT_MAX_ROWS:
		return mcr_cli_parse_number(&o->max_rows, arg, 100000000, "--max-rows");
	case OPT_CHECKPOINT:
		if (b->checkpoint_count == MCR_CMD_AUDIT_MAX_CHECKPOINTS)
			return mcr_error(MCR_EUSAGE, "at most %d '--checkpoint' files",
			                 MCR_CMD_AUDIT_MAX_CHECKPOINTS);
		b->checkpoints[b->checkpoint_count++] = arg;
		break;
	}
	return 0;
}

static const struct mcr_option export_options[] = {
        {.long_name = "format",
         .arg_name = "FORMAT",
         .id = OPT_FORMAT,
         .help = "json, csv, html, pdf or bundle (required)"},
        {.long_name = "out",
         .short_name = 'o',
         .arg_name = "PATH",
         .id = OPT_OUT,
         .help = "where to write (a bundle: a new directory, or a file ending in .tar)"},
        {.long_name = "product",
         .arg_name = "NAME",
         .id = OPT_PRODUCT,
         .help = "the product reported on (default: the config's)"},
        {.long_name = "since",
         .arg_name = "TIME",
         .id = OPT_SINCE,
         .help = "period start (UTC, 2026-11-05 or 2026-11-05T12:00:00Z)"},
        {.long_name = "until",
         .arg_name = "TIME",
         .id = OPT_UNTIL,
         .help = "period end (a date alone: that whole day)"},
        {.long_name = "max-rows",
         .arg_name = "N",
         .id = OPT_MAX_ROWS,
         .help = "HTML/PDF: list at most the latest N rows per table (default 250; 0: all)"},
        OPTION_DB,
        OPTION_CONFIG,
        OPTION_KEY,
        {.long_name = "signer",
         .arg_name = "REF",
         .id = OPT_SIGNER,
         .help = "bundle: the log key signing the manifest (default: audit.log_signer)"},
        {.long_name = "checkpoint",
         .arg_name = "FILE",
         .id = OPT_CHECKPOINT,
         .help = "also check the chain against this published checkpoint (repeatable)"},
        OPTION_ORIGIN,
        {.id = 0},
};

static const struct mcr_cli_spec export_spec = {
        "audit export",
        "--format json|csv|html|pdf|bundle -o PATH [options]",
        "Writes compliance evidence of the audit log for a product and period: the release\n"
        "register, refusals and failures, key inventory and custody, tag signers and builders,\n"
        "the chain verdict and latest checkpoint, and the EN 18031 / CRA requirement table.\n"
        "A bundle adds the exact events, checkpoints, inclusion proofs and public keys, with a\n"
        "manifest signed by the log key (docs/export.md). PDF needs Chromium.\n"
        "Exit status: 0 written, 2 usage, 3 bad input, 5 log unusable, 6 chromium or tar missing.",
        export_options,
        0,
        0,
};

/* --checkpoint files must exist; the config's published copies are used when present. */
static int gather_anchors(struct mcr_checkpoint_anchors *list, const struct mcr_cmd_audit_opts *o)
{
	const struct mcr_audit_config *ac = o->config ? &o->config->audit : NULL;
	int ret;

	for (size_t i = 0; i < o->checkpoint_count; i++)
		if ((ret = mcr_checkpoint_anchors_add_file(list, o->checkpoints[i], false)) < 0)
			return ret;
	if (ac && ac->checkpoint_file && !o->checkpoint_count &&
	    (ret = mcr_checkpoint_anchors_add_file(list, ac->checkpoint_file, true)) < 0)
		return ret;
	if (ac && ac->checkpoint_ref &&
	    (ret = mcr_checkpoint_anchors_add_ref(list, mcr_config_checkpoint_repo(o->config, NULL),
	                                          ac->checkpoint_ref, true)) <
	            0)
		return ret;
	return 0;
}

/* The manifest's signer: --signer, else audit.log_signer. Only a bundle needs one. */
static int open_signer(struct mcr_signer **out, const struct export_opts *o)
{
	const struct mcr_signer_config *cfg = mcr_cmd_audit_log_signer(&o->base);

	*out = NULL;
	if (strcmp(o->format, "bundle"))
		return 0;
	if (o->base.signer_ref)
		return mcr_signer_open_ref(out, o->base.signer_ref, o->base.config_path);
	if (!cfg)
		return mcr_error(MCR_EUSAGE, "a bundle is signed with the log key: set "
		                             "audit.log_signer in the config or give --signer");
	return mcr_signer_open(out, cfg);
}

static int setup(struct export_opts *o, int argc, char **argv)
{
	int first, ret;

	memset(o, 0, sizeof(*o));
	o->max_rows = MCR_EXPORT_DEFAULT_MAX_ROWS;
	if ((ret = mcr_cli_parse(&export_spec, argc, argv, handle_option, o, &first)) != 0)
		return ret;
	if (!o->format || !o->base.out_path)
		return mcr_error(MCR_EUSAGE, "'audit export' needs --format and -o PATH");
	if (!mcr_export_find(o->format))
		return mcr_error(MCR_EUSAGE, "unknown export format '%s' (%s)", o->format,
		                 mcr_export_format_names());
	if ((o->base.config_path || !o->base.db_path) &&
	    (ret = mcr_config_load(&o->base.config, o->base.config_path)) < 0)
		return ret;
	if (!o->base.db_path)
		o->base.db_path = o->base.config->audit.database;
	return 0;
}

static void report(const struct export_opts *o, const struct mcr_export_model *m)
{
	if (!m->report.is_valid)
		mcr_cli_warn("audit log '%s' does not verify; the export records it as INVALID",
		             m->log_path);
	printf("wrote %s %s (%s, events %lld to %lld: %zu releases, %zu refused, %zu failed; "
	       "chain %s)\n",
	       o->format, o->base.out_path, m->product ? m->product : "no product", m->first_seq,
	       m->last_seq, m->release_count, m->refusal_count, m->failure_count,
	       m->report.is_valid ? "valid" : "INVALID");
}

int mcr_cmd_audit_export(int argc, char **argv)
{
	struct mcr_checkpoint_anchors anchors = {0};
	struct mcr_audit_verify_opts vopts = {0};
	struct mcr_export_opts eopts = {0};
	struct mcr_export_model model = {0};
	struct mcr_signer *signer = NULL;
	struct mcr_key *key = NULL;
	struct mcr_audit *log = NULL;
	struct export_opts o;
	int ret;

	if ((ret = setup(&o, argc, argv)) != 0 || (ret = mcr_cmd_audit_open(&log, &o.base)) < 0 ||
	    (ret = open_signer(&signer, &o)) < 0 ||
	    (ret = mcr_cmd_audit_log_key(&key, &o.base)) < 0 ||
	    (ret = mcr_cmd_audit_origin(&o.base, &vopts.origin)) < 0 ||
	    (ret = gather_anchors(&anchors, &o.base)) < 0)
		goto out;
	vopts.log_key = key ? key : (signer ? mcr_signer_key(signer) : NULL);
	vopts.anchors = anchors.items;
	vopts.anchor_count = anchors.count;
	eopts = (struct mcr_export_opts){o.product,
	                                 o.base.filter.since,
	                                 o.base.filter.until,
	                                 (size_t)o.max_rows,
	                                 o.base.config,
	                                 vopts.origin,
	                                 &vopts,
	                                 signer};
	if ((ret = mcr_export_collect(&model, log, &eopts)) < 0 ||
	    (ret = mcr_export_write(mcr_export_find(o.format), &model, &eopts, o.base.out_path)) <
	            0)
		goto out;
	report(&o, &model);
out:
	mcr_export_model_release(&model);
	mcr_checkpoint_anchors_release(&anchors);
	mcr_signer_free(signer);
	mcr_key_free(key);
	mcr_audit_free(log);
	mcr_cmd_audit_release(&o.base);
	return ret > 0 ? 0 : ret;
}

/* ---- verify-export ---- */

static const struct mcr_option verify_options[] = {
        {.long_name = "key",
         .arg_name = "PEM",
         .id = OPT_KEY,
         .help = "the log's public key you trust (default: the bundle's own copy, which proves "
                 "integrity but not origin)"},
        OPTION_JSON,
        {.id = 0},
};

static const struct mcr_cli_spec verify_spec = {
        "audit verify-export",
        "[--key LOG.pem] BUNDLE",
        "Checks an export bundle (a directory or .tar) offline, with nothing but the bundle and\n"
        "the log's public key: the manifest's signature, every file's SHA-256, no file missing\n"
        "or added, the chain recomputed over events.jsonl, every checkpoint's signature, and\n"
        "each release's inclusion proof against the latest checkpoint.\n"
        "Exit status: 0 valid, 1 invalid (the first finding on stderr, its reason code with\n"
        "--json), 3 not a bundle, 6 tar missing.",
        verify_options,
        1,
        1,
};

static int print_json(const char *path, const struct mcr_export_check *c)
{
	struct mcr_buf text = MCR_BUF_INIT;
	cJSON *doc = cJSON_CreateObject();
	int ret;

	if (!doc)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_json_add_string(doc, "bundle", path)) < 0 ||
	    (ret = mcr_json_add_string(doc, "verdict", c->is_valid ? "valid" : "invalid")) < 0 ||
	    (ret = mcr_json_add_string(doc, "reason", c->reason)) < 0 ||
	    (ret = mcr_json_add_string(doc, "message", c->message)) < 0 ||
	    (ret = mcr_json_add_string(doc, "product", c->product)) < 0 ||
	    (ret = mcr_json_add_bool(doc, "key_pinned", c->is_key_pinned)) < 0 ||
	    (ret = mcr_json_add_string(doc, "key_fingerprint", c->key_fingerprint)) < 0 ||
	    (ret = mcr_json_add_int(doc, "first_seq", c->first_seq)) < 0 ||
	    (ret = mcr_json_add_int(doc, "last_seq", c->last_seq)) < 0 ||
	    (ret = mcr_json_add_int(doc, "checkpoint_size", c->checkpoint_size)) < 0 ||
	    (ret = mcr_json_add_int(doc, "proven_through", c->proven_through)) < 0 ||
	    (ret = mcr_json_add_int(doc, "files", (long long)c->file_count)) < 0 ||
	    (ret = mcr_json_add_int(doc, "proofs", (long long)c->proof_count)) < 0 ||
	    (ret = mcr_json_pretty(&text, doc)) < 0)
		goto out;
	fwrite(text.data, 1, text.len, stdout);
out:
	cJSON_Delete(doc);
	mcr_buf_release(&text);
	return ret;
}

int mcr_cmd_audit_verify_export(int argc, char **argv)
{
	struct mcr_export_check check = {0};
	struct mcr_key *key = NULL;
	struct export_opts o;
	int first, ret;

	memset(&o, 0, sizeof(o));
	if ((ret = mcr_cli_parse(&verify_spec, argc, argv, handle_option, &o, &first)) != 0 ||
	    (o.base.key_path && (ret = mcr_key_load_pem(&key, o.base.key_path)) < 0) ||
	    (ret = mcr_export_verify_bundle(argv[first], key, &check)) < 0)
		goto out;
	if (o.base.is_json)
		ret = print_json(argv[first], &check);
	else
		printf("bundle %s\n%s%s\n", argv[first],
		       check.lines.data ? (char *)check.lines.data : "",
		       check.is_valid ? "valid" : "INVALID");
	if (ret == 0 && !check.is_valid)
		ret = mcr_error_set_reason(mcr_error(MCR_EREFUSED,
		                                     "export bundle does not verify: %s",
		                                     check.message ? check.message : "?"),
		                           check.reason ? check.reason : "export.invalid");
out:
	mcr_export_check_release(&check);
	mcr_key_free(key);
	return ret > 0 ? 0 : ret;
}
