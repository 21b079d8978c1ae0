/* The CloudFormation stack, built as a tree: see template.h and docs/lambda.md ("The stack"). */
#include "deploy/template.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"

/* ---- building the tree --------------------------------------------------------------------------
 * Every helper takes and returns nodes of one document; a NULL (the document's memory limit) is
 * remembered in t->failed and passed on, so that building goes on without checks at every step
 * and fails once at the end. */

typedef struct tb {
    rw_json_doc *doc;
    bool failed;
} tb;

static rw_json *node(tb *t, rw_json_type type, const char *text) {
    rw_json *n = rw_json_doc_node(t->doc, type, text, text ? strlen(text) : 0, 0);
    if (!n) t->failed = true;
    return n;
}

static rw_json *obj(tb *t) {
    return node(t, RW_JSON_OBJECT, NULL);
}
static rw_json *arr(tb *t) {
    return node(t, RW_JSON_ARRAY, NULL);
}
static rw_json *str(tb *t, const char *s) {
    return node(t, RW_JSON_STRING, s);
}
static rw_json *num(tb *t, long v) {
    char text[32];
    snprintf(text, sizeof text, "%ld", v);
    return node(t, RW_JSON_NUMBER, text);
}
static rw_json *boolean(tb *t, bool v) {
    return node(t, v ? RW_JSON_TRUE : RW_JSON_FALSE, NULL);
}

/* o[key] = v; returns v (NULL when either is NULL). */
static rw_json *put(tb *t, rw_json *o, const char *key, rw_json *v) {
    if (!o || !v) {
        t->failed = true;
        return NULL;
    }
    if (!rw_json_doc_append(t->doc, o, v, key, strlen(key))) {
        t->failed = true;
        return NULL;
    }
    return v;
}
static rw_json *put_str(tb *t, rw_json *o, const char *key, const char *s) {
    return put(t, o, key, str(t, s));
}
/* Appends v to the array a; returns v. */
static rw_json *add(tb *t, rw_json *a, rw_json *v) {
    if (!a || !v || !rw_json_doc_append(t->doc, a, v, NULL, 0)) {
        t->failed = true;
        return NULL;
    }
    return v;
}
/* An array of the strings given, up to a NULL. */
static rw_json *strs(tb *t, ...) {
    rw_json *a = arr(t);
    va_list ap;
    va_start(ap, t);
    for (const char *s; (s = va_arg(ap, const char *));) add(t, a, str(t, s));
    va_end(ap);
    return a;
}
/* {"name": v}: one intrinsic function or a one-member object. */
static rw_json *single(tb *t, const char *name, rw_json *v) {
    rw_json *o = obj(t);
    put(t, o, name, v);
    return o;
}

/* The intrinsic functions, in their long forms. */
static rw_json *ref(tb *t, const char *name) {
    return single(t, "Ref", str(t, name));
}
static rw_json *getatt(tb *t, const char *resource, const char *attr) {
    return single(t, "Fn::GetAtt", strs(t, resource, attr, NULL));
}
static rw_json *sub(tb *t, const char *text) {
    return single(t, "Fn::Sub", str(t, text));
}
static rw_json *fn_if(tb *t, const char *cond, rw_json *then, rw_json *otherwise) {
    rw_json *a = arr(t);
    add(t, a, str(t, cond));
    add(t, a, then);
    add(t, a, otherwise);
    return single(t, "Fn::If", a);
}
static rw_json *novalue(tb *t) {
    return ref(t, "AWS::NoValue");
}

/* ---- the pieces
 * ---------------------------------------------------------------------------------- */

