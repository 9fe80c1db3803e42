/* The bundle export: a directory (or a tar of it) holding the reports, the exact events,
 * checkpoints, inclusion proofs and public keys, and MANIFEST.json of every file's SHA-256,
 * signed with the log key. Built in a staging directory beside the target and renamed into
 * place, so a reader never sees half a bundle. */
#include "export.h"
#include "export_bundle.h"

#include "buf.h"
#include "checkpoint.h"
#include "error.h"
#include "fileio.h"
#include "hash.h"
#include "json.h"
#include "key.h"
#include "proc.h"
#include "signer.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STREAM_CHUNK (1024 * 1024)

/* What VERIFY.txt says: the same recipe as docs/export.md, for a reader without mcurelease. */
static const char verify_text[] =
        "How to check this bundle with standard tools (OpenSSL 3, coreutils, sed)\n"
        "========================================================================\n"
        "\n"
        "MANIFEST.json lists every other file with its SHA-256 and size; MANIFEST.json.sig is\n"
        "the log key's signature over the exact bytes of MANIFEST.json. Use the log's public\n"
        "key as you obtained it separately (keys/log.pem is the bundle's own copy: checking\n"
        "against it proves integrity, not origin). In the bundle directory:\n"
        "\n"
        "# --- recipe ---\n"
        "KEY=${KEY:-keys/log.pem}\n"
        "if openssl pkey -pubin -in \"$KEY\" -noout -text | grep -q ED25519; then\n"
        "    openssl pkeyutl -verify -pubin -inkey \"$KEY\" -rawin -in MANIFEST.json \\\n"
        "        -sigfile MANIFEST.json.sig\n"
        "else\n"
        "    openssl dgst -sha256 -verify \"$KEY\" -signature MANIFEST.json.sig MANIFEST.json\n"
        "fi || { echo 'BAD: manifest signature'; exit 1; }\n"
        "sed -n 's/^ *{\"path\": \"\\([^\"]*\\)\", \"sha256\": \"\\([0-9a-f]*\\)\".*/\\2  \\1/p' "
        "MANIFEST.json |\n"
        "    sha256sum --check --strict --quiet - || { echo 'BAD: file hashes'; exit 1; }\n"
        "listed=$(sed -n 's/^ *{\"path\": \"\\([^\"]*\\)\".*/\\1/p' MANIFEST.json | LC_ALL=C "
        "sort)\n"
        "present=$(find . -type f ! -name MANIFEST.json ! -name MANIFEST.json.sig |\n"
        "    sed 's|^\\./||' | LC_ALL=C sort)\n"
        "[ \"$listed\" = \"$present\" ] || { echo 'BAD: files added or missing'; exit 1; }\n"
        "echo 'bundle OK'\n"
        "# --- end of recipe ---\n"
        "\n"
        "The chain of events.jsonl and the inclusion proofs in proofs/ are checked by\n"
        "'mcurelease audit verify-export', and by 'mcurelease audit verify-proof' one proof at a\n"
        "time; docs/export.md of mcurelease shows how to recompute an event hash by hand.\n";

static int add_file(struct mcr_bundle *b, const char *rel, const unsigned char digest[32],
                    long long size)
{
	struct mcr_bundle_file *f;
	int ret;

	if ((ret = mcr_export_grow((void **)&b->files, &b->file_cap, b->file_count,
	                           sizeof(*b->files))) < 0)
		return ret;
	f = &b->files[b->file_count];
	if (!(f->path = strdup(rel)))
		return mcr_error(MCR_ESYS, "out of memory");
	mcr_hex_encode(f->sha256, digest, 32);
	f->size = size;
	b->file_count++;
	return 0;
}

