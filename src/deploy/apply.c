/* rootwatch deploy apply / destroy (deploy/apply.h; docs/deploy.md).
 *
 * The resources, in the order apply makes them (destroy goes the other way):
 *   bucket        rootwatch-trail-ACCOUNT-REGION: the bucket policy CloudTrail needs (with an
 *                 aws:SourceArn condition), public access blocked, default encryption (SSE-S3)
 *   log group     rootwatch/cloudtrail, its retention set
 *   role          rootwatch-cloudtrail-logs: CloudTrail may assume it (for this trail only) to
 *                 call logs:CreateLogStream and logs:PutLogEvents on that log group, nothing else
 *   trail         rootwatch: multi-region, global service events, log file validation, every
 *                 management event (read and write), delivering to the log group; logging
 *   metric filter rootwatch-root-usage on the log group: CIS's root filter, metric
 *                 rootwatch/RootAccountUsage
 *   topic         rootwatch-root-activity in each region (us-east-1, the session's, --regions),
 *                 its policy letting EventBridge (this rule) and CloudWatch (this alarm) publish;
 *                 the email subscription (pending until a person confirms it)
 *   alarm         rootwatch-root-usage: Sum >= 1 over 300 s, one period, missing data not
 *                 breaching, sending to the topic of the trail's region
 *   rule          rootwatch-root-activity in each region: deploy template's pattern, state
 *                 ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, the region's topic its target
 *   config rule   rootwatch-root-account-mfa-enabled (ROOT_ACCOUNT_MFA_ENABLED), only where a
 *                 configuration recorder is recording: a recorder is never created (it is billed)
 *
 * A resource found by its name is rootwatch's when it carries the tag rootwatch:managed=true.
 * One of the user's with the same name is refused (never changed); one of the user's with another
 * name that already does the job (a good multi-region trail, a filter catching root use, a good
 * alarm, a rule delivering every root event) is left as it is and said so. Metric filters and
 * subscriptions cannot be tagged: they are rootwatch's when their log group or topic is. */
#include "deploy/apply.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "aws/client.h"
#include "aws/respolicy.h"
#include "aws/s3.h"
#include "aws/xml.h"
#include "deploy/template.h"
#include "rules/cwl_filter.h"
#include "rules/eb_cases.h"
#include "rules/pattern.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define TRAIL_NAME RW_APPLY_TRAIL
#define LOG_GROUP RW_APPLY_LOG_GROUP
#define ROLE_NAME RW_APPLY_ROLE
#define FILTER_NAME RW_APPLY_FILTER
#define METRIC_NAME "RootAccountUsage"
#define METRIC_NS "rootwatch"
#define ALARM_NAME RW_APPLY_ALARM
#define TOPIC_NAME RW_APPLY_TOPIC
#define RULE_NAME RW_APPLY_RULE
#define TARGET_ID "rootwatch-topic"
#define CONFIG_RULE RW_APPLY_CONFIG_RULE
#define ROOT_MFA "ROOT_ACCOUNT_MFA_ENABLED"
#define ALL_MGMT "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
#define CIS_FILTER                                                                                 \
    "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "   \
    "\"AwsServiceEvent\" }"
#define TAG RW_APPLY_TAG_KEY "=" RW_APPLY_TAG_VALUE
#define S3NS "http://s3.amazonaws.com/doc/2006-03-01/"

/* Where a resource stands after its step: usable (there, or would be with --dry-run) or not. */
typedef enum have { H_NONE, H_THERE, H_PLANNED } have;

typedef struct ap {
    const rw_apply_opts *o;
    rw_aws_client *c;
    char *account, *partition, *home;
    char **regions; /* NULL-terminated */
    int changed, planned, failed, kept;
    /* the trail's chain */
    enum { T_OURS, T_USER, T_USER_NO_LOGS } trail_mode;
    char *trail_arn, *trail_home, *user_trail;
    have bucket, group, role, trail;
    char *bucket_name, *group_name, *group_region;
    bool group_ours;
    char *role_arn;
    have metric;
    char *metric_name, *metric_ns;
    have *topics; /* one per region */
} ap;

/* ---- small helpers ------------------------------------------------------------------------- */

static void say(ap *a, const char *status, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void say(ap *a, const char *status, const char *kind, const char *fmt, ...) {
    rw_buf b;
    rw_buf_init(&b, 0);
    va_list ap_;
    va_start(ap_, fmt);
    rw_buf_vprintf(&b, fmt, ap_);
    va_end(ap_);
    for (size_t i = 0; i < b.len; i++)
        if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f) b.data[i] = ' ';
    fprintf(a->o->out, "%-14s %-13s %s\n", status, kind, b.data ? b.data : "");
    fflush(a->o->out);
    if (!strcmp(status, "created") || !strcmp(status, "updated") || !strcmp(status, "deleted"))
        a->changed++;
    else if (!strncmp(status, "would ", 6))
        a->planned++;
    else if (!strcmp(status, "REFUSED") || !strcmp(status, "FAILED"))
        a->failed++;
    else if (strcmp(status, "account"))
        a->kept++;
    rw_buf_free(&b);
}

static void js(rw_buf *b, const char *s) {
    rw_json_write_str(b, s, strlen(s));
}

static const char *ecode(ap *a) {
    return rw_aws_client_error(a->c)->code;
}
static bool ecode_has(ap *a, const char *part) {
    return strstr(ecode(a), part) != NULL;
}

/* The last call failed: a FAILED line naming it. Returns RW_EIO. */
static int fail(ap *a, const char *kind, const char *what) {
    say(a, "FAILED", kind, "%s: %s", what, rw_error_last());
    return RW_EIO;
}

static int jcall(ap *a, const char *region, const rw_aws_service *svc, const char *op,
                 const rw_buf *body, rw_json_doc *doc) {
    return rw_aws_json(a->c, svc, region, op, body ? body->data : "{}", doc);
}

/* {"KEY": "value"} */
static void jreq(rw_buf *b, const char *key, const char *value) {
    rw_buf_reset(b);
    rw_buf_printf(b, "{\"%s\":", key);
    js(b, value);
    rw_buf_putc(b, '}');
}

static bool jtrue(const rw_json *o, const char *key) {
    const rw_json *v = rw_json_get(o, key);
    return v && v->type == RW_JSON_TRUE;
}

/* A [{"Key":..,"Value":..}] list holding rootwatch's tag? */
static bool json_tags_ours(const rw_json *list) {
    for (const rw_json *t = list && list->type == RW_JSON_ARRAY ? list->child : NULL; t;
         t = t->next) {
        const char *k = rw_json_get_str(t, "Key"), *v = rw_json_get_str(t, "Value");
        if (k && v && !strcmp(k, RW_APPLY_TAG_KEY) && !strcmp(v, RW_APPLY_TAG_VALUE)) return true;
    }
    return false;
}

/* XML members (first one given) with Key and Value: rootwatch's tag among them? */
static bool xml_tags_ours(const rw_xml *m) {
    for (; m; m = rw_xml_next(m, NULL)) {
        const char *k = rw_xml_text(m, "Key"), *v = rw_xml_text(m, "Value");
        if (k && v && !strcmp(k, RW_APPLY_TAG_KEY) && !strcmp(v, RW_APPLY_TAG_VALUE)) return true;
    }
    return false;
}

static void json_tags(rw_buf *b, const char *member) {
    rw_buf_printf(
        b, ",\"%s\":[{\"Key\":\"" RW_APPLY_TAG_KEY "\",\"Value\":\"" RW_APPLY_TAG_VALUE "\"}]",
        member);
}

static char *arn(ap *a, const char *svc, const char *region, const char *rest) {
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_printf(&b, "arn:%s:%s:%s:%s:%s", a->partition, svc, region ? region : "", a->account,
                  rest);
    return rw_buf_take(&b);
}

static char *log_group_arn(ap *a) {
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_printf(&b, "arn:%s:logs:%s:%s:log-group:%s:*", a->partition, a->group_region, a->account,
                  a->group_name);
    return rw_buf_take(&b);
}

static char *field(const char *arn_, int n) {
    for (int i = 0; arn_ && i < n; i++) {
        arn_ = strchr(arn_, ':');
        if (arn_) arn_++;
    }
    if (!arn_) return rw_xstrdup("");
    size_t len = strcspn(arn_, ":");
    char *s = rw_xmalloc(len + 1);
    memcpy(s, arn_, len);
    s[len] = 0;
    return s;
}

/* ---- identity -------------------------------------------------------------------------------- */

static int identity(ap *a) {
    const char *params[] = {NULL};
    rw_xml *x = NULL;
    if (rw_aws_query(a->c, &rw_aws_sts, NULL, "GetCallerIdentity", params, &x) != RW_OK)
        return fail(a, "account", "STS GetCallerIdentity");
    const char *acct = rw_xml_text(x, "GetCallerIdentityResult/Account");
    const char *w = rw_xml_text(x, "GetCallerIdentityResult/Arn");
    char *who = rw_xstrdup(w ? w : "?");
    a->account = rw_xstrdup(acct ? acct : "");
    a->partition = field(who, 1);
    if (!*a->partition || !strcmp(who, "?")) {
        free(a->partition);
        a->partition = rw_xstrdup("aws");
    }
    rw_xml_free(x);
    if (!*a->account) {
        free(who);
        say(a, "FAILED", "account", "STS GetCallerIdentity named no account");
        return RW_EIO;
    }
    rw_buf r;
    rw_buf_init(&r, 0);
    for (size_t i = 0; a->regions[i]; i++) rw_buf_printf(&r, "%s%s", i ? ", " : "", a->regions[i]);
    say(a, "account", "account", "%s (%s); trail and alarm in %s; topics and rules in %s",
        a->account, who, a->home, r.data);
    rw_buf_free(&r);
    free(who);
    return RW_OK;
}

/* ---- trails: which one records root use -------------------------------------------------------
 */

/* Does the trail (DescribeTrails' entry x) record every root use: multi-region, global, logging,
 * every management event? */
static bool trail_good(ap *a, const rw_json *x, const char *tarn, const char *home) {
    if (!jtrue(x, "IsMultiRegionTrail") || !jtrue(x, "IncludeGlobalServiceEvents")) return false;
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_buf b;
    rw_buf_init(&b, 0);
    bool good = false;
    jreq(&b, "Name", tarn);
    if (jcall(a, home, &rw_aws_cloudtrail, "GetTrailStatus", &b, doc) != RW_OK ||
        !jtrue(rw_json_doc_root(doc), "IsLogging"))
        goto out;
    jreq(&b, "TrailName", tarn);
    if (jcall(a, home, &rw_aws_cloudtrail, "GetEventSelectors", &b, doc) != RW_OK) goto out;
    const rw_json *r = rw_json_doc_root(doc);
    const rw_json *es = rw_json_get(r, "EventSelectors"),
                  *as = rw_json_get(r, "AdvancedEventSelectors");
    bool any = false;
    for (const rw_json *s = es && es->type == RW_JSON_ARRAY ? es->child : NULL; s; s = s->next) {
        any = true;
        const char *rwt = rw_json_get_str(s, "ReadWriteType");
        const rw_json *im = rw_json_get(s, "IncludeManagementEvents");
        if ((!rwt || !strcmp(rwt, "All")) && (!im || im->type == RW_JSON_TRUE)) good = true;
    }
    for (const rw_json *s = as && as->type == RW_JSON_ARRAY ? as->child : NULL; s; s = s->next) {
        any = true;
        bool mgmt = false, ro = false;
        const rw_json *fs = rw_json_get(s, "FieldSelectors");
        for (const rw_json *f = fs ? fs->child : NULL; f; f = f->next) {
            const char *fld = rw_json_get_str(f, "Field");
            const rw_json *eq = rw_json_get(f, "Equals");
            if (fld && !strcmp(fld, "eventCategory"))
                for (const rw_json *v = eq ? eq->child : NULL; v; v = v->next)
                    if (rw_json_str_is(v, "Management")) mgmt = true;
            if (fld && !strcmp(fld, "readOnly")) ro = true;
        }
        if (mgmt && !ro) good = true;
    }
    if (!any) good = true;
out:
    rw_buf_free(&b);
    rw_json_doc_free(doc);
    return good;
}

