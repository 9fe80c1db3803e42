/* 'mcurelease audit': verify the log, list and show events, make checkpoints, give and check
 * proofs. */
#include "cmd_audit.h"
#include "cmd_audit_export.h"

#include "audit.h"
#include "buf.h"
#include "checkpoint.h"
#include "cli.h"
#include "config.h"
#include "error.h"
#include "fileio.h"
#include "json.h"
#include "key.h"
#include "signer.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mcr_cmd_audit_parse_seq(long long *out, const char *text, const char *what)
{
	unsigned long long value;
	int ret;

	if ((ret = mcr_cli_parse_number(&value, text, (unsigned long long)1 << 62, what)) < 0)
		return ret;
	*out = (long long)value;
	return 0;
}

/* The options that just keep their value. */
static const struct {
	int id;
	size_t offset;
} string_options[] = {
        {OPT_DB, offsetof(struct mcr_cmd_audit_opts, db_path)},
        {OPT_CONFIG, offsetof(struct mcr_cmd_audit_opts, config_path)},
        {OPT_SINCE, offsetof(struct mcr_cmd_audit_opts, filter.since)},
        {OPT_UNTIL, offsetof(struct mcr_cmd_audit_opts, filter.until)},
        {OPT_KIND, offsetof(struct mcr_cmd_audit_opts, filter.kind)},
        {OPT_TAG, offsetof(struct mcr_cmd_audit_opts, filter.tag)},
        {OPT_IMAGE, offsetof(struct mcr_cmd_audit_opts, filter.image_sha256)},
        {OPT_OLD_CHECKPOINT, offsetof(struct mcr_cmd_audit_opts, old_checkpoint)},
        {OPT_GIT_REF, offsetof(struct mcr_cmd_audit_opts, git_ref)},
        {OPT_REPO, offsetof(struct mcr_cmd_audit_opts, repo)},
        {OPT_KEY, offsetof(struct mcr_cmd_audit_opts, key_path)},
        {OPT_SIGNER, offsetof(struct mcr_cmd_audit_opts, signer_ref)},
        {OPT_ORIGIN, offsetof(struct mcr_cmd_audit_opts, origin)},
        {OPT_OUT, offsetof(struct mcr_cmd_audit_opts, out_path)},
        {OPT_ACTOR, offsetof(struct mcr_cmd_audit_opts, actor)},
};

static int handle_option(void *ctx, int id, const char *arg, const char *arg2)
{
	struct mcr_cmd_audit_opts *o = ctx;

	(void)arg2;
	for (size_t i = 0; i < sizeof(string_options) / sizeof(string_options[0]); i++)
		if (string_options[i].id == id) {
			*(const char **)((char *)o + string_options[i].offset) = arg;
			return 0;
		}
	if (id == OPT_JSON) {
		o->is_json = true;
	} else if (id == OPT_CONSISTENCY) {
		return mcr_cmd_audit_parse_seq(&o->consistency_from, arg, "--consistency");
	} else if (id == OPT_CHECKPOINT) {
		if (o->checkpoint_count == MCR_CMD_AUDIT_MAX_CHECKPOINTS)
			return mcr_error(MCR_EUSAGE, "at most %d '--checkpoint' files",
			                 MCR_CMD_AUDIT_MAX_CHECKPOINTS);
		o->checkpoints[o->checkpoint_count++] = arg;
	}
	return 0;
}

void mcr_cmd_audit_release(struct mcr_cmd_audit_opts *o)
{
	mcr_config_free(o->config);
	free(o->origin_buf);
}

/* Parses argv; the config is loaded when named, or when no --db says where the log is. */
int mcr_cmd_audit_setup(struct mcr_cmd_audit_opts *o, const struct mcr_cli_spec *spec, int argc,
                        char **argv, int *first, bool needs_log)
{
	int ret;

	memset(o, 0, sizeof(*o));
	o->consistency_from = -1;
	if ((ret = mcr_cli_parse(spec, argc, argv, handle_option, o, first)) != 0)
		return ret;
	if (o->config_path || (needs_log && !o->db_path))
		if ((ret = mcr_config_load(&o->config, o->config_path)) < 0)
			return ret;
	if (!o->db_path && o->config)
		o->db_path = o->config->audit.database;
	return 0;
}

