/* mcurelease signer test|list: check a configured signer end to end, list what is configured. */
#include "buf.h"
#include "cli.h"
#include "config.h"
#include "error.h"
#include "json.h"
#include "key.h"
#include "signer.h"

#include <cjson/cJSON.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum { OPT_CONFIG = MCR_OPT_FIRST, OPT_JSON, OPT_COUNT };

struct signer_opts {
	const char *config_path;
	bool json;
	unsigned long long count;
};

static int signer_option(void *ctx, int id, const char *arg, const char *arg2)
{
	struct signer_opts *o = ctx;

	(void)arg2;
	if (id == OPT_CONFIG)
		o->config_path = arg;
	else if (id == OPT_JSON)
		o->json = true;
	else
		return mcr_cli_parse_number(&o->count, arg, 10000, "--count");
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Signs count random digests; the best and median latencies of the verified signatures. */
static int exercise(struct mcr_signer *signer, unsigned long long count, double *best,
		    double *median)
{
	enum mcr_hash_alg alg = mcr_key_default_hash(mcr_key_type(mcr_signer_key(signer)));
	double times[10000];
	unsigned char digest[MCR_HASH_MAX_LEN];
	struct mcr_buf sig = MCR_BUF_INIT;
	int ret = 0;

	for (unsigned long long i = 0; i < count && ret == 0; i++) {
		if (RAND_bytes(digest, (int)mcr_hash_len(alg)) != 1) {
			ret = mcr_error_openssl(MCR_ESYS, "cannot draw a random digest");
			break;
		}
		mcr_buf_truncate(&sig, 0);
		ret = mcr_signer_sign_digest(signer, alg, digest, mcr_hash_len(alg), NULL, &sig);
		times[i] = mcr_signer_last_latency_ms(signer);
	}
	mcr_buf_release(&sig);
	if (ret < 0)
		return ret;
	for (unsigned long long i = 1; i < count; i++)
		for (unsigned long long j = i; j > 0 && times[j] < times[j - 1]; j--) {
			double t = times[j];

			times[j] = times[j - 1];
			times[j - 1] = t;
		}
	*best = times[0];
	*median = times[count / 2];
	return 0;
}

static int report(const struct signer_opts *o, struct mcr_signer *signer, double open_ms,
		  double best, double median)
{
	const struct mcr_key *key = mcr_signer_key(signer);
	struct mcr_buf text = MCR_BUF_INIT;
	cJSON *obj = cJSON_CreateObject(), *facts = cJSON_CreateObject();
	int ret;

	if (!obj || !facts) {
		ret = mcr_error(MCR_ESYS, "out of memory");
		goto out;
	}
	if ((ret = mcr_signer_describe(signer, facts)) < 0)
		goto out;
	if (o->json) {
		if ((ret = mcr_json_add_item(obj, "signer", facts)) == 0 &&
		    (ret = mcr_json_add_bool(obj, "verified", true)) == 0 &&
		    (ret = mcr_json_add_int(obj, "open_us", (long long)(open_ms * 1000))) == 0 &&
		    (ret = mcr_json_add_int(obj, "sign_median_us", (long long)(median * 1000))) == 0 &&
		    (ret = mcr_json_pretty(&text, obj)) == 0)
			fputs((char *)text.data, stdout);
		facts = NULL;
		goto out;
	}
	printf("signer:      %s (%s%s)\n", mcr_signer_name(signer), mcr_signer_backend_name(signer),
	       mcr_signer_is_dev(signer) ? ", development key: never for releases" : "");
	printf("key:         %s, %u-bit security\n", mcr_key_type_name(mcr_key_type(key)),
	       mcr_key_strength_bits(mcr_key_type(key)));
	printf("fingerprint: %s (SHA-256 of the public key bytes)\n", mcr_signer_fingerprint(signer));
	printf("open:        %.2f ms\n", open_ms);
	printf("sign:        %.2f ms median, %.2f ms best over %llu signature%s, each verified with the pinned key\n",
	       median, best, o->count, o->count == 1 ? "" : "s");
	ret = 0;
out:
	cJSON_Delete(obj);
	cJSON_Delete(facts);
	mcr_buf_release(&text);
	return ret;
}

static int cmd_test(int argc, char **argv)
{
	static const struct mcr_option options[] = {
		{"config", 0, "FILE", "config file (default: $MCURELEASE_CONFIG, then the repository's mcurelease.json)", OPT_CONFIG, false},
		{"count", 'n', "N", "signatures to make (default 1, at most 10000)", OPT_COUNT, false},
		{"json", 0, NULL, "print the result as JSON", OPT_JSON, false},
		{NULL, 0, NULL, NULL, 0, false},
	};
	static const struct mcr_cli_spec spec = {
		"signer test", "[--config FILE] [-n N] [--json] NAME",
		"Open a configured signer (or a pkcs11: URI), sign random digests, verify each\n"
		"signature with the pinned public key, and report the key and the latency.\n"
		"The first command to run after configuring a signer.",
		options, 1, 1,
	};
	struct signer_opts o = {NULL, false, 1};
	struct mcr_signer *signer = NULL;
	char ref[512];
	double started, open_ms, best = 0, median = 0;
	int first, ret;

	if ((ret = mcr_cli_parse(&spec, argc, argv, signer_option, &o, &first)) != 0)
		return ret > 0 ? 0 : ret;
	if (o.count == 0)
		return mcr_error(MCR_EUSAGE, "--count must be at least 1");
	snprintf(ref, sizeof(ref), "%s%s", strchr(argv[first], ':') ? "" : "signer:", argv[first]);
	started = now_ms();
	ret = mcr_signer_open_ref(&signer, ref, o.config_path);
	open_ms = now_ms() - started;
	if (ret == 0 && (ret = exercise(signer, o.count, &best, &median)) == 0)
		ret = report(&o, signer, open_ms, best, median);
	mcr_signer_free(signer);
	return ret;
}

static int cmd_list(int argc, char **argv)
{
	static const struct mcr_option options[] = {
		{"config", 0, "FILE", "config file", OPT_CONFIG, false},
		{NULL, 0, NULL, NULL, 0, false},
	};
	static const struct mcr_cli_spec spec = {
		"signer list", "[--config FILE]",
		"List the signers of the config file (nothing is opened or contacted).", options, 0, 0,
	};
	struct signer_opts o = {NULL, false, 1};
	struct mcr_config *config = NULL;
	int first, ret;

	if ((ret = mcr_cli_parse(&spec, argc, argv, signer_option, &o, &first)) != 0)
		return ret > 0 ? 0 : ret;
	if ((ret = mcr_config_load(&config, o.config_path)) < 0)
		return ret;
	for (size_t i = 0; i < config->signer_count; i++)
		printf("%-16s %-14s %s\n", config->signers[i].name, config->signers[i].backend,
		       !strcmp(config->signers[i].backend, "file") ? "development key" :
		       !strcmp(config->signers[i].name, config->policy.release_signer) ? "release signer" : "");
	mcr_config_free(config);
	return 0;
}

static const struct mcr_command signer_commands[] = {
	{"test", cmd_test, "sign and verify random digests with a signer; show key and latency", "config"},
	{"list", cmd_list, "list the configured signers", "config"},
	{NULL, NULL, NULL, NULL},
};

int mcr_cmd_signer(int argc, char **argv)
{
	return mcr_cli_dispatch("signer", signer_commands, argc, argv);
}
