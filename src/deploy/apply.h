/* rootwatch deploy apply / destroy (issue 14; docs/deploy.md): creates
 * through the AWS APIs what `rootwatch audit` would fail on and is safe to create, and removes it
 * again. One function per resource kind (bucket, log group, role, trail, metric filter, topic,
 * alarm, EventBridge rule, Config rule), each finding its resource, creating and tagging it, or
 * deleting it. Everything created carries the tag rootwatch:managed=true; a resource of the same
 * name without it is the user's, and is never changed or deleted. Each step prints one line. */
#ifndef RW_DEPLOY_APPLY_H
#define RW_DEPLOY_APPLY_H

#include <stdbool.h>
#include <stdio.h>

#include "aws/session.h"

#define RW_APPLY_TAG_KEY "rootwatch:managed"
#define RW_APPLY_TAG_VALUE "true"

/* The names of what apply makes (`rootwatch iam-policy --for deploy-apply` scopes to them). */
#define RW_APPLY_BUCKET_PREFIX "rootwatch-trail-" /* then ACCOUNT-REGION */
#define RW_APPLY_TRAIL "rootwatch"
#define RW_APPLY_LOG_GROUP "rootwatch/cloudtrail"
#define RW_APPLY_ROLE "rootwatch-cloudtrail-logs"
#define RW_APPLY_FILTER "rootwatch-root-usage"
#define RW_APPLY_ALARM "rootwatch-root-usage"
#define RW_APPLY_TOPIC "rootwatch-root-activity"
#define RW_APPLY_RULE "rootwatch-root-activity"
#define RW_APPLY_CONFIG_RULE "rootwatch-root-account-mfa-enabled"

typedef struct rw_apply_opts {
    const char *email;          /* apply: the address subscribed to each topic (required) */
    const char *const *regions; /* EventBridge rules and topics: us-east-1, the session's region
                                   and these (NULL-terminated; may be NULL) */
    bool dry_run;               /* read only: print what would be done */
    bool delete_bucket;         /* destroy: delete the trail's bucket and its logs too */
    int log_retention_days;     /* the log group's retention (0: 90) */
    FILE *out;                  /* the step lines */
} rw_apply_opts;

/* Creates what is missing; RW_OK when every step ended well (created, already there, left as
 * the user's, or skipped with a reason), RW_EIO when one was refused or failed (the message set).
 */
int rw_deploy_apply(rw_aws_session *s, const rw_apply_opts *o);
/* Deletes what apply created (found by name, confirmed by its tag), never anything else. */
int rw_deploy_destroy(rw_aws_session *s, const rw_apply_opts *o);

#endif
