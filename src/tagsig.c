/* Verifying a tag's signature the way git does: gpg --status-fd, or ssh-keygen -Y with allowed_signers. */
#include "tagsig.h"

#include "buf.h"
#include "config.h"
#include "error.h"
#include "fileio.h"
#include "proc.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOOL_TIMEOUT_MS 60000
#define FPR_MAX 80

const char *mcr_tagsig_format_name(enum mcr_tagsig_format format)
{
	switch (format) {
	case MCR_TAGSIG_OPENPGP:
		return "openpgp";
	case MCR_TAGSIG_X509:
		return "x509";
	case MCR_TAGSIG_SSH:
		return "ssh";
	default:
		return "none";
	}
}

void mcr_tagsig_signer_init(struct mcr_tagsig_signer *signer)
{
	memset(signer, 0, sizeof(*signer));
}

void mcr_tagsig_signer_release(struct mcr_tagsig_signer *signer)
{
	free(signer->identity);
	free(signer->key);
	mcr_tagsig_signer_init(signer);
}

static int set_signer(struct mcr_tagsig_signer *out, enum mcr_tagsig_format format,
		      const char *identity, const char *key)
{
	mcr_tagsig_signer_release(out);
	out->format = format;
	out->identity = strdup(identity);
	out->key = strdup(key);
	if (!out->identity || !out->key)
		return mcr_error(MCR_ESYS, "out of memory");
	return 0;
}

/* Upper-case hex without spaces, so configured and reported fingerprints compare. */
static void normalise_fpr(char *out, const char *in)
{
	size_t n = 0;

	for (; *in && n < FPR_MAX - 1; in++)
		if (!isspace((unsigned char)*in))
			out[n++] = (char)toupper((unsigned char)*in);
	out[n] = '\0';
}

static bool fpr_trusted(const char *fpr, const char *const *trusted)
{
	char want[FPR_MAX], got[FPR_MAX];

	normalise_fpr(got, fpr);
	for (; trusted && *trusted; trusted++) {
		normalise_fpr(want, *trusted);
		if (*got && !strcmp(want, got))
			return true;
	}
	return false;
}

/* The statuses gpg emits once per signature; git rejects more than one of them. */
struct gpg_status {
	unsigned newsig, exclusive, goodsig, validsig;
	bool badsig, expsig, expkeysig, revkeysig, keyrevoked, errsig_nokey, errsig;
	char key_fpr[FPR_MAX], primary_fpr[FPR_MAX], errsig_key[FPR_MAX];
};

static bool keyword(const char *line, const char *word, const char **args)
{
	size_t n = strlen(word);

	if (strncmp(line, word, n) || (line[n] != ' ' && line[n] != '\0'))
		return false;
	*args = line[n] ? line + n + 1 : line + n;
	return true;
}

static void scan_validsig(struct gpg_status *st, const char *args)
{
	char field[10][FPR_MAX];
	int n = sscanf(args, "%79s %79s %79s %79s %79s %79s %79s %79s %79s %79s", field[0],
		       field[1], field[2], field[3], field[4], field[5], field[6], field[7],
		       field[8], field[9]);

	st->validsig++;
	if (n >= 1)
		snprintf(st->key_fpr, sizeof(st->key_fpr), "%s", field[0]);
	/*
	 * The tenth field, the primary key's fingerprint, is there since gpg 1.4.x.
	 * Without fields (sscanf says EOF) field[0] was never written: no fingerprint.
	 */
	snprintf(st->primary_fpr, sizeof(st->primary_fpr), "%s",
		 n >= 10 ? field[9] : n >= 1 ? field[0] : "");
}

