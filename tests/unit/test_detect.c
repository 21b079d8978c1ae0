/* Unit tests for src/rules/detect.c: candidates in, alerts out, with the user's filters. */
#include "rwtest.h"

#include "rules/detect.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

typedef struct problems {
    int n;
    uint64_t offset[16];
    char msg[16][800];
} problems;

static void on_problem(void *ctx, uint64_t offset, const char *msg) {
    problems *p = ctx;
    if (p->n < 16) {
        p->offset[p->n] = offset;
        snprintf(p->msg[p->n], sizeof p->msg[0], "%s", msg);
    }
    p->n++;
}

static rw_verdict check(rw_detector *d, const char *json, rw_trail_shape shape, uint64_t offset,
                        rw_alert **out, problems *p) {
    memset(p, 0, sizeof *p);
    rw_trail_record rec = {json, strlen(json), offset, shape};
    return rw_detector_check(d, &rec, "file.json", out, on_problem, p);
}

/* A root record at a given time, account and region (NULL leaves the field out). */
static char *root_record(const char *time, const char *account, const char *region) {
    rwt_str s = {0};
    rwt_adds(&s, "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\",\"principalId\":"
                 "\"1\",\"accessKeyId\":\"ASIAX\",\"sessionContext\":{\"attributes\":{"
                 "\"mfaAuthenticated\":\"true\"}}},");
    if (time) rwt_addf(&s, "\"eventTime\":\"%s\",", time);
    if (account) rwt_addf(&s, "\"recipientAccountId\":\"%s\",", account);
    if (region) rwt_addf(&s, "\"awsRegion\":\"%s\",", region);
    rwt_adds(&s, "\"eventID\":\"id-1\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":"
                 "\"ListBuckets\",\"readOnly\":true,\"eventType\":\"AwsApiCall\"}");
    return s.p;
}

static char *compact(const char *json) {
    rw_json_doc *d = rw_json_doc_new(NULL);
    assert_int_equal(rw_json_doc_parse(d, json, strlen(json)), RW_OK);
    rw_buf b;
    rw_buf_init(&b, 0);
    assert_int_equal(rw_json_write(&b, rw_json_doc_root(d)), RW_OK);
    rw_json_doc_free(d);
    return rw_buf_take(&b);
}

static void test_alert_from_record(void **state) {
    (void)state;
    rw_detector *d = rw_detector_new(NULL, 0);
    char *r = root_record("2026-11-20T10:00:00Z", "111122223333", "us-east-1");
    rw_alert *a = (rw_alert *)1;
    problems p;
    assert_int_equal(check(d, r, RW_SHAPE_RECORD, 4242, &a, &p), RW_VERDICT_ALERT);
    assert_non_null(a);
    assert_int_equal(p.n, 0);
    assert_string_equal(a->rule, "root-api-call"); /* the built-in rule for root API calls */
    assert_int_equal(a->nrules, 1);
    assert_string_equal(a->rules[0], "root-api-call");
    assert_string_equal(a->file, "file.json");
    assert_int_equal(a->offset, 4242);
    assert_string_equal(a->account, "111122223333");
    assert_string_equal(a->region, "us-east-1");
    assert_string_equal(a->event_name, "ListBuckets");
    assert_int_equal(a->severity, RW_SEV_MEDIUM);
    char *want = compact(r);
    assert_string_equal(a->event_json, want);
    free(want);
    rw_alert_free(a);

    /* the file may be absent */
    rw_trail_record rec = {r, strlen(r), 0, RW_SHAPE_RECORD};
    assert_int_equal(rw_detector_check(d, &rec, NULL, &a, NULL, NULL), RW_VERDICT_ALERT);
    assert_string_equal(a->file, "-");
    rw_alert_free(a);

    /* not root: no alert, and *out is NULL */
    a = (rw_alert *)1;
    assert_int_equal(check(d,
                           "{\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"Root\"},"
                           "\"eventName\":\"ListBuckets\"}",
                           RW_SHAPE_RECORD, 0, &a, &p),
                     RW_VERDICT_NONE);
    assert_null(a);
    assert_int_equal(p.n, 0);
    /* service events and invokedBy a service are not alerts (the latter are counted) */
    assert_int_equal(
        check(d, "{\"userIdentity\":{\"type\":\"Root\"},\"eventType\":\"AwsServiceEvent\"}",
              RW_SHAPE_RECORD, 0, &a, &p),
        RW_VERDICT_NONE);
    assert_int_equal(
        check(d, "{\"userIdentity\":{\"type\":\"Root\",\"invokedBy\":\"x.amazonaws.com\"}}",
              RW_SHAPE_RECORD, 0, &a, &p),
        RW_VERDICT_SERVICE);
    assert_string_equal(a->invoked_by, "x.amazonaws.com");
    rw_alert_free(a);
    /* a detector decides many records in a row */
    for (int i = 0; i < 100; i++) {
        assert_int_equal(check(d, r, RW_SHAPE_RECORD, (uint64_t)i, &a, &p), RW_VERDICT_ALERT);
        assert_int_equal(a->offset, i);
        rw_alert_free(a);
    }
    free(r);
    rw_detector_free(d);
    rw_detector_free(NULL);
}

