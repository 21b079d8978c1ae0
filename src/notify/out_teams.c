/* The Microsoft Teams channel: a Workflows ("When a Teams webhook request is received") webhook,
 * with an Adaptive Card 1.4: the title (in red for high and critical), the facts, the reasons and
 * a button to the event in the CloudTrail console (docs/notify-channels-http.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/aliases.h"
#include "notify/channel.h"
#include "notify/http_out.h"
#include "notify/render.h"
#include "util/buf.h"
#include "util/http.h"
#include "util/json.h"

static const rw_opt_spec opts[] = {
    {"webhook_url", RW_OPT_SECRET_URL, NULL, true,
     "the Workflows webhook's URL (https://...logic.azure.com/... or "
     "...powerplatform.com/...; a secret)"},
    {"account_aliases", RW_OPT_LIST, NULL, false,
     "names for accounts, each ACCOUNT=alias (123456789012=prod), shown beside the account ID"},
    {"timeout_ms", RW_OPT_INT, "5000", false, "the longest a delivery may take, in milliseconds"},
    {NULL, 0, NULL, false, NULL},
};

static const char *dash(const char *s) {
    return s && *s ? s : "-";
}

static void put_fact(rw_buf *b, bool first, const char *title, const char *value) {
    rw_buf_puts(b, first ? "{\"title\":" : ",{\"title\":");
    rw_json_write_str(b, title, strlen(title));
    rw_buf_puts(b, ",\"value\":");
    rw_json_write_str(b, value, strlen(value));
    rw_buf_putc(b, '}');
}

static void put_text(rw_buf *b, const char *text, const char *style) {
    rw_buf_puts(b, ",{\"type\":\"TextBlock\",\"wrap\":true,\"text\":");
    rw_json_write_str(b, text, strlen(text));
    if (style && *style) rw_buf_printf(b, ",%s", style);
    rw_buf_putc(b, '}');
}

static void teams_body(const rw_channel *ch, const rw_notice *n, rw_http_out_req *rq) {
    rw_buf *b = &rq->body;
    const char *alias = rw_aliases_lookup(ch, n);
    char *title = rw_render_title(n, alias), *link = rw_render_console_link(n);
    const char *sev = rw_notice_field(n, "severity");
    const char *color = !strcmp(sev, "critical") || !strcmp(sev, "high") ? "attention"
                        : !strcmp(sev, "medium")                         ? "warning"
                                                                         : "default";
    rw_buf_puts(b, "{\"type\":\"message\",\"attachments\":[{\"contentType\":"
                   "\"application/vnd.microsoft.card.adaptive\",\"contentUrl\":null,\"content\":{"
                   "\"$schema\":\"http://adaptivecards.io/schemas/adaptive-card.json\","
                   "\"type\":\"AdaptiveCard\",\"version\":\"1.4\",\"msteams\":{\"width\":\"Full\"},"
                   "\"body\":[{\"type\":\"TextBlock\",\"size\":\"Large\",\"weight\":\"Bolder\","
                   "\"wrap\":true,\"style\":\"heading\",\"text\":");
    rw_json_write_str(b, title, strlen(title));
    rw_buf_printf(b, ",\"color\":\"%s\"}", color);
    if (n->test)
        put_text(b,
                 "This is a test notification sent by `rootwatch notify test`: no root activity "
                 "took place.",
                 "\"weight\":\"Bolder\"");

    /* the facts */
    char acct[300], what[600], outcome[300];
    const char *account = rw_notice_field(n, "account");
    if (alias && *account)
        snprintf(acct, sizeof acct, "%s (%s)", account, alias);
    else
        snprintf(acct, sizeof acct, "%s", dash(account));
    snprintf(what, sizeof what, "%s:%s", dash(rw_notice_field(n, "eventSource")),
             dash(rw_notice_field(n, "eventName")));
    const char *out = rw_notice_field(n, "outcome"), *err = rw_notice_field(n, "errorCode");
    snprintf(outcome, sizeof outcome, "%s%s%s%s", dash(out), *err ? " (" : "", err,
             *err ? ")" : "");
    const rw_json *m = rw_json_get(n->alert, "mfa");
    const char *mfa = !m || m->type == RW_JSON_NULL ? "unknown"
                      : m->type == RW_JSON_TRUE     ? "yes"
                                                    : "no";
    rw_buf_puts(b, ",{\"type\":\"FactSet\",\"facts\":[");
    put_fact(b, true, "Account", acct);
    put_fact(b, false, "Who", "the root user");
    put_fact(b, false, "Event", what);
    put_fact(b, false, "Outcome", outcome);
    put_fact(b, false, "Region", dash(rw_notice_field(n, "region")));
    put_fact(b, false, "When", dash(rw_notice_field(n, "eventTime")));
    put_fact(b, false, "Source IP", dash(rw_notice_field(n, "sourceIPAddress")));
    put_fact(b, false, "User agent", dash(rw_notice_field(n, "userAgent")));
    put_fact(b, false, "MFA", mfa);
    put_fact(b, false, "Credential", dash(rw_notice_field(n, "credential")));
    put_fact(b, false, "Severity", dash(sev));
    put_fact(b, false, "Rule", dash(rw_notice_field(n, "rule")));
    put_fact(b, false, "Event ID", dash(rw_notice_field(n, "eventID")));
    rw_buf_puts(b, "]}");

    /* why */
    const rw_json *reasons = rw_json_get(n->alert, "reasons");
    if (reasons && reasons->child) {
        put_text(b, "Why", "\"weight\":\"Bolder\",\"spacing\":\"Medium\"");
        rw_buf t;
        rw_buf_init(&t, RW_BUF_DEFAULT_MAX);
        for (const rw_json *r = reasons->child; r; r = r->next) {
            if (r->type != RW_JSON_STRING) continue;
            rw_buf_reset(&t);
            rw_buf_puts(&t, "\xe2\x80\xa2 ");
            rw_buf_append(&t, r->str, r->len);
            put_text(b, t.data, "\"spacing\":\"None\"");
        }
        rw_buf_free(&t);
    }
    rw_buf_puts(b, "]");
    if (link) {
        rw_buf_puts(b, ",\"actions\":[{\"type\":\"Action.OpenUrl\",\"title\":\"View in "
                       "CloudTrail\",\"url\":");
        rw_json_write_str(b, link, strlen(link));
        rw_buf_puts(b, "}]");
    }
    rw_buf_puts(b, "}}]}");
    free(title);
    free(link);
    rw_http_out_header(rq, "Content-Type", "application/json");
}

/* 202 Accepted (a workflow) or 200; 429 and 5xx: later; other 4xx: refused */
static const rw_http_out_kind kind = {.url_opt = "webhook_url", .build = teams_body};

static int open_teams(rw_channel *ch) {
    int rc = rw_http_out_open(ch, &kind);
    if (rc) return rc;
    rc = rw_aliases_check(ch);
    if (rc) rw_http_out_close(ch);
    return rc;
}

const rw_channel_type rw_channel_teams = {
    .type = "teams",
    .summary = "a Microsoft Teams message (an Adaptive Card) through a Workflows webhook",
    .opts = opts,
    .idempotency_key = false,
    .open = open_teams,
    .send = rw_http_out_send,
    .close = rw_http_out_close,
};