/* Opens rel in the staging directory for writing; never follows or replaces anything. */
static int open_new(const struct mcr_bundle *b, const char *rel, int *fd)
{
	struct mcr_buf path = MCR_BUF_INIT;
	int ret = 0;

	if ((ret = mcr_buf_addf(&path, "%s/%s", b->dir, rel)) < 0)
		return ret;
	*fd = open((char *)path.data, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (*fd < 0)
		ret = mcr_error_errno(MCR_ESYS, "cannot create '%s'", (char *)path.data);
	mcr_buf_release(&path);
	return ret;
}

static int write_all(int fd, const void *data, size_t len, const char *rel)
{
	const unsigned char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mcr_error_errno(MCR_ESYS, "cannot write bundle file '%s'", rel);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Files are synced all at once before the rename (syncfs), not one by one. */
static int put_raw(const struct mcr_bundle *b, const char *rel, const void *data, size_t len)
{
	int fd, ret;

	if ((ret = open_new(b, rel, &fd)) < 0)
		return ret;
	ret = write_all(fd, data, len, rel);
	if (close(fd) < 0 && ret == 0)
		ret = mcr_error_errno(MCR_ESYS, "cannot write bundle file '%s'", rel);
	return ret;
}

int mcr_bundle_put(struct mcr_bundle *b, const char *rel, const void *data, size_t len)
{
	unsigned char digest[32];
	int ret;

	if ((ret = put_raw(b, rel, data, len)) < 0 ||
	    (ret = mcr_hash_buffer(MCR_HASH_SHA256, data, len, digest)) < 0)
		return ret;
	return add_file(b, rel, digest, (long long)len);
}

int mcr_bundle_stream_open(struct mcr_bundle_stream *s, struct mcr_bundle *b, const char *rel)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->b = b;
	if (!(s->rel = strdup(rel)))
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_hash_new(&s->hash, MCR_HASH_SHA256)) < 0)
		return ret;
	return open_new(b, rel, &s->fd);
}

static int stream_flush(struct mcr_bundle_stream *s)
{
	int ret;

	if ((ret = mcr_hash_update(s->hash, s->pending.data, s->pending.len)) < 0 ||
	    (ret = write_all(s->fd, s->pending.data, s->pending.len, s->rel)) < 0)
		return ret;
	s->size += (long long)s->pending.len;
	mcr_buf_truncate(&s->pending, 0);
	return 0;
}

int mcr_bundle_stream_write(struct mcr_bundle_stream *s, const void *data, size_t len)
{
	int ret;

	if ((ret = mcr_buf_add(&s->pending, data, len)) < 0)
		return ret;
	return s->pending.len >= STREAM_CHUNK ? stream_flush(s) : 0;
}

int mcr_bundle_stream_close(struct mcr_bundle_stream *s)
{
	unsigned char digest[32];
	int ret;

	if ((ret = stream_flush(s)) < 0 || (ret = mcr_hash_final(s->hash, digest)) < 0)
		return ret;
	ret = close(s->fd);
	s->fd = -1;
	if (ret < 0)
		return mcr_error_errno(MCR_ESYS, "cannot write bundle file '%s'", s->rel);
	return add_file(s->b, s->rel, digest, s->size);
}

void mcr_bundle_stream_release(struct mcr_bundle_stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	mcr_hash_free(s->hash);
	s->hash = NULL;
	free(s->rel);
	s->rel = NULL;
	mcr_buf_release(&s->pending);
}

/* ---- contents ---- */

static int put_rendered(struct mcr_bundle *b, const struct mcr_export_opts *opts,
                        const char *format, const char *rel)
{
	struct mcr_buf out = MCR_BUF_INIT;
	int ret;

	if ((ret = mcr_export_render(format, b->model, opts, &out)) == 0)
		ret = mcr_bundle_put(b, rel, out.data, out.len);
	mcr_buf_release(&out);
	return ret;
}

/* A signer name as a file name: only [A-Za-z0-9._-], and never "." or "..". */
static void file_name(char *out, size_t len, const char *name)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < len; i++)
		out[i] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
		                name[i]) &&
		                         name[i]
		                 ? name[i]
		                 : '_';
	out[i] = '\0';
}

static int put_keys(struct mcr_bundle *b, struct mcr_signer *log_signer)
{
	const struct mcr_export_model *m = b->model;
	struct mcr_buf pem = MCR_BUF_INIT;
	char rel[128], name[64];
	int ret;

	if ((ret = mcr_key_public_pem(mcr_signer_key(log_signer), &pem)) < 0 ||
	    (ret = mcr_bundle_put(b, MCR_BUNDLE_LOG_KEY, pem.data, pem.len)) < 0)
		goto out;
	for (size_t i = 0; i < m->key_count; i++) {
		if (!m->keys[i].public_key_pem)
			continue;
		file_name(name, sizeof(name), m->keys[i].name);
		snprintf(rel, sizeof(rel), "keys/signers/%s.pem", name);
		if ((ret = mcr_bundle_put(b, rel, m->keys[i].public_key_pem,
		                          strlen(m->keys[i].public_key_pem))) < 0)
			break;
	}
out:
	mcr_buf_release(&pem);
	return ret;
}

