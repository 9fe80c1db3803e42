/* MCUboot image versions. */
#include "version.h"

#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* One decimal field without leading zeros; *pos advances past it. */
static int field(unsigned long *out, const char **pos)
{
	const char *start = *pos;
	char *end;

	if (*start < '0' || *start > '9' || (*start == '0' && start[1] >= '0' && start[1] <= '9'))
		return MCR_EUSAGE;
	errno = 0;
	*out = strtoul(start, &end, 10);
	if (errno)
		*out = (unsigned long)-1;
	*pos = end;
	return 0;
}

int mcr_version_parse(struct mcr_version *out, const char *text)
{
	unsigned long parts[4] = {0, 0, 0, 0};
	const char *pos = text;
	int n = 0;

	for (;;) {
		if (field(&parts[n], &pos) < 0)
			goto malformed;
		n++;
		if (*pos == '\0')
			break;
		/* '.' joins the first three fields, '+' only follows the revision */
		if ((n < 3 && *pos == '.') || (n == 3 && *pos == '+'))
			pos++;
		else
			goto malformed;
	}
	if (parts[0] > 255 || parts[1] > 255 || parts[2] > 65535 || parts[3] > 0xffffffffUL)
		return mcr_error(MCR_EUSAGE,
				 "version '%s' does not fit MCUboot's header (max 255.255.65535+4294967295)",
				 text);
	out->major = (unsigned)parts[0];
	out->minor = (unsigned)parts[1];
	out->revision = (unsigned)parts[2];
	out->build = parts[3];
	return 0;
malformed:
	return mcr_error(MCR_EUSAGE, "invalid version '%s' (expected maj[.min[.rev[+build]]])", text);
}

void mcr_version_format(char *text, const struct mcr_version *version)
{
	snprintf(text, MCR_VERSION_TEXT_MAX, "%u.%u.%u+%lu", version->major, version->minor,
		 version->revision, version->build);
}

unsigned long mcr_version_security_counter(const struct mcr_version *version)
{
	return ((unsigned long)version->major << 24) | ((unsigned long)version->minor << 16) |
	       version->revision;
}
