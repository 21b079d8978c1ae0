/* A growable array of 64-bit unsigned integers (offsets, counters). Start from a zeroed rw_u64vec;
 * v moves as it grows; rw_u64vec_free frees v (not the rw_u64vec itself) and leaves it empty. */
#ifndef RW_VEC_H
#define RW_VEC_H

#include <stddef.h>
#include <stdint.h>

typedef struct rw_u64vec {
    uint64_t *v;
    size_t n, cap;
} rw_u64vec;

void rw_u64vec_push(rw_u64vec *a, uint64_t x);
void rw_u64vec_free(rw_u64vec *a);

#endif
