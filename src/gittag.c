/* Finding a release tag with libgit2, checking its shape, and splitting payload from signature as git does. */
#include "gittag.h"

#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/repository.h>

/* git's gpg-interface.c: the armor headers that begin a signature, per format. */
static const struct armor {
	const char *begin;
	const char *end;
	enum mcr_tagsig_format format;
} armors[] = {
	{"-----BEGIN PGP SIGNATURE-----", "-----END PGP SIGNATURE-----", MCR_TAGSIG_OPENPGP},
	{"-----BEGIN PGP MESSAGE-----", "-----END PGP MESSAGE-----", MCR_TAGSIG_OPENPGP},
	{"-----BEGIN SIGNED MESSAGE-----", "-----END SIGNED MESSAGE-----", MCR_TAGSIG_X509},
	{"-----BEGIN SSH SIGNATURE-----", "-----END SSH SIGNATURE-----", MCR_TAGSIG_SSH},
};

#define ARMOR_COUNT (sizeof(armors) / sizeof(armors[0]))

void mcr_gittag_init(struct mcr_gittag *tag)
{
	memset(tag, 0, sizeof(*tag));
	mcr_buf_init(&tag->raw);
	tag->tagger_time = -1;
}

void mcr_gittag_release(struct mcr_gittag *tag)
{
	free(tag->name);
	mcr_buf_release(&tag->raw);
	mcr_gittag_init(tag);
}

/* As git's get_format_by_sig: the line merely has to start with the header. */
static const struct armor *armor_at(const unsigned char *line, size_t avail)
{
	for (size_t i = 0; i < ARMOR_COUNT; i++) {
		size_t n = strlen(armors[i].begin);

		if (avail >= n && !memcmp(line, armors[i].begin, n))
			return &armors[i];
	}
	return NULL;
}

static size_t next_line(const unsigned char *raw, size_t len, size_t pos)
{
	const unsigned char *eol = memchr(raw + pos, '\n', len - pos);

	return eol ? (size_t)(eol - raw) + 1 : len;
}

static bool line_is(const unsigned char *line, size_t line_len, const char *text)
{
	size_t n = strlen(text);

	if (line_len > 0 && line[line_len - 1] == '\n')
		line_len--;
	return line_len == n && !memcmp(line, text, n);
}

/* The block from start must be: its exact BEGIN line, body, its END line, then nothing. */
static int check_block(const unsigned char *raw, size_t len, size_t start, const struct armor *a,
		       const char *subject)
{
	size_t pos = start, eol = next_line(raw, len, start);

	if (!line_is(raw + start, eol - start, a->begin))
		return mcr_refuse("tag.ambiguous_signature",
				  "malformed signature header in tag '%s'", subject);
	for (pos = eol; pos < len; pos = eol) {
		eol = next_line(raw, len, pos);
		if (eol - pos >= 9 && !memcmp(raw + pos, "-----END ", 9))
			break;
	}
	if (pos >= len || !line_is(raw + pos, eol - pos, a->end))
		return mcr_refuse("tag.ambiguous_signature",
				  "signature block of tag '%s' has no matching end line", subject);
	if (eol != len)
		return mcr_refuse("tag.ambiguous_signature",
				  "tag '%s' has text after its signature block that the signature "
				  "does not cover", subject);
	return 0;
}

int mcr_gittag_split(size_t *payload_len, enum mcr_tagsig_format *format,
		     const unsigned char *raw, size_t len, const char *subject)
{
	const struct armor *last = NULL;
	size_t start = len, blocks = 0;
	int ret;

	for (size_t pos = 0; pos < len; pos = next_line(raw, len, pos)) {
		const struct armor *a = armor_at(raw + pos, len - pos);

		if (a) {
			last = a;
			start = pos;
			blocks++;
		}
	}
	if (!last)
		return mcr_refuse("tag.unsigned", "tag '%s' is not signed", subject);
	/* git would verify only the last block and show the others as message text. */
	if (blocks > 1)
		return mcr_refuse("tag.ambiguous_signature",
				  "tag '%s' carries %zu signature blocks", subject, blocks);
	if ((ret = check_block(raw, len, start, last, subject)) < 0)
		return ret;
	*payload_len = start;
	*format = last->format;
	return 0;
}

