/* Image verification: structure as MCUboot's loader checks it, then hash, key and signature. */
#include "image_verify.h"

#include "error.h"
#include "key.h"
#include "tlv.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK (64 * 1024)

static int read_area(struct mcr_image_parsed *p, uint64_t offset, unsigned magic,
		     struct mcr_buf *area, const char *what)
{
	unsigned char info[MCR_TLV_INFO_SIZE];
	struct mcr_tlv_iter iter;
	struct mcr_tlv_entry entry;
	size_t tot;
	int ret;

	if ((ret = mcr_imgfile_read(&p->file, offset, info, sizeof(info))) < 0)
		return ret;
	if ((unsigned)(info[0] | info[1] << 8) != magic)
		return mcr_refuse("image.bad_tlv_magic", "bad %s TLV info magic 0x%04x in image '%s'",
				  what, (unsigned)(info[0] | info[1] << 8), p->file.path);
	tot = (size_t)(info[2] | info[3] << 8);
	if (tot < MCR_TLV_INFO_SIZE || offset + tot > p->file.len)
		return mcr_refuse("image.truncated",
				  "%s TLV area of image '%s' runs past the end of the file (0x%llx + 0x%zx > 0x%llx)",
				  what, p->file.path, (unsigned long long)offset, tot,
				  (unsigned long long)p->file.len);
	if ((ret = mcr_buf_grow(area, tot)) < 0 ||
	    (ret = mcr_imgfile_read(&p->file, offset, area->data, tot)) < 0)
		return ret;
	area->len = tot;
	mcr_tlv_iter_init(&iter, area->data, tot);
	while ((ret = mcr_tlv_next(&iter, &entry)) > 0)
		;
	if (ret < 0)
		return mcr_refuse("image.bad_tlv", "%s TLV at offset 0x%llx of image '%s' runs past its area",
				  what, (unsigned long long)(offset + iter.pos), p->file.path);
	return 0;
}

/* Padding after the TLVs is only allowed as a padded slot ending in a boot trailer magic. */
static int check_trailer(struct mcr_image_parsed *p)
{
	unsigned char magic[MCR_BOOT_MAGIC_SIZE], expect[MCR_BOOT_MAGIC_SIZE];
	static const unsigned aligns[] = {8, 16, 32};
	int ret;

	if (p->file.len == p->tlv_end)
		return 0;
	if (p->file.len - p->tlv_end >= MCR_BOOT_MAGIC_SIZE &&
	    (ret = mcr_imgfile_read(&p->file, p->file.len - MCR_BOOT_MAGIC_SIZE, magic,
				    sizeof(magic))) < 0)
		return ret;
	for (size_t i = 0; p->file.len - p->tlv_end >= MCR_BOOT_MAGIC_SIZE && i < 3; i++) {
		mcr_image_boot_magic(expect, aligns[i]);
		if (!memcmp(magic, expect, sizeof(expect))) {
			p->has_trailer = true;
			p->trailer_max_align = aligns[i];
			return 0;
		}
	}
	return mcr_refuse("image.trailing_data",
			  "unexpected %llu bytes after the TLV area of image '%s' (no boot trailer magic)",
			  (unsigned long long)(p->file.len - p->tlv_end), p->file.path);
}

static int check_header(struct mcr_image_parsed *p)
{
	const struct mcr_image_header *h = &p->header;
	const char *path = p->file.path;

	if (h->magic == 0xffffffffU)
		return mcr_refuse("image.erased", "image '%s' is erased flash, not an image", path);
	if (h->magic != MCR_IMAGE_MAGIC)
		return mcr_refuse("image.bad_magic", "bad header magic 0x%08x in image '%s'", h->magic,
				  path);
	if (h->hdr_size < MCR_IMAGE_HEADER_SIZE)
		return mcr_refuse("image.bad_header", "header size 0x%x in image '%s' is smaller than the header",
				  h->hdr_size, path);
	if (h->flags & (MCR_IMAGE_F_ENCRYPTED_AES128 | MCR_IMAGE_F_ENCRYPTED_AES256 |
			MCR_IMAGE_F_COMPRESSED_LZMA1 | MCR_IMAGE_F_COMPRESSED_LZMA2))
		return mcr_refuse("image.unsupported", "image '%s' is encrypted or compressed (flags 0x%x), which is not supported",
				  path, h->flags);
	if ((uint64_t)h->hdr_size + h->img_size + MCR_TLV_INFO_SIZE > p->file.len)
		return mcr_refuse("image.truncated",
				  "image '%s' is truncated: header and payload need 0x%llx bytes and a TLV area, file has 0x%llx",
				  path, (unsigned long long)h->hdr_size + h->img_size,
				  (unsigned long long)p->file.len);
	return 0;
}

