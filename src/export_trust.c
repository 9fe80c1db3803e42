/* The export's trust lists: who may sign release tags and build records (the config's keyrings
 * and allowed_signers files, hashed), and who did in the period. */
#include "export.h"

#include "buf.h"
#include "config.h"
#include "error.h"
#include "fileio.h"
#include "hash.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define POLICY_FILE_MAX (4 * 1024 * 1024)
#define MAX_TOKENS      16

/* Array capacities while collecting. */
struct caps {
	size_t files;
	size_t tag_trust;
	size_t builder_trust;
	size_t tag_signers;
	size_t builders;
};

static int add_file(struct mcr_export_model *m, struct caps *caps, const char *role,
                    const char *path)
{
	unsigned char digest[32];
	char hex[65];
	int ret;

	if (!path)
		return 0;
	if ((ret = mcr_export_grow((void **)&m->policy_files, &caps->files, m->policy_file_count,
	                           sizeof(*m->policy_files))) < 0)
		return ret;
	m->policy_files[m->policy_file_count++] = (struct mcr_export_file){role, path, NULL};
	if (mcr_hash_file(MCR_HASH_SHA256, path, digest) < 0) {
		mcr_error_clear(); /* shown as unreadable: the export reports, it does not judge */
		return 0;
	}
	mcr_hex_encode(hex, digest, sizeof(digest));
	m->policy_files[m->policy_file_count - 1].sha256 = mcr_export_strdup(m, hex);
	return 0;
}

/* Splits an allowed_signers line at blanks outside double quotes (options may quote blanks). */
static size_t tokenize(char *line, char **tokens)
{
	size_t count = 0;
	bool in_quote = false;

	while (*line && count < MAX_TOKENS) {
		while (isspace((unsigned char)*line))
			line++;
		if (!*line || *line == '#')
			break;
		tokens[count++] = line;
		for (; *line && (in_quote || !isspace((unsigned char)*line)); line++)
			if (*line == '"')
				in_quote = !in_quote;
		if (*line)
			*line++ = '\0';
	}
	return count;
}

/* OpenSSH's fingerprint of a base64 key blob: "SHA256:" and unpadded base64 of its SHA-256. */
static const char *ssh_fingerprint(struct mcr_export_model *m, const char *blob64)
{
	struct mcr_buf blob = MCR_BUF_INIT, text = MCR_BUF_INIT;
	unsigned char digest[32];
	const char *fp = NULL;

	if (mcr_base64_decode(&blob, blob64, strlen(blob64), false) == 0 &&
	    mcr_hash_buffer(MCR_HASH_SHA256, blob.data, blob.len, digest) == 0 &&
	    mcr_base64_encode(&text, digest, sizeof(digest), false) == 0) {
		while (text.len && text.data[text.len - 1] == '=')
			text.len--;
		text.data[text.len] = '\0';
		fp = mcr_export_printf(m, "SHA256:%s", (char *)text.data);
	}
	mcr_buf_release(&blob);
	mcr_buf_release(&text);
	return fp ? fp : "(unreadable key)";
}

static bool is_key_type(const char *token)
{
	return !strncmp(token, "ssh-", 4) || !strncmp(token, "ecdsa-", 6) ||
	       !strncmp(token, "sk-", 3);
}

/* One allowed_signers line: principals, [options], key type, key. */
static int add_entry(struct mcr_export_model *m, struct mcr_export_trusted **list, size_t *count,
                     size_t *cap, const char *source, char *line)
{
	char *tokens[MAX_TOKENS];
	size_t n = tokenize(line, tokens), k = 1;
	int ret;

	if (n < 3)
		return 0;
	while (k + 1 < n && !is_key_type(tokens[k]))
		k++;
	if (k + 1 >= n)
		return 0;
	if ((ret = mcr_export_grow((void **)list, cap, *count, sizeof(**list))) < 0)
		return ret;
	(*list)[(*count)++] = (struct mcr_export_trusted){source, mcr_export_strdup(m, tokens[0]),
	                                                  mcr_export_strdup(m, tokens[k]),
	                                                  ssh_fingerprint(m, tokens[k + 1])};
	return 0;
}

