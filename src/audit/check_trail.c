/* The trail checks: trail-multi-region, trail-log-validation, trail-cloudwatch-logs
 * (docs/audit.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_impl.h"
#include "util/err.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define DAY 86400

static char *json_req(const char *key, const char *value) {
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_printf(&b, "{\"%s\":", key);
    rw_json_write_str(&b, value, strlen(value));
    rw_buf_putc(&b, '}');
    return rw_buf_take(&b);
}

static bool json_true(const rw_json *obj, const char *key) {
    const rw_json *v = rw_json_get(obj, key);
    return v && v->type == RW_JSON_TRUE;
}

/* Does an advanced event selector log every management event (read and write)? */
static bool advanced_all_management(const rw_json *sel) {
    bool management = false, read_only_limited = false;
    const rw_json *fs = rw_json_get(sel, "FieldSelectors");
    for (const rw_json *f = fs ? fs->child : NULL; f; f = f->next) {
        const char *field = rw_json_get_str(f, "Field");
        if (!field) continue;
        const rw_json *eq = rw_json_get(f, "Equals");
        if (!strcmp(field, "eventCategory"))
            for (const rw_json *v = eq ? eq->child : NULL; v; v = v->next)
                if (rw_json_str_is(v, "Management")) management = true;
        if (!strcmp(field, "readOnly")) read_only_limited = true;
    }
    return management && !read_only_limited;
}

/* GetTrailStatus and GetEventSelectors for t, in its home region. */
static void read_status(rw_audit_ctx *a, rw_audit_trail *t) {
    rw_json_doc *doc = rw_json_doc_new(NULL);
    char *body = json_req("Name", t->arn);
    rw_audit_step st = {0};
    if (rw_aws_json(a->c, &rw_aws_cloudtrail, t->home, "GetTrailStatus", body, doc) != RW_OK) {
        rw_audit_step_fail(a->c, &st, "cloudtrail:GetTrailStatus", "CloudTrail GetTrailStatus");
    } else {
        const rw_json *r = rw_json_doc_root(doc);
        t->logging = json_true(r, "IsLogging");
        t->cwl_delivered = rw_audit_time(rw_json_get(r, "LatestCloudWatchLogsDeliveryTime"));
        const char *e = rw_json_get_str(r, "LatestCloudWatchLogsDeliveryError");
        if (e && *e) t->cwl_error = rw_xstrdup(e);
    }
    free(body);
    body = json_req("TrailName", t->arn);
    if (!st.state &&
        rw_aws_json(a->c, &rw_aws_cloudtrail, t->home, "GetEventSelectors", body, doc) != RW_OK) {
        rw_audit_step_fail(a->c, &st, "cloudtrail:GetEventSelectors",
                           "CloudTrail GetEventSelectors");
    } else if (!st.state) {
        const rw_json *r = rw_json_doc_root(doc);
        const rw_json *es = rw_json_get(r, "EventSelectors");
        const rw_json *as = rw_json_get(r, "AdvancedEventSelectors");
        bool any = false;
        for (const rw_json *s = es && es->type == RW_JSON_ARRAY ? es->child : NULL; s;
             s = s->next) {
            any = true;
            const char *rw = rw_json_get_str(s, "ReadWriteType");
            const rw_json *im = rw_json_get(s, "IncludeManagementEvents");
            if ((!rw || !strcmp(rw, "All")) && (!im || im->type == RW_JSON_TRUE))
                t->all_management = true;
        }
        for (const rw_json *s = as && as->type == RW_JSON_ARRAY ? as->child : NULL; s;
             s = s->next) {
            any = true;
            if (advanced_all_management(s)) t->all_management = true;
        }
        /* a trail nobody gave selectors logs every management event (CloudTrail's default) */
        if (!any) t->all_management = true;
    }
    free(body);
    t->status_error = st.error;
    t->status_permission = st.permission;
    rw_json_doc_free(doc);
}