static void scan_line(struct gpg_status *st, const char *line)
{
	const char *a;

	if (keyword(line, "NEWSIG", &a))
		st->newsig++;
	else if (keyword(line, "GOODSIG", &a))
		st->goodsig++, st->exclusive++;
	else if (keyword(line, "BADSIG", &a))
		st->badsig = true, st->exclusive++;
	else if (keyword(line, "EXPSIG", &a))
		st->expsig = true, st->exclusive++;
	else if (keyword(line, "EXPKEYSIG", &a))
		st->expkeysig = true, st->exclusive++;
	else if (keyword(line, "REVKEYSIG", &a))
		st->revkeysig = true, st->exclusive++;
	else if (keyword(line, "ERRSIG", &a)) {
		char key[FPR_MAX] = "", rc[16] = "";

		st->errsig = true, st->exclusive++;
		/* ERRSIG keyid algo hash class time rc [fpr]; rc 9: no public key */
		if (sscanf(a, "%79s %*s %*s %*s %*s %15s", key, rc) == 2 && !strcmp(rc, "9"))
			st->errsig_nokey = true;
		snprintf(st->errsig_key, sizeof(st->errsig_key), "%s", key);
	} else if (keyword(line, "VALIDSIG", &a))
		scan_validsig(st, a);
	else if (keyword(line, "KEYREVOKED", &a))
		st->keyrevoked = true;
}

static void scan_status(struct gpg_status *st, const char *status)
{
	memset(st, 0, sizeof(*st));
	while (*status) {
		size_t len = strcspn(status, "\n");
		char line[1024];

		if (len > 9 && !strncmp(status, "[GNUPG:] ", 9)) {
			snprintf(line, sizeof(line), "%.*s", (int)(len - 9), status + 9);
			scan_line(st, line);
		}
		status += len + (status[len] == '\n');
	}
}

int mcr_tagsig_judge_gpg_status(struct mcr_tagsig_signer *out, const char *status,
				const char *const *fingerprints, const char *subject)
{
	struct gpg_status st;

	scan_status(&st, status);
	if (st.exclusive > 1 || st.newsig > 1 || st.validsig > 1)
		return mcr_refuse("tag.ambiguous_signature",
				  "tag '%s' carries more than one OpenPGP signature", subject);
	if (st.badsig)
		return mcr_refuse("tag.bad_signature", "bad OpenPGP signature on tag '%s'", subject);
	if (st.errsig_nokey)
		return mcr_refuse("tag.untrusted_key",
				  "tag '%s' is signed by OpenPGP key %s, which is not in the trusted "
				  "keyring", subject, st.errsig_key);
	if (st.errsig)
		return mcr_refuse("tag.bad_signature", "cannot check the OpenPGP signature on tag "
				  "'%s'", subject);
	if (st.revkeysig || st.keyrevoked)
		return mcr_refuse("tag.key_revoked", "tag '%s' is signed by revoked OpenPGP key %s",
				  subject, st.key_fpr);
	if (st.expkeysig)
		return mcr_refuse("tag.key_expired", "tag '%s' is signed by expired OpenPGP key %s",
				  subject, st.key_fpr);
	if (st.expsig)
		return mcr_refuse("tag.signature_expired", "the OpenPGP signature on tag '%s' has "
				  "expired", subject);
	if (st.goodsig != 1 || st.validsig != 1)
		return mcr_refuse("tag.bad_signature", "gpg found no good signature on tag '%s'",
				  subject);
	if (!fpr_trusted(st.key_fpr, fingerprints) && !fpr_trusted(st.primary_fpr, fingerprints))
		return mcr_refuse("tag.untrusted_key", "tag '%s' is signed by OpenPGP key %s, which "
				  "is not a configured release signer", subject, st.primary_fpr);
	return set_signer(out, MCR_TAGSIG_OPENPGP, st.primary_fpr, st.key_fpr);
}

/* One verification's scratch directory (signature file, gpg home) and the tools' environment. */
struct scratch {
	char *dir;
	char *sig_path;
	char *path_env;
	char *gpg_home_env;
};

static int scratch_open(struct scratch *s, const unsigned char *sig, size_t sig_len)
{
	const char *path = getenv("PATH");
	int ret;

	memset(s, 0, sizeof(*s));
	if ((ret = mcr_fileio_mkdtemp(&s->dir, "mcr-tagsig")) < 0)
		return ret;
	if (asprintf(&s->sig_path, "%s/tag.sig", s->dir) < 0 ||
	    asprintf(&s->path_env, "PATH=%s", path && *path ? path : "/usr/bin:/bin") < 0 ||
	    asprintf(&s->gpg_home_env, "GNUPGHOME=%s", s->dir) < 0)
		return mcr_error(MCR_ESYS, "out of memory");
	return mcr_fileio_write_atomic(s->sig_path, sig, sig_len, 0600);
}

