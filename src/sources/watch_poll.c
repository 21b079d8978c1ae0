#include "sources/watch_poll.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define REPEAT_MS (10 * 60 * 1000) /* the same error is said again after this long */

void rw_poll_init(rw_poll_base *b, rw_watch_env *env, const char *name, const char *type) {
    memset(b, 0, sizeof *b);
    b->env = env;
    b->name = rw_xstrdup(name);
    b->type = type;
    pthread_mutex_init(&b->mu, NULL);
    pthread_mutex_init(&b->err_mu, NULL);
}

void rw_poll_free(rw_poll_base *b) {
    rw_store_close(b->store);
    free(b->name);
    free(b->last_error);
    pthread_mutex_destroy(&b->mu);
    pthread_mutex_destroy(&b->err_mu);
}

bool rw_poll_aws(rw_poll_base *b, rw_aws_session **aws) {
    if (!*aws) {
        *aws = b->env->aws(b->env);
        if (!*aws) rw_poll_error(b, "AWS settings: %s", rw_error_last());
    }
    return *aws != NULL;
}

bool rw_poll_stopping(rw_poll_base *b, rw_emit *emit) {
    if (b->env->stop && atomic_load(b->env->stop)) return true;
    return emit && rw_emit_stopping(emit);
}

bool rw_poll_wait(rw_poll_base *b, rw_emit *emit, double seconds) {
    int64_t end = rw_time_now_ms() + (int64_t)(seconds * 1000);
    for (;;) {
        if (rw_poll_stopping(b, emit)) return true;
        int64_t left = end - rw_time_now_ms();
        if (left <= 0) return false;
        if (left > 200) left = 200; /* a stop is seen within a fifth of a second */
        struct timespec ts = {left / 1000, (left % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static rw_store *store(rw_poll_base *b) {
    if (b->store || b->store_tried) return b->store;
    b->store_tried = true;
    if (!b->env->store) {
        rw_log_warn("%s %s: no store: where it stopped is not kept (a restart starts afresh)",
                    b->type, b->name);
        return NULL;
    }
    /* a connection of its own: store.h wants one per thread, and the store the environment
     * holds is the process's (its deliveries, on other threads) */
    if (rw_store_open(&b->store, rw_store_path(b->env->store)) != RW_OK) {
        rw_poll_error(b, "opening the store for its checkpoints: %s", rw_error_last());
        b->store = NULL;
        b->store_tried = false; /* tried again next time */
    }
    return b->store;
}

int rw_poll_checkpoint_get(rw_poll_base *b, const char *key, char **value) {
    *value = NULL;
    rw_store *s = store(b);
    if (!s) return b->env->store ? RW_EIO : RW_OK;
    int rc = rw_store_checkpoint_get(s, key, value);
    if (rc != RW_OK) rw_poll_error(b, "reading its checkpoint: %s", rw_error_last());
    return rc;
}

int rw_poll_checkpoint_set(rw_poll_base *b, const char *key, const char *value) {
    rw_store *s = store(b);
    if (!s) return b->env->store ? RW_EIO : RW_OK;
    int rc = rw_store_checkpoint_set(s, key, value);
    if (rc != RW_OK) rw_poll_error(b, "writing its checkpoint: %s", rw_error_last());
    return rc;
}

void rw_poll_count(rw_poll_base *b, const char *metric, const char *help, double v) {
    if (!b->env->metrics) return;
    rw_metrics_add(b->env->metrics, metric, help, v,
                   (const char *[]){"source", b->name, "type", b->type, NULL});
}

void rw_poll_count_unit(rw_poll_base *b) {
    rw_poll_count(b, "rootwatch_source_units_total",
                  "Units of work (files, objects, messages, "
                  "pages of history) handed to the engine, per source",
                  1);
}

void rw_poll_error(rw_poll_base *b, const char *fmt, ...) {
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rw_poll_count(b, "rootwatch_source_errors_total",
                  "Errors a source met (listing, fetching, reading, checkpoints), per source", 1);
    if (b->env->health) b->env->health(b->env, b->name, msg);
    int64_t now = rw_time_now_ms();
    pthread_mutex_lock(&b->err_mu);
    bool again = b->last_error && !strcmp(b->last_error, msg);
    if (!again || now - b->last_error_ms >= REPEAT_MS) {
        rw_log_error("%s %s: %s%s", b->type, b->name, msg, again ? " (still)" : "");
        free(b->last_error);
        b->last_error = rw_xstrdup(msg);
        b->last_error_ms = now;
    }
    pthread_mutex_unlock(&b->err_mu);
}

void rw_poll_healthy(rw_poll_base *b) {
    if (b->env->health) b->env->health(b->env, b->name, NULL);
}

void rw_poll_recovered(rw_poll_base *b) {
    rw_poll_healthy(b);
    pthread_mutex_lock(&b->err_mu);
    if (b->last_error) {
        rw_log_info("%s %s: working again", b->type, b->name);
        free(b->last_error);
        b->last_error = NULL;
    }
    pthread_mutex_unlock(&b->err_mu);
}

int64_t rw_poll_now(void) {
    return rw_time_now();
}
