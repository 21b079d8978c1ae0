#include "engine/engine.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/format.h"
#include "trail/prefilter.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/pool.h"
#include "util/signals.h"
#include "util/strset.h"
#include "util/xmalloc.h"

/* At most this many problems of one unit are shown; the rest are counted. */
#define MAX_PROBLEMS_PER_UNIT 50

typedef struct problem {
    uint64_t offset; /* RW_UNIT_NO_OFFSET: none */
    int page;        /* the piece the offset is in (0: the unit is not paged) */
    char *msg;
} problem;

typedef struct worker worker;

typedef struct ptrs { /* a growable array of pointers */
    void **p;
    size_t n, cap;
} ptrs;

static void push(ptrs *v, void *x) {
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 4;
        v->p = rw_xrealloc(v->p, v->cap * sizeof *v->p);
    }
    v->p[v->n++] = x;
}

struct rw_unit {
    rw_engine *e;
    rw_source *src;
    size_t src_index;
    char *name;
    bool named;
    void *data;
    void (*free_data)(void *);
    bool skipped; /* not read: the engine was stopping when its turn came */
    char *fail;   /* could not be read at all */
    int page;
    rw_trail_stats st;       /* of every piece */
    rw_trail_kind last_kind; /* of the last piece */
    ptrs alerts;             /* rw_alert *: in the order found */
    ptrs filtered;           /* char *: eventIDs of root activity outside the filters */
    ptrs service;            /* rw_alert *: root events AWS services made (counted, not alerted) */
    uint64_t suppressed;
    problem *probs;
    size_t nprobs, probs_cap;
    uint64_t more_probs;
    worker *w; /* while it is read */
};

struct worker {
    rw_engine *e;
    rw_trail_reader *reader;
    rw_detector *det;
    void **src_state; /* per source: its read() state on this thread */
    size_t nsrc;
};

struct rw_engine {
    rw_engine_opts o;
    rw_prefilter *prefilter;
    rw_pool *pool;
    pthread_mutex_t done_lock; /* one unit completes at a time (unordered engines) */
    rw_summary sum;
    rw_strset seen, seen_filtered, seen_service;
    bool failed;
    int output_rc;
    uint64_t not_read;
    rw_source **sources;
    size_t nsources;
    pthread_mutex_t src_lock; /* sources is read by workers while run() appends */
};

struct rw_emit {
    rw_engine *e;
    rw_source *src;
    size_t index;
};

/* ---- sources ------------------------------------------------------------------------------ */

rw_source *rw_source_new(const rw_source_type *type, const char *name, void *state) {
    rw_source *s = rw_xcalloc(1, sizeof *s);
    s->type = type;
    s->name = rw_xstrdup(name);
    s->state = state;
    return s;
}

void rw_source_free(rw_source *src) {
    if (!src) return;
    if (src->type->close) src->type->close(src);
    free(src->name);
    free(src);
}

/* ---- units, on the worker threads --------------------------------------------------------- */

const char *rw_unit_name(const rw_unit *u) {
    return u->name;
}

void *rw_unit_data(const rw_unit *u) {
    return u->data;
}

const rw_source *rw_unit_source(const rw_unit *u) {
    return u->src;
}

void rw_unit_set_page(rw_unit *u, int page) {
    u->page = page;
}

int rw_unit_kind(const rw_unit *u) {
    return (int)u->last_kind;
}

bool rw_unit_stopping(const rw_unit *u) {
    (void)u;
    return rw_signal_stop_requested() != 0;
}

static void add_problem(rw_unit *u, uint64_t off, const char *msg) {
    if (u->nprobs == MAX_PROBLEMS_PER_UNIT) {
        u->more_probs++;
        return;
    }
    if (u->nprobs == u->probs_cap) {
        u->probs_cap = u->probs_cap ? u->probs_cap * 2 : 8;
        u->probs = rw_xrealloc(u->probs, u->probs_cap * sizeof *u->probs);
    }
    problem *p = &u->probs[u->nprobs++];
    p->offset = off;
    p->page = u->page;
    p->msg = rw_xstrdup(msg);
    rw_format_term_safe(p->msg, strlen(p->msg)); /* it may quote the record */
}

