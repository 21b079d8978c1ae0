/* Unit tests for src/aws/respolicy.c: may a service principal perform an action on a resource, by
 * the resource's policy, as AWS's topic, queue and function policies are really written (SNS's
 * default topic policy, Lambda's AddPermission statements, the console's queue policy, hardened
 * policies with Deny statements). */
#include "rwtest.h"

#include "aws/respolicy.h"
#include "util/buf.h"

#define TOPIC "arn:aws:sns:us-east-1:111122223333:root-alarms"
#define RULE "arn:aws:events:us-east-1:111122223333:rule/root-activity"
#define FN "arn:aws:lambda:us-east-1:111122223333:function:rootwatch"
#define QUEUE "arn:aws:sqs:us-east-1:111122223333:inbox"

static const rw_respolicy_request sns_req = {"events.amazonaws.com", "sns:Publish", TOPIC, RULE,
                                             "111122223333"};
static const rw_respolicy_request sqs_req = {"events.amazonaws.com", "sqs:SendMessage", QUEUE, RULE,
                                             "111122223333"};
static const rw_respolicy_request fn_req = {"events.amazonaws.com", "lambda:InvokeFunction", FN,
                                            RULE, "111122223333"};

/* Evaluates policy for req, checks the verdict and that the reason holds each of the words. */
static void expect(const char *policy, const rw_respolicy_request *req, rw_respolicy_verdict want,
                   const char *w1, const char *w2) {
    rw_buf why;
    rw_buf_init(&why, 0);
    rw_respolicy_verdict v = rw_respolicy_eval(policy, strlen(policy), req, &why);
    if (v != want)
        fail_msg("policy %s\nfor %s %s: %s (%s), expected %s", policy, req->service, req->action,
                 rw_respolicy_verdict_name(v), why.data ? why.data : "",
                 rw_respolicy_verdict_name(want));
    if (w1) assert_contains(why.data, w1);
    if (w2) assert_contains(why.data, w2);
    /* without a reason asked for, the same verdict */
    assert_int_equal(rw_respolicy_eval(policy, strlen(policy), req, NULL), v);
    rw_buf_free(&why);
}

#define ALLOW_EVENTS(action, cond)                                                                 \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Rule\",\"Effect\":\"Allow\","           \
    "\"Principal\":{\"Service\":\"events.amazonaws.com\"},\"Action\":" action                      \
    ",\"Resource\":\"*\"" cond "}]}"

static void test_wildcard(void **state) {
    (void)state;
    assert_true(rw_respolicy_wildcard("*", "", 0));
    assert_true(rw_respolicy_wildcard("sns:*", "sns:Publish", 0));
    assert_true(rw_respolicy_wildcard("SNS:Pub*", "sns:Publish", 1));
    assert_false(rw_respolicy_wildcard("SNS:Pub*", "sns:Publish", 0));
    assert_true(rw_respolicy_wildcard("a?c", "abc", 0));
    assert_false(rw_respolicy_wildcard("a?c", "ac", 0));
    assert_true(rw_respolicy_wildcard("*a*b*", "xxaxxbxx", 0));
    assert_false(rw_respolicy_wildcard("*a*b", "xxaxxbxxc", 0));
    assert_true(rw_respolicy_wildcard("a**", "a", 0));
    assert_false(rw_respolicy_wildcard("", "a", 0));
    assert_true(rw_respolicy_wildcard("", "", 0));
    /* '[' is no bracket expression (fnmatch's would be) */
    assert_true(rw_respolicy_wildcard("a[b]", "a[b]", 0));
    assert_false(rw_respolicy_wildcard("a[b]", "ab", 0));
}

