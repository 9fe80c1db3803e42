/* The command signer: runs a configured argv (never a shell) that signs a digest with a key kept
 * elsewhere. */
#include "signer.h"

#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "hash.h"
#include "json.h"
#include "proc.h"
#include "signer_command_args.h"
#include "signer_command_reply.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 60000
#define REPLY_MAX          65536 /* stdout or signature file; a signature is at most 512 bytes */
#define STDERR_MAX         4096  /* we only ever show one line of it */
#define STDERR_LINE_MAX    200
#define EXIT_TEMPFAIL      75   /* sysexits.h EX_TEMPFAIL: throttled or a network blip, try again */
#define EXIT_NOPERM        77   /* sysexits.h EX_NOPERM: authentication or permission refused */
#define DEFAULT_BACKOFF_MS 1000 /* retries wait 1, 2, 4 ... times this */
#define MAX_BACKOFF_MS     30000
#define BACKOFF_ENV        "MCURELEASE_COMMAND_BACKOFF_MS"

enum input_mode { INPUT_STDIN, INPUT_FILE, INPUT_NONE };

static const char *const input_names[] = {"stdin", "file", "none", NULL};
static const char *const encoding_names[] = {"raw", "base64", "base64url", "hex", "vault"};

struct command_state {
	char *name;
	char **argv;     /* as configured, placeholders unexpanded, but argv[0] resolved */
	char **env_pass; /* names only: values are read when the command runs */
	char *key_id;
	char program_sha256[65];
	enum input_mode input;
	bool output_file;
	enum mcr_signer_command_encoding encoding;
	enum mcr_sig_format ecdsa_format;
	unsigned retries;
	unsigned timeout_ms;
	unsigned backoff_ms;
	unsigned attempts;         /* of the last sign call */
	unsigned long key_version; /* N of the last "vault:vN:" reply */
};

static void command_close(void *state)
{
	struct command_state *cs = state;

	if (!cs)
		return;
	mcr_signer_command_args_free(cs->argv);
	mcr_signer_command_args_free(cs->env_pass);
	free(cs->key_id);
	free(cs->name);
	free(cs);
}

