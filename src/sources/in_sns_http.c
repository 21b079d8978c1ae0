/* The sns-http source of rootwatch watch (issue 13): an HTTP endpoint subscribed to SNS topics
 * (libmicrohttpd). SNS posts each message of a topic to it; this source
 *
 *   - takes POSTs to one path only (404 elsewhere, 405 for other methods), bodies up to max_body
 *     bytes (413 at once when Content-Length says more, without reading the body; a chunked body
 *     that grows past it is cut off);
 *   - parses the message (400 for anything that is not a JSON object of SNS's fields, saying what
 *     is wrong and where), takes only the topics in topic_arns (403 otherwise), and verifies the
 *     signature (aws/sns_message.h: SignatureVersion 1 and 2, the signing certificate fetched only
 *     from https://sns.<region>.amazonaws.com[.cn] and cached): anything unsigned or forged is
 *     refused (403), counted (rootwatch_sns_http_refused_total{reason}) and logged;
 *   - confirms a SubscriptionConfirmation of an allowed topic by fetching its SubscribeURL (which
 *     must be an SNS URL too), and notes an UnsubscribeConfirmation;
 *   - hands a Notification whose Message is an EventBridge event carrying a CloudTrail record to
 *     the engine as one unit, and answers 200 only once the unit is settled ok (its alerts in the
 *     store), 500 when it is not (SNS delivers it again), 503 when the engine is full or rootwatch
 *     is stopping. Other messages (an S3 event notification, plain text) are refused with 400:
 *     SNS takes a 4xx as delivered and does not retry it, so nothing loops.
 *
 * SNS waits about 15 seconds for an answer and retries on 5xx or no answer (for at most an hour
 * in all); a retried notification is deduplicated by its CloudTrail eventID in the store.
 * Timestamps are not checked against the clock for the same reason: a replayed genuine message
 * alerts nothing twice.
 *
 * Hardening: at most max_connections connections at once (libmicrohttpd refuses more); a
 * connection idle for timeout seconds is closed; a request that has not fully arrived within
 * request_timeout seconds of its start (a slow-loris client trickling headers or body) is answered
 * 408 and closed by a sweeper thread, whatever its pace; headers are limited to 32 KiB.
 *
 * TLS is not terminated here: SNS requires https for endpoints on the internet, so put a TLS
 * proxy (nginx, HAProxy, an AWS load balancer) in front and let it forward to this listener,
 * which by default listens on loopback only (127.0.0.1:8080). Messages are authenticated by
 * their signatures, not by the transport.
 *
 * test_endpoint (tests and emulators only) makes the verifier fetch certificates and SubscribeURLs
 * from a loopback URL instead of SNS (aws/sns_message.h): the URLs are checked as always. */
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "aws/sns_message.h"
#include "sources/event_body.h"
#include "sources/watch.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/netaddr.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define DEFAULT_MAX_BODY 1048576
#define MAX_PENDING 64      /* notifications waiting for the engine to take them */
#define POOL_THREADS 4      /* a fetch of a certificate or SubscribeURL blocks one */
#define HEADER_MEMORY 32768 /* per connection: request line and headers */
#define SWEEP_MS 250        /* how often the sweeper looks for slow requests */
#define LOG_BURST 20        /* refusals logged per minute at most; then one line with the count */

static const rw_opt_spec sns_http_opts[] = {
    {"listen", RW_OPT_STRING, "127.0.0.1:8080", false,
     "address:port to listen on ([::1]:8080 for IPv6; port 0: any free port, logged); plain "
     "HTTP: put a TLS proxy in front"},
    {"path", RW_OPT_STRING, "/sns", false, "the path SNS posts to"},
    {"topic_arns", RW_OPT_LIST, NULL, true,
     "the SNS topics taken (arn:aws:sns:REGION:ACCOUNT:NAME): only their subscriptions are "
     "confirmed and their messages read; any other topic's are refused"},
    {"max_body", RW_OPT_INT, "1048576", false,
     "the largest body taken, in bytes (SNS messages are at most 256 KiB before JSON escaping)"},
    {"max_connections", RW_OPT_INT, "64", false, "connections open at once"},
    {"timeout", RW_OPT_INT, "10", false, "seconds a connection may stay idle"},
    {"request_timeout", RW_OPT_INT, "30", false,
     "seconds a request may take to arrive in full (slow clients are answered 408 and closed)"},
    {"test_endpoint", RW_OPT_STRING, NULL, false,
     "tests and emulators only: fetch signing certificates and SubscribeURLs from this loopback "
     "URL (http://127.0.0.1:PORT) instead of https://sns.REGION.amazonaws.com; the URLs are "
     "checked as always"},
    {NULL, 0, NULL, false, NULL},
};

