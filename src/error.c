/* The last error: one line and an optional reason code, kept until replaced. */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

/* The program is single-threaded; one slot is enough. */
static char last_message[1024];
/* A copy: reasons may come from data (a signing host's response), not only from literals. */
static char reason_text[96];
static const char *last_reason;

static void keep_reason(const char *reason)
{
	if (reason && reason != reason_text)
		snprintf(reason_text, sizeof(reason_text), "%s", reason);
	last_reason = reason ? reason_text : NULL;
}

static void record(const char *fmt, va_list ap)
{
	vsnprintf(last_message, sizeof(last_message), fmt, ap);
	last_reason = NULL;
}

static void append(const char *suffix)
{
	size_t used = strlen(last_message);

	snprintf(last_message + used, sizeof(last_message) - used, ": %s", suffix);
}

int mcr_error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(fmt, ap);
	va_end(ap);
	return code;
}

int mcr_error_errno(int code, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	record(fmt, ap);
	va_end(ap);
	append(strerror(saved_errno));
	return code;
}

int mcr_error_openssl(int code, const char *fmt, ...)
{
	unsigned long err = ERR_peek_last_error();
	const char *reason = err ? ERR_reason_error_string(err) : NULL;
	va_list ap;

	va_start(ap, fmt);
	record(fmt, ap);
	va_end(ap);
	if (reason)
		append(reason);
	ERR_clear_error();
	return code;
}

int mcr_refuse(const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(fmt, ap);
	va_end(ap);
	keep_reason(reason);
	return MCR_EREFUSED;
}

const char *mcr_error_message(void)
{
	return last_message;
}

const char *mcr_error_reason(void)
{
	return last_reason;
}

int mcr_error_set_reason(int code, const char *reason)
{
	keep_reason(reason);
	return code;
}

void mcr_error_clear(void)
{
	last_message[0] = '\0';
	last_reason = NULL;
}

int mcr_error_exit_status(int code)
{
	if (code >= 0)
		return 0;
	if (code < MCR_ESYS)
		return -MCR_ESYS;
	return -code;
}

const char *mcr_error_name(int code)
{
	switch (code) {
	case MCR_OK:
		return "ok";
	case MCR_EREFUSED:
		return "refused";
	case MCR_EUSAGE:
		return "usage";
	case MCR_EINPUT:
		return "input";
	case MCR_ESIGNER:
		return "signer";
	case MCR_EAUDIT:
		return "audit";
	default:
		return "system";
	}
}