int mcr_cmd_audit_open(struct mcr_audit **out, const struct mcr_cmd_audit_opts *o)
{
	int ret = mcr_audit_open(out, o->db_path, false);

	if (ret == 0 && mcr_audit_is_damaged(*out))
		mcr_cli_warn("audit log '%s' is damaged; showing what can still be read (see "
		             "'mcurelease "
		             "audit verify')",
		             o->db_path);
	return ret;
}

/* --origin, else the config's "<product>/mcurelease/<log id>", else NULL. */
int mcr_cmd_audit_origin(struct mcr_cmd_audit_opts *o, const char **out)
{
	struct mcr_buf buf = MCR_BUF_INIT;
	int ret;

	*out = o->origin;
	if (o->origin || !o->config)
		return 0;
	if ((ret = mcr_checkpoint_origin(&buf, o->config->product, o->config->audit.log_id)) < 0) {
		mcr_buf_release(&buf);
		return ret;
	}
	*out = o->origin_buf = (char *)mcr_buf_detach(&buf, NULL);
	return 0;
}

const struct mcr_signer_config *mcr_cmd_audit_log_signer(const struct mcr_cmd_audit_opts *o)
{
	if (!o->config || !o->config->audit.log_signer)
		return NULL;
	return mcr_config_signer(o->config, o->config->audit.log_signer);
}

/* The log's public key: --key, else what pins the config's log signer. *out may stay NULL. */
int mcr_cmd_audit_log_key(struct mcr_key **out, const struct mcr_cmd_audit_opts *o)
{
	const struct mcr_signer_config *cfg = mcr_cmd_audit_log_signer(o);
	struct mcr_signer *signer = NULL;
	int ret;

	*out = NULL;
	if (o->key_path)
		return mcr_key_load_pem(out, o->key_path);
	if (!cfg)
		return o->config && o->config->audit.log_signer
		               ? mcr_error(MCR_EINPUT,
		                           "no signer '%s' (audit.log_signer) in config '%s'",
		                           o->config->audit.log_signer, o->config->path)
		               : 0;
	if (cfg->public_key_path)
		return mcr_key_load_pem(out, cfg->public_key_path);
	if (cfg->file_path)
		return mcr_key_load_pem(out, cfg->file_path);
	if ((ret = mcr_signer_open(&signer, cfg)) == 0)
		ret = mcr_key_public_copy(out, mcr_signer_key(signer));
	mcr_signer_free(signer);
	return ret;
}

/* A configured place for checkpoints: what it holds, or its name in missing if nothing. */
static int add_configured(struct mcr_checkpoint_anchors *list, const char *repo, const char *file,
                          const char *ref, const char **missing, size_t *missing_count)
{
	size_t before = list->count;
	int ret = file ? mcr_checkpoint_anchors_add_file(list, file, true)
	               : mcr_checkpoint_anchors_add_ref(list, repo, ref, true);

	if (ret == 0 && list->count == before)
		missing[(*missing_count)++] = file ? file : ref;
	return ret;
}

/*
 * --checkpoint files and --git-ref must exist. The config's published copies are used
 * when present; missing ones are reported once the log has signed checkpoints.
 */
static int gather_anchors(struct mcr_checkpoint_anchors *list, const struct mcr_cmd_audit_opts *o,
                          const char **missing, size_t *missing_count)
{
	const struct mcr_audit_config *ac = o->config ? &o->config->audit : NULL;
	const char *repo = mcr_config_checkpoint_repo(o->config, o->repo);
	int ret;

	*missing_count = 0;
	for (size_t i = 0; i < o->checkpoint_count; i++)
		if ((ret = mcr_checkpoint_anchors_add_file(list, o->checkpoints[i], false)) < 0)
			return ret;
	if (o->git_ref && (ret = mcr_checkpoint_anchors_add_ref(list, repo, o->git_ref, false)) < 0)
		return ret;
	if (ac && ac->checkpoint_file && o->checkpoint_count == 0 &&
	    (ret = add_configured(list, repo, ac->checkpoint_file, NULL, missing, missing_count)) <
	            0)
		return ret;
	if (ac && ac->checkpoint_ref && !o->git_ref &&
	    (ret = add_configured(list, repo, NULL, ac->checkpoint_ref, missing, missing_count)) <
	            0)
		return ret;
	return 0;
}

