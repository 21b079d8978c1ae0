/* The notification configuration (options checked against a type's table, secrets from the
 * environment and files, channel filters, errors with file:line:column) and the words of a notice
 * (SNS subject rules, console links, text and HTML). */
#include <unistd.h>

#include "rwtest.h"

#include "notify/notify.h"
#include "notify/render.h"
#include "util/err.h"

static const rw_opt_spec test_opts[] = {
    {"url", RW_OPT_URL, NULL, true, "where"},
    {"token", RW_OPT_SECRET, NULL, false, "a secret"},
    {"label", RW_OPT_STRING, "rootwatch", false, "a label"},
    {"timeout_ms", RW_OPT_INT, "5000", false, "ms"},
    {"verbose", RW_OPT_BOOL, "false", false, "chatty"},
    {"to", RW_OPT_LIST, NULL, false, "recipients"},
    {NULL, 0, NULL, false, NULL},
};
static const rw_channel_type test_type = {.type = "test", .summary = "test", .opts = test_opts};

static rw_opt_values *values(const char *json, char **err) {
    rw_json_doc *d = rw_json_doc_new(NULL);
    assert_int_equal(rw_json_doc_parse(d, json, strlen(json)), RW_OK);
    rw_opt_values *v = rw_opt_values_from_json(&test_type, rw_json_doc_root(d), "chan", err);
    rw_json_doc_free(d);
    return v;
}

static void test_options(void **state) {
    (void)state;
    char *err = NULL;
    rw_opt_values *v = values(
        "{\"url\":\"https://hooks.example.com/x\",\"to\":[\"a@b\",\"c@d\"],\"verbose\":true}",
        &err);
    assert_non_null(v);
    assert_string_equal(rw_opt_str(v, "url"), "https://hooks.example.com/x");
    assert_string_equal(rw_opt_str(v, "label"), "rootwatch"); /* default */
    assert_int_equal(rw_opt_int(v, "timeout_ms"), 5000);
    assert_true(rw_opt_bool(v, "verbose"));
    assert_null(rw_opt_str(v, "token"));
    const char *const *to = rw_opt_list(v, "to");
    assert_string_equal(to[0], "a@b");
    assert_string_equal(to[1], "c@d");
    assert_null(to[2]);
    rw_opt_values_free(v);
    /* a single string is a list of one; numbers as text */
    v = values("{\"url\":\"http://127.0.0.1:9/x\",\"to\":\"only@x\",\"timeout_ms\":250}", &err);
    assert_non_null(v);
    assert_string_equal(rw_opt_list(v, "to")[0], "only@x");
    assert_int_equal(rw_opt_int(v, "timeout_ms"), 250);
    rw_opt_values_free(v);
}

static void expect_error(const char *json, const char *want) {
    char *err = NULL;
    rw_opt_values *v = values(json, &err);
    assert_null(v);
    assert_non_null(err);
    assert_contains(err, want);
    assert_contains(err, "channel chan");
    free(err);
}

static void test_option_errors(void **state) {
    (void)state;
    expect_error("{\"url\":\"https://x/\",\"colour\":\"red\"}",
                 "unknown option 'colour' for a test channel (it has: url token");
    expect_error("{}", "option url is required");
    expect_error("{\"url\":\"http://example.com/hook\"}", "must be https://");
    expect_error("{\"url\":\"ftp://example.com/hook\"}", "must be https://");
    expect_error("{\"url\":\"https://x/\",\"timeout_ms\":\"soon\"}",
                 "'soon' is not a whole number");
    expect_error("{\"url\":\"https://x/\",\"verbose\":\"maybe\"}", "not true or false");
    expect_error("{\"url\":\"https://x/\",\"to\":[1]}", "every item must be a string");
    expect_error("{\"url\":\"https://x/\",\"label\":{\"a\":1}}", "option label");
    /* a URL never appears in a message: it may hold a token */
    char *err = NULL;
    assert_null(values("{\"url\":\"http://example.com/SECRET-TOKEN\"}", &err));
    assert_null(strstr(err, "SECRET-TOKEN"));
    free(err);
}

