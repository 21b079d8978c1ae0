/* Unit tests for src/aws/http.c against a small HTTP/1.1 server run by the test itself on a
 * loopback port (plain sockets, one connection at a time, keep-alive). */
#include "rwtest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"
#include "util/http.h"

/* ---- the server ----------------------------------------------------------------------------- */

typedef enum {
    M_ECHO,        /* 200, a few headers, a body describing the request */
    M_BIG,         /* 200 with a 1000-byte body and its Content-Length */
    M_CHUNKED_BIG, /* 200 with a 1000-byte chunked body (no length known in advance) */
    M_SLOW,        /* no answer until the client goes away */
    M_TRUNCATED,   /* Content-Length: 100, three bytes, then the connection closes */
    M_CONTINUE,    /* an unasked-for 100 Continue with a header, then the real response */
    M_REDIRECT,    /* 302 to elsewhere */
    M_STATUS500,   /* 500 with an XML error body */
} mode;

typedef struct server {
    int lfd, port;
    pthread_t th;
    atomic_int stop;
    atomic_int mode;
    atomic_int accepts, requests;
    /* the last request */
    char method[32];
    char target[2048];
    rwt_str head; /* the request's header lines, as received */
    rwt_str body;
} server;

static server srv;

#define SECRET_QUERY "X-Amz-Credential=AKIDSECRET&X-Amz-Signature=deadbeefcafe"

static void send_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        c += w;
        n -= (size_t)w;
    }
}

static void send_str(int fd, const char *s) {
    send_all(fd, s, strlen(s));
}

/* Reads more bytes into buf: >0 read, 0 the peer closed, <0 an error or the server stops. An
 * idle connection is given up when another client knocks (one connection at a time). */
static ssize_t read_more(int fd, rwt_str *buf) {
    for (;;) {
        if (atomic_load(&srv.stop)) return -1;
        struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = srv.lfd, .events = POLLIN}};
        int r = poll(p, buf->n ? 1 : 2, 50); /* only an idle connection yields */
        if (r < 0 && errno != EINTR) return -1;
        if (r <= 0) continue;
        if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) return -1;
        char tmp[65536];
        ssize_t n = recv(fd, tmp, sizeof tmp, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n > 0) rwt_add(buf, tmp, (size_t)n);
        return n;
    }
}

/* Waits (a few seconds at most) for the client to give up and close. */
static void wait_for_close(int fd) {
    for (int i = 0; i < 100 && !atomic_load(&srv.stop); i++) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) > 0) {
            char tmp[4096];
            if (recv(fd, tmp, sizeof tmp, 0) <= 0) return;
        }
    }
}