/* A message from a format, as a new string (never NULL). */
static char *vformat(const char *fmt, va_list ap) {
    rw_buf b;
    rw_buf_init(&b, 0);
    if (rw_buf_vprintf(&b, fmt, ap) != RW_OK) {
        rw_buf_reset(&b);
        rw_buf_puts(&b, "(message too long)");
    }
    char *s = rw_buf_take(&b);
    return s ? s : rw_xstrdup("");
}

void rw_unit_problem(rw_unit *u, uint64_t offset, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(fmt, ap);
    va_end(ap);
    add_problem(u, offset, msg);
    free(msg);
}

void rw_unit_fail(rw_unit *u, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    free(u->fail);
    u->fail = vformat(fmt, ap);
    va_end(ap);
    if (!*u->fail) {
        free(u->fail);
        u->fail = rw_xstrdup("cannot be read");
    }
    rw_format_term_safe(u->fail, strlen(u->fail));
}

static void on_problem(void *ctx, uint64_t off, const char *msg) {
    add_problem(ctx, off, msg);
}

static int on_candidate(void *ctx, const rw_trail_record *rec) {
    rw_unit *u = ctx;
    rw_alert *a;
    rw_verdict v = rw_detector_check(u->w->det, rec, u->name, &a, on_problem, u);
    switch (v) {
    case RW_VERDICT_ALERT:
        push(&u->alerts, a);
        break;
    case RW_VERDICT_FILTERED: /* counted once by eventID, as alerts are */
        push(&u->filtered, a->event_id ? rw_xstrdup(a->event_id) : NULL);
        rw_alert_free(a);
        break;
    case RW_VERDICT_SERVICE:
        push(&u->service, a);
        break;
    case RW_VERDICT_SUPPRESSED:
        u->suppressed++;
        break;
    case RW_VERDICT_NONE:
        break;
    }
    return RW_OK;
}

static void add_stats(rw_trail_stats *to, const rw_trail_stats *st) {
    to->bytes_in += st->bytes_in;
    to->bytes_out += st->bytes_out;
    to->records += st->records;
    to->candidates += st->candidates;
    to->other_values += st->other_values;
    to->errors += st->errors;
    if (to->kind == RW_TRAIL_UNKNOWN || to->kind == RW_TRAIL_EMPTY) to->kind = st->kind;
    to->gzip |= st->gzip;
}

/* One piece through the reader; a failure the reader did not report itself (a read error, a
 * limit) is recorded at the byte it stopped at. */
static int read_piece(rw_unit *u, int fd, const void *data, size_t len) {
    rw_trail_sink sink = {u, on_candidate, on_problem};
    rw_trail_stats st;
    int rc = fd >= 0 ? rw_trail_read_fd(u->w->reader, fd, &st, &sink)
                     : rw_trail_read_mem(u->w->reader, data ? data : "", len, &st, &sink);
    if (rc && st.errors == 0) add_problem(u, st.bytes_out, rw_error_last());
    add_stats(&u->st, &st);
    u->last_kind = st.kind;
    return rc;
}

int rw_unit_read_fd(rw_unit *u, int fd) {
    return read_piece(u, fd, NULL, 0);
}

int rw_unit_read_mem(rw_unit *u, const void *data, size_t len) {
    return read_piece(u, -1, data, len);
}

/* ---- the worker threads ------------------------------------------------------------------- */

static void *worker_init(void *arg) {
    rw_engine *e = arg;
    worker *w = rw_xcalloc(1, sizeof *w);
    w->e = e;
    w->reader = rw_trail_reader_new(&e->o.trail);
    w->det = rw_detector_new_rules(&e->o.filter, e->o.rules, e->o.max_depth);
    return w;
}

static void worker_fini(void *state) {
    worker *w = state;
    rw_engine *e = w->e;
    for (size_t i = 0; i < w->nsrc; i++) {
        if (!w->src_state[i]) continue;
        pthread_mutex_lock(&e->src_lock);
        rw_source *src = e->sources[i];
        pthread_mutex_unlock(&e->src_lock);
        if (src->type->worker_free) src->type->worker_free(src, w->src_state[i]);
    }
    free(w->src_state);
    rw_trail_reader_free(w->reader);
    rw_detector_free(w->det);
    free(w);
}