typedef struct sns_http sns_http;

/* One connection, as the sweeper sees it (libmicrohttpd's socket context). */
typedef struct conn_ent {
    struct MHD_Connection *conn;
    int fd;
    int64_t since_ms; /* when the request now arriving started (connection, or the last answer) */
    bool exempt;      /* the request has arrived: it waits on rootwatch, not on the client */
    bool cut;
    struct conn_ent *prev, *next;
} conn_ent;

enum req_state { R_READING, R_QUEUED, R_IN_ENGINE, R_DONE };

/* One request to the path: its body, and once answered, the answer. */
typedef struct req {
    sns_http *s;
    struct MHD_Connection *conn;
    conn_ent *ent;
    int refs; /* the connection's, and the unit's while it is queued or in the engine */
    rw_buf body;
    bool too_big;
    enum req_state state;
    unsigned status;
    char *reply;
    char *event; /* the EventBridge event, one line */
    size_t event_len;
    char *unit_name;
    struct req *next; /* in the pending queue */
} req;

struct sns_http {
    char *name;
    rw_watch_env *env;
    char *listen;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char *path;
    char **topics;
    size_t ntopics;
    size_t max_body;
    unsigned max_connections, timeout_s;
    long request_timeout_ms;
    rw_sns_verifier *verifier;

    struct MHD_Daemon *d;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    req *head, *tail; /* notifications for enumerate to emit */
    size_t npending;
    size_t live; /* requests not yet freed */
    bool paused, stopping;
    conn_ent *conns;
    pthread_t sweeper;
    bool sweeper_started;
    atomic_bool sweeper_stop;
    /* refusals logged this minute */
    int64_t log_minute;
    int logged, unlogged;
};

/* ---- metrics and logs ---------------------------------------------------------------------- */

static void count(sns_http *s, const char *metric, const char *help, const char *k, const char *v) {
    const char *labels[] = {"source", s->name, "type", "sns-http", k, v, NULL};
    if (!k) labels[4] = NULL;
    rw_metrics_add(s->env->metrics, metric, help, 1, labels);
}

static void refused(sns_http *s, const char *reason) {
    count(s, "rootwatch_sns_http_refused_total", "Requests the sns-http source refused, by reason",
          "reason", reason);
}

/* A refusal's line in the log, at most LOG_BURST a minute (a flood of forgeries must not flood
 * the log); the lines not written are counted in the next one. */
