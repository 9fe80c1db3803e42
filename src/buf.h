/* Growable byte buffers; secret buffers are wiped when released. */
#ifndef MCR_BUF_H
#define MCR_BUF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A plain struct the caller holds: data is always NUL-terminated (one byte
 * past len) so text can be used as a C string. A buffer marked secret (PINs,
 * tokens, private keys) is wiped before its memory is freed or moved.
 */
struct mcr_buf {
	unsigned char *data;
	size_t len;
	size_t cap;
	bool is_secret;
};

#define MCR_BUF_INIT {NULL, 0, 0, false}

void mcr_buf_init(struct mcr_buf *buf);
/* As mcr_buf_init, for a buffer that will hold a secret. */
void mcr_buf_init_secret(struct mcr_buf *buf);
/* Frees the memory (wiping it first if secret); the buffer is empty and reusable. */
void mcr_buf_release(struct mcr_buf *buf);

/* Makes room for at least extra more bytes. MCR_ESYS on allocation failure. */
int mcr_buf_grow(struct mcr_buf *buf, size_t extra);
int mcr_buf_add(struct mcr_buf *buf, const void *data, size_t len);
int mcr_buf_add_str(struct mcr_buf *buf, const char *str);
int mcr_buf_addf(struct mcr_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int mcr_buf_add_u8(struct mcr_buf *buf, unsigned value);
int mcr_buf_add_le16(struct mcr_buf *buf, unsigned value);
int mcr_buf_add_le32(struct mcr_buf *buf, unsigned long value);
/* Appends count copies of byte. */
int mcr_buf_add_fill(struct mcr_buf *buf, unsigned char byte, size_t count);
/* Keeps the first len bytes (len <= buf->len). */
void mcr_buf_truncate(struct mcr_buf *buf, size_t len);

/*
 * Hands the memory to the caller, who frees it with free() (or wipes it
 * first, for a secret); the buffer is left empty. *len_out may be NULL.
 */
unsigned char *mcr_buf_detach(struct mcr_buf *buf, size_t *len_out);

/* Removes trailing spaces, tabs, CR and LF. */
void mcr_buf_rtrim(struct mcr_buf *buf);

/* Lowercase hex of data into out (NUL-terminated, 2*len+1 bytes). */
void mcr_hex_encode(char *out, const unsigned char *data, size_t len);
/* Appends lowercase hex of data. */
int mcr_buf_add_hex(struct mcr_buf *buf, const unsigned char *data, size_t len);
/*
 * Decodes exactly 2*len hex digits of text (either case) into out.
 * MCR_EINPUT if text is not that; no message is recorded (the caller names
 * the subject).
 */
int mcr_hex_decode(unsigned char *out, size_t len, const char *text);

/*
 * Base64 (RFC 4648, standard or URL alphabet, padding optional on decode,
 * whitespace ignored on decode). Decode returns MCR_EINPUT without a message.
 */
int mcr_base64_encode(struct mcr_buf *out, const unsigned char *data, size_t len, bool url);
int mcr_base64_decode(struct mcr_buf *out, const char *text, size_t text_len, bool url);

/* Constant-time comparison of two equal-length byte strings. */
bool mcr_mem_equal(const void *a, const void *b, size_t len);

#endif
