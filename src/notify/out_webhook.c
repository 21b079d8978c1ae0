/* The webhook channel: the alert JSON POSTed to a URL of yours, signed with HMAC-SHA256 when a
 * secret is set (docs/notify-channels-http.md: the headers, the signature and how to check it). */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "notify/channel.h"
#include "notify/http_out.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/http.h"
#include "util/json.h"
#include "util/secret.h"
#include "util/xmalloc.h"

#ifndef RW_VERSION
#define RW_VERSION "0"
#endif

static const rw_opt_spec opts[] = {
    {"url", RW_OPT_SECRET_URL, NULL, true,
     "where the alert JSON is POSTed (https; a secret: never logged, messages show the host)"},
    {"secret", RW_OPT_SECRET, NULL, false,
     "signs each request: X-Rootwatch-Signature: sha256=HMAC-SHA256(secret, \"TIMESTAMP.BODY\")"},
    {"headers", RW_OPT_HEADERS, NULL, false,
     "extra request headers, each \"Name: value\" (the values are secrets: never shown)"},
    {"timeout_ms", RW_OPT_INT, "5000", false, "the longest a delivery may take, in milliseconds"},
    {NULL, 0, NULL, false, NULL},
};

/* The channel's own: the headers option, parsed (name and value copied). */
typedef struct webhook {
    rw_http_header *extra;
    size_t nextra;
} webhook;

static void webhook_free(void *own) {
    webhook *w = own;
    for (size_t i = 0; i < w->nextra; i++) {
        free((char *)w->extra[i].name);
        rw_secret_free((char *)w->extra[i].value, strlen(w->extra[i].value));
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
        /* no message holds the value, nor the credential of "Scheme credential" on its own:
         * the option's type (RW_OPT_HEADERS) makes both secrets every message is scrubbed of */
        w->extra[w->nextra].value = rw_xstrndup(v, vl);
        w->nextra++;
    }
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

/* The body, then its headers: the signature is of the body. */
static void webhook_request(const rw_channel *ch, const rw_notice *n, rw_http_out_req *rq) {
    const webhook *w = ((const rw_http_out *)ch->state)->own;
    const char *secret = rw_opt_str(ch->opts, "secret");
    const char *id = n->event_id && *n->event_id ? n->event_id : rw_notice_field(n, "eventID");
    webhook_body(&rq->body, n);
    char ts[32], sig[7 + 65];
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    rw_http_out_header(rq, "Content-Type", "application/json");
    rw_http_out_header(rq, "User-Agent", "rootwatch/" RW_VERSION);
    rw_http_out_header(rq, "X-Rootwatch-Event-Id", id);
    rw_http_out_header(rq, "X-Rootwatch-Timestamp", ts);
    if (secret) {
        memcpy(sig, "sha256=", 7);
        sign(sig + 7, secret, ts, &rq->body);
        rw_http_out_header(rq, "X-Rootwatch-Signature", sig);
    }
    for (size_t i = 0; i < w->nextra; i++)
        rw_http_out_header(rq, w->extra[i].name, w->extra[i].value);
}

static const rw_http_out_kind kind = {
    .url_opt = "url", .build = webhook_request, .free_own = webhook_free};

static int open_webhook(rw_channel *ch) {
    int rc = rw_http_out_open(ch, &kind);
    if (rc) return rc;
    webhook *w = rw_xcalloc(1, sizeof *w);
    ((rw_http_out *)ch->state)->own = w;
    const char *secret = rw_opt_str(ch->opts, "secret");
    if (secret && !*secret)
        rc = rw_error_set(RW_EINVAL, "channel %s: option secret is empty", ch->name);
    if (!rc) rc = parse_headers(ch, w);
    if (rc) rw_http_out_close(ch);
    return rc;
}

const rw_channel_type rw_channel_webhook = {
    .type = "webhook",
    .summary = "the alert JSON POSTed to a URL, signed with HMAC-SHA256 when a secret is set",
    .opts = opts,
    .idempotency_key = true, /* X-Rootwatch-Event-Id */
    .open = open_webhook,
    .send = rw_http_out_send,
    .close = rw_http_out_close,
};
