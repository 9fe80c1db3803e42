/* Writing built images: streamed to binary or Intel HEX, padded and trailed as imgtool does. */
#include "image.h"

#include "error.h"
#include "fileio.h"
#include "ihex.h"
#include "image_build.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (64 * 1024)

/* Where content goes, and a hash of the hash region as it passes. */
struct mcr_image_sink {
	struct mcr_outfile file;
	bool is_hex;
	struct mcr_ihex_writer hex;
	uint64_t base;	  /* address of offset 0 (HEX) */
	uint64_t offset;  /* next offset in the image */
	struct mcr_hash *rehash;
	uint64_t hash_end; /* offsets below this are re-hashed */
};

static int sink_put(struct mcr_image_sink *s, const void *data, size_t len)
{
	int ret;

	if (s->rehash && s->offset < s->hash_end) {
		size_t n = s->hash_end - s->offset < len ? (size_t)(s->hash_end - s->offset) : len;

		if ((ret = mcr_hash_update(s->rehash, data, n)) < 0)
			return ret;
	}
	ret = s->is_hex ? mcr_ihex_write(&s->hex, s->base + s->offset, data, len) :
			  mcr_outfile_write(&s->file, data, len);
	s->offset += len;
	return ret;
}

static int sink_fill(struct mcr_image_sink *s, unsigned char byte, uint64_t count)
{
	unsigned char block[4096];
	int ret = 0;

	memset(block, byte, sizeof(block));
	while (count && ret == 0) {
		size_t n = count < sizeof(block) ? (size_t)count : sizeof(block);

		ret = sink_put(s, block, n);
		count -= n;
	}
	return ret;
}

/* Padding up to offset: erased bytes in a binary, nothing in a (sparse) HEX file. */
static int sink_pad_to(struct mcr_image_sink *s, uint64_t offset, unsigned char erased)
{
	if (s->is_hex) {
		s->offset = offset;
		return 0;
	}
	return sink_fill(s, erased, offset - s->offset);
}

/* Header, header gap, payload, protected TLVs: everything the digest covers. */
static int feed_hash_region(const struct mcr_image_build *b,
			    int (*put)(void *ctx, const void *data, size_t len), void *ctx)
{
	unsigned char *chunk = malloc(CHUNK);
	uint64_t done = 0;
	size_t gap = b->spec->header_size - MCR_IMAGE_HEADER_SIZE;
	int ret;

	if (!chunk)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = put(ctx, b->header, MCR_IMAGE_HEADER_SIZE)) < 0)
		goto out;
	memset(chunk, b->gap_byte, gap < CHUNK ? gap : CHUNK);
	for (size_t left = gap; left && ret == 0;) {
		size_t n = left < CHUNK ? left : CHUNK;

		ret = put(ctx, chunk, n);
		left -= n;
	}
	while (ret == 0 && done < b->body_len) {
		size_t n = b->body_len - done < CHUNK ? (size_t)(b->body_len - done) : CHUNK;

		if ((ret = mcr_imgfile_read(&b->source, b->body_offset + done, chunk, n)) == 0)
			ret = put(ctx, chunk, n);
		done += n;
	}
	if (ret == 0 && b->prot.bytes.len)
		ret = put(ctx, b->prot.bytes.data, b->prot.bytes.len);
out:
	free(chunk);
	return ret;
}

static int put_hash(void *ctx, const void *data, size_t len)
{
	return mcr_hash_update(ctx, data, len);
}

static int put_sink(void *ctx, const void *data, size_t len)
{
	return sink_put(ctx, data, len);
}

static int put_buf(void *ctx, const void *data, size_t len)
{
	return mcr_buf_add(ctx, data, len);
}

int mcr_image_build_hash(struct mcr_image_build *b)
{
	int ret = mcr_image_hash_region(b, b->digest);

	b->has_digest = ret == 0;
	return ret;
}

int mcr_image_hash_region(const struct mcr_image_build *b, unsigned char *digest)
{
	struct mcr_hash *hash = NULL;
	int ret;

	if ((ret = mcr_hash_new(&hash, b->spec->hash_alg)) == 0 &&
	    (ret = feed_hash_region(b, put_hash, hash)) == 0)
		ret = mcr_hash_final(hash, digest);
	mcr_hash_free(hash);
	return ret;
}

int mcr_image_build_hash_region(const struct mcr_image_build *b, struct mcr_buf *out)
{
	unsigned char digest[MCR_HASH_MAX_LEN];
	size_t start = out->len;
	int ret;

	if ((ret = feed_hash_region(b, put_buf, out)) < 0 ||
	    (ret = mcr_hash_buffer(b->spec->hash_alg, out->data + start, out->len - start, digest)) < 0)
		return ret;
	/* What gets signed must be what was hashed, even if the input changed since. */
	if (b->has_digest && memcmp(digest, b->digest, b->digest_len))
		return mcr_error(MCR_EINPUT, "input '%s' changed while it was being signed", b->input);
	return 0;
}