int rw_audit_read_trails(rw_audit_ctx *a) {
    if (a->trails_step.state) return a->trails_step.state > 0 ? RW_OK : RW_EIO;
    rw_json_doc *doc = rw_json_doc_new(NULL);
    if (rw_aws_json(a->c, &rw_aws_cloudtrail, a->home, "DescribeTrails",
                    "{\"includeShadowTrails\":true}", doc) != RW_OK) {
        rw_audit_step_fail(a->c, &a->trails_step, "cloudtrail:DescribeTrails",
                           "CloudTrail DescribeTrails");
        rw_json_doc_free(doc);
        return RW_EIO;
    }
    const rw_json *list = rw_json_get(rw_json_doc_root(doc), "trailList");
    for (const rw_json *x = list && list->type == RW_JSON_ARRAY ? list->child : NULL; x;
         x = x->next) {
        const char *arn = rw_json_get_str(x, "TrailARN");
        if (!arn) continue;
        bool dup = false;
        for (size_t i = 0; i < a->ntrails; i++) dup |= !strcmp(a->trails[i].arn, arn);
        if (dup) continue;
        a->trails = rw_xrealloc(a->trails, (a->ntrails + 1) * sizeof *a->trails);
        rw_audit_trail *t = &a->trails[a->ntrails++];
        memset(t, 0, sizeof *t);
        const char *name = rw_json_get_str(x, "Name"), *home = rw_json_get_str(x, "HomeRegion");
        const char *lg = rw_json_get_str(x, "CloudWatchLogsLogGroupArn");
        t->arn = rw_xstrdup(arn);
        t->name = rw_xstrdup(name ? name : arn);
        t->home = home && *home ? rw_xstrdup(home) : rw_audit_arn_field(arn, 3);
        if (lg && *lg) t->log_group_arn = rw_xstrdup(lg);
        t->multi_region = json_true(x, "IsMultiRegionTrail");
        t->global = json_true(x, "IncludeGlobalServiceEvents");
        t->validation = json_true(x, "LogFileValidationEnabled");
    }
    rw_json_doc_free(doc);
    for (size_t i = 0; i < a->ntrails; i++) read_status(a, &a->trails[i]);
    a->trails_step.state = 1;
    return RW_OK;
}

/* Does t record every root use wherever it happens? */
bool rw_audit_trail_good(const rw_audit_trail *t) {
    return !t->status_error && t->multi_region && t->logging && t->global && t->all_management;
}

/* "single-region, not logging, ..." for a trail that is not good */
static void lacks(rw_buf *b, const rw_audit_trail *t) {
    if (t->status_error) {
        rw_buf_printf(b, "not read in full (%s)", t->status_error);
        return;
    }
    bool first = true;
#define LACK(cond, text)                                                                           \
    if (cond) {                                                                                    \
        rw_buf_printf(b, "%s%s", first ? "" : ", ", text);                                         \
        first = false;                                                                             \
    }
    LACK(!t->multi_region, "single-region (IsMultiRegionTrail false)");
    LACK(!t->logging, "not logging (IsLogging false)");
    LACK(!t->global, "no global service events (IncludeGlobalServiceEvents false)");
    LACK(!t->all_management, "not every management event (read and write) selected");
#undef LACK
}

static const char *const fix_trail =
    "aws s3api create-bucket --bucket BUCKET (with the bucket policy CloudTrail needs); "
    "aws cloudtrail create-trail --name rootwatch --s3-bucket-name BUCKET --is-multi-region-trail "
    "--include-global-service-events --enable-log-file-validation; "
    "aws cloudtrail start-logging --name rootwatch; "
    "or: rootwatch deploy apply --email ADDRESS";

