/* rootwatch as the Lambda function: one invocation's event through the engine (the same rules,
 * classification and exclusions as scan), each new root alert published synchronously to the SNS
 * topic of SNS_TOPIC_ARN (AWS's blog subject, notify's message) and to the channels of a
 * configuration file, and the answer Lambda gets: {"records":N,"alerts":N,"published":N,
 * "duplicates":N}, with "batchItemFailures" for an SQS batch.
 *
 * The store (SQLite, in /tmp: per warm instance) keeps every alert and its deliveries: an alert
 * whose deliveries were all made is a duplicate and is not published again; one whose delivery
 * failed (an earlier invocation that failed, retried by Lambda or redelivered by SQS) is published
 * now. A delivery that fails fails its unit: the invocation (EventBridge, SNS) or the SQS message
 * (batchItemFailures), after what was published is recorded. */
#ifndef RW_LAMBDA_FUNCTION_H
#define RW_LAMBDA_FUNCTION_H

#include "lambda/runtime.h"
#include "notify/notify.h"
#include "rules/ruleset.h"

typedef struct rw_lambda_fn rw_lambda_fn;

typedef struct rw_lambda_fn_opts {
    const rw_ruleset *rules;       /* borrowed, frozen */
    const char *topic_arn;         /* SNS_TOPIC_ARN */
    rw_notify_config *extra;       /* a configuration file's channels (borrowed), or NULL */
    const char *store_path;        /* the store (a folder is made for it) */
    const char *idempotency_table; /* DynamoDB table of claimed eventIDs, or NULL */
    long margin_ms; /* no publish starts with less than this left before the deadline */
} rw_lambda_fn_opts;

/* Checks SNS_TOPIC_ARN's value: RW_OK, or RW_EINVAL with a message naming the variable. */
int rw_lambda_topic_check(const char *arn);

/* Sets the function up (the SNS channel, the store): RW_OK, or an error whose message is the
 * init error Lambda is told. */
int rw_lambda_fn_new(rw_lambda_fn **out, const rw_lambda_fn_opts *opts);
void rw_lambda_fn_free(rw_lambda_fn *fn);
/* The handler of rw_lambda_runtime_loop (ctx: the rw_lambda_fn). */
void rw_lambda_fn_invoke(void *ctx, const rw_lambda_invocation *inv, rw_lambda_reply *reply);

#endif
