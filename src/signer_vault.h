/* The vault-transit signer (the backend itself is reached through signer.c's table). */
#ifndef MCR_SIGNER_VAULT_H
#define MCR_SIGNER_VAULT_H

struct mcr_buf;
struct mcr_signer_config;

/*
 * Reads the Vault token cfg names (vault_token_file, one trailing newline
 * stripped, or the variable vault_token_env) into token, which should be a
 * secret buffer. MCR_EINPUT naming the file or variable, never the token, if
 * neither or both are set, or the token is missing, empty or holds a
 * character that cannot go in an HTTP header.
 */
int mcr_signer_vault_read_token(struct mcr_buf *token, const struct mcr_signer_config *cfg);

#endif
