/* The canonical events `rootwatch deploy test` checks a deployed rule's pattern with (issue 12;
 * docs/lambda.md, "deploy test"): CloudTrail records wrapped as EventBridge delivers them, with
 * the answer the stack's rule must give for each. Pure: no AWS call. */
#ifndef RW_DEPLOY_STACKCASES_H
#define RW_DEPLOY_STACKCASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

typedef struct rw_deploy_case {
    const char *name; /* "root console sign-in" */
    bool must_match;  /* the rule must deliver it (root activity) or must not */
    const char *detail_type, *source, *event_source, *event_name, *event_type;
    const char *identity;   /* "Root" or "IAMUser" */
    const char *invoked_by; /* userIdentity.invokedBy, or NULL */
    bool read_only;
} rw_deploy_case;

/* Root console sign-in, root write call, root read-only call (must match); an IAM user's call, a
 * root call an AWS service made (invokedBy; must not). */
extern const rw_deploy_case rw_deploy_cases[];
extern const size_t rw_deploy_ncases;

/* Appends case c as an EventBridge event (the CloudTrail record in "detail") of account and
 * region at epoch time now, its eventID event_id (NULL: one derived from the case). */
int rw_deploy_case_event(rw_buf *out, const rw_deploy_case *c, const char *account,
                         const char *region, int64_t now, const char *event_id);

/* Appends the event `deploy test` sends the function: a root write call whose eventName
 * (RootwatchDeployTest), eventSource, userAgent and requestParameters say that it is a test of
 * rootwatch deploy test and that no root user was used, and whose eventID is
 * "rootwatch-deploy-test-<now>-<nonce>" (written to event_id, at least 64 bytes). The function
 * alerts and publishes it as it would a real one, so that the topic's subscribers see the test. */
int rw_deploy_test_event(rw_buf *out, const char *account, const char *region, int64_t now,
                         unsigned nonce, char *event_id, size_t cap);

#endif
