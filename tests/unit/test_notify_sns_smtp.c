/* Unit tests for the SNS, SMTP and syslog channels (src/notify/out_sns.c, out_smtp.c,
 * out_syslog.c), driven directly: channels built by hand from JSON settings, their checks of those
 * settings, the exact syslog line (an in-process UDP receiver), the exact email (an in-process SMTP
 * responder), and how failures are classified. Runs against real servers and moto are in
 * tests/integration/test_notify_{sns,smtp,syslog}.py. */
#include "rwtest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "notify/notify.h"
#include "util/err.h"
#include "util/json.h"

/* ---- channels built by hand ---- */

static rw_notify_env env;

typedef struct chan {
    rw_channel ch;
    rw_json_doc *doc;
} chan;

/* A channel of type with these settings (JSON); NULL with *err set when the options are refused,
 * and *open_rc the result of open() otherwise. */
static chan *make(const char *type, const char *settings, char **err, int *open_rc) {
    const rw_channel_type *t = rw_channel_type_find(type);
    assert_non_null(t);
    chan *c = calloc(1, sizeof *c);
    c->doc = rw_json_doc_new(NULL);
    assert_int_equal(rw_json_doc_parse(c->doc, settings, strlen(settings)), RW_OK);
    *err = NULL;
    c->ch.opts = rw_opt_values_from_json(t, rw_json_doc_root(c->doc), "t1", err);
    if (!c->ch.opts) {
        rw_json_doc_free(c->doc);
        free(c);
        return NULL;
    }
    c->ch.name = "t1";
    c->ch.type = t;
    c->ch.max_attempts = 3;
    c->ch.env = &env;
    *open_rc = t->open ? t->open(&c->ch) : RW_OK;
    return c;
}

static void destroy(chan *c) {
    if (!c) return;
    if (c->ch.state && c->ch.type->close) c->ch.type->close(&c->ch);
    rw_opt_values_free(c->ch.opts);
    rw_json_doc_free(c->doc);
    free(c);
}

/* Expects open() to refuse settings, with a message containing want. */
static void refused(const char *type, const char *settings, const char *want) {
    char *err;
    int rc = RW_OK;
    chan *c = make(type, settings, &err, &rc);
    if (!c) {
        assert_contains(err, want);
        free(err);
        return;
    }
    if (rc == RW_OK) fail_msg("%s %s: accepted", type, settings);
    assert_contains(rw_error_last(), want);
    assert_contains(rw_error_last(), "channel t1");
    destroy(c);
}

static chan *opened(const char *type, const char *settings) {
    char *err;
    int rc = RW_EINVAL;
    chan *c = make(type, settings, &err, &rc);
    if (!c) fail_msg("%s: %s", settings, err);
    if (rc != RW_OK) fail_msg("%s: %s", settings, rw_error_last());
    return c;
}

static const char ALERT[] =
    "{\"eventID\":\"9d2c5b1e-0000-4000-8000-000000000001\",\"eventTime\":\"2026-11-20T10:00:00Z\","
    "\"account\":\"123456789012\",\"region\":\"eu-west-1\",\"eventSource\":\"iam.amazonaws.com\","
    "\"eventName\":\"Create\\\"Access]Key\\\\\",\"sourceIPAddress\":\"203.0.113.7\",\"userAgent\":"
    "\"aws-cli/2.15.30\",\"kind\":\"api_call\",\"outcome\":\"success\",\"mfa\":false,"
    "\"credential\":\"access_key\",\"accessKeyId\":\"AKIAEXAMPLE\",\"readOnly\":false,"
    "\"errorCode\":null,\"errorMessage\":null,\"sensitive\":true,\"severity\":\"critical\","
    "\"reasons\":[\"a root access key was used\"],\"rule\":\"root-api-call\",\"rules\":["
    "\"root-api-call\"],\"source\":{\"file\":\"x\",\"offset\":0},\"event\":{\"eventVersion\":"
    "\"1.09\"}}";

typedef struct notice {
    rw_notice n;
    rw_json_doc *doc;
} notice;

