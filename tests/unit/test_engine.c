/* Unit tests for src/engine: the engine driven through sources written here, in the test file,
 * which is what adding a source means (nothing in the engine knows them). A memory source whose
 * units are CloudTrail files held in memory; one that fails midway (a unit that cannot be read, one
 * whose bytes break in the middle, and an enumeration that fails after two units); an unordered
 * engine whose units finish and settle out of order. Every unit is settled exactly once, and only
 * after its alerts were handed out. */
#include "rwtest.h"

#include <pthread.h>
#include <time.h>

#include "engine/engine.h"
#include "util/err.h"
#include "util/log.h"

/* ---- a source in memory -------------------------------------------------------------------- */

#define MAX_UNITS 64

typedef struct mem_unit {
    const char *name;
    const char *bytes; /* NULL: the unit cannot be read at all */
    int delay_ms;      /* how long its read takes */
    int cut;           /* > 0: only the first cut bytes are given, then a problem */
} mem_unit;

typedef struct mem_source {
    const mem_unit *units;
    size_t n;
    int fail_after; /* > 0: the enumeration fails after this many units */
    pthread_mutex_t lock;
    /* what happened, in order */
    const char *settled[MAX_UNITS];
    bool settled_ok[MAX_UNITS];
    size_t nsettled;
    size_t alerts_out_at_settle[MAX_UNITS]; /* alerts handed out when the unit settled */
    int reads;
    int worker_states, worker_frees;
    bool closed;
} mem_source;

typedef struct output {
    pthread_mutex_t lock;
    char ids[256][64];
    size_t n;
} output;

static output out;

static int on_alert(void *ctx, const rw_alert *a) {
    output *o = ctx;
    pthread_mutex_lock(&o->lock);
    snprintf(o->ids[o->n++], sizeof o->ids[0], "%s", a->event_id);
    pthread_mutex_unlock(&o->lock);
    return RW_OK;
}

static int mem_enumerate(rw_source *src, rw_emit *emit) {
    mem_source *m = src->state;
    for (size_t i = 0; i < m->n; i++) {
        if (m->fail_after && (int)i == m->fail_after)
            return rw_error_set(RW_EIO, "the listing broke after %zu units", i);
        int rc = rw_emit_unit(emit, m->units[i].name, true, (void *)&m->units[i], NULL);
        if (rc != RW_OK) return rc;
    }
    return RW_OK;
}