/* what rootwatch deploy apply writes, and SNS's own default topic policy */
static void test_sns_topic_policies(void **state) {
    (void)state;
    const char *ours =
        "{\"Version\":\"2012-10-17\",\"Statement\":["
        "{\"Sid\":\"RootwatchRule\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
        "\"events.amazonaws.com\"},\"Action\":\"sns:Publish\",\"Resource\":\"" TOPIC "\","
        "\"Condition\":{\"ArnEquals\":{\"aws:SourceArn\":\"" RULE "\"}}},"
        "{\"Sid\":\"RootwatchAlarm\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
        "\"cloudwatch.amazonaws.com\"},\"Action\":\"sns:Publish\",\"Resource\":\"" TOPIC "\","
        "\"Condition\":{\"ArnEquals\":{\"aws:SourceArn\":"
        "\"arn:aws:cloudwatch:us-east-1:111122223333:alarm:rootwatch-root-activity\"}}}]}";
    expect(ours, &sns_req, RW_RESPOLICY_ALLOWED, "statement RootwatchRule allows", NULL);
    /* CloudWatch for the alarm's ARN: the second statement */
    rw_respolicy_request cw = {
        "cloudwatch.amazonaws.com", "sns:Publish", TOPIC,
        "arn:aws:cloudwatch:us-east-1:111122223333:alarm:rootwatch-root-activity", NULL};
    expect(ours, &cw, RW_RESPOLICY_ALLOWED, "RootwatchAlarm", NULL);
    /* another rule of the account: not allowed, and the reason shows what would be */
    rw_respolicy_request other = sns_req;
    other.source_arn = "arn:aws:events:us-east-1:111122223333:rule/other";
    expect(ours, &other, RW_RESPOLICY_NOT_ALLOWED,
           "no statement allows events.amazonaws.com sns:Publish for aws:SourceArn "
           "arn:aws:events:us-east-1:111122223333:rule/other",
           "statement RootwatchRule allows events.amazonaws.com sns:Publish only where condition "
           "ArnEquals aws:SourceArn \"" RULE "\" holds");
    /* another topic: the statement's Resource does not name it */
    rw_respolicy_request topic2 = sns_req;
    topic2.resource = "arn:aws:sns:us-east-1:111122223333:another";
    expect(ours, &topic2, RW_RESPOLICY_NOT_ALLOWED, "no statement allows", NULL);

    /* SNS's default policy: every AWS principal of the owner account, by AWS:SourceOwner, which
     * is not evaluated: no grant to EventBridge (AWS says to add a statement for it) */
    const char *deflt =
        "{\"Version\":\"2008-10-17\",\"Id\":\"__default_policy_ID\",\"Statement\":[{\"Effect\":"
        "\"Allow\",\"Sid\":\"__default_statement_ID\",\"Principal\":{\"AWS\":\"*\"},\"Action\":["
        "\"SNS:GetTopicAttributes\",\"SNS:SetTopicAttributes\",\"SNS:AddPermission\","
        "\"SNS:RemovePermission\",\"SNS:DeleteTopic\",\"SNS:Subscribe\","
        "\"SNS:ListSubscriptionsByTopic\",\"SNS:Publish\"],\"Resource\":\"" TOPIC "\","
        "\"Condition\":{\"StringEquals\":{\"AWS:SourceOwner\":\"111122223333\"}}}]}";
    expect(deflt, &sns_req, RW_RESPOLICY_NOT_ALLOWED,
           "statement __default_statement_ID allows it only under condition StringEquals "
           "AWS:SourceOwner \"111122223333\", which rootwatch does not evaluate",
           NULL);
}

