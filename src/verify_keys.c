/* Trusted keys for verify: pinned in the config or given on the command line, never asked of a
 * signer. */
#include "verify_keys.h"

#include "cli.h"
#include "config.h"
#include "error.h"
#include "key.h"

#include <stdlib.h>
#include <string.h>

/* A PEM's public half; a private PEM (a development key) is only ever read for it. */
static int load_public(struct mcr_key **out, const char *path)
{
	struct mcr_key *key = NULL;
	int ret;

	*out = NULL;
	if ((ret = mcr_key_load_pem(&key, path)) == 0)
		ret = mcr_key_public_copy(out, key);
	mcr_key_free(key);
	return ret;
}

static int add_key(struct mcr_verify_keys *keys, const char *path, const char *name,
                   const char *backend)
{
	struct mcr_verify_key *k;
	int ret;

	if (keys->count == MCR_VERIFY_KEYS_MAX)
		return mcr_error(MCR_EUSAGE, "at most %d trusted keys", MCR_VERIFY_KEYS_MAX);
	k = &keys->items[keys->count];
	memset(k, 0, sizeof(*k));
	if ((ret = load_public(&k->key, path)) < 0 ||
	    (ret = mcr_key_fingerprint(k->key, k->fingerprint)) < 0)
		goto fail;
	k->is_dev = backend && !strcmp(backend, "file");
	if (!(k->name = strdup(name)) || (backend && !(k->backend = strdup(backend)))) {
		ret = mcr_error(MCR_ESYS, "out of memory");
		goto fail;
	}
	keys->count++;
	return 0;
fail:
	mcr_key_free(k->key);
	free(k->name);
	memset(k, 0, sizeof(*k));
	return ret;
}

/* What pins a signer's public key: its public_key PEM, or a file signer's own PEM. */
static const char *pinned_pem(const struct mcr_signer_config *s)
{
	return s->public_key_path ? s->public_key_path : s->file_path;
}

int mcr_verify_keys_load(struct mcr_verify_keys *out, const struct mcr_config *config,
                         const char *const *paths, size_t count)
{
	int ret = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < count && ret == 0; i++)
		ret = add_key(out, paths[i], paths[i], NULL);
	for (size_t i = 0; !count && config && i < config->signer_count && ret == 0; i++) {
		const struct mcr_signer_config *s = &config->signers[i];

		if (config->audit.log_signer && !strcmp(s->name, config->audit.log_signer))
			continue;
		if (!pinned_pem(s)) {
			mcr_cli_info(
			        "signer '%s' pins no public key in config '%s': not trusted here",
			        s->name, config->path);
			continue;
		}
		ret = add_key(out, pinned_pem(s), s->name, s->backend);
	}
	return ret;
}

void mcr_verify_keys_release(struct mcr_verify_keys *keys)
{
	for (size_t i = 0; i < keys->count; i++) {
		mcr_key_free(keys->items[i].key);
		free(keys->items[i].name);
		free(keys->items[i].backend);
	}
	memset(keys, 0, sizeof(*keys));
}

int mcr_verify_keys_log(struct mcr_key **out, const struct mcr_config *config, const char *path)
{
	const struct mcr_signer_config *s;

	*out = NULL;
	if (path)
		return load_public(out, path);
	if (!config || !config->audit.log_signer)
		return 0;
	if (!(s = mcr_config_signer(config, config->audit.log_signer)))
		return mcr_error(MCR_EINPUT, "no signer '%s' (audit.log_signer) in config '%s'",
		                 config->audit.log_signer, config->path);
	if (!pinned_pem(s))
		return mcr_error(
		        MCR_EINPUT,
		        "log signer '%s' pins no public key in config '%s': give --log-key",
		        s->name, config->path);
	return load_public(out, pinned_pem(s));
}