static void log_refusal(sns_http *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_refusal(sns_http *s, const char *fmt, ...) {
    int64_t minute = rw_time_now_ms() / 60000;
    pthread_mutex_lock(&s->lock);
    if (minute != s->log_minute) {
        if (s->unlogged)
            rw_log_warn("sns-http %s: %d more refusals were not logged", s->name, s->unlogged);
        s->log_minute = minute;
        s->logged = 0;
        s->unlogged = 0;
    }
    bool write = s->logged < LOG_BURST;
    if (write)
        s->logged++;
    else
        s->unlogged++;
    pthread_mutex_unlock(&s->lock);
    if (!write) return;
    rw_buf b;
    rw_buf_init(&b, 0);
    va_list ap;
    va_start(ap, fmt);
    rw_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    rw_log_warn("sns-http %s: %s", s->name, b.data);
    rw_buf_free(&b);
}

/* ---- answers ------------------------------------------------------------------------------- */

static enum MHD_Result answer(sns_http *s, struct MHD_Connection *conn, unsigned status,
                              const char *text, bool close) {
    size_t n = strlen(text);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(n, (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    if (close) MHD_add_response_header(r, "Connection", "close");
    if (status == 503) MHD_add_response_header(r, "Retry-After", "1");
    if (status == 405) MHD_add_response_header(r, "Allow", "POST");
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    char st[8];
    snprintf(st, sizeof st, "%u", status);
    count(s, "rootwatch_sns_http_requests_total",
          "Requests the sns-http source answered, by status", "status", st);
    return rc;
}

static conn_ent *ent_of(struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void exempt(sns_http *s, conn_ent *e) {
    if (!e) return;
    pthread_mutex_lock(&s->lock);
    e->exempt = true;
    pthread_mutex_unlock(&s->lock);
}

/* ---- requests ------------------------------------------------------------------------------ */

static void req_unref(req *r) {
    sns_http *s = r->s;
    pthread_mutex_lock(&s->lock);
    bool last = --r->refs == 0;
    if (last) s->live--;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (!last) return;
    rw_buf_free(&r->body);
    free(r->reply);
    free(r->event);
    free(r->unit_name);
    free(r);
}

/* Sets r's answer and wakes its suspended connection (r must be suspended: queued or in the
 * engine; the caller holds a reference). */
static void finish(req *r, unsigned status, const char *text) {
    sns_http *s = r->s;
    pthread_mutex_lock(&s->lock);
    if (r->state == R_DONE) {
        pthread_mutex_unlock(&s->lock);
        return;
    }
    r->state = R_DONE;
    r->status = status;
    free(r->reply);
    r->reply = rw_xstrdup(text);
    pthread_mutex_unlock(&s->lock);
    MHD_resume_connection(r->conn);
}

static bool topic_allowed(const sns_http *s, const char *arn) {
    for (size_t i = 0; i < s->ntopics; i++)
        if (!strcmp(s->topics[i], arn)) return true;
    return false;
}

static void quote(rw_buf *b, const char *s, size_t n) {
    size_t max = n > 80 ? 80 : n;
    size_t ok = rw_json_utf8_valid_prefix(s, max);
    for (size_t i = 0; i < ok; i++) rw_buf_putc(b, (unsigned char)s[i] < 0x20 ? '?' : s[i]);
    if (ok < n) rw_buf_puts(b, "...");
}

/* Answers with status and "refused: why\n", counting the refusal under reason and logging it. */
static enum MHD_Result refuse(sns_http *s, struct MHD_Connection *conn, unsigned status,
                              const char *reason, const char *why, bool close) {
    refused(s, reason);
    log_refusal(s, "refused (%u %s): %s", status, reason, why);
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_printf(&b, "refused: %s\n", why);
    enum MHD_Result rc = answer(s, conn, status, b.data, close);
    rw_buf_free(&b);
    return rc;
}

/* Does a header SNS sets (x-amz-sns-message-type, x-amz-sns-topic-arn), when present, say what the
 * body says? */
static bool header_agrees(struct MHD_Connection *conn, const char *name, const char *value) {
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
    return !h || !strcmp(h, value);
}

/* The Notification's Message: the EventBridge event it carries (r->event), or why not (a new
 * string). It is read as the sqs source reads a body (sources/event_body.h), S3 notifications
 * recognised so as to say plainly that this source does not take them. */
static char *take_event(req *r, const rw_sns_message *m) {
    rw_event_body b;
    rw_event_body_parse(&b, m->message, m->message_len, RW_BODY_S3_OK,
                        "the notification's Message");
    char *why = NULL;
    if (b.kind == RW_BODY_EVENTBRIDGE) {
        r->event = b.event;
        r->event_len = b.len;
        b.event = NULL;
    } else if (b.kind == RW_BODY_S3 || b.kind == RW_BODY_S3_TEST) {
        why = rw_xstrdup("the notification's Message is an S3 event notification; the sns-http "
                         "source takes EventBridge events of CloudTrail (read S3 notifications of "
                         "new trail files with an sqs source)");
    } else {
        why = rw_xstrdup(b.error ? b.error : "the notification's Message is not an event");
    }
    rw_event_body_free(&b);
    return why;
}

/* The request has arrived whole: decide. */
static enum MHD_Result complete(sns_http *s, struct MHD_Connection *conn, req *r) {
    exempt(s, r->ent);
    if (r->too_big) {
        char why[96];
        snprintf(why, sizeof why, "the body is over %zu bytes", s->max_body);
        return refuse(s, conn, 413, "too_large", why, true);
    }
    const char *raw = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-amz-sns-rawdelivery");
    if (raw && !strcmp(raw, "true"))
        return refuse(s, conn, 403, "unsigned",
                      "raw message delivery: SNS does not sign raw messages, so they cannot be "
                      "told from forgeries; turn RawMessageDelivery off for this subscription",
                      false);
    rw_sns_message *m = NULL;
    int rc = rw_sns_message_parse(&m, r->body.data ? r->body.data : "", r->body.len);
    if (rc != RW_OK) {
        rw_buf b;
        rw_buf_init(&b, 0);
        rw_buf_printf(&b, "not an SNS message: %s", rw_error_last());
        enum MHD_Result res = refuse(s, conn, rc == RW_ELIMIT ? 413 : 400,
                                     rc == RW_ELIMIT ? "too_large" : "malformed", b.data, false);
        rw_buf_free(&b);
        return res;
    }
    rw_buf_free(&r->body); /* parsed: the bytes are not needed any more */
    enum MHD_Result res = MHD_YES;
    rw_buf why, id;
    rw_buf_init(&why, 0);
    rw_buf_init(&id, 0);
    const char *type = rw_sns_type_name(m->type);
    if (!header_agrees(conn, "x-amz-sns-message-type", type) ||
        !header_agrees(conn, "x-amz-sns-topic-arn", m->topic_arn)) {
        rw_buf_printf(&why, "the x-amz-sns-message-type or x-amz-sns-topic-arn header differs from "
                            "the body's Type or TopicArn");
        res = refuse(s, conn, 400, "malformed", why.data, false);
        goto done;
    }
    if (!topic_allowed(s, m->topic_arn)) {
        rw_buf_puts(&why, "a ");
        rw_buf_puts(&why, type);
        rw_buf_puts(&why, " of topic ");
        quote(&why, m->topic_arn, strlen(m->topic_arn));
        rw_buf_puts(&why, ", which is not in topic_arns");
        res = refuse(s, conn, 403, "topic", why.data, false);
        goto done;
    }
    /* the message's id, as it may be shown (it is the sender's text: no line breaks in logs) */
    quote(&id, m->message_id, strlen(m->message_id));
    rw_sns_verdict v = rw_sns_verify(s->verifier, m);
    if (v != RW_SNS_OK) {
        rw_buf_printf(&why, "%s %s: %s", type, id.data, rw_error_last());
        if (v == RW_SNS_CERT_UNAVAILABLE)
            res = refuse(s, conn, 503, rw_sns_verdict_name(v), why.data, false);
        else
            res = refuse(s, conn, 403, rw_sns_verdict_name(v), why.data, false);
        goto done;
    }
    if (m->type == RW_SNS_SUBSCRIPTION_CONFIRMATION) {
        rc = rw_sns_confirm(s->verifier, m);
        if (rc != RW_OK) {
            rw_buf_printf(&why, "the subscription of %s could not be confirmed: %s", m->topic_arn,
                          rw_error_last());
            res = refuse(s, conn, rc == RW_ERETRY ? 502 : 400, "confirmation_failed", why.data,
                         false);
            goto done;
        }
        rw_log_info("sns-http %s: confirmed the subscription to %s", s->name, m->topic_arn);
        count(s, "rootwatch_sns_http_subscriptions_confirmed_total",
              "Subscriptions the sns-http source confirmed", "topic", m->topic_arn);
        res = answer(s, conn, 200, "subscription confirmed\n", false);
        goto done;
    }
    if (m->type == RW_SNS_UNSUBSCRIBE_CONFIRMATION) {
        rw_log_warn("sns-http %s: the endpoint was unsubscribed from %s: no more events will come "
                    "from it until it is subscribed again",
                    s->name, m->topic_arn);
        res = answer(s, conn, 200, "noted\n", false);
        goto done;
    }
    /* a Notification */
    char *not_taken = take_event(r, m);
    if (not_taken) {
        rw_buf_printf(&why, "notification %s: %s", id.data, not_taken);
        free(not_taken);
        res = refuse(s, conn, 400, "unsupported_message", why.data, false);
        goto done;
    }
    rw_buf un;
    rw_buf_init(&un, 0);
    rw_buf_printf(&un, "SNS message %s", id.data);
    r->unit_name = rw_buf_take(&un);
    pthread_mutex_lock(&s->lock);
    const char *busy = s->stopping ? "rootwatch is stopping"
                       : s->paused || s->npending >= MAX_PENDING
                           ? "rootwatch has as many events in hand as it takes"
                           : NULL;
    pthread_mutex_unlock(&s->lock);
    if (busy) {
        rw_buf_printf(&why, "%s: try again later", busy);
        refused(s, "busy");
        res = answer(s, conn, 503, why.data, false);
        goto done;
    }
    /* the connection waits for the engine: suspended first (never under the source's lock, which
     * libmicrohttpd's callbacks take), then queued for enumerate, which emits it */
    MHD_suspend_connection(conn);
    pthread_mutex_lock(&s->lock);
    bool stopped = s->stopping; /* since the look above */
    if (stopped) {
        r->state = R_DONE;
        r->status = 503;
        r->reply = rw_xstrdup("rootwatch is stopping: try again later\n");
    } else {
        r->state = R_QUEUED;
        r->refs++;
        if (s->tail)
            s->tail->next = r;
        else
            s->head = r;
        s->tail = r;
        s->npending++;
        pthread_cond_broadcast(&s->cond);
    }
    pthread_mutex_unlock(&s->lock);
    if (stopped) MHD_resume_connection(conn);
done:
    rw_buf_free(&id);
    rw_buf_free(&why);
    rw_sns_message_free(m);
    return res;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls) {
    (void)version;
    sns_http *s = cls;
    req *r = *req_cls;
    if (!r) { /* the headers are in: the first call */
        conn_ent *e = ent_of(conn);
        if (strcmp(url, s->path) != 0) {
            exempt(s, e);
            refused(s, "not_found");
            return answer(s, conn, 404, "not found\n", true);
        }
        if (strcmp(method, "POST") != 0) {
            exempt(s, e);
            refused(s, "method");
            return answer(s, conn, 405, "SNS posts: only POST is taken here\n", true);
        }
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(cl, &end, 10);
            if (errno || *end || end == cl || n > s->max_body) {
                exempt(s, e);
                char why[96];
                snprintf(why, sizeof why, "the body is over %zu bytes (Content-Length)",
                         s->max_body);
                return refuse(s, conn, 413, "too_large", why, true);
            }
        }
        r = rw_xcalloc(1, sizeof *r);
        r->s = s;
        r->conn = conn;
        r->ent = e;
        r->refs = 1;
        rw_buf_init(&r->body, s->max_body);
        pthread_mutex_lock(&s->lock);
        s->live++;
        pthread_mutex_unlock(&s->lock);
        *req_cls = r;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!r->too_big && rw_buf_append(&r->body, upload_data, *upload_data_size) != RW_OK) {
            /* only a chunked body (no Content-Length) gets here: it cannot be answered while it
             * is arriving, so it is cut off */
            refused(s, "too_large");
            log_refusal(s, "refused (too_large): a chunked body over %zu bytes, connection closed",
                        s->max_body);
            return MHD_NO;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&s->lock);
    enum req_state st = r->state;
    pthread_mutex_unlock(&s->lock);
    if (st == R_READING) return complete(s, conn, r);
    if (st == R_DONE) return answer(s, conn, r->status, r->reply, false);
    return MHD_YES; /* still suspended (should not be called) */
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)toe;
    sns_http *s = cls;
    conn_ent *e = ent_of(conn);
    if (e) {
        pthread_mutex_lock(&s->lock);
        e->since_ms = rw_time_now_ms();
        e->exempt = false;
        pthread_mutex_unlock(&s->lock);
    }
    req *r = *req_cls;
    *req_cls = NULL;
    if (r) req_unref(r);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
    sns_http *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_ent *e = rw_xcalloc(1, sizeof *e);
        e->conn = conn;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        e->fd = ci ? ci->connect_fd : -1;
        e->since_ms = rw_time_now_ms();
        pthread_mutex_lock(&s->lock);
        e->next = s->conns;
        if (s->conns) s->conns->prev = e;
        s->conns = e;
        pthread_mutex_unlock(&s->lock);
        *socket_context = e;
    } else {
        conn_ent *e = *socket_context;
        if (!e) return;
        /* under the lock, before libmicrohttpd closes the socket: the sweeper never touches a
         * descriptor that is closed (and perhaps reused) */
        pthread_mutex_lock(&s->lock);
        if (e->prev)
            e->prev->next = e->next;
        else
            s->conns = e->next;
        if (e->next) e->next->prev = e->prev;
        pthread_mutex_unlock(&s->lock);
        free(e);
        *socket_context = NULL;
    }
}

/* Closes requests that have not arrived in full within request_timeout, with a 408 when the
 * socket takes it. */
static void *sweep(void *arg) {
    sns_http *s = arg;
    static const char text[] = "refused: the request took too long to arrive\n";
    char msg[256];
    int mn = snprintf(msg, sizeof msg,
                      "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: "
                      "text/plain; charset=utf-8\r\nContent-Length: %zu\r\n\r\n%s",
                      sizeof text - 1, text);
    while (!atomic_load(&s->sweeper_stop)) {
        struct timespec ts = {0, SWEEP_MS * 1000000L};
        nanosleep(&ts, NULL);
        int64_t now = rw_time_now_ms();
        int cut = 0;
        pthread_mutex_lock(&s->lock);
        for (conn_ent *e = s->conns; e; e = e->next) {
            if (e->exempt || e->cut || e->fd < 0 || now - e->since_ms < s->request_timeout_ms)
                continue;
            ssize_t w = send(e->fd, msg, (size_t)mn, MSG_DONTWAIT | MSG_NOSIGNAL);
            (void)w;
            shutdown(e->fd, SHUT_RDWR);
            e->cut = true;
            cut++;
        }
        pthread_mutex_unlock(&s->lock);
        for (int i = 0; i < cut; i++) {
            refused(s, "slow_client");
            char st[] = "408";
            count(s, "rootwatch_sns_http_requests_total",
                  "Requests the sns-http source answered, by status", "status", st);
        }
        if (cut)
            log_refusal(s, "closed %d connection%s whose request took over %ld s to arrive", cut,
                        cut == 1 ? "" : "s", s->request_timeout_ms / 1000);
    }
    return NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
    sns_http *s = cls;
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_vprintf(&b, fmt, ap);
    while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r')) b.data[--b.len] = 0;
    rw_log_debug("sns-http %s: libmicrohttpd: %s", s->name, b.data);
    rw_buf_free(&b);
}

/* ---- the source ---------------------------------------------------------------------------- */

static int start(sns_http *s) {
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    if (s->addr.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    s->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&s->addr, MHD_OPTION_CONNECTION_LIMIT,
        s->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, s->timeout_s,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)POOL_THREADS, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)HEADER_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_END);
    if (!s->d)
        return rw_error_set(RW_EIO, "cannot listen on %s: %s", s->listen,
                            errno ? strerror(errno) : "libmicrohttpd failed to start");
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    char where[64];
    rw_netaddr_format(&s->addr, di ? (int)di->port : -1, where);
    rw_log_info("sns-http %s: listening on http://%s%s for %zu topic%s", s->name, where, s->path,
                s->ntopics, s->ntopics == 1 ? "" : "s");
    atomic_store(&s->sweeper_stop, false);
    if (pthread_create(&s->sweeper, NULL, sweep, s) == 0) s->sweeper_started = true;
    return RW_OK;
}

