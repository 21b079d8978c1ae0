/* What the HTTP channels share (http_out.h): opening (the option checks), the connection, the
 * request each notice's body builder makes, scrubbing messages, posting, judging replies, reading
 * Retry-After, and closing. */
#include "notify/http_out.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/err.h"
#include "util/secret.h"
#include "util/xmalloc.h"

/* Keeps scheme://host[:port] of url for messages (rw_opt_show of a URL, without the "/..." that
 * follows it), and ch, whose secrets every message is scrubbed of (rw_channel_scrub). */
static void keep_origin(rw_http_out *c, const rw_channel *ch, const char *url) {
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_opt_show(&b, RW_OPT_URL, url);
    if (b.len >= 4 && !strcmp(b.data + b.len - 4, "/..."))
        b.data[b.len -= 4] = 0;
    else if (b.len && b.data[b.len - 1] == '/')
        b.data[--b.len] = 0;
    free(c->origin);
    c->origin = rw_buf_take(&b);
    c->ch = ch;
}

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

static int check_timeout(const rw_channel *ch, rw_http_out *c) {
    c->timeout_ms = rw_opt_int(ch->opts, "timeout_ms");
    if (c->timeout_ms < 100 || c->timeout_ms > 600000)
        return rw_error_set(RW_EINVAL,
                            "channel %s: option timeout_ms: %ld is not from 100 to 600000 (ms)",
                            ch->name, c->timeout_ms);
    return RW_OK;
}

int rw_http_out_open(rw_channel *ch, const rw_http_out_kind *kind) {
    const char *url = rw_opt_str(ch->opts, kind->url_opt);
    rw_http_out tmp = {.kind = kind, .url = url};
    int rc = check_url(ch, kind->url_opt, url);
    if (!rc) rc = check_timeout(ch, &tmp);
    if (rc) return rc;
    rw_http_out *c = rw_xcalloc(1, sizeof *c);
    *c = tmp;
    keep_origin(c, ch, url);
    ch->state = c;
    return RW_OK;
}

void rw_http_out_close(rw_channel *ch) {
    rw_http_out *c = ch->state;
    if (c) {
        rw_http_free(c->http);
        free(c->origin);
        if (c->own && c->kind->free_own) c->kind->free_own(c->own);
        free(c);
    }
    ch->state = NULL;
}

void rw_http_out_header(rw_http_out_req *rq, const char *name, const char *value) {
    if (rq->nh == rq->cap) {
        rq->cap = rq->cap ? 2 * rq->cap : 8;
        rq->hd = rw_xrealloc(rq->hd, rq->cap * sizeof *rq->hd);
    }
    rq->hd[rq->nh++] = (rw_http_header){name, rw_xstrdup(value ? value : "")};
}

static void req_free(rw_http_out_req *rq) {
    for (size_t i = 0; i < rq->nh; i++) /* a header's value may be a secret (webhook headers) */
        rw_secret_free((char *)rq->hd[i].value, strlen(rq->hd[i].value));
    free(rq->hd);
    rw_buf_free(&rq->body);
}

/* Appends s[0..n) with every secret of the channel's options replaced by [redacted] and control
 * characters by spaces. */
static void scrub(const rw_http_out *c, rw_buf *out, const char *s, size_t n) {
    rw_channel_scrub(c->ch, out, s, n);
}

size_t rw_http_out_utf8_cut(const char *s, size_t len, size_t max) {
    if (len <= max) return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) max--;
    return max;
}

/* Fills res (the message scrubbed of every secret, no Retry-After) and the error; returns the
 * code. */
