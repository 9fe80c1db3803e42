/* The config file: found, read, validated key by key into struct mcr_config. */
#include "config.h"

#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "json.h"

#include <cjson/cJSON.h>
#include <git2.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX_LEN (1024 * 1024)

/* Everything the config's strings and arrays live in, freed together. */
struct storage {
	cJSON *root;
	void **blocks;
	size_t count, cap;
};

/* Parsing state: where we are, for messages, and where strings go. */
struct reader {
	struct mcr_config *config;
	struct storage *storage;
	const char *path;
};

static void *keep(struct reader *rd, void *block)
{
	struct storage *st = rd->storage;

	if (!block)
		return NULL;
	if (st->count == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 32;
		void **blocks = realloc(st->blocks, cap * sizeof(*blocks));

		if (!blocks) {
			free(block);
			return NULL;
		}
		st->blocks = blocks;
		st->cap = cap;
	}
	st->blocks[st->count++] = block;
	return block;
}

static int get_str(struct reader *rd, const char **out, const cJSON *obj, const char *key,
		   const char *where)
{
	char subject[512];

	snprintf(subject, sizeof(subject), "%s' at '%s", rd->path, where);
	return mcr_json_get_string(out, obj, key, false, subject);
}

/* A path value, made absolute against the config file's directory. */
static int get_path(struct reader *rd, const char **out, const cJSON *obj, const char *key,
		    const char *where)
{
	const char *value;
	char *joined;
	int ret;

	*out = NULL;
	if ((ret = get_str(rd, &value, obj, key, where)) < 0 || !value)
		return ret;
	if (value[0] == '/') {
		*out = value;
		return 0;
	}
	if (asprintf(&joined, "%s/%s", rd->config->dir, value) < 0 || !keep(rd, joined))
		return mcr_error(MCR_ESYS, "out of memory");
	*out = joined;
	return 0;
}

static int bad(struct reader *rd, const char *where, const char *key, const char *why)
{
	return mcr_error(MCR_EINPUT, "bad key '%s%s%s' in '%s': %s", where, *where ? "." : "", key,
			 rd->path, why);
}

/* An unsigned number given as a JSON integer or as a string ("0x200", "512"). */
static int get_uint(struct reader *rd, unsigned long *out, const cJSON *obj, const char *key,
		    const char *where, unsigned long max)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
	unsigned long long value;
	char *end;

	if (!item)
		return 0;
	if (cJSON_IsNumber(item) && item->valuedouble >= 0 && item->valuedouble <= (double)max &&
	    item->valuedouble == (double)(unsigned long)item->valuedouble) {
		*out = (unsigned long)item->valuedouble;
		return 0;
	}
	if (cJSON_IsString(item) && item->valuestring[0] && item->valuestring[0] != '-') {
		value = strtoull(item->valuestring, &end, 0);
		if (!*end && value <= max) {
			*out = (unsigned long)value;
			return 0;
		}
	}
	return bad(rd, where, key, "must be a non-negative integer in range");
}

static int get_bool(struct reader *rd, bool *out, const cJSON *obj, const char *key,
		    const char *where)
{
	char subject[512];

	snprintf(subject, sizeof(subject), "%s' at '%s", rd->path, where);
	return mcr_json_get_bool(out, obj, key, false, subject);
}

/* A JSON array of strings as a NULL-terminated vector (paths resolved if as_paths). */
static int get_strv(struct reader *rd, const char *const **out, const cJSON *obj,
		    const char *key, const char *where)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key), *item;
	const char **vec;
	size_t n = 0;

	*out = NULL;
	if (!arr || cJSON_IsNull(arr))
		return 0;
	if (!cJSON_IsArray(arr))
		return bad(rd, where, key, "must be an array of strings");
	if (!(vec = keep(rd, calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*vec)))))
		return mcr_error(MCR_ESYS, "out of memory");
	cJSON_ArrayForEach(item, arr) {
		if (!cJSON_IsString(item))
			return bad(rd, where, key, "must be an array of strings");
		vec[n++] = item->valuestring;
	}
	*out = vec;
	return 0;
}

static int check_keys(struct reader *rd, const cJSON *obj, const char *const *allowed,
		      const char *where)
{
	char subject[512];

	if (!cJSON_IsObject(obj))
		return mcr_error(MCR_EINPUT, "bad key '%s' in '%s': must be an object", where,
				 rd->path);
	snprintf(subject, sizeof(subject), "%s' at '%s", rd->path, *where ? where : "top level");
	return mcr_json_check_keys(obj, allowed, subject);
}


