/* What the check files of src/audit share: the run's context, the table row, and the helpers
 * that fill in a finding. Not for use outside src/audit. */
#ifndef RW_AUDIT_IMPL_H
#define RW_AUDIT_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "aws/client.h"
#include "util/buf.h"
#include "util/json.h"

typedef struct rw_audit_ctx rw_audit_ctx;

struct rw_audit_check {
    const char *id, *title;
    const char *const *controls;
    void (*fn)(rw_audit_ctx *a, const rw_audit_check *chk);
};

/* A trail as DescribeTrails, GetTrailStatus and GetEventSelectors tell it. */
typedef struct rw_audit_trail {
    char *arn, *name, *home;
    char *log_group_arn;   /* CloudWatchLogsLogGroupArn, or NULL */
    char *cwl_error;       /* LatestCloudWatchLogsDeliveryError, or NULL */
    int64_t cwl_delivered; /* LatestCloudWatchLogsDeliveryTime (epoch s), 0: never */
    bool multi_region, logging, global, validation, all_management;
    bool org;    /* IsOrganizationTrail */
    char *owner; /* the account of its ARN (an organization trail's: the management account) */
    char *status_error; /* GetTrailStatus or GetEventSelectors failed: why (the trail's own) */
    char *status_permission;
} rw_audit_trail;

/* A shared reading several checks depend on: read once, its error kept for each of them. */
typedef struct rw_audit_step {
    int state;        /* 0 not read, 1 read, -1 failed */
    char *error;      /* why it failed */
    char *permission; /* the action that was denied, or NULL */
} rw_audit_step;

/* A metric filter that catches root use exactly, on a trail's log group. */
typedef struct rw_audit_filter {
    char *name, *log_group, *region, *metric, *ns, *trail_arn, *pattern;
} rw_audit_filter;

/* An alarm that fires on one root use and sends to SNS topics. */
typedef struct rw_audit_alarm {
    char *arn, *region;
    char **topics; /* NULL-terminated */
} rw_audit_alarm;

struct rw_audit_ctx {
    rw_aws_session *s;
    rw_aws_client *c;
    const rw_audit_opts *o;
    rw_audit_report *rep;
    char *account;   /* STS GetCallerIdentity's, or "unknown" */
    char *partition; /* "aws" */
    char *home;      /* the session's region (us-east-1 when none) */

    rw_audit_step regions_step;
    char **regions; /* NULL-terminated: where EventBridge rules are looked for */

    rw_audit_step trails_step;
    rw_audit_trail *trails;
    size_t ntrails;

    rw_audit_step filters_step; /* set by metric-filter-root */
    rw_audit_filter *filters;
    size_t nfilters;
    char *filter_group, *filter_region; /* none found: the trail's log group, for the fix */

    rw_audit_step alarms_step; /* set by alarm-root */
    rw_audit_alarm *alarms;
    size_t nalarms;

    rw_audit_step summary_step; /* IAM GetAccountSummary */
    long mfa_enabled, keys_present;
};

/* The check tables of each file, each ended by a row whose id is NULL. */
extern const rw_audit_check rw_audit_trail_checks[];
extern const rw_audit_check rw_audit_alarm_checks[];
extern const rw_audit_check rw_audit_events_checks[];
extern const rw_audit_check rw_audit_root_checks[];
extern const rw_audit_check rw_audit_org_checks[];

