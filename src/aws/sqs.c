#include "aws/sqs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/xmalloc.h"

/* SQS's JSON protocol (the query protocol is rw_aws_sqs in client.c) */
static const rw_aws_service sqs_json = {"sqs", "SQS",       "sqs", RW_AWS_JSON,
                                        NULL,  "AmazonSQS", "1.0", 0};

void rw_sqs_message_free(rw_sqs_message *m) {
    if (!m) return;
    free(m->id);
    free(m->receipt);
    free(m->body);
    memset(m, 0, sizeof *m);
}

void rw_sqs_messages_free(rw_sqs_message *v, size_t n) {
    for (size_t i = 0; i < n; i++) rw_sqs_message_free(&v[i]);
    free(v);
}

/* the URL's host: a pointer into url, and its length */
static const char *host_of(const char *url, size_t *n) {
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    *n = strcspn(h, "/:?");
    return h;
}

char *rw_sqs_url_region(const char *url) {
    size_t n;
    const char *h = host_of(url, &n);
    if (n > 4 && !strncmp(h, "sqs.", 4)) { /* sqs.REGION.amazonaws.com[.cn] */
        const char *r = h + 4, *dot = memchr(r, '.', n - 4);
        if (dot && dot > r && !strncmp(dot, ".amazonaws.", 11))
            return strndup(r, (size_t)(dot - r));
    }
    const char *dot = memchr(h, '.', n); /* REGION.queue.amazonaws.com (legacy) */
    if (dot && !strncmp(dot, ".queue.amazonaws.", 17)) return strndup(h, (size_t)(dot - h));
    return NULL;
}

char *rw_sqs_url_name(const char *url) {
    size_t n;
    const char *h = host_of(url, &n);
    const char *path = h + n;
    path += strcspn(path, "/");
    size_t plen = strcspn(path, "?#");
    while (plen && path[plen - 1] == '/') plen--;
    const char *slash = NULL;
    for (size_t i = 0; i < plen; i++)
        if (path[i] == '/') slash = path + i;
    if (!slash || slash + 1 >= path + plen) return NULL;
    return strndup(slash + 1, (size_t)(path + plen - slash - 1));
}

static void put_str(rw_buf *b, const char *key, const char *v) {
    rw_json_write_str(b, key, strlen(key));
    rw_buf_putc(b, ':');
    rw_json_write_str(b, v, strlen(v));
}

static long attr_long(const rw_json *attrs, const char *name) {
    const char *s = rw_json_get_str(attrs, name);
    return s ? strtol(s, NULL, 10) : 0;
}

int rw_sqs_receive(rw_aws_client *c, const char *region, const char *queue_url, int max, int wait_s,
                   int visibility_s, rw_sqs_message **out, size_t *n) {
    *out = NULL;
    *n = 0;
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_buf_putc(&b, '{');
    put_str(&b, "QueueUrl", queue_url);
    rw_buf_printf(&b, ",\"MaxNumberOfMessages\":%d,\"WaitTimeSeconds\":%d", max, wait_s);
    if (visibility_s > 0) rw_buf_printf(&b, ",\"VisibilityTimeout\":%d", visibility_s);
    /* AttributeNames is the older name of MessageSystemAttributeNames: both, for old emulators */
    rw_buf_puts(&b,
                ",\"AttributeNames\":[\"ApproximateReceiveCount\",\"SentTimestamp\"],"
                "\"MessageSystemAttributeNames\":[\"ApproximateReceiveCount\",\"SentTimestamp\"]}");
    rw_json_doc *doc = rw_json_doc_new(NULL);
    int rc = rw_aws_json(c, &sqs_json, region, "ReceiveMessage", b.data, doc);
    rw_buf_free(&b);
    if (rc == RW_OK) {
        const rw_json *msgs = rw_json_get(rw_json_doc_root(doc), "Messages");
        if (msgs && msgs->type == RW_JSON_ARRAY && msgs->len) {
            rw_sqs_message *v = rw_xcalloc(msgs->len, sizeof *v);
            size_t k = 0;
            for (const rw_json *m = msgs->child; m; m = m->next) {
                const char *id = rw_json_get_str(m, "MessageId");
                const char *rh = rw_json_get_str(m, "ReceiptHandle");
                const rw_json *body = rw_json_get(m, "Body");
                if (!rh) continue; /* nothing to delete it by: it comes back */
                rw_sqs_message *o = &v[k++];
                o->id = rw_xstrdup(id ? id : "");
                o->receipt = rw_xstrdup(rh);
                if (body && body->type == RW_JSON_STRING) {
                    o->body = rw_xmalloc(body->len + 1);
                    memcpy(o->body, body->str, body->len);
                    o->body[body->len] = 0;
                    o->len = body->len;
                } else {
                    o->body = rw_xstrdup("");
                }
                const rw_json *attrs = rw_json_get(m, "Attributes");
                o->receive_count = attr_long(attrs, "ApproximateReceiveCount");
                o->sent_ms = attr_long(attrs, "SentTimestamp");
            }
            *out = v;
            *n = k;
            if (!k) free(v), *out = NULL;
        }
    }
    rw_json_doc_free(doc);
    return rc;
}