static void notice_init(notice *x, const char *json) {
    x->doc = rw_json_doc_new(NULL);
    assert_int_equal(rw_json_doc_parse(x->doc, json, strlen(json)), RW_OK);
    memset(&x->n, 0, sizeof x->n);
    x->n.alert = rw_json_doc_root(x->doc);
    x->n.event_id = rw_json_get_str(x->n.alert, "eventID");
    x->n.alert_json = json;
    x->n.alert_len = strlen(json);
    x->n.detected_ms = 1763632800123LL; /* 2025-11-20T10:00:00.123Z */
    x->n.attempt = 1;
}

/* ---- sockets ---- */

static int listen_on(int type, int *port) {
    int fd = socket(AF_INET, type, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    *port = ntohs(sa.sin_port);
    if (type == SOCK_STREAM) assert_int_equal(listen(fd, 4), 0);
    return fd;
}

/* A port nothing listens on. */
static int closed_port(void) {
    int port, fd = listen_on(SOCK_STREAM, &port);
    close(fd);
    return port;
}

/* ---- registry ---- */

static void test_registry(void **state) {
    (void)state;
    assert_ptr_equal(rw_channel_type_find("sns"), &rw_channel_sns);
    assert_ptr_equal(rw_channel_type_find("smtp"), &rw_channel_smtp);
    assert_ptr_equal(rw_channel_type_find("syslog"), &rw_channel_syslog);
    for (const rw_channel_type *t = &rw_channel_sns; t; t = t == &rw_channel_sns ? &rw_channel_smtp
                                                            : t == &rw_channel_smtp
                                                                ? &rw_channel_syslog
                                                                : NULL) {
        assert_non_null(t->summary);
        assert_non_null(t->send);
        for (const rw_opt_spec *o = t->opts; o->name; o++) assert_non_null(o->help);
    }
}

/* ---- SNS ---- */

static void test_sns_settings(void **state) {
    (void)state;
    destroy(opened("sns", "{\"topic_arn\":\"arn:aws:sns:eu-west-1:123456789012:root-alerts\"}"));
    destroy(opened("sns", "{\"topic_arn\":\"arn:aws-cn:sns:cn-north-1:123456789012:a.fifo\"}"));
    destroy(opened("sns", "{\"topic_arn\":\"arn:aws:sns:eu-west-1:123456789012:t\","
                          "\"region\":\"eu-west-1\"}"));
    refused("sns", "{}", "option topic_arn is required");
    refused("sns", "{\"topic_arn\":\"root-alerts\"}", "not a topic's ARN");
    refused("sns", "{\"topic_arn\":\"arn:aws:sqs:eu-west-1:123456789012:q\"}", "not a topic's ARN");
    refused("sns", "{\"topic_arn\":\"arn:aws:sns:eu-west-1:12345:t\"}", "not a topic's ARN");
    refused("sns", "{\"topic_arn\":\"arn:aws:sns:eu-west-1:123456789012:a:b\"}",
            "not a topic's ARN");
    refused("sns", "{\"topic_arn\":\"arn:aws:sns::123456789012:t\"}", "no region");
    refused("sns", "{\"topic_arn\":\"arn:aws:sns:eu-west-1:123456789012:t\",\"subject\":\"x\"}",
            "unknown option 'subject'");
}

static void test_sns_bad_aws_settings_permanent(void **state) {
    (void)state;
    setenv("AWS_CONFIG_FILE", "/nonexistent/rootwatch-test/config", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/rootwatch-test/credentials", 1);
    rw_notify_env bad;
    memset(&bad, 0, sizeof bad);
    pthread_mutex_init(&bad.lock, NULL);
    bad.aws_opts.profile = "no-such-profile-anywhere";
    chan *c = opened("sns", "{\"topic_arn\":\"arn:aws:sns:eu-west-1:123456789012:t\"}");
    c->ch.env = &bad;
    notice x;
    notice_init(&x, ALERT);
    rw_send_result res;
    memset(&res, 0, sizeof res);
    assert_int_not_equal(c->ch.type->send(&c->ch, &x.n, &res), RW_OK);
    assert_false(res.retryable);
    assert_contains(res.error, "channel t1: the AWS settings");
    assert_contains(res.error, "no-such-profile-anywhere");
    destroy(c);
    rw_json_doc_free(x.doc);
    pthread_mutex_destroy(&bad.lock);
}

/* ---- syslog ---- */

static void test_syslog_settings(void **state) {
    (void)state;
    destroy(opened("syslog", "{}")); /* unix:/dev/log, connected on the first send only */
    destroy(opened("syslog", "{\"address\":\"udp://[::1]:5514\",\"facility\":\"local7\"}"));
    destroy(opened("syslog", "{\"address\":\"tcp://syslog.example.com\",\"facility\":\"23\"}"));
    refused("syslog", "{\"address\":\"syslog.example.com:514\"}", "option address");
    refused("syslog", "{\"address\":\"udp://host:0\"}", "option address");
    refused("syslog", "{\"address\":\"udp://host:65536\"}", "option address");
    refused("syslog", "{\"address\":\"tcp://[::1]x\"}", "option address");
    refused("syslog", "{\"address\":\"unix:\"}", "option address");
    refused("syslog", "{\"facility\":\"kernel\"}", "option facility");
    refused("syslog", "{\"facility\":\"-1\"}", "option facility");
    refused("syslog", "{\"app_name\":\"\"}", "option app_name");
    refused("syslog", "{\"app_name\":\"a b\"}", "option app_name");
    refused("syslog", "{\"timeout_ms\":0}", "option timeout_ms");
}

static void test_syslog_udp_exact(void **state) {
    (void)state;
    int port, fd = listen_on(SOCK_DGRAM, &port);
    char settings[256];
    snprintf(settings, sizeof settings,
             "{\"address\":\"udp://127.0.0.1:%d\",\"facility\":\"authpriv\",\"hostname\":"
             "\"host 1\",\"app_name\":\"rw\"}",
             port);
    chan *c = opened("syslog", settings);
    notice x;
    notice_init(&x, ALERT);
    rw_send_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(c->ch.type->send(&c->ch, &x.n, &res), RW_OK);
    char got[4096];
    ssize_t n = recv(fd, got, sizeof got - 1, 0);
    assert_true(n > 0);
    got[n] = 0;
    char want[2048];
    snprintf(
        want, sizeof want,
        "<82>1 2025-11-20T10:00:00.123Z host_1 rw %ld root-activity [rootwatch@32473 "
        "eventID=\"9d2c5b1e-0000-4000-8000-000000000001\" account=\"123456789012\" "
        "rule=\"root-api-call\" severity=\"critical\" eventName=\"Create\\\"Access\\]Key\\\\\" "
        "eventSource=\"iam.amazonaws.com\" eventTime=\"2026-11-20T10:00:00Z\" "
        "region=\"eu-west-1\" sourceIP=\"203.0.113.7\"] \xEF\xBB\xBF"
        "Root API call Create\"Access]Key\\ in 123456789012 (critical)",
        (long)getpid());
    assert_string_equal(got, want);
    destroy(c);
    rw_json_doc_free(x.doc);
    close(fd);
}

static void test_syslog_tcp_down_retryable(void **state) {
    (void)state;
    char settings[128];
    snprintf(settings, sizeof settings, "{\"address\":\"tcp://127.0.0.1:%d\"}", closed_port());
    chan *c = opened("syslog", settings);
    notice x;
    notice_init(&x, ALERT);
    rw_send_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(c->ch.type->send(&c->ch, &x.n, &res), RW_ERETRY);
    assert_true(res.retryable);
    assert_contains(res.error, "channel t1: syslog: cannot connect to 127.0.0.1:");
    destroy(c);
    rw_json_doc_free(x.doc);
}

/* ---- SMTP: an in-process responder ---- */

typedef struct smtpd {
    int lfd, port;
    pthread_t th;
    const char *fail_rcpt; /* a reply to RCPT instead of 250, or NULL */
    rwt_str data;          /* the message as received (dot-stuffing kept) */
    rwt_str cmds;          /* the commands, one per line */
} smtpd;

static bool read_line(int fd, rwt_str *buf, size_t *off, char *line, size_t cap) {
    for (;;) {
        char *nl = buf->p ? memchr(buf->p + *off, '\n', buf->n - *off) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - (buf->p + *off)) + 1;
            if (n >= cap) n = cap - 1;
            memcpy(line, buf->p + *off, n);
            line[n] = 0;
            *off += (size_t)(nl - (buf->p + *off)) + 1;
            return true;
        }
        char tmp[4096];
        ssize_t r = recv(fd, tmp, sizeof tmp, 0);
        if (r <= 0) return false;
        rwt_add(buf, tmp, (size_t)r);
    }
}

