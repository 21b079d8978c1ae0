/* The webhook channel: the alert JSON POSTed to a URL of yours, signed with HMAC-SHA256 when a
 * secret is set (docs/notify-channels-http.md: the headers, the signature and how to check it). */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/http.h"
#include "notify/channel.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/xmalloc.h"

#ifndef RW_VERSION
#define RW_VERSION "0"
#endif

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

/* ---- the webhook ---- */

static const rw_opt_spec opts[] = {
    {"url", RW_OPT_URL, NULL, true,
     "where the alert JSON is POSTed (https; a secret: never logged, messages show the host)"},
    {"secret", RW_OPT_SECRET, NULL, false,
     "signs each request: X-Rootwatch-Signature: sha256=HMAC-SHA256(secret, \"TIMESTAMP.BODY\")"},
    {"headers", RW_OPT_LIST, NULL, false,
     "extra request headers, each \"Name: value\" (values are never logged)"},
    {"timeout_ms", RW_OPT_INT, "5000", false, "the longest a delivery may take, in milliseconds"},
    {NULL, 0, NULL, false, NULL},
};

typedef struct webhook {
    http_conn conn;
    const char *url, *secret;
    rw_http_header *extra; /* from the headers option (name and value copied) */
    size_t nextra;
} webhook;

static void webhook_free(webhook *w) {
    if (!w) return;
    conn_close(&w->conn);
    for (size_t i = 0; i < w->nextra; i++) {
        free((char *)w->extra[i].name);
        rw_secure_free((char *)w->extra[i].value, strlen(w->extra[i].value));
    }
    free(w->extra);
    free(w);
}

static bool token_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("!#$%&'*+-.^_`|~", c);
}

/* The headers rootwatch sets itself, and those curl must set. */
static bool reserved_header(const char *name) {
    static const char *const names[] = {"content-type",      "content-length", "host",
                                        "transfer-encoding", "expect",         "connection"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcasecmp(name, names[i])) return true;
    return !strncasecmp(name, "x-rootwatch-", 12);
}

static int parse_headers(rw_channel *ch, webhook *w) {
    const char *const *items = rw_opt_list(ch->opts, "headers");
    size_t n = 0;
    while (items[n]) n++;
    w->extra = rw_xcalloc(n ? n : 1, sizeof *w->extra);
    for (size_t i = 0; i < n; i++) {
        const char *it = items[i], *colon = strchr(it, ':');
        size_t nl = colon ? (size_t)(colon - it) : 0;
        while (nl && (it[nl - 1] == ' ' || it[nl - 1] == '\t')) nl--;
        bool ok = colon && nl > 0;
        for (size_t k = 0; ok && k < nl; k++) ok = token_char(it[k]);
        if (!ok)
            return rw_error_set(RW_EINVAL,
                                "channel %s: option headers: item %zu is not \"Name: value\" (a "
                                "name of letters, digits and -)",
                                ch->name, i + 1);
        const char *v = colon + 1;
        while (*v == ' ' || *v == '\t') v++;
        size_t vl = strlen(v);
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
        if (strpbrk(v, "\r\n")) /* the value is not shown: it may be a token */
            return rw_error_set(RW_EINVAL, "channel %s: option headers: item %zu has a line break",
                                ch->name, i + 1);
        char *name = rw_xstrndup(it, nl);
        if (reserved_header(name)) {
            rw_error_set(RW_EINVAL,
                         "channel %s: option headers: %s is set by rootwatch and cannot be changed",
                         ch->name, name);
            free(name);
            return RW_EINVAL;
        }
        w->extra[w->nextra].name = name;
        w->extra[w->nextra].value = rw_xstrndup(v, vl);
        /* the value, and the credential of "Scheme credential" on its own */
        const char *val = w->extra[w->nextra].value, *sp = strrchr(val, ' ');
        conn_secret(&w->conn, val);
        if (sp) conn_secret(&w->conn, sp + 1);
        w->nextra++;
    }
    return RW_OK;
}