/* Reads the trails: ours (by name), or a user's that records every root use. */
static int survey_trails(ap *a, rw_json_doc *ours_doc, const rw_json **ours) {
    *ours = NULL;
    if (jcall(a, a->home, &rw_aws_cloudtrail, "DescribeTrails", NULL, ours_doc) != RW_OK)
        return fail(a, "trail", "CloudTrail DescribeTrails");
    const rw_json *list = rw_json_get(rw_json_doc_root(ours_doc), "trailList");
    const rw_json *user_logs = NULL, *user_nologs = NULL;
    for (const rw_json *x = list && list->type == RW_JSON_ARRAY ? list->child : NULL; x;
         x = x->next) {
        const char *name = rw_json_get_str(x, "Name"), *tarn = rw_json_get_str(x, "TrailARN");
        const char *home = rw_json_get_str(x, "HomeRegion");
        if (!name || !tarn) continue;
        if (!strcmp(name, TRAIL_NAME)) {
            *ours = x;
            continue;
        }
        if ((user_logs && user_nologs) || !trail_good(a, x, tarn, home ? home : a->home)) continue;
        const char *lg = rw_json_get_str(x, "CloudWatchLogsLogGroupArn");
        if (lg && *lg && !user_logs) user_logs = x;
        if (!(lg && *lg) && !user_nologs) user_nologs = x;
    }
    a->trail_mode = T_OURS;
    if (*ours) return RW_OK;
    const rw_json *u = user_logs ? user_logs : user_nologs;
    if (!u) return RW_OK;
    a->trail_mode = user_logs ? T_USER : T_USER_NO_LOGS;
    a->user_trail = rw_xstrdup(rw_json_get_str(u, "TrailARN"));
    if (user_logs) {
        const char *lg = rw_json_get_str(u, "CloudWatchLogsLogGroupArn");
        char *region = field(lg, 3), *name = field(lg, 6);
        a->group_name = name;
        a->group_region = region;
        a->group = H_THERE;
    }
    return RW_OK;
}

/* ---- bucket --------------------------------------------------------------------------------- */

static int s3(ap *a, const char *op, const char *method, const char *query, const char *body,
              rw_http_response *r) {
    rw_buf path;
    rw_buf_init(&path, 0);
    rw_buf_printf(&path, "/%s", a->bucket_name);
    int rc = rw_aws_rest(a->c, &rw_aws_s3, a->home, op, method, path.data, query, body,
                         body ? strlen(body) : 0, r);
    rw_buf_free(&path);
    return rc;
}

static char *bucket_policy(ap *a) {
    char *trail = arn(a, "cloudtrail", a->home, "trail/" TRAIL_NAME);
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_printf(&b,
                  "{\"Version\":\"2012-10-17\",\"Statement\":["
                  "{\"Sid\":\"AWSCloudTrailAclCheck\",\"Effect\":\"Allow\",\"Principal\":{"
                  "\"Service\":\"cloudtrail.amazonaws.com\"},\"Action\":\"s3:GetBucketAcl\","
                  "\"Resource\":\"arn:%s:s3:::%s\",\"Condition\":{\"StringEquals\":{"
                  "\"aws:SourceArn\":\"%s\"}}},"
                  "{\"Sid\":\"AWSCloudTrailWrite\",\"Effect\":\"Allow\",\"Principal\":{"
                  "\"Service\":\"cloudtrail.amazonaws.com\"},\"Action\":\"s3:PutObject\","
                  "\"Resource\":\"arn:%s:s3:::%s/AWSLogs/%s/*\",\"Condition\":{\"StringEquals\":{"
                  "\"s3:x-amz-acl\":\"bucket-owner-full-control\",\"aws:SourceArn\":\"%s\"}}}]}",
                  a->partition, a->bucket_name, trail, a->partition, a->bucket_name, a->account,
                  trail);
    free(trail);
    return rw_buf_take(&b);
}

/* The settings a trail bucket needs, each put when missing (all of them when fresh). */
static int bucket_settings(ap *a, bool fresh, rw_buf *done) {
    static const char pab[] =
        "<PublicAccessBlockConfiguration xmlns=\"" S3NS "\"><BlockPublicAcls>true</BlockPublicAcls>"
        "<IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy>"
        "<RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>";
    static const char sse[] =
        "<ServerSideEncryptionConfiguration xmlns=\"" S3NS "\"><Rule>"
        "<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
        "</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>";
    char *policy = bucket_policy(a);
    const struct {
        const char *query, *get, *put, *body, *what;
    } parts[] = {
        {"publicAccessBlock=", "GetPublicAccessBlock", "PutPublicAccessBlock", pab,
         "public access blocked"},
        {"encryption=", "GetBucketEncryption", "PutBucketEncryption", sse,
         "default encryption SSE-S3"},
        {"policy=", "GetBucketPolicy", "PutBucketPolicy", policy,
         "the bucket policy CloudTrail needs (aws:SourceArn the trail)"},
    };
    int rc = RW_OK;
    rw_http_response r;
    rw_http_response_init(&r);
    for (size_t i = 0; i < sizeof parts / sizeof parts[0] && rc == RW_OK; i++) {
        if (!fresh) {
            int g = s3(a, parts[i].get, "GET", parts[i].query, NULL, &r);
            if (g == RW_OK && (i != 2 || (r.body.data && strstr(r.body.data, "cloudtrail"))))
                continue;
            if (g != RW_OK && g != RW_ENOTFOUND) {
                rc = fail(a, "bucket", parts[i].get);
                break;
            }
        }
        if (a->o->dry_run) {
            rw_buf_printf(done, "%s%s", done->len ? ", " : "", parts[i].what);
            continue;
        }
        if (s3(a, parts[i].put, "PUT", parts[i].query, parts[i].body, &r) != RW_OK) {
            rc = fail(a, "bucket", parts[i].put);
            break;
        }
        rw_buf_printf(done, "%s%s", done->len ? ", " : "", parts[i].what);
    }
    rw_http_response_free(&r);
    free(policy);
    return rc;
}

static int bucket_tagged(ap *a, bool *ours) {
    rw_http_response r;
    rw_http_response_init(&r);
    int rc = s3(a, "GetBucketTagging", "GET", "tagging=", NULL, &r);
    *ours = false;
    if (rc == RW_OK) {
        rw_xml *x = NULL;
        if (rw_xml_parse(&x, r.body.data ? r.body.data : "", r.body.len) == RW_OK)
            *ours = xml_tags_ours(rw_xml_find(x, "TagSet/Tag"));
        rw_xml_free(x);
    } else if (rc == RW_ENOTFOUND || ecode_has(a, "NoSuchTagSet")) {
        rc = RW_OK;
    }
    rw_http_response_free(&r);
    return rc;
}

static int bucket_apply(ap *a, const rw_json *our_trail) {
    if (a->trail_mode != T_OURS) {
        say(a, "skipped", "bucket", "trail %s of yours records root use: no bucket needed",
            a->user_trail);
        return RW_OK;
    }
    const char *named = our_trail ? rw_json_get_str(our_trail, "S3BucketName") : NULL;
    rw_buf n;
    rw_buf_init(&n, 0);
    if (named)
        rw_buf_puts(&n, named);
    else
        rw_buf_printf(&n, RW_APPLY_BUCKET_PREFIX "%s-%s", a->account, a->home);
    a->bucket_name = rw_buf_take(&n);
    rw_http_response r;
    rw_http_response_init(&r);
    int head = s3(a, "HeadBucket", "HEAD", NULL, NULL, &r);
    rw_http_response_free(&r);
    rw_buf done;
    rw_buf_init(&done, 0);
    int rc = RW_OK;
    if (head == RW_OK) {
        bool ours;
        if (bucket_tagged(a, &ours) != RW_OK) {
            rc = fail(a, "bucket", "S3 GetBucketTagging");
        } else if (!ours) {
            say(a, "REFUSED", "bucket",
                "s3://%s exists and is not rootwatch's (no tag " TAG
                "): rootwatch changes nothing it did not create; delete or rename it, or give "
                "the trail another region (--region)",
                a->bucket_name);
            rc = RW_EIO;
        } else if ((rc = bucket_settings(a, false, &done)) == RW_OK) {
            a->bucket = H_THERE;
            if (done.len)
                say(a, a->o->dry_run ? "would update" : "updated", "bucket", "s3://%s: %s",
                    a->bucket_name, done.data);
            else
                say(a, "already there", "bucket",
                    "s3://%s (tag " TAG "): policy for CloudTrail, public access blocked, "
                    "encrypted",
                    a->bucket_name);
        }
    } else if (head != RW_ENOTFOUND) {
        if (rw_aws_client_error(a->c)->status == 403)
            say(a, "REFUSED", "bucket",
                "s3://%s: HeadBucket answered 403: the bucket belongs to another account (bucket "
                "names are global: choose another --region), or this identity may not read it "
                "(s3:ListBucket)",
                a->bucket_name);
        else
            fail(a, "bucket", "S3 HeadBucket");
        rc = RW_EIO;
    } else if (a->o->dry_run) {
        a->bucket = H_PLANNED;
        say(a, "would create", "bucket",
            "s3://%s in %s: tag " TAG ", public access blocked, default encryption SSE-S3, the "
            "bucket policy CloudTrail needs",
            a->bucket_name, a->home);
    } else {
        rw_buf body;
        rw_buf_init(&body, 0);
        if (strcmp(a->home, "us-east-1"))
            rw_buf_printf(&body,
                          "<CreateBucketConfiguration xmlns=\"" S3NS "\"><LocationConstraint>%s"
                          "</LocationConstraint></CreateBucketConfiguration>",
                          a->home);
        static const char tags[] =
            "<Tagging xmlns=\"" S3NS "\"><TagSet><Tag><Key>" RW_APPLY_TAG_KEY
            "</Key><Value>" RW_APPLY_TAG_VALUE "</Value></Tag></TagSet></Tagging>";
        rw_http_response_init(&r);
        if (s3(a, "CreateBucket", "PUT", NULL, body.len ? body.data : NULL, &r) != RW_OK)
            rc = fail(a, "bucket", "S3 CreateBucket");
        else if (s3(a, "PutBucketTagging", "PUT", "tagging=", tags, &r) != RW_OK)
            rc = fail(a, "bucket", "S3 PutBucketTagging");
        else if ((rc = bucket_settings(a, true, &done)) == RW_OK) {
            a->bucket = H_THERE;
            say(a, "created", "bucket", "s3://%s in %s: tag " TAG ", %s", a->bucket_name, a->home,
                done.data);
        }
        rw_http_response_free(&r);
        rw_buf_free(&body);
    }
    rw_buf_free(&done);
    return rc;
}

static int on_object(void *ctx, const rw_s3_object *o) {
    ap *a = ctx;
    rw_buf path;
    rw_buf_init(&path, 0);
    rw_buf_printf(&path, "/%s/", a->bucket_name);
    for (const char *p = o->key; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            strchr("-_.~/", ch))
            rw_buf_putc(&path, (char)ch);
        else
            rw_buf_printf(&path, "%%%02X", ch);
    }
    rw_http_response r;
    rw_http_response_init(&r);
    int rc = rw_aws_rest(a->c, &rw_aws_s3, a->home, "DeleteObject", "DELETE", path.data, NULL, NULL,
                         0, &r);
    rw_http_response_free(&r);
    rw_buf_free(&path);
    return rc;
}

