/* IDEMPOTENCY_TABLE: each alert's eventID is claimed in a DynamoDB table with a conditional
 * PutItem (attribute_not_exists) before it is published, so that an event that reaches several
 * instances of the function at once (a retry, an SQS redelivery, two rules) is published once.
 * The table's partition key is eventID (a string); each item has state ("claimed", then
 * "published"), claimedAt, and expiresAt (epoch seconds, seven days on) for the table's TTL. A
 * claim whose publish fails is deleted, so that a retry may claim it again; one still "claimed"
 * after 960 s (longer than any invocation runs) was left by an instance that died mid-publish and
 * is taken over. */
#ifndef RW_LAMBDA_IDEMPOTENCY_H
#define RW_LAMBDA_IDEMPOTENCY_H

#include <stdbool.h>

#include "aws/session.h"

typedef struct rw_lambda_idem rw_lambda_idem;

/* session is borrowed (must outlive it); table is copied. */
int rw_lambda_idem_new(rw_lambda_idem **out, rw_aws_session *session, const char *table);
void rw_lambda_idem_free(rw_lambda_idem *d);
/* Claims event_id: *mine is true when this call made the claim, false when it was claimed
 * already; an error when DynamoDB cannot say (the alert is then not published by this call). */
int rw_lambda_idem_claim(rw_lambda_idem *d, const char *event_id, bool *mine);
/* Marks a claim published (state "published", publishedAt), with PutItem: the role needs
 * dynamodb:PutItem and dynamodb:DeleteItem only. Errors are logged. */
void rw_lambda_idem_done(rw_lambda_idem *d, const char *event_id);
/* Gives a claim up (its publish failed). Errors are logged. */
void rw_lambda_idem_release(rw_lambda_idem *d, const char *event_id);

#endif