static void check_multi_region(rw_audit_ctx *a, const rw_audit_check *chk) {
    rw_audit_finding *f = rw_audit_add(a, chk, a->home);
    if (rw_audit_read_trails(a) != RW_OK) {
        rw_audit_error_from(f, &a->trails_step, NULL);
        return;
    }
    if (!a->ntrails) {
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "CloudTrail DescribeTrails (%s, shadow trails included) lists no trail: "
                     "nothing records root use in account %s",
                     a->home, a->account);
        rw_audit_set_missing(f, "trail",
                             "a multi-region trail, logging, with global service events, "
                             "every management event and log file validation");
        rw_audit_set_fix(f, "%s", fix_trail);
        return;
    }
    rw_buf ev;
    rw_buf_init(&ev, 0);
    const rw_audit_trail *ok = NULL, *denied = NULL;
    for (size_t i = 0; i < a->ntrails; i++) {
        const rw_audit_trail *t = &a->trails[i];
        if (rw_audit_trail_good(t) && !ok) ok = t;
        if (t->status_permission && !denied) denied = t;
    }
    if (ok) {
        rw_buf_printf(&ev,
                      "trail %s (home %s): multi-region, logging, global service events, every "
                      "management event (read and write)",
                      ok->arn, ok->home);
        rw_audit_set_resource(f, ok->arn);
    } else {
        rw_buf_puts(&ev, "no multi-region trail records every root use:");
    }
    for (size_t i = 0; i < a->ntrails; i++) {
        const rw_audit_trail *t = &a->trails[i];
        if (t == ok) continue;
        rw_buf_printf(&ev, "%s trail %s: ", ok || i ? ";" : "", t->arn);
        if (rw_audit_trail_good(t))
            rw_buf_puts(&ev, "also good");
        else
            lacks(&ev, t);
    }
    if (ok) {
        rw_audit_set(f, RW_AUDIT_PASS, "%s", ev.data);
    } else if (denied) {
        rw_audit_step s = {-1, (char *)ev.data, denied->status_permission};
        rw_audit_error_from(f, &s, NULL);
    } else {
        rw_audit_set(f, RW_AUDIT_FAIL, "%s", ev.data);
        const rw_audit_trail *t = &a->trails[0];
        rw_audit_set_resource(f, t->arn);
        rw_audit_set_missing(f,
                             !t->multi_region || !t->global ? "trail-settings"
                             : !t->logging                  ? "trail-logging"
                                                            : "trail-event-selectors",
                             "a multi-region trail that is logging, with global service "
                             "events and every management event");
        if (!t->multi_region || !t->global)
            rw_audit_set_fix(f,
                             "aws cloudtrail update-trail --name %s --region %s "
                             "--is-multi-region-trail --include-global-service-events%s",
                             t->arn, t->home,
                             t->logging ? ""
                                        : "; aws cloudtrail start-logging "
                                          "--name TRAIL");
        else if (!t->logging)
            rw_audit_set_fix(f, "aws cloudtrail start-logging --name %s --region %s", t->arn,
                             t->home);
        else
            rw_audit_set_fix(f,
                             "aws cloudtrail put-event-selectors --trail-name %s --region %s "
                             "--event-selectors "
                             "'[{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true}]'",
                             t->arn, t->home);
    }
    rw_buf_free(&ev);
}

/* The good trails, or a FAIL/ERROR of f saying there is none; NULL-free: returns how many. */
static size_t good_trails(rw_audit_ctx *a, rw_audit_finding *f, const rw_audit_trail **out,
                          size_t cap) {
    if (rw_audit_read_trails(a) != RW_OK) {
        rw_audit_error_from(f, &a->trails_step, NULL);
        return 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < a->ntrails; i++)
        if (rw_audit_trail_good(&a->trails[i]) && n < cap) out[n++] = &a->trails[i];
    if (!n) {
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "no multi-region trail that is logging every management event (%zu trail%s "
                     "read; see trail-multi-region)",
                     a->ntrails, a->ntrails == 1 ? "" : "s");
        rw_audit_set_missing(f, "trail", "a multi-region trail (trail-multi-region)");
        rw_audit_set_fix(f, "%s", fix_trail);
    }
    return n;
}

static void check_log_validation(rw_audit_ctx *a, const rw_audit_check *chk) {
    rw_audit_finding *f = rw_audit_add(a, chk, a->home);
    const rw_audit_trail *g[64];
    size_t n = good_trails(a, f, g, 64);
    if (!n) return;
    for (size_t i = 0; i < n; i++)
        if (g[i]->validation) {
            rw_audit_set_resource(f, g[i]->arn);
            rw_audit_set(f, RW_AUDIT_PASS,
                         "trail %s: LogFileValidationEnabled true (digest files prove the log "
                         "files unchanged)",
                         g[i]->arn);
            return;
        }
    rw_audit_set_resource(f, g[0]->arn);
    rw_audit_set(f, RW_AUDIT_WARN,
                 "trail %s: LogFileValidationEnabled false: a deleted or edited log file (a root "
                 "user hiding its tracks) would go unseen",
                 g[0]->arn);
    rw_audit_set_missing(f, "trail-log-validation", "log file validation on trail %s", g[0]->arn);
    rw_audit_set_fix(f,
                     "aws cloudtrail update-trail --name %s --region %s "
                     "--enable-log-file-validation",
                     g[0]->arn, g[0]->home);
}

