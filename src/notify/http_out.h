/* What the HTTP channels (webhook, Slack, Teams, PagerDuty) share: one connection per channel
 * kept between deliveries, the checks of their url and timeout_ms options, posting a JSON body
 * with rw_http, and judging the reply the same way for all (docs/notify-channels-http.md):
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

/* A channel's connection (in its state, zeroed; rw_http_out_close frees what it holds). */
typedef struct rw_http_out {
    rw_http *http;        /* made on the first send and kept: the connection is reused */
    long timeout_ms;      /* the whole exchange (rw_http_out_check_timeout) */
    char *origin;         /* scheme://host[:port] of the URL: all that messages show of it */
    const rw_channel *ch; /* whose options' secrets are scrubbed from every message */
} rw_http_out;

/* Keeps scheme://host[:port] of url for messages (rw_opt_show of a URL, without the "/..." that
 * follows it), and ch, whose secrets every message is scrubbed of (rw_channel_scrub). */
void rw_http_out_url(rw_http_out *c, const rw_channel *ch, const char *url);
/* Option opt of ch is a URL rootwatch sends to: set, and https, or plain http to a loopback
 * address only. RW_OK, or RW_EINVAL with a message naming the channel and the option (never the
 * URL: it may hold a token). */
int rw_http_out_check_url(const rw_channel *ch, const char *opt, const char *url);
/* Reads ch's timeout_ms option into c: from 100 to 600000, else RW_EINVAL. */
int rw_http_out_check_timeout(const rw_channel *ch, rw_http_out *c);

/* POSTs body to url with the headers hd[0..nh) and judges the reply (as in the table above):
 * RW_OK when sent (res untouched), else res filled and RW_ERETRY or RW_EIO. The connection is
 * made on the first call (connecting: at most 3 s, and never longer than timeout_ms) and kept.
 * A refusal reads "channel NAME: POST scheme://host: HTTP 429: DETAIL (Retry-After: 7)", where
 * DETAIL is what detail(reply) returns (a new string, or NULL: the reply's body; detail NULL:
 * always the body), scrubbed and cut to RW_HTTP_OUT_REPLY_SHOWN bytes. For a 429 or a 503,
 * res->retry_after_ms is the wait the reply's Retry-After asks for (rw_http_out_retry_after; an
 * HTTP date is measured from the reply's Date when it has one, else from this host's clock);
 * otherwise 0. A failure without a reply (network, TLS, DNS) is worth another try; a URL rw_http
 * refuses is not. */
int rw_http_out_send(const rw_channel *ch, rw_http_out *c, const char *url,
                     const rw_http_header *hd, size_t nh, const rw_buf *body,
                     char *(*detail)(const rw_http_response *reply), rw_send_result *res);
/* Closes the connection and frees the origin (c itself is the caller's). */
void rw_http_out_close(rw_http_out *c);

/* A Retry-After header's value, value[0..len): delay-seconds ("120") or an HTTP date (IMF-fixdate
 * "Wed, 21 Oct 2026 07:28:00 GMT", and the obsolete RFC 850 and asctime forms), the date measured
 * from now (epoch seconds). The wait in milliseconds: 0 when the value is neither, or the date is
 * past; at most LONG_MAX. */
long rw_http_out_retry_after(const char *value, size_t len, int64_t now);

/* The length of s[0..len) cut to at most max bytes, not inside a UTF-8 sequence. */
size_t rw_utf8_cut(const char *s, size_t len, size_t max);

#endif
