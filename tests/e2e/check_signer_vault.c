/*
 * End-to-end: the vault-transit signer against a loopback fake of Vault's Transit API
 * (tests/support/fake_vault.py: HTTPS on 127.0.0.1 with a CA made here, real OpenSSL keys):
 * all five key types signed and checked with imgtool verify, and every fault (HTTP errors,
 * timeout, garbage, truncation, wrong key, wrong PSS salt, raw r||s, TLS) refused with exit
 * status 4, one line and no output file. The token is never printed and never in argv.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"
#include "testutil.h"

#define TOKEN "hvs.MCRTEST-7f3a9c1e-never-print-me"
#define WRONG_TOKEN "hvs.MCRTEST-wrong-token-0b5d"

static const char *const key_names[] = {"ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072",
					"ed25519"};

/* Set up once in the parent (Check forks each test from it). */
static char base[4096]; /* certificates, server state; removed by stop_server */
static char addr[64];
static pid_t server_pid = -1;
static int server_stdin = -1;

static const char *in_base(const char *name)
{
	return mcr_test_path("%s/%s", base, name);
}

/* A test CA, a server certificate for 127.0.0.1 from it, and an unrelated CA. */
static void make_certs(void)
{
	mcr_test_sh_ok(
		"cd '%s' && K='-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes' && "
		"openssl req -x509 $K -subj /CN=mcr-test-ca -days 2 -keyout ca.key -out ca.pem && "
		"openssl req -x509 $K -subj /CN=mcr-other-ca -days 2 -keyout other.key "
		"-out other-ca.pem && "
		"openssl req $K -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
		"-keyout server.key -out server.csr && "
		"openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
		"-copy_extensions copy -out server.pem",
		base);
}

static void wait_for_port(void)
{
	struct mcr_buf port = MCR_BUF_INIT;

	for (int i = 0; i < 1500 && !mcr_test_exists(in_base("state/port")); i++) {
		struct timespec ts = {0, 20 * 1000 * 1000};

		ck_assert_msg(waitpid(server_pid, NULL, WNOHANG) == 0, "fake vault died");
		nanosleep(&ts, NULL);
	}
	mcr_test_read(&port, in_base("state/port"));
	snprintf(addr, sizeof(addr), "https://127.0.0.1:%d", atoi((char *)port.data));
	mcr_buf_release(&port);
}

