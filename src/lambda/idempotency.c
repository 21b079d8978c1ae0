#include "lambda/idempotency.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

/* how long a claim is kept (the table's TTL attribute) */
#define CLAIM_SECONDS (7 * 24 * 3600)
/* a claim not marked published after this long was left by an instance that died: Lambda runs an
 * invocation for 900 s at most */
#define STALE_SECONDS 960

/* clang-format off */
static const rw_aws_service dynamodb = {"dynamodb", "DynamoDB", "dynamodb", RW_AWS_JSON, NULL, "DynamoDB_20120810", "1.0", 0};
/* clang-format on */

struct rw_lambda_idem {
    rw_aws_client *client;
    char *table;
};

int rw_lambda_idem_new(rw_lambda_idem **out, rw_aws_session *session, const char *table) {
    rw_lambda_idem *d = rw_xcalloc(1, sizeof *d);
    d->client = rw_aws_client_new(session->cfg, session->creds, NULL);
    d->table = rw_xstrdup(table);
    *out = d;
    return RW_OK;
}

void rw_lambda_idem_free(rw_lambda_idem *d) {
    if (!d) return;
    rw_aws_client_free(d->client);
    free(d->table);
    free(d);
}

static void put_str(rw_buf *b, const char *s) {
    rw_json_write_str(b, s, strlen(s));
}

/* The start of a request about event_id's item, as far as its key: {"TableName":...,"MEMBER":
 * {"eventID":{"S":...}. The caller closes it. */
static void begin(rw_buf *b, const rw_lambda_idem *d, const char *member, const char *event_id) {
    rw_buf_init(b, 0);
    rw_buf_puts(b, "{\"TableName\":");
    put_str(b, d->table);
    rw_buf_printf(b, ",\"%s\":{\"eventID\":{\"S\":", member);
    put_str(b, event_id);
    rw_buf_puts(b, "}");
}

/* A PutItem's start, up to the whole item: its state, when (epoch seconds, in the attribute
 * at_name) and the TTL attribute expiresAt. */
static void begin_item(rw_buf *b, const rw_lambda_idem *d, const char *event_id, const char *state,
                       const char *at_name, int64_t now) {
    begin(b, d, "Item", event_id);
    rw_buf_printf(b,
                  ",\"state\":{\"S\":\"%s\"},\"%s\":{\"N\":\"%lld\"},"
                  "\"expiresAt\":{\"N\":\"%lld\"}}",
                  state, at_name, (long long)now, (long long)(now + CLAIM_SECONDS));
}

/* One DynamoDB call with the request in b (freed); the answer is not needed. */
static int call(rw_lambda_idem *d, const char *op, rw_buf *b) {
    rw_json_doc *doc = rw_json_doc_new(NULL);
    int rc = rw_aws_json(d->client, &dynamodb, NULL, op, b->data, doc);
    rw_json_doc_free(doc);
    rw_buf_free(b);
    return rc;
}

int rw_lambda_idem_claim(rw_lambda_idem *d, const char *event_id, bool *mine) {
    *mine = false;
    int64_t now = rw_time_now();
    rw_buf b;
    begin_item(&b, d, event_id, "claimed", "claimedAt", now);
    /* a claim left by an instance that died before publishing (state still "claimed") is taken
     * over once it is older than the longest a Lambda invocation may run */
    rw_buf_printf(&b,
                  ",\"ConditionExpression\":\"attribute_not_exists(eventID) OR (#s = :claimed AND "
                  "claimedAt < :stale)\",\"ExpressionAttributeNames\":{\"#s\":\"state\"},"
                  "\"ExpressionAttributeValues\":{\":claimed\":{\"S\":\"claimed\"},"
                  "\":stale\":{\"N\":\"%lld\"}}}",
                  (long long)(now - STALE_SECONDS));
    int rc = call(d, "PutItem", &b);
    if (rc == RW_OK) {
        *mine = true;
    } else if (strstr(rw_aws_client_error(d->client)->code, "ConditionalCheckFailed")) {
        rc = RW_OK; /* claimed already */
    } else {
        rc = rw_error_wrap(rc, "IDEMPOTENCY_TABLE %s: event %s cannot be claimed", d->table,
                           event_id);
    }
    return rc;
}

void rw_lambda_idem_done(rw_lambda_idem *d, const char *event_id) {
    /* a PutItem (the claim's own permission; no UpdateItem needed) that overwrites the claim */
    rw_buf b;
    begin_item(&b, d, event_id, "published", "publishedAt", rw_time_now());
    rw_buf_puts(&b, "}");
    if (call(d, "PutItem", &b) != RW_OK)
        rw_log_warn("IDEMPOTENCY_TABLE %s: event %s was published but cannot be marked so (a "
                    "redelivery after the claim goes stale could publish it again): %s",
                    d->table, event_id, rw_error_last());
}

void rw_lambda_idem_release(rw_lambda_idem *d, const char *event_id) {
    rw_buf b;
    begin(&b, d, "Key", event_id);
    rw_buf_puts(&b, "}}");
    if (call(d, "DeleteItem", &b) != RW_OK)
        rw_log_error("IDEMPOTENCY_TABLE %s: the claim of event %s cannot be given up (a retry "
                     "will not publish it before the claim expires): %s",
                     d->table, event_id, rw_error_last());
}
