/* Unit tests for src/store: adding and deduplication, the outbox (due deliveries, their order and
 * next attempts, state transitions, what a restart or a killed process leaves), counts, two
 * connections on one file, listing and finding alerts, and the errors: a read-only file or
 * folder, a file that is not a store, a full store, a newer schema; checkpoints (version 2), the
 * migration of a version-1 store, and checkpoints written by several connections and processes. */
#include "rwtest.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "util/err.h"

/* ---- helpers -------------------------------------------------------------------------------- */

static char tmpdir[256];

static int setup(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rw-test-store-XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", tmpdir, tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *path_of(const char *name) {
    char *p = malloc(strlen(tmpdir) + strlen(name) + 2);
    sprintf(p, "%s/%s", tmpdir, name);
    return p;
}

static rw_store *open_ok(const char *path) {
    rw_store *s = NULL;
    int rc = rw_store_open(&s, path);
    if (rc != RW_OK) fail_msg("opening %s: %s", path, rw_error_last());
    assert_non_null(s);
    return s;
}

/* Adds an alert named eid detected at ms, with deliveries to the channels (NULL-terminated). */
static bool add_chs(rw_store *s, const char *eid, int64_t ms, const char *const *chs) {
    char json[256];
    snprintf(json, sizeof json, "{\"eventID\":\"%s\",\"account\":\"111122223333\"}", eid);
    rw_store_alert a = {.event_id = eid,
                        .alert_json = json,
                        .event_time = "2026-11-20T10:00:00Z",
                        .account = "111122223333",
                        .region = "us-east-1",
                        .event_name = "ConsoleLogin",
                        .rule = "root-console-sign-in",
                        .severity = "critical",
                        .detected_ms = ms};
    size_t n = 0;
    while (chs && chs[n]) n++;
    bool added = true;
    int rc = rw_store_add(s, &a, chs, n, &added);
    if (rc != RW_OK) fail_msg("adding %s: %s", eid, rw_error_last());
    return added;
}

static bool add1(rw_store *s, const char *eid, int64_t ms, const char *ch) {
    const char *chs[] = {ch, NULL};
    return add_chs(s, eid, ms, chs);
}

static size_t due(rw_store *s, const char *ch, int64_t now, size_t max, rw_delivery **v) {
    size_t n = 0;
    int rc = rw_store_due(s, ch, now, max, v, &n);
    if (rc != RW_OK) fail_msg("due: %s", rw_error_last());
    return n;
}

static void counts_are(rw_store *s, uint64_t p, uint64_t sending, uint64_t sent, uint64_t failed) {
    uint64_t c[4];
    assert_int_equal(rw_store_counts(s, c), RW_OK);
    if (c[0] != p || c[1] != sending || c[2] != sent || c[3] != failed)
        fail_msg("counts: pending %llu sending %llu sent %llu failed %llu, expected %llu %llu "
                 "%llu %llu",
                 (unsigned long long)c[0], (unsigned long long)c[1], (unsigned long long)c[2],
                 (unsigned long long)c[3], (unsigned long long)p, (unsigned long long)sending,
                 (unsigned long long)sent, (unsigned long long)failed);
}

/* The delivery of eid to channel, as rw_store_find shows it. */
static rw_store_delivery_info delivery_of(rw_store *s, const char *eid, const char *ch,
                                          rw_store_alert_info **keep) {
    rw_store_alert_info *a = NULL;
    if (rw_store_find(s, eid, &a) != RW_OK) fail_msg("find %s: %s", eid, rw_error_last());
    *keep = a;
    for (size_t i = 0; i < a->ndeliveries; i++)
        if (strcmp(a->deliveries[i].channel, ch) == 0) return a->deliveries[i];
    fail_msg("no delivery of %s to %s", eid, ch);
    rw_store_delivery_info none = {0};
    return none;
}

/* Runs fn(path) in a child process without root's powers (as nobody when run as root, so that
 * file permissions apply); returns its code and message. */
typedef struct child_result {
    int rc;
    char msg[2048];
} child_result;

static bool as_unprivileged(int (*fn)(const char *), const char *path, child_result *res) {
    int fds[2];
    if (pipe(fds) != 0) return false;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child_result r = {0};
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
        r.rc = fn(path);
        snprintf(r.msg, sizeof r.msg, "%s", rw_error_last());
        ssize_t w = write(fds[1], &r, sizeof r);
        _exit(w == (ssize_t)sizeof r ? 0 : 4);
    }
    close(fds[1]);
    memset(res, 0, sizeof *res);
    size_t got = 0;
    ssize_t n;
    while (got < sizeof *res && (n = read(fds[0], (char *)res + got, sizeof *res - got)) > 0)
        got += (size_t)n;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3) return false; /* cannot drop root */
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != sizeof *res)
        fail_msg("the unprivileged child failed (status %d)", status);
    return true;
}

static int try_open(const char *path) {
    rw_store *s = NULL;
    int rc = rw_store_open(&s, path);
    rw_store_close(s);
    return rc;
}

static int try_open_ro_and_list(const char *path) {
    rw_store *s = NULL;
    int rc = rw_store_open_readonly(&s, path);
    if (rc) return rc;
    rw_store_alert_info *a = NULL;
    rc = rw_store_find(s, "e1", &a);
    rw_store_alert_info_free(a);
    rw_store_close(s);
    return rc;
}

static int64_t user_version(const char *path) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void sql_exec(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) fail_msg("%s: %s", sql, err);
    sqlite3_close(db);
}

/* ---- adding --------------------------------------------------------------------------------- */

static void test_add_dedup(void **state) {
    (void)state;
    char *path = path_of("dedup.db");
    rw_store *s = open_ok(path);
    const char *two[] = {"slack", "webhook", NULL};
    assert_true(add_chs(s, "e1", 1000, two));
    counts_are(s, 2, 0, 0, 0);
    /* the same eventID again, to the same or other channels: nothing */
    assert_false(add_chs(s, "e1", 2000, two));
    const char *other[] = {"sns", NULL};
    assert_false(add_chs(s, "e1", 3000, other));
    counts_are(s, 2, 0, 0, 0);
    rw_delivery *v = NULL;
    assert_int_equal(due(s, "sns", 10000, 10, &v), 0);
    assert_null(v);
    /* the first add stays as it was */
    rw_store_alert_info *a = NULL;
    assert_int_equal(rw_store_find(s, "e1", &a), RW_OK);
    assert_int_equal(a->detected_ms, 1000);
    assert_int_equal(a->ndeliveries, 2);
    assert_string_equal(a->deliveries[0].channel, "slack");
    assert_string_equal(a->deliveries[1].channel, "webhook");
    assert_string_equal(a->alert_json, "{\"eventID\":\"e1\",\"account\":\"111122223333\"}");
    assert_string_equal(a->event_name, "ConsoleLogin");
    assert_true(a->created_ms > 0);
    rw_store_alert_info_free(a);
    /* a channel named twice gets one delivery; no channel at all stores the alert alone */
    const char *dup[] = {"slack", "slack", NULL};
    assert_true(add_chs(s, "e2", 1000, dup));
    counts_are(s, 3, 0, 0, 0);
    assert_true(add_chs(s, "e3", 1000, NULL));
    counts_are(s, 3, 0, 0, 0);
    assert_false(add_chs(s, "e3", 1000, two));
    counts_are(s, 3, 0, 0, 0);
    /* an alert needs an eventID */
    rw_store_alert bad = {.event_id = NULL, .alert_json = "{}", .detected_ms = 1};
    bool added = true;
    assert_int_equal(rw_store_add(s, &bad, two, 2, &added), RW_EINVAL);
    assert_false(added);
    assert_contains(rw_error_last(), "eventID");
    /* NULL fields are stored as NULL */
    rw_store_alert bare = {.event_id = "bare", .alert_json = "{}", .detected_ms = 5};
    assert_int_equal(rw_store_add(s, &bare, two, 2, &added), RW_OK);
    assert_true(added);
    assert_int_equal(rw_store_find(s, "bare", &a), RW_OK);
    assert_null(a->account);
    assert_null(a->event_time);
    rw_store_alert_info_free(a);
    rw_store_close(s);
    free(path);
}