static void test_actions(void **state) {
    (void)state;
    expect(ALLOW_EVENTS("\"sns:Publish\"", ""), &sns_req, RW_RESPOLICY_ALLOWED, NULL, NULL);
    expect(ALLOW_EVENTS("\"SNS:Publish\"", ""), &sns_req, RW_RESPOLICY_ALLOWED, NULL, NULL);
    expect(ALLOW_EVENTS("\"sns:*\"", ""), &sns_req, RW_RESPOLICY_ALLOWED, NULL, NULL);
    expect(ALLOW_EVENTS("\"*\"", ""), &sns_req, RW_RESPOLICY_ALLOWED, NULL, NULL);
    expect(ALLOW_EVENTS("[\"sns:Subscribe\",\"sns:Pub*\"]", ""), &sns_req, RW_RESPOLICY_ALLOWED,
           NULL, NULL);
    expect(ALLOW_EVENTS("[\"sns:Subscribe\",\"sqs:SendMessage\"]", ""), &sns_req,
           RW_RESPOLICY_NOT_ALLOWED, "no statement allows", NULL);
    expect(ALLOW_EVENTS("\"sns:Publishing\"", ""), &sns_req, RW_RESPOLICY_NOT_ALLOWED, NULL, NULL);
    /* NotAction: every action but those */
    const char *not_action = "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
                             "\"NotAction\":\"sns:DeleteTopic\",\"Resource\":\"*\"}}";
    expect(not_action, &sns_req, RW_RESPOLICY_ALLOWED, "statement 1 (no Sid) allows", NULL);
    const char *not_publish = "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
                              "\"NotAction\":[\"sns:Publish\"],\"Resource\":\"*\"}}";
    expect(not_publish, &sns_req, RW_RESPOLICY_NOT_ALLOWED, NULL, NULL);
}

static void test_principals(void **state) {
    (void)state;
    static const struct {
        const char *principal;
        rw_respolicy_verdict want;
    } t[] = {
        {"\"*\"", RW_RESPOLICY_ALLOWED},
        {"{\"AWS\":\"*\"}", RW_RESPOLICY_ALLOWED},
        {"{\"AWS\":[\"arn:aws:iam::111122223333:root\",\"*\"]}", RW_RESPOLICY_ALLOWED},
        {"{\"Service\":\"events.amazonaws.com\"}", RW_RESPOLICY_ALLOWED},
        {"{\"Service\":[\"s3.amazonaws.com\",\"events.amazonaws.com\"]}", RW_RESPOLICY_ALLOWED},
        {"{\"Service\":\"Events.AmazonAWS.com\"}", RW_RESPOLICY_ALLOWED},
        {"{\"Service\":\"cloudwatch.amazonaws.com\"}", RW_RESPOLICY_NOT_ALLOWED},
        {"{\"AWS\":\"arn:aws:iam::111122223333:root\"}", RW_RESPOLICY_NOT_ALLOWED},
        {"{\"AWS\":\"111122223333\"}", RW_RESPOLICY_NOT_ALLOWED},
        {"\"events.amazonaws.com\"", RW_RESPOLICY_NOT_ALLOWED}, /* not a principal's form */
        {"{\"Federated\":\"*\"}", RW_RESPOLICY_NOT_ALLOWED},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        rw_buf p;
        rw_buf_init(&p, 0);
        rw_buf_printf(&p,
                      "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":%s,\"Action\":"
                      "\"sqs:SendMessage\",\"Resource\":\"" QUEUE "\"}]}",
                      t[i].principal);
        expect(p.data, &sqs_req, t[i].want, NULL, NULL);
        rw_buf_free(&p);
    }
    /* no Principal at all: not a grant to anyone */
    expect("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}", &sqs_req,
           RW_RESPOLICY_NOT_ALLOWED, NULL, NULL);
    /* NotPrincipal in a Deny: everyone but the account's root is denied, EventBridge too */
    const char *deny_not =
        "{\"Statement\":[{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Principal\":\"*\","
        "\"Action\":\"*\"},{\"Sid\":\"OnlyOwner\",\"Effect\":\"Deny\","
        "\"NotPrincipal\":{\"AWS\":\"arn:aws:iam::111122223333:root\"},"
        "\"Action\":\"sqs:*\",\"Resource\":\"*\"}]}";
    expect(deny_not, &sqs_req, RW_RESPOLICY_DENIED, "statement OnlyOwner (Deny) denies", NULL);
    const char *deny_not_events =
        "{\"Statement\":[{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\"},"
        "{\"Effect\":\"Deny\",\"NotPrincipal\":{\"Service\":\"events.amazonaws.com\"},"
        "\"Action\":\"sqs:*\"}]}";
    expect(deny_not_events, &sqs_req, RW_RESPOLICY_ALLOWED, "statement A allows", NULL);
}

