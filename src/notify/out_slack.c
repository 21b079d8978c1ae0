/* The Slack channel: an incoming webhook, with a Block Kit message (title, the facts, the reasons,
 * the eventID and rule, a button to the event in the CloudTrail console) and a text fallback for
 * notifications (docs/notify-channels-http.md). */
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

static const rw_opt_spec opts[] = {
    {"webhook_url", RW_OPT_SECRET_URL, NULL, true,
     "the incoming webhook's URL, https://hooks.slack.com/services/... (a secret)"},
    {"channel", RW_OPT_STRING, NULL, false,
     "#channel or user to post to, for legacy webhooks that allow it (app webhooks post to "
     "their own)"},
    {"username", RW_OPT_STRING, NULL, false, "the name shown as the sender (legacy webhooks)"},
    {"icon_emoji", RW_OPT_STRING, NULL, false, "the sender's icon, as :emoji: (legacy webhooks)"},
    {"account_aliases", RW_OPT_LIST, NULL, false,
     "names for accounts, each ACCOUNT=alias (123456789012=prod), shown beside the account ID"},
    {"timeout_ms", RW_OPT_INT, "5000", false, "the longest a delivery may take, in milliseconds"},
    {NULL, 0, NULL, false, NULL},
};

/* Slack's mrkdwn: &, < and > escaped (no mention nor link can be slipped in). */
static void put_mrkdwn(rw_buf *t, const char *s) {
    for (; *s; s++) {
        if (*s == '&')
            rw_buf_puts(t, "&amp;");
        else if (*s == '<')
            rw_buf_puts(t, "&lt;");
        else if (*s == '>')
            rw_buf_puts(t, "&gt;");
        else
            rw_buf_putc(t, *s);
    }
}

/* s as a JSON string of at most max bytes, cut (with "...") at a character boundary. */
static void put_str(rw_buf *b, const char *s, size_t max) {
    size_t n = strlen(s);
    if (n <= max) {
        rw_json_write_str(b, s, n);
        return;
    }
    rw_buf t;
    rw_buf_init(&t, RW_BUF_DEFAULT_MAX);
    rw_buf_append(&t, s, rw_http_out_utf8_cut(s, n, max - 3));
    rw_buf_puts(&t, "...");
    rw_json_write_str(b, t.data, t.len);
    rw_buf_free(&t);
}

static const char *dash(const char *s) {
    return s && *s ? s : "-";
}

static const char *severity_emoji(const char *sev) {
    if (!strcmp(sev, "critical")) return ":rotating_light:";
    if (!strcmp(sev, "high")) return ":red_circle:";
    if (!strcmp(sev, "medium")) return ":large_orange_circle:";
    if (!strcmp(sev, "low")) return ":large_blue_circle:";
    return ":grey_question:";
}

static const char *mfa_words(const rw_notice *n) {
    const rw_json *m = rw_json_get(n->alert, "mfa");
    if (!m || m->type == RW_JSON_NULL) return "unknown";
    return m->type == RW_JSON_TRUE ? "yes" : "*no*";
}

/* One field of the section: {"type":"mrkdwn","text":"*Label*\nvalue"} (value escaped). */
static void put_field(rw_buf *b, bool first, const char *label, const char *value) {
    rw_buf t;
    rw_buf_init(&t, RW_BUF_DEFAULT_MAX);
    rw_buf_printf(&t, "*%s*\n", label);
    put_mrkdwn(&t, value);
    rw_buf_puts(b, first ? "{\"type\":\"mrkdwn\",\"text\":" : ",{\"type\":\"mrkdwn\",\"text\":");
    put_str(b, t.data, 1900);
    rw_buf_putc(b, '}');
    rw_buf_free(&t);
}

