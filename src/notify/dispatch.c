#include "notify/dispatch.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/signals.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

/* how often a waiting thread looks for SIGINT or SIGTERM */
#define SIGNAL_POLL_MS 200

typedef struct worker {
    struct rw_dispatch *d;
    rw_channel *ch;
    pthread_t thread;
    bool started;
    rw_store *store;
    uint64_t sent, failed, retried;
    uint64_t rng;
    /* deliveries sent whose "sent" the store could not take (the disk full): recorded at their
     * next turn, never sent again by this process */
    int64_t *unrecorded;
    size_t nunrecorded, capunrecorded;
} worker;

struct rw_dispatch {
    rw_notify_config *cfg;
    char *store_path;
    rw_store *store; /* the adding thread's connection */
    worker *workers;
    size_t nworkers;
    pthread_mutex_t lock;
    /* Every write to the store from this process goes through here: SQLite lets one writer in at a
     * time and makes the others sleep and poll (1 ms, 2 ms, 5 ms ... up to 100 ms), which put tens
     * of milliseconds into deliveries; waiting on a mutex costs microseconds. */
    pthread_mutex_t write_lock;
    pthread_cond_t wake;
    uint64_t generation; /* bumped by every added alert */
    bool closing;
    int64_t deadline_ms;
    uint64_t alerts_new, alerts_known;
    /* the first retry's wait; doubles each attempt (ROOTWATCH_NOTIFY_BACKOFF_MS) */
    long backoff_ms;
    int lock_fd; /* STORE.lock, held while delivering: one deliverer per store */
    /* rw_dispatch_open_shared: other processes add alerts to the store too; lock_held says whether
     * this one holds STORE.lock (and delivers) or stands by (under lock) */
    bool shared, lock_held;
    rw_metrics *metrics; /* rw_dispatch_open_counted: where deliveries are counted, or NULL */
    /* rw_dispatch_open_counted (rootwatch watch): a retryable failure of a channel without an
     * explicit max_attempts is retried until this long after the alert was stored, however many
     * attempts that takes (0: max_attempts counts) */
    int64_t retry_window_ms;
};

/* rootwatch watch's retry window: a channel down for hours still gets every alert once back */
#define RETRY_WINDOW_MS (24 * 3600 * 1000LL)

/* how often a shared store is looked at for alerts other processes added, and a standby tries to
 * take the delivery lock over */
#define SHARED_POLL_MS 250

/* Takes STORE.lock: two processes delivering from one store would both send what is due. Waits up
 * to a minute for another rootwatch to finish. */
