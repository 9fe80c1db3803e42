/* The export's key inventory, custody statements, trusted tag signers and builders, from the
 * config and what the period's releases recorded. Never a secret: PINs and tokens are named by
 * where they come from, not shown. */
#include "export.h"

#include "buf.h"
#include "config.h"
#include "error.h"
#include "fileio.h"
#include "hash.h"
#include "key.h"
#include "p11uri.h"
#include "proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Facts of one key while they are gathered. */
struct facts {
	struct mcr_export_fact items[24];
	size_t count;
};

static void fact(struct mcr_export_model *m, struct facts *f, const char *label, const char *value)
{
	if (value && *value && f->count < sizeof(f->items) / sizeof(f->items[0]))
		f->items[f->count++] = (struct mcr_export_fact){label, mcr_export_strdup(m, value)};
}

static void pkcs11_facts(struct mcr_export_model *m, const struct mcr_signer_config *sc,
                         struct facts *f)
{
	struct mcr_p11uri uri = {0};
	char id[2 * sizeof(uri.id) + 1];

	if (mcr_p11uri_parse(&uri, sc->pkcs11_uri) < 0) {
		mcr_error_clear();
		fact(m, f, "uri", "(does not parse)");
		return;
	}
	fact(m, f, "token label", uri.token);
	fact(m, f, "token manufacturer", uri.manufacturer);
	fact(m, f, "token model", uri.model);
	fact(m, f, "token serial", uri.serial);
	fact(m, f, "key label", uri.object);
	mcr_hex_encode(id, uri.id, uri.id_len);
	fact(m, f, "key id", uri.has_id ? id : NULL);
	fact(m, f, "module",
	     sc->pkcs11_module ? sc->pkcs11_module
	                       : (uri.module_path ? uri.module_path : uri.module_name));
	/* where the PIN comes from, never the PIN */
	fact(m, f, "PIN from",
	     sc->pkcs11_pin_env
	             ? mcr_export_printf(m, "environment variable %s", sc->pkcs11_pin_env)
	     : sc->pkcs11_pin_file || uri.pin_source ? "a file (path not shown)"
	                                             : "not configured");
	mcr_p11uri_release(&uri);
}

static void vault_facts(struct mcr_export_model *m, const struct mcr_signer_config *sc,
                        struct facts *f)
{
	fact(m, f, "Vault address", sc->vault_addr);
	fact(m, f, "Transit mount", sc->vault_mount ? sc->vault_mount : "transit");
	fact(m, f, "Transit key", sc->vault_key);
	fact(m, f, "key version",
	     sc->vault_key_version ? mcr_export_printf(m, "%lld", sc->vault_key_version)
	                           : "latest");
	fact(m, f, "namespace", sc->vault_namespace);
	fact(m, f, "token from",
	     sc->vault_token_env
	             ? mcr_export_printf(m, "environment variable %s", sc->vault_token_env)
	             : "a file (path not shown)");
}

static void command_facts(struct mcr_export_model *m, const struct mcr_signer_config *sc,
                          struct facts *f)
{
	struct mcr_buf argv = MCR_BUF_INIT;
	unsigned char digest[32];
	char hex[65], *program = NULL;

	for (size_t i = 0; sc->command_argv && sc->command_argv[i]; i++)
		mcr_buf_addf(&argv, "%s%s", i ? " " : "", sc->command_argv[i]);
	fact(m, f, "argv", (char *)argv.data);
	mcr_buf_release(&argv);
	/* the program as it is now; the log records its hash at each signature too */
	if (sc->command_argv && mcr_proc_find_program(&program, sc->command_argv[0]) == 0 &&
	    mcr_hash_file(MCR_HASH_SHA256, program, digest) == 0) {
		mcr_hex_encode(hex, digest, sizeof(digest));
		fact(m, f, "program", program);
		fact(m, f, "program SHA-256", hex);
	}
	mcr_error_clear();
	free(program);
}

static void backend_facts(struct mcr_export_model *m, const struct mcr_signer_config *sc,
                          struct facts *f)
{
	fact(m, f, "key reference", sc->key_id);
	if (!strcmp(sc->backend, "pkcs11"))
		pkcs11_facts(m, sc, f);
	else if (!strcmp(sc->backend, "vault-transit"))
		vault_facts(m, sc, f);
	else if (!strcmp(sc->backend, "command"))
		command_facts(m, sc, f);
	else if (!strcmp(sc->backend, "file"))
		fact(m, f, "private key file", sc->file_path);
}

