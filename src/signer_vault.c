/* The vault-transit signer: HashiCorp Vault (or OpenBao) Transit signs the digest over HTTPS. */
#include "signer_vault.h"

#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "json.h"
#include "signer.h"
#include "vault_http.h"
#include "vault_transit.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOKEN_FILE_MAX_LEN 16384
#define ERROR_TEXT_MAX 200

struct vault_state {
	char *name;
	char *addr; /* without a trailing '/' */
	char *mount;
	char *key_name;
	char *namespace_name;
	long long key_version;	/* configured; 0: the latest */
	long long read_version; /* whose public key was read: the one we sign with */
	long long used_version; /* of the last signature, else of the key read */
	struct mcr_buf token;	/* secret; kept to redact it should Vault ever echo it */
	struct mcr_vault_http *http;
};

/* Token bytes go into an HTTP header: printable ASCII only, no spaces. */
static bool is_token_clean(const struct mcr_buf *token)
{
	for (size_t i = 0; i < token->len; i++)
		if (token->data[i] <= ' ' || token->data[i] >= 0x7f)
			return false;
	return true;
}

static int read_token_file(struct mcr_buf *token, const char *path, const char *signer_name)
{
	int ret;

	if ((ret = mcr_fileio_read_all(path, TOKEN_FILE_MAX_LEN, token)) < 0)
		return ret;
	/* Exactly one line ending goes, as `echo` or an editor leaves it. */
	if (token->len && token->data[token->len - 1] == '\n')
		mcr_buf_truncate(token, token->len - 1);
	if (token->len && token->data[token->len - 1] == '\r')
		mcr_buf_truncate(token, token->len - 1);
	if (!token->len)
		return mcr_error(MCR_EINPUT, "empty vault token file '%s' for signer '%s'", path,
				 signer_name);
	if (!is_token_clean(token))
		return mcr_error(MCR_EINPUT, "vault token file '%s' for signer '%s' holds spaces, "
				 "control characters or several lines", path, signer_name);
	return 0;
}

int mcr_signer_vault_read_token(struct mcr_buf *token, const struct mcr_signer_config *cfg)
{
	const char *env, *value;
	int ret;

	mcr_buf_truncate(token, 0);
	if (cfg->vault_token_file && cfg->vault_token_env)
		return mcr_error(MCR_EINPUT, "signer '%s' sets both 'token_file' and 'token_env'",
				 cfg->name);
	if (cfg->vault_token_file)
		return read_token_file(token, cfg->vault_token_file, cfg->name);
	if (!(env = cfg->vault_token_env))
		return mcr_error(MCR_EINPUT, "signer '%s' of type 'vault-transit' needs "
				 "'token_file' or 'token_env'", cfg->name);
	if (!(value = getenv(env)) || !*value)
		return mcr_error(MCR_EINPUT,
				 "no vault token in environment variable '%s' for signer '%s'", env,
				 cfg->name);
	if ((ret = mcr_buf_add_str(token, value)) < 0)
		return ret;
	if (!is_token_clean(token))
		return mcr_error(MCR_EINPUT, "vault token in environment variable '%s' for "
				 "signer '%s' holds a space or control character", env, cfg->name);
	return 0;
}

/*
 * Names that become URL path segments (or a header): Vault's own name
 * characters only, so nothing needs escaping and nothing can break out of
 * the path. A mount or namespace may have several segments.
 */
static int check_name(const char *value, bool is_multi, const char *key,
		      const char *signer_name)
{
	const char *seg = value;
	size_t len;

	for (;;) {
		len = strcspn(seg, "/");
		for (size_t i = 0; i < len; i++)
			if (!isalnum((unsigned char)seg[i]) && !strchr("_-.", seg[i]))
				goto bad;
		if (!len || (len == 1 && seg[0] == '.') || (len == 2 && !strncmp(seg, "..", 2)))
			goto bad;
		if (!seg[len])
			return 0;
		if (!is_multi)
			goto bad;
		seg += len + 1;
	}
bad:
	return mcr_error(MCR_EINPUT, "bad %s '%s' of signer '%s': letters, digits, '_', '-' and "
			 "'.'%s only", key, value, signer_name, is_multi ? " between '/'" : "");
}

