/* mcurelease verify: is this binary (or the hash a device reports) ours, from which tag and
 * commit, built by whom, signed when and with which key, and is that record in the log? */
#include "buf.h"
#include "cli.h"
#include "error.h"
#include "json.h"
#include "verify.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

enum {
	OPT_HASH = MCR_OPT_FIRST,
	OPT_PROVENANCE,
	OPT_AUDIT,
	OPT_BUNDLE,
	OPT_REPO,
	OPT_KEY,
	OPT_LOG_KEY,
	OPT_CONFIG,
	OPT_JSON,
};

struct verify_cli {
	struct mcr_verify_opts v;
	bool is_json;
};

static int verify_option(void *ctx, int id, const char *arg, const char *arg2)
{
	struct verify_cli *o = ctx;

	(void)arg2;
	switch (id) {
	case OPT_HASH:
		o->v.hash = arg;
		break;
	case OPT_PROVENANCE:
		o->v.provenance = arg;
		break;
	case OPT_AUDIT:
		o->v.audit_db = arg;
		break;
	case OPT_BUNDLE:
		o->v.bundle = arg;
		break;
	case OPT_REPO:
		o->v.repo = arg;
		break;
	case OPT_LOG_KEY:
		o->v.log_key_path = arg;
		break;
	case OPT_CONFIG:
		o->v.config_path = arg;
		break;
	case OPT_JSON:
		o->is_json = true;
		break;
	case OPT_KEY:
		if (o->v.key_count == MCR_VERIFY_MAX_KEYS)
			return mcr_error(MCR_EUSAGE, "at most %d '--key' files",
			                 MCR_VERIFY_MAX_KEYS);
		o->v.key_paths[o->v.key_count++] = arg;
		break;
	}
	return 0;
}

/* The summary (nothing when nothing could be checked: stderr says why), or JSON always. */
static int print_report(const struct verify_cli *o, const struct mcr_verify_report *rep)
{
	struct mcr_buf text = MCR_BUF_INIT;
	cJSON *json = NULL;
	int ret = 0;

	if (o->is_json) {
		if ((ret = mcr_verify_report_json(&json, rep)) == 0)
			ret = mcr_json_pretty(&text, json);
	} else if (rep->reason) {
		ret = mcr_verify_report_text(&text, rep);
	}
	if (ret == 0 && text.len)
		fwrite(text.data, 1, text.len, stdout);
	cJSON_Delete(json);
	mcr_buf_release(&text);
	return ret;
}

int mcr_cmd_verify(int argc, char **argv)
{
	static const struct mcr_option options[] = {
	        {"hash", 0, "HEX",
	         "the image hash a device reports (mcumgr), or a signed file's SHA-256, instead of "
	         "IMAGE",
	         OPT_HASH, false},
	        {"provenance", 0, "FILE",
	         "the in-toto provenance (default: IMAGE.intoto.json if there is one)",
	         OPT_PROVENANCE, false},
	        {"audit", 0, "DB", "the audit log (default: the config's audit.database)",
	         OPT_AUDIT, false},
	        {"bundle", 0, "DIR", "an export bundle directory instead of the audit log",
	         OPT_BUNDLE, false},
	        {"repo", 0, "PATH",
	         "the repository whose tag to check (default: the one around here, if it holds the "
	         "release)",
	         OPT_REPO, false},
	        {"key", 'k', "PEM",
	         "a trusted release public key; repeatable (default: the config's signers' pinned "
	         "keys)",
	         OPT_KEY, false},
	        {"log-key", 0, "PEM",
	         "the audit log's public key (default: the config's audit.log_signer)", OPT_LOG_KEY,
	         false},
	        {"config", 0, "FILE",
	         "config file (default: $MCURELEASE_CONFIG, then the repository's mcurelease.json; "
	         "none is fine)",
	         OPT_CONFIG, false},
	        {"json", 0, NULL, "print the result as JSON (schemas/verify-result.schema.json)",
	         OPT_JSON, false},
	        {NULL, 0, NULL, NULL, 0, false},
	};
	static const struct mcr_cli_spec spec = {
	        "verify",
	        "IMAGE | --hash HEX [options]",
	        "Is IMAGE one of our releases? Checks its MCUboot signature with the trusted keys, "
	        "finds\n"
	        "its release in the audit log, an export bundle or its provenance alone, checks "
	        "that\n"
	        "source, the inclusion proof against a checkpoint signed by the log key, that this "
	        "very\n"
	        "signature was recorded, and that the release tag has not moved. Prints the "
	        "provenance:\n"
	        "tag, commit, tag signer, builders, signer key, signing time, audit events, "
	        "checkpoint.\n"
	        "Exit 0 genuine, 1 not (the reason code says why; out-of-band signing is an "
	        "ALARM),\n"
	        "2 usage, 3 unusable input, 5 audit log unusable, 6 system (docs/verify.md).",
	        options,
	        0,
	        1,
	};
	struct mcr_verify_report report;
	struct verify_cli o;
	int first, ret, err;

	memset(&o, 0, sizeof(o));
	if ((ret = mcr_cli_parse(&spec, argc, argv, verify_option, &o, &first)) != 0)
		return ret > 0 ? 0 : ret;
	o.v.image = first < argc ? argv[first] : NULL;
	if (!o.v.image == !o.v.hash)
		return mcr_error(MCR_EUSAGE, "'verify' takes IMAGE or --hash HEX (one of them)");
	ret = mcr_verify_run(&o.v, &report);
	if ((err = print_report(&o, &report)) < 0)
		ret = err;
	mcr_verify_report_release(&report);
	return ret;
}
