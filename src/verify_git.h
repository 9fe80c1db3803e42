/* The release tag now: still the same tag object at the same commit, moved, or deleted. */
#ifndef MCR_VERIFY_GIT_H
#define MCR_VERIFY_GIT_H

enum mcr_verify_tag_state {
	MCR_VERIFY_TAG_UNCHECKED, /* no repository, or one that does not hold this release */
	MCR_VERIFY_TAG_SAME,
	MCR_VERIFY_TAG_MOVED, /* another object (or none a release could be) under the name */
	MCR_VERIFY_TAG_DELETED,
};

/* A plain struct; release with mcr_verify_tag_release. */
struct mcr_verify_tag {
	enum mcr_verify_tag_state state;
	char *repo;          /* the work tree (or git dir) looked in; NULL if none */
	char tag_object[65]; /* what refs/tags/<tag> names now; "" if nothing */
	char commit[65];     /* what that tag object points at; "" if unknown */
};

/*
 * Looks refs/tags/<tag> up in repo_path, or, when NULL, in the repository
 * around the current directory if there is one and it holds the release
 * (its recorded tag object or commit); compares it with the recorded
 * tag_object and commit. Returns 0 with out filled, or MCR_EINPUT if an
 * explicit repo_path cannot be opened or read.
 */
int mcr_verify_git_tag(struct mcr_verify_tag *out, const char *repo_path, const char *tag,
                       const char *tag_object, const char *commit);
void mcr_verify_tag_release(struct mcr_verify_tag *tag);

#endif
