/* verify-export: a bundle checked offline. The manifest's signature, then every file against the
 * manifest (none missing, changed or added); export_verify_log.c checks the log evidence. */
#include "export.h"
#include "export_bundle.h"
#include "export_verify.h"

#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "hash.h"
#include "json.h"
#include "key.h"
#include "proc.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MANIFEST_MAX  (256UL * 1024 * 1024)
#define SIGNATURE_MAX 4096
#define KEY_MAX       (64 * 1024)
#define MAX_LINES     200

static void add_line(struct mcr_export_check *out, const char *prefix, const char *fmt, va_list ap)
{
	char text[1024];

	vsnprintf(text, sizeof(text), fmt, ap);
	if (!out->message && !strcmp(prefix, "INVALID: ")) {
		out->message = strdup(text);
	}
	if (out->line_count++ < MAX_LINES)
		mcr_buf_addf(&out->lines, "%s%s\n", prefix, text);
}

int mcr_verify_finding(struct mcr_verify *v, const char *reason, const char *fmt, ...)
{
	va_list ap;

	v->out->is_valid = false;
	if (!v->out->reason)
		v->out->reason = reason;
	va_start(ap, fmt);
	add_line(v->out, "INVALID: ", fmt, ap);
	va_end(ap);
	return 0;
}

void mcr_verify_note(struct mcr_verify *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(v->out, "", fmt, ap);
	va_end(ap);
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool mcr_verify_is_listed(const struct mcr_verify *v, const char *rel)
{
	return v->listed_count &&
	       bsearch(&rel, v->listed, v->listed_count, sizeof(*v->listed), by_string);
}

int mcr_verify_read(const struct mcr_verify *v, const char *rel, size_t max_len,
                    struct mcr_buf *out)
{
	struct mcr_buf path = MCR_BUF_INIT;
	int ret;

	if ((ret = mcr_buf_addf(&path, "%s/%s", v->dir, rel)) == 0)
		ret = mcr_fileio_read_all((char *)path.data, max_len, out);
	mcr_buf_release(&path);
	return ret;
}

/* Manifest paths are ours: relative, [A-Za-z0-9._/-], no empty, "." or ".." part. */
static bool is_safe_path(const char *p)
{
	if (!*p || *p == '/' ||
	    strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	              "0123456789._/-") != strlen(p))
		return false;
	return !strstr(p, "//") && strncmp(p, "../", 3) && strcmp(p, "..") && strncmp(p, "./", 2) &&
	       !strstr(p, "/../") && !strstr(p, "/./") && p[strlen(p) - 1] != '/' &&
	       (strlen(p) < 3 || strcmp(p + strlen(p) - 3, "/..")) &&
	       (strlen(p) < 2 || strcmp(p + strlen(p) - 2, "/."));
}

/* One listed file: there, a regular file, of its size and SHA-256. */
static int check_file(struct mcr_verify *v, const cJSON *entry)
{
	const char *rel, *want;
	long long size;
	unsigned char digest[32];
	char hex[65];
	struct mcr_buf path = MCR_BUF_INIT;
	struct stat st;
	int ret;

	if (mcr_json_get_string(&rel, entry, "path", true, MCR_BUNDLE_MANIFEST) < 0 ||
	    mcr_json_get_string(&want, entry, "sha256", true, MCR_BUNDLE_MANIFEST) < 0 ||
	    mcr_json_get_int(&size, entry, "size", true, 0, 1LL << 50, MCR_BUNDLE_MANIFEST) < 0 ||
	    !is_safe_path(rel)) {
		mcr_error_clear();
		return mcr_verify_finding(v, "export.bad_manifest", "malformed file entry in %s",
		                          MCR_BUNDLE_MANIFEST);
	}
	if ((ret = mcr_buf_addf(&path, "%s/%s", v->dir, rel)) < 0)
		return ret;
	if (lstat((char *)path.data, &st) < 0)
		ret = mcr_verify_finding(v, "export.missing_file", "file '%s' is missing", rel);
	else if (!S_ISREG(st.st_mode))
		ret = mcr_verify_finding(v, "export.file_mismatch", "'%s' is not a regular file",
		                         rel);
	else if ((ret = mcr_hash_file(MCR_HASH_SHA256, (char *)path.data, digest)) == 0) {
		mcr_hex_encode(hex, digest, sizeof(digest));
		if (strcmp(hex, want) || st.st_size != size)
			ret = mcr_verify_finding(
			        v, "export.file_mismatch",
			        "file '%s' does not match its SHA-256 in the manifest", rel);
		else
			v->out->file_count++;
	}
	mcr_buf_release(&path);
	return ret;
}