/* The manifest must be signed by the key that signs the log's checkpoints, or nothing checks. */
static int check_log_signer(const struct mcr_export_model *m, struct mcr_signer *signer)
{
	const struct mcr_audit_stored_checkpoint *cp;
	struct mcr_checkpoint parsed = {0};
	int ret;

	if (!m->checkpoint_count)
		return 0;
	cp = &m->checkpoints[m->checkpoint_count - 1];
	if ((ret = mcr_checkpoint_parse(&parsed, cp->note, strlen(cp->note),
	                                "latest checkpoint")) == 0 &&
	    mcr_checkpoint_verify(&parsed, mcr_signer_key(signer), NULL, "latest checkpoint") < 0)
		ret = mcr_error(
		        MCR_EINPUT,
		        "signer '%s' did not sign the checkpoints of audit log '%s': a bundle "
		        "is signed with the log key",
		        mcr_signer_name(signer), m->log_path);
	mcr_checkpoint_release(&parsed);
	return ret;
}

static int write_contents(struct mcr_bundle *b, const struct mcr_export_opts *opts)
{
	static const char *const dirs[] = {"checkpoints", "proofs", "keys", "keys/signers"};
	struct mcr_buf dir = MCR_BUF_INIT;
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		mcr_buf_truncate(&dir, 0);
		if ((ret = mcr_buf_addf(&dir, "%s/%s", b->dir, dirs[i])) == 0 &&
		    mkdir((char *)dir.data, 0755) < 0)
			ret = mcr_error_errno(MCR_ESYS, "cannot create '%s'", (char *)dir.data);
	}
	mcr_buf_release(&dir);
	if (ret < 0 || (ret = check_log_signer(b->model, opts->log_signer)) < 0 ||
	    (ret = mcr_bundle_put(b, "VERIFY.txt", verify_text, sizeof(verify_text) - 1)) < 0 ||
	    (ret = put_rendered(b, opts, "json", "report.json")) < 0 ||
	    (ret = put_rendered(b, opts, "csv", "events.csv")) < 0 ||
	    (ret = put_rendered(b, opts, "html", "report.html")) < 0 ||
	    (ret = put_rendered(b, opts, "pdf", "report.pdf")) < 0 ||
	    (ret = put_keys(b, opts->log_signer)) < 0)
		return ret;
	return mcr_bundle_write_events(b);
}

/* ---- the manifest ---- */

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct mcr_bundle_file *)a)->path,
	              ((const struct mcr_bundle_file *)b)->path);
}

static const char *signature_alg(const struct mcr_key *key)
{
	switch (mcr_key_type(key)) {
	case MCR_KEY_ED25519:
		return "ed25519";
	case MCR_KEY_P256:
		return "ecdsa-p256-sha256";
	case MCR_KEY_P384:
		return "ecdsa-p384-sha384";
	default:
		return "rsa-pss-sha256";
	}
}

static int manifest_head(cJSON *doc, const struct mcr_bundle *b, const struct mcr_key *key)
{
	const struct mcr_export_model *m = b->model;
	cJSON *period = cJSON_CreateObject(), *log = cJSON_CreateObject();
	cJSON *k = cJSON_CreateObject(), *sig = cJSON_CreateObject();
	char fp[65];
	int ret;

	if ((ret = mcr_json_add_item(doc, "period", period)) < 0 ||
	    (ret = mcr_json_add_item(doc, "log", log)) < 0 ||
	    (ret = mcr_json_add_item(doc, "key", k)) < 0 ||
	    (ret = mcr_json_add_item(doc, "signature", sig)) < 0 ||
	    (ret = mcr_key_fingerprint(key, fp)) < 0)
		return ret;
	if ((ret = mcr_json_add_string(period, "since", m->since)) < 0 ||
	    (ret = mcr_json_add_string(period, "until", m->until)) < 0 ||
	    (ret = mcr_json_add_int(period, "first_seq", m->first_seq)) < 0 ||
	    (ret = mcr_json_add_int(period, "last_seq", m->last_seq)) < 0 ||
	    (ret = mcr_json_add_string(log, "origin", m->origin)) < 0 ||
	    (ret = mcr_json_add_int(log, "size", m->log_size)) < 0 ||
	    (ret = mcr_json_add_hex(log, "root", m->log_root, sizeof(m->log_root))) < 0 ||
	    (ret = mcr_json_add_bool(log, "chain_valid", m->report.is_valid)) < 0 ||
	    (ret = mcr_json_add_string(k, "path", MCR_BUNDLE_LOG_KEY)) < 0 ||
	    (ret = mcr_json_add_string(k, "type", mcr_key_type_name(mcr_key_type(key)))) < 0 ||
	    (ret = mcr_json_add_string(k, "fingerprint", fp)) < 0 ||
	    (ret = mcr_json_add_string(sig, "path", MCR_BUNDLE_SIGNATURE)) < 0 ||
	    (ret = mcr_json_add_string(sig, "algorithm", signature_alg(key))) < 0)
		return ret;
	if ((ret = mcr_json_add_string(doc, "checkpoint", b->checkpoint)) < 0 ||
	    (ret = mcr_json_add_int(doc, "checkpoint_size", b->checkpoint_size)) < 0)
		return ret;
	return mcr_json_add_string(doc, "anchor_proof", b->anchor_proof);
}

