/* Unit test of a polled watch source driven by a real engine (issue 13): the dir source
 * (sources/in_dir.c, sources/watch_poll.c) made through the registry and its option table, as
 * rootwatch watch makes it, run on a thread until its environment's stop is set. What it counts in
 * the environment's metrics, and that a second source on the same store goes on from the
 * checkpoints: it reads only the file that is new. */
#include "rwtest.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "notify/notify.h"
#include "rules/ruleset.h"
#include "sources/watch.h"
#include "store/store.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/metrics.h"

static char tmpdir[256];
static rw_ruleset *rules;

typedef struct seen {
    pthread_mutex_t lock;
    char ids[32][64];
    int n;
} seen;

static int on_alert(void *ctx, const rw_alert *a) {
    seen *s = ctx;
    pthread_mutex_lock(&s->lock);
    if (s->n < 32) snprintf(s->ids[s->n++], sizeof s->ids[0], "%s", a->event_id);
    pthread_mutex_unlock(&s->lock);
    return RW_OK;
}

static int count_of(seen *s, const char *id) {
    int c = 0;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->n; i++) c += !strcmp(s->ids[i], id);
    pthread_mutex_unlock(&s->lock);
    return c;
}

static void write_file(const char *dir, const char *name, const char *event_id, bool root) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"Records\":[{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"%s\","
            "\"principalId\":\"111122223333\",\"arn\":\"arn:aws:iam::111122223333:root\","
            "\"accountId\":\"111122223333\",\"accessKeyId\":\"AKIAIOSFODNN7EXAMPLE\"},"
            "\"eventTime\":\"2026-11-20T10:00:00Z\",\"eventSource\":\"iam.amazonaws.com\","
            "\"eventName\":\"CreateUser\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":"
            "\"203.0.113.7\",\"userAgent\":\"cli\",\"requestParameters\":null,"
            "\"responseElements\":null,\"eventID\":\"%s\",\"readOnly\":false,\"eventType\":"
            "\"AwsApiCall\",\"recipientAccountId\":\"111122223333\"}]}",
            root ? "Root" : "IAMUser", event_id);
    fclose(f);
}

typedef struct run {
    rw_engine *engine;
    rw_source *src;
    seen out;
    atomic_bool stop;
    rw_watch_env env;
    rw_metrics *metrics;
    rw_store *store;
    pthread_t thread;
} run;

static rw_aws_session *no_aws(rw_watch_env *env) {
    (void)env;
    rw_error_set(RW_EINVAL, "no AWS here");
    return NULL;
}

static void *run_source(void *arg) {
    run *r = arg;
    rw_engine_run(r->engine, r->src); /* until stop is set */
    return NULL;
}

static void start(run *r, const char *folder, const char *store_path) {
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->out.lock, NULL);
    r->metrics = rw_metrics_new();
    assert_int_equal(rw_store_open(&r->store, store_path), RW_OK);
    r->env =
        (rw_watch_env){.aws = no_aws, .store = r->store, .metrics = r->metrics, .stop = &r->stop};
    const rw_watch_source_type *t = rw_watch_source_type_find("dir");
    assert_non_null(t);
    char json[600];
    snprintf(json, sizeof json, "{\"path\":\"%s\",\"rescan\":60}", folder);
    rw_json_doc *doc = rw_json_doc_new(NULL);
    assert_int_equal(rw_json_doc_parse(doc, json, strlen(json)), RW_OK);
    char *err = NULL;
    rw_opt_values *v =
        rw_opt_values_parse(t->opts, "source", "dir", rw_json_doc_root(doc), "exports", &err);
    if (!v) fail_msg("options: %s", err);
    rw_json_doc_free(doc);
    if (t->create(&r->src, "exports", v, &r->env) != RW_OK) fail_msg("%s", rw_error_last());
    rw_opt_values_free(v); /* the dir source keeps nothing of its options */
    rw_engine_opts o = {.rules = rules, .threads = 2, .alert = on_alert, .ctx = &r->out};
    assert_int_equal(rw_engine_new(&r->engine, &o), RW_OK);
    assert_int_equal(pthread_create(&r->thread, NULL, run_source, r), 0);
}

