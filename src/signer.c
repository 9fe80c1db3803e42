/* The signer interface: backend lookup, public-key pinning, and verification of every signature. */
#include "signer.h"

#include "buf.h"
#include "config.h"
#include "error.h"
#include "json.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const struct mcr_signer_backend mcr_signer_file_backend;
extern const struct mcr_signer_backend mcr_signer_vault_backend;
extern const struct mcr_signer_backend mcr_signer_pkcs11_backend;
extern const struct mcr_signer_backend mcr_signer_command_backend;

static const struct mcr_signer_backend *const backends[] = {
	&mcr_signer_file_backend,
	&mcr_signer_vault_backend,
	&mcr_signer_pkcs11_backend,
	&mcr_signer_command_backend,
};

struct mcr_signer {
	const struct mcr_signer_backend *backend;
	void *state;
	struct mcr_key *key;
	char *name;
	char fingerprint[65];
	double last_latency_ms;
};

static const struct mcr_signer_backend *find_backend(const char *name)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (!strcmp(backends[i]->name, name))
			return backends[i];
	return NULL;
}

/* Settles which public key this signer is held to, from the config and the backend. */
static int pin_public_key(struct mcr_signer *signer, const struct mcr_signer_config *cfg)
{
	struct mcr_key *configured = NULL, *reported = NULL;
	int ret = 0;

	if (cfg->public_key_path && (ret = mcr_key_load_pem(&configured, cfg->public_key_path)) < 0)
		goto out;
	if (signer->backend->public_key &&
	    (ret = signer->backend->public_key(signer->state, &reported)) < 0)
		goto out;
	if (configured && reported && !mcr_key_same_public(configured, reported)) {
		ret = mcr_error(MCR_ESIGNER,
				"signer '%s' holds another key than the public key '%s' pins",
				cfg->name, cfg->public_key_path);
		goto out;
	}
	if (!configured && !reported) {
		ret = mcr_error(MCR_EINPUT, "signer '%s' needs a 'public_key' to pin its key",
				cfg->name);
		goto out;
	}
	/* Only the public half is kept, whatever the backend handed over. */
	if ((ret = mcr_key_public_copy(&signer->key, configured ? configured : reported)) < 0 ||
	    (ret = mcr_key_fingerprint(signer->key, signer->fingerprint)) < 0)
		goto out;
	if (cfg->fingerprint && strcasecmp(cfg->fingerprint, signer->fingerprint))
		ret = mcr_error(MCR_ESIGNER,
				"signer '%s' key fingerprint %s does not match the pinned %s",
				cfg->name, signer->fingerprint, cfg->fingerprint);
out:
	mcr_key_free(configured);
	mcr_key_free(reported);
	return ret;
}

int mcr_signer_open(struct mcr_signer **out, const struct mcr_signer_config *cfg)
{
	struct mcr_signer *signer;
	int ret;

	*out = NULL;
	if (!(signer = calloc(1, sizeof(*signer))) || !(signer->name = strdup(cfg->name))) {
		free(signer);
		return mcr_error(MCR_ESYS, "out of memory");
	}
	if (!(signer->backend = find_backend(cfg->backend))) {
		ret = mcr_error(MCR_EINPUT, "unknown signer type '%s' for signer '%s'", cfg->backend,
				cfg->name);
		goto out;
	}
	if ((ret = signer->backend->open(&signer->state, cfg)) < 0 ||
	    (ret = pin_public_key(signer, cfg)) < 0)
		goto out;
	*out = signer;
	signer = NULL;
out:
	mcr_signer_free(signer);
	return ret;
}

int mcr_signer_open_pem(struct mcr_signer **out, const char *path)
{
	struct mcr_signer_config cfg = {0};

	cfg.name = path;
	cfg.backend = "file";
	cfg.file_path = path;
	return mcr_signer_open(out, &cfg);
}

int mcr_signer_open_ref(struct mcr_signer **out, const char *ref, const char *config_path)
{
	struct mcr_signer_config cfg = {0};
	struct mcr_config *config = NULL;
	const struct mcr_signer_config *named;
	int ret;

	*out = NULL;
	if (!strncmp(ref, "signer:", 7)) {
		if ((ret = mcr_config_load(&config, config_path)) < 0)
			return ret;
		if (!(named = mcr_config_signer(config, ref + 7)))
			ret = mcr_error(MCR_EINPUT, "no signer '%s' in config '%s'", ref + 7,
					config->path);
		else
			ret = mcr_signer_open(out, named);
		mcr_config_free(config);
		return ret;
	}
	if (!strncmp(ref, "pkcs11:", 7)) {
		cfg.name = ref;
		cfg.backend = "pkcs11";
		cfg.pkcs11_uri = ref;
		return mcr_signer_open(out, &cfg);
	}
	return mcr_signer_open_pem(out, ref);
}