static void test_conditions(void **state) {
    (void)state;
    static const struct {
        const char *cond;
        rw_respolicy_verdict want;
        const char *words;
    } t[] = {
        {"{\"ArnEquals\":{\"aws:SourceArn\":\"" RULE "\"}}", RW_RESPOLICY_ALLOWED, NULL},
        {"{\"ArnLike\":{\"AWS:SourceArn\":\"" RULE "\"}}", RW_RESPOLICY_ALLOWED, NULL},
        {"{\"ArnLike\":{\"aws:sourcearn\":\"arn:aws:events:*:111122223333:rule/*\"}}",
         RW_RESPOLICY_ALLOWED, NULL},
        /* ArnEquals takes wildcards too (IAM: the two are alike) */
        {"{\"ArnEquals\":{\"aws:SourceArn\":\"arn:aws:events:us-east-1:*:rule/root-*\"}}",
         RW_RESPOLICY_ALLOWED, NULL},
        /* a wildcard of an ARN part does not reach over a ':' */
        {"{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:events:*:rule/root-activity\"}}",
         RW_RESPOLICY_NOT_ALLOWED, "only where condition ArnLike aws:SourceArn"},
        {"{\"ArnLike\":{\"aws:SourceArn\":[\"arn:aws:events:us-east-1:111122223333:rule/a\","
         "\"" RULE "\"]}}",
         RW_RESPOLICY_ALLOWED, NULL},
        {"{\"ArnEquals\":{\"aws:SourceArn\":\"arn:aws:events:us-east-1:111122223333:rule/x\"}}",
         RW_RESPOLICY_NOT_ALLOWED, "rule/x"},
        {"{\"StringEquals\":{\"aws:SourceAccount\":\"111122223333\"}}", RW_RESPOLICY_ALLOWED, NULL},
        {"{\"StringEquals\":{\"aws:SourceAccount\":[\"444455556666\",\"111122223333\"]}}",
         RW_RESPOLICY_ALLOWED, NULL},
        {"{\"StringEquals\":{\"aws:SourceAccount\":\"444455556666\"}}", RW_RESPOLICY_NOT_ALLOWED,
         "StringEquals aws:SourceAccount \"444455556666\""},
        /* StringEquals has no wildcards; StringLike has */
        {"{\"StringEquals\":{\"aws:SourceAccount\":\"1111*\"}}", RW_RESPOLICY_NOT_ALLOWED, NULL},
        {"{\"StringLike\":{\"aws:SourceAccount\":\"1111*\"}}", RW_RESPOLICY_ALLOWED, NULL},
        {"{\"StringLike\":{\"aws:SourceArn\":\"*:rule/root-activity\"}}", RW_RESPOLICY_ALLOWED,
         NULL},
        /* both conditions must hold */
        {"{\"ArnEquals\":{\"aws:SourceArn\":\"" RULE "\"},\"StringEquals\":{\"aws:SourceAccount\":"
         "\"444455556666\"}}",
         RW_RESPOLICY_NOT_ALLOWED, "aws:SourceAccount"},
        {"{\"ArnEquals\":{\"aws:SourceArn\":\"" RULE "\"},\"StringEquals\":{\"aws:SourceAccount\":"
         "\"111122223333\"}}",
         RW_RESPOLICY_ALLOWED, NULL},
        {"{\"StringNotEquals\":{\"aws:SourceAccount\":\"444455556666\"}}", RW_RESPOLICY_ALLOWED,
         NULL},
        {"{\"ArnLikeIfExists\":{\"aws:SourceArn\":\"" RULE "\"}}", RW_RESPOLICY_ALLOWED, NULL},
        {"{\"Null\":{\"aws:SourceArn\":\"false\"}}", RW_RESPOLICY_ALLOWED, NULL},
        {"{\"Null\":{\"aws:SourceArn\":\"true\"}}", RW_RESPOLICY_NOT_ALLOWED, NULL},
        {"{\"Bool\":{\"aws:SecureTransport\":\"true\"}}", RW_RESPOLICY_ALLOWED, NULL},
        /* what is not evaluated is no grant, and the reason says so */
        {"{\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-abc\"}}", RW_RESPOLICY_NOT_ALLOWED,
         "only under condition StringEquals aws:PrincipalOrgID \"o-abc\", which rootwatch does "
         "not evaluate"},
        {"{\"DateGreaterThan\":{\"aws:CurrentTime\":\"2020-01-01T00:00:00Z\"}}",
         RW_RESPOLICY_NOT_ALLOWED, "which rootwatch does not evaluate"},
        {"{\"ForAnyValue:StringEquals\":{\"aws:SourceAccount\":\"111122223333\"}}",
         RW_RESPOLICY_NOT_ALLOWED, "ForAnyValue:StringEquals"},
        {"{\"StringEquals\":{\"aws:SourceAccount\":\"${aws:PrincipalAccount}\"}}",
         RW_RESPOLICY_NOT_ALLOWED, "does not evaluate"},
        {"{\"StringEquals\":{\"aws:SourceAccount\":111122223333}}", RW_RESPOLICY_NOT_ALLOWED,
         "does not evaluate"},
        /* a condition that does not hold decides whatever else is not evaluated */
        {"{\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-abc\",\"aws:SourceAccount\":\"4\"}}",
         RW_RESPOLICY_NOT_ALLOWED, "only where condition StringEquals aws:SourceAccount \"4\""},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        rw_buf p;
        rw_buf_init(&p, 0);
        rw_buf_printf(&p,
                      "{\"Statement\":[{\"Sid\":\"S\",\"Effect\":\"Allow\",\"Principal\":{"
                      "\"Service\":\"events.amazonaws.com\"},\"Action\":\"sns:Publish\","
                      "\"Resource\":\"" TOPIC "\",\"Condition\":%s}]}",
                      t[i].cond);
        expect(p.data, &sns_req, t[i].want, t[i].words, NULL);
        rw_buf_free(&p);
    }
    /* a request without aws:SourceArn: a condition on it does not hold, its Not form does */
    rw_respolicy_request bare = sns_req;
    bare.source_arn = NULL;
    expect(
        ALLOW_EVENTS("\"sns:Publish\"", ",\"Condition\":{\"ArnLike\":{\"aws:SourceArn\":\"*\"}}"),
        &bare, RW_RESPOLICY_NOT_ALLOWED, NULL, NULL);
    expect(ALLOW_EVENTS("\"sns:Publish\"",
                        ",\"Condition\":{\"ArnNotLike\":{\"aws:SourceArn\":\"arn:aws:x:*\"}}"),
           &bare, RW_RESPOLICY_ALLOWED, NULL, NULL);
}

