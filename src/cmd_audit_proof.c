/* 'mcurelease audit checkpoint', 'proof' and 'verify-proof': signed heads of the log and proofs
 * against them. */
#include "cmd_audit.h"

#include "audit.h"
#include "buf.h"
#include "checkpoint.h"
#include "cli.h"
#include "config.h"
#include "error.h"
#include "fileio.h"
#include "key.h"
#include "signer.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Who asked, when no --actor says: "user@host". */
static int default_actor(char *out, size_t len)
{
	const struct passwd *pw = getpwuid(getuid());
	const char *user = getenv("USER");
	char host[256] = "localhost";

	if (!user || !*user)
		user = pw ? pw->pw_name : "unknown";
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(out, len, "%s@%s", user, host);
	return 0;
}

/* --signer, else the config's audit.log_signer, which must not be the release signer. */
static int open_log_signer(struct mcr_signer **out, const struct mcr_cmd_audit_opts *o)
{
	const struct mcr_signer_config *cfg = mcr_cmd_audit_log_signer(o);

	if (o->signer_ref)
		return mcr_signer_open_ref(out, o->signer_ref, o->config_path);
	if (!cfg)
		return mcr_error(MCR_EUSAGE, "'audit checkpoint' needs a log signer: set "
		                             "audit.log_signer in the config or give --signer");
	if (o->config->policy.release_signer &&
	    !strcmp(o->config->policy.release_signer, o->config->audit.log_signer))
		return mcr_error(
		        MCR_EINPUT,
		        "audit.log_signer '%s' is the release signer; checkpoints need a key "
		        "of their own",
		        o->config->audit.log_signer);
	return mcr_signer_open(out, cfg);
}

static const struct mcr_option checkpoint_options[] = {
        OPTION_DB,
        OPTION_CONFIG,
        {.long_name = "signer",
         .arg_name = "REF",
         .id = OPT_SIGNER,
         .help = "the log key: signer:NAME, a pkcs11: URI or a PEM (default: audit.log_signer)"},
        OPTION_ORIGIN,
        {.long_name = "out",
         .arg_name = "FILE",
         .id = OPT_OUT,
         .help = "publish the checkpoint to FILE (default: audit.checkpoint_file)"},
        {.long_name = "git-ref",
         .arg_name = "REF",
         .id = OPT_GIT_REF,
         .help = "publish as a commit on REF (default: audit.checkpoint_ref)"},
        OPTION_REPO,
        {.long_name = "actor",
         .arg_name = "WHO",
         .id = OPT_ACTOR,
         .help = "who asks, for the audit event (default: user@host)"},
        {.id = 0},
};

static const struct mcr_cli_spec checkpoint_spec = {
        "audit checkpoint",
        "[options]",
        "Verifies the whole log (and what is already published) and, only if it is valid, signs a\n"
        "C2SP checkpoint of it with the log key, records it in the log as a 'checkpoint' event,\n"
        "then publishes it to a file and/or as one commit on a git ref. Prints the signed note.",
        checkpoint_options,
        0,
        0,
};

int mcr_cmd_audit_checkpoint(int argc, char **argv)
{
	struct mcr_checkpoint_result result = {0};
	struct mcr_checkpoint_opts copts = {0};
	struct mcr_signer *signer = NULL;
	struct mcr_audit *log = NULL;
	struct mcr_cmd_audit_opts o;
	char actor[512];
	int first, ret;

	if ((ret = mcr_cmd_audit_setup(&o, &checkpoint_spec, argc, argv, &first, true)) != 0 ||
	    (ret = mcr_cmd_audit_origin(&o, &copts.origin)) < 0)
		goto out;
	if (!copts.origin) {
		ret = mcr_error(MCR_EUSAGE, "'audit checkpoint' needs --origin or a config");
		goto out;
	}
	if ((ret = mcr_cmd_audit_open(&log, &o)) < 0 || (ret = open_log_signer(&signer, &o)) < 0 ||
	    (ret = default_actor(actor, sizeof(actor))) < 0)
		goto out;
	copts.actor = o.actor ? o.actor : actor;
	copts.file = o.out_path ? o.out_path : (o.config ? o.config->audit.checkpoint_file : NULL);
	copts.ref = o.git_ref ? o.git_ref : (o.config ? o.config->audit.checkpoint_ref : NULL);
	copts.repo = mcr_config_checkpoint_repo(o.config, o.repo);
	if ((ret = mcr_checkpoint_create(log, signer, &copts, &result)) < 0 && !result.note)
		goto out;
	fputs(result.note, stdout);
	mcr_cli_info("checkpoint of %lld events recorded as event %lld", result.size,
	             result.event_seq);
out:
	mcr_checkpoint_result_release(&result);
	mcr_signer_free(signer);
	mcr_audit_free(log);
	mcr_cmd_audit_release(&o);
	return ret > 0 ? 0 : ret;
}

/* The checkpoint a --checkpoint FILE names, or NULL for the latest stored. */
static int read_checkpoint_opt(struct mcr_buf *out, const char *path, const char **note)
{
	int ret;

	*note = NULL;
	if (!path)
		return 0;
	if ((ret = mcr_checkpoint_read_file(out, path)) < 0)
		return ret;
	*note = (const char *)out->data;
	return 0;
}