/* Answers one request; returns false when the connection is to be closed. */
static bool respond(int fd) {
    char hdr[512];
    switch ((mode)atomic_load(&srv.mode)) {
    case M_ECHO: {
        char body[2200];
        snprintf(body, sizeof body, "%s %s %zu", srv.method, srv.target, srv.body.n);
        snprintf(hdr, sizeof hdr,
                 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Mixed-Case:   Some Value  \r\n"
                 "X-Amz-Request-Id: rid-1\r\nContent-Length: %zu\r\n\r\n",
                 strlen(body));
        send_str(fd, hdr);
        if (strcmp(srv.method, "HEAD") != 0) send_str(fd, body);
        return true;
    }
    case M_BIG: {
        char body[1000];
        memset(body, 'x', sizeof body);
        send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        send_all(fd, body, sizeof body);
        return true;
    }
    case M_CHUNKED_BIG: {
        send_str(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        char chunk[100];
        memset(chunk, 'y', sizeof chunk);
        for (int i = 0; i < 10; i++) {
            send_str(fd, "64\r\n");
            send_all(fd, chunk, sizeof chunk);
            send_str(fd, "\r\n");
        }
        send_str(fd, "0\r\n\r\n");
        return true;
    }
    case M_SLOW:
        wait_for_close(fd);
        return false;
    case M_TRUNCATED:
        send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
        return false;
    case M_CONTINUE:
        send_str(fd, "HTTP/1.1 100 Continue\r\nX-Early: 1\r\n\r\n"
                     "HTTP/1.1 200 OK\r\nX-Late: 2\r\nContent-Length: 2\r\n\r\nok");
        return true;
    case M_REDIRECT:
        send_str(fd, "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n");
        return true;
    case M_STATUS500: {
        const char *body = "<Error><Code>InternalError</Code></Error>";
        snprintf(hdr, sizeof hdr,
                 "HTTP/1.1 500 Internal Server Error\r\nContent-Length: %zu\r\n\r\n", strlen(body));
        send_str(fd, hdr);
        send_str(fd, body);
        return true;
    }
    }
    return false;
}

static void serve_connection(int fd) {
    rwt_str in = {0};
    for (;;) {
        char *end;
        while (!in.p || !(end = strstr(in.p, "\r\n\r\n")))
            if (read_more(fd, &in) <= 0) goto out;
        size_t head_len = (size_t)(end - in.p) + 4;
        size_t clen = 0;
        const char *cl = strcasestr(in.p, "\r\ncontent-length:");
        if (cl && cl < end) clen = strtoul(cl + 17, NULL, 10);
        while (in.n < head_len + clen)
            if (read_more(fd, &in) <= 0) goto out;

        /* record it */
        srv.method[0] = srv.target[0] = 0;
        sscanf(in.p, "%31s %2047s", srv.method, srv.target);
        srv.head.n = 0;
        rwt_add(&srv.head, in.p, head_len);
        srv.body.n = 0;
        rwt_add(&srv.body, in.p + head_len, clen);
        atomic_fetch_add(&srv.requests, 1);

        bool keep = respond(fd);
        size_t used = head_len + clen;
        memmove(in.p, in.p + used, in.n - used);
        in.n -= used;
        in.p[in.n] = 0;
        if (!keep) break;
    }
out:
    rwt_free(&in);
}

static void *server_main(void *arg) {
    (void)arg;
    while (!atomic_load(&srv.stop)) {
        struct pollfd p = {.fd = srv.lfd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0) continue;
        int fd = accept(srv.lfd, NULL, NULL);
        if (fd < 0) continue;
        atomic_fetch_add(&srv.accepts, 1);
        serve_connection(fd);
        close(fd);
    }
    return NULL;
}

static int listen_loopback(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static int setup(void **state) {
    (void)state;
    memset(&srv, 0, sizeof srv);
    srv.lfd = listen_loopback(&srv.port);
    if (srv.lfd < 0) return -1;
    atomic_store(&srv.mode, M_ECHO);
    if (pthread_create(&srv.th, NULL, server_main, NULL) != 0) return -1;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    atomic_store(&srv.stop, 1);
    pthread_join(srv.th, NULL);
    close(srv.lfd);
    rwt_free(&srv.head);
    rwt_free(&srv.body);
    return 0;
}

/* ---- helpers -------------------------------------------------------------------------------- */

static char *url(const char *path) {
    static char buf[4][512];
    static int i;
    char *b = buf[i++ % 4];
    snprintf(b, sizeof buf[0], "http://127.0.0.1:%d%s", srv.port, path);
    return b;
}

static rw_http *client(size_t max_body) {
    rw_http_opts o = {.connect_timeout_ms = 2000, .timeout_ms = 10000, .max_body = max_body};
    rw_http *h = rw_http_new(&o);
    assert_non_null(h);
    return h;
}

static int do_req(rw_http *h, const char *method, const char *u, const rw_http_header *hd,
                  size_t nh, const void *body, size_t body_len, rw_http_response *resp) {
    rw_http_request r = {.method = method,
                         .url = u,
                         .headers = hd,
                         .nheaders = nh,
                         .body = body,
                         .body_len = body_len};
    return rw_http_do(h, &r, resp);
}

static void assert_header(const rw_http_response *r, const char *name, const char *want) {
    size_t len = 0;
    const char *v = rw_http_header_get(r, name, &len);
    if (!v) fail_msg("no header %s in:\n%s", name, r->headers.data);
    if (len != strlen(want) || memcmp(v, want, len) != 0)
        fail_msg("header %s: expected '%s', got '%.*s'", name, want, (int)len, v);
}

static void assert_no_secret(void) {
    assert_not_contains(rw_error_last(), "AKIDSECRET");
    assert_not_contains(rw_error_last(), "deadbeefcafe");
    assert_not_contains(rw_error_last(), "X-Amz-Signature");
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_get_with_headers(void **state) {
    (void)state;
    rw_http *h = client(0);
    rw_http_response resp;
    rw_http_response_init(&resp);
    rw_http_header hd[] = {
        {"X-Amz-Date", "20240102T030405Z"},
        {"Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/s3/aws4_request"},
        {"X-Empty", ""},
    };
    int rc =
        do_req(h, "GET", url("/bucket/key%20x?list-type=2&prefix=a%2Fb"), hd, 3, NULL, 0, &resp);
    if (rc) fail_msg("GET failed: %s", rw_error_last());
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body.data, "GET /bucket/key%20x?list-type=2&prefix=a%2Fb 0");
    assert_string_equal(srv.method, "GET");
    assert_contains(srv.head.p, "\r\nX-Amz-Date: 20240102T030405Z\r\n");
    assert_contains(srv.head.p, "\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/");
    assert_contains(srv.head.p, "\r\nX-Empty:");
    assert_not_contains(srv.head.p, "Expect:");
    /* response headers: names in lower case, values trimmed, one a line */
    assert_contains(resp.headers.data, "content-type: text/plain\n");
    assert_contains(resp.headers.data, "x-mixed-case: Some Value\n");
    assert_not_contains(resp.headers.data, "HTTP/1.1");
    assert_not_contains(resp.headers.data, "\r");
    assert_header(&resp, "x-mixed-case", "Some Value");
    assert_header(&resp, "X-Amz-Request-Id", "rid-1");
    assert_null(rw_http_header_get(&resp, "x-mixed", NULL));
    assert_null(rw_http_header_get(&resp, "nope", NULL));

    /* the connection is kept and reused */
    rc = do_req(h, "GET", url("/again"), NULL, 0, NULL, 0, &resp);
    assert_int_equal(rc, RW_OK);
    assert_string_equal(resp.body.data, "GET /again 0");
    assert_int_equal(atomic_load(&srv.accepts), 1);
    assert_int_equal(atomic_load(&srv.requests), 2);

    /* dot segments are sent as they are (S3 keys may hold them) */
    rc = do_req(h, "GET", url("/bucket/a/../b"), NULL, 0, NULL, 0, &resp);
    assert_int_equal(rc, RW_OK);
    assert_string_equal(srv.target, "/bucket/a/../b");

    /* "localhost" is loopback too */
    char lu[128];
    snprintf(lu, sizeof lu, "http://localhost:%d/local", srv.port);
    rc = do_req(h, "GET", lu, NULL, 0, NULL, 0, &resp);
    if (rc) fail_msg("GET localhost failed: %s", rw_error_last());
    assert_int_equal(resp.status, 200);

    rw_http_response_free(&resp);
    rw_http_free(h);
}

static void test_methods_and_bodies(void **state) {
    (void)state;
    rw_http *h = client(0);
    rw_http_response resp;
    rw_http_response_init(&resp);
    const char *form = "Action=GetCallerIdentity&Version=2011-06-15";
    rw_http_header ct[] = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    int rc = do_req(h, "POST", url("/"), ct, 1, form, strlen(form), &resp);
    if (rc) fail_msg("POST failed: %s", rw_error_last());
    assert_string_equal(srv.method, "POST");
    assert_int_equal(srv.body.n, strlen(form));
    assert_memory_equal(srv.body.p, form, strlen(form));
    assert_contains(srv.head.p, "Content-Type: application/x-www-form-urlencoded; charset=utf-8");
    assert_contains(resp.body.data, "POST / 43");

    /* no Content-Type of curl's own choosing */
    const char *json = "{\"a\":1}";
    rc = do_req(h, "POST", url("/json"), NULL, 0, json, strlen(json), &resp);
    assert_int_equal(rc, RW_OK);
    assert_not_contains(srv.head.p, "Content-Type");

    /* a big body goes without Expect: 100-continue */
    size_t big = (size_t)2 << 20;
    char *data = malloc(big);
    assert_non_null(data);
    for (size_t i = 0; i < big; i++) data[i] = (char)('a' + i % 26);
    rc = do_req(h, "PUT", url("/bucket/big"), NULL, 0, data, big, &resp);
    if (rc) fail_msg("PUT failed: %s", rw_error_last());
    assert_string_equal(srv.method, "PUT");
    assert_int_equal(srv.body.n, big);
    assert_memory_equal(srv.body.p, data, big);
    assert_not_contains(srv.head.p, "Expect");
    assert_not_contains(srv.head.p, "expect");
    free(data);

    /* PUT and POST with no body say so */
    rc = do_req(h, "PUT", url("/bucket/empty"), NULL, 0, NULL, 0, &resp);
    assert_int_equal(rc, RW_OK);
    assert_string_equal(srv.method, "PUT");
    assert_contains(srv.head.p, "Content-Length: 0");
    rc = do_req(h, "POST", url("/nobody"), NULL, 0, NULL, 0, &resp);
    assert_int_equal(rc, RW_OK);
    assert_string_equal(srv.method, "POST");
    assert_contains(srv.head.p, "Content-Length: 0");

    /* DELETE with and without a body */
    rc = do_req(h, "DELETE", url("/bucket/key"), NULL, 0, NULL, 0, &resp);
    assert_int_equal(rc, RW_OK);
    assert_string_equal(srv.method, "DELETE");
    assert_int_equal(srv.body.n, 0);
    assert_string_equal(resp.body.data, "DELETE /bucket/key 0");
    rc = do_req(h, "DELETE", url("/bucket?delete"), NULL, 0, "<Delete/>", 9, &resp);
    assert_int_equal(rc, RW_OK);
    assert_string_equal(srv.method, "DELETE");
    assert_int_equal(srv.body.n, 9);

    /* HEAD: the headers and no body; then a GET on the same handle is a GET again */
    rc = do_req(h, "HEAD", url("/bucket/key"), NULL, 0, NULL, 0, &resp);
    assert_int_equal(rc, RW_OK);
    assert_string_equal(srv.method, "HEAD");
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.body.len, 0);
    assert_non_null(resp.body.data);
    assert_string_equal(resp.body.data, "");
    assert_header(&resp, "content-length", "18");
    rc = do_req(h, "GET", url("/after-head"), NULL, 0, NULL, 0, &resp);
    assert_int_equal(rc, RW_OK);
    assert_string_equal(srv.method, "GET");
    assert_string_equal(resp.body.data, "GET /after-head 0");
    assert_int_equal(atomic_load(&srv.accepts), 1);

    /* bad requests */
    assert_int_equal(do_req(h, "HEAD", url("/x"), NULL, 0, "b", 1, &resp), RW_EINVAL);
    assert_int_equal(do_req(h, "get", url("/x"), NULL, 0, NULL, 0, &resp), RW_EINVAL);
    assert_int_equal(do_req(h, "GET /x HTTP/1.1\r\n", url("/x"), NULL, 0, NULL, 0, &resp),
                     RW_EINVAL);
    rw_http_header evil[] = {{"X-A", "a\r\nX-Evil: 1"}};
    assert_int_equal(do_req(h, "GET", url("/x"), evil, 1, NULL, 0, &resp), RW_EINVAL);
    rw_http_header evil2[] = {{"X-A: b", "c"}};
    assert_int_equal(do_req(h, "GET", url("/x"), evil2, 1, NULL, 0, &resp), RW_EINVAL);

    rw_http_response_free(&resp);
    rw_http_free(h);
}

static void test_statuses(void **state) {
    (void)state;
    rw_http *h = client(0);
    rw_http_response resp;
    rw_http_response_init(&resp);

    /* an error status is a response all the same */
    atomic_store(&srv.mode, M_STATUS500);
    assert_int_equal(do_req(h, "GET", url("/"), NULL, 0, NULL, 0, &resp), RW_OK);
    assert_int_equal(resp.status, 500);
    assert_string_equal(resp.body.data, "<Error><Code>InternalError</Code></Error>");

    /* redirects are not followed */
    atomic_store(&srv.mode, M_REDIRECT);
    int before = atomic_load(&srv.requests);
    assert_int_equal(do_req(h, "GET", url("/here"), NULL, 0, NULL, 0, &resp), RW_OK);
    assert_int_equal(resp.status, 302);
    assert_header(&resp, "location", "/elsewhere");
    assert_int_equal(atomic_load(&srv.requests), before + 1);

    /* the headers of an interim 1xx response are dropped */
    atomic_store(&srv.mode, M_CONTINUE);
    assert_int_equal(do_req(h, "GET", url("/"), NULL, 0, NULL, 0, &resp), RW_OK);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body.data, "ok");
    assert_header(&resp, "x-late", "2");
    assert_null(rw_http_header_get(&resp, "x-early", NULL));

    rw_http_response_free(&resp);
    rw_http_free(h);
}

