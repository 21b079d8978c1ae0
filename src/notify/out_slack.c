/* The Slack channel: an incoming webhook, with a Block Kit message (title, the facts, the reasons,
 * the eventID and rule, a button to the event in the CloudTrail console) and a text fallback for
 * notifications (docs/notify-channels-http.md). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/http.h"
#include "notify/channel.h"
#include "notify/render.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/xmalloc.h"

/* ---- what the HTTP channels share: the same block in out_webhook.c, out_slack.c, out_teams.c
 * and out_pagerduty.c (one file per channel type) ---- */

#define REPLY_SHOWN 200 /* bytes of a refusal's reply quoted in the error */
#define MAX_SECRETS 32  /* strings scrubbed from every message */
#define REPLY_MAX (1 << 20)

typedef struct http_conn {
    rw_http *http;    /* made on the first send and kept: the connection is reused */
    long timeout_ms;  /* the whole exchange */
    char origin[160]; /* scheme://host[:port] of the URL: all that messages show of it */
    const char *secrets[MAX_SECRETS]; /* never shown (not owned, but for url_pieces) */
    size_t nsecrets;
    char *url_pieces; /* a copy of the URL cut in pieces (NULs), some of them in secrets */
    size_t url_len;
} http_conn;

static void conn_secret(http_conn *c, const char *s) {
    if (s && strlen(s) >= 4 && c->nsecrets < MAX_SECRETS) c->secrets[c->nsecrets++] = s;
}

/* Keeps scheme://host[:port] of url for messages, and makes the URL, and its path and query on
 * their own (where webhook URLs keep their tokens), secrets. */
static void conn_url(http_conn *c, const char *url) {
    const char *sep = strstr(url, "://");
    if (!sep) {
        snprintf(c->origin, sizeof c->origin, "(the URL)");
        conn_secret(c, url);
        return;
    }
    const char *auth = sep + 3, *end = auth + strcspn(auth, "/?#"), *host = auth;
    for (const char *p = auth; p < end; p++)
        if (*p == '@') host = p + 1; /* user:password@ is never shown */
    snprintf(c->origin, sizeof c->origin, "%.*s://%.*s", (int)(sep - url), url, (int)(end - host),
             host);
    conn_secret(c, url);
    if (strlen(end) > 1) conn_secret(c, end);
    /* and pieces on their own, which a reply may quote: the user information's password, each
     * long piece of the path and query (tokens) */
    c->url_len = strlen(url);
    c->url_pieces = rw_xstrdup(url);
    if (host > auth) {
        char *ui = c->url_pieces + (auth - url), *colon;
        ui[host - 1 - auth] = 0;
        if ((colon = strchr(ui, ':'))) conn_secret(c, colon + 1);
    }
    for (char *p = c->url_pieces + (end - url), *q; *p; p = q) {
        q = p + strcspn(p, "/?&=#;");
        bool last = !*q;
        *q = 0;
        if (q - p >= 12) conn_secret(c, p);
        if (!last) q++;
    }
}

/* A URL rootwatch sends to: https, or plain http to a loopback address only. */
static int check_url(const rw_channel *ch, const char *opt, const char *url) {
    if (!url || !*url)
        return rw_error_set(RW_EINVAL, "channel %s: option %s is required", ch->name, opt);
    if (!strncasecmp(url, "https://", 8) ||
        (!strncasecmp(url, "http://", 7) && rw_http_is_loopback(url)))
        return RW_OK;
    /* never the URL itself: it may hold a token */
    return rw_error_set(RW_EINVAL,
                        "channel %s: option %s: the URL must be https:// (plain http:// only to a "
                        "loopback address)",
                        ch->name, opt);
}

static int check_timeout(const rw_channel *ch, http_conn *c) {
    c->timeout_ms = rw_opt_int(ch->opts, "timeout_ms");
    if (c->timeout_ms < 100 || c->timeout_ms > 600000)
        return rw_error_set(RW_EINVAL,
                            "channel %s: option timeout_ms: %ld is not from 100 to 600000 (ms)",
                            ch->name, c->timeout_ms);
    return RW_OK;
}