/* A new finding of chk in region ("global" for IAM), its result ERROR until set. */
rw_audit_finding *rw_audit_add(rw_audit_ctx *a, const rw_audit_check *chk, const char *region);
/* Drops the findings after the first n (a check run only for what it reads, not reported). */
void rw_audit_truncate(rw_audit_ctx *a, size_t n);
/* Sets the result and the evidence (formatted). */
void rw_audit_set(rw_audit_finding *f, rw_audit_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rw_audit_set_fix(rw_audit_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* What is missing: need is a token (audit.h, rw_audit_finding.need), then the text. */
void rw_audit_set_missing(rw_audit_finding *f, const char *need, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rw_audit_set_resource(rw_audit_finding *f, const char *arn);

/* Is the client's last error a refusal of permission (AccessDenied, UnauthorizedOperation,
 * AuthorizationError, HTTP 403)? */
bool rw_audit_denied(const rw_aws_client *c);
/* Records the last call's failure in step: the message (what: rw_error_last()), and permission
 * when AWS refused it. Returns RW_EIO. */
int rw_audit_step_fail(rw_aws_client *c, rw_audit_step *step, const char *permission,
                       const char *what);
/* Makes to the same as from (copies; what to held is freed). */
void rw_audit_step_copy(rw_audit_step *to, const rw_audit_step *from);
/* Makes f ERROR from a failed step (its message and permission), prefixed by context (may be
 * NULL). */
void rw_audit_error_from(rw_audit_finding *f, const rw_audit_step *step, const char *context);
/* Makes f ERROR from the client's last call (as rw_audit_step_fail). */
void rw_audit_call_error(rw_aws_client *c, rw_audit_finding *f, const char *permission,
                         const char *what);

/* Shared readings, each made once. */
int rw_audit_read_trails(rw_audit_ctx *a);
/* Does t record every root use wherever it happens (multi-region, logging, global service
 * events, every management event)? */
bool rw_audit_trail_good(const rw_audit_trail *t);
int rw_audit_read_regions(rw_audit_ctx *a);
/* Is t an organization trail of another account: seen from a member account, the trail the
 * management account made for the whole organization (its log group, metric filter and alarm are
 * in that account, out of this one's reach)? */
bool rw_audit_trail_foreign(const rw_audit_ctx *a, const rw_audit_trail *t);
/* The checks built on the trail's CloudWatch Logs delivery (trail-cloudwatch-logs,
 * metric-filter-root, alarm-root, alarm-subscribers) are not this account's to make when no good
 * trail of its own delivers to a log group and an organization trail of another account records
 * its root use (good, or multi-region with global service events while its status could not be
 * read here): that trail, or NULL (also when the trails could not be read). */
const rw_audit_trail *rw_audit_org_cover(rw_audit_ctx *a);
/* Makes f NOT_APPLICABLE: "covered by organization trail ARN of management account N: its log
 * group, metric filter and alarm are in that account; run rootwatch audit there". */
void rw_audit_set_org_covered(rw_audit_finding *f, const rw_audit_trail *t);
int rw_audit_read_summary(rw_audit_ctx *a);

/* A topic's subscriptions, as SNS ListSubscriptionsByTopic lists them (in the topic's region):
 * confirmed ones ("PROTOCOL ENDPOINT (SUBSCRIPTION_ARN)") and those pending confirmation
 * ("PROTOCOL ENDPOINT"), each list ", "-separated. alarm-subscribers reads the alarm's topic with
 * it, eventbridge-rule-root a rule's SNS target. */
typedef struct rw_audit_subs {
    rw_buf confirmed, pending;
    size_t nconfirmed;
} rw_audit_subs;
/* Fills *s (always: free it with rw_audit_subs_free). RW_OK; RW_ENOTFOUND when the topic does not
 * exist; RW_EIO when the call failed otherwise, f made ERROR (sns:ListSubscriptionsByTopic). */
int rw_audit_topic_subscriptions(rw_audit_ctx *a, rw_audit_finding *f, const char *topic,
                                 rw_audit_subs *s);
void rw_audit_subs_free(rw_audit_subs *s);

/* May service ("events.amazonaws.com" for a rule's target, "cloudwatch.amazonaws.com" for an
 * alarm's topic) use the KMS key that encrypts resource (a topic or queue ARN; url: a queue's URL
 * for the fix, or NULL), for source_arn (the rule or the alarm)? key_id is the resource's
 * KmsMasterKeyId as it was read (a key id, key ARN, alias name or alias ARN). An alias under
 * alias/aws/ (or DescribeKey's KeyManager AWS) is an AWS managed key, which never lets another
 * service use it; otherwise KMS DescribeKey (the key's ARN, state) and GetKeyPolicy ("default"),
 * evaluated by aws/respolicy.h for kms:GenerateDataKey and kms:Decrypt with the key's ARN as the
 * resource and kms:ViaService and the service's encryption context known. Returns 1: it may (ok
 * gets "its KMS key ... (statement ...)"); 0: it may not (why gets "it is encrypted with ..."; the
 * grant or key to add is appended to missing and the fix, "; "-separated); -1: a call failed, f
 * made ERROR (kms:DescribeKey, kms:GetKeyPolicy). */
int rw_audit_key_allows(rw_audit_ctx *a, rw_audit_finding *f, const char *resource, const char *url,
                        const char *key_id, const char *service, const char *source_arn, rw_buf *ok,
                        rw_buf *why, rw_buf *missing, rw_buf *fix);

/* Helpers */
void rw_audit_list_add(char ***list, const char *s); /* a copy of s, to a NULL-terminated list */
bool rw_audit_list_has(char *const *list, const char *s);
void rw_audit_list_free(char **list);
/* The n-th (from 0) ':'-separated field of an ARN, a new string ("" when absent). */
char *rw_audit_arn_field(const char *arn, int n);
/* An ISO 8601 time, or epoch seconds as a JSON number's text, as epoch seconds; 0 when neither. */
int64_t rw_audit_time(const rw_json *v);

#endif
