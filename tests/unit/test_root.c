/* Unit tests for src/rules/root.c (and the alert helpers of src/rules/alert.c): which records are
 * root activity (CIS semantics and its traps), and how root actions are classified. */
#include "rwtest.h"

#include "rules/alert.h"
#include "rules/root.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

/* ---- helpers -------------------------------------------------------------------------------- */

typedef struct problems {
    int n;
    char msg[16][256];
} problems;

static void on_problem(void *ctx, const char *msg) {
    problems *p = ctx;
    if (p->n < 16) snprintf(p->msg[p->n], sizeof p->msg[0], "%s", msg);
    p->n++;
}

static bool any_problem(const problems *p, const char *needle) {
    for (int i = 0; i < p->n && i < 16; i++)
        if (strstr(p->msg[i], needle)) return true;
    return false;
}

#define assert_problem(p, needle)                                                                  \
    do {                                                                                           \
        if (!any_problem((p), (needle)))                                                           \
            fail_msg("no problem mentions \"%s\" (%d problems%s%s)", (needle), (p)->n,             \
                     (p)->n ? ", first: " : "", (p)->n ? (p)->msg[0] : "");                        \
    } while (0)

static rw_json_doc *doc;

static int setup(void **state) {
    (void)state;
    doc = rw_json_doc_new(NULL);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    rw_json_doc_free(doc);
    return 0;
}

static const rw_json *rec(const char *json) {
    if (rw_json_doc_parse(doc, json, strlen(json)) != RW_OK)
        fail_msg("bad test record: %s: %s", rw_error_last(), json);
    return rw_json_doc_root(doc);
}

/* Is json root activity? Also counts the problems reported. */
static bool is_root(const char *json, problems *p) {
    memset(p, 0, sizeof *p);
    return rw_root_is_activity(rec(json), on_problem, p);
}

#define UI_ROOT                                                                                    \
    "\"userIdentity\":{\"type\":\"Root\",\"principalId\":\"123456789012\",\"arn\":"                \
    "\"arn:aws:iam::123456789012:root\",\"accountId\":\"123456789012\"}"
#define COMMON                                                                                     \
    "\"eventVersion\":\"1.08\",\"eventTime\":\"2026-11-20T10:00:00Z\",\"eventID\":\"e-1\","        \
    "\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"198.51.100.7\",\"userAgent\":\"agent\","    \
    "\"recipientAccountId\":\"123456789012\""

/* ---- what is root activity ------------------------------------------------------------------ */

static void test_root_activity_positive(void **state) {
    (void)state;
    problems p;
    assert_true(is_root("{" COMMON "," UI_ROOT
                        ",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":"
                        "\"ListBuckets\",\"eventType\":\"AwsApiCall\"}",
                        &p));
    assert_int_equal(p.n, 0);
    assert_true(is_root("{" COMMON "," UI_ROOT ",\"eventSource\":\"signin.amazonaws.com\","
                        "\"eventName\":\"ConsoleLogin\",\"eventType\":\"AwsConsoleSignIn\"}",
                        &p));
    assert_int_equal(p.n, 0);
    /* the smallest record that counts */
    assert_true(is_root("{\"userIdentity\":{\"type\":\"Root\"}}", &p));
    assert_int_equal(p.n, 0);
    /* other event types count */
    assert_true(
        is_root("{\"userIdentity\":{\"type\":\"Root\"},\"eventType\":\"AwsServiceEventX\"}", &p));
    assert_true(is_root(
        "{\"userIdentity\":{\"type\":\"Root\"},\"eventType\":\"AwsCloudTrailInsight\"}", &p));
    /* an eventType of the wrong type is not AwsServiceEvent, and is a problem */
    assert_true(is_root("{\"userIdentity\":{\"type\":\"Root\"},\"eventType\":5}", &p));
    assert_problem(&p, "eventType is a number");
    assert_true(is_root("{\"userIdentity\":{\"type\":\"Root\"},\"eventType\":null}", &p));
    assert_problem(&p, "eventType is null");
    /* userIdentity.type repeated: root if any is Root, and said */
    assert_true(is_root("{\"userIdentity\":{\"type\":\"IAMUser\",\"type\":\"Root\"}}", &p));
    assert_problem(&p, "2 \"type\" members");
    assert_true(is_root("{\"userIdentity\":{\"type\":\"Root\",\"type\":\"IAMUser\"}}", &p));
    /* the field order does not matter */
    assert_true(is_root("{\"eventType\":\"AwsApiCall\",\"userIdentity\":{\"accountId\":\"1\","
                        "\"type\":\"Root\"},\"eventName\":\"X\"}",
                        &p));
    /* a problem callback is optional */
    assert_true(
        rw_root_is_activity(rec("{\"userIdentity\":{\"type\":\"Root\",\"type\":1}}"), NULL, NULL));
}