static void complete(rw_engine *e, rw_unit *u);

static void work(void *state, void *job) {
    worker *w = state;
    rw_unit *u = job;
    if (rw_signal_stop_requested()) { /* queued before the stop: left for the next run */
        u->skipped = true;
    } else {
        if (u->src_index >= w->nsrc) {
            size_t n = u->src_index + 1;
            w->src_state = rw_xrealloc(w->src_state, n * sizeof *w->src_state);
            memset(w->src_state + w->nsrc, 0, (n - w->nsrc) * sizeof *w->src_state);
            w->nsrc = n;
        }
        u->w = w;
        u->st.kind = RW_TRAIL_UNKNOWN;
        u->src->type->read(u->src, u, &w->src_state[u->src_index]);
        u->w = NULL;
    }
    if (!w->e->o.ordered) complete(w->e, u);
}

static void done(void *arg, void *job) {
    complete(arg, job);
}

/* ---- completing a unit: report, count, hand out, store, settle ---------------------------- */

static void free_unit(rw_unit *u) {
    for (size_t i = 0; i < u->alerts.n; i++) rw_alert_free(u->alerts.p[i]);
    for (size_t i = 0; i < u->service.n; i++) rw_alert_free(u->service.p[i]);
    for (size_t i = 0; i < u->filtered.n; i++) free(u->filtered.p[i]);
    free(u->alerts.p);
    free(u->service.p);
    free(u->filtered.p);
    for (size_t i = 0; i < u->nprobs; i++) free(u->probs[i].msg);
    free(u->probs);
    free(u->fail);
    if (u->free_data) u->free_data(u->data);
    free(u->name);
    free(u);
}

static const char *shown(const char *name) {
    return strcmp(name, "-") == 0 ? "(standard input)" : name;
}

static void report_problems(rw_engine *e, rw_unit *u) {
    const char *name = shown(u->name);
    const char *where = u->st.gzip ? "decompressed byte" : "byte";
    for (size_t i = 0; i < u->nprobs; i++) {
        const problem *p = &u->probs[i];
        if (p->offset == RW_UNIT_NO_OFFSET)
            rw_log_error("%s: %s", name, p->msg);
        else if (p->page)
            rw_log_error("%s: page %d, %s %llu: %s", name, p->page, where,
                         (unsigned long long)p->offset, p->msg);
        else
            rw_log_error("%s: %s %llu: %s", name, where, (unsigned long long)p->offset, p->msg);
    }
    if (u->more_probs)
        rw_log_error("%s: %llu more problems not shown", name, (unsigned long long)u->more_probs);
    e->sum.problems += u->nprobs + u->more_probs;
}

/* Each input is counted in exactly one category of the summary; a problem in it (reported) makes
 * the engine failed whatever the category. Returns whether the unit was read in full. */
static bool count_unit(rw_engine *e, rw_unit *u) {
    rw_summary *sum = &e->sum;
    const char *name = shown(u->name);
    bool bad = u->nprobs > 0;
    switch (u->st.kind) {
    case RW_TRAIL_EMPTY:
    case RW_TRAIL_UNKNOWN:
        if (bad) { /* damaged before anything in it could be told (a corrupt gzip, say) */
            sum->files_failed++;
            break;
        }
        sum->files_empty++;
        if (u->named) { /* asked for by name: say so; in a folder (a .gitkeep) it is skipped */
            rw_log_error("%s: empty: no data", name);
            sum->problems++;
            bad = true;
        } else if (e->o.verbose) {
            rw_log_info("%s: skipped: empty", name);
        }
        break;
    case RW_TRAIL_DIGEST:
        sum->files_digest++;
        if (e->o.verbose) rw_log_info("%s: skipped: CloudTrail digest file", name);
        break;
    case RW_TRAIL_OTHER:
        sum->files_other++;
        if (u->named && !bad) {
            rw_log_error("%s: not CloudTrail data (no CloudTrail records, EventBridge events or "
                         "LookupEvents response found)",
                         name);
            sum->problems++;
            bad = true;
        } else if (e->o.verbose) {
            rw_log_info("%s: skipped: not CloudTrail data", name);
        }
        break;
    default:
        sum->files_trail++;
        if (bad) sum->files_trail_problems++; /* read, with records or bytes that could not be */
    }
    if (bad) e->failed = true;
    return !bad;
}

