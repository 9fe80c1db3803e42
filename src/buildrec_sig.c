/* Build records: signed with the builder's SSH key, verified against allowed_signers (ssh-keygen -Y). */
#include "buildrec.h"

#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOOL_TIMEOUT_MS 60000

/* A private scratch directory holding the signature file, and the tools' environment. */
struct scratch {
	char *dir;
	char *sig_path;
	char *path_env;
	char *agent_env;
};

static void scratch_close(struct scratch *s)
{
	if (s->dir)
		mcr_fileio_remove_tree(s->dir);
	free(s->dir);
	free(s->sig_path);
	free(s->path_env);
	free(s->agent_env);
	memset(s, 0, sizeof(*s));
}

static int scratch_open(struct scratch *s)
{
	const char *path = getenv("PATH"), *agent = getenv("SSH_AUTH_SOCK");
	int ret;

	memset(s, 0, sizeof(*s));
	if ((ret = mcr_fileio_mkdtemp(&s->dir, "mcr-buildrec")) < 0)
		return ret;
	/* the agent socket lets a key held in ssh-agent (or a token behind it) sign */
	if (asprintf(&s->sig_path, "%s/record.sig", s->dir) < 0 ||
	    asprintf(&s->path_env, "PATH=%s", path && *path ? path : "/usr/bin:/bin") < 0 ||
	    (agent && *agent && asprintf(&s->agent_env, "SSH_AUTH_SOCK=%s", agent) < 0))
		return mcr_error(MCR_ESYS, "out of memory");
	return 0;
}

