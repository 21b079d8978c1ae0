/* The AWS client with its clock, random numbers and sleep injected, against a scripted HTTP server
 * in a thread: exact backoff waits (full jitter, capped), bounded attempts, what is retried and
 * what is not, requests signed at the injected time; AWS error replies read; S3's virtual-hosted
 * style on AWS's endpoints only. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rwtest.h"

#include "aws/client.h"
#include "util/err.h"

/* ---- a scripted HTTP/1.1 server ---- */

typedef struct reply {
    int status;
    const char *body;
} reply;

static struct {
    int fd, port;
    pthread_t thread;
    const reply *script;
    size_t nscript, served;
    char last_auth[1024], last_date[64];
    pthread_mutex_t lock;
} srv;

static void *serve(void *arg) {
    (void)arg;
    for (;;) {
        int c = accept(srv.fd, NULL, NULL);
        if (c < 0) return NULL;
        char buf[65536];
        size_t have = 0;
        for (;;) {
            char *end = NULL;
            ssize_t n;
            while (!(end = memmem(buf, have, "\r\n\r\n", 4)) &&
                   (n = read(c, buf + have, sizeof buf - have - 1)) > 0)
                have += (size_t)n;
            if (!end) break;
            buf[have] = 0;
            size_t hlen = (size_t)(end + 4 - buf);
            size_t clen = 0;
            const char *cl = strcasestr(buf, "\r\ncontent-length:");
            if (cl && cl < end) clen = strtoul(cl + 17, NULL, 10);
            while (have < hlen + clen && (n = read(c, buf + have, sizeof buf - have - 1)) > 0)
                have += (size_t)n;
            pthread_mutex_lock(&srv.lock);
            const char *a = strcasestr(buf, "\r\nauthorization:");
            if (a && a < end)
                snprintf(srv.last_auth, sizeof srv.last_auth, "%.*s", (int)strcspn(a + 18, "\r"),
                         a + 18);
            const char *d = strcasestr(buf, "\r\nx-amz-date:");
            if (d && d < end)
                snprintf(srv.last_date, sizeof srv.last_date, "%.*s", (int)strcspn(d + 14, "\r"),
                         d + 14);
            const reply *r = &srv.script[srv.served < srv.nscript ? srv.served : srv.nscript - 1];
            srv.served++;
            pthread_mutex_unlock(&srv.lock);
            char head[256];
            int hl = snprintf(
                head, sizeof head,
                "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nx-amzn-RequestId: req-%zu\r\n\r\n",
                r->status, strlen(r->body), srv.served);
            if (write(c, head, (size_t)hl) < 0 || write(c, r->body, strlen(r->body)) < 0) break;
            memmove(buf, buf + hlen + clen, have - hlen - clen);
            have -= hlen + clen;
        }
        close(c);
    }
}

