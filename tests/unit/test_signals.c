/* Unit tests for src/util/signals.c (the stop flag that SIGINT and SIGTERM set, and the span of
 * rw_signal_hold in which a stop is recorded but not reported: a Lambda invocation is answered
 * whole) and for the HTTP request that a stop cuts short (rw_http_request.stop_on_signal: the
 * Lambda Runtime API's `next`, which may wait for ever). */
#include "rwtest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"
#include "util/http.h"
#include "util/signals.h"

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_stop_flag(void **state) {
    (void)state;
    rw_signal_install();
    rw_signal_reset();
    assert_int_equal(rw_signal_stop_requested(), 0);
    raise(SIGTERM);
    assert_int_equal(rw_signal_stop_requested(), SIGTERM);
    assert_string_equal(rw_signal_name(SIGTERM), "SIGTERM");
    assert_int_equal(rw_signal_exit_code(SIGTERM), 143);
    rw_signal_reset();
    assert_int_equal(rw_signal_stop_requested(), 0);
}

static void test_hold_records_and_release_reports(void **state) {
    (void)state;
    rw_signal_install();
    rw_signal_reset();
    /* nothing came: release says so */
    rw_signal_hold();
    assert_int_equal(rw_signal_release(), 0);
    assert_int_equal(rw_signal_stop_requested(), 0);
    /* a signal inside the span is not reported there, and is after it */
    rw_signal_hold();
    raise(SIGINT);
    assert_int_equal(rw_signal_stop_requested(), 0);
    raise(SIGTERM); /* a second one: the last is kept */
    assert_int_equal(rw_signal_stop_requested(), 0);
    assert_int_equal(rw_signal_release(), SIGTERM);
    assert_int_equal(rw_signal_stop_requested(), SIGTERM);
    /* a stop asked before the span is hidden during it, and reported again after */
    rw_signal_hold();
    assert_int_equal(rw_signal_stop_requested(), 0);
    assert_int_equal(rw_signal_release(), SIGTERM);
    rw_signal_reset();
}

/* ---- an HTTP wait given up on a stop -------------------------------------------------------- */

/* A loopback listener that accepts and never answers. */
static int silent_listener(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 4), 0);
    socklen_t n = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &n), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void *raise_later(void *arg) {
    (void)arg;
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    kill(getpid(), SIGTERM); /* to the process, as Lambda sends it: any thread may take it */
    return NULL;
}

static int64_t wait_then_signal(bool stop_on_signal, int *rc) {
    int port;
    int fd = silent_listener(&port);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/2018-06-01/runtime/invocation/next", port);
    rw_http *h = rw_http_new(NULL);
    assert_non_null(h);
    rw_http_request req = {.method = "GET",
                           .url = url,
                           .timeout_ms = stop_on_signal ? 60000 : 2500,
                           .stop_on_signal = stop_on_signal};
    rw_http_response r;
    rw_http_response_init(&r);
    rw_signal_install();
    rw_signal_reset();
    pthread_t t;
    pthread_create(&t, NULL, raise_later, NULL);
    int64_t t0 = now_ms();
    *rc = rw_http_do(h, &req, &r);
    int64_t took = now_ms() - t0;
    pthread_join(t, NULL);
    rw_http_response_free(&r);
    rw_http_free(h);
    close(fd);
    rw_signal_reset();
    return took;
}

static void test_http_wait_given_up_on_a_stop(void **state) {
    (void)state;
    int rc;
    int64_t took = wait_then_signal(true, &rc);
    assert_int_equal(rc, RW_ECANCELED);
    assert_non_null(strstr(rw_error_last(), "stopped by SIGTERM"));
    if (took < 250 || took > 1500)
        fail_msg("given up after %lld ms (the signal came at 300)", (long long)took);
}

static void test_http_wait_without_stop_on_signal_goes_on(void **state) {
    (void)state;
    /* an answer being posted is not cut short: the request runs to its own time limit */
    int rc;
    int64_t took = wait_then_signal(false, &rc);
    assert_int_equal(rc, RW_ERETRY); /* timed out */
    if (took < 2000) fail_msg("ended after %lld ms, before its 2500 ms limit", (long long)took);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop_flag),
        cmocka_unit_test(test_hold_records_and_release_reports),
        cmocka_unit_test(test_http_wait_given_up_on_a_stop),
        cmocka_unit_test(test_http_wait_without_stop_on_signal_goes_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