/* Waits (at most wait_ms) until every request in hand is answered, then stops the server and
 * the sweeper; the server is left running when requests are still in hand (close stops it). The
 * listening socket is closed already (quiesced). */
static void stop_server(sns_http *s, int64_t wait_ms) {
    if (!s->d) return;
    int64_t end = rw_time_now_ms() + wait_ms;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    while (s->live > 0 && rw_time_now_ms() < end) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
    }
    bool idle = s->live == 0;
    pthread_mutex_unlock(&s->lock);
    if (!idle) return;
    MHD_stop_daemon(s->d);
    s->d = NULL;
    if (s->sweeper_started) {
        atomic_store(&s->sweeper_stop, true);
        pthread_join(s->sweeper, NULL);
        s->sweeper_started = false;
    }
}

static bool must_stop(sns_http *s, rw_emit *emit) {
    return (s->env->stop && atomic_load(s->env->stop)) || rw_emit_stopping(emit);
}

static void unit_free(void *data) {
    req *r = data;
    /* not answered through settle (the engine did not take it, or stopped): SNS will retry */
    finish(r, 503, "rootwatch is stopping: try again later\n");
    req_unref(r);
}

static int sns_enumerate(rw_source *src, rw_emit *emit) {
    sns_http *s = src->state;
    int rc = start(s);
    if (rc != RW_OK) return rc;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        while (!s->head && !must_stop(s, emit)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&s->cond, &s->lock, &ts);
        }
        if (must_stop(s, emit)) {
            pthread_mutex_unlock(&s->lock);
            break;
        }
        req *r = s->head;
        s->head = r->next;
        if (!s->head) s->tail = NULL;
        r->next = NULL;
        s->npending--;
        r->state = R_IN_ENGINE;
        pthread_mutex_unlock(&s->lock);
        count(s, "rootwatch_source_units_total", "Units read, per source", NULL, NULL);
        rc = rw_emit_unit(emit, r->unit_name, true, r, unit_free);
        if (rc != RW_OK) break; /* stopping: r was freed (answered 503) */
    }
    /* answer what is still waiting to be emitted, and anything arriving from now on, with 503 */
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    req *list = s->head;
    s->head = s->tail = NULL;
    s->npending = 0;
    pthread_mutex_unlock(&s->lock);
    while (list) {
        req *next = list->next;
        finish(list, 503, "rootwatch is stopping: try again later\n");
        req_unref(list);
        list = next;
    }
    /* let the port go at once (a reload starts a new source on it before this one is closed),
     * and the server too once the requests in hand are answered */
    MHD_socket lfd = MHD_quiesce_daemon(s->d);
    if (lfd != MHD_INVALID_SOCKET) close(lfd);
    stop_server(s, 10000);
    return RW_OK;
}

