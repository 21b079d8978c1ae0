#include "sources/event_body.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/xmalloc.h"

/* The detail-types of CloudTrail's events on EventBridge that rootwatch takes. */
static const char *const detail_types[] = {"AWS API Call via CloudTrail",
                                           "AWS Console Sign In via CloudTrail"};

void rw_event_body_quote(rw_buf *b, const char *s, size_t n) {
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

char *rw_event_body_describe(const rw_json *v) {
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
        rw_event_body_quote(&b, m->key, m->key_len);
    }
    return rw_buf_take(&b);
}

char *rw_event_body_not_eventbridge(const rw_json *v) {
    if (v->type != RW_JSON_OBJECT) return rw_event_body_describe(v);
    const rw_json *dt = rw_json_get(v, "detail-type");
    if (!dt) {
        char *what = rw_event_body_describe(v);
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
        rw_event_body_quote(&b, dt->str, dt->len);
        rw_buf_printf(&b, "' (rootwatch takes '%s' and '%s')", detail_types[0], detail_types[1]);
        return rw_buf_take(&b);
    }
    const rw_json *d = rw_json_get(v, "detail");
    if (!d || d->type != RW_JSON_OBJECT)
        return message("an EventBridge event of detail-type '%s' whose detail is %s", dt->str,
                       d ? rw_json_type_name(d->type) : "missing");
    return NULL;
}

static int hex(char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* S3 writes keys URL-encoded, a space as '+'. */
static char *url_decode(const char *s) {
    size_t n = strlen(s);
    char *out = rw_xmalloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%' && i + 2 < n && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            *o++ = (char)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = 0;
    return out;
}

/* An S3 event notification: its objects, or why it is not one rootwatch reads. */
static bool s3_notification(rw_event_body *out, const rw_json *v, const char *what) {
    const rw_json *recs = rw_json_get(v, "Records");
    if (!recs || recs->type != RW_JSON_ARRAY || !recs->child) return false;
    if (!rw_json_str_is(rw_json_get(recs->child, "eventSource"), "aws:s3")) return false;
    out->objects = rw_xcalloc(recs->len, sizeof *out->objects);
    size_t i = 0;
    for (const rw_json *r = recs->child; r; r = r->next, i++) {
        const char *src = rw_json_get_str(r, "eventSource");
        const rw_json *s3 = rw_json_get(r, "s3");
        const char *bucket = rw_json_get_str(rw_json_get(s3, "bucket"), "name");
        const rw_json *obj = rw_json_get(s3, "object");
        const char *key = rw_json_get_str(obj, "key");
        if (!src || strcmp(src, "aws:s3") || !bucket || !*bucket || !key || !*key) {
            out->error = message("%s is an S3 event notification whose record %zu names no "
                                 "bucket and key",
                                 what, i);
            return true;
        }
        const char *name = rw_json_get_str(r, "eventName");
        if (name && strncmp(name, "ObjectCreated:", 14)) continue; /* a removal: nothing new */
        rw_body_object *o = &out->objects[out->nobjects++];
        o->bucket = rw_xstrdup(bucket);
        o->key = url_decode(key);
        const char *region = rw_json_get_str(r, "awsRegion");
        o->region = region && *region ? rw_xstrdup(region) : NULL;
        const rw_json *size = rw_json_get(obj, "size");
        o->size = size && size->type == RW_JSON_NUMBER && size->num > 0 ? (uint64_t)size->num : 0;
    }
    out->kind = RW_BODY_S3;
    return true;
}

static void parse(rw_event_body *out, const char *text, size_t len, unsigned flags,
                  const char *what) {
    rw_json_doc *doc = rw_json_doc_new(NULL);
    if (rw_json_doc_parse(doc, text, len) != RW_OK) {
        out->error = message("%s is not JSON: %s", what, rw_error_last());
        rw_json_doc_free(doc);
        return;
    }
    const rw_json *v = rw_json_doc_root(doc);
    const rw_json *msg = rw_json_get(v, "Message");
    if ((flags & RW_BODY_SNS) && v->type == RW_JSON_OBJECT &&
        rw_json_str_is(rw_json_get(v, "Type"), "Notification") && msg &&
        msg->type == RW_JSON_STRING) {
        out->sns = true;
        parse(out, msg->str, msg->len, flags & ~(unsigned)RW_BODY_SNS,
              "the SNS notification's Message");
        rw_json_doc_free(doc);
        return;
    }
    if ((flags & RW_BODY_S3_OK) && v->type == RW_JSON_OBJECT) {
        if (rw_json_str_is(rw_json_get(v, "Event"), "s3:TestEvent")) {
            out->kind = RW_BODY_S3_TEST;
            rw_json_doc_free(doc);
            return;
        }
        if (s3_notification(out, v, what)) {
            if (out->error) out->kind = RW_BODY_ERROR;
            rw_json_doc_free(doc);
            return;
        }
    }
    char *why = rw_event_body_not_eventbridge(v);
    if (why) {
        out->error = message("%s is %s", what, why);
        free(why);
    } else {
        rw_buf b;
        rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
        if (rw_json_write(&b, v) == RW_OK && rw_buf_putc(&b, '\n') == RW_OK) {
            out->len = b.len;
            out->event = rw_buf_take(&b);
            out->kind = RW_BODY_EVENTBRIDGE;
        } else {
            out->error = message("%s: %s", what, rw_error_last());
            rw_buf_free(&b);
        }
        const char *id = rw_json_get_str(v, "id");
        if (id) out->id = rw_xstrdup(id);
    }
    rw_json_doc_free(doc);
}

void rw_event_body_parse(rw_event_body *out, const char *text, size_t len, unsigned flags,
                         const char *what) {
    memset(out, 0, sizeof *out);
    parse(out, text, len, flags, what);
    if (out->error) out->kind = RW_BODY_ERROR;
}

void rw_event_body_free(rw_event_body *b) {
    if (!b) return;
    free(b->event);
    free(b->id);
    free(b->error);
    for (size_t i = 0; i < b->nobjects; i++) {
        free(b->objects[i].bucket);
        free(b->objects[i].key);
        free(b->objects[i].region);
    }
    free(b->objects);
    memset(b, 0, sizeof *b);
}
