/* Unit tests: config discovery, defaults, path resolution, and refusals naming the bad key. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "testutil.h"

static const char *write_config(const char *dir, const char *text)
{
	const char *path = mcr_test_path("%s/mcurelease.json", dir);

	mcr_test_write(path, text, strlen(text));
	return path;
}

START_TEST(test_config_full_file)
{
	const char *dir = mcr_test_tmpdir();
	const char *path = write_config(dir,
		"{\"product\":\"acme-sensor\",\n"
		" \"signers\":{\"release\":{\"type\":\"pkcs11\",\"uri\":\"pkcs11:token=t;object=k\","
		"\"public_key\":\"keys/release.pub.pem\",\"pin_env\":\"PIN\"},\n"
		"  \"dev\":{\"type\":\"file\",\"key\":\"dev.pem\"},\n"
		"  \"kms\":{\"type\":\"command\",\"argv\":[\"/bin/sign\",\"{digest_hex}\"],\"encoding\":\"base64\"}},\n"
		" \"policy\":{\"tag\":{\"gpg_fingerprints\":[\"AB\",\"CD\"],\"pin_store\":\"/abs/pins\"},"
		"\"builders\":{\"quorum\":2},\"allow_dev_keys\":false},\n"
		" \"image\":{\"header_size\":\"0x200\",\"slot_size\":131072,\"confirm\":true},\n"
		" \"audit\":{\"log_signer\":\"log\"}}");
	struct mcr_config *cfg = NULL;
	const struct mcr_signer_config *sc;

	ck_assert_int_eq(mcr_config_load_file(&cfg, path), 0);
	ck_assert_str_eq(cfg->product, "acme-sensor");
	ck_assert_uint_eq(cfg->signer_count, 3);
	sc = mcr_config_signer(cfg, "release");
	ck_assert_ptr_nonnull(sc);
	ck_assert_str_eq(sc->backend, "pkcs11");
	ck_assert_str_eq(sc->public_key_path, mcr_test_path("%s/keys/release.pub.pem", cfg->dir));
	ck_assert_str_eq(sc->pkcs11_pin_env, "PIN");
	ck_assert_str_eq(mcr_config_signer(cfg, "dev")->file_path, mcr_test_path("%s/dev.pem", cfg->dir));
	ck_assert_str_eq(mcr_config_signer(cfg, "kms")->command_argv[1], "{digest_hex}");
	ck_assert_ptr_null(mcr_config_signer(cfg, "nope"));
	ck_assert_str_eq(cfg->policy.tag.gpg_fingerprints[1], "CD");
	ck_assert_ptr_null(cfg->policy.tag.gpg_fingerprints[2]);
	ck_assert_str_eq(cfg->policy.tag.pin_store, "/abs/pins");
	ck_assert_uint_eq(cfg->policy.builders.quorum, 2);
	ck_assert_str_eq(cfg->policy.release_signer, "release");
	ck_assert_uint_eq(cfg->image.header_size, 0x200);
	ck_assert_uint_eq(cfg->image.slot_size, 131072);
	ck_assert(cfg->image.confirm);
	ck_assert_uint_eq(cfg->image.align, 4);
	ck_assert_str_eq(cfg->audit.log_id, "acme-sensor");
	ck_assert_str_eq(cfg->audit.database, mcr_test_path("%s/mcurelease-audit.db", cfg->dir));
	mcr_config_free(cfg);
}
END_TEST

static void expect_refusal(const char *text, const char *needle)
{
	const char *path = write_config(mcr_test_tmpdir(), text);
	struct mcr_config *cfg = NULL;

	ck_assert_int_eq(mcr_config_load_file(&cfg, path), MCR_EINPUT);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(strstr(mcr_error_message(), needle), "'%s' lacks '%s'", mcr_error_message(),
		      needle);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), path));
}

START_TEST(test_config_refusals_name_the_key)
{
	expect_refusal("{\"product\":\"p\",\"polcy\":{}}", "unknown key 'polcy'");
	expect_refusal("{\"signers\":{}}", "'product'");
	expect_refusal("{\"product\":\"p\",\"signers\":{\"r\":{\"type\":\"hsm\"}}}", "signers.r.type");
	expect_refusal("{\"product\":\"p\",\"signers\":{\"r\":{\"type\":\"file\",\"pin\":\"1\"}}}",
		       "unknown key 'pin'");
	expect_refusal("{\"product\":\"p\",\"signers\":{\"r\":{\"type\":\"command\"}}}", "argv");
	expect_refusal("{\"product\":\"p\",\"image\":{\"align\":3}}", "image.align");
	expect_refusal("{\"product\":\"p\",\"image\":{\"slot_size\":\"big\"}}", "image.slot_size");
	expect_refusal("{\"product\":\"p\",\"policy\":{\"tag\":{\"pattern\":\"(\"}}}", "policy.tag.pattern");
	expect_refusal("{\"product\":\"p\",\"policy\":{\"allowed_algorithms\":[\"dsa\"]}}",
		       "allowed_algorithms");
	expect_refusal("{\"product\":\"p\",", "malformed JSON");
}
END_TEST

START_TEST(test_config_discovery_order)
{
	const char *dir = mcr_test_tmpdir();
	const char *explicit_path = write_config(dir, "{\"product\":\"one\"}");
	const char *repo = mcr_test_path("%s/repo", dir);
	struct mcr_config *cfg = NULL;
	char cwd[4096];

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	mcr_test_sh_ok("git init -q '%s' && mkdir -p '%s/sub' && "
		       "printf '{\"product\":\"two\"}' > '%s/mcurelease.json'", repo, repo, repo);
	ck_assert_int_eq(chdir(mcr_test_path("%s/sub", repo)), 0);
	ck_assert_int_eq(mcr_config_load(&cfg, NULL), 0);
	ck_assert_str_eq(cfg->product, "two");
	mcr_config_free(cfg);
	setenv("MCURELEASE_CONFIG", explicit_path, 1);
	ck_assert_int_eq(mcr_config_load(&cfg, NULL), 0);
	ck_assert_str_eq(cfg->product, "one");
	mcr_config_free(cfg);
	unsetenv("MCURELEASE_CONFIG");
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(mcr_config_load(&cfg, NULL), MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "no config found"));
	ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

START_TEST(test_config_schema_agrees)
{
	const char *dir = mcr_test_tmpdir();
	const char *good = write_config(dir,
		"{\"product\":\"acme\",\"signers\":{\"release\":{\"type\":\"pkcs11\",\"uri\":\"pkcs11:object=k\","
		"\"pin_env\":\"PIN\"},\"dev\":{\"type\":\"file\",\"key\":\"dev.pem\"}},"
		"\"policy\":{\"tag\":{\"ssh_allowed_signers\":\"a\"},\"builders\":{\"quorum\":2}},"
		"\"image\":{\"header_size\":\"0x200\",\"slot_size\":131072,\"align\":4},\"audit\":{\"log_signer\":\"dev\"}}");
	struct mcr_config *cfg = NULL;
	char *why = NULL;

	/* what config.c accepts, the schema accepts, and the other way round for these */
	ck_assert_int_eq(mcr_config_load_file(&cfg, good), 0);
	mcr_config_free(cfg);
	ck_assert_msg(mcr_test_schema_valid("config.schema.json", good, &why), "%s", why);
	write_config(dir, "{\"product\":\"p\",\"polcy\":{}}");
	ck_assert(!mcr_test_schema_valid("config.schema.json", good, &why));
	ck_assert_ptr_nonnull(strstr(why, "polcy"));
	free(why);
	write_config(dir, "{\"product\":\"p\",\"signers\":{\"r\":{\"type\":\"hsm\"}}}");
	ck_assert(!mcr_test_schema_valid("config.schema.json", good, NULL));
	ck_assert_int_eq(mcr_config_load_file(&cfg, good), MCR_EINPUT);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_test(tc, test_config_full_file);
	tcase_add_test(tc, test_config_refusals_name_the_key);
	tcase_add_test(tc, test_config_discovery_order);
	tcase_add_test(tc, test_config_schema_agrees);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(config_suite());
}