static void test_max_body(void **state) {
    (void)state;
    rw_http *h = client(100);
    rw_http_response resp;
    rw_http_response_init(&resp);

    atomic_store(&srv.mode, M_BIG); /* the length is announced */
    int rc = do_req(h, "GET", url("/big?" SECRET_QUERY), NULL, 0, NULL, 0, &resp);
    assert_int_equal(rc, RW_ELIMIT);
    assert_contains(rw_error_last(), "100 bytes");
    assert_contains(rw_error_last(), "http://127.0.0.1:");
    assert_no_secret();

    atomic_store(&srv.mode, M_CHUNKED_BIG); /* it is not */
    rc = do_req(h, "GET", url("/chunked?" SECRET_QUERY), NULL, 0, NULL, 0, &resp);
    assert_int_equal(rc, RW_ELIMIT);
    assert_contains(rw_error_last(), "100 bytes");
    assert_no_secret();
    assert_true(resp.body.len <= 100);

    /* the handle works on */
    atomic_store(&srv.mode, M_ECHO);
    rc = do_req(h, "GET", url("/small"), NULL, 0, NULL, 0, &resp);
    if (rc) fail_msg("GET after the limit failed: %s", rw_error_last());
    assert_string_equal(resp.body.data, "GET /small 0");

    /* exactly the limit is fine */
    rw_http_free(h);
    h = client(1000);
    atomic_store(&srv.mode, M_BIG);
    assert_int_equal(do_req(h, "GET", url("/big"), NULL, 0, NULL, 0, &resp), RW_OK);
    assert_int_equal(resp.body.len, 1000);
    atomic_store(&srv.mode, M_CHUNKED_BIG);
    assert_int_equal(do_req(h, "GET", url("/chunked"), NULL, 0, NULL, 0, &resp), RW_OK);
    assert_int_equal(resp.body.len, 1000);

    rw_http_response_free(&resp);
    rw_http_free(h);
}

