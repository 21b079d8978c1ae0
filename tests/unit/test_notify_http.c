/* The HTTP notification channels (webhook, slack, teams, pagerduty) driven directly against a
 * recording HTTP server in a thread: what each sends (body shape, headers, the webhook's HMAC
 * signature, PagerDuty's dedup_key and severities), how replies are judged (sent, retryable,
 * refused), that no secret reaches a message, and that plain http is refused but to loopback. */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rwtest.h"

#include "notify/channel.h"
#include "notify/http_out.h"
#include "notify/notify.h"
#include "notify/render.h"
#include "util/err.h"
#include "util/json.h"

/* ---- a recording HTTP/1.1 server (keep-alive, scripted replies) ---- */

typedef struct reply {
    int status;
    const char *body;    /* "%s" in it becomes the last request's path (a reply echoing secrets) */
    const char *headers; /* extra header lines, each ending in \r\n, or NULL */
} reply;

typedef struct request {
    char *line;    /* "POST /path HTTP/1.1" */
    char *headers; /* the header lines, \r\n-separated */
    char *body;
    size_t body_len;
} request;

#define MAX_REQ 32
#define BUF_CAP (1 << 20)

static struct {
    int fd, port, client;
    pthread_t thread;
    const reply *script;
    size_t nscript, served, accepts;
    request req[MAX_REQ];
    pthread_mutex_t lock;
} srv;

static void *serve(void *arg) {
    (void)arg;
    char *buf = malloc(BUF_CAP);
    for (;;) {
        int c = accept(srv.fd, NULL, NULL);
        if (c < 0) break;
        pthread_mutex_lock(&srv.lock);
        srv.accepts++;
        srv.client = c;
        pthread_mutex_unlock(&srv.lock);
        size_t have = 0;
        for (;;) {
            char *end = NULL;
            ssize_t n;
            while (!(end = memmem(buf, have, "\r\n\r\n", 4)) &&
                   (n = read(c, buf + have, BUF_CAP - have - 1)) > 0)
                have += (size_t)n;
            if (!end) break;
            buf[have] = 0;
            size_t hlen = (size_t)(end + 4 - buf);
            size_t clen = 0;
            const char *cl = strcasestr(buf, "\r\ncontent-length:");
            if (cl && cl < end) clen = strtoul(cl + 17, NULL, 10);
            while (have < hlen + clen && (n = read(c, buf + have, BUF_CAP - have - 1)) > 0)
                have += (size_t)n;
            pthread_mutex_lock(&srv.lock);
            const reply *r = &srv.script[srv.served < srv.nscript ? srv.served : srv.nscript - 1];
            char path[2048] = "";
            if (srv.served < MAX_REQ) {
                request *q = &srv.req[srv.served];
                size_t ll = strcspn(buf, "\r");
                q->line = strndup(buf, ll);
                q->headers = strndup(buf + ll + 2, hlen - ll - 2);
                q->body = strndup(buf + hlen, clen);
                q->body_len = clen;
                sscanf(q->line, "%*s %2047s", path);
            }
            srv.served++;
            pthread_mutex_unlock(&srv.lock);
            char body[4096];
            snprintf(body, sizeof body, r->body, path);
            char head[512];
            int hl = snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s\r\n",
                              r->status, strlen(body), r->headers ? r->headers : "");
            /* one write: the client may be gone as soon as it has the head (a 204) */
            char out[sizeof head + sizeof body];
            size_t ol = (size_t)hl + strlen(body);
            memcpy(out, head, (size_t)hl);
            memcpy(out + hl, body, strlen(body));
            if (send(c, out, ol, MSG_NOSIGNAL) < 0) break;
            memmove(buf, buf + hlen + clen, have - hlen - clen);
            have -= hlen + clen;
        }
        pthread_mutex_lock(&srv.lock);
        srv.client = -1;
        pthread_mutex_unlock(&srv.lock);
        close(c);
    }
    free(buf);
    return NULL;
}

static void start(const reply *script, size_t n) {
    memset(&srv, 0, sizeof srv);
    pthread_mutex_init(&srv.lock, NULL);
    srv.script = script;
    srv.nscript = n;
    srv.client = -1;
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
    pthread_mutex_lock(&srv.lock);
    if (srv.client >= 0) shutdown(srv.client, SHUT_RDWR);
    pthread_mutex_unlock(&srv.lock);
    pthread_join(srv.thread, NULL);
    close(srv.fd);
    for (size_t i = 0; i < MAX_REQ; i++) {
        free(srv.req[i].line);
        free(srv.req[i].headers);
        free(srv.req[i].body);
    }
    pthread_mutex_destroy(&srv.lock);
}

/* The value of a header of request i (a new string), or NULL. */
static char *req_header(size_t i, const char *name) {
    const char *h = srv.req[i].headers;
    size_t n = strlen(name);
    for (const char *p = h; p && *p;) {
        if (!strncasecmp(p, name, n) && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ') v++;
            return strndup(v, strcspn(v, "\r"));
        }
        p = strstr(p, "\r\n");
        if (p) p += 2;
    }
    return NULL;
}

/* A port where nothing listens. */
static int dead_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

/* ---- channels and notices built by hand ---- */

static char chan_name[] = "chan-under-test";

typedef struct chan {
    rw_channel ch;
    rw_json_doc *doc;
} chan;

/* Builds options from settings (JSON) and opens the channel: RW_OK, or the error (*err set when
 * the options themselves were refused, else rw_error_last()). */
static int chan_open(chan *c, const rw_channel_type *t, const char *settings, char **err) {
    memset(c, 0, sizeof *c);
    *err = NULL;
    c->doc = rw_json_doc_new(NULL);
    assert_int_equal(rw_json_doc_parse(c->doc, settings, strlen(settings)), RW_OK);
    rw_opt_values *v = rw_opt_values_from_json(t, rw_json_doc_root(c->doc), chan_name, err);
    rw_json_doc_free(c->doc);
    c->doc = NULL;
    if (!v) return RW_EINVAL;
    c->ch.name = chan_name;
    c->ch.type = t;
    c->ch.opts = v;
    c->ch.max_attempts = 8;
    int rc = t->open(&c->ch);
    if (rc != RW_OK) {
        assert_null(c->ch.state);
        rw_opt_values_free(v);
        c->ch.opts = NULL;
    }
    return rc;
}

