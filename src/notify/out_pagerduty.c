/* The PagerDuty channel: an Events API v2 "trigger" per alert, deduplicated by the eventID
 * (docs/notify-channels-http.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/aliases.h"
#include "notify/channel.h"
#include "notify/http_out.h"
#include "notify/render.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/http.h"
#include "util/json.h"

#define PD_SUMMARY_MAX 1024 /* PagerDuty's limit on payload.summary */

static const rw_opt_spec opts[] = {
    {"routing_key", RW_OPT_SECRET, NULL, true,
     "the integration key of an Events API v2 integration (a secret)"},
    {"url", RW_OPT_URL, "https://events.pagerduty.com/v2/enqueue", false,
     "the Events API v2 endpoint (EU accounts: https://events.eu.pagerduty.com/v2/enqueue)"},
    {"account_aliases", RW_OPT_LIST, NULL, false,
     "names for accounts, each ACCOUNT=alias (123456789012=prod), used in the summary"},
    {"timeout_ms", RW_OPT_INT, "5000", false, "the longest a delivery may take, in milliseconds"},
    {NULL, 0, NULL, false, NULL},
};

/* PagerDuty's severities, from rootwatch's. */
static const char *pd_severity(const char *sev) {
    if (!strcmp(sev, "critical")) return "critical";
    if (!strcmp(sev, "high")) return "error";
    if (!strcmp(sev, "low")) return "info";
    return "warning"; /* medium, and anything unknown */
}

/* "key":"value" after a comma, when value is not empty. */
static void put_member(rw_buf *b, const char *key, const char *value) {
    if (!value || !*value) return;
    rw_buf_printf(b, ",\"%s\":", key);
    rw_json_write_str(b, value, strlen(value));
}

static void pd_body(const rw_channel *ch, const rw_notice *n, rw_http_out_req *rq) {
    rw_buf *b = &rq->body;
    const char *key = rw_opt_str(ch->opts, "routing_key");
    const char *alias = rw_aliases_lookup(ch, n);
    char *title = rw_render_title(n, alias), *link = rw_render_console_link(n);
    const char *id = n->event_id && *n->event_id ? n->event_id : rw_notice_field(n, "eventID");
    const char *account = rw_notice_field(n, "account");
    rw_buf_puts(b, "{\"routing_key\":");
    rw_json_write_str(b, key, strlen(key));
    rw_buf_puts(b, ",\"event_action\":\"trigger\",\"dedup_key\":");
    rw_json_write_str(b, id, strlen(id));
    rw_buf_puts(b, ",\"payload\":{\"summary\":");
    size_t tl = strlen(title);
    if (tl > PD_SUMMARY_MAX) {
        tl = rw_http_out_utf8_cut(title, tl, PD_SUMMARY_MAX - 3);
        memcpy(title + tl, "...", 4);
        tl += 3;
    }
    rw_json_write_str(b, title, tl);
    rw_buf src;
    rw_buf_init(&src, RW_BUF_DEFAULT_MAX);
    rw_buf_printf(&src, "aws:%s", *account ? account : "unknown");
    rw_buf_puts(b, ",\"source\":");
    rw_json_write_str(b, src.data, src.len);
    rw_buf_free(&src);
    rw_buf_printf(b, ",\"severity\":\"%s\"", pd_severity(rw_notice_field(n, "severity")));
    put_member(b, "timestamp", rw_notice_field(n, "eventTime"));
    put_member(b, "component", rw_notice_field(n, "eventSource"));
    put_member(b, "group", account);
    put_member(b, "class", rw_notice_field(n, "kind"));
    /* the alert, without the whole CloudTrail record */
    rw_buf_puts(b, ",\"custom_details\":{");
    bool first = true, has_test = false;
    for (const rw_json *m = n->alert && n->alert->type == RW_JSON_OBJECT ? n->alert->child : NULL;
         m; m = m->next) {
        if (!strcmp(m->key, "event")) continue;
        if (!strcmp(m->key, "test")) has_test = true;
        if (!first) rw_buf_putc(b, ',');
        first = false;
        rw_json_write_str(b, m->key, m->key_len);
        rw_buf_putc(b, ':');
        rw_json_write(b, m); /* the value alone, not its siblings */
    }
    if (alias) {
        rw_buf_puts(b, first ? "\"accountAlias\":" : ",\"accountAlias\":");
        rw_json_write_str(b, alias, strlen(alias));
        first = false;
    }
    if (n->test && !has_test) rw_buf_puts(b, first ? "\"test\":true" : ",\"test\":true");
    rw_buf_puts(b, "}}");
    if (link) {
        rw_buf_puts(b, ",\"links\":[{\"href\":");
        rw_json_write_str(b, link, strlen(link));
        rw_buf_puts(b, ",\"text\":\"CloudTrail event\"}]");
    }
    rw_buf_puts(b, ",\"client\":\"rootwatch\"}");
    free(title);
    free(link);
    rw_http_out_header(rq, "Content-Type", "application/json");
}

