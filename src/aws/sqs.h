/* SQS, over its JSON protocol (AmazonSQS.<Operation>, application/x-amz-json-1.0), as current SDKs
 * speak it: receiving with long polling, deleting, changing a message's visibility, the queue's
 * attributes. The queue is named by its URL; the call goes to the SQS endpoint of the region. */
#ifndef RW_AWS_SQS_H
#define RW_AWS_SQS_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/client.h"

typedef struct rw_sqs_message {
    char *id;           /* MessageId */
    char *receipt;      /* ReceiptHandle: what deleting and changing visibility take */
    char *body;         /* Body */
    size_t len;         /* of body */
    long receive_count; /* ApproximateReceiveCount (1 the first time; 0 when not given) */
    long long sent_ms;  /* SentTimestamp (epoch milliseconds; 0 when not given) */
} rw_sqs_message;

void rw_sqs_message_free(rw_sqs_message *m); /* what m holds, not m */

/* The region of a queue URL: https://sqs.REGION.amazonaws.com/..., https://REGION.queue.
 * amazonaws.com/... (a new string), or NULL when the host names none (an emulator's URL). */
char *rw_sqs_url_region(const char *queue_url);
/* The queue's name: the last part of the URL's path (a new string), or NULL when it has none. */
char *rw_sqs_url_name(const char *queue_url);

/* ReceiveMessage: up to max messages (1..10), waiting up to wait_s seconds for one (long polling);
 * visibility_s > 0 sets the visibility timeout of those received. *out is a new array of *n
 * messages (NULL when none came), freed with rw_sqs_messages_free. */
int rw_sqs_receive(rw_aws_client *c, const char *region, const char *queue_url, int max, int wait_s,
                   int visibility_s, rw_sqs_message **out, size_t *n);
void rw_sqs_messages_free(rw_sqs_message *v, size_t n);
int rw_sqs_delete(rw_aws_client *c, const char *region, const char *queue_url, const char *receipt);
/* DeleteMessageBatch: up to 10 receipts; ok[i] says whether receipts[i] was deleted (the call may
 * succeed with some entries failed: they are named in the error then). */
int rw_sqs_delete_batch(rw_aws_client *c, const char *region, const char *queue_url,
                        const char *const *receipts, size_t n, bool *ok);
int rw_sqs_change_visibility(rw_aws_client *c, const char *region, const char *queue_url,
                             const char *receipt, int visibility_s);
/* GetQueueAttributes for the named attributes (NULL-terminated); doc (the caller's) holds the
 * reply, whose "Attributes" object *attrs points to (NULL when the reply has none). */
int rw_sqs_attributes(rw_aws_client *c, const char *region, const char *queue_url,
                      const char *const *names, rw_json_doc *doc, const rw_json **attrs);

#endif