static int bucket_destroy(ap *a) {
    rw_buf n;
    rw_buf_init(&n, 0);
    rw_buf_printf(&n, RW_APPLY_BUCKET_PREFIX "%s-%s", a->account, a->home);
    if (!a->bucket_name) a->bucket_name = rw_buf_take(&n);
    rw_buf_free(&n);
    rw_http_response r;
    rw_http_response_init(&r);
    int head = s3(a, "HeadBucket", "HEAD", NULL, NULL, &r);
    rw_http_response_free(&r);
    if (head == RW_ENOTFOUND) {
        say(a, "not there", "bucket", "s3://%s", a->bucket_name);
        return RW_OK;
    }
    if (head != RW_OK) {
        if (rw_aws_client_error(a->c)->status == 403) {
            say(a, "left", "bucket", "s3://%s: not readable, so not rootwatch's", a->bucket_name);
            return RW_OK;
        }
        return fail(a, "bucket", "S3 HeadBucket");
    }
    bool ours;
    if (bucket_tagged(a, &ours) != RW_OK) return fail(a, "bucket", "S3 GetBucketTagging");
    if (!ours) {
        say(a, "left", "bucket", "s3://%s: no tag " TAG ", not rootwatch's", a->bucket_name);
        return RW_OK;
    }
    if (!a->o->delete_bucket) {
        say(a, "kept", "bucket",
            "s3://%s holds the trail's logs: kept (--delete-bucket deletes it and them)",
            a->bucket_name);
        return RW_OK;
    }
    if (a->o->dry_run) {
        say(a, "would delete", "bucket", "s3://%s and every log file in it", a->bucket_name);
        return RW_OK;
    }
    if (rw_s3_list(a->c, a->home, a->bucket_name, "", NULL, on_object, a) != RW_OK)
        return fail(a, "bucket", "emptying the bucket");
    rw_http_response_init(&r);
    int rc = s3(a, "DeleteBucket", "DELETE", NULL, NULL, &r);
    rw_http_response_free(&r);
    if (rc != RW_OK) return fail(a, "bucket", "S3 DeleteBucket");
    say(a, "deleted", "bucket", "s3://%s and the logs in it", a->bucket_name);
    return RW_OK;
}

/* ---- log group -------------------------------------------------------------------------------
 */

/* 1 ours, 0 not there, -1 someone else's, -2 failed; *retention its retention (0: none) */
static int group_find(ap *a, long *retention) {
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_buf b;
    rw_buf_init(&b, 0);
    jreq(&b, "logGroupNamePrefix", LOG_GROUP);
    int out = 0;
    *retention = 0;
    if (jcall(a, a->home, &rw_aws_logs, "DescribeLogGroups", &b, doc) != RW_OK) {
        fail(a, "log group", "CloudWatch Logs DescribeLogGroups");
        out = -2;
        goto done;
    }
    const rw_json *l = rw_json_get(rw_json_doc_root(doc), "logGroups");
    for (const rw_json *x = l && l->type == RW_JSON_ARRAY ? l->child : NULL; x; x = x->next) {
        const char *name = rw_json_get_str(x, "logGroupName");
        if (!name || strcmp(name, LOG_GROUP)) continue;
        const rw_json *r = rw_json_get(x, "retentionInDays");
        if (r && r->type == RW_JSON_NUMBER) *retention = (long)r->num;
        out = -1;
    }
    if (out == -1) {
        jreq(&b, "logGroupName", LOG_GROUP);
        if (jcall(a, a->home, &rw_aws_logs, "ListTagsLogGroup", &b, doc) != RW_OK) {
            fail(a, "log group", "CloudWatch Logs ListTagsLogGroup");
            out = -2;
            goto done;
        }
        const char *v =
            rw_json_get_str(rw_json_get(rw_json_doc_root(doc), "tags"), RW_APPLY_TAG_KEY);
        if (v && !strcmp(v, RW_APPLY_TAG_VALUE)) out = 1;
    }
done:
    rw_buf_free(&b);
    rw_json_doc_free(doc);
    return out;
}

static int group_apply(ap *a) {
    if (a->trail_mode == T_USER) {
        say(a, "yours", "log group", "%s (%s), where your trail %s delivers: left as it is",
            a->group_name, a->group_region, a->user_trail);
        return RW_OK;
    }
    if (a->trail_mode == T_USER_NO_LOGS) {
        say(a, "skipped", "log group",
            "your trail %s records root use but delivers to no log group, and rootwatch changes "
            "no trail it did not create (a second trail would be a paid copy of every management "
            "event): aws cloudtrail update-trail --name %s --cloud-watch-logs-log-group-arn "
            "GROUP_ARN --cloud-watch-logs-role-arn ROLE_ARN, then run apply again",
            a->user_trail, a->user_trail);
        return RW_OK;
    }
    long days = a->o->log_retention_days > 0 ? a->o->log_retention_days : 90, have_days;
    a->group_name = rw_xstrdup(LOG_GROUP);
    a->group_region = rw_xstrdup(a->home);
    a->group_ours = true;
    int f = group_find(a, &have_days);
    if (f == -2) return RW_EIO;
    if (f == -1) {
        say(a, "REFUSED", "log group",
            "%s exists in %s and is not rootwatch's (no tag " TAG "): delete or rename it",
            LOG_GROUP, a->home);
        return RW_EIO;
    }
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_buf b;
    rw_buf_init(&b, 0);
    int rc = RW_OK;
    if (f == 0) {
        if (a->o->dry_run) {
            a->group = H_PLANNED;
            say(a, "would create", "log group", "%s in %s, tag " TAG ", retention %ld days",
                LOG_GROUP, a->home, days);
            goto out;
        }
        rw_buf_puts(&b, "{\"logGroupName\":\"" LOG_GROUP "\",\"tags\":{\"" RW_APPLY_TAG_KEY
                        "\":\"" RW_APPLY_TAG_VALUE "\"}}");
        if (jcall(a, a->home, &rw_aws_logs, "CreateLogGroup", &b, doc) != RW_OK) {
            rc = fail(a, "log group", "CloudWatch Logs CreateLogGroup");
            goto out;
        }
    }
    if (f == 0 || have_days != days) {
        if (a->o->dry_run) {
            a->group = H_THERE;
            say(a, "would update", "log group", "%s: retention %ld days (now %ld)", LOG_GROUP, days,
                have_days);
            goto out;
        }
        rw_buf_reset(&b);
        rw_buf_printf(&b, "{\"logGroupName\":\"" LOG_GROUP "\",\"retentionInDays\":%ld}", days);
        if (jcall(a, a->home, &rw_aws_logs, "PutRetentionPolicy", &b, doc) != RW_OK) {
            rc = fail(a, "log group", "CloudWatch Logs PutRetentionPolicy");
            goto out;
        }
    }
    a->group = H_THERE;
    if (f == 0)
        say(a, "created", "log group", "%s in %s, tag " TAG ", retention %ld days", LOG_GROUP,
            a->home, days);
    else if (have_days != days)
        say(a, "updated", "log group", "%s: retention %ld days", LOG_GROUP, days);
    else
        say(a, "already there", "log group", "%s in %s (tag " TAG "), retention %ld days",
            LOG_GROUP, a->home, days);
out:
    rw_buf_free(&b);
    rw_json_doc_free(doc);
    return rc;
}

static int group_destroy(ap *a) {
    long days;
    int f = group_find(a, &days);
    if (f == -2) return RW_EIO;
    if (f == 0) {
        say(a, "not there", "log group", "%s (%s)", LOG_GROUP, a->home);
        return RW_OK;
    }
    if (f == -1) {
        say(a, "left", "log group", "%s: no tag " TAG ", not rootwatch's", LOG_GROUP);
        return RW_OK;
    }
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_buf b;
    rw_buf_init(&b, 0);
    int rc = RW_OK;
    /* the metric filter first: metric filters cannot be tagged, they are rootwatch's as the
     * group is */
    rw_buf_puts(&b,
                "{\"logGroupName\":\"" LOG_GROUP "\",\"filterNamePrefix\":\"" FILTER_NAME "\"}");
    bool filter = false;
    if (jcall(a, a->home, &rw_aws_logs, "DescribeMetricFilters", &b, doc) == RW_OK) {
        const rw_json *l = rw_json_get(rw_json_doc_root(doc), "metricFilters");
        for (const rw_json *x = l && l->type == RW_JSON_ARRAY ? l->child : NULL; x; x = x->next) {
            const char *n = rw_json_get_str(x, "filterName");
            if (n && !strcmp(n, FILTER_NAME)) filter = true;
        }
    }
    if (a->o->dry_run) {
        if (filter) say(a, "would delete", "metric filter", FILTER_NAME " on %s", LOG_GROUP);
        say(a, "would delete", "log group", "%s (%s)", LOG_GROUP, a->home);
        goto out;
    }
    if (filter) {
        rw_buf_reset(&b);
        rw_buf_puts(&b, "{\"logGroupName\":\"" LOG_GROUP "\",\"filterName\":\"" FILTER_NAME "\"}");
        if (jcall(a, a->home, &rw_aws_logs, "DeleteMetricFilter", &b, doc) != RW_OK) {
            rc = fail(a, "metric filter", "CloudWatch Logs DeleteMetricFilter");
            goto out;
        }
        say(a, "deleted", "metric filter", FILTER_NAME " on %s", LOG_GROUP);
    }
    jreq(&b, "logGroupName", LOG_GROUP);
    if (jcall(a, a->home, &rw_aws_logs, "DeleteLogGroup", &b, doc) != RW_OK)
        rc = fail(a, "log group", "CloudWatch Logs DeleteLogGroup");
    else
        say(a, "deleted", "log group", "%s (%s) and the events in it", LOG_GROUP, a->home);
out:
    rw_buf_free(&b);
    rw_json_doc_free(doc);
    return rc;
}

/* ---- role ------------------------------------------------------------------------------------ */

static char *role_policy(ap *a) {
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_printf(
        &b,
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"DeliverToItsLogGroup\","
        "\"Effect\":\"Allow\",\"Action\":[\"logs:CreateLogStream\",\"logs:PutLogEvents\"],"
        "\"Resource\":\"arn:%s:logs:%s:%s:log-group:" LOG_GROUP ":log-stream:*\"}]}",
        a->partition, a->home, a->account);
    return rw_buf_take(&b);
}

/* 1 ours, 0 not there, -1 someone else's, -2 failed */
static int role_find(ap *a) {
    const char *params[] = {"RoleName", ROLE_NAME, NULL};
    rw_xml *x = NULL;
    int out;
    if (rw_aws_query(a->c, &rw_aws_iam, NULL, "GetRole", params, &x) != RW_OK) {
        if (ecode_has(a, "NoSuchEntity")) return 0;
        fail(a, "role", "IAM GetRole");
        return -2;
    }
    out = xml_tags_ours(rw_xml_find(x, "GetRoleResult/Role/Tags/member")) ? 1 : -1;
    const char *r = rw_xml_text(x, "GetRoleResult/Role/Arn");
    if (r) {
        free(a->role_arn);
        a->role_arn = rw_xstrdup(r);
    }
    rw_xml_free(x);
    return out;
}