static int fail(const rw_http_out *c, rw_send_result *res, bool retryable, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(const rw_http_out *c, rw_send_result *res, bool retryable, const char *fmt, ...) {
    rw_buf raw, clean;
    rw_buf_init(&raw, RW_BUF_DEFAULT_MAX);
    rw_buf_set_secret(&raw); /* before scrubbing: it may quote a secret */
    rw_buf_init(&clean, RW_BUF_DEFAULT_MAX);
    va_list ap;
    va_start(ap, fmt);
    rw_buf_vprintf(&raw, fmt, ap);
    va_end(ap);
    scrub(c, &clean, raw.data ? raw.data : "", raw.len);
    size_t n = rw_http_out_utf8_cut(clean.data ? clean.data : "", clean.len, sizeof res->error - 1);
    memcpy(res->error, clean.data ? clean.data : "", n);
    res->error[n] = 0;
    res->retryable = retryable;
    res->retry_after_ms = 0;
    rw_buf_free(&raw);
    rw_buf_free(&clean);
    int code = retryable ? RW_ERETRY : RW_EIO;
    return rw_error_set(code, "%s", res->error);
}

/* POSTs body: RW_OK when a reply came (whatever its status), else the failure in res (network
 * failures are worth another try; a URL rootwatch refuses is not). */
static int post(const rw_channel *ch, rw_http_out *c, const char *url, const rw_http_header *hd,
                size_t nh, const rw_buf *body, rw_http_response *resp, rw_send_result *res) {
    if (!c->http) {
        rw_http_opts o = {.connect_timeout_ms = c->timeout_ms < 3000 ? c->timeout_ms : 3000,
                          .timeout_ms = c->timeout_ms,
                          .max_body = RW_HTTP_OUT_REPLY_MAX};
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

/* ---- HTTP dates (RFC 9110 section 5.6.7) and Retry-After ---- */

static int month_of(const char *m) {
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int i = 0; i < 12; i++)
        if (strlen(m) == 3 && !memcmp(m, months + 3 * i, 3)) return i;
    return -1;
}

static int days_in_month(int year, int m) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return m == 1 && leap ? 29 : days[m];
}

/* An HTTP date, s[0..len): IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), RFC 850 ("Sunday,
 * 06-Nov-94 08:49:37 GMT", its year taken as the latest not over 50 years after now) or asctime
 * ("Sun Nov  6 08:49:37 1994"), as epoch seconds. The day's name is not checked. */
static bool http_date(const char *s, size_t len, int64_t now, int64_t *out) {
    char t[64], wd[16], mon[4];
    if (len >= sizeof t) return false;
    memcpy(t, s, len);
    t[len] = 0;
    int day = 0, year = 0, h = 0, mi = 0, sec = 0, n = -1;
    bool ok = sscanf(t, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n", wd, &day, mon, &year,
                     &h, &mi, &sec, &n) == 7 &&
              n == (int)len;
    bool two_digit = false;
    if (!ok) {
        n = -1;
        ok = two_digit = sscanf(t, "%9[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d GMT%n", wd, &day,
                                mon, &year, &h, &mi, &sec, &n) == 7 &&
                         n == (int)len;
    }
    if (!ok) {
        n = -1;
        ok = sscanf(t, "%3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", wd, mon, &day, &h, &mi, &sec,
                    &year, &n) == 7 &&
             n == (int)len;
    }
    if (!ok || year < 0) return false;
    if (two_digit) {
        time_t nt = (time_t)now;
        struct tm nowtm;
        if (!gmtime_r(&nt, &nowtm)) return false;
        int this_year = nowtm.tm_year + 1900;
        year += this_year - this_year % 100;
        if (year > this_year + 50) year -= 100;
    }
    int m = month_of(mon);
    if (m < 0 || day < 1 || day > days_in_month(year, m) || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        sec < 0 || sec > 60)
        return false;
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = m,
                    .tm_mday = day,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = sec};
    *out = (int64_t)timegm(&tm);
    return true;
}

long rw_http_out_retry_after(const char *value, size_t len, int64_t now) {
    if (!value || !len) return 0;
    int64_t secs = 0;
    size_t i = 0;
    while (i < len && value[i] >= '0' && value[i] <= '9') {
        if (secs < INT64_MAX / 10 - 9) secs = secs * 10 + (value[i] - '0');
        i++;
    }
    if (i < len) { /* not delay-seconds: a date? */
        int64_t when;
        if (!http_date(value, len, now, &when) || when <= now) return 0;
        secs = when - now;
    }
    return secs > LONG_MAX / 1000 ? LONG_MAX : (long)secs * 1000;
}

/* ---- judging the reply ---- */

/* The reply: 2xx sent; 408, 425, 429 and 5xx worth another try; anything else refused. detail is
 * what the reply says (NULL: its first RW_HTTP_OUT_REPLY_SHOWN bytes). */
static int judge(const rw_channel *ch, const rw_http_out *c, const rw_http_response *r,
                 const char *detail, rw_send_result *res) {
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
        d.len = rw_http_out_utf8_cut(d.data, d.len, RW_HTTP_OUT_REPLY_SHOWN);
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
    if (ra && (st == 429 || st == 503)) {
        /* a date is measured against the receiver's clock when it says what time it is */
        int64_t now = (int64_t)time(NULL), date;
        size_t dl = 0;
        const char *dv = rw_http_header_get(r, "date", &dl);
        if (dv && http_date(dv, dl, now, &date)) now = date;
        res->retry_after_ms = rw_http_out_retry_after(ra, al, now);
    }
    return code;
}

int rw_http_out_send(rw_channel *ch, const rw_notice *n, rw_send_result *res) {
    rw_http_out *c = ch->state;
    rw_http_out_req rq = {0};
    rw_buf_init(&rq.body, RW_BUF_DEFAULT_MAX);
    if (c->kind->secret_body) rw_buf_set_secret(&rq.body);
    c->kind->build(ch, n, &rq);
    rw_http_response resp;
    rw_http_response_init(&resp);
    int rc = post(ch, c, c->url, rq.hd, rq.nh, &rq.body, &resp, res);
    if (rc == RW_OK) {
        char *d = c->kind->detail ? c->kind->detail(&resp) : NULL;
        rc = judge(ch, c, &resp, d, res);
        free(d);
    }
    rw_http_response_free(&resp);
    req_free(&rq);
    return rc;
}
