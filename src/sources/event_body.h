/* What a queue message or a notification carries, read the same way by rootwatch lambda (an SQS
 * batch's bodies, an SNS event's messages: in_lambda.c) and by rootwatch watch's sqs source
 * (in_sqs.c):
 *   - an EventBridge event carrying one CloudTrail record (detail-type "AWS API Call via
 *     CloudTrail" or "AWS Console Sign In via CloudTrail");
 *   - an S3 event notification (Records[].eventSource "aws:s3": new trail files to fetch), and
 *     S3's test event (s3:TestEvent, sent when a notification is set up), when asked for;
 *   - either wrapped in an SNS notification (Type "Notification", the event in Message: an SQS
 *     queue subscribed to a topic without raw message delivery), when asked for. */
#ifndef RW_SOURCES_EVENT_BODY_H
#define RW_SOURCES_EVENT_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/json.h"

typedef enum rw_body_kind {
    RW_BODY_ERROR,       /* none of the kinds taken: error says what it is */
    RW_BODY_EVENTBRIDGE, /* event, len */
    RW_BODY_S3,          /* objects, nobjects */
    RW_BODY_S3_TEST,     /* s3:TestEvent */
} rw_body_kind;

enum {
    RW_BODY_SNS = 1,   /* an SNS notification wrapping one of the kinds taken is unwrapped */
    RW_BODY_S3_OK = 2, /* S3 event notifications and test events are taken */
};

typedef struct rw_body_object {
    char *bucket, *key; /* the key decoded (S3 writes it URL-encoded, spaces as '+') */
    char *region;       /* the notification's awsRegion, or NULL */
    uint64_t size;
} rw_body_object;

typedef struct rw_event_body {
    rw_body_kind kind;
    bool sns;    /* it came wrapped in an SNS notification */
    char *event; /* EVENTBRIDGE: the event as one line of compact JSON, '\n' at its end */
    size_t len;
    char *id; /* EVENTBRIDGE: the event's id, or NULL */
    rw_body_object *objects;
    size_t nobjects;
    char *error; /* ERROR: why ("the message's body is not JSON: ...") */
} rw_event_body;

/* Reads text (what: its name in messages, "the message's body"); flags: RW_BODY_*. Never fails as
 * a call: what cannot be taken is kind RW_BODY_ERROR with error set. out is the caller's, filled
 * in whole; rw_event_body_free frees what it holds. */
void rw_event_body_parse(rw_event_body *out, const char *text, size_t len, unsigned flags,
                         const char *what);
void rw_event_body_free(rw_event_body *b);

/* For messages that quote what arrived: at most 80 bytes of s, valid UTF-8 only, control
 * characters as '?', "..." when cut. */
void rw_event_body_quote(rw_buf *b, const char *s, size_t n);
/* What a JSON value is, in words ("a JSON object with the members a, b", "an array, not a JSON
 * object"): a new string. */
char *rw_event_body_describe(const rw_json *v);
/* NULL when v is an EventBridge event carrying a CloudTrail record rootwatch takes; else why not
 * (a new string). */
char *rw_event_body_not_eventbridge(const rw_json *v);

#endif
