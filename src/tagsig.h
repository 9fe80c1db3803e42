/* Verifying a tag's signature the way git does: gpg --status-fd, or ssh-keygen -Y with allowed_signers. */
#ifndef MCR_TAGSIG_H
#define MCR_TAGSIG_H

#include <stddef.h>

struct mcr_tag_policy;

/* The kinds of signature block git recognises at the end of a tag object. */
enum mcr_tagsig_format {
	MCR_TAGSIG_NONE,
	MCR_TAGSIG_OPENPGP, /* -----BEGIN PGP SIGNATURE----- or PGP MESSAGE */
	MCR_TAGSIG_X509,    /* -----BEGIN SIGNED MESSAGE----- (gpgsm, gitsign) */
	MCR_TAGSIG_SSH,	    /* -----BEGIN SSH SIGNATURE----- */
};

/* "openpgp", "x509", "ssh" or "none". */
const char *mcr_tagsig_format_name(enum mcr_tagsig_format format);

/* Who signed, once a signature was accepted. Strings are owned; release with _release. */
struct mcr_tagsig_signer {
	enum mcr_tagsig_format format;
	char *identity; /* openpgp: primary-key fingerprint; ssh: the allowed_signers principal */
	char *key;	/* openpgp: fingerprint of the (sub)key that signed; ssh: "SHA256:..." */
};

void mcr_tagsig_signer_init(struct mcr_tagsig_signer *signer);
void mcr_tagsig_signer_release(struct mcr_tagsig_signer *signer);

/*
 * Verifies sig over payload (the tag object without its signature block)
 * with the trust of policy: OpenPGP against policy->gpg_keyring in a fresh
 * GNUPGHOME, accepting only one good signature by a configured fingerprint;
 * SSH with ssh-keygen -Y find-principals / verify -n git against
 * policy->ssh_allowed_signers (and ssh_revocations), judged at the current
 * time. claimed_time (the tagger's date, seconds since the epoch, or -1) is
 * never used to accept: only to explain that git would have accepted a key
 * that is no longer valid. subject (the tag name) is named in messages.
 *
 * 0 and *out filled when accepted; MCR_EREFUSED with reason tag.bad_signature,
 * tag.untrusted_key, tag.key_expired, tag.key_revoked, tag.signature_expired,
 * tag.ambiguous_signature or tag.unsupported_signature; MCR_EINPUT for an
 * unusable keyring or allowed_signers file; MCR_ESYS when gpg or ssh-keygen
 * cannot be run.
 */
int mcr_tagsig_verify(struct mcr_tagsig_signer *out, const struct mcr_tag_policy *policy,
		      enum mcr_tagsig_format format, const unsigned char *payload,
		      size_t payload_len, const unsigned char *sig, size_t sig_len,
		      long long claimed_time, const char *subject);

/*
 * Judges gpg's --status-fd output (NUL-terminated) as mcr_tagsig_verify does;
 * exposed for tests. fingerprints is the NULL-terminated trusted list
 * (hex, any case, spaces ignored).
 */
int mcr_tagsig_judge_gpg_status(struct mcr_tagsig_signer *out, const char *status,
				const char *const *fingerprints, const char *subject);

#endif
