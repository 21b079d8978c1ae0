/* Unit tests for src/util/metrics.c: counters, gauges, histograms, label escaping, the order of
 * rendering, kind conflicts, and counting from many threads at once. */
#include "rwtest.h"

#include <pthread.h>

#include "util/buf.h"
#include "util/metrics.h"

static char *render(rw_metrics *m) {
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_metrics_render(m, &b);
    return rw_buf_take(&b);
}

static void test_counter_and_gauge(void **state) {
    (void)state;
    rw_metrics *m = rw_metrics_new();
    const char *sqs[] = {"source", "trail-queue", "type", "sqs", NULL};
    const char *dir[] = {"source", "exports", "type", "dir", NULL};
    rw_metrics_add(m, "rootwatch_source_units_total", "Units read, per source", 1, sqs);
    rw_metrics_add(m, "rootwatch_source_units_total", "ignored: the first help stays", 2, sqs);
    rw_metrics_add(m, "rootwatch_source_units_total", NULL, 5, dir);
    rw_metrics_set(m, "rootwatch_up", "Is it up", 1, NULL);
    rw_metrics_set(m, "rootwatch_up", NULL, 0.25, NULL);
    rw_metrics_add(m, "rootwatch_source_units_total", NULL, -1, dir); /* ignored */
    assert_true(rw_metrics_get(m, "rootwatch_source_units_total", sqs) == 3);
    assert_true(rw_metrics_get(m, "rootwatch_source_units_total", dir) == 5);
    assert_true(rw_metrics_get(m, "rootwatch_up", NULL) == 0.25);
    assert_true(rw_metrics_get(m, "rootwatch_nothing", NULL) == 0);
    assert_true(rw_metrics_get(m, "rootwatch_source_units_total", NULL) == 0); /* no such series */
    /* the same labels in another order are the same series */
    const char *swapped[] = {"type", "sqs", "source", "trail-queue", NULL};
    rw_metrics_add(m, "rootwatch_source_units_total", NULL, 10, swapped);
    assert_true(rw_metrics_get(m, "rootwatch_source_units_total", sqs) == 13);

    char *text = render(m);
    assert_string_equal(text,
                        "# HELP rootwatch_source_units_total Units read, per source\n"
                        "# TYPE rootwatch_source_units_total counter\n"
                        "rootwatch_source_units_total{source=\"trail-queue\",type=\"sqs\"} 13\n"
                        "rootwatch_source_units_total{source=\"exports\",type=\"dir\"} 5\n"
                        "# HELP rootwatch_up Is it up\n"
                        "# TYPE rootwatch_up gauge\n"
                        "rootwatch_up 0.25\n");
    free(text);
    rw_metrics_free(m);
    rw_metrics_free(NULL);
}

static void test_escaping(void **state) {
    (void)state;
    rw_metrics *m = rw_metrics_new();
    const char *l[] = {"path", "C:\\dir \"x\"\nnext", NULL};
    rw_metrics_add(m, "rw_files_total", "Files\\read\nper \"path\"", 1, l);
    rw_metrics_set(m, "bad-name.x", NULL, 2, (const char *[]){"a-b", "v", NULL});
    rw_metrics_set(m, "big", NULL, 1e20, NULL);
    rw_metrics_set(m, "neg", NULL, -3, NULL);
    rw_metrics_set(m, "frac", NULL, 1.5e-7, NULL);
    char *text = render(m);
    /* label values: backslash, quote and line feed escaped; help: backslash and line feed only */
    assert_contains(text, "# HELP rw_files_total Files\\\\read\\nper \"path\"\n");
    assert_contains(text, "rw_files_total{path=\"C:\\\\dir \\\"x\\\"\\nnext\"} 1\n");
    /* names are made valid */
    assert_contains(text, "# TYPE bad_name_x gauge\nbad_name_x{a_b=\"v\"} 2\n");
    assert_contains(text, "big 1e+20\n");
    assert_contains(text, "neg -3\n");
    assert_contains(text, "frac 1.4999999999999999e-07\n");
    /* no raw line feed inside a line: every line starts with a name or # */
    for (char *line = text; *line; line = strchr(line, '\n') + 1)
        assert_true(line[0] == '#' || (line[0] >= 'a' && line[0] <= 'z'));
    free(text);
    rw_metrics_free(m);
}

