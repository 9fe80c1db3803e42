/* The imgtool-compatible sign flow: options in imgtool's syntax, keys, fixed signatures, vector export. */
#ifndef MCR_IMGTOOL_H
#define MCR_IMGTOOL_H

#include <stdbool.h>

#include "buf.h"
#include "image.h"

/* Everything `imgtool sign` was asked, after parsing; the option strings are borrowed from argv. */
struct mcr_imgtool_sign {
	struct mcr_image_spec spec;
	struct mcr_image_output output;
	const char *infile, *outfile;
	const char *key_ref;	      /* --key: a PEM file (later: signer:NAME, pkcs11:...) */
	const char *config_path;      /* --config, for signer:NAME */
	const char *fix_sig_path;     /* --fix-sig: base64 of the signature TLV value */
	const char *fix_sig_pubkey;   /* --fix-sig-pubkey: PEM */
	const char *sig_out_path;     /* --sig-out */
	const char *vector_to_sign;   /* --vector-to-sign payload|digest */
	const char *sha;	      /* --sha auto|256|384|512 */
	bool has_version, has_header_size, has_slot_size;
	const char *security_counter; /* --security-counter N|auto */
	const char *dependencies;     /* -d "(1,2.3.4+5), (0, 1.0.0)" */
	const char *vid, *cid;
	/* custom TLVs as given: --custom-tlv first, then --custom-tlv-file, each in CLI order */
	struct mcr_image_custom_tlv custom[64];
	size_t custom_count, custom_file_count;
	struct mcr_image_custom_tlv custom_files[64];
	const char *custom_file_paths[64];
	struct mcr_image_dependency deps[64];
	struct mcr_image_custom_tlv ordered_custom[128];
	struct mcr_buf storage[192]; /* decoded custom TLV values */
	size_t storage_count;
};

/* Frees what parsing allocated. */
void mcr_imgtool_sign_release(struct mcr_imgtool_sign *args);

/*
 * Parses `imgtool sign` arguments (argv[0] is "sign") in imgtool's syntax,
 * long and short forms, same defaults, and checks them the way imgtool does.
 * Returns 0, 1 if --help was printed, or MCR_EUSAGE/MCR_EINPUT naming the option.
 */
int mcr_imgtool_sign_parse(struct mcr_imgtool_sign *args, int argc, char **argv);

/*
 * Runs the sign flow: opens the key or fixed signature, builds the image,
 * exports the vector or signs (every signature verified), writes the output
 * atomically and --sig-out. Nothing is written on failure.
 */
int mcr_imgtool_sign_run(struct mcr_imgtool_sign *args);

#endif