/* The public key the config pins (public_key, or a file signer's own key): type, strength, PEM. */
static void pinned_key(struct mcr_export_model *m, const struct mcr_signer_config *sc,
                       struct mcr_export_key *k, struct facts *f)
{
	const char *path = sc->public_key_path ? sc->public_key_path : sc->file_path;
	struct mcr_buf pem = MCR_BUF_INIT;
	struct mcr_key *key = NULL;
	char fp[65];

	if (!path)
		return;
	if (mcr_key_load_pem(&key, path) < 0 || mcr_key_public_pem(key, &pem) < 0 ||
	    mcr_key_fingerprint(key, fp) < 0) {
		fact(m, f, "public key", mcr_export_printf(m, "unusable: %s", mcr_error_message()));
		mcr_error_clear();
		goto out;
	}
	k->key_type = mcr_key_type_name(mcr_key_type(key));
	k->strength_bits = mcr_key_strength_bits(mcr_key_type(key));
	k->fingerprint = mcr_export_strdup(m, fp);
	k->fingerprint_source = sc->public_key_path ? "the pinned public key" : "the key file";
	k->public_key_pem = mcr_export_strdup(m, (char *)pem.data);
	if (sc->fingerprint && strcasecmp(sc->fingerprint, fp))
		fact(m, f, "WARNING", "the configured fingerprint differs from the public key");
out:
	mcr_buf_release(&pem);
	mcr_key_free(key);
}

/* How often the key signed in the period, and the custody facts its backend last reported. */
static void key_usage(const struct mcr_export_model *m, struct mcr_export_key *k)
{
	for (size_t i = 0; i < m->release_count; i++) {
		const struct mcr_export_release *rel = &m->releases[i];
		const char *name = rel->request ? rel->request->signer_name : rel->key_name;

		if (!name || strcmp(name, k->name))
			continue;
		if (!k->signatures++)
			k->first_used = rel->time;
		k->last_used = rel->time;
	}
	for (size_t i = m->request_count; i-- > 0;)
		if (m->requests[i]->signer_name && !strcmp(m->requests[i]->signer_name, k->name)) {
			k->last_request = m->requests[i];
			break;
		}
	if (!k->key_type && k->last_request) {
		k->key_type = k->last_request->signer_key_type;
		k->strength_bits = (unsigned)k->last_request->signer_strength_bits;
	}
	if (!k->fingerprint && k->last_request && k->last_request->signer_fingerprint) {
		k->fingerprint = k->last_request->signer_fingerprint;
		k->fingerprint_source = "recorded at signing time";
	}
}

static const char *role_of(const struct mcr_config *cfg, const char *name)
{
	if (cfg->policy.release_signer && !strcmp(cfg->policy.release_signer, name))
		return "release signer";
	if (cfg->audit.log_signer && !strcmp(cfg->audit.log_signer, name))
		return "log signer (checkpoints, export manifests)";
	return "configured signer";
}

static int add_key(struct mcr_export_model *m, const struct mcr_config *cfg,
                   const struct mcr_signer_config *sc, struct mcr_export_key *k)
{
	struct facts f = {.count = 0};

	*k = (struct mcr_export_key){.name = sc->name,
	                             .role = role_of(cfg, sc->name),
	                             .backend = sc->backend,
	                             .is_dev = !strcmp(sc->backend, "file")};
	pinned_key(m, sc, k, &f);
	if (!k->fingerprint && sc->fingerprint) {
		k->fingerprint = sc->fingerprint;
		k->fingerprint_source = "the configured fingerprint";
	}
	backend_facts(m, sc, &f);
	key_usage(m, k);
	if (!(k->facts = mcr_export_alloc(m, sizeof(f.items))))
		return mcr_error(MCR_ESYS, "out of memory");
	memcpy(k->facts, f.items, f.count * sizeof(f.items[0]));
	k->fact_count = f.count;
	return 0;
}

/* ---- custody statements ---- */

