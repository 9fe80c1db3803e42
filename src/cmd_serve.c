/* mcurelease serve --stdio: one request in on stdin, one response out on stdout, as an SSH forced
 * command. */
#include "buf.h"
#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "hash.h"
#include "release_host.h"
#include "release_session.h"
#include "signresp.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_STDIO = MCR_OPT_FIRST, OPT_CONFIG, OPT_REQUESTER };

struct serve_opts {
	const char *config_path, *requester;
	bool stdio;
};

static int serve_option(void *ctx, int id, const char *arg, const char *arg2)
{
	struct serve_opts *o = ctx;

	(void)arg2;
	switch (id) {
	case OPT_STDIO:
		o->stdio = true;
		break;
	case OPT_CONFIG:
		o->config_path = arg;
		break;
	case OPT_REQUESTER:
		o->requester = arg;
		break;
	}
	return 0;
}

/*
 * The fingerprint (SHA256:..., as ssh-keygen -l prints it) of the key the
 * client authenticated with, from the file sshd names in SSH_USER_AUTH when
 * ExposeAuthInfo is on: lines "publickey TYPE BASE64 ...". 0 if unknown.
 */
static int auth_key_fingerprint(char *out, size_t len)
{
	const char *path = getenv("SSH_USER_AUTH");
	struct mcr_buf text = MCR_BUF_INIT, blob = MCR_BUF_INIT, b64 = MCR_BUF_INIT;
	unsigned char digest[32];
	char type[64], key[8192];
	const char *line;
	int found = 0;

	if (!path || !*path || mcr_fileio_read_all(path, 65536, &text) < 0) {
		mcr_error_clear();
		return 0;
	}
	for (line = (char *)text.data; line && !found;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		found = sscanf(line, "publickey %63s %8191s", type, key) == 2;
	if (found && mcr_base64_decode(&blob, key, strlen(key), false) == 0 &&
	    mcr_hash_buffer(MCR_HASH_SHA256, blob.data, blob.len, digest) == 0 &&
	    mcr_base64_encode(&b64, digest, sizeof(digest), false) == 0) {
		/* OpenSSH prints the digest's base64 without its '=' padding */
		while (b64.len && b64.data[b64.len - 1] == '=')
			b64.data[--b64.len] = '\0';
		snprintf(out, len, "SHA256:%s", (char *)b64.data);
	} else {
		found = 0;
		mcr_error_clear();
	}
	mcr_buf_release(&text);
	mcr_buf_release(&blob);
	mcr_buf_release(&b64);
	return found;
}

/* Who is asking, as this host knows it: the configured name, the SSH key, where from. */
static void serve_actor(char *out, size_t len, const char *requester)
{
	const char *connection = getenv("SSH_CONNECTION");
	const struct passwd *pw = getpwuid(getuid());
	char fingerprint[128] = "", from[64] = "";

	if (!auth_key_fingerprint(fingerprint, sizeof(fingerprint)) && !connection && !requester) {
		mcr_release_actor(out, len);
		return;
	}
	if (connection)
		sscanf(connection, "%63s", from);
	snprintf(out, len, "ssh:%s%s%s%s%s",
	         requester ? requester
	         : pw      ? pw->pw_name
	                   : "unknown",
	         fingerprint[0] ? " key " : "", fingerprint, from[0] ? " from " : "", from);
}

static int serve_stdio(const struct serve_opts *o)
{
	struct mcr_release_report report;
	struct mcr_buf request = MCR_BUF_INIT, response = MCR_BUF_INIT;
	struct mcr_host_job job = {o->config_path, NULL, "standard input", false};
	char actor[512];
	int ret, wret = 0;

	serve_actor(actor, sizeof(actor), o->requester);
	job.actor = actor;
	if ((ret = mcr_fileio_read_fd_bounded(STDIN_FILENO, MCR_REQUEST_MAX_BYTES, &request,
	                                      "the request on standard input")) < 0)
		return ret;
	ret = mcr_host_job_run(&job, (char *)request.data, request.len, &report);
	mcr_buf_release(&request);
	/* the refusal's reason goes back in the response as much as a signature does */
	if (report.has_response && (wret = mcr_signresp_write(&report.resp, &response)) == 0 &&
	    (fwrite(response.data, 1, response.len, stdout) != response.len || fflush(stdout) != 0))
		wret = mcr_error_errno(MCR_ESYS, "cannot write the response to standard output");
	mcr_buf_release(&response);
	mcr_release_report_release(&report);
	return ret ? ret : wret;
}

int mcr_cmd_serve(int argc, char **argv)
{
	static const struct mcr_option options[] = {
	        {"stdio", 0, NULL, "read one request on stdin, write one response on stdout",
	         OPT_STDIO, false},
	        {"config", 0, "FILE", "config file (default: $MCURELEASE_CONFIG)", OPT_CONFIG,
	         false},
	        {"requester", 0, "NAME",
	         "who connects, for the audit log (with the SSH key sshd exposes)", OPT_REQUESTER,
	         false},
	        {NULL, 0, NULL, NULL, 0, false},
	};
	static const struct mcr_cli_spec spec = {
	        "serve",
	        "--stdio [--config FILE] [--requester NAME]",
	        "Be the signing host for one request: read it on standard input (at most 4 MiB), "
	        "judge\n"
	        "and sign it as 'sign --request' does, and write the response on standard output, "
	        "a\n"
	        "refusal too. Meant as an OpenSSH forced command in authorized_keys:\n"
	        "  command=\"mcurelease serve --stdio --requester ci-1\",restrict ssh-ed25519 "
	        "AAAA...\n"
	        "The key the client authenticated with is recorded when sshd has ExposeAuthInfo "
	        "yes\n"
	        "(docs/remote-signing.md). Exit status as 'sign'.",
	        options,
	        0,
	        0,
	};
	struct serve_opts o;
	int first, ret;

	memset(&o, 0, sizeof(o));
	if ((ret = mcr_cli_parse(&spec, argc, argv, serve_option, &o, &first)) != 0)
		return ret > 0 ? 0 : ret;
	if (!o.stdio)
		return mcr_error(MCR_EUSAGE,
		                 "'serve' needs --stdio: it answers one request per connection");
	return serve_stdio(&o);
}