/* ---- the outbox ----------------------------------------------------------------------------- */

static void test_due_order_and_next(void **state) {
    (void)state;
    char *path = path_of("due.db");
    rw_store *s = open_ok(path);
    assert_int_equal(rw_store_next_due(s, "c"), INT64_MAX);
    assert_true(add1(s, "a", 3000, "c"));
    assert_true(add1(s, "b", 1000, "c")); /* detected earlier, added later */
    assert_true(add1(s, "c", 2000, "c"));
    assert_true(add1(s, "other", 0, "d"));
    assert_int_equal(rw_store_next_due(s, "c"), 1000);
    assert_int_equal(rw_store_next_due(s, "d"), 0);
    assert_int_equal(rw_store_next_due(s, "none"), INT64_MAX);
    rw_delivery *v = NULL;
    /* only what is due at now, in the order added (id) */
    size_t n = due(s, "c", 1500, 10, &v);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].event_id, "b");
    assert_string_equal(v[0].channel, "c");
    assert_int_equal(v[0].state, RW_DELIVERY_PENDING);
    assert_int_equal(v[0].attempts, 0);
    assert_int_equal(v[0].next_ms, 1000);
    assert_int_equal(v[0].detected_ms, 1000);
    assert_string_equal(v[0].alert_json, "{\"eventID\":\"b\",\"account\":\"111122223333\"}");
    assert_null(v[0].last_error);
    rw_store_delivery_list_free(v, n);
    n = due(s, "c", 5000, 10, &v);
    assert_int_equal(n, 3);
    assert_string_equal(v[0].event_id, "a");
    assert_string_equal(v[1].event_id, "b");
    assert_string_equal(v[2].event_id, "c");
    assert_true(v[0].id < v[1].id && v[1].id < v[2].id);
    assert_true(v[0].alert_id < v[1].alert_id);
    int64_t id_a = v[0].id, id_b = v[1].id;
    for (size_t i = 0; i < n; i++) rw_store_delivery_free(&v[i]); /* the other way to free */
    free(v);
    /* max */
    n = due(s, "c", 5000, 2, &v);
    assert_int_equal(n, 2);
    rw_store_delivery_list_free(v, n);
    assert_int_equal(due(s, "c", 5000, 0, &v), 0);
    assert_null(v);
    /* a failed attempt waits for its next_ms */
    assert_int_equal(rw_store_mark_sending(s, id_a, 5000), RW_OK);
    assert_int_equal(rw_store_mark_failed(s, id_a, 5100, 60000, false, "HTTP 503"), RW_OK);
    n = due(s, "c", 5200, 10, &v);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].event_id, "b");
    assert_string_equal(v[1].event_id, "c");
    rw_store_delivery_list_free(v, n);
    assert_int_equal(rw_store_next_due(s, "c"), 1000);
    assert_int_equal(rw_store_mark_sending(s, id_b, 5200), RW_OK);
    assert_int_equal(rw_store_mark_sent(s, id_b, 5300), RW_OK);
    assert_int_equal(rw_store_next_due(s, "c"), 2000);
    n = due(s, "c", 60000, 10, &v);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].event_id, "a");
    assert_int_equal(v[0].attempts, 1);
    assert_int_equal(v[0].next_ms, 60000);
    assert_string_equal(v[0].last_error, "HTTP 503");
    assert_string_equal(v[1].event_id, "c");
    rw_store_delivery_list_free(v, n);
    rw_store_close(s);
    free(path);
}

static void test_transitions(void **state) {
    (void)state;
    char *path = path_of("states.db");
    rw_store *s = open_ok(path);
    const char *two[] = {"slack", "webhook", NULL};
    assert_true(add_chs(s, "e1", 1000, two));
    rw_delivery *v = NULL;
    size_t n = due(s, "slack", 1000, 10, &v);
    assert_int_equal(n, 1);
    int64_t id = v[0].id;
    rw_store_delivery_list_free(v, n);
    rw_store_alert_info *a = NULL;

    assert_int_equal(rw_store_mark_sending(s, id, 1100), RW_OK);
    rw_store_delivery_info d = delivery_of(s, "e1", "slack", &a);
    assert_int_equal(d.state, RW_DELIVERY_SENDING);
    assert_int_equal(d.attempts, 1);
    assert_int_equal(d.updated_ms, 1100);
    assert_int_equal(d.sent_ms, 0);
    rw_store_alert_info_free(a);
    counts_are(s, 1, 1, 0, 0);

    assert_int_equal(rw_store_mark_failed(s, id, 1200, 5000, false, "timed out"), RW_OK);
    d = delivery_of(s, "e1", "slack", &a);
    assert_int_equal(d.state, RW_DELIVERY_PENDING);
    assert_int_equal(d.attempts, 1);
    assert_int_equal(d.next_ms, 5000);
    assert_string_equal(d.last_error, "timed out");
    rw_store_alert_info_free(a);

    assert_int_equal(rw_store_mark_sending(s, id, 5000), RW_OK);
    assert_int_equal(rw_store_mark_sent(s, id, 5100), RW_OK);
    d = delivery_of(s, "e1", "slack", &a);
    assert_int_equal(d.state, RW_DELIVERY_SENT);
    assert_int_equal(d.attempts, 2);
    assert_int_equal(d.sent_ms, 5100);
    assert_int_equal(d.updated_ms, 5100);
    assert_string_equal(d.last_error, "timed out"); /* the history of the earlier attempt */
    rw_store_alert_info_free(a);
    counts_are(s, 1, 0, 1, 0);
    /* the other channel's delivery is untouched */
    d = delivery_of(s, "e1", "webhook", &a);
    assert_int_equal(d.state, RW_DELIVERY_PENDING);
    assert_int_equal(d.attempts, 0);
    rw_store_alert_info_free(a);

    /* a sent delivery is not taken again (another process sent it meanwhile) */
    assert_int_equal(rw_store_mark_sending(s, id, 6000), RW_ENOTFOUND);
    assert_contains(rw_error_last(), "sent already");
    assert_int_equal(due(s, "slack", INT64_MAX, 10, &v), 0);
    /* unknown ids */
    assert_int_equal(rw_store_mark_sending(s, 9999, 1), RW_ENOTFOUND);
    assert_contains(rw_error_last(), "no delivery 9999");
    assert_int_equal(rw_store_mark_sent(s, 9999, 1), RW_ENOTFOUND);
    assert_int_equal(rw_store_mark_failed(s, 9999, 1, 2, true, "x"), RW_ENOTFOUND);
    rw_store_close(s);
    free(path);
}

