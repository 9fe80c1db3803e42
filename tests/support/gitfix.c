/* Git fixtures: real repositories, OpenPGP and SSH keys, signed (and forged) tags, a config trusting them. */
#include "gitfix.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "testutil.h"

/* gpg-agents started for fixture homes, stopped before the temp dirs go. */
static char agent_homes[16][MCR_GITFIX_PATH_MAX];
static int agent_home_count;

/* Runs at exit, which may be outside any test (a fixture made in Check's parent process for a
 * whole suite): no Check assertions here, so not mcr_test_sh either. */
static void stop_agents(void)
{
	char command[MCR_GITFIX_PATH_MAX + 64];

	for (int i = 0; i < agent_home_count; i++) {
		snprintf(command, sizeof(command), "gpgconf --homedir '%.4095s' --kill all >/dev/null 2>&1",
			 agent_homes[i]);
		if (system(command) != 0)
			fprintf(stderr, "gitfix: could not stop the gpg agent in %s\n", agent_homes[i]);
	}
	agent_home_count = 0;
}

static void remember_agent_home(const char *home)
{
	if (agent_home_count == 0)
		atexit(stop_agents); /* registered after the tmpdir cleanup, so it runs first */
	if (agent_home_count < 16)
		snprintf(agent_homes[agent_home_count++], MCR_GITFIX_PATH_MAX, "%s", home);
}

static void vsh_line(char *out, size_t out_len, struct mcr_gitfix *fx, const char *fmt,
		     va_list ap)
{
	struct mcr_test_result r;
	char *script, *nl;

	ck_assert(vasprintf(&script, fmt, ap) >= 0);
	mcr_test_sh(&r, "export GNUPGHOME='%s'; cd '%s' && %s", fx->gnupghome, fx->repo, script);
	ck_assert_msg(r.status == 0, "fixture step failed (%d): %s\n%s", r.status, script,
		      (char *)r.err.data);
	if (out) {
		if ((nl = strchr((char *)r.out.data, '\n')))
			*nl = '\0';
		snprintf(out, out_len, "%s", (char *)r.out.data);
	}
	free(script);
	mcr_test_result_release(&r);
}

void mcr_gitfix_sh_line(char *out, size_t out_len, struct mcr_gitfix *fx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsh_line(out, out_len, fx, fmt, ap);
	va_end(ap);
}

#define SH(fx, ...) mcr_gitfix_sh_line(NULL, 0, fx, __VA_ARGS__)

void mcr_gitfix_gpg_key(struct mcr_gitfix_gpg *out, struct mcr_gitfix *fx, const char *name,
			enum mcr_gitfix_key_state state)
{
	const char *faked = state == MCR_GITFIX_KEY_EXPIRED ? "--faked-system-time 20200101T000000"
							    : "";

	memset(out, 0, sizeof(*out));
	snprintf(out->email, sizeof(out->email), "%s@example.org", name);
	snprintf(out->keyring, sizeof(out->keyring), "%s/%s.asc", fx->dir, name);
	SH(fx, "gpg --batch --no-tty %s --passphrase '' --quick-gen-key '%s <%s>' ed25519 sign %s",
	   faked, name, out->email, state == MCR_GITFIX_KEY_EXPIRED ? "1d" : "2y");
	mcr_gitfix_sh_line(out->fpr, sizeof(out->fpr), fx,
			   "gpg --with-colons --list-keys '<%s>' | awk -F: '/^fpr/ {print $10; exit}'",
			   out->email);
	ck_assert_uint_eq(strlen(out->fpr), 40);
	SH(fx, "gpg --armor --export %s > '%s'", out->fpr, out->keyring);
	if (state == MCR_GITFIX_KEY_EXPIRED)
		snprintf(out->faked_time, sizeof(out->faked_time), "20200101T120000");
	/* The signing home keeps a live key; only the exported keyring says "revoked". */
	if (state == MCR_GITFIX_KEY_REVOKED)
		SH(fx, "sed 's/^:-----/-----/' '%s/openpgp-revocs.d/%s.rev' >> '%s'", fx->gnupghome,
		   out->fpr, out->keyring);
}

void mcr_gitfix_ssh_key(struct mcr_gitfix_ssh *out, struct mcr_gitfix *fx, const char *name)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->principal, sizeof(out->principal), "%s@example.org", name);
	snprintf(out->key, sizeof(out->key), "%s/%s", fx->dir, name);
	snprintf(out->pub, sizeof(out->pub), "%s/%s.pub", fx->dir, name);
	SH(fx, "ssh-keygen -q -t ed25519 -N '' -C '%s' -f '%s'", out->principal, out->key);
}