/* libgit2's failure as ours; read right after the failed call. */
static int git_fail(int code, const char *what, const char *subject)
{
	const git_error *e = git_error_last();

	return mcr_error(code, "%s '%s': %s", what, subject,
			 e && e->message ? e->message : "unknown libgit2 error");
}

static int open_repo(git_repository **repo, const char *repo_path)
{
	const char *path = repo_path ? repo_path : ".";

	if (git_repository_open_ext(repo, path, 0, NULL) < 0)
		return git_fail(MCR_EINPUT, "cannot open git repository at", path);
	return 0;
}

/* refs/tags/<name> to the object id it names, following symbolic refs. */
static int resolve_ref(git_oid *oid, git_repository *repo, const char *name)
{
	git_reference *ref = NULL, *resolved = NULL;
	char *refname = NULL;
	int valid = 0, ret, err;

	if (asprintf(&refname, "refs/tags/%s", name) < 0)
		return mcr_error(MCR_ESYS, "out of memory");
	if (git_reference_name_is_valid(&valid, refname) < 0 || !valid) {
		ret = mcr_error(MCR_EUSAGE, "invalid tag name '%s'", name);
		goto out;
	}
	err = git_reference_lookup(&ref, repo, refname);
	if (err == GIT_ENOTFOUND)
		ret = mcr_refuse("tag.not_found", "no tag '%s' in the repository", name);
	else if (err < 0 || git_reference_resolve(&resolved, ref) < 0)
		ret = git_fail(MCR_EINPUT, "cannot resolve tag", name);
	else
		ret = (git_oid_cpy(oid, git_reference_target(resolved)), 0);
out:
	git_reference_free(resolved);
	git_reference_free(ref);
	free(refname);
	return ret;
}

static const char *type_name(git_object_t type)
{
	const char *name = git_object_type2string(type);

	return name && *name ? name : "unknown object";
}

/* The raw tag object; anything else under refs/tags is a lightweight tag. */
static int read_tag_object(struct mcr_gittag *tag, git_odb *odb, const git_oid *oid)
{
	git_odb_object *obj = NULL;
	int ret;

	if (git_odb_read(&obj, odb, oid) < 0)
		return git_fail(MCR_EINPUT, "cannot read the object of tag", tag->name);
	if (git_odb_object_type(obj) != GIT_OBJECT_TAG) {
		git_oid_tostr(tag->commit, sizeof(tag->commit), oid);
		ret = mcr_refuse("tag.lightweight",
				 "tag '%s' is lightweight: it names a %s, not a signed tag object",
				 tag->name, type_name(git_odb_object_type(obj)));
		goto out;
	}
	git_oid_tostr(tag->tag_object, sizeof(tag->tag_object), oid);
	ret = mcr_buf_add(&tag->raw, git_odb_object_data(obj), git_odb_object_size(obj));
out:
	git_odb_object_free(obj);
	return ret;
}

/* The header: name equal to the ref, target a commit that really is one. */
static int check_header(struct mcr_gittag *tag, git_repository *repo, git_odb *odb,
			const git_oid *oid)
{
	git_tag *parsed = NULL;
	git_object_t real_type = GIT_OBJECT_INVALID;
	size_t size;
	int ret = 0;

	if (git_tag_lookup(&parsed, repo, oid) < 0)
		return mcr_refuse("tag.malformed", "tag object of '%s' cannot be parsed", tag->name);
	git_oid_tostr(tag->commit, sizeof(tag->commit), git_tag_target_id(parsed));
	if (git_tag_tagger(parsed))
		tag->tagger_time = (long long)git_tag_tagger(parsed)->when.time;
	if (strcmp(git_tag_name(parsed), tag->name))
		ret = mcr_refuse("tag.name_mismatch",
				 "tag object stored as '%s' names itself '%s' (renamed tag)",
				 tag->name, git_tag_name(parsed));
	else if (git_tag_target_type(parsed) != GIT_OBJECT_COMMIT)
		ret = mcr_refuse("tag.not_commit", "tag '%s' points at a %s, not a commit",
				 tag->name, type_name(git_tag_target_type(parsed)));
	else if (git_odb_read_header(&size, &real_type, odb, git_tag_target_id(parsed)) < 0)
		ret = git_fail(MCR_EINPUT, "cannot read the commit of tag", tag->name);
	else if (real_type != GIT_OBJECT_COMMIT)
		ret = mcr_refuse("tag.not_commit", "tag '%s' claims a commit but points at a %s",
				 tag->name, type_name(real_type));
	git_tag_free(parsed);
	return ret;
}