static uint64_t hash_region_len(const struct mcr_image_build *b)
{
	return b->spec->header_size + b->body_len + b->prot.bytes.len;
}

/* The unprotected area (initialised by the caller): hash, [SIG_PURE], key, signature — imgtool's order. */
static int build_unprotected(const struct mcr_image_build *b, struct mcr_tlv_area *area)
{
	static const unsigned char pure_flag = 1;
	int ret;

	if ((ret = mcr_tlv_add(area, mcr_tlv_hash_type(b->spec->hash_alg), b->digest,
			       b->digest_len)) < 0)
		return ret;
	if (b->spec->pure && (ret = mcr_tlv_add(area, MCR_TLV_SIG_PURE, &pure_flag, 1)) < 0)
		return ret;
	if (b->has_key) {
		if (!b->has_signature)
			return mcr_error(MCR_EUSAGE, "image for '%s' has no signature yet", b->input);
		if (b->spec->full_public_key)
			ret = mcr_tlv_add(area, MCR_TLV_PUBKEY, b->key_bytes.data, b->key_bytes.len);
		else
			ret = mcr_tlv_add(area, MCR_TLV_KEYHASH, b->key_hash, b->digest_len);
		if (ret == 0)
			ret = mcr_tlv_add(area, mcr_key_sig_tlv(b->key_type), b->signature.data,
					  b->signature.len);
	}
	mcr_tlv_area_finish(area);
	return ret;
}

static uint64_t unprotected_len(const struct mcr_image_build *b)
{
	uint64_t len = MCR_TLV_INFO_SIZE + MCR_TLV_HEADER_SIZE + b->digest_len;

	if (b->spec->pure)
		len += MCR_TLV_HEADER_SIZE + 1;
	if (b->has_key) {
		len += MCR_TLV_HEADER_SIZE +
		       (b->spec->full_public_key ? b->key_bytes.len : b->digest_len);
		len += MCR_TLV_HEADER_SIZE +
		       (b->has_signature ? b->signature.len : mcr_key_max_sig_len(b->key_type));
	}
	return len;
}

uint64_t mcr_image_build_image_len(const struct mcr_image_build *b)
{
	return hash_region_len(b) + unprotected_len(b);
}

int mcr_image_check_fit(const struct mcr_image_build *b)
{
	const struct mcr_image_spec *spec = b->spec;
	uint64_t image_len = mcr_image_build_image_len(b);
	uint32_t trailer = mcr_image_trailer_size(spec->align, spec->max_align, spec->max_sectors,
						  spec->overwrite_only);

	if (unprotected_len(b) > MCR_TLV_AREA_MAX)
		return mcr_error(MCR_EUSAGE, "unprotected TLV area for '%s' exceeds 65535 bytes",
				 b->input);
	if (image_len + trailer > spec->slot_size)
		return mcr_error(MCR_EINPUT,
				 "image size (0x%llx) + trailer (0x%x) exceeds requested size 0x%x for input '%s'",
				 (unsigned long long)image_len, trailer, (unsigned)spec->slot_size,
				 b->input);
	return 0;
}

/* The trailer of a padded slot: image_ok (with --confirm) and the magic at the very end. */
static int write_trailer(const struct mcr_image_build *b, struct mcr_image_sink *s)
{
	const struct mcr_image_spec *spec = b->spec;
	unsigned m = mcr_image_max_align(spec->align, spec->max_align);
	uint32_t magic_area = (MCR_BOOT_MAGIC_SIZE + m - 1) / m * m;
	unsigned char magic[MCR_BOOT_MAGIC_SIZE], flag[32];
	int ret;

	if (spec->confirm && !spec->overwrite_only) {
		memset(flag, spec->erased_val, sizeof(flag));
		flag[0] = 0x01;
		if ((ret = sink_pad_to(s, spec->slot_size - magic_area - m, spec->erased_val)) < 0 ||
		    (ret = sink_put(s, flag, m)) < 0)
			return ret;
	}
	mcr_image_boot_magic(magic, m);
	if ((ret = sink_pad_to(s, spec->slot_size - MCR_BOOT_MAGIC_SIZE, spec->erased_val)) < 0)
		return ret;
	return sink_put(s, magic, sizeof(magic));
}

/* The highest address a HEX output reaches, with a signature of sig_len bytes. */
static uint64_t hex_max_addr(const struct mcr_image_build *b, uint64_t base, uint64_t content_len)
{
	return base + (b->spec->pad ? b->spec->slot_size : content_len) - 1;
}

