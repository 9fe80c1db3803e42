/* Growable byte buffers, hex and base64. */
#include "buf.h"

#include "error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void mcr_buf_init(struct mcr_buf *buf)
{
	buf->data = NULL;
	buf->len = 0;
	buf->cap = 0;
	buf->is_secret = false;
}

void mcr_buf_init_secret(struct mcr_buf *buf)
{
	mcr_buf_init(buf);
	buf->is_secret = true;
}

void mcr_buf_release(struct mcr_buf *buf)
{
	bool is_secret = buf->is_secret;

	if (buf->data && is_secret)
		OPENSSL_cleanse(buf->data, buf->cap);
	free(buf->data);
	mcr_buf_init(buf);
	buf->is_secret = is_secret;
}

int mcr_buf_grow(struct mcr_buf *buf, size_t extra)
{
	size_t need, cap;
	unsigned char *data;

	if (extra > SIZE_MAX - buf->len - 1)
		return mcr_error(MCR_ESYS, "buffer size overflow");
	need = buf->len + extra + 1;
	if (need <= buf->cap)
		return 0;
	cap = buf->cap ? buf->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (buf->is_secret) {
		/* Never leave a copy of a secret behind in freed memory. */
		data = malloc(cap);
		if (data && buf->data) {
			memcpy(data, buf->data, buf->len + 1);
			OPENSSL_cleanse(buf->data, buf->cap);
			free(buf->data);
		}
	} else {
		data = realloc(buf->data, cap);
	}
	if (!data)
		return mcr_error(MCR_ESYS, "out of memory");
	if (!buf->data)
		data[0] = '\0';
	buf->data = data;
	buf->cap = cap;
	return 0;
}

int mcr_buf_add(struct mcr_buf *buf, const void *data, size_t len)
{
	int ret;

	if ((ret = mcr_buf_grow(buf, len)) < 0)
		return ret;
	if (len)
		memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return 0;
}

int mcr_buf_add_str(struct mcr_buf *buf, const char *str)
{
	return mcr_buf_add(buf, str, strlen(str));
}

int mcr_buf_addf(struct mcr_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int n, ret;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return mcr_error(MCR_ESYS, "cannot format text");
	if ((ret = mcr_buf_grow(buf, (size_t)n)) < 0)
		return ret;
	va_start(ap, fmt);
	vsnprintf((char *)buf->data + buf->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf->len += (size_t)n;
	return 0;
}

int mcr_buf_add_u8(struct mcr_buf *buf, unsigned value)
{
	unsigned char b = (unsigned char)value;

	return mcr_buf_add(buf, &b, 1);
}

int mcr_buf_add_le16(struct mcr_buf *buf, unsigned value)
{
	unsigned char b[2] = {(unsigned char)value, (unsigned char)(value >> 8)};

	return mcr_buf_add(buf, b, sizeof(b));
}

int mcr_buf_add_le32(struct mcr_buf *buf, unsigned long value)
{
	unsigned char b[4] = {(unsigned char)value, (unsigned char)(value >> 8),
			      (unsigned char)(value >> 16), (unsigned char)(value >> 24)};

	return mcr_buf_add(buf, b, sizeof(b));
}

int mcr_buf_add_fill(struct mcr_buf *buf, unsigned char byte, size_t count)
{
	int ret;

	if ((ret = mcr_buf_grow(buf, count)) < 0)
		return ret;
	memset(buf->data + buf->len, byte, count);
	buf->len += count;
	buf->data[buf->len] = '\0';
	return 0;
}

void mcr_buf_truncate(struct mcr_buf *buf, size_t len)
{
	if (!buf->data || len >= buf->len)
		return;
	if (buf->is_secret)
		OPENSSL_cleanse(buf->data + len, buf->len - len);
	buf->len = len;
	buf->data[len] = '\0';
}

unsigned char *mcr_buf_detach(struct mcr_buf *buf, size_t *len_out)
{
	unsigned char *data = buf->data;
	bool is_secret = buf->is_secret;

	if (len_out)
		*len_out = buf->len;
	if (!data)
		data = calloc(1, 1);
	mcr_buf_init(buf);
	buf->is_secret = is_secret;
	return data;
}

void mcr_buf_rtrim(struct mcr_buf *buf)
{
	size_t len = buf->len;

	while (len && strchr(" \t\r\n", buf->data[len - 1]))
		len--;
	mcr_buf_truncate(buf, len);
}

void mcr_hex_encode(char *out, const unsigned char *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 15];
	}
	out[2 * len] = '\0';
}

int mcr_buf_add_hex(struct mcr_buf *buf, const unsigned char *data, size_t len)
{
	int ret;

	if ((ret = mcr_buf_grow(buf, 2 * len)) < 0)
		return ret;
	mcr_hex_encode((char *)buf->data + buf->len, data, len);
	buf->len += 2 * len;
	return 0;
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mcr_hex_decode(unsigned char *out, size_t len, const char *text)
{
	size_t i;

	if (strlen(text) != 2 * len)
		return MCR_EINPUT;
	for (i = 0; i < len; i++) {
		int hi = hex_value((unsigned char)text[2 * i]);
		int lo = hex_value((unsigned char)text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return MCR_EINPUT;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int mcr_base64_encode(struct mcr_buf *out, const unsigned char *data, size_t len, bool url)
{
	const char *alphabet = url ? b64_url : b64_std;
	size_t i;
	int ret = 0;

	for (i = 0; i < len && ret == 0; i += 3) {
		unsigned long n = (unsigned long)data[i] << 16;
		char quad[4];

		if (i + 1 < len)
			n |= (unsigned long)data[i + 1] << 8;
		if (i + 2 < len)
			n |= data[i + 2];
		quad[0] = alphabet[(n >> 18) & 63];
		quad[1] = alphabet[(n >> 12) & 63];
		quad[2] = i + 1 < len ? alphabet[(n >> 6) & 63] : '=';
		quad[3] = i + 2 < len ? alphabet[n & 63] : '=';
		/* The URL form (RFC 7515 style) drops the padding. */
		ret = mcr_buf_add(out, quad, url ? (size_t)(i + 2 < len ? 4 : i + 1 < len ? 3 : 2) : 4);
	}
	if (ret == 0 && len == 0)
		ret = mcr_buf_grow(out, 0);
	return ret;
}

int mcr_base64_decode(struct mcr_buf *out, const char *text, size_t text_len, bool url)
{
	const char *alphabet = url ? b64_url : b64_std;
	unsigned long acc = 0;
	int bits = 0, ret;
	size_t i, pad = 0;

	if ((ret = mcr_buf_grow(out, text_len / 4 * 3 + 3)) < 0)
		return ret;
	for (i = 0; i < text_len; i++) {
		unsigned char c = (unsigned char)text[i];
		const char *p;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad || c == '\0' || !(p = strchr(alphabet, c)))
			return MCR_EINPUT;
		acc = (acc << 6) | (unsigned long)(p - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if ((ret = mcr_buf_add_u8(out, (acc >> bits) & 0xff)) < 0)
				return ret;
		}
	}
	/* Leftover bits must be zero and padding must not exceed what is missing. */
	if (bits >= 6 || (acc & ((1UL << bits) - 1)) != 0 || pad > 2)
		return MCR_EINPUT;
	return 0;
}

bool mcr_mem_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}
