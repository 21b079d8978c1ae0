/* EventBridge event patterns: the whole language EventBridge event buses accept, compiled once,
 * with AWS's semantics and AWS's reasons for rejecting a pattern
 * (docs/eventbridge-pattern-semantics.md).
 *
 * A pattern compiles to sub-rules (one per $or alternative); a sub-rule is a list of conditions,
 * one per field path, each a list of alternatives (exact values, prefix, suffix,
 * equals-ignore-case, anything-but, numeric, cidr, exists, wildcard). A matcher holds many compiled
 * patterns and matches an event against all of them at once: the event is flattened once, only
 * along the paths some pattern uses, and exact and prefix conditions are looked up in indexes
 * rather than tried one pattern after another.
 *
 * Ownership: every rw_pattern_compile* result is freed with rw_pattern_free, every rw_matcher_new
 * with rw_matcher_free, every rw_match_scratch_new with rw_match_scratch_free. */
#ifndef RW_PATTERN_H
#define RW_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

#include "util/json.h"

typedef struct rw_pattern rw_pattern;

typedef struct rw_pattern_error {
    char reason[512]; /* AWS's reason, e.g. "Empty arrays are not allowed" */
    size_t offset;    /* where in the pattern text the problem is */
    bool internal;    /* AWS answers this pattern with an internal failure (HTTP 500) */
} rw_pattern_error;

/* Compiles the pattern text (read during the call only) into *out, a new pattern. On failure
 * returns RW_EINVAL with *out NULL (and fills err, when it is not NULL). */
int rw_pattern_compile(rw_pattern **out, const char *text, size_t len, rw_pattern_error *err);
/* Compiles an already parsed pattern (a YAML rule file's pattern, say). The pattern keeps no
 * pointer into the tree, which may be freed afterwards. */
int rw_pattern_compile_json(rw_pattern **out, const rw_json *pattern, rw_pattern_error *err);
void rw_pattern_free(rw_pattern *p);
/* The literal strings, at least one of which any event matching the pattern must contain in its
 * JSON text (they are how the scan path skips records without parsing them). Returns false when
 * the pattern can match without a literal (then no record can be skipped for it). *out holds
 * NUL-terminated strings owned by the pattern: borrowed, valid until rw_pattern_free. */
bool rw_pattern_literals(const rw_pattern *p, const char *const **out, size_t *n);
/* The same for a set of patterns, choosing together: literals that serve many sub-rules, and not
 * ones that most CloudTrail records hold (service names), so that as few records as possible are
 * parsed. Returns false when some sub-rule can match without a literal. *out is a new array of
 * *nout new strings (NULL when there are none), not NULL-terminated: the caller frees each string
 * and then the array with free(). */
bool rw_patterns_literals(const rw_pattern *const *ps, size_t n, char ***out, size_t *nout);

/* ---- matching many patterns ---------------------------------------------------------------- */

typedef struct rw_matcher rw_matcher;
typedef struct rw_match_scratch rw_match_scratch;

rw_matcher *rw_matcher_new(void);
/* Adds a pattern (the matcher does not take ownership; it must outlive the matcher). Returns its
 * index. Add every pattern before the first match. */
size_t rw_matcher_add(rw_matcher *m, const rw_pattern *p);
void rw_matcher_free(rw_matcher *m);
/* Per-thread working memory for matching. */
rw_match_scratch *rw_match_scratch_new(void);
void rw_match_scratch_free(rw_match_scratch *s);
/* Matches the event against every pattern; writes the indexes of those that match (ascending) to
 * out (the caller's array, at most max) and returns how many match. */
size_t rw_matcher_match(rw_matcher *m, rw_match_scratch *s, const rw_json *event, size_t *out,
                        size_t max);

/* One pattern, one event (test-pattern). */
bool rw_pattern_matches(const rw_pattern *p, const rw_json *event);

/* Checks an event as TestEventPattern does (a JSON object with id, detail-type, source, account,
 * time, region; time a timestamp). On failure returns RW_EINVAL with the reason in the message. */
int rw_pattern_check_event(const rw_json *event);

#endif