static void sns_read(rw_source *src, rw_unit *u, void **worker) {
    (void)src;
    (void)worker;
    req *r = rw_unit_data(u);
    rw_unit_read_mem(u, r->event, r->event_len);
}

static void sns_settle(rw_source *src, rw_unit *u, bool ok) {
    (void)src;
    req *r = rw_unit_data(u);
    if (ok)
        finish(r, 200, "ok\n");
    else
        finish(r, 500, "the event could not be read, or its alerts not stored: deliver it again\n");
}

static void sns_pause(rw_source *src) {
    sns_http *s = src->state;
    pthread_mutex_lock(&s->lock);
    s->paused = true;
    pthread_mutex_unlock(&s->lock);
}

static void sns_resume(rw_source *src) {
    sns_http *s = src->state;
    pthread_mutex_lock(&s->lock);
    s->paused = false;
    pthread_mutex_unlock(&s->lock);
}

static void sns_close(rw_source *src) {
    sns_http *s = src->state;
    stop_server(s, 3000);
    if (s->d) { /* requests still in hand after the wait: closed all the same */
        MHD_stop_daemon(s->d);
        s->d = NULL;
    }
    if (s->sweeper_started) {
        atomic_store(&s->sweeper_stop, true);
        pthread_join(s->sweeper, NULL);
    }
    rw_sns_verifier_free(s->verifier);
    for (size_t i = 0; i < s->ntopics; i++) free(s->topics[i]);
    free(s->topics);
    free(s->listen);
    free(s->path);
    free(s->name);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}