static void test_mark_failed_final_vs_retry(void **state) {
    (void)state;
    char *path = path_of("final.db");
    rw_store *s = open_ok(path);
    assert_true(add1(s, "retry", 1000, "c"));
    assert_true(add1(s, "final", 1000, "c"));
    rw_delivery *v = NULL;
    size_t n = due(s, "c", 1000, 10, &v);
    assert_int_equal(n, 2);
    int64_t r = v[0].id, f = v[1].id;
    rw_store_delivery_list_free(v, n);
    assert_int_equal(rw_store_mark_sending(s, r, 1000), RW_OK);
    assert_int_equal(rw_store_mark_sending(s, f, 1000), RW_OK);
    assert_int_equal(rw_store_mark_failed(s, r, 1001, 2000, false, "HTTP 500"), RW_OK);
    assert_int_equal(rw_store_mark_failed(s, f, 1001, 0, true, "HTTP 404 (not retried)"), RW_OK);
    counts_are(s, 1, 0, 0, 1);
    /* the final one is never due again, whatever the time */
    n = due(s, "c", INT64_MAX, 10, &v);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].id, r);
    rw_store_delivery_list_free(v, n);
    assert_int_equal(rw_store_next_due(s, "c"), 2000);
    assert_int_equal(rw_store_mark_sending(s, f, 3000), RW_ENOTFOUND);
    assert_contains(rw_error_last(), "failed already");
    /* retried until the last attempt, then given up */
    assert_int_equal(rw_store_mark_sending(s, r, 2000), RW_OK);
    assert_int_equal(rw_store_mark_failed(s, r, 2001, 0, true, "HTTP 500 (gave up)"), RW_OK);
    counts_are(s, 0, 0, 0, 2);
    assert_int_equal(rw_store_next_due(s, "c"), INT64_MAX);
    rw_store_alert_info *a = NULL;
    rw_store_delivery_info d = delivery_of(s, "retry", "c", &a);
    assert_int_equal(d.state, RW_DELIVERY_FAILED);
    assert_int_equal(d.attempts, 2);
    assert_string_equal(d.last_error, "HTTP 500 (gave up)");
    rw_store_alert_info_free(a);
    rw_store_close(s);
    free(path);
}

static void test_sending_after_restart(void **state) {
    (void)state;
    char *path = path_of("restart.db");
    rw_store *s = open_ok(path);
    assert_true(add1(s, "e1", 1000, "c"));
    assert_true(add1(s, "e2", 1000, "c"));
    rw_delivery *v = NULL;
    size_t n = due(s, "c", 1000, 10, &v);
    assert_int_equal(n, 2);
    int64_t id1 = v[0].id;
    rw_store_delivery_list_free(v, n);
    assert_int_equal(rw_store_mark_sending(s, id1, 1000), RW_OK);
    rw_store_close(s); /* "crash" while e1 is being sent */
    s = open_ok(path);
    /* found "sending": due again, whatever its next_ms, first */
    n = due(s, "c", 0, 10, &v);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].id, id1);
    assert_int_equal(v[0].state, RW_DELIVERY_SENDING);
    assert_int_equal(v[0].attempts, 1);
    rw_store_delivery_list_free(v, n);
    n = due(s, "c", 1000, 10, &v);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].id, id1);
    rw_store_delivery_list_free(v, n);
    /* sent again: the second attempt */
    assert_int_equal(rw_store_mark_sending(s, id1, 2000), RW_OK);
    assert_int_equal(rw_store_mark_sent(s, id1, 2001), RW_OK);
    rw_store_alert_info *a = NULL;
    rw_store_delivery_info d = delivery_of(s, "e1", "c", &a);
    assert_int_equal(d.attempts, 2);
    assert_int_equal(d.state, RW_DELIVERY_SENT);
    rw_store_alert_info_free(a);
    rw_store_close(s);
    free(path);
}

/* A process killed (SIGKILL) right after its commits loses none of them. */
/* A process killed with SIGKILL mid-work loses nothing it stored; the same with a volatile store
 * (rw_store_open_volatile, never an fsync: rootwatch lambda's in /tmp), read back by a normal
 * open. */
static void killed_process(bool volatile_store) {
    char *path = path_of(volatile_store ? "killed-volatile.db" : "killed.db");
    pid_t pid = fork();
    if (pid == 0) {
        rw_store *s = NULL;
        if ((volatile_store ? rw_store_open_volatile(&s, path) : rw_store_open(&s, path)) != RW_OK)
            _exit(1);
        for (int i = 0; i < 50; i++) {
            char eid[32];
            snprintf(eid, sizeof eid, "k%d", i);
            rw_store_alert a = {.event_id = eid, .alert_json = "{}", .detected_ms = i};
            const char *ch[] = {"c"};
            bool added;
            if (rw_store_add(s, &a, ch, 1, &added) != RW_OK) _exit(2);
        }
        rw_delivery *v = NULL;
        size_t n = 0;
        if (rw_store_due(s, "c", 1000, 2, &v, &n) != RW_OK || n != 2) _exit(3);
        if (rw_store_mark_sending(s, v[0].id, 1000) || rw_store_mark_sent(s, v[0].id, 1001))
            _exit(4);
        if (rw_store_mark_sending(s, v[1].id, 1002)) _exit(5);
        raise(SIGKILL); /* in flight: v[1] */
        _exit(6);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    rw_store *s = open_ok(path);
    counts_are(s, 48, 1, 1, 0);
    rw_delivery *v = NULL;
    size_t n = due(s, "c", 1000, 100, &v);
    assert_int_equal(n, 49);
    assert_string_equal(v[0].event_id, "k1");
    assert_int_equal(v[0].state, RW_DELIVERY_SENDING);
    assert_string_equal(v[1].event_id, "k2");
    rw_store_delivery_list_free(v, n);
    rw_store_close(s);
    free(path);
}

static void test_killed_process(void **state) {
    (void)state;
    killed_process(false);
}

static void test_killed_process_volatile(void **state) {
    (void)state;
    killed_process(true);
}

static void test_counts(void **state) {
    (void)state;
    char *path = path_of("counts.db");
    rw_store *s = open_ok(path);
    counts_are(s, 0, 0, 0, 0);
    const char *three[] = {"a", "b", "c", NULL};
    for (int i = 0; i < 10; i++) {
        char eid[16];
        snprintf(eid, sizeof eid, "e%d", i);
        assert_true(add_chs(s, eid, i, three));
    }
    counts_are(s, 30, 0, 0, 0);
    rw_delivery *v = NULL;
    size_t n = due(s, "a", 100, 100, &v);
    assert_int_equal(n, 10);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rw_store_mark_sending(s, v[i].id, 100), RW_OK);
        if (i < 5)
            assert_int_equal(rw_store_mark_sent(s, v[i].id, 101), RW_OK);
        else if (i < 7)
            assert_int_equal(rw_store_mark_failed(s, v[i].id, 101, 0, true, "no"), RW_OK);
        else if (i < 9)
            assert_int_equal(rw_store_mark_failed(s, v[i].id, 101, 500, false, "later"), RW_OK);
    }
    rw_store_delivery_list_free(v, n);
    counts_are(s, 22, 1, 5, 2);
    rw_store_close(s);
    free(path);
}

