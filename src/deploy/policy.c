/* The least IAM policy of each command (deploy/policy.h): one table of statements per command. */
#include "deploy/policy.h"

#include <stdio.h>
#include <string.h>

#include "deploy/apply.h"
#include "deploy/template.h"
#include "util/err.h"
#include "util/json.h"

/* What a statement serves: it is written when that is given (or when nothing is). */
typedef enum need {
    N_BUCKET,  /* a trail bucket */
    N_QUEUE,   /* an SQS queue */
    N_LOOKUP,  /* event history */
    N_REGIONS, /* every region */
    N_TOPIC,   /* an SNS topic */
    N_KMS,     /* a KMS key */
    N_TABLE,   /* the idempotency table */
    N_DLQ,     /* the dead-letter queue */
    N_LOGS,    /* the function's log group */
    N_STACK,   /* a CloudFormation stack */
} need;

/* Where a statement applies. */
typedef enum res {
    R_ANY,        /* "*": the action has no resource to scope it to */
    R_BUCKET,     /* arn:P:s3:::BUCKET */
    R_OBJECTS,    /* arn:P:s3:::BUCKET/PREFIX/AWSLogs/ * (the trail's files) */
    R_QUEUE,      /* the queue ARNs */
    R_TOPIC,      /* the topic ARNs */
    R_KMS,        /* the key ARNs */
    R_TABLE,      /* the table ARN */
    R_DLQ,        /* the dead-letter queue ARN */
    R_LOGS,       /* the log group ARN, and its streams */
    R_STACK,      /* arn:P:cloudformation:REGION:ACCOUNT:stack/NAME/ * */
    R_STACK_RULE, /* the stack's rule: arn:P:events:REGION:ACCOUNT:rule/NAME-* */
    R_STACK_FN,   /* the stack's function: arn:P:lambda:REGION:ACCOUNT:function:NAME-* */
    /* deploy apply's own resources, by the names it gives them (deploy/apply.h); REGION and
     * ACCOUNT from --region and --account, "*" without */
    R_AP_BUCKET,  /* arn:P:s3:::rootwatch-trail-ACCOUNT-REGION */
    R_AP_OBJECTS, /* its objects */
    R_AP_TRAIL,   /* arn:P:cloudtrail:REGION:ACCOUNT:trail/rootwatch */
    R_AP_LOGS,    /* arn:P:logs:REGION:ACCOUNT:log-group:rootwatch/cloudtrail, and :* */
    R_AP_ROLE,    /* arn:P:iam::ACCOUNT:role/rootwatch-cloudtrail-logs */
    R_AP_TOPIC,   /* arn:P:sns:*:ACCOUNT:rootwatch-root-activity (every region) */
    R_AP_ALARM,   /* arn:P:cloudwatch:REGION:ACCOUNT:alarm:rootwatch-root-usage */
    R_AP_RULE,    /* arn:P:events:*:ACCOUNT:rule/rootwatch-root-activity (every region) */
    R_AP_CONFIG,  /* arn:P:config:REGION:ACCOUNT:config-rule/ * (AWS names it with an id) */
    R_AUDIT_ROLE, /* arn:P:iam::*:role/rootwatch-audit: audit --accounts' role in every account */
} res;

typedef struct stmt {
    const char *sid;
    const char *actions[12];
    need need;
    res res;
    bool always; /* written whatever is given (the function's role needs it all) */
} stmt;

#define END                                                                                        \
    { NULL, {NULL}, 0, 0, false }

/* rootwatch scan: ListObjectsV2 and HeadBucket (the bucket's region) are s3:ListBucket. */
static const stmt scan_stmts[] = {
    {"TrailBucketList", {"s3:ListBucket"}, N_BUCKET, R_BUCKET, false},
    {"TrailBucketRead", {"s3:GetObject"}, N_BUCKET, R_OBJECTS, false},
    {"TrailKeyDecrypt", {"kms:Decrypt"}, N_KMS, R_KMS, false},
    {"EventHistory", {"cloudtrail:LookupEvents"}, N_LOOKUP, R_ANY, false},
    {"Regions", {"ec2:DescribeRegions"}, N_REGIONS, R_ANY, false},
    {"NotifyTopic", {"sns:Publish"}, N_TOPIC, R_TOPIC, false},
    {"AccountAlias", {"iam:ListAccountAliases"}, N_TOPIC, R_ANY, false},
    END,
};