static void test_secrets(void **state) {
    (void)state;
    setenv("RW_TEST_TOKEN", "tok-from-env", 1);
    char path[] = "/tmp/rw-secret-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "tok-from-file\n", 14), 14);
    close(fd);
    char json[256], *err = NULL;
    rw_opt_values *v = values("{\"url\":\"https://x/\",\"token\":\"env:RW_TEST_TOKEN\"}", &err);
    assert_string_equal(rw_opt_str(v, "token"), "tok-from-env");
    rw_opt_values_free(v);
    snprintf(json, sizeof json, "{\"url\":\"https://x/\",\"token\":\"file:%s\"}", path);
    v = values(json, &err);
    assert_string_equal(rw_opt_str(v, "token"), "tok-from-file"); /* the line break dropped */
    rw_opt_values_free(v);
    unlink(path);
    expect_error(json, "cannot read");
    unsetenv("RW_TEST_TOKEN");
    expect_error("{\"url\":\"https://x/\",\"token\":\"env:RW_TEST_TOKEN\"}",
                 "RW_TEST_TOKEN is not set");
    /* the URL itself may come from the environment */
    setenv("RW_TEST_URL", "https://hooks.example.com/T/B/X", 1);
    v = values("{\"url\":\"env:RW_TEST_URL\"}", &err);
    assert_string_equal(rw_opt_str(v, "url"), "https://hooks.example.com/T/B/X");
    rw_opt_values_free(v);
}

static void test_config_file(void **state) {
    (void)state;
    const char *text = "store: /tmp/x.db\n"
                       "channels:\n"
                       "  - name: out\n"
                       "    type: stdout\n"
                       "    min_severity: high\n"
                       "    rules: [root-api-call]\n"
                       "    max_attempts: 3\n"
                       "  - name: all\n"
                       "    type: stdout\n"
                       "    format: text\n";
    rw_notify_config *c = NULL;
    assert_int_equal(rw_notify_config_parse(&c, text, strlen(text), "cfg.yaml"), RW_OK);
    assert_int_equal(c->nchannels, 2);
    assert_string_equal(c->store_path, "/tmp/x.db");
    rw_channel *out = rw_notify_channel(c, "out");
    assert_int_equal(out->min_severity, RW_SEV_HIGH);
    assert_int_equal(out->max_attempts, 3);
    assert_string_equal(out->rules[0], "root-api-call");
    assert_string_equal(rw_opt_str(rw_notify_channel(c, "all")->opts, "format"), "text");
    /* the filters */
    const char *alert =
        "{\"severity\":\"critical\",\"rule\":\"root-api-call\",\"rules\":[\"root-api-call\"]}";
    const char *low =
        "{\"severity\":\"medium\",\"rule\":\"root-api-call\",\"rules\":[\"root-api-call\"]}";
    const char *other = "{\"severity\":\"critical\",\"rule\":\"root-console-sign-in\",\"rules\":["
                        "\"root-console-sign-in\"]}";
    rw_json_doc *d = rw_json_doc_new(NULL);
    assert_int_equal(rw_json_doc_parse(d, alert, strlen(alert)), RW_OK);
    assert_true(rw_channel_wants(out, rw_json_doc_root(d)));
    assert_int_equal(rw_json_doc_parse(d, low, strlen(low)), RW_OK);
    assert_false(rw_channel_wants(out, rw_json_doc_root(d)));
    assert_true(rw_channel_wants(rw_notify_channel(c, "all"), rw_json_doc_root(d)));
    assert_int_equal(rw_json_doc_parse(d, other, strlen(other)), RW_OK);
    assert_false(rw_channel_wants(out, rw_json_doc_root(d)));
    rw_json_doc_free(d);
    rw_notify_config_free(c);
}