static void hand_out(rw_engine *e, rw_unit *u, bool *store_failed) {
    rw_summary *sum = &e->sum;
    const char *where = u->st.gzip ? "decompressed byte" : "byte";
    for (size_t i = 0; i < u->filtered.n; i++) {
        char *id = u->filtered.p[i];
        if (!id || rw_strset_add(&e->seen_filtered, id)) sum->filtered++;
    }
    sum->suppressed += u->suppressed;
    for (size_t i = 0; i < u->service.n; i++) { /* once, however often delivered */
        rw_alert *a = u->service.p[i];
        if (a->event_id && !rw_strset_add(&e->seen_service, a->event_id)) continue;
        rw_format_term_safe(a->invoked_by, strlen(a->invoked_by)); /* it quotes the record */
        rw_summary_add_service(sum, a->invoked_by);
    }
    for (size_t i = 0; i < u->alerts.n; i++) {
        rw_alert *a = u->alerts.p[i];
        if (a->event_id && rw_strset_has(&e->seen, a->event_id)) {
            sum->duplicates++;
            continue;
        }
        bool stored = true;
        if (a->event_id_derived)
            rw_log_warn("%s: %s %llu: root activity, but %s: it is identified as %s (derived from "
                        "the record's content; eventIDDerived is true in the alert)",
                        shown(u->name), where, (unsigned long long)a->offset, a->event_id_derived,
                        a->event_id);
        rw_summary_add_alert(sum, a);
        if (e->o.alert && !e->output_rc) e->output_rc = e->o.alert(e->o.ctx, a);
        if (e->o.dispatch) {
            bool added;
            if (rw_dispatch_alert(e->o.dispatch, a, &added) != RW_OK) {
                rw_log_error("%s", rw_error_last());
                stored = false;
            }
        }
        if (e->o.unit_alert && e->o.unit_alert(e->o.ctx, u, a) != RW_OK) {
            rw_log_error("%s: %s", shown(u->name), rw_error_last());
            stored = false;
        }
        /* seen once stored: an alert whose store failed is taken again when its unit comes back
         * (a queue's message received again), not passed over as a duplicate */
        if (stored && a->event_id) rw_strset_add(&e->seen, a->event_id);
        if (!stored) *store_failed = true;
    }
}

static void complete(rw_engine *e, rw_unit *u) {
    pthread_mutex_lock(&e->done_lock);
    bool ok = false;
    if (u->skipped) {
        e->not_read++;
    } else if (u->fail) {
        e->sum.files++;
        rw_log_error("%s: %s", shown(u->name), u->fail);
        e->sum.files_failed++;
        e->sum.problems++;
        e->failed = true;
    } else {
        e->sum.files++;
        e->sum.bytes_in += u->st.bytes_in;
        e->sum.bytes_out += u->st.bytes_out;
        e->sum.records += u->st.records;
        e->sum.candidates += u->st.candidates;
        bool store_failed = false;
        hand_out(e, u, &store_failed);
        report_problems(e, u);
        ok = count_unit(e, u) && !store_failed;
        if (store_failed) e->failed = true;
    }
    if (!u->skipped && e->o.unit_done)
        e->o.unit_done(e->o.ctx, u->src, u->fail ? 0 : u->st.records, u->fail != NULL, ok);
    /* the alerts are out and stored: only now may the source acknowledge the unit */
    if (u->src->type->settle) u->src->type->settle(u->src, u, ok);
    pthread_mutex_unlock(&e->done_lock);
    free_unit(u);
}

/* ---- enumeration, on the engine's thread -------------------------------------------------- */