static const char *const signer_keys[] = {
	"type", "public_key", "fingerprint", "key_id", "timeout_ms",
	"key",					   /* file */
	"uri", "module", "pin_file", "pin_env",	   /* pkcs11 */
	"addr", "mount", "key_name", "token_file", "token_env", "namespace", "ca_file",
	"key_version",				   /* vault-transit */
	"argv", "env_pass", "input", "output", "encoding", "ecdsa_format", "retries", /* command */
	NULL};

static bool one_of(const char *value, const char *const *choices)
{
	for (; *choices; choices++)
		if (!strcmp(value, *choices))
			return true;
	return false;
}

static int read_signer_backend(struct reader *rd, struct mcr_signer_config *sc, const cJSON *obj,
			       const char *where)
{
	static const char *const inputs[] = {"stdin", "file", "none", NULL};
	static const char *const outputs[] = {"stdout", "file", NULL};
	static const char *const encodings[] = {"raw", "base64", "base64url", "hex", "vault", NULL};
	static const char *const formats[] = {"auto", "der", "raw", NULL};
	unsigned long n = 0;
	int ret;

	if (!strcmp(sc->backend, "file"))
		return get_path(rd, &sc->file_path, obj, "key", where);
	if (!strcmp(sc->backend, "pkcs11")) {
		if ((ret = get_str(rd, &sc->pkcs11_uri, obj, "uri", where)) < 0 ||
		    (ret = get_path(rd, &sc->pkcs11_module, obj, "module", where)) < 0 ||
		    (ret = get_path(rd, &sc->pkcs11_pin_file, obj, "pin_file", where)) < 0)
			return ret;
		return get_str(rd, &sc->pkcs11_pin_env, obj, "pin_env", where);
	}
	if (!strcmp(sc->backend, "vault-transit")) {
		if ((ret = get_str(rd, &sc->vault_addr, obj, "addr", where)) < 0 ||
		    (ret = get_str(rd, &sc->vault_mount, obj, "mount", where)) < 0 ||
		    (ret = get_str(rd, &sc->vault_key, obj, "key_name", where)) < 0 ||
		    (ret = get_path(rd, &sc->vault_token_file, obj, "token_file", where)) < 0 ||
		    (ret = get_str(rd, &sc->vault_token_env, obj, "token_env", where)) < 0 ||
		    (ret = get_str(rd, &sc->vault_namespace, obj, "namespace", where)) < 0 ||
		    (ret = get_path(rd, &sc->vault_ca_file, obj, "ca_file", where)) < 0 ||
		    (ret = get_uint(rd, &n, obj, "key_version", where, 1UL << 31)) < 0)
			return ret;
		sc->vault_key_version = (long long)n;
		return 0;
	}
	if ((ret = get_strv(rd, &sc->command_argv, obj, "argv", where)) < 0 ||
	    (ret = get_strv(rd, &sc->command_env_pass, obj, "env_pass", where)) < 0 ||
	    (ret = get_str(rd, &sc->command_input, obj, "input", where)) < 0 ||
	    (ret = get_str(rd, &sc->command_output, obj, "output", where)) < 0 ||
	    (ret = get_str(rd, &sc->command_encoding, obj, "encoding", where)) < 0 ||
	    (ret = get_str(rd, &sc->command_ecdsa_format, obj, "ecdsa_format", where)) < 0 ||
	    (ret = get_uint(rd, &n, obj, "retries", where, 10)) < 0)
		return ret;
	sc->command_retries = (unsigned)n;
	if (!sc->command_argv || !sc->command_argv[0])
		return bad(rd, where, "argv", "a command signer needs a non-empty argv");
	if (sc->command_input && !one_of(sc->command_input, inputs))
		return bad(rd, where, "input", "must be stdin, file or none");
	if (sc->command_output && !one_of(sc->command_output, outputs))
		return bad(rd, where, "output", "must be stdout or file");
	if (sc->command_encoding && !one_of(sc->command_encoding, encodings))
		return bad(rd, where, "encoding", "must be raw, base64, base64url, hex or vault");
	if (sc->command_ecdsa_format && !one_of(sc->command_ecdsa_format, formats))
		return bad(rd, where, "ecdsa_format", "must be auto, der or raw");
	return 0;
}

