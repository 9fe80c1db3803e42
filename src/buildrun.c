/* Running a build: a private directory, a libgit2 clone of the tag's commit, the command, its log. */
#include "buildrun.h"

#include "buf.h"
#include "buildenv.h"
#include "buildrec.h"
#include "error.h"
#include "fileio.h"
#include "hash.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

void mcr_buildrun_init(struct mcr_buildrun *run)
{
	memset(run, 0, sizeof(*run));
}

void mcr_buildrun_release(struct mcr_buildrun *run)
{
	free(run->dir);
	free(run->checkout);
	free(run->home);
	free(run->log_path);
	mcr_buildrun_init(run);
}

int mcr_buildrun_remove(struct mcr_buildrun *run)
{
	return run->dir ? mcr_fileio_remove_tree(run->dir) : 0;
}

/* libgit2's failure as ours; read right after the failed call. */
static int git_fail(const char *what, const char *subject)
{
	const git_error *e = git_error_last();

	return mcr_error(MCR_EINPUT, "%s '%s': %s", what, subject,
			 e && e->message ? e->message : "unknown libgit2 error");
}

/* True if path is dir or below it (both resolved). */
static bool is_below(const char *path, const char *dir)
{
	char *real_dir = realpath(dir, NULL);
	size_t len = real_dir ? strlen(real_dir) : 0;
	bool below;

	while (len > 1 && real_dir[len - 1] == '/')
		len--;
	below = real_dir && !strncmp(path, real_dir, len) && (path[len] == '/' || !path[len]);
	free(real_dir);
	return below;
}

/* A fresh private directory outside the repository's work tree, with home/ in it. */
static int make_dir(struct mcr_buildrun *run, const struct mcr_buildrun_spec *spec,
		    const char *workdir)
{
	const char *base = spec->work_dir ? spec->work_dir : getenv("TMPDIR");
	char *tmpl = NULL;
	int ret = 0;

	if (!base || !*base)
		base = "/tmp";
	if ((ret = mcr_fileio_mkdirs(base, 0700)) < 0)
		return ret;
	if (asprintf(&tmpl, "%s/mcr-build-XXXXXX", base) < 0)
		return mcr_error(MCR_ESYS, "out of memory");
	if (!mkdtemp(tmpl)) {
		ret = mcr_error_errno(MCR_ESYS, "cannot create a build directory in '%s'", base);
		free(tmpl);
		return ret;
	}
	run->dir = realpath(tmpl, NULL);
	free(tmpl);
	if (!run->dir)
		return mcr_error_errno(MCR_ESYS, "cannot resolve the build directory in '%s'", base);
	/* a build in the caller's tree could read, or leave behind, untracked files */
	if (workdir && is_below(run->dir, workdir))
		return mcr_error(MCR_EINPUT, "build directory '%s' is inside the repository '%s': "
				 "set build.work_dir or TMPDIR elsewhere", run->dir, workdir);
	if (asprintf(&run->checkout, "%s/src", run->dir) < 0 ||
	    asprintf(&run->home, "%s/home", run->dir) < 0 ||
	    asprintf(&run->log_path, "%s/build.log", run->dir) < 0)
		return mcr_error(MCR_ESYS, "out of memory");
	return mcr_fileio_mkdirs(run->home, 0700);
}

/* Checks the commit out, detached, with no user setting changing the bytes (core.autocrlf). */
static int detach_at(struct mcr_buildrun *run, git_repository *repo, const char *commit)
{
	git_checkout_options co;
	git_commit *target = NULL;
	git_config *config = NULL;
	git_oid oid;
	int ret = 0;

	if (git_oid_fromstr(&oid, commit) < 0 || git_commit_lookup(&target, repo, &oid) < 0) {
		ret = git_fail("cannot find commit in the clone of", commit);
		goto out;
	}
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	if (git_repository_config(&config, repo) < 0 ||
	    git_config_set_bool(config, "core.autocrlf", 0) < 0 ||
	    git_repository_set_head_detached(repo, &oid) < 0 ||
	    git_checkout_tree(repo, (const git_object *)target, &co) < 0) {
		ret = git_fail("cannot check out commit", commit);
		goto out;
	}
	run->commit_time = (long long)git_commit_time(target);
out:
	git_config_free(config);
	git_commit_free(target);
	return ret;
}

