/* Notification benchmark: alerts through the whole delivery path (the store, the channel thread,
 * the webhook channel, HTTP on loopback) to a receiver in this process, which records when each
 * alert arrives.
 *
 *   notify_bench STORE_DIR N RATE
 *
 * RATE 0: all N alerts are handed over at once (throughput: alerts per second from the first hand
 * over to the last arrival). RATE > 0: one alert every 1/RATE seconds (latency: from the moment
 * rootwatch has the alert, rw_dispatch_alert, to its arrival at the receiver; median and p99).
 * Prints one JSON line. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "notify/dispatch.h"
#include "notify/notify.h"
#include "rules/alert.h"
#include "util/err.h"

static int64_t mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static struct {
    int fd, port;
    size_t n;
    int64_t *sent_us, *arrived_us;
    size_t arrivals;
    pthread_mutex_t lock;
    pthread_cond_t done;
} rx;

/* A keep-alive HTTP/1.1 receiver: reads each request, takes the alert's number from the
 * X-Rootwatch-Event-Id header (bench-000123), answers 200. */
static void *serve_conn(void *arg) {
    int c = (int)(intptr_t)arg;
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    static __thread char buf[1 << 20];
    size_t have = 0;
    for (;;) {
        char *end;
        ssize_t n;
        while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
            n = read(c, buf + have, sizeof buf - have - 1);
            if (n <= 0) goto out;
            have += (size_t)n;
        }
        buf[have] = 0;
        size_t hlen = (size_t)(end + 4 - buf), clen = 0;
        const char *cl = strcasestr(buf, "\r\ncontent-length:");
        if (cl && cl < end) clen = strtoul(cl + 17, NULL, 10);
        while (have < hlen + clen) {
            n = read(c, buf + have, sizeof buf - have - 1);
            if (n <= 0) goto out;
            have += (size_t)n;
        }
        int64_t now = mono_us();
        const char *id = strcasestr(buf, "\r\nx-rootwatch-event-id:");
        if (id && id < end) {
            const char *dash = strstr(id, "bench-");
            if (dash) {
                size_t k = strtoul(dash + 6, NULL, 10);
                pthread_mutex_lock(&rx.lock);
                if (k < rx.n && !rx.arrived_us[k]) {
                    rx.arrived_us[k] = now;
                    if (++rx.arrivals == rx.n) pthread_cond_broadcast(&rx.done);
                }
                pthread_mutex_unlock(&rx.lock);
            }
        }
        static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        if (write(c, ok, sizeof ok - 1) < 0) goto out;
        memmove(buf, buf + hlen + clen, have - hlen - clen);
        have -= hlen + clen;
    }
out:
    close(c);
    return NULL;
}