static void chan_close(chan *c) {
    if (c->ch.state && c->ch.type->close) c->ch.type->close(&c->ch);
    assert_null(c->ch.state);
    rw_opt_values_free(c->ch.opts);
    c->ch.opts = NULL;
}

static void chan_must_open(chan *c, const rw_channel_type *t, const char *settings) {
    char *err = NULL;
    int rc = chan_open(c, t, settings, &err);
    if (rc != RW_OK) fail_msg("open %s: %s", t->type, err ? err : rw_error_last());
}

typedef struct notice {
    rw_notice n;
    rw_json_doc *doc;
} notice;

static void notice_make(notice *x, const char *json, bool test) {
    x->doc = rw_json_doc_new(NULL);
    assert_int_equal(rw_json_doc_parse(x->doc, json, strlen(json)), RW_OK);
    const rw_json *root = rw_json_doc_root(x->doc);
    x->n = (rw_notice){.event_id = rw_json_get_str(root, "eventID"),
                       .alert = root,
                       .alert_json = json,
                       .alert_len = strlen(json),
                       .test = test,
                       .detected_ms = 1795000000000,
                       .attempt = 1};
}

static void notice_free(notice *x) {
    rw_json_doc_free(x->doc);
}

/* A root console sign-in (high) and a root access key's call (critical), per docs/alert-schema.md;
 * the second with a user agent that tries Slack mentions and links. */
static const char LOGIN[] =
    "{\"eventID\":\"f7e0da4b-dec2-4287-83bb-f4bd87fe5ab1\",\"eventTime\":\"2026-11-20T00:00:57Z\","
    "\"account\":\"723347347957\",\"region\":\"eu-west-1\",\"eventSource\":\"signin.amazonaws."
    "com\","
    "\"eventName\":\"ConsoleLogin\",\"sourceIPAddress\":\"34.113.235.249\",\"userAgent\":"
    "\"Mozilla/5.0\",\"kind\":\"console_login\",\"outcome\":\"success\",\"mfa\":true,"
    "\"credential\":null,\"accessKeyId\":null,\"readOnly\":false,\"errorCode\":null,"
    "\"errorMessage\":null,\"sensitive\":false,\"severity\":\"%s\",\"reasons\":[\"root console "
    "sign-in with MFA\"],\"rule\":\"root-console-sign-in\",\"rules\":[\"root-console-sign-in\"],"
    "\"source\":{\"file\":\"x.json.gz\",\"offset\":324964},\"event\":{\"eventVersion\":\"1.09\","
    "\"userIdentity\":{\"type\":\"Root\",\"accountId\":\"723347347957\"},\"eventName\":"
    "\"ConsoleLogin\",\"eventID\":\"f7e0da4b-dec2-4287-83bb-f4bd87fe5ab1\"}}";

static const char KEYCALL[] =
    "{\"eventID\":\"cb02ce99-537a-43f6-92f4-d6f400ac5c6b\",\"eventTime\":\"2026-11-20T00:30:10Z\","
    "\"account\":\"171999863748\",\"region\":\"us-gov-west-1\",\"eventSource\":"
    "\"iam.amazonaws.com\",\"eventName\":\"CreateAccessKey\",\"sourceIPAddress\":\"18.80.106.63\","
    "\"userAgent\":\"evil <!channel> & <https://evil.example|click>\",\"kind\":\"api_call\","
    "\"outcome\":\"failure\",\"mfa\":false,\"credential\":\"access_key\",\"accessKeyId\":"
    "\"AKIAK2UUKCQZBKPN2CSE\",\"readOnly\":false,\"errorCode\":\"AccessDenied\",\"errorMessage\":"
    "\"no\",\"sensitive\":true,\"severity\":\"critical\",\"reasons\":[\"root call "
    "iam:CreateAccessKey\",\"a long-term root access key was used (AKIAK2UUKCQZBKPN2CSE)\"],"
    "\"rule\":\"root-api-call\",\"rules\":[\"root-api-call\"],\"source\":{\"file\":\"y\","
    "\"offset\":1},\"event\":{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"Root\"}}}";

static char *login_alert(const char *severity) {
    size_t n = sizeof LOGIN + strlen(severity);
    char *s = malloc(n);
    snprintf(s, n, LOGIN, severity);
    return s;
}

/* The body of request i, parsed. */
static rw_json_doc *body_of(size_t i) {
    rw_json_doc *d = rw_json_doc_new(NULL);
    if (rw_json_doc_parse(d, srv.req[i].body, srv.req[i].body_len) != RW_OK)
        fail_msg("request %zu: the body is not JSON: %s", i, srv.req[i].body);
    return d;
}

static const char *str_at(const rw_json *j, const char *path) {
    const rw_json *v = rw_json_path(j, path);
    if (!v || v->type != RW_JSON_STRING) fail_msg("no string at %s", path);
    return v->str;
}

static const rw_json *nth(const rw_json *arr, size_t i) {
    if (!arr || (arr->type != RW_JSON_ARRAY)) fail_msg("not an array");
    const rw_json *e = arr->child;
    while (e && i--) e = e->next;
    if (!e) fail_msg("no element %zu", i);
    return e;
}

static const char *str_at_dot(const rw_json *j) {
    return j && j->type == RW_JSON_STRING ? j->str : "";
}

static void hex(const unsigned char *p, size_t n, char *out) {
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) out[2 * i] = d[p[i] >> 4], out[2 * i + 1] = d[p[i] & 15];
    out[2 * n] = 0;
}

#define WEBHOOK_TOKEN "tok-ABCDEF0123456789"
#define SIGNING_SECRET "whsec-signing-key-42"
#define BEARER "bearer-XYZ-987654321"
#define ROUTING_KEY "R0123456789abcdef0123456789abcde"

/* ---- the webhook ---- */

