/* MCUboot image versions: maj.min.rev+build, parsed as imgtool does and range-checked as MCUboot stores them. */
#ifndef MCR_VERSION_H
#define MCR_VERSION_H

struct mcr_version {
	unsigned major;	     /* u8 */
	unsigned minor;	     /* u8 */
	unsigned revision;   /* u16 */
	unsigned long build; /* u32 */
};

/* Enough for "255.255.65535+4294967295". */
#define MCR_VERSION_TEXT_MAX 32

/*
 * Parses imgtool's syntax maj[.min[.rev[+build]]] (no leading zeros, missing
 * parts 0). MCR_EUSAGE naming text if it does not match, or if a field does
 * not fit its header field (imgtool crashes there; we refuse).
 */
int mcr_version_parse(struct mcr_version *out, const char *text);
/* "1.2.3+4" into text (MCR_VERSION_TEXT_MAX bytes). */
void mcr_version_format(char *text, const struct mcr_version *version);
/* imgtool's "--security-counter auto": major << 24 | minor << 16 | revision (build ignored). */
unsigned long mcr_version_security_counter(const struct mcr_version *version);

#endif
