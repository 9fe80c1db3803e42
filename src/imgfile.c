/* Image files: binary or Intel HEX, read at offsets. */
#include "imgfile.h"

#include "error.h"
#include "ihex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mcr_imgfile_open(struct mcr_imgfile *file, const char *path, bool fill_gaps)
{
	struct stat st;
	int ret;

	memset(file, 0, sizeof(*file));
	file->fd = -1;
	if (!(file->path = strdup(path)))
		return mcr_error(MCR_ESYS, "out of memory");
	if (mcr_ihex_is_hex_path(path)) {
		file->is_hex = true;
		ret = mcr_ihex_read(&file->hex, &file->base_addr, path, fill_gaps);
		file->len = file->hex.len;
		return ret;
	}
	file->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (file->fd < 0)
		return mcr_error_errno(MCR_EINPUT, "cannot open '%s'", path);
	if (fstat(file->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return mcr_error(MCR_EINPUT, "'%s' is not a regular file", path);
	file->len = (uint64_t)st.st_size;
	return 0;
}

void mcr_imgfile_release(struct mcr_imgfile *file)
{
	if (file->fd >= 0)
		close(file->fd);
	mcr_buf_release(&file->hex);
	free(file->path);
	memset(file, 0, sizeof(*file));
	file->fd = -1;
}

int mcr_imgfile_read(const struct mcr_imgfile *file, uint64_t offset, void *into, size_t len)
{
	size_t done = 0;

	if (offset > file->len || len > file->len - offset)
		return mcr_error(MCR_EINPUT, "image '%s' shrank while it was read", file->path);
	if (file->is_hex) {
		memcpy(into, file->hex.data + offset, len);
		return 0;
	}
	while (done < len) {
		ssize_t n = pread(file->fd, (char *)into + done, len - done, (off_t)(offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mcr_error_errno(MCR_ESYS, "cannot read '%s'", file->path);
		if (n == 0)
			return mcr_error(MCR_EINPUT, "image '%s' shrank while it was read", file->path);
		done += (size_t)n;
	}
	return 0;
}