static const rw_source_type sns_http_type = {
    .type = "sns-http",
    .enumerate = sns_enumerate,
    .read = sns_read,
    .settle = sns_settle,
    .pause = sns_pause,
    .resume = sns_resume,
    .close = sns_close,
};

/* ---- creating it --------------------------------------------------------------------------- */

static int bad(const char *name, const char *opt, const char *what) {
    return rw_error_set(RW_EINVAL, "source %s: option %s: %s", name, opt, what);
}

static int sns_http_create(rw_source **out, const char *name, const rw_opt_values *opts,
                           rw_watch_env *env) {
    *out = NULL;
    struct sockaddr_storage ss = {0};
    socklen_t sl = 0;
    const char *listen = rw_opt_str(opts, "listen");
    if (!listen) listen = "127.0.0.1:8080";
    int rc = rw_netaddr_parse_listen(listen, &ss, &sl);
    if (rc) return rw_error_wrap(rc, "source %s: option listen", name);
    const char *path = rw_opt_str(opts, "path");
    if (!path) path = "/sns";
    if (path[0] != '/' || strpbrk(path, "?# \t\r\n"))
        return bad(name, "path", "not a path starting with '/' (without a query)");
    const char *const *topics = rw_opt_list(opts, "topic_arns");
    size_t nt = 0;
    for (; topics[nt]; nt++) {
        if (!rw_sns_topic_arn_valid(topics[nt])) {
            rw_buf b;
            rw_buf_init(&b, 0);
            rw_buf_puts(&b, "'");
            quote(&b, topics[nt], strlen(topics[nt]));
            rw_buf_puts(&b, "' is not an SNS topic's ARN (arn:aws:sns:REGION:ACCOUNT:NAME)");
            rc = bad(name, "topic_arns", b.data);
            rw_buf_free(&b);
            return rc;
        }
    }
    if (nt == 0) return bad(name, "topic_arns", "no topic: list the topics to take");
    /* the table's defaults are filled in; 0 (never valid) stands for unset all the same */
    long max_body = rw_opt_int(opts, "max_body"), maxc = rw_opt_int(opts, "max_connections");
    long to = rw_opt_int(opts, "timeout"), rto = rw_opt_int(opts, "request_timeout");
    if (!max_body) max_body = DEFAULT_MAX_BODY;
    if (!maxc) maxc = 64;
    if (!to) to = 10;
    if (!rto) rto = 30;
    if (max_body < 1024 || (size_t)max_body > RW_SNS_MAX_BODY)
        return bad(name, "max_body", "from 1024 to 4194304 bytes");
    if (maxc < 1 || maxc > 10000) return bad(name, "max_connections", "from 1 to 10000");
    if (to < 1 || to > 3600) return bad(name, "timeout", "from 1 to 3600 seconds");
    if (rto < 1 || rto > 3600) return bad(name, "request_timeout", "from 1 to 3600 seconds");
    rw_sns_verifier *v = NULL;
    rw_sns_verifier_opts vo = {.endpoint = rw_opt_str(opts, "test_endpoint")};
    if (rw_sns_verifier_new(&v, &vo) != RW_OK)
        return rw_error_wrap(RW_EINVAL, "source %s: option test_endpoint", name);
    if (vo.endpoint && *vo.endpoint)
        rw_log_warn("sns-http %s: test_endpoint is set: signing certificates and SubscribeURLs are "
                    "fetched from %s instead of SNS (for tests and emulators only)",
                    name, vo.endpoint);

    sns_http *s = rw_xcalloc(1, sizeof *s);
    s->name = rw_xstrdup(name);
    s->env = env;
    s->listen = rw_xstrdup(listen);
    s->addr = ss;
    s->addrlen = sl;
    s->path = rw_xstrdup(path);
    s->topics = rw_xcalloc(nt, sizeof *s->topics);
    for (size_t i = 0; i < nt; i++) s->topics[i] = rw_xstrdup(topics[i]);
    s->ntopics = nt;
    s->max_body = (size_t)max_body;
    s->max_connections = (unsigned)maxc;
    s->timeout_s = (unsigned)to;
    s->request_timeout_ms = rto * 1000;
    s->verifier = v;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    rw_buf nm;
    rw_buf_init(&nm, 0);
    rw_buf_printf(&nm, "sns-http %s", name);
    *out = rw_source_new(&sns_http_type, nm.data, s);
    rw_buf_free(&nm);
    return RW_OK;
}

const rw_watch_source_type rw_watch_source_sns_http = {
    .type = "sns-http",
    .summary = "an HTTP endpoint subscribed to SNS topics: signatures verified, subscriptions to "
               "the allowed topics confirmed, each notification answered 200 once its alerts are "
               "stored (TLS left to a proxy in front)",
    .opts = sns_http_opts,
    .create = sns_http_create,
};