static void test_time_filters(void **state) {
    (void)state;
    rw_filter f = {0};
    f.has_since = true;
    f.since = INT64_C(1795168800); /* 2026-11-20T10:00:00Z */
    f.has_until = true;
    f.until = f.since + 3600;
    rw_detector *d = rw_detector_new(&f, 0);
    static const struct {
        const char *time;
        rw_verdict v;
    } cases[] = {
        {"2026-11-20T09:59:59Z", RW_VERDICT_FILTERED},
        {"2026-11-20T10:00:00Z", RW_VERDICT_ALERT}, /* since is inclusive */
        {"2026-11-20T10:30:00.500Z", RW_VERDICT_ALERT},
        {"2026-11-20T11:59:59+01:00", RW_VERDICT_ALERT},
        {"2026-11-20T10:59:59Z", RW_VERDICT_ALERT},
        {"2026-11-20T11:00:00Z", RW_VERDICT_FILTERED}, /* until is exclusive */
        {"2025-01-01T00:00:00Z", RW_VERDICT_FILTERED},
        {"not a time", RW_VERDICT_ALERT}, /* cannot be placed: kept */
        {NULL, RW_VERDICT_ALERT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *r = root_record(cases[i].time, "1", "r");
        rw_alert *a = NULL;
        problems p;
        rw_verdict v = check(d, r, RW_SHAPE_RECORD, 0, &a, &p);
        if (v != cases[i].v) fail_msg("%s: verdict %d, expected %d", cases[i].time, v, cases[i].v);
        /* an alert comes back when a rule fired: kept (ALERT) or kept out by the filters (FILTERED)
         */
        assert_true((v == RW_VERDICT_ALERT || v == RW_VERDICT_FILTERED) == (a != NULL));
        if (!cases[i].time) assert_true(p.n >= 1); /* no eventTime is a problem */
        rw_alert_free(a);
        free(r);
    }
    rw_detector_free(d);

    /* since alone, until alone */
    rw_filter g = {0};
    g.has_until = true;
    g.until = INT64_C(1795168800);
    d = rw_detector_new(&g, 0);
    char *r = root_record("2000-01-01T00:00:00Z", "1", "r");
    rw_alert *a;
    problems p;
    assert_int_equal(check(d, r, RW_SHAPE_RECORD, 0, &a, &p), RW_VERDICT_ALERT);
    rw_alert_free(a);
    free(r);
    r = root_record("2030-01-01T00:00:00Z", "1", "r");
    assert_int_equal(check(d, r, RW_SHAPE_RECORD, 0, &a, &p), RW_VERDICT_FILTERED);
    /* the alert the filters kept out comes back for counting: classified, without the event */
    assert_non_null(a);
    assert_string_equal(a->event_id, "id-1");
    assert_null(a->event_json);
    rw_alert_free(a);
    free(r);
    rw_detector_free(d);
}

static void test_account_region_filters(void **state) {
    (void)state;
    char *accounts[] = {"111", "222", NULL};
    char *regions[] = {"eu-west-1", NULL};
    rw_filter f = {0};
    f.accounts = accounts;
    rw_detector *d = rw_detector_new(&f, 0);
    rw_alert *a;
    problems p;
    static const struct {
        const char *account;
        rw_verdict v;
    } acc[] = {{"111", RW_VERDICT_ALERT},    {"222", RW_VERDICT_ALERT},
               {"333", RW_VERDICT_FILTERED}, {"1111", RW_VERDICT_FILTERED},
               {"11", RW_VERDICT_FILTERED},  {NULL, RW_VERDICT_FILTERED}};
    for (size_t i = 0; i < sizeof acc / sizeof acc[0]; i++) {
        char *r = root_record("2026-11-20T10:00:00Z", acc[i].account, "us-east-1");
        rw_verdict v = check(d, r, RW_SHAPE_RECORD, 0, &a, &p);
        if (v != acc[i].v) fail_msg("account %s: verdict %d", acc[i].account, v);
        rw_alert_free(a);
        free(r);
    }
    rw_detector_free(d);

    f.accounts = NULL;
    f.regions = regions;
    d = rw_detector_new(&f, 0);
    char *r = root_record("2026-11-20T10:00:00Z", "1", "eu-west-1");
    assert_int_equal(check(d, r, RW_SHAPE_RECORD, 0, &a, &p), RW_VERDICT_ALERT);
    rw_alert_free(a);
    free(r);
    r = root_record("2026-11-20T10:00:00Z", "1", "eu-west-2");
    assert_int_equal(check(d, r, RW_SHAPE_RECORD, 0, &a, &p), RW_VERDICT_FILTERED);
    rw_alert_free(a);
    free(r);
    r = root_record("2026-11-20T10:00:00Z", "1", NULL);
    assert_int_equal(check(d, r, RW_SHAPE_RECORD, 0, &a, &p), RW_VERDICT_FILTERED);
    rw_alert_free(a);
    free(r);
    rw_detector_free(d);

    /* both, with the account taken from userIdentity */
    f.accounts = accounts;
    d = rw_detector_new(&f, 0);
    assert_int_equal(check(d,
                           "{\"userIdentity\":{\"type\":\"Root\",\"accountId\":\"222\"},"
                           "\"awsRegion\":\"eu-west-1\",\"eventID\":\"x\",\"eventTime\":"
                           "\"2026-11-20T10:00:00Z\",\"eventSource\":\"s3.amazonaws.com\","
                           "\"eventName\":\"ListBuckets\"}",
                           RW_SHAPE_RECORD, 0, &a, &p),
                     RW_VERDICT_ALERT);
    rw_alert_free(a);
    rw_detector_free(d);
}

#define ENVELOPE(detail)                                                                           \
    "{\"version\":\"0\",\"id\":\"6f3c\",\"detail-type\":\"AWS API Call via CloudTrail\","          \
    "\"source\":\"aws.s3\",\"account\":\"999\",\"time\":\"2026-11-20T10:00:00Z\",\"region\":"      \
    "\"eu-west-1\",\"resources\":[],\"detail\":" detail "}"
#define DETAIL                                                                                     \
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\"},\"eventTime\":"               \
    "\"2026-11-20T10:00:00Z\",\"eventID\":\"d-1\",\"eventSource\":\"s3.amazonaws.com\","           \
    "\"eventName\":\"ListBuckets\",\"readOnly\":true}"

static void test_envelopes(void **state) {
    (void)state;
    char *accounts[] = {"999", NULL};
    rw_filter f = {0};
    f.accounts = accounts;
    rw_detector *d = rw_detector_new(&f, 0);
    rw_alert *a;
    problems p;
    /* an EventBridge event: the record is its detail, the account and region from the event */
    assert_int_equal(check(d, ENVELOPE(DETAIL), RW_SHAPE_ENVELOPE, 10, &a, &p), RW_VERDICT_ALERT);
    assert_string_equal(a->account, "999");
    assert_string_equal(a->region, "eu-west-1");
    assert_string_equal(a->event_id, "d-1");
    char *want = compact(DETAIL);
    assert_string_equal(a->event_json, want); /* the record alone, not the envelope */
    free(want);
    rw_alert_free(a);
    /* an element of a top-level array that is an envelope */
    assert_int_equal(check(d, ENVELOPE(DETAIL), RW_SHAPE_VALUE, 10, &a, &p), RW_VERDICT_ALERT);
    assert_string_equal(a->event_id, "d-1");
    rw_alert_free(a);
    /* ... or a plain record */
    char *r = root_record("2026-11-20T10:00:00Z", "999", "x");
    assert_int_equal(check(d, r, RW_SHAPE_VALUE, 10, &a, &p), RW_VERDICT_ALERT);
    assert_string_equal(a->event_id, "id-1");
    rw_alert_free(a);
    free(r);
    /* a record in an envelope is not root because the envelope mentions Root */
    assert_int_equal(check(d, ENVELOPE("{\"userIdentity\":{\"type\":\"IAMUser\"}}"),
                           RW_SHAPE_ENVELOPE, 0, &a, &p),
                     RW_VERDICT_NONE);
    /* the envelope's userIdentity is not the record's */
    assert_int_equal(check(d,
                           "{\"detail-type\":\"x\",\"userIdentity\":{\"type\":\"Root\"},\"detail\":"
                           "{\"userIdentity\":{\"type\":\"AWSService\"}}}",
                           RW_SHAPE_ENVELOPE, 0, &a, &p),
                     RW_VERDICT_NONE);
    /* an envelope whose detail is not an object */
    assert_int_equal(check(d, ENVELOPE("\"{}\""), RW_SHAPE_ENVELOPE, 77, &a, &p), RW_VERDICT_NONE);
    assert_int_equal(p.n, 1);
    assert_contains(p.msg[0], "detail is not an object");
    assert_int_equal(p.offset[0], 77);
    assert_int_equal(check(d, "{\"detail-type\":\"x\"}", RW_SHAPE_ENVELOPE, 5, &a, &p),
                     RW_VERDICT_NONE);
    assert_int_equal(p.n, 1);
    assert_contains(p.msg[0], "detail is not an object");
    rw_detector_free(d);
}

/* A root record invoked by BY (NULL: no invokedBy), userAgent the same, as AWS records console
 * actions and services acting on the account's behalf. */
static char *invoked_record(const char *id, const char *by, const char *source, const char *name,
                            const char *time) {
    rwt_str s = {0};
    rwt_adds(&s, "{\"eventVersion\":\"1.05\",\"userIdentity\":{\"type\":\"Root\",\"principalId\":"
                 "\"111122223333\",\"arn\":\"arn:aws:iam::111122223333:root\",\"accountId\":"
                 "\"111122223333\",\"accessKeyId\":\"ASIAEXAMPLE\",\"sessionContext\":{"
                 "\"attributes\":{\"mfaAuthenticated\":\"true\"}}");
    if (by) rwt_addf(&s, ",\"invokedBy\":\"%s\"", by);
    rwt_addf(&s,
             "},\"eventTime\":\"%s\",\"eventSource\":\"%s\",\"eventName\":\"%s\","
             "\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"%s\",\"userAgent\":\"%s\","
             "\"eventID\":\"%s\",\"eventType\":\"AwsApiCall\",\"recipientAccountId\":"
             "\"111122223333\"}",
             time, source, name, by ? by : "198.51.100.7", by ? by : "aws-cli/2", id);
    return s.p;
}

static void test_invoked_by_console_or_service(void **state) {
    (void)state;
    rw_filter f = {0};
    f.has_since = true;
    f.since = INT64_C(1795168800); /* 2026-11-20T10:00:00Z */
    rw_detector *d = rw_detector_new(&f, 0);
    rw_alert *a;
    problems p;
    /* the root user at the console: CIS's filter drops it, rootwatch alerts it */
    char *r = invoked_record("console-key", "signin.amazonaws.com", "iam.amazonaws.com",
                             "CreateAccessKey", "2026-11-20T10:00:00Z");
    assert_int_equal(check(d, r, RW_SHAPE_RECORD, 0, &a, &p), RW_VERDICT_ALERT);
    assert_int_equal(p.n, 0);
    assert_string_equal(a->event_id, "console-key");
    assert_string_equal(a->rule, "root-api-call");
    assert_int_equal(a->severity, RW_SEV_CRITICAL);
    assert_int_equal(a->credential, RW_CRED_CONSOLE_SESSION);
    assert_string_equal(a->invoked_by, "signin.amazonaws.com");
    bool said = false;
    for (int i = 0; i < a->nreasons; i++)
        said |= strstr(a->reasons[i], "made through the AWS console (userIdentity.invokedBy "
                                      "signin.amazonaws.com)") != NULL &&
                strstr(a->reasons[i], "CIS's filter") != NULL;
    assert_true(said);
    rw_alert_free(a);
    free(r);
    r = invoked_record("console-ui", "console.amazonaws.com", "s3.amazonaws.com", "ListBuckets",
                       "2026-11-20T10:00:00Z");
    assert_int_equal(check(d, r, RW_SHAPE_RECORD, 0, &a, &p), RW_VERDICT_ALERT);
    rw_alert_free(a);
    free(r);
    /* in an EventBridge envelope too (the built-in patterns, as EventBridge runs them) */
    r = invoked_record("console-eb", "signin.amazonaws.com", "iam.amazonaws.com", "CreateUser",
                       "2026-11-20T10:00:00Z");
    rwt_str env = {0};
    rwt_addf(&env,
             "{\"version\":\"0\",\"id\":\"x\",\"detail-type\":\"AWS API Call via CloudTrail\","
             "\"source\":\"aws.iam\",\"account\":\"111122223333\",\"time\":"
             "\"2026-11-20T10:00:00Z\",\"region\":\"us-east-1\",\"resources\":[],\"detail\":%s}",
             r);
    assert_int_equal(check(d, env.p, RW_SHAPE_ENVELOPE, 0, &a, &p), RW_VERDICT_ALERT);
    rw_alert_free(a);
    free(env.p);
    free(r);

    /* AWS services on the account's behalf: not alerted, given back to be counted by service */
    static const char *const services[] = {"autoscaling.amazonaws.com", "support.amazonaws.com",
                                           "trustedadvisor.amazonaws.com", "AWS Internal"};
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++) {
        r = invoked_record("svc", services[i], "ec2.amazonaws.com", "DescribeInstances",
                           "2026-11-20T10:00:00Z");
        a = NULL;
        assert_int_equal(check(d, r, RW_SHAPE_RECORD, 0, &a, &p), RW_VERDICT_SERVICE);
        assert_int_equal(p.n, 0);
        assert_non_null(a);
        assert_string_equal(a->invoked_by, services[i]);
        assert_string_equal(a->event_id, "svc");
        rw_alert_free(a);
        /* outside the filters: not counted at all */
        free(r);
        r = invoked_record("svc-old", services[i], "ec2.amazonaws.com", "DescribeInstances",
                           "2026-11-19T10:00:00Z");
        a = (rw_alert *)1;
        assert_int_equal(check(d, r, RW_SHAPE_RECORD, 0, &a, &p), RW_VERDICT_NONE);
        assert_null(a);
        free(r);
    }
    /* the same console call outside the filters is root activity kept out by them */
    r = invoked_record("console-old", "signin.amazonaws.com", "iam.amazonaws.com",
                       "CreateAccessKey", "2026-11-19T10:00:00Z");
    assert_int_equal(check(d, r, RW_SHAPE_RECORD, 0, &a, &p), RW_VERDICT_FILTERED);
    rw_alert_free(a);
    free(r);
    rw_detector_free(d);

    /* a user's rule that matches a service's root event makes it an alert, not a count */
    rw_ruleset *rs = rw_ruleset_new();
    static const char rules[] = "rules:\n"
                                "  - id: support-root\n"
                                "    title: Support used root\n"
                                "    severity: low\n"
                                "    pattern: {detail: {userIdentity: {invokedBy: "
                                "[support.amazonaws.com]}}}\n";
    assert_int_equal(rw_ruleset_load_builtin(rs), RW_OK);
    assert_int_equal(rw_ruleset_load_text(rs, rules, strlen(rules), "rules.yaml"), RW_OK);
    rw_ruleset_freeze(rs, 0);
    d = rw_detector_new_rules(NULL, rs, 0);
    r = invoked_record("svc", "support.amazonaws.com", "ec2.amazonaws.com", "DescribeInstances",
                       "2026-11-20T10:00:00Z");
    assert_int_equal(check(d, r, RW_SHAPE_RECORD, 0, &a, &p), RW_VERDICT_ALERT);
    assert_string_equal(a->rule, "support-root");
    rw_alert_free(a);
    free(r);
    rw_detector_free(d);
    rw_ruleset_free(rs);
}

