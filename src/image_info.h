/* dumpinfo: an image's header, TLVs and trailer as JSON or text. */
#ifndef MCR_IMAGE_INFO_H
#define MCR_IMAGE_INFO_H

struct cJSON;
struct mcr_buf;

/*
 * Parses path (structure checked as mcr_image_parse does) and describes it:
 * header fields and flags, both TLV areas with offsets and values, and the
 * boot trailer of a padded image. *out is the caller's (cJSON_Delete).
 */
int mcr_image_info(struct cJSON **out, const char *path);

/* Appends a human-readable rendering of an mcr_image_info description. */
int mcr_image_info_text(struct mcr_buf *out, const struct cJSON *info);

#endif