static void say(int fd, const char *s) {
    ssize_t w = send(fd, s, strlen(s), MSG_NOSIGNAL);
    (void)w;
}

static void *smtpd_main(void *arg) {
    smtpd *s = arg;
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0) return NULL;
    rwt_str in = {0};
    size_t off = 0;
    char line[8192];
    say(fd, "220 test ESMTP\r\n");
    while (read_line(fd, &in, &off, line, sizeof line)) {
        rwt_add(&s->cmds, line, strlen(line));
        if (!strncasecmp(line, "EHLO", 4)) {
            say(fd, "250-test\r\n250 8BITMIME\r\n");
        } else if (!strncasecmp(line, "MAIL", 4)) {
            say(fd, "250 ok\r\n");
        } else if (!strncasecmp(line, "RCPT", 4)) {
            say(fd, s->fail_rcpt ? s->fail_rcpt : "250 ok\r\n");
        } else if (!strncasecmp(line, "DATA", 4)) {
            say(fd, "354 go\r\n");
            while (read_line(fd, &in, &off, line, sizeof line) && strcmp(line, ".\r\n"))
                rwt_add(&s->data, line, strlen(line));
            say(fd, "250 queued\r\n");
        } else if (!strncasecmp(line, "QUIT", 4)) {
            say(fd, "221 bye\r\n");
            break;
        } else {
            say(fd, "502 what\r\n");
        }
    }
    free(in.p);
    close(fd);
    return NULL;
}

