/* Checkpoints as C2SP signed notes: text, key IDs, signing through the signer interface, parsing
 * and verification. */
#include "checkpoint.h"

#include "audit.h"
#include "buf.h"
#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "hash.h"
#include "key.h"
#include "signer.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Signature type bytes of c2sp.org/signed-note. */
#define SIG_TYPE_ED25519 0x01
#define SIG_TYPE_ECDSA   0x02

static const char em_dash_space[] = "\xe2\x80\x94 "; /* U+2014 then a space */

/* The 12-byte SubjectPublicKeyInfo prefix of an Ed25519 key; the raw key follows. */
static const unsigned char ed25519_spki_prefix[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                                      0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

void mcr_checkpoint_release(struct mcr_checkpoint *checkpoint)
{
	free(checkpoint->origin);
	free(checkpoint->text);
	free(checkpoint->note);
	memset(checkpoint, 0, sizeof(*checkpoint));
}

static bool has_space_or_plus(const char *s)
{
	return strpbrk(s, " \t\n\r+") != NULL;
}

int mcr_checkpoint_origin(struct mcr_buf *out, const char *product, const char *log_id)
{
	if (!product || !*product || has_space_or_plus(product) ||
	    (log_id && (!*log_id || has_space_or_plus(log_id))))
		return mcr_error(
		        MCR_EINPUT,
		        "bad checkpoint origin from product '%s' and log id '%s' (no spaces "
		        "or '+')",
		        product ? product : "", log_id ? log_id : "");
	return mcr_buf_addf(out, "%s/mcurelease/%s", product, log_id ? log_id : product);
}

static int key_type_byte(const struct mcr_key *key, unsigned char *out)
{
	switch (mcr_key_type(key)) {
	case MCR_KEY_ED25519:
		*out = SIG_TYPE_ED25519;
		return 0;
	case MCR_KEY_P256:
		*out = SIG_TYPE_ECDSA;
		return 0;
	default:
		return mcr_error(MCR_EINPUT,
		                 "a %s key cannot sign checkpoints (signed notes carry ed25519 and "
		                 "ecdsa-p256)",
		                 mcr_key_type_name(mcr_key_type(key)));
	}
}

int mcr_checkpoint_key_id(const struct mcr_key *key, const char *name, uint32_t *out)
{
	struct mcr_buf spki = MCR_BUF_INIT, input = MCR_BUF_INIT;
	unsigned char type, digest[32];
	int ret;

	if ((ret = key_type_byte(key, &type)) < 0 || (ret = mcr_key_public_bytes(key, &spki)) < 0)
		goto out;
	if (type == SIG_TYPE_ED25519) {
		/* SHA-256(name || 0x0A || 0x01 || 32-byte public key) */
		if (spki.len != 44 || memcmp(spki.data, ed25519_spki_prefix, 12)) {
			ret = mcr_error(MCR_EINPUT, "unexpected encoding of an ed25519 public key");
			goto out;
		}
		if ((ret = mcr_buf_addf(&input, "%s\n", name)) < 0 ||
		    (ret = mcr_buf_add_u8(&input, type)) < 0 ||
		    (ret = mcr_buf_add(&input, spki.data + 12, 32)) < 0)
			goto out;
	} else if ((ret = mcr_buf_add(&input, spki.data, spki.len)) < 0) {
		/* ECDSA: SHA-256 of the SPKI DER alone, as transparency-dev/witness computes it */
		goto out;
	}
	if ((ret = mcr_hash_buffer(MCR_HASH_SHA256, input.data, input.len, digest)) < 0)
		goto out;
	*out = (uint32_t)digest[0] << 24 | (uint32_t)digest[1] << 16 | (uint32_t)digest[2] << 8 |
	       digest[3];
out:
	mcr_buf_release(&spki);
	mcr_buf_release(&input);
	return ret;
}

static int add_be32(struct mcr_buf *buf, uint32_t value)
{
	unsigned char bytes[4] = {(unsigned char)(value >> 24), (unsigned char)(value >> 16),
	                          (unsigned char)(value >> 8), (unsigned char)value};

	return mcr_buf_add(buf, bytes, 4);
}

int mcr_checkpoint_sign(struct mcr_signer *signer, const char *origin, long long size,
                        const unsigned char root[32], struct mcr_buf *out)
{
	struct mcr_buf text = MCR_BUF_INIT, root_b64 = MCR_BUF_INIT, sig = MCR_BUF_INIT;
	uint32_t key_id;
	int ret;

	if ((ret = mcr_checkpoint_key_id(mcr_signer_key(signer), origin, &key_id)) < 0 ||
	    (ret = mcr_base64_encode(&root_b64, root, 32, false)) < 0 ||
	    (ret = mcr_buf_addf(&text, "%s\n%lld\n%s\n", origin, size, (char *)root_b64.data)) <
	            0 ||
	    (ret = add_be32(&sig, key_id)) < 0 ||
	    (ret = mcr_signer_sign_message(signer, text.data, text.len, NULL, &sig)) < 0)
		goto out;
	mcr_buf_release(&root_b64);
	if ((ret = mcr_base64_encode(&root_b64, sig.data, sig.len, false)) < 0 ||
	    (ret = mcr_buf_add(out, text.data, text.len)) < 0 ||
	    (ret = mcr_buf_addf(out, "\n%s%s %s\n", em_dash_space, origin, (char *)root_b64.data)) <
	            0)
		goto out;
out:
	mcr_buf_release(&text);
	mcr_buf_release(&root_b64);
	mcr_buf_release(&sig);
	return ret;
}

/* Only newlines among the control characters, as signed-note requires. */
static bool has_bad_bytes(const char *note, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)note[i];

		if ((c < 0x20 && c != '\n') || c == 0x7f)
			return true;
	}
	return false;
}