/* Lambda's GetPolicy, as AddPermission writes it (and moto) */
static void test_lambda_policy(void **state) {
    (void)state;
    const char *p = "{\"Version\":\"2012-10-17\",\"Id\":\"default\",\"Statement\":[{\"Sid\":"
                    "\"rootwatch-rule\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
                    "\"events.amazonaws.com\"},\"Action\":\"lambda:InvokeFunction\",\"Resource\":"
                    "\"" FN "\",\"Condition\":{\"ArnLike\":{\"AWS:SourceArn\":\"" RULE "\"}}}]}";
    expect(p, &fn_req, RW_RESPOLICY_ALLOWED, "statement rootwatch-rule allows", NULL);
    rw_respolicy_request other = fn_req;
    other.source_arn = "arn:aws:events:eu-west-1:111122223333:rule/root-activity";
    expect(p, &other, RW_RESPOLICY_NOT_ALLOWED, "rule/root-activity", NULL);
    /* a policy for s3 only */
    const char *s3 = "{\"Statement\":[{\"Sid\":\"s3\",\"Effect\":\"Allow\",\"Principal\":{"
                     "\"Service\":\"s3.amazonaws.com\"},\"Action\":\"lambda:InvokeFunction\","
                     "\"Resource\":\"" FN "\"}]}";
    expect(s3, &fn_req, RW_RESPOLICY_NOT_ALLOWED,
           "no statement allows events.amazonaws.com lambda:InvokeFunction for aws:SourceArn " RULE,
           NULL);
}

