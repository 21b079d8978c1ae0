/* rootwatch watch's pieces that need no network (issue 13): what a queue message carries
 * (sources/event_body.c), the sources: list of the configuration (sources/watch_config.c, with the
 * option checks shared with channels), and the SQS queue URL helpers (aws/sqs.c). */
#include "rwtest.h"

#include "aws/sqs.h"
#include "sources/event_body.h"
#include "sources/watch_config.h"
#include "util/err.h"

#define REC "{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"Root\"},\"eventID\":\"e-1\"}"
#define EB                                                                                         \
    "{\"version\":\"0\",\"id\":\"eb-1\",\"detail-type\":\"AWS API Call via CloudTrail\","          \
    "\"source\":\"aws.iam\",\"detail\":" REC "}"
#define S3N                                                                                        \
    "{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"awsRegion\":"            \
    "\"eu-west-1\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"trail\"},"   \
    "\"object\":{\"key\":\"AWSLogs%2F1%2FCloudTrail%2Fx+y%2B.json.gz\",\"size\":1234}}},"          \
    "{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectRemoved:Delete\",\"s3\":{\"bucket\":"       \
    "{\"name\":\"trail\"},\"object\":{\"key\":\"gone\"}}}]}"

static void parse(rw_event_body *b, const char *s, unsigned flags) {
    rw_event_body_parse(b, s, strlen(s), flags, "the message's body");
}

/* s as a JSON string (for an SNS envelope's Message) */
static void quoted(rwt_str *o, const char *s) {
    rwt_adds(o, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') rwt_adds(o, "\\");
        rwt_add(o, s, 1);
    }
    rwt_adds(o, "\"");
}

static void test_eventbridge(void **state) {
    (void)state;
    rw_event_body b;
    parse(&b, EB, 0);
    assert_int_equal(b.kind, RW_BODY_EVENTBRIDGE);
    assert_string_equal(b.event, EB "\n");
    assert_string_equal(b.id, "eb-1");
    assert_false(b.sns);
    rw_event_body_free(&b);
}

static void test_s3_notification(void **state) {
    (void)state;
    rw_event_body b;
    parse(&b, S3N, RW_BODY_S3_OK);
    assert_int_equal(b.kind, RW_BODY_S3);
    assert_int_equal(b.nobjects, 1); /* the removal carries nothing new */
    assert_string_equal(b.objects[0].bucket, "trail");
    assert_string_equal(b.objects[0].key, "AWSLogs/1/CloudTrail/x y+.json.gz"); /* decoded */
    assert_string_equal(b.objects[0].region, "eu-west-1");
    assert_int_equal(b.objects[0].size, 1234);
    rw_event_body_free(&b);
    /* without RW_BODY_S3_OK (rootwatch lambda): not an event it takes */
    parse(&b, S3N, 0);
    assert_int_equal(b.kind, RW_BODY_ERROR);
    assert_contains(b.error, "not an EventBridge event");
    rw_event_body_free(&b);
    parse(&b, "{\"Records\":[{\"eventSource\":\"aws:s3\",\"s3\":{}}]}", RW_BODY_S3_OK);
    assert_int_equal(b.kind, RW_BODY_ERROR);
    assert_contains(b.error, "names no bucket and key");
    rw_event_body_free(&b);
}

static void test_s3_test_event(void **state) {
    (void)state;
    rw_event_body b;
    parse(&b, "{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\",\"Bucket\":\"trail\"}",
          RW_BODY_S3_OK);
    assert_int_equal(b.kind, RW_BODY_S3_TEST);
    rw_event_body_free(&b);
}

static void test_sns_wrapped(void **state) {
    (void)state;
    const char *inner[] = {EB, S3N};
    rw_body_kind want[] = {RW_BODY_EVENTBRIDGE, RW_BODY_S3};
    for (size_t i = 0; i < 2; i++) {
        rwt_str s = {0};
        rwt_adds(&s, "{\"Type\":\"Notification\",\"MessageId\":\"m-1\",\"Message\":");
        quoted(&s, inner[i]);
        rwt_adds(&s, "}");
        rw_event_body b;
        parse(&b, s.p, RW_BODY_SNS | RW_BODY_S3_OK);
        assert_int_equal(b.kind, want[i]);
        assert_true(b.sns);
        rw_event_body_free(&b);
        parse(&b, s.p, RW_BODY_S3_OK); /* not unwrapped when SNS is not asked for */
        assert_int_equal(b.kind, RW_BODY_ERROR);
        rw_event_body_free(&b);
        rwt_free(&s);
    }
    /* an envelope's Message is unwrapped once: SNS in SNS is refused */
    rw_event_body b;
    parse(&b,
          "{\"Type\":\"Notification\",\"Message\":\"{\\\"Type\\\":\\\"Notification\\\","
          "\\\"Message\\\":\\\"{}\\\"}\"}",
          RW_BODY_SNS);
    assert_int_equal(b.kind, RW_BODY_ERROR);
    assert_contains(b.error, "the SNS notification's Message is");
    rw_event_body_free(&b);
}

