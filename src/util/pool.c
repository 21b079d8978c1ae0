#include "util/pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/xmalloc.h"

enum { SLOT_QUEUED, SLOT_DONE };

typedef struct slot {
    void *job;
    int state;
} slot;

struct rw_pool {
    rw_pool_ops ops;
    int nthreads;
    pthread_t *threads;
    slot *ring;
    size_t cap;
    size_t head, next, tail; /* handed back < head <= running < next <= queued < tail */
    bool closing;
    int waiting; /* submitting threads asleep on done_cv: wake them only then */
    int idle;    /* workers asleep on work_cv */
    pthread_mutex_t mu;
    pthread_cond_t work_cv, done_cv;
};

static void *worker(void *arg) {
    rw_pool *p = arg;
    void *state = p->ops.thread_init ? p->ops.thread_init(p->ops.arg) : NULL;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (p->next < p->tail) {
            slot *s = &p->ring[p->next++ % p->cap];
            pthread_mutex_unlock(&p->mu);
            p->ops.work(state, s->job); /* without ops.done, the job may be gone after this */
            pthread_mutex_lock(&p->mu);
            s->state = SLOT_DONE;
            /* the submitting thread needs the job at the head (handing back is in order) */
            /* every submitter (an unordered pool may have several: rootwatch watch's sources) */
            if (p->waiting && &p->ring[p->head % p->cap] == s) pthread_cond_broadcast(&p->done_cv);
            continue;
        }
        if (p->closing) break;
        p->idle++;
        pthread_cond_wait(&p->work_cv, &p->mu);
        p->idle--;
    }
    pthread_mutex_unlock(&p->mu);
    if (p->ops.thread_fini) p->ops.thread_fini(state);
    return NULL;
}

rw_pool *rw_pool_new(int threads, const rw_pool_ops *ops) {
    rw_pool *p = rw_xcalloc(1, sizeof *p);
    p->ops = *ops;
    p->nthreads = threads < 1 ? 1 : threads;
    p->cap = (size_t)p->nthreads * 4;
    p->ring = rw_xcalloc(p->cap, sizeof *p->ring);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    p->threads = rw_xcalloc((size_t)p->nthreads, sizeof *p->threads);
    for (int i = 0; i < p->nthreads; i++)
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
            fprintf(stderr, "rootwatch: cannot start a thread\n");
            abort();
        }
    return p;
}

/* Hands back finished jobs at the head; called with the lock held. */
static void drain(rw_pool *p) {
    while (p->head < p->next && p->ring[p->head % p->cap].state == SLOT_DONE) {
        void *job = p->ring[p->head % p->cap].job;
        p->head++;
        if (!p->ops.done) continue; /* the worker handed it on */
        pthread_mutex_unlock(&p->mu);
        p->ops.done(p->ops.arg, job);
        pthread_mutex_lock(&p->mu);
    }
}

void rw_pool_submit(rw_pool *p, void *job) {
    pthread_mutex_lock(&p->mu);
    drain(p);
    while (p->tail - p->head == p->cap) {
        p->waiting++;
        pthread_cond_wait(&p->done_cv, &p->mu);
        p->waiting--;
        drain(p);
    }
    slot *s = &p->ring[p->tail++ % p->cap];
    s->job = job;
    s->state = SLOT_QUEUED;
    if (p->idle) pthread_cond_signal(&p->work_cv); /* a worker sleeps: give it the job */
    pthread_mutex_unlock(&p->mu);
}

bool rw_pool_full(rw_pool *p) {
    pthread_mutex_lock(&p->mu);
    bool full = p->tail - p->head == p->cap;
    pthread_mutex_unlock(&p->mu);
    return full;
}

void rw_pool_finish(rw_pool *p) {
    pthread_mutex_lock(&p->mu);
    p->closing = true;
    pthread_cond_broadcast(&p->work_cv);
    for (;;) {
        drain(p);
        if (p->head == p->tail) break;
        p->waiting++;
        pthread_cond_wait(&p->done_cv, &p->mu);
        p->waiting--;
    }
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work_cv);
    pthread_cond_destroy(&p->done_cv);
    free(p->threads);
    free(p->ring);
    free(p);
}
