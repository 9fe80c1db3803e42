/* Whole-file reads and atomic output files. */
#include "fileio.h"

#include "buf.h"
#include "error.h"
#include "hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PENDING_CAP (64 * 1024)

int mcr_fileio_read_all(const char *path, size_t max_len, struct mcr_buf *out)
{
	size_t start = out->len;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mcr_error_errno(errno == ENOENT || errno == EACCES || errno == EISDIR ?
					       MCR_EINPUT : MCR_ESYS,
				       "cannot open '%s'", path);
	for (;;) {
		ssize_t n;

		if ((ret = mcr_buf_grow(out, 16384)) < 0)
			break;
		n = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = mcr_error_errno(errno == EISDIR ? MCR_EINPUT : MCR_ESYS,
					      "cannot read '%s'", path);
			break;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->data[out->len] = '\0';
		if (out->len - start > max_len) {
			ret = mcr_error(MCR_EINPUT, "file '%s' is larger than %zu bytes", path,
					max_len);
			break;
		}
	}
	close(fd);
	if (ret < 0)
		mcr_buf_truncate(out, start);
	return ret;
}

int mcr_fileio_read_fd_bounded(int fd, size_t limit, struct mcr_buf *out, const char *subject)
{
	size_t start = out->len;
	int ret;

	while (out->len - start <= limit) {
		size_t want = limit + 1 - (out->len - start);
		ssize_t n;

		if ((ret = mcr_buf_grow(out, want < 65536 ? want : 65536)) < 0)
			return ret;
		n = read(fd, out->data + out->len, out->cap - out->len - 1 < want ? out->cap - out->len - 1 : want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mcr_error_errno(MCR_ESYS, "cannot read %s", subject);
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->data[out->len] = '\0';
	}
	return 0;
}

static int fsync_parent_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, ret = 0;

	if (!copy)
		return mcr_error(MCR_ESYS, "out of memory");
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) < 0 && errno != EINVAL)
			ret = mcr_error_errno(MCR_ESYS, "cannot sync the directory of '%s'", path);
		close(fd);
	}
	free(copy);
	return ret;
}

int mcr_outfile_open(struct mcr_outfile *file, const char *path, mode_t mode)
{
	const char *slash = strrchr(path, '/');
	size_t dir_len = slash ? (size_t)(slash - path + 1) : 0;
	mode_t mask;
	int ret = 0;

	memset(file, 0, sizeof(*file));
	file->fd = -1;
	file->path = strdup(path);
	file->tmp_path = calloc(1, strlen(path) + 16);
	file->pending = malloc(PENDING_CAP);
	if (!file->path || !file->tmp_path || !file->pending) {
		ret = mcr_error(MCR_ESYS, "out of memory");
		goto out;
	}
	/* A hidden name beside the target, so the rename stays on one file system. */
	sprintf(file->tmp_path, "%.*s.%s.XXXXXX", (int)dir_len, path, path + dir_len);
	file->fd = mkostemp(file->tmp_path, O_CLOEXEC | O_NOFOLLOW);
	if (file->fd < 0) {
		ret = mcr_error_errno(errno == ENOENT || errno == EACCES || errno == ENOTDIR ?
					      MCR_EINPUT : MCR_ESYS,
				      "cannot create output file '%s'", path);
		free(file->tmp_path);
		file->tmp_path = NULL; /* nothing was created: nothing to remove */
		goto out;
	}
	mask = umask(0);
	umask(mask);
	if (fchmod(file->fd, mode & ~mask) < 0)
		ret = mcr_error_errno(MCR_ESYS, "cannot set the mode of '%s'", path);
out:
	if (ret < 0)
		mcr_outfile_release(file);
	return ret;
}

