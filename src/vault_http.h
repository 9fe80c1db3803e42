/* HTTPS requests to a Vault server, through libcurl loaded at run time. */
#ifndef MCR_VAULT_HTTP_H
#define MCR_VAULT_HTTP_H

struct mcr_buf;

/* Where Vault is and how to talk to it. Everything is copied by mcr_vault_http_new. */
struct mcr_vault_http_config {
	const char *signer_name;       /* names the signer in messages */
	const char *addr;	       /* "https://host[:port][/prefix]", no trailing '/' */
	const char *ca_file;	       /* CA bundle used instead of the system's, or NULL */
	const char *namespace_name;    /* sent as X-Vault-Namespace, or NULL */
	const struct mcr_buf *token;   /* secret: sent as X-Vault-Token only */
	unsigned timeout_ms;	       /* connect and whole-request limit; 0: 30 s */
};

/* A connection to Vault (kept alive between calls). Opaque. */
struct mcr_vault_http;

/*
 * Loads libcurl (libcurl.so.4) and prepares requests to cfg->addr with TLS
 * verification always on. MCR_ESIGNER naming the signer if libcurl is
 * missing or cannot be set up; the token is held in a wiped buffer.
 */
int mcr_vault_http_new(struct mcr_vault_http **out, const struct mcr_vault_http_config *cfg);

/*
 * Sends GET (body NULL) or POST of the JSON body to addr + path ("/v1/...")
 * and appends the reply body (at most 1 MiB) to reply, setting *status to the
 * HTTP status. An HTTP error status is not an error here. A transport failure
 * (timeout, TLS, connection, incomplete reply) is MCR_ESIGNER with one line
 * naming the address and the signer, never the token.
 */
int mcr_vault_http_call(struct mcr_vault_http *http, const char *path, const char *body,
			long *status, struct mcr_buf *reply);

/* Frees the connection and wipes the token. NULL-safe. */
void mcr_vault_http_free(struct mcr_vault_http *http);

#endif
