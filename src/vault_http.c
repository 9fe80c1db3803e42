/*
 * HTTPS to Vault through libcurl, loaded with dlopen only when a vault signer opens.
 *
 * Why not link libcurl: its dependency tree (nghttp2, rtmp, ssh2, ldap, krb5, psl, idn2,
 * brotli, zstd...) was measured to add ~4 ms to the start of every mcurelease command,
 * and signing an image has a 4 ms budget. Loaded here, only vault signers pay for it.
 * <curl/curl.h> still gives the types and constants; the few functions we call are
 * looked up with dlsym.
 */
#include "vault_http.h"

#include "buf.h"
#include "error.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define REPLY_MAX_LEN (1024 * 1024)
#define DEFAULT_TIMEOUT_MS 30000u

/* The libcurl functions we call, resolved with dlsym. */
struct curl_api {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *curl);
	const char *(*easy_strerror)(CURLcode code);
};

enum { HDR_TOKEN, HDR_REQUEST, HDR_TYPE, HDR_EXPECT, HDR_NAMESPACE, HDR_COUNT };

struct mcr_vault_http {
	struct curl_api api;
	bool is_global_init;
	CURL *curl;
	char *signer_name;
	char *addr;
	unsigned timeout_ms;
	struct mcr_buf token_header; /* secret: "X-Vault-Token: ..." */
	struct mcr_buf namespace_header;
	/*
	 * Our own list nodes, not curl_slist_append's: those would copy the token
	 * into memory libcurl frees without wiping. libcurl only reads the list.
	 */
	struct curl_slist headers[HDR_COUNT];
	struct mcr_buf url;
	struct mcr_buf *reply; /* the caller's, during a call */
	bool is_reply_too_large;
	char errbuf[CURL_ERROR_SIZE];
};

/* Debian names the OpenSSL build libcurl.so.4; the GnuTLS build has the same ABI. */
static const char *const curl_names[] = {"libcurl.so.4", "libcurl-gnutls.so.4"};

static int load_curl(struct curl_api *api, const char *signer_name)
{
	const struct {
		const char *name;
		void **slot;
	} syms[] = {
		{"curl_global_init", (void **)&api->global_init},
		{"curl_global_cleanup", (void **)&api->global_cleanup},
		{"curl_easy_init", (void **)&api->easy_init},
		{"curl_easy_setopt", (void **)&api->easy_setopt},
		{"curl_easy_perform", (void **)&api->easy_perform},
		{"curl_easy_getinfo", (void **)&api->easy_getinfo},
		{"curl_easy_cleanup", (void **)&api->easy_cleanup},
		{"curl_easy_strerror", (void **)&api->easy_strerror},
	};
	void *lib = NULL;

	for (size_t i = 0; !lib && i < sizeof(curl_names) / sizeof(curl_names[0]); i++)
		lib = dlopen(curl_names[i], RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return mcr_error(MCR_ESIGNER,
				 "libcurl not found for vault signer '%s' (install libcurl4): %s",
				 signer_name, dlerror());
	/*
	 * Never dlclosed: libcurl and its TLS library keep process-wide state
	 * (atexit handlers, thread keys) that must outlive our handle.
	 */
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
		if (!(*syms[i].slot = dlsym(lib, syms[i].name)))
			return mcr_error(MCR_ESIGNER, "libcurl lacks '%s' for vault signer '%s'",
					 syms[i].name, signer_name);
	return 0;
}

static size_t write_reply(char *data, size_t size, size_t count, void *user)
{
	struct mcr_vault_http *http = user;
	size_t len = size * count;

	if (len > REPLY_MAX_LEN - http->reply->len) {
		http->is_reply_too_large = true;
		return 0;
	}
	return mcr_buf_add(http->reply, data, len) < 0 ? 0 : len;
}

static void link_headers(struct mcr_vault_http *http, bool has_namespace)
{
	size_t count = has_namespace ? HDR_COUNT : HDR_NAMESPACE;

	http->headers[HDR_TOKEN].data = (char *)http->token_header.data;
	http->headers[HDR_REQUEST].data = "X-Vault-Request: true";
	http->headers[HDR_TYPE].data = "Content-Type: application/json";
	http->headers[HDR_EXPECT].data = "Expect:"; /* no 100-continue round trip */
	http->headers[HDR_NAMESPACE].data = (char *)http->namespace_header.data;
	for (size_t i = 0; i < count; i++)
		http->headers[i].next = i + 1 < count ? &http->headers[i + 1] : NULL;
}

/* Options that hold for every request: TLS always verified, HTTPS only, no redirects. */
static int set_options(struct mcr_vault_http *http, const char *ca_file)
{
	const struct curl_api *api = &http->api;
	CURL *c = http->curl;
	long timeout_ms = (long)http->timeout_ms;
	CURLcode rc;

	if (api->easy_setopt(c, CURLOPT_ERRORBUFFER, http->errbuf) ||
	    api->easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    api->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) ||
	    api->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) ||
	    api->easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) ||
	    api->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) ||
	    api->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms) ||
	    api->easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms) ||
	    api->easy_setopt(c, CURLOPT_USERAGENT, "mcurelease") ||
	    api->easy_setopt(c, CURLOPT_HTTPHEADER, http->headers) ||
	    api->easy_setopt(c, CURLOPT_WRITEFUNCTION, write_reply) ||
	    api->easy_setopt(c, CURLOPT_WRITEDATA, http))
		return mcr_error(MCR_ESIGNER, "cannot set up libcurl for vault signer '%s'",
				 http->signer_name);
	/* A configured CA bundle replaces the system's CAs rather than adding to them. */
	if (ca_file && (api->easy_setopt(c, CURLOPT_CAINFO, ca_file) ||
			api->easy_setopt(c, CURLOPT_CAPATH, (char *)NULL)))
		return mcr_error(MCR_ESIGNER, "cannot use CA bundle '%s' for vault signer '%s'",
				 ca_file, http->signer_name);
	/* The token must never travel in clear; libcurl before 7.85 lacks the option. */
	rc = api->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	if (rc != CURLE_OK && rc != CURLE_UNKNOWN_OPTION)
		return mcr_error(MCR_ESIGNER,
				 "cannot restrict libcurl to HTTPS for vault signer '%s'",
				 http->signer_name);
	return 0;
}

