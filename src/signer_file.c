/* The file signer: a PEM private key on disk. For development keys only; reported as "dev" everywhere. */
#include "signer.h"

#include "buf.h"
#include "error.h"
#include "json.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

struct file_state {
	struct mcr_key *key;
	char *path;
};

static int file_open(void **state, const struct mcr_signer_config *cfg)
{
	struct file_state *fs;
	int ret;

	*state = NULL;
	if (!cfg->file_path)
		return mcr_error(MCR_EINPUT, "signer '%s' of type 'file' needs 'key'", cfg->name);
	if (!(fs = calloc(1, sizeof(*fs))))
		return mcr_error(MCR_ESYS, "out of memory");
	if (!(fs->path = strdup(cfg->file_path))) {
		ret = mcr_error(MCR_ESYS, "out of memory");
		goto out;
	}
	if ((ret = mcr_key_load_pem(&fs->key, cfg->file_path)) < 0)
		goto out;
	if (!mcr_key_has_private(fs->key)) {
		/* imgtool's own words for this mistake, so scripts and users recognise it */
		ret = mcr_error(MCR_EUSAGE,
				"cannot sign with a public-only PEM '%s'; signing requires the private key",
				cfg->file_path);
		goto out;
	}
	*state = fs;
	fs = NULL;
out:
	if (fs) {
		mcr_key_free(fs->key);
		free(fs->path);
	}
	free(fs);
	return ret;
}

static int file_public_key(void *state, struct mcr_key **out)
{
	struct file_state *fs = state;

	return mcr_key_public_copy(out, fs->key);
}

static int file_sign(void *state, const struct mcr_sign_input *in, struct mcr_buf *sig,
		     enum mcr_sig_format *format)
{
	struct file_state *fs = state;

	*format = MCR_SIG_DER;
	return mcr_key_sign(fs->key, in->digest, in->digest_len, in->message, in->message_len, sig);
}

static int file_describe(void *state, cJSON *into)
{
	struct file_state *fs = state;

	return mcr_json_add_string(into, "key_file", fs->path);
}

static void file_close(void *state)
{
	struct file_state *fs = state;

	mcr_key_free(fs->key);
	free(fs->path);
	free(fs);
}

const struct mcr_signer_backend mcr_signer_file_backend = {
	.name = "file",
	.is_dev = true,
	.open = file_open,
	.public_key = file_public_key,
	.sign = file_sign,
	.describe = file_describe,
	.close = file_close,
};
