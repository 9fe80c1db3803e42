/* Remote and air-gapped signing end to end: 'request' on the runner, 'sign --request' or
 * 'serve --stdio' (through a real sshd) on the signing host, 'assemble' back on the runner. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "signfix.h"

/* Who asks, as the request says it; who connects, as the host's authorized_keys says it. */
#define TAG           "v1.2.3"
#define REQUESTER     "ci-job-7"
#define SSH_REQUESTER "ci-runner-1"
/* The kinds of the log's release events, in order, e.g. "sign.requested sign.completed". */
#define SIGN_KINDS "[.[] | .kind | select(startswith(\"sign.\"))] | join(\" \")"

/*
 * One world for the whole suite, made once in Check's parent process (an unchecked fixture):
 * the repository with its signed tag, two builds, the token, and a request made from them.
 * Each test, in its own forked process, gets a signing host of its own (fresh_host: config,
 * audit log, pin store, output directory) and never changes what the world holds.
 */
static struct mcr_signfix fx;
static char image[MCR_GITFIX_PATH_MAX];         /* the image the builders built */
static char runner_config[MCR_GITFIX_PATH_MAX]; /* pins the release public key, and no more */
static char made[MCR_GITFIX_PATH_MAX];          /* a request for it, as the runner made it */
static char made_id[37];
static char outdir[MCR_GITFIX_DIR_MAX + 64]; /* this test's own files: DIR/NAME */

/* A signing host reached over SSH: a real sshd whose one key may only run 'serve --stdio'. */
struct sshd {
	pid_t pid;
	int port;
	char dir[MCR_GITFIX_DIR_MAX + 128];    /* OUTDIR/sshd */
	char key[MCR_GITFIX_PATH_MAX];         /* the runner's private key */
	char known_hosts[MCR_GITFIX_PATH_MAX]; /* pins sshd's own host key */
	char log[MCR_GITFIX_PATH_MAX];         /* sshd -e writes here */
	char fingerprint[128];                 /* of the runner's key, as ssh-keygen -l prints it */
};

static struct sshd sshd;

static const char *out_path(const char *name)
{
	return mcr_test_path("%s/%s", outdir, name);
}

static bool contains(const struct mcr_buf *b, const char *needle)
{
	return b->len && memmem(b->data, b->len, needle, strlen(needle)) != NULL;
}

/* A runner's config: the product, the layout and the release signer's pinned public key. The
 * signer's token is on the signing host: the runner has no way to reach it. */
static void write_runner_config(const char *path, const char *signer, const char *public_key)
{
	struct mcr_buf text = MCR_BUF_INIT;

	mcr_buf_addf(&text, "{\n  \"product\": \"fw-test\",\n  \"signers\": {\"%s\": {\n", signer);
	mcr_buf_addf(&text,
	             "    \"type\": \"pkcs11\", \"uri\": \"pkcs11:token=hsm;object=release\",\n");
	mcr_buf_addf(&text, "    \"public_key\": \"%s\"}},\n", public_key);
	mcr_buf_addf(&text, "  \"policy\": {\"release_signer\": \"%s\"},\n", signer);
	mcr_buf_addf(&text, "  \"image\": {\"slot_size\": \"0x20000\"}\n}\n");
	mcr_test_write(path, text.data, text.len);
	mcr_buf_release(&text);
}

/* A fresh audit database and tag pin store for the host, by rewriting its config. */
static void use_log(const char *name)
{
	snprintf(fx.audit_db, sizeof(fx.audit_db), "%s/%s.audit.db", outdir, name);
	snprintf(fx.fw.git.pin_store, sizeof(fx.fw.git.pin_store), "%s/%s.pins.json", outdir, name);
	mcr_signfix_write_config(&fx);
}

/* This test's signing host: its own config, log and pin store, all in OUTDIR = DIR/NAME. */
static void fresh_host(const char *name)
{
	snprintf(outdir, sizeof(outdir), "%s/%s", fx.dir, name);
	mcr_test_sh_ok("mkdir -p '%s/signed'", outdir);
	snprintf(fx.fw.git.config, sizeof(fx.fw.git.config), "%s/host.json", outdir);
	use_log("host");
}

static const char *make_request(const char *path);

/* The world, with an Ed25519 release key (deterministic signatures); made once. */
static void setup_world(void)
{
	static bool made_already;

	if (made_already)
		return;
	mcr_signfix_release_key_type = "EC:edwards25519";
	mcr_signfix_setup(&fx, TAG);
	snprintf(runner_config, sizeof(runner_config), "%s/runner.json", fx.dir);
	write_runner_config(runner_config, "release", fx.release_pub);
	snprintf(image, sizeof(image), "%s", mcr_signfix_build(&fx, TAG));
	snprintf(made, sizeof(made), "%s/made.json", fx.dir);
	snprintf(made_id, sizeof(made_id), "%s", make_request(made));
	made_already = true;
}

/* What jq -r FILTER prints for the JSON text, trailing newline cut (static storage). */
static const char *jq_text(const char *json, const char *filter)
{
	static char value[16384];
	const char *argv[] = {"jq", "-r", filter, NULL};
	struct mcr_test_result r;

	mcr_test_exec(&r, argv, json);
	ck_assert_msg(r.status == 0, "jq '%s': %.*s", filter, (int)r.err.len, r.err.data);
	snprintf(value, sizeof(value), "%.*s", (int)r.out.len, r.out.data);
	if (r.out.len && value[strlen(value) - 1] == '\n')
		value[strlen(value) - 1] = '\0';
	mcr_test_result_release(&r);
	return value;
}

/* jq -r FILTER of a JSON file (static storage). */
static const char *jq(const char *path, const char *filter)
{
	struct mcr_buf text = MCR_BUF_INIT;
	const char *value;

	mcr_test_read(&text, path);
	value = jq_text((char *)text.data, filter);
	mcr_buf_release(&text);
	return value;
}

/* jq -r FILTER of the host's whole log, as 'audit log --json' gives it (static storage). */
static const char *log_jq(const char *filter)
{
	struct mcr_test_result r;
	const char *value;

	mcr_test_mcr(&r, NULL, "audit", "log", "--config", fx.fw.git.config, "--json", NULL);
	ck_assert_msg(r.status == 0, "audit log: %.*s", (int)r.err.len, r.err.data);
	value = jq_text((char *)r.out.data, filter);
	mcr_test_result_release(&r);
	return value;
}

/* A field of the data of the last event of kind in the host's log (static storage). */
static const char *last_event(const char *kind, const char *field)
{
	return log_jq(mcr_test_path("[.[] | select(.kind == \"%s\")][-1] | %s", kind, field));
}