/* The protected area exists exactly when its magic is there, and then matches the header. */
static int locate_protected(struct mcr_image_parsed *p)
{
	unsigned char info[MCR_TLV_INFO_SIZE];
	unsigned magic;
	int ret;

	p->prot_offset = (uint64_t)p->header.hdr_size + p->header.img_size;
	if ((ret = mcr_imgfile_read(&p->file, p->prot_offset, info, sizeof(info))) < 0)
		return ret;
	magic = (unsigned)(info[0] | info[1] << 8);
	if (magic == MCR_TLV_PROT_INFO_MAGIC &&
	    (unsigned)(info[2] | info[3] << 8) != p->header.protect_tlv_size)
		return mcr_refuse("image.bad_tlv",
				  "protected TLV area of image '%s' is 0x%x bytes but the header says 0x%x",
				  p->file.path, (unsigned)(info[2] | info[3] << 8),
				  p->header.protect_tlv_size);
	if (magic != MCR_TLV_PROT_INFO_MAGIC && p->header.protect_tlv_size)
		return mcr_refuse("image.bad_tlv",
				  "header of image '%s' announces 0x%x bytes of protected TLVs but there are none",
				  p->file.path, p->header.protect_tlv_size);
	if (p->header.protect_tlv_size)
		return read_area(p, p->prot_offset, MCR_TLV_PROT_INFO_MAGIC, &p->prot, "protected");
	return 0;
}

int mcr_image_parse(struct mcr_image_parsed *p, const char *path)
{
	unsigned char raw[MCR_IMAGE_HEADER_SIZE];
	int ret;

	memset(p, 0, sizeof(*p));
	if ((ret = mcr_imgfile_open(&p->file, path, true)) < 0)
		return ret;
	if (p->file.len < MCR_IMAGE_HEADER_SIZE)
		return mcr_refuse("image.truncated", "image '%s' is truncated: %llu bytes, less than a header",
				  path, (unsigned long long)p->file.len);
	if ((ret = mcr_imgfile_read(&p->file, 0, raw, sizeof(raw))) < 0)
		return ret;
	mcr_image_header_decode(&p->header, raw);
	if ((ret = check_header(p)) < 0 || (ret = locate_protected(p)) < 0)
		return ret;
	p->unprot_offset = p->prot_offset + p->header.protect_tlv_size;
	if (p->unprot_offset + MCR_TLV_INFO_SIZE > p->file.len)
		return mcr_refuse("image.truncated", "image '%s' is truncated before its TLV area", path);
	if ((ret = read_area(p, p->unprot_offset, MCR_TLV_INFO_MAGIC, &p->unprot, "unprotected")) < 0)
		return ret;
	p->tlv_end = p->unprot_offset + p->unprot.len;
	return check_trailer(p);
}

void mcr_image_parsed_release(struct mcr_image_parsed *p)
{
	mcr_imgfile_release(&p->file);
	mcr_buf_release(&p->prot);
	mcr_buf_release(&p->unprot);
}

int mcr_image_verify_signature(const struct mcr_key *key, enum mcr_hash_alg alg,
			       const unsigned char *digest, size_t digest_len,
			       const unsigned char *message, size_t message_len,
			       const unsigned char *sig, size_t sig_len)
{
	enum mcr_key_type type = mcr_key_type(key);
	size_t der_len;

	(void)alg;
	if (type == MCR_KEY_ED25519)
		return mcr_key_verify(key, NULL, 0, message ? message : digest,
				      message ? message_len : digest_len, sig, sig_len);
	if (mcr_key_verify(key, digest, digest_len, NULL, 0, sig, sig_len) == 0)
		return 0;
	/* imgtool --pad-sig appends zeros after the DER; MCUboot's parsers ignore them. */
	if ((type == MCR_KEY_P256 || type == MCR_KEY_P384) && sig_len > 2 && sig[0] == 0x30 &&
	    sig[1] < 0x80 && (der_len = (size_t)sig[1] + 2) < sig_len) {
		for (size_t i = der_len; i < sig_len; i++)
			if (sig[i])
				return MCR_EREFUSED;
		return mcr_key_verify(key, digest, digest_len, NULL, 0, sig, der_len);
	}
	return MCR_EREFUSED;
}

/* The unprotected TLVs a signed image may carry, each at most once. */
struct unprotected {
	struct mcr_tlv_entry hash, pure, key, sig;
	bool has_hash, has_pure, has_key, has_sig, key_before_sig;
};