static int open_webhook(rw_channel *ch) {
    webhook *w = rw_xcalloc(1, sizeof *w);
    w->url = rw_opt_str(ch->opts, "url");
    w->secret = rw_opt_str(ch->opts, "secret");
    int rc = check_url(ch, "url", w->url);
    if (!rc) rc = check_timeout(ch, &w->conn);
    if (!rc && w->secret && !*w->secret)
        rc = rw_error_set(RW_EINVAL, "channel %s: option secret is empty", ch->name);
    if (!rc) {
        /* the secrets first: a URL of many pieces must not crowd them out */
        conn_secret(&w->conn, w->secret);
        rc = parse_headers(ch, w);
    }
    if (!rc) conn_url(&w->conn, w->url);
    if (rc) {
        webhook_free(w);
        return rc;
    }
    ch->state = w;
    return RW_OK;
}

/* The alert object, with "test": true added for a test notice. */
static void webhook_body(rw_buf *b, const rw_notice *n) {
    rw_buf_append(b, n->alert_json, n->alert_len);
    if (!n->test || rw_json_get(n->alert, "test") || !n->alert || n->alert->type != RW_JSON_OBJECT)
        return;
    while (b->len && b->data[b->len - 1] != '}') b->len--; /* trailing blanks */
    if (!b->len) return;
    b->len--;
    rw_buf_puts(b, n->alert->child ? ",\"test\":true}" : "\"test\":true}");
}

/* Hex HMAC-SHA256(secret, "<timestamp>.<body>"). */
static void sign(char out[65], const char *secret, const char *ts, const rw_buf *body) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;
    rw_buf msg;
    rw_buf_init(&msg, RW_BUF_DEFAULT_MAX);
    rw_buf_printf(&msg, "%s.", ts);
    rw_buf_append(&msg, body->data, body->len);
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg.data, msg.len, mac,
         &ml);
    rw_buf_free(&msg);
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[64] = 0;
}

static int send_webhook(rw_channel *ch, const rw_notice *n, rw_send_result *res) {
    webhook *w = ch->state;
    const char *id = n->event_id && *n->event_id ? n->event_id : rw_notice_field(n, "eventID");
    rw_buf body;
    rw_buf_init(&body, RW_BUF_DEFAULT_MAX);
    webhook_body(&body, n);
    char ts[32], sig[7 + 65];
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    size_t nh = 0;
    rw_http_header *hd = rw_xcalloc(5 + w->nextra, sizeof *hd);
    hd[nh++] = (rw_http_header){"Content-Type", "application/json"};
    hd[nh++] = (rw_http_header){"User-Agent", "rootwatch/" RW_VERSION};
    hd[nh++] = (rw_http_header){"X-Rootwatch-Event-Id", id};
    hd[nh++] = (rw_http_header){"X-Rootwatch-Timestamp", ts};
    if (w->secret) {
        memcpy(sig, "sha256=", 7);
        sign(sig + 7, w->secret, ts, &body);
        hd[nh++] = (rw_http_header){"X-Rootwatch-Signature", sig};
    }
    for (size_t i = 0; i < w->nextra; i++) hd[nh++] = w->extra[i];
    rw_http_response resp;
    rw_http_response_init(&resp);
    int rc = post(ch, &w->conn, w->url, hd, nh, &body, &resp, res);
    if (rc == RW_OK) rc = judge(ch, &w->conn, &resp, NULL, res);
    rw_http_response_free(&resp);
    free(hd);
    rw_buf_free(&body);
    return rc;
}

static void close_webhook(rw_channel *ch) {
    webhook_free(ch->state);
    ch->state = NULL;
}

const rw_channel_type rw_channel_webhook = {
    .type = "webhook",
    .summary = "the alert JSON POSTed to a URL, signed with HMAC-SHA256 when a secret is set",
    .opts = opts,
    .idempotency_key = true, /* X-Rootwatch-Event-Id */
    .open = open_webhook,
    .send = send_webhook,
    .close = close_webhook,
};
