/* A set of strings (open addressing), for telling duplicates apart. Start from a zeroed rw_strset;
 * the set owns its copies of the strings, which rw_strset_free frees (with the slots, not the
 * rw_strset itself). */
#ifndef RW_STRSET_H
#define RW_STRSET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rw_strset {
    char **slots;
    size_t cap, n;
} rw_strset;

/* Adds s (copied); returns false if it was already there. */
bool rw_strset_add(rw_strset *set, const char *s);
bool rw_strset_has(const rw_strset *set, const char *s);
void rw_strset_free(rw_strset *set);

#endif
