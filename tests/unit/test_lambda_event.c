/* The Lambda event parser (src/sources/in_lambda.c): EventBridge events, SQS batches (bodies plain
 * or wrapped in SNS notifications), SNS events, and what is refused. */
#include "rwtest.h"

#include "sources/in_lambda.h"
#include "util/err.h"

#define REC "{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"Root\"},\"eventID\":\"e-1\"}"
#define EB                                                                                         \
    "{\"version\":\"0\",\"id\":\"eb-1\",\"detail-type\":\"AWS API Call via CloudTrail\","          \
    "\"source\":\"aws.iam\",\"detail\":" REC "}"

static rw_lambda_event *parse_ok(const char *s) {
    rw_lambda_event *ev = NULL;
    int rc = rw_lambda_event_parse(&ev, s, strlen(s));
    if (rc != RW_OK) fail_msg("%s: %s", s, rw_error_last());
    return ev;
}

static void parse_fails(const char *s, const char *want) {
    rw_lambda_event *ev = NULL;
    assert_int_equal(rw_lambda_event_parse(&ev, s, strlen(s)), RW_EINVAL);
    assert_null(ev);
    assert_contains(rw_error_last(), want);
}

static void test_eventbridge(void **state) {
    (void)state;
    rw_lambda_event *ev = parse_ok("  " EB "\n");
    assert_int_equal(ev->kind, RW_LAMBDA_EVENTBRIDGE);
    assert_int_equal(ev->nitems, 1);
    assert_null(ev->items[0].error);
    assert_string_equal(ev->items[0].id, "eb-1");
    assert_string_equal(ev->items[0].name, "EventBridge event eb-1");
    assert_string_equal(ev->items[0].body, EB "\n"); /* compact, one line */
    rw_lambda_event_free(ev);
}

static void test_sqs_batch(void **state) {
    (void)state;
    /* an EventBridge event, an SNS notification wrapping one, and a body that is neither */
    const char *s =
        "{\"Records\":["
        "{\"messageId\":\"m1\",\"eventSource\":\"aws:sqs\",\"body\":\"{\\\"detail-type\\\":\\\"AWS "
        "Console Sign In via CloudTrail\\\",\\\"detail\\\":{}}\"},"
        "{\"messageId\":\"m2\",\"eventSource\":\"aws:sqs\",\"body\":\"{\\\"Type\\\":"
        "\\\"Notification\\\","
        "\\\"Message\\\":\\\"{\\\\\\\"detail-type\\\\\\\":\\\\\\\"AWS API Call via "
        "CloudTrail\\\\\\\","
        "\\\\\\\"detail\\\\\\\":{}}\\\"}\"},"
        "{\"messageId\":\"m3\",\"eventSource\":\"aws:sqs\",\"body\":\"hello\"}]}";
    rw_lambda_event *ev = parse_ok(s);
    assert_int_equal(ev->kind, RW_LAMBDA_SQS);
    assert_int_equal(ev->nitems, 3);
    assert_string_equal(ev->items[0].id, "m1");
    assert_null(ev->items[0].error);
    assert_null(ev->items[1].error);
    assert_contains(ev->items[1].body, "AWS API Call via CloudTrail");
    assert_string_equal(ev->items[2].name, "SQS message m3");
    assert_contains(ev->items[2].error, "the message's body is not JSON");
    rw_lambda_event_free(ev);
}

static void test_sns_event(void **state) {
    (void)state;
    rw_lambda_event *ev = parse_ok(
        "{\"Records\":[{\"EventSource\":\"aws:sns\",\"Sns\":{\"MessageId\":\"s1\",\"Message\":"
        "\"{\\\"detail-type\\\":\\\"AWS API Call via CloudTrail\\\",\\\"detail\\\":{}}\"}}]}");
    assert_int_equal(ev->kind, RW_LAMBDA_SNS);
    assert_string_equal(ev->items[0].name, "SNS message s1");
    rw_lambda_event_free(ev);
    parse_fails("{\"Records\":[{\"EventSource\":\"aws:sns\",\"Sns\":{\"MessageId\":\"s1\","
                "\"Message\":\"[1]\"}}]}",
                "SNS message s1: the SNS message is an array, not a JSON object");
}

static void test_refused(void **state) {
    (void)state;
    parse_fails("", "empty");
    parse_fails("{\"detail-type\":", "not JSON");
    parse_fails("[1,2]", "the event is an array, not a JSON object");
    parse_fails("{\"key1\":\"value1\",\"key2\":2}",
                "a JSON object with the members key1, key2 (not an EventBridge event");
    parse_fails("{\"detail-type\":\"Scheduled Event\",\"detail\":{}}",
                "an EventBridge event of detail-type 'Scheduled Event'");
    parse_fails("{\"detail-type\":\"AWS API Call via CloudTrail\",\"detail\":\"x\"}",
                "whose detail is a string");
    parse_fails("{\"Records\":[{\"eventSource\":\"aws:s3\"}]}",
                "Records from eventSource 'aws:s3'");
    parse_fails("{\"Records\":[]}", "empty Records");
    parse_fails("{}", "an empty JSON object");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eventbridge),
        cmocka_unit_test(test_sqs_batch),
        cmocka_unit_test(test_sns_event),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
