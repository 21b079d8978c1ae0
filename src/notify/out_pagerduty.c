/* The PagerDuty channel: an Events API v2 "trigger" per alert, deduplicated by the eventID
 * (docs/notify-channels-http.md). */
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

/* ---- PagerDuty ---- */

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

typedef struct pagerduty {
    http_conn conn;
    const char *url, *key;
} pagerduty;

static int open_pagerduty(rw_channel *ch) {
    pagerduty *p = rw_xcalloc(1, sizeof *p);
    p->url = rw_opt_str(ch->opts, "url");
    p->key = rw_opt_str(ch->opts, "routing_key");
    int rc = check_url(ch, "url", p->url);
    if (!rc) rc = check_timeout(ch, &p->conn);
    if (!rc) rc = check_aliases(ch);
    if (!rc && (!p->key || !*p->key))
        rc = rw_error_set(RW_EINVAL, "channel %s: option routing_key is required", ch->name);
    for (const char *k = p->key; !rc && *k; k++)
        if ((unsigned char)*k <= 0x20 || *k == 0x7f) /* the key itself is never shown */
            rc = rw_error_set(RW_EINVAL,
                              "channel %s: option routing_key: the key has a space or a control "
                              "character",
                              ch->name);
    if (rc) {
        free(p);
        return rc;
    }
    conn_secret(&p->conn, p->key);
    conn_url(&p->conn, p->url);
    ch->state = p;
    return RW_OK;
}

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

static void pd_body(const rw_channel *ch, const pagerduty *p, const rw_notice *n, rw_buf *b) {
    const char *alias = alias_of(ch, n);
    char *title = rw_render_title(n, alias), *link = rw_render_console_link(n);
    const char *id = n->event_id && *n->event_id ? n->event_id : rw_notice_field(n, "eventID");
    const char *account = rw_notice_field(n, "account");
    rw_buf_puts(b, "{\"routing_key\":");
    rw_json_write_str(b, p->key, strlen(p->key));
    rw_buf_puts(b, ",\"event_action\":\"trigger\",\"dedup_key\":");
    rw_json_write_str(b, id, strlen(id));
    rw_buf_puts(b, ",\"payload\":{\"summary\":");
    size_t tl = strlen(title);
    if (tl > PD_SUMMARY_MAX) {
        tl = utf8_cut(title, tl, PD_SUMMARY_MAX - 3);
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
}

/* What a refusal says: {"status":"invalid event","message":"Event object is invalid",
 * "errors":["..."]} as "message: error; error". NULL when the reply is not that. */
static char *pd_errors(const rw_http_response *r) {
    if (!r->body.len) return NULL;
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

static int send_pagerduty(rw_channel *ch, const rw_notice *n, rw_send_result *res) {
    pagerduty *p = ch->state;
    rw_buf body;
    rw_buf_init(&body, RW_BUF_DEFAULT_MAX);
    pd_body(ch, p, n, &body);
    const rw_http_header hd[] = {{"Content-Type", "application/json"}};
    rw_http_response resp;
    rw_http_response_init(&resp);
    /* 202 accepted; 400 invalid event (with PagerDuty's errors): refused; 429 and 5xx: later */
    int rc = post(ch, &p->conn, p->url, hd, 1, &body, &resp, res);
    if (rc == RW_OK) {
        char *detail = resp.status >= 400 && resp.status < 500 ? pd_errors(&resp) : NULL;
        rc = judge(ch, &p->conn, &resp, detail, res);
        free(detail);
    }
    rw_http_response_free(&resp);
    memset(body.data, 0, body.len); /* it holds the routing key */
    rw_buf_free(&body);
    return rc;
}

static void close_pagerduty(rw_channel *ch) {
    pagerduty *p = ch->state;
    if (p) conn_close(&p->conn);
    free(p);
    ch->state = NULL;
}

const rw_channel_type rw_channel_pagerduty = {
    .type = "pagerduty",
    .summary = "a PagerDuty incident (Events API v2), deduplicated by the eventID",
    .opts = opts,
    .idempotency_key = true, /* dedup_key */
    .open = open_pagerduty,
    .send = send_pagerduty,
    .close = close_pagerduty,
};
