/* rootwatch watch --metrics ADDR: /metrics and /healthz (cli/watch_http.h).
 *
 * libmicrohttpd, as the sns-http source (sources/in_sns_http.c) uses it, with one internal thread:
 * a scrape renders a few hundred lines under the metrics' lock, and nothing here waits on the
 * service. Limits: MAX_CONNECTIONS at once (PER_IP of them from one address), TIMEOUT_S idle
 * seconds per connection, HEADER_MEMORY bytes of request head; any other method than GET and HEAD
 * is answered 405 and any request body 413, before it is read. What /healthz answers is decided by
 * health(): see the header. */
#include "cli/watch_http.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/netaddr.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define MAX_CONNECTIONS 16
#define PER_IP 8
#define TIMEOUT_S 10
#define HEADER_MEMORY (16 * 1024)

typedef struct src_health {
    char *name;
    unsigned fails;   /* errors in a row */
    int64_t since_ms; /* the first of them */
    char *error;      /* the last one */
} src_health;

struct rw_watch_http {
    struct MHD_Daemon *d;
    rw_metrics *m;
    int port;
    char addr[64];
    pthread_mutex_t mu; /* guards what follows */
    src_health *srcs;
    size_t nsrcs, capsrcs;
    char *store_error;
    int64_t store_since_ms;
    int64_t beat_ms;
    char *stopping;
};

int rw_watch_http_check(const char *addr) {
    struct sockaddr_storage ss;
    socklen_t len;
    return rw_netaddr_parse_listen(addr, &ss, &len);
}

/* ---- health ---------------------------------------------------------------------------------- */

/* Why the service is unhealthy, one reason a line, or nothing (healthy). Called with mu held. */
static void health(rw_watch_http *h, rw_buf *why) {
    int64_t now = rw_time_now_ms();
    if (h->stopping) rw_buf_printf(why, "stopping (%s): nothing more is received\n", h->stopping);
    if (h->beat_ms && now - h->beat_ms > RW_WATCH_HTTP_STALL_S * 1000LL)
        rw_buf_printf(why, "the main loop has not run for %lld s\n",
                      (long long)((now - h->beat_ms) / 1000));
    if (h->store_error)
        rw_buf_printf(why, "the store cannot be written (for %lld s): %s\n",
                      (long long)((now - h->store_since_ms) / 1000), h->store_error);
    for (size_t i = 0; i < h->nsrcs; i++) {
        const src_health *s = &h->srcs[i];
        if (s->fails < RW_WATCH_HTTP_FAILS) continue;
        rw_buf_printf(why, "source %s: %u errors in a row (for %lld s): %s\n", s->name, s->fails,
                      (long long)((now - s->since_ms) / 1000), s->error ? s->error : "");
    }
}

void rw_watch_http_source(rw_watch_http *h, const char *source, const char *error) {
    if (!h || !source) return;
    pthread_mutex_lock(&h->mu);
    src_health *s = NULL;
    for (size_t i = 0; i < h->nsrcs && !s; i++)
        if (!strcmp(h->srcs[i].name, source)) s = &h->srcs[i];
    if (!s && error) {
        if (h->nsrcs == h->capsrcs) {
            h->capsrcs = h->capsrcs ? 2 * h->capsrcs : 8;
            h->srcs = rw_xrealloc(h->srcs, h->capsrcs * sizeof *h->srcs);
        }
        s = &h->srcs[h->nsrcs++];
        *s = (src_health){.name = rw_xstrdup(source)};
    }
    if (s && !error) {
        s->fails = 0;
        free(s->error);
        s->error = NULL;
    } else if (s) {
        if (s->fails++ == 0) s->since_ms = rw_time_now_ms();
        free(s->error);
        s->error = rw_xstrdup(error);
    }
    unsigned fails = s ? s->fails : 0;
    pthread_mutex_unlock(&h->mu);
    rw_metrics_set(h->m, "rootwatch_source_errors_in_a_row",
                   "Errors a source met since it last worked (/healthz fails at 3)", fails,
                   (const char *[]){"source", source, NULL});
}

void rw_watch_http_sources_reset(rw_watch_http *h) {
    if (!h) return;
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < h->nsrcs; i++) {
        free(h->srcs[i].name);
        free(h->srcs[i].error);
    }
    h->nsrcs = 0;
    pthread_mutex_unlock(&h->mu);
}

void rw_watch_http_store(rw_watch_http *h, const char *error) {
    if (!h) return;
    pthread_mutex_lock(&h->mu);
    if (!error) {
        free(h->store_error);
        h->store_error = NULL;
    } else {
        if (!h->store_error) h->store_since_ms = rw_time_now_ms();
        free(h->store_error);
        h->store_error = rw_xstrdup(error);
    }
    pthread_mutex_unlock(&h->mu);
}