static void expect_config_error(const char *text, const char *want) {
    rw_notify_config *c = NULL;
    assert_int_equal(rw_notify_config_parse(&c, text, strlen(text), "cfg.yaml"), RW_EINVAL);
    assert_null(c);
    assert_contains(rw_error_last(), "cfg.yaml");
    assert_contains(rw_error_last(), want);
}

static void test_config_errors(void **state) {
    (void)state;
    expect_config_error("channels:\n  - name: a\n    type: stdout\n    format: xml\n",
                        "cfg.yaml:2:5: channel a: option format");
    expect_config_error("channels:\n  - name: a\n    type: pigeon\n",
                        "unknown type 'pigeon' (there are: stdout");
    expect_config_error("channels:\n  - type: stdout\n", "needs a name");
    expect_config_error("channels:\n  - name: a\n    type: stdout\n  - name: a\n    type: stdout\n",
                        "used twice");
    expect_config_error("channels:\n  - name: a\n    type: stdout\n    min_severity: loud\n",
                        "cfg.yaml:4:19");
    expect_config_error("channels:\n  - name: a\n    type: stdout\n    max_attempts: 0\n",
                        "max_attempts");
    expect_config_error("chanels: []\n", "unknown setting 'chanels'");
    expect_config_error("channels: []\n", "no channel");
    expect_config_error("channels: [\n", "cfg.yaml:");
    expect_config_error("- 1\n", "must be a mapping");
}

static rw_json_doc *alert_doc(const char *name, const char *region) {
    char buf[1024];
    snprintf(
        buf, sizeof buf,
        "{\"eventID\":\"e-1\",\"eventTime\":\"2026-11-20T10:00:00Z\",\"account\":\"111122223333\","
        "\"region\":\"%s\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"%s\",\"kind\":"
        "\"api_call\","
        "\"outcome\":\"success\",\"mfa\":null,\"credential\":\"access_key\",\"severity\":"
        "\"critical\","
        "\"reasons\":[\"<b>root</b> created an access key\"],\"rule\":\"root-api-call\","
        "\"sourceIPAddress\":\"198.51.100.7\",\"userAgent\":\"aws-cli\"}",
        region, name);
    rw_json_doc *d = rw_json_doc_new(NULL);
    assert_int_equal(rw_json_doc_parse(d, buf, strlen(buf)), RW_OK);
    return d;
}

static void test_sns_subject(void **state) {
    (void)state;
    rw_json_doc *d = alert_doc("CreateAccessKey", "us-east-1");
    rw_notice n = {.alert = rw_json_doc_root(d)};
    char *s = rw_render_sns_subject(&n, "acme-prod");
    assert_string_equal(s, "Root API call-\"CreateAccessKey\" detected in Account-\"acme-prod\"");
    free(s);
    s = rw_render_sns_subject(&n, NULL); /* no alias: the account */
    assert_string_equal(s,
                        "Root API call-\"CreateAccessKey\" detected in Account-\"111122223333\"");
    free(s);
    n.test = true;
    s = rw_render_sns_subject(&n, "acme");
    assert_true(!strncmp(s, "[TEST] Root API call-", 21));
    free(s);
    rw_json_doc_free(d);
    /* too long: at most 100 characters, the event name shortened first; non-ASCII and line breaks
     * become '?' */
    d = alert_doc("AVeryLongEventNameThatGoesOnAndOnAndOnForeverAndEverUntilItCannotFitIntoASubject"
                  "Line\\n\\u00e9",
                  "us-east-1");
    n = (rw_notice){.alert = rw_json_doc_root(d)};
    s = rw_render_sns_subject(&n, "acme-production-account");
    assert_true(strlen(s) <= 100);
    assert_contains(s, "...\" detected in Account-\"acme-production-account\"");
    for (const char *p = s; *p; p++) assert_true(*p >= 0x20 && *p <= 0x7e);
    free(s);
    char alias[200];
    memset(alias, 'a', 150);
    alias[150] = 0;
    s = rw_render_sns_subject(&n, alias);
    assert_true(strlen(s) <= 100);
    free(s);
    rw_json_doc_free(d);
}

