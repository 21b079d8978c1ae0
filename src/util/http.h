/* HTTP(S) with libcurl: one handle per thread, so connections are reused. TLS is always verified;
 * plain http is refused except to loopback addresses (tests, and local emulators the user names
 * explicitly with --endpoint-url). AWS_CA_BUNDLE, when set, is the CA bundle of every connection
 * (the AWS tools' setting; notifiers' connections honour it too). Used by the AWS client and the
 * notifiers alike: it knows nothing of AWS's protocols. */
#ifndef RW_HTTP_H
#define RW_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

typedef struct rw_http_header {
    const char *name;
    const char *value;
} rw_http_header;

typedef struct rw_http_opts {
    long connect_timeout_ms; /* default 3000 */
    long timeout_ms;         /* the whole exchange; default 60000 */
    size_t max_body;         /* the largest response body kept (default 256 MiB) */
    /* > 0: an exchange that moves no byte (less than 1 byte/s, measured by libcurl over a few
     * seconds) for this long fails as a timeout, however long the total limit; rounded up to whole
     * seconds; only applied when it is shorter than the total limit. 0: none */
    long stall_timeout_ms;
} rw_http_opts;

typedef struct rw_http_request {
    const char *method;
    const char *url;
    const rw_http_header *headers;
    size_t nheaders;
    const void *body;
    size_t body_len;
    long timeout_ms;         /* 0: the handle's default */
    long connect_timeout_ms; /* 0: the handle's default */
    /* plain http to the link-local credential endpoints of EC2 and ECS/EKS (169.254.169.254,
     * 169.254.170.2, 169.254.170.23, fd00:ec2::254, fd00:ec2::23), which have no TLS */
    bool allow_metadata_http;
    /* the exchange is given up (RW_ECANCELED) as soon as a stop is asked for (SIGINT, SIGTERM:
     * rw_signal_stop_requested), also while it waits for an answer: for a wait that may last (the
     * Lambda Runtime API's next invocation) */
    bool stop_on_signal;
    /* non-NULL: the exchange is given up (RW_ECANCELED) when *stop has been set for
     * RW_HTTP_STOP_GRACE_MS and no byte of the answer has come yet: a watch source told to stop
     * while it long-polls an idle queue. An answer on its way within the grace (a busy queue's,
     * whose messages the queue has already handed out) is read to its end, so that what it holds
     * is not kept from others until its visibility timeout. */
    const atomic_bool *stop;
} rw_http_request;

#define RW_HTTP_STOP_GRACE_MS 1000

typedef struct rw_http_response {
    long status; /* 0 when no response came (a network error) */
    rw_buf body;
    rw_buf headers; /* "name: value\n" lines, names in lower case */
} rw_http_response;

typedef struct rw_http rw_http;

/* A new handle (opts copied; may be NULL), freed with rw_http_free; NULL with the message set when
 * libcurl cannot make one. */
rw_http *rw_http_new(const rw_http_opts *opts);
void rw_http_free(rw_http *h);
/* Performs the request. Returns RW_OK when a response arrived (whatever its status), RW_ERETRY
 * for network failures worth another try (refused, reset, timed out, DNS), RW_EINVAL for a URL
 * rootwatch refuses (plain http to a non-loopback host), RW_ELIMIT for a body over max_body,
 * RW_ECANCELED when stop_on_signal or stop cut it short. The message names the host and what
 * failed. req and what it points to are only read during the call. resp is the caller's,
 * initialised with rw_http_response_init: its body and headers are emptied and refilled (their
 * memory reused), and the caller frees them with rw_http_response_free, whatever this returns. */
int rw_http_do(rw_http *h, const rw_http_request *req, rw_http_response *resp);
/* An empty response; what it comes to hold is freed by rw_http_response_free (not r itself). */
void rw_http_response_init(rw_http_response *r);
void rw_http_response_free(rw_http_response *r);
/* A response header's value (name in lower case), or NULL. It is NOT NUL-terminated: it is *len
 * bytes long. It points into r's headers: valid until r is reused or freed. */
const char *rw_http_header_get(const rw_http_response *r, const char *name, size_t *len);
/* Is the URL's host a loopback address (127.0.0.0/8, ::1, localhost)? */
bool rw_http_is_loopback(const char *url);

#endif