static void test_root_activity_traps(void **state) {
    (void)state;
    problems p;
    /* an IAM user named root */
    assert_false(
        is_root("{" COMMON ",\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"root\","
                "\"arn\":\"arn:aws:iam::123456789012:user/root\"},\"eventName\":\"ListBuckets\"}",
                &p));
    assert_int_equal(p.n, 0);
    /* a role named Root */
    assert_false(is_root("{" COMMON ",\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":"
                         "\"arn:aws:sts::123456789012:assumed-role/Root/s\",\"sessionContext\":{"
                         "\"sessionIssuer\":{\"type\":\"Role\",\"userName\":\"Root\",\"arn\":"
                         "\"arn:aws:iam::123456789012:role/Root\"}}},\"eventName\":\"GetObject\"}",
                         &p));
    assert_int_equal(p.n, 0);
    /* type Root deeper in userIdentity */
    assert_false(is_root("{\"userIdentity\":{\"type\":\"AssumedRole\",\"sessionContext\":{"
                         "\"sessionIssuer\":{\"type\":\"Root\"}}}}",
                         &p));
    /* Organizations ListRoots: "type":"Root" objects in the response */
    assert_false(
        is_root("{" COMMON ",\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"admin\"},"
                "\"eventSource\":\"organizations.amazonaws.com\",\"eventName\":\"ListRoots\","
                "\"responseElements\":{\"roots\":[{\"id\":\"r-ab12\",\"type\":\"Root\","
                "\"name\":\"Root\",\"arn\":\"arn:aws:organizations::1:root/o-1/r-ab12\"}]}}",
                &p));
    assert_int_equal(p.n, 0);
    /* "Root" nested in requestParameters, as a whole userIdentity */
    assert_false(is_root("{\"userIdentity\":{\"type\":\"IAMUser\"},\"requestParameters\":{"
                         "\"userIdentity\":{\"type\":\"Root\"},\"type\":\"Root\"}}",
                         &p));
    /* inside a string */
    assert_false(is_root("{\"userIdentity\":{\"type\":\"IAMUser\",\"note\":"
                         "\"{\\\"userIdentity\\\":{\\\"type\\\":\\\"Root\\\"}}\"},"
                         "\"userAgent\":\"\\\"type\\\":\\\"Root\\\"\"}",
                         &p));
    /* type at the record's top level, not in userIdentity */
    assert_false(is_root("{\"type\":\"Root\",\"userIdentity\":{\"type\":\"IAMUser\"}}", &p));
    /* AWS account and service principals */
    assert_false(
        is_root("{\"userIdentity\":{\"type\":\"AWSAccount\",\"principalId\":\"AIDAEXAMPLE\","
                "\"accountId\":\"111122223333\"}}",
                &p));
    assert_false(is_root("{\"userIdentity\":{\"type\":\"AWSService\",\"invokedBy\":"
                         "\"cloudtrail.amazonaws.com\"}}",
                         &p));
    /* spelling matters */
    assert_false(is_root("{\"userIdentity\":{\"type\":\"root\"}}", &p));
    assert_false(is_root("{\"userIdentity\":{\"type\":\"ROOT\"}}", &p));
    assert_false(is_root("{\"userIdentity\":{\"type\":\"Root \"}}", &p));
    assert_false(is_root("{\"userIdentity\":{\"type\":\"Root\\u0000\"}}", &p));
    assert_false(is_root("{\"userIdentity\":{\"Type\":\"Root\"}}", &p));
    assert_false(is_root("{\"useridentity\":{\"type\":\"Root\"}}", &p));
    /* a \u escape is read as what it means */
    assert_true(is_root("{\"userIdentity\":{\"type\":\"\\u0052oot\"}}", &p));
    assert_true(is_root("{\"user\\u0049dentity\":{\"t\\u0079pe\":\"Root\"}}", &p));
    /* invoked by an AWS service: not the root user at work */
    assert_false(is_root(
        "{\"userIdentity\":{\"type\":\"Root\",\"invokedBy\":\"support.amazonaws.com\"}}", &p));
    assert_int_equal(p.n, 0);
    assert_false(is_root("{\"userIdentity\":{\"type\":\"Root\",\"invokedBy\":\"\"}}", &p));
    assert_problem(&p, "an empty string");
    assert_false(is_root("{\"userIdentity\":{\"type\":\"Root\",\"invokedBy\":7}}", &p));
    assert_problem(&p, "invokedBy set to a number");
    assert_false(is_root("{\"userIdentity\":{\"type\":\"Root\",\"invokedBy\":null}}", &p));
    assert_problem(&p, "invokedBy set to null");
    /* invokedBy elsewhere does not count */
    assert_true(is_root("{\"userIdentity\":{\"type\":\"Root\",\"sessionContext\":{\"invokedBy\":"
                        "\"x.amazonaws.com\"}},\"invokedBy\":\"y.amazonaws.com\"}",
                        &p));
    /* service events */
    assert_false(
        is_root("{\"userIdentity\":{\"type\":\"Root\"},\"eventType\":\"AwsServiceEvent\"}", &p));
    assert_int_equal(p.n, 0);
    assert_false(is_root("{\"eventType\":\"AwsApiCall\",\"userIdentity\":{\"type\":\"Root\"},"
                         "\"eventType\":\"AwsServiceEvent\"}",
                         &p));
    assert_problem(&p, "2 \"eventType\" members");
}

static void test_root_activity_wrong_types(void **state) {
    (void)state;
    problems p;
    assert_false(is_root("{\"userIdentity\":\"Root\"}", &p));
    assert_problem(&p, "userIdentity is a string, expected an object");
    assert_false(is_root("{\"userIdentity\":[{\"type\":\"Root\"}]}", &p));
    assert_problem(&p, "userIdentity is an array");
    assert_false(is_root("{\"userIdentity\":null}", &p));
    assert_problem(&p, "userIdentity is null");
    assert_false(is_root("{\"userIdentity\":{\"type\":1}}", &p));
    assert_problem(&p, "userIdentity.type is a number, expected a string");
    assert_false(is_root("{\"userIdentity\":{\"type\":[\"Root\"]}}", &p));
    assert_problem(&p, "userIdentity.type is an array");
    assert_false(is_root("{\"userIdentity\":{\"type\":{\"Root\":true}}}", &p));
    assert_problem(&p, "userIdentity.type is an object");
    assert_false(is_root("{\"userIdentity\":{\"type\":true}}", &p));
    assert_problem(&p, "a boolean");
    /* no userIdentity: not root, nothing odd */
    assert_false(is_root("{\"eventName\":\"X\"}", &p));
    assert_int_equal(p.n, 0);
    /* not an object */
    assert_false(is_root("[{\"userIdentity\":{\"type\":\"Root\"}}]", &p));
    assert_false(is_root("\"Root\"", &p));
    assert_false(rw_root_is_activity(NULL, on_problem, &p));
}

/* ---- sensitive actions ---------------------------------------------------------------------- */