static int print_report_json(const struct mcr_audit *log, const struct mcr_audit_report *r)
{
	struct mcr_buf text = MCR_BUF_INIT;
	cJSON *obj = NULL;
	int ret = mcr_audit_report_to_json(&obj, r, mcr_audit_path(log));

	if (ret == 0 && (ret = mcr_json_pretty(&text, obj)) == 0)
		fwrite(text.data, 1, text.len, stdout);
	cJSON_Delete(obj);
	mcr_buf_release(&text);
	return ret;
}

/* CloudTrail's vocabulary: the range requested beside the range found, then each finding. */
static void print_report(const struct mcr_audit *log, const struct mcr_audit_report *r)
{
	char root[2 * MCR_AUDIT_HASH_LEN + 1];

	mcr_hex_encode(root, r->root, sizeof(r->root));
	printf("audit log %s\n", mcr_audit_path(log));
	printf("results requested for seq %lld to %lld\n", r->requested_seq ? 1LL : 0LL,
	       r->requested_seq);
	printf("results found for seq %lld to %lld (%lld events)\n", r->first_seq, r->last_seq,
	       r->event_count);
	printf("checkpoints: %zu/%zu stored valid, %zu/%zu external valid\n",
	       r->checkpoint_count - r->checkpoints_bad, r->checkpoint_count,
	       r->anchor_count - r->anchors_bad, r->anchor_count);
	for (size_t i = 0; i < r->problem_count; i++)
		if (r->problems[i].seq)
			printf("INVALID seq %lld: %s: %s\n", r->problems[i].seq,
			       r->problems[i].reason, r->problems[i].message);
		else
			printf("INVALID: %s: %s\n", r->problems[i].reason, r->problems[i].message);
	if (r->problems_total > r->problem_count)
		printf("... and %zu more problems\n", r->problems_total - r->problem_count);
	if (r->is_valid)
		printf("valid: %lld events, root %s\n", r->event_count, root);
	else if (r->first_bad_seq)
		printf("INVALID: first bad seq %lld\n", r->first_bad_seq);
	else
		printf("INVALID\n");
}

static const struct mcr_option verify_options[] = {
        OPTION_DB,
        OPTION_CONFIG,
        {.long_name = "checkpoint",
         .arg_name = "FILE",
         .id = OPT_CHECKPOINT,
         .help = "also check this published checkpoint (repeatable)"},
        {.long_name = "git-ref",
         .arg_name = "REF",
         .id = OPT_GIT_REF,
         .help = "also check every checkpoint on this git ref"},
        OPTION_REPO,
        OPTION_KEY,
        OPTION_ORIGIN,
        OPTION_JSON,
        {.id = 0},
};

static const struct mcr_cli_spec verify_spec = {
        "audit verify",
        "[options]",
        "Recomputes every event hash and chain link, the Merkle tree and the tree nodes kept for\n"
        "proofs, and checks every checkpoint stored in the log and given with --checkpoint or\n"
        "--git-ref (or published where the config says): signed by the log key, same root at its\n"
        "size, and not larger than the log (truncation, rollback) nor of another root (split "
        "view).\n"
        "Exit status: 0 valid, 1 invalid (first bad seq and reason on stderr), 5 log unreadable.",
        verify_options,
        0,
        0,
};

static int verdict(const struct mcr_audit_report *r)
{
	const struct mcr_audit_problem *p = r->problem_count ? &r->problems[0] : NULL;
	int ret;

	if (r->is_valid)
		return 0;
	ret = mcr_error(MCR_EREFUSED, "audit log does not verify: %s",
	                p ? p->message : "unknown problem");
	return mcr_error_set_reason(ret, p ? p->reason : "audit.invalid");
}