static int open_sink(const struct mcr_image_build *b, struct mcr_image_sink *s, const char *path,
		     const struct mcr_image_output *output, uint64_t content_len)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->file.fd = -1;
	s->is_hex = mcr_ihex_is_hex_path(path);
	if (s->is_hex) {
		if (!output->has_hex_addr && !b->has_base_addr)
			return mcr_error(MCR_EUSAGE,
					 "Intel HEX output '%s' needs a base address (--hex-addr)", path);
		s->base = output->has_hex_addr ? output->hex_addr : b->base_addr;
	}
	if ((ret = mcr_outfile_open(&s->file, path, 0644)) < 0)
		return ret;
	if (s->is_hex)
		mcr_ihex_writer_init(&s->hex, &s->file, hex_max_addr(b, s->base, content_len));
	return 0;
}

/* Trailer, HEX end record, and publication; a re-hash, if one ran, must match what was signed. */
static int close_sink(const struct mcr_image_build *b, struct mcr_image_sink *s)
{
	unsigned char digest[MCR_HASH_MAX_LEN];
	int ret = 0;

	if (b->spec->pad)
		ret = write_trailer(b, s);
	if (ret == 0 && s->is_hex)
		ret = mcr_ihex_writer_finish(&s->hex);
	if (ret == 0 && s->rehash && (ret = mcr_hash_final(s->rehash, digest)) == 0 &&
	    memcmp(digest, b->digest, b->digest_len))
		ret = mcr_error(MCR_EINPUT, "input '%s' changed while it was being signed", b->input);
	if (ret == 0)
		ret = mcr_outfile_finish(&s->file);
	return ret;
}

static void release_sink(struct mcr_image_sink *s)
{
	mcr_outfile_release(&s->file);
	mcr_hash_free(s->rehash);
	s->rehash = NULL;
}

static void free_sink(struct mcr_image_sink *s)
{
	if (s) {
		release_sink(s);
		free(s);
	}
}

void mcr_image_staged_free(struct mcr_image_build *b)
{
	free_sink(b->staged);
	b->staged = NULL;
	for (size_t i = 0; i < b->finished_count; i++)
		free_sink(b->finished[i]);
	b->finished_count = 0;
	free(b->deferred_path);
	b->deferred_path = NULL;
}

/*
 * Whether a HEX output needs extended address records depends on its last
 * address, which an ECDSA signature's length can still move: if that decision
 * is open, the file is written whole at commit instead of staged now.
 */
static bool hex_layout_open(const struct mcr_image_build *b, const char *path,
			    const struct mcr_image_output *output)
{
	uint64_t base, shortest, longest;

	if (!mcr_ihex_is_hex_path(path) || b->spec->pad || !b->has_key ||
	    (!output->has_hex_addr && !b->has_base_addr))
		return false;
	base = output->has_hex_addr ? output->hex_addr : b->base_addr;
	longest = mcr_image_build_image_len(b);
	shortest = longest - (mcr_key_max_sig_len(b->key_type) - 8);
	return (hex_max_addr(b, base, shortest) > 0xffff) != (hex_max_addr(b, base, longest) > 0xffff);
}

/* Hashes and writes in one pass: the sink's put. */
static int put_staged(void *ctx, const void *data, size_t len)
{
	struct mcr_image_sink *s = ctx;
	int ret = mcr_hash_update(s->rehash, data, len);

	return ret < 0 ? ret : sink_put(s, data, len);
}

int mcr_image_build_stage(struct mcr_image_build *b, const char *path,
			  const struct mcr_image_output *output)
{
	struct mcr_image_sink *s;
	int ret;

	mcr_image_staged_free(b);
	if (hex_layout_open(b, path, output)) {
		b->deferred_output = *output;
		if (!(b->deferred_path = strdup(path)))
			return mcr_error(MCR_ESYS, "out of memory");
		return mcr_image_build_hash(b);
	}
	if (!(s = b->staged = calloc(1, sizeof(*s))))
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = open_sink(b, s, path, output, mcr_image_build_image_len(b))) < 0 ||
	    (ret = mcr_outfile_hash_content(&s->file)) < 0 ||
	    (ret = mcr_hash_new(&s->rehash, b->spec->hash_alg)) < 0 ||
	    (ret = feed_hash_region(b, put_staged, s)) < 0 ||
	    (ret = mcr_hash_final(s->rehash, b->digest)) < 0) {
		mcr_image_staged_free(b);
		return ret;
	}
	mcr_hash_free(s->rehash); /* the digest is the hash: nothing to compare at commit */
	s->rehash = NULL;
	b->has_digest = true;
	return 0;
}