static void test_refused(void **state) {
    (void)state;
    rw_event_body b;
    parse(&b, "not json", RW_BODY_SNS | RW_BODY_S3_OK);
    assert_int_equal(b.kind, RW_BODY_ERROR);
    assert_contains(b.error, "the message's body is not JSON");
    rw_event_body_free(&b);
    parse(&b, "{\"detail-type\":\"Scheduled Event\",\"detail\":{}}", RW_BODY_S3_OK);
    assert_contains(b.error, "detail-type 'Scheduled Event'");
    rw_event_body_free(&b);
    parse(&b, "[1,2]", RW_BODY_S3_OK);
    assert_contains(b.error, "not a JSON object");
    rw_event_body_free(&b);
}

static rw_watch_config *config_ok(const char *text) {
    rw_watch_config *c = NULL;
    if (rw_watch_config_parse(&c, text, strlen(text), "w.yaml") != RW_OK)
        fail_msg("%s: %s", text, rw_error_last());
    return c;
}

static void config_fails(const char *text, const char *want) {
    rw_watch_config *c = NULL;
    assert_int_equal(rw_watch_config_parse(&c, text, strlen(text), "w.yaml"), RW_EINVAL);
    assert_null(c);
    assert_contains(rw_error_last(), want);
}

static void test_config(void **state) {
    (void)state;
    rw_watch_config *c = config_ok("channels: []\n");
    assert_int_equal(c->n, 0);
    rw_watch_config_free(c);
    c = config_ok("sources:\n"
                  "  - name: trail-queue\n"
                  "    type: sqs\n"
                  "    queue_url: https://sqs.us-east-1.amazonaws.com/111122223333/q\n"
                  "    wait_seconds: 5\n");
    assert_int_equal(c->n, 1);
    assert_string_equal(c->sources[0].name, "trail-queue");
    assert_string_equal(c->sources[0].type->type, "sqs");
    assert_int_equal(rw_opt_int(c->sources[0].opts, "wait_seconds"), 5);
    assert_int_equal(rw_opt_int(c->sources[0].opts, "max_messages"), 10); /* the default */
    assert_int_equal(rw_opt_int(c->sources[0].opts, "max_receives"), 5);
    assert_null(rw_opt_str(c->sources[0].opts, "visibility_timeout"));
    assert_true(rw_watch_config_has(c, "trail-queue"));
    assert_int_equal(rw_watch_config_add(c, "trail-queue", "sqs", NULL), RW_EINVAL);
    assert_contains(rw_error_last(), "source trail-queue: the name is used twice");
    rw_watch_config_free(c);

    config_fails("sources:\n  - name: q\n    type: sqs\n    queue_url: https://x/1/q\n"
                 "    wait_secs: 5\n",
                 "w.yaml:2:5: source q: unknown option 'wait_secs' for a sqs source (it has: "
                 "queue_url region");
    config_fails("sources:\n  - name: q\n    type: sqs\n",
                 "w.yaml:2:5: source q: option queue_url is required for a sqs source");
    config_fails("sources:\n  - name: q\n    type: sqs\n    queue_url: https://x/1/q\n"
                 "    max_messages: ten\n",
                 "source q: option max_messages: 'ten' is not a whole number");
    config_fails("sources:\n  - name: q\n    type: kafka\n",
                 "source q: unknown type 'kafka' (there "
                 "are: sqs");
    config_fails("sources:\n  - type: sqs\n", "w.yaml:2:5: a source needs a name");
    config_fails("sources:\n  - name: a\n    type: sqs\n    queue_url: u\n"
                 "  - name: a\n    type: sqs\n    queue_url: u\n",
                 "w.yaml:5:5: source a: the name is used twice");
    config_fails("sources: yes\n", "w.yaml:1:10: sources: must be a list");
    config_fails("sources:\n  - just a string\n", "w.yaml:2:5: a source must be a mapping");
    config_fails("sources: [\n", "w.yaml:");
}

static void test_queue_url(void **state) {
    (void)state;
    char *s = rw_sqs_url_region("https://sqs.eu-west-3.amazonaws.com/111122223333/trail");
    assert_string_equal(s, "eu-west-3");
    free(s);
    s = rw_sqs_url_region("https://us-east-2.queue.amazonaws.com/111122223333/trail");
    assert_string_equal(s, "us-east-2");
    free(s);
    assert_null(rw_sqs_url_region("http://127.0.0.1:5000/123456789012/q"));
    s = rw_sqs_url_name("http://127.0.0.1:5000/123456789012/q-1.fifo");
    assert_string_equal(s, "q-1.fifo");
    free(s);
    s = rw_sqs_url_name("https://sqs.us-east-1.amazonaws.com/1/trail/");
    assert_string_equal(s, "trail");
    free(s);
    assert_null(rw_sqs_url_name("https://sqs.us-east-1.amazonaws.com/"));
    assert_null(rw_sqs_url_name("https://sqs.us-east-1.amazonaws.com"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eventbridge),   cmocka_unit_test(test_s3_notification),
        cmocka_unit_test(test_s3_test_event), cmocka_unit_test(test_sns_wrapped),
        cmocka_unit_test(test_refused),       cmocka_unit_test(test_config),
        cmocka_unit_test(test_queue_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