static int role_apply(ap *a) {
    if (a->trail_mode != T_OURS) {
        say(a, "skipped", "role", "the trail is yours: no delivery role needed");
        return RW_OK;
    }
    int f = role_find(a);
    if (f == -2) return RW_EIO;
    if (f == -1) {
        say(a, "REFUSED", "role",
            ROLE_NAME " exists and is not rootwatch's (no tag " TAG "): delete or rename it");
        return RW_EIO;
    }
    char *policy = role_policy(a);
    char *trail = arn(a, "cloudtrail", a->home, "trail/" TRAIL_NAME);
    int rc = RW_OK;
    rw_xml *x = NULL;
    if (!a->role_arn) {
        rw_buf r;
        rw_buf_init(&r, 0);
        rw_buf_printf(&r, "arn:%s:iam::%s:role/" ROLE_NAME, a->partition, a->account);
        a->role_arn = rw_buf_take(&r);
    }
    bool has_policy = false;
    if (f == 1) {
        const char *params[] = {"RoleName", ROLE_NAME, "PolicyName", ROLE_NAME, NULL};
        if (rw_aws_query(a->c, &rw_aws_iam, NULL, "GetRolePolicy", params, &x) == RW_OK)
            has_policy = true;
        else if (!ecode_has(a, "NoSuchEntity")) {
            rc = fail(a, "role", "IAM GetRolePolicy");
            goto out;
        }
        rw_xml_free(x);
        x = NULL;
    }
    if (f == 1 && has_policy) {
        a->role = H_THERE;
        say(a, "already there", "role",
            "%s (tag " TAG "): CloudTrail may write to " LOG_GROUP " and nothing else",
            a->role_arn);
        goto out;
    }
    if (a->o->dry_run) {
        a->role = f == 1 ? H_THERE : H_PLANNED;
        say(a, f == 1 ? "would update" : "would create", "role",
            "%s: trusted by cloudtrail.amazonaws.com for trail %s only; logs:CreateLogStream, "
            "logs:PutLogEvents on " LOG_GROUP,
            a->role_arn, trail);
        goto out;
    }
    if (f == 0) {
        rw_buf trust;
        rw_buf_init(&trust, 0);
        rw_buf_printf(&trust,
                      "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                      "\"Principal\":{\"Service\":\"cloudtrail.amazonaws.com\"},\"Action\":"
                      "\"sts:AssumeRole\",\"Condition\":{\"StringEquals\":{\"aws:SourceArn\":"
                      "\"%s\"}}}]}",
                      trail);
        const char *params[] = {"RoleName",
                                ROLE_NAME,
                                "AssumeRolePolicyDocument",
                                trust.data,
                                "Description",
                                "rootwatch: CloudTrail delivers trail " TRAIL_NAME
                                " to log group " LOG_GROUP,
                                "Tags.member.1.Key",
                                RW_APPLY_TAG_KEY,
                                "Tags.member.1.Value",
                                RW_APPLY_TAG_VALUE,
                                NULL};
        int c = rw_aws_query(a->c, &rw_aws_iam, NULL, "CreateRole", params, &x);
        rw_buf_free(&trust);
        if (c != RW_OK) {
            rc = fail(a, "role", "IAM CreateRole");
            goto out;
        }
        const char *r = rw_xml_text(x, "CreateRoleResult/Role/Arn");
        if (r) {
            free(a->role_arn);
            a->role_arn = rw_xstrdup(r);
        }
        rw_xml_free(x);
        x = NULL;
    }
    const char *params[] = {"RoleName",       ROLE_NAME, "PolicyName", ROLE_NAME,
                            "PolicyDocument", policy,    NULL};
    if (rw_aws_query(a->c, &rw_aws_iam, NULL, "PutRolePolicy", params, &x) != RW_OK) {
        rc = fail(a, "role", "IAM PutRolePolicy");
        goto out;
    }
    a->role = H_THERE;
    say(a, f == 0 ? "created" : "updated", "role",
        "%s, tag " TAG ": trusted by cloudtrail.amazonaws.com for trail %s only; "
        "logs:CreateLogStream, logs:PutLogEvents on " LOG_GROUP,
        a->role_arn, trail);
out:
    rw_xml_free(x);
    free(policy);
    free(trail);
    return rc;
}

static int role_destroy(ap *a) {
    int f = role_find(a);
    if (f == -2) return RW_EIO;
    if (f == 0) {
        say(a, "not there", "role", ROLE_NAME);
        return RW_OK;
    }
    if (f == -1) {
        say(a, "left", "role", ROLE_NAME ": no tag " TAG ", not rootwatch's");
        return RW_OK;
    }
    if (a->o->dry_run) {
        say(a, "would delete", "role", "%s and its policy " ROLE_NAME, a->role_arn);
        return RW_OK;
    }
    rw_xml *x = NULL;
    const char *p1[] = {"RoleName", ROLE_NAME, "PolicyName", ROLE_NAME, NULL};
    if (rw_aws_query(a->c, &rw_aws_iam, NULL, "DeleteRolePolicy", p1, &x) != RW_OK &&
        !ecode_has(a, "NoSuchEntity"))
        return fail(a, "role", "IAM DeleteRolePolicy");
    rw_xml_free(x);
    x = NULL;
    const char *p2[] = {"RoleName", ROLE_NAME, NULL};
    if (rw_aws_query(a->c, &rw_aws_iam, NULL, "DeleteRole", p2, &x) != RW_OK)
        return fail(a, "role", "IAM DeleteRole");
    rw_xml_free(x);
    say(a, "deleted", "role", "%s", a->role_arn);
    return RW_OK;
}

/* ---- trail ------------------------------------------------------------------------------------
 */

static bool trail_tagged(ap *a, const char *tarn, const char *home, int *err) {
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_puts(&b, "{\"ResourceIdList\":[");
    js(&b, tarn);
    rw_buf_puts(&b, "]}");
    bool ours = false;
    *err = jcall(a, home, &rw_aws_cloudtrail, "ListTags", &b, doc);
    if (*err == RW_OK) {
        const rw_json *l = rw_json_get(rw_json_doc_root(doc), "ResourceTagList");
        for (const rw_json *x = l && l->type == RW_JSON_ARRAY ? l->child : NULL; x; x = x->next)
            if (json_tags_ours(rw_json_get(x, "TagsList"))) ours = true;
    }
    rw_buf_free(&b);
    rw_json_doc_free(doc);
    return ours;
}

/* CreateTrail or UpdateTrail's body: the trail's settings */
static void trail_body(ap *a, rw_buf *b, const char *name, bool tags) {
    char *group = log_group_arn(a);
    rw_buf_reset(b);
    rw_buf_puts(b, "{\"Name\":");
    js(b, name);
    rw_buf_puts(b, ",\"S3BucketName\":");
    js(b, a->bucket_name);
    rw_buf_puts(b, ",\"IsMultiRegionTrail\":true,\"IncludeGlobalServiceEvents\":true,"
                   "\"EnableLogFileValidation\":true,\"CloudWatchLogsLogGroupArn\":");
    js(b, group);
    rw_buf_puts(b, ",\"CloudWatchLogsRoleArn\":");
    js(b, a->role_arn);
    if (tags) json_tags(b, "TagsList");
    rw_buf_putc(b, '}');
    free(group);
}

static int trail_apply(ap *a, const rw_json *ours) {
    if (a->trail_mode != T_OURS) {
        say(a, "yours", "trail",
            "%s records every root use (multi-region, logging, global service events, every "
            "management event): left as it is",
            a->user_trail);
        a->trail = H_THERE;
        return RW_OK;
    }
    if (a->bucket == H_NONE || a->group == H_NONE || a->role == H_NONE) {
        say(a, "skipped", "trail", "depends on the bucket, log group and role above");
        return RW_EIO;
    }
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_buf b, what;
    rw_buf_init(&b, 0);
    rw_buf_init(&what, 0);
    int rc = RW_OK;
    const char *tarn = ours ? rw_json_get_str(ours, "TrailARN") : NULL;
    const char *home = ours ? rw_json_get_str(ours, "HomeRegion") : NULL;
    if (!home) home = a->home;
    char *want_group = log_group_arn(a);
    if (ours) {
        int err;
        bool tagged = trail_tagged(a, tarn, home, &err);
        if (err != RW_OK) {
            rc = fail(a, "trail", "CloudTrail ListTags");
            goto out;
        }
        if (!tagged) {
            say(a, "REFUSED", "trail",
                "%s exists and is not rootwatch's (no tag " TAG "): rootwatch changes nothing "
                "it did not create",
                tarn);
            rc = RW_EIO;
            goto out;
        }
        a->trail_arn = rw_xstrdup(tarn);
        const char *g = rw_json_get_str(ours, "CloudWatchLogsLogGroupArn");
        const char *r = rw_json_get_str(ours, "CloudWatchLogsRoleArn");
        if (!jtrue(ours, "IsMultiRegionTrail") || !jtrue(ours, "IncludeGlobalServiceEvents") ||
            !jtrue(ours, "LogFileValidationEnabled") || !g || strcmp(g, want_group) || !r ||
            strcmp(r, a->role_arn))
            rw_buf_puts(&what, "settings (multi-region, global, validation, log group)");
        if (!trail_good(a, ours, tarn, home))
            rw_buf_printf(&what, "%slogging of every management event", what.len ? ", " : "");
        if (!what.len) {
            a->trail = H_THERE;
            say(a, "already there", "trail",
                "%s (tag " TAG "): multi-region, log file validation, every management event, "
                "logging, delivering to %s",
                tarn, want_group);
            goto out;
        }
        if (a->o->dry_run) {
            a->trail = H_THERE;
            say(a, "would update", "trail", "%s: %s", tarn, what.data);
            goto out;
        }
        trail_body(a, &b, tarn, false);
        if (jcall(a, home, &rw_aws_cloudtrail, "UpdateTrail", &b, doc) != RW_OK) {
            rc = fail(a, "trail", "CloudTrail UpdateTrail");
            goto out;
        }
    } else {
        char *t = arn(a, "cloudtrail", a->home, "trail/" TRAIL_NAME);
        a->trail_arn = t;
        if (a->o->dry_run) {
            a->trail = H_PLANNED;
            say(a, "would create", "trail",
                "%s: multi-region, global service events, log file validation, every management "
                "event (read and write), to s3://%s and %s; tag " TAG "; logging started",
                t, a->bucket_name, want_group);
            goto out;
        }
        trail_body(a, &b, TRAIL_NAME, true);
        /* a new role takes a few seconds to be usable by CloudTrail */
        for (int i = 0;; i++) {
            if (jcall(a, a->home, &rw_aws_cloudtrail, "CreateTrail", &b, doc) == RW_OK) break;
            if (i < 8 && (ecode_has(a, "InvalidCloudWatchLogsRoleArn") ||
                          ecode_has(a, "InsufficientS3BucketPolicy") ||
                          ecode_has(a, "InvalidCloudWatchLogsLogGroupArn"))) {
                sleep(3);
                continue;
            }
            rc = fail(a, "trail", "CloudTrail CreateTrail");
            goto out;
        }
        const char *made = rw_json_get_str(rw_json_doc_root(doc), "TrailARN");
        if (made) {
            free(a->trail_arn);
            a->trail_arn = rw_xstrdup(made);
        }
    }
    rw_buf_reset(&b);
    /* by name in its home region (moto's StartLogging takes no ARN) */
    rw_buf_puts(&b, "{\"TrailName\":\"" TRAIL_NAME "\"");
    rw_buf_puts(&b, ",\"EventSelectors\":[{\"ReadWriteType\":\"All\","
                    "\"IncludeManagementEvents\":true}]}");
    if (jcall(a, home, &rw_aws_cloudtrail, "PutEventSelectors", &b, doc) != RW_OK) {
        rc = fail(a, "trail", "CloudTrail PutEventSelectors");
        goto out;
    }
    jreq(&b, "Name", TRAIL_NAME);
    if (jcall(a, home, &rw_aws_cloudtrail, "StartLogging", &b, doc) != RW_OK) {
        rc = fail(a, "trail", "CloudTrail StartLogging");
        goto out;
    }
    a->trail = H_THERE;
    if (ours)
        say(a, "updated", "trail", "%s: %s", a->trail_arn, what.data);
    else
        say(a, "created", "trail",
            "%s: multi-region, global service events, log file validation, every management "
            "event (read and write), to s3://%s and %s; tag " TAG "; logging",
            a->trail_arn, a->bucket_name, want_group);
out:
    free(want_group);
    rw_buf_free(&b);
    rw_buf_free(&what);
    rw_json_doc_free(doc);
    return rc;
}

