/* RFC 7512 PKCS#11 URI parsing. */
#include "p11uri.h"

#include "error.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes [text, text+len) into a new string (embedded NULs refused). */
static int decode(char **out, unsigned char *bin, size_t *bin_len, size_t bin_cap,
		  const char *text, size_t len, const char *uri)
{
	char *s = malloc(len + 1);
	size_t n = 0;

	if (!s)
		return mcr_error(MCR_ESYS, "out of memory");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '%') {
			if (i + 2 >= len || hexval(text[i + 1]) < 0 || hexval(text[i + 2]) < 0)
				goto bad;
			c = (unsigned char)(hexval(text[i + 1]) << 4 | hexval(text[i + 2]));
			i += 2;
		}
		if (bin && n == bin_cap)
			goto bad;
		if (bin)
			bin[n] = c;
		else if (c == '\0')
			goto bad;
		s[n++] = (char)c;
	}
	s[n] = '\0';
	if (bin_len)
		*bin_len = n;
	free(*out);
	*out = s;
	return 0;
bad:
	free(s);
	return mcr_error(MCR_EINPUT, "malformed value in PKCS#11 URI '%s'", uri);
}

/* One "name=value" of the path (path=true) or the query. */
static int attribute(struct mcr_p11uri *u, const char *item, size_t len, bool path,
		     const char *uri)
{
	const char *eq = memchr(item, '=', len);
	size_t name_len = eq ? (size_t)(eq - item) : len;
	const char *value = eq ? eq + 1 : item + len;
	size_t value_len = len - name_len - (eq ? 1 : 0);
	char *scratch = NULL;
	int ret;
	static const struct {
		const char *name;
		size_t offset;
		bool in_path;
	} text_attrs[] = {
		{"token", offsetof(struct mcr_p11uri, token), true},
		{"manufacturer", offsetof(struct mcr_p11uri, manufacturer), true},
		{"serial", offsetof(struct mcr_p11uri, serial), true},
		{"model", offsetof(struct mcr_p11uri, model), true},
		{"object", offsetof(struct mcr_p11uri, object), true},
		{"type", offsetof(struct mcr_p11uri, type), true},
		{"module-path", offsetof(struct mcr_p11uri, module_path), false},
		{"module-name", offsetof(struct mcr_p11uri, module_name), false},
		{"pin-source", offsetof(struct mcr_p11uri, pin_source), false},
	};

	if (!eq || name_len == 0)
		return mcr_error(MCR_EINPUT, "malformed attribute in PKCS#11 URI '%s'", uri);
	for (size_t i = 0; i < sizeof(text_attrs) / sizeof(text_attrs[0]); i++)
		if (strlen(text_attrs[i].name) == name_len && !memcmp(item, text_attrs[i].name, name_len) &&
		    text_attrs[i].in_path == path)
			return decode((char **)((char *)u + text_attrs[i].offset), NULL, NULL, 0, value,
				      value_len, uri);
	if (path && name_len == 2 && !memcmp(item, "id", 2)) {
		u->has_id = true;
		ret = decode(&scratch, u->id, &u->id_len, sizeof(u->id), value, value_len, uri);
		free(scratch);
		return ret;
	}
	if (path && name_len == 7 && !memcmp(item, "slot-id", 7)) {
		char *end;

		if ((ret = decode(&scratch, NULL, NULL, 0, value, value_len, uri)) == 0) {
			u->slot_id = strtoul(scratch, &end, 10);
			u->has_slot_id = true;
			if (!*scratch || *end)
				ret = mcr_error(MCR_EINPUT, "malformed slot-id in PKCS#11 URI '%s'", uri);
		}
		free(scratch);
		return ret;
	}
	if (!path && name_len == 9 && !memcmp(item, "pin-value", 9))
		return mcr_error(MCR_EINPUT,
				 "PKCS#11 URI carries a PIN (pin-value): refused, a PIN must not sit in a command line or config; use pin-source=file:PATH or the signer's pin_file/pin_env");
	if (name_len > 2 && !memcmp(item, "x-", 2))
		return 0; /* vendor attributes: allowed by RFC 7512, meaningless to us */
	/* library-* and slot-* path attributes select what we select otherwise; refuse rather than ignore */
	return mcr_error(MCR_EINPUT, "unsupported attribute '%.*s' in PKCS#11 URI '%s'",
			 (int)name_len, item, uri);
}

static int split(struct mcr_p11uri *u, const char *text, size_t len, char sep, bool path,
		 const char *uri)
{
	size_t start = 0;
	int ret;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != sep)
			continue;
		if (i > start && (ret = attribute(u, text + start, i - start, path, uri)) < 0)
			return ret;
		start = i + 1;
	}
	return 0;
}

int mcr_p11uri_parse(struct mcr_p11uri *u, const char *text)
{
	char shown[256];
	const char *query;
	size_t path_len;
	int ret;

	memset(u, 0, sizeof(*u));
	query = strchr(text, '?');
	path_len = query ? (size_t)(query - text) : strlen(text);
	/* Messages quote the path only: a query may hold a PIN someone put there by mistake. */
	snprintf(shown, sizeof(shown), "%.*s%s", (int)(path_len < 200 ? path_len : 200), text,
		 query ? "?…" : "");
	if (strncmp(text, "pkcs11:", 7))
		return mcr_error(MCR_EINPUT, "'%s' is not a PKCS#11 URI (pkcs11:...)", shown);
	if ((ret = split(u, text + 7, path_len - 7, ';', true, shown)) < 0 ||
	    (query && (ret = split(u, query + 1, strlen(query + 1), '&', false, shown)) < 0))
		return ret;
	if (u->type && strcmp(u->type, "private"))
		return mcr_error(MCR_EINPUT, "PKCS#11 URI '%s' names a %s object; a signer needs type=private",
				 shown, u->type);
	if (u->pin_source && strncmp(u->pin_source, "file:", 5))
		return mcr_error(MCR_EINPUT, "pin-source in PKCS#11 URI '%s' must be file:PATH", shown);
	return 0;
}

void mcr_p11uri_release(struct mcr_p11uri *u)
{
	free(u->token);
	free(u->manufacturer);
	free(u->serial);
	free(u->model);
	free(u->object);
	free(u->type);
	free(u->module_path);
	free(u->module_name);
	free(u->pin_source);
	memset(u, 0, sizeof(*u));
}