rw_json *rw_deploy_root_pattern(rw_json_doc *doc) {
    tb t = {.doc = doc};
    rw_json *p = obj(&t);
    /* Root console actions (eventType AwsConsoleAction) are root activity for rootwatch's rules
     * too: their detail-type is the third. AwsServiceEvent and insights are never alerted. */
    put(&t, p, "detail-type",
        strs(&t, "AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail",
             "AWS Console Action via CloudTrail", NULL));
    rw_json *detail = put(&t, p, "detail", obj(&t));
    rw_json *who = put(&t, detail, "userIdentity", obj(&t));
    put(&t, who, "type", strs(&t, "Root", NULL));
    /* as src/rules/builtin.yaml: a root call the console made for the person signed in as root is
     * root activity; one an AWS service made on the account's behalf is not */
    rw_json *by = put(&t, who, "invokedBy", arr(&t));
    add(&t, by, single(&t, "exists", boolean(&t, false)));
    add(&t, by, str(&t, "signin.amazonaws.com"));
    add(&t, by, str(&t, "console.amazonaws.com"));
    rw_json *type = put(&t, detail, "eventType", arr(&t));
    add(&t, type, single(&t, "anything-but", str(&t, "AwsServiceEvent")));
    add(&t, type, single(&t, "exists", boolean(&t, false)));
    return t.failed ? NULL : p;
}

/* A parameter of type String or Number with a description and optional default. */
static rw_json *param(tb *t, rw_json *params, const char *name, const char *type,
                      const char *description, rw_json *dflt) {
    rw_json *p = put(t, params, name, obj(t));
    put_str(t, p, "Type", type);
    put_str(t, p, "Description", description);
    if (dflt) put(t, p, "Default", dflt);
    return p;
}

/* The SNSSubscriptions value with RW_DEPLOY_MAX_SUBSCRIPTIONS commas added, split at the commas:
 * element i is the i-th address, or "" past the last one. */
static rw_json *subscription_address(tb *t, int i) {
    char pad[RW_DEPLOY_MAX_SUBSCRIPTIONS + 1];
    memset(pad, ',', RW_DEPLOY_MAX_SUBSCRIPTIONS);
    pad[RW_DEPLOY_MAX_SUBSCRIPTIONS] = 0;
    rw_json *parts = arr(t);
    add(t, parts, ref(t, "SNSSubscriptions"));
    add(t, parts, str(t, pad));
    rw_json *join = arr(t);
    add(t, join, str(t, ""));
    add(t, join, parts);
    rw_json *split = arr(t);
    add(t, split, str(t, ","));
    add(t, split, single(t, "Fn::Join", join));
    rw_json *sel = arr(t);
    add(t, sel, num(t, i));
    add(t, sel, single(t, "Fn::Split", split));
    return single(t, "Fn::Select", sel);
}

/* The statement {Sid, Effect: Allow, Action, Resource}. */
static rw_json *allow(tb *t, const char *sid, rw_json *actions, rw_json *resource) {
    rw_json *s = obj(t);
    put_str(t, s, "Sid", sid);
    put_str(t, s, "Effect", "Allow");
    put(t, s, "Action", actions);
    put(t, s, "Resource", resource);
    return s;
}

/* A role that service may assume (only for this account's resources with same_account: the
 * confused deputy), with one inline policy of the statements given. */
static rw_json *role(tb *t, const char *service, bool same_account, const char *policy_name,
                     rw_json *statements) {
    rw_json *r = obj(t);
    put_str(t, r, "Type", "AWS::IAM::Role");
    rw_json *props = put(t, r, "Properties", obj(t));
    rw_json *trust = put(t, props, "AssumeRolePolicyDocument", obj(t));
    put_str(t, trust, "Version", "2012-10-17");
    rw_json *st = obj(t);
    put_str(t, st, "Effect", "Allow");
    put(t, st, "Principal", single(t, "Service", str(t, service)));
    put_str(t, st, "Action", "sts:AssumeRole");
    if (same_account)
        put(t, st, "Condition",
            single(t, "StringEquals", single(t, "aws:SourceAccount", ref(t, "AWS::AccountId"))));
    add(t, put(t, trust, "Statement", arr(t)), st);
    rw_json *pol = obj(t);
    put_str(t, pol, "PolicyName", policy_name);
    rw_json *doc = put(t, pol, "PolicyDocument", obj(t));
    put_str(t, doc, "Version", "2012-10-17");
    put(t, doc, "Statement", statements);
    add(t, put(t, props, "Policies", arr(t)), pol);
    return r;
}

