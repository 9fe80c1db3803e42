/* Intel HEX reading and writing. */
#include "ihex.h"

#include "error.h"
#include "fileio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IHEX_TEXT_MAX ((size_t)512 * 1024 * 1024)
#define IHEX_SPAN_MAX ((uint64_t)1 << 30) /* gaps filled in memory: keep it bounded */

bool mcr_ihex_is_hex_path(const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');

	return dot && (!slash || dot > slash) && !strcasecmp(dot, ".hex");
}

/* A data record's bytes, kept until all are read and sorted by address. */
struct chunk {
	uint32_t addr;
	size_t offset; /* into the data pool */
	size_t len;
};

struct reader {
	const char *path;
	unsigned line;
	struct mcr_buf pool;
	struct chunk *chunks;
	size_t count, cap;
	uint32_t upper; /* from type 02 (<< 4) or 04 (<< 16) records */
	bool seen_eof;
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int bad_line(struct reader *rd, const char *why)
{
	return mcr_error(MCR_EINPUT, "%s in Intel HEX '%s' line %u", why, rd->path, rd->line);
}

static int add_chunk(struct reader *rd, uint32_t addr, const unsigned char *data, size_t len)
{
	int ret;

	if (rd->count == rd->cap) {
		size_t cap = rd->cap ? rd->cap * 2 : 256;
		struct chunk *chunks = realloc(rd->chunks, cap * sizeof(*chunks));

		if (!chunks)
			return mcr_error(MCR_ESYS, "out of memory");
		rd->chunks = chunks;
		rd->cap = cap;
	}
	rd->chunks[rd->count] = (struct chunk){addr, rd->pool.len, len};
	if ((ret = mcr_buf_add(&rd->pool, data, len)) < 0)
		return ret;
	rd->count++;
	return 0;
}

/* Decodes one ":LLAAAATT…CC" line into a record. */
static int parse_record(struct reader *rd, const char *text, size_t text_len)
{
	unsigned char bytes[5 + 255];
	unsigned sum = 0;
	size_t n = (text_len - 1) / 2;
	uint32_t addr;

	if (text[0] != ':' || text_len < 11 || (text_len - 1) % 2)
		return bad_line(rd, "malformed record");
	for (size_t i = 0; i < n; i++) {
		int hi = hexval((unsigned char)text[1 + 2 * i]), lo = hexval((unsigned char)text[2 + 2 * i]);

		if (hi < 0 || lo < 0 || i >= sizeof(bytes))
			return bad_line(rd, "malformed record");
		bytes[i] = (unsigned char)(hi << 4 | lo);
		sum += bytes[i];
	}
	if (n != (size_t)bytes[0] + 5)
		return bad_line(rd, "record length mismatch");
	if (sum & 0xff)
		return bad_line(rd, "bad checksum");
	addr = (uint32_t)bytes[1] << 8 | bytes[2];
	switch (bytes[3]) {
	case 0x00:
		if ((uint64_t)rd->upper + addr + bytes[0] > 0x100000000ULL)
			return bad_line(rd, "data past 4 GiB");
		return add_chunk(rd, rd->upper + addr, bytes + 4, bytes[0]);
	case 0x01:
		rd->seen_eof = true;
		return 0;
	case 0x02:
	case 0x04:
		if (bytes[0] != 2)
			return bad_line(rd, "malformed address record");
		rd->upper = ((uint32_t)bytes[4] << 8 | bytes[5]) << (bytes[3] == 0x02 ? 4 : 16);
		return 0;
	case 0x03:
	case 0x05:
		return 0; /* start addresses: imgtool drops them too */
	default:
		return bad_line(rd, "unknown record type");
	}
}

static int compare_chunks(const void *a, const void *b)
{
	const struct chunk *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Sorts the records and joins them into one range, refusing overlaps and gaps. */
static int assemble(struct reader *rd, struct mcr_buf *out, uint32_t *base_addr, bool fill_gaps)
{
	uint64_t next;
	int ret;

	if (rd->count == 0)
		return mcr_error(MCR_EINPUT, "no data in Intel HEX '%s'", rd->path);
	qsort(rd->chunks, rd->count, sizeof(*rd->chunks), compare_chunks);
	next = rd->chunks[0].addr;
	*base_addr = rd->chunks[0].addr;
	for (size_t i = 0; i < rd->count; i++) {
		const struct chunk *c = &rd->chunks[i];

		if (c->addr < next)
			return mcr_error(MCR_EINPUT, "overlapping data at 0x%08x in Intel HEX '%s'",
					 c->addr, rd->path);
		if (c->addr > next && fill_gaps && c->addr - *base_addr <= IHEX_SPAN_MAX &&
		    (ret = mcr_buf_add_fill(out, 0xff, c->addr - next)) < 0)
			return ret;
		if (c->addr > next && !fill_gaps)
			return mcr_error(MCR_EINPUT,
					 "gap from 0x%08llx to 0x%08x in Intel HEX '%s' (fill it, e.g. objcopy --gap-fill 0xff)",
					 (unsigned long long)next, c->addr, rd->path);
		if (c->addr > next && fill_gaps && c->addr - *base_addr > IHEX_SPAN_MAX)
			return mcr_error(MCR_EINPUT, "Intel HEX '%s' spans more than 1 GiB", rd->path);
		if ((ret = mcr_buf_add(out, rd->pool.data + c->offset, c->len)) < 0)
			return ret;
		next = (uint64_t)c->addr + c->len;
	}
	return 0;
}

int mcr_ihex_read(struct mcr_buf *out, uint32_t *base_addr, const char *path, bool fill_gaps)
{
	struct mcr_buf text = MCR_BUF_INIT;
	struct reader rd = {.path = path};
	size_t pos = 0;
	int ret;

	if ((ret = mcr_fileio_read_all(path, IHEX_TEXT_MAX, &text)) < 0)
		goto out;
	while (pos < text.len && ret == 0) {
		const char *line = (const char *)text.data + pos;
		size_t len = strcspn(line, "\n");

		pos += len + (pos + len < text.len);
		rd.line++;
		while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		if (len == 0)
			continue;
		if (rd.seen_eof) {
			ret = bad_line(&rd, "data after the end-of-file record");
			break;
		}
		ret = parse_record(&rd, line, len);
	}
	if (ret == 0 && !rd.seen_eof)
		ret = mcr_error(MCR_EINPUT, "missing end-of-file record in Intel HEX '%s'", path);
	if (ret == 0)
		ret = assemble(&rd, out, base_addr, fill_gaps);
out:
	mcr_buf_release(&text);
	mcr_buf_release(&rd.pool);
	free(rd.chunks);
	return ret;
}

void mcr_ihex_writer_init(struct mcr_ihex_writer *writer, struct mcr_outfile *file,
			  uint64_t max_addr)
{
	memset(writer, 0, sizeof(*writer));
	writer->file = file;
	writer->need_ela = max_addr > 0xffff;
}

static int emit(struct mcr_ihex_writer *writer, unsigned type, uint32_t addr,
		const unsigned char *data, size_t len)
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned char bytes[4 + 16];
	char line[1 + 2 * (sizeof(bytes) + 1) + 1];
	unsigned sum = 0;
	size_t n = 0, i;

	bytes[0] = (unsigned char)len;
	bytes[1] = (unsigned char)(addr >> 8);
	bytes[2] = (unsigned char)addr;
	bytes[3] = (unsigned char)type;
	memcpy(bytes + 4, data, len);
	line[n++] = ':';
	for (i = 0; i < 4 + len; i++) {
		sum += bytes[i];
		line[n++] = digits[bytes[i] >> 4];
		line[n++] = digits[bytes[i] & 15];
	}
	sum = (0x100 - (sum & 0xff)) & 0xff;
	line[n++] = digits[sum >> 4];
	line[n++] = digits[sum & 15];
	line[n++] = '\n';
	return mcr_outfile_write(writer->file, line, n);
}

static int flush_record(struct mcr_ihex_writer *writer)
{
	int ret;

	if (writer->record_len == 0)
		return 0;
	if (writer->need_ela && (!writer->started || writer->record_addr >> 16 != writer->segment)) {
		unsigned char upper[2] = {(unsigned char)(writer->record_addr >> 24),
					  (unsigned char)(writer->record_addr >> 16)};

		if ((ret = emit(writer, 0x04, 0, upper, 2)) < 0)
			return ret;
		writer->segment = writer->record_addr >> 16;
	}
	writer->started = true;
	ret = emit(writer, 0x00, writer->record_addr & 0xffff, writer->record, writer->record_len);
	writer->record_len = 0;
	return ret;
}

int mcr_ihex_write(struct mcr_ihex_writer *writer, uint64_t addr, const void *data, size_t len)
{
	const unsigned char *bytes = data;
	int ret;

	if (addr + len > 0x100000000ULL)
		return mcr_error(MCR_EINPUT, "Intel HEX output would pass address 0xffffffff");
	if (writer->record_len && addr != writer->next_addr && (ret = flush_record(writer)) < 0)
		return ret;
	for (size_t i = 0; i < len; i++, addr++) {
		if (writer->record_len == 0)
			writer->record_addr = (uint32_t)addr;
		writer->record[writer->record_len++] = bytes[i];
		/* A record ends at 16 bytes or at a 64 KiB boundary. */
		if ((writer->record_len == 16 || ((addr + 1) & 0xffff) == 0) &&
		    (ret = flush_record(writer)) < 0)
			return ret;
	}
	writer->next_addr = addr;
	return 0;
}

int mcr_ihex_writer_finish(struct mcr_ihex_writer *writer)
{
	int ret = flush_record(writer);

	return ret < 0 ? ret : mcr_outfile_write(writer->file, ":00000001FF\n", 12);
}