static void test_network_errors(void **state) {
    (void)state;
    rw_http *h = client(0);
    rw_http_response resp;
    rw_http_response_init(&resp);
    char want[64];

    /* refused: a port nobody listens on */
    int port, fd = listen_loopback(&port);
    assert_true(fd >= 0);
    close(fd);
    char u[256];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/path?" SECRET_QUERY, port);
    int rc = do_req(h, "GET", u, NULL, 0, NULL, 0, &resp);
    assert_int_equal(rc, RW_ERETRY);
    assert_int_equal(resp.status, 0);
    snprintf(want, sizeof want, "GET http://127.0.0.1:%d", port);
    assert_contains(rw_error_last(), want);
    assert_contains(rw_error_last(), "connect");
    assert_not_contains(rw_error_last(), "/path");
    assert_no_secret();

    /* timed out */
    atomic_store(&srv.mode, M_SLOW);
    rw_http_request r = {.method = "GET", .url = url("/slow?" SECRET_QUERY), .timeout_ms = 300};
    rc = rw_http_do(h, &r, &resp);
    assert_int_equal(rc, RW_ERETRY);
    assert_int_equal(resp.status, 0);
    snprintf(want, sizeof want, "http://127.0.0.1:%d", srv.port);
    assert_contains(rw_error_last(), want);
    assert_contains(rw_error_last(), "Timeout");
    assert_no_secret();

    /* a body shorter than its Content-Length */
    atomic_store(&srv.mode, M_TRUNCATED);
    rc = do_req(h, "POST", url("/trunc?" SECRET_QUERY), NULL, 0, "x", 1, &resp);
    assert_int_equal(rc, RW_ERETRY);
    assert_int_equal(resp.status, 0);
    assert_contains(rw_error_last(), want);
    assert_no_secret();

    /* and the handle still works */
    atomic_store(&srv.mode, M_ECHO);
    rc = do_req(h, "GET", url("/fine"), NULL, 0, NULL, 0, &resp);
    if (rc) fail_msg("GET after errors failed: %s", rw_error_last());
    assert_int_equal(resp.status, 200);

    rw_http_response_free(&resp);
    rw_http_free(h);
}