static void test_histogram(void **state) {
    (void)state;
    rw_metrics *m = rw_metrics_new();
    const char *l[] = {"source", "q", NULL};
    double obs[] = {0.05, 0.1, 0.7, 3, 3, 45, 1000, 5000};
    double sum = 0;
    for (size_t i = 0; i < sizeof obs / sizeof obs[0]; i++) {
        rw_metrics_observe(m, "rootwatch_alert_lag_seconds", "Event to alert", obs[i], l);
        sum += obs[i];
    }
    assert_true(rw_metrics_get(m, "rootwatch_alert_lag_seconds", l) == 8); /* the count */
    char *text = render(m);
    char want[4096];
    snprintf(want, sizeof want,
             "# HELP rootwatch_alert_lag_seconds Event to alert\n"
             "# TYPE rootwatch_alert_lag_seconds histogram\n"
             "rootwatch_alert_lag_seconds_bucket{source=\"q\",le=\"0.1\"} 2\n"
             "rootwatch_alert_lag_seconds_bucket{source=\"q\",le=\"0.5\"} 2\n"
             "rootwatch_alert_lag_seconds_bucket{source=\"q\",le=\"1\"} 3\n"
             "rootwatch_alert_lag_seconds_bucket{source=\"q\",le=\"2\"} 3\n"
             "rootwatch_alert_lag_seconds_bucket{source=\"q\",le=\"5\"} 5\n"
             "rootwatch_alert_lag_seconds_bucket{source=\"q\",le=\"10\"} 5\n"
             "rootwatch_alert_lag_seconds_bucket{source=\"q\",le=\"30\"} 5\n"
             "rootwatch_alert_lag_seconds_bucket{source=\"q\",le=\"60\"} 6\n"
             "rootwatch_alert_lag_seconds_bucket{source=\"q\",le=\"300\"} 6\n"
             "rootwatch_alert_lag_seconds_bucket{source=\"q\",le=\"900\"} 6\n"
             "rootwatch_alert_lag_seconds_bucket{source=\"q\",le=\"3600\"} 7\n"
             "rootwatch_alert_lag_seconds_bucket{source=\"q\",le=\"+Inf\"} 8\n"
             "rootwatch_alert_lag_seconds_sum{source=\"q\"} %.17g\n"
             "rootwatch_alert_lag_seconds_count{source=\"q\"} 8\n",
             sum);
    assert_string_equal(text, want);
    free(text);

    /* no labels: le is the only one */
    rw_metrics_observe(m, "plain_seconds", NULL, 2, NULL);
    text = render(m);
    assert_contains(text, "# TYPE plain_seconds histogram\nplain_seconds_bucket{le=\"0.1\"} 0\n");
    assert_contains(text, "plain_seconds_bucket{le=\"2\"} 1\n");
    assert_contains(text, "plain_seconds_sum 2\nplain_seconds_count 1\n");
    assert_not_contains(text, "# HELP plain_seconds");
    free(text);
    rw_metrics_free(m);
}

static void test_kind_conflict_and_order(void **state) {
    (void)state;
    rw_metrics *m = rw_metrics_new();
    rw_metrics_set(m, "zeta", "first", 1, NULL);
    rw_metrics_add(m, "alpha", "second", 1, NULL);
    rw_metrics_add(m, "zeta", "a counter now?", 5, NULL); /* zeta stays a gauge: ignored */
    rw_metrics_observe(m, "alpha", NULL, 1, NULL);        /* ignored */
    assert_true(rw_metrics_get(m, "zeta", NULL) == 1);
    assert_true(rw_metrics_get(m, "alpha", NULL) == 1);
    char *text = render(m);
    assert_string_equal(text, "# HELP zeta first\n# TYPE zeta gauge\nzeta 1\n"
                              "# HELP alpha second\n# TYPE alpha counter\nalpha 1\n");
    free(text);
    rw_metrics_free(m);
}

#define THREADS 8
#define ADDS 20000

static void *adder(void *arg) {
    rw_metrics *m = arg;
    char src[16];
    for (int i = 0; i < ADDS; i++) {
        snprintf(src, sizeof src, "s%d", i % 4);
        rw_metrics_add(m, "units_total", "Units", 1, (const char *[]){"source", src, NULL});
        rw_metrics_observe(m, "lag_seconds", "Lag", (double)(i % 10), NULL);
        if (i % 1000 == 0) {
            char *t = render(m);
            free(t);
        }
    }
    return NULL;
}

static void test_threads(void **state) {
    (void)state;
    rw_metrics *m = rw_metrics_new();
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&t[i], NULL, adder, m), 0);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    double total = 0;
    for (int s = 0; s < 4; s++) {
        char src[16];
        snprintf(src, sizeof src, "s%d", s);
        double v = rw_metrics_get(m, "units_total", (const char *[]){"source", src, NULL});
        assert_true(v == THREADS * ADDS / 4);
        total += v;
    }
    assert_true(total == THREADS * ADDS);
    assert_true(rw_metrics_get(m, "lag_seconds", NULL) == THREADS * ADDS);
    char *text = render(m);
    char want[128];
    snprintf(want, sizeof want, "lag_seconds_count %d\n", THREADS * ADDS);
    assert_contains(text, want);
    /* 0,1,2 of every 10 are <= 2; 0..5 are <= 5 */
    snprintf(want, sizeof want, "lag_seconds_bucket{le=\"2\"} %d\n", THREADS * ADDS * 3 / 10);
    assert_contains(text, want);
    snprintf(want, sizeof want, "lag_seconds_bucket{le=\"5\"} %d\n", THREADS * ADDS * 6 / 10);
    assert_contains(text, want);
    free(text);
    rw_metrics_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_and_gauge), cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_histogram),         cmocka_unit_test(test_kind_conflict_and_order),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
