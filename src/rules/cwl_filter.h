/* CloudWatch Logs filter patterns (metric filters, subscription filters, FilterLogEvents, Live
 * Tail): a compiler and an evaluator, so that `rootwatch audit` can tell whether a metric filter
 * on a CloudTrail log group catches root use (issue 14). docs/audit.md, "The metric filter check",
 * says which semantics were chosen and where each comes from.
 *
 * The forms, as AWS documents them ("Filter pattern syntax for metric filters, subscription
 * filters, filter log events and Live Tail"):
 *   - JSON: { $.a.b[0] = "x" && ($.n >= 5 || $.f IS TRUE) && $.g NOT EXISTS }
 *   - terms on the raw message: ERROR "a phrase" -excluded ?alternative %regex%
 *   - space-delimited: [ip, user, ..., status = 4* && bytes > 1000, size]
 *   - the empty pattern (or "") matches every event.
 * Pure: no I/O. */
#ifndef RW_RULES_CWL_FILTER_H
#define RW_RULES_CWL_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/json.h"

/* AWS's limit on filterPattern (PutMetricFilter: 0 to 1024 characters), counted in characters */
#define RW_CWL_MAX_PATTERN 1024
/* rootwatch's limit on nested parentheses (AWS documents none; 1024 characters allow ~500) */
#define RW_CWL_MAX_DEPTH 128

typedef enum rw_cwl_kind {
    RW_CWL_ALL,       /* empty: every event */
    RW_CWL_TERMS,     /* terms, phrases, -exclusions, ?alternatives, %regex% on the raw message */
    RW_CWL_JSON,      /* { ... } */
    RW_CWL_DELIMITED, /* [ ... ] */
} rw_cwl_kind;

typedef struct rw_cwl_filter rw_cwl_filter;

/* Compiles pattern[0..len). RW_OK, or RW_EINVAL (RW_ELIMIT past the length or depth limits)
 * with a message naming the byte offset and what was expected (rw_error_last()). */
int rw_cwl_filter_compile(rw_cwl_filter **out, const char *pattern, size_t len);
void rw_cwl_filter_free(rw_cwl_filter *f);
rw_cwl_kind rw_cwl_filter_kind(const rw_cwl_filter *f);
const char *rw_cwl_kind_name(rw_cwl_kind k); /* "json", "terms", ... */

/* Does the filter match this JSON log event? Text and space-delimited patterns are evaluated on
 * the event's compact JSON text (as CloudTrail writes each record to CloudWatch Logs). */
bool rw_cwl_filter_match(const rw_cwl_filter *f, const rw_json *event);
/* Does the filter match this raw log event message? A JSON pattern parses it first (a message
 * that is not a JSON object matches no JSON pattern). */
bool rw_cwl_filter_match_line(const rw_cwl_filter *f, const char *msg, size_t len);

/* rootwatch's canonical CloudTrail records for the metric-filter-root check: a filter catches root
 * use when it matches every must_match record and no other. */
typedef struct rw_cwl_case {
    const char *name;   /* "root console sign-in" */
    bool must_match;    /* root use a person must hear of */
    const char *record; /* the record as compact JSON, as CloudTrail writes it to the log group */
} rw_cwl_case;
extern const rw_cwl_case rw_cwl_root_cases[];
extern const size_t rw_cwl_root_ncases;

/* The canonical cases f gets wrong: bit i set when f misses a must_match record i or matches a
 * record i it must not. 0: f catches root use exactly. */
uint32_t rw_cwl_filter_root_wrong(const rw_cwl_filter *f);
/* Appends a sentence naming the wrong cases ("misses root console sign-in; matches IAM user
 * call"), or "catches every canonical root case" for 0. */
int rw_cwl_root_wrong_describe(rw_buf *out, uint32_t wrong);

#endif