static int trail_destroy(ap *a) {
    rw_json_doc *doc = rw_json_doc_new(NULL);
    int rc = RW_OK;
    if (jcall(a, a->home, &rw_aws_cloudtrail, "DescribeTrails", NULL, doc) != RW_OK) {
        rc = fail(a, "trail", "CloudTrail DescribeTrails");
        goto out;
    }
    const rw_json *l = rw_json_get(rw_json_doc_root(doc), "trailList"), *ours = NULL;
    for (const rw_json *x = l && l->type == RW_JSON_ARRAY ? l->child : NULL; x; x = x->next) {
        const char *n = rw_json_get_str(x, "Name");
        if (n && !strcmp(n, TRAIL_NAME)) ours = x;
    }
    if (!ours) {
        say(a, "not there", "trail", TRAIL_NAME);
        goto out;
    }
    const char *tarn = rw_json_get_str(ours, "TrailARN");
    const char *home = rw_json_get_str(ours, "HomeRegion");
    const char *bucket = rw_json_get_str(ours, "S3BucketName");
    if (!home) home = a->home;
    int err;
    bool tagged = trail_tagged(a, tarn, home, &err);
    if (err != RW_OK) {
        rc = fail(a, "trail", "CloudTrail ListTags");
        goto out;
    }
    if (!tagged) {
        say(a, "left", "trail", "%s: no tag " TAG ", not rootwatch's", tarn);
        goto out;
    }
    if (bucket && !a->bucket_name) a->bucket_name = rw_xstrdup(bucket);
    if (a->o->dry_run) {
        say(a, "would delete", "trail", "%s", tarn);
        goto out;
    }
    rw_buf b;
    rw_buf_init(&b, 0);
    jreq(&b, "Name", TRAIL_NAME); /* by name in its home region, as StartLogging */
    if (jcall(a, home, &rw_aws_cloudtrail, "DeleteTrail", &b, doc) != RW_OK)
        rc = fail(a, "trail", "CloudTrail DeleteTrail");
    else
        say(a, "deleted", "trail", "%s (its logs stay in the bucket)", tarn);
    rw_buf_free(&b);
out:
    rw_json_doc_free(doc);
    return rc;
}

/* ---- metric filter --------------------------------------------------------------------------- */

static int filter_apply(ap *a) {
    if (a->group == H_NONE) {
        say(a, "skipped", "metric filter", "no log group receives the trail (see above)");
        return a->trail_mode == T_USER_NO_LOGS ? RW_OK : RW_EIO;
    }
    if (a->group == H_PLANNED) {
        a->metric = H_PLANNED;
        a->metric_name = rw_xstrdup(METRIC_NAME);
        a->metric_ns = rw_xstrdup(METRIC_NS);
        say(a, "would create", "metric filter",
            FILTER_NAME " on %s: '" CIS_FILTER "' -> metric " METRIC_NS "/" METRIC_NAME,
            a->group_name);
        return RW_OK;
    }
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_buf b;
    rw_buf_init(&b, 0);
    jreq(&b, "logGroupName", a->group_name);
    int rc = RW_OK;
    bool ours_wrong = false;
    if (jcall(a, a->group_region, &rw_aws_logs, "DescribeMetricFilters", &b, doc) != RW_OK) {
        rc = fail(a, "metric filter", "CloudWatch Logs DescribeMetricFilters");
        goto out;
    }
    const rw_json *l = rw_json_get(rw_json_doc_root(doc), "metricFilters");
    const rw_json *good = NULL;
    for (const rw_json *x = l && l->type == RW_JSON_ARRAY ? l->child : NULL; x; x = x->next) {
        const char *n = rw_json_get_str(x, "filterName"), *p = rw_json_get_str(x, "filterPattern");
        const rw_json *mt = rw_json_get(x, "metricTransformations");
        if (!n || !p || !mt || mt->type != RW_JSON_ARRAY || !mt->child) continue;
        rw_cwl_filter *f = NULL;
        bool catches =
            rw_cwl_filter_compile(&f, p, strlen(p)) == RW_OK && rw_cwl_filter_root_wrong(f) == 0;
        rw_cwl_filter_free(f);
        bool named = !strcmp(n, FILTER_NAME);
        if (catches && (!good || named)) good = x;
        if (named && !catches) ours_wrong = true;
    }
    if (good) {
        const rw_json *t = rw_json_get(good, "metricTransformations")->child;
        const char *mn = rw_json_get_str(t, "metricName"),
                   *ns = rw_json_get_str(t, "metricNamespace");
        const char *n = rw_json_get_str(good, "filterName");
        if (mn && ns) {
            a->metric = H_THERE;
            a->metric_name = rw_xstrdup(mn);
            a->metric_ns = rw_xstrdup(ns);
            bool ours = a->group_ours && !strcmp(n, FILTER_NAME);
            say(a, ours ? "already there" : "yours", "metric filter",
                "%s on %s catches every canonical root case and nothing else -> metric %s/%s%s", n,
                a->group_name, ns, mn, ours ? "" : ": left as it is");
            goto out;
        }
    }
    if (!a->group_ours) {
        say(a, "skipped", "metric filter",
            "no filter on your log group %s catches root use, and rootwatch adds nothing to a "
            "log group it did not create: aws logs put-metric-filter --region %s "
            "--log-group-name %s --filter-name RootAccountUsage --metric-transformations "
            "metricName=RootAccountUsage,metricNamespace=CISBenchmark,metricValue=1 "
            "--filter-pattern '" CIS_FILTER "'",
            a->group_name, a->group_region, a->group_name);
        goto out;
    }
    a->metric_name = rw_xstrdup(METRIC_NAME);
    a->metric_ns = rw_xstrdup(METRIC_NS);
    if (a->o->dry_run) {
        a->metric = H_PLANNED;
        say(a, ours_wrong ? "would update" : "would create", "metric filter",
            FILTER_NAME " on %s: '" CIS_FILTER "' -> metric " METRIC_NS "/" METRIC_NAME,
            a->group_name);
        goto out;
    }
    rw_buf_reset(&b);
    rw_buf_puts(&b, "{\"logGroupName\":");
    js(&b, a->group_name);
    rw_buf_puts(&b, ",\"filterName\":\"" FILTER_NAME "\",\"filterPattern\":");
    js(&b, CIS_FILTER);
    rw_buf_puts(&b, ",\"metricTransformations\":[{\"metricName\":\"" METRIC_NAME
                    "\",\"metricNamespace\":\"" METRIC_NS "\",\"metricValue\":\"1\"}]}");
    if (jcall(a, a->group_region, &rw_aws_logs, "PutMetricFilter", &b, doc) != RW_OK) {
        rc = fail(a, "metric filter", "CloudWatch Logs PutMetricFilter");
        goto out;
    }
    a->metric = H_THERE;
    say(a, ours_wrong ? "updated" : "created", "metric filter",
        FILTER_NAME " on %s: '" CIS_FILTER "' -> metric " METRIC_NS "/" METRIC_NAME, a->group_name);
out:
    rw_buf_free(&b);
    rw_json_doc_free(doc);
    return rc;
}

/* ---- topics ---------------------------------------------------------------------------------- */

static char *topic_arn(ap *a, const char *region) {
    return arn(a, "sns", region, TOPIC_NAME);
}

static char *topic_policy(ap *a, const char *region, const char *t) {
    char *rule = arn(a, "events", region, "rule/" RULE_NAME);
    char *alarm = arn(a, "cloudwatch", region, "alarm:" ALARM_NAME);
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_printf(&b,
                  "{\"Version\":\"2012-10-17\",\"Statement\":["
                  "{\"Sid\":\"RootwatchRule\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
                  "\"events.amazonaws.com\"},\"Action\":\"sns:Publish\",\"Resource\":\"%s\","
                  "\"Condition\":{\"ArnEquals\":{\"aws:SourceArn\":\"%s\"}}},"
                  "{\"Sid\":\"RootwatchAlarm\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
                  "\"cloudwatch.amazonaws.com\"},\"Action\":\"sns:Publish\",\"Resource\":\"%s\","
                  "\"Condition\":{\"ArnEquals\":{\"aws:SourceArn\":\"%s\"}}}]}",
                  t, rule, t, alarm);
    free(rule);
    free(alarm);
    return rw_buf_take(&b);
}

/* Does the topic's policy (may be NULL) let rule RULE_NAME (EventBridge) and alarm ALARM_NAME
 * (CloudWatch) of this region publish to it, as aws/respolicy.h evaluates it? */
static bool topic_policy_lets_both(ap *a, const char *region, const char *t, const char *policy) {
    if (!policy) return false;
    char *rule = arn(a, "events", region, "rule/" RULE_NAME);
    char *alarm = arn(a, "cloudwatch", region, "alarm:" ALARM_NAME);
    rw_respolicy_request events = {"events.amazonaws.com", "sns:Publish", t, rule, a->account};
    rw_respolicy_request cw = {"cloudwatch.amazonaws.com", "sns:Publish", t, alarm, a->account};
    bool ok = rw_respolicy_eval(policy, strlen(policy), &events, NULL) == RW_RESPOLICY_ALLOWED &&
              rw_respolicy_eval(policy, strlen(policy), &cw, NULL) == RW_RESPOLICY_ALLOWED;
    free(rule);
    free(alarm);
    return ok;
}

/* 1 ours, 0 not there, -1 someone else's, -2 failed; *policy its Policy attribute (new) */
static int topic_find(ap *a, const char *region, const char *t, char **policy) {
    const char *params[] = {"TopicArn", t, NULL};
    rw_xml *x = NULL;
    if (policy) *policy = NULL;
    if (rw_aws_query(a->c, &rw_aws_sns, region, "GetTopicAttributes", params, &x) != RW_OK) {
        if (ecode_has(a, "NotFound")) return 0;
        fail(a, "topic", "SNS GetTopicAttributes");
        return -2;
    }
    for (const rw_xml *e = rw_xml_find(x, "GetTopicAttributesResult/Attributes/entry"); e;
         e = rw_xml_next(e, NULL)) {
        const char *k = rw_xml_text(e, "key"), *v = rw_xml_text(e, "value");
        if (policy && k && v && !strcmp(k, "Policy")) *policy = rw_xstrdup(v);
    }
    rw_xml_free(x);
    const char *p2[] = {"ResourceArn", t, NULL};
    if (rw_aws_query(a->c, &rw_aws_sns, region, "ListTagsForResource", p2, &x) != RW_OK) {
        fail(a, "topic", "SNS ListTagsForResource");
        return -2;
    }
    int out = xml_tags_ours(rw_xml_find(x, "ListTagsForResourceResult/Tags/member")) ? 1 : -1;
    rw_xml_free(x);
    return out;
}

typedef struct subs {
    const char *email;
    const char *found; /* "confirmed" or "pending confirmation" */
} subs;

static int on_subs(void *ctx, const rw_xml *reply) {
    subs *s = ctx;
    for (const rw_xml *m =
             rw_xml_find(reply, "ListSubscriptionsByTopicResult/Subscriptions/member");
         m; m = rw_xml_next(m, NULL)) {
        const char *p = rw_xml_text(m, "Protocol"), *e = rw_xml_text(m, "Endpoint");
        const char *sa = rw_xml_text(m, "SubscriptionArn");
        if (p && e && !strcmp(p, "email") && !strcasecmp(e, s->email))
            s->found = sa && !strncmp(sa, "arn:", 4) ? "confirmed" : "pending confirmation";
    }
    return 0;
}

static int subscription_apply(ap *a, const char *region, const char *t, bool fresh) {
    subs s = {.email = a->o->email};
    if (!fresh) {
        const char *params[] = {"TopicArn", t, NULL};
        if (rw_aws_query_pages(a->c, &rw_aws_sns, region, "ListSubscriptionsByTopic", params,
                               "NextToken", "ListSubscriptionsByTopicResult/NextToken", on_subs,
                               &s) != RW_OK)
            return fail(a, "subscription", "SNS ListSubscriptionsByTopic");
    }
    if (s.found) {
        say(a, "already there", "subscription", "email %s to %s (%s)", s.email, t, s.found);
        return RW_OK;
    }
    if (a->o->dry_run) {
        say(a, "would create", "subscription", "email %s to %s (a person confirms it)", s.email, t);
        return RW_OK;
    }
    const char *params[] = {"TopicArn", t, "Protocol", "email", "Endpoint", s.email, NULL};
    rw_xml *x = NULL;
    if (rw_aws_query(a->c, &rw_aws_sns, region, "Subscribe", params, &x) != RW_OK)
        return fail(a, "subscription", "SNS Subscribe");
    rw_xml_free(x);
    say(a, "created", "subscription",
        "email %s to %s: pending until a person opens the link AWS mailed there (audit's "
        "alarm-subscribers fails until then)",
        s.email, t);
    return RW_OK;
}