int mcr_vault_http_new(struct mcr_vault_http **out, const struct mcr_vault_http_config *cfg)
{
	struct mcr_vault_http *http;
	int ret;

	*out = NULL;
	if (!(http = calloc(1, sizeof(*http))))
		return mcr_error(MCR_ESYS, "out of memory");
	mcr_buf_init_secret(&http->token_header);
	http->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
	if (!(http->signer_name = strdup(cfg->signer_name)) || !(http->addr = strdup(cfg->addr))) {
		ret = mcr_error(MCR_ESYS, "out of memory");
		goto out;
	}
	if ((ret = mcr_buf_add_str(&http->token_header, "X-Vault-Token: ")) < 0 ||
	    (ret = mcr_buf_add(&http->token_header, cfg->token->data, cfg->token->len)) < 0 ||
	    (cfg->namespace_name && (ret = mcr_buf_addf(&http->namespace_header,
							"X-Vault-Namespace: %s",
							cfg->namespace_name)) < 0) ||
	    (ret = load_curl(&http->api, cfg->signer_name)) < 0)
		goto out;
	link_headers(http, cfg->namespace_name != NULL);
	if (http->api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		ret = mcr_error(MCR_ESIGNER, "cannot initialise libcurl for vault signer '%s'",
				cfg->signer_name);
		goto out;
	}
	http->is_global_init = true;
	if (!(http->curl = http->api.easy_init())) {
		ret = mcr_error(MCR_ESIGNER, "cannot create a libcurl handle for vault signer '%s'",
				cfg->signer_name);
		goto out;
	}
	if ((ret = set_options(http, cfg->ca_file)) < 0)
		goto out;
	*out = http;
	http = NULL;
out:
	mcr_vault_http_free(http);
	return ret;
}

/* libcurl's reason, on one line. */
static const char *reason(struct mcr_vault_http *http, CURLcode rc)
{
	char *nl;

	if (!http->errbuf[0])
		return http->api.easy_strerror(rc);
	if ((nl = strpbrk(http->errbuf, "\r\n")))
		*nl = '\0';
	return http->errbuf;
}

/* How a transfer failed, as the start of the message. */
static const char *failure_kind(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return "TLS failure with";
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return "cannot reach";
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return "incomplete reply from";
	default:
		return "failed request to";
	}
}

static int transport_error(struct mcr_vault_http *http, CURLcode rc)
{
	const char *addr = http->addr, *name = http->signer_name;

	if (rc == CURLE_OPERATION_TIMEDOUT)
		return mcr_error(MCR_ESIGNER,
				 "no answer from vault '%s' for signer '%s' within %u ms",
				 addr, name, http->timeout_ms);
	if (rc == CURLE_WRITE_ERROR && !http->is_reply_too_large)
		return mcr_error(MCR_ESYS, "out of memory");
	if (rc == CURLE_WRITE_ERROR)
		return mcr_error(MCR_ESIGNER,
				 "reply from vault '%s' for signer '%s' is over %d bytes",
				 addr, name, REPLY_MAX_LEN);
	return mcr_error(MCR_ESIGNER, "%s vault '%s' for signer '%s': %s", failure_kind(rc), addr,
			 name, reason(http, rc));
}

int mcr_vault_http_call(struct mcr_vault_http *http, const char *path, const char *body,
			long *status, struct mcr_buf *reply)
{
	const struct curl_api *api = &http->api;
	CURL *c = http->curl;
	bool is_bad;
	CURLcode rc;
	int ret;

	*status = 0;
	mcr_buf_truncate(&http->url, 0);
	if ((ret = mcr_buf_addf(&http->url, "%s%s", http->addr, path)) < 0)
		return ret;
	is_bad = api->easy_setopt(c, CURLOPT_URL, (char *)http->url.data) != CURLE_OK;
	if (body)
		is_bad = is_bad ||
			 api->easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body)) ||
			 api->easy_setopt(c, CURLOPT_POSTFIELDS, body);
	else
		is_bad = is_bad || api->easy_setopt(c, CURLOPT_HTTPGET, 1L);
	if (is_bad)
		return mcr_error(MCR_ESIGNER, "cannot set up a request to vault '%s' for signer "
				 "'%s'", http->addr, http->signer_name);
	http->reply = reply;
	http->is_reply_too_large = false;
	http->errbuf[0] = '\0';
	rc = api->easy_perform(http->curl);
	http->reply = NULL;
	if (rc != CURLE_OK)
		return transport_error(http, rc);
	if (api->easy_getinfo(http->curl, CURLINFO_RESPONSE_CODE, status) != CURLE_OK)
		return mcr_error(MCR_ESIGNER, "no HTTP status from vault '%s' for signer '%s'",
				 http->addr, http->signer_name);
	return 0;
}

void mcr_vault_http_free(struct mcr_vault_http *http)
{
	if (!http)
		return;
	if (http->curl)
		http->api.easy_cleanup(http->curl);
	if (http->is_global_init)
		http->api.global_cleanup();
	mcr_buf_release(&http->token_header);
	mcr_buf_release(&http->namespace_header);
	mcr_buf_release(&http->url);
	free(http->signer_name);
	free(http->addr);
	free(http);
}