/* rootwatch watch: the queue is read, its messages deleted once stored, their visibility extended
 * while a large trail file is read; GetQueueAttributes tells whether the queue has a redrive
 * policy (a poison message is then left to SQS's dead-letter queue). */
static const stmt watch_stmts[] = {
    {"QueueConsume",
     {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes"},
     N_QUEUE,
     R_QUEUE,
     false},
    {"TrailBucketList", {"s3:ListBucket"}, N_BUCKET, R_BUCKET, false},
    {"TrailBucketRead", {"s3:GetObject"}, N_BUCKET, R_OBJECTS, false},
    {"TrailKeyDecrypt", {"kms:Decrypt"}, N_KMS, R_KMS, false},
    {"EventHistory", {"cloudtrail:LookupEvents"}, N_LOOKUP, R_ANY, false},
    {"Regions", {"ec2:DescribeRegions"}, N_REGIONS, R_ANY, false},
    {"NotifyTopic", {"sns:Publish"}, N_TOPIC, R_TOPIC, false},
    {"AccountAlias", {"iam:ListAccountAliases"}, N_TOPIC, R_ANY, false},
    END,
};

/* The function's role, as the stack (deploy/template.c) grants it, statement by statement. */
static const stmt lambda_stmts[] = {
    {"PublishToItsTopic", {"sns:Publish"}, N_TOPIC, R_TOPIC, true},
    {"ReadTheAccountAlias", {"iam:ListAccountAliases"}, N_TOPIC, R_ANY, true},
    {"ClaimEachAlertOnce", {"dynamodb:PutItem", "dynamodb:DeleteItem"}, N_TABLE, R_TABLE, false},
    {"SendToItsDeadLetterQueue", {"sqs:SendMessage"}, N_DLQ, R_DLQ, true},
    {"WriteItsLogGroup", {"logs:CreateLogStream", "logs:PutLogEvents"}, N_LOGS, R_LOGS, true},
    END,
};

/* rootwatch deploy test (deploy/stacktest.c): the stack's resources, its rule and the rule's
 * targets, TestEventPattern (which has no resource), the function's settings and resource policy
 * (may the rule invoke it?), and one Invoke. */
static const stmt deploy_stmts[] = {
    {"ReadStack", {"cloudformation:ListStackResources"}, N_STACK, R_STACK, false},
    {"ReadRule", {"events:DescribeRule", "events:ListTargetsByRule"}, N_STACK, R_STACK_RULE, false},
    {"TestPattern", {"events:TestEventPattern"}, N_STACK, R_ANY, false},
    {"InvokeFunction",
     {"lambda:GetFunctionConfiguration", "lambda:GetPolicy", "lambda:InvokeFunction"},
     N_STACK,
     R_STACK_FN,
     false},
    END,
};

/* rootwatch audit (audit/): the read calls its checks make, none of which can be scoped to a
 * resource known before the audit has read it (the trails, log groups, alarms, topics, rules and
 * targets are what it looks for). GenerateCredentialReport is the one call that is not a read:
 * it asks IAM for a new credential report, which root-recent-use reads. STS GetCallerIdentity
 * needs no permission. A target of an EventBridge rule is checked by its service: SNS
 * GetTopicAttributes (its Policy) and ListSubscriptionsByTopic, SQS GetQueueUrl and
 * GetQueueAttributes (its Policy), Lambda GetFunctionConfiguration and GetPolicy. A topic or queue
 * encrypted with a KMS key (a rule's target, an alarm's topic) has its key read: KMS DescribeKey
 * (an alias's key, its manager and state) and GetKeyPolicy (may EventBridge or CloudWatch use
 * it?). Across accounts (audit --accounts, audit/accounts.h), the caller also lists the
 * organization's accounts (Organizations ListAccounts) and assumes the audit role in each (STS
 * AssumeRole), scoped to the role's default name, rootwatch-audit, in any account; the role in
 * each account needs the statements before them only. */
static const stmt audit_stmts[] = {
    {"ReadTrails",
     {"cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"},
     N_BUCKET,
     R_ANY,
     true},
    {"ReadMetricFiltersAndAlarms",
     {"logs:DescribeMetricFilters", "cloudwatch:DescribeAlarmsForMetric"},
     N_BUCKET,
     R_ANY,
     true},
    {"ReadTopics",
     {"sns:ListSubscriptionsByTopic", "sns:GetTopicAttributes"},
     N_BUCKET,
     R_ANY,
     true},
    {"ReadRules",
     {"events:ListRules", "events:ListTargetsByRule", "ec2:DescribeRegions"},
     N_BUCKET,
     R_ANY,
     true},
    {"ReadRuleTargets",
     {"sqs:GetQueueUrl", "sqs:GetQueueAttributes", "lambda:GetFunctionConfiguration",
      "lambda:GetPolicy"},
     N_BUCKET,
     R_ANY,
     true},
    {"ReadTargetKeys", {"kms:DescribeKey", "kms:GetKeyPolicy"}, N_BUCKET, R_ANY, true},
    {"ReadRootUser",
     {"iam:GetAccountSummary", "iam:ListVirtualMFADevices", "iam:GenerateCredentialReport",
      "iam:GetCredentialReport"},
     N_BUCKET,
     R_ANY,
     true},
    {"ReadConfigRules",
     {"config:DescribeConfigRules", "config:DescribeConfigurationRecorderStatus",
      "config:DescribeComplianceByConfigRule"},
     N_BUCKET,
     R_ANY,
     true},
    {"ReadOrganization",
     {"organizations:DescribeOrganization", "iam:ListOrganizationsFeatures"},
     N_BUCKET,
     R_ANY,
     true},
    {"ListOrganizationAccounts", {"organizations:ListAccounts"}, N_BUCKET, R_ANY, true},
    {"AssumeAuditRole", {"sts:AssumeRole"}, N_BUCKET, R_AUDIT_ROLE, true},
    END,
};

/* rootwatch deploy apply and destroy (deploy/apply.c): reading the account (trails of any name,
 * log groups, filters, alarms, rules and Config rules that may already do the job: on "*"), and
 * making, tagging and deleting its own resources, each scoped to the name apply gives it. Tags
 * given at creation need the service's tagging action too; the trail needs iam:PassRole for its
 * delivery role. STS GetCallerIdentity needs no permission. */
static const stmt deploy_apply_stmts[] = {
    {"ReadAccount",
     {"cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors",
      "logs:DescribeLogGroups", "logs:DescribeMetricFilters", "cloudwatch:DescribeAlarms",
      "cloudwatch:DescribeAlarmsForMetric", "events:ListRules", "events:ListTargetsByRule",
      "config:DescribeConfigurationRecorderStatus", "config:DescribeConfigRules"},
     N_BUCKET,
     R_ANY,
     true},
    {"TrailBucket",
     {"s3:CreateBucket", "s3:ListBucket", "s3:GetBucketTagging", "s3:PutBucketTagging",
      "s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock",
      "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration", "s3:GetBucketPolicy",
      "s3:PutBucketPolicy", "s3:DeleteBucket"},
     N_BUCKET,
     R_AP_BUCKET,
     true},
    {"TrailBucketEmptied", {"s3:DeleteObject"}, N_BUCKET, R_AP_OBJECTS, true},
    {"Trail",
     {"cloudtrail:CreateTrail", "cloudtrail:AddTags", "cloudtrail:ListTags",
      "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors", "cloudtrail:StartLogging",
      "cloudtrail:DeleteTrail"},
     N_BUCKET,
     R_AP_TRAIL,
     true},
    {"TrailLogGroup",
     {"logs:CreateLogGroup", "logs:TagResource", "logs:ListTagsLogGroup", "logs:PutRetentionPolicy",
      "logs:PutMetricFilter", "logs:DeleteMetricFilter", "logs:DeleteLogGroup"},
     N_BUCKET,
     R_AP_LOGS,
     true},
    {"TrailDeliveryRole",
     {"iam:GetRole", "iam:CreateRole", "iam:TagRole", "iam:GetRolePolicy", "iam:PutRolePolicy",
      "iam:PassRole", "iam:DeleteRolePolicy", "iam:DeleteRole"},
     N_BUCKET,
     R_AP_ROLE,
     true},
    {"Topics",
     {"sns:GetTopicAttributes", "sns:ListTagsForResource", "sns:CreateTopic", "sns:TagResource",
      "sns:SetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:Subscribe", "sns:DeleteTopic"},
     N_BUCKET,
     R_AP_TOPIC,
     true},
    {"Alarm",
     {"cloudwatch:ListTagsForResource", "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource",
      "cloudwatch:DeleteAlarms"},
     N_BUCKET,
     R_AP_ALARM,
     true},
    {"Rules",
     {"events:DescribeRule", "events:ListTagsForResource", "events:PutRule", "events:TagResource",
      "events:PutTargets", "events:RemoveTargets", "events:DeleteRule"},
     N_BUCKET,
     R_AP_RULE,
     true},
    {"ConfigRule",
     {"config:ListTagsForResource", "config:PutConfigRule", "config:TagResource",
      "config:DeleteConfigRule"},
     N_BUCKET,
     R_AP_CONFIG,
     true},
    END,
};

static const struct {
    const char *name;
    const stmt *stmts;
} commands[] = {
    [RW_POLICY_SCAN] = {"scan", scan_stmts},
    [RW_POLICY_WATCH] = {"watch", watch_stmts},
    [RW_POLICY_LAMBDA] = {"lambda", lambda_stmts},
    [RW_POLICY_DEPLOY] = {"deploy", deploy_stmts},
    [RW_POLICY_AUDIT] = {"audit", audit_stmts},
    [RW_POLICY_DEPLOY_APPLY] = {"deploy-apply", deploy_apply_stmts},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

int rw_policy_for_parse(rw_policy_for *out, const char *name) {
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(name, commands[i].name)) {
            *out = (rw_policy_for)i;
            return RW_OK;
        }
    return rw_error_set(RW_EINVAL, "unknown command '%s' (there is: %s)", name,
                        rw_policy_for_names());
}

const char *rw_policy_for_name(rw_policy_for f) {
    return (size_t)f < NCOMMANDS ? commands[f].name : "?";
}

const char *rw_policy_for_names(void) {
    return "scan|watch|lambda|deploy|audit|deploy-apply";
}

static size_t count(const char *const *v) {
    size_t n = 0;
    while (v && v[n]) n++;
    return n;
}

static bool given(const rw_policy_input *in, need n) {
    switch (n) {
    case N_BUCKET:
        return count(in->bucket) > 0;
    case N_QUEUE:
        return count(in->queue) > 0;
    case N_LOOKUP:
        return in->lookup;
    case N_REGIONS:
        return in->all_regions;
    case N_TOPIC:
        return count(in->topic) > 0;
    case N_KMS:
        return count(in->kms) > 0;
    case N_TABLE:
        return in->table != NULL;
    case N_DLQ:
        return in->dlq != NULL;
    case N_LOGS:
        return in->log_group != NULL;
    case N_STACK:
        return in->stack != NULL;
    }
    return false;
}

static bool nothing_given(const rw_policy_input *in) {
    for (int n = N_BUCKET; n <= N_STACK; n++)
        if (given(in, (need)n)) return false;
    return true;
}

/* The placeholder of a resource not given, and the option that gives it. */
static void placeholder(rw_buf *missing, const char *ph, const char *option) {
    if (missing && !strstr(missing->data ? missing->data : "", ph))
        rw_buf_printf(missing, "%s: %s\n", ph, option);
}

/* An SQS queue's ARN from its URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME, or an
 * emulator's http://host:port/ACCOUNT/NAME with the region unknown) or its ARN as given. */
static int queue_arn(rw_buf *out, const char *partition, const char *q) {
    if (!strncmp(q, "arn:", 4)) {
        rw_buf_puts(out, q);
        return RW_OK;
    }
    const char *p = strstr(q, "://");
    if (!p) return rw_error_set(RW_EINVAL, "'%s' is neither an SQS queue URL nor an ARN", q);
    const char *host = p + 3, *path = strchr(host, '/');
    char region[64] = "*";
    if (!strncmp(host, "sqs.", 4)) {
        const char *dot = memchr(host + 4, '.', path ? (size_t)(path - host - 4) : strlen(host));
        if (dot && (size_t)(dot - host - 4) < sizeof region)
            snprintf(region, sizeof region, "%.*s", (int)(dot - host - 4), host + 4);
    }
    const char *acct = path ? path + 1 : NULL, *slash = acct ? strchr(acct, '/') : NULL;
    if (!slash || slash == acct || !slash[1] || strchr(slash + 1, '/'))
        return rw_error_set(RW_EINVAL,
                            "'%s' is not an SQS queue URL (https://sqs.REGION.amazonaws.com/"
                            "ACCOUNT/NAME)",
                            q);
    rw_buf_printf(out, "arn:%s:sqs:%s:%.*s:%s", partition, region, (int)(slash - acct), acct,
                  slash + 1);
    return RW_OK;
}

/* Appends the resources of kind r as JSON strings, separated by ", ". */
static int resources(rw_buf *out, rw_buf *missing, const rw_policy_input *in, res r) {
    const char *part = in->partition && *in->partition ? in->partition : "aws";
    const char *region = in->region ? in->region : "*", *account = in->account ? in->account : "*";
    rw_buf one;
    rw_buf_init(&one, 0);
    int rc = RW_OK;
    const char *const *list = NULL, *ph = NULL, *option = NULL;
    const char *single = NULL;
    switch (r) {
    case R_ANY:
        single = "*";
        break;
    case R_BUCKET:
    case R_OBJECTS:
        list = in->bucket, ph = "<trail-bucket>", option = "--bucket NAME";
        break;
    case R_QUEUE:
        list = in->queue, ph = "<queue-arn>", option = "--queue URL|ARN";
        break;
    case R_TOPIC:
        list = in->topic, ph = "<topic-arn>", option = "--topic ARN";
        break;
    case R_KMS:
        list = in->kms, ph = "<kms-key-arn>", option = "--kms-key ARN";
        break;
    case R_TABLE:
        single = in->table, ph = "<table-arn>", option = "--table ARN";
        break;
    case R_DLQ:
        single = in->dlq, ph = "<dead-letter-queue-arn>", option = "--dlq ARN";
        break;
    case R_LOGS:
        single = in->log_group, ph = "<log-group-arn>", option = "--log-group ARN";
        break;
    case R_STACK:
    case R_STACK_RULE:
    case R_STACK_FN:
        single = in->stack, ph = "<stack-name>", option = "--stack NAME";
        break;
    default: /* deploy apply's: named by apply itself */
        single = "";
        break;
    }
    size_t n = single ? 1 : count(list);
    if (n == 0) {
        placeholder(missing, ph, option);
        n = 1;
    }
    for (size_t i = 0; i < n && rc == RW_OK; i++) {
        const char *v = single ? single : list && list[i] ? list[i] : ph;
        one.len = 0;
        switch (r) {
        case R_ANY:
        case R_TOPIC:
        case R_KMS:
        case R_TABLE:
        case R_DLQ:
            rw_buf_puts(&one, v);
            break;
        case R_BUCKET:
            rw_buf_printf(&one, "arn:%s:s3:::%s", part, v);
            break;
        case R_OBJECTS: {
            const char *pre = in->prefix ? in->prefix : "";
            size_t pl = strlen(pre);
            while (pl && pre[pl - 1] == '/') pl--;
            rw_buf_printf(&one, "arn:%s:s3:::%s/%.*s%sAWSLogs/*", part, v, (int)pl, pre,
                          pl ? "/" : "");
            break;
        }
        case R_QUEUE:
            rc = list ? queue_arn(&one, part, v) : (rw_buf_puts(&one, v), RW_OK);
            break;
        case R_LOGS:
            rw_buf_puts(&one, v);
            if (one.len > 2 && !strcmp(one.data + one.len - 2, ":*")) one.len -= 2;
            rw_buf_puts(&one, ":*");
            break;
        case R_STACK:
            rw_buf_printf(&one, "arn:%s:cloudformation:%s:%s:stack/%s/*", part, region, account, v);
            break;
        case R_STACK_RULE:
            rw_buf_printf(&one, "arn:%s:events:%s:%s:rule/%s-*", part, region, account, v);
            break;
        case R_STACK_FN:
            rw_buf_printf(&one, "arn:%s:lambda:%s:%s:function:%s", part, region, account,
                          in->function ? in->function : RW_DEPLOY_DEFAULT_FUNCTION);
            break;
        case R_AP_BUCKET:
        case R_AP_OBJECTS:
            rw_buf_printf(&one, "arn:%s:s3:::" RW_APPLY_BUCKET_PREFIX "%s-%s%s", part, account,
                          region, r == R_AP_OBJECTS ? "/*" : "");
            break;
        case R_AP_TRAIL:
            rw_buf_printf(&one, "arn:%s:cloudtrail:%s:%s:trail/" RW_APPLY_TRAIL, part, region,
                          account);
            break;
        case R_AP_LOGS:
            /* the group itself (CreateLogGroup, tags) and with :* (its streams, filters) */
            rw_buf_printf(&one, "arn:%s:logs:%s:%s:log-group:" RW_APPLY_LOG_GROUP, part, region,
                          account);
            rw_json_write_str(out, one.data, one.len);
            rw_buf_puts(out, ", ");
            rw_buf_puts(&one, ":*");
            break;
        case R_AP_ROLE:
            rw_buf_printf(&one, "arn:%s:iam::%s:role/" RW_APPLY_ROLE, part, account);
            break;
        case R_AP_TOPIC:
            rw_buf_printf(&one, "arn:%s:sns:*:%s:" RW_APPLY_TOPIC, part, account);
            break;
        case R_AP_ALARM:
            rw_buf_printf(&one, "arn:%s:cloudwatch:%s:%s:alarm:" RW_APPLY_ALARM, part, region,
                          account);
            break;
        case R_AP_RULE:
            rw_buf_printf(&one, "arn:%s:events:*:%s:rule/" RW_APPLY_RULE, part, account);
            break;
        case R_AUDIT_ROLE:
            /* the default of audit --role (RW_AUDIT_DEFAULT_ROLE, audit/accounts.h) */
            rw_buf_printf(&one, "arn:%s:iam::*:role/rootwatch-audit", part);
            break;
        case R_AP_CONFIG:
            rw_buf_printf(&one, "arn:%s:config:%s:%s:config-rule/*", part, region, account);
            break;
        }
        if (rc != RW_OK) break;
        if (i) rw_buf_puts(out, ", ");
        rw_json_write_str(out, one.data, one.len);
    }
    rw_buf_free(&one);
    return rc;
}

int rw_policy_build(rw_buf *out, rw_buf *missing, rw_policy_for what, const rw_policy_input *in) {
    if ((size_t)what >= NCOMMANDS) return rw_error_set(RW_EINVAL, "no such command");
    bool all = nothing_given(in);
    rw_buf body;
    rw_buf_init(&body, 0);
    int rc = RW_OK;
    size_t written = 0;
    for (const stmt *s = commands[what].stmts; s->sid && rc == RW_OK; s++) {
        if (!all && !s->always && !given(in, s->need)) continue;
        rw_buf_puts(&body, written++ ? ",\n    {\n" : "    {\n");
        rw_buf_printf(&body, "      \"Sid\": \"%s\",\n      \"Effect\": \"Allow\",\n", s->sid);
        rw_buf_puts(&body, "      \"Action\": [");
        for (size_t i = 0; s->actions[i]; i++)
            rw_buf_printf(&body, "%s\"%s\"", i ? ", " : "", s->actions[i]);
        rw_buf_puts(&body, "],\n      \"Resource\": [");
        rc = resources(&body, missing, in, s->res);
        rw_buf_puts(&body, "]\n    }");
    }
    if (rc == RW_OK) {
        rw_buf_puts(out, "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n");
        rw_buf_append(out, body.data, body.len);
        rw_buf_puts(out, written ? "\n  ]\n}\n" : "  ]\n}\n");
    }
    rw_buf_free(&body);
    return rc;
}
