/* The detection engine every command drives: units of work from sources (engine/source.h) go
 * through the trail reader and the rules on worker threads; their alerts come out deduplicated (by
 * eventID, across every source) to the caller's output and to the store and delivery engine; then
 * the source is told the unit is settled, which is only once its alerts are stored.
 *
 *   rw_engine *e;
 *   rw_engine_new(&e, &opts);
 *   rw_engine_run(e, source);      // as many sources as there are, one after the other
 *   rw_engine_finish(e);           // waits for the last unit to settle
 *   ... rw_engine_summary(e), rw_engine_failed(e) ...
 *   rw_engine_free(e);
 *
 * Ordered engines (scan) hand alerts out in the order the units were emitted, whatever the number
 * of threads, so output is identical for any -j; unordered ones (queues) settle each unit as soon
 * as it is read, so one slow unit holds back no other. */
#ifndef RW_ENGINE_H
#define RW_ENGINE_H

#include <stdbool.h>

#include "engine/source.h"
#include "notify/dispatch.h"
#include "report/summary.h"
#include "rules/alert.h"
#include "rules/detect.h"
#include "rules/ruleset.h"
#include "trail/reader.h"

typedef struct rw_engine rw_engine;

typedef struct rw_engine_opts {
    const rw_ruleset *rules; /* the rules (borrowed; frozen) */
    rw_filter filter;        /* --since, --account, ... (borrowed lists) */
    rw_trail_opts trail;     /* the reader's limits; its prefilter is made from the rules */
    size_t max_depth;        /* JSON nesting accepted in a record (0: the parser's default) */
    int threads;             /* worker threads (< 1: one) */
    bool ordered;            /* alerts and settling in the order units were emitted */
    bool verbose;            /* say what is skipped */
    /* Each new alert, once, in order: the command's output. May be NULL. a is borrowed for the
     * call only (the engine frees it once its unit is settled): copy what must outlive it. A
     * non-zero return is remembered (rw_engine_output_error) and no more alerts are given to it. */
    int (*alert)(void *ctx, const rw_alert *a);
    void *ctx;
    /* Where alerts are stored and delivered from (borrowed), or NULL. */
    rw_dispatch *dispatch;
    /* For commands that answer for each unit (rootwatch lambda: an SQS batch's
     * batchItemFailures): each new alert with the unit it was found in, after alert and the
     * dispatch, before that unit is settled, on the thread that completes it. A non-zero return
     * (the message set) is logged and settles that unit as failed; the other units go on. May be
     * NULL. */
    int (*unit_alert)(void *ctx, rw_unit *u, const rw_alert *a);
    /* Each unit read (not one handed back unread at a stop), once, just before it is settled:
     * its source, the records read in it (CloudTrail records, events), whether it could not be
     * read at all (failed), and whether it settles ok. rootwatch watch counts them per source for
     * /metrics. On the thread that completes the unit. May be NULL. */
    void (*unit_done)(void *ctx, const rw_source *src, uint64_t records, bool failed, bool ok);
} rw_engine_opts;

/* A new engine with its worker threads, which the caller frees with rw_engine_free. opts is copied;
 * what it points to (rules, filter lists, ctx, dispatch) is borrowed and must outlive the engine.
 * RW_OK, or an error code with the message set. */
int rw_engine_new(rw_engine **out, const rw_engine_opts *opts);
/* Enumerates a source's units into the engine (blocking while the engine is full) and returns
 * when the source has no more; its units may still be in hand. An unordered engine may run several
 * sources at once, each on a thread of its own (rootwatch watch); an ordered one, one at a time.
 * The engine takes src: it closes and frees it (rw_source_free) in rw_engine_finish (or
 * rw_engine_free); the caller must not. */
void rw_engine_run(rw_engine *e, rw_source *src);
/* Waits until every unit is settled, stops the threads and closes the sources. */
void rw_engine_finish(rw_engine *e);
/* What was read and found: the engine's own (not to be freed), valid until rw_engine_free;
 * seconds is set by the caller. */
rw_summary *rw_engine_summary(rw_engine *e);
/* Did anything go wrong: a unit or a source that could not be read, a problem in a record, an
 * alert that could not be stored? (The exit status 2 of scan.) */
bool rw_engine_failed(const rw_engine *e);
/* Units not read because a stop was asked for (SIGINT, SIGTERM). */
uint64_t rw_engine_not_read(const rw_engine *e);
/* The first error the alert callback returned (0: none). */
int rw_engine_output_error(const rw_engine *e);
/* Finishes (rw_engine_finish) if not done yet, then frees the engine and its summary. NULL is
 * ignored. */
void rw_engine_free(rw_engine *e);

#endif