static void test_webhook_request(void **state) {
    (void)state;
    reply script[] = {{200, "ok", NULL}};
    start(script, 1);
    char settings[512];
    snprintf(settings, sizeof settings,
             "{\"url\":\"http://127.0.0.1:%d/hooks/" WEBHOOK_TOKEN
             "?x=1\",\"secret\":\"" SIGNING_SECRET "\",\"headers\":[\"Authorization: Bearer " BEARER
             "\",\"X-Team:  secops \"]}",
             srv.port);
    chan c;
    chan_must_open(&c, &rw_channel_webhook, settings);
    assert_true(rw_channel_webhook.idempotency_key);

    notice a, t;
    notice_make(&a, KEYCALL, false);
    notice_make(&t, KEYCALL, true);
    rw_send_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(c.ch.type->send(&c.ch, &a.n, &res), RW_OK);
    assert_int_equal(c.ch.type->send(&c.ch, &t.n, &res), RW_OK);
    chan_close(&c);
    assert_int_equal(srv.served, 2);
    assert_int_equal(srv.accepts, 1); /* one connection, kept */

    time_t now = time(NULL);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(srv.req[i].line, "POST /hooks/" WEBHOOK_TOKEN "?x=1 HTTP/1.1");
        char *ct = req_header(i, "Content-Type"), *ua = req_header(i, "User-Agent"),
             *id = req_header(i, "X-Rootwatch-Event-Id"),
             *ts = req_header(i, "X-Rootwatch-Timestamp"),
             *sig = req_header(i, "X-Rootwatch-Signature"), *auth = req_header(i, "Authorization"),
             *team = req_header(i, "X-Team");
        assert_string_equal(ct, "application/json");
        assert_string_equal(ua, "rootwatch/" RW_VERSION);
        assert_string_equal(id, "cb02ce99-537a-43f6-92f4-d6f400ac5c6b");
        assert_string_equal(auth, "Bearer " BEARER);
        assert_string_equal(team, "secops");
        /* the timestamp: unix seconds, now */
        assert_non_null(ts);
        char *end;
        long long t0 = strtoll(ts, &end, 10);
        assert_true(*end == 0 && llabs(t0 - (long long)now) <= 60);
        /* the signature: sha256=hex(HMAC-SHA256(secret, "<timestamp>.<body>")) */
        size_t ml = strlen(ts) + 1 + srv.req[i].body_len;
        char *msg = malloc(ml + 1);
        snprintf(msg, ml + 1, "%s.%s", ts, srv.req[i].body);
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int macl = 0;
        HMAC(EVP_sha256(), SIGNING_SECRET, (int)strlen(SIGNING_SECRET), (unsigned char *)msg, ml,
             mac, &macl);
        char want[7 + 65] = "sha256=";
        hex(mac, macl, want + 7);
        assert_string_equal(sig, want);
        free(msg);
        free(ct), free(ua), free(id), free(ts), free(sig), free(auth), free(team);
    }
    /* the alert as it is; a test notice says so */
    assert_int_equal(srv.req[0].body_len, strlen(KEYCALL));
    assert_memory_equal(srv.req[0].body, KEYCALL, strlen(KEYCALL));
    rw_json_doc *d = body_of(1);
    const rw_json *root = rw_json_doc_root(d);
    assert_int_equal(rw_json_get(root, "test")->type, RW_JSON_TRUE);
    assert_int_equal(rw_json_count(root, "test"), 1);
    assert_string_equal(str_at(root, "eventID"), "cb02ce99-537a-43f6-92f4-d6f400ac5c6b");
    assert_string_equal(str_at(root, "event.userIdentity.type"), "Root");
    rw_json_doc_free(d);
    notice_free(&a);
    notice_free(&t);
    stop();
}

static void test_webhook_unsigned_and_test_alert(void **state) {
    (void)state;
    reply script[] = {{204, "", NULL}};
    start(script, 1);
    char settings[256];
    snprintf(settings, sizeof settings, "{\"url\":\"http://localhost:%d/h\"}", srv.port);
    chan c;
    chan_must_open(&c, &rw_channel_webhook, settings);
    /* an alert that already says "test": true (as `notify test` builds it) keeps one */
    static const char T[] =
        "{\"eventID\":\"rootwatch-test-1\",\"severity\":\"high\",\"test\":true} ";
    notice t;
    notice_make(&t, T, true);
    rw_send_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(c.ch.type->send(&c.ch, &t.n, &res), RW_OK);
    chan_close(&c);
    char *sig = req_header(0, "X-Rootwatch-Signature"), *id = req_header(0, "X-Rootwatch-Event-Id");
    assert_null(sig);
    assert_string_equal(id, "rootwatch-test-1");
    free(id);
    assert_memory_equal(srv.req[0].body, T, strlen(T));
    notice_free(&t);
    stop();
}

