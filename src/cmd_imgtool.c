/* mcurelease imgtool sign|verify|dumpinfo|getpub|getpubhash: a drop-in for MCUboot's imgtool. */
#include "buf.h"
#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "image_info.h"
#include "image_verify.h"
#include "imgtool.h"
#include "json.h"
#include "key.h"
#include "signer.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static int cmd_sign(int argc, char **argv)
{
	struct mcr_imgtool_sign args;
	int ret = mcr_imgtool_sign_parse(&args, argc, argv);

	if (ret == 0)
		ret = mcr_imgtool_sign_run(&args);
	mcr_imgtool_sign_release(&args);
	return ret > 0 ? 0 : ret;
}

/* A key for verify/getpub: a PEM (private or public) or a signer reference. */
static int load_key(struct mcr_key **out, const char *ref, const char *config_path)
{
	struct mcr_signer *signer = NULL;
	int ret;

	if (strncmp(ref, "signer:", 7) && strncmp(ref, "pkcs11:", 7))
		return mcr_key_load_pem(out, ref);
	if ((ret = mcr_signer_open_ref(&signer, ref, config_path)) == 0)
		ret = mcr_key_public_copy(out, mcr_signer_key(signer));
	mcr_signer_free(signer);
	return ret;
}

enum { OPT_KEY = MCR_OPT_FIRST, OPT_JSON, OPT_CONFIG, OPT_ENCODING, OPT_LANG, OPT_SUFFIX,
       OPT_OUTFILE, OPT_FORMAT, OPT_SILENT };

struct verify_opts {
	const char *keys[16];
	size_t key_count;
	bool json;
	const char *config_path;
};

static int verify_option(void *ctx, int id, const char *arg, const char *arg2)
{
	struct verify_opts *o = ctx;

	(void)arg2;
	if (id == OPT_KEY) {
		if (o->key_count == 16)
			return mcr_error(MCR_EUSAGE, "too many keys for 'imgtool verify'");
		o->keys[o->key_count++] = arg;
	} else if (id == OPT_JSON) {
		o->json = true;
	} else {
		o->config_path = arg;
	}
	return 0;
}

static int print_verdict(const struct verify_opts *o, const struct mcr_image_verdict *v, int result)
{
	char version[MCR_VERSION_TEXT_MAX], digest[2 * MCR_HASH_MAX_LEN + 1];
	struct mcr_buf text = MCR_BUF_INIT;
	cJSON *obj;
	int ret = 0;

	mcr_version_format(version, &v->header.version);
	mcr_hex_encode(digest, v->digest, v->digest_len);
	if (!o->json) {
		if (result == 0)
			printf("Image was correctly validated%s\nImage version: %s\nImage digest: %s\n",
			       o->key_count ? "" : " (hash only: no key given, signature not checked)",
			       version, digest);
		return result;
	}
	obj = cJSON_CreateObject();
	if ((ret = mcr_json_add_bool(obj, "valid", result == 0)) == 0 &&
	    (ret = mcr_json_add_bool(obj, "signature_checked", v->signature_checked)) == 0 &&
	    (ret = mcr_json_add_string(obj, "reason", result ? mcr_error_reason() : NULL)) == 0 &&
	    (ret = mcr_json_add_string(obj, "message", result ? mcr_error_message() : NULL)) == 0 &&
	    (ret = mcr_json_add_string(obj, "version", result ? NULL : version)) == 0 &&
	    (ret = mcr_json_add_string(obj, "hash_alg", mcr_hash_name(v->hash_alg))) == 0 &&
	    (ret = mcr_json_add_string(obj, "digest", result ? NULL : digest)) == 0 &&
	    (ret = mcr_json_pretty(&text, obj)) == 0)
		fputs((const char *)text.data, stdout);
	cJSON_Delete(obj);
	mcr_buf_release(&text);
	return ret < 0 ? ret : result;
}

static int cmd_verify(int argc, char **argv)
{
	static const struct mcr_option options[] = {
		{"key", 'k', "KEY", "trusted key: PEM (public or private), signer:NAME or pkcs11: URI; repeatable", OPT_KEY, false},
		{"json", 0, NULL, "print the verdict as JSON", OPT_JSON, false},
		{"config", 0, "FILE", "config file for signer:NAME keys", OPT_CONFIG, false},
		{NULL, 0, NULL, NULL, 0, false},
	};
	static const struct mcr_cli_spec spec = {
		"imgtool verify", "[-k KEY]... IMAGE",
		"Check an image as MCUboot would: structure, hash, key hash and signature.\n"
		"Stricter than imgtool: the KEYHASH must name the key and no unsigned TLV may be added.\n"
		"Exit 0 valid, 1 not (one line naming the first problem).",
		options, 1, 1,
	};
	struct verify_opts o = {0};
	struct mcr_key *keys[16] = {0};
	struct mcr_image_verdict verdict;
	int first, ret;

	if ((ret = mcr_cli_parse(&spec, argc, argv, verify_option, &o, &first)) != 0)
		return ret > 0 ? 0 : ret;
	for (size_t i = 0; i < o.key_count; i++)
		if ((ret = load_key(&keys[i], o.keys[i], o.config_path)) < 0)
			goto out;
	ret = mcr_image_verify_file(argv[first], (const struct mcr_key *const *)keys, o.key_count,
				    &verdict);
	if (ret == 0 || ret == MCR_EREFUSED)
		ret = print_verdict(&o, &verdict, ret);
out:
	for (size_t i = 0; i < o.key_count; i++)
		mcr_key_free(keys[i]);
	return ret;
}