/* A stall limit shorter than the total limit ends an exchange that moves nothing. */
static void test_stall_limit(void **state) {
    (void)state;
    rw_http_opts o = {.connect_timeout_ms = 2000, .timeout_ms = 30000, .stall_timeout_ms = 1000};
    rw_http *h = rw_http_new(&o);
    assert_non_null(h);
    rw_http_response resp;
    rw_http_response_init(&resp);
    atomic_store(&srv.mode, M_SLOW);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = do_req(h, "GET", url("/stall"), NULL, 0, NULL, 0, &resp);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_int_equal(rc, RW_ERETRY);
    assert_int_equal(resp.status, 0);
    assert_contains(rw_error_last(), "too slow");
    /* a second of stall, as libcurl measures it: far below the total limit of 30 s */
    if (took > 10) fail_msg("the stalled exchange took %.1f s", took);
    atomic_store(&srv.mode, M_ECHO);
    rw_http_response_free(&resp);
    rw_http_free(h);
}

static void test_refused_urls(void **state) {
    (void)state;
    rw_http *h = client(0);
    rw_http_response resp;
    rw_http_response_init(&resp);
    int before = atomic_load(&srv.accepts);

    /* plain http to anything but loopback: refused before any network use */
    int rc = do_req(h, "GET", "http://example.com/x?" SECRET_QUERY, NULL, 0, NULL, 0, &resp);
    assert_int_equal(rc, RW_EINVAL);
    assert_contains(rw_error_last(), "http://example.com:80");
    assert_contains(rw_error_last(), "plain http");
    assert_no_secret();
    rc = do_req(h, "GET", "http://169.254.169.254/latest/meta-data/", NULL, 0, NULL, 0, &resp);
    assert_int_equal(rc, RW_EINVAL);
    rc = do_req(h, "GET", "http://user:pw@evil.example:8080/", NULL, 0, NULL, 0, &resp);
    assert_int_equal(rc, RW_EINVAL);
    assert_not_contains(rw_error_last(), "pw");
    rc = do_req(h, "GET", "ftp://example.com/file", NULL, 0, NULL, 0, &resp);
    assert_int_equal(rc, RW_EINVAL);
    assert_contains(rw_error_last(), "ftp");
    rc = do_req(h, "GET", "file:///etc/passwd", NULL, 0, NULL, 0, &resp);
    assert_int_equal(rc, RW_EINVAL);
    rc = do_req(h, "GET", "not a url", NULL, 0, NULL, 0, &resp);
    assert_int_equal(rc, RW_EINVAL);
    rc = do_req(h, "GET", "", NULL, 0, NULL, 0, &resp);
    assert_int_equal(rc, RW_EINVAL);
    assert_int_equal(atomic_load(&srv.accepts), before);

    rw_http_response_free(&resp);
    rw_http_free(h);
}

