/* Internal to the HTML export (export_html.c, export_html_parts.c): a page being written, with
 * every string from the log or the config escaped. */
#ifndef MCR_EXPORT_HTML_H
#define MCR_EXPORT_HTML_H

#include <stddef.h>

struct mcr_buf;
struct mcr_export_model;

/* Output and the first error; every call after an error does nothing. */
struct mcr_html {
	struct mcr_buf *out;
	int ret;
};

/* Markup we write ourselves, as it is. */
void mcr_html_raw(struct mcr_html *h, const char *markup);
void mcr_html_rawf(struct mcr_html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Text from the log or the config, escaped (& < > " '), control characters
 * replaced; NULL shows as a dash. A tag named <script> stays text.
 */
void mcr_html_text(struct mcr_html *h, const char *text);
/* Text in <code> (hashes, keys, ids), or the dash. */
void mcr_html_code(struct mcr_html *h, const char *text);
/* <tr><th>label</th><td>text</td></tr> */
void mcr_html_row(struct mcr_html *h, const char *label, const char *text);
/* A note that a table shows only its latest rows, when it does. Returns the first row shown. */
size_t mcr_html_limit(struct mcr_html *h, const struct mcr_export_model *model, size_t count,
                      const char *what);

/* The sections of export_html_parts.c: keys and custody, trust, requirements, caveats. */
void mcr_html_keys(struct mcr_html *h, const struct mcr_export_model *model);
void mcr_html_trust(struct mcr_html *h, const struct mcr_export_model *model);
void mcr_html_requirements(struct mcr_html *h, const struct mcr_export_model *model);

#endif