static void test_text_html_links(void **state) {
    (void)state;
    rw_json_doc *d = alert_doc("CreateAccessKey", "eu-west-1");
    rw_notice n = {.alert = rw_json_doc_root(d)};
    char *link = rw_render_console_link(&n);
    assert_string_equal(
        link,
        "https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/e-1");
    free(link);
    char *t = rw_render_text(&n, "acme");
    assert_contains(t, "Root API call CreateAccessKey in 111122223333 (acme) (critical)");
    assert_contains(t, "Source IP   198.51.100.7");
    assert_contains(t, "  - <b>root</b> created an access key");
    assert_contains(t, "cloudtrailv2");
    free(t);
    char *h = rw_render_html(&n, "acme");
    assert_contains(h, "&lt;b&gt;root&lt;/b&gt; created an access key");
    assert_null(strstr(h, "<b>root"));
    free(h);
    rw_json_doc_free(d);
    d = alert_doc("CreateAccessKey", "cn-north-1");
    n = (rw_notice){.alert = rw_json_doc_root(d)};
    link = rw_render_console_link(&n);
    assert_contains(link, "https://cn-north-1.console.amazonaws.cn/");
    free(link);
    rw_json_doc_free(d);
    d = alert_doc("CreateAccessKey", "us-gov-west-1");
    n = (rw_notice){.alert = rw_json_doc_root(d)};
    link = rw_render_console_link(&n);
    assert_contains(link, "console.amazonaws-us-gov.com");
    free(link);
    rw_json_doc_free(d);
}

/* What rootwatch shows of each type of option (rw_opt_show): the one function behind notify
 * check, notify test, messages and -v logs. */
static void expect_shown(rw_opt_type t, const char *value, const char *want) {
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_opt_show(&b, t, value);
    assert_string_equal(b.data ? b.data : "", want);
    rw_buf_free(&b);
}

static void test_shown_by_type(void **state) {
    (void)state;
    expect_shown(RW_OPT_STRING, "alice", "alice");
    expect_shown(RW_OPT_STRING, "a\nb", "a?b");
    expect_shown(RW_OPT_INT, "250", "250");
    expect_shown(RW_OPT_LIST, "a@b", "a@b");
    expect_shown(RW_OPT_SECRET, "hunter2-secret", "(secret)");
    /* URLs: scheme://host[:port], "/..." for the rest, never the user information */
    expect_shown(RW_OPT_URL, "https://user:PW@example.com/path?x=1", "https://example.com/...");
    expect_shown(RW_OPT_URL, "https://user:P@W@example.com:8443/", "https://example.com:8443/");
    expect_shown(RW_OPT_URL, "https://example.com", "https://example.com");
    expect_shown(RW_OPT_URL, "https://example.com?token=T", "https://example.com/...");
    expect_shown(RW_OPT_URL, "https://example.com/a@b", "https://example.com/...");
    expect_shown(RW_OPT_URL, "http://[::1]:9/x", "http://[::1]:9/...");
    expect_shown(RW_OPT_SECRET_URL, "https://hooks.slack.com/services/T0/B0/XYZ",
                 "https://hooks.slack.com/...");
    expect_shown(RW_OPT_SECRET_URL, "hooks.slack.com/services/T0/B0/XYZ", "(not a URL)");
    expect_shown(RW_OPT_SECRET_URL, "user:pw@host/x", "(not a URL)");
    /* headers: the names, never the values */
    expect_shown(RW_OPT_HEADERS, "X-Api-Key: APIKEYSECRET", "X-Api-Key: (secret)");
    expect_shown(RW_OPT_HEADERS, "Cookie :session=abc", "Cookie: (secret)");
    expect_shown(RW_OPT_HEADERS, "no colon SECRET", "(secret)");
    /* every type has a name, and the secret ones say so */
    for (rw_opt_type t = RW_OPT_STRING; t <= RW_OPT_HEADERS; t++)
        assert_string_not_equal(rw_opt_type_name(t), "?");
    assert_true(rw_opt_type_secret(RW_OPT_SECRET) && rw_opt_type_secret(RW_OPT_SECRET_URL) &&
                rw_opt_type_secret(RW_OPT_HEADERS));
    assert_false(rw_opt_type_secret(RW_OPT_URL) || rw_opt_type_secret(RW_OPT_STRING) ||
                 rw_opt_type_secret(RW_OPT_LIST));
}