static int add_allowed_signers(struct mcr_export_model *m, struct mcr_export_trusted **list,
                               size_t *count, size_t *cap, const char *path)
{
	struct mcr_buf text = MCR_BUF_INIT;
	char *line, *next;
	int ret = 0;

	if (!path)
		return 0;
	if (mcr_fileio_read_all(path, POLICY_FILE_MAX, &text) < 0) {
		mcr_error_clear(); /* the policy file list says it is unreadable */
		return 0;
	}
	for (line = (char *)text.data; line && ret == 0; line = next) {
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		ret = add_entry(m, list, count, cap, path, line);
	}
	mcr_buf_release(&text);
	return ret;
}

static int add_gpg(struct mcr_export_model *m, struct caps *caps, const struct mcr_config *cfg)
{
	const char *const *fps = cfg->policy.tag.gpg_fingerprints;
	int ret;

	for (size_t i = 0; fps && fps[i]; i++) {
		if ((ret = mcr_export_grow((void **)&m->tag_trust, &caps->tag_trust,
		                           m->tag_trust_count, sizeof(*m->tag_trust))) < 0)
			return ret;
		m->tag_trust[m->tag_trust_count++] = (struct mcr_export_trusted){
		        "policy.tag.gpg_fingerprints", NULL, "openpgp", fps[i]};
	}
	return 0;
}

/* Counts one use of (format, identity, key) in list. */
static int observe(struct mcr_export_identity **list, size_t *count, size_t *cap,
                   const char *format, const char *identity, const char *key, const char *time)
{
	struct mcr_export_identity *it;
	int ret;

	if (!identity)
		return 0;
	for (size_t i = 0; i < *count; i++) {
		it = &(*list)[i];
		if (!strcmp(it->identity, identity) &&
		    !strcmp(it->key ? it->key : "", key ? key : "") &&
		    !strcmp(it->format ? it->format : "", format ? format : "")) {
			it->releases++;
			it->last = time;
			return 0;
		}
	}
	if ((ret = mcr_export_grow((void **)list, cap, *count, sizeof(**list))) < 0)
		return ret;
	(*list)[(*count)++] = (struct mcr_export_identity){format, identity, key, 1, time, time};
	return 0;
}

static int observe_releases(struct mcr_export_model *m, struct caps *caps)
{
	int ret;

	for (size_t i = 0; i < m->release_count; i++) {
		const struct mcr_export_release *rel = &m->releases[i];
		const struct mcr_export_request *r = rel->request;

		if (!r)
			continue;
		if ((ret = observe(&m->tag_signers, &m->tag_signer_count, &caps->tag_signers,
		                   r->tag_signer.format, r->tag_signer.identity, r->tag_signer.key,
		                   rel->time)) < 0)
			return ret;
		for (size_t j = 0; j < r->record_count; j++)
			if ((ret = observe(&m->builders, &m->builder_count, &caps->builders, NULL,
			                   r->records[j].builder, r->records[j].key, rel->time)) <
			    0)
				return ret;
	}
	return 0;
}

int mcr_export_collect_trust(struct mcr_export_model *m, const struct mcr_config *cfg)
{
	const struct mcr_tag_policy *tag = cfg ? &cfg->policy.tag : NULL;
	struct caps caps = {0};
	int ret;

	if (!cfg)
		return observe_releases(m, &caps);
	if ((ret = add_file(m, &caps, "config", cfg->path)) < 0 ||
	    (ret = add_file(m, &caps, "tag signers (OpenPGP keyring)", tag->gpg_keyring)) < 0 ||
	    (ret = add_file(m, &caps, "tag signers (SSH allowed_signers)",
	                    tag->ssh_allowed_signers)) < 0 ||
	    (ret = add_file(m, &caps, "revoked tag signer keys", tag->ssh_revocations)) < 0 ||
	    (ret = add_file(m, &caps, "tag pins (first tag object per name)", tag->pin_store)) <
	            0 ||
	    (ret = add_file(m, &caps, "builders (SSH allowed_signers)",
	                    cfg->policy.builders.allowed_signers)) < 0)
		return ret;
	if ((ret = add_gpg(m, &caps, cfg)) < 0 ||
	    (ret = add_allowed_signers(m, &m->tag_trust, &m->tag_trust_count, &caps.tag_trust,
	                               tag->ssh_allowed_signers)) < 0 ||
	    (ret = add_allowed_signers(m, &m->builder_trust, &m->builder_trust_count,
	                               &caps.builder_trust, cfg->policy.builders.allowed_signers)) <
	            0)
		return ret;
	return observe_releases(m, &caps);
}