static void test_sensitive(void **state) {
    (void)state;
    assert_non_null(rw_root_sensitive("iam.amazonaws.com", "CreateAccessKey"));
    assert_contains(rw_root_sensitive("iam.amazonaws.com", "CreateAccessKey"), "access key");
    assert_non_null(rw_root_sensitive("cloudtrail.amazonaws.com", "StopLogging"));
    assert_non_null(rw_root_sensitive("cloudtrail.amazonaws.com", "DeleteTrail"));
    assert_non_null(rw_root_sensitive("organizations.amazonaws.com", "LeaveOrganization"));
    assert_non_null(rw_root_sensitive("s3.amazonaws.com", "PutBucketPolicy"));
    assert_non_null(rw_root_sensitive("guardduty.amazonaws.com", "DeleteDetector"));
    assert_non_null(rw_root_sensitive("kms.amazonaws.com", "ScheduleKeyDeletion"));
    assert_non_null(rw_root_sensitive("account.amazonaws.com", "CloseAccount"));
    assert_non_null(rw_root_sensitive("iam", "CreateAccessKey")); /* the service alone */
    /* the same name under another service is another action */
    assert_null(rw_root_sensitive("s3.amazonaws.com", "CreateAccessKey"));
    assert_null(rw_root_sensitive("iamx.amazonaws.com", "CreateAccessKey"));
    assert_null(rw_root_sensitive("ia.amazonaws.com", "CreateAccessKey"));
    assert_null(rw_root_sensitive("iam.amazonaws.com", "createaccesskey"));
    assert_null(rw_root_sensitive("iam.amazonaws.com", "CreateAccessKeyX"));
    assert_null(rw_root_sensitive("iam.amazonaws.com", "ListUsers"));
    assert_null(rw_root_sensitive("s3.amazonaws.com", "ListBuckets"));
    assert_null(rw_root_sensitive(NULL, "CreateAccessKey"));
    assert_null(rw_root_sensitive("iam.amazonaws.com", NULL));
    assert_null(rw_root_sensitive("", ""));
}

/* ---- classification ------------------------------------------------------------------------- */

static rw_alert *classify(const char *json, const char *env_json, problems *p) {
    memset(p, 0, sizeof *p);
    /* the record and the envelope live in one document: parse the envelope and find the record
     * in its detail, or parse the record alone */
    if (env_json) {
        const rw_json *env = rec(env_json);
        return rw_root_classify(rw_json_get(env, "detail"), env, on_problem, p);
    }
    const rw_json *r = rec(json);
    assert_true(rw_root_is_activity(r, NULL, NULL));
    return rw_root_classify(r, NULL, on_problem, p);
}

static bool has_reason(const rw_alert *a, const char *needle) {
    for (int i = 0; i < a->nreasons; i++)
        if (strstr(a->reasons[i], needle)) return true;
    return false;
}

#define assert_reason(a, needle)                                                                   \
    do {                                                                                           \
        if (!has_reason((a), (needle)))                                                            \
            fail_msg("no reason mentions \"%s\" (%d reasons%s%s)", (needle), (a)->nreasons,        \
                     (a)->nreasons ? ", first: " : "", (a)->nreasons ? (a)->reasons[0] : "");      \
    } while (0)

#define SIGNIN "\"eventSource\":\"signin.amazonaws.com\",\"eventType\":\"AwsConsoleSignIn\""

static void test_console_login(void **state) {
    (void)state;
    problems p;
    rw_alert *a = classify("{" COMMON "," UI_ROOT "," SIGNIN ",\"eventName\":\"ConsoleLogin\","
                           "\"responseElements\":{\"ConsoleLogin\":\"Success\"},"
                           "\"additionalEventData\":{\"MFAUsed\":\"No\",\"LoginTo\":\"x\"}}",
                           NULL, &p);
    assert_int_equal(p.n, 0);
    assert_int_equal(a->kind, RW_KIND_CONSOLE_LOGIN);
    assert_int_equal(a->outcome, RW_OUTCOME_SUCCESS);
    assert_int_equal(a->mfa, RW_TRI_FALSE);
    assert_int_equal(a->credential, RW_CRED_NONE);
    assert_int_equal(a->severity, RW_SEV_CRITICAL);
    assert_int_equal(a->nreasons, 1);
    assert_reason(a, "root console sign-in without MFA");
    assert_string_equal(a->event_id, "e-1");
    assert_string_equal(a->event_time, "2026-11-20T10:00:00Z");
    assert_int_equal(a->time, INT64_C(1795168800));
    assert_string_equal(a->account, "123456789012");
    assert_string_equal(a->region, "us-east-1");
    assert_string_equal(a->event_source, "signin.amazonaws.com");
    assert_string_equal(a->event_name, "ConsoleLogin");
    assert_string_equal(a->source_ip, "198.51.100.7");
    assert_string_equal(a->user_agent, "agent");
    assert_null(a->error_code);
    assert_null(a->access_key_id);
    assert_false(a->sensitive);
    rw_alert_free(a);

    a = classify("{" COMMON "," UI_ROOT "," SIGNIN ",\"eventName\":\"ConsoleLogin\","
                 "\"responseElements\":{\"ConsoleLogin\":\"Success\"},"
                 "\"additionalEventData\":{\"MFAUsed\":\"Yes\"}}",
                 NULL, &p);
    assert_int_equal(a->mfa, RW_TRI_TRUE);
    assert_int_equal(a->severity, RW_SEV_HIGH);
    assert_reason(a, "with MFA");
    rw_alert_free(a);

    /* failed: medium */
    a = classify("{" COMMON "," UI_ROOT "," SIGNIN ",\"eventName\":\"ConsoleLogin\","
                 "\"responseElements\":{\"ConsoleLogin\":\"Failure\"},\"errorMessage\":"
                 "\"Failed authentication\",\"additionalEventData\":{\"MFAUsed\":\"No\"}}",
                 NULL, &p);
    assert_int_equal(a->outcome, RW_OUTCOME_FAILURE);
    assert_int_equal(a->severity, RW_SEV_MEDIUM);
    assert_int_equal(a->nreasons, 1);
    assert_reason(a, "failed root console sign-in");
    assert_string_equal(a->error_message, "Failed authentication");
    rw_alert_free(a);

    /* failed, told only by the error message */
    a = classify("{" COMMON "," UI_ROOT "," SIGNIN ",\"eventName\":\"ConsoleLogin\","
                 "\"errorMessage\":\"Failed authentication\"}",
                 NULL, &p);
    assert_int_equal(a->outcome, RW_OUTCOME_FAILURE);
    assert_int_equal(a->severity, RW_SEV_MEDIUM);
    rw_alert_free(a);

    /* outcome or MFA not recorded: high */
    a = classify("{" COMMON "," UI_ROOT "," SIGNIN ",\"eventName\":\"ConsoleLogin\"}", NULL, &p);
    assert_int_equal(a->outcome, RW_OUTCOME_UNKNOWN);
    assert_int_equal(a->severity, RW_SEV_HIGH);
    assert_reason(a, "outcome not recorded");
    rw_alert_free(a);
    a = classify("{" COMMON "," UI_ROOT "," SIGNIN ",\"eventName\":\"ConsoleLogin\","
                 "\"responseElements\":{\"ConsoleLogin\":\"success\"}}",
                 NULL, &p);
    assert_int_equal(a->outcome, RW_OUTCOME_SUCCESS);
    assert_int_equal(a->mfa, RW_TRI_UNKNOWN);
    assert_int_equal(a->severity, RW_SEV_HIGH);
    assert_reason(a, "MFA not recorded");
    rw_alert_free(a);
}

