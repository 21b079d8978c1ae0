/* The least IAM policy each rootwatch command needs (`rootwatch iam-policy`, docs/watch.md): the
 * actions its code calls, each on the narrowest resource that works. One table per command, so the
 * policy changes with the code in one place; tests/integration/test_iam_policy.py runs each
 * command in moto with IAM enforced under exactly the printed policy, and again with each
 * statement taken out, so that the policy is proven both enough and needed. */
#ifndef RW_DEPLOY_POLICY_H
#define RW_DEPLOY_POLICY_H

#include <stdbool.h>

#include "util/buf.h"

typedef enum rw_policy_for {
    RW_POLICY_SCAN,         /* rootwatch scan (s3://, --lookup-events) */
    RW_POLICY_WATCH,        /* rootwatch watch (sqs, s3, lookup-events sources) */
    RW_POLICY_LAMBDA,       /* the function's role (what the CloudFormation stack grants) */
    RW_POLICY_DEPLOY,       /* rootwatch deploy test */
    RW_POLICY_AUDIT,        /* rootwatch audit: read calls only, on "*" */
    RW_POLICY_DEPLOY_APPLY, /* rootwatch deploy apply and destroy: its own resources, by name */
} rw_policy_for;

/* What the command will use, and the resources the statements are scoped to. Lists are
 * NULL-terminated (NULL: none given). A statement is written when what it serves is given (a
 * bucket: the S3 statements; lookup: LookupEvents; ...). When nothing at all is given, every
 * statement of the command is written, each resource as a placeholder
 * ("arn:aws:s3:::<trail-bucket>") named in *missing: a template to fill in, which grants nothing
 * until it is. */
typedef struct rw_policy_input {
    const char *partition;     /* "aws" (default), "aws-cn", "aws-us-gov" */
    const char *const *bucket; /* trail bucket names (s3 sources, scan s3://, S3 notifications) */
    const char *prefix;        /* the trail's prefix in those buckets ("" or NULL: none) */
    const char *const *queue;  /* SQS queue ARNs (or URLs: turned into ARNs) */
    const char *const *topic;  /* SNS topic ARNs (the sns channel; the function's topic) */
    const char *const *kms;    /* KMS key ARNs that encrypt the bucket or queue (kms:Decrypt) */
    const char *table;         /* lambda: the idempotency table's ARN (NULL: no table) */
    const char *dlq;           /* lambda: the dead-letter queue's ARN */
    const char *log_group;     /* lambda: the function's log group ARN */
    const char *stack;         /* deploy: the stack's name */
    const char *function;      /* deploy: the stack's function (NULL: the template's default) */
    const char *region;        /* deploy: the stack's region (NULL: any) */
    const char *account;       /* deploy: the stack's account (NULL: any) */
    bool lookup;               /* scan, watch: CloudTrail event history (LookupEvents) */
    bool all_regions;          /* scan, watch: --regions all (ec2:DescribeRegions) */
} rw_policy_input;

/* "scan", "watch", "lambda", "deploy", "audit", "deploy-apply" -> *out; RW_EINVAL otherwise. */
int rw_policy_for_parse(rw_policy_for *out, const char *name);
const char *rw_policy_for_name(rw_policy_for f);
/* The names rw_policy_for_parse takes, separated by '|' (a static string). */
const char *rw_policy_for_names(void);

/* Appends the policy document (JSON, two-space indent, final newline) to out, and to missing the
 * placeholders used, one per line ("<trail-bucket>: --bucket NAME"). RW_OK, or RW_EINVAL with the
 * message set (a queue URL or ARN that is neither). */
int rw_policy_build(rw_buf *out, rw_buf *missing, rw_policy_for what, const rw_policy_input *in);

#endif
