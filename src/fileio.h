/* Reading whole files, and writing output files atomically (temp, fsync, rename). */
#ifndef MCR_FILEIO_H
#define MCR_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct mcr_buf;
struct mcr_hash;

/*
 * Reads all of path into out (appending). A file longer than max_len is an
 * error (MCR_EINPUT), as is an unreadable one (MCR_EINPUT when it is missing
 * or unreadable, MCR_ESYS for other I/O faults); the message names path.
 */
int mcr_fileio_read_all(const char *path, size_t max_len, struct mcr_buf *out);

/*
 * Reads fd to its end or until more than limit bytes came (then out holds
 * limit + 1 bytes and the rest is left unread), so a caller can refuse an
 * oversize input by its size without reading it all. subject names fd in
 * errors.
 */
int mcr_fileio_read_fd_bounded(int fd, size_t limit, struct mcr_buf *out, const char *subject);

/*
 * An output file under construction. Bytes go to a temp file beside path;
 * commit makes them appear at path in one step (fsync, rename, fsync of the
 * directory); release without commit removes the temp file. A reader never
 * sees half a file, and a failure leaves nothing behind.
 */
struct mcr_outfile {
	int fd;
	char *path;
	char *tmp_path;
	unsigned char *pending;
	size_t pending_len;
	int error;
	struct mcr_hash *content_hash; /* set by mcr_outfile_hash_content */
	unsigned long long size;       /* bytes written so far */
	unsigned char sha256[32];      /* of everything written, after finish (if hashed) */
};

/*
 * Creates the temp file with mode (subject to umask) and never follows a
 * symlink. The message of a failure names path.
 */
int mcr_outfile_open(struct mcr_outfile *file, const char *path, mode_t mode);
int mcr_outfile_write(struct mcr_outfile *file, const void *data, size_t len);
/* From now on, keeps a SHA-256 of what is written; finish stores it in file->sha256. */
int mcr_outfile_hash_content(struct mcr_outfile *file);
/* Writes count copies of byte. */
int mcr_outfile_fill(struct mcr_outfile *file, unsigned char byte, size_t count);
int mcr_outfile_commit(struct mcr_outfile *file);
/*
 * commit in two steps, for outputs that must not appear before something else
 * is recorded: finish writes and syncs the temp file; publish renames it into
 * place and syncs the directory. Released between the two, nothing appears.
 */
int mcr_outfile_finish(struct mcr_outfile *file);
int mcr_outfile_publish(struct mcr_outfile *file);
/* Removes the temp file if not committed and frees everything. NULL-safe on fields. */
void mcr_outfile_release(struct mcr_outfile *file);

/* Writes data to path atomically (open, write, commit). */
int mcr_fileio_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* True if path exists (any type, symlinks not followed). */
bool mcr_fileio_exists(const char *path);

/*
 * Creates a fresh private directory (mode 0700) under TMPDIR or /tmp named
 * prefix-XXXXXX; *out is malloc'd and the caller frees it. Remove it with
 * mcr_fileio_remove_tree.
 */
int mcr_fileio_mkdtemp(char **out, const char *prefix);

/* Removes path and, if it is a directory, everything below it (symlinks not followed). */
int mcr_fileio_remove_tree(const char *path);

/* Creates dir and its missing parents with mode. */
int mcr_fileio_mkdirs(const char *dir, mode_t mode);

#endif