bool mcr_image_is_signature_tlv(unsigned type)
{
	return type == MCR_TLV_RSA2048_PSS || type == MCR_TLV_ECDSA_SIG ||
	       type == MCR_TLV_RSA3072_PSS || type == MCR_TLV_ED25519;
}

static int collect_one(const struct mcr_image_parsed *p, struct unprotected *u,
		       const struct mcr_tlv_entry *e)
{
	struct mcr_tlv_entry *slot = NULL;
	bool *seen = NULL;
	enum mcr_hash_alg alg;

	if (mcr_tlv_hash_alg(e->type, &alg))
		slot = &u->hash, seen = &u->has_hash;
	else if (e->type == MCR_TLV_SIG_PURE)
		slot = &u->pure, seen = &u->has_pure;
	else if (e->type == MCR_TLV_KEYHASH || e->type == MCR_TLV_PUBKEY)
		slot = &u->key, seen = &u->has_key;
	else if (mcr_image_is_signature_tlv(e->type))
		slot = &u->sig, seen = &u->has_sig;
	if (!slot)
		return mcr_refuse("image.unexpected_tlv",
				  "unexpected unprotected TLV 0x%x (%s) at offset 0x%llx of image '%s': not covered by the signature",
				  e->type, mcr_tlv_name(e->type) ? mcr_tlv_name(e->type) : "unknown",
				  (unsigned long long)(p->unprot_offset + e->offset), p->file.path);
	if (*seen)
		return mcr_refuse("image.unexpected_tlv", "image '%s' has more than one %s TLV",
				  p->file.path, slot == &u->hash ? "hash" : slot == &u->key ? "key" :
						slot == &u->sig ? "signature" : "SIG_PURE");
	if (slot == &u->sig)
		u->key_before_sig = u->has_key;
	*slot = *e;
	*seen = true;
	return 0;
}

static int collect_unprotected(const struct mcr_image_parsed *p, struct unprotected *u)
{
	struct mcr_tlv_iter iter;
	struct mcr_tlv_entry e;
	int ret;

	memset(u, 0, sizeof(*u));
	mcr_tlv_iter_init(&iter, p->unprot.data, p->unprot.len);
	while ((ret = mcr_tlv_next(&iter, &e)) > 0)
		if ((ret = collect_one(p, u, &e)) < 0)
			return ret;
	if (!u->has_hash)
		return mcr_refuse("image.no_hash", "image '%s' has no hash TLV", p->file.path);
	if (u->has_pure && (u->pure.len != 1 || u->pure.value[0] != 1))
		return mcr_refuse("image.bad_tlv", "malformed SIG_PURE TLV in image '%s'", p->file.path);
	return 0;
}

static int hash_file_region(const struct mcr_image_parsed *p, enum mcr_hash_alg alg,
			    unsigned char *digest)
{
	unsigned char *chunk = malloc(CHUNK);
	struct mcr_hash *hash = NULL;
	uint64_t done = 0;
	int ret;

	if (!chunk)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_hash_new(&hash, alg)) < 0)
		goto out;
	while (done < p->unprot_offset && ret == 0) {
		size_t n = p->unprot_offset - done < CHUNK ? (size_t)(p->unprot_offset - done) : CHUNK;

		if ((ret = mcr_imgfile_read(&p->file, done, chunk, n)) == 0)
			ret = mcr_hash_update(hash, chunk, n);
		done += n;
	}
	if (ret == 0)
		ret = mcr_hash_final(hash, digest);
out:
	mcr_hash_free(hash);
	free(chunk);
	return ret;
}

/* Which of keys the KEYHASH/PUBKEY TLV names, as bootutil_find_key does (but exact length). */
static int find_key(const struct mcr_image_parsed *p, const struct unprotected *u,
		    enum mcr_hash_alg alg, const struct mcr_key *const *keys, size_t count,
		    size_t *index)
{
	struct mcr_buf bytes = MCR_BUF_INIT;
	unsigned char hash[MCR_HASH_MAX_LEN];
	char hex[17];
	int ret = 0;

	for (size_t i = 0; i < count && ret == 0; i++) {
		mcr_buf_truncate(&bytes, 0);
		if ((ret = mcr_key_public_bytes(keys[i], &bytes)) < 0 ||
		    (ret = mcr_hash_buffer(alg, bytes.data, bytes.len, hash)) < 0)
			break;
		if ((u->key.type == MCR_TLV_KEYHASH && u->key.len == mcr_hash_len(alg) &&
		     !memcmp(u->key.value, hash, u->key.len)) ||
		    (u->key.type == MCR_TLV_PUBKEY && u->key.len == bytes.len &&
		     !memcmp(u->key.value, bytes.data, bytes.len))) {
			*index = i;
			mcr_buf_release(&bytes);
			return 0;
		}
	}
	mcr_buf_release(&bytes);
	if (ret < 0)
		return ret;
	mcr_hex_encode(hex, u->key.value, u->key.len < 8 ? u->key.len : 8);
	return mcr_refuse("image.unknown_key", "image '%s' names key %s%s… (%s), not a given key",
			  p->file.path, u->key.type == MCR_TLV_KEYHASH ? "hash " : "", hex,
			  u->key.type == MCR_TLV_KEYHASH ? "KEYHASH" : "PUBKEY");
}

