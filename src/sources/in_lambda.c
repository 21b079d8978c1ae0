#include "sources/in_lambda.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/event_body.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/xmalloc.h"

static char *message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *message(const char *fmt, ...) {
    rw_buf b;
    rw_buf_init(&b, 0);
    va_list ap;
    va_start(ap, fmt);
    rw_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    return rw_buf_take(&b);
}

/* Sets item's body (the event, compact, one line) or its error from text, which is an EventBridge
 * event, or (when sns) an SNS notification wrapping one (sources/event_body.h). */
static void item_from_text(rw_lambda_item *it, const char *text, size_t len, bool sns,
                           const char *what) {
    rw_event_body b;
    rw_event_body_parse(&b, text, len, sns ? RW_BODY_SNS : 0, what);
    if (b.kind == RW_BODY_EVENTBRIDGE) {
        it->body = b.event;
        it->len = b.len;
        b.event = NULL;
        if (b.id && !*it->id) {
            free(it->id);
            it->id = b.id;
            b.id = NULL;
        }
    } else {
        it->error = b.error;
        b.error = NULL;
    }
    rw_event_body_free(&b);
}

static char *str_or(const rw_json *obj, const char *key, const char *def) {
    const char *s = rw_json_get_str(obj, key);
    return rw_xstrdup(s ? s : def);
}

static void set_name(rw_lambda_item *it, const char *kind) {
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_printf(&b, "%s ", kind);
    if (*it->id)
        rw_event_body_quote(&b, it->id, strlen(it->id));
    else
        rw_buf_puts(&b, "(no id)");
    free(it->name);
    it->name = rw_buf_take(&b);
}

const char *rw_lambda_kind_name(rw_lambda_kind k) {
    switch (k) {
    case RW_LAMBDA_EVENTBRIDGE:
        return "EventBridge event";
    case RW_LAMBDA_SQS:
        return "SQS batch";
    case RW_LAMBDA_SNS:
        return "SNS event";
    }
    return "event";
}