void mcr_gitfix_allow_ssh(const char *allowed_signers, const struct mcr_gitfix_ssh *key,
			  const char *options)
{
	mcr_test_sh_ok("printf '%%s %%s %%s\\n' '%s' '%s' \"$(cat '%s')\" >> '%s'", key->principal,
		       options && *options ? options : "namespaces=\"git\"", key->pub,
		       allowed_signers);
}

void mcr_gitfix_commit(char *oid, struct mcr_gitfix *fx, const char *message)
{
	SH(fx, "echo '%s' >> file.txt && git add file.txt && git commit -q -m '%s'", message,
	   message);
	mcr_gitfix_sh_line(oid, MCR_GITFIX_OID_MAX, fx, "git rev-parse HEAD");
}

void mcr_gitfix_setup(struct mcr_gitfix *fx)
{
	const char *dir = mcr_test_tmpdir();

	memset(fx, 0, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "%s", dir);
	snprintf(fx->repo, sizeof(fx->repo), "%s/repo", dir);
	snprintf(fx->gnupghome, sizeof(fx->gnupghome), "%s/gnupg", dir);
	mcr_test_sh_ok("mkdir -m 700 '%s' && git init -q -b main '%s'", fx->gnupghome, fx->repo);
	setenv("GNUPGHOME", fx->gnupghome, 1);
	remember_agent_home(fx->gnupghome);
	SH(fx, "git config user.name 'Release Manager' && git config user.email rm@example.org");
	mcr_gitfix_commit(fx->head, fx, "first");
	mcr_gitfix_gpg_key(&fx->gpg, fx, "release", MCR_GITFIX_KEY_VALID);
	mcr_gitfix_ssh_key(&fx->ssh, fx, "release-ssh");
	snprintf(fx->gpg_keyring, sizeof(fx->gpg_keyring), "%s", fx->gpg.keyring);
	snprintf(fx->fingerprints[0], sizeof(fx->fingerprints[0]), "%s", fx->gpg.fpr);
	snprintf(fx->allowed_signers, sizeof(fx->allowed_signers), "%s/allowed_signers", dir);
	mcr_gitfix_allow_ssh(fx->allowed_signers, &fx->ssh, NULL);
	snprintf(fx->pin_store, sizeof(fx->pin_store), "%s/pins.json", dir);
}

void mcr_gitfix_git_tag(struct mcr_gitfix *fx, const char *name, enum mcr_gitfix_format format,
			const char *target)
{
	const char *t = target ? target : "HEAD";

	if (format == MCR_GITFIX_OPENPGP)
		SH(fx, "git -c user.signingkey=%s tag -s -m 'Release %s' '%s' %s", fx->gpg.fpr, name,
		   name, t);
	else if (format == MCR_GITFIX_SSH)
		SH(fx, "git -c gpg.format=ssh -c user.signingkey='%s' tag -s -m 'Release %s' '%s' %s",
		   fx->ssh.key, name, name, t);
	else
		SH(fx, "git tag -a -m 'Release %s' '%s' %s", name, name, t);
}

void mcr_gitfix_repo_with_signed_tag(struct mcr_gitfix *fx, const char *name,
				     enum mcr_gitfix_format format)
{
	mcr_gitfix_setup(fx);
	mcr_gitfix_git_tag(fx, name, format, NULL);
	mcr_gitfix_write_config(fx);
}

static void payload_text(struct mcr_buf *out, struct mcr_gitfix *fx, const struct mcr_gitfix_tag *t)
{
	long long when = t->tagger_time ? t->tagger_time : (long long)time(NULL);

	mcr_buf_addf(out, "object %s\ntype %s\ntag %s\ntagger Release Manager <rm@example.org> %lld "
		     "+0000\n\n", t->target ? t->target : fx->head, t->type ? t->type : "commit",
		     t->name, when);
	if (t->message)
		mcr_buf_add_str(out, t->message);
	else
		mcr_buf_addf(out, "Release %s\n", t->name);
}

/* Signs DIR/payload into DIR/payload.sig as git would. */
static void sign_payload(struct mcr_gitfix *fx, const struct mcr_gitfix_tag *t)
{
	const struct mcr_gitfix_gpg *gpg = t->gpg ? t->gpg : &fx->gpg;
	const struct mcr_gitfix_ssh *ssh = t->ssh ? t->ssh : &fx->ssh;

	if (t->format == MCR_GITFIX_OPENPGP)
		SH(fx, "gpg --batch --no-tty %s%s -u %s %s%s -bsa < '%s/payload' > '%s/payload.sig'",
		   *gpg->faked_time ? "--faked-system-time " : "", gpg->faked_time, gpg->fpr,
		   t->also_gpg ? "-u " : "", t->also_gpg ? t->also_gpg->fpr : "", fx->dir, fx->dir);
	else if (t->format == MCR_GITFIX_SSH)
		SH(fx, "ssh-keygen -q -Y sign -n git -f '%s' < '%s/payload' > '%s/payload.sig'",
		   ssh->key, fx->dir, fx->dir);
}