static const rw_opt_spec scrub_opts[] = {
    {"url", RW_OPT_SECRET_URL, NULL, true, "where"},
    {"key", RW_OPT_SECRET, NULL, false, "a secret"},
    {"headers", RW_OPT_HEADERS, NULL, false, "headers"},
    {"label", RW_OPT_STRING, NULL, false, "a label"},
    {NULL, 0, NULL, false, NULL},
};
static const rw_channel_type scrub_type = {.type = "scrub", .summary = "t", .opts = scrub_opts};

/* rw_channel_scrub finds the secrets by the options' types: nothing to register by hand. */
static void test_scrub_by_type(void **state) {
    (void)state;
    const char *settings =
        "{\"url\":\"https://bob:PASSWORD-1@hooks.example.com/services/PATHTOKEN-123456?sig=QTOKEN-"
        "abcdef\",\"key\":\"KEYVALUE-9\",\"headers\":[\"X-Api-Key: HDRKEY-777\",\"Authorization: "
        "Bearer BEARERTOK-5\"],\"label\":\"visible-label\"}";
    rw_json_doc *d = rw_json_doc_new(NULL);
    assert_int_equal(rw_json_doc_parse(d, settings, strlen(settings)), RW_OK);
    char *err = NULL;
    rw_channel ch = {.name = "c", .type = &scrub_type};
    ch.opts = rw_opt_values_from_json(&scrub_type, rw_json_doc_root(d), "c", &err);
    rw_json_doc_free(d);
    assert_non_null(ch.opts);
    const char *msg = "got PASSWORD-1 and /services/PATHTOKEN-123456?sig=QTOKEN-abcdef, PATHTOKEN-"
                      "123456 alone, QTOKEN-abcdef alone, KEYVALUE-9, HDRKEY-777, BEARERTOK-5, "
                      "Ym9iOlBBU1NXT1JELTE= (Basic), visible-label, hooks.example.com\r\n";
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_channel_scrub(&ch, &b, msg, strlen(msg));
    static const char *const gone[] = {
        "PASSWORD-1", "PATHTOKEN",           "QTOKEN", "KEYVALUE", "HDRKEY",
        "BEARERTOK",  "Ym9iOlBBU1NXT1JELTE="};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) assert_not_contains(b.data, gone[i]);
    assert_contains(b.data, "visible-label"); /* not a secret */
    assert_contains(b.data, "hooks.example.com");
    assert_contains(b.data, "got [redacted] and [redacted], [redacted] alone");
    assert_null(strchr(b.data, '\r')); /* control characters as spaces */
    rw_buf_free(&b);
    /* in place, cut to the room there is */
    char small[24];
    snprintf(small, sizeof small, "k=KEYVALUE-9 and more");
    rw_channel_scrub_msg(&ch, small, sizeof small);
    assert_string_equal(small, "k=[redacted] and more");
    snprintf(small, sizeof small, "KEYVALUE-9KEYVALUE-9");
    rw_channel_scrub_msg(&ch, small, 12);
    assert_string_equal(small, "[redacted][");
    rw_opt_values_free(ch.opts);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),         cmocka_unit_test(test_option_errors),
        cmocka_unit_test(test_secrets),         cmocka_unit_test(test_config_file),
        cmocka_unit_test(test_config_errors),   cmocka_unit_test(test_sns_subject),
        cmocka_unit_test(test_text_html_links), cmocka_unit_test(test_shown_by_type),
        cmocka_unit_test(test_scrub_by_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