static void test_webhook_bad_options(void **state) {
    (void)state;
    static const char *const bad[][2] = {
        {"{\"url\":\"https://h.example/x\",\"headers\":[\"Content-Type: text/plain\"]}",
         "Content-Type is set by rootwatch"},
        {"{\"url\":\"https://h.example/x\",\"headers\":[\"X-Rootwatch-Signature: x\"]}",
         "is set by rootwatch"},
        {"{\"url\":\"https://h.example/x\",\"headers\":[\"no colon here\"]}",
         "item 1 is not \"Name: value\""},
        {"{\"url\":\"https://h.example/x\",\"headers\":[\"Bad Name: v\"]}", "item 1"},
        {"{\"url\":\"https://h.example/x\",\"timeout_ms\":0}", "timeout_ms"},
        {"{\"url\":\"https://h.example/x\",\"secret\":\"\"}", "secret"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        chan c;
        char *err = NULL;
        assert_int_not_equal(chan_open(&c, &rw_channel_webhook, bad[i][0], &err), RW_OK);
        assert_contains(err ? err : rw_error_last(), bad[i][1]);
        assert_contains(err ? err : rw_error_last(), chan_name);
        free(err);
    }
}

/* ---- Slack ---- */

static void test_slack_message(void **state) {
    (void)state;
    reply script[] = {{200, "ok", NULL}};
    start(script, 1);
    char settings[512];
    snprintf(settings, sizeof settings,
             "{\"webhook_url\":\"http://127.0.0.1:%d/services/T000/B000/" WEBHOOK_TOKEN "\","
             "\"channel\":\"#sec\",\"username\":\"rootwatch\",\"icon_emoji\":\":eyes:\","
             "\"account_aliases\":[\"171999863748=prod-main\"]}",
             srv.port);
    chan c;
    chan_must_open(&c, &rw_channel_slack, settings);
    assert_false(rw_channel_slack.idempotency_key);
    notice a;
    notice_make(&a, KEYCALL, true);
    rw_send_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(c.ch.type->send(&c.ch, &a.n, &res), RW_OK);
    chan_close(&c);
    char *ct = req_header(0, "Content-Type");
    assert_contains(ct, "application/json");
    free(ct);

    rw_json_doc *d = body_of(0);
    const rw_json *m = rw_json_doc_root(d);
    char *title = rw_render_title(&a.n, "prod-main"), *link = rw_render_console_link(&a.n);
    assert_contains(title, "[TEST]");
    assert_contains(str_at(m, "text"), "[TEST] Root API call CreateAccessKey");
    assert_string_equal(str_at(m, "channel"), "#sec");
    assert_string_equal(str_at(m, "username"), "rootwatch");
    assert_string_equal(str_at(m, "icon_emoji"), ":eyes:");
    const rw_json *blocks = rw_json_get(m, "blocks");
    const rw_json *h = nth(blocks, 0);
    assert_string_equal(str_at(h, "type"), "header");
    assert_string_equal(str_at(h, "text.type"), "plain_text");
    assert_string_equal(str_at(h, "text.text"), title);
    /* the test notice says so, then the facts */
    assert_contains(str_at(nth(blocks, 1), "text.text"), "test notification");
    const rw_json *facts = nth(blocks, 2);
    assert_string_equal(str_at(facts, "type"), "section");
    rwt_str all = {0};
    for (const rw_json *f = rw_json_get(facts, "fields")->child; f; f = f->next) {
        assert_string_equal(str_at(f, "type"), "mrkdwn");
        rwt_addf(&all, "%s|", str_at(f, "text"));
    }
    assert_contains(all.p, "*Account*\n171999863748 (prod-main)");
    assert_contains(all.p, "*Region*\nus-gov-west-1");
    assert_contains(all.p, "*Event*\niam.amazonaws.com:CreateAccessKey (failed: AccessDenied)");
    assert_contains(all.p, "*Source IP*\n18.80.106.63");
    assert_contains(all.p, "*MFA*\n*no*");
    assert_contains(all.p, "*Severity*\n:rotating_light: critical");
    assert_contains(all.p, "*Credential*\naccess_key");
    free(all.p);
    const rw_json *why = nth(blocks, 3);
    assert_contains(str_at(why, "text.text"), "*Why*");
    assert_contains(str_at(why, "text.text"), "root call iam:CreateAccessKey");
    const rw_json *ctx = nth(blocks, 4);
    assert_string_equal(str_at(ctx, "type"), "context");
    assert_contains(str_at(nth(rw_json_get(ctx, "elements"), 0), "text"),
                    "cb02ce99-537a-43f6-92f4-d6f400ac5c6b");
    assert_contains(str_at(nth(rw_json_get(ctx, "elements"), 0), "text"), "root-api-call");
    const rw_json *act = nth(blocks, 5);
    assert_string_equal(str_at(act, "type"), "actions");
    const rw_json *btn = nth(rw_json_get(act, "elements"), 0);
    assert_string_equal(str_at(btn, "type"), "button");
    assert_string_equal(str_at(btn, "text.text"), "View in CloudTrail");
    assert_string_equal(str_at(btn, "url"), link);
    assert_contains(link, "https://us-gov-west-1.console.amazonaws-us-gov.com/cloudtrailv2/");
    /* nothing from the event can mention @channel or slip in a link */
    assert_not_contains(srv.req[0].body, "<!channel>");
    assert_not_contains(srv.req[0].body, "<https://evil");
    free(title);
    free(link);
    rw_json_doc_free(d);
    notice_free(&a);
    stop();
}

static void test_slack_severity_emoji(void **state) {
    (void)state;
    reply script[] = {{200, "ok", NULL}};
    start(script, 1);
    char settings[256];
    snprintf(settings, sizeof settings, "{\"webhook_url\":\"http://127.0.0.1:%d/s\"}", srv.port);
    chan c;
    chan_must_open(&c, &rw_channel_slack, settings);
    static const char *const sev[][2] = {{"critical", ":rotating_light: critical"},
                                         {"high", ":red_circle: high"},
                                         {"medium", ":large_orange_circle: medium"},
                                         {"low", ":large_blue_circle: low"}};
    for (size_t i = 0; i < 4; i++) {
        char *js = login_alert(sev[i][0]);
        notice a;
        notice_make(&a, js, false);
        rw_send_result res;
        memset(&res, 0, sizeof res);
        assert_int_equal(c.ch.type->send(&c.ch, &a.n, &res), RW_OK);
        assert_contains(srv.req[i].body, sev[i][1]);
        assert_not_contains(srv.req[i].body, "test notification");
        notice_free(&a);
        free(js);
    }
    chan_close(&c);
    stop();
}

/* ---- Teams ---- */

static void test_teams_card(void **state) {
    (void)state;
    reply script[] = {{202, "", NULL}};
    start(script, 1);
    char settings[512];
    snprintf(settings, sizeof settings,
             "{\"webhook_url\":\"http://127.0.0.1:%d/workflows/x/triggers/manual/paths/"
             "invoke?api-version=1&sig=" WEBHOOK_TOKEN "\"}",
             srv.port);
    chan c;
    chan_must_open(&c, &rw_channel_teams, settings);
    assert_false(rw_channel_teams.idempotency_key);
    static const char *const sev[][2] = {{"critical", "attention"},
                                         {"high", "attention"},
                                         {"medium", "warning"},
                                         {"low", "default"}};
    for (size_t i = 0; i < 4; i++) {
        char *js = login_alert(sev[i][0]);
        notice a;
        notice_make(&a, js, false);
        rw_send_result res;
        memset(&res, 0, sizeof res);
        assert_int_equal(c.ch.type->send(&c.ch, &a.n, &res), RW_OK);
        rw_json_doc *d = body_of(i);
        const rw_json *m = rw_json_doc_root(d);
        assert_string_equal(str_at(m, "type"), "message");
        const rw_json *att = nth(rw_json_get(m, "attachments"), 0);
        assert_string_equal(str_at(att, "contentType"), "application/vnd.microsoft.card.adaptive");
        const rw_json *card = rw_json_get(att, "content");
        assert_string_equal(str_at(card, "type"), "AdaptiveCard");
        assert_string_equal(str_at(card, "version"), "1.4");
        const rw_json *body = rw_json_get(card, "body");
        const rw_json *tb = nth(body, 0);
        char *title = rw_render_title(&a.n, NULL), *link = rw_render_console_link(&a.n);
        assert_string_equal(str_at(tb, "type"), "TextBlock");
        assert_string_equal(str_at(tb, "text"), title);
        assert_string_equal(str_at(tb, "color"), sev[i][1]);
        const rw_json *fs = nth(body, 1);
        assert_string_equal(str_at(fs, "type"), "FactSet");
        rwt_str all = {0};
        for (const rw_json *f = rw_json_get(fs, "facts")->child; f; f = f->next)
            rwt_addf(&all, "%s=%s|", str_at(f, "title"), str_at(f, "value"));
        assert_contains(all.p, "Account=723347347957|");
        assert_contains(all.p, "Event=signin.amazonaws.com:ConsoleLogin|");
        assert_contains(all.p, "MFA=yes|");
        rwt_str sv = {0};
        rwt_addf(&sv, "Severity=%s|", sev[i][0]);
        assert_contains(all.p, sv.p);
        assert_contains(all.p, "Event ID=f7e0da4b-dec2-4287-83bb-f4bd87fe5ab1|");
        free(all.p);
        free(sv.p);
        assert_contains(srv.req[i].body, "root console sign-in with MFA");
        const rw_json *act = nth(rw_json_get(card, "actions"), 0);
        assert_string_equal(str_at(act, "type"), "Action.OpenUrl");
        assert_string_equal(str_at(act, "url"), link);
        free(title);
        free(link);
        rw_json_doc_free(d);
        notice_free(&a);
        free(js);
    }
    chan_close(&c);
    assert_int_equal(srv.accepts, 1);
    stop();
}

/* ---- PagerDuty ---- */

static void test_pagerduty_event(void **state) {
    (void)state;
    reply script[] = {
        {202, "{\"status\":\"success\",\"message\":\"Event processed\",\"dedup_key\":\"x\"}",
         NULL}};
    start(script, 1);
    char settings[512];
    snprintf(settings, sizeof settings,
             "{\"url\":\"http://127.0.0.1:%d/v2/enqueue\",\"routing_key\":\"" ROUTING_KEY "\"}",
             srv.port);
    chan c;
    chan_must_open(&c, &rw_channel_pagerduty, settings);
    assert_true(rw_channel_pagerduty.idempotency_key);
    static const char *const sev[][2] = {
        {"critical", "critical"}, {"high", "error"}, {"medium", "warning"}, {"low", "info"}};
    for (size_t i = 0; i < 4; i++) {
        char *js = login_alert(sev[i][0]);
        notice a;
        notice_make(&a, js, false);
        rw_send_result res;
        memset(&res, 0, sizeof res);
        assert_int_equal(c.ch.type->send(&c.ch, &a.n, &res), RW_OK);
        assert_string_equal(srv.req[i].line, "POST /v2/enqueue HTTP/1.1");
        rw_json_doc *d = body_of(i);
        const rw_json *m = rw_json_doc_root(d);
        char *title = rw_render_title(&a.n, NULL), *link = rw_render_console_link(&a.n);
        assert_string_equal(str_at(m, "routing_key"), ROUTING_KEY);
        assert_string_equal(str_at(m, "event_action"), "trigger");
        assert_string_equal(str_at(m, "dedup_key"), "f7e0da4b-dec2-4287-83bb-f4bd87fe5ab1");
        assert_string_equal(str_at(m, "client"), "rootwatch");
        assert_string_equal(str_at(m, "payload.summary"), title);
        assert_string_equal(str_at(m, "payload.source"), "aws:723347347957");
        assert_string_equal(str_at(m, "payload.severity"), sev[i][1]);
        assert_string_equal(str_at(m, "payload.timestamp"), "2026-11-20T00:00:57Z");
        assert_string_equal(str_at(m, "payload.component"), "signin.amazonaws.com");
        assert_string_equal(str_at(m, "payload.group"), "723347347957");
        assert_string_equal(str_at(m, "payload.class"), "console_login");
        const rw_json *cd = rw_json_path(m, "payload.custom_details");
        assert_string_equal(str_at(cd, "eventID"), "f7e0da4b-dec2-4287-83bb-f4bd87fe5ab1");
        assert_string_equal(str_at(cd, "severity"), sev[i][0]);
        assert_int_equal(rw_json_get(cd, "mfa")->type, RW_JSON_TRUE);
        assert_string_equal(str_at_dot(nth(rw_json_get(cd, "reasons"), 0)),
                            "root console sign-in with MFA");
        assert_null(rw_json_get(cd, "event")); /* not the whole record */
        assert_null(rw_json_get(cd, "test"));
        const rw_json *l = nth(rw_json_get(m, "links"), 0);
        assert_string_equal(str_at(l, "href"), link);
        assert_string_equal(str_at(l, "text"), "CloudTrail event");
        free(title);
        free(link);
        rw_json_doc_free(d);
        notice_free(&a);
        free(js);
    }
    chan_close(&c);
    stop();
}

static void test_pagerduty_long_summary_and_test(void **state) {
    (void)state;
    reply script[] = {{202, "{}", NULL}};
    start(script, 1);
    char settings[512];
    snprintf(settings, sizeof settings,
             "{\"url\":\"http://127.0.0.1:%d/e\",\"routing_key\":\"" ROUTING_KEY
             "\",\"account_aliases\":[\"723347347957=prod\"]}",
             srv.port);
    chan c;
    chan_must_open(&c, &rw_channel_pagerduty, settings);
    /* an event name of 3000 characters, some of them two bytes long */
    rwt_str js = {0};
    rwt_adds(&js, "{\"eventID\":\"e-1\",\"account\":\"723347347957\",\"severity\":\"high\","
                  "\"kind\":\"api_call\",\"eventName\":\"");
    for (int i = 0; i < 1500; i++) rwt_adds(&js, "a\xc3\xa9");
    rwt_adds(&js, "\"}");
    notice a;
    notice_make(&a, js.p, true);
    rw_send_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(c.ch.type->send(&c.ch, &a.n, &res), RW_OK);
    rw_json_doc *d = body_of(0);
    const rw_json *m = rw_json_doc_root(d);
    const char *sum = str_at(m, "payload.summary");
    assert_true(strlen(sum) <= 1024);
    assert_true(strlen(sum) >= 1000);
    assert_int_equal(rw_json_utf8_valid_prefix(sum, strlen(sum)), strlen(sum));
    assert_true(!strncmp(sum, "[TEST] Root API call aé", 24));
    assert_string_equal(sum + strlen(sum) - 3, "...");
    assert_string_equal(str_at(m, "dedup_key"), "e-1");
    assert_int_equal(rw_json_path(m, "payload.custom_details.test")->type, RW_JSON_TRUE);
    assert_string_equal(str_at_dot(rw_json_path(m, "payload.custom_details.accountAlias")), "prod");
    /* no region: the link goes to us-east-1 */
    assert_contains(
        str_at(nth(rw_json_get(m, "links"), 0), "href"),
        "https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/e-1");
    rw_json_doc_free(d);
    notice_free(&a);
    free(js.p);
    chan_close(&c);
    stop();
}

/* ---- replies: sent, worth another try, refused; and no secret in any message ---- */

typedef struct kind {
    const rw_channel_type *t;
    const char *settings;   /* %d: the port */
    const char *secrets[4]; /* what the settings hold that must never be shown */
} kind;

static const kind kinds[] = {
    {&rw_channel_webhook,
     "{\"url\":\"http://127.0.0.1:%d/h/" WEBHOOK_TOKEN "\",\"secret\":\"" SIGNING_SECRET
     "\",\"headers\":[\"Authorization: Bearer " BEARER "\"]}",
     {WEBHOOK_TOKEN, SIGNING_SECRET, BEARER, NULL}},
    {&rw_channel_slack,
     "{\"webhook_url\":\"http://127.0.0.1:%d/services/T0/B0/" WEBHOOK_TOKEN "\"}",
     {WEBHOOK_TOKEN, NULL}},
    {&rw_channel_teams,
     "{\"webhook_url\":\"http://127.0.0.1:%d/invoke?sig=" WEBHOOK_TOKEN "\"}",
     {WEBHOOK_TOKEN, NULL}},
    {&rw_channel_pagerduty,
     "{\"url\":\"http://127.0.0.1:%d/v2/enqueue\",\"routing_key\":\"" ROUTING_KEY "\"}",
     {ROUTING_KEY, NULL}},
};

/* None of the kind's secrets is in msg. */
static void assert_no_secret_of(const kind *k, const char *msg) {
    for (size_t i = 0; k->secrets[i]; i++) assert_not_contains(msg, k->secrets[i]);
}

static void assert_no_secret(const char *msg) {
    assert_not_contains(msg, WEBHOOK_TOKEN);
    assert_not_contains(msg, SIGNING_SECRET);
    assert_not_contains(msg, BEARER);
    assert_not_contains(msg, ROUTING_KEY);
}

static void test_replies_judged(void **state) {
    (void)state;
    /* each reply echoes the request's path and every secret, as a careless server might */
    static const char ECHO[] = "you sent %s with " SIGNING_SECRET " " BEARER " " ROUTING_KEY;
    static const struct {
        int status;
        int rc;
        bool retryable;
        const char *headers;
    } cases[] = {
        {200, RW_OK, false, NULL},
        {201, RW_OK, false, NULL},
        {202, RW_OK, false, NULL},
        {301, RW_EIO, false, "Location: https://x/\r\n"},
        {400, RW_EIO, false, NULL},
        {403, RW_EIO, false, NULL},
        {404, RW_EIO, false, NULL},
        {410, RW_EIO, false, NULL},
        {408, RW_ERETRY, true, NULL},
        {425, RW_ERETRY, true, NULL},
        {429, RW_ERETRY, true, "Retry-After: 30\r\n"},
        {500, RW_ERETRY, true, NULL},
        {502, RW_ERETRY, true, NULL},
        {503, RW_ERETRY, true, NULL},
    };
    size_t ncases = sizeof cases / sizeof cases[0];
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        reply script[16];
        for (size_t i = 0; i < ncases; i++)
            script[i] = (reply){cases[i].status, ECHO, cases[i].headers};
        start(script, ncases);
        char settings[512];
        snprintf(settings, sizeof settings, kinds[k].settings, srv.port);
        chan c;
        chan_must_open(&c, kinds[k].t, settings);
        notice a;
        notice_make(&a, KEYCALL, false);
        for (size_t i = 0; i < ncases; i++) {
            rw_send_result res;
            memset(&res, 0, sizeof res);
            rw_error_clear();
            int rc = c.ch.type->send(&c.ch, &a.n, &res);
            if (rc != cases[i].rc || res.retryable != cases[i].retryable)
                fail_msg("%s, HTTP %d: rc %d retryable %d (%s)", kinds[k].t->type, cases[i].status,
                         rc, res.retryable, res.error);
            if (rc == RW_OK) continue;
            char want[64];
            snprintf(want, sizeof want, "HTTP %d", cases[i].status);
            assert_contains(res.error, want);
            assert_contains(res.error, chan_name);
            assert_contains(res.error, "http://127.0.0.1:"); /* the host, not the path */
            assert_contains(res.error, "you sent");          /* the reply's first bytes... */
            assert_contains(res.error, "[redacted]");        /* ...scrubbed */
            assert_no_secret_of(&kinds[k], res.error);
            assert_no_secret_of(&kinds[k], rw_error_last());
            if (cases[i].status == 429) assert_contains(res.error, "Retry-After: 30");
            /* and passed on as a wait (429 and 503 only) */
            assert_int_equal(res.retry_after_ms, cases[i].status == 429 ? 30000 : 0);
        }
        chan_close(&c);
        assert_int_equal(srv.accepts, 1);
        notice_free(&a);
        stop();
    }
}