static void mem_read(rw_source *src, rw_unit *u, void **worker) {
    mem_source *m = src->state;
    const mem_unit *mu = rw_unit_data(u);
    pthread_mutex_lock(&m->lock);
    m->reads++;
    if (!*worker) {
        *worker = malloc(1); /* per-thread state, freed by worker_free */
        m->worker_states++;
    }
    pthread_mutex_unlock(&m->lock);
    assert_string_equal(rw_unit_name(u), mu->name);
    if (mu->delay_ms) {
        struct timespec ts = {0, mu->delay_ms * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (!mu->bytes) {
        rw_unit_fail(u, "access denied");
        return;
    }
    size_t len = strlen(mu->bytes);
    if (mu->cut > 0 && (size_t)mu->cut < len) {
        rw_unit_read_mem(u, mu->bytes, (size_t)mu->cut); /* the reader finds it cut short */
        rw_unit_problem(u, (uint64_t)mu->cut, "the connection closed after %d bytes", mu->cut);
        return;
    }
    rw_unit_read_mem(u, mu->bytes, len);
}

static void mem_worker_free(rw_source *src, void *worker) {
    mem_source *m = src->state;
    pthread_mutex_lock(&m->lock);
    m->worker_frees++;
    pthread_mutex_unlock(&m->lock);
    free(worker);
}

static void mem_settle(rw_source *src, rw_unit *u, bool ok) {
    mem_source *m = src->state;
    pthread_mutex_lock(&m->lock);
    pthread_mutex_lock(&out.lock);
    m->alerts_out_at_settle[m->nsettled] = out.n;
    pthread_mutex_unlock(&out.lock);
    m->settled_ok[m->nsettled] = ok;
    m->settled[m->nsettled++] = ((const mem_unit *)rw_unit_data(u))->name;
    pthread_mutex_unlock(&m->lock);
}

static void mem_close(rw_source *src) {
    mem_source *m = src->state;
    m->closed = true;
}

static const rw_source_type mem_type = {
    .type = "memory",
    .enumerate = mem_enumerate,
    .read = mem_read,
    .worker_free = mem_worker_free,
    .settle = mem_settle,
    .close = mem_close,
};

/* ---- helpers -------------------------------------------------------------------------------- */

/* A CloudTrail file with one record: root when root, with this eventID. */
static char *trail(const char *id, bool root) {
    char *s = malloc(1024);
    snprintf(s, 1024,
             "{\"Records\":[{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"%s\","
             "\"principalId\":\"1\",\"accountId\":\"111122223333\"},\"eventTime\":"
             "\"2026-11-20T10:00:00Z\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":"
             "\"CreateUser\",\"awsRegion\":\"us-east-1\",\"eventID\":\"%s\",\"eventType\":"
             "\"AwsApiCall\",\"recipientAccountId\":\"111122223333\"}]}",
             root ? "Root" : "IAMUser", id);
    return s;
}

static rw_ruleset *rules;

static int setup(void **state) {
    (void)state;
    rules = rw_ruleset_new();
    assert_int_equal(rw_ruleset_load_builtin(rules), RW_OK);
    rw_ruleset_freeze(rules, 0);
    pthread_mutex_init(&out.lock, NULL);
    rw_log_set_level(RW_LOG_ERROR);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    rw_ruleset_free(rules);
    return 0;
}

static rw_engine *engine(int threads, bool ordered) {
    memset(out.ids, 0, sizeof out.ids);
    out.n = 0;
    rw_engine_opts o = {
        .rules = rules, .threads = threads, .ordered = ordered, .alert = on_alert, .ctx = &out};
    rw_engine *e;
    assert_int_equal(rw_engine_new(&e, &o), RW_OK);
    return e;
}

static mem_source *mem_new(const mem_unit *units, size_t n) {
    mem_source *m = calloc(1, sizeof *m);
    m->units = units;
    m->n = n;
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

/* ---- tests ---------------------------------------------------------------------------------- */

/* An ordered engine: alerts come out in the order of the units, whatever order the threads finish
 * them in; units settle in that order too; a duplicate delivery is handed out once. */
static void test_ordered_units_and_dedup(void **state) {
    (void)state;
    char *t[5] = {trail("a", true), trail("b", true), trail("c", false), trail("d", true),
                  trail("a", true)};
    mem_unit units[] = {{"u0", t[0], 60, 0},
                        {"u1", t[1], 0, 0},
                        {"u2", t[2], 30, 0},
                        {"u3", t[3], 0, 0},
                        {"u4", t[4], 0, 0}};
    for (int threads = 1; threads <= 4; threads *= 2) {
        mem_source *m = mem_new(units, 5);
        rw_engine *e = engine(threads, true);
        rw_engine_run(e, rw_source_new(&mem_type, "memory", m));
        rw_engine_finish(e);
        assert_true(m->closed);
        assert_int_equal(out.n, 3);
        assert_string_equal(out.ids[0], "a");
        assert_string_equal(out.ids[1], "b");
        assert_string_equal(out.ids[2], "d");
        rw_summary *sum = rw_engine_summary(e);
        assert_int_equal(sum->files, 5);
        assert_int_equal(sum->files_trail, 5);
        assert_int_equal(sum->records, 5);
        assert_int_equal(sum->alerts, 3);
        assert_int_equal(sum->duplicates, 1);
        assert_false(rw_engine_failed(e));
        assert_int_equal(m->nsettled, 5);
        static const size_t want_out[] = {1, 2, 2, 3, 3}; /* a settled unit's alerts are out */
        for (size_t i = 0; i < 5; i++) {
            assert_string_equal(m->settled[i], units[i].name);
            assert_true(m->settled_ok[i]);
            assert_int_equal(m->alerts_out_at_settle[i], want_out[i]);
        }
        assert_int_equal(m->worker_states, m->worker_frees);
        rw_engine_free(e);
        free(m);
    }
    for (int i = 0; i < 5; i++) free(t[i]);
}

/* A source that fails midway: a unit that cannot be read, one whose bytes break in the middle,
 * and an enumeration that fails after three units. The problems are counted with their unit; the
 * units before and after are still read; the engine says something went wrong. */
static void test_source_failing_midway(void **state) {
    (void)state;
    char *t[4] = {trail("ok-1", true), trail("cut", true), trail("ok-2", true),
                  trail("never", true)};
    mem_unit units[] = {{"first", t[0], 0, 0},
                        {"denied", NULL, 0, 0},
                        {"broken", t[1], 0, 40},
                        {"last", t[3], 0, 0}};
    mem_source *m = mem_new(units, 4);
    m->fail_after = 3; /* "last" is never emitted */
    rw_engine *e = engine(2, true);
    rw_engine_run(e, rw_source_new(&mem_type, "memory", m));
    mem_unit more[] = {{"after", t[2], 0, 0}}; /* a second source goes on */
    mem_source *m2 = mem_new(more, 1);
    rw_engine_run(e, rw_source_new(&mem_type, "memory 2", m2));
    rw_engine_finish(e);
    assert_true(rw_engine_failed(e));
    assert_int_equal(out.n, 2);
    assert_string_equal(out.ids[0], "ok-1");
    assert_string_equal(out.ids[1], "ok-2");
    rw_summary *sum = rw_engine_summary(e);
    /* first, denied, broken, the failed listing, after: each input counted once */
    assert_int_equal(sum->files, 5);
    assert_int_equal(sum->files_failed, 2); /* the unit that could not be read, the listing */
    assert_int_equal(sum->files_trail + sum->files_empty + sum->files_other + sum->files_digest +
                         sum->files_skipped + sum->files_failed,
                     sum->files);
    assert_true(sum->problems >= 3);
    assert_int_equal(m->nsettled, 3);
    assert_true(m->settled_ok[0]);
    assert_false(m->settled_ok[1]); /* could not be read: the source may deliver it again */
    assert_false(m->settled_ok[2]); /* read with a problem */
    assert_int_equal(m2->nsettled, 1);
    assert_true(m2->settled_ok[0]);
    rw_engine_free(e);
    free(m);
    free(m2);
    for (int i = 0; i < 4; i++) free(t[i]);
}

/* An unordered engine (a queue's): units settle as they finish, out of order; each exactly once,
 * each only after its own alert is out. */
static void test_unordered_settling(void **state) {
    (void)state;
    enum { N = 12 };
    char *t[N];
    mem_unit units[N];
    char names[N][16];
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof id, "id-%d", i);
        snprintf(names[i], sizeof names[i], "u%d", i);
        t[i] = trail(id, true);
        units[i] = (mem_unit){names[i], t[i], i % 3 == 0 ? 80 : 0, 0}; /* some slow ones */
    }
    mem_source *m = mem_new(units, N);
    rw_engine *e = engine(4, false);
    rw_engine_run(e, rw_source_new(&mem_type, "memory", m));
    rw_engine_finish(e);
    assert_int_equal(m->nsettled, N);
    assert_int_equal(out.n, N);
    bool in_order = true, seen[N] = {false};
    for (int i = 0; i < N; i++) {
        int k = atoi(m->settled[i] + 1);
        assert_false(seen[k]); /* once */
        seen[k] = true;
        if (k != i) in_order = false;
        assert_true(m->settled_ok[i]);
        assert_true(m->alerts_out_at_settle[i] >= (size_t)i + 1); /* its alert is out */
        /* and it is among those handed out */
        char id[16];
        snprintf(id, sizeof id, "id-%d", k);
        bool found = false;
        for (size_t j = 0; j < m->alerts_out_at_settle[i]; j++) found |= !strcmp(out.ids[j], id);
        assert_true(found);
    }
    assert_false(in_order); /* the slow ones settled after later fast ones */
    rw_engine_free(e);
    free(m);
    for (int i = 0; i < N; i++) free(t[i]);
}

/* unit_alert: each alert with the unit it was found in, before that unit settles; a failure
 * settles only that unit failed, and the alerts of the other units still come out. */
typedef struct unit_seen {
    pthread_mutex_t lock;
    char pairs[16][64]; /* "unit:eventID" */
    size_t n;
} unit_seen;

static unit_seen seen; /* the engine's ctx is the output's: what unit_alert saw is kept here */

static int on_unit_alert(void *ctx, rw_unit *u, const rw_alert *a) {
    assert_ptr_equal(ctx, &out);
    pthread_mutex_lock(&seen.lock);
    snprintf(seen.pairs[seen.n++], sizeof seen.pairs[0], "%s:%s", rw_unit_name(u), a->event_id);
    pthread_mutex_unlock(&seen.lock);
    if (!strcmp(a->event_id, "x2")) return rw_error_set(RW_EIO, "x2 could not be delivered");
    return RW_OK;
}

static void test_unit_alert_fails_its_unit_only(void **state) {
    (void)state;
    char *t[3] = {trail("x1", true), trail("x2", true), trail("x3", true)};
    mem_unit units[] = {{"u0", t[0], 20, 0}, {"u1", t[1], 0, 0}, {"u2", t[2], 0, 0}};
    for (int threads = 1; threads <= 2; threads++) {
        for (int ordered = 0; ordered <= 1; ordered++) {
            memset(&seen, 0, sizeof seen);
            pthread_mutex_init(&seen.lock, NULL);
            memset(out.ids, 0, sizeof out.ids);
            out.n = 0;
            rw_engine_opts o = {.rules = rules,
                                .threads = threads,
                                .ordered = ordered,
                                .alert = on_alert,
                                .unit_alert = on_unit_alert,
                                .ctx = &out};
            rw_engine *e;
            assert_int_equal(rw_engine_new(&e, &o), RW_OK);
            mem_source *m = mem_new(units, 3);
            rw_engine_run(e, rw_source_new(&mem_type, "memory", m));
            rw_engine_finish(e);
            assert_int_equal(out.n, 3); /* the output goes on */
            assert_int_equal(seen.n, 3);
            assert_int_equal(m->nsettled, 3);
            for (size_t i = 0; i < 3; i++) {
                const char *name = m->settled[i];
                assert_int_equal(m->settled_ok[i], strcmp(name, "u1") != 0);
                char want[16];
                snprintf(want, sizeof want, "%s:x%c", name, name[1] + 1);
                bool found = false;
                for (size_t j = 0; j < seen.n; j++) found |= !strcmp(seen.pairs[j], want);
                assert_true(found);
            }
            assert_true(rw_engine_failed(e));
            rw_engine_free(e);
            free(m);
            pthread_mutex_destroy(&seen.lock);
        }
    }
    for (int i = 0; i < 3; i++) free(t[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordered_units_and_dedup),
        cmocka_unit_test(test_source_failing_midway),
        cmocka_unit_test(test_unordered_settling),
        cmocka_unit_test(test_unit_alert_fails_its_unit_only),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