static int topic_apply(ap *a, size_t i) {
    const char *region = a->regions[i];
    char *t = topic_arn(a, region), *policy = NULL, *want = topic_policy(a, region, t);
    int rc = RW_OK;
    rw_xml *x = NULL;
    int f = topic_find(a, region, t, &policy);
    if (f == -2) {
        rc = RW_EIO;
        goto out;
    }
    if (f == -1) {
        say(a, "REFUSED", "topic",
            "%s exists and is not rootwatch's (no tag " TAG "): rootwatch changes nothing it "
            "did not create; delete or rename it",
            t);
        rc = RW_EIO;
        goto out;
    }
    bool policy_ok = topic_policy_lets_both(a, region, t, policy);
    if (f == 1 && policy_ok) {
        a->topics[i] = H_THERE;
        say(a, "already there", "topic",
            "%s (tag " TAG "); EventBridge and CloudWatch may publish to it", t);
    } else if (a->o->dry_run) {
        a->topics[i] = f == 1 ? H_THERE : H_PLANNED;
        say(a, f == 1 ? "would update" : "would create", "topic",
            "%s: tag " TAG "; its policy lets rule " RULE_NAME
            " (EventBridge) and alarm " ALARM_NAME " (CloudWatch) publish",
            t);
    } else {
        if (f == 0) {
            const char *params[] = {"Name",
                                    TOPIC_NAME,
                                    "Tags.member.1.Key",
                                    RW_APPLY_TAG_KEY,
                                    "Tags.member.1.Value",
                                    RW_APPLY_TAG_VALUE,
                                    NULL};
            if (rw_aws_query(a->c, &rw_aws_sns, region, "CreateTopic", params, &x) != RW_OK) {
                rc = fail(a, "topic", "SNS CreateTopic");
                goto out;
            }
            rw_xml_free(x);
            x = NULL;
        }
        const char *params[] = {"TopicArn", t,   "AttributeName", "Policy", "AttributeValue",
                                want,       NULL};
        if (rw_aws_query(a->c, &rw_aws_sns, region, "SetTopicAttributes", params, &x) != RW_OK) {
            rc = fail(a, "topic", "SNS SetTopicAttributes");
            goto out;
        }
        a->topics[i] = H_THERE;
        say(a, f == 0 ? "created" : "updated", "topic",
            "%s: tag " TAG "; its policy lets rule " RULE_NAME
            " (EventBridge) and alarm " ALARM_NAME " (CloudWatch) publish",
            t);
    }
    rc = subscription_apply(a, region, t, f == 0);
out:
    rw_xml_free(x);
    free(t);
    free(policy);
    free(want);
    return rc;
}

static int topic_destroy(ap *a, const char *region) {
    char *t = topic_arn(a, region);
    int rc = RW_OK;
    int f = topic_find(a, region, t, NULL);
    if (f == -2)
        rc = RW_EIO;
    else if (f == 0)
        say(a, "not there", "topic", "%s", t);
    else if (f == -1)
        say(a, "left", "topic", "%s: no tag " TAG ", not rootwatch's", t);
    else if (a->o->dry_run)
        say(a, "would delete", "topic", "%s and its subscriptions", t);
    else {
        const char *params[] = {"TopicArn", t, NULL};
        rw_xml *x = NULL;
        if (rw_aws_query(a->c, &rw_aws_sns, region, "DeleteTopic", params, &x) != RW_OK)
            rc = fail(a, "topic", "SNS DeleteTopic");
        else
            say(a, "deleted", "topic", "%s and its subscriptions", t);
        rw_xml_free(x);
    }
    free(t);
    return rc;
}

/* ---- alarm ----------------------------------------------------------------------------------- */

/* Would alarm x tell someone of one root use (an SNS action, one breaching period, threshold at
 * most 1)? want_topic (may be NULL): the action must be it. */
static bool alarm_good(const rw_xml *x, const char *want_topic) {
    const char *enabled = rw_xml_text(x, "ActionsEnabled");
    const char *cmp = rw_xml_text(x, "ComparisonOperator");
    const char *thr = rw_xml_text(x, "Threshold");
    const char *dta = rw_xml_text(x, "DatapointsToAlarm");
    const char *evp = rw_xml_text(x, "EvaluationPeriods");
    double t = thr ? strtod(thr, NULL) : 1e9;
    long need = dta && *dta ? strtol(dta, NULL, 10) : evp ? strtol(evp, NULL, 10) : 1;
    bool sns = false;
    for (const rw_xml *m = rw_xml_find(x, "AlarmActions/member"); m; m = rw_xml_next(m, NULL))
        if (want_topic ? !strcmp(m->text, want_topic)
                       : !strncmp(m->text, "arn:", 4) && strstr(m->text, ":sns:"))
            sns = true;
    if (!sns || (enabled && !strcmp(enabled, "false")) || need > 1 || !cmp) return false;
    return (!strcmp(cmp, "GreaterThanOrEqualToThreshold") && t <= 1) ||
           (!strcmp(cmp, "GreaterThanThreshold") && t < 1);
}

static int alarm_apply(ap *a) {
    /* in the metric's region (the log group's), with that region's topic */
    const char *region = a->group_region ? a->group_region : a->home;
    size_t home_i = 0;
    for (size_t i = 0; a->regions[i]; i++)
        if (!strcmp(a->regions[i], region)) home_i = i;
    if (a->metric == H_NONE) {
        say(a, "skipped", "alarm", "no metric filter catches root use (see above)");
        return a->trail_mode == T_OURS ? RW_EIO : RW_OK;
    }
    if (a->topics[home_i] == H_NONE) {
        say(a, "skipped", "alarm", "depends on the topic in %s (see above)", region);
        return RW_EIO;
    }
    char *t = topic_arn(a, region);
    rw_xml *x = NULL;
    int rc = RW_OK;
    const char *p1[] = {"AlarmNames.member.1", ALARM_NAME, NULL};
    if (rw_aws_query(a->c, &rw_aws_cloudwatch, region, "DescribeAlarms", p1, &x) != RW_OK) {
        rc = fail(a, "alarm", "CloudWatch DescribeAlarms");
        goto out;
    }
    const rw_xml *mine = rw_xml_find(x, "DescribeAlarmsResult/MetricAlarms/member");
    bool update = false;
    if (mine) {
        const char *aarn = rw_xml_text(mine, "AlarmArn");
        const char *p2[] = {"ResourceARN", aarn ? aarn : "", NULL};
        rw_xml *tx = NULL;
        if (rw_aws_query(a->c, &rw_aws_cloudwatch, region, "ListTagsForResource", p2, &tx) !=
            RW_OK) {
            rc = fail(a, "alarm", "CloudWatch ListTagsForResource");
            goto out;
        }
        bool ours = xml_tags_ours(rw_xml_find(tx, "ListTagsForResourceResult/Tags/member"));
        rw_xml_free(tx);
        if (!ours) {
            say(a, "REFUSED", "alarm",
                "%s exists and is not rootwatch's (no tag " TAG "): delete or rename it",
                aarn ? aarn : ALARM_NAME);
            rc = RW_EIO;
            goto out;
        }
        const char *mn = rw_xml_text(mine, "MetricName"), *ns = rw_xml_text(mine, "Namespace");
        if (alarm_good(mine, t) && mn && ns && !strcmp(mn, a->metric_name) &&
            !strcmp(ns, a->metric_ns)) {
            say(a, "already there", "alarm",
                "%s (tag " TAG ") on %s/%s: Sum >= 1 over 300 s, to %s", aarn, ns, mn, t);
            goto out;
        }
        update = true;
    } else if (a->metric == H_THERE) {
        rw_xml_free(x);
        x = NULL;
        const char *p3[] = {"MetricName", a->metric_name, "Namespace", a->metric_ns, NULL};
        if (rw_aws_query(a->c, &rw_aws_cloudwatch, region, "DescribeAlarmsForMetric", p3, &x) !=
            RW_OK) {
            rc = fail(a, "alarm", "CloudWatch DescribeAlarmsForMetric");
            goto out;
        }
        for (const rw_xml *m = rw_xml_find(x, "DescribeAlarmsForMetricResult/MetricAlarms/member");
             m; m = rw_xml_next(m, NULL))
            if (alarm_good(m, NULL)) {
                say(a, "yours", "alarm",
                    "%s fires on one root use (metric %s/%s) and notifies SNS: left as it is",
                    rw_xml_text(m, "AlarmArn"), a->metric_ns, a->metric_name);
                goto out;
            }
    }
    if (a->o->dry_run) {
        say(a, update ? "would update" : "would create", "alarm",
            ALARM_NAME " in %s on %s/%s: Sum >= 1 over 300 s, 1 period, missing data not "
                       "breaching, to %s; tag " TAG,
            region, a->metric_ns, a->metric_name, t);
        goto out;
    }
    rw_xml_free(x);
    x = NULL;
    const char *p4[] = {"AlarmName",
                        ALARM_NAME,
                        "AlarmDescription",
                        "rootwatch: the root user was used (CIS 4.3)",
                        "MetricName",
                        a->metric_name,
                        "Namespace",
                        a->metric_ns,
                        "Statistic",
                        "Sum",
                        "Period",
                        "300",
                        "EvaluationPeriods",
                        "1",
                        "Threshold",
                        "1",
                        "ComparisonOperator",
                        "GreaterThanOrEqualToThreshold",
                        "TreatMissingData",
                        "notBreaching",
                        "ActionsEnabled",
                        "true",
                        "AlarmActions.member.1",
                        t,
                        "Tags.member.1.Key",
                        RW_APPLY_TAG_KEY,
                        "Tags.member.1.Value",
                        RW_APPLY_TAG_VALUE,
                        NULL};
    if (rw_aws_query(a->c, &rw_aws_cloudwatch, region, "PutMetricAlarm", p4, &x) != RW_OK) {
        rc = fail(a, "alarm", "CloudWatch PutMetricAlarm");
        goto out;
    }
    say(a, update ? "updated" : "created", "alarm",
        ALARM_NAME " in %s on %s/%s: Sum >= 1 over 300 s, 1 period, missing data not breaching, "
                   "to %s; tag " TAG,
        region, a->metric_ns, a->metric_name, t);
out:
    rw_xml_free(x);
    free(t);
    return rc;
}

static int alarm_destroy(ap *a, const char *region) {
    rw_xml *x = NULL;
    const char *p1[] = {"AlarmNames.member.1", ALARM_NAME, NULL};
    if (rw_aws_query(a->c, &rw_aws_cloudwatch, region, "DescribeAlarms", p1, &x) != RW_OK)
        return fail(a, "alarm", "CloudWatch DescribeAlarms");
    const rw_xml *m = rw_xml_find(x, "DescribeAlarmsResult/MetricAlarms/member");
    const char *aarn = m ? rw_xml_text(m, "AlarmArn") : NULL;
    int rc = RW_OK;
    if (!m || !aarn) {
        say(a, "not there", "alarm", ALARM_NAME " (%s)", region);
        goto out;
    }
    const char *p2[] = {"ResourceARN", aarn, NULL};
    rw_xml *tx = NULL;
    if (rw_aws_query(a->c, &rw_aws_cloudwatch, region, "ListTagsForResource", p2, &tx) != RW_OK) {
        rc = fail(a, "alarm", "CloudWatch ListTagsForResource");
        goto out;
    }
    bool ours = xml_tags_ours(rw_xml_find(tx, "ListTagsForResourceResult/Tags/member"));
    rw_xml_free(tx);
    if (!ours)
        say(a, "left", "alarm", "%s: no tag " TAG ", not rootwatch's", aarn);
    else if (a->o->dry_run)
        say(a, "would delete", "alarm", "%s", aarn);
    else {
        const char *p3[] = {"AlarmNames.member.1", ALARM_NAME, NULL};
        rw_xml *dx = NULL;
        if (rw_aws_query(a->c, &rw_aws_cloudwatch, region, "DeleteAlarms", p3, &dx) != RW_OK)
            rc = fail(a, "alarm", "CloudWatch DeleteAlarms");
        else
            say(a, "deleted", "alarm", "%s", aarn);
        rw_xml_free(dx);
    }
out:
    rw_xml_free(x);
    return rc;
}

/* ---- EventBridge rules ------------------------------------------------------------------------
 */