static void smtpd_start(smtpd *s) {
    memset(s, 0, sizeof *s);
    s->lfd = listen_on(SOCK_STREAM, &s->port);
}

static void smtpd_run(smtpd *s) {
    assert_int_equal(pthread_create(&s->th, NULL, smtpd_main, s), 0);
}

/* Waits for the session to end (what it received stays until smtpd_free). */
static void smtpd_stop(smtpd *s) {
    pthread_join(s->th, NULL);
    close(s->lfd);
}

static void smtpd_free(smtpd *s) {
    free(s->data.p);
    free(s->cmds.p);
}

static void test_smtp_settings(void **state) {
    (void)state;
    destroy(opened("smtp", "{\"url\":\"smtps://mail.example.com\",\"from\":\"a@example.com\","
                           "\"to\":[\"b@example.com\",\"Bob <c@example.com>\"]}"));
    destroy(opened("smtp", "{\"url\":\"smtp://mail.example.com:587\",\"from\":\"Root Watch "
                           "<a@example.com>\",\"to\":\"b@example.com\",\"username\":\"u\","
                           "\"password\":\"p\"}"));
    destroy(opened("smtp", "{\"url\":\"smtp://localhost:25\",\"starttls\":false,"
                           "\"from\":\"a@example.com\",\"to\":\"b@example.com\"}"));
    refused("smtp",
            "{\"url\":\"smtp://mail.example.com\",\"starttls\":false,\"from\":"
            "\"a@example.com\",\"to\":\"b@example.com\"}",
            "only to a loopback address");
    refused("smtp",
            "{\"url\":\"imap://mail.example.com\",\"from\":\"a@example.com\",\"to\":"
            "\"b@example.com\"}",
            "smtps:// or smtp://");
    refused("smtp",
            "{\"url\":\"smtps://user:pw@mail.example.com\",\"from\":\"a@example.com\","
            "\"to\":\"b@example.com\"}",
            "not in the URL");
    refused("smtp",
            "{\"url\":\"smtps://mail.example.com\",\"from\":\"a@example.com\\r\\nBcc: "
            "x@example.com\",\"to\":\"b@example.com\"}",
            "option from");
    refused("smtp",
            "{\"url\":\"smtps://mail.example.com\",\"from\":\"a\",\"to\":\"b@example.com\"}",
            "option from");
    refused("smtp",
            "{\"url\":\"smtps://mail.example.com\",\"from\":\"a@example.com\",\"to\":"
            "[\"b@example.com\",\"c@@example.com\"]}",
            "option to: 'c@@example.com'");
    refused("smtp", "{\"url\":\"smtps://mail.example.com\",\"from\":\"a@example.com\",\"to\":[]}",
            "no recipient");
    refused("smtp",
            "{\"url\":\"smtps://mail.example.com\",\"from\":\"a@example.com\",\"to\":"
            "\"b@example.com\",\"password\":\"p\"}",
            "username and password go together");
    refused("smtp",
            "{\"url\":\"smtps://mail.example.com\",\"from\":\"a@example.com\",\"to\":"
            "\"b@example.com\",\"timeout_ms\":5}",
            "option timeout_ms");
}