static int lock_store(rw_dispatch *d) {
    size_t n = strlen(d->store_path) + 6;
    char *path = rw_xmalloc(n);
    snprintf(path, n, "%s.lock", d->store_path);
    d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (d->lock_fd < 0) {
        int rc = rw_error_set(RW_EIO, "%s: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    if (d->shared) { /* never waits: stands by while another process delivers */
        d->lock_held = flock(d->lock_fd, LOCK_EX | LOCK_NB) == 0;
        if (!d->lock_held)
            rw_log_info("notify: another rootwatch is delivering from %s; this one stores alerts "
                        "and stands by to take over",
                        d->store_path);
        free(path);
        return RW_OK;
    }
    bool said = false;
    for (int i = 0; i < 600 && !rw_signal_stop_requested(); i++) {
        if (flock(d->lock_fd, LOCK_EX | LOCK_NB) == 0) {
            free(path);
            return RW_OK;
        }
        if (!said) {
            rw_log_warn(
                "notify: another rootwatch is delivering from %s; waiting for it (up to a minute)",
                d->store_path);
            said = true;
        }
        struct timespec ts = {0, 100000000L};
        nanosleep(&ts, NULL);
    }
    int rc = rw_error_set(
        RW_EIO, "notify: %s is held by another rootwatch delivering from the same store", path);
    free(path);
    close(d->lock_fd);
    d->lock_fd = -1;
    return rc;
}

/* Full jitter between half and all of base * 2^(attempt-1), capped at 5 minutes. */
static int64_t backoff(worker *w, int attempt) {
    int64_t cap = w->d->backoff_ms;
    for (int i = 1; i < attempt && cap < 300000; i++) cap *= 2;
    if (cap > 300000) cap = 300000;
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return cap / 2 + (int64_t)(w->rng % (uint64_t)(cap / 2 + 1));
}

int rw_dispatch_send(rw_channel *ch, const char *event_id, const char *alert_json,
                     int64_t detected_ms, int attempt, rw_send_result *res) {
    memset(res, 0, sizeof *res);
    rw_json_doc *doc = rw_json_doc_new(NULL);
    int rc;
    if (rw_json_doc_parse(doc, alert_json, strlen(alert_json)) != RW_OK) {
        rc = RW_EINVAL;
        snprintf(res->error, sizeof res->error,
                 "the stored alert is not JSON (the store is damaged)");
    } else {
        rw_notice n = {.event_id = event_id,
                       .alert = rw_json_doc_root(doc),
                       .alert_json = alert_json,
                       .alert_len = strlen(alert_json),
                       .test = false,
                       .detected_ms = detected_ms,
                       .attempt = attempt};
        rc = ch->type->send(ch, &n, res);
        if (rc != RW_OK && !res->error[0])
            snprintf(res->error, sizeof res->error, "%s", rw_error_last());
    }
    rw_json_doc_free(doc);
    return rc;
}

/* A delivery finished (sent, or failed: given up), in /metrics when counted. */
static void count(worker *w, const char *result) {
    if (!w->d->metrics) return;
    rw_metrics_add(w->d->metrics, "rootwatch_deliveries_total",
                   "Deliveries finished, per channel and result (sent, or failed: given up)", 1,
                   (const char *[]){"channel", w->ch->name, "result", result, NULL});
}

static int mark_sent(worker *w, int64_t id, int64_t now) {
    pthread_mutex_lock(&w->d->write_lock);
    int rc = rw_store_mark_sent(w->store, id, now);
    pthread_mutex_unlock(&w->d->write_lock);
    return rc;
}

/* Whether id was sent by this process but not recorded as sent; forgets it when it is recorded
 * now. */
static bool sent_unrecorded(worker *w, int64_t id, int64_t now, bool *recorded) {
    for (size_t i = 0; i < w->nunrecorded; i++) {
        if (w->unrecorded[i] != id) continue;
        *recorded = mark_sent(w, id, now) == RW_OK;
        if (*recorded) w->unrecorded[i] = w->unrecorded[--w->nunrecorded];
        return true;
    }
    return false;
}

/* Sends one delivery and records the outcome. Returns false when the store could not be written
 * (the disk full, say): the caller then waits before looking again, rather than spinning. */
static bool deliver(worker *w, rw_delivery *dl) {
    rw_channel *ch = w->ch;
    int64_t now = rw_time_now_ms();
    bool recorded;
    if (sent_unrecorded(w, dl->id, now, &recorded)) {
        if (recorded)
            rw_log_info("notify: channel %s: event %s: recorded as sent at last", ch->name,
                        dl->event_id);
        return recorded;
    }
    pthread_mutex_lock(&w->d->write_lock);
    int claim = rw_store_mark_sending(w->store, dl->id, now);
    pthread_mutex_unlock(&w->d->write_lock);
    if (claim == RW_ENOTFOUND) return true; /* finished meanwhile (sent or given up) */
    if (claim != RW_OK) {
        rw_log_error("notify: channel %s: %s", ch->name, rw_error_last());
        return false;
    }
    int attempt = dl->attempts + 1;
    rw_send_result res;
    int rc = rw_dispatch_send(ch, dl->event_id, dl->alert_json, dl->detected_ms, attempt, &res);
    now = rw_time_now_ms();
    bool stored = true;
    if (rc == RW_OK) {
        if (mark_sent(w, dl->id, now) != RW_OK) {
            /* sent: left "sending" in the store it would be sent again at once (an interrupted
             * send); this process remembers it and records it once the store takes writes */
            rw_log_error("notify: channel %s: event %s: sent, but not recorded as sent (%s); it "
                         "is recorded when the store can be written, not sent again",
                         ch->name, dl->event_id, rw_error_last());
            if (w->nunrecorded == w->capunrecorded) {
                w->capunrecorded = w->capunrecorded ? 2 * w->capunrecorded : 8;
                w->unrecorded =
                    rw_xrealloc(w->unrecorded, w->capunrecorded * sizeof *w->unrecorded);
            }
            w->unrecorded[w->nunrecorded++] = dl->id;
            stored = false;
        }
        w->sent++;
        count(w, "sent");
        if (w->d->metrics && dl->detected_ms > 0)
            rw_metrics_observe(w->d->metrics, "rootwatch_delivery_latency_seconds",
                               "Seconds from an alert stored to its delivery sent, per channel",
                               (double)(now - dl->detected_ms) / 1000.0,
                               (const char *[]){"channel", ch->name, NULL});
        return stored;
    }
    if (w->d->metrics)
        rw_metrics_add(w->d->metrics, "rootwatch_delivery_errors_total",
                       "Failed delivery attempts, per channel (retried or not)", 1,
                       (const char *[]){"channel", ch->name, NULL});
    /* rootwatch watch: the channel's retry_for, else 24 h unless it gives max_attempts alone */
    int64_t window_ms = w->d->retry_window_ms <= 0 ? 0
                        : ch->retry_for_s > 0      ? ch->retry_for_s * 1000
                        : ch->max_attempts_set     ? 0
                                                   : w->d->retry_window_ms;
    bool windowed = window_ms > 0 && dl->detected_ms > 0;
    bool final = !res.retryable ||
                 (windowed ? now - dl->detected_ms >= window_ms : attempt >= ch->max_attempts);
    int64_t wait = final ? 0 : backoff(w, attempt);
    if (!final && res.retry_after_ms > wait) /* the receiver's Retry-After, up to an hour */
        wait = res.retry_after_ms < 3600000 ? res.retry_after_ms : 3600000;
    int64_t next = final ? 0 : now + wait;
    if (final && windowed && res.retryable) {
        w->failed++;
        count(w, "failed");
        rw_log_error("notify: channel %s: event %s: %s (attempt %d, %.1f h after the alert was "
                     "stored; giving up)",
                     ch->name, dl->event_id, res.error, attempt,
                     (double)(now - dl->detected_ms) / 3600000.0);
    } else if (final) {
        w->failed++;
        count(w, "failed");
        rw_log_error("notify: channel %s: event %s: %s (attempt %d of %d%s)", ch->name,
                     dl->event_id, res.error, attempt, ch->max_attempts,
                     res.retryable ? "; giving up" : "; not retried");
    } else if (windowed) {
        w->retried++;
        rw_log_warn("notify: channel %s: event %s: %s (attempt %d; retried for %.4g h after the "
                    "alert was stored; next in %.1f s)",
                    ch->name, dl->event_id, res.error, attempt, (double)window_ms / 3600000.0,
                    (double)(next - now) / 1000.0);
    } else {
        w->retried++;
        rw_log_warn("notify: channel %s: event %s: %s (attempt %d of %d; next in %.1f s)", ch->name,
                    dl->event_id, res.error, attempt, ch->max_attempts,
                    (double)(next - now) / 1000.0);
    }
    pthread_mutex_lock(&w->d->write_lock);
    int frc = rw_store_mark_failed(w->store, dl->id, now, next, final, res.error);
    pthread_mutex_unlock(&w->d->write_lock);
    if (frc != RW_OK) rw_log_error("notify: channel %s: %s", ch->name, rw_error_last());
    return frc == RW_OK;
}

/* A shared store's standby: takes the delivery lock over when its holder has ended. Whether this
 * process delivers now. */
static bool may_deliver(rw_dispatch *d) {
    if (!d->shared) return true;
    pthread_mutex_lock(&d->lock);
    if (!d->lock_held && flock(d->lock_fd, LOCK_EX | LOCK_NB) == 0) {
        d->lock_held = true;
        rw_log_info("notify: this rootwatch now delivers from %s", d->store_path);
    }
    bool held = d->lock_held;
    pthread_mutex_unlock(&d->lock);
    return held;
}

static void *worker_main(void *arg) {
    worker *w = arg;
    rw_dispatch *d = w->d;
    for (;;) {
        pthread_mutex_lock(&d->lock);
        uint64_t gen = d->generation;
        pthread_mutex_unlock(&d->lock);
        if (!may_deliver(d)) { /* standing by: alerts are stored, another process sends them */
            pthread_mutex_lock(&d->lock);
            bool closing = d->closing;
            pthread_mutex_unlock(&d->lock);
            if (closing || rw_signal_stop_requested()) break;
            struct timespec ts = {0, SHARED_POLL_MS * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        rw_delivery *due = NULL;
        size_t n = 0;
        int64_t now = rw_time_now_ms();
        bool unreadable = false;
        if (rw_store_due(w->store, w->ch->name, now, 64, &due, &n) != RW_OK) {
            rw_log_error("notify: channel %s: %s", w->ch->name, rw_error_last());
            n = 0;
            unreadable = true; /* tried again in a second, not in a tight loop */
        }
        /* on SIGINT or SIGTERM the delivery in flight is finished and the rest stay pending */
        bool unwritable = false;
        for (size_t i = 0; i < n; i++) {
            if (!rw_signal_stop_requested() && !deliver(w, &due[i])) unwritable = true;
            rw_store_delivery_free(&due[i]);
        }
        free(due);
        if (rw_signal_stop_requested()) break;
        if (n && !unwritable) continue;
        /* nothing due: wait for a new alert, the next retry, the end, or a signal (polled: a
         * handler cannot wake a condition variable); the store not taking writes (or not read):
         * a second, not a tight loop */
        int64_t next =
            unreadable || unwritable ? now + 1000 : rw_store_next_due(w->store, w->ch->name);
        /* a shared store: other processes' alerts are found by looking again */
        int64_t look = d->shared ? now + SHARED_POLL_MS : INT64_MAX;
        pthread_mutex_lock(&d->lock);
        bool stop = false;
        for (;;) {
            if (rw_signal_stop_requested()) {
                stop = true;
                break;
            }
            if (d->generation != gen) break; /* new alerts, or the close: look again first */
            if (d->closing && (next == INT64_MAX || next > d->deadline_ms)) {
                stop = true;
                break;
            }
            int64_t until = next < look ? next : look;
            if (d->closing && d->deadline_ms < until) until = d->deadline_ms;
            int64_t t = rw_time_now_ms();
            if (t >= until) break;
            if (until > t + SIGNAL_POLL_MS) until = t + SIGNAL_POLL_MS;
            struct timespec ts = {(time_t)(until / 1000), (long)(until % 1000) * 1000000L};
            pthread_cond_timedwait(&d->wake, &d->lock, &ts);
        }
        pthread_mutex_unlock(&d->lock);
        if (stop) break;
    }
    return NULL;
}

static int open_dispatch(rw_dispatch **out, rw_notify_config *cfg, const char *store_path,
                         bool shared, rw_metrics *metrics, bool windowed) {
    *out = NULL;
    rw_dispatch *d = rw_xcalloc(1, sizeof *d);
    d->cfg = cfg;
    d->metrics = metrics;
    d->shared = shared;
    d->retry_window_ms =
        windowed ? RETRY_WINDOW_MS : 0; /* rootwatch watch: a window, not a count */
    d->store_path = store_path        ? rw_xstrdup(store_path)
                    : cfg->store_path ? rw_xstrdup(cfg->store_path)
                                      : rw_store_default_path();
    d->backoff_ms = 1000;
    const char *b = getenv("ROOTWATCH_NOTIFY_BACKOFF_MS");
    if (b && *b) {
        char *end;
        long v = strtol(b, &end, 10);
        if (!*end && v >= 1 && v <= 3600000)
            d->backoff_ms = v;
        else
            rw_log_warn(
                "ROOTWATCH_NOTIFY_BACKOFF_MS: '%s' is not a number of milliseconds; using 1000", b);
    }
    pthread_mutex_init(&d->lock, NULL);
    pthread_mutex_init(&d->write_lock, NULL);
    pthread_cond_init(&d->wake, NULL);
    d->lock_fd = -1;
    int rc = rw_store_open(&d->store, d->store_path);
    if (rc == RW_OK && (rc = lock_store(d)) != RW_OK) {
        rw_store_close(d->store);
        d->store = NULL;
    }
    if (rc != RW_OK) {
        free(d->store_path);
        pthread_mutex_destroy(&d->lock);
        pthread_mutex_destroy(&d->write_lock);
        pthread_cond_destroy(&d->wake);
        free(d);
        return rc;
    }
    d->nworkers = cfg->nchannels;
    d->workers = rw_xcalloc(d->nworkers ? d->nworkers : 1, sizeof *d->workers);
    for (size_t i = 0; i < d->nworkers; i++) {
        worker *w = &d->workers[i];
        w->d = d;
        w->ch = cfg->channels[i];
        w->rng = (uint64_t)rw_time_now_ms() * 2654435761u + i * 97 + 1;
        if (rw_store_open(&w->store, d->store_path) != RW_OK) {
            rc = rw_error_wrap(RW_EIO, "notify: channel %s", w->ch->name);
            break;
        }
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            rc = rw_error_set(RW_EIO, "notify: channel %s: cannot start its thread", w->ch->name);
            break;
        }
        w->started = true;
    }
    *out = d;
    if (rc != RW_OK) {
        rw_dispatch_close(d, 0, NULL);
        *out = NULL;
    }
    return rc;
}

int rw_dispatch_open(rw_dispatch **out, rw_notify_config *cfg, const char *store_path) {
    return open_dispatch(out, cfg, store_path, false, NULL, false);
}

int rw_dispatch_open_shared(rw_dispatch **out, rw_notify_config *cfg, const char *store_path) {
    return open_dispatch(out, cfg, store_path, true, NULL, false);
}

int rw_dispatch_open_counted(rw_dispatch **out, rw_notify_config *cfg, const char *store_path,
                             rw_metrics *m) {
    return open_dispatch(out, cfg, store_path, true, m, true);
}

int rw_dispatch_store(rw_store *s, pthread_mutex_t *lock, const rw_alert *a,
                      rw_channel *const *channels, size_t n, bool *added) {
    *added = false;
    if (!a->event_id || !*a->event_id) /* the detector gives every alert one */
        return rw_error_set(RW_EINVAL, "notify: an alert without an eventID cannot be stored");
    rw_buf js;
    rw_buf_init(&js, RW_BUF_DEFAULT_MAX);
    int rc = rw_alert_to_json(&js, a);
    rw_json_doc *doc = rw_json_doc_new(NULL);
    if (rc == RW_OK) rc = rw_json_doc_parse(doc, js.data, js.len);
    const char **names = rw_xcalloc(n + 1, sizeof *names);
    size_t nn = 0;
    if (rc == RW_OK)
        for (size_t i = 0; i < n; i++)
            if (rw_channel_wants(channels[i], rw_json_doc_root(doc)))
                names[nn++] = channels[i]->name;
    if (rc == RW_OK) {
        rw_store_alert sa = {.event_id = a->event_id,
                             .alert_json = js.data,
                             .event_time = a->event_time,
                             .account = a->account,
                             .region = a->region,
                             .event_name = a->event_name,
                             .rule = a->rule,
                             .severity = rw_alert_severity_name(a->severity),
                             .detected_ms = rw_time_now_ms()};
        if (lock) pthread_mutex_lock(lock);
        rc = rw_store_add(s, &sa, names, nn, added);
        if (lock) pthread_mutex_unlock(lock);
    }
    free(names);
    rw_json_doc_free(doc);
    rw_buf_free(&js);
    return rc;
}

int rw_dispatch_alert(rw_dispatch *d, const rw_alert *a, bool *added) {
    int rc = rw_dispatch_store(d->store, &d->write_lock, a, d->cfg->channels, d->nworkers, added);
    if (rc != RW_OK) return rc;
    pthread_mutex_lock(&d->lock);
    if (*added)
        d->alerts_new++;
    else
        d->alerts_known++;
    d->generation++;
    pthread_cond_broadcast(&d->wake);
    pthread_mutex_unlock(&d->lock);
    return RW_OK;
}

int rw_dispatch_close(rw_dispatch *d, int64_t deadline_ms, rw_dispatch_stats *stats) {
    if (!d) return RW_OK;
    pthread_mutex_lock(&d->lock);
    d->closing = true;
    d->deadline_ms = deadline_ms;
    d->generation++;
    pthread_cond_broadcast(&d->wake);
    pthread_mutex_unlock(&d->lock);
    rw_dispatch_stats st;
    memset(&st, 0, sizeof st);
    st.alerts_new = d->alerts_new;
    st.alerts_known = d->alerts_known;
    for (size_t i = 0; i < d->nworkers; i++) {
        worker *w = &d->workers[i];
        if (w->started) pthread_join(w->thread, NULL);
        st.sent += w->sent;
        st.failed += w->failed;
        st.retried += w->retried;
        if (w->nunrecorded)
            rw_log_warn("notify: channel %s: %zu deliveries were sent but could not be recorded "
                        "as sent: the next rootwatch on this store sends them again",
                        w->ch->name, w->nunrecorded);
        free(w->unrecorded);
        rw_store_close(w->store);
    }
    uint64_t counts[4] = {0, 0, 0, 0};
    if (d->store && rw_store_counts(d->store, counts) == RW_OK)
        st.pending = counts[RW_DELIVERY_PENDING] + counts[RW_DELIVERY_SENDING];
    if (stats) *stats = st;
    rw_store_close(d->store);
    if (d->lock_fd >= 0) close(d->lock_fd); /* releases the lock */
    free(d->workers);
    free(d->store_path);
    pthread_mutex_destroy(&d->lock);
    pthread_mutex_destroy(&d->write_lock);
    pthread_cond_destroy(&d->wake);
    free(d);
    return RW_OK;
}