/*
 * The manifest's text: its head pretty-printed, then one file per line in a
 * fixed layout, {"path": P, "sha256": H, "size": N}, so that sed can turn it
 * into sha256sum's input (paths are ours: [A-Za-z0-9._/-] only).
 */
static int manifest_text(struct mcr_buf *out, struct mcr_bundle *b, const struct mcr_key *key)
{
	const struct mcr_export_model *m = b->model;
	cJSON *doc = cJSON_CreateObject();
	int ret;

	if (!doc)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_json_add_string(doc, "type", MCR_BUNDLE_TYPE)) < 0 ||
	    (ret = mcr_json_add_string(doc, "generator", m->generator)) < 0 ||
	    (ret = mcr_json_add_string(doc, "created", m->created)) < 0 ||
	    (ret = mcr_json_add_string(doc, "product", m->product)) < 0 ||
	    (ret = manifest_head(doc, b, key)) < 0 || (ret = mcr_json_pretty(out, doc)) < 0)
		goto out;
	mcr_buf_truncate(out, out->len - 3); /* "\n}\n" */
	qsort(b->files, b->file_count, sizeof(*b->files), by_path);
	ret = mcr_buf_add_str(out, ",\n  \"files\": [\n");
	for (size_t i = 0; ret == 0 && i < b->file_count; i++)
		ret = mcr_buf_addf(out,
		                   "    {\"path\": \"%s\", \"sha256\": \"%s\", \"size\": %lld}%s\n",
		                   b->files[i].path, b->files[i].sha256, b->files[i].size,
		                   i + 1 < b->file_count ? "," : "");
	if (ret == 0)
		ret = mcr_buf_add_str(out, "  ]\n}\n");
out:
	cJSON_Delete(doc);
	return ret;
}

static int write_manifest(struct mcr_bundle *b, struct mcr_signer *signer)
{
	struct mcr_buf text = MCR_BUF_INIT, sig = MCR_BUF_INIT;
	int ret;

	if ((ret = manifest_text(&text, b, mcr_signer_key(signer))) < 0 ||
	    (ret = mcr_signer_sign_message(signer, text.data, text.len, NULL, &sig)) < 0 ||
	    (ret = put_raw(b, MCR_BUNDLE_MANIFEST, text.data, text.len)) < 0)
		goto out;
	ret = put_raw(b, MCR_BUNDLE_SIGNATURE, sig.data, sig.len);
out:
	mcr_buf_release(&text);
	mcr_buf_release(&sig);
	return ret;
}

/* ---- putting it in place ---- */

static int sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return mcr_error_errno(MCR_ESYS, "cannot open directory '%s'", path);
	/* one syncfs for the whole tree: hundreds of per-file fsyncs would dominate the export */
	if (syncfs(fd) < 0 || fsync(fd) < 0)
		ret = mcr_error_errno(MCR_ESYS, "cannot sync '%s'", path);
	close(fd);
	return ret;
}

static int sync_parent(const char *path)
{
	char *copy = strdup(path);
	int ret;

	if (!copy)
		return mcr_error(MCR_ESYS, "out of memory");
	ret = sync_dir(dirname(copy));
	free(copy);
	return ret;
}