static void test_other_signin_events(void **state) {
    (void)state;
    problems p;
    rw_alert *a =
        classify("{" COMMON "," UI_ROOT "," SIGNIN ",\"eventName\":\"PasswordRecoveryCompleted\","
                 "\"responseElements\":{\"PasswordRecoveryCompleted\":\"Success\"}}",
                 NULL, &p);
    assert_int_equal(a->kind, RW_KIND_SIGNIN_OTHER);
    assert_int_equal(a->outcome, RW_OUTCOME_SUCCESS);
    assert_int_equal(a->credential, RW_CRED_NONE);
    assert_int_equal(a->severity, RW_SEV_CRITICAL);
    assert_reason(a, "password was reset");
    rw_alert_free(a);
    a = classify("{" COMMON "," UI_ROOT "," SIGNIN ",\"eventName\":\"PasswordRecoveryRequested\","
                 "\"responseElements\":{\"PasswordRecoveryRequested\":\"Success\"}}",
                 NULL, &p);
    assert_int_equal(a->kind, RW_KIND_SIGNIN_OTHER);
    assert_int_equal(a->severity, RW_SEV_HIGH);
    assert_reason(a, "password recovery was requested");
    rw_alert_free(a);
    /* a sign-in event told by its event type alone */
    a = classify("{" COMMON "," UI_ROOT ",\"eventSource\":\"x.amazonaws.com\",\"eventType\":"
                 "\"AwsConsoleSignIn\",\"eventName\":\"CredentialChallenge\"}",
                 NULL, &p);
    assert_int_equal(a->kind, RW_KIND_SIGNIN_OTHER);
    assert_int_equal(a->severity, RW_SEV_HIGH);
    assert_reason(a, "CredentialChallenge");
    rw_alert_free(a);
}

#define SESSION(mfa)                                                                               \
    "\"userIdentity\":{\"type\":\"Root\",\"principalId\":\"123456789012\",\"accountId\":"          \
    "\"123456789012\",\"accessKeyId\":\"ASIAEXAMPLE\",\"sessionContext\":{\"attributes\":{"        \
    "\"creationDate\":\"2026-11-20T09:00:00Z\",\"mfaAuthenticated\":\"" mfa "\"}}}"
#define KEY                                                                                        \
    "\"userIdentity\":{\"type\":\"Root\",\"principalId\":\"123456789012\",\"accountId\":"          \
    "\"123456789012\",\"accessKeyId\":\"AKIAEXAMPLEKEY\"}"
#define CALL(src, name) "\"eventSource\":\"" src ".amazonaws.com\",\"eventName\":\"" name "\""

static void test_api_calls(void **state) {
    (void)state;
    problems p;
    /* read-only with a console session and MFA: medium */
    rw_alert *a =
        classify("{" COMMON "," SESSION("true") "," CALL(
                     "s3", "ListBuckets") ",\"readOnly\":true,\"eventType\":\"AwsApiCall\"}",
                 NULL, &p);
    assert_int_equal(p.n, 0);
    assert_int_equal(a->kind, RW_KIND_API_CALL);
    assert_int_equal(a->outcome, RW_OUTCOME_SUCCESS);
    assert_int_equal(a->credential, RW_CRED_CONSOLE_SESSION);
    assert_int_equal(a->mfa, RW_TRI_TRUE);
    assert_int_equal(a->read_only, RW_TRI_TRUE);
    assert_false(a->sensitive);
    assert_int_equal(a->severity, RW_SEV_MEDIUM);
    assert_int_equal(a->nreasons, 1);
    assert_reason(a, "root read-only call s3:ListBuckets");
    assert_string_equal(a->access_key_id, "ASIAEXAMPLE");
    rw_alert_free(a);

    /* the same, refused: low */
    a = classify("{" COMMON "," SESSION("true") "," CALL(
                     "s3", "ListBuckets") ",\"readOnly\":\"true\",\"errorCode\":\"AccessDenied\"}",
                 NULL, &p);
    assert_int_equal(a->outcome, RW_OUTCOME_FAILURE);
    assert_int_equal(a->read_only, RW_TRI_TRUE);
    assert_int_equal(a->severity, RW_SEV_LOW);
    assert_reason(a, "refused with AccessDenied");
    assert_string_equal(a->error_code, "AccessDenied");
    rw_alert_free(a);

    /* a sensitive action: critical when it succeeds, high when refused */
    a = classify("{" COMMON
                 "," SESSION("true") "," CALL("iam", "CreateAccessKey") ",\"readOnly\":false}",
                 NULL, &p);
    assert_true(a->sensitive);
    assert_int_equal(a->read_only, RW_TRI_FALSE);
    assert_int_equal(a->severity, RW_SEV_CRITICAL);
    assert_reason(a, "sensitive action iam:CreateAccessKey");
    rw_alert_free(a);
    a = classify("{" COMMON "," SESSION("true") "," CALL(
                     "cloudtrail", "StopLogging") ",\"readOnly\":false,\"errorCode\":"
                                                  "\"AccessDenied\",\"errorMessage\":\"no\"}",
                 NULL, &p);
    assert_true(a->sensitive);
    assert_int_equal(a->outcome, RW_OUTCOME_FAILURE);
    assert_int_equal(a->severity, RW_SEV_HIGH);
    assert_reason(a, "attempted sensitive action cloudtrail:StopLogging");
    assert_reason(a, "AccessDenied");
    rw_alert_free(a);

    /* a change that is not sensitive: high; refused: medium */
    a = classify("{" COMMON
                 "," SESSION("true") "," CALL("ec2", "RunInstances") ",\"readOnly\":false}",
                 NULL, &p);
    assert_int_equal(a->severity, RW_SEV_HIGH);
    assert_reason(a, "can change resources: ec2:RunInstances");
    rw_alert_free(a);
    a = classify("{" COMMON "," SESSION("true") "," CALL(
                     "ec2", "RunInstances") ",\"errorCode\":\"UnauthorizedOperation\"}",
                 NULL, &p);
    assert_int_equal(a->severity, RW_SEV_MEDIUM);
    assert_reason(a, "refused with UnauthorizedOperation");
    rw_alert_free(a);

    /* readOnly not recorded: treated as a possible change */
    a = classify("{" COMMON "," SESSION("true") "," CALL("ec2", "DescribeInstances") "}", NULL, &p);
    assert_int_equal(a->read_only, RW_TRI_UNKNOWN);
    assert_int_equal(a->severity, RW_SEV_HIGH);
    rw_alert_free(a);
}