static void scratch_close(struct scratch *s)
{
	if (s->dir)
		mcr_fileio_remove_tree(s->dir);
	free(s->dir);
	free(s->sig_path);
	free(s->path_env);
	free(s->gpg_home_env);
	memset(s, 0, sizeof(*s));
}

/* Runs a verification tool with a small fixed environment (never ours) and an optional stdin. */
static int run_tool(struct mcr_proc_result *res, const struct scratch *s, const char *const *argv,
		    const unsigned char *in, size_t in_len)
{
	const char *env[] = {s->path_env, s->gpg_home_env, "LC_ALL=C", NULL};
	struct mcr_proc_spec spec;

	mcr_proc_spec_init(&spec);
	spec.argv = argv;
	spec.env = env;
	spec.stdin_data = in;
	spec.stdin_len = in_len;
	spec.timeout_ms = TOOL_TIMEOUT_MS;
	return mcr_proc_run(&spec, res);
}

static const char *first_line(struct mcr_buf *text)
{
	char *nl;

	mcr_buf_rtrim(text);
	if ((nl = strchr((char *)text->data, '\n')))
		*nl = '\0';
	return (char *)text->data;
}

static int check_readable(const char *path, const char *what)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return mcr_error_errno(MCR_EINPUT, "cannot read %s '%s'", what, path);
	fclose(f);
	return 0;
}

static int gpg_import(const struct scratch *s, const char *keyring)
{
	/* --no-autostart: a public keyring needs no gpg-agent, and none may outlive us */
	const char *argv[] = {"gpg", "--batch", "--no-tty", "--no-autostart", "--homedir", s->dir,
			      "--import", keyring, NULL};
	struct mcr_proc_result res;
	int ret;

	if ((ret = check_readable(keyring, "OpenPGP keyring")) < 0)
		return ret;
	if ((ret = run_tool(&res, s, argv, NULL, 0)) == 0 && !mcr_proc_succeeded(&res))
		ret = mcr_error(MCR_EINPUT, "cannot import the OpenPGP keyring '%s': %s", keyring,
				first_line(&res.err));
	mcr_proc_result_release(&res);
	return ret;
}

/* git's verify_gpg_signed_buffer, with the keyring and the trusted keys pinned by policy. */
static int verify_openpgp(struct mcr_tagsig_signer *out, const struct mcr_tag_policy *policy,
			  const struct scratch *s, const unsigned char *payload,
			  size_t payload_len, const char *subject)
{
	/* No keyserver look-ups, no trust database: trust is the configured fingerprint list. */
	const char *argv[] = {"gpg", "--batch", "--no-tty", "--no-autostart", "--homedir", s->dir,
			      "--status-fd=1", "--no-auto-key-retrieve", "--trust-model", "always",
			      "--verify", s->sig_path, "-", NULL};
	struct mcr_proc_result res;
	int ret;

	if (!policy->gpg_keyring || !policy->gpg_fingerprints || !policy->gpg_fingerprints[0])
		return mcr_refuse("tag.untrusted_key", "tag '%s' has an OpenPGP signature but no "
				  "OpenPGP release signers are configured", subject);
	if ((ret = gpg_import(s, policy->gpg_keyring)) < 0 ||
	    (ret = run_tool(&res, s, argv, payload, payload_len)) < 0)
		return ret;
	ret = mcr_tagsig_judge_gpg_status(out, (char *)res.out.data, policy->gpg_fingerprints,
					  subject);
	/* gpg said GOODSIG yet failed: something else went wrong; do not accept. */
	if (ret == 0 && !mcr_proc_succeeded(&res)) {
		mcr_tagsig_signer_release(out);
		ret = mcr_refuse("tag.bad_signature", "gpg failed to verify tag '%s': %s", subject,
				 first_line(&res.err));
	}
	mcr_proc_result_release(&res);
	return ret;
}