struct dump_opts {
	const char *outfile;
	const char *format;
};

static int dump_option(void *ctx, int id, const char *arg, const char *arg2)
{
	struct dump_opts *o = ctx;

	(void)arg2;
	if (id == OPT_OUTFILE)
		o->outfile = arg;
	else if (id == OPT_JSON)
		o->format = "json";
	else if (id == OPT_FORMAT)
		o->format = arg;
	return 0; /* -s/--silent: accepted and ignored, as imgtool does */
}

static int cmd_dumpinfo(int argc, char **argv)
{
	static const struct mcr_option options[] = {
		{"outfile", 'o', "FILE", "write to FILE instead of standard output", OPT_OUTFILE, false},
		{"format", 'f', "human|json", "output format (default human)", OPT_FORMAT, false},
		{"json", 0, NULL, "same as --format json", OPT_JSON, false},
		{"silent", 's', NULL, "ignored (imgtool compatibility)", OPT_SILENT, false},
		{NULL, 0, NULL, NULL, 0, false},
	};
	static const struct mcr_cli_spec spec = {
		"imgtool dumpinfo", "[--json] [-o FILE] IMAGE",
		"Print an image's header, protected and unprotected TLVs, and boot trailer.",
		options, 1, 1,
	};
	struct dump_opts o = {NULL, "human"};
	struct mcr_buf text = MCR_BUF_INIT;
	cJSON *info = NULL;
	int first, ret;

	if ((ret = mcr_cli_parse(&spec, argc, argv, dump_option, &o, &first)) != 0)
		return ret > 0 ? 0 : ret;
	if (strcmp(o.format, "human") && strcmp(o.format, "json"))
		return mcr_error(MCR_EUSAGE, "dumpinfo format '%s' is not supported (human or json)",
				 o.format);
	if ((ret = mcr_image_info(&info, argv[first])) < 0)
		goto out;
	ret = !strcmp(o.format, "json") ? mcr_json_pretty(&text, info) : mcr_image_info_text(&text, info);
	if (ret < 0)
		goto out;
	if (o.outfile)
		ret = mcr_fileio_write_atomic(o.outfile, text.data, text.len, 0644);
	else
		fwrite(text.data, 1, text.len, stdout);
out:
	cJSON_Delete(info);
	mcr_buf_release(&text);
	return ret;
}

struct getpub_opts {
	const char *key, *encoding, *suffix, *outfile, *config_path;
};

static int getpub_option(void *ctx, int id, const char *arg, const char *arg2)
{
	struct getpub_opts *o = ctx;

	(void)arg2;
	if (id == OPT_KEY)
		o->key = arg;
	else if (id == OPT_ENCODING)
		o->encoding = arg;
	else if (id == OPT_LANG)
		o->encoding = !strcmp(arg, "rust") ? "lang-rust" : "lang-c";
	else if (id == OPT_SUFFIX)
		o->suffix = arg;
	else if (id == OPT_OUTFILE)
		o->outfile = arg;
	else
		o->config_path = arg;
	return 0;
}

/* imgtool's C/Rust array: 8 bytes a line, four-space indent, the autogen banner first. */
static int emit_array(struct mcr_buf *out, const char *lang, const char *name,
		      const unsigned char *bytes, size_t len)
{
	bool rust = !strcmp(lang, "lang-rust");
	int ret;

	ret = rust ? mcr_buf_addf(out, "/* Autogenerated by imgtool.py, do not edit. */\nstatic %s: &[u8] = &[", name)
		   : mcr_buf_addf(out, "/* Autogenerated by imgtool.py, do not edit. */\nconst unsigned char %s[] = {", name);
	for (size_t i = 0; i < len && ret == 0; i++)
		ret = mcr_buf_addf(out, "%s0x%02x,", i % 8 ? " " : "\n    ", bytes[i]);
	if (ret == 0)
		ret = mcr_buf_addf(out, "\n%s\n", rust ? "];" : "};");
	if (ret == 0 && !rust)
		ret = mcr_buf_addf(out, "const unsigned int %s_len = %zu;\n", name, len);
	return ret;
}

static const char *short_name(const struct mcr_key *key)
{
	switch (mcr_key_type(key)) {
	case MCR_KEY_RSA2048:
	case MCR_KEY_RSA3072:
		return "rsa";
	case MCR_KEY_ED25519:
		return "ed25519";
	default:
		return "ecdsa";
	}
}