static int run_tar(const char *tar, const char *file_opt, const char *staging, const char *path)
{
	const char *argv[] = {tar,         "--create",        file_opt, "--sort=name", "--owner=0",
	                      "--group=0", "--numeric-owner", "-C",     staging,       ".",
	                      NULL};
	struct mcr_proc_result result;
	struct mcr_proc_spec spec;
	int ret;

	mcr_proc_spec_init(&spec);
	spec.argv = argv;
	if ((ret = mcr_proc_run(&spec, &result)) == 0 && !mcr_proc_succeeded(&result)) {
		mcr_buf_rtrim(&result.err);
		ret = mcr_error(MCR_ESYS, "tar failed to write '%s': %s", path,
		                result.err.data ? (char *)result.err.data : "");
	}
	mcr_proc_result_release(&result);
	return ret;
}

/* The staging directory as one tar file, renamed into place once it is on disk. */
static int make_tar(const char *staging, const char *path)
{
	struct mcr_buf tmp = MCR_BUF_INIT, file = MCR_BUF_INIT;
	char *tar = NULL;
	int ret;

	if (mcr_proc_find_program(&tar, "tar") < 0) {
		ret = mcr_error(MCR_ESYS, "tar not found in PATH: a .tar bundle is made with it");
		goto out;
	}
	if ((ret = mcr_buf_addf(&tmp, "%s.tar", staging)) < 0 ||
	    (ret = mcr_buf_addf(&file, "--file=%s", (char *)tmp.data)) < 0 ||
	    (ret = run_tar(tar, (char *)file.data, staging, path)) < 0 ||
	    (ret = sync_dir(staging)) < 0)
		goto out;
	if (rename((char *)tmp.data, path) < 0)
		ret = mcr_error_errno(MCR_ESYS, "cannot rename bundle to '%s'", path);
	else
		ret = sync_parent(path);
out:
	if (ret < 0 && tmp.data)
		unlink((char *)tmp.data);
	free(tar);
	mcr_buf_release(&tmp);
	mcr_buf_release(&file);
	return ret;
}

static int put_in_place(const char *staging, const char *path)
{
	if (chmod(staging, 0755) < 0)
		return mcr_error_errno(MCR_ESYS, "cannot set the mode of '%s'", staging);
	if (rename(staging, path) < 0)
		return mcr_error_errno(MCR_ESYS, "cannot rename bundle to '%s'", path);
	return sync_parent(path);
}

static bool is_tar_path(const char *path)
{
	size_t len = strlen(path);

	return len > 4 && !strcmp(path + len - 4, ".tar");
}

static int make_staging(char **out, const char *path)
{
	struct mcr_buf tmpl = MCR_BUF_INIT;
	int ret;

	*out = NULL;
	if ((ret = mcr_buf_addf(&tmpl, "%s.tmp-XXXXXX", path)) < 0)
		return ret;
	if (!mkdtemp((char *)tmpl.data)) {
		ret = mcr_error_errno(MCR_ESYS, "cannot create a staging directory beside '%s'",
		                      path);
		mcr_buf_release(&tmpl);
		return ret;
	}
	*out = (char *)mcr_buf_detach(&tmpl, NULL);
	return 0;
}

static int write_bundle(const struct mcr_export_model *model, const struct mcr_export_opts *opts,
                        const char *path)
{
	struct mcr_bundle b = {.model = model};
	bool is_tar = is_tar_path(path);
	char *staging = NULL;
	int ret;

	if (!opts->log_signer)
		return mcr_error(MCR_EUSAGE, "a bundle is signed with the log key: set "
		                             "audit.log_signer in the config or give --signer");
	if (!is_tar && mcr_fileio_exists(path))
		return mcr_error(MCR_EINPUT, "bundle directory '%s' already exists", path);
	if ((ret = make_staging(&staging, path)) < 0)
		return ret;
	b.dir = staging;
	if ((ret = write_contents(&b, opts)) < 0 ||
	    (ret = write_manifest(&b, opts->log_signer)) < 0 || (ret = sync_dir(staging)) < 0)
		goto out;
	ret = is_tar ? make_tar(staging, path) : put_in_place(staging, path);
out:
	if (ret < 0 || is_tar)
		mcr_fileio_remove_tree(staging);
	for (size_t i = 0; i < b.file_count; i++)
		free(b.files[i].path);
	free(b.files);
	free(b.checkpoint);
	free(b.anchor_proof);
	free(staging);
	return ret;
}

const struct mcr_exporter mcr_export_bundle = {
        .name = "bundle",
        .summary = "a signed evidence bundle: reports, exact events, checkpoints, proofs, keys",
        .write = write_bundle,
};