static void stop(run *r) {
    atomic_store(&r->stop, true);
    pthread_join(r->thread, NULL);
    rw_engine_finish(r->engine);
}

static void finish(run *r) {
    rw_engine_free(r->engine);
    rw_store_close(r->store);
    rw_metrics_free(r->metrics);
    pthread_mutex_destroy(&r->out.lock);
}

static const char *const labels[] = {"source", "exports", "type", "dir", NULL};

static void wait_for(seen *s, const char *id) {
    for (int i = 0; i < 200; i++) {
        if (count_of(s, id)) return;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    fail_msg("%s was not alerted within 10 s", id);
}

static void test_dir_counts_and_resumes(void **state) {
    (void)state;
    char folder[300], store_path[300];
    snprintf(folder, sizeof folder, "%s/in", tmpdir);
    snprintf(store_path, sizeof store_path, "%s/store.db", tmpdir);
    assert_int_equal(mkdir(folder, 0700), 0);
    write_file(folder, "a.json", "root-a", true);
    write_file(folder, "b.json", "user-b", false);
    char broken[512]; /* a damaged gzip: counted as an error, no checkpoint row */
    snprintf(broken, sizeof broken, "%s/broken.json.gz", folder);
    FILE *f = fopen(broken, "w");
    assert_non_null(f);
    fputs("\x1f\x8b\x08 not gzip", f);
    fclose(f);

    run r1;
    start(&r1, folder, store_path);
    wait_for(&r1.out, "root-a");
    write_file(folder, "c.json", "root-c", true); /* inotify */
    wait_for(&r1.out, "root-c");
    stop(&r1);
    assert_int_equal(rw_engine_summary(r1.engine)->files, 4);
    assert_true(rw_metrics_get(r1.metrics, "rootwatch_source_units_total", labels) == 4);
    assert_true(rw_metrics_get(r1.metrics, "rootwatch_source_polls_total", labels) >= 1);
    assert_true(rw_metrics_get(r1.metrics, "rootwatch_source_errors_total", labels) >= 1);
    assert_int_equal(count_of(&r1.out, "user-b"), 0);
    /* what it wrote: one checkpoint row per file read */
    char *v = NULL, key[600];
    snprintf(key, sizeof key, "dir:exports:%s/a.json", folder);
    assert_int_equal(rw_store_checkpoint_get(r1.store, key, &v), RW_OK);
    assert_non_null(v);
    free(v);
    snprintf(key, sizeof key, "dir:exports:%s", broken);
    assert_int_equal(rw_store_checkpoint_get(r1.store, key, &v), RW_OK);
    assert_null(v); /* not read in full: no row, read again next time */
    finish(&r1);

    /* a second run on the same store: the damaged file (still damaged) and the new one only */
    write_file(folder, "d.json", "root-d", true);
    run r2;
    start(&r2, folder, store_path);
    wait_for(&r2.out, "root-d");
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    stop(&r2);
    assert_int_equal(count_of(&r2.out, "root-a"), 0);
    assert_int_equal(count_of(&r2.out, "root-c"), 0);
    assert_true(rw_metrics_get(r2.metrics, "rootwatch_source_units_total", labels) == 2);
    /* the metrics render as Prometheus text with the source's labels */
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_metrics_render(r2.metrics, &b);
    assert_contains(b.data, "rootwatch_source_units_total{source=\"exports\",type=\"dir\"} 2\n");
    rw_buf_free(&b);
    finish(&r2);
}

static int setup(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rw-test-watch-dir-XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    rules = rw_ruleset_new();
    if (rw_ruleset_load_builtin(rules) != RW_OK) return -1;
    rw_ruleset_freeze(rules, 0);
    rw_log_set_level(RW_LOG_WARN);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    rw_ruleset_free(rules);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dir_counts_and_resumes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
