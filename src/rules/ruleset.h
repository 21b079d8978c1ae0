/* Rules: what rootwatch alerts on. A rule file (YAML) holds rules, each an EventBridge event
 * pattern with an id, a title, a severity, a description and optional exceptions (patterns that
 * suppress the rule, with a reason and an optional time window). The built-in root rules are such
 * a file (src/rules/builtin.yaml), compiled into the program. docs/rules.md tells how to write
 * them.
 *
 * Ownership: a ruleset (rw_ruleset_new, freed with rw_ruleset_free) owns its rules, their strings
 * and compiled patterns, and its literals and messages. Everything the functions below return is
 * borrowed from it: the rules and literals until rw_ruleset_free (a rule's address may change
 * while rules are still being loaded), the errors and warnings until the next load or freeze. */
#ifndef RW_RULESET_H
#define RW_RULESET_H

#include <stdbool.h>
#include <stdint.h>

#include "rules/alert.h"
#include "rules/pattern.h"
#include "util/buf.h"

typedef struct rw_rule_exception {
    char *reason;
    rw_pattern *pattern;
    char *pattern_json;
    bool has_from, has_expires;
    int64_t from, expires; /* events in [from, expires) are suppressed */
} rw_rule_exception;

typedef struct rw_rule {
    char *id, *title, *description;
    bool severity_auto; /* the root classification decides (built-in rules) */
    rw_severity severity;
    rw_pattern *pattern;
    char *pattern_json; /* the pattern as JSON: what EventBridge would be given */
    rw_rule_exception *exceptions;
    size_t nexceptions;
    char *origin; /* "built-in", or "FILE:LINE" */
    bool builtin;
} rw_rule;

typedef struct rw_ruleset rw_ruleset;

rw_ruleset *rw_ruleset_new(void);
void rw_ruleset_free(rw_ruleset *rs);
/* Loading: each returns RW_OK, or RW_EINVAL after adding one line per problem (naming the file,
 * line, column and rule) to rw_ruleset_errors(). */
int rw_ruleset_load_builtin(rw_ruleset *rs);
int rw_ruleset_load_file(rw_ruleset *rs, const char *path);
int rw_ruleset_load_text(rw_ruleset *rs, const char *text, size_t len, const char *name);
/* The problems found so far, one per line, or "". */
const char *rw_ruleset_errors(const rw_ruleset *rs);
/* Prepares matching; call once, after loading and before matching from any thread. */
void rw_ruleset_freeze(rw_ruleset *rs, int64_t now);
/* Warnings found when freezing (an exception that has expired, ...), one per line, or "". */
const char *rw_ruleset_warnings(const rw_ruleset *rs);

size_t rw_ruleset_count(const rw_ruleset *rs);
/* The i-th rule (i < rw_ruleset_count). */
const rw_rule *rw_ruleset_rule(const rw_ruleset *rs, size_t i);
/* The literals any matching record's JSON text holds (for the prefilter; set by
 * rw_ruleset_freeze); false when some rule can match without one (every record must then be
 * parsed). *out is the ruleset's array of *n strings (not NULL-terminated): not to be freed. */
bool rw_ruleset_literals(const rw_ruleset *rs, const char *const **out, size_t *n);
/* The number of compiled patterns (rules and exceptions): the size a hits buffer needs. */
size_t rw_ruleset_npatterns(const rw_ruleset *rs);

/* Which rules fire for an event (an EventBridge event; time is its time in epoch seconds, or
 * INT64_MIN): their indexes, ascending, in fired (at most max). *suppressed counts rules that
 * matched but an exception held back. hits must have room for rw_ruleset_npatterns(). */
size_t rw_ruleset_match(const rw_ruleset *rs, rw_match_scratch *s, const rw_json *event,
                        int64_t time, size_t *hits, size_t *fired, size_t max, size_t *suppressed);

#endif