static void test_two_connections(void **state) {
    (void)state;
    char *path = path_of("two.db");
    rw_store *s1 = open_ok(path), *s2 = open_ok(path);
    int added1 = 0, added2 = 0;
    for (int i = 0; i < 200; i++) {
        char eid[32];
        snprintf(eid, sizeof eid, "e%d", i / 2); /* each eventID offered by both */
        if (i % 2 == 0)
            added1 += add1(s1, eid, i, "c");
        else
            added2 += add1(s2, eid, i, "c");
        snprintf(eid, sizeof eid, "own-%d", i);
        if (i % 2 == 0)
            added1 += add1(s1, eid, i, "c");
        else
            added2 += add1(s2, eid, i, "c");
    }
    assert_int_equal(added1, 200); /* s1 came first with every shared eventID */
    assert_int_equal(added2, 100);
    counts_are(s1, 300, 0, 0, 0);
    counts_are(s2, 300, 0, 0, 0);
    /* each sees what the other did */
    rw_delivery *v = NULL;
    size_t n = due(s2, "c", 1000, 1, &v);
    assert_int_equal(n, 1);
    assert_int_equal(rw_store_mark_sending(s2, v[0].id, 1000), RW_OK);
    assert_int_equal(rw_store_mark_sent(s2, v[0].id, 1000), RW_OK);
    /* had s1 taken the same delivery as due meanwhile, it is told not to send it again */
    assert_int_equal(rw_store_mark_sending(s1, v[0].id, 1001), RW_ENOTFOUND);
    rw_store_delivery_list_free(v, n);
    counts_are(s1, 299, 0, 1, 0);
    rw_store_close(s1);
    rw_store_close(s2);
    free(path);
}

/* Concurrent writers in several processes: every add lands once. */
static void test_processes(void **state) {
    (void)state;
    char *path = path_of("procs.db");
    rw_store_close(open_ok(path));
    enum { NPROC = 4, PER = 300 };
    pid_t pids[NPROC];
    for (int p = 0; p < NPROC; p++) {
        pids[p] = fork();
        if (pids[p] == 0) {
            rw_store *s = NULL;
            if (rw_store_open(&s, path) != RW_OK) _exit(1);
            for (int i = 0; i < PER; i++) {
                char eid[32];
                snprintf(eid, sizeof eid, "e%d", i); /* every process offers the same events */
                rw_store_alert a = {.event_id = eid, .alert_json = "{}", .detected_ms = i};
                const char *ch[] = {"c"};
                bool added;
                if (rw_store_add(s, &a, ch, 1, &added) != RW_OK) _exit(2);
            }
            rw_store_close(s);
            _exit(0);
        }
    }
    for (int p = 0; p < NPROC; p++) {
        int status = 0;
        waitpid(pids[p], &status, 0);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    rw_store *s = open_ok(path);
    counts_are(s, PER, 0, 0, 0);
    rw_store_close(s);
    free(path);
}

/* ---- reading alerts ------------------------------------------------------------------------- */

typedef struct listed {
    char ids[64][16];
    size_t n;
} listed;

static int collect(void *ctx, const rw_store_alert_info *a) {
    listed *l = ctx;
    if (l->n < 64) snprintf(l->ids[l->n++], 16, "%s", a->event_id);
    return RW_OK;
}

static int stop_after_two(void *ctx, const rw_store_alert_info *a) {
    listed *l = ctx;
    collect(ctx, a);
    return l->n == 2 ? RW_ELIMIT : RW_OK;
}

static void list_is(rw_store *s, int64_t since, int st, size_t limit, const char *expect) {
    listed l = {.n = 0};
    rw_store_query q = {.since_ms = since, .state = st, .limit = limit};
    assert_int_equal(rw_store_list(s, &q, collect, &l), RW_OK);
    char got[512] = "";
    for (size_t i = 0; i < l.n; i++) {
        strcat(got, i ? " " : "");
        strcat(got, l.ids[i]);
    }
    if (strcmp(got, expect) != 0) fail_msg("list: got \"%s\", expected \"%s\"", got, expect);
}

static void test_list_and_find(void **state) {
    (void)state;
    char *path = path_of("list.db");
    rw_store *s = open_ok(path);
    const char *two[] = {"slack", "webhook", NULL};
    assert_true(add_chs(s, "old", 1000, two));
    assert_true(add_chs(s, "mid", 2000, two));
    assert_true(add_chs(s, "new", 3000, two));
    assert_true(add_chs(s, "same-time", 3000, NULL));
    list_is(s, INT64_MIN, -1, 0, "same-time new mid old");
    list_is(s, 2000, -1, 0, "same-time new mid");
    list_is(s, INT64_MIN, -1, 2, "same-time new");
    list_is(s, INT64_MIN, RW_DELIVERY_PENDING, 0, "new mid old");
    list_is(s, INT64_MIN, RW_DELIVERY_SENT, 0, "");
    /* mid: slack sent; old: slack sending (still pending: not delivered), webhook failed */
    rw_store_alert_info *a = NULL;
    rw_store_delivery_info d = delivery_of(s, "mid", "slack", &a);
    assert_int_equal(rw_store_mark_sending(s, d.id, 4000), RW_OK);
    assert_int_equal(rw_store_mark_sent(s, d.id, 4001), RW_OK);
    rw_store_alert_info_free(a);
    d = delivery_of(s, "old", "slack", &a);
    assert_int_equal(rw_store_mark_sending(s, d.id, 4000), RW_OK);
    rw_store_alert_info_free(a);
    d = delivery_of(s, "old", "webhook", &a);
    assert_int_equal(rw_store_mark_failed(s, d.id, 4000, 0, true, "gone"), RW_OK);
    rw_store_alert_info_free(a);
    list_is(s, INT64_MIN, RW_DELIVERY_SENT, 0, "mid");
    list_is(s, INT64_MIN, RW_DELIVERY_FAILED, 0, "old");
    list_is(s, INT64_MIN, RW_DELIVERY_SENDING, 0, "old");
    list_is(s, INT64_MIN, RW_DELIVERY_PENDING, 0, "new mid old");
    list_is(s, 1500, RW_DELIVERY_PENDING, 1, "new");
    /* the callback stops the listing with its code */
    listed l = {.n = 0};
    rw_store_query q = {.since_ms = INT64_MIN, .state = -1};
    assert_int_equal(rw_store_list(s, &q, stop_after_two, &l), RW_ELIMIT);
    assert_int_equal(l.n, 2);
    /* and the statement is usable again */
    list_is(s, INT64_MIN, -1, 1, "same-time");

    /* find by eventID, or by id */
    assert_int_equal(rw_store_find(s, "mid", &a), RW_OK);
    int64_t id = a->id;
    assert_int_equal(a->ndeliveries, 2);
    assert_int_equal(a->deliveries[0].state, RW_DELIVERY_SENT);
    assert_int_equal(a->deliveries[0].sent_ms, 4001);
    assert_int_equal(a->deliveries[1].state, RW_DELIVERY_PENDING);
    rw_store_alert_info_free(a);
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)id);
    assert_int_equal(rw_store_find(s, key, &a), RW_OK);
    assert_string_equal(a->event_id, "mid");
    rw_store_alert_info_free(a);
    assert_int_equal(rw_store_find(s, "nope", &a), RW_ENOTFOUND);
    assert_null(a);
    assert_contains(rw_error_last(), "no alert nope");
    assert_int_equal(rw_store_find(s, "999", &a), RW_ENOTFOUND);
    assert_int_equal(rw_store_find(s, "1x", &a), RW_ENOTFOUND);
    assert_int_equal(rw_store_find(s, "", &a), RW_ENOTFOUND);
    /* an eventID made of digits wins over an id */
    assert_true(add1(s, "1", 5000, "c"));
    assert_int_equal(rw_store_find(s, "1", &a), RW_OK);
    assert_string_equal(a->event_id, "1");
    rw_store_alert_info_free(a);
    rw_store_close(s);
    free(path);
}