static int read_signer(struct reader *rd, struct mcr_signer_config *sc, const cJSON *obj)
{
	static const char *const types[] = {"file", "pkcs11", "vault-transit", "command", NULL};
	char where[256];
	unsigned long timeout_ms = 0;
	int ret;

	snprintf(where, sizeof(where), "signers.%s", obj->string);
	sc->name = obj->string;
	if ((ret = check_keys(rd, obj, signer_keys, where)) < 0 ||
	    (ret = get_str(rd, &sc->backend, obj, "type", where)) < 0 ||
	    (ret = get_path(rd, &sc->public_key_path, obj, "public_key", where)) < 0 ||
	    (ret = get_str(rd, &sc->fingerprint, obj, "fingerprint", where)) < 0 ||
	    (ret = get_str(rd, &sc->key_id, obj, "key_id", where)) < 0 ||
	    (ret = get_uint(rd, &timeout_ms, obj, "timeout_ms", where, 3600000)) < 0)
		return ret;
	sc->timeout_ms = (unsigned)timeout_ms;
	if (!sc->backend || !one_of(sc->backend, types))
		return bad(rd, where, "type", "must be file, pkcs11, vault-transit or command");
	return read_signer_backend(rd, sc, obj, where);
}

static int read_signers(struct reader *rd, const cJSON *obj)
{
	struct mcr_config *config = rd->config;
	const cJSON *item;
	int ret;

	if (!obj)
		return 0;
	if (!cJSON_IsObject(obj))
		return bad(rd, "", "signers", "must be an object of named signers");
	config->signers = keep(rd, calloc((size_t)cJSON_GetArraySize(obj) + 1,
					  sizeof(*config->signers)));
	if (!config->signers)
		return mcr_error(MCR_ESYS, "out of memory");
	cJSON_ArrayForEach(item, obj) {
		if ((ret = read_signer(rd, &config->signers[config->signer_count], item)) < 0)
			return ret;
		config->signer_count++;
	}
	return 0;
}

