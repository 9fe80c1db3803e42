/* A PKCS#11 module loaded with dlopen: token lookup, one session, objects, attributes, signing. */
#ifndef MCR_P11_H
#define MCR_P11_H

#include <stdbool.h>
#include <stddef.h>

struct mcr_buf;
struct mcr_p11uri;

/* A loaded module with (after mcr_p11_select_token) one open session on one token. Opaque. */
struct mcr_p11;

/* What the selected token says about itself (space padding trimmed). */
struct mcr_p11_token {
	char label[33];
	char manufacturer[33];
	char model[17];
	char serial[17];
	bool login_required;
};

/*
 * dlopen()s module_path, gets its function list and initialises it. Messages
 * name the signer (who) and the module. MCR_ESIGNER if it cannot be loaded.
 */
int mcr_p11_open(struct mcr_p11 **out, const char *module_path, const char *who);
/* Logs out, closes the session and finalises (the module stays loaded). NULL-safe. */
void mcr_p11_free(struct mcr_p11 *p11);

/*
 * Finds the one present token matching the URI's token, manufacturer, serial,
 * model and slot-id, and opens a session on it. None, or more than one, is
 * MCR_ESIGNER ("token absent" / "ambiguous").
 */
int mcr_p11_select_token(struct mcr_p11 *p11, const struct mcr_p11uri *uri);
const struct mcr_p11_token *mcr_p11_token(const struct mcr_p11 *p11);

/*
 * C_Login as the user with pin (a secret buffer), once: a wrong PIN is
 * reported, never retried, because every failed attempt uses up one of the
 * token's few tries before it locks.
 */
int mcr_p11_login(struct mcr_p11 *p11, const struct mcr_buf *pin);

/*
 * Finds objects of class (CKO_*) with the given label and/or id (NULL/0 to
 * ignore). *count gets how many matched (up to 2 are looked for), *handle
 * the first.
 */
int mcr_p11_find(struct mcr_p11 *p11, unsigned long class, const char *label,
		 const unsigned char *id, size_t id_len, unsigned long *handle, size_t *count);

/*
 * Appends attribute type of object to out. 1 if the token does not have it
 * or will not reveal it (sensitive), 0 if appended, <0 on failure.
 */
int mcr_p11_attribute(struct mcr_p11 *p11, unsigned long object, unsigned long type,
		      struct mcr_buf *out);
/* A CK_BBOOL / CK_ULONG attribute; *out untouched if absent. */
int mcr_p11_attribute_bool(struct mcr_p11 *p11, unsigned long object, unsigned long type,
			   bool *out);
int mcr_p11_attribute_ulong(struct mcr_p11 *p11, unsigned long object, unsigned long type,
			    unsigned long *out);

/*
 * Signs data with key using mechanism (params may be NULL). With
 * context_pin (CKA_ALWAYS_AUTHENTICATE keys), logs in for this one operation
 * right after C_SignInit. Appends the raw signature to sig.
 */
int mcr_p11_sign(struct mcr_p11 *p11, unsigned long key, unsigned long mechanism,
		 const void *params, size_t params_len, const unsigned char *data, size_t len,
		 const struct mcr_buf *context_pin, struct mcr_buf *sig);

/* The name of a CKR_* value ("CKR_PIN_INCORRECT"), or "CKR_0x..." for unknown ones. */
const char *mcr_p11_rv_name(unsigned long rv);

#endif