static void check_cloudwatch_logs(rw_audit_ctx *a, const rw_audit_check *chk) {
    rw_audit_finding *f = rw_audit_add(a, chk, a->home);
    const rw_audit_trail *g[64];
    size_t n = good_trails(a, f, g, 64);
    if (!n) return;
    const rw_audit_trail *stale = NULL;
    int64_t now = a->o->now;
    for (size_t i = 0; i < n; i++) {
        if (!g[i]->log_group_arn) continue;
        if (g[i]->cwl_delivered && now - g[i]->cwl_delivered <= DAY) {
            char when[32];
            rw_time_format(g[i]->cwl_delivered, when);
            rw_audit_set_resource(f, g[i]->log_group_arn);
            rw_audit_set(f, RW_AUDIT_PASS,
                         "trail %s delivers to log group %s; last delivered %s (within a day)",
                         g[i]->arn, g[i]->log_group_arn, when);
            return;
        }
        if (!stale) stale = g[i];
    }
    if (stale) {
        char when[32] = "never";
        if (stale->cwl_delivered) rw_time_format(stale->cwl_delivered, when);
        rw_audit_set_resource(f, stale->log_group_arn);
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "trail %s names log group %s, but GetTrailStatus says it last delivered "
                     "there: %s (more than a day ago or never)%s%s",
                     stale->arn, stale->log_group_arn, when,
                     stale->cwl_error ? "; LatestCloudWatchLogsDeliveryError: " : "",
                     stale->cwl_error ? stale->cwl_error : "");
        rw_audit_set_missing(f, "trail-cloudwatch-logs-delivery",
                             "delivery from trail %s to log group %s", stale->arn,
                             stale->log_group_arn);
        rw_audit_set_fix(f,
                         "check the trail's CloudWatch Logs role (trust cloudtrail.amazonaws.com, "
                         "allow logs:CreateLogStream and logs:PutLogEvents on the log group): aws "
                         "cloudtrail update-trail --name %s --region %s "
                         "--cloud-watch-logs-log-group-arn %s --cloud-watch-logs-role-arn ROLE_ARN",
                         stale->arn, stale->home, stale->log_group_arn);
        return;
    }
    rw_audit_set_resource(f, g[0]->arn);
    rw_audit_set(f, RW_AUDIT_FAIL,
                 "trail %s delivers to no CloudWatch Logs log group (no "
                 "CloudWatchLogsLogGroupArn): no metric filter or alarm can see root use",
                 g[0]->arn);
    rw_audit_set_missing(f, "trail-cloudwatch-logs",
                         "a log group for trail %s and a role CloudTrail delivers with", g[0]->arn);
    rw_audit_set_fix(f,
                     "aws logs create-log-group --log-group-name cloudtrail/rootwatch --region "
                     "%s; aws iam create-role --role-name rootwatch-cloudtrail-logs (trusting "
                     "cloudtrail.amazonaws.com, allowed logs:CreateLogStream and "
                     "logs:PutLogEvents); aws cloudtrail update-trail --name %s --region %s "
                     "--cloud-watch-logs-log-group-arn LOG_GROUP_ARN --cloud-watch-logs-role-arn "
                     "ROLE_ARN; or: rootwatch deploy apply --email ADDRESS",
                     g[0]->home, g[0]->arn, g[0]->home);
}

/* clang-format off */
static const char *const c_multi[] = {"CIS-1.4.0 3.1", "CIS-3.0.0 3.1", "CIS-5.0.0 3.1", "SecurityHub CloudTrail.1", NULL};
static const char *const c_valid[] = {"CIS-1.4.0 3.2", "CIS-3.0.0 3.2", "CIS-5.0.0 3.2", "SecurityHub CloudTrail.4", NULL};
static const char *const c_cwl[] = {"CIS-1.4.0 3.4", "SecurityHub CloudTrail.5", NULL};
/* clang-format on */

const rw_audit_check rw_audit_trail_checks[] = {
    {"trail-multi-region",
     "a multi-region trail, logging every management event and global service events", c_multi,
     check_multi_region},
    {"trail-log-validation", "that trail validates its log files (WARN when off)", c_valid,
     check_log_validation},
    {"trail-cloudwatch-logs", "that trail delivers to a CloudWatch Logs log group, within a day",
     c_cwl, check_cloudwatch_logs},
    {NULL, NULL, NULL, NULL},
};