#define PAST "Sun, 06 Nov 1994 08:49:37 GMT"

/* The receiver's Retry-After, in seconds or as an HTTP date, becomes res.retry_after_ms for a 429
 * or a 503. */
static void test_retry_after(void **state) {
    (void)state;
    char soon[128];
    time_t in60 = time(NULL) + 60;
    struct tm tm;
    strftime(soon, sizeof soon, "Retry-After: %a, %d %b %Y %H:%M:%S GMT\r\n", gmtime_r(&in60, &tm));
    const struct {
        int status;
        const char *headers;
        long min_ms, max_ms;
    } cases[] = {
        {429, "Retry-After: 7\r\n", 7000, 7000},
        {503, "Retry-After: 120\r\n", 120000, 120000},
        /* a date, measured from the receiver's Date */
        {503, "Date: " PAST "\r\nRetry-After: Sun, 06 Nov 1994 08:51:07 GMT\r\n", 90000, 90000},
        /* or from our clock, without one */
        {429, soon, 55000, 60000},
        {503, "Retry-After: " PAST "\r\n", 0, 0}, /* past */
        {429, "Retry-After: soon\r\n", 0, 0},
        {429, NULL, 0, 0},
        {500, "Retry-After: 5\r\n", 0, 0}, /* only 429 and 503 */
    };
    /* one channel: the four share the code (test_replies_judged checks a 429 in each) */
    size_t ncases = sizeof cases / sizeof cases[0];
    reply script[16];
    for (size_t i = 0; i < ncases; i++)
        script[i] = (reply){cases[i].status, "busy", cases[i].headers};
    start(script, ncases);
    char settings[512];
    snprintf(settings, sizeof settings, "{\"webhook_url\":\"http://127.0.0.1:%d/invoke\"}",
             srv.port);
    chan c;
    chan_must_open(&c, &rw_channel_teams, settings);
    notice a;
    notice_make(&a, LOGIN, false);
    for (size_t i = 0; i < ncases; i++) {
        rw_send_result res;
        memset(&res, 0, sizeof res);
        assert_int_equal(c.ch.type->send(&c.ch, &a.n, &res), RW_ERETRY);
        assert_true(res.retryable);
        if (res.retry_after_ms < cases[i].min_ms || res.retry_after_ms > cases[i].max_ms)
            fail_msg("case %zu (HTTP %d): retry_after_ms %ld, not %ld to %ld", i, cases[i].status,
                     res.retry_after_ms, cases[i].min_ms, cases[i].max_ms);
    }
    chan_close(&c);
    notice_free(&a);
    stop();

    /* the forms of the value (RFC 9110: delay-seconds, IMF-fixdate, RFC 850, asctime) */
    const int64_t now = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
    static const struct {
        const char *value;
        long ms;
    } forms[] = {
        {"7", 7000},
        {"0", 0},
        {"", 0},
        {"-5", 0},
        {"7.5", 0},
        {"7 s", 0},
        {"99999999999999999999999", LONG_MAX},
        {"Sun, 06 Nov 1994 08:50:37 GMT", 60000},
        {"Sunday, 06-Nov-94 08:50:37 GMT", 60000},
        {"Sun Nov  6 08:50:37 1994", 60000},
        {"Mon, 07 Nov 1994 08:49:37 GMT", 86400000},
        {"Sun, 06 Nov 1994 08:49:37 GMT", 0},  /* now */
        {"Sun, 06 Nov 1994 08:48:37 GMT", 0},  /* past */
        {"Sun, 31 Feb 1995 08:50:37 GMT", 0},  /* no such day */
        {"Sun, 06 Nov 1994 08:50:37 UTC", 0},  /* GMT only */
        {"Sun, 06 Nov 1994 08:50:37 GMT!", 0}, /* nothing after */
        {"Sun, 06 Foo 1994 08:50:37 GMT", 0},
        {"Sun, 06 Nov 1994 25:50:37 GMT", 0},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        long ms = rw_http_out_retry_after(forms[i].value, strlen(forms[i].value), now);
        if (ms != forms[i].ms)
            fail_msg("Retry-After: %s: %ld ms, not %ld", forms[i].value, ms, forms[i].ms);
    }
}