/* Appends s[0..n) with every secret replaced by [redacted] and control characters by spaces. */
static void scrub(const http_conn *c, rw_buf *out, const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        bool hit = false;
        for (size_t k = 0; k < c->nsecrets && !hit; k++) {
            size_t l = strlen(c->secrets[k]);
            if (l <= n - i && s[i] == c->secrets[k][0] && !memcmp(s + i, c->secrets[k], l)) {
                rw_buf_puts(out, "[redacted]");
                i += l;
                hit = true;
            }
        }
        if (hit) continue;
        unsigned char ch = (unsigned char)s[i++];
        rw_buf_putc(out, ch < 0x20 || ch == 0x7f ? ' ' : (char)ch);
    }
}

/* The length of s cut to at most max bytes, not inside a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t max) {
    if (len <= max) return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) max--;
    return max;
}

/* Fills res (the message scrubbed of every secret) and the error; returns the code. */
static int fail(const http_conn *c, rw_send_result *res, bool retryable, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(const http_conn *c, rw_send_result *res, bool retryable, const char *fmt, ...) {
    rw_buf raw, clean;
    rw_buf_init(&raw, RW_BUF_DEFAULT_MAX);
    rw_buf_init(&clean, RW_BUF_DEFAULT_MAX);
    va_list ap;
    va_start(ap, fmt);
    rw_buf_vprintf(&raw, fmt, ap);
    va_end(ap);
    scrub(c, &clean, raw.data ? raw.data : "", raw.len);
    size_t n = utf8_cut(clean.data ? clean.data : "", clean.len, sizeof res->error - 1);
    memcpy(res->error, clean.data ? clean.data : "", n);
    res->error[n] = 0;
    res->retryable = retryable;
    if (raw.data) memset(raw.data, 0, raw.len);
    rw_buf_free(&raw);
    rw_buf_free(&clean);
    int code = retryable ? RW_ERETRY : RW_EIO;
    return rw_error_set(code, "%s", res->error);
}

/* POSTs body: RW_OK when a reply came (whatever its status), else the failure in res (network
 * failures are worth another try; a URL rootwatch refuses is not). */
static int post(rw_channel *ch, http_conn *c, const char *url, const rw_http_header *hd, size_t nh,
                const rw_buf *body, rw_http_response *resp, rw_send_result *res) {
    if (!c->http) {
        rw_http_opts o = {.connect_timeout_ms = c->timeout_ms < 3000 ? c->timeout_ms : 3000,
                          .timeout_ms = c->timeout_ms,
                          .max_body = REPLY_MAX};
        c->http = rw_http_new(&o);
        if (!c->http) return fail(c, res, true, "channel %s: %s", ch->name, rw_error_last());
    }
    rw_http_request rq = {.method = "POST",
                          .url = url,
                          .headers = hd,
                          .nheaders = nh,
                          .body = body->data,
                          .body_len = body->len};
    int rc = rw_http_do(c->http, &rq, resp);
    if (rc == RW_OK) return RW_OK;
    /* rw_http names scheme://host:port only */
    return fail(c, res, rc != RW_EINVAL, "channel %s: %s", ch->name, rw_error_last());
}

/* The reply: 2xx sent; 408, 425, 429 and 5xx worth another try; anything else refused. detail is
 * what the reply says (NULL: its first REPLY_SHOWN bytes). */
static int judge(rw_channel *ch, const http_conn *c, const rw_http_response *r, const char *detail,
                 rw_send_result *res) {
    long st = r->status;
    if (st >= 200 && st < 300) return RW_OK;
    bool retry = st == 408 || st == 425 || st == 429 || st >= 500;
    rw_buf d;
    rw_buf_init(&d, RW_BUF_DEFAULT_MAX);
    if (detail)
        scrub(c, &d, detail, strlen(detail));
    else if (r->body.len)
        scrub(c, &d, r->body.data, r->body.len); /* all of it: no secret is cut in half */
    if (d.len) {
        d.len = utf8_cut(d.data, d.len, REPLY_SHOWN);
        d.data[d.len] = 0;
        while (d.len && d.data[d.len - 1] == ' ') d.data[--d.len] = 0;
    }
    char after[64] = "";
    size_t al = 0;
    const char *ra = rw_http_header_get(r, "retry-after", &al);
    if (ra && al && al < 40) snprintf(after, sizeof after, " (Retry-After: %.*s)", (int)al, ra);
    int code = fail(c, res, retry, "channel %s: POST %s: HTTP %ld%s%s%s%s", ch->name, c->origin, st,
                    st >= 300 && st < 400 ? " (redirects are not followed)" : "", d.len ? ": " : "",
                    d.len ? d.data : "", after);
    rw_buf_free(&d);
    return code;
}

static void conn_close(http_conn *c) {
    rw_http_free(c->http);
    c->http = NULL;
    if (c->url_pieces) rw_secure_free(c->url_pieces, c->url_len + 1);
    c->url_pieces = NULL;
}

/* ---- account aliases (the same in out_slack.c, out_teams.c and out_pagerduty.c) ---- */

/* The account_aliases option: each item "ACCOUNT=alias" (a 12-digit account ID). */
static int check_aliases(const rw_channel *ch) {
    const char *const *it = rw_opt_list(ch->opts, "account_aliases");
    for (size_t i = 0; it[i]; i++) {
        const char *eq = strchr(it[i], '=');
        bool ok = eq && eq - it[i] == 12 && eq[1];
        for (size_t k = 0; ok && k < 12; k++) ok = it[i][k] >= '0' && it[i][k] <= '9';
        if (!ok)
            return rw_error_set(RW_EINVAL,
                                "channel %s: option account_aliases: '%s' is not "
                                "ACCOUNT=alias (a 12-digit account ID, then = and a name)",
                                ch->name, it[i]);
    }
    return RW_OK;
}

/* The alias of the alert's account, or NULL. */
static const char *alias_of(const rw_channel *ch, const rw_notice *n) {
    const char *acct = rw_notice_field(n, "account");
    const char *const *it = rw_opt_list(ch->opts, "account_aliases");
    for (size_t i = 0; *acct && it[i]; i++)
        if (!strncmp(it[i], acct, 12) && strlen(acct) == 12 && it[i][12] == '=') return it[i] + 13;
    return NULL;
}

/* ---- Slack ---- */

static const rw_opt_spec opts[] = {
    {"webhook_url", RW_OPT_URL, NULL, true,
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

typedef struct slack {
    http_conn conn;
    const char *url;
} slack;

static int open_slack(rw_channel *ch) {
    slack *s = rw_xcalloc(1, sizeof *s);
    s->url = rw_opt_str(ch->opts, "webhook_url");
    int rc = check_url(ch, "webhook_url", s->url);
    if (!rc) rc = check_timeout(ch, &s->conn);
    if (!rc) rc = check_aliases(ch);
    const char *icon = rw_opt_str(ch->opts, "icon_emoji");
    if (!rc && icon && (strlen(icon) < 3 || icon[0] != ':' || icon[strlen(icon) - 1] != ':'))
        rc = rw_error_set(RW_EINVAL, "channel %s: option icon_emoji: '%s' is not :name:", ch->name,
                          icon);
    if (rc) {
        free(s);
        return rc;
    }
    conn_url(&s->conn, s->url);
    ch->state = s;
    return RW_OK;
}

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
    rw_buf_append(&t, s, utf8_cut(s, n, max - 3));
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

static void slack_body(const rw_channel *ch, const rw_notice *n, rw_buf *b) {
    const char *alias = alias_of(ch, n);
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
}

static int send_slack(rw_channel *ch, const rw_notice *n, rw_send_result *res) {
    slack *s = ch->state;
    rw_buf body;
    rw_buf_init(&body, RW_BUF_DEFAULT_MAX);
    slack_body(ch, n, &body);
    const rw_http_header hd[] = {{"Content-Type", "application/json; charset=utf-8"}};
    rw_http_response resp;
    rw_http_response_init(&resp);
    /* 200 "ok"; 400 invalid_payload, 403 action_prohibited, 404 no_service, 410
     * channel_is_archived...: refused; 429 (with Retry-After) and 5xx: later */
    int rc = post(ch, &s->conn, s->url, hd, 1, &body, &resp, res);
    if (rc == RW_OK) rc = judge(ch, &s->conn, &resp, NULL, res);
    rw_http_response_free(&resp);
    rw_buf_free(&body);
    return rc;
}

static void close_slack(rw_channel *ch) {
    slack *s = ch->state;
    if (s) conn_close(&s->conn);
    free(s);
    ch->state = NULL;
}

const rw_channel_type rw_channel_slack = {
    .type = "slack",
    .summary = "a Slack message (Block Kit) through an incoming webhook",
    .opts = opts,
    .idempotency_key = false,
    .open = open_slack,
    .send = send_slack,
    .close = close_slack,
};