static int check_files(struct mcr_verify *v)
{
	const cJSON *files, *entry;
	size_t n = 0;
	int ret;

	if (mcr_json_get_array(&files, v->manifest, "files", true, MCR_BUNDLE_MANIFEST) < 0) {
		mcr_error_clear();
		return mcr_verify_finding(v, "export.bad_manifest", "%s lists no files",
		                          MCR_BUNDLE_MANIFEST);
	}
	if (!(v->listed = calloc((size_t)cJSON_GetArraySize(files) + 1, sizeof(*v->listed))))
		return mcr_error(MCR_ESYS, "out of memory");
	cJSON_ArrayForEach(entry, files)
	{
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(entry, "path");

		if ((ret = check_file(v, entry)) < 0)
			return ret;
		if (cJSON_IsString(p))
			v->listed[n++] = p->valuestring;
	}
	v->listed_count = n;
	qsort(v->listed, n, sizeof(*v->listed), by_string);
	return 0;
}

/* Every file under dir must be listed (or be the manifest and its signature). */
static int walk(struct mcr_verify *v, const char *rel_dir)
{
	struct mcr_buf path = MCR_BUF_INIT, rel = MCR_BUF_INIT;
	struct dirent *d;
	struct stat st;
	DIR *dir;
	int ret = 0;

	if ((ret = mcr_buf_addf(&path, "%s%s%s", v->dir, *rel_dir ? "/" : "", rel_dir)) < 0)
		return ret;
	if (!(dir = opendir((char *)path.data))) {
		ret = mcr_error_errno(MCR_EINPUT, "cannot read bundle directory '%s'",
		                      (char *)path.data);
		goto out;
	}
	while (ret == 0 && (d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		mcr_buf_truncate(&rel, 0);
		mcr_buf_addf(&rel, "%s%s%s", rel_dir, *rel_dir ? "/" : "", d->d_name);
		mcr_buf_truncate(&path, 0);
		mcr_buf_addf(&path, "%s/%s", v->dir, (char *)rel.data);
		if (lstat((char *)path.data, &st) == 0 && S_ISDIR(st.st_mode))
			ret = walk(v, (char *)rel.data);
		else if (strcmp((char *)rel.data, MCR_BUNDLE_MANIFEST) &&
		         strcmp((char *)rel.data, MCR_BUNDLE_SIGNATURE) &&
		         !mcr_verify_is_listed(v, (char *)rel.data))
			ret = mcr_verify_finding(v, "export.unlisted_file",
			                         "file '%s' is not in the manifest",
			                         (char *)rel.data);
	}
	closedir(dir);
out:
	mcr_buf_release(&path);
	mcr_buf_release(&rel);
	return ret;
}

/* The key to check with: the pinned one, else the bundle's own copy (said so in the report). */
static int load_key(struct mcr_verify *v, const struct mcr_key *pinned, struct mcr_key **own)
{
	struct mcr_buf pem = MCR_BUF_INIT;
	char fp[65];
	int ret;

	*own = NULL;
	v->out->is_key_pinned = pinned != NULL;
	if (!pinned) {
		if (mcr_verify_read(v, MCR_BUNDLE_LOG_KEY, KEY_MAX, &pem) < 0 ||
		    mcr_key_from_pem(own, pem.data, pem.len, MCR_BUNDLE_LOG_KEY) < 0) {
			mcr_error_clear();
			mcr_buf_release(&pem);
			return mcr_verify_finding(
			        v, "export.missing_file",
			        "no usable log key '%s' in the bundle (and no --key)",
			        MCR_BUNDLE_LOG_KEY);
		}
		mcr_verify_note(v,
		                "key taken from the bundle itself (%s): this shows the bundle is "
		                "intact, not who made it; pin the log key with --key",
		                MCR_BUNDLE_LOG_KEY);
	}
	mcr_buf_release(&pem);
	v->key = pinned ? pinned : *own;
	if ((ret = mcr_key_fingerprint(v->key, fp)) < 0)
		return ret;
	v->out->key_fingerprint = strdup(fp);
	return 0;
}

static int check_signature(struct mcr_verify *v, const struct mcr_buf *manifest)
{
	struct mcr_buf sig = MCR_BUF_INIT;
	unsigned char digest[MCR_HASH_MAX_LEN];
	enum mcr_hash_alg alg =
	        mcr_key_type(v->key) == MCR_KEY_P384 ? MCR_HASH_SHA384 : MCR_HASH_SHA256;
	int ret = 0;

	if (mcr_verify_read(v, MCR_BUNDLE_SIGNATURE, SIGNATURE_MAX, &sig) < 0) {
		mcr_error_clear();
		ret = mcr_verify_finding(v, "export.missing_file", "signature '%s' is missing",
		                         MCR_BUNDLE_SIGNATURE);
	} else if ((ret = mcr_hash_buffer(alg, manifest->data, manifest->len, digest)) == 0 &&
	           mcr_key_verify(v->key, digest, mcr_hash_len(alg), manifest->data, manifest->len,
	                          sig.data, sig.len) < 0) {
		ret = mcr_verify_finding(
		        v, "export.bad_manifest_signature",
		        "%s is not signed by the %s log key %.16s", MCR_BUNDLE_MANIFEST,
		        v->out->is_key_pinned ? "pinned" : "bundle's", v->out->key_fingerprint);
	} else if (ret == 0) {
		mcr_verify_note(v, "manifest signed by %s key %s",
		                mcr_key_type_name(mcr_key_type(v->key)), v->out->key_fingerprint);
	}
	mcr_buf_release(&sig);
	return ret;
}

static int read_manifest(struct mcr_verify *v, struct mcr_buf *text)
{
	const cJSON *type, *product, *log;

	if (mcr_verify_read(v, MCR_BUNDLE_MANIFEST, MANIFEST_MAX, text) < 0) {
		mcr_error_clear();
		return mcr_verify_finding(v, "export.missing_file", "no %s in the bundle",
		                          MCR_BUNDLE_MANIFEST);
	}
	v->manifest = cJSON_ParseWithLength((char *)text->data, text->len);
	type = cJSON_GetObjectItemCaseSensitive(v->manifest, "type");
	if (!cJSON_IsString(type) || strcmp(type->valuestring, MCR_BUNDLE_TYPE))
		return mcr_verify_finding(v, "export.bad_manifest", "%s is not a bundle manifest",
		                          MCR_BUNDLE_MANIFEST);
	product = cJSON_GetObjectItemCaseSensitive(v->manifest, "product");
	log = cJSON_GetObjectItemCaseSensitive(v->manifest, "log");
	if (cJSON_IsString(product))
		v->out->product = strdup(product->valuestring);
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(log, "origin")))
		v->origin = cJSON_GetObjectItemCaseSensitive(log, "origin")->valuestring;
	return 0;
}

