/* The command signer's reply side: decoding the signature it printed, and a safe line of its
 * stderr. */
#include "signer_command_reply.h"

#include "buf.h"
#include "error.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LONG_RUN      24   /* a run of token-like characters this long is taken for a secret */
#define MAX_LINE_SCAN 1024 /* longer stderr lines are cut before they are examined */

int mcr_signer_command_reply_parse_encoding(enum mcr_signer_command_encoding *out, const char *name)
{
	static const char *const names[] = {"raw", "base64", "base64url", "hex", "vault"};

	*out = MCR_SIGNER_COMMAND_RAW;
	if (!name)
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i])) {
			*out = (enum mcr_signer_command_encoding)i;
			return 0;
		}
	return MCR_EINPUT;
}

static bool is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The reply without whitespace, as a C string (text encodings only). */
static int squeeze(struct mcr_buf *text, const unsigned char *reply, size_t len)
{
	int ret = mcr_buf_grow(text, len);

	for (size_t i = 0; i < len && ret == 0; i++)
		if (!is_blank(reply[i]))
			ret = mcr_buf_add(text, reply + i, 1);
	return ret;
}

/* Splits "vault:vN:" off text; *rest points past it. */
static bool vault_prefix(const char *text, unsigned long *version, const char **rest)
{
	char *end;

	if (strncmp(text, "vault:v", 7) || !isdigit((unsigned char)text[7]))
		return false;
	*version = strtoul(text + 7, &end, 10);
	if (*end != ':' || end - (text + 7) > 9)
		return false;
	*rest = end + 1;
	return true;
}

static int decode_text(struct mcr_buf *bytes, unsigned long *key_version,
                       enum mcr_signer_command_encoding encoding, const char *text, size_t len,
                       const char *signer)
{
	const char *b64 = text;
	unsigned char *raw;
	int ret;

	switch (encoding) {
	case MCR_SIGNER_COMMAND_HEX:
		if (!(raw = malloc(len / 2 + 1)))
			return mcr_error(MCR_ESYS, "out of memory");
		if (len % 2 || mcr_hex_decode(raw, len / 2, text) < 0)
			ret = mcr_error(MCR_ESIGNER, "bad hex in the reply of signer '%s'", signer);
		else
			ret = mcr_buf_add(bytes, raw, len / 2);
		free(raw);
		return ret;
	case MCR_SIGNER_COMMAND_VAULT:
		if (!vault_prefix(text, key_version, &b64))
			return mcr_error(MCR_ESIGNER,
			                 "no 'vault:vN:' prefix in the reply of signer '%s'",
			                 signer);
		/* Vault's jws marshaling answers in the URL alphabet, asn1 in the standard one. */
		if (mcr_base64_decode(bytes, b64, strlen(b64), strpbrk(b64, "-_") != NULL) < 0)
			return mcr_error(MCR_ESIGNER, "bad base64 in the reply of signer '%s'",
			                 signer);
		return 0;
	default:
		if (mcr_base64_decode(bytes, text, len, encoding == MCR_SIGNER_COMMAND_BASE64URL) <
		    0)
			return mcr_error(MCR_ESIGNER, "bad %s in the reply of signer '%s'",
			                 encoding == MCR_SIGNER_COMMAND_BASE64URL ? "base64url"
			                                                          : "base64",
			                 signer);
		return 0;
	}
}

int mcr_signer_command_reply_decode(struct mcr_buf *sig, unsigned long *key_version,
                                    enum mcr_signer_command_encoding encoding,
                                    const unsigned char *reply, size_t reply_len,
                                    const char *signer)
{
	struct mcr_buf text = MCR_BUF_INIT, bytes = MCR_BUF_INIT;
	int ret;

	*key_version = 0;
	if (encoding == MCR_SIGNER_COMMAND_RAW) {
		if (reply_len == 0)
			return mcr_error(MCR_ESIGNER, "empty reply from signer '%s'", signer);
		return mcr_buf_add(sig, reply, reply_len);
	}
	if ((ret = squeeze(&text, reply, reply_len)) < 0)
		goto out;
	if (text.len == 0) {
		ret = mcr_error(MCR_ESIGNER, "empty reply from signer '%s'", signer);
		goto out;
	}
	/* A NUL inside would hide the rest of the reply from the C-string decoders. */
	if (memchr(text.data, '\0', text.len)) {
		ret = mcr_error(MCR_ESIGNER, "binary data in the text reply of signer '%s'",
		                signer);
		goto out;
	}
	if ((ret = decode_text(&bytes, key_version, encoding, (const char *)text.data, text.len,
	                       signer)) < 0)
		goto out;
	if (bytes.len == 0)
		ret = mcr_error(MCR_ESIGNER, "empty reply from signer '%s'", signer);
	else
		ret = mcr_buf_add(sig, bytes.data, bytes.len);
out:
	mcr_buf_release(&text);
	mcr_buf_release(&bytes);
	return ret;
}

/* Characters of tokens, keys and base64/hex blobs. */
static bool is_run_char(unsigned char c)
{
	return isalnum(c) || strchr("+/=_.~-", c) != NULL;
}

