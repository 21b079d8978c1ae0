/* HTTP(S) through libcurl. Each rw_http keeps one easy handle, reset between requests (which
 * keeps its connections, TLS sessions and DNS cache), so consecutive requests to one host reuse
 * the connection. Redirects are not followed; TLS peers and host names are always verified.
 * Messages name scheme://host:port only: URLs may carry secrets in their query (presigned URLs)
 * and headers carry signatures and tokens. */
#include "util/http.h"
#include "util/http_impl.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/secret.h"
#include "util/signals.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#ifndef RW_VERSION
#define RW_VERSION "0"
#endif

struct rw_http {
    CURL *curl;
    rw_http_opts opts;
    char *ca_bundle; /* AWS_CA_BUNDLE when rw_http_new ran, or NULL */
    char errbuf[CURL_ERROR_SIZE];
};

/* ---- global initialisation ----------------------------------------------------------------- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void) {
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int ensure_global(void) {
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK)
        return rw_error_set(RW_EIO, "cannot initialise libcurl: %s", curl_easy_strerror(global_rc));
    return RW_OK;
}

/* ---- URLs ---------------------------------------------------------------------------------- */

typedef struct url_parts {
    CURLU *u;
    char *scheme, *host, *port; /* host as curl has it: IPv6 in brackets */
} url_parts;

static void url_parts_free(url_parts *p) {
    curl_free(p->scheme);
    curl_free(p->host);
    curl_free(p->port);
    if (p->u) curl_url_cleanup(p->u);
    memset(p, 0, sizeof *p);
}

/* Parses url as curl will when it sends the request (the same CURLU goes to the easy handle). */
static int url_parse(url_parts *p, const char *url) {
    memset(p, 0, sizeof *p);
    if (!url || !*url) return rw_error_set(RW_EINVAL, "no URL");
    p->u = curl_url();
    if (!p->u) return rw_error_set(RW_EIO, "out of memory parsing a URL");
    CURLUcode uc = curl_url_set(p->u, CURLUPART_URL, url, CURLU_PATH_AS_IS);
    if (uc != CURLUE_OK) {
        url_parts_free(p);
        /* not the URL itself: it may hold a secret */
        return rw_error_set(RW_EINVAL, "not a URL rootwatch can use: %s", curl_url_strerror(uc));
    }
    if (curl_url_get(p->u, CURLUPART_SCHEME, &p->scheme, 0) != CURLUE_OK ||
        curl_url_get(p->u, CURLUPART_HOST, &p->host, 0) != CURLUE_OK ||
        curl_url_get(p->u, CURLUPART_PORT, &p->port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        url_parts_free(p);
        return rw_error_set(RW_EINVAL, "a URL without a scheme, host or port");
    }
    for (char *s = p->scheme; *s; s++) *s = (char)tolower((unsigned char)*s);
    return RW_OK;
}

bool rw_http_is_loopback(const char *url) {
    if (ensure_global()) return false;
    url_parts p;
    if (url_parse(&p, url)) {
        rw_error_clear();
        return false;
    }
    bool yes = rw_http_host_is_loopback(p.host);
    url_parts_free(&p);
    return yes;
}

/* ---- handles ------------------------------------------------------------------------------- */

rw_http *rw_http_new(const rw_http_opts *opts) {
    if (ensure_global()) return NULL;
    CURL *curl = curl_easy_init();
    if (!curl) {
        rw_error_set(RW_EIO, "cannot create a libcurl handle");
        return NULL;
    }
    rw_http *h = rw_xcalloc(1, sizeof *h);
    h->curl = curl;
    h->ca_bundle = rw_http_handle_opts(&h->opts, opts);
    return h;
}

void rw_http_free(rw_http *h) {
    if (!h) return;
    curl_easy_cleanup(h->curl);
    free(h->ca_bundle);
    free(h);
}

/* ---- one exchange -------------------------------------------------------------------------- */

typedef struct exchange {
    rw_http_response *resp;
    size_t max_body;
    bool body_over; /* the body passed max_body */
    bool headers_over;
    const rw_http_request *req;
    int64_t stop_seen; /* when req->stop was first seen set (0: not yet) */
} exchange;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
    exchange *x = ud;
    size_t n = size * nmemb;
    if (n > x->max_body - x->resp->body.len) {
        x->body_over = true;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    if (rw_buf_append(&x->resp->body, data, n)) {
        x->body_over = true;
        return 0;
    }
    return n;
}

/* stop_on_signal: libcurl calls this at least once a second while it waits, and at once when a
 * signal interrupts its wait; non-zero aborts the transfer (CURLE_ABORTED_BY_CALLBACK) */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow) {
    (void)dltotal, (void)ultotal, (void)ulnow;
    exchange *x = ud;
    const rw_http_request *req = x->req;
    if (req->stop_on_signal && rw_signal_stop_requested()) return 1;
    if (!req->stop || dlnow > 0 || !atomic_load(req->stop)) return 0;
    int64_t now = rw_time_now_ms();
    if (!x->stop_seen) x->stop_seen = now;
    return now - x->stop_seen >= RW_HTTP_STOP_GRACE_MS;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud) {
    exchange *x = ud;
    size_t n = size * nmemb;
    rw_buf *h = &x->resp->headers;
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        /* a new response (after a 1xx, or a proxy's reply to CONNECT): forget the last one */
        rw_buf_reset(h);
        rw_buf_reset(&x->resp->body);
        return n;
    }
    if (rw_http_store_header(h, data, n)) {
        x->headers_over = true;
        return 0;
    }
    return n;
}

