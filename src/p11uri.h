/* RFC 7512 PKCS#11 URIs: which module, token and key a "pkcs11:" reference names. */
#ifndef MCR_P11URI_H
#define MCR_P11URI_H

#include <stdbool.h>
#include <stddef.h>

/* The parts mcurelease uses; strings percent-decoded and owned by the struct. */
struct mcr_p11uri {
	char *token;	    /* token label */
	char *manufacturer; /* token manufacturer */
	char *serial;	    /* token serial number */
	char *model;	    /* token model */
	char *object;	    /* key label (CKA_LABEL) */
	char *type;	    /* "private" (the only type a signer may name) */
	unsigned char id[128]; /* CKA_ID */
	size_t id_len;
	bool has_id;
	bool has_slot_id;
	unsigned long slot_id;
	char *module_path;  /* query: module-path */
	char *module_name;  /* query: module-name (looked up as lib<name>.so) */
	char *pin_source;   /* query: pin-source, only "file:PATH" is accepted */
};

/*
 * Parses uri. Refuses (MCR_EINPUT, naming uri): a scheme other than
 * "pkcs11:", malformed percent escapes, unknown attributes (vendor "x-" ones
 * are ignored), a type other than "private", and pin-value — a PIN in a URI
 * ends up in command lines and logs. Release with mcr_p11uri_release.
 */
int mcr_p11uri_parse(struct mcr_p11uri *uri, const char *text);
void mcr_p11uri_release(struct mcr_p11uri *uri);

#endif