static int audit_verify(int argc, char **argv)
{
	struct mcr_checkpoint_anchors anchors = {0};
	struct mcr_audit_verify_opts vopts = {0};
	const char *missing[2];
	struct mcr_audit_report report = {0};
	struct mcr_key *key = NULL;
	struct mcr_audit *log = NULL;
	struct mcr_cmd_audit_opts o;
	int first, ret;

	if ((ret = mcr_cmd_audit_setup(&o, &verify_spec, argc, argv, &first, true)) != 0)
		goto out;
	if ((ret = mcr_audit_open(&log, o.db_path, false)) < 0 ||
	    (ret = mcr_cmd_audit_log_key(&key, &o)) < 0 ||
	    (ret = mcr_cmd_audit_origin(&o, &vopts.origin)) < 0 ||
	    (ret = gather_anchors(&anchors, &o, missing, &vopts.missing_anchor_count)) < 0)
		goto out;
	vopts.missing_anchors = missing;
	vopts.log_key = key;
	vopts.anchors = anchors.items;
	vopts.anchor_count = anchors.count;
	if ((ret = mcr_audit_verify(log, &vopts, &report)) < 0)
		goto out;
	if (o.is_json)
		ret = print_report_json(log, &report);
	else
		print_report(log, &report);
	if (ret == 0)
		ret = verdict(&report);
out:
	mcr_audit_report_release(&report);
	mcr_checkpoint_anchors_release(&anchors);
	mcr_key_free(key);
	mcr_audit_free(log);
	mcr_cmd_audit_release(&o);
	return ret > 0 ? 0 : ret;
}

/* The data member's "tag" for the one-line listing, if it has one. */
static const char *tag_of(const cJSON *envelope)
{
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(envelope, "data");
	const cJSON *tag = cJSON_GetObjectItemCaseSensitive(data, "tag");

	return cJSON_IsString(tag) ? tag->valuestring : NULL;
}

static int print_event_line(void *ctx, const struct mcr_audit_event *e)
{
	struct mcr_cmd_audit_opts *o = ctx;
	struct mcr_buf text = MCR_BUF_INIT;
	cJSON *obj = NULL, *envelope;
	int ret;

	if (o->is_json) {
		if ((ret = mcr_audit_event_to_json(&obj, e, false)) == 0 &&
		    (ret = mcr_json_canonical(&text, obj)) == 0)
			printf("%s%s", o->printed++ ? ",\n" : "", (char *)text.data);
		cJSON_Delete(obj);
		mcr_buf_release(&text);
		return ret;
	}
	envelope = cJSON_ParseWithLength(e->body, e->body_len);
	printf("%-8lld %-20s %-18s %s%s%s\n", e->seq, e->time ? e->time : "?",
	       e->kind ? e->kind : "?", e->actor ? e->actor : "?", tag_of(envelope) ? "  tag " : "",
	       tag_of(envelope) ? tag_of(envelope) : "");
	cJSON_Delete(envelope);
	return 0;
}

static const struct mcr_option log_options[] = {
        OPTION_DB,
        OPTION_CONFIG,
        {.long_name = "since",
         .arg_name = "TIME",
         .id = OPT_SINCE,
         .help = "events at or after TIME (UTC, 2026-11-05 or 2026-11-05T12:00:00Z)"},
        {.long_name = "until",
         .arg_name = "TIME",
         .id = OPT_UNTIL,
         .help = "events at or before TIME (a date alone: that whole day)"},
        {.long_name = "kind",
         .arg_name = "KIND",
         .id = OPT_KIND,
         .help = "only events of this kind (sign.completed, sign.refused, checkpoint, ...)"},
        {.long_name = "tag",
         .arg_name = "NAME",
         .id = OPT_TAG,
         .help = "only events about this release tag"},
        {.long_name = "image",
         .arg_name = "SHA256",
         .id = OPT_IMAGE,
         .help = "only events about the image with this SHA-256"},
        OPTION_JSON,
        {.id = 0},
};

static const struct mcr_cli_spec log_spec = {
        "audit log",
        "[options]",
        "Lists the events of the audit log in order, one per line: seq, time, kind, actor and "
        "tag.\n"
        "With --json, a JSON array of events with their data.",
        log_options,
        0,
        0,
};

