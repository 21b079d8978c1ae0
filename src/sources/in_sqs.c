/* The sqs source of rootwatch watch (issue 13): an SQS queue read with long polling, one unit per
 * message. A body is an EventBridge event (a rule targeting the queue), an S3 event notification
 * of new trail files (each object fetched and read as scan reads files), S3's test event
 * (ignored), or any of these wrapped in an SNS notification (sources/event_body.h).
 *
 * Acknowledging: a message is deleted only in settle(ok), once its alerts are in the store. A
 * unit settled !ok is left to become visible again after the visibility timeout (SQS's own retry);
 * one that was never read (the engine was stopping) is made visible at once, for another consumer.
 * Deletes go in batches of up to 10 (DeleteMessageBatch), made by a thread of the source (the
 * acker) within 100 ms, so that settling (one unit at a time in the engine) never waits on SQS.
 * While an S3 object is read, the acker extends the visibility of its message (every half
 * visibility timeout), so that a large file is not handed to a second consumer meanwhile.
 *
 * Poison messages: a message that fails on its max_receives-th receive (ApproximateReceiveCount)
 * is given up: logged with its id and why, counted (rootwatch_sqs_poison_total), and deleted when
 * the queue has no redrive policy; with one it is left for SQS to move to the dead-letter queue.
 * Never retried forever, never dropped silently.
 *
 * Receiving that fails (throttling and outages outlasting the client's own retries, a queue that
 * is gone) is logged and tried again with a backoff of 1 s doubling to 60 s; the source never
 * ends by itself. A stop (env->stop) gives up a receive still waiting for its answer within a
 * second (the client's stop flag); rw_emit_stopping is seen between two receives. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/s3.h"
#include "aws/sqs.h"
#include "sources/event_body.h"
#include "sources/watch.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

static const rw_opt_spec sqs_opts[] = {
    {"queue_url", RW_OPT_STRING, NULL, true,
     "the queue's URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)"},
    {"region", RW_OPT_STRING, NULL, false,
     "the queue's region (default: from the URL's host, else the configured region)"},
    {"wait_seconds", RW_OPT_INT, "20", false,
     "long polling: how long one receive waits for a message (0 to 20)"},
    {"max_messages", RW_OPT_INT, "10", false, "messages taken per receive (1 to 10)"},
    {"visibility_timeout", RW_OPT_INT, NULL, false,
     "seconds a received message stays hidden from other consumers (default: the queue's)"},
    {"max_receives", RW_OPT_INT, "5", false,
     "a message still failing on this receive is given up: deleted, or left to the queue's "
     "dead-letter queue when it has a redrive policy"},
    {NULL, 0, NULL, false, NULL},
};

typedef struct sqs_src sqs_src;

typedef struct msg {
    sqs_src *s;
    rw_sqs_message m;
    rw_event_body body;
    bool read;         /* read() ran: a failure is a real one, not a stop */
    bool settled;      /* settle() ran */
    bool reading;      /* in the heartbeat's list */
    int64_t hidden_ms; /* when its visibility was last set (received, or extended) */
    struct msg *prev, *next;
} msg;

typedef struct to_delete {
    char *id, *receipt;
} to_delete;

struct sqs_src {
    char *name; /* the source's, "sqs NAME" in messages */
    char *queue_url, *queue, *region;
    int wait_s, max, vis_s, max_receives;
    rw_watch_env *env;
    pthread_mutex_t lock; /* ack, reading, redrive, dels */
    pthread_cond_t wake;  /* the acker: deletes waiting, or the end */
    rw_aws_client *ack;   /* visibility changes and attributes (under the lock) */
    msg *reading;         /* messages whose S3 objects are being read */
    int redrive;          /* the queue has a redrive policy: 1, 0, or -1 not known */
    int queue_vis;        /* the queue's VisibilityTimeout (0: not known) */
    to_delete *dels;      /* settled: to delete, in batches of up to 10 (the acker) */
    size_t ndels, dels_cap;
    pthread_t hb; /* the acker: deletes, and the heartbeat of messages being read */
    bool hb_started;
    atomic_bool hb_stop;
};