static void start_server(void)
{
	const char *tmp = getenv("TMPDIR");
	char script[4200], keys[5][512];
	int fds[2];

	snprintf(base, sizeof(base), "%s/mcrvault-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert(mkdtemp(base) != NULL);
	ck_assert(mkdir(in_base("state"), 0700) == 0);
	mcr_test_write(in_base("server-token"), TOKEN "\n", strlen(TOKEN) + 1);
	make_certs();
	snprintf(script, sizeof(script), "%s/tests/support/fake_vault.py", MCR_TEST_SOURCE_DIR);
	for (int i = 0; i < 5; i++)
		snprintf(keys[i], sizeof(keys[i]), "%s=%s", key_names[i],
			 mcr_test_vector(mcr_test_path("keys/%s.pem", key_names[i])));
	/* The server exits when this pipe closes, so it never outlives the suite. */
	ck_assert(pipe(fds) == 0);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	if ((server_pid = fork()) == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execlp("python3", "python3", script, "--state", in_base("state"), "--cert",
		       in_base("server.pem"), "--cert-key", in_base("server.key"), "--token-file",
		       in_base("server-token"), "--key", keys[0], "--key", keys[1], "--key",
		       keys[2], "--key", keys[3], "--key", keys[4], (char *)NULL);
		_exit(127);
	}
	ck_assert(server_pid > 0);
	close(fds[0]);
	server_stdin = fds[1];
	wait_for_port();
}

static void stop_server(void)
{
	close(server_stdin);
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
	mcr_fileio_remove_tree(base);
}

/* The fake's behaviour for the next requests; also forgets what it saw before. */
static void set_mode(const char *mode)
{
	mcr_test_write(in_base("state/mode"), mode, strlen(mode));
	mcr_test_write(in_base("state/requests.jsonl"), "", 0);
	unlink(in_base("state/namespace"));
}

/* A config with the signer "vault" at address; members are its other JSON members. */
static const char *config_at(const char *dir, const char *address, const char *members)
{
	const char *path = mcr_test_path("%s/cfg.json", dir);
	char *text;

	ck_assert(asprintf(&text, "{\"product\":\"fw\",\"signers\":{\"vault\":{\"type\":"
				  "\"vault-transit\",\"addr\":\"%s\",%s}}}",
			   address, members) > 0);
	mcr_test_write(path, text, strlen(text));
	free(text);
	return path;
}

static const char *config(const char *dir, const char *members)
{
	return config_at(dir, addr, members);
}

/* The usual members: key, token file (written here), test CA, pinned public key. */
static const char *usual(const char *dir, const char *key, const char *extra)
{
	const char *token = mcr_test_path("%s/token", dir);

	mcr_test_write(token, TOKEN "\n", strlen(TOKEN) + 1);
	return mcr_test_path("\"key_name\":\"%s\",\"token_file\":\"%s\",\"ca_file\":\"%s\","
			     "\"public_key\":\"%s\"%s",
			     key, token, in_base("ca.pem"),
			     mcr_test_vector(mcr_test_path("keys/%s.pub.pem", key)), extra);
}

static void no_token_in(const struct mcr_test_result *r)
{
	ck_assert_msg(!strstr((char *)r->out.data, TOKEN), "token on stdout");
	ck_assert_msg(!strstr((char *)r->err.data, TOKEN), "token on stderr");
	ck_assert_msg(!strstr((char *)r->err.data, WRONG_TOKEN), "wrong token on stderr");
}

static void sign_with(struct mcr_test_result *r, const char *cfg, const char *out)
{
	const char *argv[] = {MCR_TEST_BINARY, "imgtool", "sign", "--key", "signer:vault",
			      "--config", cfg, "--version", "1.2.3", "--header-size", "0x20",
			      "--pad-header", "--slot-size", "0x20000",
			      mcr_test_vector("inputs/raw-1k.bin"), out, NULL};

	/* The token only ever travels through a file or the environment. */
	for (const char *const *a = argv; *a; a++)
		ck_assert_msg(!strstr(*a, "hvs."), "token-like argument %s", *a);
	mcr_test_exec(r, argv, NULL);
	no_token_in(r);
}

static void verify(const char *key, const char *image)
{
	struct mcr_test_result r;

	mcr_test_mcr(&r, NULL, "imgtool", "verify", "-k",
		     mcr_test_vector(mcr_test_path("keys/%s.pub.pem", key)), image, NULL);
	ck_assert_msg(r.status == 0, "verify: %s%s", (char *)r.out.data, (char *)r.err.data);
	mcr_test_result_release(&r);
}

/* The requests the fake saw since set_mode, in order (a JSON array). */
static cJSON *requests(void)
{
	struct mcr_buf log = MCR_BUF_INIT;
	cJSON *all = cJSON_CreateArray();
	char *line, *save = NULL;

	mcr_test_read(&log, in_base("state/requests.jsonl"));
	for (line = strtok_r((char *)log.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		cJSON *item = cJSON_Parse(line);

		ck_assert_ptr_nonnull(item);
		cJSON_AddItemToArray(all, item);
	}
	mcr_buf_release(&log);
	return all;
}

static const char *field(const cJSON *obj, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

static bool body_is(const cJSON *req, const char *name, bool value)
{
	const cJSON *item = cJSON_GetObjectItem(cJSON_GetObjectItem(req, "body"), name);

	return cJSON_IsBool(item) && cJSON_IsTrue(item) == value;
}

/* What reached the fake: the key read, then one sign request shaped for the key type. */
static void check_requests(int key, const char *hash_path)
{
	cJSON *all = requests();
	const cJSON *get = cJSON_GetArrayItem(all, 0), *post = cJSON_GetArrayItem(all, 1);
	const cJSON *body = cJSON_GetObjectItem(post, "body");

	ck_assert_int_eq(cJSON_GetArraySize(all), 2);
	ck_assert_str_eq(field(get, "method"), "GET");
	ck_assert_str_eq(field(get, "path"), mcr_test_path("/v1/transit/keys/%s", key_names[key]));
	ck_assert_str_eq(field(post, "method"), "POST");
	ck_assert_str_eq(field(post, "path"),
			 mcr_test_path("/v1/transit/sign/%s%s", key_names[key], hash_path));
	for (int i = 0; i < 2; i++) {
		const cJSON *req = cJSON_GetArrayItem(all, i);

		/* the token arrived, in the header and nowhere else */
		ck_assert_str_eq(field(req, "token"), TOKEN);
		ck_assert_str_eq(field(req, "request"), "true");
		ck_assert_ptr_null(strstr(field(req, "path"), "hvs."));
	}
	ck_assert_str_eq(field(post, "content_type"), "application/json");
	ck_assert(body_is(post, "prehashed", key != 4));
	ck_assert_int_eq(cJSON_GetObjectItem(body, "key_version")->valueint, 3);
	if (key == 2 || key == 3) {
		ck_assert_str_eq(field(body, "signature_algorithm"), "pss");
		ck_assert_str_eq(field(body, "salt_length"), "hash");
	} else if (key < 2) {
		ck_assert_str_eq(field(body, "marshaling_algorithm"), "asn1");
	}
	cJSON_Delete(all);
}

START_TEST(test_vault_all_key_types)
{
	static const char *const hash_paths[] = {"/sha2-256", "/sha2-384", "/sha2-256",
						 "/sha2-256", ""};
	const char *dir = mcr_test_tmpdir();
	const char *out = mcr_test_path("%s/signed.bin", dir);
	struct mcr_test_result r;

	set_mode("ok");
	sign_with(&r, config(dir, usual(dir, key_names[_i], "")), out);
	ck_assert_msg(r.status == 0, "%s: %s", key_names[_i], (char *)r.err.data);
	mcr_test_result_release(&r);
	verify(key_names[_i], out);
	check_requests(_i, hash_paths[_i]);
}
END_TEST

/* Key pinned from Vault alone, a configured key version, a namespace, the token from env. */
START_TEST(test_vault_env_token_namespace_version)
{
	const char *dir = mcr_test_tmpdir();
	const char *out = mcr_test_path("%s/signed.bin", dir);
	const char *cfg = config(dir, mcr_test_path("\"key_name\":\"ed25519\",\"token_env\":"
						    "\"MCR_TEST_VAULT_TOKEN\",\"ca_file\":\"%s\","
						    "\"namespace\":\"team-a/fw\",\"key_version\":2",
						    in_base("ca.pem")));
	struct mcr_test_result r;
	const cJSON *body;
	cJSON *all;

	set_mode("ok");
	mcr_test_write(in_base("state/namespace"), "team-a/fw", 9);
	setenv("MCR_TEST_VAULT_TOKEN", TOKEN, 1);
	sign_with(&r, cfg, out);
	ck_assert_msg(r.status == 0, "%s", (char *)r.err.data);
	mcr_test_result_release(&r);
	verify("ed25519", out);
	all = requests();
	ck_assert_int_eq(cJSON_GetArraySize(all), 2);
	for (int i = 0; i < 2; i++) {
		ck_assert_str_eq(field(cJSON_GetArrayItem(all, i), "namespace"), "team-a/fw");
		ck_assert_str_eq(field(cJSON_GetArrayItem(all, i), "token"), TOKEN);
	}
	body = cJSON_GetObjectItem(cJSON_GetArrayItem(all, 1), "body");
	ck_assert_int_eq(cJSON_GetObjectItem(body, "key_version")->valueint, 2);
	cJSON_Delete(all);
	/* a namespace the token does not belong to: Vault says 403 */
	mcr_test_write(in_base("state/namespace"), "team-b", 6);
	sign_with(&r, cfg, out);
	ck_assert_int_eq(r.status, 4);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "HTTP 403"));
	mcr_test_result_release(&r);
}
END_TEST

/* Exactly one line on stderr naming the signer, the needles, exit 4, nothing left behind. */
static void expect_failure(const struct mcr_test_result *r, const char *dir, const char *out,
			   int status, const char *needle, const char *needle2)
{
	const char *err = (const char *)r->err.data;

	ck_assert_msg(r->status == status, "exit %d, wanted %d: %s", r->status, status, err);
	ck_assert_msg(!strncmp(err, "mcurelease: ", 12), "stderr: %s", err);
	ck_assert_msg(strchr(err, '\n') == err + r->err.len - 1, "not one line: %s", err);
	ck_assert_msg(strstr(err, "'vault'"), "signer not named: %s", err);
	ck_assert_msg(strstr(err, needle), "'%s' lacks '%s'", err, needle);
	ck_assert_msg(!needle2 || strstr(err, needle2), "'%s' lacks '%s'", err, needle2);
	ck_assert_uint_eq(r->out.len, 0);
	ck_assert(!mcr_test_exists(out));
	/* only home/, cfg.json and token: no temp file either */
	ck_assert_int_eq(mcr_test_count_entries(dir), 3);
}

static const struct fault {
	const char *mode, *key, *extra, *needle, *needle2;
} faults[] = {
	{"forbidden", "ecdsa-p256", "", "HTTP 403 from vault", "permission denied"},
	{"error500", "rsa-2048", "", "HTTP 500 from vault", ": 1 error occurred: * internal error"},
	{"slow", "ecdsa-p256", ",\"timeout_ms\":300", "no answer from vault", "within 300 ms"},
	{"garbage", "ecdsa-p384", "", "bad reply from vault", "not JSON"},
	{"truncated", "rsa-2048", "", "incomplete reply from vault", NULL},
	{"truncated-json", "ed25519", "", "bad reply from vault", "not JSON"},
	{"wrong-key", "ecdsa-p256", "", "does not verify with its pinned ecdsa-p256 key", NULL},
	{"wrong-key", "ed25519", "", "does not verify with its pinned ed25519 key", NULL},
	{"wrong-pub", "rsa-3072", "", "holds another key than the public key", NULL},
	{"max-salt", "rsa-2048", "", "does not verify with its pinned rsa-2048 key", NULL},
	{"max-salt", "rsa-3072", "", "does not verify with its pinned rsa-3072 key", NULL},
	{"old-vault", "rsa-2048", "", "ignored a field (too old?)", "[salt_length]"},
	{"raw-ecdsa", "ecdsa-p384", "", "ECDSA signature", "DER"},
	{"no-prefix", "ecdsa-p256", "", "lacks the 'vault:vN:' prefix", NULL},
	{"wrong-version", "ed25519", "", "signed with key version 9, not the 3 asked for", NULL},
	{"echo-token", "ecdsa-p256", "", "HTTP 400 from vault", "token [redacted] may not sign"},
};

START_TEST(test_vault_faults)
{
	const struct fault *f = &faults[_i];
	const char *dir = mcr_test_tmpdir();
	const char *out = mcr_test_path("%s/signed.bin", dir);
	struct mcr_test_result r;

	set_mode(f->mode);
	sign_with(&r, config(dir, usual(dir, f->key, f->extra)), out);
	expect_failure(&r, dir, out, 4, f->needle, f->needle2);
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_vault_wrong_token)
{
	const char *dir = mcr_test_tmpdir();
	const char *out = mcr_test_path("%s/signed.bin", dir);
	const char *cfg = config(dir, usual(dir, "ecdsa-p256", ""));
	struct mcr_test_result r;
	cJSON *all;

	set_mode("ok");
	mcr_test_write(mcr_test_path("%s/token", dir), WRONG_TOKEN "\n", strlen(WRONG_TOKEN) + 1);
	sign_with(&r, cfg, out);
	expect_failure(&r, dir, out, 4, "HTTP 403 from vault", "permission denied");
	mcr_test_result_release(&r);
	all = requests();
	ck_assert_str_eq(field(cJSON_GetArrayItem(all, 0), "token"), WRONG_TOKEN);
	cJSON_Delete(all);
}
END_TEST

START_TEST(test_vault_tls_and_connection_failures)
{
	const char *dir = mcr_test_tmpdir();
	const char *out = mcr_test_path("%s/signed.bin", dir);
	const char *token = mcr_test_path("%s/token", dir);
	struct mcr_test_result r;

	set_mode("ok");
	mcr_test_write(token, TOKEN "\n", strlen(TOKEN) + 1);
	/* the server's certificate is not from the configured CA */
	sign_with(&r, config(dir, mcr_test_path("\"key_name\":\"ecdsa-p256\",\"token_file\":"
						"\"%s\",\"ca_file\":\"%s\"",
						token, in_base("other-ca.pem"))),
		  out);
	expect_failure(&r, dir, out, 4, "TLS failure with vault", "certificate");
	mcr_test_result_release(&r);
	/* nor from any system CA */
	sign_with(&r, config(dir, mcr_test_path("\"key_name\":\"ecdsa-p256\",\"token_file\":\"%s\"",
						token)),
		  out);
	expect_failure(&r, dir, out, 4, "TLS failure with vault", NULL);
	mcr_test_result_release(&r);
	/* nothing listens on port 1 */
	sign_with(&r, config_at(dir, "https://127.0.0.1:1", usual(dir, "ecdsa-p256", "")), out);
	expect_failure(&r, dir, out, 4, "cannot reach vault 'https://127.0.0.1:1'", NULL);
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_vault_config_refusals)
{
	const char *dir = mcr_test_tmpdir();
	const char *out = mcr_test_path("%s/signed.bin", dir);
	struct mcr_test_result r;
	cJSON *all;

	set_mode("ok");
	sign_with(&r, config(dir, usual(dir, "ed25519", ",\"token_env\":\"MCR_TEST_VAULT_TOKEN\"")),
		  out);
	expect_failure(&r, dir, out, 3, "sets both 'token_file' and 'token_env'", NULL);
	mcr_test_result_release(&r);
	mcr_test_write(mcr_test_path("%s/token", dir), "\n", 1);
	sign_with(&r, config(dir, mcr_test_path("\"key_name\":\"ed25519\",\"token_file\":"
						"\"%s/token\"", dir)),
		  out);
	expect_failure(&r, dir, out, 3, "empty vault token file", NULL);
	mcr_test_result_release(&r);
	unsetenv("MCR_TEST_VAULT_TOKEN");
	sign_with(&r,
		  config(dir, "\"key_name\":\"ed25519\",\"token_env\":\"MCR_TEST_VAULT_TOKEN\""),
		  out);
	expect_failure(&r, dir, out, 3, "no vault token in environment variable", NULL);
	mcr_test_result_release(&r);
	/* the fake saw nothing: config faults are refused before any request */
	all = requests();
	ck_assert_int_eq(cJSON_GetArraySize(all), 0);
	cJSON_Delete(all);
}
END_TEST

static Suite *vault_suite(void)
{
	Suite *s = suite_create("signer_vault");
	TCase *tc = tcase_create("vault");

	tcase_add_unchecked_fixture(tc, start_server, stop_server);
	tcase_add_loop_test(tc, test_vault_all_key_types, 0, 5);
	tcase_add_test(tc, test_vault_env_token_namespace_version);
	tcase_add_loop_test(tc, test_vault_faults, 0, (int)(sizeof(faults) / sizeof(faults[0])));
	tcase_add_test(tc, test_vault_wrong_token);
	tcase_add_test(tc, test_vault_tls_and_connection_failures);
	tcase_add_test(tc, test_vault_config_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(vault_suite());
}