/* Canonical decimal: no sign, no leading zero (except "0" itself), fits a long long. */
static bool parse_size(const char *line, size_t len, long long *out)
{
	unsigned long long value = 0;

	if (len == 0 || len > 19 || (len > 1 && line[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (line[i] < '0' || line[i] > '9')
			return false;
		value = value * 10 + (unsigned)(line[i] - '0');
	}
	if (value > LLONG_MAX)
		return false;
	*out = (long long)value;
	return true;
}

/* Origin, size and root from the text; extension lines are allowed and ignored. */
static int parse_text(struct mcr_checkpoint *cp, const char *text, size_t len, const char *subject)
{
	const char *line2 = memchr(text, '\n', len), *line3, *end3;
	struct mcr_buf root = MCR_BUF_INIT;
	int ret = 0;

	line3 = line2 ? memchr(line2 + 1, '\n', len - (size_t)(line2 + 1 - text)) : NULL;
	end3 = line3 ? memchr(line3 + 1, '\n', len - (size_t)(line3 + 1 - text)) : NULL;
	if (!end3 || line2 == text)
		return mcr_error(MCR_EINPUT, "checkpoint '%s' needs origin, size and root lines",
		                 subject);
	if (!(cp->origin = strndup(text, (size_t)(line2 - text))))
		return mcr_error(MCR_ESYS, "out of memory");
	if (!parse_size(line2 + 1, (size_t)(line3 - line2 - 1), &cp->size))
		return mcr_error(MCR_EINPUT, "bad tree size in checkpoint '%s'", subject);
	if (mcr_base64_decode(&root, line3 + 1, (size_t)(end3 - line3 - 1), false) < 0 ||
	    root.len != 32 || end3 - line3 - 1 != 44)
		ret = mcr_error(MCR_EINPUT, "bad root hash in checkpoint '%s'", subject);
	else
		memcpy(cp->root, root.data, 32);
	mcr_buf_release(&root);
	return ret;
}

/* The text ends at the last blank line; every line after it must be a signature line. */
static int split_note(const char *note, size_t len, size_t *text_len, const char *subject)
{
	size_t pos = len;

	while (pos >= 2 && !(note[pos - 2] == '\n' && note[pos - 1] == '\n'))
		pos--;
	if (pos < 2 || len == 0 || note[len - 1] != '\n' || pos == len)
		return mcr_error(MCR_EINPUT, "checkpoint '%s' has no signature lines", subject);
	*text_len = pos - 1;
	for (size_t i = pos; i < len;) {
		const char *eol = memchr(note + i, '\n', len - i);

		if (strncmp(note + i, em_dash_space, strlen(em_dash_space)))
			return mcr_error(MCR_EINPUT, "bad signature line in checkpoint '%s'",
			                 subject);
		i = (size_t)(eol - note) + 1;
	}
	return 0;
}

int mcr_checkpoint_parse(struct mcr_checkpoint *out, const char *note, size_t note_len,
                         const char *subject)
{
	size_t text_len = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	if (note_len > MCR_CHECKPOINT_MAX_LEN || has_bad_bytes(note, note_len))
		return mcr_error(MCR_EINPUT, "checkpoint '%s' is not a signed note", subject);
	if ((ret = split_note(note, note_len, &text_len, subject)) < 0)
		return ret;
	if (!(out->text = strndup(note, text_len)) || !(out->note = strndup(note, note_len))) {
		mcr_checkpoint_release(out);
		return mcr_error(MCR_ESYS, "out of memory");
	}
	for (size_t i = text_len + 1; i < note_len; i++)
		out->sig_count += note[i] == '\n';
	if ((ret = parse_text(out, note, text_len, subject)) < 0)
		mcr_checkpoint_release(out);
	return ret;
}

/* One signature line: is it ours (name and key ID), and if so does it verify? */
static int check_line(const struct mcr_checkpoint *cp, const struct mcr_key *key, uint32_t key_id,
                      const char *line, size_t len, bool *is_ours)
{
	size_t prefix = strlen(em_dash_space);
	const char *name = line + prefix, *space = memchr(name, ' ', len - prefix);
	unsigned char digest[32];
	struct mcr_buf sig = MCR_BUF_INIT;
	int ret = 0;

	*is_ours = false;
	if (!space || (size_t)(space - name) != strlen(cp->origin) ||
	    memcmp(name, cp->origin, strlen(cp->origin)))
		return 0;
	if (mcr_base64_decode(&sig, space + 1, len - (size_t)(space + 1 - line), false) < 0 ||
	    sig.len < 5) {
		mcr_buf_release(&sig);
		return 0; /* not a signature of any key we know: ignored, as signed-note says */
	}
	if (((uint32_t)sig.data[0] << 24 | (uint32_t)sig.data[1] << 16 |
	     (uint32_t)sig.data[2] << 8 | sig.data[3]) != key_id)
		goto out;
	*is_ours = true;
	if ((ret = mcr_hash_buffer(MCR_HASH_SHA256, cp->text, strlen(cp->text), digest)) < 0)
		goto out;
	if (mcr_key_verify(key, digest, sizeof(digest), (const unsigned char *)cp->text,
	                   strlen(cp->text), sig.data + 4, sig.len - 4) < 0)
		ret = MCR_EREFUSED;
out:
	mcr_buf_release(&sig);
	return ret;
}

int mcr_checkpoint_verify(const struct mcr_checkpoint *cp, const struct mcr_key *key,
                          const char *origin, const char *subject)
{
	const char *sigs = cp->note + strlen(cp->text) + 1, *end = cp->note + strlen(cp->note);
	char fingerprint[65];
	bool is_ours, found = false;
	uint32_t key_id;
	int ret;

	if (origin && strcmp(origin, cp->origin))
		return mcr_refuse("audit.bad_checkpoint",
		                  "checkpoint '%s' is for log '%s', not '%s'", subject, cp->origin,
		                  origin);
	if ((ret = mcr_checkpoint_key_id(key, cp->origin, &key_id)) < 0 ||
	    (ret = mcr_key_fingerprint(key, fingerprint)) < 0)
		return ret;
	while (sigs < end) {
		const char *eol = memchr(sigs, '\n', (size_t)(end - sigs));

		ret = check_line(cp, key, key_id, sigs, (size_t)(eol - sigs), &is_ours);
		if (ret == MCR_EREFUSED)
			return mcr_refuse(
			        "audit.bad_checkpoint_signature",
			        "signature on checkpoint '%s' does not verify with log key "
			        "%.16s",
			        subject, fingerprint);
		if (ret < 0)
			return ret;
		found |= is_ours;
		sigs = eol + 1;
	}
	if (!found)
		return mcr_refuse("audit.bad_checkpoint_signature",
		                  "checkpoint '%s' is not signed by log key %.16s", subject,
		                  fingerprint);
	return 0;
}

int mcr_checkpoint_read_file(struct mcr_buf *out, const char *path)
{
	return mcr_fileio_read_all(path, MCR_CHECKPOINT_MAX_LEN, out);
}

int mcr_checkpoint_write_file(const char *path, const char *note)
{
	return mcr_fileio_write_atomic(path, note, strlen(note), 0644);
}

static int add_anchor(struct mcr_checkpoint_anchors *list, const char *subject, const char *note)
{
	struct mcr_audit_anchor *grown = realloc(list->items, (list->count + 1) * sizeof(*grown));
	char *subject_copy = strdup(subject), *note_copy = strdup(note);

	if (grown)
		list->items = grown;
	if (!grown || !subject_copy || !note_copy) {
		free(subject_copy);
		free(note_copy);
		return mcr_error(MCR_ESYS, "out of memory");
	}
	list->items[list->count].subject = subject_copy;
	list->items[list->count++].note = note_copy;
	return 0;
}

int mcr_checkpoint_anchors_add_file(struct mcr_checkpoint_anchors *list, const char *path,
                                    bool is_optional)
{
	struct mcr_buf note = MCR_BUF_INIT;
	int ret;

	if (is_optional && !mcr_fileio_exists(path))
		return 0;
	if ((ret = mcr_checkpoint_read_file(&note, path)) == 0)
		ret = add_anchor(list, path, (const char *)note.data);
	mcr_buf_release(&note);
	return ret;
}

static int add_ref_note(void *ctx, const char *subject, const char *note)
{
	return add_anchor(ctx, subject, note);
}

int mcr_checkpoint_anchors_add_ref(struct mcr_checkpoint_anchors *list, const char *repo_path,
                                   const char *ref, bool is_optional)
{
	return mcr_checkpoint_read_ref(repo_path, ref, is_optional, add_ref_note, list);
}

void mcr_checkpoint_anchors_release(struct mcr_checkpoint_anchors *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free((char *)list->items[i].subject);
		free((char *)list->items[i].note);
	}
	free(list->items);
	memset(list, 0, sizeof(*list));
}

void mcr_checkpoint_result_release(struct mcr_checkpoint_result *result)
{
	free(result->note);
	memset(result, 0, sizeof(*result));
}

/* The first problem of a log that does not verify, as the refusal to sign it. */
static int refuse_unverified(struct mcr_audit *log, const struct mcr_audit_report *report)
{
	const struct mcr_audit_problem *first = report->problem_count ? &report->problems[0] : NULL;
	int ret =
	        mcr_error(MCR_EREFUSED, "audit log '%s' does not verify, no checkpoint signed: %s",
	                  mcr_audit_path(log), first ? first->message : "unknown problem");

	return mcr_error_set_reason(ret, first ? first->reason : "audit.invalid");
}

/* Publishing comes after the note is stored: a failure here loses nothing but a copy. */
static int publish(const struct mcr_checkpoint_opts *opts, const char *note, long long size)
{
	char why[512];
	int ret = 0;

	if (opts->file && (ret = mcr_checkpoint_write_file(opts->file, note)) < 0)
		goto out;
	if (opts->ref)
		ret = mcr_checkpoint_publish_ref(opts->repo, opts->ref, note);
out:
	if (ret < 0) {
		snprintf(why, sizeof(why), "%s", mcr_error_message());
		ret = mcr_error(MCR_ESYS,
		                "checkpoint of size %lld is stored in the log but not "
		                "published: %s",
		                size, why);
	}
	return ret;
}

/*
 * Published checkpoints are what catches a log restored from an older copy. Once the log has
 * checkpoints, a publication place that holds none was not fetched (a CI job that forgot the
 * ref, say): the comparison is skipped, and the person running this should know.
 */
static void warn_unanchored(const struct mcr_checkpoint_opts *opts,
                            const struct mcr_audit_report *report, size_t from_file, size_t from_ref)
{
	if (!report->checkpoint_count)
		return;
	if (opts->file && !from_file)
		mcr_cli_warn("checkpoint file '%s' holds no checkpoint although the log has %zu: the log "
		             "was not compared with what was published",
		             opts->file, report->checkpoint_count);
	if (opts->ref && !from_ref)
		mcr_cli_warn("checkpoint ref '%s' is missing in '%s' although the log has %zu "
		             "checkpoints: fetch it first, or a rolled-back log goes unnoticed",
		             opts->ref, opts->repo ? opts->repo : ".", report->checkpoint_count);
}

int mcr_checkpoint_create(struct mcr_audit *log, struct mcr_signer *signer,
                          const struct mcr_checkpoint_opts *opts, struct mcr_checkpoint_result *out)
{
	struct mcr_checkpoint_anchors anchors = {0};
	struct mcr_audit_verify_opts verify = {0};
	struct mcr_audit_report report = {0};
	struct mcr_audit_entry entry = {0};
	struct mcr_buf note = MCR_BUF_INIT;
	int ret;

	size_t from_file = 0, from_ref = 0;

	memset(out, 0, sizeof(*out));
	if (opts->file &&
	    (ret = mcr_checkpoint_anchors_add_file(&anchors, opts->file, true)) < 0)
		goto out;
	from_file = anchors.count;
	if (opts->ref &&
	    (ret = mcr_checkpoint_anchors_add_ref(&anchors, opts->repo, opts->ref, true)) < 0)
		goto out;
	from_ref = anchors.count - from_file;
	verify.log_key = mcr_signer_key(signer);
	verify.origin = opts->origin;
	verify.anchors = anchors.items;
	verify.anchor_count = anchors.count;
	if ((ret = mcr_audit_verify(log, &verify, &report)) < 0)
		goto out;
	if (!report.is_valid) {
		ret = refuse_unverified(log, &report);
		goto out;
	}
	warn_unanchored(opts, &report, from_file, from_ref);
	if ((ret = mcr_checkpoint_sign(signer, opts->origin, report.event_count, report.root,
	                               &note)) < 0 ||
	    (ret = mcr_audit_add_checkpoint(log, report.event_count, report.root,
	                                    (const char *)note.data, opts->actor, &entry)) < 0)
		goto out;
	out->size = report.event_count;
	memcpy(out->root, report.root, sizeof(out->root));
	out->event_seq = entry.seq;
	out->note = (char *)mcr_buf_detach(&note, NULL);
	ret = publish(opts, out->note, out->size);
out:
	mcr_buf_release(&note);
	mcr_audit_report_release(&report);
	mcr_checkpoint_anchors_release(&anchors);
	return ret;
}