void mcr_gitfix_tag_object(char *oid, struct mcr_gitfix *fx, const struct mcr_gitfix_tag *t)
{
	struct mcr_buf obj = MCR_BUF_INIT, sig = MCR_BUF_INIT;
	const char *path = mcr_test_path("%s/payload", fx->dir);

	payload_text(&obj, fx, t);
	mcr_test_write(path, obj.data, obj.len);
	if (t->payload_suffix)
		mcr_buf_add_str(&obj, t->payload_suffix);
	if (t->format != MCR_GITFIX_UNSIGNED) {
		sign_payload(fx, t);
		mcr_test_read(&sig, mcr_test_path("%s/payload.sig", fx->dir));
		if (t->flip_signature_byte) {
			/* a base64 character in the middle of the body, kept valid base64 */
			unsigned char *c = sig.data + sig.len / 2;

			*c = *c == 'A' ? 'B' : 'A';
		}
		mcr_buf_add(&obj, sig.data, sig.len);
	}
	if (t->after_signature)
		mcr_buf_add_str(&obj, t->after_signature);
	mcr_test_write(mcr_test_path("%s/tagobj", fx->dir), obj.data, obj.len);
	mcr_gitfix_sh_line(oid, MCR_GITFIX_OID_MAX, fx,
			   "git mktag < '%s/tagobj' 2>/dev/null || "
			   "git hash-object -t tag -w --literally --stdin < '%s/tagobj'",
			   fx->dir, fx->dir);
	ck_assert_uint_eq(strlen(oid), 40);
	mcr_buf_release(&obj);
	mcr_buf_release(&sig);
}

void mcr_gitfix_set_ref(struct mcr_gitfix *fx, const char *refname, const char *oid)
{
	SH(fx, "git update-ref '%s' %s", refname, oid);
}

const char *mcr_gitfix_write_config(struct mcr_gitfix *fx)
{
	struct mcr_buf text = MCR_BUF_INIT;

	mcr_buf_addf(&text, "{\n  \"product\": \"gate-test\",\n  \"policy\": {\"tag\": {\n");
	if (*fx->pattern)
		mcr_buf_addf(&text, "    \"pattern\": \"%s\",\n", fx->pattern);
	mcr_buf_addf(&text, "    \"gpg_fingerprints\": [");
	for (int i = 0; i < 4 && fx->fingerprints[i][0]; i++)
		mcr_buf_addf(&text, "%s\"%s\"", i ? ", " : "", fx->fingerprints[i]);
	mcr_buf_addf(&text, "],\n    \"gpg_keyring\": \"%s\",\n", fx->gpg_keyring);
	mcr_buf_addf(&text, "    \"ssh_allowed_signers\": \"%s\",\n", fx->allowed_signers);
	if (*fx->revocations)
		mcr_buf_addf(&text, "    \"ssh_revocations\": \"%s\",\n", fx->revocations);
	mcr_buf_addf(&text, "    \"pin_store\": \"%s\"\n  }}\n}\n", fx->pin_store);
	snprintf(fx->config, sizeof(fx->config), "%s/mcurelease.json", fx->dir);
	mcr_test_write(fx->config, text.data, text.len);
	mcr_buf_release(&text);
	return fx->config;
}

void mcr_gitfix_policy(struct mcr_gitfix *fx, struct mcr_tag_policy *out)
{
	int n = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 4; i++)
		if (fx->fingerprints[i][0])
			fx->fpr_list[n++] = fx->fingerprints[i];
	fx->fpr_list[n] = NULL;
	out->pattern = *fx->pattern ? fx->pattern : NULL;
	out->gpg_fingerprints = fx->fpr_list;
	out->gpg_keyring = fx->gpg_keyring;
	out->ssh_allowed_signers = fx->allowed_signers;
	out->ssh_revocations = *fx->revocations ? fx->revocations : NULL;
	out->pin_store = fx->pin_store;
}

int mcr_gitfix_git_verify_tag(struct mcr_gitfix *fx, const char *name)
{
	struct mcr_test_result r;
	int status;

	mcr_test_sh(&r, "export GNUPGHOME='%s'; cd '%s' && git -c gpg.ssh.allowedSignersFile='%s' "
		    "%s%s%s verify-tag '%s'", fx->gnupghome, fx->repo, fx->allowed_signers,
		    *fx->revocations ? "-c gpg.ssh.revocationFile='" : "", fx->revocations,
		    *fx->revocations ? "'" : "", name);
	status = r.status;
	mcr_test_result_release(&r);
	return status;
}