static void test_refused_connection(void **state) {
    (void)state;
    int port = dead_port();
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        char settings[512];
        snprintf(settings, sizeof settings, kinds[k].settings, port);
        chan c;
        chan_must_open(&c, kinds[k].t, settings);
        notice a;
        notice_make(&a, LOGIN, false);
        rw_send_result res;
        memset(&res, 0, sizeof res);
        assert_int_equal(c.ch.type->send(&c.ch, &a.n, &res), RW_ERETRY);
        assert_true(res.retryable);
        assert_contains(res.error, chan_name);
        assert_contains(res.error, "127.0.0.1");
        assert_no_secret_of(&kinds[k], res.error);
        assert_no_secret_of(&kinds[k], rw_error_last());
        notice_free(&a);
        chan_close(&c);
    }
}

static void test_pagerduty_errors_array(void **state) {
    (void)state;
    reply script[] = {{400,
                       "{\"status\":\"invalid event\",\"message\":\"Event object is invalid\","
                       "\"errors\":[\"'payload.severity' is missing\",\"routing_key " ROUTING_KEY
                       " is unknown\"]}",
                       NULL}};
    start(script, 1);
    char settings[512];
    snprintf(settings, sizeof settings, kinds[3].settings, srv.port);
    chan c;
    chan_must_open(&c, &rw_channel_pagerduty, settings);
    notice a;
    notice_make(&a, LOGIN, false);
    rw_send_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(c.ch.type->send(&c.ch, &a.n, &res), RW_EIO);
    assert_false(res.retryable);
    assert_contains(res.error, "HTTP 400: Event object is invalid: 'payload.severity' is missing; "
                               "routing_key [redacted] is unknown");
    assert_no_secret(res.error);
    notice_free(&a);
    chan_close(&c);
    stop();
}

