/*
 * libFuzzer target: the config file (mcr_config_load_file), on arbitrary bytes. The
 * loader reads a path (it resolves the file's directory for relative paths), so each
 * input is written to mcurelease.json in the scratch directory first. An accepted
 * config must hold what its contract promises: defaults filled, values in range,
 * every signer findable by its name, every string readable.
 */
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "fuzz_support.h"
#include "key.h"
#include "signer_command_reply.h"

/* Strings are read to the end (ASan sees a dangling or unterminated one); the sum keeps it. */
static volatile size_t sink;

static void touch(const char *s)
{
	if (s)
		sink += strlen(s);
}

static void touch_each(const char *const *strings, size_t count)
{
	for (size_t i = 0; i < count; i++)
		touch(strings[i]);
}

static void touch_all(const char *const *v)
{
	for (; v && *v; v++)
		sink += strlen(*v);
}

static void check_signer(const struct mcr_config *cfg, const struct mcr_signer_config *sc)
{
	enum mcr_signer_command_encoding encoding;
	const char *const strings[] = {
	        sc->public_key_path, sc->fingerprint,     sc->key_id,
	        sc->file_path,       sc->pkcs11_uri,      sc->pkcs11_module,
	        sc->pkcs11_pin_file, sc->pkcs11_pin_env,  sc->vault_addr,
	        sc->vault_mount,     sc->vault_key,       sc->vault_token_file,
	        sc->vault_token_env, sc->vault_namespace, sc->vault_ca_file,
	        sc->command_input,   sc->command_output,  sc->command_ecdsa_format};

	FUZZ_CHECK(sc->name && sc->backend);
	FUZZ_CHECK(mcr_config_signer(cfg, sc->name) != NULL);
	touch_each(strings, sizeof(strings) / sizeof(strings[0]));
	touch_all(sc->command_argv);
	touch_all(sc->command_env_pass);
	/* the loader accepted it, so the command signer's own parser must too */
	FUZZ_CHECK(mcr_signer_command_reply_parse_encoding(&encoding, sc->command_encoding) == 0);
	FUZZ_CHECK(sc->vault_key_version >= 0 && sc->vault_key_version <= 1LL << 31);
	FUZZ_CHECK(sc->timeout_ms <= 3600000 && sc->command_retries <= 10);
	/* relative paths are resolved against the config's directory */
	FUZZ_CHECK(!sc->file_path || sc->file_path[0] == '/');
	FUZZ_CHECK(!sc->public_key_path || sc->public_key_path[0] == '/');
}

static void check_config(const struct mcr_config *cfg)
{
	const struct mcr_policy *p = &cfg->policy;
	const struct mcr_image_config *ic = &cfg->image;
	const char *const strings[] = {
	        p->tag.gpg_keyring,         p->tag.ssh_allowed_signers,  p->tag.ssh_revocations,
	        p->tag.pin_store,           p->builders.allowed_signers, cfg->build.builder_id,
	        cfg->build.signing_key,     cfg->build.work_dir,         cfg->audit.log_signer,
	        cfg->audit.checkpoint_file, cfg->audit.checkpoint_ref};
	const char *const *lists[] = {p->tag.gpg_fingerprints, cfg->build.command,
	                              cfg->build.artifacts, cfg->build.env_pass};
	enum mcr_key_type type;

	FUZZ_CHECK(cfg->path && cfg->dir && cfg->product && cfg->product[0]);
	FUZZ_CHECK(!strchr(cfg->product, '/'));
	for (size_t i = 0; i < cfg->signer_count; i++)
		check_signer(cfg, &cfg->signers[i]);
	FUZZ_CHECK(p->tag.pattern && p->release_signer && p->security_counter);
	touch_each(strings, sizeof(strings) / sizeof(strings[0]));
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		touch_all(lists[i]);
	FUZZ_CHECK(p->builders.quorum <= 64 && p->min_strength_bits <= 256);
	for (const char *const *alg = p->allowed_algorithms; alg && *alg; alg++)
		FUZZ_CHECK(mcr_key_type_parse(&type, *alg) == 0);
	FUZZ_CHECK(ic->header_size >= 32 && ic->header_size <= 0xffff);
	FUZZ_CHECK(ic->align && ic->align <= 32 && !(ic->align & (ic->align - 1)));
	FUZZ_CHECK(!ic->max_align || ic->max_align == 8 || ic->max_align == 16 ||
	           ic->max_align == 32);
	FUZZ_CHECK(ic->erased_val == 0 || ic->erased_val == 0xff);
	FUZZ_CHECK(!strcmp(ic->public_key_format, "hash") ||
	           !strcmp(ic->public_key_format, "full"));
	FUZZ_CHECK(ic->version_from_tag);
	FUZZ_CHECK(cfg->audit.database && cfg->audit.log_id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcr_config *cfg = NULL;
	char path[FUZZ_PATH_MAX];

	FUZZ_CHECK(fuzz_write_file(path, "mcurelease.json", data, size) == 0);
	if (mcr_config_load_file(&cfg, path) == 0)
		check_config(cfg);
	mcr_config_free(cfg);
	return 0;
}