static int check_addr(const char *addr, const char *signer_name)
{
	if (strncasecmp(addr, "https://", 8) || !addr[8] || addr[8] == '/')
		return mcr_error(MCR_EINPUT,
				 "vault address '%s' of signer '%s' is not https://HOST", addr,
				 signer_name);
	/* Not echoed: user info could hold a password. */
	for (const char *p = addr; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr("@?#", *p))
			return mcr_error(MCR_EINPUT,
					 "vault address of signer '%s' holds user info, a query, a "
					 "fragment or a space", signer_name);
	return 0;
}

static int check_config(const struct mcr_signer_config *cfg, const char *key_name)
{
	int ret;

	if (!cfg->vault_addr)
		return mcr_error(MCR_EINPUT, "signer '%s' of type 'vault-transit' needs 'addr'",
				 cfg->name);
	if (!key_name)
		return mcr_error(MCR_EINPUT, "signer '%s' of type 'vault-transit' needs 'key_name'",
				 cfg->name);
	if ((ret = check_addr(cfg->vault_addr, cfg->name)) < 0 ||
	    (ret = check_name(key_name, false, "key_name", cfg->name)) < 0 ||
	    (cfg->vault_mount &&
	     (ret = check_name(cfg->vault_mount, true, "mount", cfg->name)) < 0) ||
	    (cfg->vault_namespace &&
	     (ret = check_name(cfg->vault_namespace, true, "namespace", cfg->name)) < 0))
		return ret;
	if (cfg->vault_ca_file && access(cfg->vault_ca_file, R_OK) < 0)
		return mcr_error_errno(MCR_EINPUT, "cannot read CA bundle '%s' of signer '%s'",
				       cfg->vault_ca_file, cfg->name);
	return 0;
}

static char *dup_or_null(const char *s, bool *is_oom)
{
	char *copy = s ? strdup(s) : NULL;

	*is_oom |= s && !copy;
	return copy;
}

/* The config is freed once the signer is open: keep copies of what we need. */
static int copy_config(struct vault_state *vs, const struct mcr_signer_config *cfg,
		       const char *key_name)
{
	bool is_oom = false;
	size_t len;

	vs->name = dup_or_null(cfg->name, &is_oom);
	vs->addr = dup_or_null(cfg->vault_addr, &is_oom);
	vs->mount = dup_or_null(cfg->vault_mount ? cfg->vault_mount : "transit", &is_oom);
	vs->key_name = dup_or_null(key_name, &is_oom);
	vs->namespace_name = dup_or_null(cfg->vault_namespace, &is_oom);
	if (is_oom)
		return mcr_error(MCR_ESYS, "out of memory");
	for (len = strlen(vs->addr); len > 8 && vs->addr[len - 1] == '/'; len--)
		vs->addr[len - 1] = '\0';
	vs->key_version = cfg->vault_key_version;
	return 0;
}

static void vault_close(void *state)
{
	struct vault_state *vs = state;

	if (!vs)
		return;
	mcr_vault_http_free(vs->http);
	mcr_buf_release(&vs->token);
	free(vs->name);
	free(vs->addr);
	free(vs->mount);
	free(vs->key_name);
	free(vs->namespace_name);
	free(vs);
}

static int vault_open(void **state, const struct mcr_signer_config *cfg)
{
	const char *key_name = cfg->vault_key ? cfg->vault_key : cfg->key_id;
	struct mcr_vault_http_config hc = {0};
	struct vault_state *vs;
	int ret;

	*state = NULL;
	if ((ret = check_config(cfg, key_name)) < 0)
		return ret;
	if (!(vs = calloc(1, sizeof(*vs))))
		return mcr_error(MCR_ESYS, "out of memory");
	mcr_buf_init_secret(&vs->token);
	if ((ret = copy_config(vs, cfg, key_name)) < 0 ||
	    (ret = mcr_signer_vault_read_token(&vs->token, cfg)) < 0)
		goto out;
	hc.signer_name = vs->name;
	hc.addr = vs->addr;
	hc.ca_file = cfg->vault_ca_file;
	hc.namespace_name = vs->namespace_name;
	hc.token = &vs->token;
	hc.timeout_ms = cfg->timeout_ms;
	if ((ret = mcr_vault_http_new(&vs->http, &hc)) < 0)
		goto out;
	*state = vs;
	vs = NULL;
out:
	vault_close(vs);
	return ret;
}

