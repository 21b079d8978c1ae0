/* What the HTTP channels (webhook, Slack, Teams, PagerDuty) share: opening (the checks of their
 * url and timeout_ms options), one connection per channel kept between deliveries, posting the
 * JSON body each builds (rw_http_out_kind) with rw_http, judging the reply the same way for all
 * (docs/notify-channels-http.md), and closing:
 *
 *   2xx                          sent (RW_OK)
 *   408, 425, 429, 5xx           failed, worth another try (RW_ERETRY, res->retryable)
 *   no reply (network, TLS, DNS) failed, worth another try (RW_ERETRY)
 *   anything else (3xx, 4xx)     refused for good (RW_EIO)
 *
 * Secrets never reach a message: every error text (rw_send_result.error and rw_error_last())
 * goes through rw_channel_scrub, which replaces each secret of the channel's options (found by
 * their types: channel.h) with "[redacted]", and shows of the URL only its scheme://host[:port]
 * (rw_opt_show). */
#ifndef RW_NOTIFY_HTTP_OUT_H
#define RW_NOTIFY_HTTP_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "notify/channel.h"
#include "util/buf.h"
#include "util/http.h"

#define RW_HTTP_OUT_REPLY_SHOWN 200 /* bytes of a refusal's reply quoted in the error */
#define RW_HTTP_OUT_REPLY_MAX (1 << 20)

/* What makes an HTTP channel of its kind: where its URL is, how a notice's request is made, what
 * a refusal says, and its own state. The channel's file holds this, its option table, its body
 * builder and its own checks; opening, sending and closing are here. */
typedef struct rw_http_out_req rw_http_out_req;
typedef struct rw_http_out_kind {
    const char *url_opt; /* the option that holds the URL ("url", "webhook_url") */
    /* Appends the notice's JSON body to rq->body, then adds the request's headers in the order
     * they are sent (rw_http_out_header), Content-Type first. */
    void (*build)(const rw_channel *ch, const rw_notice *n, rw_http_out_req *rq);
    /* What a refusal says, read from the reply: a new string (rw_http_out_send frees it), or NULL
     * for the reply's body. NULL: always the body. */
    char *(*detail)(const rw_http_response *reply);
    bool secret_body;            /* the body holds a secret (a routing key): wiped once sent */
    void (*free_own)(void *own); /* frees the channel's own state (rw_http_out.own); NULL: none */
} rw_http_out_kind;

/* One notice's request, as the kind's build makes it. */
struct rw_http_out_req {
    rw_buf body;
    rw_http_header *hd; /* names as the kind gave them, values copied (wiped when freed) */
    size_t nh, cap;
};
/* Adds a header to the request: name must live as long as the channel (a constant, or the
 * channel's own); value is copied. */
void rw_http_out_header(rw_http_out_req *rq, const char *name, const char *value);

/* An HTTP channel's state (ch->state), kept between deliveries. */
typedef struct rw_http_out {
    const rw_http_out_kind *kind;
    const char *url;      /* the value of the kind's url_opt (the channel's options own it) */
    rw_http *http;        /* made on the first send and kept: the connection is reused */
    long timeout_ms;      /* the whole exchange: timeout_ms, from 100 to 600000 */
    char *origin;         /* scheme://host[:port] of the URL: all that messages show of it */
    const rw_channel *ch; /* whose options' secrets are scrubbed from every message */
    void *own;            /* the channel's own state, freed by kind->free_own */
} rw_http_out;

/* Opens ch as an HTTP channel of this kind (borrowed: a static table), making ch->state its
 * rw_http_out, which rw_http_out_close frees: the URL (option kind->url_opt) must be set, and
 * https, or plain http to a loopback address only; timeout_ms from 100 to 600000. RW_OK, or
 * RW_EINVAL with a message naming the channel and the option (never the URL: it may hold a token)
 * and nothing kept. A channel's own checks follow; when one fails, the channel calls
 * rw_http_out_close. */
int rw_http_out_open(rw_channel *ch, const rw_http_out_kind *kind);
/* The send of every HTTP channel (rw_channel_type.send): builds the notice's request with the
 * kind's build, POSTs it and judges the reply (as in the table above): RW_OK when sent (res
 * untouched), else res filled and RW_ERETRY or RW_EIO. The connection is made on the first call
 * (connecting: at most 3 s, and never longer than timeout_ms) and kept. A refusal reads "channel
 * NAME: POST scheme://host: HTTP 429: DETAIL (Retry-After: 7)", where DETAIL is what the kind's
 * detail(reply) returns (or the reply's body), scrubbed and cut to RW_HTTP_OUT_REPLY_SHOWN bytes.
 * For a 429 or a 503, res->retry_after_ms is the wait the reply's Retry-After asks for
 * (rw_http_out_retry_after; an HTTP date is measured from the reply's Date when it has one, else
 * from this host's clock); otherwise 0. A failure without a reply (network, TLS, DNS) is worth
 * another try; a URL rw_http refuses is not. */
int rw_http_out_send(rw_channel *ch, const rw_notice *n, rw_send_result *res);
/* The close of every HTTP channel (rw_channel_type.close): the connection, the channel's own state
 * (kind->free_own) and the rw_http_out. */
void rw_http_out_close(rw_channel *ch);

/* A Retry-After header's value, value[0..len): delay-seconds ("120") or an HTTP date (IMF-fixdate
 * "Wed, 21 Oct 2026 07:28:00 GMT", and the obsolete RFC 850 and asctime forms), the date measured
 * from now (epoch seconds). The wait in milliseconds: 0 when the value is neither, or the date is
 * past; at most LONG_MAX. */
long rw_http_out_retry_after(const char *value, size_t len, int64_t now);

/* The length of s[0..len) cut to at most max bytes, not inside a UTF-8 sequence. */
size_t rw_http_out_utf8_cut(const char *s, size_t len, size_t max);

#endif
