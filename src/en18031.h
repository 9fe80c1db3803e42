/* The requirement → evidence table of compliance exports: EN 18031 mechanisms and CRA points,
 * what mcurelease's records show for each, and what the manufacturer must add. */
#ifndef MCR_EN18031_H
#define MCR_EN18031_H

#include <stddef.h>

struct mcr_export_model;

/*
 * Fills model->requirements: one row per requirement, with a status and an
 * "observed" sentence generated from the model's releases, keys and chain
 * verdict. Call once the rest of the model is collected. MCR_ESYS when out
 * of memory.
 */
int mcr_en18031_assess(struct mcr_export_model *model);

/*
 * What every reader of the table must know (the standard is paywalled, the
 * log is evidence rather than a requirement, the device side is not seen).
 * A static list; *count receives its length.
 */
const char *const *mcr_en18031_caveats(size_t *count);

#endif