/* ---- invoked by the console, or by an AWS service ------------------------------------------- */

/* A root call the console made, as AWS's examples record console actions (and as a public
 * detection project's root CreateAccessKey test case has it): invokedBy and userAgent are
 * signin.amazonaws.com. BY is the invokedBy value. */
#define INVOKED(by, src, name)                                                                     \
    "{\"eventVersion\":\"1.05\",\"userIdentity\":{\"type\":\"Root\",\"principalId\":"              \
    "\"123456789012\",\"arn\":\"arn:aws:iam::123456789012:root\",\"accountId\":\"123456789012\","  \
    "\"accessKeyId\":\"ASIAEXAMPLE\",\"sessionContext\":{\"attributes\":{\"creationDate\":"        \
    "\"2026-11-20T09:00:00Z\",\"mfaAuthenticated\":\"true\"}},\"invokedBy\":\"" by "\"},"          \
    "\"eventTime\":\"2026-11-20T10:00:00Z\",\"eventSource\":\"" src "\",\"eventName\":\"" name     \
    "\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"198.51.100.7\",\"userAgent\":\"" by      \
    "\",\"requestParameters\":null,\"eventID\":\"e-1\",\"eventType\":\"AwsApiCall\","              \
    "\"recipientAccountId\":\"123456789012\"}"

static void test_invoked_by_console_or_service(void **state) {
    (void)state;
    problems p;
    /* the values that name the console, exactly */
    static const char *const console[] = {"signin.amazonaws.com", "console.amazonaws.com"};
    for (size_t i = 0; i < 2; i++)
        assert_true(rw_root_invoked_by_console(console[i], strlen(console[i])));
    static const char *const not_console[] = {"AWS Internal",
                                              "support.amazonaws.com",
                                              "autoscaling.amazonaws.com",
                                              "Signin.amazonaws.com",
                                              "signin.amazonaws.com ",
                                              "signin.amazonaws.co",
                                              "signin.amazonaws.com.x",
                                              "xsignin.amazonaws.com",
                                              "",
                                              "signin",
                                              "console.aws.amazon.com",
                                              "trustedadvisor.amazonaws.com"};
    for (size_t i = 0; i < sizeof not_console / sizeof not_console[0]; i++)
        if (rw_root_invoked_by_console(not_console[i], strlen(not_console[i])))
            fail_msg("'%s' taken as the console", not_console[i]);
    assert_false(rw_root_invoked_by_console("signin.amazonaws.com\0x", 22)); /* a NUL inside */
    assert_false(rw_root_invoked_by_console(NULL, 0));

    /* root activity: the person at the console, beyond CIS's filter */
    assert_true(
        is_root(INVOKED("signin.amazonaws.com", "iam.amazonaws.com", "CreateAccessKey"), &p));
    assert_int_equal(p.n, 0);
    assert_true(is_root(INVOKED("console.amazonaws.com", "s3.amazonaws.com", "ListBuckets"), &p));
    assert_int_equal(p.n, 0);
    assert_false(rw_root_made_by_service(
        rec(INVOKED("signin.amazonaws.com", "iam.amazonaws.com", "CreateAccessKey"))));
    /* ... unless it is a service event, as for any root record */
    assert_false(is_root("{\"userIdentity\":{\"type\":\"Root\",\"invokedBy\":"
                         "\"signin.amazonaws.com\"},\"eventType\":\"AwsServiceEvent\"}",
                         &p));

    /* services acting on the account's behalf: not root activity (CIS), nothing odd about them */
    static const char *const services[] = {
        INVOKED("autoscaling.amazonaws.com", "ec2.amazonaws.com", "RunInstances"),
        INVOKED("support.amazonaws.com", "ec2.amazonaws.com", "DescribeInstances"),
        INVOKED("trustedadvisor.amazonaws.com", "iam.amazonaws.com", "GetAccountSummary"),
        INVOKED("AWS Internal", "ec2.amazonaws.com", "DescribeInstances"),
    };
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++) {
        assert_false(is_root(services[i], &p));
        assert_int_equal(p.n, 0);
        assert_true(rw_root_made_by_service(rec(services[i])));
    }
    /* made by a service only with a Root identity and a non-empty string */
    assert_false(rw_root_made_by_service(rec("{\"userIdentity\":{\"type\":\"Root\"}}")));
    assert_false(rw_root_made_by_service(
        rec("{\"userIdentity\":{\"type\":\"AWSService\",\"invokedBy\":\"a.amazonaws.com\"}}")));
    assert_false(
        rw_root_made_by_service(rec("{\"userIdentity\":{\"type\":\"Root\",\"invokedBy\":\"\"}}")));
    assert_false(
        rw_root_made_by_service(rec("{\"userIdentity\":{\"type\":\"Root\",\"invokedBy\":7}}")));
    assert_false(rw_root_made_by_service(rec("[1]")));
    assert_false(rw_root_made_by_service(NULL));

    /* classified as the call it is, with a reason that says the console made it */
    rw_alert *a =
        classify(INVOKED("signin.amazonaws.com", "iam.amazonaws.com", "CreateAccessKey"), NULL, &p);
    assert_int_equal(p.n, 0);
    assert_int_equal(a->kind, RW_KIND_API_CALL);
    assert_int_equal(a->credential, RW_CRED_CONSOLE_SESSION);
    assert_int_equal(a->mfa, RW_TRI_TRUE);
    assert_true(a->sensitive);
    assert_int_equal(a->severity, RW_SEV_CRITICAL);
    assert_int_equal(a->nreasons, 2);
    assert_reason(a, "sensitive action iam:CreateAccessKey");
    assert_reason(a, "made through the AWS console (userIdentity.invokedBy signin.amazonaws.com)");
    assert_reason(a, "CIS's filter, which drops every root event with invokedBy, misses it");
    assert_string_equal(a->invoked_by, "signin.amazonaws.com");
    assert_string_equal(a->user_agent, "signin.amazonaws.com");
    rw_alert_free(a);
    /* the console reason is informational (low): the call decides the severity */
    a = classify(INVOKED("console.amazonaws.com", "s3.amazonaws.com", "ListBuckets"), NULL, &p);
    assert_int_equal(a->nreasons, 2);
    assert_reason(a, "root call that can change resources: s3:ListBuckets");
    assert_reason(a, "(userIdentity.invokedBy console.amazonaws.com)");
    assert_int_equal(a->severity, RW_SEV_HIGH);
    rw_alert_free(a);
    /* no invokedBy: no such reason */
    a = classify("{" COMMON "," SESSION("true") "," CALL("iam", "CreateAccessKey") "}", NULL, &p);
    assert_null(a->invoked_by);
    assert_int_equal(a->nreasons, 1);
    rw_alert_free(a);
    /* a service's root event (classified for counting): the service, and no console reason */
    memset(&p, 0, sizeof p);
    a = rw_root_classify(rec(services[0]), NULL, on_problem, &p);
    assert_string_equal(a->invoked_by, "autoscaling.amazonaws.com");
    assert_false(has_reason(a, "console"));
    rw_alert_free(a);
    /* a NUL inside the service's name does not cut it short */
    a = rw_root_classify(rec("{\"userIdentity\":{\"type\":\"Root\",\"invokedBy\":\"a\\u0000b\"}}"),
                         NULL, NULL, NULL);
    assert_string_equal(a->invoked_by, "a\357\277\275b"); /* U+FFFD */
    rw_alert_free(a);
}

