/* The release image layout, the same for builders, runners and signing hosts. */
#include "layout.h"

#include "cli.h"
#include "config.h"
#include "error.h"
#include "key.h"
#include "signer.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int security_counter(struct mcr_image_spec *spec, const struct mcr_config *cfg)
{
	const char *rule = cfg->policy.security_counter;
	unsigned long long n;

	spec->has_security_counter = strcmp(rule, "none") != 0;
	if (!strcmp(rule, "auto")) {
		spec->security_counter = (uint32_t)mcr_version_security_counter(&spec->version);
		return 0;
	}
	if (!spec->has_security_counter)
		return 0;
	if (mcr_cli_parse_number(&n, rule, 0xffffffffULL, "policy.security_counter") < 0)
		return mcr_error(
		        MCR_EINPUT,
		        "policy.security_counter '%s' in config '%s' is not auto, none or a number",
		        rule, cfg->path);
	spec->security_counter = (uint32_t)n;
	return 0;
}

int mcr_layout_release(struct mcr_image_spec *spec, const struct mcr_config *cfg,
                       const struct mcr_version *version, enum mcr_hash_alg hash_alg)
{
	const struct mcr_image_config *ic = &cfg->image;

	memset(spec, 0, sizeof(*spec));
	spec->version = *version;
	spec->header_size = (uint32_t)ic->header_size;
	spec->pad_header = ic->pad_header;
	spec->slot_size = (uint32_t)ic->slot_size;
	spec->align = ic->align;
	spec->max_align = ic->max_align;
	spec->max_sectors = ic->max_sectors;
	spec->pad = ic->pad || ic->confirm;
	spec->confirm = ic->confirm;
	spec->overwrite_only = ic->overwrite_only;
	spec->erased_val = (unsigned char)ic->erased_val;
	spec->load_addr = (uint32_t)ic->load_addr;
	spec->full_public_key = !strcmp(ic->public_key_format, "full");
	spec->hash_alg = hash_alg;
	return security_counter(spec, cfg);
}

int mcr_layout_pinned_key(struct mcr_key **out, const struct mcr_config *cfg)
{
	const char *name = cfg->policy.release_signer;
	const struct mcr_signer_config *sc = mcr_config_signer(cfg, name);
	char fingerprint[65];
	int ret;

	*out = NULL;
	if (!sc)
		return mcr_error(MCR_EINPUT, "release signer '%s' is not configured in '%s'", name,
		                 cfg->path);
	if (!sc->public_key_path)
		return mcr_error(MCR_EINPUT,
		                 "signer '%s' in '%s' pins no 'public_key': without the signer, "
		                 "only a pinned key says what the release key is",
		                 name, cfg->path);
	if ((ret = mcr_key_load_pem(out, sc->public_key_path)) < 0 ||
	    (ret = mcr_key_fingerprint(*out, fingerprint)) < 0)
		goto fail;
	if (sc->fingerprint && strcasecmp(sc->fingerprint, fingerprint)) {
		ret = mcr_error(
		        MCR_EINPUT,
		        "public key '%s' of signer '%s' has fingerprint %s, the config pins %s",
		        sc->public_key_path, name, fingerprint, sc->fingerprint);
		goto fail;
	}
	return 0;
fail:
	mcr_key_free(*out);
	*out = NULL;
	return ret;
}
