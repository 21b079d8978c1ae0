/* Resource policies (an SNS topic's Policy attribute, an SQS queue's, a Lambda function's
 * GetPolicy): does this document let a service principal perform an action on the resource, for a
 * source ARN and account? rootwatch audit asks it of an EventBridge rule's targets, rootwatch
 * deploy test of the stack's function, rootwatch deploy apply of the topic it keeps.
 *
 * What is evaluated, as IAM does for one request (docs/audit.md, "eventbridge-rule-root"):
 *   - Effect Allow or Deny: a Deny statement that applies wins over any Allow.
 *   - Action or NotAction: a string or an array, '*' and '?' wildcards, case-insensitive
 *     ("SNS:Publish", "sns:*", "*").
 *   - Principal or NotPrincipal: "*", {"AWS": "*"} (the same as "*"), {"Service": NAME or [...]}
 *     (compared case-insensitively); any other principal (an account, a role) is not the service.
 *   - Resource or NotResource, when the request names one: wildcards, case-sensitive (a KMS key
 *     policy's "*" is the key).
 *   - Condition: StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase,
 *     StringLike, StringNotLike, ArnEquals, ArnLike, ArnNotEquals, ArnNotLike (each also with
 *     IfExists), Bool and Null, on the keys aws:SourceArn, aws:SourceAccount and
 *     aws:SecureTransport (true: services deliver over TLS); keys case-insensitive, values a
 *     string or an array of strings (any one may match; for the Not operators none may). ArnEquals
 *     and ArnLike are alike, as IAM has them: each of the six ':'-separated parts of the ARN is
 *     matched on its own, with wildcards. A key absent from the request (a NULL source_arn) makes
 *     a condition false, its Not form and IfExists form true, as IAM does.
 *   - Anything else in a Condition (another operator, a ForAnyValue:/ForAllValues: set operator,
 *     another key such as AWS:SourceOwner, a policy variable, a value that is not a string) is
 *     not evaluated, and rootwatch does not guess: such an Allow statement is not counted as a
 *     grant, and such a Deny statement is taken as applying. Both are conservative (the question
 *     is whether delivery is certain) and the reason says which statement and which condition.
 */
#ifndef RW_AWS_RESPOLICY_H
#define RW_AWS_RESPOLICY_H

#include <stddef.h>

#include "util/buf.h"

typedef struct rw_respolicy_request {
    const char *service;        /* the service principal: "events.amazonaws.com" */
    const char *action;         /* "sns:Publish", "sqs:SendMessage", "lambda:InvokeFunction" */
    const char *resource;       /* the resource's ARN, or NULL: Resource is not looked at */
    const char *source_arn;     /* aws:SourceArn (the rule's ARN), or NULL: not in the request */
    const char *source_account; /* aws:SourceAccount, or NULL: not in the request */
} rw_respolicy_request;

typedef enum rw_respolicy_verdict {
    RW_RESPOLICY_ALLOWED,     /* a statement allows it and no Deny applies */
    RW_RESPOLICY_NOT_ALLOWED, /* no statement allows it (or only under what is not evaluated) */
    RW_RESPOLICY_DENIED,      /* a Deny statement applies (or may: a condition not evaluated) */
    RW_RESPOLICY_INVALID,     /* the policy is not JSON, or holds no Statement */
} rw_respolicy_verdict;

/* Evaluates the policy text policy[0..len) for req. When why is not NULL, appends in words what
 * decided (no trailing period): "statement RootwatchRule (Allow) allows it", "statement 2 (no
 * Sid) denies it", "no statement allows events.amazonaws.com sns:Publish for aws:SourceArn ARN
 * (statement __default_statement_ID would only under condition StringEquals AWS:SourceOwner,
 * which rootwatch does not evaluate)", "the policy is not JSON: ...". */
rw_respolicy_verdict rw_respolicy_eval(const char *policy, size_t len,
                                       const rw_respolicy_request *req, rw_buf *why);

/* The same, with condition keys of the request beyond the three above: extra is NULL or a
 * NULL-terminated list of key, value pairs (keys compared without case, as IAM does), e.g. a KMS
 * key policy's {"kms:ViaService", "sns.us-east-1.amazonaws.com",
 * "kms:EncryptionContext:aws:sns:topicArn", TOPIC_ARN, NULL}. A key neither here nor above is
 * still not evaluated. (A KMS key policy's Resource "*" is the key itself: with the key's ARN as
 * the request's resource, "*" matches it, so nothing more is needed for it.) */
rw_respolicy_verdict rw_respolicy_eval_ctx(const char *policy, size_t len,
                                           const rw_respolicy_request *req,
                                           const char *const *extra, rw_buf *why);

/* "ALLOWED", "NOT_ALLOWED", ... (a static string). */
const char *rw_respolicy_verdict_name(rw_respolicy_verdict v);

/* IAM's wildcard match: '*' any run of characters (none too), '?' any one; icase: ASCII letters
 * compared without case. Exposed for the tests. */
int rw_respolicy_wildcard(const char *pattern, const char *text, int icase);

#endif