int rw_lambda_event_parse(rw_lambda_event **out, const char *data, size_t len) {
    *out = NULL;
    rw_json_doc *doc = rw_json_doc_new(NULL);
    if (len == 0) {
        rw_json_doc_free(doc);
        return rw_error_set(RW_EINVAL, "the event is empty (no bytes)");
    }
    if (rw_json_doc_parse(doc, data, len) != RW_OK) {
        int rc = rw_error_wrap(RW_EINVAL, "the event is not JSON");
        rw_json_doc_free(doc);
        return rc;
    }
    const rw_json *root = rw_json_doc_root(doc);
    rw_lambda_event *ev = rw_xcalloc(1, sizeof *ev);
    const rw_json *recs = rw_json_get(root, "Records");
    int rc = RW_OK;
    if (root->type == RW_JSON_OBJECT && recs && recs->type == RW_JSON_ARRAY) {
        const rw_json *first = recs->child;
        const char *src = first ? rw_json_get_str(first, "eventSource") : NULL;
        if (!src && first) src = rw_json_get_str(first, "EventSource");
        if (!first) {
            rc = rw_error_set(RW_EINVAL, "the event has an empty Records array: nothing to read");
        } else if (src && !strcmp(src, "aws:sqs")) {
            ev->kind = RW_LAMBDA_SQS;
        } else if ((src && !strcmp(src, "aws:sns")) || rw_json_get(first, "Sns")) {
            ev->kind = RW_LAMBDA_SNS;
        } else {
            rw_buf b;
            rw_buf_init(&b, 0);
            if (src) {
                rw_buf_puts(&b, "Records from eventSource '");
                rw_event_body_quote(&b, src, strlen(src));
                rw_buf_puts(&b, "'");
            } else {
                char *what = rw_event_body_describe(first);
                rw_buf_printf(&b, "Records whose first is %s", what);
                free(what);
            }
            rc = rw_error_set(RW_EINVAL,
                              "the event holds %s (rootwatch takes SQS batches, aws:sqs, and SNS "
                              "events, aws:sns, wrapping EventBridge events of CloudTrail)",
                              b.data);
            rw_buf_free(&b);
        }
        if (rc == RW_OK) {
            ev->items = rw_xcalloc(recs->len, sizeof *ev->items);
            size_t i = 0;
            for (const rw_json *r = recs->child; r; r = r->next, i++) {
                rw_lambda_item *it = &ev->items[ev->nitems++];
                if (ev->kind == RW_LAMBDA_SQS) {
                    it->id = str_or(r, "messageId", "");
                    set_name(it, "SQS message");
                    const rw_json *body = rw_json_get(r, "body");
                    if (!body || body->type != RW_JSON_STRING)
                        it->error = message("record %zu of the SQS batch has no body string", i);
                    else
                        item_from_text(it, body->str, body->len, true, "the message's body");
                } else {
                    const rw_json *sns = rw_json_get(r, "Sns");
                    it->id = str_or(sns, "MessageId", "");
                    set_name(it, "SNS message");
                    const rw_json *msg = rw_json_get(sns, "Message");
                    if (!msg || msg->type != RW_JSON_STRING)
                        it->error =
                            message("record %zu of the SNS event has no Sns.Message string", i);
                    else
                        item_from_text(it, msg->str, msg->len, false, "the SNS message");
                }
            }
            /* an SNS event is one notification: an unreadable one is the invocation's error */
            if (ev->kind == RW_LAMBDA_SNS && ev->nitems == 1 && ev->items[0].error)
                rc = rw_error_set(RW_EINVAL, "%s: %s", ev->items[0].name, ev->items[0].error);
        }
    } else {
        char *why = rw_event_body_not_eventbridge(root);
        if (why) {
            rc = rw_error_set(RW_EINVAL, "the event is %s", why);
            free(why);
        } else {
            ev->kind = RW_LAMBDA_EVENTBRIDGE;
            ev->items = rw_xcalloc(1, sizeof *ev->items);
            rw_lambda_item *it = &ev->items[ev->nitems++];
            it->id = rw_xstrdup("");
            item_from_text(it, data, len, false, "the event");
            set_name(it, "EventBridge event");
            if (it->error) rc = rw_error_set(RW_EINVAL, "%s", it->error);
        }
    }
    rw_json_doc_free(doc);
    if (rc != RW_OK) {
        rw_lambda_event_free(ev);
        return rc;
    }
    *out = ev;
    return RW_OK;
}

void rw_lambda_event_free(rw_lambda_event *ev) {
    if (!ev) return;
    for (size_t i = 0; i < ev->nitems; i++) {
        free(ev->items[i].id);
        free(ev->items[i].name);
        free(ev->items[i].body);
        free(ev->items[i].error);
    }
    free(ev->items);
    free(ev);
}

/* ---- the source ---------------------------------------------------------------------------- */

static int lambda_enumerate(rw_source *src, rw_emit *emit) {
    rw_lambda_event *ev = src->state;
    for (size_t i = 0; i < ev->nitems; i++) {
        int rc = rw_emit_unit(emit, ev->items[i].name, true, &ev->items[i], NULL);
        if (rc != RW_OK) return rc;
    }
    return RW_OK;
}

static void lambda_read(rw_source *src, rw_unit *u, void **worker) {
    (void)src;
    (void)worker;
    rw_lambda_item *it = rw_unit_data(u);
    if (it->error)
        rw_unit_fail(u, "%s", it->error);
    else
        rw_unit_read_mem(u, it->body, it->len);
}

static void lambda_settle(rw_source *src, rw_unit *u, bool ok) {
    (void)src;
    rw_lambda_item *it = rw_unit_data(u);
    it->settled = true;
    it->ok = ok;
}

static const rw_source_type lambda_type = {
    .type = "lambda",
    .enumerate = lambda_enumerate,
    .read = lambda_read,
    .settle = lambda_settle,
};

rw_source *rw_source_lambda_new(rw_lambda_event *ev) {
    return rw_source_new(&lambda_type, rw_lambda_kind_name(ev->kind), ev);
}

rw_lambda_item *rw_source_lambda_item(rw_unit *u) {
    return rw_unit_data(u);
}