static void test_deny_wins(void **state) {
    (void)state;
    const char *p = "{\"Statement\":[{\"Sid\":\"Events\",\"Effect\":\"Allow\",\"Principal\":{"
                    "\"Service\":\"events.amazonaws.com\"},\"Action\":\"sqs:SendMessage\","
                    "\"Resource\":\"" QUEUE "\"},{\"Sid\":\"NoOne\",\"Effect\":\"Deny\","
                    "\"Principal\":\"*\",\"Action\":\"sqs:*\",\"Resource\":\"" QUEUE "\"}]}";
    expect(p, &sqs_req, RW_RESPOLICY_DENIED,
           "statement NoOne (Deny) denies events.amazonaws.com sqs:SendMessage", NULL);
    /* the usual hardening: deny what is not over TLS; services deliver over TLS */
    const char *tls = "{\"Statement\":[{\"Sid\":\"Events\",\"Effect\":\"Allow\",\"Principal\":{"
                      "\"Service\":\"events.amazonaws.com\"},\"Action\":\"sqs:SendMessage\","
                      "\"Resource\":\"" QUEUE "\"},{\"Sid\":\"TLS\",\"Effect\":\"Deny\","
                      "\"Principal\":\"*\",\"Action\":\"sqs:*\",\"Resource\":\"" QUEUE "\","
                      "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}";
    expect(tls, &sqs_req, RW_RESPOLICY_ALLOWED, "statement Events allows", NULL);
    /* deny other accounts' rules: ours passes */
    const char *acct = "{\"Statement\":[{\"Sid\":\"Events\",\"Effect\":\"Allow\",\"Principal\":{"
                       "\"Service\":\"events.amazonaws.com\"},\"Action\":\"sqs:SendMessage\"},"
                       "{\"Sid\":\"Others\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":"
                       "\"sqs:SendMessage\",\"Condition\":{\"StringNotEquals\":{"
                       "\"aws:SourceAccount\":\"111122223333\"}}}]}";
    expect(acct, &sqs_req, RW_RESPOLICY_ALLOWED, NULL, NULL);
    rw_respolicy_request foreign = sqs_req;
    foreign.source_account = "444455556666";
    expect(acct, &foreign, RW_RESPOLICY_DENIED, "statement Others (Deny)", NULL);
    /* a Deny under a condition not evaluated is taken as applying */
    const char *org = "{\"Statement\":[{\"Sid\":\"Events\",\"Effect\":\"Allow\",\"Principal\":{"
                      "\"Service\":\"events.amazonaws.com\"},\"Action\":\"sqs:SendMessage\"},"
                      "{\"Sid\":\"Org\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"*\","
                      "\"Condition\":{\"StringNotEquals\":{\"aws:PrincipalOrgID\":\"o-1\"}}}]}";
    expect(org, &sqs_req, RW_RESPOLICY_DENIED,
           "statement Org denies it only under condition StringNotEquals aws:PrincipalOrgID",
           "taken as denying events.amazonaws.com sqs:SendMessage");
    /* a Deny of another action or principal does not matter */
    const char *other = "{\"Statement\":[{\"Sid\":\"Events\",\"Effect\":\"Allow\",\"Principal\":{"
                        "\"Service\":\"events.amazonaws.com\"},\"Action\":\"sqs:SendMessage\"},"
                        "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"sqs:DeleteQueue\"},"
                        "{\"Effect\":\"Deny\",\"Principal\":{\"Service\":\"s3.amazonaws.com\"},"
                        "\"Action\":\"*\"}]}";
    expect(other, &sqs_req, RW_RESPOLICY_ALLOWED, NULL, NULL);
}