static const char *recorded_fact(const struct mcr_export_key *k, const char *label)
{
	const struct mcr_export_request *r = k->last_request;

	for (size_t i = 0; r && i < r->signer_fact_count; i++)
		if (!strcmp(r->signer_facts[i].label, label))
			return r->signer_facts[i].value;
	return NULL;
}

static const char *yes_no(const char *value)
{
	return !value ? "not reported" : !strcmp(value, "true") ? "yes" : "NO";
}

/* Where the private key is, in the words of what the config and the backend said. */
static void where_statement(struct mcr_buf *b, const struct mcr_export_key *k, bool allow_dev_keys)
{
	if (!strcmp(k->backend, "pkcs11")) {
		mcr_buf_addf(b, "is held in a PKCS#11 token; mcurelease asks the token to sign "
		                "digests and never handles the private key. ");
		if (k->last_request)
			mcr_buf_addf(b,
			             "At its last signature the token reported: generated on the "
			             "token %s, never extractable %s, always sensitive %s. ",
			             yes_no(recorded_fact(k, "generated_on_token")),
			             yes_no(recorded_fact(k, "never_extractable")),
			             yes_no(recorded_fact(k, "always_sensitive")));
	} else if (!strcmp(k->backend, "vault-transit")) {
		mcr_buf_addf(b,
		             "is held by HashiCorp Vault's Transit engine, which signs on request "
		             "and does not release the key through this interface. ");
	} else if (!strcmp(k->backend, "command")) {
		mcr_buf_addf(b, "is reached through a configured program (a KMS or HSM client); "
		                "where that service keeps the key is not visible to mcurelease and "
		                "must be described by the manufacturer. ");
	} else {
		mcr_buf_addf(b,
		             "is a DEVELOPMENT key kept in a file on the signing host; release "
		             "policy %s. ",
		             allow_dev_keys ? "ALLOWS it to sign releases (allow_dev_keys)"
		                            : "refuses to sign releases with it");
	}
}

static int add_statement(struct mcr_export_model *m, struct mcr_export_key *k)
{
	struct mcr_buf b = MCR_BUF_INIT;

	mcr_buf_addf(&b, "The private key of signer '%s' (%s, %s", k->name, k->role,
	             k->key_type ? k->key_type : "key type not recorded");
	if (k->strength_bits)
		mcr_buf_addf(&b, ", %u-bit security", k->strength_bits);
	mcr_buf_addf(&b, ") ");
	where_statement(&b, k, m->allow_dev_keys);
	if (k->fingerprint)
		mcr_buf_addf(&b,
		             "Every signature it returns is checked against the pinned public key "
		             "(fingerprint %s) before use. ",
		             k->fingerprint);
	mcr_buf_addf(&b, "It signed %lld release%s in the period.", k->signatures,
	             k->signatures == 1 ? "" : "s");
	k->statement = mcr_export_strdup(m, (char *)b.data);
	mcr_buf_release(&b);
	return k->statement ? 0 : mcr_error(MCR_ESYS, "out of memory");
}

static int collect_keys(struct mcr_export_model *m, const struct mcr_config *cfg)
{
	int ret;

	if (!(m->keys = calloc(cfg->signer_count + 1, sizeof(*m->keys))))
		return mcr_error(MCR_ESYS, "out of memory");
	for (size_t i = 0; i < cfg->signer_count; i++) {
		if ((ret = add_key(m, cfg, &cfg->signers[i], &m->keys[i])) < 0)
			return ret;
		if (m->keys[i].is_dev && cfg->policy.allow_dev_keys)
			m->keys[i].role = mcr_export_printf(
			        m, "%s; development keys ALLOWED by policy", m->keys[i].role);
		if ((ret = add_statement(m, &m->keys[i])) < 0)
			return ret;
		m->key_count++;
	}
	return 0;
}

int mcr_export_collect_inventory(struct mcr_export_model *model, const struct mcr_config *config)
{
	if (!config)
		return 0;
	model->release_signer = config->policy.release_signer;
	model->min_strength_bits = config->policy.min_strength_bits;
	model->allow_dev_keys = config->policy.allow_dev_keys;
	model->builder_quorum = config->policy.builders.quorum;
	return collect_keys(model, config);
}