static int read_tag_policy(struct reader *rd, struct mcr_tag_policy *tp, const cJSON *obj)
{
	static const char *const keys[] = {"pattern", "gpg_fingerprints", "gpg_keyring",
					   "ssh_allowed_signers", "ssh_revocations", "pin_store",
					   NULL};
	regex_t re;
	int ret;

	tp->pattern = MCR_DEFAULT_TAG_PATTERN;
	if (!obj)
		return 0;
	if ((ret = check_keys(rd, obj, keys, "policy.tag")) < 0 ||
	    (ret = get_str(rd, &tp->pattern, obj, "pattern", "policy.tag")) < 0 ||
	    (ret = get_strv(rd, &tp->gpg_fingerprints, obj, "gpg_fingerprints", "policy.tag")) < 0 ||
	    (ret = get_path(rd, &tp->gpg_keyring, obj, "gpg_keyring", "policy.tag")) < 0 ||
	    (ret = get_path(rd, &tp->ssh_allowed_signers, obj, "ssh_allowed_signers",
			    "policy.tag")) < 0 ||
	    (ret = get_path(rd, &tp->ssh_revocations, obj, "ssh_revocations", "policy.tag")) < 0 ||
	    (ret = get_path(rd, &tp->pin_store, obj, "pin_store", "policy.tag")) < 0)
		return ret;
	if (!tp->pattern)
		tp->pattern = MCR_DEFAULT_TAG_PATTERN;
	if (regcomp(&re, tp->pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return bad(rd, "policy.tag", "pattern", "not a valid POSIX extended regex");
	regfree(&re);
	return 0;
}

static int read_policy(struct reader *rd, struct mcr_policy *policy, const cJSON *obj)
{
	static const char *const keys[] = {"tag", "builders", "release_signer", "allowed_algorithms",
					   "min_strength_bits", "allow_dev_keys", "security_counter",
					   NULL};
	static const char *const builder_keys[] = {"quorum", "allowed_signers", NULL};
	const cJSON *builders = obj ? cJSON_GetObjectItemCaseSensitive(obj, "builders") : NULL;
	unsigned long quorum = 1, strength = 128;
	enum mcr_key_type type;
	int ret;

	policy->release_signer = "release";
	policy->security_counter = "auto";
	if (obj && (ret = check_keys(rd, obj, keys, "policy")) < 0)
		return ret;
	if ((ret = read_tag_policy(rd, &policy->tag,
				   obj ? cJSON_GetObjectItemCaseSensitive(obj, "tag") : NULL)) < 0)
		return ret;
	if (builders && ((ret = check_keys(rd, builders, builder_keys, "policy.builders")) < 0 ||
			 (ret = get_uint(rd, &quorum, builders, "quorum", "policy.builders", 64)) < 0 ||
			 (ret = get_path(rd, &policy->builders.allowed_signers, builders,
					 "allowed_signers", "policy.builders")) < 0))
		return ret;
	policy->builders.quorum = (unsigned)quorum;
	if (!obj)
		return 0;
	if ((ret = get_str(rd, &policy->release_signer, obj, "release_signer", "policy")) < 0 ||
	    (ret = get_strv(rd, &policy->allowed_algorithms, obj, "allowed_algorithms", "policy")) < 0 ||
	    (ret = get_uint(rd, &strength, obj, "min_strength_bits", "policy", 256)) < 0 ||
	    (ret = get_bool(rd, &policy->allow_dev_keys, obj, "allow_dev_keys", "policy")) < 0 ||
	    (ret = get_str(rd, &policy->security_counter, obj, "security_counter", "policy")) < 0)
		return ret;
	policy->min_strength_bits = (unsigned)strength;
	if (!policy->release_signer)
		policy->release_signer = "release";
	if (!policy->security_counter)
		policy->security_counter = "auto";
	for (const char *const *alg = policy->allowed_algorithms; alg && *alg; alg++)
		if (mcr_key_type_parse(&type, *alg) < 0)
			return bad(rd, "policy", "allowed_algorithms",
				   "names rsa-2048, rsa-3072, ecdsa-p256, ecdsa-p384 or ed25519");
	return 0;
}

static int read_image(struct reader *rd, struct mcr_image_config *ic, const cJSON *obj)
{
	static const char *const keys[] = {"header_size", "pad_header", "slot_size", "align",
					   "max_align", "max_sectors", "pad", "confirm",
					   "overwrite_only", "erased_val", "public_key_format",
					   "hex_addr", "version_from_tag", "load_addr", NULL};
	unsigned long align = 4, max_align = 0, max_sectors = 128, erased = 0xff;
	int ret;

	ic->header_size = 0x200;
	ic->version_from_tag = true;
	ic->public_key_format = "hash";
	if (obj && ((ret = check_keys(rd, obj, keys, "image")) < 0 ||
		    (ret = get_uint(rd, &ic->header_size, obj, "header_size", "image", 0xffff)) < 0 ||
		    (ret = get_bool(rd, &ic->pad_header, obj, "pad_header", "image")) < 0 ||
		    (ret = get_uint(rd, &ic->slot_size, obj, "slot_size", "image", 0xffffffffUL)) < 0 ||
		    (ret = get_uint(rd, &align, obj, "align", "image", 32)) < 0 ||
		    (ret = get_uint(rd, &max_align, obj, "max_align", "image", 32)) < 0 ||
		    (ret = get_uint(rd, &max_sectors, obj, "max_sectors", "image", 65535)) < 0 ||
		    (ret = get_bool(rd, &ic->pad, obj, "pad", "image")) < 0 ||
		    (ret = get_bool(rd, &ic->confirm, obj, "confirm", "image")) < 0 ||
		    (ret = get_bool(rd, &ic->overwrite_only, obj, "overwrite_only", "image")) < 0 ||
		    (ret = get_uint(rd, &erased, obj, "erased_val", "image", 0xff)) < 0 ||
		    (ret = get_str(rd, &ic->public_key_format, obj, "public_key_format", "image")) < 0 ||
		    (ret = get_uint(rd, &ic->hex_addr, obj, "hex_addr", "image", 0xffffffffUL)) < 0 ||
		    (ret = get_bool(rd, &ic->version_from_tag, obj, "version_from_tag", "image")) < 0 ||
		    (ret = get_uint(rd, &ic->load_addr, obj, "load_addr", "image", 0xffffffffUL)) < 0))
		return ret;
	ic->has_hex_addr = obj && cJSON_GetObjectItemCaseSensitive(obj, "hex_addr");
	ic->align = (unsigned)align;
	ic->max_align = (unsigned)max_align;
	ic->max_sectors = (unsigned)max_sectors;
	ic->erased_val = (unsigned)erased;
	if (!ic->public_key_format)
		ic->public_key_format = "hash";
	if (ic->header_size < 32)
		return bad(rd, "image", "header_size", "must be at least 32 (0x20)");
	if (align & (align - 1) || !align)
		return bad(rd, "image", "align", "must be 1, 2, 4, 8, 16 or 32");
	if (max_align && max_align != 8 && max_align != 16 && max_align != 32)
		return bad(rd, "image", "max_align", "must be 8, 16 or 32");
	if (erased != 0 && erased != 0xff)
		return bad(rd, "image", "erased_val", "must be 0 or 0xff");
	if (strcmp(ic->public_key_format, "hash") && strcmp(ic->public_key_format, "full"))
		return bad(rd, "image", "public_key_format", "must be hash or full");
	/* the gate ties a release to its tag's version; another source would untie them */
	if (!ic->version_from_tag)
		return bad(rd, "image", "version_from_tag",
			   "must be true: a release image carries the version its tag names");
	return 0;
}

static int read_build(struct reader *rd, struct mcr_build_config *bc, const cJSON *obj)
{
	static const char *const keys[] = {"command", "artifacts", "env_pass", "builder_id",
					   "signing_key", "work_dir", NULL};
	int ret;

	if (!obj)
		return 0;
	if ((ret = check_keys(rd, obj, keys, "build")) < 0 ||
	    (ret = get_strv(rd, &bc->command, obj, "command", "build")) < 0 ||
	    (ret = get_strv(rd, &bc->artifacts, obj, "artifacts", "build")) < 0 ||
	    (ret = get_strv(rd, &bc->env_pass, obj, "env_pass", "build")) < 0 ||
	    (ret = get_str(rd, &bc->builder_id, obj, "builder_id", "build")) < 0 ||
	    (ret = get_path(rd, &bc->signing_key, obj, "signing_key", "build")) < 0 ||
	    (ret = get_path(rd, &bc->work_dir, obj, "work_dir", "build")) < 0)
		return ret;
	return 0;
}

static int read_audit(struct reader *rd, struct mcr_audit_config *ac, const cJSON *obj)
{
	static const char *const keys[] = {"database", "log_id", "log_signer", "checkpoint_file",
					   "checkpoint_ref", "checkpoint_repo", NULL};
	char *db;
	int ret;

	if (obj && ((ret = check_keys(rd, obj, keys, "audit")) < 0 ||
		    (ret = get_path(rd, &ac->database, obj, "database", "audit")) < 0 ||
		    (ret = get_str(rd, &ac->log_id, obj, "log_id", "audit")) < 0 ||
		    (ret = get_str(rd, &ac->log_signer, obj, "log_signer", "audit")) < 0 ||
		    (ret = get_path(rd, &ac->checkpoint_file, obj, "checkpoint_file", "audit")) < 0 ||
		    (ret = get_str(rd, &ac->checkpoint_ref, obj, "checkpoint_ref", "audit")) < 0 ||
		    (ret = get_path(rd, &ac->checkpoint_repo, obj, "checkpoint_repo", "audit")) < 0))
		return ret;
	if (!ac->log_id)
		ac->log_id = rd->config->product;
	if (!ac->database) {
		if (asprintf(&db, "%s/mcurelease-audit.db", rd->config->dir) < 0 || !keep(rd, db))
			return mcr_error(MCR_ESYS, "out of memory");
		ac->database = db;
	}
	return 0;
}

static int read_top(struct reader *rd, const cJSON *root)
{
	static const char *const keys[] = {"$schema", "product", "signers", "policy", "image",
					   "build", "audit", NULL};
	struct mcr_config *config = rd->config;
	int ret;

	if ((ret = check_keys(rd, root, keys, "")) < 0 ||
	    (ret = get_str(rd, &config->product, root, "product", "")) < 0)
		return ret;
	if (!config->product || !config->product[0] || strchr(config->product, '/') ||
	    strchr(config->product, '\n'))
		return bad(rd, "", "product", "a non-empty name without '/' is required");
	if ((ret = read_signers(rd, cJSON_GetObjectItemCaseSensitive(root, "signers"))) < 0 ||
	    (ret = read_policy(rd, &config->policy,
			       cJSON_GetObjectItemCaseSensitive(root, "policy"))) < 0 ||
	    (ret = read_image(rd, &config->image, cJSON_GetObjectItemCaseSensitive(root, "image"))) < 0 ||
	    (ret = read_build(rd, &config->build, cJSON_GetObjectItemCaseSensitive(root, "build"))) < 0 ||
	    (ret = read_audit(rd, &config->audit, cJSON_GetObjectItemCaseSensitive(root, "audit"))) < 0)
		return ret;
	return 0;
}

static int find_config(char **out, const char *explicit_path, bool is_optional)
{
	const char *env = getenv("MCURELEASE_CONFIG");
	git_repository *repo = NULL;
	const char *workdir;
	int ret = 0;

	*out = NULL;
	if (explicit_path || (env && *env))
		return (*out = strdup(explicit_path ? explicit_path : env)) ? 0 :
			       mcr_error(MCR_ESYS, "out of memory");
	git_libgit2_init();
	if (git_repository_open_ext(&repo, ".", 0, NULL) == 0 &&
	    (workdir = git_repository_workdir(repo)) &&
	    asprintf(out, "%smcurelease.json", workdir) >= 0 && mcr_fileio_exists(*out))
		goto out;
	free(*out);
	*out = NULL;
	if (!is_optional)
		ret = mcr_error(MCR_EINPUT, "no config found: pass --config, set MCURELEASE_CONFIG, "
					    "or put mcurelease.json at the repository root");
out:
	git_repository_free(repo);
	git_libgit2_shutdown();
	return ret;
}

int mcr_config_load(struct mcr_config **out, const char *explicit_path)
{
	char *path = NULL;
	int ret;

	*out = NULL;
	if ((ret = find_config(&path, explicit_path, false)) == 0)
		ret = mcr_config_load_file(out, path);
	free(path);
	return ret;
}

int mcr_config_load_optional(struct mcr_config **out, const char *explicit_path)
{
	char *path = NULL;
	int ret;

	*out = NULL;
	if ((ret = find_config(&path, explicit_path, true)) == 0 && path)
		ret = mcr_config_load_file(out, path);
	free(path);
	return ret;
}

static int set_location(struct reader *rd, const char *path)
{
	char *abs = realpath(path, NULL), *dir;

	if (!abs)
		return mcr_error_errno(MCR_EINPUT, "cannot open config '%s'", path);
	if (!keep(rd, abs) || !(dir = keep(rd, strdup(abs))))
		return mcr_error(MCR_ESYS, "out of memory");
	*strrchr(dir, '/') = '\0';
	rd->config->path = abs;
	rd->config->dir = *dir ? dir : "/";
	rd->path = path;
	return 0;
}

int mcr_config_load_file(struct mcr_config **out, const char *path)
{
	struct mcr_config *config = calloc(1, sizeof(*config));
	struct storage *storage = calloc(1, sizeof(*storage));
	struct reader rd = {config, storage, path};
	int ret;

	*out = NULL;
	if (!config || !storage) {
		free(config);
		free(storage);
		return mcr_error(MCR_ESYS, "out of memory");
	}
	config->storage = storage;
	if ((ret = set_location(&rd, path)) < 0 ||
	    (ret = mcr_json_parse_file(&storage->root, path, CONFIG_MAX_LEN)) < 0 ||
	    (ret = read_top(&rd, storage->root)) < 0)
		goto out;
	*out = config;
	config = NULL;
out:
	mcr_config_free(config);
	return ret;
}

void mcr_config_free(struct mcr_config *config)
{
	struct storage *st;

	if (!config)
		return;
	if ((st = config->storage)) {
		for (size_t i = 0; i < st->count; i++)
			free(st->blocks[i]);
		free(st->blocks);
		cJSON_Delete(st->root);
		free(st);
	}
	free(config);
}

const char *mcr_config_checkpoint_repo(const struct mcr_config *config, const char *given)
{
	if (given)
		return given;
	if (!config)
		return NULL;
	return config->audit.checkpoint_repo ? config->audit.checkpoint_repo : config->dir;
}

const struct mcr_signer_config *mcr_config_signer(const struct mcr_config *config,
						  const char *name)
{
	for (size_t i = 0; i < config->signer_count; i++)
		if (!strcmp(config->signers[i].name, name))
			return &config->signers[i];
	return NULL;
}
