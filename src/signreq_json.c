/* Signing requests as JSON (schemas/sign-request.schema.json): written for people, read strictly.
 */
#include "signreq.h"

#include "error.h"
#include "json.h"
#include "tlv.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static cJSON *layout_json(const struct mcr_signreq *req)
{
	const struct mcr_image_spec *s = &req->spec;
	char version[MCR_VERSION_TEXT_MAX];
	cJSON *o = cJSON_CreateObject();

	mcr_version_format(version, &s->version);
	if (!o || mcr_json_add_string(o, "version", version) < 0 ||
	    mcr_json_add_int(o, "header_size", s->header_size) < 0 ||
	    mcr_json_add_bool(o, "pad_header", s->pad_header) < 0 ||
	    mcr_json_add_int(o, "slot_size", s->slot_size) < 0 ||
	    mcr_json_add_int(o, "align", s->align) < 0 ||
	    mcr_json_add_int(o, "max_align", s->max_align) < 0 ||
	    mcr_json_add_int(o, "max_sectors", s->max_sectors) < 0 ||
	    mcr_json_add_bool(o, "pad", s->pad) < 0 ||
	    mcr_json_add_bool(o, "confirm", s->confirm) < 0 ||
	    mcr_json_add_bool(o, "overwrite_only", s->overwrite_only) < 0 ||
	    mcr_json_add_int(o, "erased_val", s->erased_val) < 0 ||
	    mcr_json_add_int(o, "load_addr", s->load_addr) < 0 ||
	    mcr_json_add_item(o, "security_counter",
	                      s->has_security_counter ? cJSON_CreateNumber(s->security_counter)
	                                              : cJSON_CreateNull()) < 0 ||
	    mcr_json_add_string(o, "public_key_format", s->full_public_key ? "full" : "hash") < 0 ||
	    mcr_json_add_string(o, "hash_alg", mcr_hash_name(s->hash_alg)) < 0 ||
	    mcr_json_add_string(o, "key_type", mcr_key_type_name(req->key_type)) < 0 ||
	    mcr_json_add_string(o, "key_fingerprint", req->key_fingerprint) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int add_b64(cJSON *obj, const char *key, const unsigned char *data, size_t len)
{
	struct mcr_buf b64 = MCR_BUF_INIT;
	int ret = mcr_base64_encode(&b64, data, len, false);

	if (ret == 0)
		ret = mcr_json_add_string(obj, key, len ? (char *)b64.data : "");
	mcr_buf_release(&b64);
	return ret;
}

static cJSON *tag_json(const struct mcr_signreq *req)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || mcr_json_add_string(o, "name", req->tag.name) < 0 ||
	    mcr_json_add_string(o, "object", req->tag.tag_object) < 0 ||
	    mcr_json_add_string(o, "commit", req->tag.commit) < 0 ||
	    add_b64(o, "raw", req->tag.raw.data, req->tag.raw.len) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *image_json(const struct mcr_signreq *req)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || mcr_json_add_string(o, "name", req->image_name) < 0 ||
	    mcr_json_add_int(o, "size", (long long)req->image_size) < 0 ||
	    mcr_json_add_string(o, "sha256", req->image_sha256) < 0 ||
	    mcr_json_add_item(o, "layout", layout_json(req)) < 0 ||
	    mcr_json_add_hex(o, "digest", req->digest, req->digest_len) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *records_json(const struct mcr_signreq *req)
{
	cJSON *list = cJSON_CreateArray();

	for (size_t i = 0; list && i < req->record_count; i++) {
		cJSON *r = cJSON_CreateObject();

		if (!r || !cJSON_AddItemToArray(list, r) ||
		    mcr_json_add_string(r, "name", req->records[i].name) < 0 ||
		    add_b64(r, "content", req->records[i].data.data, req->records[i].data.len) <
		            0) {
			cJSON_Delete(list);
			return NULL;
		}
	}
	return list;
}

int mcr_signreq_write(const struct mcr_signreq *req, struct mcr_buf *out)
{
	cJSON *o = cJSON_CreateObject();
	int ret;

	if ((ret = mcr_json_add_string(o, "format", MCR_SIGNREQ_FORMAT)) < 0 ||
	    (ret = mcr_json_add_string(o, "request_id", req->request_id)) < 0 ||
	    (ret = mcr_json_add_string(o, "created", req->created)) < 0 ||
	    (ret = mcr_json_add_string(o, "mcurelease_version", req->mcurelease_version)) < 0 ||
	    (ret = mcr_json_add_string(o, "product", req->product)) < 0 ||
	    (ret = mcr_json_add_string(o, "requester", req->requester)) < 0 ||
	    (ret = mcr_json_add_string(o, "signer", req->signer_name)) < 0 ||
	    (ret = mcr_json_add_item(o, "tag", tag_json(req))) < 0 ||
	    (ret = mcr_json_add_item(o, "records", records_json(req))) < 0 ||
	    (ret = mcr_json_add_item(o, "image", image_json(req))) < 0)
		goto out;
	ret = mcr_json_pretty(out, o);
out:
	cJSON_Delete(o);
	return ret;
}

/* Reading: every key known, every value checked; messages name the file. */
struct reader {
	const char *subject;
};

static int get_hex(unsigned char *out, size_t len, const cJSON *obj, const char *key,
                   const struct reader *rd)
{
	const char *text;
	int ret;

	if ((ret = mcr_json_get_string(&text, obj, key, true, rd->subject)) < 0)
		return ret;
	if (mcr_hex_decode(out, len, text) < 0)
		return mcr_error(MCR_EINPUT, "key '%s' in '%s' must be %zu bytes of hex", key,
		                 rd->subject, len);
	return 0;
}

/* 64 lowercase hex digits, kept as text. */
static int get_fingerprint(char *out, const cJSON *obj, const char *key, const struct reader *rd)
{
	unsigned char bytes[32];
	const char *text;
	int ret;

	if ((ret = mcr_json_get_string(&text, obj, key, true, rd->subject)) < 0)
		return ret;
	if (mcr_hex_decode(bytes, sizeof(bytes), text) < 0)
		return mcr_error(MCR_EINPUT, "key '%s' in '%s' must be a SHA-256 in hex", key,
		                 rd->subject);
	mcr_hex_encode(out, bytes, sizeof(bytes));
	return 0;
}

static int get_b64(struct mcr_buf *out, const cJSON *obj, const char *key, const struct reader *rd)
{
	const char *text;
	int ret;

	if ((ret = mcr_json_get_string(&text, obj, key, true, rd->subject)) < 0)
		return ret;
	if (mcr_base64_decode(out, text, strlen(text), false) < 0)
		return mcr_error(MCR_EINPUT, "key '%s' in '%s' is not base64", key, rd->subject);
	return 0;
}

static int dup_string(char **out, const cJSON *obj, const char *key, const struct reader *rd)
{
	const char *text;
	int ret;

	if ((ret = mcr_json_get_string(&text, obj, key, true, rd->subject)) < 0)
		return ret;
	return (*out = strdup(text)) ? 0 : mcr_error(MCR_ESYS, "out of memory");
}

static int get_uint(long long *out, const cJSON *obj, const char *key, long long max,
                    const struct reader *rd)
{
	return mcr_json_get_int(out, obj, key, true, 0, max, rd->subject);
}

static int parse_layout_numbers(struct mcr_image_spec *s, const cJSON *l, const struct reader *rd)
{
	long long v[8];
	int ret;

	if ((ret = get_uint(&v[0], l, "header_size", 0xffff, rd)) < 0 ||
	    (ret = get_uint(&v[1], l, "slot_size", 0xffffffffLL, rd)) < 0 ||
	    (ret = get_uint(&v[2], l, "align", 32, rd)) < 0 ||
	    (ret = get_uint(&v[3], l, "max_align", 32, rd)) < 0 ||
	    (ret = get_uint(&v[4], l, "max_sectors", 0xffff, rd)) < 0 ||
	    (ret = get_uint(&v[5], l, "erased_val", 0xff, rd)) < 0 ||
	    (ret = get_uint(&v[6], l, "load_addr", 0xffffffffLL, rd)) < 0 ||
	    (ret = mcr_json_get_bool(&s->pad_header, l, "pad_header", true, rd->subject)) < 0 ||
	    (ret = mcr_json_get_bool(&s->pad, l, "pad", true, rd->subject)) < 0 ||
	    (ret = mcr_json_get_bool(&s->confirm, l, "confirm", true, rd->subject)) < 0 ||
	    (ret = mcr_json_get_bool(&s->overwrite_only, l, "overwrite_only", true, rd->subject)) <
	            0)
		return ret;
	s->header_size = (uint32_t)v[0];
	s->slot_size = (uint32_t)v[1];
	s->align = (unsigned)v[2];
	s->max_align = (unsigned)v[3];
	s->max_sectors = (unsigned)v[4];
	s->erased_val = (unsigned char)v[5];
	s->load_addr = (uint32_t)v[6];
	if (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(l, "security_counter"))) {
		if ((ret = get_uint(&v[7], l, "security_counter", 0xffffffffLL, rd)) < 0)
			return ret;
		s->has_security_counter = true;
		s->security_counter = (uint32_t)v[7];
	}
	return 0;
}

static int parse_layout(struct mcr_signreq *req, const cJSON *l, const struct reader *rd)
{
	static const char *const keys[] = {"version",
	                                   "header_size",
	                                   "pad_header",
	                                   "slot_size",
	                                   "align",
	                                   "max_align",
	                                   "max_sectors",
	                                   "pad",
	                                   "confirm",
	                                   "overwrite_only",
	                                   "erased_val",
	                                   "load_addr",
	                                   "security_counter",
	                                   "public_key_format",
	                                   "hash_alg",
	                                   "key_type",
	                                   "key_fingerprint",
	                                   NULL};
	const char *version, *format, *hash, *key_type;
	int ret;

	if ((ret = mcr_json_check_keys(l, keys, rd->subject)) < 0 ||
	    (ret = parse_layout_numbers(&req->spec, l, rd)) < 0 ||
	    (ret = mcr_json_get_string(&version, l, "version", true, rd->subject)) < 0 ||
	    (ret = mcr_json_get_string(&format, l, "public_key_format", true, rd->subject)) < 0 ||
	    (ret = mcr_json_get_string(&hash, l, "hash_alg", true, rd->subject)) < 0 ||
	    (ret = mcr_json_get_string(&key_type, l, "key_type", true, rd->subject)) < 0)
		return ret;
	if (mcr_version_parse(&req->spec.version, version) < 0)
		return mcr_error(MCR_EINPUT, "bad version '%s' in '%s'", version, rd->subject);
	if (mcr_hash_parse(&req->spec.hash_alg, hash) < 0 ||
	    mcr_key_type_parse(&req->key_type, key_type) < 0 ||
	    (strcmp(format, "hash") && strcmp(format, "full")))
		return mcr_error(MCR_EINPUT, "bad hash_alg, key_type or public_key_format in '%s'",
		                 rd->subject);
	req->spec.full_public_key = req->full_public_key = !strcmp(format, "full");
	req->digest_len = mcr_hash_len(req->spec.hash_alg);
	return get_fingerprint(req->key_fingerprint, l, "key_fingerprint", rd);
}

static int parse_image(struct mcr_signreq *req, const cJSON *o, const struct reader *rd)
{
	static const char *const keys[] = {"name", "size", "sha256", "layout", "digest", NULL};
	const cJSON *layout;
	long long size;
	int ret;

	if ((ret = mcr_json_check_keys(o, keys, rd->subject)) < 0 ||
	    (ret = dup_string(&req->image_name, o, "name", rd)) < 0 ||
	    (ret = get_uint(&size, o, "size", 1LL << 40, rd)) < 0 ||
	    (ret = get_fingerprint(req->image_sha256, o, "sha256", rd)) < 0 ||
	    (ret = mcr_json_get_object(&layout, o, "layout", true, rd->subject)) < 0 ||
	    (ret = parse_layout(req, layout, rd)) < 0)
		return ret;
	req->image_size = (uint64_t)size;
	return get_hex(req->digest, req->digest_len, o, "digest", rd);
}

/* The tag object is taken from its bytes; the ids the request claims must be theirs. */
static int parse_tag(struct mcr_signreq *req, const cJSON *o, const struct reader *rd)
{
	static const char *const keys[] = {"name", "object", "commit", "raw", NULL};
	struct mcr_buf raw = MCR_BUF_INIT;
	const char *name, *object, *commit;
	int ret;

	if ((ret = mcr_json_check_keys(o, keys, rd->subject)) < 0 ||
	    (ret = mcr_json_get_string(&name, o, "name", true, rd->subject)) < 0 ||
	    (ret = mcr_json_get_string(&object, o, "object", true, rd->subject)) < 0 ||
	    (ret = mcr_json_get_string(&commit, o, "commit", true, rd->subject)) < 0 ||
	    (ret = get_b64(&raw, o, "raw", rd)) < 0)
		goto out;
	mcr_gittag_release(&req->tag);
	ret = mcr_gittag_from_object(&req->tag, name, raw.data, raw.len);
	if (ret == MCR_EREFUSED)
		goto out; /* the tag's own flaw, as the gate would report it */
	if (ret == 0 && (strcmp(object, req->tag.tag_object) || strcmp(commit, req->tag.commit)))
		ret = mcr_refuse("request.tag_mismatch",
		                 "request '%s' claims tag object %.12s and commit %.12s but its "
		                 "tag bytes are object %.12s for commit %.12s",
		                 rd->subject, object, commit, req->tag.tag_object, req->tag.commit);
out:
	mcr_buf_release(&raw);
	return ret;
}

static int parse_records(struct mcr_signreq *req, const cJSON *list, const struct reader *rd)
{
	static const char *const keys[] = {"name", "content", NULL};
	const cJSON *r;
	int ret;

	cJSON_ArrayForEach(r, list)
	{
		struct mcr_signreq_record *rec = &req->records[req->record_count];

		if (req->record_count == MCR_SIGNREQ_MAX_RECORDS)
			return mcr_error(MCR_EINPUT, "more than %d build records in '%s'",
			                 MCR_SIGNREQ_MAX_RECORDS, rd->subject);
		mcr_buf_init(&rec->data);
		req->record_count++;
		if (!cJSON_IsObject(r) || (ret = mcr_json_check_keys(r, keys, rd->subject)) < 0 ||
		    (ret = dup_string(&rec->name, r, "name", rd)) < 0 ||
		    (ret = get_b64(&rec->data, r, "content", rd)) < 0)
			return cJSON_IsObject(r) ? ret
			                         : mcr_error(MCR_EINPUT, "malformed record in '%s'",
			                                     rd->subject);
	}
	return 0;
}

static int parse_top(struct mcr_signreq *req, const cJSON *root, const struct reader *rd)
{
	static const char *const keys[] = {"format",  "request_id", "created", "mcurelease_version",
	                                   "product", "requester",  "signer",  "tag",
	                                   "records", "image",      NULL};
	const char *format, *id, *created;
	const cJSON *tag, *records, *image;
	int ret;

	if ((ret = mcr_json_check_keys(root, keys, rd->subject)) < 0 ||
	    (ret = mcr_json_get_string(&format, root, "format", true, rd->subject)) < 0)
		return ret;
	if (strcmp(format, MCR_SIGNREQ_FORMAT))
		return mcr_error(MCR_EINPUT, "'%s' is not a signing request (format '%s')",
		                 rd->subject, format);
	if ((ret = mcr_json_get_string(&id, root, "request_id", true, rd->subject)) < 0 ||
	    (ret = mcr_json_get_string(&created, root, "created", true, rd->subject)) < 0 ||
	    (ret = dup_string(&req->mcurelease_version, root, "mcurelease_version", rd)) < 0 ||
	    (ret = dup_string(&req->product, root, "product", rd)) < 0 ||
	    (ret = dup_string(&req->requester, root, "requester", rd)) < 0 ||
	    (ret = dup_string(&req->signer_name, root, "signer", rd)) < 0 ||
	    (ret = mcr_json_get_object(&tag, root, "tag", true, rd->subject)) < 0 ||
	    (ret = mcr_json_get_array(&records, root, "records", true, rd->subject)) < 0 ||
	    (ret = mcr_json_get_object(&image, root, "image", true, rd->subject)) < 0)
		return ret;
	if (strlen(id) != 36 || strlen(created) != 20 || strspn(id, "0123456789abcdef-") != 36)
		return mcr_error(MCR_EINPUT, "malformed request_id or created time in '%s'",
		                 rd->subject);
	memcpy(req->request_id, id, 37);
	memcpy(req->created, created, 21);
	if ((ret = parse_image(req, image, rd)) < 0 || (ret = parse_records(req, records, rd)) < 0)
		return ret;
	return parse_tag(req, tag, rd);
}

int mcr_signreq_parse(struct mcr_signreq *out, const char *text, size_t len, const char *subject)
{
	struct reader rd = {subject};
	cJSON *root = NULL;
	int ret;

	mcr_signreq_init(out);
	if ((ret = mcr_json_parse(&root, text, len, subject)) == 0)
		ret = cJSON_IsObject(root)
		              ? parse_top(out, root, &rd)
		              : mcr_error(MCR_EINPUT, "'%s' is not a JSON object", subject);
	cJSON_Delete(root);
	return ret;
}
