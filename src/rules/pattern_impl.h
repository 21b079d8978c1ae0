/* The compiled form of event patterns, shared by the compiler and the matcher. Everything a
 * pattern reaches (sub-rules, conditions, alternatives, their strings, icase and wildcard forms,
 * literals) is owned by the pattern and freed by rw_pattern_free only; the matcher borrows it. */
#ifndef RW_PATTERN_IMPL_H
#define RW_PATTERN_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/casemap.h"
#include "rules/pattern.h"
#include "rules/wildcard.h"

typedef enum alt_kind {
    A_STR, /* an exact string (also "exactly") */
    A_IP,  /* an IP address given as a plain value: matched as a one-address range */
    A_NUM, /* an exact number */
    A_TRUE,
    A_FALSE,
    A_NULL,
    A_PREFIX,
    A_SUFFIX,
    A_PREFIX_IC, /* prefix with equals-ignore-case */
    A_SUFFIX_IC,
    A_EQ_IC, /* equals-ignore-case */
    A_WILDCARD,
    A_NUMERIC, /* a numeric range */
    A_CIDR,
    A_EXISTS, /* exists: true (exists: false is the condition's absent_ok) */
    A_AB_STR, /* anything-but strings */
    A_AB_NUM, /* anything-but numbers */
    A_AB_PREFIX,
    A_AB_SUFFIX,
    A_AB_IC,
    A_AB_WILDCARD,
} alt_kind;

typedef struct str {
    char *s;
    size_t n;
} str;

typedef struct alt {
    alt_kind kind;
    str s;           /* A_STR, A_PREFIX, A_SUFFIX; A_IP and A_CIDR: the bottom in hex */
    str top;         /* A_CIDR: the top in hex */
    double d;        /* A_NUM */
    bool comparable; /* A_NUM: compared by value (else by text only) */
    bool has_lo, has_hi, lo_incl, hi_incl; /* A_NUMERIC */
    double lo, hi;
    str *list; /* anything-but lists (strings) */
    size_t nlist;
    double *nums;    /* A_AB_NUM */
    rw_icase *ic;    /* *_IC (one per list item for A_AB_IC) */
    rw_wildcard *wc; /* A_WILDCARD (one), A_AB_WILDCARD (nlist) */
} alt;

typedef struct cond {
    char *path; /* field names joined by '.' */
    alt *alts;
    size_t nalts;
    bool absent_ok; /* {"exists": false} is among the alternatives */
} cond;

typedef struct litset { /* one condition's literals: any event it holds for contains one of them */
    char **lit;
    size_t n;
} litset;

typedef struct subrule {
    cond *conds; /* sorted by path, in Java string order */
    size_t n;
    litset *opts; /* every condition that guarantees literals: the prefilter may use any one */
    size_t nopts;
} subrule;

struct rw_pattern {
    subrule *subs;
    size_t nsubs;
    char **literals; /* see rw_pattern_literals */
    size_t nliterals;
    bool literal_free; /* a sub-rule can match without any literal */
};

/* numbers, as EventBridge compares them (section 4): pattern_number.c */
bool rw_pattern_number_comparable(const char *text, double *value);
/* The canonical text of an event number: integers as written (-0 as 0), floats as Java prints the
 * nearest double (JDK 19 and later). Returns text itself, a static string, or buf (the caller's):
 * nothing to free, valid as long as text and buf are. */
const char *rw_pattern_number_canonical(const char *text, char buf[40]);

#endif