/* The error's class: what rootwatch does about it. */
static int classify(CURLcode cc) {
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
    case CURLE_AGAIN:
    case CURLE_SEND_FAIL_REWIND:
    case CURLE_PROXY:
        return RW_ERETRY;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return RW_EINVAL;
    case CURLE_FILESIZE_EXCEEDED:
        return RW_ELIMIT;
    default:
        return RW_EIO;
    }
}

int rw_http_do(rw_http *h, const rw_http_request *req, rw_http_response *resp) {
    resp->status = 0;
    rw_buf_reset(&resp->body);
    rw_buf_reset(&resp->headers);
    const char *method = req->method ? req->method : "GET";
    if (!rw_http_valid_method(method))
        return rw_error_set(RW_EINVAL, "not an HTTP method: %.16s", method);

    url_parts u;
    int rc = url_parse(&u, req->url);
    if (rc) return rc;
    struct curl_slist *hdrs = NULL;
    /* neither loopback nor the metadata endpoints are ever reached through a proxy */
    bool local;
    rc = rw_http_check_scheme(req, method, u.scheme, u.host, u.port, &local);
    if (!rc) rc = rw_http_check_request(req, method);
    if (rc) goto done;

    /* headers: the caller's, plus none of curl's surprises */
    bool has_ctype = false;
    for (size_t i = 0; i < req->nheaders; i++) {
        const rw_http_header *hd = &req->headers[i];
        if (strcasecmp(hd->name, "content-type") == 0) has_ctype = true;
        rw_buf line;
        rw_buf_init(&line, 0);
        rw_buf_set_secret(&line); /* headers hold signatures and tokens */
        if (hd->value && *hd->value)
            rw_buf_printf(&line, "%s: %s", hd->name, hd->value);
        else
            rw_buf_printf(&line, "%s;", hd->name); /* curl's way to send an empty header */
        struct curl_slist *next = curl_slist_append(hdrs, line.data);
        rw_buf_free(&line);
        if (!next) {
            rc = rw_error_set(RW_EIO, "out of memory building request headers");
            goto done;
        }
        hdrs = next;
    }
    bool send_body = req->body_len > 0 || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
    struct curl_slist *next = curl_slist_append(hdrs, "Expect:");
    if (next && send_body && !has_ctype) next = curl_slist_append(next, "Content-Type:");
    if (!next) {
        rc = rw_error_set(RW_EIO, "out of memory building request headers");
        goto done;
    }
    hdrs = next;

    CURL *c = h->curl;
    curl_easy_reset(c); /* keeps live connections, TLS sessions and the DNS cache */
    exchange x = {.resp = resp, .max_body = h->opts.max_body, .req = req};
    h->errbuf[0] = 0;
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
    curl_easy_setopt(c, CURLOPT_CURLU, u.u);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    bool stoppable = req->stop_on_signal || req->stop;
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, stoppable ? 0L : 1L);
    if (stoppable) {
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
    }
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->ca_bundle) curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_bundle);
    if (local) curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     req->connect_timeout_ms > 0 ? req->connect_timeout_ms
                                                 : h->opts.connect_timeout_ms);
    long total_ms = req->timeout_ms > 0 ? req->timeout_ms : h->opts.timeout_ms;
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms);
    if (h->opts.stall_timeout_ms > 0 && h->opts.stall_timeout_ms < total_ms) {
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (h->opts.stall_timeout_ms + 999) / 1000);
    }
    curl_easy_setopt(c, CURLOPT_USERAGENT, "rootwatch/" RW_VERSION);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->opts.max_body);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (send_body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body_len ? (const char *)req->body : "");
        if (strcmp(method, "POST") != 0) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        if (strcmp(method, "GET") != 0) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }

    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    /* let go of what lives on this stack frame or is freed below */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_CURLU, NULL);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);

    if (cc == CURLE_OK) {
        resp->status = status;
        /* both buffers are strings, even when empty */
        rw_buf_append(&resp->body, "", 0);
        rw_buf_append(&resp->headers, "", 0);
        rc = RW_OK;
        goto done;
    }
    if (x.body_over || cc == CURLE_FILESIZE_EXCEEDED) {
        resp->status = status;
        rc = rw_error_set(RW_ELIMIT,
                          "%s %s://%s:%s: the response body is over the limit of %zu bytes", method,
                          u.scheme, u.host, u.port, h->opts.max_body);
        goto done;
    }
    if (x.headers_over) {
        rc = rw_error_set(RW_ELIMIT, "%s %s://%s:%s: the response headers are over %zu bytes",
                          method, u.scheme, u.host, u.port, (size_t)HTTP_MAX_HEADERS);
        goto done;
    }
    if (cc == CURLE_ABORTED_BY_CALLBACK && req->stop && atomic_load(req->stop)) {
        rc = rw_error_set(RW_ECANCELED, "%s %s://%s:%s: given up: asked to stop", method, u.scheme,
                          u.host, u.port);
        goto done;
    }
    if (cc == CURLE_ABORTED_BY_CALLBACK && req->stop_on_signal && rw_signal_stop_requested()) {
        rc = rw_error_set(RW_ECANCELED, "%s %s://%s:%s: given up: stopped by %s", method, u.scheme,
                          u.host, u.port, rw_signal_name(rw_signal_stop_requested()));
        goto done;
    }
    /* curl's own words, unless they quote the query (where a presigned URL keeps its secret) */
    const char *detail = h->errbuf;
    char *query = NULL;
    if (curl_url_get(u.u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query && *query &&
        strstr(detail, query))
        detail = "";
    curl_free(query);
    rc = classify(cc);
    if (*detail)
        rw_error_set(rc, "%s %s://%s:%s: %s (%s)", method, u.scheme, u.host, u.port,
                     curl_easy_strerror(cc), detail);
    else
        rw_error_set(rc, "%s %s://%s:%s: %s", method, u.scheme, u.host, u.port,
                     curl_easy_strerror(cc));

done:
    for (struct curl_slist *l = hdrs; l; l = l->next) /* curl's copies of the headers */
        rw_secret_wipe(l->data, strlen(l->data));
    curl_slist_free_all(hdrs);
    url_parts_free(&u);
    return rc;
}