/* A whole image into a new sink, re-reading the input and checking it against the digest. */
static int write_whole(struct mcr_image_build *b, struct mcr_image_sink *s, const char *path,
		       const struct mcr_image_output *output)
{
	struct mcr_tlv_area unprot;
	int ret;

	assert(b->has_digest);
	mcr_tlv_area_init(&unprot, MCR_TLV_INFO_MAGIC);
	if ((ret = build_unprotected(b, &unprot)) < 0 || (ret = mcr_image_check_fit(b)) < 0 ||
	    (ret = open_sink(b, s, path, output, hash_region_len(b) + unprot.bytes.len)) < 0 ||
	    (ret = mcr_outfile_hash_content(&s->file)) < 0 ||
	    (ret = mcr_hash_new(&s->rehash, b->spec->hash_alg)) < 0)
		goto out;
	s->hash_end = hash_region_len(b);
	if ((ret = feed_hash_region(b, put_sink, s)) == 0 &&
	    (ret = sink_put(s, unprot.bytes.data, unprot.bytes.len)) == 0)
		ret = close_sink(b, s);
out:
	mcr_tlv_area_release(&unprot);
	return ret;
}

static void note_written(const struct mcr_image_sink *s, struct mcr_image_written *out)
{
	if (!out)
		return;
	mcr_hex_encode(out->sha256, s->file.sha256, sizeof(s->file.sha256));
	out->size = s->file.size;
}

int mcr_image_build_add_output(struct mcr_image_build *b, const char *path,
			       const struct mcr_image_output *output, struct mcr_image_written *out)
{
	struct mcr_image_sink *s;
	int ret;

	if (b->finished_count == sizeof(b->finished) / sizeof(b->finished[0]))
		return mcr_error(MCR_EUSAGE, "too many outputs for image '%s'", b->input);
	if (!(s = calloc(1, sizeof(*s))))
		return mcr_error(MCR_ESYS, "out of memory");
	s->file.fd = -1;
	if ((ret = write_whole(b, s, path, output)) < 0) {
		free_sink(s); /* its temp file goes now, not with the build */
		return ret;
	}
	b->finished[b->finished_count++] = s;
	note_written(s, out);
	return 0;
}

int mcr_image_build_finish(struct mcr_image_build *b, struct mcr_image_written *out)
{
	struct mcr_tlv_area unprot;
	struct mcr_image_sink *s = b->staged;
	int ret;

	if (b->deferred_path)
		return mcr_image_build_add_output(b, b->deferred_path, &b->deferred_output, out);
	assert(s); /* mcr_image_build_stage first */
	mcr_tlv_area_init(&unprot, MCR_TLV_INFO_MAGIC);
	if ((ret = build_unprotected(b, &unprot)) == 0 && (ret = mcr_image_check_fit(b)) == 0 &&
	    (ret = sink_put(s, unprot.bytes.data, unprot.bytes.len)) == 0)
		ret = close_sink(b, s);
	mcr_tlv_area_release(&unprot);
	if (ret < 0)
		return ret;
	b->staged = NULL;
	b->finished[b->finished_count++] = s;
	note_written(s, out);
	return 0;
}

int mcr_image_build_publish(struct mcr_image_build *b)
{
	int ret = 0;

	for (size_t i = 0; i < b->finished_count && ret == 0; i++)
		ret = mcr_outfile_publish(&b->finished[i]->file);
	return ret;
}

int mcr_image_build_commit(struct mcr_image_build *b)
{
	int ret = mcr_image_build_finish(b, NULL);

	return ret < 0 ? ret : mcr_image_build_publish(b);
}

int mcr_image_build_write(struct mcr_image_build *b, const char *path,
			  const struct mcr_image_output *output)
{
	int ret = mcr_image_build_add_output(b, path, output, NULL);

	return ret < 0 ? ret : mcr_image_build_publish(b);
}

int mcr_image_build_write_vector(struct mcr_image_build *b, const char *path, bool payload,
				 const struct mcr_image_output *output)
{
	struct mcr_image_sink s;
	int ret;

	assert(b->has_digest);
	memset(&s, 0, sizeof(s));
	s.file.fd = -1;
	if ((ret = open_sink(b, &s, path, output, payload ? hash_region_len(b) : b->digest_len)) < 0)
		goto out;
	if (payload) {
		if ((ret = mcr_hash_new(&s.rehash, b->spec->hash_alg)) < 0)
			goto out;
		s.hash_end = hash_region_len(b);
		ret = feed_hash_region(b, put_sink, &s);
	} else {
		ret = sink_put(&s, b->digest, b->digest_len);
	}
	if (ret == 0 && (ret = close_sink(b, &s)) == 0)
		ret = mcr_outfile_publish(&s.file);
out:
	release_sink(&s);
	return ret;
}