/* A KMS key policy, as KMS writes its default one and as AWS's documentation adds a service to it:
 * Resource "*" is the key itself; the account's own statement (Principal AWS the account root)
 * grants no service anything; GenerateDataKey* and Decrypt are asked one by one; kms:ViaService
 * and kms:EncryptionContext:... are evaluated when the caller gives them (rw_respolicy_eval_ctx).
 */
#define KEY "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
#define KMS_DEFAULT                                                                                \
    "{\"Sid\":\"Enable IAM User Permissions\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"        \
    "\"arn:aws:iam::111122223333:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}"

static void test_kms_key_policies(void **state) {
    (void)state;
    rw_respolicy_request gen = {"events.amazonaws.com", "kms:GenerateDataKey", KEY, RULE,
                                "111122223333"};
    rw_respolicy_request dec = gen;
    dec.action = "kms:Decrypt";
    const char *def =
        "{\"Version\":\"2012-10-17\",\"Id\":\"key-default-1\",\"Statement\":[" KMS_DEFAULT "]}";
    expect(def, &gen, RW_RESPOLICY_NOT_ALLOWED,
           "no statement allows events.amazonaws.com kms:GenerateDataKey", NULL);
    expect(def, &dec, RW_RESPOLICY_NOT_ALLOWED, NULL, NULL);
    const char *grant = "{\"Statement\":[" KMS_DEFAULT ",{\"Sid\":\"Events\",\"Effect\":"
                        "\"Allow\",\"Principal\":{\"Service\":\"events.amazonaws.com\"},"
                        "\"Action\":[\"kms:GenerateDataKey*\",\"kms:Decrypt\"],"
                        "\"Resource\":\"*\"}]}";
    expect(grant, &gen, RW_RESPOLICY_ALLOWED, "statement Events allows", NULL);
    expect(grant, &dec, RW_RESPOLICY_ALLOWED, "statement Events allows", NULL);
    /* Decrypt only: GenerateDataKey is not granted */
    const char *half = "{\"Statement\":[{\"Sid\":\"Events\",\"Effect\":\"Allow\","
                       "\"Principal\":{\"Service\":\"events.amazonaws.com\"},\"Action\":"
                       "\"kms:Decrypt\",\"Resource\":\"*\"}]}";
    expect(half, &gen, RW_RESPOLICY_NOT_ALLOWED, NULL, NULL);
    expect(half, &dec, RW_RESPOLICY_ALLOWED, NULL, NULL);
    /* another service's grant is not EventBridge's */
    rw_respolicy_request cw = gen;
    cw.service = "cloudwatch.amazonaws.com";
    expect(grant, &cw, RW_RESPOLICY_NOT_ALLOWED, NULL, NULL);
    /* kms:ViaService and the encryption context: not evaluated without the caller's values
     * (conservative), evaluated with them */
    const char *via = "{\"Statement\":[{\"Sid\":\"Via\",\"Effect\":\"Allow\",\"Principal\":{"
                      "\"Service\":\"events.amazonaws.com\"},\"Action\":[\"kms:GenerateDataKey*\","
                      "\"kms:Decrypt\"],\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{"
                      "\"kms:ViaService\":\"sns.us-east-1.amazonaws.com\","
                      "\"kms:EncryptionContext:aws:sns:topicArn\":\"" TOPIC "\"}}}]}";
    expect(via, &gen, RW_RESPOLICY_NOT_ALLOWED, "which rootwatch does not evaluate", NULL);
    const char *ctx[] = {"kms:ViaService", "sns.us-east-1.amazonaws.com",
                         "kms:EncryptionContext:aws:sns:topicArn", TOPIC, NULL};
    rw_buf why;
    rw_buf_init(&why, 0);
    assert_int_equal(rw_respolicy_eval_ctx(via, strlen(via), &gen, ctx, &why),
                     RW_RESPOLICY_ALLOWED);
    assert_contains(why.data, "statement Via allows");
    const char *other_ctx[] = {"kms:ViaService", "sqs.us-east-1.amazonaws.com", NULL};
    rw_buf_reset(&why);
    assert_int_equal(rw_respolicy_eval_ctx(via, strlen(via), &gen, other_ctx, &why),
                     RW_RESPOLICY_NOT_ALLOWED);
    assert_contains(why.data, "condition StringEquals kms:ViaService");
    /* a key policy's Resource naming another key does not apply to this one */
    const char *elsewhere = "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
                            "\"events.amazonaws.com\"},\"Action\":\"kms:*\",\"Resource\":"
                            "\"arn:aws:kms:us-east-1:111122223333:key/other\"}]}";
    expect(elsewhere, &dec, RW_RESPOLICY_NOT_ALLOWED, NULL, NULL);
    /* a Deny of Decrypt to everyone outside a condition not evaluated: taken as denying */
    const char *deny = "{\"Statement\":[" KMS_DEFAULT ",{\"Sid\":\"Events\",\"Effect\":"
                       "\"Allow\",\"Principal\":{\"Service\":\"events.amazonaws.com\"},"
                       "\"Action\":\"kms:*\",\"Resource\":\"*\"},{\"Sid\":\"Callers\","
                       "\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"kms:Decrypt\","
                       "\"Resource\":\"*\",\"Condition\":{\"StringNotEquals\":{"
                       "\"kms:CallerAccount\":\"111122223333\"}}}]}";
    expect(deny, &gen, RW_RESPOLICY_ALLOWED, NULL, NULL);
    expect(deny, &dec, RW_RESPOLICY_DENIED, "statement Callers denies it only under", NULL);
    rw_buf_free(&why);
}