/* What a 4xx refusal says: {"status":"invalid event","message":"Event object is invalid",
 * "errors":["..."]} as "message: error; error". NULL when the reply is not that. */
static char *pd_errors(const rw_http_response *r) {
    if (r->status < 400 || r->status >= 500 || !r->body.len) return NULL;
    rw_json_doc *doc = rw_json_doc_new(NULL);
    char *out = NULL;
    if (rw_json_doc_parse(doc, r->body.data, r->body.len) == RW_OK) {
        const rw_json *root = rw_json_doc_root(doc);
        const char *msg = rw_json_get_str(root, "message");
        const rw_json *errs = rw_json_get(root, "errors");
        rw_buf d;
        rw_buf_init(&d, RW_BUF_DEFAULT_MAX);
        if (msg) rw_buf_puts(&d, msg);
        const char *sep = msg ? ": " : "";
        for (const rw_json *e = errs && errs->type == RW_JSON_ARRAY ? errs->child : NULL; e;
             e = e->next)
            if (e->type == RW_JSON_STRING) {
                rw_buf_puts(&d, sep);
                rw_buf_append(&d, e->str, e->len);
                sep = "; ";
            }
        if (d.len)
            out = rw_buf_take(&d);
        else
            rw_buf_free(&d);
    }
    rw_json_doc_free(doc);
    rw_error_clear();
    return out;
}

/* 202 accepted; 400 invalid event (with PagerDuty's errors): refused; 429 and 5xx: later */
static const rw_http_out_kind kind = {
    .url_opt = "url",
    .build = pd_body,
    .detail = pd_errors,
    .secret_body = true, /* it holds the routing key */
};

static int open_pagerduty(rw_channel *ch) {
    int rc = rw_http_out_open(ch, &kind); /* the key is scrubbed as a secret option */
    if (rc) return rc;
    const char *key = rw_opt_str(ch->opts, "routing_key");
    rc = rw_aliases_check(ch);
    if (!rc && (!key || !*key))
        rc = rw_error_set(RW_EINVAL, "channel %s: option routing_key is required", ch->name);
    for (const char *k = key; !rc && *k; k++)
        if ((unsigned char)*k <= 0x20 || *k == 0x7f) /* the key itself is never shown */
            rc = rw_error_set(RW_EINVAL,
                              "channel %s: option routing_key: the key has a space or a control "
                              "character",
                              ch->name);
    if (rc) rw_http_out_close(ch);
    return rc;
}

const rw_channel_type rw_channel_pagerduty = {
    .type = "pagerduty",
    .summary = "a PagerDuty incident (Events API v2), deduplicated by the eventID",
    .opts = opts,
    .idempotency_key = true, /* dedup_key */
    .open = open_pagerduty,
    .send = rw_http_out_send,
    .close = rw_http_out_close,
};