static void test_is_loopback(void **state) {
    (void)state;
    const char *yes[] = {
        "http://127.0.0.1/",      "http://127.0.0.1:8080/x?y=1",
        "http://127.255.1.2:1",   "https://127.0.0.1",
        "http://localhost:5000/", "http://LocalHost/",
        "http://[::1]:4566/",     "http://[::1]/",
        "http://user@127.0.0.1/", "http://127.0.0.1#frag",
    };
    const char *no[] = {
        "http://128.0.0.1/",
        "http://10.0.0.1/",
        "http://example.com/",
        "http://127.0.0.1.evil.example/",
        "http://localhost.evil.example/",
        "http://evil.example/?h=127.0.0.1",
        "http://evil.example/127.0.0.1",
        "http://127.0.0.1@evil.example/",
        "http://evil.example#@127.0.0.1",
        "http://[::2]/",
        "http://[fd00:ec2::254]/",
        "http://169.254.169.254/",
        "not a url",
        "",
        "127.0.0.1",
        NULL,
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!rw_http_is_loopback(yes[i])) fail_msg("%s should be loopback", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (rw_http_is_loopback(no[i])) fail_msg("%s should not be loopback", no[i]);
}

static void test_defaults(void **state) {
    (void)state;
    /* NULL options: the defaults */
    rw_http *h = rw_http_new(NULL);
    assert_non_null(h);
    rw_http_response resp;
    rw_http_response_init(&resp);
    assert_int_equal(do_req(h, NULL, url("/d"), NULL, 0, NULL, 0, &resp), RW_OK);
    assert_string_equal(resp.body.data, "GET /d 0");
    assert_contains(srv.head.p, "User-Agent: rootwatch/");
    rw_http_response_free(&resp);
    rw_http_response_free(&resp);
    rw_http_free(h);
    rw_http_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_with_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_methods_and_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_network_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_urls, setup, teardown),
        cmocka_unit_test(test_is_loopback),
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