/* The rule: the root pattern, in the state that delivers read-only management calls too. */
static rw_json *rule(tb *t, const char *description, rw_json *target) {
    rw_json *r = obj(t);
    put_str(t, r, "Type", "AWS::Events::Rule");
    rw_json *props = put(t, r, "Properties", obj(t));
    put_str(t, props, "Description", description);
    put(t, props, "EventPattern", rw_deploy_root_pattern(t->doc));
    put_str(t, props, "State", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS");
    add(t, put(t, props, "Targets", arr(t)), target);
    return r;
}

static rw_json *output(tb *t, rw_json *outputs, const char *name, const char *description,
                       rw_json *value) {
    rw_json *o = put(t, outputs, name, obj(t));
    put_str(t, o, "Description", description);
    put(t, o, "Value", value);
    return o;
}

/* ---- the hub
 * ------------------------------------------------------------------------------------- */

static void hub(tb *t, rw_json *root) {
    rw_json *params = put(t, root, "Parameters", obj(t));
    rw_json *p = param(t, params, "SNSTopicName", "String",
                       "The name of the SNS topic that is told of every use of the root user",
                       str(t, "rootwatch-root-activity"));
    put_str(t, p, "AllowedPattern", "^[A-Za-z0-9_-]{1,256}$");
    char text[512];
    snprintf(text, sizeof text,
             "Email addresses to subscribe to the topic, separated by commas without spaces (at "
             "most %d; each must confirm the subscription from the email SNS sends it). Empty: "
             "subscribe later",
             RW_DEPLOY_MAX_SUBSCRIPTIONS);
    p = param(t, params, "SNSSubscriptions", "String", text, str(t, ""));
    snprintf(text, sizeof text, "^$|^[^\\s,@]+@[^\\s,@]+(,[^\\s,@]+@[^\\s,@]+){0,%d}$",
             RW_DEPLOY_MAX_SUBSCRIPTIONS - 1);
    put_str(t, p, "AllowedPattern", text);
    snprintf(text, sizeof text, "comma-separated email addresses, no spaces, at most %d of them",
             RW_DEPLOY_MAX_SUBSCRIPTIONS);
    put_str(t, p, "ConstraintDescription", text);
    p = param(t, params, "LambdaTimeout", "Number", "The function's timeout in seconds",
              num(t, 30));
    put(t, p, "MinValue", num(t, 1));
    put(t, p, "MaxValue", num(t, 900));
    p = param(t, params, "LambdaS3Bucket", "String",
              "The S3 bucket holding the function's package (rootwatch package), in this region",
              NULL);
    put(t, p, "MinLength", num(t, 1));
    p = param(t, params, "LambdaS3Key", "String",
              "The package's key in that bucket, with its prefix and no leading slash "
              "(dir1/dir2/rootwatch-lambda.zip)",
              str(t, "rootwatch-lambda.zip"));
    put(t, p, "MinLength", num(t, 1));
    p = param(t, params, "LambdaArchitecture", "String",
              "The architecture the package was built for (rootwatch package --arch)",
              str(t, "x86_64"));
    put(t, p, "AllowedValues", strs(t, "x86_64", "arm64", NULL));
    p = param(
        t, params, "IdempotencyTable", "String",
        "create: a DynamoDB table in which the function claims each alert once, so that a "
        "retried or duplicated event sends one email; none: duplicates are dropped within one "
        "warm instance only",
        str(t, "create"));
    put(t, p, "AllowedValues", strs(t, "create", "none", NULL));
    p = param(t, params, "FunctionName", "String",
              "The function's name (its log group is /aws/lambda/<name>); unique in the region",
              str(t, RW_DEPLOY_DEFAULT_FUNCTION));
    put_str(t, p, "AllowedPattern", "^[A-Za-z0-9_-]{1,64}$");
    p = param(t, params, "LogRetentionInDays", "Number",
              "How long the function's log is kept, in days", num(t, 365));
    static const int retention[] = {1,   3,   5,   7,   14,   30,   60,   90,   120,  150,  180,
                                    365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};
    rw_json *allowed = put(t, p, "AllowedValues", arr(t));
    for (size_t i = 0; i < sizeof retention / sizeof retention[0]; i++)
        add(t, allowed, num(t, retention[i]));

    rw_json *conds = put(t, root, "Conditions", obj(t));
    rw_json *eq = arr(t);
    add(t, eq, ref(t, "IdempotencyTable"));
    add(t, eq, str(t, "create"));
    put(t, conds, "CreateIdempotencyTable", single(t, "Fn::Equals", eq));
    for (int i = 0; i < RW_DEPLOY_MAX_SUBSCRIPTIONS; i++) {
        char name[32];
        snprintf(name, sizeof name, "HasSubscription%d", i + 1);
        eq = arr(t);
        add(t, eq, subscription_address(t, i));
        add(t, eq, str(t, ""));
        rw_json *negate = arr(t);
        add(t, negate, single(t, "Fn::Equals", eq));
        put(t, conds, name, single(t, "Fn::Not", negate));
    }

    rw_json *res = put(t, root, "Resources", obj(t));

    rw_json *r = put(t, res, "Topic", obj(t));
    put_str(t, r, "Type", "AWS::SNS::Topic");
    rw_json *props = put(t, r, "Properties", obj(t));
    put(t, props, "TopicName", ref(t, "SNSTopicName"));
    put_str(t, props, "DisplayName", "rootwatch");
    put_str(t, props, "KmsMasterKeyId", "alias/aws/sns");

    for (int i = 0; i < RW_DEPLOY_MAX_SUBSCRIPTIONS; i++) {
        char name[32], cond[32];
        snprintf(name, sizeof name, "Subscription%d", i + 1);
        snprintf(cond, sizeof cond, "HasSubscription%d", i + 1);
        r = put(t, res, name, obj(t));
        put_str(t, r, "Type", "AWS::SNS::Subscription");
        put_str(t, r, "Condition", cond);
        props = put(t, r, "Properties", obj(t));
        put(t, props, "TopicArn", ref(t, "Topic"));
        put_str(t, props, "Protocol", "email");
        put(t, props, "Endpoint", subscription_address(t, i));
    }

    r = put(t, res, "DeadLetterQueue", obj(t));
    put_str(t, r, "Type", "AWS::SQS::Queue");
    props = put(t, r, "Properties", obj(t));
    put(t, props, "MessageRetentionPeriod", num(t, 1209600)); /* 14 days, SQS's longest */
    put(t, props, "SqsManagedSseEnabled", boolean(t, true));

    r = put(t, res, "ClaimTable", obj(t));
    put_str(t, r, "Type", "AWS::DynamoDB::Table");
    put_str(t, r, "Condition", "CreateIdempotencyTable");
    props = put(t, r, "Properties", obj(t));
    put_str(t, props, "BillingMode", "PAY_PER_REQUEST");
    rw_json *attr = obj(t);
    put_str(t, attr, "AttributeName", "eventID");
    put_str(t, attr, "AttributeType", "S");
    add(t, put(t, props, "AttributeDefinitions", arr(t)), attr);
    rw_json *key = obj(t);
    put_str(t, key, "AttributeName", "eventID");
    put_str(t, key, "KeyType", "HASH");
    add(t, put(t, props, "KeySchema", arr(t)), key);
    rw_json *ttl = put(t, props, "TimeToLiveSpecification", obj(t));
    put_str(t, ttl, "AttributeName", "expiresAt");
    put(t, ttl, "Enabled", boolean(t, true));

    r = put(t, res, "FunctionLogGroup", obj(t));
    put_str(t, r, "Type", "AWS::Logs::LogGroup");
    props = put(t, r, "Properties", obj(t));
    put(t, props, "LogGroupName", sub(t, "/aws/lambda/${FunctionName}"));
    put(t, props, "RetentionInDays", ref(t, "LogRetentionInDays"));

    /* least privilege: these five and nothing else (no logs:CreateLogGroup: the stack makes it) */
    rw_json *st = arr(t);
    add(t, st, allow(t, "PublishToItsTopic", strs(t, "sns:Publish", NULL), ref(t, "Topic")));
    add(t, st,
        allow(t, "ReadTheAccountAlias", strs(t, "iam:ListAccountAliases", NULL), str(t, "*")));
    /* the claim, a conditional PutItem, and giving it up when the publish fails, DeleteItem
     * (src/lambda/idempotency.c); items expire through the table's TTL */
    add(t, st,
        fn_if(t, "CreateIdempotencyTable",
              allow(t, "ClaimEachAlertOnce",
                    strs(t, "dynamodb:PutItem", "dynamodb:DeleteItem", NULL),
                    getatt(t, "ClaimTable", "Arn")),
              novalue(t)));
    add(t, st,
        allow(t, "SendToItsDeadLetterQueue", strs(t, "sqs:SendMessage", NULL),
              getatt(t, "DeadLetterQueue", "Arn")));
    add(t, st,
        allow(t, "WriteItsLogGroup", strs(t, "logs:CreateLogStream", "logs:PutLogEvents", NULL),
              getatt(t, "FunctionLogGroup", "Arn")));
    put(t, res, "FunctionRole", role(t, "lambda.amazonaws.com", false, "rootwatch-function", st));

    r = put(t, res, "Function", obj(t));
    put_str(t, r, "Type", "AWS::Lambda::Function");
    /* its log group first: the role may not create one */
    put(t, r, "DependsOn", strs(t, "FunctionLogGroup", NULL));
    props = put(t, r, "Properties", obj(t));
    put(t, props, "FunctionName", ref(t, "FunctionName"));
    put_str(t, props, "Description",
            "rootwatch: tells the SNS topic of every use of the account's root user");
    put_str(t, props, "Runtime", "provided.al2023");
    put_str(t, props, "Handler", "bootstrap");
    add(t, put(t, props, "Architectures", arr(t)), ref(t, "LambdaArchitecture"));
    rw_json *code = put(t, props, "Code", obj(t));
    put(t, code, "S3Bucket", ref(t, "LambdaS3Bucket"));
    put(t, code, "S3Key", ref(t, "LambdaS3Key"));
    put(t, props, "MemorySize", num(t, 128));
    put(t, props, "Timeout", ref(t, "LambdaTimeout"));
    put(t, props, "Role", getatt(t, "FunctionRole", "Arn"));
    put(t, props, "DeadLetterConfig", single(t, "TargetArn", getatt(t, "DeadLetterQueue", "Arn")));
    rw_json *env = put(t, props, "Environment", obj(t));
    rw_json *vars = put(t, env, "Variables", obj(t));
    put(t, vars, "SNS_TOPIC_ARN", ref(t, "Topic"));
    put(t, vars, "IDEMPOTENCY_TABLE",
        fn_if(t, "CreateIdempotencyTable", ref(t, "ClaimTable"), novalue(t)));

    rw_json *target = obj(t);
    put_str(t, target, "Id", "rootwatch");
    put(t, target, "Arn", getatt(t, "Function", "Arn"));
    put(t, res, "RootActivityRule",
        rule(t,
             "rootwatch: every use of the root user (API calls, read-only ones too, and console "
             "sign-ins) to the function",
             target));

    r = put(t, res, "RuleInvokesFunction", obj(t));
    put_str(t, r, "Type", "AWS::Lambda::Permission");
    props = put(t, r, "Properties", obj(t));
    put_str(t, props, "Action", "lambda:InvokeFunction");
    put(t, props, "FunctionName", getatt(t, "Function", "Arn"));
    put_str(t, props, "Principal", "events.amazonaws.com");
    put(t, props, "SourceArn", getatt(t, "RootActivityRule", "Arn"));

    rw_json *outs = put(t, root, "Outputs", obj(t));
    output(t, outs, "TopicArn", "The SNS topic told of root activity", ref(t, "Topic"));
    output(t, outs, "FunctionArn", "The rootwatch function", getatt(t, "Function", "Arn"));
    output(t, outs, "RuleArn", "The EventBridge rule sending root activity to the function",
           getatt(t, "RootActivityRule", "Arn"));
    output(t, outs, "DeadLetterQueueArn", "Where events the function failed on are kept",
           getatt(t, "DeadLetterQueue", "Arn"));
}

/* ---- the forwarder
 * ------------------------------------------------------------------------------- */

static void forwarder(tb *t, rw_json *root) {
    static const char bus[] =
        "arn:${AWS::Partition}:events:${HubRegion}:${AWS::AccountId}:event-bus/default";
    rw_json *params = put(t, root, "Parameters", obj(t));
    rw_json *p = param(t, params, "HubRegion", "String",
                       "The region of the hub stack, whose default event bus receives this "
                       "region's root activity (not this region)",
                       str(t, "us-east-1"));
    put_str(t, p, "AllowedPattern", "^[a-z]{2}(-[a-z]+)+-[0-9]+$");

    /* in the hub's own region the rule would send the bus's events back to it: nothing there */
    rw_json *eq = arr(t);
    add(t, eq, ref(t, "HubRegion"));
    add(t, eq, ref(t, "AWS::Region"));
    rw_json *conds = put(t, root, "Conditions", obj(t));
    put(t, conds, "TheHubRegion", single(t, "Fn::Equals", eq));
    rw_json *negate = arr(t);
    add(t, negate, single(t, "Condition", str(t, "TheHubRegion")));
    put(t, conds, "NotTheHubRegion", single(t, "Fn::Not", negate));

    rw_json *res = put(t, root, "Resources", obj(t));
    /* a stack needs a resource: in the hub's region, a handle that does nothing and costs nothing,
     * so that a stack set may list every region */
    rw_json *r = put(t, res, "NothingInTheHubRegion", obj(t));
    put_str(t, r, "Type", "AWS::CloudFormation::WaitConditionHandle");
    put_str(t, r, "Condition", "TheHubRegion");
    rw_json *st = arr(t);
    add(t, st, allow(t, "PutEventsOnTheHubBus", strs(t, "events:PutEvents", NULL), sub(t, bus)));
    r = put(t, res, "ForwarderRole",
            role(t, "events.amazonaws.com", true, "rootwatch-forwarder", st));
    put_str(t, r, "Condition", "NotTheHubRegion");

    rw_json *target = obj(t);
    put_str(t, target, "Id", "rootwatch-hub");
    put(t, target, "Arn", sub(t, bus));
    put(t, target, "RoleArn", getatt(t, "ForwarderRole", "Arn"));
    r = put(
        t, res, "RootActivityRule",
        rule(t,
             "rootwatch: every use of the root user in this region, to the hub region's default "
             "event bus",
             target));
    put_str(t, r, "Condition", "NotTheHubRegion");

    rw_json *outs = put(t, root, "Outputs", obj(t));
    put_str(t,
            output(t, outs, "RuleArn", "The EventBridge rule forwarding root activity",
                   getatt(t, "RootActivityRule", "Arn")),
            "Condition", "NotTheHubRegion");
    output(t, outs, "HubEventBusArn", "Where it forwards to", sub(t, bus));
}

int rw_deploy_variant_parse(rw_deploy_variant *out, const char *name) {
    if (!strcmp(name, "hub"))
        *out = RW_DEPLOY_HUB;
    else if (!strcmp(name, "forwarder"))
        *out = RW_DEPLOY_FORWARDER;
    else
        return rw_error_set(RW_EINVAL, "the variant is hub or forwarder, not '%s'", name);
    return RW_OK;
}

const char *rw_deploy_variant_name(rw_deploy_variant v) {
    return v == RW_DEPLOY_FORWARDER ? "forwarder" : "hub";
}

int rw_deploy_template_build(rw_json_doc *doc, rw_deploy_variant v) {
    tb t = {.doc = doc};
    rw_json *root = obj(&t);
    put_str(&t, root, "AWSTemplateFormatVersion", "2010-09-09");
    char text[256];
    snprintf(text, sizeof text,
             v == RW_DEPLOY_HUB
                 ? "rootwatch %s hub: an EventBridge rule sends every use of the root user to the "
                   "rootwatch function, which tells an SNS topic (rootwatch deploy template)"
                 : "rootwatch %s forwarder: sends every use of the root user in this region to the "
                   "hub region's event bus (rootwatch deploy template --variant forwarder)",
             RW_VERSION);
    put_str(&t, root, "Description", text);
    if (v == RW_DEPLOY_HUB)
        hub(&t, root);
    else
        forwarder(&t, root);
    if (t.failed) return rw_error_set(RW_ELIMIT, "the template does not fit in memory");
    rw_json_doc_set_root(doc, root);
    return RW_OK;
}