/* A local clone (objects copied, never hard-linked: the build may not touch the caller's). */
static int prepare(struct mcr_buildrun *run, const struct mcr_buildrun_spec *spec)
{
	const char *repo_path = spec->repo_path ? spec->repo_path : ".";
	git_clone_options opts;
	git_repository *src = NULL, *clone = NULL;
	int ret;

	git_libgit2_init();
	if (git_repository_open_ext(&src, repo_path, 0, NULL) < 0) {
		ret = git_fail("cannot open git repository at", repo_path);
		goto out;
	}
	if ((ret = make_dir(run, spec, git_repository_workdir(src))) < 0)
		goto out;
	git_clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
	opts.checkout_opts.checkout_strategy = GIT_CHECKOUT_NONE;
	opts.local = GIT_CLONE_LOCAL_NO_LINKS;
	if (git_clone(&clone, git_repository_path(src), run->checkout, &opts) < 0) {
		ret = git_fail("cannot clone the repository into", run->checkout);
		goto out;
	}
	ret = detach_at(run, clone, spec->commit);
out:
	git_repository_free(clone);
	git_repository_free(src);
	git_libgit2_shutdown();
	return ret;
}

/* Why the build did not succeed, as the one line the caller shows. */
static int build_failed(const struct mcr_buildrun *run, const struct mcr_buildrun_spec *spec,
			const struct mcr_proc_result *res)
{
	char how[64];

	if (res->term_signal)
		snprintf(how, sizeof(how), "was killed by signal %d", res->term_signal);
	else
		snprintf(how, sizeof(how), "failed with exit status %d", res->exit_status);
	return mcr_error(MCR_EINPUT, "build command '%s' %s for tag '%s'; log in '%s', checkout "
			 "kept in '%s'", spec->command[0], how, spec->subject, run->log_path,
			 run->checkout);
}