/* 'mcurelease request' on the runner, for the tag as built; returns the request's id. */
static const char *make_request(const char *path)
{
	struct mcr_test_result r;
	char *why = NULL;

	mcr_test_mcr(&r, NULL, "request", "--config", runner_config, "--repo", fx.fw.git.repo,
	             "--tag", TAG, "--requester", REQUESTER, "-o", path, image,
	             mcr_signfix_record(&fx, TAG, "a"), mcr_signfix_record(&fx, TAG, "b"), NULL);
	ck_assert_msg(r.status == 0, "request: %d: %.*s", r.status, (int)r.err.len, r.err.data);
	ck_assert_msg(contains(&r.out, "written:  "), "%.*s", (int)r.out.len, r.out.data);
	mcr_test_result_release(&r);
	ck_assert_msg(mcr_test_schema_valid("sign-request.schema.json", path, &why), "request: %s",
	              why);
	return jq(path, ".request_id");
}

/* 'mcurelease sign --request REQUEST -o RESPONSE [extra]' on the signing host: its status. */
static int host_sign(struct mcr_test_result *r, const char *request, const char *response,
                     const char *extra)
{
	const char *argv[] = {MCR_TEST_BINARY, "sign",  "--config", fx.fw.git.config,
	                      "--request",     request, "-o",       response,
	                      extra,           NULL};

	mcr_test_exec(r, argv, NULL);
	return r->status;
}

static void host_sign_ok(const char *request, const char *response)
{
	struct mcr_test_result r;

	host_sign(&r, request, response, NULL);
	ck_assert_msg(r.status == 0, "sign --request: %d: %.*s", r.status, (int)r.err.len,
	              r.err.data);
	mcr_test_result_release(&r);
}

/* Exit status, and one line on stderr naming what was refused and why. */
static void assert_said(const struct mcr_test_result *r, int status, const char *said)
{
	ck_assert_msg(r->status == status, "want exit %d, got %d: %.*s", status, r->status,
	              (int)r->err.len, r->err.data);
	ck_assert_msg(r->err.len > 12 && !memcmp(r->err.data, "mcurelease: ", 12) &&
	                      memchr(r->err.data, '\n', r->err.len) ==
	                              (char *)r->err.data + r->err.len - 1,
	              "want one 'mcurelease: ' line on stderr: %.*s", (int)r->err.len, r->err.data);
	ck_assert_msg(contains(&r->err, said), "want '%s' on stderr: %.*s", said, (int)r->err.len,
	              r->err.data);
}

/* The response a refusal gets: the reason, the request it answers (id NULL: any), no signature. */
static void assert_refusal_response(const char *path, const char *id, const char *reason)
{
	char *why = NULL;

	ck_assert_msg(mcr_test_exists(path), "no response '%s'", path);
	ck_assert_msg(
	        !strcmp(jq(path, "[.outcome, .status, .reason] | map(tostring) | join(\" \")"),
	                mcr_test_path("refused 1 %s", reason)),
	        "want a refusal for %s, the response says %s", reason,
	        jq(path, "{request_id, outcome, status, reason} | tostring"));
	if (id)
		ck_assert_str_eq(jq(path, ".request_id"), id);
	ck_assert_str_eq(jq(path, "[.signature, .signed_at, .audit.requested] | tostring"),
	                 "[null,null,null]");
	ck_assert_msg(mcr_test_schema_valid("sign-response.schema.json", path, &why),
	              "response: %s", why);
}

/* The last sign.refused event names the request, reason and stage; the log is intact. */
static void assert_refusal_logged(const char *id, const char *reason, const char *stage)
{
	ck_assert_str_eq(last_event("sign.refused", ".data.reason"), reason);
	ck_assert_str_eq(last_event("sign.refused", ".data.stage"), stage);
	if (id)
		ck_assert_str_eq(last_event("sign.refused", ".data.request_id"), id);
	ck_assert_int_eq(mcr_signfix_audit_verify(&fx), 0);
}

/* --- The three deployments --------------------------------------------------------------- */

