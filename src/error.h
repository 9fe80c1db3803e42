/* Error codes, the one-line error message, and the exit statuses they map to. */
#ifndef MCR_ERROR_H
#define MCR_ERROR_H

/*
 * A function that can fail returns 0 or one of these; the process exit status
 * is minus the code (docs/exit-status.md). 1 means "checked, and the answer is
 * no"; 2-6 mean "could not check".
 */
enum mcr_error_code {
	MCR_OK = 0,
	MCR_EREFUSED = -1, /* unsigned or untrusted tag, digest mismatch, broken chain */
	MCR_EUSAGE = -2,   /* bad command line */
	MCR_EINPUT = -3,   /* unreadable or malformed image, key, config, record */
	MCR_ESIGNER = -4,  /* signer unreachable, failed, or its signature does not verify */
	MCR_EAUDIT = -5,   /* audit log unusable */
	MCR_ESYS = -6,     /* I/O, memory, a required tool missing */
};

/*
 * Records one line (what is wrong first, subject in single quotes, lowercase,
 * no full stop) and returns code, so a failure site is one return statement.
 * A later call replaces the message.
 */
int mcr_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* As mcr_error, then appends ": " and strerror(errno) as errno was on entry. */
int mcr_error_errno(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * As mcr_error, then appends ": " and the reason of OpenSSL's most recent
 * error, and clears OpenSSL's error queue. Call right after the failed call.
 */
int mcr_error_openssl(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A refusal: MCR_EREFUSED with a stable machine-readable reason code
 * (e.g. "tag.unsigned") beside the message. reason must be a string literal.
 */
int mcr_refuse(const char *reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last message, or "" if none. Borrowed; valid until the next error call. */
const char *mcr_error_message(void);

/* The reason code of the last refusal or error, or NULL if it set none. */
const char *mcr_error_reason(void);

/* Sets the reason code of the current error (copied, at most 95 bytes) and returns code. */
int mcr_error_set_reason(int code, const char *reason);

/* Forgets the last message and reason. */
void mcr_error_clear(void);

/* The process exit status for code (0..6). */
int mcr_error_exit_status(int code);

/* A short name for code ("refused", "usage", ...), for JSON output. */
const char *mcr_error_name(int code);

#endif
