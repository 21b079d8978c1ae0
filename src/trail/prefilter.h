/* The cheap necessary condition on raw bytes: a set of literal strings, at least one of which any
 * record that can match must contain. Records without any are never parsed. */
#ifndef RW_TRAIL_PREFILTER_H
#define RW_TRAIL_PREFILTER_H

#include <stddef.h>
#include <stdint.h>

#include "util/vec.h"

typedef struct rw_prefilter rw_prefilter;

/* needles: count literal strings (1 to 256 bytes each), copied. A new prefilter, freed with
 * rw_prefilter_free. */
rw_prefilter *rw_prefilter_new(const char *const *needles, size_t count);
void rw_prefilter_free(rw_prefilter *pf);
/* The longest needle: how far occurrences may straddle two pieces of a stream. */
size_t rw_prefilter_max_len(const rw_prefilter *pf);
/* Appends base + i for every occurrence of a needle that lies wholly in data[0, len), in ascending
 * order, to hits (the caller's, freed with rw_u64vec_free). data[len .. len+64) must be readable.
 */
void rw_prefilter_scan(const rw_prefilter *pf, const char *data, size_t len, uint64_t base,
                       rw_u64vec *hits);
/* True when data[0, len) holds a needle (no padding needed). */
int rw_prefilter_contains(const rw_prefilter *pf, const char *data, size_t len);

#endif