static int flush_pending(struct mcr_outfile *file)
{
	size_t done = 0;

	while (done < file->pending_len) {
		ssize_t n = write(file->fd, file->pending + done, file->pending_len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return file->error = mcr_error_errno(MCR_ESYS, "cannot write '%s'",
							     file->path);
		done += (size_t)n;
	}
	file->pending_len = 0;
	return 0;
}

int mcr_outfile_hash_content(struct mcr_outfile *file)
{
	return mcr_hash_new(&file->content_hash, MCR_HASH_SHA256);
}

int mcr_outfile_write(struct mcr_outfile *file, const void *data, size_t len)
{
	const unsigned char *bytes = data;
	int ret;

	if (file->error)
		return file->error;
	if (file->content_hash && (ret = mcr_hash_update(file->content_hash, data, len)) < 0)
		return file->error = ret;
	file->size += len;
	while (len) {
		size_t room = PENDING_CAP - file->pending_len;
		size_t chunk = len < room ? len : room;

		memcpy(file->pending + file->pending_len, bytes, chunk);
		file->pending_len += chunk;
		bytes += chunk;
		len -= chunk;
		if (file->pending_len == PENDING_CAP && (ret = flush_pending(file)) < 0)
			return ret;
	}
	return 0;
}

int mcr_outfile_fill(struct mcr_outfile *file, unsigned char byte, size_t count)
{
	unsigned char block[4096];
	int ret = 0;

	memset(block, byte, sizeof(block));
	while (count && ret == 0) {
		size_t chunk = count < sizeof(block) ? count : sizeof(block);

		ret = mcr_outfile_write(file, block, chunk);
		count -= chunk;
	}
	return ret;
}

int mcr_outfile_finish(struct mcr_outfile *file)
{
	int ret;

	if (file->error)
		return file->error;
	if ((ret = flush_pending(file)) < 0)
		return ret;
	if (file->content_hash && (ret = mcr_hash_final(file->content_hash, file->sha256)) < 0)
		return file->error = ret;
	if (fsync(file->fd) < 0)
		return file->error = mcr_error_errno(MCR_ESYS, "cannot sync '%s'", file->path);
	if (close(file->fd) < 0) {
		file->fd = -1;
		return file->error = mcr_error_errno(MCR_ESYS, "cannot close '%s'", file->path);
	}
	file->fd = -1;
	return 0;
}

int mcr_outfile_publish(struct mcr_outfile *file)
{
	if (file->error)
		return file->error;
	if (rename(file->tmp_path, file->path) < 0)
		return file->error = mcr_error_errno(MCR_ESYS, "cannot rename into '%s'",
						     file->path);
	free(file->tmp_path);
	file->tmp_path = NULL;
	return fsync_parent_dir(file->path);
}

int mcr_outfile_commit(struct mcr_outfile *file)
{
	int ret = mcr_outfile_finish(file);

	return ret < 0 ? ret : mcr_outfile_publish(file);
}

void mcr_outfile_release(struct mcr_outfile *file)
{
	if (file->fd >= 0)
		close(file->fd);
	/* tmp_path is cleared once renamed: if it is still set, nothing was published. */
	if (file->tmp_path)
		unlink(file->tmp_path);
	free(file->tmp_path);
	free(file->path);
	free(file->pending);
	mcr_hash_free(file->content_hash);
	file->content_hash = NULL;
	file->fd = -1;
	file->tmp_path = NULL;
	file->path = NULL;
	file->pending = NULL;
}

int mcr_fileio_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	struct mcr_outfile file;
	int ret;

	if ((ret = mcr_outfile_open(&file, path, mode)) < 0)
		return ret;
	if ((ret = mcr_outfile_write(&file, data, len)) == 0)
		ret = mcr_outfile_commit(&file);
	mcr_outfile_release(&file);
	return ret;
}

bool mcr_fileio_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int mcr_fileio_mkdtemp(char **out, const char *prefix)
{
	const char *tmpdir = getenv("TMPDIR");
	char *path;

	*out = NULL;
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	if (asprintf(&path, "%s/%s-XXXXXX", tmpdir, prefix) < 0)
		return mcr_error(MCR_ESYS, "out of memory");
	if (!mkdtemp(path)) {
		int ret = mcr_error_errno(MCR_ESYS, "cannot create a temporary directory in '%s'",
					  tmpdir);
		free(path);
		return ret;
	}
	*out = path;
	return 0;
}

int mcr_fileio_remove_tree(const char *path)
{
	struct stat st;
	DIR *dir;
	struct dirent *entry;
	int ret = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : mcr_error_errno(MCR_ESYS, "cannot remove '%s'", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0)
			return mcr_error_errno(MCR_ESYS, "cannot remove '%s'", path);
		return 0;
	}
	/* Make sure we can list and empty directories a build left read-only. */
	chmod(path, 0700);
	if (!(dir = opendir(path)))
		return mcr_error_errno(MCR_ESYS, "cannot remove '%s'", path);
	while (ret == 0 && (entry = readdir(dir))) {
		char *child;

		if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
			continue;
		if (asprintf(&child, "%s/%s", path, entry->d_name) < 0) {
			ret = mcr_error(MCR_ESYS, "out of memory");
			break;
		}
		ret = mcr_fileio_remove_tree(child);
		free(child);
	}
	closedir(dir);
	if (ret == 0 && rmdir(path) < 0)
		ret = mcr_error_errno(MCR_ESYS, "cannot remove '%s'", path);
	return ret;
}

int mcr_fileio_mkdirs(const char *dir, mode_t mode)
{
	char *copy = strdup(dir);
	char *p;
	int ret = 0;

	if (!copy)
		return mcr_error(MCR_ESYS, "out of memory");
	for (p = copy + 1; ret == 0; p++) {
		bool at_end = *p == '\0';

		if (*p != '/' && !at_end)
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST)
			ret = mcr_error_errno(MCR_ESYS, "cannot create directory '%s'", copy);
		if (at_end)
			break;
		*p = '/';
	}
	free(copy);
	return ret;
}