static const char *const *labels(sqs_src *s) {
    static __thread const char *l[5];
    l[0] = "source";
    l[1] = s->name + 4; /* NAME, as the other sources' series and /healthz name it */
    l[2] = "type";
    l[3] = "sqs";
    l[4] = NULL;
    return l;
}

static void count(sqs_src *s, const char *metric, const char *help) {
    rw_metrics_add(s->env->metrics, metric, help, 1, labels(s));
}

static int visibility(const sqs_src *s) {
    return s->vis_s > 0 ? s->vis_s : s->queue_vis > 0 ? s->queue_vis : 30;
}

static rw_aws_client *new_client(sqs_src *s) {
    rw_aws_session *aws = s->env->aws(s->env);
    return aws ? rw_aws_client_new(aws->cfg, aws->creds, NULL) : NULL;
}

/* The ack client, under the lock; NULL with the error set when the AWS settings are wrong. */
static rw_aws_client *ack_client(sqs_src *s) {
    if (!s->ack) s->ack = new_client(s);
    return s->ack;
}

/* The queue's redrive policy and visibility timeout (logged when they cannot be read). Under the
 * lock. */
static void read_attributes(sqs_src *s) {
    rw_aws_client *c = ack_client(s);
    if (!c) return;
    static const char *const names[] = {"RedrivePolicy", "VisibilityTimeout", NULL};
    rw_json_doc *doc = rw_json_doc_new(NULL);
    const rw_json *attrs;
    if (rw_sqs_attributes(c, s->region, s->queue_url, names, doc, &attrs) == RW_OK) {
        const char *rp = rw_json_get_str(attrs, "RedrivePolicy");
        s->redrive = rp && *rp ? 1 : 0;
        const char *vt = rw_json_get_str(attrs, "VisibilityTimeout");
        if (vt) s->queue_vis = atoi(vt);
    } else {
        rw_log_warn("%s: the queue's attributes cannot be read (its redrive policy is not known "
                    "until they can): %s",
                    s->name, rw_error_last());
    }
    rw_json_doc_free(doc);
}

static void unlink_reading(sqs_src *s, msg *m) {
    if (!m->reading) return;
    if (m->prev)
        m->prev->next = m->next;
    else
        s->reading = m->next;
    if (m->next) m->next->prev = m->prev;
    m->prev = m->next = NULL;
    m->reading = false;
}

/* Makes a message visible again at once (not read: another consumer may take it now). */
static void release(sqs_src *s, msg *m) {
    pthread_mutex_lock(&s->lock);
    rw_aws_client *c = ack_client(s);
    if (c && rw_sqs_change_visibility(c, s->region, s->queue_url, m->m.receipt, 0) != RW_OK)
        rw_log_warn("%s: message %s: %s (it becomes visible again after its visibility timeout)",
                    s->name, m->m.id, rw_error_last());
    pthread_mutex_unlock(&s->lock);
}

static void free_msg(void *p) {
    msg *m = p;
    if (!m) return;
    if (!m->settled) release(m->s, m); /* handed to the engine as it stopped: not taken */
    rw_sqs_message_free(&m->m);
    rw_event_body_free(&m->body);
    free(m);
}

/* ---- the acker: deletes in batches, and visibility extended while S3 objects are read ------- */

/* Queues a settled message's deletion: the acker deletes up to 10 at a time (DeleteMessageBatch),
 * at once when 10 are waiting, else within 100 ms. A process killed meanwhile leaves them in the
 * queue: received again, their alerts are in the store already and nothing is sent twice. */
static void delete_later(sqs_src *s, const char *id, const char *receipt) {
    pthread_mutex_lock(&s->lock);
    if (s->ndels == s->dels_cap) {
        s->dels_cap = s->dels_cap ? 2 * s->dels_cap : 16;
        s->dels = rw_xrealloc(s->dels, s->dels_cap * sizeof *s->dels);
    }
    s->dels[s->ndels++] = (to_delete){rw_xstrdup(id), rw_xstrdup(receipt)};
    if (s->ndels >= 10) pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
}