void rw_watch_http_beat(rw_watch_http *h) {
    if (!h) return;
    pthread_mutex_lock(&h->mu);
    h->beat_ms = rw_time_now_ms();
    pthread_mutex_unlock(&h->mu);
}

void rw_watch_http_stopping(rw_watch_http *h, const char *why) {
    if (!h) return;
    pthread_mutex_lock(&h->mu);
    if (!h->stopping) h->stopping = rw_xstrdup(why ? why : "asked to");
    pthread_mutex_unlock(&h->mu);
}

/* ---- the server ------------------------------------------------------------------------------ */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
                             const char *text, size_t n) {
    struct MHD_Response *r =
        MHD_create_response_from_buffer(n, (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (status == 405) MHD_add_response_header(r, "Allow", "GET, HEAD");
    if (status >= 400 && status != 503) MHD_add_response_header(r, "Connection", "close");
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result plain(struct MHD_Connection *conn, unsigned status, const char *text) {
    return reply(conn, status, "text/plain; charset=utf-8", text, strlen(text));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **req_cls) {
    (void)version;
    (void)upload_data;
    rw_watch_http *h = cls;
    static int first_call;
    if (!*req_cls) { /* the head has arrived; answer it now, before any body */
        *req_cls = &first_call;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding");
        if (strcmp(method, "GET") && strcmp(method, "HEAD"))
            return plain(conn, 405, "only GET and HEAD are answered here\n");
        if ((cl && strcmp(cl, "0")) || te)
            return plain(conn, 413, "a request body is not taken here\n");
        return MHD_YES;
    }
    if (*upload_size) { /* a body nobody announced: not read */
        *upload_size = 0;
        return MHD_NO;
    }
    if (!strcmp(url, "/metrics")) {
        rw_buf b;
        rw_buf_init(&b, 64 << 20);
        pthread_mutex_lock(&h->mu);
        rw_buf why;
        rw_buf_init(&why, 0);
        health(h, &why);
        pthread_mutex_unlock(&h->mu);
        rw_metrics_set(h->m, "rootwatch_healthy", "1 while /healthz answers 200, else 0",
                       why.len ? 0 : 1, NULL);
        rw_buf_free(&why);
        rw_metrics_render(h->m, &b);
        enum MHD_Result rc = reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8",
                                   b.data ? b.data : "", b.len);
        rw_buf_free(&b);
        return rc;
    }
    if (!strcmp(url, "/healthz")) {
        rw_buf why;
        rw_buf_init(&why, 0);
        pthread_mutex_lock(&h->mu);
        health(h, &why);
        pthread_mutex_unlock(&h->mu);
        enum MHD_Result rc = why.len ? plain(conn, 503, why.data) : plain(conn, 200, "ok\n");
        rw_buf_free(&why);
        return rc;
    }
    return plain(conn, 404, "not found: /metrics and /healthz are served here\n");
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_vprintf(&b, fmt, ap);
    while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r')) b.data[--b.len] = 0;
    rw_log_debug("metrics: libmicrohttpd: %s", b.data ? b.data : "");
    rw_buf_free(&b);
}

int rw_watch_http_start(rw_watch_http **out, const char *addr, rw_metrics *m) {
    *out = NULL;
    struct sockaddr_storage ss;
    socklen_t len;
    int rc = rw_netaddr_parse_listen(addr, &ss, &len);
    if (rc != RW_OK) return rw_error_wrap(rc, "--metrics %s", addr);
    rw_watch_http *h = rw_xcalloc(1, sizeof *h);
    h->m = m;
    pthread_mutex_init(&h->mu, NULL);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    errno = 0;
    h->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)MAX_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PER_IP,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)HEADER_MEMORY, MHD_OPTION_END);
    if (!h->d) {
        rc = rw_error_set(RW_EIO, "--metrics %s: cannot listen: %s", addr,
                          errno ? strerror(errno) : "libmicrohttpd failed to start");
        pthread_mutex_destroy(&h->mu);
        free(h);
        return rc;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? (int)di->port : 0;
    rw_netaddr_format(&ss, h->port, h->addr);
    rw_metrics_set(m, "rootwatch_start_time_seconds", "When the service started (Unix time)",
                   (double)rw_time_now_ms() / 1000.0, NULL);
    rw_log_info("metrics: serving http://%s/metrics and http://%s/healthz (plain HTTP: for "
                "loopback or a private network)",
                h->addr, h->addr);
    *out = h;
    return RW_OK;
}

int rw_watch_http_port(const rw_watch_http *h) {
    return h ? h->port : 0;
}

void rw_watch_http_stop(rw_watch_http *h) {
    if (!h) return;
    MHD_stop_daemon(h->d);
    rw_watch_http_sources_reset(h);
    free(h->srcs);
    free(h->store_error);
    free(h->stopping);
    pthread_mutex_destroy(&h->mu);
    free(h);
}