static void test_credentials(void **state) {
    (void)state;
    problems p;
    /* a long-term access key: critical, even for a read-only call */
    rw_alert *a =
        classify("{" COMMON "," KEY "," CALL("s3", "ListBuckets") ",\"readOnly\":true}", NULL, &p);
    assert_int_equal(a->credential, RW_CRED_ACCESS_KEY);
    assert_int_equal(a->mfa, RW_TRI_FALSE);
    assert_int_equal(a->severity, RW_SEV_CRITICAL);
    assert_int_equal(a->nreasons, 2);
    assert_reason(a, "read-only");
    assert_reason(a, "long-term root access key was used (AKIAEXAMPLEKEY)");
    rw_alert_free(a);
    /* ... and refused: still critical */
    a = classify("{" COMMON "," KEY "," CALL("s3", "ListBuckets") ",\"readOnly\":true,"
                                                                  "\"errorCode\":\"AccessDenied\"}",
                 NULL, &p);
    assert_int_equal(a->severity, RW_SEV_CRITICAL);
    rw_alert_free(a);

    /* a console session without MFA raises a read-only call to high */
    a = classify("{" COMMON
                 "," SESSION("false") "," CALL("s3", "ListBuckets") ",\"readOnly\":true}",
                 NULL, &p);
    assert_int_equal(a->credential, RW_CRED_CONSOLE_SESSION);
    assert_int_equal(a->mfa, RW_TRI_FALSE);
    assert_int_equal(a->severity, RW_SEV_HIGH);
    assert_reason(a, "root session without MFA");
    rw_alert_free(a);

    /* an ASIA key alone is a session */
    a = classify("{" COMMON
                 ",\"userIdentity\":{\"type\":\"Root\",\"accessKeyId\":\"ASIAXYZ\"}," CALL(
                     "s3", "ListBuckets") ",\"readOnly\":true}",
                 NULL, &p);
    assert_int_equal(a->credential, RW_CRED_CONSOLE_SESSION);
    assert_int_equal(a->mfa, RW_TRI_UNKNOWN);
    assert_int_equal(a->severity, RW_SEV_MEDIUM);
    rw_alert_free(a);

    /* sts:AssumeRoot sessions, with assumedRoot as a string or a boolean */
    static const char *assumed[] = {"\"true\"", "true", "\"TRUE\""};
    for (size_t i = 0; i < 3; i++) {
        char json[1024];
        snprintf(json, sizeof json,
                 "{" COMMON ",\"userIdentity\":{\"type\":\"Root\",\"accessKeyId\":\"ASIAQ\","
                 "\"sessionContext\":{\"assumedRoot\":%s,\"attributes\":{\"mfaAuthenticated\":"
                 "\"false\"}}}," CALL("s3", "DeleteBucketPolicy") "}",
                 assumed[i]);
        a = classify(json, NULL, &p);
        assert_int_equal(a->credential, RW_CRED_ASSUMED_ROOT);
        assert_true(a->sensitive);
        assert_int_equal(a->severity, RW_SEV_CRITICAL);
        assert_reason(a, "sts:AssumeRoot");
        rw_alert_free(a);
    }
    a = classify(
        "{" COMMON ",\"userIdentity\":{\"type\":\"Root\",\"accessKeyId\":\"ASIAQ\","
        "\"sessionContext\":{\"assumedRoot\":\"false\",\"attributes\":{\"mfaAuthenticated\":"
        "\"true\"}}}," CALL("s3", "ListBuckets") ",\"readOnly\":true}",
        NULL, &p);
    assert_int_equal(a->credential, RW_CRED_CONSOLE_SESSION);
    rw_alert_free(a);

    /* no key and no session: unknown */
    a = classify("{" COMMON "," UI_ROOT "," CALL("s3", "ListBuckets") ",\"readOnly\":true}", NULL,
                 &p);
    assert_int_equal(a->credential, RW_CRED_UNKNOWN);
    assert_int_equal(a->mfa, RW_TRI_UNKNOWN);
    assert_int_equal(a->severity, RW_SEV_MEDIUM);
    rw_alert_free(a);
    /* an empty key id is no key id */
    a = classify("{" COMMON ",\"userIdentity\":{\"type\":\"Root\",\"accessKeyId\":\"\"}," CALL(
                     "s3", "ListBuckets") ",\"readOnly\":true}",
                 NULL, &p);
    assert_null(a->access_key_id);
    assert_int_equal(a->credential, RW_CRED_UNKNOWN);
    rw_alert_free(a);
}

