/* Build records: measuring artifacts (SHA-256, and the MCUboot digest the signer would get). */
#include "buildrec.h"

#include "buf.h"
#include "config.h"
#include "error.h"
#include "image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool mcr_buildrec_path_is_inside(const char *path)
{
	const char *c = path;

	if (!*path || *path == '/')
		return false;
	while (*c) {
		size_t len = strcspn(c, "/");

		if (!len || (len == 1 && c[0] == '.') || (len == 2 && !strncmp(c, "..", 2)))
			return false;
		c += len + (c[len] == '/');
	}
	return path[strlen(path) - 1] != '/';
}

/* root/rel_path resolved, refused when a symlink leads out of root. *out is malloc'd. */
static int resolve_inside(char **out, const char *root, const char *rel_path)
{
	char *joined = NULL, *real_root = realpath(root, NULL), *real = NULL;
	size_t root_len;
	int ret = 0;

	*out = NULL;
	if (!real_root)
		return mcr_error_errno(MCR_EINPUT, "cannot resolve checkout '%s'", root);
	if (asprintf(&joined, "%s/%s", real_root, rel_path) < 0) {
		joined = NULL;
		ret = mcr_error(MCR_ESYS, "out of memory");
		goto out;
	}
	if (!(real = realpath(joined, NULL))) {
		ret = mcr_error_errno(MCR_EINPUT, "cannot find artifact '%s' in the checkout '%s'",
				      rel_path, root);
		goto out;
	}
	root_len = strlen(real_root);
	if (strncmp(real, real_root, root_len) || real[root_len] != '/') {
		ret = mcr_error(MCR_EINPUT, "artifact '%s' leads out of the checkout '%s'",
				rel_path, root);
		goto out;
	}
	*out = real;
	real = NULL;
out:
	free(real);
	free(joined);
	free(real_root);
	return ret;
}

/* The digest mcurelease would send to the signer; has_mcuboot stays false if it is no image. */
static int measure_mcuboot(struct mcr_buildrec_artifact *a, const char *path,
			   const struct mcr_image_spec *spec)
{
	struct mcr_image_build *build = NULL;
	const unsigned char *digest;
	size_t digest_len;
	int ret;

	/* Not laid out as an image (no zero header, too big...): the record says null. */
	if (mcr_image_build_new(&build, spec, path, NULL) < 0) {
		mcr_error_clear();
		return 0;
	}
	if ((ret = mcr_image_build_hash(build)) < 0)
		goto out;
	digest = mcr_image_build_digest(build, &digest_len);
	mcr_hex_encode(a->mcuboot_digest, digest, digest_len);
	a->mcuboot_hash_alg = spec->hash_alg;
	mcr_version_format(a->mcuboot_version, &spec->version);
	a->has_security_counter = spec->has_security_counter;
	a->security_counter = spec->security_counter;
	a->has_mcuboot = true;
out:
	mcr_image_build_free(build);
	return ret;
}

int mcr_buildrec_measure(struct mcr_buildrec_artifact *out, const char *root,
			 const char *rel_path, const struct mcr_image_spec *spec)
{
	unsigned char sha[32];
	struct stat st;
	char *path = NULL;
	int ret;

	if (!mcr_buildrec_path_is_inside(rel_path))
		return mcr_error(MCR_EINPUT, "artifact path '%s' must be relative, without '.' or "
				 "'..' components", rel_path);
	if ((ret = resolve_inside(&path, root, rel_path)) < 0)
		return ret;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		ret = mcr_error(MCR_EINPUT, "artifact '%s' in the checkout '%s' is not a regular "
				"file", rel_path, root);
		goto out;
	}
	if ((ret = mcr_hash_file(MCR_HASH_SHA256, path, sha)) < 0)
		goto out;
	free(out->path);
	if (!(out->path = strdup(rel_path))) {
		ret = mcr_error(MCR_ESYS, "out of memory");
		goto out;
	}
	out->size = (unsigned long long)st.st_size;
	mcr_hex_encode(out->sha256, sha, sizeof(sha));
	out->has_mcuboot = false;
	if (spec)
		ret = measure_mcuboot(out, path, spec);
out:
	free(path);
	return ret;
}

int mcr_buildrec_compare(struct mcr_buf *out, const struct mcr_buildrec *a,
			 const struct mcr_buildrec *b)
{
	int ret = 0;

	for (size_t i = 0; i < a->artifact_count && ret == 0; i++) {
		const struct mcr_buildrec_artifact *x = &a->artifacts[i];
		const struct mcr_buildrec_artifact *y = i < b->artifact_count ? &b->artifacts[i] : NULL;

		if (y && !strcmp(x->path, y->path) && !strcmp(x->sha256, y->sha256))
			continue;
		if (out->len)
			ret = mcr_buf_add_str(out, ", ");
		if (ret == 0)
			ret = mcr_buf_add_str(out, x->path);
	}
	return ret;
}
