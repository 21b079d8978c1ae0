/* equals-ignore-case as EventBridge does it: each UTF-16 code unit of the pattern matches the
 * UTF-8 of its lower case or of its upper case (Java's full mappings of that one character); a
 * unit that is half of a surrogate pair becomes '?', as Java writes unpaired surrogates. The
 * event's value is not case-mapped. */
#ifndef RW_CASEMAP_H
#define RW_CASEMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rw_casemap_entry {
    unsigned short unit;
    unsigned char nlo, nup;
    const char *lo, *up;
} rw_casemap_entry;

extern const rw_casemap_entry rw_casemap_table[];
extern const unsigned rw_casemap_count;

/* A compiled pattern: a sequence of units, each one or two alternative byte strings. */
typedef struct rw_icase {
    size_t n;
    struct rw_icase_unit {
        const char *a, *b; /* b NULL when the unit has one form */
        unsigned char na, nb;
        char own[4]; /* storage for a unit that is its own only form */
    } * u;
    bool ascii; /* every unit is ASCII: a fast byte-wise compare suffices */
} rw_icase;

/* Compiles UTF-8 text (invalid bytes are taken as they are) into *out, the caller's struct: its
 * units are new memory, freed by rw_icase_free (not out itself); the forms point into the units
 * or the static table, never into s, which need not outlive it. */
void rw_icase_compile(rw_icase *out, const char *s, size_t n);
void rw_icase_free(rw_icase *ic);
typedef enum { RW_ICASE_EQUALS, RW_ICASE_PREFIX, RW_ICASE_SUFFIX } rw_icase_mode;
bool rw_icase_match(const rw_icase *ic, const char *v, size_t n, rw_icase_mode mode);

#endif
