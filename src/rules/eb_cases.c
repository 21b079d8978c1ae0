#include "rules/eb_cases.h"

#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "util/json.h"
#include "util/timeutil.h"

#define API_CALL "AWS API Call via CloudTrail"

/* clang-format off */
const rw_eb_case rw_eb_root_cases[] = {
    {"root console sign-in", true, "AWS Console Sign In via CloudTrail", "aws.signin",
     "signin.amazonaws.com", "ConsoleLogin", "AwsConsoleSignIn", "Root", NULL, false},
    {"root write API call", true, API_CALL, "aws.iam", "iam.amazonaws.com", "CreateAccessKey",
     "AwsApiCall", "Root", NULL, false},
    {"root read-only API call", true, API_CALL, "aws.ec2", "ec2.amazonaws.com",
     "DescribeInstances", "AwsApiCall", "Root", NULL, true},
    {"IAM user API call", false, API_CALL, "aws.iam", "iam.amazonaws.com", "CreateAccessKey",
     "AwsApiCall", "IAMUser", NULL, false},
    {"root call invoked by an AWS service", false, API_CALL, "aws.s3", "s3.amazonaws.com",
     "GetBucketAcl", "AwsApiCall", "Root", "config.amazonaws.com", true},
};
/* clang-format on */
const size_t rw_eb_root_ncases = sizeof rw_eb_root_cases / sizeof rw_eb_root_cases[0];

static void put_member(rw_buf *out, const char *key, const char *value, bool comma) {
    rw_buf_printf(out, "%s\"%s\":", comma ? "," : "", key);
    rw_json_write_str(out, value, strlen(value));
}

/* the record's userIdentity: the root user (with an access key, or the console's session) or an
 * IAM user, of account */
static void put_identity(rw_buf *out, const rw_eb_case *c, const char *account) {
    bool root = !strcmp(c->identity, "Root");
    rw_buf arn;
    rw_buf_init(&arn, 0);
    rw_buf_printf(&arn, "arn:aws:iam::%s:%s", account, root ? "root" : "user/alice");
    rw_buf_puts(out, "\"userIdentity\":{");
    put_member(out, "type", c->identity, false);
    put_member(out, "principalId", root ? account : "AIDAEXAMPLEUSER00001", true);
    put_member(out, "arn", arn.data, true);
    put_member(out, "accountId", account, true);
    if (strcmp(c->event_name, "ConsoleLogin"))
        put_member(out, "accessKeyId", root ? "AKIAIOSFODNN7EXAMPLE" : "AKIAEXAMPLEUSERKEY01",
                   true);
    if (!root) put_member(out, "userName", "alice", true);
    if (c->invoked_by) put_member(out, "invokedBy", c->invoked_by, true);
    rw_buf_putc(out, '}');
    rw_buf_free(&arn);
}

/* The event; note (NULL for the canonical cases) goes in requestParameters and userAgent. */
static int put_event(rw_buf *out, const rw_eb_case *c, const char *account, const char *region,
                     int64_t now, const char *event_id, const char *note) {
    char when[32];
    rw_time_format(now, when);
    rw_buf_puts(out, "{\"version\":\"0\",");
    put_member(out, "id", event_id, false);
    put_member(out, "detail-type", c->detail_type, true);
    put_member(out, "source", c->source, true);
    put_member(out, "account", account, true);
    put_member(out, "time", when, true);
    put_member(out, "region", region, true);
    rw_buf_puts(out, ",\"resources\":[],\"detail\":{\"eventVersion\":\"1.09\",");
    put_identity(out, c, account);
    put_member(out, "eventTime", when, true);
    put_member(out, "eventSource", c->event_source, true);
    put_member(out, "eventName", c->event_name, true);
    put_member(out, "awsRegion", region, true);
    put_member(out, "sourceIPAddress", note ? "127.0.0.1" : "203.0.113.7", true);
    put_member(out, "userAgent", note ? "rootwatch deploy test" : "aws-cli/2.15.30", true);
    rw_buf_puts(out, ",\"requestParameters\":");
    if (note) {
        rw_buf_puts(out, "{\"note\":");
        rw_json_write_str(out, note, strlen(note));
        rw_buf_putc(out, '}');
    } else {
        rw_buf_puts(out, "null");
    }
    if (!strcmp(c->event_name, "ConsoleLogin"))
        rw_buf_puts(out, ",\"responseElements\":{\"ConsoleLogin\":\"Success\"},"
                         "\"additionalEventData\":{\"MFAUsed\":\"No\"}");
    else
        rw_buf_puts(out, ",\"responseElements\":null");
    put_member(out, "eventID", event_id, true);
    put_member(out, "eventType", c->event_type, true);
    rw_buf_printf(out, ",\"readOnly\":%s,\"managementEvent\":true",
                  c->read_only ? "true" : "false");
    put_member(out, "recipientAccountId", account, true);
    put_member(out, "eventCategory", "Management", true);
    return rw_buf_puts(out, "}}");
}

int rw_eb_case_event(rw_buf *out, const rw_eb_case *c, const char *account, const char *region,
                     int64_t now, const char *event_id) {
    char id[96];
    if (!event_id) {
        snprintf(id, sizeof id, "rootwatch-deploy-test-case-%s", c->event_name);
        event_id = id;
    }
    return put_event(out, c, account, region, now, event_id, NULL);
}

int rw_eb_test_event(rw_buf *out, const char *account, const char *region, int64_t now,
                     unsigned nonce, char *event_id, size_t cap) {
    static const rw_eb_case test = {
        "rootwatch deploy test", true,         API_CALL, "aws.iam", "iam.amazonaws.com",
        "RootwatchDeployTest",   "AwsApiCall", "Root",   NULL,      false};
    snprintf(event_id, cap, "rootwatch-deploy-test-%lld-%u", (long long)now, nonce);
    return put_event(out, &test, account, region, now, event_id,
                     "a test event sent by rootwatch deploy test: no root user was used");
}

uint32_t rw_eb_pattern_root_wrong(const rw_pattern *p, const char *account, const char *region,
                                  int64_t now) {
    uint32_t wrong = 0;
    rw_buf ev;
    rw_buf_init(&ev, 0);
    rw_json_doc *doc = rw_json_doc_new(NULL);
    for (size_t i = 0; i < rw_eb_root_ncases; i++) {
        rw_buf_reset(&ev);
        rw_eb_case_event(&ev, &rw_eb_root_cases[i], account, region, now, NULL);
        /* an event TestEventPattern would refuse is rootwatch's own bug: counted as answered
         * wrongly rather than passed */
        const rw_json *e =
            rw_json_doc_parse(doc, ev.data, ev.len) == RW_OK ? rw_json_doc_root(doc) : NULL;
        if (!e || rw_pattern_check_event(e) != RW_OK ||
            rw_pattern_matches(p, e) != rw_eb_root_cases[i].must_match)
            wrong |= 1u << i;
    }
    rw_json_doc_free(doc);
    rw_buf_free(&ev);
    return wrong;
}

void rw_eb_root_wrong_lists(uint32_t wrong, rw_buf *misses, rw_buf *extra) {
    for (size_t i = 0; i < rw_eb_root_ncases; i++) {
        if (!(wrong & (1u << i))) continue;
        const rw_eb_case *c = &rw_eb_root_cases[i];
        rw_buf *l = c->must_match ? misses : extra;
        rw_buf_printf(l, "%s%s (%s)", l->len ? ", " : "", c->name, c->event_name);
    }
}
