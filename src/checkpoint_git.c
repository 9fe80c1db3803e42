/* Checkpoints on a git ref: one commit per checkpoint whose tree holds the note, so every clone
 * keeps a copy. */
#include "checkpoint.h"

#include "error.h"

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libgit2's last error as ours; call right after the failed call. */
static int git_fail(int code, const char *what, const char *subject)
{
	const git_error *err = git_error_last();

	return mcr_error(code, "cannot %s '%s': %s", what, subject,
	                 err && err->message ? err->message : "libgit2 error");
}

static int open_repo(git_repository **out, const char *repo_path)
{
	const char *path = repo_path ? repo_path : ".";

	if (git_repository_open_ext(out, path, repo_path ? GIT_REPOSITORY_OPEN_NO_SEARCH : 0,
	                            NULL) < 0)
		return git_fail(MCR_EINPUT, "open the git repository", path);
	return 0;
}

/* A tree holding just the checkpoint file. */
static int write_tree(git_repository *repo, const char *note, git_oid *tree_id, const char *ref)
{
	git_treebuilder *builder = NULL;
	git_oid blob_id;
	int ret = 0;

	if (git_blob_create_from_buffer(&blob_id, repo, note, strlen(note)) < 0 ||
	    git_treebuilder_new(&builder, repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, builder, MCR_CHECKPOINT_REF_FILE, &blob_id,
	                           GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(tree_id, builder) < 0)
		ret = git_fail(MCR_ESYS, "write a checkpoint commit for", ref);
	git_treebuilder_free(builder);
	return ret;
}

static int commit_on(git_repository *repo, const char *ref, const git_oid *tree_id,
                     const char *note)
{
	git_commit *parent = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_reference *moved = NULL;
	git_oid parent_id, commit_id;
	bool has_parent;
	char message[256];
	int ret = 0;

	has_parent = git_reference_name_to_id(&parent_id, repo, ref) == 0;
	snprintf(message, sizeof(message), "checkpoint %.*s\n", (int)strcspn(note, "\n"), note);
	if ((has_parent && git_commit_lookup(&parent, repo, &parent_id) < 0) ||
	    git_tree_lookup(&tree, repo, tree_id) < 0 ||
	    git_signature_now(&sig, "mcurelease", "mcurelease@localhost") < 0 ||
	    git_commit_create(&commit_id, repo, NULL, sig, sig, NULL, message, tree,
	                      has_parent ? 1 : 0, (const git_commit **)&parent) < 0) {
		ret = git_fail(MCR_ESYS, "write a checkpoint commit for", ref);
		goto out;
	}
	/* Compare-and-swap: a concurrent publisher makes this fail rather than vanish. */
	if (git_reference_create_matching(&moved, repo, ref, &commit_id, has_parent,
	                                  has_parent ? &parent_id : NULL,
	                                  "mcurelease: checkpoint") < 0)
		ret = git_fail(MCR_ESYS, "move", ref);
out:
	git_reference_free(moved);
	git_signature_free(sig);
	git_tree_free(tree);
	git_commit_free(parent);
	return ret;
}

int mcr_checkpoint_publish_ref(const char *repo_path, const char *ref, const char *note)
{
	git_repository *repo = NULL;
	git_oid tree_id;
	int ret;

	git_libgit2_init();
	if ((ret = open_repo(&repo, repo_path)) == 0 &&
	    (ret = write_tree(repo, note, &tree_id, ref)) == 0)
		ret = commit_on(repo, ref, &tree_id, note);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return ret;
}

/* The checkpoint file of one commit, handed to fn. */
static int visit_commit(git_repository *repo, const git_oid *id, const char *ref,
                        mcr_checkpoint_note_fn fn, void *ctx)
{
	char subject[512], short_id[GIT_OID_HEXSZ + 1];
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	char *note = NULL;
	int ret;

	git_oid_tostr(short_id, 13, id);
	snprintf(subject, sizeof(subject), "%s@%s", ref, short_id);
	if (git_commit_lookup(&commit, repo, id) < 0 || git_commit_tree(&tree, commit) < 0 ||
	    git_tree_entry_bypath(&entry, tree, MCR_CHECKPOINT_REF_FILE) < 0 ||
	    git_blob_lookup(&blob, repo, git_tree_entry_id(entry)) < 0) {
		ret = git_fail(MCR_EINPUT, "read the checkpoint of", subject);
		goto out;
	}
	if (git_blob_rawsize(blob) > MCR_CHECKPOINT_MAX_LEN ||
	    !(note = strndup(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)))) {
		ret = mcr_error(MCR_EINPUT, "checkpoint '%s' is too large", subject);
		goto out;
	}
	ret = fn(ctx, subject, note);
out:
	free(note);
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(commit);
	return ret;
}

static int walk(git_repository *repo, const char *ref, bool is_optional, mcr_checkpoint_note_fn fn,
                void *ctx)
{
	git_revwalk *walker = NULL;
	git_oid id;
	int rc = GIT_ITEROVER, ret = 0;

	if ((rc = git_reference_name_to_id(&id, repo, ref)) < 0) {
		if (is_optional && rc == GIT_ENOTFOUND)
			return 0;
		return git_fail(MCR_EINPUT, "find the checkpoint ref", ref);
	}
	if (git_revwalk_new(&walker, repo) < 0 || git_revwalk_push(walker, &id) < 0 ||
	    git_revwalk_sorting(walker, GIT_SORT_TOPOLOGICAL) < 0) {
		ret = git_fail(MCR_EINPUT, "walk", ref);
		goto out;
	}
	while (ret == 0 && (rc = git_revwalk_next(&id, walker)) == 0)
		ret = visit_commit(repo, &id, ref, fn, ctx);
	if (ret == 0 && rc != GIT_ITEROVER)
		ret = git_fail(MCR_EINPUT, "walk", ref);
out:
	git_revwalk_free(walker);
	return ret;
}

int mcr_checkpoint_read_ref(const char *repo_path, const char *ref, bool is_optional,
                            mcr_checkpoint_note_fn fn, void *ctx)
{
	git_repository *repo = NULL;
	int ret;

	git_libgit2_init();
	if ((ret = open_repo(&repo, repo_path)) == 0)
		ret = walk(repo, ref, is_optional, fn, ctx);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return ret;
}
