/* Decides candidate records: parses them in full, applies the root rule and the user's filters,
 * and turns matches into alerts. One detector per thread. */
#ifndef RW_DETECT_H
#define RW_DETECT_H

#include <stdbool.h>
#include <stdint.h>

#include "rules/alert.h"
#include "rules/ruleset.h"
#include "trail/reader.h"

typedef struct rw_filter {
    bool has_since, has_until;
    int64_t since, until; /* epoch seconds, inclusive since, exclusive until */
    char **accounts;      /* NULL-terminated; NULL means any */
    char **regions;
} rw_filter;

typedef struct rw_detector rw_detector;

/* Reports a problem with a record at a byte offset of its input. */
typedef void (*rw_detect_problem_fn)(void *ctx, uint64_t offset, const char *msg);

/* A detector with the built-in root rules (loaded once, kept for the process). Each rw_detector_new
 * result is freed with rw_detector_free. filter (and its lists) is borrowed: it must outlive the
 * detector. */
rw_detector *rw_detector_new(const rw_filter *filter, size_t max_depth);
/* A detector with these rules (frozen; shared by every thread's detector; borrowed: they must
 * outlive it). */
rw_detector *rw_detector_new_rules(const rw_filter *filter, const rw_ruleset *rules,
                                   size_t max_depth);
void rw_detector_free(rw_detector *d);

typedef enum rw_verdict {
    RW_VERDICT_NONE,
    RW_VERDICT_ALERT,
    RW_VERDICT_FILTERED,   /* a rule fired, but the event is outside --since, --account, ... */
    RW_VERDICT_SUPPRESSED, /* a rule matched, but one of its exceptions held it back */
    RW_VERDICT_SERVICE,    /* no rule fired: a root event an AWS service made on the account's
                              behalf (userIdentity.invokedBy a service), inside the filters */
} rw_verdict;

/* Decides one candidate: wraps a bare CloudTrail record in the EventBridge event EventBridge
 * would deliver, runs the rules, and classifies. On RW_VERDICT_ALERT, *out is a new alert (file
 * is copied into it); on RW_VERDICT_FILTERED, *out is the alert the filters kept out
 * (classified, without the event's JSON), for the caller to count; on RW_VERDICT_SERVICE, *out is
 * the same for the service's root event, invoked_by naming the service. In those three cases the
 * caller owns *out and frees it with rw_alert_free; otherwise *out is NULL. rec is read during the
 * call only (nothing in *out points into it). Problems go to problem(ctx, ...). */
rw_verdict rw_detector_check(rw_detector *d, const rw_trail_record *rec, const char *file,
                             rw_alert **out, rw_detect_problem_fn problem, void *ctx);

#endif
