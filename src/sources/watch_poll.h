/* What the polled sources of rootwatch watch (s3, lookup-events, dir: in_s3_watch.c,
 * in_lookup_watch.c, in_dir.c) share: waiting in slices of at most a second until a stop, a store
 * connection of their own for checkpoints, errors said once rather than at every poll, and their
 * counters in /metrics.
 *
 * Threads: enumerate() runs on the engine's thread, settle() on the worker that completes a unit
 * (one at a time), read() on any worker. A source's state, its checkpoint connection included, is
 * guarded by mu; nothing that may block for long (rw_emit_unit, a network call) is done while it
 * is held, since settle() needs it for the engine to make room. */
#ifndef RW_SOURCES_WATCH_POLL_H
#define RW_SOURCES_WATCH_POLL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "sources/watch.h"

typedef struct rw_poll_base {
    rw_watch_env *env; /* borrowed */
    char *name;        /* the source's name in the configuration */
    const char *type;  /* "s3", "lookup-events", "dir" (static) */
    pthread_mutex_t mu;
    rw_store *store;  /* the checkpoints' connection: the source's own, on env->store's file */
    bool store_tried; /* opening it was tried (and failed, when store is NULL) */
    pthread_mutex_t err_mu; /* guards the two below (errors come from any thread) */
    char *last_error;       /* the last error logged, and when (ms) */
    int64_t last_error_ms;
} rw_poll_base;

void rw_poll_init(rw_poll_base *b, rw_watch_env *env, const char *name, const char *type);
void rw_poll_free(rw_poll_base *b);

/* The AWS session of a source that calls AWS (env->aws), got at the first poll that can and kept
 * in *aws. True when *aws is set; false when it cannot be had yet: the error is said
 * (rw_poll_error) and the next poll tries again. */
bool rw_poll_aws(rw_poll_base *b, rw_aws_session **aws);

/* Must the source stop (env->stop, the engine stopping)? */
bool rw_poll_stopping(rw_poll_base *b, rw_emit *emit);
/* Waits seconds in slices of at most a second; true when the source must stop. */
bool rw_poll_wait(rw_poll_base *b, rw_emit *emit, double seconds);

/* The checkpoint under key, as rw_store_checkpoint_get, on the source's own connection (opened
 * on first use). Called with mu held. An error is logged and counted (and returned). */
int rw_poll_checkpoint_get(rw_poll_base *b, const char *key, char **value);
int rw_poll_checkpoint_set(rw_poll_base *b, const char *key, const char *value);

/* Adds v to the source's series of a counter ({source=NAME,type=TYPE}). */
void rw_poll_count(rw_poll_base *b, const char *metric, const char *help, double v);
/* A unit handed to the engine: rootwatch_source_units_total. */
void rw_poll_count_unit(rw_poll_base *b);
/* An error of the source (a listing, a fetch, a file, a checkpoint): counted in
 * rootwatch_source_errors_total, and logged, naming the source, unless it is the same message as
 * the last one logged less than ten minutes ago (a bucket that stays missing is said once, then
 * every ten minutes, not at every poll). */
void rw_poll_error(rw_poll_base *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The source works again after an error: said once. */
void rw_poll_recovered(rw_poll_base *b);
/* A poll worked: /healthz is told (env->health), nothing is logged. rw_poll_recovered does it
 * too; rw_poll_error tells /healthz of the error. */
void rw_poll_healthy(rw_poll_base *b);

/* Wall-clock seconds and milliseconds (ROOTWATCH_NOW applies to seconds: util/timeutil.h). */
int64_t rw_poll_now(void);

#endif