static bool is_uuid(const unsigned char *s, size_t len)
{
	if (len != 36)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' : !isxdigit(s[i]))
			return false;
	return true;
}

/*
 * Words and identifiers, however long ("gcloud.kms.asymmetric-sign",
 * "CKR_KEY_FUNCTION_NOT_PERMITTED"), keep one case and have no digits;
 * tokens and base64 or hex blobs almost never do.
 */
static bool looks_random(const unsigned char *s, size_t len)
{
	bool digit = false, upper = false, lower = false;

	for (size_t i = 0; i < len; i++) {
		digit |= isdigit(s[i]) != 0;
		upper |= isupper(s[i]) != 0;
		lower |= islower(s[i]) != 0;
	}
	return digit || (upper && lower);
}

/* A path of ordinary names (every '/'-separated part short, no base64 padding or '+'). */
static bool is_path(const unsigned char *s, size_t len)
{
	size_t part = 0;
	bool has_slash = false;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+' || s[i] == '=')
			return false;
		if (s[i] == '/') {
			has_slash = true;
			part = 0;
		} else if (++part >= LONG_RUN) {
			return false;
		}
	}
	return has_slash;
}

/*
 * Whether the word w[0..len) names a secret, and so what follows is one.
 * "key" counts only before ':' or '=', since "key alias/fw is disabled" is
 * the most useful thing a KMS can say.
 */
static bool is_secret_word(const unsigned char *w, size_t len, bool *needs_assign)
{
	static const char *const strong[] = {"token",         "pin",    "password",   "passwd",
	                                     "passphrase",    "secret", "credential", "credentials",
	                                     "authorization", "bearer", "cookie",     "otp"};
	static const char *const weak[] = {"key", "apikey"};

	for (size_t i = 0; i < sizeof(strong) / sizeof(strong[0]); i++)
		if (strlen(strong[i]) == len && !strncasecmp((const char *)w, strong[i], len)) {
			*needs_assign = false;
			return true;
		}
	for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++)
		if (strlen(weak[i]) == len && !strncasecmp((const char *)w, weak[i], len)) {
			*needs_assign = true;
			return true;
		}
	return false;
}

/*
 * Where the value after the secret word ending at i starts, or 0 if none
 * follows: "pin 1234", "token=abc", "Authorization: Bearer x", but not
 * "CKR_PIN_INCORRECT" (no separator) nor a word at the end of the line.
 */
static size_t secret_value_at(const unsigned char *s, size_t i, size_t end, bool needs_assign)
{
	bool spaced = false, assigned = false;

	while (i < end && (s[i] == ' ' || s[i] == '\t' || s[i] == '"' || s[i] == '\'')) {
		spaced |= s[i] == ' ' || s[i] == '\t';
		i++;
	}
	if (i < end && (s[i] == ':' || s[i] == '=')) {
		assigned = true;
		i++;
		while (i < end && (s[i] == ' ' || s[i] == '\t' || s[i] == '"' || s[i] == '\''))
			i++;
	}
	if (i >= end || !(assigned || (spaced && !needs_assign)))
		return 0;
	return i;
}

/* Where the secret after the first secret word of s[start..end) starts, or end. */
static size_t secret_start(const unsigned char *s, size_t start, size_t end)
{
	for (size_t i = start; i < end;) {
		size_t w = i, at;
		bool needs_assign;

		while (w < end && isalnum(s[w]))
			w++;
		if (w > i && is_secret_word(s + i, w - i, &needs_assign) &&
		    (at = secret_value_at(s, w, end, needs_assign)) > 0)
			return at;
		i = w > i ? w : i + 1;
	}
	return end;
}

static void put(char *out, size_t out_size, size_t *pos, const char *text, size_t len)
{
	while (len-- > 0 && *pos + 1 < out_size)
		out[(*pos)++] = *text++;
	out[*pos] = '\0';
}

void mcr_signer_command_reply_stderr_line(char *out, size_t out_size, const unsigned char *err,
                                          size_t err_len)
{
	size_t start = 0, end, cut, pos = 0;

	out[0] = '\0';
	while (start < err_len && is_blank(err[start]))
		start++;
	for (end = start; end < err_len && err[end] != '\n' && end - start < MAX_LINE_SCAN; end++)
		;
	while (end > start && is_blank(err[end - 1]))
		end--;
	cut = secret_start(err, start, end);
	for (size_t i = start; i < cut;) {
		size_t run = i;

		while (run < cut && is_run_char(err[run]))
			run++;
		if (run - i >= LONG_RUN && looks_random(err + i, run - i) &&
		    !is_uuid(err + i, run - i) && !is_path(err + i, run - i)) {
			put(out, out_size, &pos, "[redacted]", 10);
			i = run;
		} else if (run > i) {
			put(out, out_size, &pos, (const char *)err + i, run - i);
			i = run;
		} else {
			char c = err[i] >= 0x20 && err[i] < 0x7f ? (char)err[i] : '?';

			put(out, out_size, &pos, &c, 1);
			i++;
		}
	}
	if (cut < end)
		put(out, out_size, &pos, "[redacted]", 10);
}