static void test_fields_and_problems(void **state) {
    (void)state;
    problems p;
    /* account and region from the record, else userIdentity, else the envelope */
    rw_alert *a = classify(
        "{\"userIdentity\":{\"type\":\"Root\",\"accountId\":\"111\"},"
        "\"eventID\":\"e\",\"eventTime\":\"2026-11-20T10:00:00Z\"," CALL("s3", "ListBuckets") "}",
        NULL, &p);
    assert_string_equal(a->account, "111");
    assert_null(a->region);
    assert_int_equal(p.n, 0);
    rw_alert_free(a);
    a = classify(
        NULL,
        "{\"version\":\"0\",\"detail-type\":\"AWS API Call via CloudTrail\",\"account\":"
        "\"999\",\"region\":\"eu-west-1\",\"detail\":{\"userIdentity\":{\"type\":\"Root\"},"
        "\"eventID\":\"e\",\"eventTime\":\"2026-11-20T10:00:00Z\"," CALL("s3", "ListBuckets") "}}",
        &p);
    assert_string_equal(a->account, "999");
    assert_string_equal(a->region, "eu-west-1");
    rw_alert_free(a);
    a = classify(
        NULL,
        "{\"detail-type\":\"x\",\"account\":\"999\",\"region\":\"eu-west-1\",\"detail\":{"
        "\"userIdentity\":{\"type\":\"Root\",\"accountId\":\"222\"},\"recipientAccountId\":"
        "\"333\",\"awsRegion\":\"ap-south-1\",\"eventID\":\"e\",\"eventTime\":"
        "\"2026-11-20T10:00:00Z\"," CALL("s3", "ListBuckets") "}}",
        &p);
    assert_string_equal(a->account, "333");
    assert_string_equal(a->region, "ap-south-1");
    rw_alert_free(a);

    /* missing required fields */
    a = classify("{\"userIdentity\":{\"type\":\"Root\"}}", NULL, &p);
    /* no eventID is no problem here: the detector derives one (and warns), see test_detect.c */
    assert_problem(&p, "no eventTime");
    assert_problem(&p, "no eventSource");
    assert_problem(&p, "no eventName");
    assert_null(a->event_id);
    assert_int_equal(a->time, INT64_MIN);
    assert_int_equal(a->kind, RW_KIND_API_CALL);
    assert_true(a->nreasons >= 1);
    assert_reason(a, "?:?"); /* unknown service and name */
    rw_alert_free(a);

    /* a NUL in a field: the whole string is kept (the NUL shown as U+FFFD) and it is said */
    a = classify("{\"userIdentity\":{\"type\":\"Root\"},\"eventID\":\"i\","
                 "\"eventTime\":\"2026-11-20T10:00:00Z\",\"eventSource\":\"s3.amazonaws.com\","
                 "\"eventName\":\"ListBuckets\",\"userAgent\":\"esc\\u0000nul\"}",
                 NULL, &p);
    assert_string_equal(a->user_agent, "esc\xEF\xBF\xBDnul");
    assert_problem(&p, "userAgent holds 1 NUL character");
    rw_alert_free(a);

    /* fields of the wrong type */
    a = classify("{\"userIdentity\":{\"type\":\"Root\",\"accessKeyId\":5},\"eventID\":7,"
                 "\"eventTime\":\"2026-11-20T10:00:00Z\",\"eventSource\":\"s3.amazonaws.com\","
                 "\"eventName\":[\"x\"],\"awsRegion\":null}",
                 NULL, &p);
    /* an eventID of the wrong type is the detector's to replace (test_detect.c) */
    assert_false(any_problem(&p, "eventID"));
    assert_problem(&p, "eventName is an array");
    assert_problem(&p, "userIdentity.accessKeyId is a number");
    assert_null(a->event_id);
    assert_null(a->event_name);
    assert_null(a->access_key_id);
    assert_null(a->region); /* null is absent, not a problem */
    assert_false(any_problem(&p, "awsRegion"));
    rw_alert_free(a);

    /* a time that does not parse */
    a = classify("{\"userIdentity\":{\"type\":\"Root\"},\"eventID\":\"e\",\"eventTime\":"
                 "\"2026-02-30T10:00:00Z\"," CALL("s3", "ListBuckets") "}",
                 NULL, &p);
    assert_problem(&p, "eventTime '2026-02-30T10:00:00Z' is not a valid time");
    assert_int_equal(a->time, INT64_MIN);
    assert_string_equal(a->event_time, "2026-02-30T10:00:00Z");
    rw_alert_free(a);

    /* an eventID with \u0000 is never cut there (two ids would read alike): it is left for the
     * detector to replace with one derived from the record (test_detect.c) */
    a = classify("{\"userIdentity\":{\"type\":\"Root\"},\"eventID\":\"a\\u0000b\",\"eventTime\":"
                 "\"2026-11-20T10:00:00Z\"," CALL("s3", "ListBuckets") "}",
                 NULL, &p);
    assert_null(a->event_id);
    rw_alert_free(a);
}