static void slack_body(const rw_channel *ch, const rw_notice *n, rw_http_out_req *rq) {
    rw_buf *b = &rq->body;
    const char *alias = rw_aliases_lookup(ch, n);
    char *title = rw_render_title(n, alias), *link = rw_render_console_link(n);
    const char *sev = rw_notice_field(n, "severity");
    rw_buf t;
    rw_buf_init(&t, RW_BUF_DEFAULT_MAX);

    /* the text of notifications, and where blocks cannot be shown */
    put_mrkdwn(&t, title);
    rw_buf_puts(b, "{\"text\":");
    put_str(b, t.data, 3000);
    static const char *const extra[] = {"channel", "username", "icon_emoji"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = rw_opt_str(ch->opts, extra[i]);
        if (!v || !*v) continue;
        rw_buf_printf(b, ",\"%s\":", extra[i]);
        rw_json_write_str(b, v, strlen(v));
    }

    rw_buf_puts(b, ",\"blocks\":[{\"type\":\"header\",\"text\":{\"type\":\"plain_text\",\"text\":");
    put_str(b, title, 150);
    rw_buf_puts(b, ",\"emoji\":true}}");
    if (n->test)
        rw_buf_puts(b,
                    ",{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\":test_tube: "
                    "*This is a test notification* sent by `rootwatch notify test`: no root "
                    "activity took place.\"}}");

    /* the facts */
    char acct[300], event[600], sevtext[64];
    const char *account = rw_notice_field(n, "account");
    if (alias && *account)
        snprintf(acct, sizeof acct, "%s (%s)", account, alias);
    else
        snprintf(acct, sizeof acct, "%s", dash(account));
    snprintf(event, sizeof event, "%s:%s", dash(rw_notice_field(n, "eventSource")),
             dash(rw_notice_field(n, "eventName")));
    const char *err = rw_notice_field(n, "errorCode");
    if (!strcmp(rw_notice_field(n, "outcome"), "failure"))
        snprintf(event + strlen(event), sizeof event - strlen(event), " (failed%s%s)",
                 *err ? ": " : "", err);
    snprintf(sevtext, sizeof sevtext, "%s %s", severity_emoji(sev), dash(sev));
    rw_buf_puts(b, ",{\"type\":\"section\",\"fields\":[");
    put_field(b, true, "Account", acct);
    put_field(b, false, "Region", dash(rw_notice_field(n, "region")));
    put_field(b, false, "Event", event);
    put_field(b, false, "When", dash(rw_notice_field(n, "eventTime")));
    put_field(b, false, "Source IP", dash(rw_notice_field(n, "sourceIPAddress")));
    put_field(b, false, "MFA", mfa_words(n));
    rw_buf_printf(b, ",{\"type\":\"mrkdwn\",\"text\":\"*Severity*\\n%s\"}", sevtext);
    put_field(b, false, "Credential", dash(rw_notice_field(n, "credential")));
    rw_buf_puts(b, "]}");

    /* why */
    const rw_json *reasons = rw_json_get(n->alert, "reasons");
    if (reasons && reasons->child) {
        rw_buf_reset(&t);
        rw_buf_puts(&t, "*Why*");
        for (const rw_json *r = reasons->child; r; r = r->next)
            if (r->type == RW_JSON_STRING) {
                rw_buf_puts(&t, "\n\xe2\x80\xa2 ");
                put_mrkdwn(&t, r->str);
            }
        rw_buf_puts(b, ",{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":");
        put_str(b, t.data, 2900);
        rw_buf_puts(b, "}}");
    }

    /* the eventID and the rule */
    rw_buf_reset(&t);
    rw_buf_puts(&t, "eventID ");
    put_mrkdwn(&t, dash(rw_notice_field(n, "eventID")));
    rw_buf_puts(&t, " \xc2\xb7 rule ");
    put_mrkdwn(&t, dash(rw_notice_field(n, "rule")));
    rw_buf_puts(&t, " \xc2\xb7 rootwatch");
    rw_buf_puts(b, ",{\"type\":\"context\",\"elements\":[{\"type\":\"mrkdwn\",\"text\":");
    put_str(b, t.data, 2900);
    rw_buf_puts(b, "}]}");

    if (link) {
        rw_buf_puts(b, ",{\"type\":\"actions\",\"elements\":[{\"type\":\"button\",\"text\":{"
                       "\"type\":\"plain_text\",\"text\":\"View in CloudTrail\"},"
                       "\"action_id\":\"rootwatch_view_cloudtrail\",\"url\":");
        rw_json_write_str(b, link, strlen(link));
        rw_buf_puts(b, "}]}");
    }
    rw_buf_puts(b, "]}");
    rw_buf_free(&t);
    free(title);
    free(link);
    rw_http_out_header(rq, "Content-Type", "application/json; charset=utf-8");
}

/* 200 "ok"; 400 invalid_payload, 403 action_prohibited, 404 no_service, 410 channel_is_archived...:
 * refused; 429 (with Retry-After) and 5xx: later */
static const rw_http_out_kind kind = {.url_opt = "webhook_url", .build = slack_body};

static int open_slack(rw_channel *ch) {
    int rc = rw_http_out_open(ch, &kind);
    if (rc) return rc;
    rc = rw_aliases_check(ch);
    const char *icon = rw_opt_str(ch->opts, "icon_emoji");
    if (!rc && icon && (strlen(icon) < 3 || icon[0] != ':' || icon[strlen(icon) - 1] != ':'))
        rc = rw_error_set(RW_EINVAL, "channel %s: option icon_emoji: '%s' is not :name:", ch->name,
                          icon);
    if (rc) rw_http_out_close(ch);
    return rc;
}

const rw_channel_type rw_channel_slack = {
    .type = "slack",
    .summary = "a Slack message (Block Kit) through an incoming webhook",
    .opts = opts,
    .idempotency_key = false,
    .open = open_slack,
    .send = rw_http_out_send,
    .close = rw_http_out_close,
};