static void delete_batch(sqs_src *s, rw_aws_client *c, to_delete *v, size_t n) {
    const char *receipts[10];
    bool ok[10] = {false};
    for (size_t i = 0; i < n; i++) receipts[i] = v[i].receipt;
    int rc = c ? rw_sqs_delete_batch(c, s->region, s->queue_url, receipts, n, ok)
               : rw_error_set(RW_EINVAL, "no AWS session");
    const char *err = rc != RW_OK ? rw_error_last() : NULL;
    for (size_t i = 0; i < n; i++) {
        if (ok[i])
            count(s, "rootwatch_sqs_deleted_total", "Messages deleted, per source");
        else
            rw_log_warn("%s: message %s cannot be deleted: %s; it will be received again (its "
                        "alerts are stored: nothing is sent twice)",
                        s->name, v[i].id, err ? err : "?");
        free(v[i].id);
        free(v[i].receipt);
    }
}

static void extend_reading(sqs_src *s, rw_aws_client *c) {
    int vis = visibility(s);
    int64_t now = rw_time_now_ms();
    for (msg *m = s->reading; m && c; m = m->next) {
        if (now - m->hidden_ms < (int64_t)vis * 500) continue;
        if (rw_sqs_change_visibility(c, s->region, s->queue_url, m->m.receipt, vis) == RW_OK) {
            rw_log_info("%s: message %s: still reading its S3 objects: hidden for %d s more",
                        s->name, m->m.id, vis);
            count(s, "rootwatch_sqs_visibility_extended_total",
                  "Messages whose visibility was extended while their S3 objects were read");
        } else {
            rw_log_warn("%s: message %s: its visibility cannot be extended: %s", s->name, m->m.id,
                        rw_error_last());
        }
        m->hidden_ms = rw_time_now_ms();
    }
}

static void *acker(void *arg) {
    sqs_src *s = arg;
    rw_aws_client *c = new_client(s);
    int64_t last_beat = 0;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        bool ending = atomic_load(&s->hb_stop);
        if (ending && s->ndels == 0) break;
        if (!ending && s->ndels < 10) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&s->wake, &s->lock, &ts);
        }
        size_t n = s->ndels < 10 ? s->ndels : 10;
        to_delete batch[10];
        if (n) { /* s->dels is NULL until the first delete (memcpy of NULL: undefined) */
            memcpy(batch, s->dels, n * sizeof *batch);
            memmove(s->dels, s->dels + n, (s->ndels - n) * sizeof *s->dels);
            s->ndels -= n;
        }
        if (rw_time_now_ms() - last_beat >= 1000) { /* the heartbeat, once a second */
            extend_reading(s, c);
            last_beat = rw_time_now_ms();
        }
        pthread_mutex_unlock(&s->lock);
        if (n) delete_batch(s, c, batch, n);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    rw_aws_client_free(c);
    return NULL;
}

/* ---- the source ------------------------------------------------------------------------------ */