void mcr_signer_free(struct mcr_signer *signer)
{
	if (!signer)
		return;
	if (signer->backend && signer->state)
		signer->backend->close(signer->state);
	mcr_key_free(signer->key);
	free(signer->name);
	free(signer);
}

const struct mcr_key *mcr_signer_key(const struct mcr_signer *signer)
{
	return signer->key;
}

const char *mcr_signer_name(const struct mcr_signer *signer)
{
	return signer->name;
}

const char *mcr_signer_backend_name(const struct mcr_signer *signer)
{
	return signer->backend->name;
}

bool mcr_signer_is_dev(const struct mcr_signer *signer)
{
	return signer->backend->is_dev;
}

const char *mcr_signer_fingerprint(const struct mcr_signer *signer)
{
	return signer->fingerprint;
}

double mcr_signer_last_latency_ms(const struct mcr_signer *signer)
{
	return signer->last_latency_ms;
}

int mcr_signer_describe(const struct mcr_signer *signer, cJSON *into)
{
	enum mcr_key_type type = mcr_key_type(signer->key);
	int ret;

	if ((ret = mcr_json_add_string(into, "name", signer->name)) < 0 ||
	    (ret = mcr_json_add_string(into, "backend", signer->backend->name)) < 0 ||
	    (ret = mcr_json_add_string(into, "key_type", mcr_key_type_name(type))) < 0 ||
	    (ret = mcr_json_add_int(into, "strength_bits", mcr_key_strength_bits(type))) < 0 ||
	    (ret = mcr_json_add_string(into, "fingerprint", signer->fingerprint)) < 0 ||
	    (ret = mcr_json_add_bool(into, "dev", signer->backend->is_dev)) < 0)
		return ret;
	if (signer->backend->describe)
		ret = signer->backend->describe(signer->state, into);
	return ret;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Calls the backend, normalises what it returned, and checks it against the pinned key. */
static int sign_and_verify(struct mcr_signer *signer, const struct mcr_sign_input *in,
			   struct mcr_buf *sig)
{
	enum mcr_sig_format format = MCR_SIG_AUTO;
	struct mcr_buf reply = MCR_BUF_INIT;
	size_t start = sig->len;
	double started = now_ms();
	int ret;

	ret = signer->backend->sign(signer->state, in, &reply, &format);
	signer->last_latency_ms = now_ms() - started;
	if (ret < 0)
		goto out;
	if ((ret = mcr_key_normalize_signature(sig, in->key_type, format, reply.data, reply.len,
					       signer->name)) < 0)
		goto out;
	if (mcr_key_verify(signer->key, in->digest, in->digest_len, in->message, in->message_len,
			   sig->data + start, sig->len - start) < 0) {
		ret = mcr_error(MCR_ESIGNER,
				"signature from signer '%s' does not verify with its pinned %s key %.16s",
				signer->name, mcr_key_type_name(in->key_type), signer->fingerprint);
		goto out;
	}
out:
	if (ret < 0)
		mcr_buf_truncate(sig, start);
	mcr_buf_release(&reply);
	return ret;
}

int mcr_signer_sign_digest(struct mcr_signer *signer, enum mcr_hash_alg hash_alg,
			   const unsigned char *digest, size_t digest_len, const char *request_id,
			   struct mcr_buf *sig)
{
	struct mcr_sign_input in = {0};

	in.key_type = mcr_key_type(signer->key);
	in.hash_alg = hash_alg;
	if (!mcr_key_allows_hash(in.key_type, hash_alg, false) || digest_len != mcr_hash_len(hash_alg))
		return mcr_error(MCR_EUSAGE, "a %s key cannot sign a %zu-byte %s digest",
				 mcr_key_type_name(in.key_type), digest_len, mcr_hash_name(hash_alg));
	in.digest = digest;
	in.digest_len = digest_len;
	in.message = digest; /* Ed25519 signs the digest bytes as its message */
	in.message_len = digest_len;
	in.request_id = request_id;
	return sign_and_verify(signer, &in, sig);
}

int mcr_signer_sign_message(struct mcr_signer *signer, const unsigned char *message,
			    size_t message_len, const char *request_id, struct mcr_buf *sig)
{
	unsigned char digest[MCR_HASH_MAX_LEN];
	struct mcr_sign_input in = {0};
	int ret;

	in.key_type = mcr_key_type(signer->key);
	in.hash_alg = in.key_type == MCR_KEY_P384 ? MCR_HASH_SHA384 : MCR_HASH_SHA256;
	if ((ret = mcr_hash_buffer(in.hash_alg, message, message_len, digest)) < 0)
		return ret;
	in.digest = digest;
	in.digest_len = mcr_hash_len(in.hash_alg);
	in.message = message;
	in.message_len = message_len;
	in.request_id = request_id;
	return sign_and_verify(signer, &in, sig);
}
