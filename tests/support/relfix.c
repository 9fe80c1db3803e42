/* Test fixture: release events as docs/release-events.md defines them, appended through
 * mcr_audit_append like the release job does. */
#include "relfix.h"

#include "audit.h"
#include "error.h"
#include "hash.h"
#include "json.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

/* A made-up but stable SHA-256 (64 hex) or git id (40 hex) of what and n. */
static const char *fake_hex(char *out, const char *what, unsigned n, size_t len)
{
	char text[128];

	snprintf(text, sizeof(text), "%s-%u", what, n);
	mcr_hash_sha256_hex(out, text, strlen(text));
	out[len] = '\0';
	return out;
}

static const char *request_id(char *out, unsigned n)
{
	snprintf(out, 37, "%08x-0000-4000-8000-%012x", n, n * 7919u);
	return out;
}

static const char *version_of(const char *tag)
{
	return tag[0] == 'v' && tag[1] >= '0' && tag[1] <= '9' ? tag + 1 : "1.0.0";
}

static cJSON *signer_object(const struct mcr_relfix *f, const char *fp)
{
	cJSON *s = cJSON_CreateObject();

	mcr_json_add_string(s, "name", f->signer_name ? f->signer_name : "release");
	mcr_json_add_string(s, "backend", f->backend ? f->backend : "pkcs11");
	mcr_json_add_string(s, "key_type", f->key_type ? f->key_type : "ecdsa-p256");
	mcr_json_add_int(s, "strength_bits", 128);
	mcr_json_add_string(s, "fingerprint", fp);
	mcr_json_add_bool(s, "dev", f->is_dev);
	/* custody facts as the pkcs11 backend reports them */
	mcr_json_add_string(s, "token_label", "release-token");
	mcr_json_add_string(s, "token_serial", "5c0ffee0");
	mcr_json_add_string(s, "key_label", "acme-release");
	mcr_json_add_bool(s, "generated_on_token", true);
	mcr_json_add_bool(s, "never_extractable", true);
	mcr_json_add_bool(s, "always_sensitive", true);
	return s;
}

static cJSON *records(unsigned n)
{
	cJSON *list = cJSON_CreateArray();
	const char *const builders[] = {"builder-a@ci", "builder-b@lab"};
	char hex[65];

	for (int i = 0; i < 2; i++) {
		cJSON *r = cJSON_CreateObject();
		char key[80];

		snprintf(key, sizeof(key), "SHA256:%.43s", fake_hex(hex, builders[i], 0, 64));
		mcr_json_add_string(r, "builder", builders[i]);
		mcr_json_add_string(r, "key", key);
		mcr_json_add_string(r, "sha256", fake_hex(hex, builders[i], n, 64));
		mcr_json_add_string(r, "artifact", "build/zephyr/zephyr.bin");
		cJSON_AddItemToArray(list, r);
	}
	return list;
}

static cJSON *request_data(struct mcr_relfix *f, const char *tag, unsigned n)
{
	cJSON *d = cJSON_CreateObject(), *o;
	char hex[65], id[40], fp[65];

	fake_hex(fp, "release-key", 0, 64);
	mcr_json_add_string(d, "request_id", request_id(id, n));
	mcr_json_add_string(d, "mode", "local");
	mcr_json_add_string(d, "product", f->product ? f->product : "acme");
	mcr_json_add_string(d, "requester", "ci-job-42@runner-1");
	mcr_json_add_string(d, "tag", tag);
	mcr_json_add_string(d, "tag_object", fake_hex(hex, "tag", n, 40));
	mcr_json_add_string(d, "commit", fake_hex(hex, "commit", n, 40));
	o = cJSON_AddObjectToObject(d, "tag_signer");
	mcr_json_add_string(o, "format", "ssh");
	mcr_json_add_string(o, "identity", "alice@example.com");
	mcr_json_add_string(o, "key", "SHA256:Alice0000000000000000000000000000000000000");
	mcr_json_add_string(d, "version", version_of(tag));
	mcr_json_add_int(d, "security_counter", 65536 + n);
	o = cJSON_AddObjectToObject(d, "image");
	mcr_json_add_string(o, "name", "zephyr.bin");
	mcr_json_add_int(o, "size", 123456 + n);
	mcr_json_add_string(o, "sha256", fake_hex(hex, "image", n, 64));
	mcr_json_add_string(d, "image_sha256", hex);
	o = cJSON_AddObjectToObject(d, "digest");
	mcr_json_add_string(o, "alg", "sha256");
	mcr_json_add_string(o, "hex", fake_hex(hex, "digest", n, 64));
	mcr_json_add_item(d, "records", records(n));
	mcr_json_add_item(d, "signer", signer_object(f, f->fingerprint ? f->fingerprint : fp));
	return d;
}