static const struct mcr_option proof_options[] = {
        OPTION_DB,
        OPTION_CONFIG,
        {.long_name = "checkpoint",
         .arg_name = "FILE",
         .id = OPT_CHECKPOINT,
         .help = "prove against this checkpoint (default: the latest one the log holds)"},
        {.long_name = "consistency",
         .arg_name = "OLD_SIZE",
         .id = OPT_CONSISTENCY,
         .help = "prove instead that the tree of OLD_SIZE events is a prefix of the checkpoint's"},
        {.id = 0},
};

static const struct mcr_cli_spec proof_spec = {
        "audit proof",
        "[options] SEQ | --consistency OLD_SIZE",
        "Prints, as JSON, an RFC 6962 inclusion proof of event SEQ in the tree a signed "
        "checkpoint\n"
        "covers, with the event and the checkpoint, so that 'audit verify-proof' can check it\n"
        "offline with only the log's public key. --consistency proves an older tree is a prefix.",
        proof_options,
        0,
        1,
};

int mcr_cmd_audit_proof(int argc, char **argv)
{
	struct mcr_buf proof = MCR_BUF_INIT, cp = MCR_BUF_INIT;
	struct mcr_audit *log = NULL;
	const char *note;
	struct mcr_cmd_audit_opts o;
	long long seq = 0;
	int first, ret;

	if ((ret = mcr_cmd_audit_setup(&o, &proof_spec, argc, argv, &first, true)) != 0)
		goto out;
	if ((o.consistency_from < 0) == (first == argc)) {
		ret = mcr_error(MCR_EUSAGE, "'audit proof' expects SEQ or --consistency OLD_SIZE");
		goto out;
	}
	if ((first < argc && (ret = mcr_cmd_audit_parse_seq(&seq, argv[first], "SEQ")) < 0) ||
	    (ret = mcr_cmd_audit_open(&log, &o)) < 0 ||
	    (ret = read_checkpoint_opt(&cp, o.checkpoint_count ? o.checkpoints[0] : NULL, &note)) <
	            0)
		goto out;
	if (o.consistency_from >= 0)
		ret = mcr_audit_proof_consistency(log, o.consistency_from, note, &proof);
	else
		ret = mcr_audit_proof_inclusion(log, seq, note, &proof);
	if (ret == 0)
		fwrite(proof.data, 1, proof.len, stdout);
out:
	mcr_buf_release(&proof);
	mcr_buf_release(&cp);
	mcr_audit_free(log);
	mcr_cmd_audit_release(&o);
	return ret > 0 ? 0 : ret;
}

static const struct mcr_option verify_proof_options[] = {
        OPTION_CONFIG,
        OPTION_KEY,
        OPTION_ORIGIN,
        {.long_name = "checkpoint",
         .arg_name = "FILE",
         .id = OPT_CHECKPOINT,
         .help = "check against this checkpoint instead of the one in the proof"},
        {.long_name = "old-checkpoint",
         .arg_name = "FILE",
         .id = OPT_OLD_CHECKPOINT,
         .help = "for a consistency proof: the older checkpoint you kept"},
        {.id = 0},
};

static const struct mcr_cli_spec verify_proof_spec = {
        "audit verify-proof",
        "[options] PROOF",
        "Checks a proof from 'audit proof' offline: the checkpoint is signed by the log key, and\n"
        "the event (or the older tree) leads to its root. Needs no database.\n"
        "Exit status: 0 proved, 1 not (reason on stderr), 2-6 could not check.",
        verify_proof_options,
        1,
        1,
};

int mcr_cmd_audit_verify_proof(int argc, char **argv)
{
	struct mcr_buf doc = MCR_BUF_INIT, cp = MCR_BUF_INIT, old = MCR_BUF_INIT;
	struct mcr_buf summary = MCR_BUF_INIT;
	const char *note, *old_note, *origin;
	struct mcr_key *key = NULL;
	struct mcr_cmd_audit_opts o;
	int first, ret;

	if ((ret = mcr_cmd_audit_setup(&o, &verify_proof_spec, argc, argv, &first, false)) != 0 ||
	    (ret = mcr_cmd_audit_log_key(&key, &o)) < 0 ||
	    (ret = mcr_cmd_audit_origin(&o, &origin)) < 0)
		goto out;
	if (!key) {
		ret = mcr_error(MCR_EUSAGE,
		                "'audit verify-proof' needs the log's public key (--key)");
		goto out;
	}
	if ((ret = mcr_fileio_read_all(argv[first], 16 * 1024 * 1024, &doc)) < 0 ||
	    (ret = read_checkpoint_opt(&cp, o.checkpoint_count ? o.checkpoints[0] : NULL, &note)) <
	            0 ||
	    (ret = read_checkpoint_opt(&old, o.old_checkpoint, &old_note)) < 0 ||
	    (ret = mcr_audit_proof_verify((const char *)doc.data, doc.len, argv[first], note,
	                                  old_note, key, origin, &summary)) < 0)
		goto out;
	printf("valid: %s\n", (char *)summary.data);
out:
	mcr_buf_release(&doc);
	mcr_buf_release(&cp);
	mcr_buf_release(&old);
	mcr_buf_release(&summary);
	mcr_key_free(key);
	mcr_cmd_audit_release(&o);
	return ret > 0 ? 0 : ret;
}