/* ---- alerts as JSON ------------------------------------------------------------------------- */

static void test_alert_json(void **state) {
    (void)state;
    problems p;
    rw_alert *a =
        classify("{" COMMON "," KEY "," CALL("iam", "CreateUser") ",\"userAgent\":"
                                                                  "\"quote\\\" and \\\\ and \\n\"}",
                 NULL, &p);
    a->rule = strdup("root-activity");
    a->file = strdup("logs/x.json.gz");
    a->offset = 1234;
    a->event_json = strdup("{\"eventName\":\"CreateUser\"}");
    rw_buf b;
    rw_buf_init(&b, 0);
    assert_int_equal(rw_alert_to_json(&b, a), RW_OK);
    rw_json_doc *d = rw_json_doc_new(NULL);
    if (rw_json_doc_parse(d, b.data, b.len) != RW_OK) fail_msg("not JSON: %s", b.data);
    const rw_json *j = rw_json_doc_root(d);
    assert_string_equal(rw_json_get_str(j, "eventID"), "e-1");
    assert_string_equal(rw_json_get_str(j, "eventName"), "CreateUser");
    assert_string_equal(rw_json_get_str(j, "userAgent"), "quote\" and \\ and \n");
    assert_string_equal(rw_json_get_str(j, "kind"), "api_call");
    assert_string_equal(rw_json_get_str(j, "outcome"), "success");
    assert_int_equal(rw_json_get(j, "mfa")->type, RW_JSON_FALSE);
    assert_string_equal(rw_json_get_str(j, "credential"), "access_key");
    assert_string_equal(rw_json_get_str(j, "accessKeyId"), "AKIAEXAMPLEKEY");
    assert_int_equal(rw_json_get(j, "readOnly")->type, RW_JSON_NULL);
    assert_int_equal(rw_json_get(j, "errorCode")->type, RW_JSON_NULL);
    assert_int_equal(rw_json_get(j, "sensitive")->type, RW_JSON_TRUE);
    assert_string_equal(rw_json_get_str(j, "severity"), "critical");
    const rw_json *reasons = rw_json_get(j, "reasons");
    assert_int_equal(reasons->type, RW_JSON_ARRAY);
    assert_int_equal(reasons->len, (uint32_t)a->nreasons);
    assert_string_equal(reasons->child->str, a->reasons[0]);
    assert_string_equal(rw_json_get_str(j, "rule"), "root-activity");
    assert_string_equal(rw_json_path(j, "source.file")->str, "logs/x.json.gz");
    assert_string_equal(rw_json_path(j, "source.offset")->str, "1234");
    assert_string_equal(rw_json_path(j, "event.eventName")->str, "CreateUser");
    rw_json_doc_free(d);
    rw_buf_free(&b);
    rw_alert_free(a);
    rw_alert_free(NULL);
}

static void test_alert_helpers(void **state) {
    (void)state;
    rw_alert *a = calloc(1, sizeof *a);
    rw_alert_reason(a, RW_SEV_MEDIUM, "one %d", 1);
    assert_int_equal(a->severity, RW_SEV_MEDIUM);
    rw_alert_reason(a, RW_SEV_LOW, "two");
    assert_int_equal(a->severity, RW_SEV_MEDIUM); /* never lowered */
    rw_alert_reason(a, RW_SEV_CRITICAL, "three");
    assert_int_equal(a->severity, RW_SEV_CRITICAL);
    for (int i = 0; i < 20; i++) rw_alert_reason(a, RW_SEV_LOW, "more");
    assert_int_equal(a->nreasons, RW_ALERT_MAX_REASONS);
    assert_string_equal(a->reasons[0], "one 1");
    rw_alert_free(a);

    static const char *names[] = {"low", "medium", "high", "critical"};
    for (int i = 0; i < 4; i++) {
        rw_severity s;
        assert_string_equal(rw_alert_severity_name((rw_severity)i), names[i]);
        assert_int_equal(rw_alert_severity_parse(names[i], &s), RW_OK);
        assert_int_equal(s, i);
    }
    rw_severity s = RW_SEV_LOW;
    assert_int_equal(rw_alert_severity_parse("HIGH", &s), RW_OK);
    assert_int_equal(s, RW_SEV_HIGH);
    assert_int_equal(rw_alert_severity_parse("severe", &s), RW_EINVAL);
    assert_contains(rw_error_last(), "severe");
    assert_string_equal(rw_alert_kind_name(RW_KIND_CONSOLE_LOGIN), "console_login");
    assert_string_equal(rw_alert_kind_name(RW_KIND_SIGNIN_OTHER), "signin_other");
    assert_string_equal(rw_alert_outcome_name(RW_OUTCOME_FAILURE), "failure");
    assert_null(rw_alert_outcome_name(RW_OUTCOME_UNKNOWN));
    assert_string_equal(rw_alert_credential_name(RW_CRED_ASSUMED_ROOT), "assumed_root");
    assert_string_equal(rw_alert_credential_name(RW_CRED_CONSOLE_SESSION), "console_session");
    assert_null(rw_alert_credential_name(RW_CRED_NONE));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_activity_positive),
        cmocka_unit_test(test_root_activity_traps),
        cmocka_unit_test(test_root_activity_wrong_types),
        cmocka_unit_test(test_sensitive),
        cmocka_unit_test(test_console_login),
        cmocka_unit_test(test_other_signin_events),
        cmocka_unit_test(test_api_calls),
        cmocka_unit_test(test_invoked_by_console_or_service),
        cmocka_unit_test(test_credentials),
        cmocka_unit_test(test_fields_and_problems),
        cmocka_unit_test(test_alert_json),
        cmocka_unit_test(test_alert_helpers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
