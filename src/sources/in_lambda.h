/* A Lambda invocation's event as a source (rootwatch lambda): the event JSON of one invocation is
 * the input. It may be
 *   - an EventBridge event carrying one CloudTrail record in "detail" (detail-type "AWS API Call
 *     via CloudTrail" or "AWS Console Sign In via CloudTrail"): one unit;
 *   - an SQS batch (Records[].eventSource "aws:sqs") whose bodies are such events, or SNS
 *     notifications wrapping them: one unit per message, so that a message that fails (cannot be
 *     read, or its alerts cannot be delivered) is named alone in batchItemFailures;
 *   - an SNS event (Records[].Sns.Message) wrapping such an event: one unit per record.
 * Anything else is refused as a whole, saying what arrived. Units are settled through the engine:
 * each item records whether it was read and delivered in full. */
#ifndef RW_SOURCES_IN_LAMBDA_H
#define RW_SOURCES_IN_LAMBDA_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/source.h"

typedef enum rw_lambda_kind {
    RW_LAMBDA_EVENTBRIDGE, /* one EventBridge event */
    RW_LAMBDA_SQS,         /* an SQS batch */
    RW_LAMBDA_SNS,         /* an SNS event */
} rw_lambda_kind;

typedef struct rw_lambda_item {
    char *id; /* the SQS messageId, the SNS MessageId or the EventBridge event's id ("" if none) */
    char *name;  /* for messages: "SQS message ID", "SNS message ID", "EventBridge event ID" */
    char *body;  /* the EventBridge event as one line of compact JSON; NULL when error is set */
    size_t len;  /* of body */
    char *error; /* why this item holds no event it takes (NULL: it does) */
    bool settled, ok; /* set by the engine: read, and its alerts delivered */
} rw_lambda_item;

typedef struct rw_lambda_event {
    rw_lambda_kind kind;
    rw_lambda_item *items;
    size_t nitems;
} rw_lambda_event;

/* Reads an invocation's event. RW_OK with *out (freed with rw_lambda_event_free), or RW_EINVAL
 * with a message that says what arrived instead ("not JSON: ... at byte 12", "an EventBridge event
 * of detail-type 'Scheduled Event'", "a JSON object with the members a, b, c"). In an SQS batch or
 * an SNS event, an item that is not an event rootwatch takes is not an error of the whole: its
 * error is set, and its unit fails. */
int rw_lambda_event_parse(rw_lambda_event **out, const char *data, size_t len);
void rw_lambda_event_free(rw_lambda_event *ev);
const char *rw_lambda_kind_name(rw_lambda_kind k);

/* A source whose units are ev's items, in order (ev is borrowed: it must outlive the engine's
 * finish; each item's settled and ok are set as the engine settles it). */
rw_source *rw_source_lambda_new(rw_lambda_event *ev);
/* The item a unit of that source stands for. */
rw_lambda_item *rw_source_lambda_item(rw_unit *u);

#endif
