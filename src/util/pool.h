/* A pool of worker threads that runs jobs in parallel and hands them back in the order they were
 * submitted, on the submitting thread: parallel work, deterministic output. */
#ifndef RW_POOL_H
#define RW_POOL_H

#include <stdbool.h>

typedef struct rw_pool_ops {
    void *(*thread_init)(void *arg);  /* per-worker state (may be NULL) */
    void (*thread_fini)(void *state); /* may be NULL */
    void (*work)(void *state, void *job);
    /* On the submitting thread, in submission order. NULL: the job is finished when work returns
     * (work hands its results on itself, in whatever order jobs finish). */
    void (*done)(void *arg, void *job);
    void *arg;
} rw_pool_ops;

typedef struct rw_pool rw_pool;

/* A new pool (ops copied; ops->arg borrowed), freed by rw_pool_finish. Jobs stay the caller's: the
 * pool only passes them to work and done, and never frees one. */
rw_pool *rw_pool_new(int threads, const rw_pool_ops *ops);
/* Queues a job; waits while too many are in flight, handing back finished ones meanwhile. Several
 * threads may submit to a pool without done (each job handed on by work); with done, one thread
 * submits (done is called on it, in order). */
void rw_pool_submit(rw_pool *p, void *job);
/* Would rw_pool_submit wait now (as many jobs in flight as the pool takes)? */
bool rw_pool_full(rw_pool *p);
/* Waits for every job, hands them back, stops the workers and frees the pool. */
void rw_pool_finish(rw_pool *p);

#endif