/* One request; an HTTP error status becomes one line carrying Vault's own first error. */
static int vault_call(struct vault_state *vs, const char *path, const char *body,
		      struct mcr_buf *reply)
{
	char why[ERROR_TEXT_MAX + 1];
	long status;
	int ret;

	if ((ret = mcr_vault_http_call(vs->http, path, body, &status, reply)) < 0)
		return ret;
	if (status >= 200 && status < 300)
		return 0;
	mcr_vault_transit_error_text(why, sizeof(why), reply->data, reply->len, &vs->token);
	return mcr_error(MCR_ESIGNER, "HTTP %ld from vault '%s' for signer '%s' (%s %s)%s%s",
			 status, vs->addr, vs->name, body ? "POST" : "GET", path,
			 why[0] ? ": " : "", why);
}

static int vault_public_key(void *state, struct mcr_key **out)
{
	struct vault_state *vs = state;
	struct mcr_buf path = MCR_BUF_INIT, reply = MCR_BUF_INIT, url = MCR_BUF_INIT;
	int ret;

	*out = NULL;
	if ((ret = mcr_buf_addf(&path, "/v1/%s/keys/%s", vs->mount, vs->key_name)) < 0 ||
	    (ret = mcr_buf_addf(&url, "%s%s", vs->addr, (const char *)path.data)) < 0 ||
	    (ret = vault_call(vs, (const char *)path.data, NULL, &reply)) < 0 ||
	    (ret = mcr_vault_transit_parse_key(out, &vs->read_version, reply.data, reply.len,
					       vs->key_version, vs->name,
					       (const char *)url.data)) < 0)
		goto out;
	vs->used_version = vs->read_version;
out:
	mcr_buf_release(&path);
	mcr_buf_release(&reply);
	mcr_buf_release(&url);
	return ret;
}

static int vault_sign(void *state, const struct mcr_sign_input *in, struct mcr_buf *sig,
		      enum mcr_sig_format *format)
{
	struct vault_state *vs = state;
	struct mcr_buf path = MCR_BUF_INIT, body = MCR_BUF_INIT, reply = MCR_BUF_INIT;
	/* The version whose public key was read and checked, not whatever is latest by now. */
	long long want = vs->key_version ? vs->key_version : vs->read_version, version = 0;
	size_t start = sig->len;
	int ret;

	*format = MCR_SIG_DER; /* asked for with marshaling_algorithm "asn1" */
	if ((ret = mcr_vault_transit_sign_request(&path, &body, vs->mount, vs->key_name, want,
						  in)) < 0 ||
	    (ret = vault_call(vs, (const char *)path.data, (const char *)body.data, &reply)) < 0 ||
	    (ret = mcr_vault_transit_parse_sign(sig, &version, reply.data, reply.len, want,
						vs->name)) < 0)
		goto out;
	/* Said here because the generic check cannot know DER was asked for. */
	if ((in->key_type == MCR_KEY_P256 || in->key_type == MCR_KEY_P384) &&
	    sig->data[start] != 0x30) {
		mcr_buf_truncate(sig, start);
		ret = mcr_error(MCR_ESIGNER, "bad reply from vault for signer '%s': ECDSA "
				"signature is not DER (asked for with 'asn1')", vs->name);
		goto out;
	}
	vs->used_version = version;
out:
	mcr_buf_release(&path);
	mcr_buf_release(&body);
	mcr_buf_release(&reply);
	return ret;
}

static int vault_describe(void *state, cJSON *into)
{
	struct vault_state *vs = state;
	int ret;

	if ((ret = mcr_json_add_string(into, "vault_addr", vs->addr)) < 0 ||
	    (ret = mcr_json_add_string(into, "vault_mount", vs->mount)) < 0 ||
	    (ret = mcr_json_add_string(into, "vault_key", vs->key_name)) < 0 ||
	    (vs->used_version &&
	     (ret = mcr_json_add_int(into, "vault_key_version", vs->used_version)) < 0) ||
	    (vs->namespace_name &&
	     (ret = mcr_json_add_string(into, "vault_namespace", vs->namespace_name)) < 0))
		return ret;
	return 0;
}

const struct mcr_signer_backend mcr_signer_vault_backend = {
	.name = "vault-transit",
	.is_dev = false,
	.open = vault_open,
	.public_key = vault_public_key,
	.sign = vault_sign,
	.describe = vault_describe,
	.close = vault_close,
};
