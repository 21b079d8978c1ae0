/* The canonical root events an EventBridge rule's pattern is checked with, by `rootwatch deploy
 * test` (issue 12; docs/lambda.md, "deploy test") and by `rootwatch audit`'s eventbridge-rule-root
 * check (issue 14; docs/audit.md): CloudTrail records wrapped as EventBridge delivers them, with
 * the answer a rule that catches root use must give for each. Pure: no AWS call. */
#ifndef RW_RULES_EB_CASES_H
#define RW_RULES_EB_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/pattern.h"
#include "util/buf.h"

typedef struct rw_eb_case {
    const char *name; /* "root console sign-in" */
    bool must_match;  /* the rule must deliver it (root activity) or must not */
    const char *detail_type, *source, *event_source, *event_name, *event_type;
    const char *identity;   /* "Root" or "IAMUser" */
    const char *invoked_by; /* userIdentity.invokedBy, or NULL */
    bool read_only;
} rw_eb_case;

/* Root console sign-in, root write call, root read-only call (must match); an IAM user's call, a
 * root call an AWS service made (invokedBy; must not). */
extern const rw_eb_case rw_eb_root_cases[];
extern const size_t rw_eb_root_ncases;

/* Appends case c as an EventBridge event (the CloudTrail record in "detail") of account and
 * region at epoch time now, its eventID event_id (NULL: one derived from the case). */
int rw_eb_case_event(rw_buf *out, const rw_eb_case *c, const char *account, const char *region,
                     int64_t now, const char *event_id);

/* The canonical cases pattern p answers wrongly, each case's event built for account and region at
 * epoch time now: bit i set when p misses a must_match case i or matches a case i it must not (an
 * event rootwatch's own checks refuse counts as wrong). 0: p catches root use exactly. */
uint32_t rw_eb_pattern_root_wrong(const rw_pattern *p, const char *account, const char *region,
                                  int64_t now);
/* Appends "misses A (EventName), B (...)" to misses and "C (...)" to extra for the wrong cases
 * (either may stay empty). */
void rw_eb_root_wrong_lists(uint32_t wrong, rw_buf *misses, rw_buf *extra);

/* Appends the event `deploy test` sends the function: a root write call whose eventName
 * (RootwatchDeployTest), eventSource, userAgent and requestParameters say that it is a test of
 * rootwatch deploy test and that no root user was used, and whose eventID is
 * "rootwatch-deploy-test-<now>-<nonce>" (written to event_id, at least 64 bytes). The function
 * alerts and publishes it as it would a real one, so that the topic's subscribers see the test. */
int rw_eb_test_event(rw_buf *out, const char *account, const char *region, int64_t now,
                     unsigned nonce, char *event_id, size_t cap);

#endif