/* Runs the command in the checkout, its output teed to the log and the stream. */
static int run_command(const struct mcr_buildrun *run, struct mcr_buildrec *rec,
		       const struct mcr_buildrun_spec *spec, const struct mcr_buildenv *env)
{
	struct mcr_proc_result res;
	struct mcr_proc_spec ps;
	int ret, log_fd;

	log_fd = open(run->log_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (log_fd < 0)
		return mcr_error_errno(MCR_ESYS, "cannot create build log '%s'", run->log_path);
	mcr_proc_spec_init(&ps);
	ps.argv = (const char *const *)env->argv;
	ps.env = (const char *const *)env->entries;
	ps.cwd = run->checkout;
	ps.tee_fds[0] = log_fd;
	ps.tee_fds[1] = spec->stream_fd;
	mcr_buildrec_format_time(rec->started, (long long)time(NULL));
	ret = mcr_proc_run(&ps, &res);
	mcr_buildrec_format_time(rec->finished, (long long)time(NULL));
	if (close(log_fd) < 0 && ret == 0)
		ret = mcr_error_errno(MCR_ESYS, "cannot write build log '%s'", run->log_path);
	if (ret == 0 && res.tee_errno[0]) {
		errno = res.tee_errno[0];
		ret = mcr_error_errno(MCR_ESYS, "cannot write build log '%s'", run->log_path);
	}
	if (ret == 0 && !mcr_proc_succeeded(&res))
		ret = build_failed(run, spec, &res);
	mcr_proc_result_release(&res);
	return ret;
}

static int measure_all(const struct mcr_buildrun *run, struct mcr_buildrec *rec,
		       const struct mcr_buildrun_spec *spec)
{
	struct mcr_buildrec_artifact *a;
	int ret;

	for (const char *const *path = spec->artifacts; path && *path; path++)
		if ((ret = mcr_buildrec_add_artifact(&a, rec)) < 0 ||
		    (ret = mcr_buildrec_measure(a, run->checkout, *path, spec->image)) < 0)
			return ret;
	return 0;
}

int mcr_buildrun_build(struct mcr_buildrun *run, struct mcr_buildrec *rec,
		       const struct mcr_buildrun_spec *spec)
{
	struct mcr_buildenv env;
	int ret;

	mcr_buildrun_init(run);
	mcr_buildenv_init(&env);
	if (!spec->command || !spec->command[0])
		return mcr_error(MCR_EUSAGE, "no build command for tag '%s': set build.command or "
				 "give one after '--'", spec->subject);
	if ((ret = prepare(run, spec)) < 0 ||
	    (ret = mcr_buildenv_make(&env, run, spec)) < 0 ||
	    (ret = mcr_buildenv_record(rec, &env, run, spec)) < 0 ||
	    (ret = run_command(run, rec, spec, &env)) < 0)
		goto out;
	ret = measure_all(run, rec, spec);
out:
	mcr_buildenv_release(&env);
	return ret;
}

/* Streams from to a temp file beside to, publishing it only if it hashes to sha256. */
static int copy_one(const char *from, const char *to, const char *sha256)
{
	struct mcr_outfile out = {.fd = -1};
	struct mcr_hash *hash = NULL;
	unsigned char chunk[65536], digest[32];
	char hex[MCR_BUILDREC_SHA256_HEX];
	ssize_t n;
	int ret, fd = open(from, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return mcr_error_errno(MCR_EINPUT, "cannot read artifact '%s'", from);
	if ((ret = mcr_hash_new(&hash, MCR_HASH_SHA256)) < 0 ||
	    (ret = mcr_outfile_open(&out, to, 0644)) < 0)
		goto out;
	while (ret == 0 && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno != EINTR)
			ret = mcr_error_errno(MCR_EINPUT, "cannot read artifact '%s'", from);
		else if (n > 0 && (ret = mcr_hash_update(hash, chunk, (size_t)n)) == 0)
			ret = mcr_outfile_write(&out, chunk, (size_t)n);
	}
	if (ret < 0 || (ret = mcr_hash_final(hash, digest)) < 0)
		goto out;
	mcr_hex_encode(hex, digest, sizeof(digest));
	/* what is copied is what was recorded, or nothing */
	if (strcmp(hex, sha256))
		ret = mcr_error(MCR_EINPUT, "artifact '%s' changed after it was measured", from);
	else
		ret = mcr_outfile_commit(&out);
out:
	mcr_outfile_release(&out);
	mcr_hash_free(hash);
	close(fd);
	return ret;
}

static int make_parent(const char *path)
{
	char *dir = strdup(path), *slash;
	int ret = 0;

	if (!dir)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		ret = mcr_fileio_mkdirs(dir, 0755);
	}
	free(dir);
	return ret;
}

int mcr_buildrun_copy_artifacts(const struct mcr_buildrun *run, const struct mcr_buildrec *rec,
				const char *dest_dir)
{
	int ret = 0;

	for (size_t i = 0; i < rec->artifact_count && ret == 0; i++) {
		const struct mcr_buildrec_artifact *a = &rec->artifacts[i];
		char *from = NULL, *to = NULL;

		if (asprintf(&from, "%s/%s", run->checkout, a->path) < 0 ||
		    asprintf(&to, "%s/%s", dest_dir, a->path) < 0)
			ret = mcr_error(MCR_ESYS, "out of memory");
		else if ((ret = make_parent(to)) == 0)
			ret = copy_one(from, to, a->sha256);
		free(from);
		free(to);
	}
	return ret;
}
