/* The command signer's request side: placeholders in its argv and the environment it runs with. */
#include "signer_command_args.h"

#include "buf.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum placeholder {
	PH_DIGEST_FILE,
	PH_DIGEST_HEX,
	PH_DIGEST_B64,
	PH_DIGEST_B64URL,
	PH_SIG_FILE,
	PH_HASH,
	PH_ALG,
	PH_KEY_ID,
	PH_REQUEST_ID,
	PH_COUNT,
};

static const char *const placeholder_names[PH_COUNT] = {
        "digest_file", "digest_hex", "digest_b64", "digest_b64url", "sig_file",
        "hash",        "alg",        "key_id",     "request_id",
};

/* Length of a "{word}" token (lowercase letters, digits and '_') at s, else 0. */
static size_t word_token_len(const char *s)
{
	size_t n = 1;

	if (s[0] != '{')
		return 0;
	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_')
		n++;
	return n > 1 && s[n] == '}' ? n + 1 : 0;
}

/* Which placeholder the token of length len at s is, or -1 for an unknown word. */
static int placeholder_of(const char *s, size_t len)
{
	for (int i = 0; i < PH_COUNT; i++)
		if (strlen(placeholder_names[i]) == len - 2 &&
		    !strncmp(s + 1, placeholder_names[i], len - 2))
			return i;
	return -1;
}

static int check_element(const char *arg, size_t index, bool has_key_id, bool has_digest_file,
                         const char *signer)
{
	for (const char *p = arg; *p; p++) {
		size_t len = word_token_len(p);
		int ph;

		if (!len)
			continue;
		if ((ph = placeholder_of(p, len)) < 0)
			return mcr_error(MCR_EINPUT,
			                 "unknown placeholder '%.*s' in argv of signer '%s'",
			                 (int)len, p, signer);
		if (index == 0)
			return mcr_error(MCR_EINPUT,
			                 "placeholder '%.*s' in argv[0] of signer '%s': the "
			                 "program must be fixed",
			                 (int)len, p, signer);
		if (ph == PH_KEY_ID && !has_key_id)
			return mcr_error(MCR_EINPUT,
			                 "placeholder '{key_id}' of signer '%s' needs 'key_id'",
			                 signer);
		if (ph == PH_DIGEST_FILE && !has_digest_file)
			return mcr_error(MCR_EINPUT,
			                 "placeholder '{digest_file}' of signer '%s' needs 'input' "
			                 "file or stdin",
			                 signer);
		p += len - 1;
	}
	return 0;
}

int mcr_signer_command_args_check(const char *const *argv, bool has_key_id, bool has_digest_file,
                                  const char *signer)
{
	int ret;

	for (size_t i = 0; argv[i]; i++)
		if ((ret = check_element(argv[i], i, has_key_id, has_digest_file, signer)) < 0)
			return ret;
	return 0;
}

/* The text of every placeholder for one request, computed once. */
struct values {
	struct mcr_buf hex, b64, b64url;
	const char *text[PH_COUNT];
};

static int values_init(struct values *v, const struct mcr_signer_command_request *req)
{
	int ret;

	memset(v, 0, sizeof(*v));
	if ((ret = mcr_buf_add_hex(&v->hex, req->data, req->data_len)) < 0 ||
	    (ret = mcr_base64_encode(&v->b64, req->data, req->data_len, false)) < 0 ||
	    (ret = mcr_base64_encode(&v->b64url, req->data, req->data_len, true)) < 0)
		return ret;
	v->text[PH_DIGEST_FILE] = req->digest_file ? req->digest_file : "";
	v->text[PH_DIGEST_HEX] = (const char *)v->hex.data;
	v->text[PH_DIGEST_B64] = (const char *)v->b64.data;
	v->text[PH_DIGEST_B64URL] = (const char *)v->b64url.data;
	v->text[PH_SIG_FILE] = req->sig_file;
	v->text[PH_HASH] = req->hash;
	v->text[PH_ALG] = req->alg;
	v->text[PH_KEY_ID] = req->key_id ? req->key_id : "";
	v->text[PH_REQUEST_ID] = req->request_id;
	return 0;
}

static void values_release(struct values *v)
{
	mcr_buf_release(&v->hex);
	mcr_buf_release(&v->b64);
	mcr_buf_release(&v->b64url);
}

static int expand_one(char **out, const char *arg, const struct values *v)
{
	struct mcr_buf text = MCR_BUF_INIT;
	int ret = mcr_buf_grow(&text, strlen(arg));

	for (const char *p = arg; *p && ret == 0; p++) {
		size_t len = word_token_len(p);
		int ph = len ? placeholder_of(p, len) : -1;

		if (ph < 0) {
			ret = mcr_buf_add(&text, p, 1);
			continue;
		}
		ret = mcr_buf_add_str(&text, v->text[ph]);
		p += len - 1;
	}
	if (ret == 0)
		*out = (char *)mcr_buf_detach(&text, NULL);
	mcr_buf_release(&text);
	return ret;
}