static int simple(rw_aws_client *c, const char *region, const char *op, const char *body) {
    rw_json_doc *doc = rw_json_doc_new(NULL);
    int rc = rw_aws_json(c, &sqs_json, region, op, body, doc);
    rw_json_doc_free(doc);
    return rc;
}

int rw_sqs_delete(rw_aws_client *c, const char *region, const char *queue_url,
                  const char *receipt) {
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_buf_putc(&b, '{');
    put_str(&b, "QueueUrl", queue_url);
    rw_buf_putc(&b, ',');
    put_str(&b, "ReceiptHandle", receipt);
    rw_buf_putc(&b, '}');
    int rc = simple(c, region, "DeleteMessage", b.data);
    rw_buf_free(&b);
    return rc;
}

int rw_sqs_delete_batch(rw_aws_client *c, const char *region, const char *queue_url,
                        const char *const *receipts, size_t n, bool *ok) {
    for (size_t i = 0; i < n; i++) ok[i] = false;
    if (!n) return RW_OK;
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_buf_putc(&b, '{');
    put_str(&b, "QueueUrl", queue_url);
    rw_buf_puts(&b, ",\"Entries\":[");
    for (size_t i = 0; i < n; i++) {
        rw_buf_printf(&b, "%s{\"Id\":\"m%zu\",", i ? "," : "", i);
        put_str(&b, "ReceiptHandle", receipts[i]);
        rw_buf_putc(&b, '}');
    }
    rw_buf_puts(&b, "]}");
    rw_json_doc *doc = rw_json_doc_new(NULL);
    int rc = rw_aws_json(c, &sqs_json, region, "DeleteMessageBatch", b.data, doc);
    rw_buf_free(&b);
    if (rc == RW_OK) {
        const rw_json *root = rw_json_doc_root(doc);
        const rw_json *good = rw_json_get(root, "Successful");
        for (const rw_json *e = good && good->type == RW_JSON_ARRAY ? good->child : NULL; e;
             e = e->next) {
            const char *id = rw_json_get_str(e, "Id");
            size_t k;
            if (id && sscanf(id, "m%zu", &k) == 1 && k < n) ok[k] = true;
        }
        const rw_json *bad = rw_json_get(root, "Failed");
        if (bad && bad->type == RW_JSON_ARRAY && bad->child) {
            const char *code = rw_json_get_str(bad->child, "Code");
            const char *msg = rw_json_get_str(bad->child, "Message");
            rc = rw_error_set(RW_EIO, "SQS DeleteMessageBatch: %u of %zu not deleted: %s: %s",
                              (unsigned)bad->len, n, code ? code : "?", msg ? msg : "");
        }
    }
    rw_json_doc_free(doc);
    return rc;
}

int rw_sqs_change_visibility(rw_aws_client *c, const char *region, const char *queue_url,
                             const char *receipt, int visibility_s) {
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_buf_putc(&b, '{');
    put_str(&b, "QueueUrl", queue_url);
    rw_buf_putc(&b, ',');
    put_str(&b, "ReceiptHandle", receipt);
    rw_buf_printf(&b, ",\"VisibilityTimeout\":%d}", visibility_s);
    int rc = simple(c, region, "ChangeMessageVisibility", b.data);
    rw_buf_free(&b);
    return rc;
}

int rw_sqs_attributes(rw_aws_client *c, const char *region, const char *queue_url,
                      const char *const *names, rw_json_doc *doc, const rw_json **attrs) {
    *attrs = NULL;
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_buf_putc(&b, '{');
    put_str(&b, "QueueUrl", queue_url);
    rw_buf_puts(&b, ",\"AttributeNames\":[");
    for (size_t i = 0; names && names[i]; i++) {
        if (i) rw_buf_putc(&b, ',');
        rw_json_write_str(&b, names[i], strlen(names[i]));
    }
    rw_buf_puts(&b, "]}");
    int rc = rw_aws_json(c, &sqs_json, region, "GetQueueAttributes", b.data, doc);
    rw_buf_free(&b);
    if (rc == RW_OK) {
        const rw_json *a = rw_json_get(rw_json_doc_root(doc), "Attributes");
        *attrs = a && a->type == RW_JSON_OBJECT ? a : NULL;
    }
    return rc;
}