/* Ids stay unique when several processes append to one log: start past what it holds. */
static unsigned next(struct mcr_relfix *f)
{
	long long size = 0;

	if (!f->counter && mcr_audit_size(f->log, &size) == 0)
		f->counter = (unsigned)size;
	return ++f->counter;
}

static int append(struct mcr_relfix *f, const char *kind, cJSON *data, long long *seq)
{
	struct mcr_audit_entry entry;
	int ret = mcr_audit_append(f->log, kind, "ci-job-42@runner-1", data, &entry);

	cJSON_Delete(data);
	if (ret == 0 && seq)
		*seq = entry.seq;
	return ret;
}

static cJSON *completion_data(struct mcr_relfix *f, const char *tag, unsigned n,
                              long long requested_seq)
{
	cJSON *d = cJSON_CreateObject(), *o;
	char hex[65], id[40], fp[65];

	fake_hex(fp, "release-key", 0, 64);
	mcr_json_add_string(d, "request_id", request_id(id, n));
	mcr_json_add_string(d, "tag", tag);
	mcr_json_add_string(d, "image_sha256", fake_hex(hex, "image", n, 64));
	mcr_json_add_int(d, "requested_seq", requested_seq);
	o = cJSON_AddObjectToObject(d, "digest");
	mcr_json_add_string(o, "alg", "sha256");
	mcr_json_add_string(o, "hex", fake_hex(hex, "digest", n, 64));
	o = cJSON_AddObjectToObject(d, "signature");
	mcr_json_add_int(o, "tlv", 34);
	mcr_json_add_int(o, "len", 71);
	mcr_json_add_string(o, "sha256", fake_hex(hex, "signature", n, 64));
	mcr_json_add_string(o, "base64", "MEUCIQDmadeupmadeupmadeupmadeupmadeupmadeupmadeupAiB=");
	o = cJSON_AddObjectToObject(d, "key");
	mcr_json_add_string(o, "name", f->signer_name ? f->signer_name : "release");
	mcr_json_add_string(o, "key_type", f->key_type ? f->key_type : "ecdsa-p256");
	mcr_json_add_string(o, "fingerprint", f->fingerprint ? f->fingerprint : fp);
	o = cJSON_AddObjectToObject(d, "signed_image");
	mcr_json_add_string(o, "name", "zephyr.signed.bin");
	mcr_json_add_string(o, "sha256", fake_hex(hex, "signed", n, 64));
	mcr_json_add_int(o, "size", 124000 + n);
	mcr_json_add_string(d, "provenance_sha256", fake_hex(hex, "provenance", n, 64));
	return d;
}

int mcr_relfix_release(struct mcr_relfix *f, const char *tag, long long *completed_seq)
{
	unsigned n = next(f);
	long long requested = 0;
	int ret;

	if ((ret = append(f, "sign.requested", request_data(f, tag, n), &requested)) < 0)
		return ret;
	return append(f, "sign.completed", completion_data(f, tag, n, requested), completed_seq);
}

int mcr_relfix_completion_only(struct mcr_relfix *f, const char *tag, long long requested_seq)
{
	return append(f, "sign.completed", completion_data(f, tag, next(f), requested_seq), NULL);
}

static cJSON *outcome_data(unsigned n, const char *tag, const char *stage, const char *reason,
                           const char *message)
{
	cJSON *d = cJSON_CreateObject();
	char hex[65], id[40];

	mcr_json_add_string(d, "request_id", request_id(id, n));
	mcr_json_add_string(d, "tag", tag);
	mcr_json_add_string(d, "image_sha256", fake_hex(hex, "image", n, 64));
	mcr_json_add_string(d, "stage", stage);
	mcr_json_add_string(d, "reason", reason);
	mcr_json_add_string(d, "message", message);
	return d;
}

int mcr_relfix_refused(struct mcr_relfix *f, const char *tag, const char *reason,
                       const char *message)
{
	return append(f, "sign.refused", outcome_data(next(f), tag, "tag", reason, message), NULL);
}

int mcr_relfix_failed(struct mcr_relfix *f, const char *tag, const char *message)
{
	unsigned n = next(f);
	int ret;

	if ((ret = append(f, "sign.requested", request_data(f, tag, n), NULL)) < 0)
		return ret;
	return append(f, "sign.failed", outcome_data(n, tag, "signer", "signer", message), NULL);
}

int mcr_relfix_pending(struct mcr_relfix *f, const char *tag)
{
	unsigned n = next(f);

	return append(f, "sign.requested", request_data(f, tag, n), NULL);
}