static void *serve(void *arg) {
    (void)arg;
    for (;;) {
        int c = accept(rx.fd, NULL, NULL);
        if (c < 0) return NULL;
        pthread_t t;
        pthread_create(&t, NULL, serve_conn, (void *)(intptr_t)c);
        pthread_detach(t);
    }
}

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static rw_alert *make_alert(size_t i) {
    rw_alert *a = calloc(1, sizeof *a);
    char buf[64];
    snprintf(buf, sizeof buf, "bench-%06zu", i);
    a->event_id = strdup(buf);
    a->event_time = strdup("2026-11-20T10:00:00Z");
    a->account = strdup("111122223333");
    a->region = strdup("us-east-1");
    a->event_source = strdup("iam.amazonaws.com");
    a->event_name = strdup("CreateAccessKey");
    a->source_ip = strdup("198.51.100.7");
    a->user_agent = strdup("aws-cli/2.15.30");
    a->kind = RW_KIND_API_CALL;
    a->credential = RW_CRED_ACCESS_KEY;
    a->access_key_id = strdup("AKIAEXAMPLE0000000001");
    a->mfa = RW_TRI_UNKNOWN;
    a->read_only = RW_TRI_FALSE;
    a->sensitive = true;
    rw_alert_reason(a, RW_SEV_CRITICAL, "root created an access key");
    rw_alert_add_rule(a, "root-api-call", true);
    a->event_json =
        strdup("{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"Root\",\"principalId\":"
               "\"111122223333\",\"arn\":\"arn:aws:iam::111122223333:root\"},\"eventName\":"
               "\"CreateAccessKey\",\"eventSource\":\"iam.amazonaws.com\"}");
    a->file = strdup("bench");
    return a;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: notify_bench STORE_DIR N RATE\n");
        return 2;
    }
    size_t n = strtoul(argv[2], NULL, 10);
    double rate = atof(argv[3]);
    rx.n = n;
    rx.sent_us = calloc(n, sizeof *rx.sent_us);
    rx.arrived_us = calloc(n, sizeof *rx.arrived_us);
    pthread_mutex_init(&rx.lock, NULL);
    pthread_cond_init(&rx.done, NULL);
    rx.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(rx.fd, (struct sockaddr *)&sa, sizeof sa) || listen(rx.fd, 64)) {
        perror("notify_bench: listen");
        return 2;
    }
    socklen_t sl = sizeof sa;
    getsockname(rx.fd, (struct sockaddr *)&sa, &sl);
    rx.port = ntohs(sa.sin_port);
    pthread_t st;
    pthread_create(&st, NULL, serve, NULL);

    char cfgtext[512], store[4096];
    snprintf(cfgtext, sizeof cfgtext,
             "channels:\n  - name: bench\n    type: webhook\n    url: http://127.0.0.1:%d/hook\n   "
             " secret: bench-secret\n",
             rx.port);
    snprintf(store, sizeof store, "%s/bench-%d.db", argv[1], (int)getpid());
    rw_notify_config *cfg = NULL;
    rw_dispatch *d = NULL;
    if (rw_notify_config_parse(&cfg, cfgtext, strlen(cfgtext), "bench") != RW_OK ||
        rw_dispatch_open(&d, cfg, store) != RW_OK) {
        fprintf(stderr, "notify_bench: %s\n", rw_error_last());
        return 2;
    }
    rw_alert **alerts = calloc(n, sizeof *alerts);
    for (size_t i = 0; i < n; i++) alerts[i] = make_alert(i);
    int64_t t0 = mono_us();
    for (size_t i = 0; i < n; i++) {
        if (rate > 0) {
            int64_t due = t0 + (int64_t)((double)i * 1e6 / rate);
            int64_t now = mono_us();
            if (due > now) {
                struct timespec ts = {(due - now) / 1000000, ((due - now) % 1000000) * 1000};
                nanosleep(&ts, NULL);
            }
        }
        bool added;
        rx.sent_us[i] = mono_us();
        if (rw_dispatch_alert(d, alerts[i], &added) != RW_OK || !added) {
            fprintf(stderr, "notify_bench: %s\n", rw_error_last());
            return 2;
        }
    }
    pthread_mutex_lock(&rx.lock);
    struct timespec limit;
    clock_gettime(CLOCK_REALTIME, &limit);
    limit.tv_sec += 120;
    while (rx.arrivals < n)
        if (pthread_cond_timedwait(&rx.done, &rx.lock, &limit)) break;
    size_t got = rx.arrivals;
    pthread_mutex_unlock(&rx.lock);
    int64_t t1 = mono_us();
    rw_dispatch_stats stats;
    rw_dispatch_close(d, 0, &stats);
    if (got < n) {
        fprintf(stderr, "notify_bench: only %zu of %zu alerts arrived in 120 s\n", got, n);
        return 2;
    }
    int64_t last = 0;
    int64_t *lat = calloc(n, sizeof *lat);
    for (size_t i = 0; i < n; i++) {
        lat[i] = rx.arrived_us[i] - rx.sent_us[i];
        if (rx.arrived_us[i] > last) last = rx.arrived_us[i];
    }
    qsort(lat, n, sizeof *lat, cmp64);
    double secs = (double)(last - t0) / 1e6;
    printf("{\"alerts\":%zu,\"rate\":%g,\"seconds\":%.3f,\"alerts_per_second\":%.0f,\"latency_ms_"
           "p50\":%.2f,"
           "\"latency_ms_p99\":%.2f,\"latency_ms_max\":%.2f,\"sent\":%llu,\"failed\":%llu}\n",
           n, rate, secs, (double)n / secs, (double)lat[n / 2] / 1000.0,
           (double)lat[(n * 99) / 100] / 1000.0, (double)lat[n - 1] / 1000.0,
           (unsigned long long)stats.sent, (unsigned long long)stats.failed);
    (void)t1;
    for (size_t i = 0; i < n; i++) rw_alert_free(alerts[i]);
    free(alerts);
    rw_notify_config_free(cfg);
    unlink(store);
    return 0;
}
