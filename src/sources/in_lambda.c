#include "sources/in_lambda.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/xmalloc.h"

/* The detail-types of CloudTrail's events on EventBridge that rootwatch takes. */
static const char *const detail_types[] = {"AWS API Call via CloudTrail",
                                           "AWS Console Sign In via CloudTrail"};

/* Appends at most 80 bytes of what arrived (s, n bytes), valid UTF-8 only, control characters as
 * '?', and "..." when cut: for messages that quote the event. */
static void quote(rw_buf *b, const char *s, size_t n) {
    size_t max = n > 80 ? 80 : n;
    size_t ok = rw_json_utf8_valid_prefix(s, max);
    for (size_t i = 0; i < ok; i++) rw_buf_putc(b, (unsigned char)s[i] < 0x20 ? '?' : s[i]);
    if (ok < n) rw_buf_puts(b, "...");
}

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

/* What a JSON value is, in words, for messages: "a JSON object with the members a, b" ... */
static char *describe(const rw_json *v) {
    rw_buf b;
    rw_buf_init(&b, 0);
    if (v->type != RW_JSON_OBJECT) {
        rw_buf_printf(&b, "%s, not a JSON object", rw_json_type_name(v->type));
        return rw_buf_take(&b);
    }
    if (!v->child) {
        rw_buf_puts(&b, "an empty JSON object");
        return rw_buf_take(&b);
    }
    rw_buf_puts(&b, "a JSON object with the members ");
    int n = 0;
    for (const rw_json *m = v->child; m; m = m->next, n++) {
        if (n == 8) {
            rw_buf_puts(&b, ", ...");
            break;
        }
        if (n) rw_buf_puts(&b, ", ");
        quote(&b, m->key, m->key_len);
    }
    return rw_buf_take(&b);
}

/* NULL when v is an EventBridge event carrying a CloudTrail record rootwatch takes; else why not
 * (a new string). */
static char *not_eventbridge(const rw_json *v) {
    if (v->type != RW_JSON_OBJECT) return describe(v);
    const rw_json *dt = rw_json_get(v, "detail-type");
    if (!dt) {
        char *what = describe(v);
        char *m = message("%s (not an EventBridge event: no detail-type)", what);
        free(what);
        return m;
    }
    if (dt->type != RW_JSON_STRING)
        return message("an EventBridge event whose detail-type is not a string");
    bool known = false;
    for (size_t i = 0; i < sizeof detail_types / sizeof detail_types[0]; i++)
        if (rw_json_str_is(dt, detail_types[i])) known = true;
    if (!known) {
        rw_buf b;
        rw_buf_init(&b, 0);
        rw_buf_puts(&b, "an EventBridge event of detail-type '");
        quote(&b, dt->str, dt->len);
        rw_buf_printf(&b, "' (rootwatch takes '%s' and '%s')", detail_types[0], detail_types[1]);
        return rw_buf_take(&b);
    }
    const rw_json *d = rw_json_get(v, "detail");
    if (!d || d->type != RW_JSON_OBJECT)
        return message("an EventBridge event of detail-type '%s' whose detail is %s", dt->str,
                       d ? rw_json_type_name(d->type) : "missing");
    return NULL;
}

/* Sets item's body (the event, compact, one line) or its error from text, which is an EventBridge
 * event, or (when sns) an SNS notification wrapping one. */
static void item_from_text(rw_lambda_item *it, const char *text, size_t len, bool sns,
                           const char *what) {
    rw_json_doc *doc = rw_json_doc_new(NULL);
    if (rw_json_doc_parse(doc, text, len) != RW_OK) {
        it->error = message("%s is not JSON: %s", what, rw_error_last());
        rw_json_doc_free(doc);
        return;
    }
    const rw_json *v = rw_json_doc_root(doc);
    const rw_json *msg = rw_json_get(v, "Message");
    if (sns && v->type == RW_JSON_OBJECT &&
        rw_json_str_is(rw_json_get(v, "Type"), "Notification") && msg &&
        msg->type == RW_JSON_STRING) {
        item_from_text(it, msg->str, msg->len, false, "the SNS notification's Message");
        rw_json_doc_free(doc);
        return;
    }
    char *why = not_eventbridge(v);
    if (why) {
        it->error = message("%s is %s", what, why);
        free(why);
    } else {
        rw_buf b;
        rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
        if (rw_json_write(&b, v) == RW_OK && rw_buf_putc(&b, '\n') == RW_OK) {
            it->len = b.len;
            it->body = rw_buf_take(&b);
        } else {
            it->error = message("%s: %s", what, rw_error_last());
            rw_buf_free(&b);
        }
        const char *id = rw_json_get_str(v, "id");
        if (id && !*it->id) {
            free(it->id);
            it->id = rw_xstrdup(id);
        }
    }
    rw_json_doc_free(doc);
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
        quote(&b, it->id, strlen(it->id));
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
                quote(&b, src, strlen(src));
                rw_buf_puts(&b, "'");
            } else {
                char *what = describe(first);
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
        char *why = not_eventbridge(root);
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
