/* The tag check of verify: a release's tag must still name the very tag object that was signed. */
#include "verify_git.h"

#include "error.h"
#include "gittag.h"

#include <git2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libgit2's failure as ours; read right after the failed call. */
static int git_fail(const char *what, const char *subject)
{
	const git_error *e = git_error_last();

	return mcr_error(MCR_EINPUT, "%s '%s': %s", what, subject,
	                 e && e->message ? e->message : "unknown libgit2 error");
}

static bool has_object(git_odb *odb, const char *hex)
{
	git_oid oid;

	return hex && git_oid_fromstr(&oid, hex) == 0 && git_odb_exists(odb, &oid);
}

/*
 * Opens the repository; *path gets where it is. Around the current directory
 * a missing repository, or one holding neither object (another project's),
 * leaves *path NULL: nothing to check there.
 */
static int find_repo(char **path, const char *repo_path, const char *tag_object, const char *commit)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	const char *where;
	int ret = 0;

	*path = NULL;
	if (git_repository_open_ext(&repo, repo_path ? repo_path : ".", 0, NULL) < 0) {
		ret = repo_path ? git_fail("cannot open git repository at", repo_path) : 0;
		goto out;
	}
	if (git_repository_odb(&odb, repo) < 0) {
		ret = git_fail("cannot open the object database of", repo_path ? repo_path : ".");
		goto out;
	}
	if (!repo_path && !has_object(odb, tag_object) && !has_object(odb, commit))
		goto out;
	where = git_repository_workdir(repo) ? git_repository_workdir(repo)
	                                     : git_repository_path(repo);
	if (!(*path = strdup(where)))
		ret = mcr_error(MCR_ESYS, "out of memory");
	else if (strlen(*path) > 1 && (*path)[strlen(*path) - 1] == '/')
		(*path)[strlen(*path) - 1] = '\0'; /* libgit2 ends directories in '/' */
out:
	git_odb_free(odb);
	git_repository_free(repo);
	return ret;
}

int mcr_verify_git_tag(struct mcr_verify_tag *out, const char *repo_path, const char *tag,
                       const char *tag_object, const char *commit)
{
	struct mcr_gittag now;
	int ret;

	memset(out, 0, sizeof(*out));
	mcr_gittag_init(&now);
	git_libgit2_init();
	if ((ret = find_repo(&out->repo, repo_path, tag_object, commit)) < 0 || !out->repo)
		goto out;
	ret = mcr_gittag_load(&now, out->repo, tag);
	if (ret < 0 && ret != MCR_EREFUSED)
		goto out;
	snprintf(out->tag_object, sizeof(out->tag_object), "%s", now.tag_object);
	snprintf(out->commit, sizeof(out->commit), "%s", now.commit);
	if (ret == MCR_EREFUSED && mcr_error_reason() &&
	    !strcmp(mcr_error_reason(), "tag.not_found"))
		out->state = MCR_VERIFY_TAG_DELETED;
	else if (!strcmp(now.tag_object, tag_object) && !strcmp(now.commit, commit))
		out->state = MCR_VERIFY_TAG_SAME;
	else
		out->state = MCR_VERIFY_TAG_MOVED; /* another object, or a lightweight tag */
	if (ret == MCR_EREFUSED)
		mcr_error_clear();
	ret = 0;
out:
	mcr_gittag_release(&now);
	git_libgit2_shutdown();
	return ret;
}

void mcr_verify_tag_release(struct mcr_verify_tag *tag)
{
	free(tag->repo);
	memset(tag, 0, sizeof(*tag));
}