static void test_smtp_message(void **state) {
    (void)state;
    smtpd s;
    smtpd_start(&s);
    smtpd_run(&s);
    char settings[512];
    snprintf(settings, sizeof settings,
             "{\"url\":\"smtp://127.0.0.1:%d\",\"starttls\":false,\"from\":\"Root, Watch "
             "<rw@alerts.example.com>\",\"to\":[\"a@example.com\",\"B\\u00e9 <b@example.com>\"]}",
             s.port);
    chan *c = opened("smtp", settings);
    notice x;
    notice_init(&x, ALERT);
    x.n.test = true;
    rw_send_result res;
    memset(&res, 0, sizeof res);
    int rc = c->ch.type->send(&c->ch, &x.n, &res);
    if (rc != RW_OK) fail_msg("%s", res.error);
    smtpd_stop(&s);
    const char *d = s.data.p;
    assert_non_null(d);
    assert_contains(s.cmds.p, "MAIL FROM:<rw@alerts.example.com>");
    assert_contains(s.cmds.p, "RCPT TO:<a@example.com>");
    assert_contains(s.cmds.p, "RCPT TO:<b@example.com>");
    assert_true(!strncmp(d, "Date: Thu, 20 Nov 2025 10:00:00 +0000\r\n", 39));
    assert_contains(d, "\r\nFrom: \"Root, Watch\" <rw@alerts.example.com>\r\n");
    assert_contains(d, "\r\nTo: a@example.com, =?UTF-8?B?QsOp?= <b@example.com>\r\n");
    /* "[TEST] Root API call Create"Access]Key\ in 123456789012 (critical)": ASCII, short */
    assert_contains(d, "\r\nSubject: [TEST] Root API call Create\"Access]Key\\ in 123456789012 "
                       "(critical)\r\n");
    /* longer than a line: folded before the identifier */
    assert_contains(d, "\r\nMessage-ID:\r\n <9d2c5b1e-0000-4000-8000-000000000001.rootwatch@"
                       "alerts.example.com>\r\n");
    assert_contains(d, "\r\nMIME-Version: 1.0\r\n");
    assert_contains(d, "\r\nContent-Type: multipart/alternative; boundary=\"=_rootwatch_");
    assert_contains(d, "\r\nX-Rootwatch-Event-Id: 9d2c5b1e-0000-4000-8000-000000000001\r\n");
    assert_contains(d, "\r\nX-Rootwatch-Severity: critical\r\n");
    assert_contains(d, "\r\nX-Rootwatch-Test: yes\r\n");
    assert_contains(d, "Content-Type: text/plain; charset=UTF-8\r\n"
                       "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
    assert_contains(d, "Content-Type: text/html; charset=UTF-8\r\n"
                       "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
    assert_contains(d, "<meta charset=3D\"utf-8\">");
    /* every line ends with CRLF, none is longer than 78, and nothing is 8-bit */
    size_t col = 0;
    for (const char *p = d; *p; p++) {
        if (*p == '\n') {
            assert_true(p > d && p[-1] == '\r');
            col = 0;
            continue;
        }
        assert_true((unsigned char)*p < 0x80);
        col++;
        if (col > 78) fail_msg("a line longer than 78: %.100s", p - col + 1);
    }
    smtpd_free(&s);
    destroy(c);
    rw_json_doc_free(x.doc);
}

static void test_smtp_encoded_subject(void **state) {
    (void)state;
    smtpd s;
    smtpd_start(&s);
    smtpd_run(&s);
    char settings[256];
    snprintf(settings, sizeof settings,
             "{\"url\":\"smtp://127.0.0.1:%d\",\"starttls\":false,\"from\":\"rw@example.com\","
             "\"to\":\"a@example.com\"}",
             s.port);
    chan *c = opened("smtp", settings);
    static const char alert[] = "{\"eventID\":\"e1\",\"account\":\"123456789012\",\"eventName\":"
                                "\"Caf\\u00e9\\r\\nBcc: x@example.com\",\"kind\":\"api_call\","
                                "\"severity\":\"low\"}";
    notice x;
    notice_init(&x, alert);
    rw_send_result res;
    memset(&res, 0, sizeof res);
    int rc = c->ch.type->send(&c->ch, &x.n, &res);
    if (rc != RW_OK) fail_msg("%s", res.error);
    smtpd_stop(&s);
    /* "Root API call Caf\u00e9? Bcc: x@example.com in 123456789012 (low)", base64 in two words */
    assert_contains(s.data.p,
                    "\r\nSubject: =?UTF-8?B?Um9vdCBBUEkgY2FsbCBDYWbDqT8gQmNjOiB4QGV4YW1wbG"
                    "UuY29t?=\r\n =?UTF-8?B?IGluIDEyMzQ1Njc4OTAxMiAobG93KQ==?=\r\n");
    /* the header section has no Bcc (the line break in the event name went into the body only) */
    char *end = strstr(s.data.p, "\r\n\r\n");
    assert_non_null(end);
    *end = 0;
    assert_not_contains(s.data.p, "\r\nBcc:");
    smtpd_free(&s);
    destroy(c);
    rw_json_doc_free(x.doc);
}

static void test_smtp_failures(void **state) {
    (void)state;
    notice x;
    notice_init(&x, ALERT);
    rw_send_result res;
    /* refused connection: retryable */
    char settings[256];
    snprintf(settings, sizeof settings,
             "{\"url\":\"smtp://127.0.0.1:%d\",\"starttls\":false,\"from\":\"rw@example.com\","
             "\"to\":\"a@example.com\",\"timeout_ms\":5000}",
             closed_port());
    chan *c = opened("smtp", settings);
    memset(&res, 0, sizeof res);
    assert_int_equal(c->ch.type->send(&c->ch, &x.n, &res), RW_ERETRY);
    assert_true(res.retryable);
    assert_contains(res.error, "channel t1: SMTP to 127.0.0.1:");
    destroy(c);
    /* 4xx and 5xx replies */
    static const struct {
        const char *reply;
        bool retryable;
    } cases[] = {{"451 4.3.0 try later\r\n", true}, {"550 5.1.1 no such user\r\n", false}};
    for (size_t i = 0; i < 2; i++) {
        smtpd s;
        smtpd_start(&s);
        s.fail_rcpt = cases[i].reply;
        smtpd_run(&s);
        snprintf(settings, sizeof settings,
                 "{\"url\":\"smtp://127.0.0.1:%d\",\"starttls\":false,\"from\":\"rw@example.com\","
                 "\"to\":\"a@example.com\"}",
                 s.port);
        c = opened("smtp", settings);
        memset(&res, 0, sizeof res);
        assert_int_not_equal(c->ch.type->send(&c->ch, &x.n, &res), RW_OK);
        smtpd_stop(&s);
        assert_int_equal(res.retryable, cases[i].retryable);
        char said[128];
        snprintf(said, sizeof said, "(the server said: %.*s)", (int)strlen(cases[i].reply) - 2,
                 cases[i].reply);
        assert_contains(res.error, said);
        smtpd_free(&s);
        destroy(c);
    }
    rw_json_doc_free(x.doc);
}

int main(void) {
    pthread_mutex_init(&env.lock, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_sns_settings),
        cmocka_unit_test(test_sns_bad_aws_settings_permanent),
        cmocka_unit_test(test_syslog_settings),
        cmocka_unit_test(test_syslog_udp_exact),
        cmocka_unit_test(test_syslog_tcp_down_retryable),
        cmocka_unit_test(test_smtp_settings),
        cmocka_unit_test(test_smtp_message),
        cmocka_unit_test(test_smtp_encoded_subject),
        cmocka_unit_test(test_smtp_failures),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (env.aws_open) rw_aws_session_close(&env.aws);
    pthread_mutex_destroy(&env.lock);
    return rc;
}