static char *root_pattern(void) {
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_json *p = rw_deploy_root_pattern(doc);
    if (p) rw_json_write(&b, p);
    rw_json_doc_free(doc);
    return rw_buf_take(&b);
}

/* Compact form of a pattern's text, to compare two; NULL when not JSON. */
static char *compact(const char *text) {
    rw_json_doc *doc = rw_json_doc_new(NULL);
    char *out = NULL;
    if (text && rw_json_doc_parse(doc, text, strlen(text)) == RW_OK) {
        rw_buf b;
        rw_buf_init(&b, 0);
        rw_json_write(&b, rw_json_doc_root(doc));
        out = rw_buf_take(&b);
    }
    rw_json_doc_free(doc);
    return out;
}

typedef struct user_rules {
    ap *a;
    const char *region;
    char *found; /* a user's rule that delivers every root event, with a target */
} user_rules;

static int on_targets_count(void *ctx, int number, const rw_json *reply, const char *raw,
                            size_t len) {
    (void)number, (void)raw, (void)len;
    const rw_json *l = rw_json_get(reply, "Targets");
    if (l && l->type == RW_JSON_ARRAY) *(size_t *)ctx += l->len;
    return 0;
}

static size_t count_targets(ap *a, const char *region, const char *rule, int *err) {
    rw_buf b;
    rw_buf_init(&b, 0);
    jreq(&b, "Rule", rule);
    size_t n = 0;
    *err = rw_aws_json_pages(a->c, &rw_aws_events, region, "ListTargetsByRule", b.data, "NextToken",
                             "NextToken", on_targets_count, &n);
    rw_buf_free(&b);
    return n;
}

static int on_user_rules(void *ctx, int number, const rw_json *reply, const char *raw, size_t len) {
    (void)number, (void)raw, (void)len;
    user_rules *u = ctx;
    const rw_json *l = rw_json_get(reply, "Rules");
    for (const rw_json *x = l && l->type == RW_JSON_ARRAY ? l->child : NULL; x && !u->found;
         x = x->next) {
        const char *n = rw_json_get_str(x, "Name"), *p = rw_json_get_str(x, "EventPattern");
        const char *st = rw_json_get_str(x, "State"), *rarn = rw_json_get_str(x, "Arn");
        if (!n || !p || !st || !rarn || strcmp(st, ALL_MGMT) || !strcmp(n, RULE_NAME)) continue;
        rw_pattern *pat = NULL;
        rw_pattern_error pe;
        bool ok = rw_pattern_compile(&pat, p, strlen(p), &pe) == RW_OK &&
                  rw_eb_pattern_root_wrong(pat, u->a->account, u->region, rw_time_now()) == 0;
        rw_pattern_free(pat);
        int err;
        if (ok && count_targets(u->a, u->region, n, &err) > 0 && err == RW_OK)
            u->found = rw_xstrdup(rarn);
    }
    return 0;
}

/* 1 ours, 0 not there, -1 someone else's, -2 failed; doc holds DescribeRule's reply */
static int rule_find(ap *a, const char *region, rw_json_doc *doc) {
    rw_buf b;
    rw_buf_init(&b, 0);
    jreq(&b, "Name", RULE_NAME);
    int out = 0;
    if (jcall(a, region, &rw_aws_events, "DescribeRule", &b, doc) != RW_OK) {
        if (!ecode_has(a, "ResourceNotFound")) {
            fail(a, "rule", "EventBridge DescribeRule");
            out = -2;
        }
        goto done;
    }
    const char *rarn = rw_json_get_str(rw_json_doc_root(doc), "Arn");
    rw_json_doc *t = rw_json_doc_new(NULL);
    jreq(&b, "ResourceARN", rarn ? rarn : "");
    if (jcall(a, region, &rw_aws_events, "ListTagsForResource", &b, t) != RW_OK) {
        fail(a, "rule", "EventBridge ListTagsForResource");
        out = -2;
    } else {
        out = json_tags_ours(rw_json_get(rw_json_doc_root(t), "Tags")) ? 1 : -1;
    }
    rw_json_doc_free(t);
done:
    rw_buf_free(&b);
    return out;
}

static int rule_apply(ap *a, size_t i) {
    const char *region = a->regions[i];
    rw_json_doc *doc = rw_json_doc_new(NULL), *tmp = rw_json_doc_new(NULL);
    char *want = root_pattern(), *t = topic_arn(a, region), *have = NULL;
    char *rarn = arn(a, "events", region, "rule/" RULE_NAME);
    rw_buf b, what;
    rw_buf_init(&b, 0);
    rw_buf_init(&what, 0);
    int rc = RW_OK;
    int f = rule_find(a, region, doc);
    if (f == -2) {
        rc = RW_EIO;
        goto out;
    }
    if (f == -1) {
        say(a, "REFUSED", "rule",
            "%s exists and is not rootwatch's (no tag " TAG "): delete or rename it", rarn);
        rc = RW_EIO;
        goto out;
    }
    if (f == 0) {
        user_rules u = {.a = a, .region = region};
        if (rw_aws_json_pages(a->c, &rw_aws_events, region, "ListRules", "{}", "NextToken",
                              "NextToken", on_user_rules, &u) != RW_OK) {
            rc = fail(a, "rule", "EventBridge ListRules");
            goto out;
        }
        if (u.found) {
            say(a, "yours", "rule",
                "%s delivers every root event (state " ALL_MGMT ", a target): left as it is",
                u.found);
            free(u.found);
            goto out;
        }
    }
    if (a->topics[i] == H_NONE) {
        say(a, "skipped", "rule", "depends on the topic in %s (see above)", region);
        rc = RW_EIO;
        goto out;
    }
    bool targeted = false, put_rule = f == 0;
    if (f == 1) {
        const rw_json *r = rw_json_doc_root(doc);
        const char *st = rw_json_get_str(r, "State");
        have = compact(rw_json_get_str(r, "EventPattern"));
        if (!st || strcmp(st, ALL_MGMT)) rw_buf_printf(&what, "state %s", st ? st : "?");
        if (!have || strcmp(have, want))
            rw_buf_printf(&what, "%sthe pattern", what.len ? ", " : "");
        put_rule = what.len > 0;
        jreq(&b, "Rule", RULE_NAME);
        if (jcall(a, region, &rw_aws_events, "ListTargetsByRule", &b, tmp) != RW_OK) {
            rc = fail(a, "rule", "EventBridge ListTargetsByRule");
            goto out;
        }
        const rw_json *l = rw_json_get(rw_json_doc_root(tmp), "Targets");
        for (const rw_json *x = l && l->type == RW_JSON_ARRAY ? l->child : NULL; x; x = x->next) {
            const char *id = rw_json_get_str(x, "Id"), *tarn = rw_json_get_str(x, "Arn");
            if (id && tarn && !strcmp(id, TARGET_ID) && !strcmp(tarn, t)) targeted = true;
        }
        if (!targeted) rw_buf_printf(&what, "%sthe target %s", what.len ? ", " : "", t);
        if (!what.len) {
            say(a, "already there", "rule",
                "%s (tag " TAG "): deploy template's root pattern, state " ALL_MGMT ", to %s", rarn,
                t);
            goto out;
        }
    }
    if (a->o->dry_run) {
        if (f == 1)
            say(a, "would update", "rule", "%s: %s", rarn, what.data);
        else
            say(a, "would create", "rule",
                "%s: deploy template's root pattern, state " ALL_MGMT ", target %s; tag " TAG, rarn,
                t);
        goto out;
    }
    if (put_rule) {
        rw_buf_reset(&b);
        rw_buf_puts(&b, "{\"Name\":\"" RULE_NAME "\",\"EventPattern\":");
        js(&b, want);
        rw_buf_puts(&b, ",\"State\":\"" ALL_MGMT "\",\"Description\":\"rootwatch: every use "
                        "of the root user, read-only calls and console sign-ins too\"");
        if (f == 0) json_tags(&b, "Tags");
        rw_buf_putc(&b, '}');
        if (jcall(a, region, &rw_aws_events, "PutRule", &b, tmp) != RW_OK) {
            rc = fail(a, "rule", "EventBridge PutRule");
            goto out;
        }
    }
    if (!targeted) {
        rw_buf_reset(&b);
        rw_buf_puts(&b,
                    "{\"Rule\":\"" RULE_NAME "\",\"Targets\":[{\"Id\":\"" TARGET_ID "\",\"Arn\":");
        js(&b, t);
        rw_buf_puts(&b, "}]}");
        if (jcall(a, region, &rw_aws_events, "PutTargets", &b, tmp) != RW_OK) {
            rc = fail(a, "rule", "EventBridge PutTargets");
            goto out;
        }
        const rw_json *fc = rw_json_get(rw_json_doc_root(tmp), "FailedEntryCount");
        if (fc && fc->type == RW_JSON_NUMBER && fc->num > 0) {
            say(a, "FAILED", "rule", "EventBridge PutTargets: the target %s was refused", t);
            rc = RW_EIO;
            goto out;
        }
    }
    if (f == 1)
        say(a, "updated", "rule", "%s: %s", rarn, what.data);
    else
        say(a, "created", "rule",
            "%s: deploy template's root pattern, state " ALL_MGMT ", target %s; tag " TAG, rarn, t);
out:
    rw_buf_free(&b);
    rw_buf_free(&what);
    free(want);
    free(have);
    free(t);
    free(rarn);
    rw_json_doc_free(doc);
    rw_json_doc_free(tmp);
    return rc;
}

typedef struct ids {
    rw_buf list;
} ids;

static int on_target_ids(void *ctx, int number, const rw_json *reply, const char *raw, size_t len) {
    (void)number, (void)raw, (void)len;
    ids *s = ctx;
    const rw_json *l = rw_json_get(reply, "Targets");
    for (const rw_json *x = l && l->type == RW_JSON_ARRAY ? l->child : NULL; x; x = x->next) {
        const char *id = rw_json_get_str(x, "Id");
        if (!id) continue;
        if (s->list.len) rw_buf_putc(&s->list, ',');
        js(&s->list, id);
    }
    return 0;
}

static int rule_destroy(ap *a, const char *region) {
    rw_json_doc *doc = rw_json_doc_new(NULL);
    char *rarn = arn(a, "events", region, "rule/" RULE_NAME);
    int rc = RW_OK;
    int f = rule_find(a, region, doc);
    rw_buf b;
    rw_buf_init(&b, 0);
    ids s;
    rw_buf_init(&s.list, 0);
    if (f == -2)
        rc = RW_EIO;
    else if (f == 0)
        say(a, "not there", "rule", "%s", rarn);
    else if (f == -1)
        say(a, "left", "rule", "%s: no tag " TAG ", not rootwatch's", rarn);
    else if (a->o->dry_run)
        say(a, "would delete", "rule", "%s and its targets", rarn);
    else {
        jreq(&b, "Rule", RULE_NAME);
        if (rw_aws_json_pages(a->c, &rw_aws_events, region, "ListTargetsByRule", b.data,
                              "NextToken", "NextToken", on_target_ids, &s) != RW_OK) {
            rc = fail(a, "rule", "EventBridge ListTargetsByRule");
            goto out;
        }
        if (s.list.len) {
            rw_buf_reset(&b);
            rw_buf_printf(&b, "{\"Rule\":\"" RULE_NAME "\",\"Ids\":[%s]}", s.list.data);
            if (jcall(a, region, &rw_aws_events, "RemoveTargets", &b, doc) != RW_OK) {
                rc = fail(a, "rule", "EventBridge RemoveTargets");
                goto out;
            }
        }
        jreq(&b, "Name", RULE_NAME);
        if (jcall(a, region, &rw_aws_events, "DeleteRule", &b, doc) != RW_OK)
            rc = fail(a, "rule", "EventBridge DeleteRule");
        else
            say(a, "deleted", "rule", "%s and its targets", rarn);
    }
out:
    rw_buf_free(&s.list);
    rw_buf_free(&b);
    free(rarn);
    rw_json_doc_free(doc);
    return rc;
}

/* ---- Config rule ----------------------------------------------------------------------------- */