/* ssh-keygen with a small fixed environment (never ours) and the payload on stdin. */
static int run_keygen(struct mcr_proc_result *res, const struct scratch *s,
		      const char *const *argv, const struct mcr_buf *payload)
{
	const char *env[] = {s->path_env, "LC_ALL=C", s->agent_env, NULL};
	struct mcr_proc_spec spec;

	mcr_proc_spec_init(&spec);
	spec.argv = argv;
	spec.env = env;
	spec.stdin_data = payload ? payload->data : NULL;
	spec.stdin_len = payload ? payload->len : 0;
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

/* "SHA256:..." from a line of ssh-keygen's, after marker ("key " or the first space). */
static int take_fingerprint(char **out, const char *line)
{
	const char *fp = strstr(line, "SHA256:");
	size_t len;

	if (!fp)
		return mcr_error(MCR_EINPUT, "no SHA256 fingerprint in ssh-keygen's output '%s'", line);
	len = strcspn(fp, " \n");
	if (!(*out = strndup(fp, len)))
		return mcr_error(MCR_ESYS, "out of memory");
	return 0;
}

static int key_fingerprint(char **out, const struct scratch *s, const char *key_path)
{
	const char *argv[] = {"ssh-keygen", "-l", "-E", "sha256", "-f", key_path, NULL};
	struct mcr_proc_result res;
	int ret;

	if ((ret = run_keygen(&res, s, argv, NULL)) == 0) {
		if (mcr_proc_succeeded(&res))
			ret = take_fingerprint(out, first_line(&res.out));
		else
			ret = mcr_error(MCR_EINPUT, "cannot read the builder's SSH key '%s': %s",
					key_path, first_line(&res.err));
	}
	mcr_proc_result_release(&res);
	return ret;
}

int mcr_buildrec_key_id(char **out, const char *key_path)
{
	struct scratch s;
	int ret;

	*out = NULL;
	if ((ret = scratch_open(&s)) == 0)
		ret = key_fingerprint(out, &s, key_path);
	scratch_close(&s);
	return ret;
}

/* ssh-keygen -Y check-novalidate: the signature is good for payload; *key its fingerprint. */
static int check_novalidate(bool *good, char **key, const struct scratch *s,
			    const struct mcr_buf *payload)
{
	const char *argv[] = {"ssh-keygen", "-Y", "check-novalidate", "-n",
			      MCR_BUILDREC_NAMESPACE, "-s", s->sig_path, NULL};
	struct mcr_proc_result res;
	int ret;

	if ((ret = run_keygen(&res, s, argv, payload)) == 0) {
		*good = mcr_proc_succeeded(&res);
		if (*good && key)
			ret = take_fingerprint(key, first_line(&res.out));
	}
	mcr_proc_result_release(&res);
	return ret;
}

static int sign_payload(struct mcr_buf *sig, const struct scratch *s, const char *key_path,
			const struct mcr_buf *payload)
{
	const char *argv[] = {"ssh-keygen", "-q", "-Y", "sign", "-n", MCR_BUILDREC_NAMESPACE, "-f",
			      key_path, NULL};
	struct mcr_proc_result res;
	int ret;

	if ((ret = run_keygen(&res, s, argv, payload)) < 0)
		goto out;
	if (res.timed_out) {
		ret = mcr_error(MCR_EINPUT, "ssh-keygen timed out signing with SSH key '%s' (a key "
				"with a passphrase must be in ssh-agent)", key_path);
		goto out;
	}
	if (!mcr_proc_succeeded(&res) || !res.out.len) {
		ret = mcr_error(MCR_EINPUT, "cannot sign the build record with SSH key '%s': %s",
				key_path, first_line(&res.err));
		goto out;
	}
	ret = mcr_buf_add(sig, res.out.data, res.out.len);
out:
	mcr_proc_result_release(&res);
	return ret;
}

/* Signs, then checks the signature with the key it claims before anyone else sees it. */
int mcr_buildrec_sign(struct mcr_buildrec *rec, const char *key_path)
{
	struct mcr_buf payload = MCR_BUF_INIT, sig = MCR_BUF_INIT;
	struct scratch s;
	char *signed_by = NULL;
	bool good = false;
	int ret;

	free(rec->builder_key);
	rec->builder_key = NULL;
	if ((ret = scratch_open(&s)) < 0 ||
	    (ret = key_fingerprint(&rec->builder_key, &s, key_path)) < 0 ||
	    (ret = mcr_buildrec_canonical(&payload, rec)) < 0 ||
	    (ret = sign_payload(&sig, &s, key_path, &payload)) < 0 ||
	    (ret = mcr_fileio_write_atomic(s.sig_path, sig.data, sig.len, 0600)) < 0 ||
	    (ret = check_novalidate(&good, &signed_by, &s, &payload)) < 0)
		goto out;
	if (!good || strcmp(signed_by, rec->builder_key)) {
		ret = mcr_error(MCR_EINPUT, "ssh-keygen's signature with key '%s' does not verify "
				"as made by that key", key_path);
		goto out;
	}
	mcr_buf_release(&rec->signature);
	ret = mcr_buf_add(&rec->signature, sig.data, sig.len);
out:
	free(signed_by);
	mcr_buf_release(&payload);
	mcr_buf_release(&sig);
	scratch_close(&s);
	return ret;
}

/* ssh-keygen -Y verify as principal id; *key gets the signing key's fingerprint when good. */
static int verify_as(bool *good, char **key, const struct scratch *s, const char *allowed,
		     const char *id, const struct mcr_buf *payload)
{
	const char *argv[] = {"ssh-keygen", "-Y", "verify", "-n", MCR_BUILDREC_NAMESPACE, "-f",
			      allowed, "-I", id, "-s", s->sig_path, NULL};
	struct mcr_proc_result res;
	int ret;

	*good = false;
	if ((ret = run_keygen(&res, s, argv, payload)) == 0) {
		*good = mcr_proc_succeeded(&res);
		if (*good)
			ret = take_fingerprint(key, first_line(&res.out));
	}
	mcr_proc_result_release(&res);
	return ret;
}

/* ssh-keygen -Y find-principals: the principals whose key made the signature, one a line. */
static int find_principals(struct mcr_buf *out, const struct scratch *s, const char *allowed)
{
	const char *argv[] = {"ssh-keygen", "-Y", "find-principals", "-s", s->sig_path, "-f",
			      allowed, NULL};
	struct mcr_proc_result res;
	int ret;

	if ((ret = run_keygen(&res, s, argv, NULL)) == 0 && mcr_proc_succeeded(&res)) {
		mcr_buf_rtrim(&res.out);
		ret = mcr_buf_add(out, res.out.data, res.out.len);
	}
	mcr_proc_result_release(&res);
	return ret;
}

static bool has_line(const char *lines, const char *line)
{
	size_t len = strlen(line);

	for (const char *p = lines; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n'))
		if (strcspn(p, "\n") == len && !strncmp(p, line, len))
			return true;
	return false;
}

/* The signature did not verify as the claimed builder's: say which of the reasons it is. */
static int explain_refusal(const struct mcr_buildrec *rec, const struct scratch *s,
			   const char *allowed, const struct mcr_buf *payload, const char *subject)
{
	struct mcr_buf principals = MCR_BUF_INIT;
	bool good = false;
	int ret;

	if ((ret = check_novalidate(&good, NULL, s, payload)) < 0)
		return ret;
	if (!good)
		return mcr_refuse("records.bad_signature", "bad signature on build record '%s': "
				  "the record or its signature was altered", subject);
	if ((ret = find_principals(&principals, s, allowed)) < 0)
		goto out;
	if (!principals.len)
		ret = mcr_refuse("records.untrusted_builder", "build record '%s' is signed by an SSH "
				 "key that is not in the builders' allowed signers", subject);
	else if (!has_line((char *)principals.data, rec->builder_id))
		ret = mcr_refuse("records.builder_mismatch", "build record '%s' claims builder '%s' "
				 "but is signed by the key of '%s'", subject, rec->builder_id,
				 first_line(&principals));
	else
		ret = mcr_refuse("records.untrusted_builder", "the key of builder '%s' may not sign "
				 "build records now (namespaces or validity in the allowed signers) "
				 "in '%s'", rec->builder_id, subject);
out:
	mcr_buf_release(&principals);
	return ret;
}

int mcr_buildrec_verify(const struct mcr_buildrec *rec, const char *allowed_signers,
			const char *subject)
{
	struct mcr_buf payload = MCR_BUF_INIT;
	struct scratch s;
	char *key = NULL;
	bool good = false;
	FILE *f;
	int ret;

	if (!allowed_signers)
		return mcr_refuse("records.untrusted_builder", "no builders' allowed signers file is "
				  "configured (policy.builders.allowed_signers) to check '%s'",
				  subject);
	if (!(f = fopen(allowed_signers, "r")))
		return mcr_error_errno(MCR_EINPUT, "cannot read builders' allowed signers file '%s'",
				       allowed_signers);
	fclose(f);
	if ((ret = scratch_open(&s)) < 0 || (ret = mcr_buildrec_canonical(&payload, rec)) < 0 ||
	    (ret = mcr_fileio_write_atomic(s.sig_path, rec->signature.data, rec->signature.len,
					   0600)) < 0 ||
	    (ret = verify_as(&good, &key, &s, allowed_signers, rec->builder_id, &payload)) < 0)
		goto out;
	if (!good)
		ret = explain_refusal(rec, &s, allowed_signers, &payload, subject);
	else if (strcmp(key, rec->builder_key))
		ret = mcr_refuse("records.builder_mismatch", "build record '%s' names key '%s' but "
				 "is signed with '%s'", subject, rec->builder_key, key);
out:
	free(key);
	mcr_buf_release(&payload);
	scratch_close(&s);
	return ret;
}