static void test_open_readonly(void **state) {
    (void)state;
    char *path = path_of("ro.db");
    rw_store *ro = NULL;
    assert_int_equal(rw_store_open_readonly(&ro, path), RW_ENOTFOUND);
    assert_contains(rw_error_last(), path);
    assert_null(ro);
    /* an empty file: no store yet */
    close(open(path, O_CREAT | O_WRONLY, 0600));
    assert_int_equal(rw_store_open_readonly(&ro, path), RW_ENOTFOUND);
    assert_contains(rw_error_last(), "empty");
    /* while a writer has it open, with its changes still in the WAL */
    rw_store *s = open_ok(path);
    assert_true(add1(s, "e1", 1000, "c"));
    assert_int_equal(rw_store_open_readonly(&ro, path), RW_OK);
    rw_store_alert_info *a = NULL;
    assert_int_equal(rw_store_find(ro, "e1", &a), RW_OK);
    rw_store_alert_info_free(a);
    /* it never writes */
    assert_int_equal(rw_store_mark_sending(ro, 1, 1), RW_EIO);
    assert_contains(rw_error_last(), "read-only");
    rw_store_close(ro);
    rw_store_close(s);
    /* closed cleanly (no -wal, no -shm left) */
    assert_int_equal(rw_store_open_readonly(&ro, path), RW_OK);
    assert_int_equal(rw_store_find(ro, "e1", &a), RW_OK);
    rw_store_alert_info_free(a);
    rw_store_close(ro);
    /* and leaves no -wal or -shm file behind */
    char *wal = path_of("ro.db-wal");
    struct stat st;
    assert_int_not_equal(stat(wal, &st), 0);
    free(wal);
    /* a folder is not a store */
    assert_int_equal(rw_store_open_readonly(&ro, tmpdir), RW_EIO);
    assert_contains(rw_error_last(), "not a rootwatch store");
    free(path);
}

/* ---- creating, migrating, and the errors ---------------------------------------------------- */