static int check_dir(struct mcr_verify *v, const struct mcr_key *pinned)
{
	struct mcr_buf manifest = MCR_BUF_INIT;
	struct mcr_key *own = NULL;
	int ret;

	if ((ret = read_manifest(v, &manifest)) < 0 || !v->out->is_valid ||
	    (ret = load_key(v, pinned, &own)) < 0 || !v->key ||
	    (ret = check_signature(v, &manifest)) < 0 || (ret = check_files(v)) < 0 ||
	    (ret = walk(v, "")) < 0)
		goto out;
	mcr_verify_note(v, "files: %zu listed, %zu match", v->listed_count, v->out->file_count);
	ret = mcr_verify_log(v);
out:
	mcr_key_free(own);
	mcr_buf_release(&manifest);
	return ret;
}

/* A .tar bundle is unpacked into a private temp directory first. */
static int unpack(const char *path, char **dir)
{
	struct mcr_proc_result result;
	struct mcr_proc_spec spec;
	char *tar = NULL;
	int ret;

	if (mcr_proc_find_program(&tar, "tar") < 0)
		return mcr_error(MCR_ESYS, "tar not found in PATH: '%s' is unpacked with it", path);
	if ((ret = mcr_fileio_mkdtemp(dir, "mcurelease-bundle")) == 0) {
		const char *argv[] = {tar,
		                      "--extract",
		                      "--no-same-owner",
		                      "--no-same-permissions",
		                      "-f",
		                      path,
		                      "-C",
		                      *dir,
		                      NULL};

		mcr_proc_spec_init(&spec);
		spec.argv = argv;
		if ((ret = mcr_proc_run(&spec, &result)) == 0 && !mcr_proc_succeeded(&result)) {
			mcr_buf_rtrim(&result.err);
			ret = mcr_error(MCR_EINPUT, "cannot unpack bundle '%s': %s", path,
			                result.err.data ? (char *)result.err.data : "");
		}
		mcr_proc_result_release(&result);
	}
	free(tar);
	return ret;
}

int mcr_export_verify_bundle(const char *path, const struct mcr_key *pinned_key,
                             struct mcr_export_check *out)
{
	struct mcr_verify v = {.out = out};
	char *unpacked = NULL;
	struct stat st;
	int ret;

	memset(out, 0, sizeof(*out));
	out->is_valid = true;
	if (stat(path, &st) < 0 || (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)))
		return mcr_error(MCR_EINPUT, "no bundle at '%s' (a directory or a .tar file)",
		                 path);
	if (S_ISREG(st.st_mode) && (ret = unpack(path, &unpacked)) < 0)
		goto out;
	v.dir = unpacked ? unpacked : path;
	ret = check_dir(&v, pinned_key);
out:
	if (unpacked)
		mcr_fileio_remove_tree(unpacked);
	free(unpacked);
	free(v.listed);
	cJSON_Delete(v.manifest);
	return ret;
}

void mcr_export_check_release(struct mcr_export_check *check)
{
	free(check->message);
	free(check->product);
	free(check->key_fingerprint);
	mcr_buf_release(&check->lines);
	memset(check, 0, sizeof(*check));
}