/* A root record without a usable eventID is never dropped: it gets an id derived from its content
 * (the same record read again, however it is laid out, gets the same id), and records whose ids
 * differ only after an escaped NUL stay apart. */
static void test_derived_event_ids(void **state) {
    (void)state;
    rw_detector *d = rw_detector_new(NULL, 0);
    const char *base =
        "\"userIdentity\":{\"type\":\"Root\"},\"eventTime\":\"2026-11-20T10:00:00Z\","
        "\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateUser\"";
    const char *ids[] = {"",
                         ",\"eventID\":\"\"",
                         ",\"eventID\":\"dup\\u0000a\"",
                         ",\"eventID\":\"dup\\u0000b\"",
                         ",\"eventID\":42",
                         ",\"eventID\":\"dup\""};
    const char *why[] = {"no eventID", "empty", "NUL", "NUL", "not a string", NULL};
    char *got[6];
    for (int i = 0; i < 6; i++) {
        char json[512];
        snprintf(json, sizeof json, "{%s%s}", base, ids[i]);
        rw_alert *a = NULL;
        problems p;
        assert_int_equal(check(d, json, RW_SHAPE_RECORD, 0, &a, &p), RW_VERDICT_ALERT);
        assert_non_null(a->event_id);
        if (why[i]) {
            assert_non_null(a->event_id_derived);
            assert_non_null(strstr(a->event_id_derived, why[i]));
            assert_int_equal(strncmp(a->event_id, "rw-sha256:", 10), 0);
            assert_int_equal(strlen(a->event_id), 10 + 32);
        } else {
            assert_null(a->event_id_derived);
            assert_string_equal(a->event_id, "dup");
        }
        rw_buf b;
        rw_buf_init(&b, 0);
        assert_int_equal(rw_alert_to_json(&b, a), RW_OK);
        assert_non_null(
            strstr(b.data, why[i] ? "\"eventIDDerived\":true" : "\"eventIDDerived\":false"));
        rw_buf_free(&b);
        got[i] = strdup(a->event_id);
        rw_alert_free(a);
    }
    for (int i = 0; i < 6; i++)
        for (int j = i + 1; j < 6; j++) assert_string_not_equal(got[i], got[j]);
    /* the same record laid out differently (white space) is the same alert */
    char json[512];
    snprintf(json, sizeof json, "{ %s ,\n \"eventID\" : \"dup\\u0000a\" }", base);
    rw_alert *a = NULL;
    problems p;
    assert_int_equal(check(d, json, RW_SHAPE_RECORD, 0, &a, &p), RW_VERDICT_ALERT);
    assert_string_equal(a->event_id, got[2]);
    rw_alert_free(a);
    for (int i = 0; i < 6; i++) free(got[i]);
    rw_detector_free(d);
}