static int check_signature(const struct mcr_image_parsed *p, const struct unprotected *u,
			   const struct mcr_key *const *keys, size_t count,
			   struct mcr_image_verdict *v)
{
	struct mcr_buf region = MCR_BUF_INIT;
	const struct mcr_key *key;
	int ret;

	if (!u->has_sig)
		return mcr_refuse("image.unsigned", "image '%s' is not signed", p->file.path);
	if (!u->key_before_sig)
		return mcr_refuse("image.no_key_tlv",
				  "image '%s' has no KEYHASH or PUBKEY TLV before its signature (MCUboot would not check it)",
				  p->file.path);
	if ((ret = find_key(p, u, v->hash_alg, keys, count, &v->key_index)) < 0)
		return ret;
	key = keys[v->key_index];
	if (u->sig.type != mcr_key_sig_tlv(mcr_key_type(key)))
		return mcr_refuse("image.bad_signature", "signature TLV 0x%x of image '%s' does not suit a %s key",
				  u->sig.type, p->file.path, mcr_key_type_name(mcr_key_type(key)));
	if (v->pure) {
		if ((ret = mcr_buf_grow(&region, p->unprot_offset)) < 0 ||
		    (ret = mcr_imgfile_read(&p->file, 0, region.data, p->unprot_offset)) < 0)
			goto out;
		region.len = p->unprot_offset;
	}
	if (mcr_image_verify_signature(key, v->hash_alg, v->digest, v->digest_len,
				       v->pure ? region.data : NULL, region.len, u->sig.value,
				       u->sig.len) < 0)
		ret = mcr_refuse("image.bad_signature", "signature of image '%s' does not verify with its %s key",
				 p->file.path, mcr_key_type_name(mcr_key_type(key)));
	v->signature_checked = ret == 0;
out:
	mcr_buf_release(&region);
	return ret;
}

static void read_security_counter(const struct mcr_image_parsed *p, struct mcr_image_verdict *v)
{
	struct mcr_tlv_iter iter;
	struct mcr_tlv_entry e;

	mcr_tlv_iter_init(&iter, p->prot.data, p->prot.len);
	while (p->prot.len && mcr_tlv_next(&iter, &e) > 0)
		if (e.type == MCR_TLV_SEC_CNT && e.len == 4) {
			v->has_security_counter = true;
			v->security_counter = (uint32_t)e.value[0] | (uint32_t)e.value[1] << 8 |
					      (uint32_t)e.value[2] << 16 | (uint32_t)e.value[3] << 24;
		}
}

int mcr_image_verify_file(const char *path, const struct mcr_key *const *keys, size_t key_count,
			  struct mcr_image_verdict *v)
{
	struct mcr_image_parsed p;
	struct unprotected u;
	int ret;

	memset(v, 0, sizeof(*v));
	if ((ret = mcr_image_parse(&p, path)) < 0 || (ret = collect_unprotected(&p, &u)) < 0)
		goto out;
	v->header = p.header;
	v->image_len = p.tlv_end;
	v->pure = u.has_pure;
	mcr_tlv_hash_alg(u.hash.type, &v->hash_alg);
	v->digest_len = mcr_hash_len(v->hash_alg);
	read_security_counter(&p, v);
	if (u.hash.len != v->digest_len) {
		ret = mcr_refuse("image.bad_hash", "hash TLV of image '%s' has %zu bytes, expected %zu",
				 path, u.hash.len, v->digest_len);
		goto out;
	}
	if ((ret = hash_file_region(&p, v->hash_alg, v->digest)) < 0)
		goto out;
	if (memcmp(v->digest, u.hash.value, v->digest_len)) {
		ret = mcr_refuse("image.bad_hash", "image '%s' has an invalid hash: its contents do not match the hash TLV",
				 path);
		goto out;
	}
	if (key_count)
		ret = check_signature(&p, &u, keys, key_count, v);
out:
	mcr_image_parsed_release(&p);
	return ret;
}
