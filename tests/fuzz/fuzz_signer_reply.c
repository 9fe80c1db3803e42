/*
 * libFuzzer target: what a command signer prints back. The first byte picks the
 * encoding (raw, base64, base64url, hex, vault), the second the key type and the ECDSA
 * format, the rest is the reply. It is decoded (mcr_signer_command_reply_decode), the
 * bytes normalised into a signature TLV value (mcr_key_normalize_signature), and the
 * stderr line made safe (mcr_signer_command_reply_stderr_line). Decoded bytes encoded
 * again, line-wrapped, must decode to the same bytes; a normalised signature must be
 * a fixed point and keep the signer's r and s.
 */
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "fuzz_support.h"
#include "key.h"
#include "signer_command_reply.h"

#define SIGNER "fuzz"

/* Encodes bytes as the command would have, wrapped at 64 columns, with the vault prefix. */
static void encode(struct mcr_buf *out, enum mcr_signer_command_encoding encoding,
                   unsigned long key_version, const struct mcr_buf *bytes)
{
	struct mcr_buf text = MCR_BUF_INIT;

	if (encoding == MCR_SIGNER_COMMAND_HEX)
		FUZZ_CHECK(mcr_buf_add_hex(&text, bytes->data, bytes->len) == 0);
	else
		FUZZ_CHECK(mcr_base64_encode(&text, bytes->data, bytes->len,
		                             encoding == MCR_SIGNER_COMMAND_BASE64URL) == 0);
	if (encoding == MCR_SIGNER_COMMAND_VAULT)
		FUZZ_CHECK(mcr_buf_addf(out, "vault:v%lu:", key_version) == 0);
	for (size_t i = 0; i < text.len; i += 64)
		FUZZ_CHECK(mcr_buf_add(out, text.data + i, text.len - i < 64 ? text.len - i : 64) ==
		                   0 &&
		           mcr_buf_add_str(out, "\n") == 0);
	mcr_buf_release(&text);
}

static void decode_round_trip(enum mcr_signer_command_encoding encoding, unsigned long key_version,
                              const struct mcr_buf *sig)
{
	struct mcr_buf text = MCR_BUF_INIT, again = MCR_BUF_INIT;
	unsigned long version2;

	if (encoding == MCR_SIGNER_COMMAND_RAW)
		return;
	encode(&text, encoding, key_version, sig);
	FUZZ_CHECK(mcr_signer_command_reply_decode(&again, &version2, encoding, text.data, text.len,
	                                           SIGNER) == 0);
	FUZZ_CHECK(version2 == key_version);
	FUZZ_CHECK(fuzz_same(again.data, again.len, sig->data, sig->len));
	mcr_buf_release(&text);
	mcr_buf_release(&again);
}

/* The DER of an ECDSA signature: strict, and, when the signer sent r||s, holding them. */
static void check_ecdsa(const struct mcr_buf *der, size_t field_len, const unsigned char *raw)
{
	const unsigned char *p = der->data;
	ECDSA_SIG *esig = d2i_ECDSA_SIG(NULL, &p, (long)der->len);
	unsigned char r[48], s[48];

	FUZZ_CHECK(esig != NULL && p == der->data + der->len);
	if (raw) {
		FUZZ_CHECK(BN_bn2binpad(ECDSA_SIG_get0_r(esig), r, (int)field_len) ==
		           (int)field_len);
		FUZZ_CHECK(BN_bn2binpad(ECDSA_SIG_get0_s(esig), s, (int)field_len) ==
		           (int)field_len);
		FUZZ_CHECK(!memcmp(r, raw, field_len) && !memcmp(s, raw + field_len, field_len));
	}
	ECDSA_SIG_free(esig);
}

static void normalize(enum mcr_key_type type, enum mcr_sig_format format, const unsigned char *sig,
                      size_t sig_len)
{
	struct mcr_buf out = MCR_BUF_INIT, again = MCR_BUF_INIT;
	size_t field_len = type == MCR_KEY_P384 ? 48 : 32,
	       want = type == MCR_KEY_RSA3072 ? 384 : 256;
	bool was_raw;

	if (mcr_key_normalize_signature(&out, type, format, sig, sig_len, SIGNER) < 0) {
		FUZZ_CHECK(out.len == 0);
		return;
	}
	FUZZ_CHECK(out.len > 0 && out.len <= mcr_key_max_sig_len(type));
	switch (type) {
	case MCR_KEY_P256:
	case MCR_KEY_P384:
		was_raw = format == MCR_SIG_RAW ||
		          (format == MCR_SIG_AUTO && sig_len == 2 * field_len);
		check_ecdsa(&out, field_len, was_raw ? sig : NULL);
		/* what we send on is minimal DER already: normalising it changes nothing */
		FUZZ_CHECK(mcr_key_normalize_signature(&again, type, MCR_SIG_DER, out.data, out.len,
		                                       SIGNER) == 0);
		FUZZ_CHECK(fuzz_same(again.data, again.len, out.data, out.len));
		break;
	case MCR_KEY_ED25519:
		FUZZ_CHECK(out.len == 64 && sig_len == 64 && !memcmp(out.data, sig, 64));
		break;
	default:
		FUZZ_CHECK(out.len == want && !memcmp(out.data + want - sig_len, sig, sig_len));
		for (size_t i = 0; i < want - sig_len; i++)
			FUZZ_CHECK(out.data[i] == 0);
	}
	mcr_buf_release(&out);
	mcr_buf_release(&again);
}

static void stderr_line(const uint8_t *err, size_t err_len, size_t out_size)
{
	char line[300];
	size_t len;

	memset(line, 'X', sizeof(line));
	mcr_signer_command_reply_stderr_line(line, out_size, err, err_len);
	len = strnlen(line, out_size);
	FUZZ_CHECK(len < out_size);
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(line[i] >= 0x20 && line[i] < 0x7f);
	FUZZ_CHECK(line[out_size] == 'X'); /* nothing written past out_size */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcr_buf sig = MCR_BUF_INIT;
	enum mcr_signer_command_encoding encoding;
	enum mcr_key_type type;
	enum mcr_sig_format format;
	unsigned long key_version = 99;
	const uint8_t *reply;
	size_t reply_len;

	if (size < 2)
		return 0;
	encoding = (enum mcr_signer_command_encoding)(data[0] % 5);
	type = (enum mcr_key_type)(data[1] % 5);
	format = (enum mcr_sig_format)(data[1] / 5 % 3);
	reply = data + 2;
	reply_len = size - 2;
	if (mcr_signer_command_reply_decode(&sig, &key_version, encoding, reply, reply_len,
	                                    SIGNER) == 0) {
		FUZZ_CHECK(sig.len > 0);
		FUZZ_CHECK(encoding == MCR_SIGNER_COMMAND_VAULT || key_version == 0);
		decode_round_trip(encoding, key_version, &sig);
		normalize(type, format, sig.data, sig.len);
	} else {
		normalize(type, format, reply, reply_len);
	}
	stderr_line(reply, reply_len, 1 + (size_t)data[0] % 256);
	mcr_buf_release(&sig);
	return 0;
}