static void test_create_and_migrate(void **state) {
    (void)state;
    /* missing folders are made, with mode 0700; the store has mode 0600 */
    char *path = path_of("state/rootwatch/rootwatch.db");
    rw_store *s = open_ok(path);
    assert_true(add1(s, "e1", 1, "c")); /* with a -wal file now */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *wal = path_of("state/rootwatch/rootwatch.db-wal");
    assert_int_equal(stat(wal, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    free(wal);
    char *dir = path_of("state/rootwatch");
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    free(dir);
    dir = path_of("state");
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    free(dir);
    assert_string_equal(rw_store_path(s), path);
    rw_store_close(s);
    assert_int_equal(user_version(path), 2);
    free(path);

    /* an empty file (a process stopped right after creating it) is migrated */
    path = path_of("empty.db");
    int fd = open(path, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    s = open_ok(path);
    assert_true(add1(s, "e1", 1, "c"));
    rw_store_close(s);
    assert_int_equal(user_version(path), 2);
    /* opening again changes nothing */
    s = open_ok(path);
    assert_false(add1(s, "e1", 1, "c"));
    counts_are(s, 1, 0, 0, 0);
    rw_store_close(s);
    assert_int_equal(user_version(path), 2);
    free(path);

    /* a store of a later rootwatch is refused, not damaged */
    path = path_of("newer.db");
    rw_store_close(open_ok(path));
    sql_exec(path, "PRAGMA user_version=7");
    assert_int_equal(rw_store_open(&s, path), RW_EIO);
    assert_null(s);
    assert_contains(rw_error_last(), path);
    assert_contains(rw_error_last(), "newer");
    assert_int_equal(rw_store_open_readonly(&s, path), RW_EIO);
    assert_contains(rw_error_last(), "newer rootwatch");
    assert_int_equal(user_version(path), 7);
    free(path);

    /* an SQLite database of something else is not taken over */
    path = path_of("other.db");
    sql_exec(path, "CREATE TABLE t(x)");
    assert_int_equal(rw_store_open(&s, path), RW_EIO);
    assert_contains(rw_error_last(), path);
    assert_contains(rw_error_last(), "not a rootwatch store");
    assert_int_equal(rw_store_open_readonly(&s, path), RW_EIO);
    assert_contains(rw_error_last(), "not a rootwatch store");
    assert_int_equal(user_version(path), 0);
    free(path);

    /* no path */
    assert_int_equal(rw_store_open(&s, ""), RW_EINVAL);
}

static void test_not_a_database(void **state) {
    (void)state;
    char *path = path_of("notadb.db");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 100; i++) fputs("this is a text file, not a database\n", f);
    fclose(f);
    rw_store *s = NULL;
    assert_int_equal(rw_store_open(&s, path), RW_EIO);
    assert_null(s);
    assert_contains(rw_error_last(), path);
    assert_contains(rw_error_last(), "not a rootwatch store (the file is not an SQLite database)");
    assert_int_equal(rw_store_open_readonly(&s, path), RW_EIO);
    assert_contains(rw_error_last(), path);
    assert_contains(rw_error_last(), "not an SQLite database");
    /* the file is left as it was */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 100 * 36);
    free(path);
    /* a short file too */
    path = path_of("short.db");
    f = fopen(path, "w");
    fputs("hello", f);
    fclose(f);
    assert_int_equal(rw_store_open(&s, path), RW_EIO);
    assert_contains(rw_error_last(), "not a rootwatch store");
    free(path);
}

/* rootwatch lambda's check at init (issue 12): what would keep the store from opening, without
 * SQLite */
static void test_check_file(void **state) {
    (void)state;
    char *path = path_of("new/folder/rootwatch.db");
    assert_int_equal(rw_store_check_file(path), RW_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(rw_store_check_file(path), RW_OK); /* again: the empty file is fine */
    rw_store *s = open_ok(path);                        /* and opens as a store */
    rw_store_close(s);
    assert_int_equal(rw_store_check_file(path), RW_OK); /* a store is fine */
    free(path);
    path = path_of("new"); /* a folder */
    assert_int_equal(rw_store_check_file(path), RW_EIO);
    assert_contains(rw_error_last(), path);
    free(path);
    path = path_of("text.db");
    FILE *f = fopen(path, "w");
    fputs("this is a text file, not a database\n", f);
    fclose(f);
    assert_int_equal(rw_store_check_file(path), RW_EIO);
    assert_contains(rw_error_last(), "not a rootwatch store");
    free(path);
    assert_int_equal(rw_store_check_file("/proc/no-such-process/rootwatch.db"), RW_EIO);
    assert_contains(rw_error_last(), "/proc/no-such-process");
}

static void test_read_only(void **state) {
    (void)state;
    assert_int_equal(chmod(tmpdir, 0755), 0);
    /* a read-only store file */
    char *path = path_of("readonly.db");
    rw_store *s = open_ok(path);
    assert_true(add1(s, "e1", 1, "c"));
    rw_store_close(s);
    assert_int_equal(chmod(path, 0444), 0);
    child_result r;
    if (!as_unprivileged(try_open, path, &r)) {
        free(path);
        skip();
    }
    assert_int_equal(r.rc, RW_EIO);
    assert_contains(r.msg, path);
    assert_contains(r.msg, "read-only");
    /* but it can be read */
    assert_true(as_unprivileged(try_open_ro_and_list, path, &r));
    assert_int_equal(r.rc, RW_OK);
    free(path);

    /* a new store in a read-only folder */
    char *dir = path_of("rodir");
    assert_int_equal(mkdir(dir, 0555), 0);
    assert_int_equal(chmod(dir, 0555), 0);
    path = path_of("rodir/rootwatch.db");
    assert_true(as_unprivileged(try_open, path, &r));
    assert_int_equal(r.rc, RW_EIO);
    assert_contains(r.msg, path);
    assert_contains(r.msg, "Permission denied");
    free(path);
    /* a folder that cannot be made */
    path = path_of("rodir/sub/rootwatch.db");
    assert_true(as_unprivileged(try_open, path, &r));
    assert_int_equal(r.rc, RW_EIO);
    assert_contains(r.msg, path);
    assert_contains(r.msg, "cannot create the folder");
    free(path);
    /* a writable store in a read-only folder (the -wal file cannot be made) */
    assert_int_equal(chmod(dir, 0755), 0);
    path = path_of("rodir/writable.db");
    rw_store_close(open_ok(path));
    assert_int_equal(chmod(path, 0666), 0);
    assert_int_equal(chmod(dir, 0555), 0);
    assert_true(as_unprivileged(try_open, path, &r));
    assert_int_equal(r.rc, RW_EIO);
    assert_contains(r.msg, path);
    free(path);
    free(dir);
}

static void test_full(void **state) {
    (void)state;
    char *path = path_of("full.db");
    rw_store *s = open_ok(path);
    assert_int_equal(rw_store_set_max_size(s, 64 * 1024), RW_OK);
    char *big = malloc(4001);
    memset(big, 'x', 4000);
    big[4000] = 0;
    int rc = RW_OK, added = 0;
    for (int i = 0; i < 1000 && rc == RW_OK; i++) {
        char eid[32];
        snprintf(eid, sizeof eid, "e%d", i);
        rw_store_alert a = {.event_id = eid, .alert_json = big, .detected_ms = i};
        const char *ch[] = {"a", "b"};
        bool ok;
        rc = rw_store_add(s, &a, ch, 2, &ok);
        if (rc == RW_OK) added++;
    }
    assert_int_equal(rc, RW_EIO);
    assert_contains(rw_error_last(), path);
    assert_contains(rw_error_last(), "the disk is full");
    assert_true(added > 0);
    /* nothing half-added: every stored alert has its two deliveries */
    counts_are(s, 2 * (uint64_t)added, 0, 0, 0);
    /* room again: it goes on */
    assert_int_equal(rw_store_set_max_size(s, 0), RW_OK);
    rw_store_alert a = {.event_id = "after", .alert_json = big, .detected_ms = 1};
    const char *ch[] = {"a", "b"};
    bool ok;
    assert_int_equal(rw_store_add(s, &a, ch, 2, &ok), RW_OK);
    assert_true(ok);
    counts_are(s, 2 * (uint64_t)added + 2, 0, 0, 0);
    free(big);
    rw_store_close(s);
    free(path);
}

static void test_default_path(void **state) {
    (void)state;
    char *saved[3];
    const char *names[3] = {"ROOTWATCH_STORE", "XDG_STATE_HOME", "HOME"};
    for (int i = 0; i < 3; i++) saved[i] = getenv(names[i]) ? strdup(getenv(names[i])) : NULL;
    setenv("ROOTWATCH_STORE", "/x/y.db", 1);
    setenv("XDG_STATE_HOME", "/state", 1);
    setenv("HOME", "/home/u", 1);
    char *p = rw_store_default_path();
    assert_string_equal(p, "/x/y.db");
    free(p);
    setenv("ROOTWATCH_STORE", "", 1);
    p = rw_store_default_path();
    assert_string_equal(p, "/state/rootwatch/rootwatch.db");
    free(p);
    unsetenv("ROOTWATCH_STORE");
    setenv("XDG_STATE_HOME", "relative", 1); /* ignored, as the XDG specification says */
    p = rw_store_default_path();
    assert_string_equal(p, "/home/u/.local/state/rootwatch/rootwatch.db");
    free(p);
    unsetenv("XDG_STATE_HOME");
    p = rw_store_default_path();
    assert_string_equal(p, "/home/u/.local/state/rootwatch/rootwatch.db");
    free(p);
    unsetenv("HOME");
    p = rw_store_default_path(); /* the password database's home */
    assert_non_null(p);
    assert_contains(p, "rootwatch.db");
    free(p);
    for (int i = 0; i < 3; i++) {
        if (saved[i])
            setenv(names[i], saved[i], 1);
        else
            unsetenv(names[i]);
        free(saved[i]);
    }
}

static void test_performance(void **state) {
    (void)state;
    char *path = path_of("perf.db");
    rw_store *s = open_ok(path);
    enum { N = 10000 };
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < N; i++) {
        char eid[32], json[128];
        snprintf(eid, sizeof eid, "perf-%d", i);
        snprintf(json, sizeof json, "{\"eventID\":\"%s\",\"severity\":\"critical\"}", eid);
        rw_store_alert a = {.event_id = eid,
                            .alert_json = json,
                            .account = "111122223333",
                            .event_name = "ConsoleLogin",
                            .detected_ms = i};
        const char *ch[] = {"slack"};
        bool added;
        if (rw_store_add(s, &a, ch, 1, &added) != RW_OK || !added)
            fail_msg("add %d: %s", i, rw_error_last());
        rw_delivery *v = NULL;
        size_t n = 0;
        assert_int_equal(rw_store_due(s, "slack", i, 1, &v, &n), RW_OK);
        assert_int_equal(n, 1);
        assert_string_equal(v[0].event_id, eid);
        assert_int_equal(rw_store_mark_sending(s, v[0].id, i), RW_OK);
        assert_int_equal(rw_store_mark_sent(s, v[0].id, i), RW_OK);
        rw_store_delivery_list_free(v, n);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("store: %d add+due+sending+sent cycles in %.2f s (%.0f per second)\n", N, secs,
           (double)N / (secs > 0 ? secs : 1e-9));
    counts_are(s, 0, 0, N, 0);
    rw_store_close(s);
    free(path);
}

/* ---- checkpoints ---------------------------------------------------------------------------- */

static char *cp_get(rw_store *s, const char *key) {
    char *v = (char *)"unset";
    int rc = rw_store_checkpoint_get(s, key, &v);
    if (rc != RW_OK) fail_msg("checkpoint_get %s: %s", key, rw_error_last());
    return v;
}

static void cp_set(rw_store *s, const char *key, const char *value) {
    int rc = rw_store_checkpoint_set(s, key, value);
    if (rc != RW_OK) fail_msg("checkpoint_set %s: %s", key, rw_error_last());
}

static void test_checkpoints(void **state) {
    (void)state;
    char *path = path_of("cp.db");
    rw_store *s = open_ok(path);
    assert_null(cp_get(s, "s3:trail:AWSLogs/1/CloudTrail/us-east-1/")); /* absent: NULL, RW_OK */
    cp_set(s, "s3:trail:AWSLogs/1/CloudTrail/us-east-1/", "{\"after\":\"k1\"}");
    cp_set(s, "dir:exports", "");
    char *v = cp_get(s, "s3:trail:AWSLogs/1/CloudTrail/us-east-1/");
    assert_string_equal(v, "{\"after\":\"k1\"}");
    free(v);
    v = cp_get(s, "dir:exports"); /* an empty value is a value */
    assert_non_null(v);
    assert_string_equal(v, "");
    free(v);
    /* replaced */
    cp_set(s, "s3:trail:AWSLogs/1/CloudTrail/us-east-1/", "{\"after\":\"k2\"}");
    v = cp_get(s, "s3:trail:AWSLogs/1/CloudTrail/us-east-1/");
    assert_string_equal(v, "{\"after\":\"k2\"}");
    free(v);
    /* keys and values of any text: quotes, non-ASCII, a large value */
    const char *odd = "lookup-events:it's \"quoted\" \xc3\xa9t\xc3\xa9;--";
    size_t big_n = 300000;
    char *big = malloc(big_n + 1);
    for (size_t i = 0; i < big_n; i++) big[i] = (char)('a' + i % 26);
    big[big_n] = 0;
    cp_set(s, odd, big);
    rw_store_close(s);

    /* durable: another connection, after a reopen, sees them */
    s = open_ok(path);
    v = cp_get(s, odd);
    assert_string_equal(v, big);
    free(v);
    v = cp_get(s, "s3:trail:AWSLogs/1/CloudTrail/us-east-1/");
    assert_string_equal(v, "{\"after\":\"k2\"}");
    free(v);
    /* NULL deletes; deleting what is absent is no error */
    cp_set(s, odd, NULL);
    assert_null(cp_get(s, odd));
    cp_set(s, odd, NULL);
    assert_int_equal(rw_store_checkpoint_set(s, NULL, "x"), RW_EINVAL);
    /* alerts are untouched by checkpoints, and a read-only connection reads checkpoints */
    assert_true(add1(s, "e1", 1, "c"));
    rw_store *ro = NULL;
    assert_int_equal(rw_store_open_readonly(&ro, path), RW_OK);
    v = cp_get(ro, "dir:exports");
    assert_string_equal(v, "");
    free(v);
    /* and cannot write them */
    assert_int_equal(rw_store_checkpoint_set(ro, "dir:exports", "x"), RW_EIO);
    rw_store_close(ro);
    rw_store_close(s);
    free(big);
    free(path);
}

/* The schema of version 1 exactly as rootwatch 0.1 wrote it (before checkpoints). */
static const char schema_v1[] =
    "CREATE TABLE alerts (id INTEGER PRIMARY KEY, event_id TEXT UNIQUE NOT NULL, event_time TEXT,"
    " account TEXT, region TEXT, event_name TEXT, rule TEXT, severity TEXT,"
    " detected_ms INTEGER NOT NULL, alert_json TEXT NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE INDEX alerts_detected ON alerts(detected_ms);"
    "CREATE TABLE deliveries (id INTEGER PRIMARY KEY,"
    " alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,"
    " channel TEXT NOT NULL, state INTEGER NOT NULL DEFAULT 0,"
    " attempts INTEGER NOT NULL DEFAULT 0, next_ms INTEGER NOT NULL, last_error TEXT,"
    " updated_ms INTEGER NOT NULL, sent_ms INTEGER, UNIQUE(alert_id, channel));"
    "CREATE INDEX deliveries_due ON deliveries(channel, state, next_ms);"
    "INSERT INTO alerts VALUES (1, 'old-1', '2026-11-20T10:00:00Z', '111122223333', 'us-east-1',"
    " 'ConsoleLogin', 'root-console-sign-in', 'critical', 5, '{\"eventID\":\"old-1\"}', 6);"
    "INSERT INTO deliveries VALUES (1, 1, 'slack', 2, 1, 5, NULL, 7, 7);"
    "INSERT INTO deliveries VALUES (2, 1, 'mail', 0, 0, 5, NULL, 5, NULL);"
    "PRAGMA journal_mode=WAL;"
    "PRAGMA user_version=1;";

static void test_checkpoints_migrate_v1(void **state) {
    (void)state;
    char *path = path_of("v1.db");
    sql_exec(path, schema_v1);
    assert_int_equal(user_version(path), 1);

    /* read-only: the old store is read as it is, not migrated; it has no checkpoints */
    rw_store *ro = NULL;
    assert_int_equal(rw_store_open_readonly(&ro, path), RW_OK);
    rw_store_alert_info *a = NULL;
    assert_int_equal(rw_store_find(ro, "old-1", &a), RW_OK);
    assert_int_equal(a->ndeliveries, 2);
    rw_store_alert_info_free(a);
    char *v = NULL;
    assert_int_equal(rw_store_checkpoint_get(ro, "k", &v), RW_EIO);
    assert_null(v);
    assert_contains(rw_error_last(), "version 1");
    assert_contains(rw_error_last(), path);
    rw_store_close(ro);
    assert_int_equal(user_version(path), 1);

    /* a writing open migrates it, keeping the alerts and the outbox */
    rw_store *s = open_ok(path);
    assert_int_equal(user_version(path), 2);
    assert_int_equal(rw_store_find(s, "old-1", &a), RW_OK);
    assert_string_equal(a->alert_json, "{\"eventID\":\"old-1\"}");
    assert_int_equal(a->ndeliveries, 2);
    assert_int_equal(a->deliveries[0].state, RW_DELIVERY_SENT);
    rw_store_alert_info_free(a);
    counts_are(s, 1, 0, 1, 0);
    assert_false(add1(s, "old-1", 9, "slack")); /* still unique by eventID */
    assert_true(add1(s, "new-1", 9, "slack"));
    assert_null(cp_get(s, "k"));
    cp_set(s, "k", "v");
    rw_store_close(s);
    /* once migrated, opening again changes nothing */
    s = open_ok(path);
    v = cp_get(s, "k");
    assert_string_equal(v, "v");
    free(v);
    rw_store_close(s);
    assert_int_equal(user_version(path), 2);

    /* two processes migrating one version-1 store at once: one migrates, neither fails */
    char *path2 = path_of("v1-race.db");
    sql_exec(path2, schema_v1);
    enum { NPROC = 4 };
    pid_t pids[NPROC];
    for (int p = 0; p < NPROC; p++) {
        pids[p] = fork();
        if (pids[p] == 0) {
            rw_store *cs = NULL;
            if (rw_store_open(&cs, path2) != RW_OK) _exit(1);
            char key[16];
            snprintf(key, sizeof key, "p%d", p);
            int rc = rw_store_checkpoint_set(cs, key, "done");
            rw_store_close(cs);
            _exit(rc == RW_OK ? 0 : 2);
        }
    }
    for (int p = 0; p < NPROC; p++) {
        int status = 0;
        waitpid(pids[p], &status, 0);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    s = open_ok(path2);
    for (int p = 0; p < NPROC; p++) {
        char key[16];
        snprintf(key, sizeof key, "p%d", p);
        v = cp_get(s, key);
        assert_string_equal(v, "done");
        free(v);
    }
    assert_int_equal(rw_store_find(s, "old-1", &a), RW_OK);
    rw_store_alert_info_free(a);
    rw_store_close(s);
    assert_int_equal(user_version(path2), 2);
    free(path2);
    free(path);
}

/* Connections on one file at once: threads each with a connection of its own (one store per
 * thread, as store.h says) write their own keys and one shared key, while another reads; a
 * writer blocked by another connection's open write transaction waits for it and succeeds. */
enum { CP_THREADS = 4, CP_WRITES = 150 };

typedef struct cp_worker {
    const char *path;
    int index;
    int failures;
} cp_worker;

static void *cp_writer(void *arg) {
    cp_worker *w = arg;
    rw_store *s = NULL;
    if (rw_store_open(&s, w->path) != RW_OK) {
        w->failures++;
        return NULL;
    }
    for (int i = 0; i < CP_WRITES; i++) {
        char key[32], value[64];
        snprintf(key, sizeof key, "own-%d", w->index);
        snprintf(value, sizeof value, "%d", i);
        if (rw_store_checkpoint_set(s, key, value) != RW_OK) w->failures++;
        snprintf(value, sizeof value, "writer %d at %d", w->index, i);
        if (rw_store_checkpoint_set(s, "shared", value) != RW_OK) w->failures++;
        char *back = NULL;
        if (rw_store_checkpoint_get(s, key, &back) != RW_OK || !back ||
            atoi(back) != i) /* a connection reads its own last write */
            w->failures++;
        free(back);
    }
    rw_store_close(s);
    return NULL;
}

static void *cp_reader(void *arg) {
    cp_worker *w = arg;
    rw_store *s = NULL;
    if (rw_store_open(&s, w->path) != RW_OK) {
        w->failures++;
        return NULL;
    }
    int last[CP_THREADS];
    for (int t = 0; t < CP_THREADS; t++) last[t] = -1;
    for (int i = 0; i < CP_WRITES; i++) {
        for (int t = 0; t < CP_THREADS; t++) {
            char key[32], *v = NULL;
            snprintf(key, sizeof key, "own-%d", t);
            if (rw_store_checkpoint_get(s, key, &v) != RW_OK) w->failures++;
            int n = v ? atoi(v) : -1;
            if (n < last[t]) w->failures++; /* a checkpoint never goes back */
            last[t] = n;
            free(v);
        }
    }
    rw_store_close(s);
    return NULL;
}

typedef struct holder {
    const char *path;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool holding;
    int rc;
} holder;

/* Holds a write transaction on its own connection for 700 ms, then commits. */
static void *hold_lock(void *arg) {
    holder *h = arg;
    sqlite3 *db = NULL;
    h->rc = sqlite3_open(h->path, &db);
    if (h->rc == SQLITE_OK)
        h->rc =
            sqlite3_exec(db, "BEGIN IMMEDIATE; INSERT INTO checkpoints VALUES ('other', 'x', 0)",
                         NULL, NULL, NULL);
    pthread_mutex_lock(&h->mu);
    h->holding = true;
    pthread_cond_signal(&h->cond);
    pthread_mutex_unlock(&h->mu);
    usleep(700 * 1000);
    if (h->rc == SQLITE_OK) h->rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    return NULL;
}

static void test_checkpoints_concurrent(void **state) {
    (void)state;
    char *path = path_of("cp-conc.db");
    rw_store_close(open_ok(path));
    pthread_t th[CP_THREADS + 1];
    cp_worker w[CP_THREADS + 1];
    for (int t = 0; t <= CP_THREADS; t++) {
        w[t] = (cp_worker){.path = path, .index = t};
        assert_int_equal(
            pthread_create(&th[t], NULL, t < CP_THREADS ? cp_writer : cp_reader, &w[t]), 0);
    }
    for (int t = 0; t <= CP_THREADS; t++) {
        pthread_join(th[t], NULL);
        if (w[t].failures) fail_msg("thread %d: %d failures", t, w[t].failures);
    }
    rw_store *s = open_ok(path);
    for (int t = 0; t < CP_THREADS; t++) {
        char key[32], want[32];
        snprintf(key, sizeof key, "own-%d", t);
        snprintf(want, sizeof want, "%d", CP_WRITES - 1);
        char *v = cp_get(s, key);
        assert_string_equal(v, want);
        free(v);
    }
    char *v = cp_get(s, "shared");
    char want[64];
    int found = 0;
    for (int t = 0; t < CP_THREADS; t++) {
        snprintf(want, sizeof want, "writer %d at %d", t, CP_WRITES - 1);
        found += strcmp(v, want) == 0;
    }
    if (found != 1) fail_msg("shared is \"%s\", not one writer's last value", v);
    free(v);

    /* another connection holds a write transaction for 700 ms: the write waits, then lands */
    holder h = {.path = path};
    pthread_t ht;
    pthread_mutex_init(&h.mu, NULL);
    pthread_cond_init(&h.cond, NULL);
    assert_int_equal(pthread_create(&ht, NULL, hold_lock, &h), 0);
    pthread_mutex_lock(&h.mu);
    while (!h.holding) pthread_cond_wait(&h.cond, &h.mu);
    pthread_mutex_unlock(&h.mu);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cp_set(s, "after-wait", "yes");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_join(ht, NULL);
    assert_int_equal(h.rc, SQLITE_OK);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (waited < 0.5) fail_msg("the write did not wait for the other transaction (%.3f s)", waited);
    v = cp_get(s, "other");
    assert_string_equal(v, "x");
    free(v);
    v = cp_get(s, "after-wait");
    assert_string_equal(v, "yes");
    free(v);
    rw_store_close(s);
    free(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_dedup),
        cmocka_unit_test(test_due_order_and_next),
        cmocka_unit_test(test_transitions),
        cmocka_unit_test(test_mark_failed_final_vs_retry),
        cmocka_unit_test(test_sending_after_restart),
        cmocka_unit_test(test_killed_process),
        cmocka_unit_test(test_killed_process_volatile),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_two_connections),
        cmocka_unit_test(test_processes),
        cmocka_unit_test(test_list_and_find),
        cmocka_unit_test(test_open_readonly),
        cmocka_unit_test(test_create_and_migrate),
        cmocka_unit_test(test_not_a_database),
        cmocka_unit_test(test_check_file),
        cmocka_unit_test(test_read_only),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_default_path),
        cmocka_unit_test(test_checkpoints),
        cmocka_unit_test(test_checkpoints_migrate_v1),
        cmocka_unit_test(test_checkpoints_concurrent),
        cmocka_unit_test(test_performance),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
