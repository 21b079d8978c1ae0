/* EventBridge wildcard patterns: '*' matches any run of bytes, "\*" and "\\" are a literal star
 * and backslash. Parsing with AWS's errors, matching, and AWS's complexity measure. */
#ifndef RW_WILDCARD_H
#define RW_WILDCARD_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rw_wildcard {
    char *text; /* the pattern with escapes resolved; a star is marked in stars */
    size_t n;
    unsigned char *star; /* star[i] != 0: text[i] is a wildcard */
} rw_wildcard;

/* Parses s into *out, the caller's struct: its text and star are new memory (no pointer into s),
 * freed by rw_wildcard_free (not out itself). On a syntax error returns false with AWS's reason
 * ("Consecutive wildcard characters at pos N", "Invalid escape character at pos N") and nothing
 * to free. */
bool rw_wildcard_parse(rw_wildcard *out, const char *s, size_t n, char reason[160]);
void rw_wildcard_free(rw_wildcard *w);
/* Does the whole of v match? */
bool rw_wildcard_match(const rw_wildcard *w, const char *v, size_t n);
/* The complexity of the wildcard patterns that share one matching machine: the most pattern
 * prefixes one input can keep alive at once (docs/eventbridge-pattern-semantics.md section 6).
 * Stops counting past limit (and returns a value above it). */
size_t rw_wildcard_complexity(const rw_wildcard *const *ws, size_t count, size_t limit);

#endif