static void start(const reply *script, size_t n) {
    memset(&srv, 0, sizeof srv);
    pthread_mutex_init(&srv.lock, NULL);
    srv.script = script;
    srv.nscript = n;
    srv.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(srv.fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t l = sizeof a;
    getsockname(srv.fd, (struct sockaddr *)&a, &l);
    srv.port = ntohs(a.sin_port);
    listen(srv.fd, 8);
    pthread_create(&srv.thread, NULL, serve, NULL);
}

static void stop(void) {
    shutdown(srv.fd, SHUT_RDWR);
    close(srv.fd);
    pthread_join(srv.thread, NULL);
}

/* ---- the injected environment ---- */

typedef struct fake {
    double rnd;
    long sleeps[32];
    int nsleeps;
} fake;

static int64_t fake_now(void *ctx) {
    (void)ctx;
    return 1440938160; /* 2015-08-30T12:36:00Z */
}
static double fake_random(void *ctx) {
    return ((fake *)ctx)->rnd;
}
static void fake_sleep(void *ctx, long ms) {
    fake *f = ctx;
    if (f->nsleeps < 32) f->sleeps[f->nsleeps++] = ms;
}

typedef struct setup {
    rw_aws_config *cfg;
    rw_aws_provider *prov;
    rw_aws_client *c;
    fake f;
} setup;

static void open_client(setup *s, int max_attempts, double rnd) {
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", srv.port);
    unsetenv("AWS_MAX_ATTEMPTS");
    setenv("AWS_CONFIG_FILE", "/nonexistent/rootwatch-test-config", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/rootwatch-test-credentials", 1);
    rw_aws_opts o = {.endpoint_url = url, .region = "eu-west-1"};
    assert_int_equal(rw_aws_config_load(&s->cfg, &o), RW_OK);
    s->cfg->max_attempts = max_attempts;
    rw_aws_creds *cr = rw_aws_creds_new("AKIDTEST", "SECRETTEST", NULL, 0, "test");
    s->prov = rw_aws_provider_static(cr);
    rw_aws_creds_free(cr);
    memset(&s->f, 0, sizeof s->f);
    s->f.rnd = rnd;
    rw_aws_env env = {fake_now, fake_random, fake_sleep, &s->f};
    s->c = rw_aws_client_new(s->cfg, s->prov, &env);
}

static void close_client(setup *s) {
    rw_aws_client_free(s->c);
    rw_aws_provider_free(s->prov);
    rw_aws_config_free(s->cfg);
}

static const char OK_XML[] =
    "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account>"
    "</GetCallerIdentityResult></GetCallerIdentityResponse>";
static const char THROTTLE_XML[] =
    "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message>"
    "</Error><RequestId>r-1</RequestId></ErrorResponse>";
static const char DENIED_XML[] =
    "<ErrorResponse><Error><Code>AccessDenied</Code><Message>not allowed</Message>"
    "</Error><RequestId>r-2</RequestId></ErrorResponse>";

static void test_backoff_exact(void **state) {
    (void)state;
    reply script[] = {{503, "busy"}, {400, THROTTLE_XML}, {429, ""}, {200, OK_XML}};
    start(script, 4);
    setup s;
    open_client(&s, 5, 0.5);
    rw_xml *x = NULL;
    assert_int_equal(rw_aws_query(s.c, &rw_aws_sts, NULL, "GetCallerIdentity", NULL, &x), RW_OK);
    assert_string_equal(rw_xml_text(x, "GetCallerIdentityResult/Account"), "123456789012");
    rw_xml_free(x);
    assert_int_equal(srv.served, 4);
    /* full jitter: random * min(20 s, 100 ms * 2^attempt) after attempts 1, 2, 3 */
    assert_int_equal(s.f.nsleeps, 3);
    assert_int_equal(s.f.sleeps[0], 100);
    assert_int_equal(s.f.sleeps[1], 200);
    assert_int_equal(s.f.sleeps[2], 400);
    /* signed at the injected time, for the region and service */
    assert_string_equal(srv.last_date, "20150830T123600Z");
    assert_contains(srv.last_auth, "Credential=AKIDTEST/20150830/eu-west-1/sts/aws4_request");
    assert_int_equal(rw_aws_client_error(s.c)->status, 0);
    close_client(&s);
    stop();
}

static void test_gives_up_and_caps(void **state) {
    (void)state;
    reply script[] = {{400, THROTTLE_XML}};
    start(script, 1);
    setup s;
    open_client(&s, 10, 0.999);
    rw_xml *x = NULL;
    int rc = rw_aws_query(s.c, &rw_aws_sts, NULL, "GetCallerIdentity", NULL, &x);
    assert_int_equal(rc, RW_ERETRY);
    assert_null(x);
    assert_int_equal(srv.served, 10);
    assert_int_equal(s.f.nsleeps, 9);
    for (int i = 0; i < 9; i++) {
        long cap = 100L << (i + 1);
        if (cap > 20000) cap = 20000;
        assert_int_equal(s.f.sleeps[i], (long)(0.999 * (double)cap));
    }
    const char *m = rw_error_last();
    assert_contains(m, "STS GetCallerIdentity: Throttling: Rate exceeded");
    assert_contains(m, "HTTP 400");
    assert_contains(m, "request id req-10");
    assert_contains(m, "after 10 attempts");
    assert_null(strstr(m, "SECRETTEST"));
    const rw_aws_error *e = rw_aws_client_error(s.c);
    assert_string_equal(e->code, "Throttling");
    assert_int_equal(e->status, 400);
    close_client(&s);
    stop();
}

static void test_client_errors_not_retried(void **state) {
    (void)state;
    reply script[] = {{403, DENIED_XML}};
    start(script, 1);
    setup s;
    open_client(&s, 5, 0.5);
    rw_xml *x = NULL;
    assert_int_equal(rw_aws_query(s.c, &rw_aws_iam, NULL, "ListAccountAliases", NULL, &x), RW_EIO);
    assert_int_equal(srv.served, 1);
    assert_int_equal(s.f.nsleeps, 0);
    assert_contains(
        rw_error_last(),
        "IAM ListAccountAliases: AccessDenied: not allowed (HTTP 403, request id req-1)");
    /* IAM is global: signed for us-east-1 whatever the region */
    assert_contains(srv.last_auth, "/20150830/us-east-1/iam/aws4_request");
    close_client(&s);
    stop();
}

static void test_json_errors(void **state) {
    (void)state;
    reply script[] = {
        {400, "{\"__type\":\"com.amazonaws.cloudtrail.v20131101#InvalidTimeRangeException\","
              "\"message\":\"Start time is after end time\"}"}};
    start(script, 1);
    setup s;
    open_client(&s, 5, 0.5);
    rw_json_doc *d = rw_json_doc_new(NULL);
    assert_int_equal(rw_aws_json(s.c, &rw_aws_cloudtrail, NULL, "LookupEvents", "{}", d), RW_EIO);
    assert_contains(
        rw_error_last(),
        "CloudTrail LookupEvents: InvalidTimeRangeException: Start time is after end time");
    assert_int_equal(srv.served, 1);
    rw_json_doc_free(d);
    close_client(&s);
    stop();
}

static void error_of(int status, const char *body, const char *headers, rw_aws_error *e) {
    rw_http_response r;
    rw_http_response_init(&r);
    r.status = status;
    rw_buf_append(&r.body, body, strlen(body));
    if (headers) rw_buf_puts(&r.headers, headers);
    rw_aws_error_from_reply(e, &r);
    rw_http_response_free(&r);
}

static void test_error_replies(void **state) {
    (void)state;
    rw_aws_error e;
    error_of(404,
             "<Error><Code>NoSuchKey</Code><Message>The key does not "
             "exist</Message><RequestId>S3R</RequestId></Error>",
             NULL, &e);
    assert_string_equal(e.code, "NoSuchKey");
    assert_string_equal(e.message, "The key does not exist");
    assert_string_equal(e.request_id, "S3R");
    error_of(403,
             "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>no</Message></"
             "Error></Errors></Response>",
             "x-amzn-requestid: H1\n", &e);
    assert_string_equal(e.code, "UnauthorizedOperation");
    assert_string_equal(e.request_id, "H1");
    error_of(400, "{\"__type\":\"ThrottlingException\",\"Message\":\"Rate\\nexceeded\"}", NULL, &e);
    assert_string_equal(e.code, "ThrottlingException");
    assert_string_equal(e.message, "Rate exceeded"); /* no control characters */
    error_of(400, "", "x-amzn-errortype: ValidationException:http://internal.amazon.com/\n", &e);
    assert_string_equal(e.code, "ValidationException");
    error_of(502, "<html><body>Bad Gateway</body></html>", NULL, &e);
    assert_string_equal(e.code, "502"); /* no AWS error: the status, as botocore says it */
    assert_contains(e.message, "Bad Gateway");
    error_of(404, "", NULL, &e); /* S3's HEAD */
    assert_string_equal(e.code, "404");
}

static void vh(const char *endpoint, const char *path, const char *want_ep, const char *want_path) {
    char *rest = NULL;
    char *v = rw_aws_s3_virtual_host(endpoint, path, &rest);
    if (!want_ep) {
        assert_null(v);
        assert_null(rest);
        return;
    }
    assert_non_null(v);
    assert_string_equal(v, want_ep);
    assert_string_equal(rest, want_path);
    free(v);
    free(rest);
}

static void test_virtual_host(void **state) {
    (void)state;
    vh("https://s3.eu-west-1.amazonaws.com", "/acme-trail/AWSLogs/1/x.json.gz",
       "https://acme-trail.s3.eu-west-1.amazonaws.com", "/AWSLogs/1/x.json.gz");
    vh("https://s3.cn-north-1.amazonaws.com.cn", "/trail",
       "https://trail.s3.cn-north-1.amazonaws.com.cn", "/");
    vh("https://s3.us-gov-west-1.amazonaws.com", "/trail/k",
       "https://trail.s3.us-gov-west-1.amazonaws.com", "/k");
    vh("https://s3.eu-west-1.amazonaws.com", "/acme.trail/k", NULL, NULL); /* dots: path style */
    vh("https://s3.eu-west-1.amazonaws.com", "/Acme/k", NULL, NULL);
    vh("http://127.0.0.1:5000", "/trail/k", NULL, NULL); /* emulators: path style */
    vh("https://minio.example.com", "/trail/k", NULL, NULL);
    vh("https://s3.eu-west-1.amazonaws.com/base", "/trail/k", NULL, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_exact),
        cmocka_unit_test(test_gives_up_and_caps),
        cmocka_unit_test(test_client_errors_not_retried),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_error_replies),
        cmocka_unit_test(test_virtual_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