static int audit_log(int argc, char **argv)
{
	struct mcr_audit *log = NULL;
	struct mcr_cmd_audit_opts o;
	int first, ret;

	if ((ret = mcr_cmd_audit_setup(&o, &log_spec, argc, argv, &first, true)) != 0 ||
	    (ret = mcr_cmd_audit_open(&log, &o)) < 0)
		goto out;
	if (o.is_json)
		printf("[\n");
	ret = mcr_audit_foreach(log, &o.filter, print_event_line, &o);
	if (o.is_json)
		printf("%s]\n", o.printed ? "\n" : "");
out:
	mcr_audit_free(log);
	mcr_cmd_audit_release(&o);
	return ret > 0 ? 0 : ret;
}

static const struct mcr_option show_options[] = {OPTION_DB, OPTION_CONFIG, OPTION_JSON, {.id = 0}};

static const struct mcr_cli_spec show_spec = {
        "audit show",
        "[options] SEQ",
        "Shows one event: its fields, hashes and data (with --json, also the exact stored body).",
        show_options,
        1,
        1,
};

static int print_event(const struct mcr_audit_event *e, bool is_json)
{
	struct mcr_buf text = MCR_BUF_INIT;
	cJSON *obj = NULL;
	char hash[65], prev[65];
	int ret;

	if ((ret = mcr_audit_event_to_json(&obj, e, true)) < 0)
		goto out;
	if (is_json) {
		if ((ret = mcr_json_pretty(&text, obj)) == 0)
			fwrite(text.data, 1, text.len, stdout);
		goto out;
	}
	mcr_hex_encode(hash, e->hash, sizeof(e->hash));
	mcr_hex_encode(prev, e->prev_hash, sizeof(e->prev_hash));
	printf("seq:       %lld\ntime:      %s\nkind:      %s\nactor:     %s\nhash:      %s\n"
	       "prev_hash: %s\ndata:\n",
	       e->seq, e->time ? e->time : "?", e->kind ? e->kind : "?", e->actor ? e->actor : "?",
	       hash, prev);
	if ((ret = mcr_json_pretty(&text, cJSON_GetObjectItemCaseSensitive(obj, "data"))) == 0)
		fwrite(text.data, 1, text.len, stdout);
out:
	cJSON_Delete(obj);
	mcr_buf_release(&text);
	return ret;
}

static int audit_show(int argc, char **argv)
{
	struct mcr_audit_event event = {0};
	struct mcr_audit *log = NULL;
	struct mcr_cmd_audit_opts o;
	long long seq;
	int first, ret;

	if ((ret = mcr_cmd_audit_setup(&o, &show_spec, argc, argv, &first, true)) != 0 ||
	    (ret = mcr_cmd_audit_parse_seq(&seq, argv[first], "SEQ")) < 0 ||
	    (ret = mcr_cmd_audit_open(&log, &o)) < 0 || (ret = mcr_audit_get(log, seq, &event)) < 0)
		goto out;
	ret = print_event(&event, o.is_json);
out:
	mcr_audit_event_release(&event);
	mcr_audit_free(log);
	mcr_cmd_audit_release(&o);
	return ret > 0 ? 0 : ret;
}

static const struct mcr_command audit_commands[] = {
        {"verify", audit_verify, "check chain, tree and checkpoints; name the first bad event",
         "audit log"},
        {"log", audit_log, "list events (filter by time, kind, tag, image)", "audit log"},
        {"show", audit_show, "show one event", "audit log"},
        {"checkpoint", mcr_cmd_audit_checkpoint, "sign, record and publish a checkpoint of the log",
         "audit log, log signer"},
        {"proof", mcr_cmd_audit_proof, "print an inclusion or consistency proof", "audit log"},
        {"verify-proof", mcr_cmd_audit_verify_proof,
         "check a proof offline with the log's public key", NULL},
        {"export", mcr_cmd_audit_export,
         "compliance evidence: json, csv, html, pdf, or a signed bundle", "audit log"},
        {"verify-export", mcr_cmd_audit_verify_export, "check an export bundle offline", NULL},
        {NULL, NULL, NULL, NULL},
};

int mcr_cmd_audit(int argc, char **argv)
{
	return mcr_cli_dispatch("audit", audit_commands, argc, argv);
}