static void test_invalid(void **state) {
    (void)state;
    expect("", &sns_req, RW_RESPOLICY_INVALID, "the policy is not JSON", NULL);
    expect("{\"Statement\":", &sns_req, RW_RESPOLICY_INVALID, "the policy is not JSON", NULL);
    expect("{\"Version\":\"2012-10-17\"}", &sns_req, RW_RESPOLICY_INVALID,
           "the policy has no Statement", NULL);
    expect("[]", &sns_req, RW_RESPOLICY_INVALID, NULL, NULL);
    expect("{\"Statement\":[]}", &sns_req, RW_RESPOLICY_NOT_ALLOWED, NULL, NULL);
    /* statements that are not objects, or whose Effect is neither, count for nothing */
    expect("{\"Statement\":[1,\"x\",{\"Effect\":\"Maybe\",\"Principal\":\"*\",\"Action\":\"*\"},"
           "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\"}]}",
           &sns_req, RW_RESPOLICY_ALLOWED, "statement 4 (no Sid) allows", NULL);
    assert_int_equal(rw_respolicy_eval(NULL, 0, &sns_req, NULL), RW_RESPOLICY_INVALID);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wildcard),   cmocka_unit_test(test_sns_topic_policies),
        cmocka_unit_test(test_actions),    cmocka_unit_test(test_principals),
        cmocka_unit_test(test_conditions), cmocka_unit_test(test_lambda_policy),
        cmocka_unit_test(test_deny_wins),  cmocka_unit_test(test_kms_key_policies),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
