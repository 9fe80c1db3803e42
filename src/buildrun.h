/* Running a build: a fresh checkout of the tag's commit, a clean environment, the command, its log. */
#ifndef MCR_BUILDRUN_H
#define MCR_BUILDRUN_H

#include <stdbool.h>

struct mcr_buildrec;
struct mcr_image_spec;

/* What to build and how; all borrowed. */
struct mcr_buildrun_spec {
	const char *subject;	     /* the tag name, for messages */
	const char *repo_path;	     /* the caller's repository; NULL: discovered from "." */
	const char *commit;	     /* hex id of the commit to check out (detached) */
	const char *const *command;  /* argv run in the checkout ("./x" is a file in it) */
	const char *const *env_pass; /* names of our variables the build also gets */
	const char *const *artifacts; /* paths relative to the checkout, measured afterwards */
	const struct mcr_image_spec *image; /* for the artifacts' MCUboot digest; NULL: none */
	const char *work_dir;	     /* where build directories go; NULL: $TMPDIR or /tmp */
	int stream_fd;		     /* the build's output is also written here as it comes; -1: not */
};

/* One build's directory. Plain data; release with mcr_buildrun_release (which keeps the files). */
struct mcr_buildrun {
	char *dir;	       /* WORK_DIR/mcr-build-XXXXXX, fresh and private */
	char *checkout;	       /* DIR/src: a clone of the repository detached at the commit */
	char *home;	       /* DIR/home: the build's empty HOME */
	char *log_path;	       /* DIR/build.log: everything the build printed */
	long long commit_time; /* the commit's committer time: the build's SOURCE_DATE_EPOCH */
};

void mcr_buildrun_init(struct mcr_buildrun *run);
void mcr_buildrun_release(struct mcr_buildrun *run);

/*
 * One whole build into rec: makes the directory (refusing one inside the
 * repository's work tree), clones the repository into it with libgit2 and
 * checks the commit out, runs spec->command there with only PATH (ours if
 * env_pass names it, else /usr/local/bin:/usr/bin:/bin), HOME, SOURCE_DATE_EPOCH,
 * TZ=UTC, LC_ALL=C and the env_pass variables we have, teeing its output to
 * the log and spec->stream_fd, then measures spec->artifacts. Fills rec's
 * commit_time, command, source_date_epoch, environment, tools, artifacts,
 * started and finished.
 *
 * *run is initialised in every case and names the directory, which stays
 * for the caller to remove (mcr_buildrun_remove) or keep. A failed build or
 * a missing artifact is MCR_EINPUT whose message names the log and the
 * checkout; MCR_EINPUT also for an unusable repository, work_dir or
 * env_pass; MCR_ESYS when the program cannot be started or I/O fails.
 */
int mcr_buildrun_build(struct mcr_buildrun *run, struct mcr_buildrec *rec,
		       const struct mcr_buildrun_spec *spec);

/* Removes run->dir and everything in it. */
int mcr_buildrun_remove(struct mcr_buildrun *run);

/*
 * Copies rec's artifacts from run->checkout to dest_dir/<path> (atomically,
 * creating directories) and checks each copy's SHA-256 against the record.
 */
int mcr_buildrun_copy_artifacts(const struct mcr_buildrun *run, const struct mcr_buildrec *rec,
				const char *dest_dir);

#endif