/* A password in the URL, and a URL of many long pieces, leave nothing to see either. */
static void test_url_secrets_scrubbed(void **state) {
    (void)state;
    reply script[] = {{403, "denied: pw-%s " SIGNING_SECRET " hunter2x", NULL}};
    start(script, 1);
    rwt_str url = {0};
    rwt_addf(&url, "http://alice:hunter2x@127.0.0.1:%d", srv.port);
    for (int i = 0; i < 40; i++) rwt_addf(&url, "/piece-number-%02d", i);
    char settings[2048];
    snprintf(settings, sizeof settings, "{\"url\":\"%s\",\"secret\":\"" SIGNING_SECRET "\"}",
             url.p);
    chan c;
    chan_must_open(&c, &rw_channel_webhook, settings);
    notice a;
    notice_make(&a, LOGIN, false);
    rw_send_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(c.ch.type->send(&c.ch, &a.n, &res), RW_EIO);
    assert_contains(res.error, "POST http://127.0.0.1:");
    assert_contains(res.error, "HTTP 403: denied: pw-[redacted]");
    assert_not_contains(res.error, "hunter2x");
    assert_not_contains(res.error, "alice");
    assert_not_contains(res.error, SIGNING_SECRET);
    assert_not_contains(res.error, "piece-number");
    notice_free(&a);
    chan_close(&c);
    free(url.p);
    stop();
}