/* A free TCP port on 127.0.0.1, as the kernel hands one out. */
static int free_port(void)
{
	struct sockaddr_in addr = {.sin_family = AF_INET,
	                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert(fd >= 0);
	ck_assert(bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	ck_assert(getsockname(fd, (struct sockaddr *)&addr, &len) == 0);
	close(fd);
	return ntohs(addr.sin_port);
}

static bool port_accepts(int port)
{
	struct sockaddr_in addr = {.sin_family = AF_INET,
	                           .sin_port = htons((uint16_t)port),
	                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

static const char *sshd_log(void)
{
	static char text[8192];
	struct mcr_buf log = MCR_BUF_INIT;

	if (!mcr_test_exists(sshd.log))
		return "(no sshd log)";
	mcr_test_read(&log, sshd.log);
	snprintf(text, sizeof(text), "%.*s", (int)log.len, log.data);
	mcr_buf_release(&log);
	return text;
}

/* The forced command: the token's config and this run's sanitizer settings, then serve. sshd
 * passes the client no environment, so the command carries what the host's set-up would. */
static void forced_command(struct mcr_buf *out, const char *requester)
{
	static const char *const names[] = {"SOFTHSM2_CONF", "ASAN_OPTIONS", "UBSAN_OPTIONS",
	                                    "LSAN_OPTIONS", NULL};

	for (const char *const *n = names; *n; n++)
		if (getenv(*n))
			mcr_buf_addf(out, "%s=%s ", *n, getenv(*n));
	mcr_buf_addf(out, "%s serve --stdio --config %s --requester %s", MCR_TEST_BINARY,
	             fx.fw.git.config, requester);
}

static void write_sshd_files(const char *requester)
{
	struct mcr_buf text = MCR_BUF_INIT, key = MCR_BUF_INIT, host = MCR_BUF_INIT;
	const char *d = sshd.dir;

	mcr_buf_addf(
	        &text,
	        "Port %d\nListenAddress 127.0.0.1\nHostKey %s/host_key\nPidFile %s/sshd.pid\n"
	        "AuthorizedKeysFile %s/authorized_keys\nExposeAuthInfo yes\nUsePAM no\n"
	        "StrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
	        "PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nLogLevel VERBOSE\n",
	        sshd.port, d, d, d);
	mcr_test_write(mcr_test_path("%s/sshd_config", d), text.data, text.len);
	mcr_buf_release(&text);

	mcr_test_read(&key, mcr_test_path("%s/runner_key.pub", d));
	mcr_buf_addf(&text, "command=\"");
	forced_command(&text, requester);
	mcr_buf_addf(&text, "\",restrict %s", (char *)key.data);
	mcr_test_write(mcr_test_path("%s/authorized_keys", d), text.data, text.len);
	mcr_buf_release(&text);

	mcr_test_read(&host, mcr_test_path("%s/host_key.pub", d));
	mcr_buf_addf(&text, "[127.0.0.1]:%d %s", sshd.port, (char *)host.data);
	mcr_test_write(sshd.known_hosts, text.data, text.len);
	mcr_buf_release(&text);
	mcr_buf_release(&key);
	mcr_buf_release(&host);
}

static void sshd_stop(void)
{
	if (sshd.pid <= 0)
		return;
	kill(sshd.pid, SIGTERM);
	while (waitpid(sshd.pid, NULL, 0) < 0 && errno == EINTR)
		;
	sshd.pid = 0;
}

static void sshd_spawn(const char *conf)
{
	pid_t parent = getpid();

	sshd.pid = fork();
	ck_assert(sshd.pid >= 0);
	if (sshd.pid == 0) {
		int fd = open(sshd.log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent || fd < 0)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-e", "-f", conf, (char *)NULL);
		_exit(127);
	}
}

/* Waits until sshd accepts connections; false if it exited first (its port taken, say). */
static bool sshd_listening(void)
{
	for (int i = 0; i < 2000; i++) {
		if (port_accepts(sshd.port))
			return true;
		if (waitpid(sshd.pid, NULL, WNOHANG) != 0) {
			sshd.pid = 0;
			return false;
		}
		usleep(10000);
	}
	return false;
}

/*
 * Starts sshd -D on a free port of 127.0.0.1 with its own host key, the runner's key
 * authorized for 'serve --stdio --requester REQUESTER' only, ExposeAuthInfo on; waits until it
 * accepts connections. sshd dies with this test's process (PR_SET_PDEATHSIG), so a failed
 * assertion, which ends the process before any teardown, cannot leave it running.
 */
static void sshd_start(const char *requester)
{
	struct mcr_test_result r;
	const char *conf;

	snprintf(sshd.dir, sizeof(sshd.dir), "%s/sshd", outdir);
	snprintf(sshd.key, sizeof(sshd.key), "%s/runner_key", sshd.dir);
	snprintf(sshd.known_hosts, sizeof(sshd.known_hosts), "%s/known_hosts", sshd.dir);
	snprintf(sshd.log, sizeof(sshd.log), "%s/sshd.log", sshd.dir);
	mcr_test_sh_ok(
	        "mkdir -p '%s' && cd '%s' && ssh-keygen -q -t ed25519 -N '' -C host -f host_key && "
	        "ssh-keygen -q -t ed25519 -N '' -C %s -f runner_key",
	        sshd.dir, sshd.dir, requester);
	mcr_test_sh(&r, "ssh-keygen -lf '%s.pub' | cut -d' ' -f2", sshd.key);
	ck_assert_int_eq(r.status, 0);
	snprintf(sshd.fingerprint, sizeof(sshd.fingerprint), "%.*s",
	         (int)strcspn((char *)r.out.data, "\n"), (char *)r.out.data);
	mcr_test_result_release(&r);
	ck_assert_msg(!strncmp(sshd.fingerprint, "SHA256:", 7), "fingerprint '%s'",
	              sshd.fingerprint);
	/* the privilege separation directory sshd wants when root, which a container may lack */
	if (geteuid() == 0)
		ck_assert_msg(mkdir("/run/sshd", 0755) == 0 || errno == EEXIST, "/run/sshd: %s",
		              strerror(errno));

	conf = strdup(mcr_test_path("%s/sshd_config", sshd.dir));
	/* another process may take the free port before sshd binds it: then try another */
	for (int attempt = 0; attempt < 3 && sshd.pid <= 0; attempt++) {
		sshd.port = free_port();
		write_sshd_files(requester);
		sshd_spawn(conf);
		if (!sshd_listening())
			sshd_stop();
	}
	free((char *)conf);
	ck_assert_msg(sshd.pid > 0, "sshd does not listen on port %d: %s", sshd.port, sshd_log());
}

/* The runner's side: 'ssh -i KEY signing-host [COMMAND] < request' (the response on r->out). */
static void ssh_send(struct mcr_test_result *r, const char *key, const char *request_text,
                     const char *command)
{
	static const char *const options[] = {"BatchMode=yes",
	                                      "IdentitiesOnly=yes",
	                                      "IdentityAgent=none",
	                                      "StrictHostKeyChecking=yes",
	                                      "LogLevel=ERROR",
	                                      "ConnectTimeout=30",
	                                      NULL};
	const struct passwd *pw = getpwuid(getuid());
	char port[16], known_hosts[MCR_GITFIX_PATH_MAX + 32];
	const char *argv[32] = {"ssh", "-F", "/dev/null", "-p", port, "-i", key, "-l", pw->pw_name};
	int argc = 9;

	snprintf(port, sizeof(port), "%d", sshd.port);
	snprintf(known_hosts, sizeof(known_hosts), "UserKnownHostsFile=%s", sshd.known_hosts);
	argv[argc++] = "-o";
	argv[argc++] = known_hosts;
	for (const char *const *o = options; *o; o++) {
		argv[argc++] = "-o";
		argv[argc++] = *o;
	}
	argv[argc++] = "127.0.0.1";
	argv[argc++] = command; /* NULL: none */
	argv[argc] = NULL;
	mcr_test_exec(r, argv, request_text);
}

/* Sends a request file over SSH and keeps the response in a file; returns ssh's status. */
static int ssh_request(const char *request, const char *response, const char *command)
{
	struct mcr_test_result r;
	struct mcr_buf text = MCR_BUF_INIT;
	int status;

	mcr_test_read(&text, request);
	ssh_send(&r, sshd.key, (char *)text.data, command);
	status = r.status;
	if (status != 0)
		fprintf(stderr, "ssh: %d: %.*s\nsshd: %s\n", status, (int)r.err.len, r.err.data,
		        sshd_log());
	mcr_test_write(response, r.out.data, r.out.len);
	mcr_test_result_release(&r);
	mcr_buf_release(&text);
	return status;
}

static void teardown(void)
{
	sshd_stop();
}

static void assemble_ok(const char *request, const char *response, const char *out, const char *hex)
{
	struct mcr_test_result r;

	mcr_test_mcr(&r, NULL, "assemble", "--config", runner_config, "-o", out, "--hex", hex,
	             "--hex-addr", "0x10000", request, response, image, NULL);
	ck_assert_msg(r.status == 0, "assemble: %d: %.*s", r.status, (int)r.err.len, r.err.data);
	ck_assert_msg(contains(&r.out, "signed fw.bin 1.2.3+0 (tag v1.2.3"), "%.*s", (int)r.out.len,
	              r.out.data);
	mcr_test_result_release(&r);
}

/* What one deployment left: its log's kinds and signature, its files' provenance. */
struct deployment {
	const char *name;
	char kinds[512];
	char signature_sha256[65];
	char build_definition[8192];
};

static void note_deployment(struct deployment *d, const char *mode)
{
	const char *bin = out_path(mcr_test_path("%s.bin", d->name)), *hex, *statement;
	char *why = NULL;

	ck_assert_str_eq(log_jq(SIGN_KINDS), "sign.requested sign.completed");
	ck_assert_str_eq(last_event("sign.requested", ".data.mode"), mode);
	ck_assert_int_eq(mcr_signfix_audit_verify(&fx), 0);
	snprintf(d->kinds, sizeof(d->kinds), "%s", log_jq("[.[].kind] | join(\" \")"));
	snprintf(d->signature_sha256, sizeof(d->signature_sha256), "%s",
	         last_event("sign.completed", ".data.signature.sha256"));

	/* MCUboot boots it with the release key, as binary and as HEX */
	ck_assert_int_eq(mcr_signfix_verify_image(bin, fx.release_pub), 0);
	hex = out_path(mcr_test_path("%s.hex", d->name));
	ck_assert_int_eq(mcr_signfix_verify_image(hex, fx.release_pub), 0);
	statement = mcr_test_path("%s.intoto.json", bin);
	ck_assert_msg(mcr_test_schema_valid("provenance.schema.json", statement, &why), "%s: %s",
	              d->name, why);
	/* the same statement but for the request's id */
	snprintf(d->build_definition, sizeof(d->build_definition), "%s",
	         jq(statement,
	            "[(.predicate.buildDefinition | del(.internalParameters.request_id)), "
	            ".predicate.runDetails.builder, [.subject[].digest]] | tostring"));
}

START_TEST(test_three_deployments_same_image)
{
	struct deployment local = {.name = "local"}, file = {.name = "file"}, ssh = {.name = "ssh"};
	struct mcr_test_result r;
	const char *result;
	char *why = NULL;

	fresh_host("deployments");

	/* 1. all in one: the release job on the signing host */
	use_log("local");
	mcr_signfix_sign(&fx, &r, TAG, image, out_path("local.bin"), "--hex", out_path("local.hex"),
	                 "--hex-addr", "0x10000", NULL);
	ck_assert_msg(r.status == 0, "sign: %d: %.*s", r.status, (int)r.err.len, r.err.data);
	mcr_test_result_release(&r);
	note_deployment(&local, "local");

	/* 2. air-gapped: the request and the response carried as files */
	use_log("file");
	make_request(out_path("file.request.json"));
	host_sign(&r, out_path("file.request.json"), out_path("file.response.json"), "--json");
	ck_assert_msg(r.status == 0, "sign --request: %d: %.*s", r.status, (int)r.err.len,
	              r.err.data);
	result = strdup(out_path("file.result.json"));
	mcr_test_write(result, r.out.data, r.out.len);
	mcr_test_result_release(&r);
	ck_assert_msg(mcr_test_schema_valid("sign-result.schema.json", result, &why), "%s", why);
	ck_assert_str_eq(jq(result, ".outcome"), "signed");
	ck_assert_str_eq(jq(result, ".response"), out_path("file.response.json"));
	ck_assert_str_eq(jq(result, ".signed_image"), "null");
	ck_assert_msg(mcr_test_schema_valid("sign-response.schema.json",
	                                    out_path("file.response.json"), &why),
	              "%s", why);
	ck_assert_str_eq(jq(out_path("file.response.json"), "[.outcome, .key.name] | join(\" \")"),
	                 "signed release");
	assemble_ok(out_path("file.request.json"), out_path("file.response.json"),
	            out_path("file.bin"), out_path("file.hex"));
	note_deployment(&file, "remote");
	ck_assert_str_eq(last_event("sign.requested", ".data.requester"), REQUESTER);
	ck_assert_str_eq(last_event("sign.completed", ".data.signed_image"), "null");

	/* 3. remote: the request through sshd to the forced 'serve --stdio' */
	use_log("ssh");
	sshd_start(SSH_REQUESTER);
	make_request(out_path("ssh.request.json"));
	ck_assert_int_eq(
	        ssh_request(out_path("ssh.request.json"), out_path("ssh.response.json"), NULL), 0);
	ck_assert_msg(mcr_test_schema_valid("sign-response.schema.json",
	                                    out_path("ssh.response.json"), &why),
	              "%s", why);
	assemble_ok(out_path("ssh.request.json"), out_path("ssh.response.json"),
	            out_path("ssh.bin"), out_path("ssh.hex"));
	note_deployment(&ssh, "remote");
	sshd_stop();

	/* the same bytes, the same events, the same provenance */
	ck_assert(mcr_test_files_equal(out_path("local.bin"), out_path("file.bin")));
	ck_assert(mcr_test_files_equal(out_path("local.bin"), out_path("ssh.bin")));
	ck_assert(mcr_test_files_equal(out_path("local.hex"), out_path("file.hex")));
	ck_assert(mcr_test_files_equal(out_path("local.hex"), out_path("ssh.hex")));
	ck_assert_str_eq(file.kinds, local.kinds);
	ck_assert_str_eq(ssh.kinds, local.kinds);
	ck_assert_str_eq(file.signature_sha256, local.signature_sha256);
	ck_assert_str_eq(ssh.signature_sha256, local.signature_sha256);
	ck_assert_str_eq(file.build_definition, local.build_definition);
	ck_assert_str_eq(ssh.build_definition, local.build_definition);
	free((char *)result);
}
END_TEST

/* --- A request altered after it was made ------------------------------------------------- */

/* Python run on the request as 'req', with helpers for the tag's and the records' bytes. */
static const char alter_prelude[] =
        "import base64, hashlib, json, sys\n"
        "req = json.load(open(sys.argv[1]))\n"
        "def git_id(b): return hashlib.sha1(b'tag %d\\0' % len(b) + bytes(b)).hexdigest()\n"
        "def tag_raw(): return bytearray(base64.b64decode(req['tag']['raw']))\n"
        "def set_tag_raw(b, fix_ids=False):\n"
        "    req['tag']['raw'] = base64.b64encode(bytes(b)).decode()\n"
        "    if fix_ids: req['tag']['object'] = git_id(b)\n"
        "def flip(b, i): b[i] = ord('A') if b[i] != ord('A') else ord('B')\n"
        "def sig_byte(b): return b.index(b'\\n-----END SSH SIGNATURE') - 10\n"
        "def record(i): return bytearray(base64.b64decode(req['records'][i]['content']))\n"
        "def set_record(i, b): req['records'][i]['content'] = base64.b64encode(b).decode()\n";

static void alter(const char *in, const char *out, const char *edit)
{
	struct mcr_buf script = MCR_BUF_INIT;
	struct mcr_test_result r;
	const char *argv[] = {"/usr/bin/python3", "-c", NULL, in, out, NULL};

	mcr_buf_addf(&script, "%s%s\njson.dump(req, open(sys.argv[2], 'w'), indent=2)\n",
	             alter_prelude, edit);
	argv[2] = (char *)script.data;
	mcr_test_exec(&r, argv, NULL);
	ck_assert_msg(r.status == 0, "alter '%s': %.*s", edit, (int)r.err.len, r.err.data);
	mcr_test_result_release(&r);
	mcr_buf_release(&script);
}

/* What the one line on stderr must name besides what it says. */
enum subject { NAMES_SAID, NAMES_FILE, NAMES_ID, NAMES_RECORD };

struct alteration {
	const char *edit;     /* Python, see alter_prelude */
	const char *reason;   /* the host's reason code */
	const char *stage;    /* sign.refused's stage */
	enum subject subject; /* the altered request's file, its id, the record; or said says it */
	const char *said;     /* part of the one line on stderr */
};

static const struct alteration alterations[] = {
        /* the tag object's bytes, its id left as the runner said it */
        {"b = tag_raw(); b[b.index(b'Release v1.2.3')] ^= 0x20; set_tag_raw(b)",
         "request.tag_mismatch", "request", NAMES_FILE, "claims tag object"},
        {"b = tag_raw(); flip(b, sig_byte(b)); set_tag_raw(b)", "request.tag_mismatch", "request",
         NAMES_FILE, "claims tag object"},
        /* ... and with the id made to match the altered bytes */
        {"b = tag_raw(); b[b.index(b'Release v1.2.3')] ^= 0x20; set_tag_raw(b, fix_ids=True)",
         "tag.bad_signature", "tag", NAMES_SAID, "bad SSH signature on tag 'v1.2.3'"},
        {"b = tag_raw(); flip(b, sig_byte(b)); set_tag_raw(b, fix_ids=True)", "tag.bad_signature",
         "tag", NAMES_SAID, "bad SSH signature on tag 'v1.2.3'"},
        {"b = tag_raw(); set_tag_raw(b[:b.index(b'-----BEGIN SSH SIGNATURE')], fix_ids=True)",
         "tag.unsigned", "request", NAMES_SAID, "tag 'v1.2.3' is not signed"},
        {"req['tag']['name'] = 'v1.2.4'", "tag.name_mismatch", "request", NAMES_SAID,
         "tag object for 'v1.2.4' names itself 'v1.2.3'"},
        {"b = record(0); b[b.index(b'builder-a@') + 8] = ord('A'); set_record(0, b)",
         "records.bad_signature", "records", NAMES_RECORD, "bad signature on build record"},
        {"del req['records'][1]", "records.too_few", "records", NAMES_SAID,
         "only 1 of the 2 builders required agree on tag 'v1.2.3'"},
        {"d = req['image']['digest']; req['image']['digest'] = ('1' if d[0] == '0' else '0') + "
         "d[1:]",
         "records.disagree", "records", NAMES_RECORD, "has the image's digest"},
        {"req['image']['layout']['version'] = '1.2.4+0'", "image.version", "image", NAMES_ID,
         "lays the image out as version 1.2.4+0"},
        {"req['image']['layout']['security_counter'] = 1", "image.security_counter", "image",
         NAMES_ID, "carries security counter 1,"},
        {"req['image']['layout']['key_fingerprint'] = 'ab' * 32", "request.other_key", "request",
         NAMES_ID, "was laid out for key abababababababab"},
        {"req['product'] = 'other-product'", "request.other_product", "request", NAMES_ID,
         "is for product 'other-product'"},
        {"req['signer'] = 'dev'", "request.other_signer", "request", NAMES_ID,
         "asks for signer 'dev'"},
};

/* Refused on the host with a response saying why and a sign.refused event; nothing signed. */
START_TEST(test_altered_request_refused)
{
	const struct alteration *a = &alterations[_i];
	const char *altered, *response, *subject;
	struct mcr_test_result r;

	fresh_host(mcr_test_path("altered-%d", _i));
	altered = strdup(out_path("altered.json"));
	response = strdup(out_path("altered.response.json"));
	alter(made, altered, a->edit);
	host_sign(&r, altered, response, NULL);
	assert_said(&r, 1, a->said);
	subject = a->subject == NAMES_FILE ? mcr_test_path("'%s'", altered)
	          : a->subject == NAMES_ID ? mcr_test_path("request %s", made_id)
	          : a->subject == NAMES_RECORD
	                  ? mcr_test_path("build record '%s'", mcr_signfix_record(&fx, TAG, "a"))
	                  : a->said;
	assert_said(&r, 1, subject);
	mcr_test_result_release(&r);
	assert_refusal_response(response, made_id, a->reason);
	assert_refusal_logged(made_id, a->reason, a->stage);
	ck_assert_str_eq(log_jq(SIGN_KINDS), "sign.refused");

	/* the request as it was made is signed: the alteration alone was refused */
	host_sign_ok(made, out_path("made.response.json"));
	ck_assert_str_eq(log_jq(SIGN_KINDS), "sign.refused sign.requested sign.completed");
	free((char *)altered);
	free((char *)response);
}
END_TEST

/* --- assemble: what does not belong is refused, and nothing is written ------------------- */

/* The world's request signed by this test's host: OUTDIR/resp.json. */
static void sign_made(const char *name)
{
	fresh_host(name);
	host_sign_ok(made, out_path("resp.json"));
}

/*
 * 'assemble --json' of request, response and image into OUTDIR/signed (key: --key instead of
 * the runner's config): refused with status and reason, said on one line, no file written.
 */
static void assemble_refused(const char *request, const char *response, const char *img,
                             const char *key, int status, const char *reason, const char *said)
{
	const char *result = strdup(out_path("assemble.result.json"));
	struct mcr_test_result r;
	char *why = NULL;

	mcr_test_mcr(&r, NULL, "assemble", "--json", key ? "--key" : "--config",
	             key ? key : runner_config, "-o", out_path("signed/fw.bin"), "--hex",
	             out_path("signed/fw.hex"), "--hex-addr", "0x10000", request, response, img,
	             NULL);
	assert_said(&r, status, said);
	mcr_test_write(result, r.out.data, r.out.len);
	mcr_test_result_release(&r);
	ck_assert_msg(mcr_test_schema_valid("sign-result.schema.json", result, &why), "%s", why);
	ck_assert_str_eq(jq(result, ".reason"), reason);
	ck_assert_str_eq(jq(result, "[.signed_image, .signed_hex, .provenance] | tostring"),
	                 "[null,null,null]");
	ck_assert_int_eq(mcr_test_count_entries(out_path("signed")), 0);
	free((char *)result);
}

/* Another request for the same tag and image, answered with the first one's response. */
START_TEST(test_assemble_other_request)
{
	char *other;

	sign_made("assemble-other-request");
	other = strdup(make_request(out_path("other.json")));
	ck_assert_str_ne(other, made_id);
	assemble_refused(out_path("other.json"), out_path("resp.json"), image, NULL, 1,
	                 "response.other_request",
	                 mcr_test_path("response is for request %s", made_id));
	free(other);
}
END_TEST

/* A response signed by a key other than the one the runner pins. */
START_TEST(test_assemble_other_key)
{
	const char *runner;

	sign_made("assemble-other-key");
	runner = strdup(runner_config);

	/* the runner pins another key than the host's */
	mcr_test_sh_ok("cd '%s' && openssl genpkey -algorithm ED25519 -out other.pem && "
	               "openssl pkey -in other.pem -pubout -out other.pub.pem",
	               outdir);
	assemble_refused(made, out_path("resp.json"), image, out_path("other.pub.pem"), 1,
	                 "response.other_key", "the runner pins key");

	/* a genuine response of a second signing world (another host with another key: the
	 * command signer's P-256 key), passed off as the answer to this request */
	snprintf(fx.fw.git.config, sizeof(fx.fw.git.config), "%s/second-host.json", outdir);
	fx.fake_modes[0] = "ok";
	fx.release_signer = "fake-ok";
	use_log("second-host");
	snprintf(runner_config, sizeof(runner_config), "%s/second-runner.json", outdir);
	write_runner_config(runner_config, "fake-ok", mcr_test_path("%s/cmd.pub.pem", fx.dir));
	make_request(out_path("second.json"));
	host_sign_ok(out_path("second.json"), out_path("second.response.json"));
	ck_assert_str_eq(jq(out_path("second.response.json"), ".outcome"), "signed");
	mcr_test_sh_ok("jq '.request_id = \"%s\"' '%s' > '%s'", made_id,
	               out_path("second.response.json"), out_path("relabelled.json"));
	snprintf(runner_config, sizeof(runner_config), "%s", runner);
	assemble_refused(made, out_path("relabelled.json"), image, NULL, 1, "response.other_key",
	                 "the runner pins key");

	/* the same, claiming the pinned key's fingerprint: its signature gives it away */
	mcr_test_sh_ok(
	        "jq --arg fp \"$(jq -r .key.fingerprint '%s')\" '.key.fingerprint = $fp' '%s' "
	        "> '%s'",
	        out_path("resp.json"), out_path("relabelled.json"), out_path("disguised.json"));
	assemble_refused(made, out_path("disguised.json"), image, NULL, 1, "response.bad_signature",
	                 "does not verify with the pinned key");
	free((char *)runner);
}
END_TEST

START_TEST(test_assemble_bad_signature)
{
	sign_made("assemble-bad-signature");

	/* one character of the signature changed */
	mcr_test_sh_ok("jq '.signature |= (if .[4:5] == \"A\" then .[0:4] + \"B\" + .[5:] "
	               "else .[0:4] + \"A\" + .[5:] end)' '%s' > '%s'",
	               out_path("resp.json"), out_path("flipped.json"));
	assemble_refused(made, out_path("flipped.json"), image, NULL, 1, "response.bad_signature",
	                 mcr_test_path("response to request %s does not verify", made_id));

	/* a well-formed Ed25519 signature of the very digest, by a key nobody pinned */
	mcr_test_sh_ok(
	        "cd '%s' && openssl genpkey -algorithm ED25519 -out forger.pem && "
	        "jq -r .image.digest '%s' | /usr/bin/python3 -c 'import sys; "
	        "sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read()))' > digest.bin && "
	        "jq --arg s \"$(openssl pkeyutl -sign -inkey forger.pem -rawin -in digest.bin | "
	        "base64 -w0)\" '.signature = $s' resp.json > forged.json",
	        outdir, made);
	assemble_refused(made, out_path("forged.json"), image, NULL, 1, "response.bad_signature",
	                 "does not verify with the pinned key");
}
END_TEST

/* The host said no: assemble ends there, with the host's outcome, status, reason code and
 * message. */
START_TEST(test_assemble_refused_response)
{
	struct mcr_test_result r;
	char *host_message;

	fresh_host("assemble-refused");
	alter(made, out_path("altered.json"), "req['image']['layout']['version'] = '1.2.4+0'");
	host_sign(&r, out_path("altered.json"), out_path("refusal.json"), NULL);
	ck_assert_int_eq(r.status, 1);
	mcr_test_result_release(&r);
	assemble_refused(out_path("altered.json"), out_path("refusal.json"), image, NULL, 1,
	                 "image.version", "lays the image out as version 1.2.4+0");
	host_message = strdup(jq(out_path("refusal.json"), ".message"));
	ck_assert_str_eq(jq(out_path("assemble.result.json"), ".outcome"), "refused");
	ck_assert_str_eq(
	        jq(out_path("assemble.result.json"), ".message"),
	        mcr_test_path("signing host refused request %s: %s", made_id, host_message));

	/* a failure is not a refusal: with the token absent, the host's status comes back */
	mcr_test_sh_ok(
	        "mkdir -p '%s/no-token/tokens' && sed 's|^directories.tokendir.*|"
	        "directories.tokendir = %s/no-token/tokens|' '%s' > '%s/no-token/softhsm2.conf'",
	        outdir, outdir, fx.hsm.conf, outdir);
	setenv("SOFTHSM2_CONF", out_path("no-token/softhsm2.conf"), 1);
	host_sign(&r, made, out_path("failure.json"), NULL);
	setenv("SOFTHSM2_CONF", fx.hsm.conf, 1);
	ck_assert_msg(r.status == 4, "want 4, got %d: %.*s", r.status, (int)r.err.len, r.err.data);
	mcr_test_result_release(&r);
	ck_assert_str_eq(jq(out_path("failure.json"), "[.outcome, .status, .reason] | join(\" \")"),
	                 "failed 4 signer");
	assemble_refused(made, out_path("failure.json"), image, NULL, 4, "signer", "token absent");
	free(host_message);
}
END_TEST

/* A response that says signed but names no sign.completed event: the host never recorded
 * the signature, so the runner never uses it, however well it verifies. */
START_TEST(test_assemble_not_completed)
{
	sign_made("assemble-not-completed");
	mcr_test_sh_ok("jq '.audit.completed = null' '%s' > '%s'", out_path("resp.json"),
	               out_path("uncompleted.json"));
	assemble_refused(made, out_path("uncompleted.json"), image, NULL, 1,
	                 "response.not_completed",
	                 mcr_test_path("response to request %s says signed but names no "
	                               "sign.completed event",
	                               made_id));
}
END_TEST

/* Another image than the request's: one byte changed, same size. */
START_TEST(test_assemble_other_image)
{
	const char *other;

	sign_made("assemble-other-image");
	other = strdup(out_path("other.bin"));
	mcr_test_sh_ok("cp '%s' '%s' && printf '\\252' | dd of='%s' bs=1 seek=4096 conv=notrunc "
	               "status=none",
	               image, other, other);
	ck_assert(!mcr_test_files_equal(image, other));
	assemble_refused(made, out_path("resp.json"), other, NULL, 1, "image.changed",
	                 mcr_test_path("image '%s' is not the image request %s was made from",
	                               other, made_id));

	/* the image itself still assembles: the refusal was about the bytes */
	assemble_ok(made, out_path("resp.json"), out_path("fw.signed.bin"),
	            out_path("fw.signed.hex"));
	free((char *)other);
}
END_TEST

/* --- Requests that cannot be read -------------------------------------------------------- */

struct unreadable {
	const char *what;
	const char *text;    /* the request; NULL: the world's request, edited by jq_edit */
	const char *jq_edit; /* NULL with text NULL: over 4 MiB; "twice": the request twice */
	bool keeps_id;       /* the response and the event carry the request's own id */
	const char *reason;
	const char *said; /* part of the one line on stderr */
};

static const struct unreadable unreadables[] = {
        {"oversize", NULL, NULL, false, "request.too_large", "is larger than 4194304 bytes"},
        {"not JSON", "this is not a request\n", NULL, false, "request.malformed",
         "malformed JSON in"},
        {"empty", "", NULL, false, "request.malformed", "malformed JSON in"},
        {"a JSON array", "[\"mcurelease.sign-request/v1\"]", NULL, false, "request.malformed",
         "is not a JSON object"},
        {"another format", "{\"format\": \"mcurelease.sign-request/v2\"}", NULL, false,
         "request.malformed", "is not a signing request (format 'mcurelease.sign-request/v2')"},
        {"two requests in one", NULL, "twice", true, "request.malformed",
         "trailing data after JSON"},
        {"an unknown key", NULL, ".x_comment = \"trust me\"", true, "request.malformed",
         "unknown key 'x_comment'"},
        {"an unknown key inside", NULL, ".image.layout.x_fast = true", true, "request.malformed",
         "unknown key 'x_fast'"},
        {"a wrong type", NULL, ".image.size = \"large\"", true, "request.malformed",
         "key 'size' in"},
        {"a bad request id", NULL, ".request_id = \"1234\"", false, "request.malformed",
         "malformed request_id"},
};

/* The request text of a case (caller frees). */
static char *unreadable_text(const struct unreadable *c)
{
	struct mcr_test_result r;
	char *text;

	if (c->text)
		return strdup(c->text);
	if (!c->jq_edit) {
		size_t len = (4u << 20) + 4096;

		text = malloc(len + 1);
		ck_assert_ptr_nonnull(text);
		memset(text, ' ', len);
		text[0] = '{';
		text[len - 1] = '}';
		text[len] = '\0';
		return text;
	}
	if (!strcmp(c->jq_edit, "twice"))
		mcr_test_sh(&r, "cat '%s' '%s'", made, made);
	else
		mcr_test_sh(&r, "jq '%s' '%s'", c->jq_edit, made);
	ck_assert_int_eq(r.status, 0);
	text = strndup((char *)r.out.data, r.out.len);
	mcr_test_result_release(&r);
	return text;
}

/* Through 'serve --stdio' on a pipe and through 'sign --request': a refusal response each time,
 * and a sign.refused event each time; the request's id kept when it names a good one. */
START_TEST(test_unreadable_request_refused)
{
	const struct unreadable *c = &unreadables[_i];
	const char *id = c->keeps_id ? made_id : NULL, *file, *response;
	struct mcr_test_result r;
	char *text, *answered;

	fresh_host(mcr_test_path("unreadable-%d", _i));
	file = strdup(out_path("unreadable.json"));
	response = strdup(out_path("unreadable.response.json"));
	text = unreadable_text(c);

	/* on a pipe, as sshd would run it */
	mcr_test_mcr(&r, text, "serve", "--stdio", "--config", fx.fw.git.config, NULL);
	assert_said(&r, 1, "standard input");
	assert_said(&r, 1, c->said);
	mcr_test_write(response, r.out.data, r.out.len);
	mcr_test_result_release(&r);
	assert_refusal_response(response, id, c->reason);
	answered = strdup(jq(response, ".request_id"));
	assert_refusal_logged(answered, c->reason, "request");
	ck_assert_str_eq(log_jq(SIGN_KINDS), "sign.refused");
	free(answered);

	/* as a file carried to the signing host */
	mcr_test_write(file, text, strlen(text));
	host_sign(&r, file, response, NULL);
	assert_said(&r, 1, file);
	assert_said(&r, 1, c->said);
	mcr_test_result_release(&r);
	assert_refusal_response(response, id, c->reason);
	answered = strdup(jq(response, ".request_id"));
	assert_refusal_logged(answered, c->reason, "request");
	ck_assert_str_eq(log_jq(SIGN_KINDS), "sign.refused sign.refused");
	free(answered);
	free(text);
	free((char *)file);
	free((char *)response);
}
END_TEST

/* --- serve --stdio behind a real sshd ---------------------------------------------------- */

START_TEST(test_ssh_forced_command)
{
	const char *victim, *canary;
	struct mcr_test_result r;
	struct mcr_buf two = MCR_BUF_INIT, second = MCR_BUF_INIT;
	char *actor, *why = NULL;

	fresh_host("ssh");
	sshd_start(SSH_REQUESTER);
	victim = strdup(out_path("victim"));
	canary = strdup(out_path("canary"));
	mcr_test_sh_ok("mkdir '%s' && touch '%s/precious'", victim, victim);

	/* whatever the client asks to run, its key runs 'serve --stdio' and nothing else */
	ck_assert_int_eq(ssh_request(made, out_path("resp.json"),
	                             mcr_test_path("rm -rf %s; touch %s", victim, canary)),
	                 0);
	ck_assert(mcr_test_exists(mcr_test_path("%s/precious", victim)));
	ck_assert(!mcr_test_exists(canary));
	ck_assert_msg(
	        mcr_test_schema_valid("sign-response.schema.json", out_path("resp.json"), &why),
	        "%s", why);
	ck_assert_str_eq(jq(out_path("resp.json"), ".outcome + \" \" + .request_id"),
	                 mcr_test_path("signed %s", made_id));

	/* who asked: the runner's word in the data; who connected (the key sshd saw): the actor */
	actor = strdup(
	        mcr_test_path("ssh:%s key %s from 127.0.0.1", SSH_REQUESTER, sshd.fingerprint));
	ck_assert_str_eq(last_event("sign.requested", ".actor"), actor);
	ck_assert_str_eq(last_event("sign.requested", ".data.requester"), REQUESTER);
	ck_assert_str_eq(last_event("sign.completed", ".actor"), actor);

	/* one connection, one request: a second request behind the first is not served */
	make_request(out_path("second.json"));
	mcr_test_read(&two, made);
	mcr_test_read(&second, out_path("second.json"));
	mcr_buf_add(&two, second.data, second.len);
	ssh_send(&r, sshd.key, (char *)two.data, NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(jq_text((char *)r.out.data, "[inputs] | length | tostring"), "0");
	ck_assert_str_eq(jq_text((char *)r.out.data, "[.outcome, .reason] | join(\" \")"),
	                 "refused request.malformed");
	mcr_test_result_release(&r);
	ck_assert_str_eq(log_jq(SIGN_KINDS), "sign.requested sign.completed sign.refused");
	ck_assert_str_eq(last_event("sign.refused", ".actor"), actor);

	/* a key sshd does not know is not let in, and nothing is recorded */
	mcr_test_sh_ok("ssh-keygen -q -t ed25519 -N '' -f '%s'", out_path("stranger"));
	ssh_send(&r, out_path("stranger"), (char *)second.data, NULL);
	ck_assert_int_eq(r.status, 255);
	ck_assert_int_eq((int)r.out.len, 0);
	mcr_test_result_release(&r);
	ck_assert_str_eq(log_jq(SIGN_KINDS), "sign.requested sign.completed sign.refused");
	ck_assert_int_eq(mcr_signfix_audit_verify(&fx), 0);
	sshd_stop();

	/* and what came back over SSH assembles */
	assemble_ok(made, out_path("resp.json"), out_path("fw.signed.bin"),
	            out_path("fw.signed.hex"));
	ck_assert_int_eq(mcr_signfix_verify_image(out_path("fw.signed.bin"), fx.release_pub), 0);
	mcr_buf_release(&two);
	mcr_buf_release(&second);
	free(actor);
	free((char *)victim);
	free((char *)canary);
}
END_TEST

/* --- The host judges "the same image" by the digest, never by the runner's SHA-256 -------- */

START_TEST(test_host_ignores_claimed_image_hash)
{
	fresh_host("claimed-hash");
	host_sign_ok(made, out_path("first.json"));
	/* the same digest again, claiming other file bytes: signing it again is idempotent */
	alter(made, out_path("claims.json"),
	      "req['image']['sha256'] = 'ab' * 32\n"
	      "req['request_id'] = str(__import__('uuid').uuid4())");
	host_sign_ok(out_path("claims.json"), out_path("again.json"));
	ck_assert_str_eq(log_jq(SIGN_KINDS),
	                 "sign.requested sign.completed sign.idempotent sign.completed");
	ck_assert_str_eq(jq(out_path("again.json"), ".outcome"), "signed");
}
END_TEST

/* request --key pins the key on the command line over the config's: the layout names it, and
 * a host whose release key it is not refuses the request. */
START_TEST(test_request_key_option)
{
	struct mcr_test_result r;
	const char *other = mcr_test_path("%s/cmd.pub.pem", fx.dir);
	char *pinned;

	fresh_host("request-key");
	pinned = strdup(jq(made, ".image.layout.key_fingerprint"));
	mcr_test_mcr(&r, NULL, "request", "--config", runner_config, "--repo", fx.fw.git.repo,
	             "--tag", TAG, "--key", other, "-o", out_path("other-key.json"), image,
	             mcr_signfix_record(&fx, TAG, "a"), mcr_signfix_record(&fx, TAG, "b"), NULL);
	ck_assert_msg(r.status == 0, "request --key: %.*s", (int)r.err.len, r.err.data);
	mcr_test_result_release(&r);
	ck_assert_str_ne(jq(out_path("other-key.json"), ".image.layout.key_fingerprint"), pinned);
	host_sign(&r, out_path("other-key.json"), out_path("other-key.response.json"), NULL);
	assert_said(&r, 1, "was laid out for key");
	mcr_test_result_release(&r);
	assert_refusal_response(out_path("other-key.response.json"), NULL, "request.other_key");
	free(pinned);
}
END_TEST

/* The signer answers, but the host's log refuses sign.completed (a full disk between the two
 * appends): the response says failed and carries no signature; the log says why. */
START_TEST(test_host_withholds_uncompleted_signature)
{
	struct mcr_test_result r;
	const char *request;

	fresh_host("lose-completion");
	request = strdup(out_path("cmd-key.json"));
	/* a request for the command signer's key, which the fake signer holds */
	mcr_test_mcr(&r, NULL, "request", "--config", runner_config, "--repo", fx.fw.git.repo,
	             "--tag", TAG, "--key", mcr_test_path("%s/cmd.pub.pem", fx.dir), "-o", request,
	             image, mcr_signfix_record(&fx, TAG, "a"), mcr_signfix_record(&fx, TAG, "b"),
	             NULL);
	ck_assert_msg(r.status == 0, "request: %.*s", (int)r.err.len, r.err.data);
	mcr_test_result_release(&r);
	alter(request, request, "req['signer'] = 'fake-lose-completion'");
	fx.fake_modes[0] = "lose-completion";
	fx.release_signer = "fake-lose-completion";
	mcr_signfix_write_config(&fx);
	mcr_test_write(mcr_test_path("%s/audit_db", fx.state), fx.audit_db, strlen(fx.audit_db));

	host_sign(&r, request, out_path("resp.json"), NULL);
	ck_assert_msg(r.status == 5, "want exit 5, got %d: %.*s", r.status, (int)r.err.len,
	              r.err.data);
	ck_assert(contains(&r.err, "disk is full (injected)"));
	mcr_test_result_release(&r);
	ck_assert_str_eq(jq(out_path("resp.json"), "[.outcome, .status] | map(tostring) | join(\" \")"),
	                 "failed 5");
	ck_assert_str_eq(jq(out_path("resp.json"),
	                    "[.signature, .signed_at, .audit.completed] | tostring"),
	                 "[null,null,null]");
	ck_assert_str_eq(log_jq(SIGN_KINDS), "sign.requested sign.failed");
	ck_assert_str_eq(last_event("sign.failed", ".data.stage"), "complete");
	free((char *)request);
}
END_TEST

/* --- Dry run on the signing host --------------------------------------------------------- */

START_TEST(test_host_dry_run)
{
	struct mcr_test_result r;

	fresh_host("dry-run");
	host_sign(&r, made, out_path("resp.json"), "--dry-run");
	ck_assert_msg(r.status == 0, "dry run: %.*s", (int)r.err.len, r.err.data);
	ck_assert(contains(&r.out, "would sign: tag v1.2.3"));
	ck_assert(contains(&r.out, "-> signer 'release' (ed25519"));
	mcr_test_result_release(&r);
	ck_assert(!mcr_test_exists(out_path("resp.json")));
	ck_assert_str_eq(log_jq("length | tostring"), "0");
	ck_assert(!mcr_test_exists(fx.fw.git.pin_store));

	/* a refusal in a dry run is said, not recorded, and gets no response */
	alter(made, out_path("altered.json"), "req['image']['layout']['version'] = '1.2.4+0'");
	host_sign(&r, out_path("altered.json"), out_path("resp.json"), "-n");
	assert_said(&r, 1, "lays the image out as version 1.2.4+0");
	ck_assert(contains(&r.out, "would refuse: tag v1.2.3"));
	mcr_test_result_release(&r);
	ck_assert(!mcr_test_exists(out_path("resp.json")));
	ck_assert(!mcr_test_exists(out_path("altered.response.json")));
	ck_assert_str_eq(log_jq("length | tostring"), "0");

	/* the dry run used nothing up: the request is then signed as a first request */
	host_sign_ok(made, out_path("resp.json"));
	ck_assert_str_eq(log_jq(SIGN_KINDS), "sign.requested sign.completed");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("remote");
	TCase *deploy = tcase_create("deployments");
	TCase *altered = tcase_create("altered");
	TCase *assemble = tcase_create("assemble");
	TCase *unreadable = tcase_create("unreadable");
	TCase *ssh = tcase_create("ssh");
	TCase *host = tcase_create("host");
	TCase *all[] = {deploy, altered, assemble, unreadable, ssh, host};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		tcase_add_unchecked_fixture(all[i], setup_world, NULL);
		tcase_add_checked_fixture(all[i], NULL, teardown);
		suite_add_tcase(s, all[i]);
	}
	tcase_add_test(deploy, test_three_deployments_same_image);
	tcase_add_loop_test(altered, test_altered_request_refused, 0,
	                    sizeof(alterations) / sizeof(alterations[0]));
	tcase_add_test(assemble, test_assemble_other_request);
	tcase_add_test(assemble, test_assemble_other_key);
	tcase_add_test(assemble, test_assemble_bad_signature);
	tcase_add_test(assemble, test_assemble_refused_response);
	tcase_add_test(assemble, test_assemble_other_image);
	tcase_add_test(assemble, test_assemble_not_completed);
	tcase_add_loop_test(unreadable, test_unreadable_request_refused, 0,
	                    sizeof(unreadables) / sizeof(unreadables[0]));
	tcase_add_test(ssh, test_ssh_forced_command);
	tcase_add_test(host, test_host_dry_run);
	tcase_add_test(host, test_host_withholds_uncompleted_signature);
	tcase_add_test(host, test_request_key_option);
	tcase_add_test(host, test_host_ignores_claimed_image_hash);
	return mcr_test_main(s);
}