int mcr_signer_command_args_expand(char ***out, const char *const *argv,
                                   const struct mcr_signer_command_request *req)
{
	struct values v;
	char **vec = NULL;
	size_t n = 0;
	int ret;

	*out = NULL;
	while (argv[n])
		n++;
	if ((ret = values_init(&v, req)) < 0)
		goto out;
	if (!(vec = calloc(n + 1, sizeof(*vec)))) {
		ret = mcr_error(MCR_ESYS, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = expand_one(&vec[i], argv[i], &v);
	if (ret == 0) {
		*out = vec;
		vec = NULL;
	}
out:
	mcr_signer_command_args_free(vec);
	values_release(&v);
	return ret;
}

bool mcr_signer_command_args_env_name_ok(const char *name)
{
	if (!name ||
	    !(*name == '_' || (*name >= 'A' && *name <= 'Z') || (*name >= 'a' && *name <= 'z')))
		return false;
	return name[strspn(name,
	                   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")] ==
	       '\0';
}

/* A growing NULL-terminated vector of "NAME=value" strings, each name once. */
struct envv {
	char **vec;
	size_t len;
	size_t cap;
};

static bool env_has(const struct envv *e, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < e->len; i++)
		if (!strncmp(e->vec[i], name, len) && e->vec[i][len] == '=')
			return true;
	return false;
}

static int env_add(struct envv *e, const char *name, const char *value)
{
	char **grown;

	if (!value || env_has(e, name))
		return 0;
	if (e->len + 2 > e->cap) {
		if (!(grown = realloc(e->vec, (e->cap * 2 + 16) * sizeof(*grown))))
			return mcr_error(MCR_ESYS, "out of memory");
		e->vec = grown;
		e->cap = e->cap * 2 + 16;
	}
	if (asprintf(&e->vec[e->len], "%s=%s", name, value) < 0)
		return mcr_error(MCR_ESYS, "out of memory");
	e->vec[++e->len] = NULL;
	return 0;
}

int mcr_signer_command_args_env(char ***out, const char *const *env_pass,
                                const struct mcr_signer_command_request *req)
{
	const char *path = getenv("PATH");
	struct envv e = {NULL, 0, 0};
	struct mcr_buf hex = MCR_BUF_INIT;
	int ret;

	*out = NULL;
	/* Ours first, so env_pass cannot replace what the request says. */
	if ((ret = mcr_buf_add_hex(&hex, req->data, req->data_len)) < 0 ||
	    (ret = env_add(&e, "PATH", path && *path ? path : "/usr/local/bin:/usr/bin:/bin")) <
	            0 ||
	    (ret = env_add(&e, "HOME", getenv("HOME"))) < 0 ||
	    (ret = env_add(&e, "LANG", getenv("LANG"))) < 0 ||
	    (ret = env_add(&e, "MCURELEASE_DIGEST_HEX", (const char *)hex.data)) < 0 ||
	    (ret = env_add(&e, "MCURELEASE_HASH", req->hash)) < 0 ||
	    (ret = env_add(&e, "MCURELEASE_ALG", req->alg)) < 0 ||
	    (ret = env_add(&e, "MCURELEASE_KEY_ID", req->key_id ? req->key_id : "")) < 0 ||
	    (ret = env_add(&e, "MCURELEASE_REQUEST_ID", req->request_id)) < 0 ||
	    (ret = env_add(&e, "MCURELEASE_SIG_FILE", req->sig_file)) < 0 ||
	    (ret = env_add(&e, "MCURELEASE_DIGEST_FILE", req->digest_file)) < 0)
		goto out;
	for (size_t i = 0; env_pass && env_pass[i] && ret == 0; i++)
		ret = env_add(&e, env_pass[i], getenv(env_pass[i]));
	if (ret == 0) {
		*out = e.vec;
		e.vec = NULL;
	}
out:
	mcr_signer_command_args_free(e.vec);
	mcr_buf_release(&hex);
	return ret;
}

void mcr_signer_command_args_free(char **vec)
{
	if (!vec)
		return;
	for (size_t i = 0; vec[i]; i++) {
		explicit_bzero(vec[i], strlen(vec[i]));
		free(vec[i]);
	}
	free(vec);
}

const char *mcr_signer_command_args_alg(enum mcr_key_type type)
{
	switch (type) {
	case MCR_KEY_RSA2048:
		return "rsa-pss-2048";
	case MCR_KEY_RSA3072:
		return "rsa-pss-3072";
	case MCR_KEY_P256:
		return "ecdsa-p256";
	case MCR_KEY_P384:
		return "ecdsa-p384";
	case MCR_KEY_ED25519:
		return "ed25519";
	}
	return "unknown";
}