/* ---- https only, but to loopback ---- */

static void test_https_required(void **state) {
    (void)state;
    static const char *const settings[] = {
        "{\"url\":\"http://example.com/hooks/" WEBHOOK_TOKEN "\"}",
        "{\"webhook_url\":\"http://example.com/services/" WEBHOOK_TOKEN "\"}",
        "{\"webhook_url\":\"http://example.com/invoke?sig=" WEBHOOK_TOKEN "\"}",
        "{\"url\":\"http://example.com/v2/enqueue\",\"routing_key\":\"" ROUTING_KEY "\"}",
    };
    for (size_t k = 0; k < 4; k++) {
        chan c;
        char *err = NULL;
        assert_int_equal(chan_open(&c, kinds[k].t, settings[k], &err), RW_EINVAL);
        const char *msg = err ? err : rw_error_last();
        assert_contains(msg, chan_name);
        assert_contains(msg, "must be https://");
        assert_contains(msg, "loopback");
        assert_not_contains(msg, "example.com");
        assert_no_secret(msg);
        free(err);
    }
    /* https anywhere, and plain http to loopback, are fine */
    static const char *const ok[] = {
        "{\"url\":\"https://example.com/hooks/x\"}",
        "{\"webhook_url\":\"http://[::1]:9/services/x\"}",
        "{\"webhook_url\":\"https://prod-00.westus.logic.azure.com/x\"}",
        "{\"routing_key\":\"" ROUTING_KEY "\"}", /* the default URL */
    };
    for (size_t k = 0; k < 4; k++) {
        chan c;
        chan_must_open(&c, kinds[k].t, ok[k]);
        chan_close(&c);
    }
}

static void test_other_bad_options(void **state) {
    (void)state;
    static const struct {
        const rw_channel_type *t;
        const char *settings, *want;
    } bad[] = {
        {&rw_channel_slack, "{\"webhook_url\":\"https://h/x\",\"icon_emoji\":\"eyes\"}",
         "icon_emoji"},
        {&rw_channel_slack, "{\"webhook_url\":\"https://h/x\",\"account_aliases\":[\"12=x\"]}",
         "account_aliases"},
        {&rw_channel_teams, "{\"webhook_url\":\"https://h/x\",\"timeout_ms\":700000}",
         "timeout_ms"},
        {&rw_channel_pagerduty, "{\"routing_key\":\"has space\"}", "routing_key"},
        {&rw_channel_pagerduty, "{}", "routing_key is required"},
        {&rw_channel_teams, "{}", "webhook_url is required"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        chan c;
        char *err = NULL;
        assert_int_not_equal(chan_open(&c, bad[i].t, bad[i].settings, &err), RW_OK);
        assert_contains(err ? err : rw_error_last(), bad[i].want);
        assert_not_contains(err ? err : rw_error_last(), "has space");
        free(err);
    }
}

static void test_registry(void **state) {
    (void)state;
    assert_ptr_equal(rw_channel_type_find("webhook"), &rw_channel_webhook);
    assert_ptr_equal(rw_channel_type_find("slack"), &rw_channel_slack);
    assert_ptr_equal(rw_channel_type_find("teams"), &rw_channel_teams);
    assert_ptr_equal(rw_channel_type_find("pagerduty"), &rw_channel_pagerduty);
    /* every option is documented, and the secrets are typed so (test_notify_secrets.py checks
     * every channel type the same way through `notify channels --format json`) */
    const rw_channel_type *ts[] = {&rw_channel_webhook, &rw_channel_slack, &rw_channel_teams,
                                   &rw_channel_pagerduty};
    for (size_t i = 0; i < 4; i++)
        for (const rw_opt_spec *o = ts[i]->opts; o->name; o++) {
            assert_non_null(o->help);
            if (strstr(o->name, "url") || !strcmp(o->name, "routing_key") ||
                !strcmp(o->name, "secret") || !strcmp(o->name, "headers"))
                assert_true(o->type == RW_OPT_URL || rw_opt_type_secret(o->type));
            /* a webhook URL holds its token: a secret; PagerDuty's endpoint is public */
            if (!strcmp(o->name, "webhook_url") ||
                (ts[i] == &rw_channel_webhook &&
                 (!strcmp(o->name, "url") || !strcmp(o->name, "headers"))))
                assert_true(rw_opt_type_secret(o->type));
        }
}

int main(void) {
    signal(SIGPIPE, SIG_IGN); /* a client that hung up is an error return, not a death */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webhook_request),
        cmocka_unit_test(test_webhook_unsigned_and_test_alert),
        cmocka_unit_test(test_webhook_bad_options),
        cmocka_unit_test(test_slack_message),
        cmocka_unit_test(test_slack_severity_emoji),
        cmocka_unit_test(test_teams_card),
        cmocka_unit_test(test_pagerduty_event),
        cmocka_unit_test(test_pagerduty_long_summary_and_test),
        cmocka_unit_test(test_replies_judged),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_refused_connection),
        cmocka_unit_test(test_pagerduty_errors_array),
        cmocka_unit_test(test_url_secrets_scrubbed),
        cmocka_unit_test(test_https_required),
        cmocka_unit_test(test_other_bad_options),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
