/* rootwatch deploy test (issue 12; docs/lambda.md, "deploy test"): proves a deployed hub stack
 * end to end, one step after the other, each printed as one line (OK, FAIL or SKIP, the step, what
 * was read), stopping at the first that fails:
 *
 *   stack     CloudFormation ListStackResources: the stack's rule, function and topic
 *   rule      EventBridge DescribeRule: the rule's ARN, pattern and state
 *   pattern   the rule's pattern through rootwatch's own matcher (rules/pattern.h) on the canonical
 *             events of rules/eb_cases.h: root sign-in, write and read-only calls must match, an
 *             IAM user's call and a root call invoked by an AWS service must not
 *   eventbridge  the same cases through EventBridge's TestEventPattern; SKIP (never FAIL) where the
 *             service does not answer it (moto: an empty reply; elsewhere an unknown operation,
 *             HTTP 501, access denied)
 *   state     ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (plain ENABLED misses root read-only
 *             calls: a failure)
 *   function  Lambda GetFunctionConfiguration: not Failed, SNS_TOPIC_ARN the stack's topic
 *   target    ListTargetsByRule: the stack's function
 *   permission  Lambda GetPolicy: a statement lets events.amazonaws.com invoke the function for
 *             this rule (the stack's AWS::Lambda::Permission)
 *   invoke    Lambda Invoke (RequestResponse) with a marked test event: the summary must say one
 *             record, one alert, published (SNS took it), no duplicate
 */
#ifndef RW_DEPLOY_STACKTEST_H
#define RW_DEPLOY_STACKTEST_H

#include <stdint.h>
#include <stdio.h>

#include "aws/session.h"

typedef struct rw_stacktest_opts {
    const char *stack; /* the stack's name or ID */
    FILE *out;         /* where each step's line goes */
    int64_t now;       /* epoch seconds: the events' time and the test event's ID */
    unsigned nonce;    /* makes the test event's ID unique within a second */
} rw_stacktest_opts;

/* Runs the steps against the stack in s's region. Returns RW_OK when every step passed, RW_EIO
 * when one failed (its line printed; the message "failed at step NAME"). */
int rw_deploy_stack_test(rw_aws_session *s, const rw_stacktest_opts *o);

#endif
