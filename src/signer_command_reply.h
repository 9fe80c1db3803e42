/* The command signer's reply side: decoding the signature it printed, and a safe line of its
 * stderr. */
#ifndef MCR_SIGNER_COMMAND_REPLY_H
#define MCR_SIGNER_COMMAND_REPLY_H

#include <stddef.h>

struct mcr_buf;

/* How the command writes its signature ("encoding" in the config). */
enum mcr_signer_command_encoding {
	MCR_SIGNER_COMMAND_RAW,       /* the bytes themselves */
	MCR_SIGNER_COMMAND_BASE64,    /* RFC 4648 standard alphabet, padding optional */
	MCR_SIGNER_COMMAND_BASE64URL, /* RFC 4648 URL alphabet, padding optional */
	MCR_SIGNER_COMMAND_HEX,       /* either case */
	MCR_SIGNER_COMMAND_VAULT,     /* "vault:vN:" then base64 (either alphabet) */
};

/* Parses an "encoding" value; NULL means raw. MCR_EINPUT without a message otherwise. */
int mcr_signer_command_reply_parse_encoding(enum mcr_signer_command_encoding *out,
                                            const char *name);

/*
 * Decodes a reply into sig (appended). Text encodings ignore whitespace
 * around the text and inside it (line-wrapped base64 and hex). *key_version
 * is the N of "vault:vN:", else 0. MCR_ESIGNER naming signer for an empty or
 * undecodable reply; the message never quotes the reply.
 */
int mcr_signer_command_reply_decode(struct mcr_buf *sig, unsigned long *key_version,
                                    enum mcr_signer_command_encoding encoding,
                                    const unsigned char *reply, size_t reply_len,
                                    const char *signer);

/*
 * Writes to out (out_size >= 1, NUL-terminated, truncated to out_size - 1)
 * the first non-blank line of a command's stderr, safe to show and log:
 * after a word like token, PIN, password, secret or authorization followed
 * by a value, the rest of the line becomes "[redacted]"; so does any run of
 * 24 or more base64/hex-like characters with a digit or both cases that is
 * not a path or a UUID; control and non-ASCII bytes become '?'. Empty if
 * there is no such line.
 */
void mcr_signer_command_reply_stderr_line(char *out, size_t out_size, const unsigned char *err,
                                          size_t err_len);

#endif