/* What an ssh verification needs besides the policy. */
struct ssh_job {
	const struct mcr_tag_policy *policy;
	const struct scratch *s;
	const unsigned char *payload;
	size_t payload_len;
	const char *subject;
};

/*
 * ssh-keygen -Y find-principals, at the current time unless verify_time is set.
 * *principals gets one principal a line; empty when none matched. When
 * outside_window is given, it tells whether ssh-keygen skipped a matching key
 * only for its valid-after/valid-before window (its diagnostic, used only to
 * name the refusal).
 */
static int ssh_find_principals(struct mcr_buf *principals, bool *outside_window,
			       const struct ssh_job *job, const char *verify_time)
{
	const char *argv[] = {"ssh-keygen", "-Y", "find-principals", "-s", job->s->sig_path,
			      "-f", job->policy->ssh_allowed_signers, verify_time, NULL};
	struct mcr_proc_result res;
	int ret;

	if ((ret = run_tool(&res, job->s, argv, NULL, 0)) == 0 && mcr_proc_succeeded(&res)) {
		mcr_buf_rtrim(&res.out);
		ret = mcr_buf_add(principals, res.out.data, res.out.len);
	}
	if (ret == 0 && outside_window)
		*outside_window = strstr((char *)res.err.data, ": key has expired: ") ||
				  strstr((char *)res.err.data, ": key is not yet valid: ");
	mcr_proc_result_release(&res);
	return ret;
}

/* ssh-keygen -Y verify -n git for one principal; *key gets "SHA256:..." when it verifies. */
static int ssh_verify_as(bool *good, char **key, const struct ssh_job *job, const char *principal,
			 bool with_revocations)
{
	const char *revs = with_revocations ? job->policy->ssh_revocations : NULL;
	const char *argv[] = {"ssh-keygen", "-Y", "verify", "-n", "git", "-f",
			      job->policy->ssh_allowed_signers, "-I", principal, "-s",
			      job->s->sig_path, revs ? "-r" : NULL, revs, NULL};
	struct mcr_proc_result res;
	const char *k;
	int ret;

	*good = false;
	if ((ret = run_tool(&res, job->s, argv, job->payload, job->payload_len)) < 0)
		return ret;
	*good = mcr_proc_succeeded(&res);
	/* "Good "git" signature for P with ED25519 key SHA256:..." */
	if (*good && key && (k = strstr(first_line(&res.out), " key ")))
		if (!(*key = strdup(k + 5)))
			ret = mcr_error(MCR_ESYS, "out of memory");
	mcr_proc_result_release(&res);
	return ret;
}

/* No principal matched now: a broken signature, a key outside its validity, or a stranger. */
static int ssh_explain_unknown(const struct ssh_job *job, bool outside_window,
			       long long claimed_time)
{
	const char *argv[] = {"ssh-keygen", "-Y", "check-novalidate", "-n", "git", "-s",
			      job->s->sig_path, NULL};
	struct mcr_buf then = MCR_BUF_INIT;
	struct mcr_proc_result res;
	char when[64] = "";
	time_t t = (time_t)claimed_time;
	struct tm tm;
	int ret;

	if ((ret = run_tool(&res, job->s, argv, job->payload, job->payload_len)) < 0)
		return ret;
	if (!mcr_proc_succeeded(&res))
		ret = mcr_refuse("tag.bad_signature", "bad SSH signature on tag '%s'", job->subject);
	mcr_proc_result_release(&res);
	if (ret < 0)
		return ret;
	/* Only to explain the refusal: git judges the key at this signer-chosen time. */
	if (claimed_time >= 0 && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "-Overify-time=%Y%m%d%H%M%SZ", &tm);
	if (*when && (ret = ssh_find_principals(&then, NULL, job, when)) < 0)
		goto out;
	if (then.len)
		ret = mcr_refuse("tag.key_expired", "tag '%s' is signed by the SSH key of '%s', "
				 "which is outside its allowed_signers validity now (git judges it "
				 "at the tagger's claimed date, when it was valid)", job->subject,
				 first_line(&then));
	else if (outside_window)
		ret = mcr_refuse("tag.key_expired", "tag '%s' is signed by an SSH key that is "
				 "outside its allowed_signers validity now", job->subject);
	else
		ret = mcr_refuse("tag.untrusted_key", "tag '%s' is signed by an SSH key that is not "
				 "in the allowed signers file", job->subject);
out:
	mcr_buf_release(&then);
	return ret;
}