int rw_emit_unit(rw_emit *em, const char *name, bool named, void *data, void (*free_data)(void *)) {
    rw_engine *e = em->e;
    if (rw_signal_stop_requested()) {
        pthread_mutex_lock(&e->done_lock); /* sources may run on several threads */
        e->not_read++;
        pthread_mutex_unlock(&e->done_lock);
        if (free_data) free_data(data); /* the engine owns data from the call on */
        return rw_error_set(RW_ECANCELED, "stopped by %s",
                            rw_signal_name(rw_signal_stop_requested()));
    }
    rw_unit *u = rw_xcalloc(1, sizeof *u);
    u->e = e;
    u->src = em->src;
    u->src_index = em->index;
    u->name = rw_xstrdup(name);
    u->named = named;
    u->data = data;
    u->free_data = free_data;
    bool full = rw_pool_full(e->pool);
    if (full && em->src->type->pause) em->src->type->pause(em->src);
    rw_pool_submit(e->pool, u);
    if (full && em->src->type->resume) em->src->type->resume(em->src);
    return RW_OK;
}

void rw_emit_error(rw_emit *em, const char *name, const char *fmt, ...) {
    rw_engine *e = em->e;
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&e->done_lock);
    rw_log_error("%s: %s", shown(name), msg);
    e->sum.files++;
    e->sum.files_failed++;
    e->sum.problems++;
    e->failed = true;
    pthread_mutex_unlock(&e->done_lock);
    free(msg);
}

void rw_emit_skip(rw_emit *em, const char *name, bool digest, const char *what) {
    rw_engine *e = em->e;
    pthread_mutex_lock(&e->done_lock);
    if (e->o.verbose) rw_log_info("%s: skipped: %s", shown(name), what);
    e->sum.files++;
    if (digest)
        e->sum.files_digest++;
    else
        e->sum.files_skipped++;
    pthread_mutex_unlock(&e->done_lock);
}

bool rw_emit_stopping(const rw_emit *em) {
    (void)em;
    return rw_signal_stop_requested() != 0;
}

/* ---- the engine --------------------------------------------------------------------------- */

int rw_engine_new(rw_engine **out, const rw_engine_opts *opts) {
    rw_engine *e = rw_xcalloc(1, sizeof *e);
    e->o = *opts;
    const char *const *lits;
    size_t nlits;
    /* without literals (a rule that can match anything) every record is parsed */
    if (rw_ruleset_literals(e->o.rules, &lits, &nlits))
        e->prefilter = rw_prefilter_new((const char **)lits, nlits);
    e->o.trail.prefilter = e->prefilter;
    pthread_mutex_init(&e->done_lock, NULL);
    pthread_mutex_init(&e->src_lock, NULL);
    rw_pool_ops ops = {worker_init, worker_fini, work, opts->ordered ? done : NULL, e};
    e->pool = rw_pool_new(opts->threads, &ops);
    *out = e;
    return RW_OK;
}

void rw_engine_run(rw_engine *e, rw_source *src) {
    pthread_mutex_lock(&e->src_lock);
    e->sources = rw_xrealloc(e->sources, (e->nsources + 1) * sizeof *e->sources);
    size_t index = e->nsources;
    e->sources[e->nsources++] = src;
    pthread_mutex_unlock(&e->src_lock);
    rw_emit em = {e, src, index};
    int rc = src->type->enumerate(src, &em);
    if (rc != RW_OK && rc != RW_ECANCELED && !rw_signal_stop_requested())
        rw_emit_error(&em, src->name, "%s", rw_error_last());
}

void rw_engine_finish(rw_engine *e) {
    if (!e->pool) return;
    rw_pool_finish(e->pool);
    e->pool = NULL;
    for (size_t i = 0; i < e->nsources; i++) rw_source_free(e->sources[i]);
    free(e->sources);
    e->sources = NULL;
    e->nsources = 0;
}

rw_summary *rw_engine_summary(rw_engine *e) {
    return &e->sum;
}

bool rw_engine_failed(const rw_engine *e) {
    return e->failed;
}

uint64_t rw_engine_not_read(const rw_engine *e) {
    return e->not_read;
}

int rw_engine_output_error(const rw_engine *e) {
    return e->output_rc;
}

void rw_engine_free(rw_engine *e) {
    if (!e) return;
    rw_engine_finish(e);
    rw_prefilter_free(e->prefilter);
    rw_strset_free(&e->seen);
    rw_strset_free(&e->seen_filtered);
    rw_strset_free(&e->seen_service);
    rw_summary_free(&e->sum);
    pthread_mutex_destroy(&e->done_lock);
    pthread_mutex_destroy(&e->src_lock);
    free(e);
}