static void test_builtin_literals(void **state) {
    (void)state;
    /* the console's invokedBy values add no literal: the built-in rules still need only "Root",
     * so the prefilter parses no more records than before */
    rw_ruleset *rs = rw_ruleset_new();
    assert_int_equal(rw_ruleset_load_builtin(rs), RW_OK);
    rw_ruleset_freeze(rs, 0);
    const char *const *lits;
    size_t n;
    assert_true(rw_ruleset_literals(rs, &lits, &n));
    assert_int_equal(n, 1);
    assert_string_equal(lits[0], "\"Root\"");
    rw_ruleset_free(rs);
}

static void test_malformed_candidates(void **state) {
    (void)state;
    rw_detector *d = rw_detector_new(NULL, 0);
    rw_alert *a = (rw_alert *)1;
    problems p;
    const char *bad = "{\"userIdentity\":{\"type\":\"Root\"},\"eventName\":}";
    assert_int_equal(check(d, bad, RW_SHAPE_RECORD, 1000, &a, &p), RW_VERDICT_NONE);
    assert_null(a);
    assert_int_equal(p.n, 1);
    /* located at the record's start; the message says where in the record, and that it counts
     * from there (issue 15: the offsets were unlabelled and the record's start was not given) */
    assert_int_equal(p.offset[0], 1000);
    char where[96];
    snprintf(where, sizeof where, "at byte %zu, counted from the record's first byte",
             (size_t)(strrchr(bad, '}') - bad));
    assert_contains(p.msg[0], "malformed record starting here");
    assert_contains(p.msg[0], where);
    assert_contains(p.msg[0], "may be root activity");
    assert_contains(p.msg[0], "expected a JSON value");
    /* truncated */
    const char *cut = "{\"userIdentity\":{\"type\":\"Root\"";
    assert_int_equal(check(d, cut, RW_SHAPE_RECORD, 50, &a, &p), RW_VERDICT_NONE);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.offset[0], 50);
    snprintf(where, sizeof where, "at byte %zu, counted from the record's first byte", strlen(cut));
    assert_contains(p.msg[0], where);
    assert_contains(p.msg[0], "truncated");
    /* not an object */
    assert_int_equal(
        check(d, "[{\"userIdentity\":{\"type\":\"Root\"}}]", RW_SHAPE_RECORD, 3, &a, &p),
        RW_VERDICT_NONE);
    assert_int_equal(p.n, 1);
    assert_contains(p.msg[0], "a record is an array, expected an object");
    assert_int_equal(p.offset[0], 3);
    /* problems of the root rule come with the record's offset */
    assert_int_equal(check(d, "{\"userIdentity\":{\"type\":7}}", RW_SHAPE_RECORD, 99, &a, &p),
                     RW_VERDICT_NONE);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.offset[0], 99);
    assert_contains(p.msg[0], "userIdentity.type is a number");
    /* invalid UTF-8 is read as U+FFFD and said */
    char *r = root_record("2026-11-20T10:00:00Z", "1", "r");
    rwt_str s = {0};
    r[strlen(r) - 1] = 0; /* without its closing brace */
    rwt_adds(&s, r);
    rwt_adds(&s, ",\"userAgent\":\"bad\xFF\xFE\"}");
    assert_int_equal(check(d, s.p, RW_SHAPE_RECORD, 7, &a, &p), RW_VERDICT_ALERT);
    assert_int_equal(p.n, 1);
    assert_contains(p.msg[0], "2 invalid UTF-8 sequences");
    assert_int_equal(p.offset[0], 7);
    assert_string_equal(a->user_agent, "bad\xEF\xBF\xBD\xEF\xBF\xBD");
    rw_alert_free(a);
    rwt_free(&s);
    free(r);
    /* the detector works on after a bad record */
    r = root_record("2026-11-20T10:00:00Z", "1", "r");
    assert_int_equal(check(d, r, RW_SHAPE_RECORD, 0, &a, &p), RW_VERDICT_ALERT);
    assert_int_equal(p.n, 0);
    rw_alert_free(a);
    free(r);
    rw_detector_free(d);

    /* nesting deeper than the detector's limit */
    d = rw_detector_new(NULL, 4);
    assert_int_equal(check(d, "{\"userIdentity\":{\"type\":\"Root\"},\"a\":[[[[]]]]}",
                           RW_SHAPE_RECORD, 0, &a, &p),
                     RW_VERDICT_NONE);
    assert_int_equal(p.n, 1);
    /* at the record's start (here 0), the fifth opening bracket counted from there */
    assert_int_equal(p.offset[0], 0);
    assert_contains(p.msg[0], "malformed record starting here: nesting deeper than 4 levels at "
                              "byte 39, counted from the record's first byte");
    rw_detector_free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alert_from_record),
        cmocka_unit_test(test_time_filters),
        cmocka_unit_test(test_account_region_filters),
        cmocka_unit_test(test_envelopes),
        cmocka_unit_test(test_malformed_candidates),
        cmocka_unit_test(test_invoked_by_console_or_service),
        cmocka_unit_test(test_derived_event_ids),
        cmocka_unit_test(test_builtin_literals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