int mcr_gittag_load(struct mcr_gittag *out, const char *repo_path, const char *name)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	git_oid oid;
	int ret;

	mcr_gittag_init(out);
	git_libgit2_init();
	if (!(out->name = strdup(name))) {
		ret = mcr_error(MCR_ESYS, "out of memory");
		goto out;
	}
	if ((ret = open_repo(&repo, repo_path)) < 0 || (ret = resolve_ref(&oid, repo, name)) < 0)
		goto out;
	if (git_repository_odb(&odb, repo) < 0) {
		ret = git_fail(MCR_EINPUT, "cannot open the object database for tag", name);
		goto out;
	}
	if ((ret = read_tag_object(out, odb, &oid)) < 0 ||
	    (ret = check_header(out, repo, odb, &oid)) < 0)
		goto out;
	ret = mcr_gittag_split(&out->payload_len, &out->sig_format, out->raw.data, out->raw.len,
			       name);
out:
	git_odb_free(odb);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return ret;
}

/* A repository around an in-memory object database holding just this object. */
static int wrap_object(git_repository **repo, git_oid *oid, const unsigned char *raw, size_t len,
		       const char *name)
{
	git_odb_backend *mempack = NULL;
	git_odb *odb = NULL;
	int ret = 0;

	if (git_odb_new(&odb) < 0 || git_mempack_new(&mempack) < 0 ||
	    git_odb_add_backend(odb, mempack, 1) < 0) {
		git_odb_free(odb);
		return git_fail(MCR_ESYS, "cannot hold the object of tag", name);
	}
	if (git_odb_write(oid, odb, raw, len, GIT_OBJECT_TAG) < 0 ||
	    git_repository_wrap_odb(repo, odb) < 0)
		ret = git_fail(MCR_ESYS, "cannot hold the object of tag", name);
	git_odb_free(odb); /* the repository keeps its own reference */
	return ret;
}

int mcr_gittag_from_object(struct mcr_gittag *out, const char *name, const unsigned char *raw,
			   size_t len)
{
	git_repository *repo = NULL;
	git_tag *parsed = NULL;
	git_oid oid;
	int ret;

	mcr_gittag_init(out);
	git_libgit2_init();
	if (!(out->name = strdup(name)) || mcr_buf_add(&out->raw, raw, len) < 0) {
		ret = mcr_error(MCR_ESYS, "out of memory");
		goto out;
	}
	if ((ret = wrap_object(&repo, &oid, raw, len, name)) < 0)
		goto out;
	git_oid_tostr(out->tag_object, sizeof(out->tag_object), &oid);
	if (git_tag_lookup(&parsed, repo, &oid) < 0) {
		ret = mcr_refuse("tag.malformed", "tag object of '%s' cannot be parsed", name);
		goto out;
	}
	git_oid_tostr(out->commit, sizeof(out->commit), git_tag_target_id(parsed));
	if (git_tag_tagger(parsed))
		out->tagger_time = (long long)git_tag_tagger(parsed)->when.time;
	if (strcmp(git_tag_name(parsed), name))
		ret = mcr_refuse("tag.name_mismatch", "tag object for '%s' names itself '%s' (renamed tag)",
				 name, git_tag_name(parsed));
	else if (git_tag_target_type(parsed) != GIT_OBJECT_COMMIT)
		ret = mcr_refuse("tag.not_commit", "tag '%s' points at a %s, not a commit", name,
				 type_name(git_tag_target_type(parsed)));
	else
		ret = mcr_gittag_split(&out->payload_len, &out->sig_format, out->raw.data,
				       out->raw.len, name);
out:
	git_tag_free(parsed);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return ret;
}