/* Every principal failed: revoked if it passes without the revocation list, else bad. */
static int ssh_explain_failed(const struct ssh_job *job, const char *principals)
{
	char line[1024];
	bool good = false;
	int ret;

	while (job->policy->ssh_revocations && *principals) {
		size_t len = strcspn(principals, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)len, principals);
		if ((ret = ssh_verify_as(&good, NULL, job, line, false)) < 0)
			return ret;
		if (good)
			return mcr_refuse("tag.key_revoked", "tag '%s' is signed by a revoked SSH key "
					  "of '%s'", job->subject, line);
		principals += len + (principals[len] == '\n');
	}
	return mcr_refuse("tag.bad_signature", "bad SSH signature on tag '%s'", job->subject);
}

/* git's verify_ssh_signed_buffer: every principal the key maps to is tried, first good wins. */
static int verify_ssh(struct mcr_tagsig_signer *out, const struct ssh_job *job,
		      long long claimed_time)
{
	struct mcr_buf principals = MCR_BUF_INIT;
	const char *p;
	char line[1024], *key = NULL;
	bool good = false, outside_window = false;
	int ret;

	if ((ret = ssh_find_principals(&principals, &outside_window, job, NULL)) < 0)
		goto out;
	if (!principals.len) {
		ret = ssh_explain_unknown(job, outside_window, claimed_time);
		goto out;
	}
	for (p = (char *)principals.data; *p && !good;) {
		size_t len = strcspn(p, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		if ((ret = ssh_verify_as(&good, &key, job, line, true)) < 0)
			goto out;
		p += len + (p[len] == '\n');
	}
	if (good)
		ret = set_signer(out, MCR_TAGSIG_SSH, line, key ? key : "");
	else
		ret = ssh_explain_failed(job, (char *)principals.data);
out:
	free(key);
	mcr_buf_release(&principals);
	return ret;
}

static int verify_ssh_checked(struct mcr_tagsig_signer *out, const struct ssh_job *job,
			      long long claimed_time)
{
	const struct mcr_tag_policy *policy = job->policy;
	int ret;

	if (!policy->ssh_allowed_signers)
		return mcr_refuse("tag.untrusted_key", "tag '%s' has an SSH signature but no SSH "
				  "allowed signers are configured", job->subject);
	if ((ret = check_readable(policy->ssh_allowed_signers, "allowed signers file")) < 0 ||
	    (policy->ssh_revocations &&
	     (ret = check_readable(policy->ssh_revocations, "SSH revocation file")) < 0))
		return ret;
	return verify_ssh(out, job, claimed_time);
}

int mcr_tagsig_verify(struct mcr_tagsig_signer *out, const struct mcr_tag_policy *policy,
		      enum mcr_tagsig_format format, const unsigned char *payload,
		      size_t payload_len, const unsigned char *sig, size_t sig_len,
		      long long claimed_time, const char *subject)
{
	struct ssh_job job = {policy, NULL, payload, payload_len, subject};
	struct scratch s;
	int ret;

	mcr_tagsig_signer_init(out);
	if (format != MCR_TAGSIG_OPENPGP && format != MCR_TAGSIG_SSH)
		return mcr_refuse("tag.unsupported_signature",
				  "tag '%s' has a %s signature; only openpgp and ssh are supported",
				  subject, mcr_tagsig_format_name(format));
	if ((ret = scratch_open(&s, sig, sig_len)) == 0) {
		job.s = &s;
		if (format == MCR_TAGSIG_OPENPGP)
			ret = verify_openpgp(out, policy, &s, payload, payload_len, subject);
		else
			ret = verify_ssh_checked(out, &job, claimed_time);
	}
	scratch_close(&s);
	if (ret < 0)
		mcr_tagsig_signer_release(out);
	return ret;
}