/* Sleeps up to seconds, in slices, returning early when the source must stop. */
static void nap(sqs_src *s, rw_emit *emit, int seconds) {
    for (int i = 0; i < seconds * 5; i++) {
        if (atomic_load(s->env->stop) || rw_emit_stopping(emit)) return;
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static bool stopping(sqs_src *s, rw_emit *emit) {
    return atomic_load(s->env->stop) || rw_emit_stopping(emit);
}

static char *unit_name(sqs_src *s, const rw_sqs_message *m) {
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_printf(&b, "queue %s, message ", s->queue);
    rw_event_body_quote(&b, m->id, strlen(m->id));
    return rw_buf_take(&b);
}

/* One message received: ignored and deleted (S3's test event, nothing new), or a unit. */
static int take(sqs_src *s, rw_emit *emit, rw_sqs_message *sm) {
    msg *m = rw_xcalloc(1, sizeof *m);
    m->s = s;
    m->m = *sm;
    memset(sm, 0, sizeof *sm);
    m->hidden_ms = rw_time_now_ms();
    count(s, "rootwatch_source_units_total", "Units received, per source");
    rw_event_body_parse(&m->body, m->m.body, m->m.len, RW_BODY_SNS | RW_BODY_S3_OK,
                        "the message's body");
    char *name = unit_name(s, &m->m);
    /* digest files are never read; removals carry nothing new */
    size_t kept = 0;
    for (size_t i = 0; m->body.kind == RW_BODY_S3 && i < m->body.nobjects; i++) {
        rw_body_object *o = &m->body.objects[i];
        if (rw_s3_key_is_digest(o->key)) {
            free(o->bucket);
            free(o->key);
            free(o->region);
        } else {
            m->body.objects[kept++] = *o;
        }
    }
    if (m->body.kind == RW_BODY_S3) m->body.nobjects = kept;
    int rc = RW_OK;
    if (m->body.kind == RW_BODY_S3_TEST || (m->body.kind == RW_BODY_S3 && kept == 0)) {
        const char *what = m->body.kind == RW_BODY_S3_TEST
                               ? "S3's test event (s3:TestEvent)"
                               : "an S3 notification of no new trail file (digests, removals)";
        rw_emit_skip(emit, name, false, what);
        m->settled = true;
        delete_later(s, m->m.id, m->m.receipt);
        free_msg(m);
    } else {
        /* an EventBridge event must hold CloudTrail data; an object in the bucket need not */
        rc = rw_emit_unit(emit, name, m->body.kind != RW_BODY_S3, m, free_msg);
    }
    free(name);
    return rc;
}

static int sqs_enumerate(rw_source *src, rw_emit *emit) {
    sqs_src *s = src->state;
    rw_aws_client *c = new_client(s);
    if (!c) return rw_error_wrap(RW_EINVAL, "%s", s->name);
    /* a stop (shutdown, reload) gives up a long poll still waiting on an idle queue within a
     * second (RW_HTTP_STOP_GRACE_MS), rather than after wait_seconds; an answer that comes within
     * that second is read, and its messages handed back (visible again at once) */
    rw_aws_client_set_stop(c, s->env->stop);
    pthread_mutex_lock(&s->lock);
    read_attributes(s);
    pthread_mutex_unlock(&s->lock);
    if (!s->hb_started && pthread_create(&s->hb, NULL, acker, s) == 0) s->hb_started = true;
    rw_log_info("%s: receiving from %s (wait %d s, up to %d messages, visibility %d s%s)", s->name,
                s->queue_url, s->wait_s, s->max, visibility(s),
                s->redrive == 1   ? ", redrive policy: poison messages go to its dead-letter queue"
                : s->redrive == 0 ? ", no redrive policy: poison messages are deleted"
                                  : "");
    int backoff = 0, failures = 0;
    while (!stopping(s, emit)) {
        rw_sqs_message *v = NULL;
        size_t n = 0;
        if (rw_sqs_receive(c, s->region, s->queue_url, s->max, s->wait_s, s->vis_s, &v, &n) !=
            RW_OK) {
            if (stopping(s, emit)) break; /* the poll given up: not a failure */
            backoff = backoff ? (backoff * 2 > 60 ? 60 : backoff * 2) : 1;
            failures++;
            count(s, "rootwatch_sqs_receive_errors_total",
                  "Receives that failed (after the client's own retries)");
            rw_log_error("%s: cannot receive (%d in a row): %s; trying again in %d s", s->name,
                         failures, rw_error_last(), backoff);
            if (s->env->health) s->env->health(s->env, s->name + 4, rw_error_last());
            nap(s, emit, backoff);
            continue;
        }
        if (failures) rw_log_info("%s: receiving again after %d failures", s->name, failures);
        if (failures && s->env->health) s->env->health(s->env, s->name + 4, NULL);
        backoff = failures = 0;
        size_t i = 0;
        for (; i < n; i++)
            if (take(s, emit, &v[i]) != RW_OK) break; /* stopping: the message was released */
        for (i = i < n ? i + 1 : n; i < n; i++) {     /* not handed over: visible again at once */
            msg tmp = {.s = s, .m = v[i]};
            release(s, &tmp);
        }
        rw_sqs_messages_free(v, n);
    }
    rw_aws_client_free(c);
    return RW_OK;
}

static void sqs_read(rw_source *src, rw_unit *u, void **worker) {
    sqs_src *s = src->state;
    msg *m = rw_unit_data(u);
    m->read = true;
    if (m->body.kind == RW_BODY_ERROR) {
        rw_unit_fail(u, "%s", m->body.error);
        return;
    }
    if (m->body.kind == RW_BODY_EVENTBRIDGE) {
        rw_unit_read_mem(u, m->body.event, m->body.len);
        return;
    }
    /* an S3 notification: each object fetched and read, the visibility kept up meanwhile */
    if (!*worker) *worker = new_client(s);
    if (!*worker) {
        rw_unit_fail(u, "%s", rw_error_last());
        return;
    }
    pthread_mutex_lock(&s->lock);
    m->reading = true;
    m->next = s->reading;
    if (s->reading) s->reading->prev = m;
    s->reading = m;
    pthread_mutex_unlock(&s->lock);
    rw_aws_session *aws = s->env->aws(s->env);
    for (size_t i = 0; i < m->body.nobjects && !rw_unit_stopping(u); i++) {
        rw_body_object *o = &m->body.objects[i];
        if (m->body.nobjects > 1) rw_unit_set_page(u, (int)i + 1);
        rw_http_response resp;
        rw_http_response_init(&resp);
        const char *region = o->region ? o->region : aws && aws->cfg ? aws->cfg->region : NULL;
        if (rw_s3_get(*worker, region, o->bucket, o->key, &resp) != RW_OK)
            rw_unit_fail(u, "s3://%s/%s: %s", o->bucket, o->key, rw_error_last());
        else
            rw_unit_read_mem(u, resp.body.data ? resp.body.data : "", resp.body.len);
        rw_http_response_free(&resp);
    }
    pthread_mutex_lock(&s->lock);
    unlink_reading(s, m);
    pthread_mutex_unlock(&s->lock);
}

static void sqs_worker_free(rw_source *src, void *worker) {
    (void)src;
    rw_aws_client_free(worker);
}

static void sqs_settle(rw_source *src, rw_unit *u, bool ok) {
    sqs_src *s = src->state;
    msg *m = rw_unit_data(u);
    m->settled = true;
    if (ok) { /* read, its alerts stored */
        delete_later(s, m->m.id, m->m.receipt);
        return;
    }
    if (!m->read) { /* stopping: not read; another consumer may take it now */
        release(s, m);
        return;
    }
    count(s, "rootwatch_sqs_failed_total", "Messages that failed (left to be received again)");
    if (m->m.receive_count == 0) /* SQS always says; an emulator might not */
        rw_log_warn("%s: message %s: SQS gave no ApproximateReceiveCount: it cannot be told "
                    "poison; the queue's redrive policy, if any, is what ends its retries",
                    s->name, m->m.id);
    if (m->m.receive_count < s->max_receives) {
        rw_log_warn("%s: message %s failed on receive %ld of at most %d: it will be received "
                    "again after its visibility timeout",
                    s->name, m->m.id, m->m.receive_count, s->max_receives);
        return;
    }
    /* poison: given up, said, counted; deleted only when SQS has no dead-letter queue for it */
    count(s, "rootwatch_sqs_poison_total",
          "Messages given up after max_receives receives (deleted, or left to the dead-letter "
          "queue)");
    const char *why = m->body.kind == RW_BODY_ERROR
                          ? m->body.error
                          : "it could not be read in full or its alerts could not be stored (the "
                            "errors above)";
    pthread_mutex_lock(&s->lock);
    if (s->redrive < 0) read_attributes(s);
    int redrive = s->redrive;
    pthread_mutex_unlock(&s->lock);
    if (redrive == 1) {
        rw_log_error("%s: message %s given up after %ld receives: %s; left for the queue's "
                     "dead-letter queue (its redrive policy)",
                     s->name, m->m.id, m->m.receive_count, why);
    } else if (redrive == 0) {
        rw_log_error("%s: message %s given up after %ld receives: %s; deleted (the queue has no "
                     "redrive policy)",
                     s->name, m->m.id, m->m.receive_count, why);
        delete_later(s, m->m.id, m->m.receipt);
    } else {
        rw_log_error("%s: message %s given up after %ld receives: %s; left in the queue (whether "
                     "it has a dead-letter queue cannot be told: its attributes cannot be read)",
                     s->name, m->m.id, m->m.receive_count, why);
    }
}

static void sqs_close(rw_source *src) {
    sqs_src *s = src->state;
    if (s->hb_started) { /* the deletes still waiting are made first */
        pthread_mutex_lock(&s->lock);
        atomic_store(&s->hb_stop, true);
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->hb, NULL);
    }
    for (size_t i = 0; i < s->ndels; i++) { /* never started: nothing was received */
        free(s->dels[i].id);
        free(s->dels[i].receipt);
    }
    free(s->dels);
    rw_aws_client_free(s->ack);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    free(s->name);
    free(s->queue_url);
    free(s->queue);
    free(s->region);
    free(s);
}

static const rw_source_type sqs_type = {
    .type = "sqs",
    .enumerate = sqs_enumerate,
    .read = sqs_read,
    .worker_free = sqs_worker_free,
    .settle = sqs_settle,
    .close = sqs_close,
};

static int bad(const char *name, const char *opt, const char *what) {
    return rw_error_set(RW_EINVAL, "source %s: option %s: %s", name, opt, what);
}

static int sqs_create(rw_source **out, const char *name, const rw_opt_values *opts,
                      rw_watch_env *env) {
    *out = NULL;
    const char *url = rw_opt_str(opts, "queue_url");
    if (!url || (strncmp(url, "https://", 8) && strncmp(url, "http://", 7)))
        return bad(name, "queue_url", "not an https:// URL of a queue");
    char *queue = rw_sqs_url_name(url);
    if (!queue) return bad(name, "queue_url", "the URL names no queue (.../ACCOUNT/NAME)");
    long wait = rw_opt_int(opts, "wait_seconds"), max = rw_opt_int(opts, "max_messages");
    long vis = rw_opt_int(opts, "visibility_timeout"), recv = rw_opt_int(opts, "max_receives");
    const char *err = wait < 0 || wait > 20 ? "wait_seconds"
                      : max < 1 || max > 10 ? "max_messages"
                      : rw_opt_str(opts, "visibility_timeout") && (vis < 0 || vis > 43200)
                          ? "visibility_timeout"
                      : recv < 1 || recv > 1000 ? "max_receives"
                                                : NULL;
    if (err) {
        free(queue);
        return bad(name, err,
                   !strcmp(err, "wait_seconds")         ? "from 0 to 20 seconds"
                   : !strcmp(err, "max_messages")       ? "from 1 to 10"
                   : !strcmp(err, "visibility_timeout") ? "from 0 to 43200 seconds"
                                                        : "from 1 to 1000");
    }
    sqs_src *s = rw_xcalloc(1, sizeof *s);
    size_t n = strlen(name) + 5;
    s->name = rw_xmalloc(n);
    snprintf(s->name, n, "sqs %s", name);
    s->queue_url = rw_xstrdup(url);
    s->queue = queue;
    const char *region = rw_opt_str(opts, "region");
    s->region = region && *region ? rw_xstrdup(region) : rw_sqs_url_region(url);
    s->wait_s = (int)wait;
    s->max = (int)max;
    s->vis_s = (int)vis;
    s->max_receives = (int)recv;
    s->env = env;
    s->redrive = -1;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    *out = rw_source_new(&sqs_type, s->name, s);
    return RW_OK;
}

const rw_watch_source_type rw_watch_source_sqs = {
    .type = "sqs",
    .summary = "an SQS queue (long polling): EventBridge events, S3 notifications of new trail "
               "files, either wrapped in SNS; a message is deleted once its alerts are stored",
    .opts = sqs_opts,
    .create = sqs_create,
};