static int render_public(struct mcr_buf *out, const struct getpub_opts *o, const struct mcr_key *key,
			 bool hash_only)
{
	struct mcr_buf bytes = MCR_BUF_INIT;
	unsigned char hash[32];
	char name[128];
	int ret;

	if (!hash_only && !strcmp(o->encoding, "pem"))
		return mcr_key_public_pem(key, out);
	if ((ret = mcr_key_public_bytes(key, &bytes)) < 0)
		goto out;
	if (hash_only) {
		if ((ret = mcr_hash_buffer(MCR_HASH_SHA256, bytes.data, bytes.len, hash)) < 0)
			goto out;
		mcr_buf_truncate(&bytes, 0);
		mcr_buf_add(&bytes, hash, sizeof(hash));
	}
	if (!strcmp(o->encoding, "raw")) {
		ret = mcr_buf_add(out, bytes.data, bytes.len);
		goto out;
	}
	if (strcmp(o->encoding, "lang-c") && (hash_only || strcmp(o->encoding, "lang-rust"))) {
		ret = mcr_error(MCR_EUSAGE, "unknown encoding '%s'", o->encoding);
		goto out;
	}
	snprintf(name, sizeof(name), "%s%s_pub_key%s%s", !strcmp(o->encoding, "lang-rust") ? "" : "",
		 short_name(key), hash_only ? "_hash" : "", o->suffix ? o->suffix : "");
	if (!strcmp(o->encoding, "lang-rust"))
		for (char *p = name; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	ret = emit_array(out, o->encoding, name, bytes.data, bytes.len);
out:
	mcr_buf_release(&bytes);
	return ret;
}

static int run_getpub(int argc, char **argv, bool hash_only)
{
	static const struct mcr_option options[] = {
		{"key", 'k', "KEY", "PEM (public or private), signer:NAME or pkcs11: URI (required)", OPT_KEY, false},
		{"encoding", 'e', "ENC", "lang-c (default), lang-rust, pem or raw", OPT_ENCODING, false},
		{"lang", 'l', "c|rust", "deprecated form of --encoding", OPT_LANG, false},
		{"name-suffix", 0, "S", "append S to the array name", OPT_SUFFIX, false},
		{"output", 'o', "FILE", "write to FILE instead of standard output", OPT_OUTFILE, false},
		{"config", 0, "FILE", "config file for signer:NAME keys", OPT_CONFIG, false},
		{NULL, 0, NULL, NULL, 0, false},
	};
	static const struct mcr_cli_spec pub_spec = {
		"imgtool getpub", "-k KEY [-e ENC]",
		"Print the public key as MCUboot embeds it (C array by default).", options, 0, 0,
	};
	static const struct mcr_cli_spec hash_spec = {
		"imgtool getpubhash", "-k KEY [-e lang-c|raw]",
		"Print the SHA-256 of the public key bytes (MCUboot's key hash for SHA-256 images).",
		options, 0, 0,
	};
	struct getpub_opts o = {NULL, "lang-c", NULL, NULL, NULL};
	struct mcr_buf out = MCR_BUF_INIT;
	struct mcr_key *key = NULL;
	int first, ret;

	if ((ret = mcr_cli_parse(hash_only ? &hash_spec : &pub_spec, argc, argv, getpub_option, &o,
				 &first)) != 0)
		return ret > 0 ? 0 : ret;
	if (!o.key)
		return mcr_error(MCR_EUSAGE, "'imgtool %s' needs --key", hash_only ? "getpubhash" : "getpub");
	if ((ret = load_key(&key, o.key, o.config_path)) < 0 ||
	    (ret = render_public(&out, &o, key, hash_only)) < 0)
		goto out;
	if (o.outfile)
		ret = mcr_fileio_write_atomic(o.outfile, out.data, out.len, 0644);
	else
		fwrite(out.data, 1, out.len, stdout);
out:
	mcr_key_free(key);
	mcr_buf_release(&out);
	return ret;
}

static int cmd_getpub(int argc, char **argv)
{
	return run_getpub(argc, argv, false);
}

static int cmd_getpubhash(int argc, char **argv)
{
	return run_getpub(argc, argv, true);
}

static const struct mcr_command imgtool_commands[] = {
	{"sign", cmd_sign, "build and sign an image (imgtool's options and output bytes)", NULL},
	{"create", cmd_sign, "alias of sign", NULL},
	{"verify", cmd_verify, "check an image's structure, hash, key hash and signature", NULL},
	{"dumpinfo", cmd_dumpinfo, "print header, TLVs and trailer (--json for scripts)", NULL},
	{"getpub", cmd_getpub, "print the public key as MCUboot embeds it", NULL},
	{"getpubhash", cmd_getpubhash, "print the SHA-256 of the public key bytes", NULL},
	{NULL, NULL, NULL, NULL},
};

int mcr_cmd_imgtool(int argc, char **argv)
{
	return mcr_cli_dispatch("imgtool", imgtool_commands, argc, argv);
}