typedef struct config_rules {
    char *root_mfa;   /* the name of a rule with source ROOT_ACCOUNT_MFA_ENABLED */
    char *ours_arn;   /* CONFIG_RULE's ARN */
    bool ours_is_mfa; /* CONFIG_RULE's source is ROOT_ACCOUNT_MFA_ENABLED */
} config_rules;

static int on_config_rules(void *ctx, int number, const rw_json *reply, const char *raw,
                           size_t len) {
    (void)number, (void)raw, (void)len;
    config_rules *r = ctx;
    const rw_json *l = rw_json_get(reply, "ConfigRules");
    for (const rw_json *x = l && l->type == RW_JSON_ARRAY ? l->child : NULL; x; x = x->next) {
        const char *n = rw_json_get_str(x, "ConfigRuleName");
        const char *id = rw_json_get_str(rw_json_get(x, "Source"), "SourceIdentifier");
        const char *carn = rw_json_get_str(x, "ConfigRuleArn");
        if (!n) continue;
        bool mfa = id && !strcmp(id, ROOT_MFA);
        if (!strcmp(n, CONFIG_RULE)) {
            free(r->ours_arn);
            r->ours_arn = rw_xstrdup(carn ? carn : n);
            r->ours_is_mfa = mfa;
        } else if (mfa && !r->root_mfa) {
            r->root_mfa = rw_xstrdup(n);
        }
    }
    return 0;
}

static bool config_tagged(ap *a, const char *carn, int *err) {
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_buf b;
    rw_buf_init(&b, 0);
    jreq(&b, "ResourceArn", carn);
    bool ours = false;
    *err = jcall(a, a->home, &rw_aws_configservice, "ListTagsForResource", &b, doc);
    if (*err == RW_OK) ours = json_tags_ours(rw_json_get(rw_json_doc_root(doc), "Tags"));
    rw_buf_free(&b);
    rw_json_doc_free(doc);
    return ours;
}

static int config_apply(ap *a) {
    rw_json_doc *doc = rw_json_doc_new(NULL);
    config_rules r = {0};
    int rc = RW_OK;
    if (jcall(a, a->home, &rw_aws_configservice, "DescribeConfigurationRecorderStatus", NULL,
              doc) != RW_OK) {
        rc = fail(a, "config rule", "Config DescribeConfigurationRecorderStatus");
        goto out;
    }
    const rw_json *st = rw_json_get(rw_json_doc_root(doc), "ConfigurationRecordersStatus");
    const char *recording = NULL;
    for (const rw_json *x = st && st->type == RW_JSON_ARRAY ? st->child : NULL; x; x = x->next)
        if (jtrue(x, "recording") && !recording) recording = rw_json_get_str(x, "name");
    if (!recording) {
        say(a, "skipped", "config rule",
            "no configuration recorder is recording in %s, and rootwatch never creates one (a "
            "recorder is billed for every configuration item it records): turn AWS Config on, "
            "then run apply again for the rule root-account-mfa-enabled",
            a->home);
        goto out;
    }
    if (rw_aws_json_pages(a->c, &rw_aws_configservice, a->home, "DescribeConfigRules", "{}",
                          "NextToken", "NextToken", on_config_rules, &r) != RW_OK) {
        rc = fail(a, "config rule", "Config DescribeConfigRules");
        goto out;
    }
    if (r.ours_arn) {
        int err;
        bool ours = config_tagged(a, r.ours_arn, &err);
        if (err != RW_OK) {
            rc = fail(a, "config rule", "Config ListTagsForResource");
        } else if (!ours && !r.ours_is_mfa) {
            say(a, "REFUSED", "config rule",
                CONFIG_RULE " exists and is not rootwatch's (no tag " TAG "): delete or rename it");
            rc = RW_EIO;
        } else if (ours && r.ours_is_mfa) {
            say(a, "already there", "config rule",
                "%s (tag " TAG "): " ROOT_MFA ", recorder %s recording", r.ours_arn, recording);
        } else if (!ours) {
            say(a, "yours", "config rule", "%s checks " ROOT_MFA ": left as it is", r.ours_arn);
        } else {
            goto put;
        }
        goto out;
    }
    if (r.root_mfa) {
        say(a, "yours", "config rule", "%s checks " ROOT_MFA ": left as it is", r.root_mfa);
        goto out;
    }
put:
    if (a->o->dry_run) {
        say(a, r.ours_arn ? "would update" : "would create", "config rule",
            CONFIG_RULE " in %s: " ROOT_MFA " every 24 hours; tag " TAG, a->home);
        goto out;
    }
    {
        rw_buf b;
        rw_buf_init(&b, 0);
        rw_buf_puts(&b, "{\"ConfigRule\":{\"ConfigRuleName\":\"" CONFIG_RULE
                        "\",\"Description\":\"rootwatch: the root user has MFA\",\"Source\":{"
                        "\"Owner\":\"AWS\",\"SourceIdentifier\":\"" ROOT_MFA
                        "\"},\"MaximumExecutionFrequency\":\"TwentyFour_Hours\"}");
        if (!r.ours_arn) json_tags(&b, "Tags");
        rw_buf_putc(&b, '}');
        if (jcall(a, a->home, &rw_aws_configservice, "PutConfigRule", &b, doc) != RW_OK)
            rc = fail(a, "config rule", "Config PutConfigRule");
        else
            say(a, r.ours_arn ? "updated" : "created", "config rule",
                CONFIG_RULE " in %s: " ROOT_MFA " every 24 hours, recorder %s; tag " TAG, a->home,
                recording);
        rw_buf_free(&b);
    }
out:
    free(r.root_mfa);
    free(r.ours_arn);
    rw_json_doc_free(doc);
    return rc;
}

static int config_destroy(ap *a) {
    config_rules r = {0};
    int rc = RW_OK;
    if (rw_aws_json_pages(a->c, &rw_aws_configservice, a->home, "DescribeConfigRules", "{}",
                          "NextToken", "NextToken", on_config_rules, &r) != RW_OK) {
        rc = fail(a, "config rule", "Config DescribeConfigRules");
        goto out;
    }
    if (!r.ours_arn) {
        say(a, "not there", "config rule", CONFIG_RULE " (%s)", a->home);
        goto out;
    }
    int err;
    bool ours = config_tagged(a, r.ours_arn, &err);
    if (err != RW_OK)
        rc = fail(a, "config rule", "Config ListTagsForResource");
    else if (!ours)
        say(a, "left", "config rule", "%s: no tag " TAG ", not rootwatch's", r.ours_arn);
    else if (a->o->dry_run)
        say(a, "would delete", "config rule", "%s", r.ours_arn);
    else {
        rw_json_doc *doc = rw_json_doc_new(NULL);
        rw_buf b;
        rw_buf_init(&b, 0);
        jreq(&b, "ConfigRuleName", CONFIG_RULE);
        if (jcall(a, a->home, &rw_aws_configservice, "DeleteConfigRule", &b, doc) != RW_OK)
            rc = fail(a, "config rule", "Config DeleteConfigRule");
        else
            say(a, "deleted", "config rule", "%s", r.ours_arn);
        rw_buf_free(&b);
        rw_json_doc_free(doc);
    }
out:
    free(r.root_mfa);
    free(r.ours_arn);
    return rc;
}

/* ---- the whole ------------------------------------------------------------------------------- */

static void add_region(char ***list, size_t *n, const char *r) {
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*list)[i], r)) return;
    *list = rw_xrealloc(*list, (*n + 2) * sizeof **list);
    (*list)[(*n)++] = rw_xstrdup(r);
    (*list)[*n] = NULL;
}

static void setup(ap *a, rw_aws_session *s, const rw_apply_opts *o) {
    memset(a, 0, sizeof *a);
    a->o = o;
    a->c = rw_aws_client_new(s->cfg, s->creds, NULL);
    a->home = rw_xstrdup(s->cfg->region && *s->cfg->region ? s->cfg->region : "us-east-1");
    size_t n = 0;
    add_region(&a->regions, &n, "us-east-1");
    add_region(&a->regions, &n, a->home);
    for (size_t i = 0; o->regions && o->regions[i]; i++) add_region(&a->regions, &n, o->regions[i]);
    a->topics = rw_xcalloc(n + 1, sizeof *a->topics);
}

static void teardown(ap *a) {
    rw_aws_client_free(a->c);
    for (size_t i = 0; a->regions && a->regions[i]; i++) free(a->regions[i]);
    free(a->regions);
    free(a->topics);
    free(a->account);
    free(a->partition);
    free(a->home);
    free(a->trail_arn);
    free(a->trail_home);
    free(a->user_trail);
    free(a->bucket_name);
    free(a->group_name);
    free(a->group_region);
    free(a->role_arn);
    free(a->metric_name);
    free(a->metric_ns);
}

static int finish(ap *a, const char *verb) {
    if (a->o->dry_run)
        fprintf(a->o->out, "dry run: %d change%s planned, nothing changed\n", a->planned,
                a->planned == 1 ? "" : "s");
    else if (!a->changed)
        fprintf(a->o->out, "%s: nothing changed (%d step%s, every one as it should be)%s\n", verb,
                a->kept + a->failed, a->kept + a->failed == 1 ? "" : "s",
                a->failed ? ", but some failed or were refused" : "");
    else
        fprintf(a->o->out, "%s: %d change%s\n", verb, a->changed, a->changed == 1 ? "" : "s");
    fflush(a->o->out);
    if (a->failed)
        return rw_error_set(RW_EIO, "%d step%s failed or %s refused (see above)", a->failed,
                            a->failed == 1 ? "" : "s", a->failed == 1 ? "was" : "were");
    return RW_OK;
}

int rw_deploy_apply(rw_aws_session *s, const rw_apply_opts *o) {
    ap a;
    setup(&a, s, o);
    int rc = RW_OK;
    rw_json_doc *trails = rw_json_doc_new(NULL);
    const rw_json *ours = NULL;
    if (!o->email || !*o->email) {
        rc = rw_error_set(RW_EINVAL, "--email ADDRESS is needed");
        goto out;
    }
    if (identity(&a) != RW_OK || survey_trails(&a, trails, &ours) != RW_OK) {
        rc = rw_error_set(RW_EIO, "could not read the account");
        goto out;
    }
    if (a.group_region) { /* a trail of yours delivering to another region: a topic there too */
        size_t n = 0;
        while (a.regions[n]) n++;
        add_region(&a.regions, &n, a.group_region);
        a.topics = rw_xrealloc(a.topics, (n + 1) * sizeof *a.topics);
        memset(a.topics, 0, (n + 1) * sizeof *a.topics);
    }
    bucket_apply(&a, ours);
    group_apply(&a);
    role_apply(&a);
    trail_apply(&a, ours);
    filter_apply(&a);
    for (size_t i = 0; a.regions[i]; i++) topic_apply(&a, i);
    alarm_apply(&a);
    for (size_t i = 0; a.regions[i]; i++) rule_apply(&a, i);
    config_apply(&a);
    if (!o->dry_run)
        fprintf(o->out,
                "to do by a person: confirm the subscription of %s (the link AWS mailed; once per "
                "topic), and give the root user MFA: rootwatch audit says what is left\n",
                o->email);
    rc = finish(&a, "apply");
out:
    rw_json_doc_free(trails);
    teardown(&a);
    return rc;
}

int rw_deploy_destroy(rw_aws_session *s, const rw_apply_opts *o) {
    ap a;
    setup(&a, s, o);
    int rc = RW_OK;
    if (identity(&a) != RW_OK) {
        rc = rw_error_set(RW_EIO, "could not read the account");
        goto out;
    }
    for (size_t i = 0; a.regions[i]; i++) rule_destroy(&a, a.regions[i]);
    config_destroy(&a);
    for (size_t i = 0; a.regions[i]; i++) alarm_destroy(&a, a.regions[i]);
    for (size_t i = 0; a.regions[i]; i++) topic_destroy(&a, a.regions[i]);
    trail_destroy(&a);
    group_destroy(&a);
    role_destroy(&a);
    bucket_destroy(&a);
    rc = finish(&a, "destroy");
out:
    teardown(&a);
    return rc;
}