static int copy_strv(char ***out, const char *const *strv)
{
	size_t n = 0;
	char **copy;

	*out = NULL;
	while (strv && strv[n])
		n++;
	if (!(copy = calloc(n + 1, sizeof(*copy))))
		return mcr_error(MCR_ESYS, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (!(copy[i] = strdup(strv[i]))) {
			mcr_signer_command_args_free(copy);
			return mcr_error(MCR_ESYS, "out of memory");
		}
	*out = copy;
	return 0;
}

static int index_of(const char *value, const char *const *names, size_t count, int fallback)
{
	if (!value)
		return fallback;
	for (size_t i = 0; i < count; i++)
		if (!strcmp(value, names[i]))
			return (int)i;
	return -1;
}

/* The base delay between retries: tests shorten it through the environment. */
static unsigned backoff_base_ms(void)
{
	const char *text = getenv(BACKOFF_ENV);
	char *end;
	unsigned long ms;

	if (!text || !*text)
		return DEFAULT_BACKOFF_MS;
	ms = strtoul(text, &end, 10);
	return *end || ms > MAX_BACKOFF_MS ? DEFAULT_BACKOFF_MS : (unsigned)ms;
}

/* The choices config.c checks too; checked again because a config can be built in code. */
static int read_modes(struct command_state *cs, const struct mcr_signer_config *cfg)
{
	int input = index_of(cfg->command_input, input_names, 3, INPUT_STDIN);
	int format = index_of(cfg->command_ecdsa_format,
	                      (const char *const[]){"auto", "der", "raw"}, 3, 0);
	const char *output = cfg->command_output ? cfg->command_output : "stdout";

	if (input < 0)
		return mcr_error(MCR_EINPUT,
		                 "bad 'input' '%s' of signer '%s': must be stdin, file or none",
		                 cfg->command_input, cfg->name);
	if (strcmp(output, "stdout") && strcmp(output, "file"))
		return mcr_error(MCR_EINPUT,
		                 "bad 'output' '%s' of signer '%s': must be stdout or file", output,
		                 cfg->name);
	if (mcr_signer_command_reply_parse_encoding(&cs->encoding, cfg->command_encoding) < 0)
		return mcr_error(MCR_EINPUT, "bad 'encoding' '%s' of signer '%s'",
		                 cfg->command_encoding, cfg->name);
	if (format < 0)
		return mcr_error(MCR_EINPUT,
		                 "bad 'ecdsa_format' '%s' of signer '%s': must be auto, der or raw",
		                 cfg->command_ecdsa_format, cfg->name);
	cs->input = (enum input_mode)input;
	cs->output_file = !strcmp(output, "file");
	cs->ecdsa_format = format == 1 ? MCR_SIG_DER : format == 2 ? MCR_SIG_RAW : MCR_SIG_AUTO;
	cs->retries = cfg->command_retries;
	cs->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
	cs->backoff_ms = backoff_base_ms();
	return 0;
}

static int check_env_pass(const struct mcr_signer_config *cfg)
{
	for (size_t i = 0; cfg->command_env_pass && cfg->command_env_pass[i]; i++)
		if (!mcr_signer_command_args_env_name_ok(cfg->command_env_pass[i]))
			return mcr_error(MCR_EINPUT,
			                 "bad variable name '%s' in 'env_pass' of signer '%s'",
			                 cfg->command_env_pass[i], cfg->name);
	return 0;
}

/*
 * Resolves argv[0] once, so every signature comes from the program whose
 * hash describe() reports. A relative path with a '/' would depend on the
 * working directory of whoever runs mcurelease: refused.
 */
static int resolve_program(struct command_state *cs, const char *argv0)
{
	unsigned char digest[32];
	char *program = NULL;
	int ret;

	if (argv0[0] != '/' && strchr(argv0, '/'))
		return mcr_error(MCR_EINPUT,
		                 "relative path '%s' in argv[0] of signer '%s': give an absolute "
		                 "path or a name found in PATH",
		                 argv0, cs->name);
	if (mcr_proc_find_program(&program, argv0) < 0)
		return mcr_error(MCR_ESIGNER, "signer '%s' command '%s' %s", cs->name, argv0,
		                 argv0[0] == '/' ? "is not an executable file"
		                                 : "not found in PATH");
	if ((ret = mcr_hash_file(MCR_HASH_SHA256, program, digest)) < 0) {
		free(program);
		return ret;
	}
	mcr_hex_encode(cs->program_sha256, digest, sizeof(digest));
	free(cs->argv[0]);
	cs->argv[0] = program;
	return 0;
}

static int command_open(void **state, const struct mcr_signer_config *cfg)
{
	struct command_state *cs;
	int ret;

	*state = NULL;
	if (!cfg->command_argv || !cfg->command_argv[0] || !cfg->command_argv[0][0])
		return mcr_error(MCR_EINPUT,
		                 "signer '%s' of type 'command' needs a non-empty 'argv'",
		                 cfg->name);
	if (!(cs = calloc(1, sizeof(*cs))) || !(cs->name = strdup(cfg->name)) ||
	    (cfg->key_id && !(cs->key_id = strdup(cfg->key_id)))) {
		command_close(cs);
		return mcr_error(MCR_ESYS, "out of memory");
	}
	if ((ret = read_modes(cs, cfg)) < 0 || (ret = check_env_pass(cfg)) < 0 ||
	    (ret = mcr_signer_command_args_check(cfg->command_argv, cfg->key_id != NULL,
	                                         cs->input != INPUT_NONE, cfg->name)) < 0 ||
	    (ret = copy_strv(&cs->argv, cfg->command_argv)) < 0 ||
	    (ret = copy_strv(&cs->env_pass, cfg->command_env_pass)) < 0 ||
	    (ret = resolve_program(cs, cfg->command_argv[0])) < 0)
		goto out;
	*state = cs;
	cs = NULL;
out:
	command_close(cs);
	return ret;
}

/* A version 4 UUID, so the remote service's own log can be joined to ours. */
static int make_request_id(char out[37])
{
	unsigned char r[16];
	char hex[33];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return mcr_error_errno(MCR_ESYS, "cannot get random bytes for a request id");
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	mcr_hex_encode(hex, r, sizeof(r));
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
	return 0;
}

/* The digest file: created fresh (never through a symlink), readable by us alone. */
static int write_private(const char *path, const unsigned char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t done = 0;
	ssize_t n;

	if (fd < 0)
		return mcr_error_errno(MCR_ESYS, "cannot create '%s'", path);
	while (done < len && ((n = write(fd, data + done, len - done)) > 0 || errno == EINTR))
		done += n > 0 ? (size_t)n : 0;
	if (close(fd) < 0 || done < len)
		return mcr_error_errno(MCR_ESYS, "cannot write '%s'", path);
	return 0;
}

/* Reads the signature file the command wrote; anything but a small regular file is refused. */
static int read_sig_file(const struct command_state *cs, const char *path, struct mcr_buf *out)
{
	unsigned char chunk[4096];
	struct stat st;
	ssize_t n = 0;
	int fd, ret = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return errno == ENOENT
		               ? mcr_error(MCR_ESIGNER,
		                           "no signature file from signer '%s' command '%s'",
		                           cs->name, cs->argv[0])
		               : mcr_error_errno(MCR_ESIGNER,
		                                 "cannot open the signature file of signer '%s'",
		                                 cs->name);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		ret = mcr_error(MCR_ESIGNER, "signature file of signer '%s' is not a regular file",
		                cs->name);
	while (ret == 0 &&
	       ((n = read(fd, chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR))) {
		if (n > 0 && out->len + (size_t)n > REPLY_MAX)
			ret = mcr_error(MCR_ESIGNER,
			                "signature file of signer '%s' exceeds %d bytes", cs->name,
			                REPLY_MAX);
		else if (n > 0)
			ret = mcr_buf_add(out, chunk, (size_t)n);
	}
	if (ret == 0 && n < 0)
		ret = mcr_error_errno(MCR_ESIGNER, "cannot read the signature file of signer '%s'",
		                      cs->name);
	close(fd);
	return ret;
}

/* How the command ended, as one line naming it; *again for the "try again later" status. */
static int judge(const struct command_state *cs, const struct mcr_proc_result *r, bool *again)
{
	char line[STDERR_LINE_MAX + 1], tail[STDERR_LINE_MAX + 3];
	const char *prog = cs->argv[0];

	mcr_signer_command_reply_stderr_line(line, sizeof(line), r->err.data, r->err.len);
	snprintf(tail, sizeof(tail), "%s%s", *line ? ": " : "", line);
	if (r->timed_out)
		return mcr_error(MCR_ESIGNER, "signer '%s' command '%s' timed out after %u ms",
		                 cs->name, prog, cs->timeout_ms);
	if (r->term_signal)
		return mcr_error(MCR_ESIGNER,
		                 "signer '%s' command '%s' was killed by signal %d (%s)%s",
		                 cs->name, prog, r->term_signal, strsignal(r->term_signal), tail);
	if (r->exit_status == EXIT_TEMPFAIL) {
		*again = true;
		return mcr_error(MCR_ESIGNER,
		                 "signer '%s' command '%s' exited with status 75 (try again later) "
		                 "on attempt %u of %u%s",
		                 cs->name, prog, cs->attempts, cs->retries + 1, tail);
	}
	if (r->exit_status == EXIT_NOPERM)
		return mcr_error(
		        MCR_ESIGNER,
		        "signer '%s' command '%s' was denied permission (exit status 77)%s",
		        cs->name, prog, tail);
	if (r->exit_status != 0)
		return mcr_error(MCR_ESIGNER, "signer '%s' command '%s' exited with status %d%s",
		                 cs->name, prog, r->exit_status, tail);
	return 0;
}

static int run(const struct command_state *cs, char **argv, char **env,
               const struct mcr_signer_command_request *req, struct mcr_proc_result *result)
{
	struct mcr_proc_spec spec;
	char why[512];

	mcr_proc_spec_init(&spec);
	spec.argv = (const char *const *)argv;
	spec.env = (const char *const *)env;
	if (cs->input == INPUT_STDIN) {
		spec.stdin_data = req->data;
		spec.stdin_len = req->data_len;
	}
	spec.stdout_max = REPLY_MAX;
	spec.stderr_max = STDERR_MAX;
	spec.timeout_ms = cs->timeout_ms;
	if (mcr_proc_run(&spec, result) == 0)
		return 0;
	/* The program vanished or lost its exec bit since open: the signer is unreachable. */
	snprintf(why, sizeof(why), "%s", mcr_error_message());
	return mcr_error(MCR_ESIGNER, "%s (signer '%s')", why, cs->name);
}

/* The reply, from stdout or the signature file, decoded into sig. */
static int collect(struct command_state *cs, const struct mcr_proc_result *r, const char *sig_file,
                   struct mcr_buf *sig)
{
	struct mcr_buf file = MCR_BUF_INIT;
	unsigned long key_version = 0;
	int ret;

	if (!cs->output_file && r->stdout_truncated)
		return mcr_error(MCR_ESIGNER, "reply of signer '%s' command '%s' exceeds %d bytes",
		                 cs->name, cs->argv[0], REPLY_MAX);
	if (cs->output_file && (ret = read_sig_file(cs, sig_file, &file)) < 0)
		goto out;
	ret = mcr_signer_command_reply_decode(sig, &key_version, cs->encoding,
	                                      cs->output_file ? file.data : r->out.data,
	                                      cs->output_file ? file.len : r->out.len, cs->name);
	if (ret == 0 && cs->encoding == MCR_SIGNER_COMMAND_VAULT)
		cs->key_version = key_version;
out:
	mcr_buf_release(&file);
	return ret;
}

/* Paths of the request's private files. */
static int request_paths(const char *dir, char **digest_file, char **sig_file)
{
	if (asprintf(digest_file, "%s/digest", dir) < 0) {
		*digest_file = NULL;
		return mcr_error(MCR_ESYS, "out of memory");
	}
	if (asprintf(sig_file, "%s/sig", dir) < 0) {
		*sig_file = NULL;
		return mcr_error(MCR_ESYS, "out of memory");
	}
	return 0;
}

/* One run of the command in a fresh private directory, removed whatever happens. */
static int attempt(struct command_state *cs, struct mcr_signer_command_request *req,
                   struct mcr_buf *sig, bool *again)
{
	struct mcr_proc_result result = {.out = MCR_BUF_INIT, .err = MCR_BUF_INIT};
	char *dir = NULL, *digest_file = NULL, *sig_file = NULL, **argv = NULL, **env = NULL;
	int ret;

	*again = false;
	/* A short name: a tool quoting the path in an error must not look like a token. */
	if ((ret = mcr_fileio_mkdtemp(&dir, "mcurelease-sign")) < 0 ||
	    (ret = request_paths(dir, &digest_file, &sig_file)) < 0)
		goto out;
	req->sig_file = sig_file;
	req->digest_file = cs->input == INPUT_NONE ? NULL : digest_file;
	if ((req->digest_file &&
	     (ret = write_private(digest_file, req->data, req->data_len)) < 0) ||
	    (ret = mcr_signer_command_args_expand(&argv, (const char *const *)cs->argv, req)) < 0 ||
	    (ret = mcr_signer_command_args_env(&env, (const char *const *)cs->env_pass, req)) < 0 ||
	    (ret = run(cs, argv, env, req, &result)) < 0 || (ret = judge(cs, &result, again)) < 0)
		goto out;
	ret = collect(cs, &result, sig_file, sig);
out:
	if (dir)
		mcr_fileio_remove_tree(dir);
	mcr_proc_result_release(&result);
	mcr_signer_command_args_free(argv);
	mcr_signer_command_args_free(env);
	free(dir);
	free(digest_file);
	free(sig_file);
	return ret;
}

static void pause_ms(unsigned ms)
{
	struct timespec left = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
}

static int command_sign(void *state, const struct mcr_sign_input *in, struct mcr_buf *sig,
                        enum mcr_sig_format *format)
{
	struct command_state *cs = state;
	struct mcr_signer_command_request req = {0};
	char request_id[37];
	unsigned delay_ms = cs->backoff_ms;
	bool again;
	int ret;

	*format = cs->ecdsa_format;
	if (!in->request_id && (ret = make_request_id(request_id)) < 0)
		return ret;
	/* Ed25519 signs a message (for images: the digest bytes); RSA and ECDSA the digest. */
	req.data = in->key_type == MCR_KEY_ED25519 ? in->message : in->digest;
	req.data_len = in->key_type == MCR_KEY_ED25519 ? in->message_len : in->digest_len;
	req.hash = mcr_hash_name(in->hash_alg);
	req.alg = mcr_signer_command_args_alg(in->key_type);
	req.key_id = cs->key_id;
	req.request_id = in->request_id ? in->request_id : request_id;
	for (cs->attempts = 1;; cs->attempts++) {
		ret = attempt(cs, &req, sig, &again);
		if (ret == 0 || !again || cs->attempts > cs->retries)
			return ret;
		pause_ms(delay_ms);
		delay_ms = delay_ms > MAX_BACKOFF_MS / 2 ? MAX_BACKOFF_MS : delay_ms * 2;
	}
}

static int command_describe(void *state, cJSON *into)
{
	struct command_state *cs = state;
	cJSON *argv = cJSON_CreateArray(), *arg;
	int ret;

	for (size_t i = 0; argv && cs->argv[i]; i++)
		if (!(arg = cJSON_CreateString(cs->argv[i])) || !cJSON_AddItemToArray(argv, arg)) {
			cJSON_Delete(arg);
			cJSON_Delete(argv);
			argv = NULL;
		}
	if (!argv)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_json_add_item(into, "argv", argv)) < 0 ||
	    (ret = mcr_json_add_string(into, "command", cs->argv[0])) < 0 ||
	    (ret = mcr_json_add_string(into, "command_sha256", cs->program_sha256)) < 0 ||
	    (ret = mcr_json_add_string(into, "input", input_names[cs->input])) < 0 ||
	    (ret = mcr_json_add_string(into, "output", cs->output_file ? "file" : "stdout")) < 0 ||
	    (ret = mcr_json_add_string(into, "encoding", encoding_names[cs->encoding])) < 0 ||
	    (cs->key_id && (ret = mcr_json_add_string(into, "key_id", cs->key_id)) < 0) ||
	    (cs->key_version &&
	     (ret = mcr_json_add_int(into, "key_version", (long long)cs->key_version)) < 0) ||
	    (cs->attempts && (ret = mcr_json_add_int(into, "attempts", cs->attempts)) < 0))
		return ret;
	return 0;
}

const struct mcr_signer_backend mcr_signer_command_backend = {
        .name = "command",
        .is_dev = false,
        .open = command_open,
        .public_key = NULL, /* the command cannot be trusted to say: the config pins the key */
        .sign = command_sign,
        .describe = command_describe,
        .close = command_close,
};
